/*
 * Several tenants driven at once (vmb_load_run's ntenants): each gets the
 * phase as written, the whole phase is their sum over one window, its
 * latency the merged histograms (not an average of percentiles), and
 * Jain's index says how evenly they were served. The fake servers pace
 * their replies, so a slow and a fast tenant have known rates.
 */
#include <math.h>

#include "load_test_helpers.h"

TestSuite(load_tenants, .timeout = 60);

static void
assert_near(double got, double want, double tol)
{
    cr_assert(fabs(got - want) <= tol, "got %.9g, want %.9g (+-%g)", got, want,
              tol);
}

Test(load_tenants, jain_index)
{
    const double equal[] = {5, 5, 5, 5};
    const double one[] = {0, 0, 9, 0};
    const double two[] = {1, 3};
    assert_near(vmb_load_jain(equal, 4), 1.0, 1e-12);
    assert_near(vmb_load_jain(one, 4), 0.25, 1e-12);
    /* (1 + 3)^2 / (2 * (1 + 9)) */
    assert_near(vmb_load_jain(two, 2), 0.8, 1e-12);
    assert_near(vmb_load_jain(two, 1), 1.0, 1e-12);
    cr_assert(isnan(vmb_load_jain(one, 0)));
    cr_assert(isnan(vmb_load_jain(one, 2)), "all zero");
}

/* A slow tenant (1000 ops/s) and a fast one (4000 ops/s), one
 * connection each, closed loop. */
Test(load_tenants, two_tenants_one_window, .timeout = 60)
{
    struct th_server slow = {.mode = TH_OK, .service_us = 1000};
    struct th_server fast = {.mode = TH_OK, .service_us = 250};
    th_server_start(&slow);
    th_server_start(&fast);
    struct vmb_load_target t[2] = {th_target(slow.port), th_target(fast.port)};
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    th_set(&o, &p, "op=write");
    th_set(&o, &p, "duration=2s");
    th_set(&o, &p, "connections=1");
    th_set(&o, &p, "threads=1");
    struct vmb_load_run run = {
        .opts = &o, .phase = &p, .ntenants = 2, .primaries = t};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_load_run_phase(&run, &r, &err), 0, "%s",
                 err ? err->msg : "");
    th_server_stop(&slow);
    th_server_stop(&fast);

    cr_assert_eq(vmb_load_result_ntenants(r), 2);
    const struct vmb_load_result *a = vmb_load_result_tenant(r, 0);
    const struct vmb_load_result *b = vmb_load_result_tenant(r, 1);
    cr_assert_null(vmb_load_result_tenant(r, 2));
    /* Every operation is one tenant's; both were measured over the
     * phase's window. */
    cr_assert_eq(vmb_load_result_ops(a) + vmb_load_result_ops(b),
                 vmb_load_result_ops(r));
    cr_assert_eq(vmb_load_result_errors(r), 0);
    assert_near(vmb_load_result_duration_s(a), vmb_load_result_duration_s(r),
                1e-9);
    assert_near(vmb_load_result_op_rate(a) + vmb_load_result_op_rate(b),
                vmb_load_result_op_rate(r), 1e-6 * vmb_load_result_op_rate(r));
    double ra = vmb_load_result_op_rate(a), rb = vmb_load_result_op_rate(b);
    cr_log_info("slow %.0f ops/s, fast %.0f ops/s", ra, rb);
    /* The pacing caps each: the slow one never runs faster than its
     * server, and the fast one runs well ahead of it. */
    cr_assert_leq(ra, 1.05e3);
    cr_assert_gt(ra, 300);
    cr_assert_gt(rb, 1.5 * ra);
    /* Merged, not averaged: the fast tenant has most of the operations,
     * so the whole phase's median is near its median, while its p99 is
     * the slow tenant's latency. */
    double a50 = vmb_load_result_latency_us(a, 50, false);
    double b50 = vmb_load_result_latency_us(b, 50, false);
    double all50 = vmb_load_result_latency_us(r, 50, false);
    double all99 = vmb_load_result_latency_us(r, 99, false);
    cr_log_info("p50 slow %.0f fast %.0f all %.0f; p99 all %.0f", a50, b50,
                all50, all99);
    cr_assert_geq(a50, 900);
    cr_assert_lt(all50, a50, "merged p50 %.0f", all50);
    cr_assert_geq(all99, a50, "merged p99 %.0f", all99);
    cr_assert_leq(all99, fmax(vmb_load_result_latency_us(a, 99, false),
                              vmb_load_result_latency_us(b, 99, false)));

    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_load_result_to_json(&w, r);
    char *json = vmb_jw_steal(&w);
    cr_assert_not_null(strstr(json, "\"tenants\":[{\"tenant\":1,"), "%s", json);
    cr_assert_not_null(strstr(json, "\"tenant_fairness\":0."), "%s", json);
    cr_assert_not_null(strstr(json, "\"tenant_min_op_rate\":"), "%s", json);
    free(json);
    vmb_load_result_free(r);
    th_free(&o, &p);
}

/* Each tenant gets the phase's n: two tenants make twice the requests. */
Test(load_tenants, n_per_tenant, .timeout = 60)
{
    struct th_server s1 = {.mode = TH_OK};
    struct th_server s2 = {.mode = TH_OK};
    th_server_start(&s1);
    th_server_start(&s2);
    struct vmb_load_target t[2] = {th_target(s1.port), th_target(s2.port)};
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    th_set(&o, &p, "op=write");
    th_set(&o, &p, "n=3000");
    th_set(&o, &p, "connections=3");
    th_set(&o, &p, "threads=3");
    struct vmb_load_run run = {
        .opts = &o, .phase = &p, .ntenants = 2, .primaries = t};
    struct vmb_load_result *r = NULL;
    cr_assert_eq(vmb_load_run_phase(&run, &r, NULL), 0);
    th_server_stop(&s1);
    th_server_stop(&s2);
    cr_assert_eq(vmb_load_result_ops(r), 6000);
    cr_assert_eq(vmb_load_result_ops(vmb_load_result_tenant(r, 0)), 3000);
    cr_assert_eq(vmb_load_result_ops(vmb_load_result_tenant(r, 1)), 3000);
    cr_assert_eq(atomic_load(&s1.commands), 3000);
    cr_assert_eq(atomic_load(&s2.commands), 3000);
    vmb_load_result_free(r);
    th_free(&o, &p);
}
