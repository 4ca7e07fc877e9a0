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
    const char *key;   /* "default_vcpus" */
    char *value;       /* TOML literal: 2, true, "virtio-fs" */
    const char *table; /* NULL: [hypervisor.qemu]; else "runtime" */
};

/*
 * Fills out[] (caller frees with vmb_kata_settings_free) with the Kata
 * settings of cfg, every knob vmbench models, in a fixed order: the
 * [hypervisor.qemu] ones, then the [runtime] ones.
 */
size_t vmb_kata_settings(const struct vmb_config *cfg,
                         struct vmb_kata_setting **out);
void vmb_kata_settings_free(struct vmb_kata_setting *s, size_t n);

/*
 * Keeps in set[] only the settings whose value differs from the same
 * key's in base[] (equal TOML text, or equal string content); frees the
 * others. Returns the new count.
 */
size_t vmb_kata_settings_diff(struct vmb_kata_setting *set, size_t n,
                              const struct vmb_kata_setting *base,
                              size_t nbase);

/*
 * Applies a configuration.toml to cfg as the base of a matrix: each key
 * of [hypervisor.qemu] and [runtime] that names a vmbench option (its
 * Kata name) is parsed by that option. *unmodelled gets the other keys,
 * comma-separated ("enable_debug, runtime.internetworking_model"), ""
 * when none; the caller frees it. A value an option refuses fails with
 * VMB_ERR_INPUT as "FILE:LINE: [TABLE] KEY: why".
 */
int vmb_kata_import(const char *path, struct vmb_config *cfg, char **unmodelled,
                    struct vmb_error **err);
int vmb_kata_import_text(const char *name, const char *text, size_t len,
                         struct vmb_config *cfg, char **unmodelled,
                         struct vmb_error **err);

/* Renders a cell's settings as a [hypervisor.qemu] TOML fragment, after a
 * comment saying what it is (a cell's kata-configuration.toml). */
void vmb_kata_render(const struct vmb_config *cfg, struct vmb_buf *out);
/* The same without the comment: the [hypervisor.qemu] table of cfg's
 * settings, then its [runtime] table. */
void vmb_kata_render_tables(const struct vmb_config *cfg, struct vmb_buf *out);

/* A configuration.toml larger than this is refused (Kata's own template
 * is about 30 KiB). */
#define VMB_KATA_TOML_MAX_BYTES (4u << 20)

/* The Kata table vmbench's settings belong to. */
#define VMB_KATA_TABLE "hypervisor.qemu"

/*
 * Writes to out a copy of text (the configuration.toml named name, len
 * bytes) with the settings' values replaced in [hypervisor.qemu] (or
 * [runtime], for those of that table) and the keys a table lacks added
 * after its last key (the table is appended when the file has none). Everything
 * else stays byte for byte. A malformed file fails with VMB_ERR_INPUT naming
 * name and the line.
 */
int vmb_kata_toml_merge(const char *name, const char *text, size_t len,
                        const struct vmb_kata_setting *set, size_t nset,
                        struct vmb_buf *out, struct vmb_error **err);

/*
 * Appends to out cfg's settings merged into a user's configuration.toml
 * (text, len bytes, named name for messages): a copy of it with only the
 * keys whose value differs from the file's own settings (or Kata's
 * default where the file lacks the key) changed or added, as
 * vmb_kata_toml_merge writes them. Every key vmbench may set is checked
 * against the file first, so a file is refused alike whichever keys cfg
 * changes. A malformed file, or one with a value vmbench refuses, fails
 * with VMB_ERR_INPUT naming name and the line.
 */
int vmb_kata_merge_settings(const struct vmb_config *cfg, const char *name,
                            const char *text, size_t len, struct vmb_buf *out,
                            struct vmb_error **err);

/* A key of [hypervisor.qemu] or [runtime] as a configuration.toml has it. */
struct vmb_kata_toml_key {
    const char *table; /* VMB_KATA_TABLE or "runtime"; static */
    char *key;         /* normal form (toml_name.h) */
    char *value;       /* the TOML text of the value, as written */
    int line;          /* of the key */
};

/*
 * Scans a configuration.toml (named name, len bytes) and lists the
 * single-part keys of its [hypervisor.qemu] and [runtime] tables with
 * their values' text and lines, in file order. A malformed file fails
 * with VMB_ERR_INPUT naming name and the line.
 */
int vmb_kata_toml_keys(const char *name, const char *text, size_t len,
                       struct vmb_kata_toml_key **out, size_t *n,
                       struct vmb_error **err);
void vmb_kata_toml_keys_free(struct vmb_kata_toml_key *k, size_t n);

#endif
