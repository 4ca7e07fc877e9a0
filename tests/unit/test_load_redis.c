/*
 * The load generator against a real redis-server started by each test
 * (ctest label "redis"): where none is installed, as on a machine that
 * builds only the leaves, each test is skipped and says why. Links the
 * leaves only (base, load); the JSON read back as a reader of results
 * would is in test_load_json.c.
 */
#include "load/proto.h"
#include "load_test_helpers.h"

static struct th_redis redis;

static void
start_redis(void)
{
    th_redis_start(&redis, NULL);
}

static void
stop_redis(void)
{
    th_redis_stop(&redis);
}

/* n= gives exactly n operations, over several threads and a pipeline, and
 * a sequential write of n = keys writes every key once. */
Test(load, write_count_exact, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {
        "op=write",      "n=12345",   "keys=12345", "key_dist=sequential",
        "connections=7", "threads=2", "pipeline=3", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    cr_assert_eq(vmb_load_result_ops(r), 12345);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    cr_assert_gt(vmb_load_result_op_rate(r), 0);
    cr_assert_str_eq(th_command(redis.port, "DBSIZE"), ":12345");
    vmb_load_result_free(r);
}

/* Reads of written keys hit; reads over a larger population miss about as
 * often as the share of keys never written. */
Test(load, reads_find_writes, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write",      "n=4000",
                       "keys=4000",     "key_dist=sequential",
                       "connections=4", NULL};
    vmb_load_result_free(th_run_ok(redis.port, 0, w));

    const char *rd[] = {"op=read",       "n=20000",    "keys=4000",
                        "connections=5", "pipeline=4", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 1, rd);
    cr_assert_eq(vmb_load_result_ops(r), 20000);
    cr_assert_eq(vmb_load_result_misses(r), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    vmb_load_result_free(r);

    /* keys=8000 with 4 digits of key number still names key:0000..key:3999
     * for the written half. */
    const char *half[] = {"op=read", "n=20000", "keys=8000", "connections=5",
                          NULL};
    r = th_run_ok(redis.port, 2, half);
    double miss = (double)vmb_load_result_misses(r) / 20000.0;
    cr_assert(miss > 0.4 && miss < 0.6, "miss ratio %f", miss);
    cr_assert_eq(vmb_load_result_errors(r), 0, "a miss is not an error");
    vmb_load_result_free(r);
}

/* What a write stores is what was asked for: keys named prefix plus the
 * key number's digits, values of the fixed size, or spread over the range
 * when value_size_max is set. */
Test(load, written_bytes, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *fixed[] = {"op=write",
                           "n=120",
                           "keys=120",
                           "key_dist=sequential",
                           "key_prefix=k:",
                           "value_size=100",
                           "connections=3",
                           "pipeline=5",
                           NULL};
    vmb_load_result_free(th_run_ok(redis.port, 0, fixed));
    cr_assert_str_eq(th_command(redis.port, "DBSIZE"), ":120");
    cr_assert_str_eq(th_command(redis.port, "STRLEN k:000"), ":100");
    cr_assert_str_eq(th_command(redis.port, "STRLEN k:119"), ":100");
    cr_assert_str_eq(th_command(redis.port, "EXISTS k:120"), ":0");

    const char *range[] = {"op=write",
                           "n=300",
                           "keys=300",
                           "key_dist=sequential",
                           "key_prefix=r",
                           "value_size=10",
                           "value_size_max=20",
                           "connections=2",
                           NULL};
    vmb_load_result_free(th_run_ok(redis.port, 1, range));
    int lo = 100, hi = 0;
    for (int i = 0; i < 300; i++) {
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "STRLEN r%03d", i);
        const char *rep = th_command(redis.port, cmd);
        cr_assert_eq(rep[0], ':', "%s: %s", cmd, rep);
        int len = atoi(rep + 1);
        lo = len < lo ? len : lo;
        hi = len > hi ? len : hi;
    }
    cr_assert(lo >= 10 && hi <= 20 && lo < hi, "value sizes %d..%d", lo, hi);
}

/* The per-second series adds up to the phase's total, in the CSV too. */
Test(load, series_sums_to_total, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write", "duration=2500ms", "connections=4",
                       "threads=2", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 3, w);
    uint64_t sum = 0;
    for (size_t i = 0; i < vmb_load_result_nseconds(r); i++)
        sum += vmb_load_result_second_ops(r, i);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    cr_assert_eq(sum, vmb_load_result_ops(r));
    cr_assert_eq(vmb_load_result_nseconds(r), 3);
    cr_assert_float_eq(vmb_load_result_duration_s(r), 2.5, 0.01);

    struct vmb_buf b = {0};
    vmb_load_csv_header(&b);
    vmb_load_result_to_csv(&b, r);
    uint64_t csv_sum = 0;
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(b.data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (rows++ == 0) {
            cr_assert_str_eq(line,
                             "phase,second,op,ops,ops_per_s,p50_us,p99_us");
            continue;
        }
        char phase[16], op[16];
        int sec;
        unsigned long long ops;
        cr_assert_eq(
            sscanf(line, "%15[^,],%d,%15[^,],%llu,", phase, &sec, op, &ops), 4);
        cr_assert_str_eq(phase, "3-write");
        cr_assert_str_eq(op, "write");
        cr_assert_eq(sec, rows - 1);
        csv_sum += ops;
    }
    cr_assert_eq(csv_sum, vmb_load_result_ops(r));
    vmb_buf_free(&b);
    vmb_load_result_free(r);
}

/* Open loop at a fixed rate runs about rate x duration operations and
 * keeps the uncorrected latency too. */
Test(load, open_loop_rate, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write", "rate=2000", "duration=2s", "connections=4",
                       NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    double ops = (double)vmb_load_result_ops(r);
    cr_assert(ops > 3600 && ops <= 4001, "ops %f", ops);
    cr_assert_gt(vmb_load_result_latency_us(r, 50, true), 0);
    cr_assert_geq(vmb_load_result_latency_us(r, 99, false),
                  vmb_load_result_latency_us(r, 99, true) * 0.999);
    vmb_load_result_free(r);
}

/* Warm-up operations are left out; n= counts the measured part. With
 * sequential keys the server holds the warm-up's keys as well. */
Test(load, warmup_excluded, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write",
                       "n=1000",
                       "warmup=300ms",
                       "keys=10000000",
                       "key_dist=sequential",
                       "connections=1",
                       NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    cr_assert_eq(vmb_load_result_ops(r), 1000);
    vmb_load_result_free(r);
    long keys = strtol(th_command(redis.port, "DBSIZE") + 1, NULL, 10);
    cr_assert_gt(keys, 1000, "the warm-up wrote keys too");
}

/* unix:// URLs reach a server on a unix socket. */
Test(load, unix_socket, .timeout = 60)
{
    char sock[128];
    snprintf(sock, sizeof(sock), "/tmp/vmb-load-%d.sock", getpid());
    const char *extra[] = {"--unixsocket", sock, NULL};
    th_redis_start(&redis, extra);
    char url[160];
    snprintf(url, sizeof(url), "unix://%s", sock);
    struct vmb_load_target t;
    cr_assert_eq(vmb_load_target_parse(url, &t, NULL), 0);
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    th_set(&o, &p, "n=2000");
    th_set(&o, &p, "connections=3");
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    struct vmb_load_run run = {.opts = &o, .phase = &p, .primary = &t};
    cr_assert_eq(vmb_load_run_phase(&run, &r, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(vmb_load_result_ops(r), 2000);
    vmb_load_result_free(r);
    th_free(&o, &p);
    th_redis_stop(&redis);
    unlink(sock);
}

/* Reads go to the replica when asked: a replica holding no keys answers
 * every read with a miss while the primary holds them all. */
Test(load, reads_from_replica, .timeout = 60)
{
    struct th_redis other;
    th_redis_start(&redis, NULL);
    th_redis_start(&other, NULL);
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    th_set(&o, &p, "op=write");
    th_set(&o, &p, "n=1000");
    th_set(&o, &p, "keys=1000");
    th_set(&o, &p, "key_dist=sequential");
    struct vmb_load_target prim = th_target(redis.port);
    struct vmb_load_target repl = th_target(other.port);
    struct vmb_load_result *r = NULL;
    struct vmb_load_run run = {
        .opts = &o, .phase = &p, .primary = &prim, .replica = &repl};
    cr_assert_eq(vmb_load_run_phase(&run, &r, NULL), 0);
    vmb_load_result_free(r);
    cr_assert_str_eq(th_command(other.port, "DBSIZE"), ":0",
                     "writes go to "
                     "the primary");
    th_set(&o, &p, "op=read");
    th_set(&o, &p, "read_from=replica");
    run.phase_index = 1;
    cr_assert_eq(vmb_load_run_phase(&run, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_misses(r), 1000);
    vmb_load_result_free(r);
    th_set(&o, &p, "read_from=both");
    th_set(&o, &p, "connections=4");
    run.phase_index = 2;
    cr_assert_eq(vmb_load_run_phase(&run, &r, NULL), 0);
    /* half the connections read each node: some hit, some miss */
    cr_assert_gt(vmb_load_result_misses(r), 0);
    cr_assert_lt(vmb_load_result_misses(r), 1000);
    vmb_load_result_free(r);

    /* mixed: writes still go to the primary, every read to the replica */
    th_set(&o, &p, "op=mixed");
    th_set(&o, &p, "ratio=write:1,read:1");
    th_set(&o, &p, "read_from=replica");
    th_set(&o, &p, "n=2000");
    run.phase_index = 3;
    cr_assert_eq(vmb_load_run_phase(&run, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_ops(r), 2000);
    cr_assert_gt(vmb_load_result_ops_of(r, VMB_OP_WRITE), 0);
    cr_assert_gt(vmb_load_result_ops_of(r, VMB_OP_READ), 0);
    cr_assert_eq(vmb_load_result_misses(r),
                 vmb_load_result_ops_of(r, VMB_OP_READ));
    cr_assert_str_eq(th_command(other.port, "DBSIZE"), ":0");
    vmb_load_result_free(r);
    th_free(&o, &p);
    th_redis_stop(&other);
    th_redis_stop(&redis);
}

static void *
interrupt_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 400 * 1000000};
    nanosleep(&ts, NULL);
    vmb_interrupted = 1;
    return NULL;
}

/* vmb_interrupted (set by SIGINT) ends a phase early and cleanly: the
 * result covers what completed and says it was interrupted. */
Test(load, interrupt_stops_early, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    pthread_t t;
    pthread_create(&t, NULL, interrupt_later, NULL);
    uint64_t t0 = vmb_now_ns();
    const char *w[] = {"op=write", "duration=20s", "connections=4", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    pthread_join(t, NULL);
    cr_assert_lt(took, 5.0, "took %f s", took);
    cr_assert(vmb_load_result_interrupted(r));
    cr_assert_gt(vmb_load_result_ops(r), 0);
    cr_assert_lt(vmb_load_result_duration_s(r), 5.0);
    uint64_t sum = 0;
    for (size_t i = 0; i < vmb_load_result_nseconds(r); i++)
        sum += vmb_load_result_second_ops(r, i);
    cr_assert_eq(sum, vmb_load_result_ops(r));
    vmb_load_result_free(r);
}

/* Key distributions through the engine: zipfian concentrates on few keys,
 * sequential with n = keys covers all of them. */
Test(load, zipfian_concentrates, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write",         "n=20000",       "keys=100000",
                       "key_dist=zipfian", "zipf_skew=1.2", NULL};
    vmb_load_result_free(th_run_ok(redis.port, 0, w));
    const char *size = th_command(redis.port, "DBSIZE");
    long keys = strtol(size + 1, NULL, 10);
    cr_assert(keys > 100 && keys < 8000, "zipfian wrote %ld distinct keys",
              keys);
}

Test(load, target_parse)
{
    struct vmb_load_target t;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_load_target_parse("redis://127.0.0.1:7000", &t, NULL), 0);
    cr_assert_str_eq(t.name, "127.0.0.1:7000");
    cr_assert_eq(vmb_load_target_parse("redis://127.0.0.1", &t, NULL), 0);
    cr_assert_str_eq(t.name, "127.0.0.1:6379");
    cr_assert_eq(vmb_load_target_parse("redis://[::1]:7001", &t, NULL), 0);
    cr_assert_str_eq(t.name, "[::1]:7001");
    cr_assert_eq(vmb_load_target_parse("unix:///run/r.sock", &t, NULL), 0);
    cr_assert_str_eq(t.name, "/run/r.sock");
    cr_assert_eq(vmb_load_target_proto(&t), &vmb_load_proto_resp);
    cr_assert_eq(vmb_load_target_from_host("127.0.0.1", 7000, &t, NULL), 0);
    cr_assert_eq(vmb_load_target_proto(&t), &vmb_load_proto_resp);

    cr_assert_lt(vmb_load_target_parse("http://x:1", &t, &err), 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, "\"http\""), "%s", err->msg);
    vmb_error_free(err);
    err = NULL;
    cr_assert_lt(vmb_load_target_parse("redis://127.0.0.1:99999", &t, &err), 0);
    cr_assert_not_null(strstr(err->msg, "\"99999\""), "%s", err->msg);
    vmb_error_free(err);
    err = NULL;
    cr_assert_lt(vmb_load_target_parse("unix://rel.sock", &t, &err), 0);
    vmb_error_free(err);
}

Test(load, ratio_parse)
{
    double f;
    cr_assert_eq(vmb_load_parse_ratio("write:1,read:3", &f, NULL), 0);
    cr_assert_float_eq(f, 0.25, 1e-12);
    cr_assert_eq(vmb_load_parse_ratio("read:1,write:1", &f, NULL), 0);
    cr_assert_float_eq(f, 0.5, 1e-12);
    cr_assert_eq(vmb_load_parse_ratio("read:2", &f, NULL), 0);
    cr_assert_float_eq(f, 0.0, 1e-12);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_load_parse_ratio("write:1,delete:3", &f, &err), 0);
    cr_assert_not_null(strstr(err->msg, "\"write:1,delete:3\""));
    vmb_error_free(err);
    cr_assert_lt(vmb_load_parse_ratio("write:0,read:0", &f, NULL), 0);
    cr_assert_lt(vmb_load_parse_ratio("write:x", &f, NULL), 0);
}

/* A real redis out of memory answers -OOM: counted, shown. */
Test(load, redis_oom, .timeout = 60)
{
    const char *extra[] = {"--maxmemory", "3mb", "--maxmemory-policy",
                           "noeviction", NULL};
    th_redis_start(&redis, extra);
    const char *w[] = {"n=2000", "connections=2", "value_size=16k",
                       "keys=100000", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(th_run_at(redis.port, 0, w, &r, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_SERVER), 0);
    cr_assert(vmb_str_has_prefix(vmb_load_result_server_error(r), "OOM"), "%s",
              vmb_load_result_server_error(r));
    cr_assert_eq(vmb_load_result_ops(r) + vmb_load_result_errors(r), 2000);
    vmb_load_result_free(r);
    th_redis_stop(&redis);
}
