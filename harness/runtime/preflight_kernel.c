/*
 * The guest-kernel need of the preflight: the drivers a cell's devices
 * need, each built into its guest.kernel or a module vmbench can put in
 * the initramfs.
 */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "runtime/preflight.h"
#include "vm/initramfs.h"

void
vmb_preflight_kernel_read(struct vmb_preflight_facts *f, const char *setting)
{
    if (setting == NULL)
        setting = "auto";
    for (size_t i = 0; i < f->nkernels; i++)
        if (strcmp(f->kernels[i].setting, setting) == 0)
            return;
    if (f->nkernels == VMB_PREFLIGHT_MAX_KERNELS)
        return;
    struct vmb_preflight_kernel *k = &f->kernels[f->nkernels++];
    memset(k, 0, sizeof(*k));
    snprintf(k->setting, sizeof(k->setting), "%s", setting);
    autofree char *path = NULL;
    vmb_autoerr struct vmb_error *err = NULL;
    /* "auto" without a kernel in /boot: the run says so as it starts. */
    if (vmb_guest_kernel_path(setting, f->root, &path, &err) < 0)
        return;
    snprintf(k->path, sizeof(k->path), "%s", path);
    if (vmb_kernel_inspect(path, f->root, &k->info, &err) < 0)
        snprintf(k->error, sizeof(k->error), "%s", err->msg);
}

void
vmb_preflight_kernel_drivers(const struct vmb_cell *c, bool *need)
{
    for (int k = 0; k < VMB_KDRV_N; k++)
        need[k] = k <= VMB_KDRV_EXT4;
    switch (vmb_config_placement(&c->cfg)) {
    case VMB_STORAGE_9P:
        need[VMB_KDRV_9P] = true;
        break;
    case VMB_STORAGE_VIRTIOFS:
        need[VMB_KDRV_VIRTIO_FS] = true;
        break;
    case VMB_STORAGE_VIRTIO_BLK:
        if (vmb_config_blk_driver(&c->cfg) == VMB_BLKDRV_VIRTIO_SCSI)
            need[VMB_KDRV_VIRTIO_SCSI] = true;
        break;
    default:
        break;
    }
    if (c->cfg.guest.agent_transport == VMB_AGENT_TRANSPORT_VSOCK)
        need[VMB_KDRV_VSOCK] = true;
}

static const struct vmb_preflight_kernel *
kernel_of(const struct vmb_preflight_facts *h, const struct vmb_cell *c)
{
    const char *setting = c->cfg.guest.kernel ? c->cfg.guest.kernel : "auto";
    for (size_t i = 0; i < h->nkernels; i++)
        if (strcmp(h->kernels[i].setting, setting) == 0)
            return &h->kernels[i];
    return NULL;
}

bool
vmb_preflight_kernel_has(const struct vmb_preflight_facts *h,
                         const struct vmb_cell *c, int drv)
{
    const struct vmb_preflight_kernel *k = kernel_of(h, c);
    return k != NULL && k->path[0] != '\0' && k->error[0] == '\0' && drv >= 0 &&
           drv < VMB_KDRV_N && k->info.drv[drv] != VMB_KDRV_MISSING;
}

int
vmb_preflight_kernel_probe(const struct vmb_preflight_facts *h,
                           const struct vmb_cell *c, char **detail, char **fix)
{
    const struct vmb_preflight_kernel *k = kernel_of(h, c);
    if (k == NULL || k->path[0] == '\0')
        return 0;
    if (k->error[0]) {
        *detail = vmb_xasprintf("guest.kernel: %s", k->error);
        *fix = vmb_xstrdup("set guest.kernel to a bzImage whose modules are "
                           "installed, or to an uncompressed x86-64 vmlinux "
                           "built with CONFIG_PVH");
        return VMB_PREFLIGHT_LACK;
    }
    const struct vmb_kernel_info *ki = &k->info;
    if (ki->format == VMB_KERNEL_BZIMAGE && ki->modules_dir[0] == '\0' &&
        ki->drv[0] == VMB_KDRV_UNKNOWN) {
        *detail = vmb_xasprintf(
            "guest kernel \"%s\" has no modules at \"/lib/modules/%s\", and "
            "its payload's compression (\"%s\") is not one vmbench reads to "
            "see which drivers it has built in",
            k->path, ki->release, ki->payload);
        *fix = vmb_xstrdup("install the kernel's modules, set guest.kernel "
                           "to its uncompressed vmlinux, or build it with "
                           "gzip, xz, lzma or zstd compression");
        return VMB_PREFLIGHT_LACK;
    }
    bool need[VMB_KDRV_N];
    vmb_preflight_kernel_drivers(c, need);
    struct vmb_buf names = {0}, configs = {0};
    for (int d = 0; d < VMB_KDRV_N; d++) {
        if (!need[d] || ki->drv[d] != VMB_KDRV_MISSING)
            continue;
        vmb_buf_printf(&names, "%s\"%s\"", names.len ? ", " : "",
                       vmb_kdrv_name(d));
        vmb_buf_printf(&configs, "%s%s", configs.len ? ", " : "",
                       vmb_kdrv_config(d));
    }
    if (names.len == 0)
        return 0;
    autofree char *n = vmb_buf_steal(&names);
    autofree char *cfgs = vmb_buf_steal(&configs);
    if (ki->modules_dir[0])
        *detail = vmb_xasprintf("guest kernel \"%s\" lacks the driver(s) %s "
                                "the cell's devices need: neither built in "
                                "nor a module in \"%s\"",
                                k->path, n, ki->modules_dir);
    else
        *detail = vmb_xasprintf(
            "guest kernel \"%s\" lacks the driver(s) %s the cell's devices "
            "need: not built in, and it has no modules at "
            "\"/lib/modules/%s\"",
            k->path, n, ki->release);
    *fix = vmb_xasprintf("use a kernel built with %s (or with their modules "
                         "installed), or cells that do not need them",
                         cfgs);
    return VMB_PREFLIGHT_LACK;
}
