/*
 * The load generator's PostgreSQL protocol against a real PostgreSQL 15
 * (pg_test_helpers.h starts one per test): exact counts, reads that find
 * what writes wrote, pgbench's balance invariant after tpcb-like, every
 * pipelined answer matched to its request, a server killed mid-phase, a
 * serialization failure counted by SQLSTATE, `vmbench stress`
 * refusing a wrong password or database with the server's words, and
 * the blocking client that db/ reaches PostgreSQL through, and
 * pgbench's scale read from tables pgbench made.
 */
#include "pg_test_helpers.h"

TestSuite(load_pg, .timeout = 120);

Test(load_pg, exact_counts_over_tcp_and_a_socket_directory)
{
    struct th_pg s;
    th_pg_start(&s);
    const char *w[] = {"op=write",      "n=3001",    "keys=500",
                       "connections=5", "threads=2", NULL};
    struct vmb_load_result *r = th_pg_run_ok(s.url, true, w);
    cr_assert_eq(vmb_load_result_ops(r), 3001);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);

    /* libpq's URL with the socket directory as host. */
    char url[512];
    snprintf(url, sizeof(url),
             "postgresql:///postgres?host=%s&port=%d&user="
             "postgres",
             s.dir, s.port);
    const char *rd[] = {"op=read", "n=2000", "keys=500", "connections=3", NULL};
    r = th_pg_run_ok(url, false, rd);
    cr_assert_eq(vmb_load_result_ops(r), 2000);
    cr_assert_eq(vmb_load_result_ops_of(r, VMB_OP_READ), 2000);
    cr_assert_eq(vmb_load_result_misses(r), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    th_pg_stop(&s);
}

Test(load_pg, reads_find_what_writes_wrote)
{
    struct th_pg s;
    th_pg_start(&s);
    const char *prep[] = {"op=write",       "n=1",           "keys=200",
                          "value_size=300", "connections=1", NULL};
    vmb_load_result_free(th_pg_run_ok(s.url, true, prep));
    th_pg_num(&s, "TRUNCATE vmb_kv");

    /* An empty table: every read misses. */
    const char *rd[] = {"op=read", "n=400", "keys=200", "connections=2", NULL};
    struct vmb_load_result *r = th_pg_run_ok(s.url, false, rd);
    cr_assert_eq(vmb_load_result_misses(r), 400);
    vmb_load_result_free(r);

    /* Each key written once, then every read finds one. */
    const char *wr[] = {
        "op=write",       "n=200",         "keys=200", "key_dist=sequential",
        "value_size=300", "connections=1", NULL};
    r = th_pg_run_ok(s.url, false, wr);
    cr_assert_eq(vmb_load_result_ops(r), 200);
    vmb_load_result_free(r);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM vmb_kv"), 200);
    cr_assert_eq(th_pg_num(&s, "SELECT min(length(value)) FROM vmb_kv"), 300);
    r = th_pg_run_ok(s.url, false, rd);
    cr_assert_eq(vmb_load_result_ops(r), 400);
    cr_assert_eq(vmb_load_result_misses(r), 0);
    vmb_load_result_free(r);
    th_pg_stop(&s);
}

static void
check_balances(const struct th_pg *s, long long txns)
{
    long long acc = th_pg_num(s, "SELECT sum(abalance) FROM pgbench_accounts");
    long long hist = th_pg_num(s, "SELECT sum(delta) FROM pgbench_history");
    long long tel = th_pg_num(s, "SELECT sum(tbalance) FROM pgbench_tellers");
    long long br = th_pg_num(s, "SELECT sum(bbalance) FROM pgbench_branches");
    cr_assert_eq(acc, hist, "accounts %lld, history %lld", acc, hist);
    cr_assert_eq(tel, hist, "tellers %lld, history %lld", tel, hist);
    cr_assert_eq(br, hist, "branches %lld, history %lld", br, hist);
    cr_assert_eq(th_pg_num(s, "SELECT count(*) FROM pgbench_history"), txns);
}

Test(load_pg, tpcb_like_keeps_pgbench_invariant)
{
    struct th_pg s;
    th_pg_start(&s);
    const char *w1[] = {"op=tpcb-like", "n=1500", "scale=2", "connections=8",
                        NULL};
    struct vmb_load_result *r = th_pg_run_ok(s.url, true, w1);
    cr_assert_eq(vmb_load_result_ops(r), 1500);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM pgbench_accounts"),
                 200000);
    check_balances(&s, 1500);

    /* Pipeline mode: statements and a Sync per transaction. */
    const char *w2[] = {"op=tpcb-like",  "n=2000",     "scale=2",
                        "connections=4", "pipeline=8", NULL};
    r = th_pg_run_ok(s.url, false, w2);
    cr_assert_eq(vmb_load_result_ops(r), 2000);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);
    check_balances(&s, 3500);

    const char *w3[] = {"op=simple-update", "n=500", "scale=2", "connections=2",
                        NULL};
    r = th_pg_run_ok(s.url, false, w3);
    cr_assert_eq(vmb_load_result_ops(r), 500);
    vmb_load_result_free(r);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM pgbench_history"), 4000);
    th_pg_stop(&s);
}

Test(load_pg, pipeline_answers_every_request_in_order)
{
    struct th_pg s;
    th_pg_start(&s);
    const char *prep[] = {"op=write", "n=1", "keys=1000", "connections=1",
                          NULL};
    vmb_load_result_free(th_pg_run_ok(s.url, true, prep));
    /* Odd keys gone: a sequential read of every key misses exactly half. */
    th_pg_num(&s, "DELETE FROM vmb_kv WHERE key % 2 = 1");
    const char *rd[] = {
        "op=read",       "n=1000",      "keys=1000", "key_dist=sequential",
        "connections=1", "pipeline=16", NULL};
    struct vmb_load_result *r = th_pg_run_ok(s.url, false, rd);
    cr_assert_eq(vmb_load_result_ops(r), 1000);
    cr_assert_eq(vmb_load_result_misses(r), 500);
    vmb_load_result_free(r);

    /* Writes and reads interleaved in one pipeline, on keys nobody wrote:
     * a miss matched to a write would not count, so misses equal reads
     * only when each answer meets its own request. */
    th_pg_num(&s, "TRUNCATE vmb_kv");
    const char *mx[] = {
        "op=mixed",      "ratio=write:1,read:1", "n=4000", "keys=100000000",
        "connections=2", "pipeline=16",          NULL};
    r = th_pg_run_ok(s.url, false, mx);
    uint64_t reads = vmb_load_result_ops_of(r, VMB_OP_READ);
    uint64_t writes = vmb_load_result_ops_of(r, VMB_OP_WRITE);
    cr_assert_eq(reads + writes, 4000);
    cr_assert_gt(reads, 1500);
    cr_assert_gt(writes, 1500);
    cr_assert_geq(vmb_load_result_misses(r), reads - 2,
                  "misses %llu, reads "
                  "%llu",
                  (unsigned long long)vmb_load_result_misses(r),
                  (unsigned long long)reads);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM vmb_kv"),
                 (long long)writes);
    vmb_load_result_free(r);
    th_pg_stop(&s);
}

Test(load_pg, server_killed_mid_phase_counts_errors_and_ends_on_time)
{
    struct th_pg s;
    th_pg_start(&s);
    const char *prep[] = {"op=select-only", "n=1", "scale=1", NULL};
    vmb_load_result_free(th_pg_run_ok(s.url, true, prep));
    pid_t killer = fork();
    if (killer == 0) {
        usleep(1000000);
        kill(s.pid, SIGQUIT); /* immediate shutdown: connections cut */
        _exit(0);
    }
    const char *w[] = {"op=select-only", "duration=3s",         "scale=1",
                       "connections=4",  "connect_timeout=10s", NULL};
    uint64_t t0 = vmb_now_ns();
    struct vmb_load_result *r = th_pg_run_ok(s.url, false, w);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    waitpid(killer, NULL, 0);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    uint64_t lost = vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_IO) +
                    vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_CONNECT);
    cr_assert_gt(lost, 0, "no io or connect error counted");
    cr_assert_lt(took, 3.0 + 2.0, "the phase took %.1f s", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_DONE);
    vmb_load_result_free(r);
    th_pg_stop(&s);
}

Test(load_pg, serialization_failures_counted_by_sqlstate_and_rolled_back)
{
    struct th_pg s;
    th_pg_start(&s);
    th_pg_num(&s, "ALTER SYSTEM SET default_transaction_isolation = "
                  "'repeatable read'");
    th_pg_num(&s, "SELECT pg_reload_conf()");
    /* One branch row that every transaction updates: concurrent updates
     * under repeatable read fail with 40001. */
    const char *w[] = {"op=tpcb-like",   "n=2000",    "scale=1",
                       "connections=16", "threads=2", NULL};
    struct vmb_load_result *r = th_pg_run_ok(s.url, true, w);
    uint64_t ser = vmb_load_result_sqlstate_errors(r, "40001");
    uint64_t server = vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_SERVER);
    cr_assert_gt(ser, 0, "no serialization failure counted");
    cr_assert_eq(server, ser + vmb_load_result_sqlstate_errors(r, "40P01"),
                 "server errors %llu", (unsigned long long)server);
    /* Not retried: each of n is an op or an error. */
    cr_assert_eq(vmb_load_result_ops(r) + server, 2000);
    cr_assert_not_null(vmb_load_result_server_error(r));
    cr_assert(strstr(vmb_load_result_server_error(r), "40001") != NULL, "%s",
              vmb_load_result_server_error(r));
    struct vmb_jw jw;
    vmb_jw_init(&jw, false);
    vmb_load_result_to_json(&jw, r);
    cr_assert(strstr(jw.buf.data, "\"server_errors_by_sqlstate\":{") != NULL);
    vmb_jw_free(&jw);
    /* Failed transactions left nothing behind. */
    check_balances(&s, (long long)vmb_load_result_ops(r));
    vmb_load_result_free(r);
    th_pg_stop(&s);
}

/* `vmbench stress URL ARGS` (quiet) with its exit status and output. */
static int
stress_words(const char *url, const char *args, char *out, size_t cap)
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

/* `vmbench stress URL read n=10 EXTRA` with its exit status and output. */
static int
stress(const char *url, const char *extra, char *out, size_t cap)
{
    char args[512];
    snprintf(args, sizeof(args), "read n=10 %s", extra);
    return stress_words(url, args, out, cap);
}

Test(load_pg, wrong_password_or_database_exits_2_with_the_server_message)
{
    struct th_pg s;
    th_pg_start(&s);
    char url[256], out[4096];
    snprintf(url, sizeof(url), "postgres://vmbpw:wrong@127.0.0.1:%d/postgres",
             s.port);
    cr_assert_eq(stress(url, "", out, sizeof(out)), 2, "%s", out);
    cr_assert(strstr(out, "password authentication failed for user "
                          "\"vmbpw\"") != NULL,
              "%s", out);
    cr_assert(strstr(out, "wrong") == NULL, "password shown: %s", out);
    snprintf(url, sizeof(url), "postgres://postgres@127.0.0.1:%d/nosuchdb",
             s.port);
    cr_assert_eq(stress(url, "", out, sizeof(out)), 2, "%s", out);
    cr_assert(strstr(out, "database \"nosuchdb\" does not exist") != NULL, "%s",
              out);
    /* The right password gets in (and finds no table yet: exit 2 too, but
     * with the server's words about the table). */
    snprintf(url, sizeof(url), "postgres://vmbpw:right@127.0.0.1:%d/postgres",
             s.port);
    int rc = stress(url, "", out, sizeof(out));
    cr_assert(strstr(out, "password authentication failed") == NULL, "%s", out);
    cr_assert(strstr(out, "vmb_kv") != NULL, "rc %d: %s", rc, out);
    /* More connections than the server takes is the server being full,
     * not a refusal of who we are: exit 1 with its words. What tells the
     * two apart is the SQLSTATE (53300 here, 28P01 and 3D000 above). */
    cr_assert_eq(
        stress(s.url, "keys=100 connections=110 --prepare", out, sizeof(out)),
        1, "%s", out);
    cr_assert(strstr(out, "53300") != NULL, "%s", out);
    cr_assert(strstr(out, "too many clients") != NULL, "%s", out);
    th_pg_stop(&s);
}

/* The control plane's blocking client: rows as text with NULL for SQL
 * NULL, the server's SQLSTATE when a query fails, libpq's message on one
 * line when nothing listens; and the prepare step, which connects
 * through the same code, refusing a database that does not exist as bad
 * input (exit 2) in the server's words. */
Test(load_pg, blocking_client_and_prepare_connect_errors)
{
    struct th_pg s;
    th_pg_start(&s);
    struct vmb_pg_client *c = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_pg_client_connect("127.0.0.1", s.port, "postgres",
                                       "postgres", 10000000, &c, &err),
                 0, "%s", err ? err->msg : "");
    struct vmb_pg_rows rows = {0};
    cr_assert_eq(vmb_pg_client_query(c,
                                     "SELECT 1, NULL::text UNION ALL "
                                     "SELECT 2, 'x'",
                                     10000000, &rows, &err),
                 0, "%s", err ? err->msg : "");
    cr_assert_eq(rows.nrows, 2);
    cr_assert_eq(rows.ncols, 2);
    cr_assert_str_eq(vmb_pg_rows_value(&rows, 0, 0), "1");
    cr_assert_null(vmb_pg_rows_value(&rows, 0, 1));
    cr_assert_str_eq(vmb_pg_rows_value(&rows, 1, 1), "x");
    cr_assert_null(vmb_pg_rows_value(&rows, 2, 0));
    vmb_pg_rows_clear(&rows);

    char want[256];
    cr_assert_lt(
        vmb_pg_client_query(c, "SELECT * FROM nosuch", 10000000, &rows, &err),
        0);
    snprintf(want, sizeof(want),
             "query on \"127.0.0.1:%d\": ERROR 42P01: relation \"nosuch\" "
             "does not exist",
             s.port);
    cr_assert_str_eq(err->msg, want);
    cr_assert_eq(rows.nrows, 0);
    vmb_error_free(err);
    err = NULL;
    vmb_pg_client_close(c);

    int port = th_free_port();
    cr_assert_lt(vmb_pg_client_connect("127.0.0.1", port, "postgres",
                                       "postgres", 10000000, &c, &err),
                 0);
    snprintf(want, sizeof(want), "connect to \"127.0.0.1:%d\": ", port);
    cr_assert_eq(err->kind, VMB_ERR_RUN);
    cr_assert(strncmp(err->msg, want, strlen(want)) == 0, "%s", err->msg);
    cr_assert_null(strchr(err->msg, '\n'), "%s", err->msg);
    vmb_error_free(err);

    char url[256], out[4096];
    snprintf(url, sizeof(url), "postgres://postgres@127.0.0.1:%d/nosuchdb",
             s.port);
    cr_assert_eq(stress(url, "--prepare", out, sizeof(out)), 2, "%s", out);
    cr_assert(strstr(out, "prepare \"postgres://postgres@127.0.0.1:") != NULL,
              "%s", out);
    cr_assert(strstr(out, "database \"nosuchdb\" does not exist") != NULL, "%s",
              out);
    th_pg_stop(&s);
}

/*
 * Tables made by pgbench itself (-i -s 2): stress's pgbench transactions
 * run at the scale the tables have (both branches drawn, as pgbench
 * reads it from pgbench_branches) without scale=, and a scale= that
 * contradicts the tables is refused (exit 2) before any transaction.
 */
Test(load_pg, pgbench_scale_is_read_from_the_tables)
{
    struct th_pg s;
    th_pg_start(&s);
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/pgbench -q -i -s 2 '%s' >/dev/null 2>&1", s.url);
    cr_assert_eq(th_pg_sh(cmd), 0, "pgbench -i");
    cr_assert_eq(stress_words(s.url, "tpcb-like n=400", out, sizeof(out)), 0,
                 "%s", out);
    cr_assert_eq(
        th_pg_num(&s, "SELECT count(DISTINCT bid) FROM pgbench_history"), 2);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM pgbench_history"), 400);

    cr_assert_eq(
        stress_words(s.url, "tpcb-like n=100 scale=5", out, sizeof(out)), 2,
        "%s", out);
    cr_assert(strstr(out, "scale \"5\" contradicts the pgbench tables") != NULL,
              "%s", out);
    cr_assert(strstr(out, "of scale 2") != NULL, "%s", out);
    cr_assert_eq(th_pg_num(&s, "SELECT count(*) FROM pgbench_history"), 400);

    cr_assert_eq(
        stress_words(s.url, "select-only n=100 scale=2", out, sizeof(out)), 0,
        "%s", out);
    th_pg_stop(&s);
}
