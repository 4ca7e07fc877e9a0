/*
 * The container root of a VM served over the shared filesystem, as Kata
 * serves it with disable_block_device_use = true: an overlay mount of the
 * cached image tree (read-only, shared by every VM) and an upper layer of
 * the VM's own, as containerd's overlayfs snapshotter makes a container's
 * root, at <share>/rootfs, where <share> is the directory the VM's
 * shared filesystem exports. The guest mounts the share and takes
 * rootfs/ as the container's root; its own OS stays in the initramfs.
 *
 * The mount is the host's (root, or CAP_SYS_ADMIN); a pid file beside it
 * names its owner, so the next start removes what a killed run and its
 * guard both left (vmb_rootfs_reap_stale).
 */
#ifndef VMB_ROOTFS_H
#define VMB_ROOTFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* The root's directory in the share, as the guest finds it. */
#define VMB_ROOTFS_DIR "rootfs"

struct vmb_rootfs_params {
    const char *tree;     /* the image's staged tree: the lower layer */
    const char *share;    /* exists: the VM's shared directory */
    const char *snapshot; /* made here: upper/ and work/ of the overlay */
    const char *pidfile;  /* made here: the owner of the mount */
    /* 9p: QEMU, as (uid, gid), writes through the share itself (its
     * mapped mode), so the directories the guest writes into are given
     * to it in the overlay, and shown to the guest as root's; and the
     * tree's symlinks are written there as mapped mode keeps them. */
    bool qemu_writes;
    uid_t uid;
    gid_t gid;
};

/*
 * Mounts the overlay at <share>/rootfs. On failure nothing is left
 * mounted; the directories made are the caller's to remove.
 */
int vmb_rootfs_mount(const struct vmb_rootfs_params *p, struct vmb_error **err);

/*
 * Unmounts <share>/rootfs (a busy mount is detached) and removes the
 * snapshot and the pid file. NULL-safe, idempotent.
 */
int vmb_rootfs_unmount(const char *share, const char *snapshot,
                       const char *pidfile, struct vmb_error **err);

/*
 * Detaches every mount at or below dir, deepest first: before a
 * directory of a run's files is removed, so that removing never reaches
 * into a mounted tree.
 */
void vmb_rootfs_unmount_under(const char *dir);

/*
 * For each pid file under root/<run>/ whose owner is gone (a run and its
 * guard both killed): the mounts under that run's directory are detached
 * and the directory removed. Returns how many runs it cleaned.
 */
int vmb_rootfs_reap_stale(const char *root);

#endif
