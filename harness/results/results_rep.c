/*
 * result.json's "phases": each PHASE object the load generator wrote
 * (load/result.c), every value checked before it is used
 * (results_priv.h). The envelope around them is result_json.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/matrix.h"
#include "load/load.h"
#include "results/results_priv.h"

static void
read_latency(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
             struct vmb_res_latency *l)
{
    autofree char *p = vmb_xasprintf("%s.latency_us", pfx);
    l->mean = vmb_res_num(c, o, p, "mean", VMB_RES_NONNEG);
    l->p50 = vmb_res_num(c, o, p, "p50", VMB_RES_NONNEG);
    l->p95 = vmb_res_num(c, o, p, "p95", VMB_RES_NONNEG);
    l->p99 = vmb_res_num(c, o, p, "p99", VMB_RES_NONNEG);
    l->p999 = vmb_res_num(c, o, p, "p99.9", VMB_RES_NONNEG);
    l->max = vmb_res_num(c, o, p, "max", VMB_RES_NONNEG);
}

static void
read_percentiles(struct vmb_res_ctx *c, struct json_object *pc, const char *pfx,
                 struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(pc);
    p->percentiles = vmb_xcalloc(n ? n : 1, sizeof(*p->percentiles));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.percentiles[%zu]", pfx, i);
        struct json_object *pair = json_object_array_get_idx(pc, i);
        if (!json_object_is_type(pair, json_type_array) ||
            json_object_array_length(pair) != 2) {
            vmb_res_bad(c, at, NULL, "expected [percent, microseconds]");
            return;
        }
        double pct =
            vmb_res_num_of(c, json_object_array_get_idx(pair, 0), at, 0, 100);
        double v = vmb_res_num_of(c, json_object_array_get_idx(pair, 1), at,
                                  VMB_RES_NONNEG);
        if (isfinite(pct) && isfinite(v)) {
            p->percentiles[p->npercentiles][0] = pct;
            p->percentiles[p->npercentiles][1] = v;
            p->npercentiles++;
        }
    }
}

/* "failed_by": absent in results from before it was written. */
static void
read_failed_by(struct vmb_res_ctx *c, struct json_object *fb, const char *at,
               struct vmb_res_cap_step *s)
{
    if (fb == NULL)
        return;
    if (!json_object_is_type(fb, json_type_array)) {
        vmb_res_bad(c, at, "failed_by", "expected an array");
        return;
    }
    size_t n = json_object_array_length(fb);
    for (size_t i = 0; i < n; i++) {
        struct json_object *w = json_object_array_get_idx(fb, i);
        const char *name = json_object_is_type(w, json_type_string)
                               ? json_object_get_string(w)
                               : NULL;
        int k = 0;
        while (name != NULL && k < VMB_LOAD_CAP_NREASONS &&
               strcmp(name, vmb_load_cap_reason_name(k)) != 0)
            k++;
        if (name == NULL || k == VMB_LOAD_CAP_NREASONS) {
            vmb_res_bad(c, at, "failed_by",
                        "expected latency, rate, errors or cut");
            return;
        }
        s->failed_by |= 1u << k;
    }
}

static void
read_cap_steps(struct vmb_res_ctx *c, struct json_object *st, const char *pfx,
               struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(st);
    if (n > VMB_RES_MAX_CAP_STEPS) {
        vmb_res_bad(c, pfx, "capacity_steps",
                    "%zu steps, more than the %d a search runs", n,
                    VMB_RES_MAX_CAP_STEPS);
        return;
    }
    p->cap_steps = vmb_xcalloc(n ? n : 1, sizeof(*p->cap_steps));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.capacity_steps[%zu]", pfx, i);
        struct json_object *o = json_object_array_get_idx(st, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(c, at, NULL, "expected an object");
            return;
        }
        struct vmb_res_cap_step s = {
            .rate = vmb_res_num(c, o, at, "rate", VMB_RES_NONNEG),
            .achieved = vmb_res_num(c, o, at, "achieved", VMB_RES_NONNEG),
            .latency_us = vmb_res_num(c, o, at, "latency_us", VMB_RES_NONNEG),
        };
        struct json_object *ok = vmb_res_member(o, "ok");
        if (ok == NULL || !json_object_is_type(ok, json_type_boolean)) {
            vmb_res_bad(c, at, "ok", "expected true or false");
            continue;
        }
        s.ok = json_object_get_boolean(ok);
        read_failed_by(c, vmb_res_member(o, "failed_by"), at, &s);
        if (isfinite(s.rate) && isfinite(s.achieved) && isfinite(s.latency_us))
            p->cap_steps[p->ncap_steps++] = s;
    }
}

/*
 * The op names files (latency-<index>-<op>.hgrm) and charts: only the
 * load generator's own names are taken, and the name kept is its copy.
 */
static const char *
known_op(const char *op)
{
    for (int i = 0; op != NULL && i < VMB_NOPS; i++)
        if (strcmp(vmb_op_name(i), op) == 0)
            return vmb_op_name(i);
    return NULL;
}

/* Each tenant's part, in tenant order ("tenant" 1, 2, ...). */
static void
read_tenants(struct vmb_res_ctx *c, struct json_object *ts, const char *pfx,
             struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(ts);
    if (n > VMB_RES_MAX_TENANTS) {
        vmb_res_bad(c, pfx, "tenants",
                    "%zu tenants, more than the %d a run has", n,
                    VMB_RES_MAX_TENANTS);
        return;
    }
    p->tenants = vmb_xcalloc(n ? n : 1, sizeof(*p->tenants));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.tenants[%zu]", pfx, i);
        struct json_object *o = json_object_array_get_idx(ts, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(c, at, NULL, "expected an object");
            return;
        }
        int64_t k = 0;
        vmb_res_int(c, o, at, "tenant", 1, VMB_RES_MAX_TENANTS, &k);
        if (c->err == NULL && k != (int64_t)i + 1) {
            vmb_res_bad(c, at, "tenant", "expected %zu", i + 1);
            return;
        }
        struct vmb_res_tenant *t = &p->tenants[i];
        t->ops = vmb_res_num(c, o, at, "ops", VMB_RES_NONNEG);
        t->errors = vmb_res_num(c, o, at, "errors", VMB_RES_NONNEG);
        t->op_rate = vmb_res_num(c, o, at, "op_rate", VMB_RES_NONNEG);
        read_latency(c, vmb_res_obj(c, o, at, "latency_us"), at,
                     &t->latency_us);
        p->ntenants++;
    }
}

static void
read_phase(struct vmb_res_ctx *c, struct json_object *o, size_t pos,
           struct vmb_res_phase *p)
{
    autofree char *pfx = vmb_xasprintf("phases[%zu]", pos);
    if (!json_object_is_type(o, json_type_object)) {
        vmb_res_bad(c, pfx, NULL, "expected an object");
        return;
    }
    int64_t idx = (int64_t)pos;
    vmb_res_int(c, o, pfx, "index", 0, VMB_MATRIX_MAX_PHASES - 1, &idx);
    p->index = (int)idx;
    autofree char *op = vmb_res_str(c, o, pfx, "op");
    const char *name = known_op(op);
    if (name == NULL && vmb_res_member(o, "op") == NULL)
        vmb_res_bad(c, pfx, "op", "missing");
    else if (name == NULL && op != NULL)
        vmb_res_bad(c, pfx, "op",
                    "\"%.40s\" is not an op (write, read, "
                    "mixed)",
                    op);
    p->op = vmb_xstrdup(name ? name : "unknown");
    p->name = vmb_xasprintf("%d-%s", p->index, p->op);
    p->ops = vmb_res_num(c, o, pfx, "ops", VMB_RES_NONNEG);
    p->errors = vmb_res_num(c, o, pfx, "errors", VMB_RES_NONNEG);
    p->misses = vmb_res_num(c, o, pfx, "misses", VMB_RES_NONNEG);
    p->duration_s = vmb_res_num(c, o, pfx, "duration_s", VMB_RES_NONNEG);
    p->op_rate = vmb_res_num(c, o, pfx, "op_rate", VMB_RES_NONNEG);
    /* Capacity phases only; null when no step met the limit. */
    p->capacity = vmb_res_num(c, o, pfx, "capacity", VMB_RES_NONNEG);
    p->cap_percentile =
        vmb_res_num(c, o, pfx, "capacity_percentile", 0.0, 100.0);
    p->cap_limit_us =
        vmb_res_num(c, o, pfx, "capacity_limit_us", VMB_RES_NONNEG);
    struct json_object *st = vmb_res_arr(c, o, pfx, "capacity_steps");
    if (st != NULL)
        read_cap_steps(c, st, pfx, p);
    read_latency(c, vmb_res_obj(c, o, pfx, "latency_us"), pfx, &p->latency_us);
    struct json_object *pc = vmb_res_arr(c, o, pfx, "percentiles");
    if (pc != NULL)
        read_percentiles(c, pc, pfx, p);
    /* Several tenants only. */
    p->aggregate_op_rate =
        vmb_res_num(c, o, pfx, "aggregate_op_rate", VMB_RES_NONNEG);
    p->tenant_min_op_rate =
        vmb_res_num(c, o, pfx, "tenant_min_op_rate", VMB_RES_NONNEG);
    p->tenant_fairness = vmb_res_num(c, o, pfx, "tenant_fairness", 0.0, 1.0);
    struct json_object *ts = vmb_res_arr(c, o, pfx, "tenants");
    if (ts != NULL)
        read_tenants(c, ts, pfx, p);
}

void
vmb_res_read_phases(struct vmb_res_ctx *c, struct json_object *ph,
                    struct vmb_res_rep *rep)
{
    size_t n = json_object_array_length(ph);
    if (n > VMB_MATRIX_MAX_PHASES) {
        vmb_res_bad(c, "phases", NULL,
                    "%zu phases, more than the %d a run "
                    "can have",
                    n, VMB_MATRIX_MAX_PHASES);
        return;
    }
    /* Grown one by one: a bad first phase costs no large allocation. */
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        rep->phases = vmb_xrealloc(rep->phases, (i + 1) * sizeof(*rep->phases));
        memset(&rep->phases[i], 0, sizeof(rep->phases[i]));
        rep->nphases++;
        read_phase(c, json_object_array_get_idx(ph, i), i, &rep->phases[i]);
    }
}

void
vmb_res_rep_clear(struct vmb_res_rep *rep)
{
    if (rep == NULL)
        return;
    for (size_t i = 0; i < rep->nphases; i++) {
        free(rep->phases[i].op);
        free(rep->phases[i].name);
        free(rep->phases[i].percentiles);
        free(rep->phases[i].cap_steps);
        free(rep->phases[i].tenants);
    }
    free(rep->phases);
    free(rep->dir);
    free(rep->status);
    free(rep->error);
    free(rep->started);
    free(rep->finished);
    free(rep->accel);
    for (size_t i = 0; i < rep->nignored; i++) {
        free(rep->ignored[i].setting);
        free(rep->ignored[i].value);
        free(rep->ignored[i].why);
    }
    free(rep->ignored);
    memset(rep, 0, sizeof(*rep));
}
