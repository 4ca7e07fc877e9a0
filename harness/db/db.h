/*
 * Database drivers (fio-engine style): one struct of function pointers per
 * engine, listed in an explicit table. A driver knows its server's
 * configuration file, command line, readiness and replication; it does not
 * know where the server runs. A runtime (runtime.h) writes the config,
 * starts the process (on the host or in a VM) and gives the driver a watch
 * on it, so a wait can fail early with the server's own message when the
 * server exits.
 *
 * Two nodes: node 1 is the primary, node 2 replicates from node 1.
 *
 * A new engine is a file here beside redis.c and postgres.c and its entry
 * in vmb_db_drivers (db.c); its name in the engine choices of config.c
 * and any settings of its own in the database options there; its load
 * protocol in protocols/, reached through load_url. Its client library,
 * if it needs one, sits behind one file of db/ as libpq does behind
 * postgres_ctl.c. The runtimes and the run layer need nothing new: they
 * run what init_argv and argv say, as user when there is one, and put
 * image_packages into the guest image.
 */
#ifndef VMB_DB_H
#define VMB_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/util.h"
#include "config/config.h"

/* Where one node listens and keeps its data; strings are borrowed. */
struct vmb_db_node {
    int index;                /* 1 (primary) or 2 (replica) */
    const char *host;         /* address the host reaches the node at */
    int port;                 /* port it listens on, and the host reaches */
    const char *listen;       /* address the server binds to */
    const char *data_dir;     /* data directory as the server sees it */
    const char *primary_host; /* node 2: node 1 as node 2 reaches it */
    int primary_port;
};

/* The runtime's view of a node's server process, for the waits. */
struct vmb_db_watch {
    /*
     * Returns false when node's server has exited, with *why (malloc'd)
     * saying how, e.g. "exited with status 1".
     */
    bool (*alive)(void *ctx, int node, char **why);
    /* The server's log (stdout and stderr) so far, malloc'd; NULL if none. */
    char *(*log)(void *ctx, int node);
    void *ctx;
};

/* Replication lag after a writing phase. */
struct vmb_db_lag {
    double s;      /* until the replica had all the primary had */
    int64_t bytes; /* how far behind it was when measuring began; -1: unknown */
};

struct vmb_db_driver {
    const char *name; /* engine name, as in database.engine */
    int engine;       /* enum vmb_engine */
    /*
     * A tool run once per phase on node 1 (fio), not a server: no
     * configuration, no node 2, no load generator; every callback below
     * but version may be NULL.
     */
    bool tool;
    const char *binary;    /* server program, for messages */
    const char *conf_name; /* file name of the configuration file */
    /*
     * The unprivileged user the server (and its init step) runs as when
     * vmbench runs as root, e.g. "postgres"; NULL: whoever runs vmbench.
     * The runtime gives this user the node's data directory.
     */
    const char *user;
    /* The signal that stops the server cleanly, and how long it may take. */
    int stop_signal;
    int stop_grace_s;
    /*
     * NULL, or what the guest image carries for this engine beyond the
     * defaults: installed Debian packages, whose files are resolved from
     * `dpkg -L`, and absolute paths of single files (vm/image.h).
     */
    const char *const *image_packages;
    /* Artefact file name of the effective settings ("settings.tsv"). */
    const char *settings_name;
    /*
     * The programs the engine needs on this host, NULL-terminated: the
     * bare-metal control runs them, and the guest image is made from the
     * host's copies. install says how to get them (for messages).
     */
    const char *const *host_programs;
    const char *install;
    /*
     * NULL, or the directory under root ("" for this host) where the
     * engine's programs are looked for before PATH (malloc'd; NULL when
     * there is none).
     */
    char *(*program_dir)(const char *root);

    /* Renders node's configuration file from the database options. */
    void (*render_config)(const struct vmb_database_opts *db,
                          const struct vmb_db_node *node, struct vmb_buf *out);

    /*
     * The server's command line, given where its configuration file is:
     * a NULL-terminated array; free with vmb_db_argv_free.
     */
    char **(*argv)(const char *conf_path);

    /*
     * NULL, or the program that prepares node's data directory, run to
     * completion before the server's first start: a NULL-terminated
     * array (free with vmb_db_argv_free). PostgreSQL: initdb on node 1,
     * a base backup of node 1 on node 2 (node 1 is up by then).
     */
    char **(*init_argv)(const struct vmb_database_opts *db,
                        const struct vmb_db_node *node);

    /*
     * Waits until node answers (PING) within timeout_us. Fails with the
     * server's own message when it exits first (a rejected option), or on
     * timeout, with the tail of its log.
     */
    int (*wait_up)(const struct vmb_db_node *node, uint64_t timeout_us,
                   const struct vmb_db_watch *watch, struct vmb_error **err);

    /*
     * Waits until replica's link to primary is up and in sync, and the
     * primary sees it online, within timeout_us. Fails like wait_up.
     */
    int (*wait_replicating)(const struct vmb_db_node *primary,
                            const struct vmb_db_node *replica,
                            uint64_t timeout_us,
                            const struct vmb_db_watch *watch,
                            struct vmb_error **err);

    /*
     * Measures how long the replica takes, from now, to reach the
     * primary's current replication offset, and how many bytes behind it
     * was.
     */
    int (*replication_lag)(const struct vmb_db_node *primary,
                           const struct vmb_db_node *replica,
                           uint64_t timeout_us, struct vmb_db_lag *lag,
                           struct vmb_error **err);

    /*
     * NULL, or the node's effective settings as tab-separated lines
     * "name<TAB>value" (tabs, newlines and backslashes escaped as \t,
     * \n, \\), malloc'd.
     */
    int (*settings)(const struct vmb_db_node *node, uint64_t timeout_us,
                    char **text, struct vmb_error **err);

    /*
     * NULL, or the URL the load generator reaches node at, in the scheme
     * of the engine's load protocol (malloc'd); NULL: redis:// host:port.
     */
    char *(*load_url)(const struct vmb_db_node *node);

    /* The server's version on this host ("7.0.15"), malloc'd; NULL if unknown.
     */
    char *(*version)(void);
};

extern const struct vmb_db_driver *const vmb_db_drivers[];

/* The driver of an engine (enum vmb_engine); NULL if none. */
const struct vmb_db_driver *vmb_db_driver_find(int engine);

void vmb_db_argv_free(char **argv);

/*
 * Where drv's program name is on the host under root ("" for this one):
 * in drv's program directory (none when drv is NULL), else in a directory of
 * path (PATH's syntax; NULL: the environment's PATH), each joined to root.
 * Returns the path (malloc'd), or NULL when no executable is found.
 */
char *vmb_db_program_find(const struct vmb_db_driver *drv, const char *root,
                          const char *path, const char *name);

/*
 * The last `lines` non-empty lines of a log, joined with " | "; malloc'd,
 * "(empty)" when there is nothing.
 */
char *vmb_db_log_tail(const char *log, int lines);

/*
 * Fails (VMB_ERR_RUN) for a server of node that exited (why: "exited",
 * ...): with the line startup_error finds in its log (watch's), after
 * said ("postgres said: "; "" for none), or else the log's last lines.
 * "node N: SERVER WHY: SAID LINE" or "node N: SERVER WHY; log: TAIL".
 */
int vmb_db_exited_error(const struct vmb_db_watch *watch, int node,
                        const char *server, const char *why, const char *said,
                        char *(*startup_error)(const char *log),
                        struct vmb_error **err);

/*
 * Fails (VMB_ERR_RUN): node did not reach what within timeout_us; last is
 * the last answer or error seen (NULL: none), then the tail of its log.
 * The waits of every driver end this way.
 */
int vmb_db_fail_timeout(const struct vmb_db_watch *watch, int node,
                        const char *what, uint64_t timeout_us, const char *last,
                        struct vmb_error **err);

/* Sleeps ns nanoseconds (a wait's poll interval). */
void vmb_db_sleep_ns(uint64_t ns);

/*
 * One wait of a driver, polled until it holds or its deadline passes.
 * Each round checks that the watched nodes still run, that the user has
 * not interrupted, then makes one attempt; between rounds it sleeps
 * poll_ns. Every driver's waits are this loop with their own attempt.
 */
struct vmb_db_poll {
    const struct vmb_db_watch *watch; /* NULL: no exit checks */
    /* The engine's error for a watched node that exited (why: the watch's
     * words), which reads the node's log its own way. */
    int (*exited)(const struct vmb_db_watch *watch, int node, const char *why,
                  struct vmb_error **err);
    int nodes[2];     /* the watched nodes; 0 ends the list */
    int blame;        /* the node a timeout or an interruption names */
    const char *what; /* "redis-server did not answer" */
    uint64_t timeout_us;
    uint64_t poll_ns;
    /* 1: it holds; 0: not yet, *last (malloc'd, replaced) says what it
     * saw; -1: an error that ends the wait, *err set. */
    int (*attempt)(void *ctx, uint64_t deadline_ns, char **last,
                   struct vmb_error **err);
    void *ctx;
};

/* 0 once the attempt holds; -1 with *err set (timeout, exit, error). */
int vmb_db_poll_until(const struct vmb_db_poll *p, struct vmb_error **err);

/*
 * A server setting the node runs with whose effect its data placement
 * silently drops (O_DIRECT on a shared filesystem that does not pass it
 * through): the server reports the value, the storage does not do it.
 */
struct vmb_db_ignored {
    const char *setting; /* the server's name for it; static */
    char *value;         /* the effective value as read back */
    const char *why;     /* one clause saying why; static */
};

/*
 * The settings in a node's effective settings text (the settings
 * callback's format) that placement ignores for cfg's engine:
 * placement is the enum vmb_storage vmb_config_placement gives for a
 * VM, or -1 for a bare-metal node on the host's own filesystem (no
 * rule). cfg's knobs that change the answer (virtio_fs_extra_args's
 * --allow-direct-io) are taken into account. Returns how many, with
 * *out malloc'd (free with vmb_db_ignored_free); 0 with *out NULL for
 * none.
 */
size_t vmb_db_ignored_settings(const struct vmb_config *cfg, int placement,
                               const char *settings,
                               struct vmb_db_ignored **out);
void vmb_db_ignored_free(struct vmb_db_ignored *v, size_t n);

#endif
