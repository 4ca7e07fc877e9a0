/*
 * The virtiofsd of a VM node, started by vmbench as Kata's runtime starts
 * its own (src/runtime/virtcontainers/virtiofsd.go): vmbench listens on
 * the vhost-user socket, gives it to QEMU's user, and runs the daemon as
 * itself (root) with the socket inherited as fd 3 and Kata's arguments
 * (config/virtiofsd_args.h); the domain connects to the socket (libvirt's
 * <source socket=...>).
 *
 * Lifetime: vmb_virtiofsd_stop ends it; the guard process of virt.h
 * stops it if vmbench dies first; a pid file next to the socket lets the
 * next start stop what a dead run whose guard died too left running
 * (vmb_virtiofsd_reap_stale).
 */
#ifndef VMB_VM_VIRTIOFSD_H
#define VMB_VM_VIRTIOFSD_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "config/virtiofsd_args.h"

struct vmb_virtiofsd;

/*
 * The daemon a cell runs: its virtio_fs_daemon, else the first executable
 * of /usr/lib/qemu/virtiofsd and /usr/libexec/virtiofsd under root ("" or
 * NULL for /); NULL when there is none. Owned by cfg or static.
 */
const char *vmb_virtiofsd_path(const struct vmb_config *cfg, const char *root);

/*
 * The flavour of the daemon at path, from what `path --help` prints
 * (config/virtiofsd_args.h's vmb_virtiofsd_flavour_of_help), waiting at
 * most 5 s. Fails when it cannot run or its text is neither flavour's.
 */
int vmb_virtiofsd_probe(const char *path, enum vmb_virtiofsd_flavour *out,
                        struct vmb_error **err);

/* Where a node's daemon is: all paths the caller's, and kept by it. */
struct vmb_virtiofsd_params {
    const struct vmb_config *cfg;
    const char *dir;     /* the shared directory */
    const char *socket;  /* the vhost-user socket to listen on */
    const char *pidfile; /* "PID START OWNER OWNER_START PID_NS" */
    const char *log;     /* the daemon's stdout and stderr */
    uid_t qemu_uid;      /* the socket's owner: QEMU's user */
    gid_t qemu_gid;
};

/*
 * Starts the daemon: probes its flavour, builds its arguments (failing,
 * VMB_ERR_INPUT, on a word its flavour lacks), listens, forks and execs,
 * registers it with the guard, writes the pid file. Fails as well when
 * it exits within its first 100 ms, with the last line of its log.
 */
int vmb_virtiofsd_start(const struct vmb_virtiofsd_params *p,
                        struct vmb_virtiofsd **out, struct vmb_error **err);

pid_t vmb_virtiofsd_pid(const struct vmb_virtiofsd *d);

/* The last line the daemon wrote to its log (params' log), control
 * characters made visible; NULL when it wrote none. Caller frees. */
char *vmb_virtiofsd_log_tail(const struct vmb_virtiofsd *d);

/* Its command line, one argument per line as the saved QEMU command
 * line (vm.h's artefacts). Owned by d. */
const char *vmb_virtiofsd_cmdline(const struct vmb_virtiofsd *d);

/*
 * Fails (VMB_ERR_RUN) unless the daemon still runs with the command line
 * vmbench gave it (/proc/<pid>/cmdline).
 */
int vmb_virtiofsd_verify(const struct vmb_virtiofsd *d, struct vmb_error **err);

/*
 * Stops the daemon (SIGTERM, SIGKILL after 2 s, within 3 s in all),
 * removes its socket and pid file, forgets it with the guard and frees
 * d. NULL-safe. Fails when it still runs.
 */
int vmb_virtiofsd_stop(struct vmb_virtiofsd *d, struct vmb_error **err);

/*
 * Stops the daemons that runs now dead left behind: each
 * <root>/<dir>/<name>.virtiofsd.pid of this pid namespace whose owner no
 * longer runs (the pid file goes too). Returns how many it stopped.
 */
int vmb_virtiofsd_reap_stale(const char *root);

#endif
