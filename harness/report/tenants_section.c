/*
 * The report's section on runs with several tenants: per phase the
 * aggregate op rate, the slowest tenant, fairness, scaling efficiency and
 * host memory of every cell and control with several, which ones were
 * oversubscribed, and the charts of charts_tenants.c.
 */
#include <math.h>
#include <stdlib.h>

#include "report/report_priv.h"
#include "results/metric.h"

static char *
median_of(const struct vmb_model *m, size_t p, size_t row, int k)
{
    const struct vmb_summary *s = &vmb_model_series(m, p, row, k)->s;
    return vmb_report_fmt3(s->n > 0 ? s->median : NAN);
}

static void
phase_table(struct vmb_doc *d, const struct vmb_model *m, size_t p)
{
    const char *head[] = {"Cell",
                          "Tenants",
                          "Aggregate op rate",
                          "Slowest tenant",
                          "Fairness",
                          "Scaling efficiency",
                          "Host MiB per tenant",
                          "VM overhead MiB",
                          "Tenants per host by memory"};
    vmb_doc_table_begin(d, head, 9);
    for (size_t i = 0; i < m->nrows; i++) {
        int64_t nt = vmb_model_tenants(m, i);
        if (nt < 2 ||
            vmb_model_series(m, p, i, VMB_METRIC_AGGREGATE_OP_RATE)->s.n == 0)
            continue;
        struct vmb_summary se;
        char *c[9] = {NULL};
        c[1] = vmb_xasprintf(
            "%lld%s", (long long)nt,
            vmb_model_oversubscribed(m, i) ? " (oversubscribed)" : "");
        c[2] = median_of(m, p, i, VMB_METRIC_AGGREGATE_OP_RATE);
        c[3] = median_of(m, p, i, VMB_METRIC_TENANT_MIN_OP_RATE);
        c[4] = median_of(m, p, i, VMB_METRIC_TENANT_FAIRNESS);
        c[5] =
            vmb_report_fmt3(vmb_model_scaling(m, p, i, &se) ? se.median : NAN);
        c[6] = median_of(m, p, i, VMB_METRIC_HOST_MEM_PER_TENANT);
        c[7] = median_of(m, p, i, VMB_METRIC_VM_OVERHEAD);
        c[8] = median_of(m, p, i, VMB_METRIC_TENANTS_BY_MEMORY);
        const char *cc[9] = {vmb_model_label(m, i),
                             c[1],
                             c[2],
                             c[3],
                             c[4],
                             c[5],
                             c[6],
                             c[7],
                             c[8]};
        vmb_doc_row(d, cc, 9);
        for (int k = 1; k < 9; k++)
            free(c[k]);
    }
    vmb_doc_table_end(d);
}

void
vmb_sections_tenants(struct vmb_doc *d, const struct vmb_model *m,
                     const struct vmb_charts *cs,
                     const struct vmb_buf *warnings)
{
    (void)warnings; /* the section table's signature */
    bool any = false, over = false;
    for (size_t i = 0; i < m->nrows; i++) {
        any = any || vmb_model_tenants(m, i) > 1;
        over = over || vmb_model_oversubscribed(m, i);
    }
    if (!any)
        return;
    vmb_doc_h(d, 2, "Tenants");
    vmb_doc_p_begin(d);
    vmb_doc_text(d, "Cells and controls that ran several two-node databases "
                    "at once, driven together over one window: medians of "
                    "the repetitions. Fairness is Jain's index of the "
                    "tenants' op rates (1: equal); scaling efficiency the "
                    "aggregate op rate over tenants x the op rate of the "
                    "same cell with tenants: 1; host memory the PSS of a "
                    "tenant's QEMUs and virtiofsd (or server processes), "
                    "and a VM's overhead that PSS less what its guest "
                    "uses; tenants per host by memory the host's memory, "
                    "less a reserve of the larger of 1 GiB and a tenth of "
                    "it, over the host memory per tenant.");
    vmb_doc_p_end(d);
    if (over) {
        vmb_doc_note_begin(d);
        vmb_doc_text(d, "Oversubscribed: these runs pinned more CPUs "
                        "(tenants x 2 nodes x vCPUs) than the host has, so "
                        "their figures measure contention for CPUs.");
        vmb_doc_note_end(d);
    }
    for (size_t p = 0; p < m->nphases; p++) {
        autofree char *h = vmb_xasprintf("%s phase", m->phases[p].title);
        vmb_doc_h(d, 3, h);
        phase_table(d, m, p);
        autofree char *sb = vmb_xasprintf("scaling-%s", m->phases[p].name);
        vmb_report_chart(d, cs, sb);
        for (size_t i = 0; i < m->nrows; i++) {
            if (vmb_model_tenants(m, i) < 2)
                continue;
            autofree char *tb = vmb_xasprintf(
                "tenants-%s-%s", m->phases[p].name, m->rows[i].cell->id);
            vmb_report_chart(d, cs, tb);
        }
    }
}
