#include "analysis/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/metric.h"

/* Fixed, so the same two directories always give the same intervals. */
#define COMPARE_SEED 0x636f6d7061726555ULL

const char vmb_compare_rule[] =
    "a change counts only when B/A differs from 1 by more than the "
    "threshold and is significant: with fewer than 5 repetitions a side, "
    "the ratio's 95% bootstrap interval excludes 1; from 5 up, the "
    "two-sided permutation test's p-value is at most alpha; a median that "
    "rises from zero is an infinite change (with fewer than 5 a side it "
    "counts, from 5 up when the test says so), one that falls to zero a "
    "ratio of 0, and two zero medians no change";

const char vmb_compare_gate_rule[] =
    "the gate fails on a slower row, on a cell or phase of A that B lacks "
    "or has only failed runs of, and on a value, median or ratio that is "
    "not a finite number; cells and phases only B has are listed";

const char *
vmb_verdict_name(enum vmb_verdict v)
{
    switch (v) {
    case VMB_VERDICT_SAME:
        return "no change";
    case VMB_VERDICT_FASTER:
        return "faster";
    case VMB_VERDICT_SLOWER:
        return "slower";
    case VMB_VERDICT_MISSING_B:
        return "missing in B";
    case VMB_VERDICT_MISSING_A:
        return "missing in A";
    case VMB_VERDICT_NOT_FINITE:
        return "not finite";
    case VMB_VERDICT_NONE:
        break;
    }
    return "too few runs";
}

bool
vmb_verdict_fails(enum vmb_verdict v)
{
    return v == VMB_VERDICT_SLOWER || v == VMB_VERDICT_MISSING_B ||
           v == VMB_VERDICT_NOT_FINITE;
}

size_t
vmb_compare_failures(const struct vmb_compare *c)
{
    return c->nslower + c->nmissing_b + c->nnot_finite + c->nmissing;
}

enum vmb_verdict
vmb_compare_verdict(double ratio, struct vmb_interval ci, double p, size_t na,
                    size_t nb, bool higher_better, double threshold,
                    double alpha)
{
    if (na < 2 || nb < 2)
        return VMB_VERDICT_NONE;
    if (isnan(ratio))
        return VMB_VERDICT_NOT_FINITE;
    /* A ratio of exactly 1 + threshold is no change, rounding aside. */
    bool large = fabs(ratio - 1) > threshold + 1e-12;
    bool few = na < VMB_COMPARE_PERM_MIN || nb < VMB_COMPARE_PERM_MIN;
    bool significant;
    if (isinf(ratio))
        significant = few || p <= alpha; /* risen from a zero median */
    else if (few)
        significant = ci.lo > 1 || ci.hi < 1;
    else
        significant = p <= alpha;
    if (!large || !significant)
        return VMB_VERDICT_SAME;
    return (ratio > 1) == higher_better ? VMB_VERDICT_FASTER
                                        : VMB_VERDICT_SLOWER;
}

size_t
vmb_compare_values(const struct vmb_res_cell *c, const char *phase,
                   const char *metric, double *out, size_t max, size_t *nbad)
{
    size_t n = 0, bad = 0;
    for (size_t i = 0; i < c->nreps && n < max; i++) {
        const struct vmb_res_rep *rep = &c->reps[i];
        if (!rep->ok)
            continue;
        const struct vmb_res_phase *ph = vmb_res_rep_phase(rep, phase);
        if (ph == NULL)
            continue;
        double v = vmb_metric_get(ph, metric);
        if (isfinite(v))
            out[n++] = v;
        else
            bad++;
    }
    if (nbad != NULL)
        *nbad = bad;
    return n;
}

static void
push_str(char ***list, size_t *n, char *s)
{
    *list = vmb_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = s;
}

static const struct vmb_res_cell *
find_match(const struct vmb_res_cell *bs, size_t nb, const bool *used,
           const struct vmb_res_cell *a, bool *by_label)
{
    for (size_t i = 0; i < nb; i++)
        if (!used[i] && strcmp(bs[i].id, a->id) == 0) {
            *by_label = false;
            return &bs[i];
        }
    if (a->label == NULL)
        return NULL;
    const struct vmb_res_cell *hit = NULL;
    for (size_t i = 0; i < nb; i++) {
        if (used[i] || bs[i].label == NULL || strcmp(bs[i].label, a->label))
            continue;
        if (hit != NULL)
            return NULL; /* two cells of B share the label: no match */
        hit = &bs[i];
    }
    *by_label = true;
    return hit;
}

static void
diff_settings(struct vmb_compare_pair *p)
{
    for (size_t i = 0; i < p->a->noptions; i++) {
        const struct vmb_res_kv *kv = &p->a->options[i];
        const char *vb = vmb_res_cell_option(p->b, kv->key);
        const char *va = kv->value ? kv->value : "";
        if (vb == NULL || strcmp(va, vb) != 0)
            push_str(&p->diff, &p->ndiff,
                     vmb_xasprintf("%s: %s -> %s", kv->key, va,
                                   vb ? vb : "(unset)"));
    }
    for (size_t i = 0; i < p->b->noptions; i++) {
        const struct vmb_res_kv *kv = &p->b->options[i];
        if (vmb_res_cell_option(p->a, kv->key) == NULL)
            push_str(&p->diff, &p->ndiff,
                     vmb_xasprintf("%s: (unset) -> %s", kv->key,
                                   kv->value ? kv->value : ""));
    }
}

static void
match_cells(struct vmb_compare *c, const struct vmb_res_cell *as, size_t na,
            const struct vmb_res_cell *bs, size_t nb)
{
    autofree bool *used = vmb_xcalloc(nb ? nb : 1, sizeof(*used));
    for (size_t i = 0; i < na; i++) {
        bool by_label = false;
        const struct vmb_res_cell *b =
            find_match(bs, nb, used, &as[i], &by_label);
        if (b == NULL) {
            push_str(&c->unmatched, &c->nunmatched,
                     vmb_xasprintf("only in A: %s (%s)",
                                   as[i].label ? as[i].label : "", as[i].id));
            push_str(&c->missing, &c->nmissing,
                     vmb_xasprintf("%s (%s): not in B",
                                   as[i].label ? as[i].label : "", as[i].id));
            continue;
        }
        used[b - bs] = true;
        c->pairs = vmb_xrealloc(c->pairs, (c->npairs + 1) * sizeof(*c->pairs));
        struct vmb_compare_pair *p = &c->pairs[c->npairs++];
        *p = (struct vmb_compare_pair){
            .a = &as[i], .b = b, .by_label = by_label};
        diff_settings(p);
    }
    for (size_t i = 0; i < nb; i++)
        if (!used[i])
            push_str(&c->unmatched, &c->nunmatched,
                     vmb_xasprintf("only in B: %s (%s)",
                                   bs[i].label ? bs[i].label : "", bs[i].id));
}

static size_t
ok_runs(const struct vmb_res_cell *cell)
{
    size_t n = 0;
    for (size_t i = 0; i < cell->nreps; i++)
        n += cell->reps[i].ok;
    return n;
}

/* Adds the phase names of cell's ok runs that names lacks, in run order. */
static void
add_phases(const struct vmb_res_cell *cell, const char ***names, size_t *n)
{
    for (size_t i = 0; i < cell->nreps; i++) {
        const struct vmb_res_rep *rep = &cell->reps[i];
        for (size_t j = 0; rep->ok && j < rep->nphases; j++) {
            const char *name = rep->phases[j].name;
            size_t k = 0;
            while (k < *n && strcmp((*names)[k], name) != 0)
                k++;
            if (k < *n)
                continue;
            *names = vmb_xrealloc(*names, (*n + 1) * sizeof(**names));
            (*names)[(*n)++] = name;
        }
    }
}

static void
compare_one(struct vmb_compare *c, size_t pi, const char *phase,
            const char *metric)
{
    const struct vmb_compare_pair *p = &c->pairs[pi];
    size_t ma = p->a->nreps ? p->a->nreps : 1;
    size_t mb = p->b->nreps ? p->b->nreps : 1;
    autofree double *va = vmb_xmalloc(ma * sizeof(*va));
    autofree double *vb = vmb_xmalloc(mb * sizeof(*vb));
    struct vmb_compare_row r = {.pair = pi, .phase = phase, .metric = metric};
    r.na = vmb_compare_values(p->a, phase, metric, va, ma, &r.nbad_a);
    r.nb = vmb_compare_values(p->b, phase, metric, vb, mb, &r.nbad_b);
    r.median_a = vmb_stats_median(va, r.na);
    r.median_b = vmb_stats_median(vb, r.nb);
    autofree char *key = vmb_xasprintf("%s/%s/%s", p->a->id, phase, metric);
    uint64_t seed = vmb_stats_seed_for(COMPARE_SEED, key);
    r.ci =
        vmb_stats_bootstrap_ratio(vb, r.nb, va, r.na, seed, VMB_STATS_RESAMPLES,
                                  VMB_STATS_LEVEL, &r.ratio);
    if (r.median_a == 0 && isfinite(r.median_b))
        r.ratio = r.median_b == 0 ? 1 : INFINITY;
    r.p = vmb_stats_permutation_p(va, r.na, vb, r.nb, seed);
    if (r.nbad_a > 0 || r.nbad_b > 0)
        r.verdict = VMB_VERDICT_NOT_FINITE;
    else if (r.nb == 0)
        r.verdict = VMB_VERDICT_MISSING_B;
    else if (r.na == 0)
        r.verdict = VMB_VERDICT_MISSING_A;
    else if (!isfinite(r.median_a) || !isfinite(r.median_b) ||
             (r.median_a != 0 && !isfinite(r.ratio)))
        r.verdict = VMB_VERDICT_NOT_FINITE; /* overflowed */
    else
        r.verdict = vmb_compare_verdict(r.ratio, r.ci, r.p, r.na, r.nb,
                                        vmb_metric_higher_better(metric),
                                        c->opts.threshold, c->opts.alpha);
    c->rows = vmb_xrealloc(c->rows, (c->nrows + 1) * sizeof(*c->rows));
    c->rows[c->nrows++] = r;
}

/* How much better B is on a log scale; NAN sorts last. */
static double
goodness(const struct vmb_compare_row *r)
{
    double g = log(r->ratio);
    return vmb_metric_higher_better(r->metric) ? g : -g;
}

static int
cmp_rows(const void *pa, const void *pb)
{
    const struct vmb_compare_row *a = pa, *b = pb;
    int ra = vmb_verdict_fails(a->verdict);
    int rb = vmb_verdict_fails(b->verdict);
    if (ra != rb)
        return rb - ra;
    double ga = goodness(a), gb = goodness(b);
    if (isnan(ga) != isnan(gb))
        return isnan(ga) - isnan(gb);
    if (ga != gb && !isnan(ga))
        return (ga > gb) - (ga < gb);
    /* Ties in a fixed order: pair, phase, metric. */
    if (a->pair != b->pair)
        return (a->pair > b->pair) - (a->pair < b->pair);
    int d = strcmp(a->phase, b->phase);
    return d ? d : strcmp(a->metric, b->metric);
}

/* Marks VM cells' rows whose control is slower in the same series. */
static void
mark_control_slower(struct vmb_compare *c)
{
    for (size_t i = 0; i < c->nrows; i++) {
        struct vmb_compare_row *r = &c->rows[i];
        const struct vmb_compare_pair *p = &c->pairs[r->pair];
        if (p->a->control || p->a->control_id == NULL)
            continue;
        for (size_t j = 0; j < c->nrows; j++) {
            const struct vmb_compare_row *q = &c->rows[j];
            const struct vmb_compare_pair *qp = &c->pairs[q->pair];
            if (qp->a->control && strcmp(qp->a->id, p->a->control_id) == 0 &&
                strcmp(q->phase, r->phase) == 0 &&
                strcmp(q->metric, r->metric) == 0 &&
                q->verdict == VMB_VERDICT_SLOWER)
                r->control_slower = true;
        }
    }
}

int
vmb_compare_build(struct vmb_compare *c, const struct vmb_results *a,
                  const struct vmb_results *b,
                  const struct vmb_compare_opts *opts, struct vmb_error **err)
{
    *c = (struct vmb_compare){.a = a, .b = b, .opts = *opts};
    for (size_t i = 0; i < opts->nmetrics; i++) {
        const struct vmb_metric *m;
        if (vmb_metric_lookup(opts->metrics[i], VMB_IN_PHASES, &m, err) < 0)
            return -1;
    }
    match_cells(c, a->cells, a->ncells, b->cells, b->ncells);
    match_cells(c, a->controls, a->ncontrols, b->controls, b->ncontrols);
    if (c->npairs == 0) {
        vmb_compare_free(c);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" and \"%s\" have no cell in common", a->dir,
                             b->dir);
    }
    for (size_t pi = 0; pi < c->npairs; pi++) {
        const struct vmb_compare_pair *p = &c->pairs[pi];
        if (ok_runs(p->b) == 0)
            push_str(&c->missing, &c->nmissing,
                     vmb_xasprintf("%s (%s): no run of B succeeded (%zu "
                                   "recorded)",
                                   p->a->label ? p->a->label : "", p->a->id,
                                   p->b->nreps));
        autofree const char **names = NULL;
        size_t nnames = 0;
        add_phases(p->a, &names, &nnames);
        add_phases(p->b, &names, &nnames);
        for (size_t ph = 0; ph < nnames; ph++)
            for (size_t m = 0; m < opts->nmetrics; m++)
                compare_one(c, pi, names[ph], opts->metrics[m]);
    }
    mark_control_slower(c);
    if (c->nrows > 0)
        qsort(c->rows, c->nrows, sizeof(*c->rows), cmp_rows);
    for (size_t i = 0; i < c->nrows; i++) {
        switch (c->rows[i].verdict) {
        case VMB_VERDICT_SLOWER:
            c->nslower++;
            break;
        case VMB_VERDICT_FASTER:
            c->nfaster++;
            break;
        case VMB_VERDICT_SAME:
            c->nsame++;
            break;
        case VMB_VERDICT_NONE:
            c->nnone++;
            break;
        case VMB_VERDICT_MISSING_B:
            c->nmissing_b++;
            break;
        case VMB_VERDICT_MISSING_A:
            c->nmissing_a++;
            break;
        case VMB_VERDICT_NOT_FINITE:
            c->nnot_finite++;
            break;
        }
    }
    return 0;
}

void
vmb_compare_free(struct vmb_compare *c)
{
    for (size_t i = 0; i < c->npairs; i++) {
        for (size_t j = 0; j < c->pairs[i].ndiff; j++)
            free(c->pairs[i].diff[j]);
        free(c->pairs[i].diff);
    }
    free(c->pairs);
    free(c->rows);
    for (size_t i = 0; i < c->nunmatched; i++)
        free(c->unmatched[i]);
    free(c->unmatched);
    for (size_t i = 0; i < c->nmissing; i++)
        free(c->missing[i]);
    free(c->missing);
    *c = (struct vmb_compare){0};
}
