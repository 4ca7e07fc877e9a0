/*
 * Guest disks: the container root image (a staged tree poured into ext4
 * by the host's mke2fs -d; nothing boots), per-VM copy-on-write overlays
 * of it, and the ext4 data volumes of the virtio-blk storage.
 *
 * The root image is ext4 on the whole disk (no partition table) in a
 * qcow2 file: the host's database binaries and a few tools (sh, cat, ls,
 * sleep, sync), each under its host path, with every shared library they
 * load (resolved with ldd, not a kept list), a minimal /etc (passwd,
 * group, hosts, nsswitch.conf) and empty /data, /tmp, /proc, /sys, /dev.
 *
 * Cache: <cache>/<key>/root.qcow2, tree/ (the staged tree itself, the
 * lower layer of a container root served over the shared filesystem)
 * and manifest.json, where key is a hash
 * of everything that went in (file contents, their guest paths, the /etc
 * files, the layout version and size). A host whose packages changed gets
 * a new key, so a stale image is never used; old keys stay until removed.
 */
#ifndef VMB_IMAGE_H
#define VMB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define VMB_IMAGE_CACHE "/var/cache/vmbench/images"
/*
 * Virtual size of the root file system. qcow2 is sparse, so this is a
 * ceiling (what the "local" storage can fill), not what the file takes.
 */
#define VMB_IMAGE_ROOT_SIZE (16ull << 30)

/* The programs of every image (the options' NULL), and where programs
 * are looked up: the system's directories, never the caller's PATH. */
extern const char *const vmb_image_default_programs[];
#define VMB_IMAGE_PROGRAM_DIRS                                                 \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct vmb_image_opts {
    const char *cache_dir; /* NULL: VMB_IMAGE_CACHE */
    bool force;            /* rebuild even when the cache has it */
    /* Programs (names looked up in /usr/local/sbin, /usr/local/bin,
     * /usr/sbin, /usr/bin, /sbin, /bin; or paths); NULL: the defaults
     * ("redis-server", "redis-cli", and the tools above). */
    const char *const *programs;
    /*
     * Debian packages whose files go in as well, each under its host
     * path (`dpkg -L`: regular files, not documentation, manuals or
     * message translations), with the libraries of each ELF file among
     * them; an entry that starts with "/" is one file, with its
     * libraries too. NULL: none.
     */
    const char *const *packages;
};

struct vmb_image {
    char *key;      /* 16 hex digits */
    char *dir;      /* <cache>/<key> */
    char *path;     /* <cache>/<key>/root.qcow2: the base image */
    char *manifest; /* <cache>/<key>/manifest.json */
    char *tree;     /* <cache>/<key>/tree: the staged tree */
    bool built;     /* false: found in the cache */
    bool replaced;  /* force: an existing image was rebuilt */
    double build_s; /* time building took (0 when cached) */
    size_t nfiles;  /* files copied in */
    uint64_t bytes; /* their total size */
};

/* Frees the strings (NULL-safe) and zeroes img. */
void vmb_image_clear(struct vmb_image *img);

/*
 * Resolves the files, computes the key, and returns the cached image or
 * builds it (seconds: a staged tree and mke2fs -d). Builds go
 * to a temporary directory renamed into place, so concurrent callers and
 * interrupted builds never leave a half image under the key.
 */
int vmb_image_ensure(const struct vmb_image_opts *opts, struct vmb_image *out,
                     struct vmb_error **err);

/*
 * Only resolves and hashes (no build): fills key/dir/path/manifest,
 * nfiles, bytes, and built=false. *cached tells whether the image exists.
 */
int vmb_image_probe(const struct vmb_image_opts *opts, struct vmb_image *out,
                    bool *cached, struct vmb_error **err);

/*
 * Creates a qcow2 overlay at path backed by base (a qcow2 file, absolute
 * path; it is only read). Replaces an existing file at path.
 */
int vmb_image_overlay_create(const char *base, const char *path,
                             struct vmb_error **err);

/*
 * Creates a data volume of size_bytes at path, formatted ext4 and empty
 * (inode tables initialised now, so the guest kernel does not write them
 * in the background during a measurement). qcow2 when path ends in
 * ".qcow2", else raw (sparse). Made with the host's mke2fs.
 */
int vmb_image_data_volume_create(const char *path, uint64_t size_bytes,
                                 struct vmb_error **err);

#endif
