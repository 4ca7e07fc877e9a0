#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/plot.h"
#include "base/stats.h"
#include "version.h"

/* ---- metrics ---- */

enum {
    M_OPRATE,
    M_P50,
    M_P95,
    M_P99,
    M_P999,
    M_MEAN,
    M_MAX,
    M_ERRORS,
    NMETRICS
};

static const struct {
    const char *name, *unit, *human;
} metric_info[NMETRICS] = {
    {"op_rate", "ops/s", "op rate"},  {"p50", "us", "median latency"},
    {"p95", "us", "p95 latency"},     {"p99", "us", "p99 latency"},
    {"p99.9", "us", "p99.9 latency"}, {"mean", "us", "mean latency"},
    {"max", "us", "max latency"},     {"errors", "count", "errors"},
};

static int
metric_id(const char *name)
{
    for (int m = 0; m < NMETRICS; m++)
        if (strcmp(metric_info[m].name, name) == 0)
            return m;
    return -1;
}

static double
metric_value(const struct vmb_res_phase *p, int m)
{
    switch (m) {
    case M_OPRATE: return p->op_rate;
    case M_P50: return p->latency_us.p50;
    case M_P95: return p->latency_us.p95;
    case M_P99: return p->latency_us.p99;
    case M_P999: return p->latency_us.p999;
    case M_MEAN: return p->latency_us.mean;
    case M_MAX: return p->latency_us.max;
    case M_ERRORS: return p->errors;
    }
    return NAN;
}

double
vmb_report_metric(const struct vmb_res_phase *p, const char *metric,
                  bool *known)
{
    int m = metric_id(metric);
    if (known != NULL)
        *known = m >= 0;
    return m < 0 ? NAN : metric_value(p, m);
}

bool
vmb_report_metric_higher_better(const char *metric)
{
    return strcmp(metric, "op_rate") == 0;
}

/* ---- the model: every series the report shows ---- */

struct series {
    struct vmb_summary s;
    double ratio; /* to the cell's control; NAN for controls */
    struct vmb_interval ratio_ci;
    struct vmb_flag flag;
    bool flagged_metric; /* flags were computed for this metric */
};

/* A cell or control, as a row of the report. */
struct row {
    const struct vmb_res_cell *cell;
    size_t control_row; /* index in rows of the control, SIZE_MAX if none */
    size_t nok, nfailed, nmissing;
};

struct phase {
    char *name; /* "0-write" */
    char *op;
    int index;
    char *title; /* "write" or "0-write" when an op repeats */
    struct series *series; /* [nrows * NMETRICS] */
    size_t *median_rep;    /* per row: index into cell->reps, SIZE_MAX none */
};

enum { B_KERNEL, B_AGENT, B_MOUNTS, B_DB, B_SYNC, NBOOT };
static const char *const boot_metric[NBOOT] = {
    "kernel_s", "agent_s", "mounts_s", "db_ready_s", "replica_sync_s"};
static const char *const boot_stage[NBOOT] = {
    "domain start to kernel", "kernel to agent up", "agent to mounts done",
    "mounts to database ready", "ready to replica in sync"};

struct model {
    const struct vmb_results *res;
    uint64_t seed;
    struct row *rows; /* VM cells first, then controls */
    size_t nrows, ncells;
    struct phase *phases;
    size_t nphases;
    struct vmb_summary *boot; /* [ncells * NBOOT] */
    bool any_boot;
    int reps_max; /* most ok repetitions of any row */
    int reps_min; /* fewest, among rows with any */
    bool tcg;
    const char *accel;
};

static struct series *
series_at(const struct model *m, size_t phase, size_t row, int metric)
{
    return &m->phases[phase].series[row * NMETRICS + (size_t)metric];
}

static void
add_phase(struct model *m, const struct vmb_res_phase *p)
{
    for (size_t i = 0; i < m->nphases; i++)
        if (strcmp(m->phases[i].name, p->name) == 0)
            return;
    m->phases = vmb_xrealloc(m->phases, (m->nphases + 1) * sizeof(*m->phases));
    struct phase *ph = &m->phases[m->nphases++];
    memset(ph, 0, sizeof(*ph));
    ph->name = vmb_xstrdup(p->name);
    ph->op = vmb_xstrdup(p->op);
    ph->index = p->index;
}

static int
cmp_phase(const void *a, const void *b)
{
    const struct phase *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* Values of one metric of one phase over the ok runs of a cell. */
static size_t
collect(const struct vmb_res_cell *c, const char *phase, int metric,
        double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        if (!c->reps[i].ok)
            continue;
        const struct vmb_res_phase *p = vmb_res_rep_phase(&c->reps[i], phase);
        if (p == NULL)
            continue;
        double v = metric_value(p, metric);
        if (isfinite(v))
            out[n++] = v;
    }
    return n;
}

static size_t
max_reps(const struct vmb_results *r)
{
    size_t n = 1;
    for (size_t i = 0; i < r->ncells; i++)
        n = r->cells[i].nreps > n ? r->cells[i].nreps : n;
    for (size_t i = 0; i < r->ncontrols; i++)
        n = r->controls[i].nreps > n ? r->controls[i].nreps : n;
    return n;
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
compute_boot(struct model *m)
{
    size_t cap = max_reps(m->res) * 2;
    double *v = vmb_xcalloc(cap, sizeof(*v));
    m->boot = vmb_xcalloc(m->ncells * NBOOT, sizeof(*m->boot));
    for (size_t r = 0; r < m->ncells; r++) {
        const struct vmb_res_cell *c = m->rows[r].cell;
        for (int b = 0; b < NBOOT; b++) {
            size_t n = 0;
            for (size_t i = 0; i < c->nreps; i++) {
                const struct vmb_res_rep *rep = &c->reps[i];
                if (!rep->ok || !rep->has_boot)
                    continue;
                if (b == B_SYNC) {
                    if (isfinite(rep->replica_sync_s))
                        v[n++] = rep->replica_sync_s;
                    continue;
                }
                for (int node = 0; node < 2; node++) {
                    const struct vmb_res_boot *bt = &rep->boot[node];
                    double x = b == B_KERNEL   ? bt->kernel_s
                               : b == B_AGENT  ? bt->agent_s
                               : b == B_MOUNTS ? bt->mounts_s
                                               : bt->db_ready_s;
                    if (isfinite(x))
                        v[n++] = x;
                }
            }
            autofree char *key =
                vmb_xasprintf("%s/boot/%s", c->id, boot_metric[b]);
            vmb_stats_summarise(v, n, vmb_stats_seed_for(m->seed, key),
                                &m->boot[r * NBOOT + (size_t)b]);
            if (n > 0)
                m->any_boot = true;
        }
    }
    free(v);
}

static void
model_build(struct model *m, const struct vmb_results *r)
{
    memset(m, 0, sizeof(*m));
    m->res = r;
    m->seed = r->has_seed ? r->seed : 1;
    m->ncells = r->ncells;
    m->nrows = r->ncells + r->ncontrols;
    m->rows = vmb_xcalloc(m->nrows ? m->nrows : 1, sizeof(*m->rows));
    for (size_t i = 0; i < m->nrows; i++) {
        struct row *row = &m->rows[i];
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
        if ((int)row->nok > m->reps_max)
            m->reps_max = (int)row->nok;
        if (row->nok > 0 && (m->reps_min == 0 || (int)row->nok < m->reps_min))
            m->reps_min = (int)row->nok;
    }
    qsort(m->phases, m->nphases, sizeof(*m->phases), cmp_phase);
    for (size_t p = 0; p < m->nphases; p++) {
        struct phase *ph = &m->phases[p];
        int same_op = 0;
        for (size_t q = 0; q < m->nphases; q++)
            same_op += strcmp(m->phases[q].op, ph->op) == 0;
        ph->title = vmb_xstrdup(same_op > 1 ? ph->name : ph->op);
    }

    m->accel = r->run.accel_used;
    for (size_t i = 0; m->accel == NULL && i < r->ncells; i++)
        for (size_t k = 0; k < r->cells[i].nreps; k++)
            if (r->cells[i].reps[k].accel != NULL) {
                m->accel = r->cells[i].reps[k].accel;
                break;
            }
    m->tcg = m->accel != NULL && strcmp(m->accel, "tcg") == 0;

    size_t cap = max_reps(r);
    double *v = vmb_xcalloc(cap, sizeof(*v));
    double *cv = vmb_xcalloc(cap, sizeof(*cv));
    struct vmb_summary *sums = vmb_xcalloc(m->ncells ? m->ncells : 1,
                                           sizeof(*sums));
    struct vmb_flag *flags = vmb_xcalloc(m->ncells ? m->ncells : 1,
                                         sizeof(*flags));
    for (size_t p = 0; p < m->nphases; p++) {
        struct phase *ph = &m->phases[p];
        ph->series = vmb_xcalloc(m->nrows * NMETRICS, sizeof(*ph->series));
        ph->median_rep = vmb_xcalloc(m->nrows ? m->nrows : 1,
                                     sizeof(*ph->median_rep));
        for (size_t i = 0; i < m->nrows; i++) {
            const struct row *row = &m->rows[i];
            ph->median_rep[i] = median_rep(row->cell, ph->name);
            for (int k = 0; k < NMETRICS; k++) {
                struct series *s = series_at(m, p, i, k);
                size_t n = collect(row->cell, ph->name, k, v);
                autofree char *key = vmb_xasprintf(
                    "%s/%s/%s", row->cell->id, ph->name, metric_info[k].name);
                vmb_stats_summarise(v, n, vmb_stats_seed_for(m->seed, key),
                                    &s->s);
                s->ratio = NAN;
                s->ratio_ci.lo = s->ratio_ci.hi = NAN;
                s->flag.neighbour = SIZE_MAX;
                if (row->control_row == SIZE_MAX || k == M_ERRORS)
                    continue;
                size_t nc = collect(m->rows[row->control_row].cell, ph->name,
                                    k, cv);
                autofree char *rkey = vmb_xasprintf("%s/ratio", key);
                s->ratio_ci = vmb_stats_bootstrap_ratio(
                    v, n, cv, nc, vmb_stats_seed_for(m->seed, rkey),
                    VMB_STATS_RESAMPLES, VMB_STATS_LEVEL, &s->ratio);
            }
        }
        /* Neighbours are VM cells only: the control is the yardstick. */
        static const int flagged[] = {M_OPRATE, M_P99};
        for (size_t f = 0; f < 2; f++) {
            int k = flagged[f];
            for (size_t i = 0; i < m->ncells; i++)
                sums[i] = series_at(m, p, i, k)->s;
            vmb_stats_flag(sums, m->ncells, VMB_STATS_CV_LIMIT, flags);
            for (size_t i = 0; i < m->ncells; i++) {
                series_at(m, p, i, k)->flag = flags[i];
                series_at(m, p, i, k)->flagged_metric = true;
            }
        }
    }
    free(v);
    free(cv);
    free(sums);
    free(flags);
    compute_boot(m);
}

static void
model_free(struct model *m)
{
    for (size_t p = 0; p < m->nphases; p++) {
        free(m->phases[p].name);
        free(m->phases[p].op);
        free(m->phases[p].title);
        free(m->phases[p].series);
        free(m->phases[p].median_rep);
    }
    free(m->phases);
    free(m->rows);
    free(m->boot);
}

/* "3 repetitions", or "2-3 repetitions" when some runs failed. */
static char *
reps_text(const struct model *m)
{
    if (m->reps_min != m->reps_max)
        return vmb_xasprintf("%d-%d repetitions", m->reps_min, m->reps_max);
    return vmb_xasprintf("%d repetition%s", m->reps_max,
                         m->reps_max == 1 ? "" : "s");
}

static const char *
row_label(const struct model *m, size_t i)
{
    return m->rows[i].cell->label;
}

/* ---- number formatting ---- */

static char *
fmt_num(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("");
    return vmb_xasprintf("%.10g", v);
}

/* Three significant digits, no exponent for the sizes we meet. */
static char *
fmt3(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("–");
    double a = fabs(v);
    if (a >= 1000)
        return vmb_xasprintf("%.0f", v);
    if (a >= 100)
        return vmb_xasprintf("%.0f", v);
    if (a >= 10)
        return vmb_xasprintf("%.1f", v);
    if (a >= 1)
        return vmb_xasprintf("%.2f", v);
    return vmb_xasprintf("%.3g", v);
}

static char *
fmt_ratio(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("–");
    return vmb_xasprintf(fabs(v) >= 0.095 ? "%.2f" : "%.3f", v);
}

static char *
fmt_reps(size_t r)
{
    if (r == SIZE_MAX)
        return vmb_xasprintf("more than %d", VMB_STATS_MAX_REPS);
    if (r == 0)
        return vmb_xstrdup("");
    return vmb_xasprintf("%zu", r);
}

/* ---- summary.csv ---- */

static void
csv_field(struct vmb_buf *b, const char *s)
{
    if (s == NULL)
        s = "";
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (s[0] && (s[0] == ' ' || s[strlen(s) - 1] == ' '));
    if (!quote) {
        vmb_buf_puts(b, s);
        return;
    }
    vmb_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"')
            vmb_buf_puts(b, "\"");
        vmb_buf_append(b, s, 1);
    }
    vmb_buf_puts(b, "\"");
}

static void
csv_num(struct vmb_buf *b, double v)
{
    autofree char *s = fmt_num(v);
    vmb_buf_puts(b, s);
}

/* Config columns: every option any cell has, in first-seen order. */
static char **
config_columns(const struct model *m, size_t *n)
{
    char **cols = NULL;
    *n = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->noptions; k++) {
            bool seen = false;
            for (size_t j = 0; j < *n && !seen; j++)
                seen = strcmp(cols[j], c->options[k].key) == 0;
            if (seen)
                continue;
            cols = vmb_xrealloc(cols, (*n + 1) * sizeof(*cols));
            cols[(*n)++] = c->options[k].key;
        }
    }
    return cols;
}

static char *
flag_reasons(const struct model *m, const struct vmb_flag *f)
{
    struct vmb_buf b = {0};
    if (f->reasons & VMB_FLAG_OVERLAP)
        vmb_buf_printf(&b, "overlaps %s", row_label(m, f->neighbour));
    if (f->reasons & VMB_FLAG_NOISY)
        vmb_buf_printf(&b, "%snoisy", b.len ? "; " : "");
    if (f->reasons & VMB_FLAG_FEW)
        vmb_buf_printf(&b, "%sone repetition", b.len ? "; " : "");
    return vmb_buf_steal(&b);
}

static void
csv_row(struct vmb_buf *b, const struct model *m, size_t row,
        const char *phase, const char *metric, const char *unit,
        const struct vmb_summary *s, const struct series *se, char **cols,
        size_t ncols)
{
    const struct vmb_res_cell *c = m->rows[row].cell;
    const struct vmb_res_cell *ctl =
        m->rows[row].control_row == SIZE_MAX
            ? NULL
            : m->rows[m->rows[row].control_row].cell;
    csv_field(b, c->id);
    vmb_buf_puts(b, ",");
    csv_field(b, c->control ? "baremetal" : "vm");
    vmb_buf_puts(b, ",");
    csv_field(b, c->label);
    vmb_buf_puts(b, ",");
    csv_field(b, ctl ? ctl->id : "");
    vmb_buf_puts(b, ",");
    csv_field(b, phase);
    vmb_buf_puts(b, ",");
    csv_field(b, metric);
    vmb_buf_puts(b, ",");
    csv_field(b, unit);
    vmb_buf_printf(b, ",%zu,", s->n);
    const double nums[] = {s->median, s->ci.lo, s->ci.hi, s->mean,
                           s->stddev, s->cv,    s->min,   s->max};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        csv_num(b, nums[i]);
        vmb_buf_puts(b, ",");
    }
    if (se != NULL) {
        csv_num(b, se->ratio);
        vmb_buf_puts(b, ",");
        csv_num(b, se->ratio_ci.lo);
        vmb_buf_puts(b, ",");
        csv_num(b, se->ratio_ci.hi);
        vmb_buf_puts(b, ",");
        if (se->flagged_metric) {
            autofree char *why = flag_reasons(m, &se->flag);
            autofree char *reps = fmt_reps(se->flag.reps_needed);
            vmb_buf_puts(b, se->flag.reasons ? "yes," : "no,");
            csv_field(b, why);
            vmb_buf_puts(b, ",");
            csv_field(b, reps);
        } else {
            vmb_buf_puts(b, ",,");
        }
    } else {
        vmb_buf_puts(b, ",,,,,");
    }
    for (size_t i = 0; i < ncols; i++) {
        vmb_buf_puts(b, ",");
        csv_field(b, vmb_res_cell_option(c, cols[i]));
    }
    vmb_buf_puts(b, "\n");
}

static int
write_csv(const struct model *m, const char *dir, struct vmb_error **err)
{
    struct vmb_buf b = {0};
    size_t ncols;
    autofree char **cols = config_columns(m, &ncols);
    vmb_buf_puts(&b, "cell_id,kind,label,control_id,phase,metric,unit,n,"
                     "median,ci_low,ci_high,mean,stddev,cv,min,max,"
                     "ratio_to_control,ratio_ci_low,ratio_ci_high,flagged,"
                     "flag_reason,reps_needed");
    for (size_t i = 0; i < ncols; i++) {
        vmb_buf_puts(&b, ",");
        csv_field(&b, cols[i]);
    }
    vmb_buf_puts(&b, "\n");
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->nrows; i++)
            for (int k = 0; k < NMETRICS; k++) {
                const struct series *s = series_at(m, p, i, k);
                if (s->s.n == 0)
                    continue;
                csv_row(&b, m, i, m->phases[p].name, metric_info[k].name,
                        metric_info[k].unit, &s->s, s, cols, ncols);
            }
    for (size_t i = 0; i < m->ncells; i++)
        for (int k = 0; k < NBOOT; k++) {
            const struct vmb_summary *s = &m->boot[i * NBOOT + (size_t)k];
            if (s->n == 0)
                continue;
            csv_row(&b, m, i, "boot", boot_metric[k], "s", s, NULL, cols,
                    ncols);
        }
    autofree char *path = vmb_xasprintf("%s/summary.csv", dir);
    int rc = vmb_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    vmb_buf_free(&b);
    return rc;
}

/* ---- charts ---- */

static bool
any_control(const struct model *m)
{
    for (size_t i = 0; i < m->ncells; i++)
        if (m->rows[i].control_row != SIZE_MAX)
            return true;
    return false;
}


struct chart {
    char *base;  /* "oprate-0-write" */
    char *title; /* alt text and heading */
    char *error; /* why it is missing, or NULL */
};

struct charts {
    struct chart *c;
    size_t n;
    char *gnuplot;     /* NULL: charts not drawn */
    char *skip_reason; /* why none were drawn */
    struct vmb_error *first_error;
};

static const char *
lat_unit(double max_us)
{
    return max_us >= 2000 ? "ms" : "us";
}

static double
lat_scale(const char *unit)
{
    return strcmp(unit, "ms") == 0 ? 1e-3 : 1.0;
}

/* Tick labels: one axis setting per line, so long labels stay narrow. */
static char **
tick_labels(const struct model *m, size_t from, size_t n)
{
    char **t = vmb_xcalloc(n ? n : 1, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        t[i] = vmb_xstrdup(row_label(m, from + i));
        for (char *s = t[i]; *s; s++)
            if (*s == ' ')
                *s = '\n';
    }
    return t;
}

static void
free_strs(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

static char *
subtitle(const struct model *m, const char *what)
{
    const char *accel = m->accel ? m->accel : "unknown";
    if (m->tcg)
        return vmb_xasprintf("%s · VMs under TCG (software emulation, no "
                             "KVM)\n%s",
                             m->res->name, what);
    return vmb_xasprintf("%s · accelerator %s\n%s", m->res->name, accel,
                         what);
}

static void
chart_add(struct charts *cs, const char *base, const char *title)
{
    cs->c = vmb_xrealloc(cs->c, (cs->n + 1) * sizeof(*cs->c));
    cs->c[cs->n].base = vmb_xstrdup(base);
    cs->c[cs->n].title = vmb_xstrdup(title);
    cs->c[cs->n].error = NULL;
    cs->n++;
}

static void
chart_draw(struct charts *cs, struct vmb_plot *p, const char *tmpl,
           const char *plots, const char *base, const char *title,
           struct vmb_buf *warnings)
{
    chart_add(cs, base, title);
    struct chart *c = &cs->c[cs->n - 1];
    if (cs->gnuplot == NULL) {
        c->error = vmb_xstrdup(cs->skip_reason ? cs->skip_reason
                                               : "charts were not drawn");
        return;
    }
    struct vmb_error *err = NULL;
    if (vmb_plot_render(p, cs->gnuplot, tmpl, plots, base, warnings, &err) <
        0) {
        c->error = vmb_xstrdup(err->msg);
        if (cs->first_error == NULL)
            cs->first_error = err;
        else
            vmb_error_free(err);
    }
}

static void
set_common(struct vmb_plot *p, const struct model *m, const char *title,
           const char *what)
{
    autofree char *sub = subtitle(m, what);
    vmb_plot_str(p, "chart_title", title);
    vmb_plot_str(p, "chart_subtitle", sub);
}

static void
chart_oprate(struct charts *cs, const struct model *m, size_t p,
             const char *plots, struct vmb_buf *w)
{
    const struct phase *ph = &m->phases[p];
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Op rate per cell: %s phase", ph->title);
    autofree char *reps = reps_text(m);
    autofree char *what =
        vmb_xasprintf("median of %s, whiskers: 95%% interval", reps);
    set_common(&pl, m, title, what);
    vmb_plot_str(&pl, "y_title", "Operations per second");
    vmb_plot_num(&pl, "n", (double)m->ncells);
    char **ticks = tick_labels(m, 0, m->ncells);
    vmb_plot_axis_labels(&pl, "labels", (const char *const *)ticks,
                        m->ncells);
    free_strs(ticks, m->ncells);
    /* An empty title keeps a missing control out of the legend. */
    const char *ctl_label = any_control(m) ? "bare metal (control)" : "";
    if (any_control(m) && m->nrows - m->ncells == 1) {
        autofree char *t = vmb_xasprintf("control: %s",
                                         row_label(m, m->ncells));
        vmb_plot_str(&pl, "ctrl_title", t);
    } else {
        vmb_plot_str(&pl, "ctrl_title", ctl_label);
    }
    vmb_plot_block_begin(&pl, "cells");
    for (size_t i = 0; i < m->ncells; i++) {
        const struct series *s = series_at(m, p, i, M_OPRATE);
        size_t cr = m->rows[i].control_row;
        double ctl = cr == SIZE_MAX ? NAN : series_at(m, p, cr, M_OPRATE)->s.median;
        double row[] = {(double)i, s->s.median, s->s.ci.lo, s->s.ci.hi, ctl};
        vmb_plot_row(&pl, row, 5);
    }
    vmb_plot_block_end(&pl);
    autofree char *base = vmb_xasprintf("oprate-%s", ph->name);
    chart_draw(cs, &pl, "oprate", plots, base, title, w);
    vmb_plot_free(&pl);
}

static void
chart_latency(struct charts *cs, const struct model *m, size_t p,
              const char *plots, struct vmb_buf *w)
{
    const struct phase *ph = &m->phases[p];
    static const int ks[] = {M_P50, M_P95, M_P99, M_P999};
    static const char *const names[] = {"p50 (median)", "p95", "p99",
                                        "p99.9"};
    /* Controls first: the yardstick sits at the left. */
    size_t n = m->nrows;
    size_t *order = vmb_xcalloc(n ? n : 1, sizeof(*order));
    size_t k = 0;
    for (size_t i = m->ncells; i < m->nrows; i++)
        order[k++] = i;
    for (size_t i = 0; i < m->ncells; i++)
        order[k++] = i;
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, series_at(m, p, order[i], M_P999)->s.ci.hi);
    const char *unit = lat_unit(mx);
    double sc = lat_scale(unit);

    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Latency percentiles per cell: %s phase", ph->title);
    autofree char *reps = reps_text(m);
    autofree char *what = vmb_xasprintf(
        "median of %s, whiskers: 95%% interval, log scale", reps);
    set_common(&pl, m, title, what);
    autofree char *yt = vmb_xasprintf("Latency (%s)", unit);
    vmb_plot_str(&pl, "y_title", yt);
    vmb_plot_num(&pl, "n", (double)n);
    char **ticks = vmb_xcalloc(n ? n : 1, sizeof(*ticks));
    for (size_t i = 0; i < n; i++) {
        ticks[i] = vmb_xstrdup(row_label(m, order[i]));
        for (char *s = ticks[i]; *s; s++)
            if (*s == ' ')
                *s = '\n';
    }
    vmb_plot_axis_labels(&pl, "labels", (const char *const *)ticks, n);
    free_strs(ticks, n);
    vmb_plot_strs(&pl, "pct_names", names, 4);
    vmb_plot_block_begin(&pl, "lat");
    for (size_t i = 0; i < n; i++) {
        double row[13] = {(double)i};
        for (int j = 0; j < 4; j++) {
            const struct series *s = series_at(m, p, order[i], ks[j]);
            row[1 + 3 * j] = s->s.median * sc;
            row[2 + 3 * j] = s->s.ci.lo * sc;
            row[3 + 3 * j] = s->s.ci.hi * sc;
        }
        vmb_plot_row(&pl, row, 13);
    }
    vmb_plot_block_end(&pl);
    autofree char *base = vmb_xasprintf("latency-%s", ph->name);
    chart_draw(cs, &pl, "latency", plots, base, title, w);
    vmb_plot_free(&pl);
    free(order);
}

/* Rows shown as curves: cells, then controls (drawn dashed). */
static void
curve_rows(const struct model *m, size_t **order, size_t *n, size_t *ctrl)
{
    *n = m->nrows;
    *order = vmb_xcalloc(*n ? *n : 1, sizeof(**order));
    for (size_t i = 0; i < *n; i++)
        (*order)[i] = i;
    /* Only one control can take the dashed style; several get colours. */
    *ctrl = m->nrows - m->ncells == 1 ? m->nrows : 0;
}

static void
chart_hdr(struct charts *cs, const struct model *m, size_t p,
          const char *plots, struct vmb_buf *w, struct vmb_error **err)
{
    const struct phase *ph = &m->phases[p];
    size_t *order, n, ctrl;
    curve_rows(m, &order, &n, &ctrl);
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    const char **labels = vmb_xcalloc(n ? n : 1, sizeof(*labels));
    double mx = 0, xmax = 10;
    struct vmb_buf data = {0};
    (void)data;
    struct vmb_res_hgrm_point **pts = vmb_xcalloc(n ? n : 1, sizeof(*pts));
    size_t *npts = vmb_xcalloc(n ? n : 1, sizeof(*npts));
    for (size_t i = 0; i < n; i++) {
        const struct vmb_res_cell *c = m->rows[order[i]].cell;
        labels[i] = c->label;
        size_t r = ph->median_rep[order[i]];
        if (r == SIZE_MAX)
            continue;
        const struct vmb_res_rep *rep = &c->reps[r];
        autofree char *path =
            vmb_xasprintf("%s/latency-%s.hgrm", rep->dir, ph->name);
        struct vmb_error *e = NULL;
        if (vmb_results_read_hgrm(path, &pts[i], &npts[i], &e) < 0) {
            vmb_buf_printf(w, "%s\n", e->msg);
            vmb_error_free(e);
        }
        if (npts[i] == 0) {
            /* No .hgrm: the result's own percentile list will do. */
            const struct vmb_res_phase *rp = vmb_res_rep_phase(rep, ph->name);
            if (rp != NULL && rp->npercentiles > 0) {
                pts[i] = vmb_xcalloc(rp->npercentiles, sizeof(*pts[i]));
                for (size_t k = 0; k < rp->npercentiles; k++) {
                    pts[i][k].percentile = rp->percentiles[k][0] / 100.0;
                    pts[i][k].value_us = rp->percentiles[k][1];
                }
                npts[i] = rp->npercentiles;
            }
        }
        for (size_t k = 0; k < npts[i]; k++) {
            mx = fmax(mx, pts[i][k].value_us);
            if (pts[i][k].percentile < 1)
                xmax = fmax(xmax, 1.0 / (1.0 - pts[i][k].percentile));
        }
    }
    (void)err;
    const char *unit = lat_unit(mx);
    double sc = lat_scale(unit);
    xmax = pow(10, ceil(log10(xmax) - 1e-9));
    autofree char *title =
        vmb_xasprintf("Latency distribution: %s phase", ph->title);
    autofree char *what = vmb_xstrdup(
        "each cell's repetition with the median op rate");
    set_common(&pl, m, title, what);
    autofree char *yt = vmb_xasprintf("Latency (%s, log scale)", unit);
    vmb_plot_str(&pl, "y_title", yt);
    vmb_plot_num(&pl, "n", (double)n);
    vmb_plot_num(&pl, "ctrl", (double)ctrl);
    vmb_plot_num(&pl, "xmax", xmax);
    vmb_plot_strs(&pl, "labels", labels, n);
    vmb_plot_block_begin(&pl, "curves");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vmb_plot_block_gap(&pl);
        bool any = false;
        for (size_t k = 0; k < npts[i]; k++) {
            if (pts[i][k].percentile >= 1 || pts[i][k].value_us <= 0)
                continue;
            double row[] = {1.0 / (1.0 - pts[i][k].percentile),
                            pts[i][k].value_us * sc};
            vmb_plot_row(&pl, row, 2);
            any = true;
        }
        if (!any) {
            /* An empty index would shift the ones after it. */
            double row[] = {NAN, NAN};
            vmb_plot_row(&pl, row, 2);
        }
    }
    vmb_plot_block_end(&pl);
    autofree char *base = vmb_xasprintf("hdr-%s", ph->name);
    chart_draw(cs, &pl, "hdr", plots, base, title, w);
    vmb_plot_free(&pl);
    for (size_t i = 0; i < n; i++)
        free(pts[i]);
    free(pts);
    free(npts);
    free(labels);
    free(order);
}

static void
chart_timeseries(struct charts *cs, const struct model *m, size_t p,
                 const char *plots, struct vmb_buf *w)
{
    const struct phase *ph = &m->phases[p];
    size_t *order, n, ctrl;
    curve_rows(m, &order, &n, &ctrl);
    const char **labels = vmb_xcalloc(n ? n : 1, sizeof(*labels));
    struct vmb_res_second **rows = vmb_xcalloc(n ? n : 1, sizeof(*rows));
    size_t *nrows = vmb_xcalloc(n ? n : 1, sizeof(*nrows));
    double rmin = INFINITY, rmax = 0, lmax = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vmb_res_cell *c = m->rows[order[i]].cell;
        labels[i] = c->label;
        size_t r = ph->median_rep[order[i]];
        if (r == SIZE_MAX)
            continue;
        struct vmb_error *e = NULL;
        if (vmb_results_read_timeseries(c->reps[r].dir, ph->name, &rows[i],
                                        &nrows[i], &e) < 0) {
            vmb_buf_printf(w, "%s\n", e->msg);
            vmb_error_free(e);
        }
        for (size_t k = 0; k < nrows[i]; k++) {
            if (rows[i][k].ops_per_s > 0) {
                rmin = fmin(rmin, rows[i][k].ops_per_s);
                rmax = fmax(rmax, rows[i][k].ops_per_s);
            }
            lmax = fmax(lmax, rows[i][k].p99_us);
        }
    }
    const char *unit = lat_unit(lmax);
    double sc = lat_scale(unit);
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Op rate and p99 latency over time: %s phase",
                      ph->title);
    set_common(&pl, m, title,
               "per second, each cell's repetition with the median op rate");
    vmb_plot_num(&pl, "n", (double)n);
    vmb_plot_num(&pl, "ctrl", (double)ctrl);
    bool lograte = isfinite(rmin) && rmax / rmin > 8;
    vmb_plot_num(&pl, "lograte", lograte ? 1 : 0);
    vmb_plot_str(&pl, "rate_label", lograte ? "Ops per second (log)"
                                            : "Ops per second");
    autofree char *lt = vmb_xasprintf("p99 latency (%s, log)", unit);
    vmb_plot_str(&pl, "lat_label", lt);
    vmb_plot_strs(&pl, "labels", labels, n);
    vmb_plot_block_begin(&pl, "ts");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vmb_plot_block_gap(&pl);
        for (size_t k = 0; k < nrows[i]; k++) {
            double row[] = {rows[i][k].second, rows[i][k].ops_per_s,
                            rows[i][k].p99_us * sc};
            vmb_plot_row(&pl, row, 3);
        }
        if (nrows[i] == 0) {
            double row[] = {NAN, NAN, NAN};
            vmb_plot_row(&pl, row, 3);
        }
    }
    vmb_plot_block_end(&pl);
    autofree char *base = vmb_xasprintf("timeseries-%s", ph->name);
    chart_draw(cs, &pl, "timeseries", plots, base, title, w);
    vmb_plot_free(&pl);
    for (size_t i = 0; i < n; i++)
        free(rows[i]);
    free(rows);
    free(nrows);
    free(labels);
    free(order);
}

/* Storage backends in first-seen order, with the cells using each. */
struct backend {
    const char *name;
    size_t *cells;
    size_t ncells;
};

static struct backend *
backends(const struct model *m, size_t *n)
{
    struct backend *b = NULL;
    *n = 0;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        const char *name = c->has_config
                               ? vmb_storage_name(c->cfg.guest.storage)
                               : "unknown";
        size_t k = 0;
        while (k < *n && strcmp(b[k].name, name) != 0)
            k++;
        if (k == *n) {
            b = vmb_xrealloc(b, (*n + 1) * sizeof(*b));
            b[k].name = name;
            b[k].cells = NULL;
            b[k].ncells = 0;
            (*n)++;
        }
        b[k].cells = vmb_xrealloc(b[k].cells,
                                  (b[k].ncells + 1) * sizeof(*b[k].cells));
        b[k].cells[b[k].ncells++] = i;
    }
    return b;
}

/* Median over every VM of a backend of one stage's end time. */
static double
backend_stage(const struct model *m, const struct backend *b, int stage)
{
    size_t cap = 0;
    for (size_t i = 0; i < b->ncells; i++)
        cap += m->rows[b->cells[i]].cell->nreps * 2;
    double *v = vmb_xcalloc(cap ? cap : 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < b->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[b->cells[i]].cell;
        for (size_t r = 0; r < c->nreps; r++) {
            const struct vmb_res_rep *rep = &c->reps[r];
            if (!rep->ok || !rep->has_boot)
                continue;
            if (stage == B_SYNC) {
                if (isfinite(rep->replica_sync_s))
                    v[n++] = rep->replica_sync_s;
                continue;
            }
            for (int node = 0; node < 2; node++) {
                const struct vmb_res_boot *bt = &rep->boot[node];
                double x = stage == B_KERNEL   ? bt->kernel_s
                           : stage == B_AGENT  ? bt->agent_s
                           : stage == B_MOUNTS ? bt->mounts_s
                                               : bt->db_ready_s;
                if (isfinite(x))
                    v[n++] = x;
            }
        }
    }
    double med = vmb_stats_median(v, n);
    free(v);
    return med;
}

static void
chart_boot(struct charts *cs, const struct model *m, const char *plots,
           struct vmb_buf *w)
{
    size_t nb;
    struct backend *b = backends(m, &nb);
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    const char *title = "Boot stages per storage backend";
    set_common(&pl, m, title,
               "median over both nodes of every repetition, seconds");
    const char **labels = vmb_xcalloc(nb ? nb : 1, sizeof(*labels));
    for (size_t i = 0; i < nb; i++)
        labels[i] = b[i].name;
    vmb_plot_num(&pl, "n", (double)nb);
    vmb_plot_axis_labels(&pl, "labels", labels, nb);
    vmb_plot_num(&pl, "m", NBOOT);
    vmb_plot_strs(&pl, "stage_names", boot_stage, NBOOT);
    vmb_plot_block_begin(&pl, "boot");
    for (size_t i = 0; i < nb; i++) {
        double row[NBOOT + 1] = {(double)i};
        double prev = 0;
        for (int k = 0; k < NBOOT; k++) {
            double v = backend_stage(m, &b[i], k);
            /* Stage ends are medians taken apart: keep the stack ordered. */
            if (!isfinite(v) || v < prev)
                v = prev;
            row[k + 1] = prev = v;
        }
        vmb_plot_row(&pl, row, NBOOT + 1);
    }
    vmb_plot_block_end(&pl);
    chart_draw(cs, &pl, "boot", plots, "boot", title, w);
    vmb_plot_free(&pl);
    free(labels);
    for (size_t i = 0; i < nb; i++)
        free(b[i].cells);
    free(b);
}

static void
chart_ratio(struct charts *cs, const struct model *m, const char *plots,
            struct vmb_buf *w)
{
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    const char *title = "Op rate relative to bare metal";
    autofree char *reps = reps_text(m);
    autofree char *what = vmb_xasprintf(
        "ratio of medians, %s, whiskers: 95%% interval", reps);
    set_common(&pl, m, title, what);
    vmb_plot_num(&pl, "n", (double)m->ncells);
    char **ticks = tick_labels(m, 0, m->ncells);
    vmb_plot_axis_labels(&pl, "labels", (const char *const *)ticks,
                        m->ncells);
    free_strs(ticks, m->ncells);
    const char **names = vmb_xcalloc(m->nphases ? m->nphases : 1,
                                     sizeof(*names));
    for (size_t p = 0; p < m->nphases; p++)
        names[p] = m->phases[p].title;
    vmb_plot_num(&pl, "m", (double)m->nphases);
    vmb_plot_strs(&pl, "phase_names", names, m->nphases);
    free(names);
    double ymax = 1.15;
    vmb_plot_block_begin(&pl, "ratio");
    for (size_t i = 0; i < m->ncells; i++) {
        size_t nv = 1 + 3 * m->nphases;
        double *row = vmb_xcalloc(nv, sizeof(*row));
        row[0] = (double)i;
        for (size_t p = 0; p < m->nphases; p++) {
            const struct series *s = series_at(m, p, i, M_OPRATE);
            row[1 + 3 * p] = s->ratio;
            row[2 + 3 * p] = s->ratio_ci.lo;
            row[3 + 3 * p] = s->ratio_ci.hi;
            if (isfinite(s->ratio_ci.hi))
                ymax = fmax(ymax, s->ratio_ci.hi * 1.2);
        }
        vmb_plot_row(&pl, row, nv);
        free(row);
    }
    vmb_plot_block_end(&pl);
    vmb_plot_num(&pl, "ymax", ymax);
    chart_draw(cs, &pl, "ratio", plots, "ratio", title, w);
    vmb_plot_free(&pl);
}


static void
draw_charts(struct charts *cs, const struct model *m, const char *dir,
            struct vmb_buf *w, struct vmb_error **err)
{
    autofree char *plots = vmb_xasprintf("%s/plots", dir);
    if (cs->gnuplot != NULL && vmb_mkdir_p(plots, err) < 0) {
        cs->skip_reason = vmb_xstrdup((*err)->msg);
        cs->first_error = *err;
        *err = NULL;
        free(cs->gnuplot);
        cs->gnuplot = NULL;
    }
    if (m->ncells > 0 && any_control(m))
        chart_ratio(cs, m, plots, w);
    for (size_t p = 0; p < m->nphases; p++) {
        if (m->ncells > 0)
            chart_oprate(cs, m, p, plots, w);
        chart_latency(cs, m, p, plots, w);
        chart_hdr(cs, m, p, plots, w, err);
        chart_timeseries(cs, m, p, plots, w);
    }
    if (m->any_boot)
        chart_boot(cs, m, plots, w);
}

static const struct chart *
chart_find(const struct charts *cs, const char *base)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->c[i].base, base) == 0)
            return &cs->c[i];
    return NULL;
}

static void
charts_free(struct charts *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->c[i].base);
        free(cs->c[i].title);
        free(cs->c[i].error);
    }
    free(cs->c);
    free(cs->gnuplot);
    free(cs->skip_reason);
    vmb_error_free(cs->first_error);
}

/* ---- the document: one description, markdown and HTML out ---- */

struct doc {
    struct vmb_buf md, html;
    const char *dir;
};

static void
md_escape(struct vmb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        /* "]" alone makes no link: leaving it keeps "[lo, hi]" readable. */
        if (strchr("\\`*_[<>|~#&", *s) != NULL) {
            vmb_buf_puts(b, "\\");
            vmb_buf_append(b, s, 1);
        } else if (*s == '\n' || *s == '\r' || *s == '\t') {
            vmb_buf_puts(b, " ");
        } else {
            vmb_buf_append(b, s, 1);
        }
    }
}

static void
html_escape(struct vmb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': vmb_buf_puts(b, "&amp;"); break;
        case '<': vmb_buf_puts(b, "&lt;"); break;
        case '>': vmb_buf_puts(b, "&gt;"); break;
        case '"': vmb_buf_puts(b, "&quot;"); break;
        case '\'': vmb_buf_puts(b, "&#39;"); break;
        default: vmb_buf_append(b, s, 1);
        }
    }
}

/* Appends the markdown and the HTML form of one piece of structure. */
static void
doc_raw(struct doc *d, const char *md, const char *html)
{
    vmb_buf_puts(&d->md, md);
    vmb_buf_puts(&d->html, html);
}

static void
doc_h(struct doc *d, int level, const char *text)
{
    for (int i = 0; i < level; i++)
        vmb_buf_puts(&d->md, "#");
    vmb_buf_puts(&d->md, " ");
    md_escape(&d->md, text);
    vmb_buf_puts(&d->md, "\n\n");
    vmb_buf_printf(&d->html, "<h%d>", level);
    html_escape(&d->html, text);
    vmb_buf_printf(&d->html, "</h%d>\n", level);
}

static void
doc_p_begin(struct doc *d)
{
    doc_raw(d, "", "<p>");
}

static void
doc_p_end(struct doc *d)
{
    doc_raw(d, "\n\n", "</p>\n");
}

static void
doc_text(struct doc *d, const char *s)
{
    md_escape(&d->md, s);
    html_escape(&d->html, s);
}

static void
doc_textf(struct doc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
doc_textf(struct doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    doc_text(d, s);
    free(s);
}

static void
doc_strong(struct doc *d, const char *s)
{
    vmb_buf_puts(&d->md, "**");
    md_escape(&d->md, s);
    vmb_buf_puts(&d->md, "**");
    vmb_buf_puts(&d->html, "<strong>");
    html_escape(&d->html, s);
    vmb_buf_puts(&d->html, "</strong>");
}

static void
doc_code(struct doc *d, const char *s)
{
    /* A code span can hold anything but its own fence: pick a longer one. */
    size_t run = 0, longest = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    for (size_t i = 0; i <= longest; i++)
        vmb_buf_puts(&d->md, "`");
    vmb_buf_puts(&d->md, " ");
    for (const char *p = s; *p; p++)
        vmb_buf_append(&d->md, *p == '\n' ? " " : p, 1);
    vmb_buf_puts(&d->md, " ");
    for (size_t i = 0; i <= longest; i++)
        vmb_buf_puts(&d->md, "`");
    vmb_buf_puts(&d->html, "<code>");
    html_escape(&d->html, s);
    vmb_buf_puts(&d->html, "</code>");
}

static void
doc_link(struct doc *d, const char *text, const char *href)
{
    vmb_buf_puts(&d->md, "[");
    md_escape(&d->md, text);
    vmb_buf_printf(&d->md, "](%s)", href);
    vmb_buf_puts(&d->html, "<a href=\"");
    html_escape(&d->html, href);
    vmb_buf_puts(&d->html, "\">");
    html_escape(&d->html, text);
    vmb_buf_puts(&d->html, "</a>");
}

static void
doc_note_begin(struct doc *d)
{
    doc_raw(d, "> ", "<blockquote class=\"warn\"><p>");
}

static void
doc_note_end(struct doc *d)
{
    doc_raw(d, "\n\n", "</p></blockquote>\n");
}

static void
doc_list_begin(struct doc *d)
{
    doc_raw(d, "", "<ul>\n");
}

static void
doc_item_begin(struct doc *d)
{
    doc_raw(d, "- ", "<li>");
}

static void
doc_item_end(struct doc *d)
{
    doc_raw(d, "\n", "</li>\n");
}

static void
doc_list_end(struct doc *d)
{
    doc_raw(d, "\n", "</ul>\n");
}

static void
doc_table_begin(struct doc *d, const char *const *head, size_t n)
{
    vmb_buf_puts(&d->md, "|");
    vmb_buf_puts(&d->html, "<table>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        vmb_buf_puts(&d->md, " ");
        md_escape(&d->md, head[i]);
        vmb_buf_puts(&d->md, " |");
        vmb_buf_puts(&d->html, "<th>");
        html_escape(&d->html, head[i]);
        vmb_buf_puts(&d->html, "</th>");
    }
    vmb_buf_puts(&d->md, "\n|");
    for (size_t i = 0; i < n; i++)
        vmb_buf_puts(&d->md, " --- |");
    vmb_buf_puts(&d->md, "\n");
    vmb_buf_puts(&d->html, "</tr></thead>\n<tbody>\n");
}

static void
doc_row(struct doc *d, const char *const *cells, size_t n)
{
    vmb_buf_puts(&d->md, "|");
    vmb_buf_puts(&d->html, "<tr>");
    for (size_t i = 0; i < n; i++) {
        vmb_buf_puts(&d->md, " ");
        md_escape(&d->md, cells[i]);
        vmb_buf_puts(&d->md, " |");
        vmb_buf_puts(&d->html, "<td>");
        html_escape(&d->html, cells[i]);
        vmb_buf_puts(&d->html, "</td>");
    }
    vmb_buf_puts(&d->md, "\n");
    vmb_buf_puts(&d->html, "</tr>\n");
}

static void
doc_table_end(struct doc *d)
{
    doc_raw(d, "\n", "</tbody>\n</table>\n");
}

/* Inline SVG: the document from its <svg> element on. */
static void
html_svg(struct doc *d, const char *base)
{
    autofree char *path = vmb_xasprintf("%s/plots/%s.svg", d->dir, base);
    autofree char *text = NULL;
    size_t len;
    if (vmb_read_file(path, &text, &len, NULL) < 0)
        return;
    const char *svg = strstr(text, "<svg");
    if (svg == NULL)
        return;
    vmb_buf_puts(&d->html, svg);
}

static void
doc_chart(struct doc *d, const struct charts *cs, const char *base)
{
    const struct chart *c = chart_find(cs, base);
    if (c == NULL)
        return;
    if (c->error != NULL) {
        autofree char *msg = vmb_xasprintf("Chart \"%s\" is missing: %s.",
                                           c->title, c->error);
        doc_p_begin(d);
        doc_text(d, msg);
        doc_p_end(d);
        return;
    }
    vmb_buf_puts(&d->md, "![");
    md_escape(&d->md, c->title);
    vmb_buf_printf(&d->md, "](plots/%s.png)\n\n", base);
    vmb_buf_printf(&d->md, "[SVG](plots/%s.svg) · [gnuplot script](plots/%s.gp)\n\n",
                   base, base);
    vmb_buf_puts(&d->html, "<figure>\n");
    html_svg(d, base);
    vmb_buf_printf(&d->html,
                   "\n<figcaption><a href=\"plots/%s.png\">PNG</a> · "
                   "<a href=\"plots/%s.svg\">SVG</a> · "
                   "<a href=\"plots/%s.gp\">gnuplot script</a></figcaption>\n"
                   "</figure>\n",
                   base, base, base);
}

/* ---- report sections ---- */

static void
section_tcg(struct doc *d, const struct model *m)
{
    const struct vmb_res_run *run = &m->res->run;
    if (!m->tcg)
        return;
    doc_note_begin(d);
    doc_strong(d, "These VMs ran under TCG, QEMU's software emulation, "
                  "not KVM.");
    doc_textf(d, " Accelerator requested: %s; used: tcg.",
              run->accel_requested ? run->accel_requested : "unknown");
    if (run->accel_note) {
        doc_text(d, " Note: ");
        doc_text(d, run->accel_note);
        doc_text(d, ".");
    }
    doc_text(d, " Every VM number below is far lower than KVM would give, "
                "and the ratios to bare metal overstate what a VM costs. "
                "Compare the cells with each other; do not quote these "
                "figures as the overhead of Kata VMs.");
    doc_note_end(d);
}

static const char *
op_verb(const char *op)
{
    if (strcmp(op, "write") == 0)
        return "writes";
    if (strcmp(op, "read") == 0)
        return "reads";
    return op;
}

static void
section_headline(struct doc *d, const struct model *m,
                 const struct charts *cs)
{
    if (m->ncells == 0 || !any_control(m))
        return;
    doc_h(d, 2, "Headline");
    doc_list_begin(d);
    for (size_t p = 0; p < m->nphases; p++) {
        /* Best first: the sentence a reader quotes. */
        size_t *ord = vmb_xcalloc(m->ncells, sizeof(*ord));
        size_t n = 0;
        for (size_t i = 0; i < m->ncells; i++)
            if (isfinite(series_at(m, p, i, M_OPRATE)->ratio))
                ord[n++] = i;
        for (size_t i = 1; i < n; i++)
            for (size_t j = i;
                 j > 0 && series_at(m, p, ord[j - 1], M_OPRATE)->ratio <
                              series_at(m, p, ord[j], M_OPRATE)->ratio;
                 j--) {
                size_t t = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = t;
            }
        for (size_t k = 0; k < n; k++) {
            const struct series *s = series_at(m, p, ord[k], M_OPRATE);
            autofree char *r = fmt_ratio(s->ratio);
            autofree char *lo = fmt_ratio(s->ratio_ci.lo);
            autofree char *hi = fmt_ratio(s->ratio_ci.hi);
            doc_item_begin(d);
            doc_textf(d, "%s in ", op_verb(m->phases[p].title));
            doc_strong(d, row_label(m, ord[k]));
            doc_textf(d, " VMs run at %s× bare metal [%s, %s]", r, lo, hi);
            if (s->flag.reasons & VMB_FLAG_OVERLAP)
                doc_text(d, " (not separable from its neighbour; see "
                            "Flagged cells)");
            doc_item_end(d);
        }
        free(ord);
    }
    doc_list_end(d);
    doc_chart(d, cs, "ratio");
}

static void
kv_row(struct doc *d, const char *k, const char *v)
{
    const char *cells[] = {k, v ? v : "unknown"};
    doc_row(d, cells, 2);
}

static void
section_what(struct doc *d, const struct model *m)
{
    const struct vmb_results *r = m->res;
    const struct vmb_res_run *run = &r->run;
    doc_h(d, 2, "What ran");
    static const char *const head[] = {"", ""};
    doc_table_begin(d, head, 2);
    kv_row(d, "Matrix", r->name);
    kv_row(d, "Matrix file", run->matrix ? run->matrix : "matrix.yaml");
    struct vmb_buf axes = {0};
    for (size_t i = 0; i < r->naxes; i++)
        vmb_buf_printf(&axes, "%s%s", i ? ", " : "", r->axes[i]);
    autofree char *ax = vmb_buf_steal(&axes);
    kv_row(d, "Axes", ax[0] ? ax : "none");
    size_t nctl = m->nrows - m->ncells;
    autofree char *cells = vmb_xasprintf(
        "%zu VM cell%s, %zu bare-metal control%s", m->ncells,
        m->ncells == 1 ? "" : "s", nctl, nctl == 1 ? "" : "s");
    kv_row(d, "Cells", cells);
    autofree char *reps = vmb_xasprintf(
        "%d per cell, order %s", r->repetitions,
        r->order ? r->order : "unknown");
    kv_row(d, "Repetitions", reps);
    size_t ok = 0, failed = 0, missing = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        ok += m->rows[i].nok;
        failed += m->rows[i].nfailed;
        missing += m->rows[i].nmissing;
    }
    autofree char *runs = vmb_xasprintf("%zu ok, %zu failed, %zu not run",
                                        ok, failed, missing);
    kv_row(d, "Runs", runs);
    kv_row(d, "Started", run->started);
    kv_row(d, "Finished", run->finished);
    if (r->ncells > 0 && r->cells[0].has_config) {
        const struct vmb_config *c = &r->cells[0].cfg;
        struct vmb_buf ph = {0};
        for (size_t i = 0; i < c->nphases; i++) {
            const struct vmb_phase *p = &c->phases[i];
            if (p->n > 0)
                vmb_buf_printf(&ph, "%s%s n=%lld", i ? ", " : "",
                               vmb_op_name(p->op), (long long)p->n);
            else
                vmb_buf_printf(&ph, "%s%s for %.0f s", i ? ", " : "",
                               vmb_op_name(p->op),
                               (double)p->duration_us / 1e6);
        }
        autofree char *phs = vmb_buf_steal(&ph);
        autofree char *load = vmb_xasprintf(
            "%s; %lld connections, pipeline %lld, %lld keys, values of "
            "%llu bytes, %s",
            phs, (long long)c->load.connections, (long long)c->load.pipeline,
            (long long)c->load.keys,
            (unsigned long long)c->load.value_size_bytes,
            c->load.rate_per_s ? "open loop" : "closed loop");
        kv_row(d, "Load", load);
    }
    doc_table_end(d);

    static const char *const chead[] = {"Cell", "Id", "Bare-metal control",
                                        "Runs ok", "Failed", "Not run"};
    doc_table_begin(d, chead, 6);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct row *row = &m->rows[i];
        autofree char *ok_s = vmb_xasprintf("%zu", row->nok);
        autofree char *f_s = vmb_xasprintf("%zu", row->nfailed);
        autofree char *m_s = vmb_xasprintf("%zu", row->nmissing);
        const char *ctl = row->cell->control
                              ? "(is a control)"
                              : row->control_row == SIZE_MAX
                                    ? "none"
                                    : row_label(m, row->control_row);
        const char *cells_[] = {row->cell->label, row->cell->id, ctl,
                                ok_s, f_s, m_s};
        doc_row(d, cells_, 6);
    }
    doc_table_end(d);
}

static void
section_host(struct doc *d, const struct model *m)
{
    const struct vmb_res_run *run = &m->res->run;
    doc_h(d, 2, "Host and versions");
    if (!run->present) {
        doc_p_begin(d);
        doc_text(d, "run.json is missing: the host and versions are "
                    "unknown.");
        doc_p_end(d);
        return;
    }
    static const char *const head[] = {"", ""};
    doc_table_begin(d, head, 2);
    kv_row(d, "Host", run->hostname);
    kv_row(d, "CPU", run->cpu);
    autofree char *cpus = isfinite(run->cpus)
                              ? vmb_xasprintf("%.0f", run->cpus)
                              : NULL;
    kv_row(d, "CPUs", cpus);
    autofree char *mem = isfinite(run->memory_bytes)
                             ? vmb_xasprintf("%.1f GiB",
                                             run->memory_bytes / 1073741824.0)
                             : NULL;
    kv_row(d, "Memory", mem);
    kv_row(d, "Kernel", run->kernel);
    kv_row(d, "cpufreq governor", run->governor);
    kv_row(d, "Transparent huge pages", run->thp);
    autofree char *acc = vmb_xasprintf(
        "%s (requested %s)", run->accel_used ? run->accel_used : "unknown",
        run->accel_requested ? run->accel_requested : "unknown");
    kv_row(d, "Accelerator", acc);
    if (run->accel_note)
        kv_row(d, "Accelerator note", run->accel_note);
    for (size_t i = 0; i < run->nversions; i++)
        kv_row(d, run->versions[i].key, run->versions[i].value);
    autofree char *vm = vmb_xasprintf(
        "%s (git %s)", run->version ? run->version : "unknown",
        run->git ? run->git : "unknown");
    kv_row(d, "vmbench that ran", vm);
    doc_table_end(d);
    if (run->ndoctor > 0) {
        static const char *const dh[] = {"Host check", "Status", "Detail"};
        doc_table_begin(d, dh, 3);
        for (size_t i = 0; i < run->ndoctor; i++) {
            const char *c[] = {run->doctor[i].check ? run->doctor[i].check : "",
                               run->doctor[i].status ? run->doctor[i].status
                                                     : "",
                               run->doctor[i].detail ? run->doctor[i].detail
                                                     : ""};
            doc_row(d, c, 3);
        }
        doc_table_end(d);
    }
}

static char *
with_ci(double med, struct vmb_interval ci, double scale)
{
    autofree char *a = fmt3(med * scale);
    autofree char *lo = fmt3(ci.lo * scale);
    autofree char *hi = fmt3(ci.hi * scale);
    if (!isfinite(med))
        return vmb_xstrdup("–");
    return vmb_xasprintf("%s [%s, %s]", a, lo, hi);
}

static void
section_phase(struct doc *d, const struct model *m, size_t p,
              const struct charts *cs)
{
    const struct phase *ph = &m->phases[p];
    autofree char *h = vmb_xasprintf("Results: %s phase", ph->title);
    doc_h(d, 2, h);
    double mx = 0;
    for (size_t i = 0; i < m->nrows; i++)
        mx = fmax(mx, series_at(m, p, i, M_P999)->s.median);
    const char *unit = lat_unit(mx);
    double sc = lat_scale(unit);
    autofree char *h50 = vmb_xasprintf("p50 (%s)", unit);
    autofree char *h99 = vmb_xasprintf("p99 (%s)", unit);
    autofree char *h999 = vmb_xasprintf("p99.9 (%s)", unit);
    const char *head[] = {"Cell", "Op rate, ops/s [95% CI]", "CV",
                          "vs bare metal [95% CI]", h50, h99, h999, "n",
                          "Flag"};
    doc_table_begin(d, head, 9);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct series *o = series_at(m, p, i, M_OPRATE);
        if (o->s.n == 0 && m->rows[i].nok == 0 && m->rows[i].nfailed == 0 &&
            m->rows[i].nmissing == 0)
            continue;
        autofree char *rate = with_ci(o->s.median, o->s.ci, 1);
        autofree char *cv = isfinite(o->s.cv)
                                ? vmb_xasprintf("%.1f%%", o->s.cv * 100)
                                : vmb_xstrdup("–");
        autofree char *ratio = NULL;
        if (isfinite(o->ratio)) {
            autofree char *r = fmt_ratio(o->ratio);
            autofree char *lo = fmt_ratio(o->ratio_ci.lo);
            autofree char *hi = fmt_ratio(o->ratio_ci.hi);
            ratio = vmb_xasprintf("%s× [%s, %s]", r, lo, hi);
        } else {
            ratio = vmb_xstrdup(m->rows[i].cell->control ? "(control)" : "–");
        }
        autofree char *l50 = with_ci(series_at(m, p, i, M_P50)->s.median,
                                     series_at(m, p, i, M_P50)->s.ci, sc);
        autofree char *l99 = with_ci(series_at(m, p, i, M_P99)->s.median,
                                     series_at(m, p, i, M_P99)->s.ci, sc);
        autofree char *l999 = with_ci(series_at(m, p, i, M_P999)->s.median,
                                      series_at(m, p, i, M_P999)->s.ci, sc);
        autofree char *n = vmb_xasprintf("%zu", o->s.n);
        const char *flag = "";
        if (o->flag.reasons || series_at(m, p, i, M_P99)->flag.reasons)
            flag = "flagged, see below";
        const char *c[] = {row_label(m, i), rate, cv, ratio, l50, l99, l999,
                           n, flag};
        doc_row(d, c, 9);
    }
    doc_table_end(d);
    autofree char *b1 = vmb_xasprintf("oprate-%s", ph->name);
    autofree char *b2 = vmb_xasprintf("latency-%s", ph->name);
    autofree char *b3 = vmb_xasprintf("hdr-%s", ph->name);
    autofree char *b4 = vmb_xasprintf("timeseries-%s", ph->name);
    doc_chart(d, cs, b1);
    doc_chart(d, cs, b2);
    doc_chart(d, cs, b3);
    doc_chart(d, cs, b4);
}

static void
section_boot(struct doc *d, const struct model *m, const struct charts *cs)
{
    if (!m->any_boot)
        return;
    doc_h(d, 2, "Boot");
    doc_p_begin(d);
    doc_text(d, "Seconds from the domain start call to each milestone, "
                "median over both nodes of every repetition [95% CI].");
    doc_p_end(d);
    const char *head[] = {"Cell", "Kernel", "Agent up", "Mounts done",
                          "Database ready", "Replica in sync"};
    doc_table_begin(d, head, 6);
    for (size_t i = 0; i < m->ncells; i++) {
        char *c[6] = {NULL};
        for (int k = 0; k < NBOOT; k++) {
            const struct vmb_summary *s = &m->boot[i * NBOOT + (size_t)k];
            c[k + 1] = with_ci(s->median, s->ci, 1);
        }
        const char *cc[6] = {row_label(m, i), c[1], c[2], c[3], c[4], c[5]};
        doc_row(d, cc, 6);
        for (int k = 1; k < 6; k++)
            free(c[k]);
    }
    doc_table_end(d);
    doc_chart(d, cs, "boot");
}

static void
section_flags(struct doc *d, const struct model *m)
{
    doc_h(d, 2, "Flagged cells");
    bool any = false;
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->ncells; i++)
            for (int k = 0; k < NMETRICS; k++)
                any |= series_at(m, p, i, k)->flag.reasons != 0;
    if (!any) {
        doc_p_begin(d);
        doc_text(d, "None: every cell's 95% interval stands apart from its "
                    "neighbours', with a coefficient of variation under ");
        doc_textf(d, "%.0f%%.", VMB_STATS_CV_LIMIT * 100);
        doc_p_end(d);
        return;
    }
    doc_p_begin(d);
    doc_text(d, "Cells ranked by median, each compared with the next one up "
                "and down. A cell is flagged when its 95% interval overlaps "
                "a neighbour's (the two cannot be told apart with these "
                "repetitions), when its coefficient of variation is above ");
    doc_textf(d, "%.0f%%, or when it has a single repetition. ",
              VMB_STATS_CV_LIMIT * 100);
    doc_text(d, "Repetition counts are estimates (normal approximation for "
                "the median): per cell, to separate the pair, and to bring "
                "the interval within ±5% of the median.");
    doc_p_end(d);
    doc_list_begin(d);
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->ncells; i++)
            for (int k = 0; k < NMETRICS; k++) {
                const struct series *s = series_at(m, p, i, k);
                const struct vmb_flag *f = &s->flag;
                if (!f->reasons)
                    continue;
                doc_item_begin(d);
                doc_strong(d, row_label(m, i));
                doc_textf(d, ", %s %s: ", m->phases[p].title,
                          metric_info[k].human);
                bool first = true;
                if (f->reasons & VMB_FLAG_OVERLAP) {
                    doc_text(d, "its interval overlaps that of ");
                    doc_strong(d, row_label(m, f->neighbour));
                    doc_textf(d, " (medians %.1f%% apart)",
                              f->difference * 100);
                    first = false;
                }
                if (f->reasons & VMB_FLAG_NOISY) {
                    doc_textf(d, "%scoefficient of variation %.1f%%",
                              first ? "" : "; ", s->s.cv * 100);
                    first = false;
                }
                if (f->reasons & VMB_FLAG_FEW)
                    doc_textf(d, "%sonly one repetition: no interval",
                              first ? "" : "; ");
                if (f->reps_needed == SIZE_MAX)
                    doc_textf(d, ". Even %d repetitions would not separate "
                                 "them: treat them as equal.",
                              VMB_STATS_MAX_REPS);
                else if (f->reps_needed > 0)
                    doc_textf(d, ". About %zu repetitions per cell would "
                                 "be needed.",
                              f->reps_needed);
                else
                    doc_text(d, ".");
                doc_item_end(d);
            }
    doc_list_end(d);
}

static void
section_failures(struct doc *d, const struct model *m)
{
    bool any = false;
    for (size_t i = 0; i < m->nrows; i++)
        any |= m->rows[i].nfailed + m->rows[i].nmissing > 0;
    if (!any)
        return;
    doc_h(d, 2, "Failed and missing runs");
    doc_p_begin(d);
    doc_text(d, "These runs are left out of every number above.");
    doc_p_end(d);
    doc_list_begin(d);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->nreps; k++) {
            const struct vmb_res_rep *rep = &c->reps[k];
            if (rep->ok)
                continue;
            doc_item_begin(d);
            doc_strong(d, c->label);
            doc_textf(d, ", repetition %d: %s", rep->rep,
                      strcmp(rep->status, "missing") == 0
                          ? "not run (no result.json)"
                          : rep->status);
            if (rep->error) {
                doc_text(d, ": ");
                doc_text(d, rep->error);
            }
            doc_item_end(d);
        }
    }
    doc_list_end(d);
}

static void
section_method(struct doc *d, const struct model *m)
{
    doc_h(d, 2, "Method");
    doc_p_begin(d);
    doc_textf(d,
              "Each number is the median over a cell's successful "
              "repetitions. Intervals are 95%% percentile-bootstrap "
              "intervals of the median (%d resamples, seed %llu). The ratio "
              "to bare metal is the cell's median over its control's "
              "median; its interval resamples both independently. The "
              "coefficient of variation is the sample standard deviation "
              "over the mean. Repetitions ran %s, so slow drift on the "
              "host touches every cell alike. Latency percentiles are "
              "those of each run's merged histogram; their medians over "
              "the repetitions are shown.",
              VMB_STATS_RESAMPLES, (unsigned long long)m->seed,
              m->res->order ? m->res->order : "in the recorded order");
    doc_p_end(d);
}

static void
section_provenance(struct doc *d, const struct model *m,
                   const struct vmb_buf *warnings)
{
    const struct vmb_results *r = m->res;
    doc_h(d, 2, "Provenance");
    doc_list_begin(d);
    doc_item_begin(d);
    doc_text(d, "Results directory: ");
    doc_code(d, r->dir);
    doc_item_end(d);
    doc_item_begin(d);
    doc_text(d, "Provenance: ");
    doc_link(d, "run.json", "run.json");
    doc_text(d, "; plan and seed: ");
    doc_link(d, "plan.json", "plan.json");
    doc_text(d, "; the matrix as given: ");
    doc_link(d, "matrix.yaml", "matrix.yaml");
    doc_text(d, "; every number of this report: ");
    doc_link(d, "summary.csv", "summary.csv");
    doc_item_end(d);
    doc_item_begin(d);
    doc_text(d, "Per run: result.json, timeseries.csv, latency-PHASE.hgrm, "
                "domain XML and QEMU command line, console and database "
                "logs under cells/ID/repK/ and control/ID/repK/; each "
                "cell's Kata settings in cells/ID/kata-configuration.toml.");
    doc_item_end(d);
    doc_item_begin(d);
    doc_textf(d, "Report written by vmbench %s (git %s).", VMB_VERSION,
              VMB_GIT_REV);
    doc_item_end(d);
    if (r->run.nresumed > 0) {
        doc_item_begin(d);
        doc_textf(d, "The run was resumed %zu time(s).", r->run.nresumed);
        doc_item_end(d);
    }
    doc_list_end(d);
    if (warnings != NULL && warnings->len > 0) {
        doc_p_begin(d);
        doc_text(d, "Notes from reading the results:");
        doc_p_end(d);
        doc_list_begin(d);
        autofree char *copy = vmb_xstrdup(warnings->data);
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save)) {
            doc_item_begin(d);
            doc_text(d, l);
            doc_item_end(d);
        }
        doc_list_end(d);
    }
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "\n<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:.92em}\n"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}\nth{background:#f3f3f3}\n"
    "figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}\n"
    "figcaption{font-size:.85em;color:#555}\n"
    "blockquote.warn{border-left:6px solid #d55e00;background:#fff4ec;"
    "margin:1em 0;padding:.5em 1em}\n"
    "code{background:#f3f3f3;padding:0 .2em}\n"
    "</style>\n</head>\n<body>\n";

static int
write_docs(const struct model *m, const struct charts *cs, const char *dir,
           const struct vmb_buf *warnings, struct vmb_error **err)
{
    struct doc d = {.dir = dir};
    autofree char *h1 = vmb_xasprintf("vmbench report: %s", m->res->name);
    vmb_buf_puts(&d.html, html_head);
    html_escape(&d.html, h1);
    vmb_buf_puts(&d.html, html_style);
    doc_h(&d, 1, h1);
    section_tcg(&d, m);
    section_headline(&d, m, cs);
    section_what(&d, m);
    section_host(&d, m);
    for (size_t p = 0; p < m->nphases; p++)
        section_phase(&d, m, p, cs);
    section_boot(&d, m, cs);
    section_flags(&d, m);
    section_failures(&d, m);
    section_method(&d, m);
    section_provenance(&d, m, warnings);
    vmb_buf_puts(&d.html, "</body>\n</html>\n");

    autofree char *md = vmb_xasprintf("%s/report.md", dir);
    autofree char *html = vmb_xasprintf("%s/report.html", dir);
    int rc = vmb_write_file_atomic(md, d.md.data, d.md.len, err);
    if (rc == 0)
        rc = vmb_write_file_atomic(html, d.html.data, d.html.len, err);
    vmb_buf_free(&d.md);
    vmb_buf_free(&d.html);
    return rc;
}

int
vmb_report_write(const char *dir, const struct vmb_report_opts *opts,
                 struct vmb_buf *warnings, struct vmb_error **err)
{
    struct vmb_results *res = NULL;
    if (vmb_results_load(dir, &res, err) < 0)
        return -1;
    struct vmb_buf notes = {0};
    for (size_t i = 0; i < res->nwarnings; i++)
        vmb_buf_printf(&notes, "%s\n", res->warnings[i]);
    struct model m;
    model_build(&m, res);

    struct charts cs = {0};
    if (opts == NULL || opts->charts) {
        struct vmb_error *gerr = NULL;
        if (vmb_plot_find_gnuplot(&cs.gnuplot, &gerr) < 0) {
            cs.skip_reason = vmb_xstrdup(gerr->msg);
            cs.first_error = gerr;
        }
    } else {
        cs.skip_reason = vmb_xstrdup("charts were turned off (--no-charts)");
    }
    struct vmb_error *derr = NULL;
    draw_charts(&cs, &m, res->dir, &notes, &derr);
    vmb_error_free(derr);

    int rc = write_csv(&m, res->dir, err);
    if (rc == 0)
        rc = write_docs(&m, &cs, res->dir, &notes, err);
    if (rc == 0 && cs.first_error != NULL) {
        *err = cs.first_error;
        cs.first_error = NULL;
        vmb_error_prefix(err, "summary.csv, report.md and report.html were "
                              "written without charts");
        rc = -1;
    }
    if (warnings != NULL && notes.len > 0)
        vmb_buf_append(warnings, notes.data, notes.len);
    vmb_buf_free(&notes);
    charts_free(&cs);
    model_free(&m);
    vmb_results_free(res);
    return rc;
}

int
vmb_report_best_cell(const struct vmb_results *r, const char *spec,
                     const struct vmb_res_cell **best, double *median,
                     struct vmb_error **err)
{
    const char *dot = strchr(spec, '.');
    if (dot == NULL || dot == spec)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "metric \"%s\" is not PHASE.METRIC, e.g. "
                             "\"write.op_rate\" or \"read.p99\"",
                             spec);
    autofree char *phase = vmb_xstrndup(spec, (size_t)(dot - spec));
    const char *metric = dot + 1;
    int mid = metric_id(metric);
    if (mid < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "unknown metric \"%s\"; known: op_rate, p50, "
                             "p95, p99, p99.9, mean, max",
                             metric);
    /* PHASE is a phase name, or an op that names exactly one phase. */
    autofree char *name = NULL;
    for (size_t i = 0; i < r->ncells && name == NULL; i++)
        for (size_t k = 0; k < r->cells[i].nreps && name == NULL; k++)
            for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                const struct vmb_res_phase *ph = &r->cells[i].reps[k].phases[p];
                if (strcmp(ph->name, phase) == 0) {
                    name = vmb_xstrdup(ph->name);
                    break;
                }
            }
    if (name == NULL) {
        for (size_t i = 0; i < r->ncells; i++)
            for (size_t k = 0; k < r->cells[i].nreps; k++)
                for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                    const struct vmb_res_phase *ph =
                        &r->cells[i].reps[k].phases[p];
                    if (strcmp(ph->op, phase) != 0)
                        continue;
                    if (name != NULL && strcmp(name, ph->name) != 0)
                        return vmb_error_set(
                            err, VMB_ERR_INPUT, 0,
                            "phase \"%s\" is ambiguous: \"%s\" and \"%s\"; "
                            "name it by index",
                            phase, name, ph->name);
                    if (name == NULL)
                        name = vmb_xstrdup(ph->name);
                }
    }
    if (name == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no phase \"%s\" in the results", phase);
    bool higher = vmb_report_metric_higher_better(metric);
    size_t cap = max_reps(r);
    double *v = vmb_xcalloc(cap, sizeof(*v));
    *best = NULL;
    for (size_t i = 0; i < r->ncells; i++) {
        size_t n = collect(&r->cells[i], name, mid, v);
        if (n == 0)
            continue;
        double med = vmb_stats_median(v, n);
        if (*best == NULL || (higher ? med > *median : med < *median)) {
            *best = &r->cells[i];
            *median = med;
        }
    }
    free(v);
    if (*best == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no cell has a value of \"%s\"", spec);
    return 0;
}
