#include "run/resources.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sample.h"

static void
sample_rt(void *ctx, struct vmb_sample *s)
{
    struct vmb_runtime *rt = ctx;
    rt->ops->sample(rt, s);
}

static void
sample_guest(void *ctx, struct vmb_sample *s)
{
    struct vmb_runtime *rt = ctx;
    rt->ops->sample_guest(rt, s);
}

void
vmb_run_resources_start(struct vmb_run_resources *r, struct vmb_runtime *rt)
{
    if (rt->ops->sample != NULL && r->sp == NULL)
        r->sp = vmb_sampler_start(sample_rt, rt, 1000000000ull);
    if (rt->ops->sample_guest != NULL && r->gsp == NULL)
        r->gsp = vmb_sampler_start(sample_guest, rt, 1000000000ull);
}

void
vmb_run_resources_stop(struct vmb_run_resources *r)
{
    vmb_sampler_stop(r->sp);
    vmb_sampler_stop(r->gsp);
}

/* The delta of the samples s[0..n) over the window of phase p. */
static bool
phase_window(const struct vmb_run_resources_phase *p,
             const struct vmb_sample *s, size_t n, struct vmb_sample *d)
{
    if (n == 0 || p->start_ns == 0 || p->duration_s <= 0)
        return false;
    struct vmb_sample a, b;
    uint64_t end = p->start_ns + (uint64_t)(p->duration_s * 1e9);
    vmb_samples_at(s, n, p->start_ns, &a);
    vmb_samples_at(s, n, end, &b);
    vmb_sample_delta(&a, &b, d);
    return true;
}

void
vmb_run_resources_probe(struct vmb_run_resources *r, struct vmb_runtime *rt)
{
    r->rtt_us = r->rtt_loadgen_us = NAN;
    if (!rt->cfg->top.probe || rt->ops->probe == NULL)
        return;
    struct vmb_rawprobe_opts o = {
        .each_us = rt->cfg->top.probe_duration_us,
        .file_bytes = 64ull << 20,
    };
    struct vmb_error *err = NULL;
    r->probed = true;
    if (rt->ops->probe(rt, &o, &r->probe, &err) < 0) {
        r->probe_error = vmb_xstrdup(err->msg);
        vmb_note(rt->notes, "%s rep %d: the probe failed: %s", rt->cell_id,
                 rt->rep, err->msg);
        vmb_error_free(err);
    }
}

void
vmb_run_resources_rtt(struct vmb_run_resources *r, struct vmb_runtime *rt)
{
    if (!r->probed)
        return;
    vmb_autoerr struct vmb_error *err = NULL;
    if (rt->ops->rtt != NULL && rt->ops->rtt(rt, &r->rtt_us, &err) < 0)
        r->rtt_us = NAN;
    if (vmb_sample_connect_rtt(rt->nodes[0].host, rt->nodes[0].port, 5,
                               &r->rtt_loadgen_us) < 0)
        r->rtt_loadgen_us = NAN;
}

void
vmb_run_resources_phase(struct vmb_run_resources *r, struct vmb_runtime *rt,
                        struct vmb_run_phase_out *out)
{
    (void)rt;
    r->phases = vmb_xrealloc(r->phases, (r->nphases + 1) * sizeof(*r->phases));
    struct vmb_run_resources_phase *p = &r->phases[r->nphases++];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, out->name, sizeof(p->name));
    p->start_ns = out->start_ns;
    p->duration_s = out->duration_s;
    p->ops = out->ops;
    p->csv = steal(&out->csv);
}

static void
kdouble_or_null(struct vmb_jw *w, const char *k, double v)
{
    vmb_jw_key(w, k);
    if (isfinite(v))
        vmb_jw_double(w, v);
    else
        vmb_jw_null(w);
}

static void
probe_json(const struct vmb_run_resources *r, struct vmb_jw *w)
{
    vmb_jw_key(w, "probe");
    if (!r->probed) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    if (r->probe_error != NULL) {
        vmb_jw_kstr(w, "error", r->probe_error);
    } else {
        vmb_jw_kdouble(w, "fsync_write_rate", r->probe.fsync_write_rate);
        vmb_jw_kdouble(w, "fsync_write_p99_us", r->probe.fsync_write_p99_us);
        vmb_jw_kdouble(w, "randread_iops", r->probe.randread_iops);
        vmb_jw_kbool(w, "randread_direct", r->probe.randread_direct);
        vmb_jw_kdouble(w, "seqwrite_mb_s", r->probe.seqwrite_mb_s);
    }
    kdouble_or_null(w, "rtt_us", r->rtt_us);
    kdouble_or_null(w, "rtt_loadgen_us", r->rtt_loadgen_us);
    vmb_jw_obj_end(w);
}

void
vmb_run_resources_csv(const struct vmb_run_resources *r, struct vmb_buf *csv)
{
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    for (size_t i = 0; i < r->nphases; i++)
        if (r->phases[i].csv != NULL)
            vmb_sample_csv_extend(r->phases[i].csv, r->phases[i].start_ns,
                                  r->phases[i].duration_s, s, n, csv);
}

void
vmb_run_resources_json(const struct vmb_run_resources *r, struct vmb_jw *w)
{
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    /* Each phase's measurement window, the host's and the guests'
     * counters alike (each from its own samples). */
    size_t gn = 0;
    const struct vmb_sample *gs = vmb_sampler_samples(r->gsp, &gn);
    vmb_jw_key(w, "phase_resources");
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < r->nphases; i++) {
        struct vmb_sample d;
        if (phase_window(&r->phases[i], s, n, &d)) {
            vmb_jw_key(w, r->phases[i].name);
            vmb_sample_window_json(w, &d, r->phases[i].ops);
        }
    }
    vmb_jw_obj_end(w);
    vmb_jw_key(w, "guest_resources");
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < r->nphases; i++) {
        struct vmb_sample d;
        if (phase_window(&r->phases[i], gs, gn, &d) &&
            vmb_sample_has_guest(&d)) {
            vmb_jw_key(w, r->phases[i].name);
            vmb_sample_guest_json(w, &d);
        }
    }
    vmb_jw_obj_end(w);
    probe_json(r, w);
    vmb_jw_key(w, "sampling");
    if (r->sp == NULL) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, "interval_s", 1);
    vmb_jw_kuint(w, "samples", n);
    /* Both sampling threads: the host's and the guests'. */
    double share = vmb_sampler_cpu_share(r->sp);
    if (r->gsp != NULL)
        share += vmb_sampler_cpu_share(r->gsp);
    vmb_jw_kdouble(w, "cpu_share", share);
    vmb_jw_obj_end(w);
}

void
vmb_run_resources_free(struct vmb_run_resources *r)
{
    vmb_sampler_free(r->sp);
    vmb_sampler_free(r->gsp);
    for (size_t i = 0; i < r->nphases; i++)
        free(r->phases[i].csv);
    free(r->phases);
    free(r->probe_error);
    memset(r, 0, sizeof(*r));
}
