/*
 * The Kata Containers configuration.toml view of a cell: which
 * [hypervisor.qemu] keys and values correspond to its settings.
 */
#ifndef VMB_KATA_H
#define VMB_KATA_H

#include <stddef.h>

#include "base/util.h"
#include "config/config.h"

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

/* A configuration.toml larger than this is refused (Kata's own template
 * is about 30 KiB). */
#define VMB_KATA_TOML_MAX_BYTES (4u << 20)

/* The Kata table vmbench's settings belong to. */
#define VMB_KATA_TABLE "hypervisor.qemu"

/*
 * Writes to out a copy of text (the configuration.toml named name, len
 * bytes) with the settings' values replaced in [hypervisor.qemu] and the
 * keys it lacks added after its last key (the table is appended when the
 * file has none). Everything else stays byte for byte. A malformed file
 * fails with VMB_ERR_INPUT naming name and the line.
 */
int vmb_kata_toml_merge(const char *name, const char *text, size_t len,
                        const struct vmb_kata_setting *set, size_t nset,
                        struct vmb_buf *out, struct vmb_error **err);

#endif
