/*
 * A real PostgreSQL 15 for the tests of the PostgreSQL load protocol.
 * One data directory is made with initdb before the tests (the runner's
 * PRE_ALL hook) and copied for each test, which starts its own server on
 * a free loopback port and a socket directory of its own, as the user
 * `postgres` when the tests run as root (PostgreSQL refuses root). The
 * server is the test's child with a parent-death signal, and is stopped
 * by th_pg_stop or when the test's process ends, whatever happens; the
 * directories are removed. Included by tests/unit/test_load_pg*.c only.
 */
#ifndef VMB_PG_TEST_HELPERS_H
#define VMB_PG_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "load/load.h"
#include "load_test_helpers.h"
#include "protocols/pg.h"
#include "server_test_helpers.h"

#define TH_PG_BIN "/usr/lib/postgresql/15/bin"

static char th_pg_template[256];

/* The user the server runs as: postgres under root, else ourselves. */
static inline void
th_pg_user(uid_t *uid, gid_t *gid)
{
    th_server_user("postgres", uid, gid);
}

/* Runs a shell command as the server's user; its exit status. */
static inline int
th_pg_sh(const char *cmd)
{
    return th_server_sh("postgres", cmd);
}

/* initdb once for all the tests of the binary; removed after them. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    snprintf(th_pg_template, sizeof(th_pg_template), "/tmp/vmb-pgtmpl-%d",
             (int)getpid());
    uid_t uid;
    gid_t gid;
    th_pg_user(&uid, &gid);
    mkdir(th_pg_template, 0700);
    if (chown(th_pg_template, uid, gid) < 0)
        return;
    char cmd[1024];
    /* A role with a password for the authentication test; everything
     * else trusted (loopback and the socket only). */
    snprintf(cmd, sizeof(cmd),
             TH_PG_BIN
             "/initdb -D %s/data -U postgres -A trust >/dev/null "
             "2>&1 && printf '%%s\\n' 'local all all trust' "
             "'host all vmbpw 127.0.0.1/32 scram-sha-256' "
             "'host all all 127.0.0.1/32 trust' > %s/data/pg_hba.conf",
             th_pg_template, th_pg_template);
    if (th_pg_sh(cmd) == 0)
        setenv("VMB_PG_TEMPLATE", th_pg_template, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (th_pg_template[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", th_pg_template);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", th_pg_template);
    }
}

struct th_pg {
    pid_t pid;
    int port;
    char dir[256];
    char url[512]; /* postgres://postgres@127.0.0.1:PORT/postgres */
    char conninfo[512];
};

static inline PGconn *
th_pg_connect(const struct th_pg *s)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    return c;
}

/* Runs sql and returns the first column of the first row as a number. */
static inline long long
th_pg_num(const struct th_pg *s, const char *sql)
{
    PGconn *c = th_pg_connect(s);
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK ||
                  PQresultStatus(r) == PGRES_COMMAND_OK,
              "%s: %s", sql, PQresultErrorMessage(r));
    long long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
                      ? atoll(PQgetvalue(r, 0, 0))
                      : 0;
    PQclear(r);
    PQfinish(c);
    return v;
}

static inline void
th_pg_start(struct th_pg *s)
{
    const char *tmpl = getenv("VMB_PG_TEMPLATE");
    cr_assert_not_null(tmpl, "initdb failed (is postgresql-15 installed?)");
    memset(s, 0, sizeof(*s));
    s->port = th_free_port();
    snprintf(s->dir, sizeof(s->dir), "%s-%d", tmpl, (int)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cp -a %s %s", tmpl, s->dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    uid_t uid;
    gid_t gid;
    th_pg_user(&uid, &gid);
    char port[16], datadir[300], logf[300];
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(datadir, sizeof(datadir), "%s/data", s->dir);
    snprintf(logf, sizeof(logf), "%s/log", s->dir);
    s->pid = fork();
    if (s->pid == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
            _exit(126);
        /* Immediate shutdown if the test dies first. */
        prctl(PR_SET_PDEATHSIG, SIGQUIT);
        if (freopen(logf, "w", stderr) == NULL)
            _exit(125);
        execl(TH_PG_BIN "/postgres", "postgres", "-D", datadir, "-p", port,
              "-k", s->dir, "-c", "listen_addresses=127.0.0.1", "-c",
              "fsync=off", "-c", "max_connections=100", (char *)NULL);
        _exit(127);
    }
    snprintf(s->url, sizeof(s->url),
             "postgres://postgres@127.0.0.1:%d/postgres", s->port);
    snprintf(s->conninfo, sizeof(s->conninfo),
             "host=127.0.0.1 port=%d user=postgres dbname=postgres "
             "connect_timeout=5",
             s->port);
    for (int i = 0; i < 600; i++) {
        if (PQping(s->conninfo) == PQPING_OK)
            break;
        cr_assert_eq(waitpid(s->pid, NULL, WNOHANG), 0,
                     "postgres exited; see %s", logf);
        usleep(50000);
    }
    cr_assert_eq(PQping(s->conninfo), PQPING_OK, "postgres not ready");
    th_pg_num(s, "CREATE ROLE vmbpw LOGIN PASSWORD 'right'");
}

/* Stops the server (immediate shutdown, then SIGKILL after 10 s) and
 * removes its directory. */
static inline void
th_pg_stop(struct th_pg *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGQUIT);
        for (int i = 0; i < 200 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
            usleep(50000);
        if (kill(s->pid, 0) == 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        s->pid = 0;
    }
    if (s->dir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s->dir);
        s->dir[0] = '\0';
    }
}

static inline struct vmb_load_target
th_pg_target(const char *url)
{
    struct vmb_load_target t;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_pg_target_parse(url, &t, &err), 0, "%s",
                 err ? err->msg : "");
    return t;
}

/* Options from words; prepare (when asked) then run one phase. */
static inline int
th_pg_run(const char *url, bool prepare, const char *const *words,
          struct vmb_load_result **r, struct vmb_error **err)
{
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    for (int i = 0; words[i]; i++)
        th_set(&o, &p, words[i]);
    struct vmb_load_target t = th_pg_target(url);
    int rc = 0;
    if (prepare) {
        struct vmb_load_prepared prep;
        rc = vmb_load_prepare(&t, &o, &p, 1, &prep, err);
        if (rc == 0)
            cr_assert_gt(prep.seconds, 0);
    }
    struct vmb_load_run run = {.opts = &o, .phase = &p, .primary = &t};
    if (rc == 0)
        rc = vmb_load_run_phase(&run, r, err);
    th_free(&o, &p);
    return rc;
}

static inline struct vmb_load_result *
th_pg_run_ok(const char *url, bool prepare, const char *const *words)
{
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    int rc = th_pg_run(url, prepare, words, &r, &err);
    cr_assert_eq(rc, 0, "run failed: %s", err ? err->msg : "");
    return r;
}

#endif
