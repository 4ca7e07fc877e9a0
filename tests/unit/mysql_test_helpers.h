/*
 * A real MariaDB for the tests of the MySQL load protocol. One datadir is
 * made with mariadb-install-db before the tests (the runner's PRE_ALL
 * hook) and copied for each test, which starts its own mariadbd on a free
 * loopback port, as the user `mysql` when the tests run as root. The
 * server is the test's child with a parent-death signal, stopped by
 * th_my_stop or when the test's process ends; the directories are
 * removed. Where mariadbd is not installed, the tests skip themselves
 * and say so. Included by tests/unit/test_load_mysql*.c only.
 *
 * Users: vmbench (no password) and vmbpw (password "right"), both with
 * every privilege; database vmbench.
 */
#ifndef VMB_MYSQL_TEST_HELPERS_H
#define VMB_MYSQL_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <grp.h>
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
#include "protocols/mysql.h"
#include "server_test_helpers.h"

#define TH_MY_SERVER "/usr/sbin/mariadbd"
#define TH_MY_INSTALL "/usr/bin/mariadb-install-db"

static char th_my_template[256];

/* The user the server runs as: mysql under root, else ourselves. */
static inline void
th_my_user(uid_t *uid, gid_t *gid)
{
    th_server_user("mysql", uid, gid);
}

/* Runs a shell command as the server's user; its exit status. */
static inline int
th_my_sh(const char *cmd)
{
    return th_server_sh("mysql", cmd);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    if (access(TH_MY_SERVER, X_OK) != 0 || access(TH_MY_INSTALL, X_OK) != 0)
        return;
    snprintf(th_my_template, sizeof(th_my_template), "/tmp/vmb-mytmpl-%d",
             (int)getpid());
    uid_t uid;
    gid_t gid;
    th_my_user(&uid, &gid);
    mkdir(th_my_template, 0700);
    if (chown(th_my_template, uid, gid) < 0)
        return;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             TH_MY_INSTALL " --no-defaults --datadir=%s/data --skip-test-db "
                           "--skip-name-resolve "
                           "--auth-root-authentication-method=normal "
                           ">/dev/null 2>&1 && printf '%%s\\n' "
                           "\"CREATE USER IF NOT EXISTS 'vmbench'@'%%';\" "
                           "\"GRANT ALL ON *.* TO 'vmbench'@'%%';\" "
                           "\"CREATE USER IF NOT EXISTS 'vmbpw'@'%%' "
                           "IDENTIFIED BY 'right';\" "
                           "\"GRANT ALL ON *.* TO 'vmbpw'@'%%';\" "
                           "'CREATE DATABASE IF NOT EXISTS vmbench;' "
                           "> %s/init.sql",
             th_my_template, th_my_template);
    if (th_my_sh(cmd) == 0)
        setenv("VMB_MY_TEMPLATE", th_my_template, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (th_my_template[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", th_my_template);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", th_my_template);
    }
}

struct th_my {
    pid_t pid;
    int port;
    char dir[256];
    char url[512]; /* mysql://vmbench@127.0.0.1:PORT/vmbench */
};

/* The value of a one-value query on s, as a number (0 for none). */
static inline long long
th_my_num(const struct th_my *s, const char *sql)
{
    struct vmb_mysql_client *c = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_mysql_client_connect("127.0.0.1", s->port, "vmbench", NULL,
                                          "vmbench", 10000000, &c, &err),
                 0, "connect: %s", err ? err->msg : "");
    struct vmb_mysql_rows r = {0};
    cr_assert_eq(vmb_mysql_client_query(c, sql, 30000000, &r, &err), 0,
                 "%s: %s", sql, err ? err->msg : "");
    const char *v = vmb_mysql_rows_value(&r, 0, 0);
    long long n = v ? atoll(v) : 0;
    vmb_mysql_rows_clear(&r);
    vmb_mysql_client_close(c);
    return n;
}

/* Starts a server taking at most max_connections clients. */
static inline void
th_my_start_max(struct th_my *s, int max_connections)
{
    const char *tmpl = getenv("VMB_MY_TEMPLATE");
    if (access(TH_MY_SERVER, X_OK) != 0)
        cr_skip_test("mariadbd is not installed; the tests that need a real "
                     "one are skipped (apt-get install mariadb-server)");
    cr_assert_not_null(tmpl, "mariadb-install-db failed");
    memset(s, 0, sizeof(*s));
    s->port = th_free_port();
    snprintf(s->dir, sizeof(s->dir), "%s-%d", tmpl, (int)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cp -a %s %s", tmpl, s->dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    uid_t uid;
    gid_t gid;
    th_my_user(&uid, &gid);
    char port[32], datadir[300], logf[300], init[300], maxc[64], pid[300];
    snprintf(port, sizeof(port), "--port=%d", s->port);
    snprintf(datadir, sizeof(datadir), "--datadir=%s/data", s->dir);
    snprintf(logf, sizeof(logf), "%s/log", s->dir);
    snprintf(init, sizeof(init), "--init-file=%s/init.sql", s->dir);
    snprintf(pid, sizeof(pid), "--pid-file=%s/pid", s->dir);
    snprintf(maxc, sizeof(maxc), "--max-connections=%d", max_connections);
    s->pid = fork();
    if (s->pid == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
            _exit(126);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (freopen(logf, "w", stderr) == NULL)
            _exit(125);
        execl(TH_MY_SERVER, "mariadbd", "--no-defaults", datadir, port, pid,
              init, maxc, "--bind-address=127.0.0.1", "--socket=mysqld.sock",
              "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0",
              "--innodb-buffer-pool-size=32M", "--lc-messages=en_US",
              (char *)NULL);
        _exit(127);
    }
    snprintf(s->url, sizeof(s->url), "mysql://vmbench@127.0.0.1:%d/vmbench",
             s->port);
    bool up = false;
    for (int i = 0; i < 600 && !up; i++) {
        struct vmb_mysql_client *c = NULL;
        struct vmb_error *err = NULL;
        up = vmb_mysql_client_connect("127.0.0.1", s->port, "vmbench", NULL,
                                      NULL, 1000000, &c, &err) == 0;
        vmb_mysql_client_close(c);
        vmb_error_free(err);
        if (!up) {
            cr_assert_eq(waitpid(s->pid, NULL, WNOHANG), 0,
                         "mariadbd exited; see %s", logf);
            usleep(50000);
        }
    }
    cr_assert(up, "mariadbd not ready; see %s", logf);
}

static inline void
th_my_start(struct th_my *s)
{
    th_my_start_max(s, 100);
}

static inline void
th_my_stop(struct th_my *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
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

/* Options from words; prepare (when asked) then run one phase. */
static inline int
th_my_run(const char *url, bool prepare, const char *const *words,
          struct vmb_load_result **r, struct vmb_error **err)
{
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    for (int i = 0; words[i]; i++)
        th_set(&o, &p, words[i]);
    struct vmb_load_target t;
    cr_assert_eq(vmb_mysql_target_parse(url, &t, err), 0, "%s",
                 *err ? (*err)->msg : "");
    int rc = 0;
    if (prepare) {
        struct vmb_load_prepared prep = {0};
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
th_my_run_ok(const char *url, bool prepare, const char *const *words)
{
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    int rc = th_my_run(url, prepare, words, &r, &err);
    cr_assert_eq(rc, 0, "run failed: %s", err ? err->msg : "");
    return r;
}

#endif
