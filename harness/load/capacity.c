/*
 * The capacity search: open-loop steps, an exponential climb and then a
 * bisection, for the highest rate whose latency percentile stays within
 * a limit. Each step is an ordinary open-loop phase, so latency is timed
 * from each request's intended send time: a server that falls behind
 * shows as queueing delay, not as a slower rate.
 */
#include <math.h>
#include <string.h>

#include "base/units.h"
#include "load/load_priv.h"

static const struct {
    const char *name;
    double percentile;
} percentiles[] = {
    {"p50", 50},
    {"p95", 95},
    {"p99", 99},
    {"p99.9", 99.9},
};

int
vmb_load_capacity_set(struct vmb_phase *phase, const char *percentile,
                      const char *limit, struct vmb_error **err)
{
    double p = 0;
    for (size_t i = 0; i < VMB_NELEMS(percentiles); i++)
        if (strcmp(percentiles[i].name, percentile) == 0)
            p = percentiles[i].percentile;
    if (p == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "capacity: unknown percentile \"%s\"; expected "
                             "p50, p95, p99 or p99.9",
                             percentile);
    uint64_t us = 0;
    if (vmb_parse_duration_us(limit, &us) < 0 || us == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "capacity: expected a positive latency limit "
                             "like \"1ms\", got \"%s\"",
                             limit);
    phase->capacity_percentile = p;
    phase->capacity_limit_us = us;
    return 0;
}

int
vmb_load_capacity_parse(struct vmb_phase *phase, const char *text,
                        struct vmb_error **err)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "capacity: expected PERCENTILE:LIMIT like "
                             "\"p99:1ms\", got \"%s\"",
                             text);
    autofree char *name = vmb_xstrndup(text, (size_t)(colon - text));
    return vmb_load_capacity_set(phase, name, colon + 1, err);
}

static const struct {
    const char *name, *text;
} reasons[VMB_LOAD_CAP_NREASONS] = {
    {"latency", "latency over the limit"},
    {"rate", "achieved rate short of the offered"},
    {"errors", "errors"},
    {"cut", "cut short"},
};

const char *
vmb_load_cap_reason_name(int i)
{
    return i >= 0 && i < VMB_LOAD_CAP_NREASONS ? reasons[i].name : "?";
}

const char *
vmb_load_cap_reason_text(int i)
{
    return i >= 0 && i < VMB_LOAD_CAP_NREASONS ? reasons[i].text : "?";
}

/* Whether a step met the limit; fills its record with every reason it
 * did not, so a rate that fell short is never called a latency over. */
static bool
judge(const struct vmb_phase *phase, const struct vmb_load_result *r,
      double rate, struct vmb_load_capacity_step *st)
{
    st->rate_per_s = rate;
    st->achieved_per_s = vmb_load_result_op_rate(r);
    st->latency_us =
        vmb_load_result_latency_us(r, phase->capacity_percentile, false);
    unsigned why = 0;
    if (r->ended_by != VMB_LOAD_END_DONE || r->interrupted ||
        vmb_load_result_ops(r) == 0)
        why |= VMB_LOAD_CAP_CUT;
    if (vmb_load_result_errors(r) > 0)
        why |= VMB_LOAD_CAP_ERRORS;
    /* No number is no answer: cut short, not over or under a limit. */
    if (isnan(st->latency_us) || isnan(st->achieved_per_s))
        why |= VMB_LOAD_CAP_CUT;
    if (st->latency_us > (double)phase->capacity_limit_us)
        why |= VMB_LOAD_CAP_LATENCY;
    if (st->achieved_per_s < VMB_LOAD_CAPACITY_ACHIEVED * rate)
        why |= VMB_LOAD_CAP_RATE;
    st->failed_by = why;
    st->ok = why == 0;
    return st->ok;
}

int
vmb_load_run_capacity(const struct vmb_load_run *run,
                      struct vmb_load_result **out, struct vmb_error **err)
{
    const struct vmb_load_opts *opts = run->opts;
    const struct vmb_phase *phase = run->phase;
    struct vmb_load_opts o = *opts;
    struct vmb_phase ph = *phase;
    /* Each step: the same run at the step's rate, for step_us. */
    struct vmb_load_run step = *run;
    struct vmb_load_capacity_step steps[VMB_LOAD_CAPACITY_MAX_STEPS];
    size_t nsteps = 0;
    struct vmb_load_result *best = NULL, *last = NULL;
    double lo = 0, hi = 0; /* highest passed, lowest failed; 0: none yet */
    double rate =
        (double)(phase->capacity_start_per_s > 0 ? phase->capacity_start_per_s
                                                 : 1000);
    uint64_t t0 = vmb_now_ns();
    uint64_t step_ns = (opts->warmup_us + phase->step_us) * 1000;
    int rc = -1;

    ph.n = 0;
    ph.duration_us = phase->step_us;
    ph.capacity_limit_us = 0;
    step.opts = &o;
    step.phase = &ph;
    while (nsteps < VMB_LOAD_CAPACITY_MAX_STEPS) {
        uint64_t used = vmb_now_ns() - t0;
        if (phase->phase_timeout_us > 0) {
            uint64_t left_ns = phase->phase_timeout_us * 1000 - used;
            if (used >= phase->phase_timeout_us * 1000 || left_ns < step_ns)
                break;
            ph.phase_timeout_us = left_ns / 1000;
        }
        o.rate_per_s = (uint64_t)llround(rate);
        if (o.rate_per_s == 0)
            o.rate_per_s = 1;
        struct vmb_load_result *r = NULL;
        if (vmb_load_run_one(&step, &r, err) < 0) {
            vmb_error_prefix(err, "capacity step at %.0f ops/s", rate);
            goto cleanup;
        }
        bool ok = judge(phase, r, (double)o.rate_per_s, &steps[nsteps++]);
        bool stop = r->interrupted || r->ended_by == VMB_LOAD_END_UNREACHABLE;
        if (ok) {
            vmb_load_result_free(best);
            best = r;
            lo = (double)o.rate_per_s;
        } else {
            vmb_load_result_free(last);
            last = r;
            hi = (double)o.rate_per_s;
        }
        if (stop) {
            if (!ok && best != NULL)
                best->interrupted = r->interrupted;
            break;
        }
        if (hi == 0) {
            rate = lo * 2;
        } else if (lo == 0) {
            /* The first rate already fails: look below it. */
            if (hi <= 1)
                break;
            rate = hi / 4 > 1 ? hi / 4 : 1;
        } else {
            rate = round((lo + hi) / 2);
            /* Close enough, or no whole rate left between them. */
            if ((hi - lo) <= VMB_LOAD_CAPACITY_PRECISION * lo || rate <= lo ||
                rate >= hi)
                break;
        }
    }

    struct vmb_load_result *res = best != NULL ? best : last;
    if (res == NULL) {
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "capacity: phase_timeout leaves no time for a "
                           "step of warmup + step");
        goto cleanup;
    }
    if (res == best)
        best = NULL;
    else
        last = NULL;
    res->is_capacity = true;
    res->cap_percentile = phase->capacity_percentile;
    res->cap_limit_us = phase->capacity_limit_us;
    res->capacity = lo;
    memcpy(res->cap_steps, steps, nsteps * sizeof(steps[0]));
    res->cap_nsteps = nsteps;
    *out = res;
    rc = 0;

cleanup:
    vmb_load_result_free(best);
    vmb_load_result_free(last);
    return rc;
}

bool
vmb_load_result_is_capacity(const struct vmb_load_result *r)
{
    return r->is_capacity;
}

double
vmb_load_result_capacity(const struct vmb_load_result *r)
{
    return r->capacity;
}

size_t
vmb_load_result_capacity_nsteps(const struct vmb_load_result *r)
{
    return r->cap_nsteps;
}

const struct vmb_load_capacity_step *
vmb_load_result_capacity_step(const struct vmb_load_result *r, size_t i)
{
    return i < r->cap_nsteps ? &r->cap_steps[i] : NULL;
}
