/*
 * Another host over OpenSSH (docs/remote.md): vmbench runs nothing of
 * its own there, only sh and the engine's programs, through the user's
 * ssh with its configuration, keys and known hosts. Every connection is
 * batch mode (no password prompt), refuses an unknown or changed host
 * key (StrictHostKeyChecking=yes), and has a connect deadline; every
 * command has an overall deadline too.
 */
#ifndef VMB_REMOTE_H
#define VMB_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "config/hosts.h"
#include "db/db.h"

/* One ssh destination and its deadlines. */
struct vmb_remote {
    struct vmb_ssh_target target;
    char shown[320];             /* "ssh://user@host:port", for messages */
    uint64_t connect_timeout_us; /* per connection */
};

/* Parses dest (an ssh:// destination, config/hosts.h) into r. */
int vmb_remote_init(struct vmb_remote *r, const char *dest,
                    uint64_t connect_timeout_us, struct vmb_error **err);

/*
 * Parses a qemu+ssh:// libvirt URI (config/hosts.h's vmb_libvirt_uri_ssh)
 * into r: the host libvirt's ssh transport reaches, with its keyfile.
 */
int vmb_remote_init_libvirt(struct vmb_remote *r, const char *uri,
                            uint64_t connect_timeout_us,
                            struct vmb_error **err);

/*
 * The ssh command line that runs script under sh -c on r's host with
 * args as $1...: NULL-terminated, free with vmb_db_argv_free.
 */
char **vmb_remote_argv(const struct vmb_remote *r, const char *script,
                       const char *const *args);

/*
 * Runs script on r's host, in given on its standard input (NULL: none),
 * and waits up to the connect deadline plus timeout_us (then kills ssh).
 * *out (may be NULL) gets its standard output. Fails naming the host:
 * with ssh's own last words when the host cannot be reached or its key
 * is unknown, with the script's when it exits non-zero.
 */
int vmb_remote_run(const struct vmb_remote *r, const char *script,
                   const char *const *args, const char *in, uint64_t timeout_us,
                   char **out, struct vmb_error **err);

/* What a remote host offers a control node, read by vmb_remote_probe. */
struct vmb_remote_facts {
    char here[64];      /* this host's address as the remote host sees it */
    char there[64];     /* the remote host's address this host reached */
    char cpus[16];      /* CPUs online there */
    char missing[256];  /* the engine's programs it lacks, quoted; "" */
    bool taskset;       /* it can pin (util-linux's taskset) */
    char hostname[128]; /* uname -n there, for provenance */
    char kernel[128];   /* uname -r there */
};

/*
 * The probe's shell script for drv (may be NULL), malloc'd: run under
 * sh -c with the engine's program directory as $1, it prints one line,
 * "client|server|cpus|taskset|host name|kernel|missing programs".
 */
char *vmb_remote_probe_script(const struct vmb_db_driver *drv);

/*
 * Reads the probe's reply line (fields split by '|') into f. Fails
 * (naming the host shown) unless both addresses are IP addresses and the
 * CPU count a positive number; control bytes in the names become '?'.
 */
int vmb_remote_facts_parse(const char *shown, const char *line,
                           struct vmb_remote_facts *f, struct vmb_error **err);

/*
 * Reaches r's host once: its addresses (from ssh's SSH_CONNECTION), its
 * CPUs and which of drv's host programs it lacks (drv may be NULL).
 */
int vmb_remote_probe(const struct vmb_remote *r,
                     const struct vmb_db_driver *drv,
                     struct vmb_remote_facts *f, struct vmb_error **err);

/*
 * A fresh directory for one node on r's host (under
 * /tmp/vmbench-control, with "data" in it), its path in *dir (malloc'd).
 * Directories a lost connection left behind (their shell gone) go first:
 * the cleanup at the next start.
 */
int vmb_remote_node_dir(const struct vmb_remote *r, char **dir,
                        struct vmb_error **err);

/*
 * A fresh directory on r's host, node.XXXXXX under base with sub made in
 * it, its path in *dir (malloc'd), held by an ssh session that *h owns:
 * when h is released, when vmbench exits or dies, or when the connection
 * is lost, the host removes the directory. A directory under base whose
 * holder is gone goes before a new one is made: the cleanup at the next
 * start, when the host itself lost the holder.
 */
struct vmb_remote_hold;
int vmb_remote_hold(const struct vmb_remote *r, const char *base,
                    const char *sub, char **dir, struct vmb_remote_hold **h,
                    struct vmb_error **err);

/* Whether h's session still holds its directory (false once ssh has
 * ended: the host removes the directory then). */
bool vmb_remote_hold_alive(struct vmb_remote_hold *h);

/*
 * Ends h's session and waits up to timeout_us (Ctrl-C or not) for the
 * host to remove the directory; frees h (NULL-safe). Fails when the
 * session had ended before, or the host did not say it removed the
 * directory in time.
 */
int vmb_remote_release(struct vmb_remote_hold *h, uint64_t timeout_us,
                       struct vmb_error **err);

/*
 * Copies the tree of local here into there on r's host (made), owners
 * (by number, not by name), modes and links kept: tar here into tar
 * there over ssh, within the connect deadline plus timeout_us.
 */
int vmb_remote_put_tree(const struct vmb_remote *r, const char *local,
                        const char *there, uint64_t timeout_us,
                        struct vmb_error **err);

/* Writes text to path on r's host. */
int vmb_remote_write(const struct vmb_remote *r, const char *path,
                     const char *text, struct vmb_error **err);

/* Removes a node directory vmb_remote_node_dir made; never fails. */
void vmb_remote_node_remove(const struct vmb_remote *r, const char *dir);

/*
 * Runs argv (an engine's init step) in dir on r's host to its end within
 * timeout_us, as user ("": the ssh user; used only when that is root,
 * which then gives dir to user); *out gets its output.
 */
int vmb_remote_init_run(const struct vmb_remote *r, const char *dir,
                        const char *user, char *const *argv,
                        uint64_t timeout_us, char **out,
                        struct vmb_error **err);

/*
 * Caps the memory of a node whose directory dir vmb_remote_node_dir made
 * at bytes: a cgroup v2 group there, its path in *cgroup and its limit
 * as read back in *max. Where the host cannot (its ssh user is not root,
 * no memory controller for the root's children), *cgroup is NULL and
 * *why says why; fails only when the host cannot be reached. The group
 * goes with the node (vmb_remote_server_argv, vmb_remote_node_remove,
 * and the cleanup at the next start).
 */
int vmb_remote_cap_memory(const struct vmb_remote *r, const char *dir,
                          uint64_t bytes, char **cgroup, uint64_t *max,
                          char **why, struct vmb_error **err);

/*
 * The ssh command line that runs a server (argv) on r's host in dir,
 * pinned to cpus there ("": not pinned), in cgroup there (NULL or "":
 * none), with prog_dir ("" for none) before PATH, as user ("": the ssh
 * user; used only when that is root, which then gives dir to user). The
 * server lives as long as the command's standard input stays open: at
 * its end (vmbench closes it, exits or loses the connection) the server
 * gets sig each second and SIGKILL after grace_s, then the cgroup (what
 * is left in it killed) and dir are removed; where the cgroup cannot go,
 * dir stays without its pid file, for the cleanup at a later start to
 * remove both. Free with vmb_db_argv_free.
 */
char **vmb_remote_server_argv(const struct vmb_remote *r, const char *dir,
                              int sig, int grace_s, const char *cpus,
                              const char *prog_dir, const char *user,
                              const char *cgroup, char *const *argv);

#endif
