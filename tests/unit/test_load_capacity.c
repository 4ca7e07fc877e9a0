/*
 * The capacity search against a server of known capacity: one command at
 * a time, each answered 1 ms after the one before, so 1000 ops/s at most
 * (the closed-loop maximum is measured too). Under a latency limit
 * of 20 milliseconds the rate the server sustains is its closed-loop
 * maximum (measured here, not assumed): above it the queue grows by the
 * excess every second. The search must find it within 10%, in a bounded
 * number of steps and time. The limit is on the median: a shared CI host
 * preempts the generator and the server for tens of milliseconds, which
 * a p99 of one-second steps shows at any rate.
 */
#include "load_test_helpers.h"

#include "base/jsonw.h"

#include <criterion/parameterized.h>

#define SERVICE_US 1000

static struct vmb_load_result *
run_words(struct th_server *s, const char *const *words, const char *capacity)
{
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    for (int i = 0; words[i]; i++)
        th_set(&o, &p, words[i]);
    struct vmb_error *err = NULL;
    if (capacity != NULL)
        cr_assert_eq(vmb_load_capacity_parse(&p, capacity, &err), 0, "%s",
                     err ? err->msg : "");
    struct vmb_load_target t = th_target(s->port);
    struct vmb_load_result *r = NULL;
    struct vmb_load_run run = {.opts = &o, .phase = &p, .primary = &t};
    cr_assert_eq(vmb_load_run_phase(&run, &r, &err), 0, "%s",
                 err ? err->msg : "");
    th_free(&o, &p);
    return r;
}

/* What the server sustains: closed loop, enough connections to keep it
 * busy. */
static double
sustained(struct th_server *s)
{
    const char *w[] = {"duration=2s", "connections=8", "threads=1", NULL};
    struct vmb_load_result *r = run_words(s, w, NULL);
    double rate = vmb_load_result_op_rate(r);
    vmb_load_result_free(r);
    return rate;
}

static void
check_steps(const struct vmb_load_result *r, double limit_us)
{
    size_t n = vmb_load_result_capacity_nsteps(r);
    cr_assert_gt(n, 0);
    cr_assert_leq(n, VMB_LOAD_CAPACITY_MAX_STEPS);
    double cap = vmb_load_result_capacity(r);
    for (size_t i = 0; i < n; i++) {
        const struct vmb_load_capacity_step *st =
            vmb_load_result_capacity_step(r, i);
        cr_log_info("step %zu: %.0f offered %.0f achieved %.0f us %s %#x",
                    i + 1, st->rate_per_s, st->achieved_per_s, st->latency_us,
                    st->ok ? "ok" : "failed", st->failed_by);
        cr_assert_eq(st->ok, st->failed_by == 0, "step %zu", i + 1);
        /* The capacity is the highest rate that passed. */
        if (st->ok)
            cr_assert_leq(st->rate_per_s, cap);
        else if (limit_us > 0 && st->rate_per_s <= cap)
            cr_assert_fail("step %zu at %.0f failed below the capacity %.0f",
                           i + 1, st->rate_per_s, cap);
    }
}

Test(load_capacity, finds_what_the_server_sustains, .timeout = 120)
{
    struct th_server s = {.mode = TH_OK, .service_us = SERVICE_US};
    th_server_start(&s);
    double max = sustained(&s);
    /* The pacing holds even on a busy host. */
    cr_assert_gt(max, 0.8e6 / SERVICE_US, "server sustains %.0f", max);
    cr_assert_lt(max, 1.02e6 / SERVICE_US, "server sustains %.0f", max);
    const char *w[] = {"step=1s", "capacity_start=200", "connections=16",
                       "threads=1", NULL};
    uint64_t t0 = vmb_now_ns();
    struct vmb_load_result *r = run_words(&s, w, "p50:20ms");
    double took_s = (double)(vmb_now_ns() - t0) / 1e9;
    th_server_stop(&s);

    cr_assert(vmb_load_result_is_capacity(r));
    check_steps(r, 20000);
    double cap = vmb_load_result_capacity(r);
    /* Within 10% of the rate the server is built to sustain, too. */
    cr_assert_gt(cap, 0.9e6 / SERVICE_US, "capacity %.0f", cap);
    cr_assert_lt(cap, 1.1e6 / SERVICE_US, "capacity %.0f", cap);
    cr_log_info("sustained %.0f ops/s, capacity %.0f ops/s (%+.1f%%), "
                "%zu steps in %.1f s",
                max, cap, (cap / max - 1) * 100,
                vmb_load_result_capacity_nsteps(r), took_s);
    cr_assert_gt(cap, 0.9 * max, "capacity %.0f, server sustains %.0f", cap,
                 max);
    cr_assert_lt(cap, 1.1 * max, "capacity %.0f, server sustains %.0f", cap,
                 max);
    /* Bounded: at most the step limit, each about one step long. */
    cr_assert_lt(took_s, 1.5 * (double)vmb_load_result_capacity_nsteps(r) + 2);
    /* The result is the step at the capacity. */
    cr_assert_leq(vmb_load_result_latency_us(r, 50, false), 20000);
    vmb_load_result_free(r);
}

/*
 * With a limit far above anything a one-second step can queue, latency
 * alone never fails a step: the achieved rate falling short of the
 * offered one must, or the search would climb past the server.
 */
Test(load_capacity, short_achieved_rate_fails_a_step, .timeout = 120)
{
    struct th_server s = {.mode = TH_OK, .service_us = SERVICE_US};
    th_server_start(&s);
    double max = sustained(&s);
    const char *w[] = {"step=1s", "capacity_start=200", "connections=16",
                       "threads=1", NULL};
    struct vmb_load_result *r = run_words(&s, w, "p50:30s");
    th_server_stop(&s);
    check_steps(r, 0);
    double cap = vmb_load_result_capacity(r);
    cr_log_info("sustained %.0f ops/s, capacity %.0f ops/s", max, cap);
    cr_assert_lt(cap, 1.1 * max, "capacity %.0f, server sustains %.0f", cap,
                 max);
    cr_assert_gt(cap, 0.8 * max, "capacity %.0f, server sustains %.0f", cap,
                 max);
    check_steps(r, 0);
    /* A step that fell short of its rate says so, not "over" the 30 s
     * limit no step came near. */
    size_t failed = 0;
    for (size_t i = 0; i < vmb_load_result_capacity_nsteps(r); i++) {
        const struct vmb_load_capacity_step *st =
            vmb_load_result_capacity_step(r, i);
        if (st->ok)
            continue;
        failed++;
        cr_assert_eq(st->failed_by, VMB_LOAD_CAP_RATE,
                     "step %zu at %.0f: reasons %#x", i + 1, st->rate_per_s,
                     st->failed_by);
    }
    cr_assert_gt(failed, 0, "no step fell short");
    struct vmb_buf b = {0};
    vmb_load_result_summary(&b, r);
    cr_assert_not_null(strstr(b.data, "failed: achieved rate short of the "
                                      "offered\n"),
                       "%s", b.data);
    cr_assert_null(strstr(b.data, "latency over the limit"), "%s", b.data);
    vmb_buf_free(&b);
    struct vmb_jw jw;
    vmb_jw_init(&jw, false);
    vmb_load_result_to_json(&jw, r);
    char *json = vmb_jw_steal(&jw);
    cr_assert_not_null(strstr(json, "\"failed_by\":[\"rate\"]"), "%s", json);
    free(json);
    vmb_load_result_free(r);
}

/* phase_timeout bounds the whole search: no step starts that would end
 * past it. */
Test(load_capacity, phase_timeout_bounds_the_search, .timeout = 60)
{
    struct th_server s = {.mode = TH_OK};
    th_server_start(&s);
    const char *w[] = {"step=1s",   "capacity_start=100", "connections=4",
                       "threads=1", "phase_timeout=4s",   NULL};
    uint64_t t0 = vmb_now_ns();
    struct vmb_load_result *r = run_words(&s, w, "p99:1s");
    double took_s = (double)(vmb_now_ns() - t0) / 1e9;
    th_server_stop(&s);
    cr_assert_leq(vmb_load_result_capacity_nsteps(r), 4);
    cr_assert_geq(vmb_load_result_capacity_nsteps(r), 3);
    cr_assert_lt(took_s, 4.5, "search took %.1f s", took_s);
    /* Every step passed: the capacity is the last one's rate. */
    size_t n = vmb_load_result_capacity_nsteps(r);
    const struct vmb_load_capacity_step *last =
        vmb_load_result_capacity_step(r, n - 1);
    cr_assert(last->ok);
    cr_assert_eq(vmb_load_result_capacity(r), last->rate_per_s);
    vmb_load_result_free(r);
}

/* A server that never answers: no step passes, capacity none, and the
 * search still ends. */
Test(load_capacity, nothing_passes, .timeout = 60)
{
    struct th_server s = {.mode = TH_ERR};
    th_server_start(&s);
    const char *w[] = {"step=1s", "capacity_start=1000", "connections=2",
                       "threads=1", NULL};
    struct vmb_load_result *r = run_words(&s, w, "p99:10ms");
    th_server_stop(&s);
    cr_assert_eq(vmb_load_result_capacity(r), 0);
    cr_assert_leq(vmb_load_result_capacity_nsteps(r),
                  VMB_LOAD_CAPACITY_MAX_STEPS);
    struct vmb_jw jw;
    vmb_jw_init(&jw, false);
    vmb_load_result_to_json(&jw, r);
    cr_assert_not_null(strstr(jw.buf.data, "\"capacity\":null"), "%s",
                       jw.buf.data);
    cr_assert_not_null(strstr(jw.buf.data, "\"capacity_steps\":[{\"rate\":"));
    vmb_jw_free(&jw);
    vmb_load_result_free(r);
}

struct cap_case {
    char text[24];
    double percentile; /* 0: an error */
    uint64_t limit_us;
};

ParameterizedTestParameters(load_capacity, parse)
{
    static struct cap_case cases[] = {
        {"p99:1ms", 99, 1000},   {"p50:250us", 50, 250},
        {"p95:2s", 95, 2000000}, {"p99.9:3ms", 99.9, 3000},
        {"p98:1ms", 0, 0},       {"p99:0ms", 0, 0},
        {"p99", 0, 0},           {"99:1ms", 0, 0},
        {"p99:fast", 0, 0},
    };
    return cr_make_param_array(struct cap_case, cases, VMB_NELEMS(cases));
}

ParameterizedTest(struct cap_case *c, load_capacity, parse)
{
    struct vmb_phase p = {0};
    struct vmb_error *err = NULL;
    int rc = vmb_load_capacity_parse(&p, c->text, &err);
    if (c->percentile == 0) {
        cr_assert_lt(rc, 0, "%s should fail", c->text);
        cr_assert_not_null(strstr(err->msg, "capacity: "), "%s", err->msg);
        vmb_error_free(err);
        return;
    }
    cr_assert_eq(rc, 0, "%s: %s", c->text, err ? err->msg : "");
    cr_assert_float_eq(p.capacity_percentile, c->percentile, 1e-9);
    cr_assert_eq(p.capacity_limit_us, c->limit_us);
}

/*
 * The latency check alone: the server keeps up with every rate offered
 * (each step's achieved rate is the offered one) but answers no faster
 * than its 1 ms service time, so under a 500 us median limit no step
 * passes; under a 50 ms limit the same low rates all do. Two steps of
 * the first search (100 and 25 ops/s): enough answers in each to read.
 */
Test(load_capacity, latency_alone_fails_a_step, .timeout = 60)
{
    struct th_server s = {.mode = TH_OK, .service_us = SERVICE_US};
    th_server_start(&s);
    const char *w[] = {"step=1s",   "capacity_start=100",   "connections=4",
                       "threads=1", "phase_timeout=2500ms", NULL};
    struct vmb_load_result *r = run_words(&s, w, "p50:500us");
    size_t n = vmb_load_result_capacity_nsteps(r);
    cr_assert_geq(n, 2);
    for (size_t i = 0; i < n; i++) {
        const struct vmb_load_capacity_step *st =
            vmb_load_result_capacity_step(r, i);
        cr_log_info("step %zu: %.0f offered %.0f achieved %.0f us", i + 1,
                    st->rate_per_s, st->achieved_per_s, st->latency_us);
        cr_assert(!st->ok, "step %zu passed at %.0f us", i + 1, st->latency_us);
        cr_assert_geq(st->achieved_per_s, 0.9 * st->rate_per_s,
                      "step %zu fell short of its rate: not the latency", i);
        cr_assert_geq(st->latency_us, 900, "faster than the service time");
    }
    cr_assert_eq(vmb_load_result_capacity(r), 0);
    vmb_load_result_free(r);

    const char *w2[] = {"step=1s",   "capacity_start=100", "connections=4",
                        "threads=1", "phase_timeout=3s",   NULL};
    r = run_words(&s, w2, "p50:50ms");
    th_server_stop(&s);
    n = vmb_load_result_capacity_nsteps(r);
    cr_assert_geq(n, 2);
    for (size_t i = 0; i < n; i++)
        cr_assert(vmb_load_result_capacity_step(r, i)->ok,
                  "step %zu failed under a 50 ms limit", i + 1);
    cr_assert_gt(vmb_load_result_capacity(r), 0);
    vmb_load_result_free(r);
}
