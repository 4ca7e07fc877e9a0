/*
 * The PostgreSQL driver on the bare-metal runtime, with real servers:
 * node 1 made by initdb, node 2 a base backup of it, both run as the
 * unprivileged user; node 2 streams and catches up, holds node 1's rows
 * after the lag is measured, is synchronous when asked; the settings are
 * recorded; a setting PostgreSQL rejects fails with PostgreSQL's own
 * message; nothing is left running afterwards.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/matrix.h"
#include "db/db.h"
#include "protocols/pg.h"
#include "runtime/runtime.h"

static int
test_port(void)
{
    /* Away from 5432, from the Redis test's ports and from other runs. */
    return 25000 + (int)(getpid() % 2000) * 2;
}

static void
set_str(char **field, const char *v)
{
    free(*field);
    *field = vmb_xstrdup(v);
}

static void
make_cell(struct vmb_cell *cell)
{
    memset(cell, 0, sizeof(*cell));
    cell->kind = VMB_CELL_CONTROL;
    strcpy(cell->id, "0123456789ab");
    cell->label = "test";
    vmb_config_defaults(&cell->cfg);
    cell->cfg.database.engine = VMB_ENGINE_POSTGRES;
    cell->cfg.database.port = test_port();
    cell->cfg.database.ready_timeout_us = 60000000;
    cell->cfg.guest.vcpus = 1;
    cell->cfg.guest.memory_mib = 512;
    set_str(&cell->cfg.database.shared_buffers, "16MB");
}

static char *
work_dir(void)
{
    return vmb_xasprintf("/tmp/vmb-test-pg-%ld", (long)getpid());
}

static pid_t
pid_on_port(int port)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ss -Hltnp 'sport = :%d' 2>/dev/null", port);
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    pid_t pid = 0;
    if (p != NULL && fgets(line, sizeof(line), p) != NULL) {
        const char *s = strstr(line, "pid=");
        if (s)
            pid = (pid_t)atol(s + 4);
    }
    if (p)
        pclose(p);
    return pid;
}

static int
start(struct vmb_runtime *rt, const struct vmb_db_driver *drv,
      struct vmb_error **err)
{
    struct vmb_db_watch watch;
    vmb_runtime_watch(rt, &watch);
    if (rt->ops->up(rt, err) < 0)
        return -1;
    for (int i = 1; i <= 2; i++) {
        struct vmb_buf conf = {0};
        drv->render_config(&rt->cfg->database, &rt->nodes[i - 1], &conf);
        int r = rt->ops->start_db(rt, i, drv, conf.data, err);
        vmb_buf_free(&conf);
        if (r < 0)
            return -1;
        if (drv->wait_up(&rt->nodes[i - 1], 60000000, &watch, err) < 0)
            return -1;
    }
    return drv->wait_replicating(&rt->nodes[0], &rt->nodes[1], 60000000, &watch,
                                 err);
}

static struct vmb_pg_client *
connect_node(int port)
{
    struct vmb_pg_client *c = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_pg_client_connect("127.0.0.1", port, "postgres", "postgres",
                                  5000000, &c, &err);
    cr_assert_eq(r, 0, "connect: %s", err ? err->msg : "?");
    return c;
}

/* The one value a query answers, malloc'd. */
static char *
one_value(struct vmb_pg_client *c, const char *sql)
{
    struct vmb_pg_rows rows = {0};
    struct vmb_error *err = NULL;
    int r = vmb_pg_client_query(c, sql, 10000000, &rows, &err);
    cr_assert_eq(r, 0, "%s: %s", sql, err ? err->msg : "?");
    const char *v = vmb_pg_rows_value(&rows, 0, 0);
    char *out = vmb_xstrdup(v ? v : "NULL");
    vmb_pg_rows_clear(&rows);
    return out;
}

static uid_t
uid_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    autofree char *status = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(path, &status, NULL, &err), 0);
    const char *u = strstr(status, "\nUid:");
    cr_assert_not_null(u);
    return (uid_t)strtoul(u + 5, NULL, 10);
}

Test(db_postgres, primary_and_streaming_replica_in_sync, .timeout = 240)
{
    struct vmb_cell cell;
    make_cell(&cell);
    cell.cfg.control.match_resources = true;
    cell.cfg.database.sync_replica = true;
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_POSTGRES);
    cr_assert_not_null(drv);
    autofree char *wd = work_dir();
    struct vmb_runtime *rt = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_runtime_new(&vmb_runtime_baremetal, NULL, &cell, 1, wd, &rt, &err),
        0);
    int r = start(rt, drv, &err);
    cr_assert_eq(r, 0, "start: %s", err ? err->msg : "?");

    /* Both run as the unprivileged user, pinned to one CPU each. */
    pid_t p1 = pid_on_port(test_port()), p2 = pid_on_port(test_port() + 1);
    cr_assert(p1 > 0 && p2 > 0);
    struct passwd *pw = getpwnam("postgres");
    cr_assert_not_null(pw);
    cr_assert_eq(uid_of(p1), pw->pw_uid);
    cr_assert_eq(uid_of(p2), pw->pw_uid);
    cpu_set_t set;
    cr_assert_eq(sched_getaffinity(p1, sizeof(set), &set), 0);
    cr_assert_eq(CPU_COUNT(&set), 1);

    struct vmb_pg_client *p = connect_node(test_port());
    struct vmb_pg_client *q = connect_node(test_port() + 1);
    autofree char *sync =
        one_value(p, "SELECT sync_state FROM pg_stat_replication "
                     "WHERE application_name = 'node2'");
    cr_assert_str_eq(sync, "sync");
    autofree char *rec = one_value(q, "SELECT pg_is_in_recovery()");
    cr_assert_str_eq(rec, "t");
    free(one_value(p, "CREATE TABLE kv (k int PRIMARY KEY, v text)"));
    free(one_value(p, "INSERT INTO kv SELECT g, repeat('x', 100) "
                      "FROM generate_series(1, 5000) g"));
    struct vmb_db_lag lag = {-1, -2};
    r = drv->replication_lag(&rt->nodes[0], &rt->nodes[1], 20000000, &lag,
                             &err);
    cr_assert_eq(r, 0, "lag: %s", err ? err->msg : "?");
    cr_assert(lag.s >= 0 && lag.s < 20, "lag %f", lag.s);
    cr_assert(lag.bytes >= 0 && lag.bytes < (64 << 20), "lag %lld bytes",
              (long long)lag.bytes);
    /* Caught up: the replica has every row the primary has. */
    autofree char *n1 = one_value(p, "SELECT count(*) FROM kv");
    autofree char *n2 = one_value(q, "SELECT count(*) FROM kv");
    cr_assert_str_eq(n1, "5000");
    cr_assert_str_eq(n2, n1);
    vmb_pg_client_close(p);
    vmb_pg_client_close(q);

    /* The effective settings: what the options asked for. */
    autofree char *settings = NULL;
    cr_assert_eq(drv->settings(&rt->nodes[1], 5000000, &settings, &err), 0);
    cr_assert(strstr(settings, "\nshared_buffers\t16MB\n") != NULL, "%s",
              settings);
    cr_assert(strstr(settings, "\nport\t") != NULL);

    autofree char *keep = vmb_xasprintf("%s-keep", wd);
    cr_assert_eq(vmb_mkdir_p(keep, &err), 0);
    rt->ops->stop_db(rt);
    cr_assert_eq(rt->ops->collect(rt, keep, &err), 0, "%s",
                 err ? err->msg : "?");
    vmb_runtime_free(rt);

    cr_assert_eq(kill(p1, 0), -1, "node 1 still running");
    cr_assert_eq(kill(p2, 0), -1, "node 2 still running");
    cr_assert_eq(pid_on_port(test_port()), 0);
    cr_assert_eq(pid_on_port(test_port() + 1), 0);
    struct stat st;
    cr_assert_eq(stat(wd, &st), -1, "work directory left behind");
    autofree char *conf2 = vmb_xasprintf("%s/node2.postgresql.conf", keep);
    autofree char *conf = NULL;
    cr_assert_eq(vmb_read_file(conf2, &conf, NULL, &err), 0);
    cr_assert(strstr(conf, "primary_slot_name = 'vmb_node2'") != NULL);
    autofree char *log1 = vmb_xasprintf("%s/node1.db.log", keep);
    autofree char *log = NULL;
    cr_assert_eq(vmb_read_file(log1, &log, NULL, &err), 0);
    cr_assert(strstr(log, "ready to accept connections") != NULL);
    /* A fast shutdown, not a kill. */
    cr_assert(strstr(log, "database system is shut down") != NULL, "%s", log);
    autofree char *init2 = vmb_xasprintf("%s/node2.init.log", keep);
    cr_assert_eq(access(init2, R_OK), 0);
    vmb_rm_rf(keep, &err);
    vmb_config_free(&cell.cfg);
}

Test(db_postgres, rejected_setting_fails_with_postgres_message, .timeout = 120)
{
    struct vmb_cell cell;
    make_cell(&cell);
    set_str(&cell.cfg.database.wal_sync_method, "bogus");
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_POSTGRES);
    autofree char *wd = work_dir();
    struct vmb_runtime *rt = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_runtime_new(&vmb_runtime_baremetal, NULL, &cell, 1, wd, &rt, &err),
        0);
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(start(rt, drv, &err), -1);
    /* The server exits at once; the wait must notice, not time out. */
    cr_assert_lt(vmb_now_ns() - t0, 50000000000ull);
    cr_assert(strstr(err->msg, "invalid value for parameter "
                               "\"wal_sync_method\": \"bogus\"") != NULL,
              "%s", err->msg);
    cr_assert(strstr(err->msg, "node 1") != NULL, "%s", err->msg);
    if (getenv("VMB_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", err->msg);
    vmb_error_free(err);
    vmb_runtime_free(rt);
    cr_assert_eq(pid_on_port(test_port()), 0);
    vmb_config_free(&cell.cfg);
}

Test(db_postgres, wait_times_out_with_the_log_tail, .timeout = 60)
{
    struct vmb_db_node node = {
        .index = 1, .host = "127.0.0.1", .port = test_port() + 1000};
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_POSTGRES);
    struct vmb_error *err = NULL;
    cr_assert_eq(drv->wait_up(&node, 300000, NULL, &err), -1);
    cr_assert(strstr(err->msg, "did not answer within 300ms") != NULL, "%s",
              err->msg);
    cr_assert(strstr(err->msg, "refused") != NULL, "%s", err->msg);
    vmb_error_free(err);
}
