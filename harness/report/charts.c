/*
 * The charts of the report. Each chart takes only the rows (cells,
 * controls, backends) and columns (phases, percentiles) that have data,
 * so gnuplot never gets a column without a value (5.4 crashes on `with
 * labels` over one); a chart with no data at all is left out with the
 * reason. Chart file names are made here from phase indices and the load
 * generator's op names, never from text in the results.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "load/load.h"
#include "report/plot.h"
#include "report/report_priv.h"

/* ---- what the charts of this file share ---- */

/* A note for the user, one line, safe for a terminal. */
static void
note(struct vmb_buf *w, const char *what, const char *then)
{
    autofree char *safe = vmb_term_safe(what);
    vmb_buf_printf(w, "%s%s\n", safe, then);
}

/* Row indices of the model that a chart shows, in the order shown. */
struct rows {
    size_t *i;
    size_t n;
};

static void
rows_init(struct rows *r, size_t cap)
{
    r->i = vmb_xcalloc(cap ? cap : 1, sizeof(*r->i));
    r->n = 0;
}

/* A row's line type: 9 (black, dashed) for a single control, else 1-8. */
static double
row_lt(const struct vmb_model *m, size_t row)
{
    if (m->nrows - m->ncells == 1 && row == m->nrows - 1)
        return 9;
    return (double)(row % 8 + 1);
}

/* Labels (as written) and line types of the rows, for the legend. */
static void
curve_labels(struct vmb_plot *p, const struct vmb_model *m,
             const struct rows *r)
{
    const char **labels = vmb_xcalloc(r->n ? r->n : 1, sizeof(*labels));
    double *lts = vmb_xcalloc(r->n ? r->n : 1, sizeof(*lts));
    for (size_t k = 0; k < r->n; k++) {
        labels[k] = vmb_model_label(m, r->i[k]);
        lts[k] = row_lt(m, r->i[k]);
    }
    vmb_plot_strs(p, "labels", labels, r->n);
    vmb_plot_nums(p, "lts", lts, r->n);
    free(labels);
    free(lts);
}

/*
 * An interval end for a whisker: the median itself when there is no
 * interval (one repetition), which draws nothing.
 */
static double
whisker(double end, double median)
{
    return isfinite(end) ? end : median;
}

/* ---- per phase ---- */

static void
chart_oprate(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
             const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("oprate-%s", ph->name);
    autofree char *title =
        vmb_xasprintf("Op rate per cell: %s phase", ph->title);
    struct rows r;
    rows_init(&r, m->ncells);
    bool any_ci = false, any_ctl = false;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_model_series *s =
            vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
        if (!isfinite(s->s.median))
            continue;
        r.i[r.n++] = i;
        any_ci |= isfinite(s->s.ci.lo) && isfinite(s->s.ci.hi);
        size_t cr = m->rows[i].control_row;
        any_ctl |=
            cr != SIZE_MAX &&
            isfinite(vmb_model_series(m, p, cr, VMB_METRIC_OPRATE)->s.median);
    }
    if (r.n == 0) {
        vmb_charts_add_left_out(
            cs, base, title, "no VM cell has a successful run of this phase");
        free(r.i);
        return;
    }
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("median of %s, whiskers: 95%% interval", reps);
    vmb_charts_titles(&pl, m, title, what);
    vmb_plot_str(&pl, "y_title", "Operations per second");
    vmb_plot_num(&pl, "n", (double)r.n);
    vmb_charts_row_labels(&pl, m, r.i, r.n);
    vmb_plot_str(&pl, "ci_title", any_ci ? "95% interval" : "");
    vmb_plot_num(&pl, "has_ctrl", any_ctl ? 1 : 0);
    if (any_ctl && m->nrows - m->ncells == 1) {
        autofree char *t =
            vmb_xasprintf("control: %s", vmb_model_label(m, m->ncells));
        vmb_plot_str(&pl, "ctrl_title", t);
    } else {
        vmb_plot_str(&pl, "ctrl_title", "bare metal (control)");
    }
    vmb_plot_block_begin(&pl, "cells");
    for (size_t k = 0; k < r.n; k++) {
        size_t i = r.i[k];
        const struct vmb_model_series *s =
            vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
        size_t cr = m->rows[i].control_row;
        double ctl =
            cr == SIZE_MAX
                ? NAN
                : vmb_model_series(m, p, cr, VMB_METRIC_OPRATE)->s.median;
        double row[] = {(double)k,
                        s->s.median,
                        whisker(s->s.ci.lo, s->s.median),
                        whisker(s->s.ci.hi, s->s.median),
                        any_ctl ? ctl : 0,
                        row_lt(m, i)};
        vmb_plot_row(&pl, row, 6);
    }
    vmb_plot_block_end(&pl);
    vmb_charts_add(cs, &pl, "oprate", plots, base, title, w);
    vmb_plot_free(&pl);
    free(r.i);
}

static const int lat_metric[] = {VMB_METRIC_P50, VMB_METRIC_P95, VMB_METRIC_P99,
                                 VMB_METRIC_P999};
static const char *const lat_name[] = {"p50 (median)", "p95", "p99", "p99.9"};
#define NLAT 4

/* A latency for a log scale: none when not above 0. */
static double
positive(double v)
{
    return v > 0 ? v : NAN;
}

static void
chart_latency(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
              const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("latency-%s", ph->name);
    autofree char *title =
        vmb_xasprintf("Latency percentiles per cell: %s phase", ph->title);
    /* Controls first: the yardstick sits at the left. */
    struct rows r;
    rows_init(&r, m->nrows);
    bool has_k[NLAT] = {false};
    double mx = 0;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = pass ? 0 : m->ncells; i < (pass ? m->ncells : m->nrows);
             i++) {
            bool any = false;
            for (int k = 0; k < NLAT; k++) {
                const struct vmb_summary *s =
                    &vmb_model_series(m, p, i, lat_metric[k])->s;
                if (isfinite(positive(s->median))) {
                    any = has_k[k] = true;
                    mx = fmax(mx, fmax(s->median, whisker(s->ci.hi, 0)));
                }
            }
            if (any)
                r.i[r.n++] = i;
        }
    if (r.n == 0) {
        vmb_charts_add_left_out(cs, base, title,
                                "no run has latencies for this phase");
        free(r.i);
        return;
    }
    const char *unit = vmb_model_lat_unit(mx);
    double sc = vmb_model_lat_scale(unit);
    const char *names[NLAT];
    int ks[NLAT], nk = 0;
    for (int k = 0; k < NLAT; k++)
        if (has_k[k]) {
            names[nk] = lat_name[k];
            ks[nk++] = lat_metric[k];
        }

    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("median of %s, whiskers: 95%% interval, log scale", reps);
    vmb_charts_titles(&pl, m, title, what);
    autofree char *yt = vmb_xasprintf("Latency (%s)", unit);
    vmb_plot_str(&pl, "y_title", yt);
    vmb_plot_num(&pl, "n", (double)r.n);
    vmb_charts_row_labels(&pl, m, r.i, r.n);
    vmb_plot_num(&pl, "np", nk);
    vmb_plot_strs(&pl, "pct_names", names, (size_t)nk);
    vmb_plot_block_begin(&pl, "lat");
    for (size_t k = 0; k < r.n; k++) {
        double row[1 + 3 * NLAT] = {(double)k};
        for (int j = 0; j < nk; j++) {
            const struct vmb_summary *s =
                &vmb_model_series(m, p, r.i[k], ks[j])->s;
            double med = positive(s->median);
            row[1 + 3 * j] = med * sc;
            row[2 + 3 * j] = positive(whisker(s->ci.lo, med)) * sc;
            row[3 + 3 * j] = positive(whisker(s->ci.hi, med)) * sc;
            /* A low end at 0 cannot be drawn on a log scale. */
            if (isnan(row[2 + 3 * j]))
                row[2 + 3 * j] = row[1 + 3 * j];
        }
        vmb_plot_row(&pl, row, 1 + 3 * (size_t)nk);
    }
    vmb_plot_block_end(&pl);
    vmb_charts_add(cs, &pl, "latency", plots, base, title, w);
    vmb_plot_free(&pl);
    free(r.i);
}

/* A run's latency curve: its .hgrm, else the result's percentile list. */
static void
read_curve(const struct vmb_res_rep *rep, const char *phase,
           struct vmb_res_hgrm_point **pts, size_t *npts, struct vmb_buf *w)
{
    autofree char *path = vmb_xasprintf("%s/latency-%s.hgrm", rep->dir, phase);
    struct vmb_error *e = NULL;
    if (vmb_results_read_hgrm(path, pts, npts, &e) < 0) {
        note(w, e->msg, "; left out");
        vmb_error_free(e);
    }
    if (*npts > 0)
        return;
    const struct vmb_res_phase *rp = vmb_res_rep_phase(rep, phase);
    if (rp == NULL || rp->npercentiles == 0)
        return;
    *pts = vmb_xcalloc(rp->npercentiles, sizeof(**pts));
    for (size_t k = 0; k < rp->npercentiles; k++) {
        (*pts)[k].percentile = rp->percentiles[k][0] / 100.0;
        (*pts)[k].value_us = rp->percentiles[k][1];
    }
    *npts = rp->npercentiles;
}

/* Whether a point of a latency curve can be drawn (log-log axes). */
static bool
curve_point(const struct vmb_res_hgrm_point *pt)
{
    return pt->percentile >= 0 && pt->percentile < 1 && pt->value_us > 0 &&
           isfinite(pt->value_us);
}

static void
chart_hdr(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
          const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("hdr-%s", ph->name);
    autofree char *title =
        vmb_xasprintf("Latency distribution: %s phase", ph->title);
    size_t n = m->nrows;
    struct vmb_res_hgrm_point **pts = vmb_xcalloc(n ? n : 1, sizeof(*pts));
    size_t *npts = vmb_xcalloc(n ? n : 1, sizeof(*npts));
    struct rows r;
    rows_init(&r, n);
    double mx = 0, xmax = 10;
    for (size_t i = 0; i < n; i++) {
        size_t rep = ph->median_rep[i];
        if (rep == SIZE_MAX)
            continue;
        const struct vmb_res_cell *c = m->rows[i].cell;
        read_curve(&c->reps[rep], ph->name, &pts[i], &npts[i], w);
        bool any = false;
        for (size_t k = 0; k < npts[i]; k++) {
            if (!curve_point(&pts[i][k]))
                continue;
            any = true;
            mx = fmax(mx, pts[i][k].value_us);
            xmax = fmax(xmax, 1.0 / (1.0 - pts[i][k].percentile));
        }
        if (any)
            r.i[r.n++] = i;
    }
    if (r.n == 0) {
        vmb_charts_add_left_out(
            cs, base, title,
            "no run has a latency distribution for this phase");
    } else {
        const char *unit = vmb_model_lat_unit(mx);
        double sc = vmb_model_lat_scale(unit);
        xmax = fmin(pow(10, ceil(log10(xmax) - 1e-9)), 1e12);
        struct vmb_plot pl;
        vmb_plot_init(&pl);
        vmb_charts_titles(&pl, m, title,
                          "each cell's repetition with the median op rate");
        autofree char *yt = vmb_xasprintf("Latency (%s, log scale)", unit);
        vmb_plot_str(&pl, "y_title", yt);
        vmb_plot_num(&pl, "n", (double)r.n);
        vmb_plot_num(&pl, "xmax", xmax);
        curve_labels(&pl, m, &r);
        vmb_plot_block_begin(&pl, "curves");
        for (size_t k = 0; k < r.n; k++) {
            size_t i = r.i[k];
            if (k > 0)
                vmb_plot_block_gap(&pl);
            for (size_t j = 0; j < npts[i]; j++) {
                if (!curve_point(&pts[i][j]))
                    continue;
                double row[] = {1.0 / (1.0 - pts[i][j].percentile),
                                pts[i][j].value_us * sc};
                vmb_plot_row(&pl, row, 2);
            }
        }
        vmb_plot_block_end(&pl);
        vmb_charts_add(cs, &pl, "hdr", plots, base, title, w);
        vmb_plot_free(&pl);
    }
    for (size_t i = 0; i < n; i++)
        free(pts[i]);
    free(pts);
    free(npts);
    free(r.i);
}

static void
chart_timeseries(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                 const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("timeseries-%s", ph->name);
    autofree char *title =
        vmb_xasprintf("Op rate and p99 latency over time: %s phase", ph->title);
    size_t n = m->nrows;
    struct vmb_res_second **secs = vmb_xcalloc(n ? n : 1, sizeof(*secs));
    size_t *nsecs = vmb_xcalloc(n ? n : 1, sizeof(*nsecs));
    struct rows r;
    rows_init(&r, n);
    double rmin = INFINITY, rmax = 0, lmax = 0;
    for (size_t i = 0; i < n; i++) {
        size_t rep = ph->median_rep[i];
        if (rep == SIZE_MAX)
            continue;
        const struct vmb_res_cell *c = m->rows[i].cell;
        struct vmb_error *e = NULL;
        if (vmb_results_read_timeseries(c->reps[rep].dir, ph->name, &secs[i],
                                        &nsecs[i], &e) < 0) {
            note(w, e->msg, "; its time series is left out");
            vmb_error_free(e);
        }
        bool any = false;
        for (size_t k = 0; k < nsecs[i]; k++) {
            double v = secs[i][k].ops_per_s;
            if (!isfinite(v))
                continue;
            any = true;
            if (v > 0) {
                rmin = fmin(rmin, v);
                rmax = fmax(rmax, v);
            }
            if (secs[i][k].p99_us > 0)
                lmax = fmax(lmax, secs[i][k].p99_us);
        }
        if (any)
            r.i[r.n++] = i;
    }
    if (r.n == 0) {
        vmb_charts_add_left_out(cs, base, title,
                                "no run has a time series for this phase");
    } else {
        const char *unit = vmb_model_lat_unit(lmax);
        double sc = vmb_model_lat_scale(unit);
        bool has_lat = lmax > 0;
        struct vmb_plot pl;
        vmb_plot_init(&pl);
        vmb_charts_titles(
            &pl, m, title,
            "per second, each cell's repetition with the median op "
            "rate");
        vmb_plot_num(&pl, "n", (double)r.n);
        bool lograte = isfinite(rmin) && rmax / rmin > 8;
        vmb_plot_num(&pl, "lograte", lograte ? 1 : 0);
        vmb_plot_num(&pl, "has_lat", has_lat ? 1 : 0);
        vmb_plot_str(&pl, "rate_label",
                     lograte ? "Ops per second (log)" : "Ops per second");
        autofree char *lt = vmb_xasprintf("p99 latency (%s, log)", unit);
        vmb_plot_str(&pl, "lat_label", lt);
        curve_labels(&pl, m, &r);
        vmb_plot_block_begin(&pl, "ts");
        for (size_t k = 0; k < r.n; k++) {
            size_t i = r.i[k];
            if (k > 0)
                vmb_plot_block_gap(&pl);
            for (size_t j = 0; j < nsecs[i]; j++) {
                double row[] = {secs[i][j].second, secs[i][j].ops_per_s,
                                positive(secs[i][j].p99_us) * sc};
                /* Without latencies the column is left out entirely. */
                vmb_plot_row(&pl, row, has_lat ? 3 : 2);
            }
        }
        vmb_plot_block_end(&pl);
        vmb_charts_add(cs, &pl, "timeseries", plots, base, title, w);
        vmb_plot_free(&pl);
    }
    for (size_t i = 0; i < n; i++)
        free(secs[i]);
    free(secs);
    free(nsecs);
    free(r.i);
}

/* ---- across phases ---- */

/* Storage backends in first-seen order, with the cells using each. */
struct backend {
    const char *name;
    size_t *cells;
    size_t ncells;
};

static struct backend *
backends(const struct vmb_model *m, size_t *n)
{
    struct backend *b = NULL;
    *n = 0;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        const char *name =
            c->has_config ? vmb_storage_name(c->cfg.guest.storage) : "unknown";
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
        b[k].cells =
            vmb_xrealloc(b[k].cells, (b[k].ncells + 1) * sizeof(*b[k].cells));
        b[k].cells[b[k].ncells++] = i;
    }
    return b;
}

/* Median over every VM of a backend of one stage's end time. */
static double
backend_stage(const struct vmb_model *m, const struct backend *b, int stage)
{
    size_t cap = 0;
    for (size_t i = 0; i < b->ncells; i++)
        cap += m->rows[b->cells[i]].cell->nreps * 2;
    double *v = vmb_xcalloc(cap ? cap : 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < b->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[b->cells[i]].cell;
        for (size_t r = 0; r < c->nreps; r++)
            n += vmb_metric_run_values(&c->reps[r], stage, v + n);
    }
    double med = vmb_stats_median(v, n);
    free(v);
    return med;
}

/*
 * The boot storm's spread over a backend's runs of several tenants: the
 * medians of the first and last tenant's agent hello and replica in
 * sync (out[0..3]). False when no such run has them.
 */
static bool
backend_storm(const struct vmb_model *m, const struct backend *b, double out[4])
{
    size_t cap = 1;
    for (size_t i = 0; i < b->ncells; i++)
        cap += m->rows[b->cells[i]].cell->nreps;
    double *v[4];
    size_t n[4] = {0};
    for (int k = 0; k < 4; k++)
        v[k] = vmb_xcalloc(cap, sizeof(double));
    for (size_t i = 0; i < b->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[b->cells[i]].cell;
        for (size_t r = 0; r < c->nreps; r++) {
            const struct vmb_res_rep *rep = &c->reps[r];
            double x[4] = {rep->storm_agent_min_s, rep->storm_agent_max_s,
                           rep->storm_sync_min_s, rep->storm_sync_max_s};
            for (int k = 0; k < 4; k++)
                if (isfinite(x[k]))
                    v[k][n[k]++] = x[k];
        }
    }
    bool any = false;
    for (int k = 0; k < 4; k++) {
        out[k] = n[k] > 0 ? vmb_stats_median(v[k], n[k]) : NAN;
        any = any || n[k] > 0;
        free(v[k]);
    }
    /* Whiskers need both ends: a missing one is drawn at the other. */
    for (int k = 0; k < 4; k += 2) {
        if (!isfinite(out[k]))
            out[k] = out[k + 1];
        if (!isfinite(out[k + 1]))
            out[k + 1] = out[k];
    }
    return any;
}

void
vmb_charts_boot(struct vmb_charts *cs, const struct vmb_model *m,
                const char *plots, struct vmb_buf *w)
{
    if (m->ncells == 0)
        return;
    const char *title = "Boot stages per storage backend";
    size_t nb;
    struct backend *b = backends(m, &nb);
    /* Stage ends of the backends with any, the stack kept in order. */
    double(*ends)[VMB_NBOOT] = vmb_xcalloc(nb ? nb : 1, sizeof(*ends));
    double(*storm)[5] = vmb_xcalloc(nb ? nb : 1, sizeof(*storm));
    const char **labels = vmb_xcalloc(nb ? nb : 1, sizeof(*labels));
    size_t n = 0, nstorm = 0;
    for (size_t i = 0; i < nb; i++) {
        bool any = false;
        double prev = 0;
        for (int k = 0; k < VMB_NBOOT; k++) {
            double v = backend_stage(m, &b[i], VMB_BOOT_KERNEL + k);
            any |= isfinite(v);
            /* Stage ends are medians taken apart: keep the stack ordered. */
            if (!isfinite(v) || v < prev)
                v = prev;
            ends[n][k] = prev = v;
        }
        if (!any)
            continue;
        storm[nstorm][0] = (double)n;
        if (backend_storm(m, &b[i], storm[nstorm] + 1))
            nstorm++;
        labels[n++] = b[i].name;
    }
    if (n == 0) {
        vmb_charts_add_left_out(cs, "boot", title, "no VM cell has boot times");
    } else {
        struct vmb_plot pl;
        vmb_plot_init(&pl);
        vmb_charts_titles(
            &pl, m, title,
            "median over both nodes of every repetition, seconds");
        vmb_plot_num(&pl, "n", (double)n);
        vmb_plot_axis_labels(&pl, "labels", labels, n);
        vmb_plot_num(&pl, "m", VMB_NBOOT);
        const char *stages[VMB_NBOOT];
        for (int k = 0; k < VMB_NBOOT; k++)
            stages[k] = vmb_metrics[VMB_BOOT_KERNEL + k].human;
        vmb_plot_strs(&pl, "stage_names", stages, VMB_NBOOT);
        vmb_plot_block_begin(&pl, "boot");
        for (size_t i = 0; i < n; i++) {
            double row[VMB_NBOOT + 1] = {(double)i};
            memcpy(row + 1, ends[i], sizeof(ends[i]));
            vmb_plot_row(&pl, row, VMB_NBOOT + 1);
        }
        vmb_plot_block_end(&pl);
        /* Several tenants booted at once: the first and last tenant's
         * agent hello and replica in sync, as whiskers beside the bar. */
        vmb_plot_num(&pl, "nstorm", (double)nstorm);
        if (nstorm > 0) {
            vmb_plot_block_begin(&pl, "storm");
            for (size_t i = 0; i < nstorm; i++)
                vmb_plot_row(&pl, storm[i], 5);
            vmb_plot_block_end(&pl);
        }
        vmb_charts_add(cs, &pl, "boot", plots, "boot", title, w);
        vmb_plot_free(&pl);
    }
    free(ends);
    free(storm);
    free(labels);
    for (size_t i = 0; i < nb; i++)
        free(b[i].cells);
    free(b);
}

void
vmb_charts_ratio(struct vmb_charts *cs, const struct vmb_model *m,
                 const char *plots, struct vmb_buf *w)
{
    if (m->ncells == 0)
        return;
    const char *title = "Op rate relative to bare metal";
    if (!vmb_model_any_control(m)) {
        vmb_charts_add_left_out(cs, "ratio", title,
                                "no VM cell has a bare-metal control");
        return;
    }
    struct rows r;
    rows_init(&r, m->ncells);
    bool *has_p = vmb_xcalloc(m->nphases ? m->nphases : 1, sizeof(*has_p));
    bool any_ci = false;
    for (size_t i = 0; i < m->ncells; i++) {
        bool any = false;
        for (size_t p = 0; p < m->nphases; p++) {
            const struct vmb_model_series *s =
                vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
            if (!isfinite(s->ratio))
                continue;
            any = has_p[p] = true;
            any_ci |= isfinite(s->ratio_ci.lo) && isfinite(s->ratio_ci.hi);
        }
        if (any)
            r.i[r.n++] = i;
    }
    if (r.n == 0) {
        vmb_charts_add_left_out(
            cs, "ratio", title,
            "no VM cell and its bare-metal control both have a "
            "successful run of a phase");
        free(has_p);
        free(r.i);
        return;
    }
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("ratio of medians, %s%s", reps,
                      any_ci ? ", whiskers: 95% interval" : "");
    vmb_charts_titles(&pl, m, title, what);
    vmb_plot_num(&pl, "n", (double)r.n);
    vmb_charts_row_labels(&pl, m, r.i, r.n);
    size_t *ps = vmb_xcalloc(m->nphases ? m->nphases : 1, sizeof(*ps));
    const char **names =
        vmb_xcalloc(m->nphases ? m->nphases : 1, sizeof(*names));
    size_t np = 0;
    for (size_t p = 0; p < m->nphases; p++)
        if (has_p[p]) {
            names[np] = m->phases[p].title;
            ps[np++] = p;
        }
    vmb_plot_num(&pl, "m", (double)np);
    vmb_plot_strs(&pl, "phase_names", names, np);
    double ymax = 1.15;
    vmb_plot_block_begin(&pl, "ratio");
    size_t nv = 1 + 3 * np;
    double *row = vmb_xcalloc(nv, sizeof(*row));
    for (size_t k = 0; k < r.n; k++) {
        row[0] = (double)k;
        for (size_t j = 0; j < np; j++) {
            const struct vmb_model_series *s =
                vmb_model_series(m, ps[j], r.i[k], VMB_METRIC_OPRATE);
            row[1 + 3 * j] = s->ratio;
            row[2 + 3 * j] = whisker(s->ratio_ci.lo, s->ratio);
            row[3 + 3 * j] = whisker(s->ratio_ci.hi, s->ratio);
            if (isfinite(row[3 + 3 * j]))
                ymax = fmax(ymax, row[3 + 3 * j] * 1.2);
        }
        vmb_plot_row(&pl, row, nv);
    }
    vmb_plot_block_end(&pl);
    vmb_plot_num(&pl, "ymax", ymax);
    vmb_charts_add(cs, &pl, "ratio", plots, "ratio", title, w);
    vmb_plot_free(&pl);
    free(row);
    free(ps);
    free(names);
    free(has_p);
    free(r.i);
}

/* Steps of a capacity search in the order of their offered rate. */
static int
cmp_step(const void *pa, const void *pb)
{
    const struct vmb_res_cap_step *a = pa, *b = pb;
    return (a->rate > b->rate) - (a->rate < b->rate);
}

/* Latency against throughput of a capacity phase, every row a curve. */
static void
chart_capacity(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
               const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("capacity-%s", ph->name);
    autofree char *title =
        vmb_xasprintf("Latency against throughput: %s phase", ph->title);
    size_t n = m->nrows;
    const struct vmb_res_phase **rp = vmb_xcalloc(n ? n : 1, sizeof(*rp));
    struct rows r;
    rows_init(&r, n);
    double mx = 0, pct = NAN, limit = NAN;
    for (size_t i = 0; i < n; i++) {
        size_t rep = ph->median_rep[i];
        if (rep == SIZE_MAX)
            continue;
        rp[i] = vmb_res_rep_phase(&m->rows[i].cell->reps[rep], ph->name);
        if (rp[i] == NULL || rp[i]->ncap_steps == 0)
            continue;
        for (size_t k = 0; k < rp[i]->ncap_steps; k++)
            mx = fmax(mx, rp[i]->cap_steps[k].latency_us);
        if (isnan(limit)) {
            pct = rp[i]->cap_percentile;
            limit = rp[i]->cap_limit_us;
        }
        r.i[r.n++] = i;
    }
    if (r.n == 0) {
        free(rp);
        free(r.i);
        return; /* not a capacity phase, or no run measured a step */
    }
    if (!isfinite(limit) || limit <= 0) {
        vmb_charts_add_left_out(
            cs, base, title,
            "the results do not say the search's latency limit");
        free(rp);
        free(r.i);
        return;
    }
    const char *unit = vmb_model_lat_unit(fmax(mx, limit));
    double sc = vmb_model_lat_scale(unit);
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    vmb_charts_titles(&pl, m, title,
                      "the steps of each cell's repetition with the median op "
                      "rate; filled: met the limit, circle: latency over it, "
                      "triangle: failed within it (rate short, errors)");
    autofree char *yt = vmb_xasprintf("Latency (%s, log scale)", unit);
    autofree char *lt =
        isfinite(pct) ? vmb_xasprintf("limit: p%g %g %s", pct, limit * sc, unit)
                      : vmb_xasprintf("limit: %g %s", limit * sc, unit);
    vmb_plot_str(&pl, "y_title", yt);
    vmb_plot_str(&pl, "limit_text", lt);
    vmb_plot_num(&pl, "limit", limit * sc);
    vmb_plot_num(&pl, "n", (double)r.n);
    curve_labels(&pl, m, &r);
    vmb_plot_block_begin(&pl, "steps");
    for (size_t k = 0; k < r.n; k++) {
        const struct vmb_res_phase *q = rp[r.i[k]];
        struct vmb_res_cap_step st[VMB_RES_MAX_CAP_STEPS];
        size_t ns = q->ncap_steps;
        memcpy(st, q->cap_steps, ns * sizeof(*st));
        qsort(st, ns, sizeof(*st), cmp_step);
        if (k > 0)
            vmb_plot_block_gap(&pl);
        for (size_t j = 0; j < ns; j++) {
            /* A step with no answer has no latency for a log axis. */
            double lat = st[j].latency_us > 0 ? st[j].latency_us * sc : NAN;
            /* 1 met the limit; 0 latency over it (or the results do not
             * say why); 2 failed within it: rate short, errors, cut. */
            double mark = st[j].ok ? 1
                          : st[j].failed_by == 0 ||
                                  (st[j].failed_by & VMB_LOAD_CAP_LATENCY)
                              ? 0
                              : 2;
            double row[] = {st[j].achieved, lat, mark};
            vmb_plot_row(&pl, row, 3);
        }
    }
    vmb_plot_block_end(&pl);
    vmb_charts_add(cs, &pl, "capacity", plots, base, title, w);
    vmb_plot_free(&pl);
    free(rp);
    free(r.i);
}

void
vmb_charts_phase(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                 const char *plots, struct vmb_buf *w)
{
    if (m->ncells > 0)
        chart_oprate(cs, m, p, plots, w);
    chart_latency(cs, m, p, plots, w);
    chart_hdr(cs, m, p, plots, w);
    chart_timeseries(cs, m, p, plots, w);
    chart_capacity(cs, m, p, plots, w);
}
