/*
 * The charts of runs with several tenants: how the aggregate op rate
 * scales with tenants against the linear line from tenants: 1
 * (scaling-<phase>), and each tenant's op rate in a cell with several
 * (tenants-<phase>-<row>).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "report/report_priv.h"
#include "results/metric.h"

/* A family's title: its first row's label without "tenants=N". */
static char *
family_title(const struct vmb_model *m, size_t row)
{
    const char *label = vmb_model_label(m, row);
    struct vmb_buf b = {0};
    const char *p = label;
    while (*p) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (strncmp(p, "tenants=", 8) != 0) {
            if (b.len > 0)
                vmb_buf_puts(&b, " ");
            vmb_buf_append(&b, p, len);
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return b.data ? vmb_buf_steal(&b) : vmb_xstrdup(label);
}

/* The family's figure at row: tenants: 1's op rate, else the aggregate. */
static double
family_rate(const struct vmb_model *m, size_t p, size_t row)
{
    int k = vmb_model_tenants(m, row) == 1 ? VMB_METRIC_OPRATE
                                           : VMB_METRIC_AGGREGATE_OP_RATE;
    const struct vmb_summary *s = &vmb_model_series(m, p, row, k)->s;
    return s->n > 0 ? s->median : NAN;
}

static void
scaling_chart(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
              const char *plots, struct vmb_buf *w)
{
    const char *phase = m->phases[p].name;
    autofree char *base = vmb_xasprintf("scaling-%s", phase);
    autofree char *title =
        vmb_xasprintf("Aggregate op rate against tenants, %s", phase);
    /* Families with a row of several tenants that has a figure. */
    size_t *heads = vmb_xcalloc(m->nrows ? m->nrows : 1, sizeof(*heads));
    size_t nf = 0;
    int64_t max_t = 1;
    for (size_t i = 0; i < m->nrows; i++) {
        if (vmb_model_tenants(m, i) < 2 || !isfinite(family_rate(m, p, i)))
            continue;
        size_t h = vmb_model_tenants_family(m, i);
        bool seen = false;
        for (size_t f = 0; f < nf && !seen; f++)
            seen = heads[f] == h;
        if (!seen)
            heads[nf++] = h;
        if (vmb_model_tenants(m, i) > max_t)
            max_t = vmb_model_tenants(m, i);
    }
    if (nf == 0) {
        free(heads);
        return;
    }
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    vmb_charts_titles(&pl, m, title,
                      "median of the repetitions; dotted: N x the op rate "
                      "at tenants: 1");
    vmb_plot_num(&pl, "n", (double)nf);
    vmb_plot_num(&pl, "max_tenants", (double)max_t);
    char **titles = vmb_xcalloc(nf, sizeof(*titles));
    double *lts = vmb_xcalloc(nf, sizeof(*lts));
    size_t ncell = 0;
    double lo = INFINITY, hi = 0;
    bool any_linear = false;
    for (size_t f = 0; f < nf; f++)
        for (size_t i = 0; i < m->nrows; i++)
            any_linear =
                any_linear || (vmb_model_tenants_family(m, i) == heads[f] &&
                               vmb_model_tenants(m, i) == 1 &&
                               isfinite(family_rate(m, p, i)));
    vmb_plot_block_begin(&pl, "scaling");
    for (size_t f = 0; f < nf; f++) {
        const struct vmb_res_cell *hc = m->rows[heads[f]].cell;
        titles[f] = family_title(m, heads[f]);
        lts[f] = hc->control ? 9 : (double)(ncell++ % 8 + 1);
        double one = NAN;
        for (size_t i = 0; i < m->nrows; i++)
            if (vmb_model_tenants_family(m, i) == heads[f] &&
                vmb_model_tenants(m, i) == 1)
                one = family_rate(m, p, i);
        if (f > 0)
            vmb_plot_block_gap(&pl);
        /* Rows in ascending tenants, so the curve runs left to right. */
        for (int64_t t = 1; t <= max_t; t++)
            for (size_t i = 0; i < m->nrows; i++) {
                if (vmb_model_tenants_family(m, i) != heads[f] ||
                    vmb_model_tenants(m, i) != t)
                    continue;
                /* Without any tenants: 1 figure the linear column
                 * repeats the rate (gnuplot must see a number in every
                 * column) and the template leaves it out. */
                double row[3] = {(double)t, family_rate(m, p, i),
                                 any_linear ? (double)t * one
                                            : family_rate(m, p, i)};
                vmb_plot_row(&pl, row, 3);
                if (row[1] > 0) {
                    lo = fmin(lo, row[1]);
                    hi = fmax(hi, row[1]);
                }
            }
    }
    vmb_plot_block_end(&pl);
    /* VMs under TCG run at a few percent of bare metal: on a linear axis
     * their curves would lie flat on zero. */
    vmb_plot_num(&pl, "logy", hi > 20 * lo ? 1 : 0);
    vmb_plot_num(&pl, "has_linear", any_linear ? 1 : 0);
    vmb_plot_strs(&pl, "titles", (const char *const *)titles, nf);
    vmb_plot_nums(&pl, "lts", lts, nf);
    vmb_charts_add(cs, &pl, "scaling", plots, base, title, w);
    vmb_plot_free(&pl);
    for (size_t f = 0; f < nf; f++)
        free(titles[f]);
    free(titles);
    free(lts);
    free(heads);
}

static void
tenants_chart(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
              size_t row, const char *plots, struct vmb_buf *w)
{
    int64_t nt = vmb_model_tenants(m, row);
    const struct vmb_res_cell *c = m->rows[row].cell;
    autofree char *base =
        vmb_xasprintf("tenants-%s-%s", m->phases[p].name, c->id);
    autofree char *title =
        vmb_xasprintf("Op rate of each tenant, %s, %s", m->phases[p].name,
                      vmb_model_label(m, row));
    double *med = vmb_xcalloc((size_t)nt, sizeof(*med));
    double *v = vmb_xcalloc(c->nreps ? c->nreps : 1, sizeof(*v));
    double sum = 0;
    size_t have = 0;
    for (int64_t t = 0; t < nt; t++) {
        size_t n = vmb_model_tenant_values(m, p, row, (size_t)t,
                                           VMB_METRIC_OPRATE, v, c->nreps);
        med[t] = n > 0 ? vmb_stats_median(v, n) : NAN;
        if (n > 0) {
            sum += med[t];
            have++;
        }
    }
    if (have > 0) {
        struct vmb_plot pl;
        vmb_plot_init(&pl);
        vmb_charts_titles(&pl, m, title,
                          "each tenant's op rate, median of the repetitions");
        vmb_plot_num(&pl, "n", (double)nt);
        vmb_plot_num(&pl, "mean", sum / (double)have);
        vmb_plot_block_begin(&pl, "tenants");
        for (int64_t t = 0; t < nt; t++) {
            double r[2] = {(double)t, med[t]};
            vmb_plot_row(&pl, r, 2);
        }
        vmb_plot_block_end(&pl);
        vmb_charts_add(cs, &pl, "tenants", plots, base, title, w);
        vmb_plot_free(&pl);
    }
    free(med);
    free(v);
}

void
vmb_charts_tenants(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                   const char *plots, struct vmb_buf *w)
{
    scaling_chart(cs, m, p, plots, w);
    for (size_t i = 0; i < m->nrows; i++)
        if (vmb_model_tenants(m, i) > 1)
            tenants_chart(cs, m, p, i, plots, w);
}
