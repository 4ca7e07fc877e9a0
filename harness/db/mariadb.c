/*
 * The MariaDB driver: my.cnf from the database options, node 1 a primary
 * with the binary log, node 2 a replica by GTID (MASTER_USE_GTID =
 * slave_pos), readiness, replication and settings through the blocking
 * MySQL client of protocols/mysql.h.
 *
 * Each node's datadir is made fresh by mariadb-install-db (<node's data
 * dir>/mariadb). The replica starts from an empty primary, before the
 * data load: both datadirs are the same system tables, the primary's
 * binary log holds nothing yet (the init file that makes vmbench's user
 * runs with sql_log_bin off), so node 2 needs no snapshot of node 1 (no
 * mariabackup in the guest image, no copy over the run's network), and
 * the prepare step reaches node 2 through replication like any later
 * write. The replica is pointed at node 1 once it answers, by CHANGE
 * MASTER TO in wait_replicating: MariaDB has no configuration-file form
 * of it.
 *
 * Both nodes let in "vmbench"@"%" without a password, with every
 * privilege, and have a database "vmbench", which the load generator
 * uses.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/units.h"
#include "base/util.h"
#include "db/db.h"
#include "protocols/mysql.h"

#define POLL_NS (50ull * 1000000ull)
#define USER "vmbench"
#define DBNAME "vmbench"
#define DATADIR "mariadb"
#define INIT_SQL "vmb-init.sql"

static char *
my_bindir(const char *root)
{
    autofree char *p = vmb_xasprintf("%s/usr/sbin/mariadbd", root);
    return access(p, X_OK) == 0 ? vmb_xasprintf("%s/usr/sbin", root) : NULL;
}

/* The path of a MariaDB program: /usr/sbin first, then PATH. */
static char *
program(const char *name)
{
    autofree char *dir = my_bindir("");
    autofree char *in = dir ? vmb_xasprintf("%s/%s", dir, name) : NULL;
    if (in != NULL && access(in, X_OK) == 0)
        return vmb_xstrdup(in);
    char *p = vmb_db_program_find(NULL, "", NULL, name);
    return p ? p : vmb_xstrdup(name);
}

static char *
datadir_of(const struct vmb_db_node *node)
{
    return vmb_xasprintf("%s/" DATADIR, node->data_dir);
}

/*
 * An option-file setting, its value double-quoted with \ and " escaped,
 * so that a '#' or ';' in it is not a comment and its bytes reach the
 * server as written (the option engine already refused control
 * characters, and so line breaks).
 */
static void
put(struct vmb_buf *out, const char *name, const char *v)
{
    vmb_buf_printf(out, "%s = \"", name);
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            vmb_buf_puts(out, "\\");
        vmb_buf_append(out, p, 1);
    }
    vmb_buf_puts(out, "\"\n");
}

static void
my_render_config(const struct vmb_database_opts *db,
                 const struct vmb_db_node *node, struct vmb_buf *out)
{
    bool primary = node->primary_host == NULL;
    autofree char *dd = datadir_of(node);
    autofree char *pid = vmb_xasprintf("%s/mariadbd.pid", dd);
    autofree char *init = vmb_xasprintf("%s/" INIT_SQL, dd);
    vmb_buf_printf(out, "# my.cnf of node %d (%s), written by vmbench\n",
                   node->index, primary ? "primary" : "replica");
    vmb_buf_puts(out, "[mariadbd]\n");
    put(out, "datadir", dd);
    vmb_buf_printf(out, "port = %d\n", node->port);
    put(out, "bind-address", node->listen);
    /* Relative to the datadir, where the server runs: a socket path
     * under a long results directory would not fit sun_path. */
    put(out, "socket", "mysqld.sock");
    put(out, "pid-file", pid);
    /* No DNS in the run's network: grants by address. */
    put(out, "skip-name-resolve", "ON");
    put(out, "init-file", init);
    put(out, "lc-messages", "en_US");
    vmb_buf_printf(out, "server-id = %d\n", node->index);
    if (primary)
        put(out, "log-bin", "mariadb-bin");
    vmb_buf_puts(out, "# database options\n");
    put(out, "max_connections", db->max_connections);
    put(out, "innodb_buffer_pool_size", db->innodb_buffer_pool_size);
    put(out, "innodb_flush_log_at_trx_commit",
        db->innodb_flush_log_at_trx_commit);
    put(out, "sync_binlog", db->sync_binlog);
    put(out, "innodb_flush_method", db->innodb_flush_method);
    put(out, "innodb_doublewrite", db->innodb_doublewrite);
    put(out, "innodb_io_capacity", db->innodb_io_capacity);
    put(out, "innodb_log_file_size", db->innodb_log_file_size);
    put(out, "binlog_format", db->binlog_format);
    /* database.sync_replica: commits wait for node 2's acknowledgement. */
    if (db->sync_replica)
        put(out,
            primary ? "rpl_semi_sync_master_enabled"
                    : "rpl_semi_sync_slave_enabled",
            "ON");
}

static char **
my_argv(const char *conf_path)
{
    /* --defaults-file must come first; the log goes to stderr, which the
     * runtime keeps as the node's database log. */
    char **argv = vmb_xcalloc(3, sizeof(char *));
    argv[0] = program("mariadbd");
    argv[1] = vmb_xasprintf("--defaults-file=%s", conf_path);
    return argv;
}

/*
 * mariadb-install-db, then the init file each start runs: vmbench's user
 * and database, kept out of the binary log so that the replica starts
 * from a primary with nothing to send.
 */
static const char init_script[] =
    "set -e\n"
    "\"$1\" --no-defaults --datadir=\"$2\" --skip-test-db "
    "--skip-name-resolve --auth-root-authentication-method=normal\n"
    "printf '%s\\n' 'SET SESSION sql_log_bin = 0;' "
    "\"CREATE USER IF NOT EXISTS '" USER "'@'%';\" "
    "\"GRANT ALL ON *.* TO '" USER "'@'%' WITH GRANT OPTION;\" "
    "'CREATE DATABASE IF NOT EXISTS " DBNAME ";' > \"$2/" INIT_SQL "\"\n";

static char **
my_init_argv(const struct vmb_database_opts *db, const struct vmb_db_node *node)
{
    (void)db;
    char **argv = vmb_xcalloc(7, sizeof(char *));
    argv[0] = vmb_xstrdup("sh");
    argv[1] = vmb_xstrdup("-c");
    argv[2] = vmb_xstrdup(init_script);
    argv[3] = vmb_xstrdup("sh");
    argv[4] = program("mariadb-install-db");
    argv[5] = datadir_of(node);
    return argv;
}

/*
 * Why a server that would not start stopped: its [ERROR] lines (a
 * rejected setting reads "[ERROR] mariadbd: unknown variable
 * 'innodb_flush_method=x'"), "Aborting" left out, up to three.
 */
static char *
startup_error(const char *log)
{
    if (log == NULL)
        return NULL;
    struct vmb_buf b = {0};
    int n = 0;
    for (const char *l = log; *l && n < 3;) {
        size_t len = strcspn(l, "\n");
        const char *e = memmem(l, len, "[ERROR] ", 8);
        if (e != NULL) {
            const char *text = e + 8;
            size_t tl = len - (size_t)(text - l);
            if (!(tl == 8 && strncmp(text, "Aborting", 8) == 0)) {
                vmb_buf_printf(&b, "%s%.*s", n ? "; " : "", (int)tl, text);
                n++;
            }
        }
        l += len + (l[len] == '\n');
    }
    return b.len ? vmb_buf_steal(&b) : NULL;
}

static int
fail_exited(const struct vmb_db_watch *watch, int node, const char *why,
            struct vmb_error **err)
{
    return vmb_db_exited_error(watch, node, "mariadbd", why,
                               "mariadbd said: ", startup_error, err);
}

/* Microseconds left before deadline, at most 2 s, at least 1 s (the
 * client library's unit). */
static uint64_t
us_left(uint64_t deadline)
{
    uint64_t now = vmb_now_ns();
    uint64_t us = now >= deadline ? 0 : (deadline - now) / 1000ull;
    return us < 1000000 ? 1000000 : us > 2000000 ? 2000000 : us;
}

/* One query on a fresh or kept connection; drops it on error. */
static int
query(struct vmb_mysql_client **c, const struct vmb_db_node *node,
      uint64_t deadline, const char *sql, struct vmb_mysql_rows *rows,
      char **last)
{
    vmb_autoerr struct vmb_error *e = NULL;
    bool ok = *c != NULL ||
              vmb_mysql_client_connect(node->host, node->port, USER, NULL, NULL,
                                       us_left(deadline), c, &e) >= 0;
    if (ok &&
        vmb_mysql_client_query(*c, sql, us_left(deadline), rows, &e) < 0) {
        vmb_mysql_client_close(*c);
        *c = NULL;
        ok = false;
    }
    if (ok)
        return 0;
    free(*last);
    *last = vmb_xstrdup(e->msg);
    return -1;
}

struct my_wait {
    const struct vmb_db_node *primary, *replica;
    const struct vmb_database_opts *db;
    struct vmb_mysql_client *pc, *rc;
    char *target; /* the primary's GTID position the replica must reach */
    int64_t target_pos;
    char *target_file;
    uint64_t t0;
    struct vmb_db_lag *lag;
};

static void
my_wait_close(struct my_wait *w)
{
    vmb_mysql_client_close(w->pc);
    vmb_mysql_client_close(w->rc);
    free(w->target);
    free(w->target_file);
}

static int
attempt_up(void *ctx, uint64_t deadline, char **last, struct vmb_error **err)
{
    (void)err;
    struct my_wait *w = ctx;
    struct vmb_mysql_rows r = {0};
    int rc = query(&w->pc, w->primary, deadline, "SELECT 1", &r, last);
    vmb_mysql_rows_clear(&r);
    return rc == 0;
}

static int
my_wait_up(const struct vmb_db_node *node, uint64_t timeout_us,
           const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct my_wait w = {.primary = node};
    struct vmb_db_poll p = {
        .watch = watch,
        .exited = fail_exited,
        .nodes = {node->index},
        .blame = node->index,
        .what = "mariadbd did not answer",
        .timeout_us = timeout_us,
        .poll_ns = POLL_NS,
        .attempt = attempt_up,
        .ctx = &w,
    };
    int rc = vmb_db_poll_until(&p, err);
    my_wait_close(&w);
    return rc;
}

/*
 * Whether GTID position have ("0-1-42,1-1-7") holds every domain of want
 * at least as far; an empty want is held by anything.
 */
static bool
gtid_covers(const char *have, const char *want)
{
    for (const char *p = want ? want : ""; *p;) {
        unsigned long d = 0, s = 0;
        unsigned long long n = 0;
        int used = 0;
        if (sscanf(p, "%lu-%lu-%llu%n", &d, &s, &n, &used) != 3)
            return false;
        bool found = false;
        for (const char *q = have ? have : ""; *q && !found;) {
            unsigned long hd = 0, hs = 0;
            unsigned long long hn = 0;
            int hu = 0;
            if (sscanf(q, "%lu-%lu-%llu%n", &hd, &hs, &hn, &hu) != 3)
                return false;
            found = hd == d && hn >= n;
            q += hu;
            q += strspn(q, ", \n");
        }
        if (!found)
            return false;
        p += used;
        p += strspn(p, ", \n");
    }
    return true;
}

/* A one-value query's value, malloc'd ("" for NULL); NULL on error. */
static char *
value_of(struct vmb_mysql_client **c, const struct vmb_db_node *node,
         uint64_t deadline, const char *sql, char **last)
{
    struct vmb_mysql_rows r = {0};
    if (query(c, node, deadline, sql, &r, last) < 0)
        return NULL;
    const char *v = vmb_mysql_rows_value(&r, 0, r.ncols > 1 ? 1 : 0);
    char *out = vmb_xstrdup(v ? v : "");
    vmb_mysql_rows_clear(&r);
    return out;
}

/* Points node 2 at node 1 (the first time it is asked) and starts it. */
static int
start_replica(struct my_wait *w, uint64_t deadline, char **last)
{
    const struct vmb_db_node *r = w->replica;
    for (const char *p = r->primary_host; *p; p++)
        if (*p == '\'' || *p == '\\') {
            free(*last);
            *last = vmb_xasprintf("node 1's address \"%s\" cannot be "
                                  "written in CHANGE MASTER TO",
                                  r->primary_host);
            return -1;
        }
    autofree char *sql =
        vmb_xasprintf("CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, "
                      "MASTER_USER = '" USER "', MASTER_PASSWORD = '', "
                      "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1",
                      r->primary_host, r->primary_port);
    struct vmb_mysql_rows x = {0};
    int rc = query(&w->rc, r, deadline, sql, &x, last);
    vmb_mysql_rows_clear(&x);
    if (rc == 0)
        rc = query(&w->rc, r, deadline, "START SLAVE", &x, last);
    vmb_mysql_rows_clear(&x);
    return rc;
}

static bool
yes(const char *v)
{
    return v != NULL && strcmp(v, "Yes") == 0;
}

/*
 * Node 2 is in sync once its IO and SQL threads run, it is 0 s behind,
 * it has applied every GTID node 1 has logged, and, for a synchronous
 * replica, node 1 counts it among its semi-synchronous clients.
 */
static int
attempt_in_sync(void *ctx, uint64_t deadline, char **last,
                struct vmb_error **err)
{
    (void)err;
    struct my_wait *w = ctx;
    struct vmb_mysql_rows s = {0};
    if (query(&w->rc, w->replica, deadline, "SHOW SLAVE STATUS", &s, last) < 0)
        return 0;
    if (s.nrows == 0) {
        vmb_mysql_rows_clear(&s);
        if (start_replica(w, deadline, last) < 0)
            return 0;
        free(*last);
        *last = vmb_xstrdup("replication configured, not yet running");
        return 0;
    }
    const char *io = vmb_mysql_rows_get(&s, 0, "Slave_IO_Running");
    const char *sql = vmb_mysql_rows_get(&s, 0, "Slave_SQL_Running");
    const char *behind = vmb_mysql_rows_get(&s, 0, "Seconds_Behind_Master");
    const char *ioerr = vmb_mysql_rows_get(&s, 0, "Last_IO_Error");
    const char *sqlerr = vmb_mysql_rows_get(&s, 0, "Last_SQL_Error");
    autofree char *ppos = value_of(&w->pc, w->primary, deadline,
                                   "SELECT @@gtid_binlog_pos", last);
    autofree char *rpos = ppos ? value_of(&w->rc, w->replica, deadline,
                                          "SELECT @@gtid_slave_pos", last)
                               : NULL;
    autofree char *clients = rpos && w->db->sync_replica
                                 ? value_of(&w->pc, w->primary, deadline,
                                            "SHOW GLOBAL STATUS LIKE "
                                            "'Rpl_semi_sync_master_clients'",
                                            last)
                                 : NULL;
    bool ok = yes(io) && yes(sql) && behind && strcmp(behind, "0") == 0 &&
              rpos != NULL && gtid_covers(rpos, ppos) &&
              (!w->db->sync_replica || (clients && atoi(clients) >= 1));
    if (rpos != NULL) {
        free(*last);
        *last = vmb_xasprintf(
            "Slave_IO_Running:%s Slave_SQL_Running:%s "
            "Seconds_Behind_Master:%s gtid_slave_pos:\"%s\" of node 1's "
            "\"%s\"%s%s%s%s%s%s",
            io ? io : "?", sql ? sql : "?", behind ? behind : "NULL", rpos,
            ppos, ioerr && *ioerr ? "; " : "", ioerr && *ioerr ? ioerr : "",
            sqlerr && *sqlerr ? "; " : "", sqlerr && *sqlerr ? sqlerr : "",
            w->db->sync_replica ? "; semi-sync clients: " : "",
            w->db->sync_replica ? (clients ? clients : "?") : "");
    }
    vmb_mysql_rows_clear(&s);
    return ok;
}

static int
my_wait_replicating(const struct vmb_db_node *primary,
                    const struct vmb_db_node *replica, uint64_t timeout_us,
                    const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct my_wait w = {.primary = primary, .replica = replica};
    /* The waits get no database options: whether node 2 must be a
     * semi-synchronous client is node 1's to say. */
    struct vmb_database_opts db = {0};
    autofree char *last = NULL;
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    autofree char *semi =
        value_of(&w.pc, primary, deadline,
                 "SELECT @@rpl_semi_sync_master_enabled", &last);
    db.sync_replica = semi != NULL && strcmp(semi, "1") == 0;
    w.db = &db;
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
    my_wait_close(&w);
    return rc;
}

static int
attempt_caught_up(void *ctx, uint64_t deadline, char **last,
                  struct vmb_error **err)
{
    (void)err;
    struct my_wait *w = ctx;
    struct vmb_mysql_rows s = {0};
    if (w->lag->bytes < 0 && w->target_file != NULL &&
        query(&w->rc, w->replica, deadline, "SHOW SLAVE STATUS", &s, last) ==
            0) {
        const char *f = vmb_mysql_rows_get(&s, 0, "Relay_Master_Log_File");
        const char *p = vmb_mysql_rows_get(&s, 0, "Exec_Master_Log_Pos");
        if (f && p && strcmp(f, w->target_file) == 0) {
            int64_t at = strtoll(p, NULL, 10);
            w->lag->bytes = at < w->target_pos ? w->target_pos - at : 0;
        }
    }
    vmb_mysql_rows_clear(&s);
    autofree char *pos =
        value_of(&w->rc, w->replica, deadline, "SELECT @@gtid_slave_pos", last);
    if (pos == NULL)
        return 0;
    if (gtid_covers(pos, w->target)) {
        w->lag->s = (double)(vmb_now_ns() - w->t0) / 1e9;
        return 1;
    }
    free(*last);
    *last = vmb_xasprintf("replica at GTID \"%s\" of \"%s\"", pos, w->target);
    return 0;
}

static int
my_replication_lag(const struct vmb_db_node *primary,
                   const struct vmb_db_node *replica, uint64_t timeout_us,
                   struct vmb_db_lag *lag, struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    struct my_wait w = {.primary = primary, .replica = replica, .lag = lag};
    autofree char *last = NULL;
    int rc = -1;
    lag->bytes = -1;
    /* Connections first: logging in is not replication lag. */
    struct vmb_mysql_rows r1 = {0}, r2 = {0};
    int q = query(&w.pc, primary, deadline, "SHOW MASTER STATUS", &r1, &last);
    if (q == 0)
        q = query(&w.rc, replica, deadline, "SELECT 1", &r2, &last);
    w.t0 = vmb_now_ns();
    if (q == 0) {
        const char *f = vmb_mysql_rows_get(&r1, 0, "File");
        const char *p = vmb_mysql_rows_get(&r1, 0, "Position");
        if (f && p) {
            w.target_file = vmb_xstrdup(f);
            w.target_pos = strtoll(p, NULL, 10);
        }
    }
    vmb_mysql_rows_clear(&r1);
    vmb_mysql_rows_clear(&r2);
    if (q < 0) {
        vmb_error_set(err, VMB_ERR_RUN, 0, "measure the replication lag: %s",
                      last);
    } else if ((w.target = value_of(&w.pc, primary, deadline,
                                    "SELECT @@gtid_binlog_pos", &last)) ==
               NULL) {
        vmb_error_set(err, VMB_ERR_RUN, 0, "node 1: read the GTID position: %s",
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
    my_wait_close(&w);
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
my_settings(const struct vmb_db_node *node, uint64_t timeout_us, char **text,
            struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    struct vmb_mysql_client *c = NULL;
    autofree char *last = NULL;
    struct vmb_mysql_rows r = {0};
    int rc = query(&c, node, deadline, "SHOW GLOBAL VARIABLES", &r, &last);
    vmb_mysql_client_close(c);
    if (rc < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: SHOW GLOBAL VARIABLES: %s", node->index,
                             last);
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "name\tsetting\n");
    for (size_t i = 0; i < r.nrows; i++) {
        put_escaped(&b, vmb_mysql_rows_value(&r, i, 0));
        vmb_buf_puts(&b, "\t");
        put_escaped(&b, vmb_mysql_rows_value(&r, i, 1));
        vmb_buf_puts(&b, "\n");
    }
    vmb_mysql_rows_clear(&r);
    *text = vmb_buf_steal(&b);
    return 0;
}

static char *
my_load_url(const struct vmb_db_node *node)
{
    bool v6 = strchr(node->host, ':') != NULL;
    return vmb_xasprintf("mysql://" USER "@%s%s%s:%d/" DBNAME, v6 ? "[" : "",
                         node->host, v6 ? "]" : "", node->port);
}

static char *
my_version(void)
{
    autofree char *prog = program("mariadbd");
    autofree char *cmd = vmb_xasprintf("'%s' --version 2>/dev/null", prog);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    char line[256] = "";
    if (fgets(line, sizeof(line), p) == NULL)
        line[0] = '\0';
    pclose(p);
    /* "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu ..." */
    const char *v = strstr(line, "Ver ");
    if (v == NULL)
        return NULL;
    v += 4;
    size_t n = strcspn(v, "- \n");
    return n ? vmb_xstrndup(v, n) : NULL;
}

/* The server, mariadb-install-db with its SQL and error messages, and
 * what that script runs: my_print_defaults and the tools below (the
 * image has a shell and cat, not the rest of coreutils). */
static const char *const image_packages[] = {
    "mariadb-server-core", "mariadb-client-core", "/usr/bin/mkdir",
    "/usr/bin/chmod",      "/usr/bin/chown",      "/usr/bin/uname",
    "/usr/bin/sed",        "/usr/bin/awk",        NULL,
};

static const char *const host_programs[] = {"mariadbd", "mariadb-install-db",
                                            NULL};

const struct vmb_db_driver vmb_db_mariadb = {
    .name = "mariadb",
    .engine = VMB_ENGINE_MARIADB,
    .binary = "mariadbd",
    .conf_name = "my.cnf",
    .user = "mysql",
    /* SIGTERM is the clean shutdown: the buffer pool flushed. */
    .stop_signal = SIGTERM,
    .stop_grace_s = 60,
    .settings_name = "settings.tsv",
    .image_packages = image_packages,
    .host_programs = host_programs,
    .install = "`apt-get install mariadb-server`",
    .program_dir = my_bindir,
    .render_config = my_render_config,
    .argv = my_argv,
    .init_argv = my_init_argv,
    .wait_up = my_wait_up,
    .wait_replicating = my_wait_replicating,
    .replication_lag = my_replication_lag,
    .settings = my_settings,
    .load_url = my_load_url,
    .version = my_version,
};
