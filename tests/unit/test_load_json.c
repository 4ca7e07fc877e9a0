/*
 * The load generator's output read back as JSON, as the report and other
 * tools read it, against a real redis-server: the phase object's members
 * and the mixed ratio.
 */
#include <json-c/json.h>

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

/* A mixed phase issues writes and reads in the asked ratio. */
Test(load_json, mixed_ratio, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=mixed", "ratio=write:1,read:3", "n=20000",
                       "connections=4", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    struct vmb_jw jw;
    vmb_jw_init(&jw, false);
    vmb_load_result_to_json(&jw, r);
    char *text = vmb_jw_steal(&jw);
    struct json_object *j = json_tokener_parse(text);
    cr_assert_not_null(j);
    struct json_object *by, *wr, *rd;
    cr_assert(json_object_object_get_ex(j, "op_rate_by_kind", &by));
    cr_assert(json_object_object_get_ex(by, "write", &wr));
    cr_assert(json_object_object_get_ex(by, "read", &rd));
    double share = json_object_get_double(wr) /
                   (json_object_get_double(wr) + json_object_get_double(rd));
    cr_assert(share > 0.22 && share < 0.28, "write share %f", share);
    json_object_put(j);
    free(text);
    vmb_load_result_free(r);
}

/* The PHASE object has the members docs/results-format.md lists. */
Test(load_json, json_shape, .init = start_redis, .fini = stop_redis,
     .timeout = 60)
{
    const char *w[] = {"op=write", "n=3000", "connections=2", NULL};
    struct vmb_load_result *r = th_run_ok(redis.port, 0, w);
    struct vmb_jw jw;
    vmb_jw_init(&jw, true);
    vmb_load_result_to_json(&jw, r);
    char *text = vmb_jw_steal(&jw);
    struct json_object *j = json_tokener_parse(text);
    cr_assert_not_null(j, "not JSON: %s", text);
    const char *members[] = {"index",
                             "op",
                             "ops",
                             "errors",
                             "errors_by_class",
                             "first_errno",
                             "misses",
                             "duration_s",
                             "ended_by",
                             "op_rate",
                             "op_rate_by_kind",
                             "latency_us",
                             "latency_uncorrected_us",
                             "latency_by_kind_us",
                             "percentiles"};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        cr_assert(json_object_object_get_ex(j, members[i], NULL), "no %s",
                  members[i]);
    struct json_object *v, *lat;
    json_object_object_get_ex(j, "ops", &v);
    cr_assert_eq(json_object_get_int64(v), 3000);
    json_object_object_get_ex(j, "op", &v);
    cr_assert_str_eq(json_object_get_string(v), "write");
    json_object_object_get_ex(j, "ended_by", &v);
    cr_assert_str_eq(json_object_get_string(v), "done");
    json_object_object_get_ex(j, "latency_uncorrected_us", &v);
    cr_assert(json_object_is_type(v, json_type_null), "closed loop: null");
    json_object_object_get_ex(j, "latency_us", &lat);
    const char *keys[] = {"mean", "p50", "p95", "p99", "p99.9", "max"};
    double last = 0;
    for (size_t i = 1; i < 6; i++) {
        cr_assert(json_object_object_get_ex(lat, keys[i], &v));
        cr_assert_geq(json_object_get_double(v), last);
        last = json_object_get_double(v);
    }
    json_object_object_get_ex(j, "percentiles", &v);
    size_t n = json_object_array_length(v);
    cr_assert_gt(n, 10);
    struct json_object *lastp = json_object_array_get_idx(v, n - 1);
    cr_assert_float_eq(
        json_object_get_double(json_object_array_get_idx(lastp, 0)), 100.0,
        1e-9);
    json_object_put(j);
    free(text);
    vmb_load_result_free(r);
}
