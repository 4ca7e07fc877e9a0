/*
 * The model's figures of runs with several tenants: each tenant's values
 * of a phase, and the scaling efficiency of a cell against its twin with
 * tenants: 1 (the same kind and every other setting equal).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "report/model.h"
#include "results/metric.h"

int64_t
vmb_model_tenants(const struct vmb_model *m, size_t row)
{
    const struct vmb_res_cell *c = m->rows[row].cell;
    return c->has_config && c->cfg.top.tenants > 0 ? c->cfg.top.tenants : 1;
}

/* The same settings but for tenants (and the run's name). */
static bool
same_but_tenants(const struct vmb_res_cell *a, const struct vmb_res_cell *b)
{
    if (a->control != b->control || !a->has_config || !b->has_config)
        return false;
    for (size_t i = 0; i < a->noptions; i++) {
        const char *k = a->options[i].key;
        if (strcmp(k, "tenants") == 0 || strcmp(k, "name") == 0)
            continue;
        const char *v = vmb_res_cell_option(b, k);
        if (v == NULL || strcmp(v, a->options[i].value) != 0)
            return false;
    }
    return a->noptions == b->noptions;
}

size_t
vmb_model_tenants_family(const struct vmb_model *m, size_t row)
{
    for (size_t j = 0; j < row; j++)
        if (same_but_tenants(m->rows[row].cell, m->rows[j].cell))
            return j;
    return row;
}

bool
vmb_model_oversubscribed(const struct vmb_model *m, size_t row)
{
    const struct vmb_res_cell *c = m->rows[row].cell;
    const struct vmb_res_run *run = &m->res->run;
    if (!c->has_config || c->cfg.top.tenants < 2 || !(run->cpus > 0) ||
        (c->control && !c->cfg.control.match_resources))
        return false;
    return (double)(c->cfg.top.tenants * 2 * c->cfg.guest.vcpus) > run->cpus;
}

size_t
vmb_model_tenants_twin(const struct vmb_model *m, size_t row)
{
    if (vmb_model_tenants(m, row) < 2)
        return SIZE_MAX;
    for (size_t j = 0; j < m->nrows; j++)
        if (j != row && vmb_model_tenants(m, j) == 1 &&
            same_but_tenants(m->rows[row].cell, m->rows[j].cell))
            return j;
    return SIZE_MAX;
}

bool
vmb_model_scaling(const struct vmb_model *m, size_t phase, size_t row,
                  struct vmb_summary *out)
{
    memset(out, 0, sizeof(*out));
    size_t twin = vmb_model_tenants_twin(m, row);
    if (twin == SIZE_MAX)
        return false;
    const struct vmb_summary *agg =
        &vmb_model_series(m, phase, row, VMB_METRIC_AGGREGATE_OP_RATE)->s;
    const struct vmb_summary *one =
        &vmb_model_series(m, phase, twin, VMB_METRIC_OPRATE)->s;
    if (agg->n == 0 || one->n == 0 || !(one->median > 0))
        return false;
    double n = (double)vmb_model_tenants(m, row);
    /* One figure from two medians: no spread of its own. */
    out->n = agg->n < one->n ? agg->n : one->n;
    out->median = agg->median / (n * one->median);
    out->ci.lo = out->ci.hi = NAN;
    out->mean = out->stddev = out->cv = NAN;
    out->min = out->max = NAN;
    return true;
}

size_t
vmb_model_tenant_values(const struct vmb_model *m, size_t phase, size_t row,
                        size_t tenant, int metric, double *out, size_t max)
{
    const struct vmb_res_cell *c = m->rows[row].cell;
    size_t n = 0;
    for (size_t i = 0; i < c->nreps && n < max; i++) {
        if (!c->reps[i].ok)
            continue;
        const struct vmb_res_phase *p =
            vmb_res_rep_phase(&c->reps[i], m->phases[phase].name);
        if (p == NULL || tenant >= p->ntenants)
            continue;
        /* The tenant's figures as a phase of its own. */
        struct vmb_res_phase tp = {
            .ops = p->tenants[tenant].ops,
            .errors = p->tenants[tenant].errors,
            .op_rate = p->tenants[tenant].op_rate,
            .latency_us = p->tenants[tenant].latency_us,
            .host_mem_per_tenant = p->tenants[tenant].host_mem,
        };
        double v = vmb_metric_phase_value(&tp, metric);
        if (isfinite(v))
            out[n++] = v;
    }
    return n;
}
