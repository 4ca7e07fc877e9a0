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

static const char *
shared_fs(int storage)
{
    switch (storage) {
    case VMB_STORAGE_9P:
        return "virtio-9p";
    default:
        return "virtio-fs";
    }
}

static const char *
fs_cache(int cache)
{
    switch (cache) {
    case VMB_FSCACHE_ALWAYS:
        return "always";
    case VMB_FSCACHE_NONE:
        return "never";
    default:
        return "auto";
    }
}

static const char *
blk_aio(int aio)
{
    switch (aio) {
    case VMB_BLKAIO_NATIVE:
        return "native";
    case VMB_BLKAIO_IO_URING:
        return "io_uring";
    default:
        return "threads";
    }
}

size_t
vmb_kata_settings(const struct vmb_config *cfg, struct vmb_kata_setting **out)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    bool direct = g->blk_cache == VMB_BLKCACHE_NONE ||
                  g->blk_cache == VMB_BLKCACHE_DIRECTSYNC;
    struct vmb_kata_setting s[] = {
        {"path", quoted(cfg->hypervisor.emulator)},
        {"machine_type", quoted(cfg->hypervisor.machine)},
        {"default_vcpus", vmb_xasprintf("%" PRId64, g->vcpus)},
        {"default_memory", vmb_xasprintf("%" PRIu64, g->memory_mib)},
        {"enable_iothreads", vmb_xstrdup(g->iothreads ? "true" : "false")},
        {"shared_fs", quoted(shared_fs(g->storage))},
        {"virtio_fs_cache", quoted(fs_cache(g->virtio_fs_cache))},
        {"msize_9p", vmb_xasprintf("%" PRIu64, g->msize_9p_bytes)},
        {"block_device_driver", quoted("virtio-blk")},
        {"block_device_aio", quoted(blk_aio(g->blk_aio))},
        {"block_device_cache_direct", vmb_xstrdup(direct ? "true" : "false")},
        {"disable_block_device_use",
         vmb_xstrdup(g->storage == VMB_STORAGE_VIRTIO_BLK ||
                             g->storage == VMB_STORAGE_LOCAL
                         ? "false"
                         : "true")},
    };
    size_t n = sizeof(s) / sizeof(s[0]);
    *out = vmb_xcalloc(n, sizeof(**out));
    memcpy(*out, s, sizeof(s));
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

void
vmb_kata_render(const struct vmb_config *cfg, struct vmb_buf *out)
{
    struct vmb_kata_setting *s = NULL;
    size_t n = vmb_kata_settings(cfg, &s);
    vmb_buf_puts(out, "# Kata Containers settings equivalent to this cell.\n"
                      "# Merge into configuration.toml, or use\n"
                      "# `vmbench kata-config RESULTS_DIR CELL --base FILE`.\n"
                      "[hypervisor.qemu]\n");
    for (size_t i = 0; i < n; i++)
        vmb_buf_printf(out, "%s = %s\n", s[i].key, s[i].value);
    vmb_kata_settings_free(s, n);
}
