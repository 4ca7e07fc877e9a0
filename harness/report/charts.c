#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "report/plot.h"
#include "report/report_priv.h"

/* ---- the chart list ---- */

void
vmb_charts_init(struct vmb_charts *cs, bool draw)
{
    memset(cs, 0, sizeof(*cs));
    if (!draw) {
        cs->skip_reason = vmb_xstrdup("charts were turned off (--no-charts)");
        return;
    }
    struct vmb_error *err = NULL;
    if (vmb_plot_find_gnuplot(&cs->gnuplot, &err) < 0) {
        cs->skip_reason = vmb_xstrdup(err->msg);
        cs->first_error = err;
    }
}

const struct vmb_chart *
vmb_charts_find(const struct vmb_charts *cs, const char *base)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->c[i].base, base) == 0)
            return &cs->c[i];
    return NULL;
}

void
vmb_charts_free(struct vmb_charts *cs)
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

static void
chart_add(struct vmb_charts *cs, const char *base, const char *title)
{
    cs->c = vmb_xrealloc(cs->c, (cs->n + 1) * sizeof(*cs->c));
    cs->c[cs->n].base = vmb_xstrdup(base);
    cs->c[cs->n].title = vmb_xstrdup(title);
    cs->c[cs->n].error = NULL;
    cs->n++;
}

/* Lists the chart, and draws it when gnuplot is there. */
static void
chart_draw(struct vmb_charts *cs, struct vmb_plot *p, const char *tmpl,
           const char *plots, const char *base, const char *title,
           struct vmb_buf *warnings)
{
    chart_add(cs, base, title);
    struct vmb_chart *c = &cs->c[cs->n - 1];
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

/* ---- what every chart shares ---- */

/*
 * Labels of rows order[0..n-1] (rows 0..n-1 when order is NULL), one word
 * per line, so long labels stay narrow.
 */
static char **
tick_labels(const struct vmb_model *m, const size_t *order, size_t n)
{
    char **t = vmb_xcalloc(n ? n : 1, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        t[i] = vmb_xstrdup(vmb_model_label(m, order ? order[i] : i));
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

static void
axis_labels(struct vmb_plot *p, const struct vmb_model *m, const size_t *order,
            size_t n)
{
    char **ticks = tick_labels(m, order, n);
    vmb_plot_axis_labels(p, "labels", (const char *const *)ticks, n);
    free_strs(ticks, n);
}

static char *
subtitle(const struct vmb_model *m, const char *what)
{
    const char *accel = m->accel ? m->accel : "unknown";
    if (m->tcg)
        return vmb_xasprintf("%s · VMs under TCG (software emulation, no "
                             "KVM)\n%s",
                             m->res->name, what);
    return vmb_xasprintf("%s · accelerator %s\n%s", m->res->name, accel, what);
}

static void
set_common(struct vmb_plot *p, const struct vmb_model *m, const char *title,
           const char *what)
{
    autofree char *sub = subtitle(m, what);
    vmb_plot_str(p, "chart_title", title);
    vmb_plot_str(p, "chart_subtitle", sub);
}

/* ---- per phase ---- */

static void
chart_oprate(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
             const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Op rate per cell: %s phase", ph->title);
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("median of %s, whiskers: 95%% interval", reps);
    set_common(&pl, m, title, what);
    vmb_plot_str(&pl, "y_title", "Operations per second");
    vmb_plot_num(&pl, "n", (double)m->ncells);
    axis_labels(&pl, m, NULL, m->ncells);
    /* An empty title keeps a missing control out of the legend. */
    bool any_control = vmb_model_any_control(m);
    const char *ctl_label = any_control ? "bare metal (control)" : "";
    if (any_control && m->nrows - m->ncells == 1) {
        autofree char *t =
            vmb_xasprintf("control: %s", vmb_model_label(m, m->ncells));
        vmb_plot_str(&pl, "ctrl_title", t);
    } else {
        vmb_plot_str(&pl, "ctrl_title", ctl_label);
    }
    vmb_plot_block_begin(&pl, "cells");
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_model_series *s =
            vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
        size_t cr = m->rows[i].control_row;
        double ctl =
            cr == SIZE_MAX
                ? NAN
                : vmb_model_series(m, p, cr, VMB_METRIC_OPRATE)->s.median;
        double row[] = {(double)i, s->s.median, s->s.ci.lo, s->s.ci.hi, ctl};
        vmb_plot_row(&pl, row, 5);
    }
    vmb_plot_block_end(&pl);
    autofree char *base = vmb_xasprintf("oprate-%s", ph->name);
    chart_draw(cs, &pl, "oprate", plots, base, title, w);
    vmb_plot_free(&pl);
}

static void
chart_latency(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
              const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    static const int ks[] = {VMB_METRIC_P50, VMB_METRIC_P95, VMB_METRIC_P99,
                             VMB_METRIC_P999};
    static const char *const names[] = {"p50 (median)", "p95", "p99", "p99.9"};
    /* Controls first: the yardstick sits at the left. */
    size_t n = m->nrows;
    autofree size_t *order = vmb_xcalloc(n ? n : 1, sizeof(*order));
    size_t k = 0;
    for (size_t i = m->ncells; i < m->nrows; i++)
        order[k++] = i;
    for (size_t i = 0; i < m->ncells; i++)
        order[k++] = i;
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx,
                  vmb_model_series(m, p, order[i], VMB_METRIC_P999)->s.ci.hi);
    const char *unit = vmb_model_lat_unit(mx);
    double sc = vmb_model_lat_scale(unit);

    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Latency percentiles per cell: %s phase", ph->title);
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("median of %s, whiskers: 95%% interval, log scale", reps);
    set_common(&pl, m, title, what);
    autofree char *yt = vmb_xasprintf("Latency (%s)", unit);
    vmb_plot_str(&pl, "y_title", yt);
    vmb_plot_num(&pl, "n", (double)n);
    axis_labels(&pl, m, order, n);
    vmb_plot_strs(&pl, "pct_names", names, 4);
    vmb_plot_block_begin(&pl, "lat");
    for (size_t i = 0; i < n; i++) {
        double row[13] = {(double)i};
        for (int j = 0; j < 4; j++) {
            const struct vmb_model_series *s =
                vmb_model_series(m, p, order[i], ks[j]);
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
}

/*
 * Curves are drawn for every row, cells then controls; only one control
 * can take the dashed style (ctrl is its 1-based index, 0 for none), so
 * several controls get colours like the cells.
 */
static size_t
dashed_control(const struct vmb_model *m)
{
    return m->nrows - m->ncells == 1 ? m->nrows : 0;
}

/* A run's latency curve: its .hgrm, else the result's percentile list. */
static void
read_curve(const struct vmb_res_rep *rep, const char *phase,
           struct vmb_res_hgrm_point **pts, size_t *npts, struct vmb_buf *w)
{
    autofree char *path = vmb_xasprintf("%s/latency-%s.hgrm", rep->dir, phase);
    struct vmb_error *e = NULL;
    if (vmb_results_read_hgrm(path, pts, npts, &e) < 0) {
        vmb_buf_printf(w, "%s\n", e->msg);
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

static void
chart_hdr(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
          const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    size_t n = m->nrows, ctrl = dashed_control(m);
    const char **labels = vmb_xcalloc(n ? n : 1, sizeof(*labels));
    double mx = 0, xmax = 10;
    struct vmb_res_hgrm_point **pts = vmb_xcalloc(n ? n : 1, sizeof(*pts));
    size_t *npts = vmb_xcalloc(n ? n : 1, sizeof(*npts));
    for (size_t i = 0; i < n; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        labels[i] = c->label;
        size_t r = ph->median_rep[i];
        if (r == SIZE_MAX)
            continue;
        read_curve(&c->reps[r], ph->name, &pts[i], &npts[i], w);
        for (size_t k = 0; k < npts[i]; k++) {
            mx = fmax(mx, pts[i][k].value_us);
            if (pts[i][k].percentile < 1)
                xmax = fmax(xmax, 1.0 / (1.0 - pts[i][k].percentile));
        }
    }
    const char *unit = vmb_model_lat_unit(mx);
    double sc = vmb_model_lat_scale(unit);
    xmax = pow(10, ceil(log10(xmax) - 1e-9));
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Latency distribution: %s phase", ph->title);
    set_common(&pl, m, title, "each cell's repetition with the median op rate");
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
}

static void
chart_timeseries(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                 const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    size_t n = m->nrows, ctrl = dashed_control(m);
    const char **labels = vmb_xcalloc(n ? n : 1, sizeof(*labels));
    struct vmb_res_second **rows = vmb_xcalloc(n ? n : 1, sizeof(*rows));
    size_t *nrows = vmb_xcalloc(n ? n : 1, sizeof(*nrows));
    double rmin = INFINITY, rmax = 0, lmax = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        labels[i] = c->label;
        size_t r = ph->median_rep[i];
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
    const char *unit = vmb_model_lat_unit(lmax);
    double sc = vmb_model_lat_scale(unit);
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    autofree char *title =
        vmb_xasprintf("Op rate and p99 latency over time: %s phase", ph->title);
    set_common(&pl, m, title,
               "per second, each cell's repetition with the median op rate");
    vmb_plot_num(&pl, "n", (double)n);
    vmb_plot_num(&pl, "ctrl", (double)ctrl);
    bool lograte = isfinite(rmin) && rmax / rmin > 8;
    vmb_plot_num(&pl, "lograte", lograte ? 1 : 0);
    vmb_plot_str(&pl, "rate_label",
                 lograte ? "Ops per second (log)" : "Ops per second");
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
            n += vmb_model_boot_values(&c->reps[r], stage, v + n);
    }
    double med = vmb_stats_median(v, n);
    free(v);
    return med;
}

static void
chart_boot(struct vmb_charts *cs, const struct vmb_model *m, const char *plots,
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
    vmb_plot_num(&pl, "m", VMB_NBOOT);
    vmb_plot_strs(&pl, "stage_names", vmb_boot_stage, VMB_NBOOT);
    vmb_plot_block_begin(&pl, "boot");
    for (size_t i = 0; i < nb; i++) {
        double row[VMB_NBOOT + 1] = {(double)i};
        double prev = 0;
        for (int k = 0; k < VMB_NBOOT; k++) {
            double v = backend_stage(m, &b[i], k);
            /* Stage ends are medians taken apart: keep the stack ordered. */
            if (!isfinite(v) || v < prev)
                v = prev;
            row[k + 1] = prev = v;
        }
        vmb_plot_row(&pl, row, VMB_NBOOT + 1);
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
chart_ratio(struct vmb_charts *cs, const struct vmb_model *m, const char *plots,
            struct vmb_buf *w)
{
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    const char *title = "Op rate relative to bare metal";
    autofree char *reps = vmb_model_reps_text(m);
    autofree char *what =
        vmb_xasprintf("ratio of medians, %s, whiskers: 95%% interval", reps);
    set_common(&pl, m, title, what);
    vmb_plot_num(&pl, "n", (double)m->ncells);
    axis_labels(&pl, m, NULL, m->ncells);
    const char **names =
        vmb_xcalloc(m->nphases ? m->nphases : 1, sizeof(*names));
    for (size_t p = 0; p < m->nphases; p++)
        names[p] = m->phases[p].title;
    vmb_plot_num(&pl, "m", (double)m->nphases);
    vmb_plot_strs(&pl, "phase_names", names, m->nphases);
    free(names);
    double ymax = 1.15;
    vmb_plot_block_begin(&pl, "ratio");
    size_t nv = 1 + 3 * m->nphases;
    double *row = vmb_xcalloc(nv, sizeof(*row));
    for (size_t i = 0; i < m->ncells; i++) {
        row[0] = (double)i;
        for (size_t p = 0; p < m->nphases; p++) {
            const struct vmb_model_series *s =
                vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
            row[1 + 3 * p] = s->ratio;
            row[2 + 3 * p] = s->ratio_ci.lo;
            row[3 + 3 * p] = s->ratio_ci.hi;
            if (isfinite(s->ratio_ci.hi))
                ymax = fmax(ymax, s->ratio_ci.hi * 1.2);
        }
        vmb_plot_row(&pl, row, nv);
    }
    free(row);
    vmb_plot_block_end(&pl);
    vmb_plot_num(&pl, "ymax", ymax);
    chart_draw(cs, &pl, "ratio", plots, "ratio", title, w);
    vmb_plot_free(&pl);
}

void
vmb_charts_draw(struct vmb_charts *cs, const struct vmb_model *m,
                const char *dir, struct vmb_buf *warnings)
{
    autofree char *plots = vmb_xasprintf("%s/plots", dir);
    struct vmb_error *err = NULL;
    if (cs->gnuplot != NULL && vmb_mkdir_p(plots, &err) < 0) {
        cs->skip_reason = vmb_xstrdup(err->msg);
        cs->first_error = err;
        free(cs->gnuplot);
        cs->gnuplot = NULL;
    }
    if (m->ncells > 0 && vmb_model_any_control(m))
        chart_ratio(cs, m, plots, warnings);
    for (size_t p = 0; p < m->nphases; p++) {
        if (m->ncells > 0)
            chart_oprate(cs, m, p, plots, warnings);
        chart_latency(cs, m, p, plots, warnings);
        chart_hdr(cs, m, p, plots, warnings);
        chart_timeseries(cs, m, p, plots, warnings);
    }
    if (m->any_boot)
        chart_boot(cs, m, plots, warnings);
}
