/*
 * The Kata Containers configuration.toml view of a cell: which
 * [hypervisor.qemu] keys and values correspond to its settings.
 */
#ifndef VMB_KATA_H
#define VMB_KATA_H

#include <stddef.h>

#include "config.h"
#include "util.h"

struct vmb_kata_setting {
    const char *key; /* "default_vcpus" */
    char *value;     /* TOML literal: 2, true, "virtio-fs" */
};

/*
 * Fills out[] (caller frees with vmb_kata_settings_free) with the
 * [hypervisor.qemu] settings of cfg, in a fixed order.
 */
size_t vmb_kata_settings(const struct vmb_config *cfg,
                         struct vmb_kata_setting **out);
void vmb_kata_settings_free(struct vmb_kata_setting *s, size_t n);

/* Renders a cell's settings as a [hypervisor.qemu] TOML fragment. */
void vmb_kata_render(const struct vmb_config *cfg, struct vmb_buf *out);

#endif
