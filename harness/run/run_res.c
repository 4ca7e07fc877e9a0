#include "run/run_res.h"

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

void
vmb_run_res_start(struct vmb_run_res *r, struct vmb_runtime *rt)
{
    if (rt->ops->sample != NULL && r->sp == NULL)
        r->sp = vmb_sampler_start(sample_rt, rt, 1000000000ull);
}

void
vmb_run_res_stop(struct vmb_run_res *r)
{
    vmb_sampler_stop(r->sp);
}

void
vmb_run_res_phase(struct vmb_run_res *r, struct vmb_run_phase_out *out)
{
    r->phases = vmb_xrealloc(r->phases, (r->nphases + 1) * sizeof(*r->phases));
    struct vmb_run_res_phase *p = &r->phases[r->nphases++];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, out->name, sizeof(p->name));
    p->start_ns = out->start_ns;
    p->duration_s = out->duration_s;
    p->ops = out->ops;
    p->csv = steal(&out->csv);
}

void
vmb_run_res_csv(const struct vmb_run_res *r, struct vmb_buf *csv)
{
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    for (size_t i = 0; i < r->nphases; i++)
        if (r->phases[i].csv != NULL)
            vmb_sample_csv_extend(r->phases[i].csv, r->phases[i].start_ns, s,
                                  n, csv);
}

void
vmb_run_res_json(const struct vmb_run_res *r, struct vmb_jw *w)
{
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    vmb_jw_key(w, "phase_resources");
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < r->nphases && n > 0; i++) {
        const struct vmb_run_res_phase *p = &r->phases[i];
        if (p->start_ns == 0 || p->duration_s <= 0)
            continue;
        struct vmb_sample a, b, d;
        uint64_t end = p->start_ns + (uint64_t)(p->duration_s * 1e9);
        vmb_samples_at(s, n, p->start_ns, &a);
        vmb_samples_at(s, n, end, &b);
        vmb_sample_delta(&a, &b, &d);
        vmb_jw_key(w, p->name);
        vmb_sample_window_json(w, &d, p->ops);
    }
    vmb_jw_obj_end(w);
    vmb_jw_key(w, "sampling");
    if (r->sp == NULL) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, "interval_s", 1);
    vmb_jw_kuint(w, "samples", n);
    vmb_jw_kdouble(w, "cpu_share", vmb_sampler_cpu_share(r->sp));
    vmb_jw_obj_end(w);
}

void
vmb_run_res_free(struct vmb_run_res *r)
{
    vmb_sampler_free(r->sp);
    for (size_t i = 0; i < r->nphases; i++)
        free(r->phases[i].csv);
    free(r->phases);
    memset(r, 0, sizeof(*r));
}
