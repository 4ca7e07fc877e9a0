/*
 * The chart of `vmbench compare --report`: every row's ratio B/A with its
 * interval against the noise band, worst first, through report/plot.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/compare_out.h"
#include "report/plot.h"

/* Rows drawn at most (the worst first); the table has them all. */
#define CHART_MAX_ROWS 40
/* A label's bytes at most, cut at a character boundary. */
#define LABEL_MAX 64

static char *
row_label(const struct vmb_compare *c, const struct vmb_compare_row *r)
{
    const struct vmb_res_cell *a = c->pairs[r->pair].a;
    const char *label = a->label ? a->label : a->id;
    size_t n = strlen(label);
    const char *more = "";
    if (n > LABEL_MAX) {
        n = LABEL_MAX;
        while (n > 0 && ((unsigned char)label[n] & 0xc0) == 0x80)
            n--;
        more = "…";
    }
    return vmb_xasprintf("%s%.*s%s · %s · %s", a->control ? "control " : "",
                         (int)n, label, more, r->phase, r->metric);
}

static double
verdict_code(enum vmb_verdict v)
{
    switch (v) {
    case VMB_VERDICT_SLOWER:
        return 1;
    case VMB_VERDICT_FASTER:
        return 2;
    case VMB_VERDICT_SAME:
        return 3;
    case VMB_VERDICT_NONE:
    case VMB_VERDICT_MISSING_B:
    case VMB_VERDICT_MISSING_A:
    case VMB_VERDICT_NOT_FINITE:
        break;
    }
    return 4;
}

int
vmb_compare_chart(const struct vmb_compare *c, const char *dir,
                  struct vmb_error **err)
{
    size_t *rows = vmb_xcalloc(c->nrows ? c->nrows : 1, sizeof(*rows));
    size_t n = 0, total = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        if (!isfinite(c->rows[i].ratio) || c->rows[i].ratio <= 0)
            continue;
        total++;
        if (n < CHART_MAX_ROWS)
            rows[n++] = i;
    }
    if (n == 0) {
        free(rows);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no cell, phase and metric has a ratio");
    }
    autofree char *gnuplot = NULL;
    if (vmb_plot_find_gnuplot(&gnuplot, err) < 0) {
        free(rows);
        return -1;
    }
    autofree char *plots = vmb_xasprintf("%s/plots", dir);
    if (vmb_plot_dir(plots, err) < 0) {
        free(rows);
        return -1;
    }

    struct vmb_plot pl;
    vmb_plot_init(&pl);
    double t = c->opts.threshold;
    double lo = 1 / (1 + t), hi = 1 + t;
    double band_lo = 1 - t > 0 ? 1 - t : lo;
    double xmin = band_lo, xmax = hi;
    char **labels = vmb_xcalloc(n, sizeof(*labels));
    size_t longest = 0;
    vmb_plot_block_begin(&pl, "rows");
    for (size_t k = 0; k < n; k++) {
        const struct vmb_compare_row *r = &c->rows[rows[k]];
        double rlo = isfinite(r->ci.lo) && r->ci.lo > 0 ? r->ci.lo : r->ratio;
        double rhi = isfinite(r->ci.hi) && r->ci.hi > 0 ? r->ci.hi : r->ratio;
        xmin = fmin(xmin, rlo);
        xmax = fmax(xmax, rhi);
        double row[] = {(double)(k + 1), r->ratio, rlo, rhi,
                        verdict_code(r->verdict)};
        vmb_plot_row(&pl, row, 5);
        labels[k] = row_label(c, r);
        size_t len = strlen(labels[k]);
        longest = len > longest ? len : longest;
    }
    vmb_plot_block_end(&pl);
    vmb_plot_strs(&pl, "labels", (const char *const *)labels, n);
    for (size_t k = 0; k < n; k++)
        free(labels[k]);
    free(labels);
    /* A little room beyond the widest whisker, on the log scale. */
    vmb_plot_num(&pl, "xmin", xmin / 1.08);
    vmb_plot_num(&pl, "xmax", xmax * 1.08);
    vmb_plot_num(&pl, "band_lo", band_lo);
    vmb_plot_num(&pl, "band_hi", hi);
    vmb_plot_num(&pl, "n", (double)n);
    /* The labels left of a plot area of the usual width: about 8 pixels
     * a character at their font. */
    int label_px = 30 + 8 * (int)longest;
    pl.width = VMB_PLOT_WIDTH + label_px;
    vmb_plot_num(&pl, "lmargin_frac", (double)label_px / pl.width);
    pl.height = 170 + 26 * (int)n < VMB_PLOT_HEIGHT / 2 ? VMB_PLOT_HEIGHT / 2
                                                        : 170 + 26 * (int)n;
    vmb_plot_str(&pl, "chart_title", "B / A by cell, phase and metric");
    autofree char *sub =
        total > n
            ? vmb_xasprintf("the %zu worst of %zu; whiskers: 95%% interval; "
                            "grey band: within the %.3g%% threshold",
                            n, total, t * 100)
            : vmb_xasprintf("whiskers: 95%% interval; grey band: within the "
                            "%.3g%% threshold",
                            t * 100);
    vmb_plot_str(&pl, "chart_subtitle", sub);
    int rc =
        vmb_plot_render(&pl, gnuplot, "compare", plots, "compare", NULL, err);
    vmb_plot_free(&pl);
    free(rows);
    return rc;
}
