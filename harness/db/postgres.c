/*
 * The PostgreSQL driver: postgresql.conf from the database options, node 1
 * a primary made by initdb, node 2 a streaming replica made by a base
 * backup of node 1 (pg_basebackup, its own replication slot), readiness
 * and replication checks through the blocking PostgreSQL client of
 * protocols/pg.h.
 *
 * The data directory is <node's data dir>/pgdata, so a data volume's
 * lost+found never makes initdb refuse it. Both nodes trust every
 * address of the run's host-only network: the superuser "postgres",
 * database "postgres", no password.
 */
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/units.h"
#include "base/util.h"
#include "db/db.h"
#include "protocols/pg.h"

#define POLL_NS (50ull * 1000000ull)
#define SUPERUSER "postgres"
#define DBNAME "postgres"
#define SLOT "vmb_node2"
#define STANDBY_NAME "node2"
#define PGDATA "pgdata"
/* Each log line carries its SQLSTATE, which is what the log is read for. */
#define LOG_PREFIX "%m [%p] %e "

/* Where Debian installs the server: /usr/lib/postgresql/<major>/bin. */
#define PG_LIB_ROOT "/usr/lib/postgresql"

/*
 * The bin directory of the newest PostgreSQL installed the Debian way
 * under root ("" for this host), or NULL when there is none (the
 * programs are then looked up in PATH).
 */
static char *
pg_bindir(const char *root)
{
    autofree char *lib = vmb_xasprintf("%s" PG_LIB_ROOT, root);
    DIR *d = opendir(lib);
    if (d == NULL)
        return NULL;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end = NULL;
        long v = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || v <= best)
            continue;
        autofree char *p = vmb_xasprintf("%s/%s/bin/postgres", lib, e->d_name);
        if (access(p, X_OK) == 0)
            best = v;
    }
    closedir(d);
    return best < 0 ? NULL : vmb_xasprintf("%s/%ld/bin", lib, best);
}

/* The path of a PostgreSQL program, or its bare name. */
static char *
pg_program(const char *name)
{
    autofree char *dir = pg_bindir("");
    return dir ? vmb_xasprintf("%s/%s", dir, name) : vmb_xstrdup(name);
}

/*
 * A postgresql.conf string: single-quoted, with ' doubled and \ escaped,
 * so the server's parser reads back exactly these bytes (the option
 * engine already refused control characters).
 */
static void
put_quoted(struct vmb_buf *out, const char *v)
{
    vmb_buf_puts(out, "'");
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\'')
            vmb_buf_puts(out, "''");
        else if (*p == '\\')
            vmb_buf_puts(out, "\\\\");
        else
            vmb_buf_append(out, p, 1);
    }
    vmb_buf_puts(out, "'");
}

static void
put_setting(struct vmb_buf *out, const char *name, const char *v)
{
    vmb_buf_printf(out, "%s = ", name);
    put_quoted(out, v);
    vmb_buf_puts(out, "\n");
}

/* A libpq connection-string value: quoted, ' and \ escaped. */
static void
put_conninfo_value(struct vmb_buf *out, const char *v)
{
    vmb_buf_puts(out, "'");
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || *p == '\\')
            vmb_buf_puts(out, "\\");
        vmb_buf_append(out, p, 1);
    }
    vmb_buf_puts(out, "'");
}

static char *
pgdata_of(const struct vmb_db_node *node)
{
    return vmb_xasprintf("%s/" PGDATA, node->data_dir);
}

static void
pg_render_config(const struct vmb_database_opts *db,
                 const struct vmb_db_node *node, struct vmb_buf *out)
{
    autofree char *pgdata = pgdata_of(node);
    autofree char *hba = vmb_xasprintf("%s/pg_hba.conf", pgdata);
    autofree char *ident = vmb_xasprintf("%s/pg_ident.conf", pgdata);
    vmb_buf_printf(out,
                   "# postgresql.conf of node %d (%s), written by vmbench\n",
                   node->index, node->primary_host ? "replica" : "primary");
    put_setting(out, "data_directory", pgdata);
    put_setting(out, "hba_file", hba);
    put_setting(out, "ident_file", ident);
    /* 0.0.0.0 is every IPv4 address to PostgreSQL as to bind(2). */
    put_setting(out, "listen_addresses", node->listen);
    vmb_buf_printf(out, "port = %d\n", node->port);
    /* TCP only: a socket path under a long data directory would not fit
     * sun_path, and nothing of vmbench needs one. */
    put_setting(out, "unix_socket_directories", "");
    /* SysV needs no /dev/shm, which a container root may lack. */
    put_setting(out, "dynamic_shared_memory_type", "sysv");
    /* The runtime captures stderr as the node's database log. */
    put_setting(out, "logging_collector", "off");
    put_setting(out, "log_destination", "stderr");
    put_setting(out, "log_line_prefix", LOG_PREFIX);
    put_setting(out, "log_timezone", "UTC");
    put_setting(out, "timezone", "UTC");
    put_setting(out, "lc_messages", "C");
    put_setting(out, "wal_level", "replica");
    put_setting(out, "max_wal_senders", "4");
    put_setting(out, "max_replication_slots", "4");
    put_setting(out, "hot_standby", "on");
    /* No LLVM in the guest image; the same on bare metal, to compare. */
    put_setting(out, "jit", "off");
    vmb_buf_puts(out, "# database options\n");
    put_setting(out, "max_connections", db->max_connections);
    put_setting(out, "shared_buffers", db->shared_buffers);
    put_setting(out, "synchronous_commit", db->synchronous_commit);
    put_setting(out, "fsync", db->fsync);
    put_setting(out, "full_page_writes", db->full_page_writes);
    put_setting(out, "wal_sync_method", db->wal_sync_method);
    put_setting(out, "checkpoint_timeout", db->checkpoint_timeout);
    put_setting(out, "max_wal_size", db->max_wal_size);
    put_setting(out, "wal_compression", db->wal_compression);
    if (node->primary_host == NULL) {
        /* database.sync_replica: commits wait for node 2. */
        put_setting(out, "synchronous_standby_names",
                    db->sync_replica ? STANDBY_NAME : "");
        return;
    }
    vmb_buf_puts(out, "# replication from node 1\n");
    struct vmb_buf ci = {0};
    vmb_buf_puts(&ci, "host=");
    put_conninfo_value(&ci, node->primary_host);
    vmb_buf_printf(&ci,
                   " port=%d user=" SUPERUSER " application_name=" STANDBY_NAME,
                   node->primary_port);
    put_setting(out, "primary_conninfo", ci.data);
    vmb_buf_free(&ci);
    put_setting(out, "primary_slot_name", SLOT);
}

static char **
pg_argv(const char *conf_path)
{
    /* The log's language and line prefix on the command line, so that
     * they hold from the first line, before the configuration file (which
     * may be what fails) is read. */
    char **argv = vmb_xcalloc(8, sizeof(char *));
    argv[0] = pg_program("postgres");
    argv[1] = vmb_xstrdup("-c");
    argv[2] = vmb_xasprintf("config_file=%s", conf_path);
    argv[3] = vmb_xstrdup("-c");
    argv[4] = vmb_xstrdup("lc_messages=C");
    argv[5] = vmb_xstrdup("-c");
    argv[6] = vmb_xstrdup("log_line_prefix=" LOG_PREFIX);
    return argv;
}

/*
 * initdb on node 1, then the rules that let node 2 and the load generator
 * in from the run's network; a base backup of node 1 on node 2, made a
 * standby. A shell runs the steps, every path and address given as its
 * own argument, never spliced into the script.
 */
static const char init_primary[] =
    "set -e\n"
    "\"$1\" -D \"$2\" -U " SUPERUSER " --auth=trust -E UTF8 --locale=C "
    "--no-sync --no-instructions\n"
    "printf 'host all all all trust\\nhost replication all all trust\\n' "
    ">> \"$2/pg_hba.conf\"\n";

static const char init_replica[] =
    "set -e\n"
    "\"$1\" -D \"$2\" -h \"$3\" -p \"$4\" -U " SUPERUSER
    " -X stream -C -S " SLOT " -c fast --no-sync -v\n"
    ": > \"$2/standby.signal\"\n";

static char **
pg_init_argv(const struct vmb_database_opts *db, const struct vmb_db_node *node)
{
    (void)db;
    char **argv = vmb_xcalloc(9, sizeof(char *));
    bool primary = node->primary_host == NULL;
    argv[0] = vmb_xstrdup("sh");
    argv[1] = vmb_xstrdup("-c");
    argv[2] = vmb_xstrdup(primary ? init_primary : init_replica);
    argv[3] = vmb_xstrdup("sh");
    argv[4] = pg_program(primary ? "initdb" : "pg_basebackup");
    argv[5] = pgdata_of(node);
    if (!primary) {
        argv[6] = vmb_xstrdup(node->primary_host);
        argv[7] = vmb_xasprintf("%d", node->primary_port);
    }
    return argv;
}

/*
 * The SQLSTATE of a log line written with LOG_PREFIX ("... [pid] CODE
 * SEVERITY:  text"), copied into code; false for a line without one
 * (written before logging was set up, or not by the server's logger).
 */
static bool
log_line_sqlstate(const char *line, size_t len, char code[6])
{
    const char *p = memmem(line, len, "] ", 2);
    if (p == NULL)
        return false;
    p += 2;
    size_t left = len - (size_t)(p - line);
    if (left < 7 || p[5] != ' ')
        return false;
    for (int i = 0; i < 5; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
            return false;
    memcpy(code, p, 5);
    code[5] = '\0';
    return true;
}

/*
 * Why a server that would not start stopped, from its log: the first line
 * with an error's SQLSTATE (not 00000, not a warning's class 01), with the
 * lines of the same report after it (its DETAIL and HINT: same process,
 * same code). PostgreSQL logs a rejected setting as
 *   ... [7] 22023 LOG:  invalid value for parameter "fsync": "maybe"
 *   ... [7] 22023 HINT:  Available values: ...
 *   ... [7] F0000 FATAL:  configuration file "/x.conf" contains errors
 * so the setting's own message comes first. The text kept starts after
 * the severity's two-space separator on the first line and at the
 * severity on the others.
 */
static char *
startup_error(const char *log)
{
    if (log == NULL)
        return NULL;
    struct vmb_buf b = {0};
    char first[6] = "", pid[32] = "";
    for (const char *l = log; *l;) {
        size_t n = strcspn(l, "\n");
        char code[6];
        const char *next = l + n + (l[n] == '\n');
        if (!log_line_sqlstate(l, n, code)) {
            if (first[0])
                break;
            l = next;
            continue;
        }
        const char *open = memchr(l, '[', n);
        const char *close = memmem(l, n, "] ", 2);
        size_t plen = open && close > open ? (size_t)(close - open) : 0;
        const char *text = close + 2 + 6;
        size_t tlen = n - (size_t)(text - l);
        if (!first[0]) {
            if (strcmp(code, "00000") == 0 || strncmp(code, "01", 2) == 0) {
                l = next;
                continue;
            }
            memcpy(first, code, sizeof(first));
            snprintf(pid, sizeof(pid), "%.*s", (int)plen, open ? open : "");
            const char *sep = memmem(text, tlen, ":  ", 3);
            if (sep != NULL) {
                tlen -= (size_t)(sep + 3 - text);
                text = sep + 3;
            }
        } else {
            if (strcmp(code, first) != 0 || strlen(pid) != plen ||
                strncmp(open, pid, plen) != 0)
                break;
            vmb_buf_puts(&b, "; ");
        }
        vmb_buf_printf(&b, "%.*s", (int)tlen, text);
        l = next;
    }
    return b.len ? vmb_buf_steal(&b) : NULL;
}

static int
fail_exited(const struct vmb_db_watch *watch, int node, const char *why,
            struct vmb_error **err)
{
    return vmb_db_exited_error(watch, node, "postgres", why,
                               "postgres said: ", startup_error, err);
}

/* Microseconds left before deadline, at most 2 s, at least 1 ms. */
static uint64_t
us_left(uint64_t deadline)
{
    uint64_t now = vmb_now_ns();
    uint64_t us = now >= deadline ? 0 : (deadline - now) / 1000ull;
    return us < 1000 ? 1000 : us > 2000000 ? 2000000 : us;
}

/* One query on a fresh or kept connection; drops it on error. */
static int
query(struct vmb_pg_client **c, const struct vmb_db_node *node,
      uint64_t deadline, const char *sql, struct vmb_pg_rows *rows, char **last)
{
    vmb_autoerr struct vmb_error *e = NULL;
    bool ok = *c != NULL ||
              vmb_pg_client_connect(node->host, node->port, SUPERUSER, DBNAME,
                                    us_left(deadline), c, &e) >= 0;
    if (ok && vmb_pg_client_query(*c, sql, us_left(deadline), rows, &e) < 0) {
        vmb_pg_client_close(*c);
        *c = NULL;
        ok = false;
    }
    if (ok)
        return 0;
    free(*last);
    *last = vmb_xstrdup(e->msg);
    return -1;
}

struct pg_wait {
    const struct vmb_db_node *primary, *replica;
    struct vmb_pg_client *pc, *rc;
    uint64_t target; /* the primary's WAL position the replica must reach */
    uint64_t t0;
    struct vmb_db_lag *lag;
};

static void
pg_wait_close(struct pg_wait *w)
{
    vmb_pg_client_close(w->pc);
    vmb_pg_client_close(w->rc);
}

static int
attempt_up(void *ctx, uint64_t deadline, char **last, struct vmb_error **err)
{
    (void)err;
    struct pg_wait *w = ctx;
    struct vmb_pg_rows r = {0};
    int rc = query(&w->pc, w->primary, deadline, "SELECT 1", &r, last);
    vmb_pg_rows_clear(&r);
    return rc == 0;
}

static int
pg_wait_up(const struct vmb_db_node *node, uint64_t timeout_us,
           const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct pg_wait w = {.primary = node};
    struct vmb_db_poll p = {
        .watch = watch,
        .exited = fail_exited,
        .nodes = {node->index},
        .blame = node->index,
        .what = "postgres did not answer",
        .timeout_us = timeout_us,
        .poll_ns = POLL_NS,
        .attempt = attempt_up,
        .ctx = &w,
    };
    int rc = vmb_db_poll_until(&p, err);
    pg_wait_close(&w);
    return rc;
}

/* A WAL location as PostgreSQL writes it ("16/B374D848") into a byte
 * position; -1 when s is not one. */
static int
parse_lsn(const char *s, uint64_t *out)
{
    if (s == NULL)
        return -1;
    unsigned int hi = 0, lo = 0;
    int n = 0;
    if (sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 || s[n] != '\0')
        return -1;
    *out = ((uint64_t)hi << 32) | lo;
    return 0;
}

/*
 * Node 2 is in sync once the primary lists it in pg_stat_replication as
 * streaming with everything it has written replayed, and node 2 is in
 * recovery (a standby, not a second primary).
 */
static bool
in_sync(const struct vmb_pg_rows *p, const struct vmb_pg_rows *r, char **last)
{
    const char *recovery = vmb_pg_rows_value(r, 0, 0);
    const char *state = vmb_pg_rows_value(p, 0, 0);
    const char *sync = vmb_pg_rows_value(p, 0, 1);
    const char *replay = vmb_pg_rows_value(p, 0, 2);
    const char *current = vmb_pg_rows_value(p, 0, 3);
    uint64_t rl = 0, cl = 0;
    bool ok = recovery && strcmp(recovery, "t") == 0 && state &&
              strcmp(state, "streaming") == 0 && parse_lsn(replay, &rl) == 0 &&
              parse_lsn(current, &cl) == 0 && rl >= cl;
    free(*last);
    if (p->nrows == 0)
        *last = vmb_xstrdup("node 1 lists no standby in pg_stat_replication");
    else
        *last = vmb_xasprintf(
            "pg_stat_replication state:%s sync_state:%s replay_lsn:%s "
            "primary at %s; node 2 in recovery:%s",
            state ? state : "?", sync ? sync : "?", replay ? replay : "?",
            current ? current : "?", recovery ? recovery : "?");
    return ok;
}

static int
attempt_in_sync(void *ctx, uint64_t deadline, char **last,
                struct vmb_error **err)
{
    (void)err;
    static const char primary_sql[] =
        "SELECT state, sync_state, replay_lsn, pg_current_wal_lsn() "
        "FROM pg_stat_replication WHERE application_name = '" STANDBY_NAME "'";
    struct pg_wait *w = ctx;
    struct vmb_pg_rows p = {0}, r = {0};
    bool ok = query(&w->rc, w->replica, deadline, "SELECT pg_is_in_recovery()",
                    &r, last) == 0 &&
              query(&w->pc, w->primary, deadline, primary_sql, &p, last) == 0 &&
              in_sync(&p, &r, last);
    vmb_pg_rows_clear(&p);
    vmb_pg_rows_clear(&r);
    return ok;
}

static int
pg_wait_replicating(const struct vmb_db_node *primary,
                    const struct vmb_db_node *replica, uint64_t timeout_us,
                    const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct pg_wait w = {.primary = primary, .replica = replica};
    struct vmb_db_poll p = {
        .watch = watch,
        .exited = fail_exited,
        .nodes = {primary->index, replica->index},
        .blame = replica->index,
        .what = "replica did not reach sync with node 1",
        .timeout_us = timeout_us,
        .poll_ns = POLL_NS,
        .attempt = attempt_in_sync,
        .ctx = &w,
    };
    int rc = vmb_db_poll_until(&p, err);
    pg_wait_close(&w);
    return rc;
}

/* A single LSN from a one-value query. */
static int
lsn_of(struct vmb_pg_client **c, const struct vmb_db_node *node,
       uint64_t deadline, const char *sql, uint64_t *lsn, char **last)
{
    struct vmb_pg_rows r = {0};
    if (query(c, node, deadline, sql, &r, last) < 0)
        return -1;
    int rc = parse_lsn(vmb_pg_rows_value(&r, 0, 0), lsn);
    if (rc < 0) {
        free(*last);
        *last = vmb_xasprintf(
            "%s answered \"%s\"", sql,
            vmb_pg_rows_value(&r, 0, 0) ? vmb_pg_rows_value(&r, 0, 0) : "NULL");
    }
    vmb_pg_rows_clear(&r);
    return rc;
}

static int
attempt_caught_up(void *ctx, uint64_t deadline, char **last,
                  struct vmb_error **err)
{
    (void)err;
    struct pg_wait *w = ctx;
    uint64_t at = 0;
    if (lsn_of(&w->rc, w->replica, deadline, "SELECT pg_last_wal_replay_lsn()",
               &at, last) < 0)
        return 0;
    if (w->lag->bytes < 0)
        w->lag->bytes = at < w->target ? (int64_t)(w->target - at) : 0;
    if (at >= w->target) {
        w->lag->s = (double)(vmb_now_ns() - w->t0) / 1e9;
        return 1;
    }
    free(*last);
    *last = vmb_xasprintf("replica replayed to %X/%X of %X/%X",
                          (unsigned)(at >> 32), (unsigned)at,
                          (unsigned)(w->target >> 32), (unsigned)w->target);
    return 0;
}

static int
pg_replication_lag(const struct vmb_db_node *primary,
                   const struct vmb_db_node *replica, uint64_t timeout_us,
                   struct vmb_db_lag *lag, struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    struct pg_wait w = {.primary = primary, .replica = replica, .lag = lag};
    autofree char *last = NULL;
    int rc = -1;
    lag->bytes = -1;
    /* Connections first: starting a backend is not replication lag. */
    struct vmb_pg_rows r1 = {0}, r2 = {0};
    int q1 = query(&w.pc, primary, deadline, "SELECT 1", &r1, &last);
    int q2 =
        q1 < 0 ? -1 : query(&w.rc, replica, deadline, "SELECT 1", &r2, &last);
    vmb_pg_rows_clear(&r1);
    vmb_pg_rows_clear(&r2);
    w.t0 = vmb_now_ns();
    if (q2 < 0) {
        vmb_error_set(err, VMB_ERR_RUN, 0, "measure the replication lag: %s",
                      last);
    } else if (lsn_of(&w.pc, primary, deadline, "SELECT pg_current_wal_lsn()",
                      &w.target, &last) < 0) {
        vmb_error_set(err, VMB_ERR_RUN, 0, "node 1: read the WAL position: %s",
                      last);
    } else {
        struct vmb_db_poll p = {
            .blame = replica->index,
            .what = "replica did not catch up with node 1",
            .timeout_us = timeout_us,
            .poll_ns = 1000000ull,
            .attempt = attempt_caught_up,
            .ctx = &w,
        };
        rc = vmb_db_poll_until(&p, err);
    }
    pg_wait_close(&w);
    return rc;
}

static void
put_escaped(struct vmb_buf *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\t')
            vmb_buf_puts(b, "\\t");
        else if (*p == '\n')
            vmb_buf_puts(b, "\\n");
        else if (*p == '\\')
            vmb_buf_puts(b, "\\\\");
        else
            vmb_buf_append(b, p, 1);
    }
}

static int
pg_settings(const struct vmb_db_node *node, uint64_t timeout_us, char **text,
            struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    struct vmb_pg_client *c = NULL;
    autofree char *last = NULL;
    struct vmb_pg_rows r = {0};
    int rc = query(&c, node, deadline, "SHOW ALL", &r, &last);
    vmb_pg_client_close(c);
    if (rc < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: SHOW ALL: %s",
                             node->index, last);
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "name\tsetting\n");
    for (size_t i = 0; i < r.nrows; i++) {
        put_escaped(&b, vmb_pg_rows_value(&r, i, 0));
        vmb_buf_puts(&b, "\t");
        put_escaped(&b, vmb_pg_rows_value(&r, i, 1));
        vmb_buf_puts(&b, "\n");
    }
    vmb_pg_rows_clear(&r);
    *text = vmb_buf_steal(&b);
    return 0;
}

static char *
pg_load_url(const struct vmb_db_node *node)
{
    bool v6 = strchr(node->host, ':') != NULL;
    return vmb_xasprintf("postgres://" SUPERUSER "@%s%s%s:%d/" DBNAME,
                         v6 ? "[" : "", node->host, v6 ? "]" : "", node->port);
}

static char *
pg_version(void)
{
    autofree char *prog = pg_program("postgres");
    autofree char *cmd = vmb_xasprintf("'%s' --version 2>/dev/null", prog);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    char line[256] = "";
    if (fgets(line, sizeof(line), p) == NULL)
        line[0] = '\0';
    pclose(p);
    /* "postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)" */
    const char *v = strstr(line, ") ");
    if (v == NULL)
        return NULL;
    v += 2;
    size_t n = strcspn(v, " \n");
    return n ? vmb_xstrndup(v, n) : NULL;
}

/*
 * The server and initdb with its share files, pg_basebackup, and the one
 * time zone file the configuration names (Debian's PostgreSQL reads the
 * system's time zone data).
 */
static const char *const image_packages[] = {
    "postgresql-15",
    "postgresql-client-15",
    "/usr/share/zoneinfo/UTC",
    NULL,
};

static const char *const host_programs[] = {"postgres", "initdb",
                                            "pg_basebackup", NULL};

const struct vmb_db_driver vmb_db_postgres = {
    .name = "postgres",
    .engine = VMB_ENGINE_POSTGRES,
    .binary = "postgres",
    .conf_name = "postgresql.conf",
    .user = "postgres",
    /* SIGINT is the fast shutdown: clients cut, a checkpoint written. */
    .stop_signal = SIGINT,
    .stop_grace_s = 60,
    .settings_name = "settings.tsv",
    .image_packages = image_packages,
    .host_programs = host_programs,
    .install = "`apt-get install postgresql`",
    .program_dir = pg_bindir,
    .render_config = pg_render_config,
    .argv = pg_argv,
    .init_argv = pg_init_argv,
    .wait_up = pg_wait_up,
    .wait_replicating = pg_wait_replicating,
    .replication_lag = pg_replication_lag,
    .settings = pg_settings,
    .load_url = pg_load_url,
    .version = pg_version,
};
