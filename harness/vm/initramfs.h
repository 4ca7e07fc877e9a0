/*
 * The guest kernel and the initramfs that boots it: the agent as /init
 * plus the few kernel modules the guest needs, resolved through the
 * kernel's modules.dep (and modules.softdep / modules.alias for soft
 * dependencies such as ext4's crc32c). Written as an uncompressed cpio
 * "newc" archive: the kernel unpacks it faster than it would decompress
 * one, which matters under TCG.
 *
 * Module groups (the agent reads /etc/vmb-modules, "GROUP req|opt PATH"
 * in load order): "base" (virtio_pci, virtio_blk, virtio_net,
 * virtio_console, ext4) is always loaded; "9p" (9p, 9pnet_virtio) and
 * "virtio-fs" (virtiofs) only for that storage; "virtio-blk" (virtio_scsi,
 * sd_mod) and "vsock" (vsock, vmw_vsock_virtio_transport_common,
 * vmw_vsock_virtio_transport: the agent's channel when the transport is
 * vsock) are optional, carried where the kernel has them as modules, and
 * loaded only when the command line asks. Modules built into the
 * kernel are skipped; .ko.xz, .ko.zst and .ko.gz are stored decompressed.
 */
#ifndef VMB_INITRAMFS_H
#define VMB_INITRAMFS_H

#include <stddef.h>

#include "base/error.h"

#define VMB_INITRAMFS_CACHE "/var/cache/vmbench/initramfs"

/*
 * Finds the guest kernel. setting is "auto" (the newest /boot/vmlinuz-*
 * by version) or a path to a bzImage or an uncompressed x86-64 ELF
 * vmlinux (vm/kernel.h). *kernel_path and *modules_dir
 * (/lib/modules/<release>, the release read from the image) are the
 * caller's to free; *modules_dir is NULL for a vmlinux that has no
 * modules directory (its drivers built in: the initramfs then carries
 * none). Fails with VMB_ERR_INPUT when the kernel is missing,
 * unreadable, neither format, an ELF QEMU cannot boot, or a bzImage
 * without a modules directory.
 */
int vmb_guest_kernel_find(const char *setting, char **kernel_path,
                          char **modules_dir, struct vmb_error **err);

/*
 * The file guest.kernel names: setting itself, or for "auto" (or NULL)
 * the newest ROOT/boot/vmlinuz-* by version (root NULL: this host).
 * Caller frees. Fails with VMB_ERR_INPUT when "auto" finds none.
 */
int vmb_guest_kernel_path(const char *setting, const char *root, char **path,
                          struct vmb_error **err);

/*
 * The release string of a kernel ("6.1.0-56-amd64"), read from a
 * bzImage's setup header or a vmlinux's banner. Caller frees.
 */
int vmb_guest_kernel_release(const char *kernel_path, char **release,
                             struct vmb_error **err);

/*
 * Path of a built guest program ("vmb-agent", "vmb-floor-init"): under
 * $VMB_GUEST_DIR when set, else libexec/vmbench of an installed vmbench,
 * else the build's guest directory (base/paths.h). Caller frees.
 * Does not check that it exists.
 */
char *vmb_guest_program(const char *name);

/*
 * Builds the archive in memory: init_path as /init, and, when
 * modules_dir is not NULL, the modules described above. *out and *len are
 * the caller's (free *out).
 */
int vmb_initramfs_build(const char *init_path, const char *modules_dir,
                        char **out, size_t *len, struct vmb_error **err);

/*
 * Builds the archive and stores it under cache_dir (NULL:
 * VMB_INITRAMFS_CACHE) as initramfs-<hash of its bytes>.cpio, unless that
 * file exists already. *path (caller frees) is the file to boot. Safe
 * for concurrent callers: the file is written atomically.
 */
int vmb_initramfs_ensure(const char *init_path, const char *modules_dir,
                         const char *cache_dir, char **path,
                         struct vmb_error **err);

/*
 * The modules of the initramfs for modules_dir, as the /etc/vmb-modules
 * text ("GROUP req|opt /lib/modules/NAME.ko" lines, load order), without
 * reading the module files. For tests and `vmbench image` output.
 */
int vmb_initramfs_module_list(const char *modules_dir, char **text,
                              struct vmb_error **err);

#endif
