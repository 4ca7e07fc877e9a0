/*
 * The report's section on the hosts of a merged directory: which host
 * ran each cell, and the first control's op rates on every host (its
 * owner's copy and the others' calibration copies) side by side, flagged
 * where two hosts differ by more than the noise. Ratios stay within a
 * host; this section only compares hosts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/stats.h"
#include "report/doc.h"
#include "report/report_priv.h"

static const struct vmb_res_host *
host_by_shard(const struct vmb_results *r, size_t k)
{
    for (size_t i = 0; i < r->nhosts; i++)
        if (r->hosts[i].shard == k)
            return &r->hosts[i];
    return NULL;
}

static const char *
or_q(const char *s)
{
    return s ? s : "?";
}

/* The op rates of phase name over the ok reps of c, into v (n). */
static size_t
op_rates(const struct vmb_res_cell *c, const char *name, double *v)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        const struct vmb_res_phase *p = vmb_res_rep_phase(&c->reps[i], name);
        if (c->reps[i].ok && p != NULL && isfinite(p->op_rate))
            v[n++] = p->op_rate;
    }
    return n;
}

struct copy {
    const struct vmb_res_cell *cell;
    const struct vmb_res_host *host; /* NULL: not recorded */
    bool owner;
};

/* The copies of the first control: the owner's, then each calibration. */
static size_t
copies(const struct vmb_results *r, struct copy *out)
{
    size_t n = 0;
    const struct vmb_res_cell *first = NULL;
    for (size_t i = 0; i < r->nhosts && first == NULL; i++)
        if (r->hosts[i].calibration != NULL)
            first = vmb_results_find(r, r->hosts[i].calibration->id, NULL);
    if (first == NULL || !first->control)
        return 0;
    out[n++] = (struct copy){first, vmb_results_host_of(r, first->id), true};
    for (size_t k = 0; k < r->merged_count; k++) {
        const struct vmb_res_host *h = host_by_shard(r, k);
        if (h != NULL && h->calibration != NULL)
            out[n++] = (struct copy){h->calibration, h, false};
    }
    return n;
}

static void
calibration(struct vmb_doc *d, const struct vmb_model *m)
{
    const struct vmb_results *r = m->res;
    struct copy *cp = vmb_xcalloc(r->nhosts + 2, sizeof(*cp));
    size_t n = copies(r, cp);
    const struct vmb_res_rep *rep0 = NULL;
    for (size_t i = 0; n > 0 && i < cp[0].cell->nreps && rep0 == NULL; i++)
        if (cp[0].cell->reps[i].ok)
            rep0 = &cp[0].cell->reps[i];
    if (n < 2 || rep0 == NULL) {
        vmb_doc_p_begin(d);
        vmb_doc_text(d, "No calibration to compare: the first control has "
                        "no successful run on its own host, or no other "
                        "host ran it.");
        vmb_doc_p_end(d);
        free(cp);
        return;
    }
    vmb_doc_h(d, 3, "Calibration: the first control on every host");
    vmb_doc_p_begin(d);
    vmb_doc_textf(d,
                  "Control %s (%s) ran on every shard. The copy of the "
                  "host that owns it is the control of its VM cells; the "
                  "others only measure how far hosts differ. Median op "
                  "rate per phase (ops/s) with its 95%% bootstrap interval; "
                  "a phase is flagged where a host's interval does not "
                  "overlap the owner's (two runs or more on each): the "
                  "hosts differ by more than the noise.",
                  cp[0].cell->id, or_q(cp[0].cell->label));
    vmb_doc_p_end(d);
    static const char *const head[] = {"Shard",    "Host",    "Copy",
                                       "Phase",    "n",       "Median",
                                       "Interval", "vs owner"};
    vmb_doc_table_begin(d, head, 8);
    size_t maxreps = 1;
    for (size_t i = 0; i < n; i++)
        maxreps = cp[i].cell->nreps > maxreps ? cp[i].cell->nreps : maxreps;
    double *v = vmb_xcalloc(maxreps, sizeof(double));
    double *own = vmb_xcalloc(maxreps, sizeof(double));
    struct vmb_buf flags = {0};
    for (size_t p = 0; p < rep0->nphases; p++) {
        const char *name = rep0->phases[p].name;
        size_t no = op_rates(cp[0].cell, name, own);
        double omed = vmb_stats_median(own, no);
        struct vmb_interval oci = vmb_stats_bootstrap_median(
            own, no, vmb_stats_seed_for(m->seed, name), VMB_STATS_RESAMPLES,
            0.95);
        for (size_t i = 0; i < n; i++) {
            size_t k = op_rates(cp[i].cell, name, v);
            double med = vmb_stats_median(v, k);
            struct vmb_interval ci = vmb_stats_bootstrap_median(
                v, k, vmb_stats_seed_for(m->seed, name), VMB_STATS_RESAMPLES,
                0.95);
            /* One run has no spread: the noise needs two on each side. */
            bool differs =
                i > 0 && k > 1 && no > 1 && (ci.lo > oci.hi || ci.hi < oci.lo);
            autofree char *shard = cp[i].host
                                       ? vmb_xasprintf("%zu", cp[i].host->shard)
                                       : vmb_xstrdup("?");
            autofree char *nn = vmb_xasprintf("%zu", k);
            autofree char *mt = vmb_report_fmt3(med);
            autofree char *lo = vmb_report_fmt3(ci.lo);
            autofree char *hi = vmb_report_fmt3(ci.hi);
            autofree char *iv = vmb_xasprintf("[%s, %s]", lo, hi);
            autofree char *vs =
                i == 0 ? vmb_xstrdup("—")
                : omed > 0 && isfinite(med)
                    ? vmb_xasprintf("%+.1f%%%s", 100 * (med / omed - 1),
                                    differs           ? " (differs)"
                                    : k < 2 || no < 2 ? " (too few runs)"
                                                      : "")
                    : vmb_xstrdup("–");
            const char *row[] = {shard,
                                 or_q(cp[i].host ? cp[i].host->hostname : NULL),
                                 i == 0 ? "control" : "calibration",
                                 name,
                                 nn,
                                 mt,
                                 iv,
                                 vs};
            vmb_doc_row(d, row, 8);
            if (differs)
                vmb_buf_printf(&flags, "%s%s on shard %zu (%s)",
                               flags.len ? "; " : "", name, cp[i].host->shard,
                               or_q(cp[i].host->hostname));
        }
    }
    vmb_doc_table_end(d);
    if (flags.len > 0) {
        vmb_doc_note_begin(d);
        vmb_doc_textf(d,
                      "Hosts differ by more than the noise: %s. Compare VM "
                      "cells run on different hosts with care; each cell's "
                      "ratio to bare metal is still made on its own host.",
                      flags.data);
        vmb_doc_note_end(d);
    }
    vmb_buf_free(&flags);
    free(v);
    free(own);
    free(cp);
}

void
vmb_sections_hosts(struct vmb_doc *d, const struct vmb_model *m,
                   const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_results *r = m->res;
    if (r->merged_count == 0)
        return;
    vmb_doc_h(d, 2, "Hosts");
    vmb_doc_p_begin(d);
    vmb_doc_textf(d,
                  "This directory merges %zu of %zu shards (`vmbench "
                  "merge`). A VM cell and its bare-metal control ran on "
                  "the same host, so every ratio in this report is made "
                  "within one host; figures of cells on different hosts "
                  "also carry the hosts' difference (docs/scale-out.md).",
                  r->nhosts, r->merged_count);
    vmb_doc_p_end(d);
    static const char *const head[] = {"Shard", "Host", "CPU", "Kernel",
                                       "Cells and controls"};
    vmb_doc_table_begin(d, head, 5);
    for (size_t k = 0; k < r->merged_count; k++) {
        const struct vmb_res_host *h = host_by_shard(r, k);
        autofree char *shard = vmb_xasprintf("%zu", k);
        autofree char *ids = NULL;
        if (h != NULL) {
            struct vmb_buf b = {0};
            for (size_t i = 0; i < h->nids; i++)
                vmb_buf_printf(&b, "%s%s", i ? " " : "", h->ids[i]);
            ids = b.len ? vmb_buf_steal(&b) : vmb_xstrdup("–");
            vmb_buf_free(&b);
        }
        const char *row[] = {shard, h ? or_q(h->hostname) : "missing",
                             h ? or_q(h->cpu) : "", h ? or_q(h->kernel) : "",
                             h ? ids : ""};
        vmb_doc_row(d, row, 5);
    }
    vmb_doc_table_end(d);
    static const char *const chead[] = {"Cell", "Label", "Shard", "Host"};
    vmb_doc_table_begin(d, chead, 4);
    for (int pass = 0; pass < 2; pass++) {
        const struct vmb_res_cell *arr = pass ? r->controls : r->cells;
        size_t n = pass ? r->ncontrols : r->ncells;
        for (size_t i = 0; i < n; i++) {
            const struct vmb_res_host *h = arr[i].host;
            autofree char *shard =
                h ? vmb_xasprintf("%zu", h->shard) : vmb_xstrdup("?");
            const char *row[] = {arr[i].id, or_q(arr[i].label), shard,
                                 h ? or_q(h->hostname) : "?"};
            vmb_doc_row(d, row, 4);
        }
    }
    vmb_doc_table_end(d);
    calibration(d, m);
}
