/*
 * `vmbench stress` end to end: the binary against a real redis-server,
 * its summary and files, and its exit status on bad input.
 */
#include <json-c/json.h>
#include <sys/wait.h>

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

/* `vmbench stress` end to end: summary on stdout, the three files, exit 0. */
Test(stress, stress_cli_files, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    char dir[] = "/tmp/vmb-stress-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s stress redis://127.0.0.1:%d read n=5000 connections=3 "
             "keys=100 --json %s/p.json --csv %s/t.csv --hgrm %s/l.hgrm",
             VMB_BINARY, redis.port, dir, dir, dir);
    FILE *f = popen(cmd, "r");
    char out[8192];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    cr_assert_eq(WEXITSTATUS(st), 0, "%s", out);
    cr_assert_not_null(strstr(out, "Op rate"), "%s", out);
    cr_assert_not_null(strstr(out, "Latency 99.9th percentile"), "%s", out);
    cr_assert_not_null(strstr(out, "Total operations            :      5,000"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "Misses (key not found)      :      5,000"),
                       "%s", out);

    char path[128], *data = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/p.json", dir);
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    struct json_object *j = json_tokener_parse(data), *v;
    cr_assert_not_null(j);
    cr_assert(json_object_object_get_ex(j, "misses", &v));
    cr_assert_eq(json_object_get_int64(v), 5000);
    json_object_put(j);
    free(data);
    snprintf(path, sizeof(path), "%s/t.csv", dir);
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    cr_assert(vmb_str_has_prefix(data, "phase,second,op,ops,ops_per_s,p50_us,"
                                       "p99_us\n0-read,1,read,"),
              "%s", data);
    free(data);
    snprintf(path, sizeof(path), "%s/l.hgrm", dir);
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    cr_assert_not_null(strstr(data, "Total count    =         5000]"), "%s",
                       data);
    free(data);
    vmb_rm_rf(dir, NULL);
}

/* Bad input on the command line: exit 2 naming the offending word. */
static int
run_cli(const char *args, char *out, size_t len)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s stress %s 2>&1", VMB_BINARY, args);
    FILE *f = popen(cmd, "r");
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(stress, cli_bad_input)
{
    char out[2048];
    cr_assert_eq(run_cli("redis://127.0.0.1:1 write n=10 connectoins=3", out,
                         sizeof(out)),
                 2);
    cr_assert_not_null(strstr(out, "\"connectoins\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"connections\""), "%s", out);
    cr_assert_eq(run_cli("redis://127.0.0.1:1 wirte n=10", out, sizeof(out)),
                 2);
    cr_assert_not_null(strstr(out, "\"wirte\""), "%s", out);
    cr_assert_eq(run_cli("http://127.0.0.1:1 write n=10", out, sizeof(out)), 2);
    cr_assert_not_null(strstr(out, "\"http\""), "%s", out);
    cr_assert_eq(
        run_cli("redis://127.0.0.1:1 write n=10 rate=fast", out, sizeof(out)),
        2);
    cr_assert_not_null(strstr(out, "\"fast\""), "%s", out);
    cr_assert_eq(run_cli("redis://127.0.0.1:1 mixed n=10 ratio=write:x", out,
                         sizeof(out)),
                 2);
    cr_assert_not_null(strstr(out, "\"write:x\""), "%s", out);
}

/* Unreachable through the command line: exit 1 with a clear message. */
Test(stress, cli_unreachable)
{
    char out[2048], args[128];
    snprintf(args, sizeof(args), "redis://127.0.0.1:%d write n=10",
             th_free_port());
    cr_assert_eq(run_cli(args, out, sizeof(out)), 1);
    cr_assert_not_null(strstr(out, "Connection refused"), "%s", out);
}

/* A server that accepts and never answers: `vmbench stress` with n ends
 * about one request_timeout in, prints its summary with the reason, says
 * why on stderr and exits 1. */
Test(stress, cli_stall_exits_1, .timeout = 30)
{
    struct th_server s = {.mode = TH_SILENT};
    th_server_start(&s);
    char dir[] = "/tmp/vmb-stress-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s stress redis://127.0.0.1:%d write n=1000000 connections=2 "
             "request_timeout=500ms --json %s/p.json 2>%s/err",
             VMB_BINARY, s.port, dir, dir);
    uint64_t t0 = vmb_now_ns();
    FILE *f = popen(cmd, "r");
    char out[8192];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    th_server_stop(&s);
    cr_assert_lt(took, 5.0, "stress went on for %f s", took);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, out);
    cr_assert_not_null(strstr(out, "Ended early"), "%s", out);
    char path[128], *data = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/err", dir);
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    cr_assert_not_null(strstr(data, "vmbench stress: write against"), "%s",
                       data);
    cr_assert_not_null(strstr(data, "the phase stalled: no connection had an "
                                    "answer for \"500ms\""),
                       "%s", data);
    free(data);
    snprintf(path, sizeof(path), "%s/p.json", dir);
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    struct json_object *j = json_tokener_parse(data), *v;
    cr_assert_not_null(j);
    cr_assert(json_object_object_get_ex(j, "ended_by", &v));
    cr_assert_str_eq(json_object_get_string(v), "stall");
    json_object_put(j);
    free(data);
    vmb_rm_rf(dir, NULL);
}

/* A server's error text reaches the terminal with its control bytes
 * escaped: no ESC or BEL from the server is printed as it is. */
Test(stress, server_error_escaped, .timeout = 30)
{
    struct th_server s = {.mode = TH_REPLY,
                          .reply = "-ERR \x1b[31mred\x07 bell\r\n"};
    th_server_start(&s);
    char out[8192], args[128];
    snprintf(args, sizeof(args),
             "redis://127.0.0.1:%d write n=20 connections=2", s.port);
    run_cli(args, out, sizeof(out));
    th_server_stop(&s);
    cr_assert_not_null(strstr(out, "First server error"), "%s", out);
    cr_assert_null(strchr(out, '\x1b'), "%s", out);
    cr_assert_null(strchr(out, '\x07'), "%s", out);
    cr_assert_not_null(strstr(out, "ERR \\x1b[31mred\\x07 bell"), "%s", out);
}

/* A capacity phase from the command line: capacity=p99:LIMIT step=TIME
 * instead of a length; the summary names the capacity and its steps, the
 * JSON carries them. */
Test(stress, cli_capacity, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    char path[] = "/tmp/vmb-stress-cap-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char args[512], out[8192];
    snprintf(args, sizeof(args),
             "redis://127.0.0.1:%d write capacity=p99:200ms step=1s "
             "capacity_start=100 connections=4 threads=1 phase_timeout=3s "
             "--json %s",
             redis.port, path);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    cr_assert_not_null(strstr(out, "Capacity (p99 <= 200ms)"), "%s", out);
    cr_assert_not_null(strstr(out, "  step  1          100 op/s offered"), "%s",
                       out);
    json_object *j = json_object_from_file(path);
    cr_assert_not_null(j);
    json_object *cap, *steps;
    cr_assert(json_object_object_get_ex(j, "capacity", &cap));
    cr_assert_geq(json_object_get_double(cap), 100);
    cr_assert(json_object_object_get_ex(j, "capacity_steps", &steps));
    cr_assert_geq(json_object_array_length(steps), 2);
    json_object *first = json_object_array_get_idx(steps, 0), *rate;
    cr_assert(json_object_object_get_ex(first, "rate", &rate));
    cr_assert_eq(json_object_get_int(rate), 100);
    json_object_put(j);
    unlink(path);
}

Test(stress, cli_capacity_bad_input)
{
    char out[2048];
    cr_assert_eq(
        run_cli("redis://127.0.0.1:1 write capacity=p98:1ms", out, sizeof(out)),
        2);
    cr_assert_not_null(strstr(out, "unknown percentile \"p98\""), "%s", out);
    cr_assert_eq(
        run_cli("redis://127.0.0.1:1 write capacity=p99:0s", out, sizeof(out)),
        2);
    cr_assert_not_null(strstr(out, "positive latency limit"), "%s", out);
    cr_assert_eq(run_cli("redis://127.0.0.1:1 write capacity=p99:1ms n=10", out,
                         sizeof(out)),
                 2);
    cr_assert_not_null(strstr(out, "no n or duration"), "%s", out);
    cr_assert_eq(run_cli("redis://127.0.0.1:1 write capacity=p99:1ms rate=1k",
                         out, sizeof(out)),
                 2);
    cr_assert_not_null(strstr(out, "sets its own rate"), "%s", out);
}
