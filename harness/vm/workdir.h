/*
 * Where a run's VM files live: root overlays, data volumes, the shared
 * data directories, console logs and agent sockets. QEMU, which libvirt
 * may run unprivileged (libvirt-qemu on Debian), must reach them, and the
 * user's results directory may sit where that user cannot (/root, a
 * directory of mode 0700). So they go into a directory vmbench owns,
 * VMB_VM_WORKDIR_ROOT/<tag>.XXXXXX (mode 0755, its parents too), which
 * the guard process of virt.h removes should vmbench die. Where that
 * directory cannot be made (vmbench not root), the run's scratch
 * directory in the results directory is used instead, and
 * vmb_vm_cell_start refuses it if QEMU cannot reach it.
 */
#ifndef VMB_VM_WORKDIR_H
#define VMB_VM_WORKDIR_H

#include <stdbool.h>

#include "base/error.h"

#define VMB_VM_WORKDIR_ROOT "/var/lib/vmbench/vm"

struct vmb_vm_workdir {
    char *path; /* absolute; NULL when none */
    bool owned; /* under VMB_VM_WORKDIR_ROOT: removed by _free */
};

/*
 * Makes the directory for a run tagged tag (letters, digits, '-'), or
 * takes fallback (which exists) where it cannot. Fails only when neither
 * can be had.
 */
int vmb_vm_workdir_new(const char *tag, const char *fallback,
                       struct vmb_vm_workdir *out, struct vmb_error **err);

/* Removes an owned directory with its files; NULL-safe, idempotent. */
void vmb_vm_workdir_free(struct vmb_vm_workdir *w);

#endif
