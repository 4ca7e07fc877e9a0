#include "report/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* ---- the model: every series the report shows ---- */

static void
add_phase(struct vmb_model *m, const struct vmb_res_phase *p)
{
    for (size_t i = 0; i < m->nphases; i++)
        if (strcmp(m->phases[i].name, p->name) == 0)
            return;
    m->phases = vmb_xrealloc(m->phases, (m->nphases + 1) * sizeof(*m->phases));
    struct vmb_model_phase *ph = &m->phases[m->nphases++];
    memset(ph, 0, sizeof(*ph));
    ph->name = vmb_xstrdup(p->name);
    ph->op = vmb_xstrdup(p->op);
    ph->index = p->index;
}

static int
cmp_phase(const void *a, const void *b)
{
    const struct vmb_model_phase *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* The repetition whose op rate is the (lower) median: its curves are shown. */
static size_t
median_rep(const struct vmb_res_cell *c, const char *phase)
{
    size_t idx[c->nreps ? c->nreps : 1];
    double val[c->nreps ? c->nreps : 1];
    size_t n = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        if (!c->reps[i].ok)
            continue;
        const struct vmb_res_phase *p = vmb_res_rep_phase(&c->reps[i], phase);
        if (p == NULL || !isfinite(p->op_rate))
            continue;
        idx[n] = i;
        val[n] = p->op_rate;
        n++;
    }
    if (n == 0)
        return SIZE_MAX;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && val[j - 1] > val[j]; j--) {
            double tv = val[j];
            val[j] = val[j - 1];
            val[j - 1] = tv;
            size_t ti = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = ti;
        }
    return idx[(n - 1) / 2];
}

static void
compute_boot(struct vmb_model *m)
{
    size_t cap = vmb_results_max_reps(m->res) * 2;
    double *v = vmb_xcalloc(cap, sizeof(*v));
    m->boot =
        vmb_xcalloc(m->ncells ? m->ncells * vmb_nmetrics : 1, sizeof(*m->boot));
    for (size_t r = 0; r < m->ncells; r++) {
        const struct vmb_res_cell *c = m->rows[r].cell;
        for (size_t b = 0; b < vmb_nmetrics; b++) {
            if (vmb_metrics[b].where != VMB_IN_BOOT)
                continue;
            size_t n = 0;
            for (size_t i = 0; i < c->nreps; i++)
                n += vmb_metric_run_values(&c->reps[i], (int)b, v + n);
            autofree char *key =
                vmb_xasprintf("%s/boot/%s", c->id, vmb_metrics[b].name);
            vmb_stats_summarise(v, n, vmb_stats_seed_for(m->seed, key),
                                &m->boot[r * vmb_nmetrics + b]);
            if (n > 0)
                m->any_boot = true;
        }
    }
    free(v);
}

/*
 * label with the word "SETTING=VALUE" (SETTING maybe after a section's
 * dot) of each setting c's runs ignored marked, so no chart or table
 * names the cell by a setting that did not apply. Malloc'd.
 */
static char *
marked_label(const struct vmb_res_cell *c)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, c->label ? c->label : "");
    for (size_t k = 0; k < c->nreps; k++)
        for (size_t i = 0; i < c->reps[k].nignored; i++) {
            const struct vmb_res_ignored *x = &c->reps[k].ignored[i];
            autofree char *word = vmb_xasprintf("%s=", x->setting);
            size_t wn = strlen(word);
            for (char *p = b.data ? strstr(b.data, word) : NULL; p;
                 p = strstr(p + 1, word)) {
                if (p != b.data && p[-1] != ' ' && p[-1] != '.')
                    continue;
                char *end = p + wn + strcspn(p + wn, " ");
                if (strncmp(end, " (ignored)", 10) == 0)
                    break;
                autofree char *rest = vmb_xstrdup(end);
                b.len = (size_t)(end - b.data);
                b.data[b.len] = '\0';
                vmb_buf_puts(&b, " (ignored)");
                vmb_buf_puts(&b, rest);
                break;
            }
        }
    return vmb_buf_steal(&b);
}

/* Rows, their run counts, and the phases any ok run has, in index order. */
static void
build_rows(struct vmb_model *m, const struct vmb_results *r)
{
    m->rows = vmb_xcalloc(m->nrows ? m->nrows : 1, sizeof(*m->rows));
    for (size_t i = 0; i < m->nrows; i++) {
        struct vmb_model_row *row = &m->rows[i];
        row->cell = i < r->ncells ? &r->cells[i] : &r->controls[i - r->ncells];
        row->control_row = SIZE_MAX;
        const struct vmb_res_cell *ctl = vmb_results_control_of(r, row->cell);
        for (size_t k = 0; ctl && k < r->ncontrols; k++)
            if (&r->controls[k] == ctl)
                row->control_row = r->ncells + k;
        for (size_t k = 0; k < row->cell->nreps; k++) {
            const struct vmb_res_rep *rep = &row->cell->reps[k];
            if (rep->ok) {
                row->nok++;
                for (size_t p = 0; p < rep->nphases; p++)
                    add_phase(m, &rep->phases[p]);
            } else if (strcmp(rep->status, "missing") == 0) {
                row->nmissing++;
            } else {
                row->nfailed++;
            }
        }
        row->label = marked_label(row->cell);
        if ((int)row->nok > m->reps_max)
            m->reps_max = (int)row->nok;
        if (row->nok > 0 && (m->reps_min == 0 || (int)row->nok < m->reps_min))
            m->reps_min = (int)row->nok;
    }
    if (m->nphases > 0)
        qsort(m->phases, m->nphases, sizeof(*m->phases), cmp_phase);
    for (size_t p = 0; p < m->nphases; p++) {
        struct vmb_model_phase *ph = &m->phases[p];
        int same_op = 0;
        for (size_t q = 0; q < m->nphases; q++)
            same_op += strcmp(m->phases[q].op, ph->op) == 0;
        ph->title = vmb_xstrdup(same_op > 1 ? ph->name : ph->op);
    }
}

/*
 * s's summary of the values v[0..n) under key, its flag cleared, and,
 * when cv is not NULL, its ratio to the control's values cv[0..nc) (NAN
 * when it is NULL). The key seeds both bootstraps, so the same results
 * give the same intervals.
 */
static void
summarise_series(const struct vmb_model *m, struct vmb_model_series *s,
                 const char *key, const double *v, size_t n, const double *cv,
                 size_t nc)
{
    vmb_stats_summarise(v, n, vmb_stats_seed_for(m->seed, key), &s->s);
    s->ratio = s->ratio_ci.lo = s->ratio_ci.hi = NAN;
    s->flag.neighbour = SIZE_MAX;
    if (cv == NULL)
        return;
    autofree char *rkey = vmb_xasprintf("%s/ratio", key);
    s->ratio_ci = vmb_stats_bootstrap_ratio(
        v, n, cv, nc, vmb_stats_seed_for(m->seed, rkey), VMB_STATS_RESAMPLES,
        VMB_STATS_LEVEL, &s->ratio);
}

/*
 * Every row's summary of every metric of phase p, its ratio to the
 * control, and the flags of the compared metrics. v and cv hold a row's
 * values; sums and flags one entry per VM cell.
 */
static void
compute_phase(struct vmb_model *m, size_t p, double *v, double *cv,
              struct vmb_summary *sums, struct vmb_flag *flags)
{
    struct vmb_model_phase *ph = &m->phases[p];
    ph->series = vmb_xcalloc(m->nrows ? m->nrows * vmb_nmetrics : 1,
                             sizeof(*ph->series));
    ph->median_rep =
        vmb_xcalloc(m->nrows ? m->nrows : 1, sizeof(*ph->median_rep));
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_model_row *row = &m->rows[i];
        ph->median_rep[i] = median_rep(row->cell, ph->name);
        for (int k = 0; k < (int)vmb_nmetrics; k++) {
            if (!(vmb_metrics[k].where & VMB_IN_PHASES))
                continue;
            struct vmb_model_series *s = vmb_model_series(m, p, i, k);
            size_t n =
                vmb_metric_values(row->cell, ph->name, k, v, row->cell->nreps);
            autofree char *key = vmb_xasprintf("%s/%s/%s", row->cell->id,
                                               ph->name, vmb_metrics[k].name);
            bool ctl = row->control_row != SIZE_MAX && k != VMB_METRIC_ERRORS;
            const struct vmb_res_cell *cc =
                ctl ? m->rows[row->control_row].cell : NULL;
            size_t nc =
                ctl ? vmb_metric_values(cc, ph->name, k, cv, cc->nreps) : 0;
            summarise_series(m, s, key, v, n, ctl ? cv : NULL, nc);
        }
    }
    /* Neighbours are VM cells only: the control is the yardstick. */
    static const int flagged[] = {VMB_METRIC_OPRATE, VMB_METRIC_P99};
    for (size_t f = 0; f < 2; f++) {
        int k = flagged[f];
        for (size_t i = 0; i < m->ncells; i++)
            sums[i] = vmb_model_series(m, p, i, k)->s;
        vmb_stats_flag(sums, m->ncells, VMB_STATS_CV_LIMIT, flags);
        for (size_t i = 0; i < m->ncells; i++) {
            vmb_model_series(m, p, i, k)->flag = flags[i];
            vmb_model_series(m, p, i, k)->flagged_metric = true;
        }
    }
}

static size_t
collect_probe(const struct vmb_res_cell *c, int k, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nreps; i++)
        n += vmb_metric_run_values(&c->reps[i], k, out + n);
    return n;
}

/* The probe's figures of every row and their ratios to the control. */
static void
compute_probe(struct vmb_model *m, double *v, double *cv)
{
    m->probe =
        vmb_xcalloc(m->nrows ? m->nrows * vmb_nmetrics : 1, sizeof(*m->probe));
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_model_row *row = &m->rows[i];
        for (int k = 0; k < (int)vmb_nmetrics; k++) {
            if (vmb_metrics[k].where != VMB_IN_PROBE)
                continue;
            struct vmb_model_series *s = vmb_model_probe(m, i, k);
            size_t n = collect_probe(row->cell, k, v);
            m->any_probe |= n > 0;
            autofree char *key = vmb_xasprintf("%s/probe/%s", row->cell->id,
                                               vmb_metrics[k].name);
            bool ctl = row->control_row != SIZE_MAX;
            size_t nc =
                ctl ? collect_probe(m->rows[row->control_row].cell, k, cv) : 0;
            summarise_series(m, s, key, v, n, ctl ? cv : NULL, nc);
        }
    }
}

void
vmb_model_build(struct vmb_model *m, const struct vmb_results *r)
{
    memset(m, 0, sizeof(*m));
    m->res = r;
    m->seed = r->has_seed ? r->seed : 1;
    m->ncells = r->ncells;
    m->nrows = r->ncells + r->ncontrols;
    build_rows(m, r);

    m->accel = r->run.accel_used;
    for (size_t i = 0; m->accel == NULL && i < r->ncells; i++)
        for (size_t k = 0; k < r->cells[i].nreps; k++)
            if (r->cells[i].reps[k].accel != NULL) {
                m->accel = r->cells[i].reps[k].accel;
                break;
            }
    m->tcg = m->accel != NULL && strcmp(m->accel, "tcg") == 0;

    size_t cap = vmb_results_max_reps(r);
    double *v = vmb_xcalloc(cap, sizeof(*v));
    double *cv = vmb_xcalloc(cap, sizeof(*cv));
    struct vmb_summary *sums =
        vmb_xcalloc(m->ncells ? m->ncells : 1, sizeof(*sums));
    struct vmb_flag *flags =
        vmb_xcalloc(m->ncells ? m->ncells : 1, sizeof(*flags));
    for (size_t p = 0; p < m->nphases; p++)
        compute_phase(m, p, v, cv, sums, flags);
    compute_probe(m, v, cv);
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->nrows; i++)
            m->any_resources |=
                vmb_model_series(m, p, i, VMB_METRIC_CPU_PER_OP)->s.n > 0;
    free(v);
    free(cv);
    free(sums);
    free(flags);
    compute_boot(m);
}

void
vmb_model_free(struct vmb_model *m)
{
    for (size_t p = 0; p < m->nphases; p++) {
        free(m->phases[p].name);
        free(m->phases[p].op);
        free(m->phases[p].title);
        free(m->phases[p].series);
        free(m->phases[p].median_rep);
    }
    free(m->phases);
    for (size_t i = 0; m->rows && i < m->nrows; i++)
        free(m->rows[i].label);
    free(m->rows);
    free(m->boot);
    free(m->probe);
}

char *
vmb_model_reps_text(const struct vmb_model *m)
{
    if (m->reps_min != m->reps_max)
        return vmb_xasprintf("%d-%d repetitions", m->reps_min, m->reps_max);
    return vmb_xasprintf("%d repetition%s", m->reps_max,
                         m->reps_max == 1 ? "" : "s");
}

const char *
vmb_model_label(const struct vmb_model *m, size_t row)
{
    return m->rows[row].label;
}

bool
vmb_model_any_control(const struct vmb_model *m)
{
    for (size_t i = 0; i < m->ncells; i++)
        if (m->rows[i].control_row != SIZE_MAX)
            return true;
    return false;
}

const char *
vmb_model_lat_unit(double max_us)
{
    return max_us >= 2000 ? "ms" : "us";
}

double
vmb_model_lat_scale(const char *unit)
{
    return strcmp(unit, "ms") == 0 ? 1e-3 : 1.0;
}
