#include "vm/rootfs.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/util.h"

/* The directories of the image a guest writes into (the data directory,
 * temporary files, runtime files, root's home). */
static const char *const written[] = {"",         "/data", "/tmp",
                                      "/var/tmp", "/run",  "/root"};

/* overlayfs splits its options at ',' and its layers at ':'. */
static int
check_path(const char *what, const char *path, struct vmb_error **err)
{
    if (strpbrk(path, ",:\\") != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s \"%s\" has a ',', ':' or '\\', which an "
                             "overlay mount cannot take; use another "
                             "directory",
                             what, path);
    return 0;
}

/*
 * QEMU's 9p in mapped mode shows the owner kept in these attributes
 * (little-endian 32-bit, hw/9pfs/9p-local.c), the host's where none.
 */
static int
show_as_root(const char *path)
{
    const uint32_t zero = 0;
    if (setxattr(path, "user.virtfs.uid", &zero, sizeof(zero), 0) < 0 ||
        setxattr(path, "user.virtfs.gid", &zero, sizeof(zero), 0) < 0)
        return -1;
    return 0;
}

/*
 * 9p's mapped mode reads a symlink as a file holding its target, its type
 * in an attribute (what QEMU writes for a guest's symlink), and cannot
 * read the host's own symlinks: each symlink of the tree (rel under it)
 * becomes such a file in the VM's upper layer.
 */
static int
map_symlinks(const char *tree, const char *root, const char *rel,
             struct vmb_error **err)
{
    autofree char *dir = vmb_xasprintf("%s%s", tree, rel);
    DIR *d = opendir(dir);
    if (d == NULL)
        return vmb_error_sys(err, "read the image tree \"%s\"", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        autofree char *sub = vmb_xasprintf("%s/%s", rel, e->d_name);
        autofree char *from = vmb_xasprintf("%s%s", tree, sub);
        struct stat st;
        if (lstat(from, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = map_symlinks(tree, root, sub, err);
            continue;
        }
        if (!S_ISLNK(st.st_mode))
            continue;
        char target[4096];
        ssize_t n = readlink(from, target, sizeof(target));
        autofree char *to = vmb_xasprintf("%s%s", root, sub);
        uint32_t mode = htole32((uint32_t)(S_IFLNK | 0777));
        if (n < 0 || (size_t)n >= sizeof(target) || unlink(to) < 0 ||
            vmb_write_file_atomic(to, target, (size_t)n, err) < 0 ||
            chmod(to, 0644) < 0 || show_as_root(to) < 0 ||
            setxattr(to, "user.virtfs.mode", &mode, sizeof(mode), 0) < 0)
            rc = vmb_error_sys(err, "map the symlink \"%s\" for 9p", to);
    }
    closedir(d);
    return rc;
}

static int
give_to_qemu(const struct vmb_rootfs_params *p, const char *root,
             struct vmb_error **err)
{
    for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
        autofree char *d = vmb_xasprintf("%s%s", root, written[i]);
        struct stat st;
        if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        if (chown(d, p->uid, p->gid) < 0 || show_as_root(d) < 0)
            return vmb_error_sys(err, "give \"%s\" to QEMU's user", d);
    }
    return map_symlinks(p->tree, root, "", err);
}

int
vmb_rootfs_mount(const struct vmb_rootfs_params *p, struct vmb_error **err)
{
    autofree char *root = vmb_xasprintf("%s/" VMB_ROOTFS_DIR, p->share);
    autofree char *upper = vmb_xasprintf("%s/upper", p->snapshot);
    autofree char *work = vmb_xasprintf("%s/work", p->snapshot);
    if (check_path("the container root image tree", p->tree, err) < 0 ||
        check_path("the work directory", p->snapshot, err) < 0)
        return -1;
    if (access(p->tree, R_OK | X_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "the container root image tree \"%s\" cannot be "
                             "read; rebuild it with `vmbench image build`",
                             p->tree);
    if (vmb_mkdir_p(upper, err) < 0 || vmb_mkdir_p(work, err) < 0 ||
        vmb_mkdir_p(root, err) < 0)
        return -1;
    chmod(upper, 0755);
    autofree char *own =
        vmb_xasprintf("%d %llu %llu\n", (int)getpid(), vmb_proc_start(getpid()),
                      vmb_proc_pid_ns());
    if (vmb_write_file_atomic(p->pidfile, own, strlen(own), err) < 0)
        return -1;
    autofree char *opts = vmb_xasprintf("lowerdir=%s,upperdir=%s,workdir=%s",
                                        p->tree, upper, work);
    if (mount("overlay", root, "overlay", MS_NODEV, opts) < 0)
        return vmb_error_sys(err,
                             "mount the container root (overlay of \"%s\") "
                             "on \"%s\"",
                             p->tree, root);
    if (p->qemu_writes && give_to_qemu(p, root, err) < 0) {
        umount2(root, MNT_DETACH);
        return -1;
    }
    return 0;
}

int
vmb_rootfs_unmount(const char *share, const char *snapshot, const char *pidfile,
                   struct vmb_error **err)
{
    int rc = 0;
    if (share != NULL) {
        autofree char *root = vmb_xasprintf("%s/" VMB_ROOTFS_DIR, share);
        if (umount2(root, 0) < 0 && errno != EINVAL && errno != ENOENT &&
            umount2(root, MNT_DETACH) < 0 && errno != EINVAL)
            rc = vmb_error_sys(err, "unmount the container root \"%s\"", root);
    }
    if (rc == 0 && snapshot != NULL && vmb_rm_rf(snapshot, err) < 0)
        rc = -1;
    if (rc == 0 && pidfile != NULL)
        unlink(pidfile);
    return rc;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void
unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
            r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int
cmp_len_desc(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? 1 : la > lb ? -1 : 0;
}

void
vmb_rootfs_unmount_under(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return;
    size_t n = 0, cap = 0, dlen = strlen(dir);
    char **mps = NULL;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        char mp[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
            continue;
        unescape(mp);
        if (strncmp(mp, dir, dlen) != 0 || (mp[dlen] != '/' && mp[dlen]))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            mps = vmb_xrealloc(mps, cap * sizeof(*mps));
        }
        mps[n++] = vmb_xstrdup(mp);
    }
    fclose(f);
    if (n > 0)
        qsort(mps, n, sizeof(*mps), cmp_len_desc);
    for (size_t i = 0; i < n; i++) {
        umount2(mps[i], MNT_DETACH);
        free(mps[i]);
    }
    free(mps);
}

/* Removes the run directory dir, its mounts first, if the owner that
 * pid file path names is gone. */
static int
reap_one(const char *dir, const char *path, void *ctx)
{
    (void)ctx;
    autofree char *text = NULL;
    if (vmb_read_file_max(path, 256, &text, NULL, NULL) < 0)
        return 0;
    int owner = 0;
    unsigned long long start = 0, ns = 0;
    if (sscanf(text, "%d %llu %llu", &owner, &start, &ns) != 3 || owner <= 1 ||
        ns != vmb_proc_pid_ns() || vmb_proc_alive(owner, start))
        return 0;
    vmb_rootfs_unmount_under(dir);
    vmb_rm_rf(dir, NULL);
    return 1;
}

int
vmb_rootfs_reap_stale(const char *root)
{
    return vmb_proc_each_pidfile(root, ".rootfs.pid", true, reap_one, NULL);
}
