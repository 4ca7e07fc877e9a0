/*
 * The charts of "Where the time goes": what each operation cost the host
 * in CPU, by thread class, and what a run's op rate did second by second
 * beside its disk's I/Os and the host CPU. File names come from phase
 * names (checked index and op) and row numbers only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "report/report_priv.h"

/* The stacked classes: the VM's thread classes, then the database
 * processes of a bare-metal control (its whole host CPU). */
#define NCLASS (VMB_METRIC_NCPU_CLASS + 1)
static const char *const class_title[NCLASS] = {
    "vCPU threads", "IOThreads", "QEMU main loop",        "other QEMU threads",
    "virtiofsd",    "vhost",     "database (bare metal)",
};

/* The median per op of class k of row i in phase p; NAN when none. */
static double
class_value(const struct vmb_model *m, size_t p, size_t i, int k)
{
    if (k < VMB_METRIC_NCPU_CLASS)
        return vmb_model_series(m, p, i, VMB_METRIC_CPU_VCPU + k)->s.median;
    if (!m->rows[i].cell->control)
        return NAN;
    return vmb_model_series(m, p, i, VMB_METRIC_CPU_PER_OP)->s.median;
}

static void
chart_cpu(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
          const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *base = vmb_xasprintf("cpu-%s", ph->name);
    autofree char *title = vmb_xasprintf(
        "Host CPU per operation by thread class: %s phase", ph->title);
    size_t *rows = vmb_xcalloc(m->nrows ? m->nrows : 1, sizeof(*rows));
    size_t n = 0;
    bool used[NCLASS] = {false};
    for (size_t i = 0; i < m->nrows; i++) {
        bool any = false;
        for (int k = 0; k < NCLASS; k++)
            if (isfinite(class_value(m, p, i, k))) {
                used[k] = true;
                any = true;
            }
        if (any)
            rows[n++] = i;
    }
    const char *names[NCLASS];
    int cols[NCLASS];
    size_t nc = 0;
    for (int k = 0; k < NCLASS; k++)
        if (used[k]) {
            names[nc] = class_title[k];
            cols[nc++] = k;
        }
    if (n == 0) {
        vmb_charts_add_left_out(cs, base, title,
                                "no run measured host CPU in this phase");
        free(rows);
        return;
    }
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    vmb_charts_titles(&pl, m, title,
                      "median host CPU microseconds per operation by class, "
                      "both nodes");
    vmb_plot_num(&pl, "n", (double)n);
    vmb_plot_num(&pl, "m", (double)nc);
    vmb_plot_strs(&pl, "stage_names", names, nc);
    vmb_charts_row_labels(&pl, m, rows, n);
    vmb_plot_block_begin(&pl, "cpu");
    for (size_t r = 0; r < n; r++) {
        double row[NCLASS + 1];
        row[0] = (double)r;
        double sum = 0;
        for (size_t c = 0; c < nc; c++) {
            double v = class_value(m, p, rows[r], cols[c]);
            sum += isfinite(v) ? v : 0;
            row[c + 1] = sum;
        }
        vmb_plot_row(&pl, row, nc + 1);
    }
    vmb_plot_block_end(&pl);
    vmb_charts_add(cs, &pl, "cpu", plots, base, title, w);
    vmb_plot_free(&pl);
    free(rows);
}

/* Op rate, disk I/Os and host CPU of row i's median repetition. */
static void
chart_resources(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                size_t i, const char *plots, struct vmb_buf *w)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    size_t rep = ph->median_rep[i];
    if (rep == SIZE_MAX)
        return;
    const struct vmb_res_cell *c = m->rows[i].cell;
    autofree char *base = vmb_xasprintf("resources-%s-%zu", ph->name, i);
    autofree char *title =
        vmb_xasprintf("Op rate, disk I/O and host CPU over time: %s, %s phase",
                      vmb_model_label(m, i), ph->title);
    struct vmb_res_second *secs = NULL;
    size_t ns = 0;
    struct vmb_error *e = NULL;
    if (vmb_results_read_timeseries(c->reps[rep].dir, ph->name, &secs, &ns,
                                    &e) < 0) {
        autofree char *safe = vmb_term_safe(e->msg);
        vmb_buf_printf(w, "%s; its resource chart is left out\n", safe);
        vmb_error_free(e);
        return;
    }
    bool has_cpu = false, has_disk = false, has_rate = false;
    for (size_t k = 0; k < ns; k++) {
        has_rate |= isfinite(secs[k].ops_per_s);
        has_cpu |= isfinite(secs[k].host_cpu_s);
        has_disk |= isfinite(secs[k].disk_iops);
    }
    if (!has_rate || !has_cpu) {
        /* Runs from before the resource columns: nothing to say. */
        free(secs);
        return;
    }
    struct vmb_plot pl;
    vmb_plot_init(&pl);
    vmb_charts_titles(&pl, m, title,
                      "per second, the repetition with the median op rate");
    vmb_plot_num(&pl, "has_disk", has_disk ? 1 : 0);
    vmb_plot_block_begin(&pl, "ts");
    for (size_t k = 0; k < ns; k++) {
        double row[] = {secs[k].second, secs[k].ops_per_s, secs[k].host_cpu_s,
                        has_disk ? secs[k].disk_iops : 0};
        vmb_plot_row(&pl, row, 4);
    }
    vmb_plot_block_end(&pl);
    vmb_charts_add(cs, &pl, "resources", plots, base, title, w);
    vmb_plot_free(&pl);
    free(secs);
}

void
vmb_charts_resources(struct vmb_charts *cs, const struct vmb_model *m, size_t p,
                     const char *plots, struct vmb_buf *w)
{
    if (!m->any_resources)
        return;
    chart_cpu(cs, m, p, plots, w);
    for (size_t i = 0; i < m->nrows; i++)
        chart_resources(cs, m, p, i, plots, w);
}
