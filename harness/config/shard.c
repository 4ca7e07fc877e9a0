/* The partition of a plan into shards (shard.h). */
#include "config/shard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* A whole number of decimal digits only, at most max; -1 otherwise. */
static long long
digits(const char *s, size_t len, long long max)
{
    if (len == 0 || len > 9)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

int
vmb_shard_parse(const char *text, size_t *k, size_t *n, struct vmb_error **err)
{
    const char *slash = strchr(text, '/');
    if (text[0] == '\0' || slash == text)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--shard \"%s\" has no shard index before the "
                             "\"/\" (an unset variable?); expected K/N, "
                             "K from 0 to N-1",
                             text);
    long long kv = slash ? digits(text, (size_t)(slash - text), INT64_MAX) : -1;
    long long nv =
        slash ? digits(slash + 1, strlen(slash + 1), VMB_SHARDS_MAX) : -1;
    if (kv < 0 || nv < 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--shard \"%s\" is not K/N with whole numbers, "
                             "N from 1 to %d",
                             text, VMB_SHARDS_MAX);
    if (kv >= nv)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--shard \"%s\": the index counts from 0, so "
                             "shard %lld of %lld does not exist",
                             text, kv, nv);
    *k = (size_t)kv;
    *n = (size_t)nv;
    return 0;
}

int
vmb_shards_parse_count(const char *text, size_t *n, struct vmb_error **err)
{
    long long v = digits(text, strlen(text), VMB_SHARDS_MAX);
    if (v < 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--shards takes a whole number from 1 to %d, got "
                             "\"%s\"",
                             VMB_SHARDS_MAX, text);
    *n = (size_t)v;
    return 0;
}

/* A control group: control ctl and its cells, or one cell without one. */
struct group {
    size_t ctl;  /* index into controls, or SIZE_MAX */
    size_t cell; /* with ctl SIZE_MAX: the lone cell */
    double weight;
};

static int
by_weight(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    /* Ties by position in the matrix: the order every host has. */
    size_t xi = x->ctl != SIZE_MAX ? x->ctl : SIZE_MAX / 2 + x->cell;
    size_t yi = y->ctl != SIZE_MAX ? y->ctl : SIZE_MAX / 2 + y->cell;
    return xi < yi ? -1 : xi > yi;
}

int
vmb_shards_build(const struct vmb_matrix *m, size_t n, struct vmb_shards **out,
                 struct vmb_error **err)
{
    if (n < 1 || n > VMB_SHARDS_MAX)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%zu shards: not 1 to %d",
                             n, VMB_SHARDS_MAX);
    double reps = (double)m->base.top.repetitions;
    size_t lone = 0;
    for (size_t i = 0; i < m->ncells; i++)
        lone += m->cells[i].control == SIZE_MAX;
    size_t ng = m->ncontrols + lone;
    struct group *g = vmb_xcalloc(ng + 1, sizeof(*g));
    for (size_t i = 0; i < m->ncontrols; i++) {
        g[i].ctl = i;
        g[i].weight = reps * vmb_plan_estimate_run(&m->controls[i]);
    }
    size_t j = m->ncontrols;
    for (size_t i = 0; i < m->ncells; i++) {
        double w = reps * vmb_plan_estimate_run(&m->cells[i]);
        size_t ctl = m->cells[i].control;
        if (ctl != SIZE_MAX) {
            g[ctl].weight += w;
            continue;
        }
        g[j].ctl = SIZE_MAX;
        g[j].cell = i;
        g[j++].weight = w;
    }
    struct vmb_shards *s = vmb_xcalloc(1, sizeof(*s));
    s->n = n;
    s->cell_shard = vmb_xcalloc(m->ncells + 1, sizeof(size_t));
    s->control_shard = vmb_xcalloc(m->ncontrols + 1, sizeof(size_t));
    s->estimate_s = vmb_xcalloc(n, sizeof(double));
    s->nruns = vmb_xcalloc(n, sizeof(size_t));
    /* The calibration control runs everywhere: its time is every shard's,
     * and its group weighs the rest. */
    double calib = 0;
    if (m->ncontrols > 0) {
        calib = reps * vmb_plan_estimate_run(&m->controls[0]);
        g[0].weight -= calib;
        for (size_t k = 0; k < n; k++) {
            s->estimate_s[k] = calib;
            s->nruns[k] = (size_t)m->base.top.repetitions;
        }
    }
    qsort(g, ng, sizeof(*g), by_weight);
    for (size_t i = 0; i < ng; i++) {
        size_t best = 0;
        for (size_t k = 1; k < n; k++)
            if (s->estimate_s[k] < s->estimate_s[best])
                best = k;
        s->estimate_s[best] += g[i].weight;
        if (g[i].ctl == SIZE_MAX) {
            s->cell_shard[g[i].cell] = best;
            s->nruns[best] += (size_t)m->base.top.repetitions;
            continue;
        }
        s->control_shard[g[i].ctl] = best;
        if (g[i].ctl != 0)
            s->nruns[best] += (size_t)m->base.top.repetitions;
    }
    free(g);
    for (size_t i = 0; i < m->ncells; i++) {
        size_t ctl = m->cells[i].control;
        if (ctl == SIZE_MAX)
            continue;
        s->cell_shard[i] = s->control_shard[ctl];
        s->nruns[s->cell_shard[i]] += (size_t)m->base.top.repetitions;
    }
    *out = s;
    return 0;
}

void
vmb_shards_free(struct vmb_shards *s)
{
    if (s == NULL)
        return;
    free(s->cell_shard);
    free(s->control_shard);
    free(s->estimate_s);
    free(s->nruns);
    free(s);
}

bool
vmb_shards_runs(const struct vmb_shards *s, const struct vmb_matrix *m,
                size_t k, const struct vmb_cell *c)
{
    if (c >= m->cells && c < m->cells + m->ncells)
        return s->cell_shard[c - m->cells] == k;
    if (c == &m->controls[0])
        return true;
    return s->control_shard[c - m->controls] == k;
}

bool
vmb_shards_is_calibration(const struct vmb_shards *s,
                          const struct vmb_matrix *m, size_t k,
                          const struct vmb_cell *c)
{
    return m->ncontrols > 0 && c == &m->controls[0] && s->control_shard[0] != k;
}

void
vmb_plan_restrict(struct vmb_plan *p, const struct vmb_matrix *m,
                  const struct vmb_shards *s, size_t k)
{
    size_t kept = 0;
    p->estimate_s = 0;
    for (size_t i = 0; i < p->nruns; i++) {
        if (!vmb_shards_runs(s, m, k, p->runs[i].cell))
            continue;
        p->estimate_s += vmb_plan_estimate_run(p->runs[i].cell);
        p->runs[kept++] = p->runs[i];
    }
    p->nruns = kept;
    p->shard = k;
    p->nshards = s->n;
    free(p->cell_in);
    free(p->control_in);
    p->cell_in = vmb_xcalloc(m->ncells + 1, 1);
    p->control_in = vmb_xcalloc(m->ncontrols + 1, 1);
    for (size_t i = 0; i < m->ncells; i++)
        p->cell_in[i] = s->cell_shard[i] == k;
    for (size_t i = 0; i < m->ncontrols; i++) {
        const struct vmb_cell *c = &m->controls[i];
        p->control_in[i] = vmb_shards_is_calibration(s, m, k, c) ? 2
                           : vmb_shards_runs(s, m, k, c)         ? 1
                                                                 : 0;
    }
}

void
vmb_shards_to_json(struct vmb_jw *w, const struct vmb_matrix *m,
                   const struct vmb_plan *p, const struct vmb_shards *s)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, "schema", 1);
    vmb_jw_kstr(w, "name", m->name);
    vmb_jw_kstr(w, "id", p->id);
    vmb_jw_kuint(w, "count", s->n);
    vmb_jw_key(w, "shards");
    vmb_jw_arr_begin(w);
    for (size_t k = 0; k < s->n; k++) {
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, "index", k);
        vmb_jw_kuint(w, "runs", s->nruns[k]);
        vmb_jw_kdouble(w, "estimate_s", s->estimate_s[k]);
        vmb_jw_key(w, "controls");
        vmb_jw_arr_begin(w);
        for (size_t i = 0; i < m->ncontrols; i++) {
            const struct vmb_cell *c = &m->controls[i];
            if (!vmb_shards_runs(s, m, k, c))
                continue;
            vmb_jw_obj_begin(w);
            vmb_jw_kstr(w, "id", c->id);
            vmb_jw_kbool(w, "calibration",
                         vmb_shards_is_calibration(s, m, k, c));
            vmb_jw_obj_end(w);
        }
        vmb_jw_arr_end(w);
        vmb_jw_key(w, "cells");
        vmb_jw_arr_begin(w);
        for (size_t i = 0; i < m->ncells; i++)
            if (s->cell_shard[i] == k)
                vmb_jw_str(w, m->cells[i].id);
        vmb_jw_arr_end(w);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}
