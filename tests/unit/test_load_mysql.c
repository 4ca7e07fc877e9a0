/*
 * The MySQL load protocol against a real mariadbd (mysql_test_helpers.h):
 * exact counts, sysbench's transactions keeping their tables' invariant,
 * a server that dies mid-phase, one that is full (1040), a wrong password
 * or database (1045, 1049: bad input), pipeline refused, the URL parser,
 * parameters' types sent with a statement's first execute only.
 */
#include <inttypes.h>

#include "base/jsonw.h"
#include "mysql_test_helpers.h"

TestSuite(load_mysql, .timeout = 120);

Test(load_mysql, exact_counts_and_reads_find_what_writes_wrote)
{
    struct th_my s;
    th_my_start(&s);
    const char *w[] = {"op=write",      "n=500",         "keys=100",
                       "connections=4", "value_size=32", NULL};
    struct vmb_load_result *r = th_my_run_ok(s.url, true, w);
    cr_assert_eq(vmb_load_result_ops(r), 500);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    cr_assert_eq(th_my_num(&s, "SELECT COUNT(*) FROM vmb_kv"), 100);
    const char *rd[] = {"op=read", "n=400", "keys=100", "connections=3", NULL};
    r = th_my_run_ok(s.url, false, rd);
    cr_assert_eq(vmb_load_result_ops(r), 400);
    cr_assert_eq(vmb_load_result_misses(r), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    /* Keys past those loaded are misses, not errors. */
    const char *miss[] = {"op=read", "n=50", "keys=100000", "connections=1",
                          NULL};
    r = th_my_run_ok(s.url, false, miss);
    cr_assert_gt(vmb_load_result_misses(r), 40);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    th_my_stop(&s);
}

/* sysbench's read_write deletes and inserts the same id in one
 * transaction, and write_only too: the row count stays table_size, and
 * the prepare step made exactly that many rows in each table, with the
 * secondary index on k. */
Test(load_mysql, oltp_transactions_keep_the_tables_whole)
{
    struct th_my s;
    th_my_start(&s);
    const char *rw[] = {"op=oltp_read_write", "n=300",         "tables=2",
                        "table_size=500",     "connections=4", NULL};
    struct vmb_load_result *r = th_my_run_ok(s.url, true, rw);
    cr_assert_eq(vmb_load_result_ops(r) + vmb_load_result_errors(r), 300);
    /* Concurrent deletes and inserts of one id can deadlock, which
     * InnoDB reports and rolls back: counted by SQLSTATE, nothing else. */
    cr_assert_eq(vmb_load_result_errors(r),
                 vmb_load_result_sqlstate_errors(r, "40001") +
                     vmb_load_result_sqlstate_errors(r, "23000"));
    cr_assert_gt(vmb_load_result_ops(r), 250);
    vmb_load_result_free(r);
    cr_assert_eq(th_my_num(&s, "SELECT COUNT(*) FROM sbtest1"), 500);
    cr_assert_eq(th_my_num(&s, "SELECT COUNT(*) FROM sbtest2"), 500);
    cr_assert_eq(th_my_num(&s, "SELECT COUNT(*) FROM information_schema."
                               "statistics WHERE table_name = 'sbtest1' "
                               "AND index_name = 'k_1'"),
                 1);
    const char *ps[] = {"op=oltp_point_select", "n=2000",        "tables=2",
                        "table_size=500",       "connections=8", NULL};
    r = th_my_run_ok(s.url, false, ps);
    cr_assert_eq(vmb_load_result_ops(r), 2000);
    cr_assert_eq(vmb_load_result_misses(r), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    const char *ins[] = {"op=oltp_insert", "n=100",         "tables=1",
                         "table_size=500", "connections=2", NULL};
    r = th_my_run_ok(s.url, false, ins);
    cr_assert_eq(vmb_load_result_ops(r), 100);
    vmb_load_result_free(r);
    cr_assert_eq(th_my_num(&s, "SELECT COUNT(*) FROM sbtest1"), 600);
    const char *ro[] = {"op=oltp_read_only", "duration=1s",   "tables=2",
                        "table_size=500",    "connections=2", NULL};
    r = th_my_run_ok(s.url, false, ro);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    th_my_stop(&s);
}

/* What the server has received, in bytes, from every client. */
static long long
bytes_received(const struct th_my *s)
{
    return th_my_num(s, "SELECT variable_value FROM information_schema."
                        "global_status WHERE variable_name = "
                        "'BYTES_RECEIVED'");
}

/* A statement's parameters are bound once, so the parameters' types go
 * to the server with its first execute only: a point select's execute
 * is then 20 bytes (header 4, command 1, statement id 4, flags 1,
 * iterations 4, null bitmap 1, new-types flag 1, the INT 4), 22 with
 * the types again. What else arrives (the phase's connect and prepare,
 * the two status reads' own connections) is well under a byte per op. */
Test(load_mysql, point_select_sends_parameter_types_once)
{
    struct th_my s;
    th_my_start(&s);
    const char *prep[] = {"op=oltp_point_select", "n=1", "table_size=100",
                          NULL};
    vmb_load_result_free(th_my_run_ok(s.url, true, prep));
    const char *ps[] = {"op=oltp_point_select", "n=3000", "table_size=100",
                        "connections=1", NULL};
    long long before = bytes_received(&s);
    struct vmb_load_result *r = th_my_run_ok(s.url, false, ps);
    long long after = bytes_received(&s);
    cr_assert_eq(vmb_load_result_ops(r), 3000);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    double per_op = (double)(after - before) / 3000.0;
    cr_assert_lt(per_op, 21.0, "%.2f bytes per execute", per_op);
    th_my_stop(&s);
}

Test(load_mysql, server_killed_mid_phase_counts_errors_and_ends_on_time)
{
    struct th_my s;
    th_my_start(&s);
    const char *prep[] = {"op=oltp_point_select", "n=1", "table_size=100",
                          NULL};
    vmb_load_result_free(th_my_run_ok(s.url, true, prep));
    pid_t killer = fork();
    if (killer == 0) {
        usleep(1000000);
        kill(s.pid, SIGKILL);
        _exit(0);
    }
    const char *w[] = {"op=oltp_point_select", "duration=3s",
                       "table_size=100",       "connections=4",
                       "connect_timeout=10s",  NULL};
    uint64_t t0 = vmb_now_ns();
    struct vmb_load_result *r = th_my_run_ok(s.url, false, w);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    waitpid(killer, NULL, 0);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    uint64_t lost = vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_IO) +
                    vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_CONNECT);
    cr_assert_gt(lost, 0, "no io or connect error counted");
    cr_assert_lt(took, 3.0 + 2.0, "the phase took %.1f s", took);
    vmb_load_result_free(r);
    th_my_stop(&s);
}

/* `vmbench stress URL ARGS` (quiet) with its exit status and output. */
static int
stress(const char *url, const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' stress -q '%s' %s 2>&1", VMB_BINARY, url,
             args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Who we are or where we go, refused: bad input, exit 2, the server's
 * number and words, no password shown. A full server (1040) is the run's
 * trouble: exit 1. pipeline > 1 is refused before connecting. */
Test(load_mysql, refusals_by_error_number)
{
    struct th_my s;
    th_my_start_max(&s, 3);
    char url[256], out[4096];
    snprintf(url, sizeof(url), "mysql://vmbpw:wrong@127.0.0.1:%d/vmbench",
             s.port);
    cr_assert_eq(stress(url, "read n=10 connections=1", out, sizeof(out)), 2,
                 "%s", out);
    cr_assert(strstr(out, "1045 (28000)") != NULL, "%s", out);
    cr_assert(strstr(out, "wrong") == NULL, "password shown: %s", out);
    snprintf(url, sizeof(url), "mysql://vmbench@127.0.0.1:%d/nosuchdb", s.port);
    cr_assert_eq(stress(url, "read n=10 connections=1", out, sizeof(out)), 2,
                 "%s", out);
    cr_assert(strstr(out, "1049 (42000)") != NULL, "%s", out);
    snprintf(url, sizeof(url), "mysql://vmbpw:right@127.0.0.1:%d/vmbench",
             s.port);
    cr_assert_eq(stress(url, "write n=10 keys=10 connections=1 --prepare", out,
                        sizeof(out)),
                 0, "%s", out);
    cr_assert_eq(stress(url,
                        "read n=10 keys=10 connections=20 "
                        "connect_timeout=2s",
                        out, sizeof(out)),
                 1, "%s", out);
    cr_assert(strstr(out, "1040") != NULL, "%s", out);
    cr_assert_eq(
        stress(s.url, "read n=10 connections=1 pipeline=2", out, sizeof(out)),
        2, "%s", out);
    cr_assert(strstr(out, "pipeline") != NULL, "%s", out);
    th_my_stop(&s);
}

/* The URL parser: hostile and malformed URLs are bad input naming the
 * part; the password never reaches the target's name. */
Test(load_mysql, url_parser)
{
    struct vmb_load_target t;
    struct {
        const char *url;
        const char *msg; /* NULL: accepted */
    } cases[] = {
        {"mysql://u:p%40ss@h:3307/db", NULL},
        {"mysql://[::1]:3306/db", NULL},
        {"mysql://h", NULL},
        {"mysql://h:0/db", "bad port"},
        {"mysql://h:65536/db", "bad port"},
        {"mysql://h:33a/db", "bad port"},
        {"mysql://u:p%4@h/db", "bad user or password"},
        {"mysql://u:p%0a@h/db", "bad user or password"},
        {"mysql:///db", "no host"},
        {"mysql://[::1/db", "unclosed"},
        {"mysql://h/db?x=1", "takes no parameters"},
        {"mysql://h/d%00b", "bad database name"},
        {"mysqlx://h/db", "expected mysql://"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vmb_error *err = NULL;
        int rc = vmb_mysql_target_parse(cases[i].url, &t, &err);
        if (cases[i].msg == NULL) {
            cr_assert_eq(rc, 0, "%s: %s", cases[i].url, err ? err->msg : "");
            cr_assert(strstr(t.name, "p@ss") == NULL &&
                          strstr(t.name, ":p") == NULL,
                      "%s", t.name);
            continue;
        }
        cr_assert_lt(rc, 0, "%s accepted", cases[i].url);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        cr_assert(strstr(err->msg, cases[i].msg) != NULL, "%s: %s",
                  cases[i].url, err->msg);
        vmb_error_free(err);
    }
}
