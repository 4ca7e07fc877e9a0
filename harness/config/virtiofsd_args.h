/*
 * virtiofsd's command line as Kata's runtime builds it
 * (src/runtime/virtcontainers/virtiofsd.go):
 *
 *   DAEMON --syslog --cache=MODE --shared-dir=DIR --fd=N EXTRA...
 *
 * EXTRA is virtio_fs_extra_args, in Kata's words, which are the Rust
 * virtiofsd's. QEMU 7.2's C virtiofsd (Debian 12's only one) spells its
 * options differently (-o cache=, -o source=, -o writeback): the words
 * with an equivalent are translated, the others refused with the reason.
 * Pure functions: nothing here runs a program.
 */
#ifndef VMB_VIRTIOFSD_ARGS_H
#define VMB_VIRTIOFSD_ARGS_H

#include <stdbool.h>

#include "base/error.h"
#include "config/config.h"

enum vmb_virtiofsd_flavour {
    VMB_VIRTIOFSD_UNKNOWN,
    VMB_VIRTIOFSD_RUST, /* virtiofsd 1.x, Kata's: --shared-dir, --cache */
    VMB_VIRTIOFSD_QEMU, /* QEMU's C virtiofsd: -o source=, -o cache= */
};

/* "rust", "qemu" or "unknown". */
const char *vmb_virtiofsd_flavour_name(enum vmb_virtiofsd_flavour f);

/*
 * The flavour of a daemon from the text its --help printed (stdout and
 * stderr together): the Rust daemon documents --shared-dir, the C one
 * "-o source=PATH"; UNKNOWN when the text has neither.
 */
enum vmb_virtiofsd_flavour vmb_virtiofsd_flavour_of_help(const char *help);

/*
 * Checks the words of virtio_fs_extra_args whatever the daemon: fails
 * (VMB_ERR_INPUT, the message starting "virtio_fs_extra_args: ") on a
 * word no virtiofsd takes as vmbench knows them, a bad value, or a word
 * vmbench sets itself (--shared-dir, --fd, --cache ...).
 */
int vmb_virtiofsd_args_check(const char *words, struct vmb_error **err);

/*
 * The daemon's whole argv (NULL-terminated; free with
 * vmb_virtiofsd_argv_free) for flavour: argv[0] daemon, then Kata's
 * arguments (--syslog where syslog is true) for the cell's
 * virtio_fs_cache, the shared directory dir and the inherited listening
 * socket fd, then virtio_fs_extra_args in the flavour's spelling. Fails
 * as vmb_virtiofsd_args_check, and on a word without an equivalent in
 * the flavour, naming the word and the reason.
 */
int vmb_virtiofsd_argv(const struct vmb_config *cfg,
                       enum vmb_virtiofsd_flavour flavour, const char *daemon,
                       const char *dir, int fd, bool syslog, char ***out,
                       struct vmb_error **err);
void vmb_virtiofsd_argv_free(char **argv);

/*
 * A cell's daemon as libvirt's own <binary> element says it, for a node
 * whose virtiofsd libvirt starts (node 2 on another host): libvirt passes
 * the socket, the directory and these; the rest is the daemon's default.
 */
struct vmb_virtiofsd_libvirt {
    const char *cache;   /* "none" or "always"; NULL: the daemon's auto */
    int threads;         /* --thread-pool-size; -1: the daemon's default */
    bool xattr;          /* --xattr */
    const char *sandbox; /* "namespace" or "chroot"; NULL: the default */
};

/*
 * Fills *out from the cell's virtio_fs_cache and virtio_fs_extra_args.
 * --announce-submounts is left out: a share there holds no mount. Fails
 * (VMB_ERR_INPUT, starting "virtio_fs_extra_args: ") as
 * vmb_virtiofsd_args_check, and on a word <binary> cannot say.
 */
int vmb_virtiofsd_libvirt(const struct vmb_config *cfg,
                          struct vmb_virtiofsd_libvirt *out,
                          struct vmb_error **err);

/* argv as one line, words separated by spaces. Caller frees. */
char *vmb_virtiofsd_argv_line(char *const *argv);

#endif
