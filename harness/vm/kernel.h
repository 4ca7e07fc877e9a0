/*
 * What a guest kernel file is, read without running anything from it:
 * its format (an x86 bzImage, or an uncompressed x86-64 ELF vmlinux as
 * Kata ships), its release, whether QEMU can boot it with -kernel, and,
 * for each driver a cell may need, whether it is built in, a module
 * vmbench can put in the initramfs, or missing.
 *
 * Evidence for a driver, in order: the kernel's modules directory
 * (/lib/modules/RELEASE: modules.builtin, then modules.dep and the module
 * file); for an ELF vmlinux, also strings the driver's own code carries
 * (a filesystem or driver name, a slab cache name: vmb_kdrv_markers), found
 * NUL-terminated anywhere in the file. A bzImage without a modules
 * directory is read the same way through the ELF its payload holds
 * (the setup header says where, its first bytes how it is compressed),
 * when that is gzip, xz, lzma or zstd; with another compression its
 * drivers are "unknown", and payload names it.
 *
 * Every read is bounded (VMB_KERNEL_MAX_BYTES, a payload's ELF
 * VMB_KERNEL_ELF_MAX_BYTES); the file is untrusted.
 */
#ifndef VMB_KERNEL_H
#define VMB_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* A kernel file larger than this is refused. */
#define VMB_KERNEL_MAX_BYTES (512u << 20)
/* A bzImage's payload that decompresses to more than this is refused: an
 * x86-64 vmlinux, debug information aside, is far smaller. */
#define VMB_KERNEL_ELF_MAX_BYTES (256u << 20)

enum vmb_kernel_format { VMB_KERNEL_BZIMAGE, VMB_KERNEL_ELF };

/* The drivers of a cell's devices; the first five every VM needs. */
enum vmb_kdrv {
    VMB_KDRV_VIRTIO_PCI,
    VMB_KDRV_VIRTIO_BLK,
    VMB_KDRV_VIRTIO_NET,
    VMB_KDRV_VIRTIO_CONSOLE,
    VMB_KDRV_EXT4,
    VMB_KDRV_VIRTIO_FS,
    VMB_KDRV_9P,
    VMB_KDRV_VIRTIO_SCSI,
    VMB_KDRV_VSOCK,
    VMB_KDRV_N
};

enum vmb_kdrv_state {
    VMB_KDRV_MISSING,
    VMB_KDRV_BUILTIN,
    VMB_KDRV_MODULE, /* in the modules directory, all its modules */
    VMB_KDRV_UNKNOWN,
};

/* Fixed-size: a plain value to copy, nothing to free. */
struct vmb_kernel_info {
    int format;            /* enum vmb_kernel_format */
    bool pvh;              /* ELF: has the PVH entry note QEMU needs */
    char release[65];      /* "6.1.0-57-amd64" */
    char modules_dir[320]; /* "" when the kernel has none */
    int drv[VMB_KDRV_N];   /* enum vmb_kdrv_state */
    /* A bzImage whose payload was read (no modules directory): its
     * compression ("xz", "gzip", ...; "lz4" or "unknown" leave the
     * drivers unknown). "" otherwise. */
    char payload[8];
};

/*
 * Reads the kernel file at path; its modules directory is looked up
 * under root (NULL or "": this host). Fails with VMB_ERR_INPUT when the
 * file cannot be read, is too large, is neither a bzImage nor an x86-64
 * ELF, does not say its release, or is an ELF QEMU cannot boot (no PVH
 * note); and, for a bzImage without a modules directory, when its
 * payload lies outside the file, is empty, is a corrupt or cut-off
 * stream, decompresses to more than VMB_KERNEL_ELF_MAX_BYTES, or is no
 * x86-64 ELF.
 */
int vmb_kernel_inspect(const char *path, const char *root,
                       struct vmb_kernel_info *ki, struct vmb_error **err);

/* The same over bytes in memory, without a modules directory, so a
 * bzImage's payload is read (fuzzing). */
int vmb_kernel_inspect_mem(const void *data, size_t len,
                           struct vmb_kernel_info *ki, struct vmb_error **err);

/* "virtio-fs", "9p", ... */
const char *vmb_kdrv_name(int drv);
/* "built in", "module", "missing", "unknown" */
const char *vmb_kdrv_state_name(int state);
/* The modules that provide drv, space-separated ("9p 9pnet_virtio"). */
const char *vmb_kdrv_modules(int drv);
/* The kernel options that build drv in ("CONFIG_VIRTIO_FS=y"). */
const char *vmb_kdrv_config(int drv);
/* The strings taken as proof that drv is built into an ELF vmlinux,
 * NULL-terminated. */
const char *const *vmb_kdrv_markers(int drv);

#endif
