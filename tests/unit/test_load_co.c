/*
 * Coordinated omission: a server that stalls once for one second. An
 * open-loop run measures latency from each request's intended send time,
 * so the requests the stall held back show it (p99 near the stall) while
 * the uncorrected latency, timed from the actual send, stays low. A
 * closed-loop run sends nothing during the stall and only its max shows
 * it.
 */
#include "load_test_helpers.h"

static struct vmb_load_result *
run_stalled(const char *const *words)
{
    struct th_server s = {
        .mode = TH_OK, .stall_after_ms = 1000, .stall_ms = 1000};
    th_server_start(&s);
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    for (int i = 0; words[i]; i++)
        th_set(&o, &p, words[i]);
    struct vmb_load_target t = th_target(s.port);
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    struct vmb_load_run run = {.opts = &o, .phase = &p, .primary = &t};
    cr_assert_eq(vmb_load_run_phase(&run, &r, &err), 0, "%s",
                 err ? err->msg : "");
    th_free(&o, &p);
    th_server_stop(&s);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    return r;
}

Test(load_co, open_loop_corrects, .timeout = 60)
{
    const char *w[] = {"rate=1000", "duration=4s", "connections=10", NULL};
    struct vmb_load_result *r = run_stalled(w);
    double p99 = vmb_load_result_latency_us(r, 99, false);
    double p99u = vmb_load_result_latency_us(r, 99, true);
    double max = vmb_load_result_latency_us(r, 100, false);
    cr_assert_gt(p99, 500e3, "corrected p99 %f us should show the stall", p99);
    cr_assert_lt(p99, 1500e3, "corrected p99 %f us", p99);
    cr_assert_lt(p99u, 100e3, "uncorrected p99 %f us should stay low", p99u);
    cr_assert_gt(max, 900e3, "max %f us", max);
    /* About rate x duration: the held-back requests were sent late, not
     * dropped. */
    cr_assert_gt(vmb_load_result_ops(r), 3800);
    vmb_load_result_free(r);
}

Test(load_co, closed_loop_shows_stall_in_max, .timeout = 60)
{
    const char *w[] = {"duration=3s", "connections=4", NULL};
    struct vmb_load_result *r = run_stalled(w);
    double max = vmb_load_result_latency_us(r, 100, false);
    double p99 = vmb_load_result_latency_us(r, 99, false);
    cr_assert_gt(max, 900e3, "max %f us should show the stall", max);
    cr_assert_lt(p99, 100e3, "closed loop p99 %f us hides it", p99);
    vmb_load_result_free(r);
}
