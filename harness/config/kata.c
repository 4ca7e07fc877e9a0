#include "config/kata.h"

#include <inttypes.h>
#include <string.h>

/* A TOML basic string: quotes and backslashes escaped, and control
 * characters (which TOML forbids raw) as \uXXXX, so a value can never
 * end its line or its string. */
static char *
quoted(const char *s)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            vmb_buf_printf(&b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            vmb_buf_printf(&b, "\\u%04x", c);
        else
            vmb_buf_append(&b, s, 1);
    }
    vmb_buf_puts(&b, "\"");
    return vmb_buf_steal(&b);
}

static char *
boolean(bool b)
{
    return vmb_xstrdup(b ? "true" : "false");
}

/* virtio_fs_extra_args as a TOML array of strings, one per word. */
static char *
words_array(const char *words)
{
    autofree char *copy = vmb_xstrdup(words);
    struct vmb_buf b = {0};
    char *save = NULL;
    vmb_buf_puts(&b, "[");
    bool first = true;
    for (char *w = strtok_r(copy, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        autofree char *q = quoted(w);
        vmb_buf_printf(&b, "%s%s", first ? "" : ", ", q);
        first = false;
    }
    vmb_buf_puts(&b, "]");
    return vmb_buf_steal(&b);
}

size_t
vmb_kata_settings(const struct vmb_config *cfg, struct vmb_kata_setting **out)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    const struct vmb_network_opts *nw = &cfg->network;
    /* A data directory on its own disk is a block device in Kata too;
     * elsewhere the flag is the cell's own (local on the root disk is
     * false already), never shown other than it was given. */
    bool disable_blk = vmb_config_root_shared(cfg);
    struct vmb_kata_setting s[] = {
        {"path", quoted(cfg->hypervisor.emulator), NULL},
        {"machine_type", quoted(cfg->hypervisor.machine), NULL},
        {"kernel_params", quoted(g->kernel_params), NULL},
        {"cpu_features", quoted(g->cpu_features), NULL},
        {"default_vcpus", vmb_xasprintf("%" PRId64, g->vcpus), NULL},
        {"default_maxvcpus", vmb_xasprintf("%" PRId64, g->maxvcpus), NULL},
        {"default_memory", vmb_xasprintf("%" PRIu64, g->memory_mib), NULL},
        {"memory_slots", vmb_xasprintf("%" PRId64, g->memory_slots), NULL},
        {"default_maxmemory", vmb_xasprintf("%" PRIu64, g->maxmemory_mib),
         NULL},
        {"disable_block_device_use", boolean(disable_blk), NULL},
        {"shared_fs",
         quoted(vmb_config_shared_fs(cfg) == VMB_SHAREDFS_9P ? "virtio-9p"
                                                             : "virtio-fs"),
         NULL},
        {"virtio_fs_queue_size", vmb_xasprintf("%" PRId64, g->virtio_fs_queue),
         NULL},
        {"virtio_fs_extra_args", words_array(g->virtio_fs_extra_args), NULL},
        {"virtio_fs_cache", quoted(vmb_fs_cache_name(g->virtio_fs_cache)),
         NULL},
        {"block_device_driver",
         quoted(vmb_blk_driver_name(vmb_config_blk_driver(cfg))), NULL},
        {"block_device_aio", quoted(vmb_blk_aio_name(g->blk_aio)), NULL},
        {"block_device_cache_set", boolean(g->blk_cache_set), NULL},
        {"block_device_cache_direct", boolean(g->blk_cache_direct), NULL},
        {"block_device_cache_noflush", boolean(g->blk_cache_noflush), NULL},
        {"enable_iothreads", boolean(g->iothreads), NULL},
        {"enable_mem_prealloc", boolean(g->mem_prealloc), NULL},
        {"enable_hugepages", boolean(g->hugepages), NULL},
        {"msize_9p", vmb_xasprintf("%" PRIu64, g->msize_9p_bytes), NULL},
        {"entropy_source", quoted(vmb_entropy_name(g->entropy_source)), NULL},
        {"disable_vhost_net", boolean(nw->disable_vhost_net), NULL},
        {"rx_rate_limiter_max_rate",
         vmb_xasprintf("%" PRId64, nw->rx_rate_bits), NULL},
        {"tx_rate_limiter_max_rate",
         vmb_xasprintf("%" PRId64, nw->tx_rate_bits), NULL},
        {"enable_vcpus_pinning", boolean(g->vcpus_pinning), "runtime"},
    };
    size_t n = sizeof(s) / sizeof(s[0]);
    /* The daemon only where the cell names one: vmbench's own pick is no
     * path a Kata file should get (Kata checks it against
     * valid_virtio_fs_daemon_paths). */
    bool daemon = g->virtio_fs_daemon && *g->virtio_fs_daemon;
    *out = vmb_xcalloc(n + 1, sizeof(**out));
    memcpy(*out, s, sizeof(s));
    if (daemon)
        (*out)[n++] = (struct vmb_kata_setting){
            "virtio_fs_daemon", quoted(g->virtio_fs_daemon), NULL};
    return n;
}

void
vmb_kata_settings_free(struct vmb_kata_setting *s, size_t n)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i].value);
    free(s);
}

size_t
vmb_kata_settings_diff(struct vmb_kata_setting *set, size_t n,
                       const struct vmb_kata_setting *base, size_t nbase)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool same = false;
        for (size_t j = 0; j < nbase && !same; j++)
            same = strcmp(set[i].key, base[j].key) == 0 &&
                   strcmp(set[i].value, base[j].value) == 0;
        if (same)
            free(set[i].value);
        else
            set[kept++] = set[i];
    }
    return kept;
}

void
vmb_kata_render_tables(const struct vmb_config *cfg, struct vmb_buf *out)
{
    struct vmb_kata_setting *s = NULL;
    size_t n = vmb_kata_settings(cfg, &s);
    vmb_buf_puts(out, "[" VMB_KATA_TABLE "]\n");
    for (size_t i = 0; i < n; i++)
        if (s[i].table == NULL)
            vmb_buf_printf(out, "%s = %s\n", s[i].key, s[i].value);
    vmb_buf_puts(out, "\n[runtime]\n");
    for (size_t i = 0; i < n; i++)
        if (s[i].table != NULL)
            vmb_buf_printf(out, "%s = %s\n", s[i].key, s[i].value);
    vmb_kata_settings_free(s, n);
}

void
vmb_kata_render(const struct vmb_config *cfg, struct vmb_buf *out)
{
    vmb_buf_puts(out,
                 "# Kata Containers settings equivalent to this cell.\n"
                 "# Merge into configuration.toml, or use\n"
                 "# `vmbench kata-config RESULTS_DIR CELL --base FILE`.\n");
    vmb_kata_render_tables(cfg, out);
}

/* The settings of base's text: Kata's defaults under what it sets. */
static int
base_settings(const char *name, const char *text, size_t len,
              struct vmb_kata_setting **out, size_t *n, struct vmb_error **err)
{
    struct vmb_config bcfg;
    vmb_config_defaults(&bcfg);
    autofree char *skipped = NULL;
    int rc = vmb_kata_import_text(name, text, len, &bcfg, &skipped, err);
    if (rc == 0)
        *n = vmb_kata_settings(&bcfg, out);
    vmb_config_free(&bcfg);
    return rc;
}

int
vmb_kata_merge_settings(const struct vmb_config *cfg, const char *name,
                        const char *text, size_t len, struct vmb_buf *out,
                        struct vmb_error **err)
{
    struct vmb_kata_setting *set = NULL, *bset = NULL;
    size_t nset = vmb_kata_settings(cfg, &set), nb = 0;
    struct vmb_buf check = {0};
    /* Every key vmbench may set is checked against the file, so a base
     * is refused alike whichever keys this cell changes. */
    int rc = vmb_kata_toml_merge(name, text, len, set, nset, &check, err);
    vmb_buf_free(&check);
    if (rc == 0)
        rc = base_settings(name, text, len, &bset, &nb, err);
    if (rc == 0) {
        nset = vmb_kata_settings_diff(set, nset, bset, nb);
        rc = vmb_kata_toml_merge(name, text, len, set, nset, out, err);
    }
    vmb_kata_settings_free(bset, nb);
    vmb_kata_settings_free(set, nset);
    return rc;
}
