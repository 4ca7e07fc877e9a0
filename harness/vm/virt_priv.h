/*
 * What the files of the libvirt module (virt.c, virt_pool.c,
 * virt_relay.c) share; no
 * file outside vm/virt*.c includes it.
 */
#ifndef VMB_VIRT_PRIV_H
#define VMB_VIRT_PRIV_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "base/error.h"

struct vmb_virt {
    virConnectPtr conn;
    char *uri;
    bool local;
};

/* Turns libvirt's last error into ours, with our phrase of context;
 * returns -1. */
int vmb_virt_fail(struct vmb_error **err, const char *context);

/* Forks the guard process (virt.h) unless this process has one: before
 * any thread of libvirt's runs, so the child inherits none of its locks
 * held. */
void vmb_virt_guard_ensure(void);

#endif
