/* The outputs of a comparison: terminal table, JSON, Markdown/HTML. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "report/compare_out.h"
#include "report/doc.h"

static const char *
label_of(const struct vmb_res_cell *cell)
{
    return cell->label ? cell->label : cell->id;
}

static const char *
test_of(const struct vmb_compare_row *r)
{
    return r->na < VMB_COMPARE_PERM_MIN || r->nb < VMB_COMPARE_PERM_MIN
               ? "interval"
               : "permutation";
}

/* One row's numbers as text, shared by the terminal and the report. */
struct row_text {
    char a[32], b[32], ratio[24], ci[48], p[24], n[24];
};

/* A number with prec significant digits (fixed decimals when fixed),
 * "-" when there is none, "inf" when it overflowed. */
static void
num_text(char *buf, size_t len, bool fixed, int prec, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (fixed)
        snprintf(buf, len, "%.*f", prec, v);
    else
        snprintf(buf, len, "%.*g", prec, v);
}

static void
row_text(const struct vmb_compare_row *r, struct row_text *t)
{
    num_text(t->a, sizeof(t->a), false, 4, r->median_a);
    num_text(t->b, sizeof(t->b), false, 4, r->median_b);
    num_text(t->ratio, sizeof(t->ratio), true, 3, r->ratio);
    if (isnan(r->ci.lo) || isnan(r->ci.hi))
        snprintf(t->ci, sizeof(t->ci), "-");
    else
        snprintf(t->ci, sizeof(t->ci), "[%.3f, %.3f]", r->ci.lo, r->ci.hi);
    num_text(t->p, sizeof(t->p), false, 3, r->p);
    /* Runs with a value that is not a number show as "+k nan". */
    if (r->nbad_a > 0 || r->nbad_b > 0)
        snprintf(t->n, sizeof(t->n), "%zu/%zu +%zu/%zu nan", r->na, r->nb,
                 r->nbad_a, r->nbad_b);
    else
        snprintf(t->n, sizeof(t->n), "%zu/%zu", r->na, r->nb);
}

/* "3 slower, ..., 0 not finite": the rows by verdict, one line. */
static char *
counts_text(const struct vmb_compare *c)
{
    return vmb_xasprintf("%zu slower, %zu faster, %zu no change, %zu too few "
                         "runs, %zu missing in B, %zu missing in A, %zu not "
                         "finite",
                         c->nslower, c->nfaster, c->nsame, c->nnone,
                         c->nmissing_b, c->nmissing_a, c->nnot_finite);
}

/* The gate's outcome, one sentence. */
static char *
gate_text(const struct vmb_compare *c)
{
    size_t f = vmb_compare_failures(c);
    if (f == 0)
        return vmb_xstrdup("gate: pass (no regression, nothing missing in B, "
                           "every value finite)");
    return vmb_xasprintf("gate: FAIL (%zu slower, %zu missing in B, %zu not "
                         "finite, %zu cell%s of A missing in B)",
                         c->nslower, c->nmissing_b, c->nnot_finite, c->nmissing,
                         c->nmissing == 1 ? "" : "s");
}

static char *
cell_name(const struct vmb_compare *c, const struct vmb_compare_row *r)
{
    const struct vmb_compare_pair *p = &c->pairs[r->pair];
    return vmb_xasprintf("%s%s", p->a->control ? "control " : "",
                         label_of(p->a));
}

void
vmb_compare_print(const struct vmb_compare *c, FILE *out)
{
    autofree char *da = vmb_term_safe(c->a->dir);
    autofree char *db = vmb_term_safe(c->b->dir);
    fprintf(out, "A: %s\nB: %s\n", da, db);
    fprintf(out, "rule: %s (threshold %.3g%%, alpha %.3g)\n", vmb_compare_rule,
            c->opts.threshold * 100, c->opts.alpha);
    fprintf(out, "gate: %s\n\n", vmb_compare_gate_rule);
    fprintf(out, "%-12s %-10s %-8s %10s %10s %7s %16s %7s %5s  %s\n", "verdict",
            "phase", "metric", "A", "B", "B/A", "95% interval", "p", "runs",
            "cell");
    for (size_t i = 0; i < c->nrows; i++) {
        const struct vmb_compare_row *r = &c->rows[i];
        struct row_text t = {0};
        row_text(r, &t);
        autofree char *raw = cell_name(c, r);
        autofree char *name = vmb_term_safe(raw);
        fprintf(out, "%-12s %-10s %-8s %10s %10s %7s %16s %7s %5s  %s%s\n",
                vmb_verdict_name(r->verdict), r->phase, r->metric, t.a, t.b,
                t.ratio, t.ci, t.p, t.n, name,
                r->control_slower ? " (its control is slower too)" : "");
    }
    for (size_t i = 0; i < c->npairs; i++) {
        const struct vmb_compare_pair *p = &c->pairs[i];
        if (!p->by_label)
            continue;
        autofree char *l = vmb_term_safe(label_of(p->a));
        fprintf(out,
                "\nmatched by label: %s (A %s, B %s); settings that "
                "differ:\n",
                l, p->a->id, p->b->id);
        for (size_t j = 0; j < p->ndiff; j++) {
            autofree char *d = vmb_term_safe(p->diff[j]);
            fprintf(out, "  %s\n", d);
        }
    }
    if (c->nunmatched > 0)
        fputc('\n', out);
    for (size_t i = 0; i < c->nunmatched; i++) {
        autofree char *u = vmb_term_safe(c->unmatched[i]);
        fprintf(out, "%s\n", u);
    }
    if (c->nmissing > 0)
        fprintf(out, "\ncells of A missing in B (each fails the gate):\n");
    for (size_t i = 0; i < c->nmissing; i++) {
        autofree char *m = vmb_term_safe(c->missing[i]);
        fprintf(out, "  %s\n", m);
    }
    autofree char *counts = counts_text(c);
    autofree char *gate = gate_text(c);
    fprintf(out, "\n%s\n%s\n", counts, gate);
}

char *
vmb_compare_json(const struct vmb_compare *c)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_jw_obj_begin(&w);
    vmb_jw_kint(&w, "schema", 1);
    vmb_jw_kstr(&w, "a", c->a->dir);
    vmb_jw_kstr(&w, "b", c->b->dir);
    vmb_jw_kstr(&w, "rule", vmb_compare_rule);
    vmb_jw_kdouble(&w, "threshold", c->opts.threshold);
    vmb_jw_kdouble(&w, "alpha", c->opts.alpha);
    vmb_jw_kstr(&w, "gate_rule", vmb_compare_gate_rule);
    /* The gate, as the exit status says it: true when it fails. */
    vmb_jw_kbool(&w, "regression", vmb_compare_failures(c) > 0);
    vmb_jw_kuint(&w, "failures", vmb_compare_failures(c));
    vmb_jw_kuint(&w, "slower", c->nslower);
    vmb_jw_kuint(&w, "faster", c->nfaster);
    vmb_jw_kuint(&w, "no_change", c->nsame);
    vmb_jw_kuint(&w, "too_few_runs", c->nnone);
    vmb_jw_kuint(&w, "missing_in_b", c->nmissing_b);
    vmb_jw_kuint(&w, "missing_in_a", c->nmissing_a);
    vmb_jw_kuint(&w, "not_finite", c->nnot_finite);
    vmb_jw_key(&w, "rows");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct vmb_compare_row *r = &c->rows[i];
        const struct vmb_compare_pair *p = &c->pairs[r->pair];
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, "verdict", vmb_verdict_name(r->verdict));
        vmb_jw_kstr(&w, "id_a", p->a->id);
        vmb_jw_kstr(&w, "id_b", p->b->id);
        vmb_jw_kstr(&w, "label", p->a->label);
        vmb_jw_kbool(&w, "control", p->a->control);
        vmb_jw_kbool(&w, "matched_by_label", p->by_label);
        vmb_jw_kstr(&w, "phase", r->phase);
        vmb_jw_kstr(&w, "metric", r->metric);
        vmb_jw_kuint(&w, "runs_a", r->na);
        vmb_jw_kuint(&w, "runs_b", r->nb);
        vmb_jw_kuint(&w, "not_finite_a", r->nbad_a);
        vmb_jw_kuint(&w, "not_finite_b", r->nbad_b);
        /* null is no number; an overflow is said, not hidden as null. */
        vmb_jw_kbool(&w, "ratio_infinite", isinf(r->ratio));
        vmb_jw_kdouble(&w, "median_a", r->median_a);
        vmb_jw_kdouble(&w, "median_b", r->median_b);
        vmb_jw_kdouble(&w, "ratio", r->ratio);
        vmb_jw_kdouble(&w, "ratio_lo", r->ci.lo);
        vmb_jw_kdouble(&w, "ratio_hi", r->ci.hi);
        vmb_jw_kdouble(&w, "p", r->p);
        vmb_jw_kstr(&w, "test", test_of(r));
        vmb_jw_kbool(&w, "control_slower", r->control_slower);
        vmb_jw_obj_end(&w);
    }
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "settings_differ");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < c->npairs; i++) {
        const struct vmb_compare_pair *p = &c->pairs[i];
        if (p->ndiff == 0)
            continue;
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, "id_a", p->a->id);
        vmb_jw_kstr(&w, "id_b", p->b->id);
        vmb_jw_key(&w, "settings");
        vmb_jw_arr_begin(&w);
        for (size_t j = 0; j < p->ndiff; j++)
            vmb_jw_str(&w, p->diff[j]);
        vmb_jw_arr_end(&w);
        vmb_jw_obj_end(&w);
    }
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "unmatched");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < c->nunmatched; i++)
        vmb_jw_str(&w, c->unmatched[i]);
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "missing_cells");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < c->nmissing; i++)
        vmb_jw_str(&w, c->missing[i]);
    vmb_jw_arr_end(&w);
    vmb_jw_obj_end(&w);
    return vmb_jw_steal(&w);
}

int
vmb_compare_write_report(const struct vmb_compare *c, const char *dir,
                         struct vmb_error **err)
{
    if (vmb_mkdir_p(dir, err) < 0)
        return vmb_error_prefix(err, "create \"%s\"", dir);
    struct vmb_doc d = {0};
    vmb_doc_begin(&d, dir, "vmbench compare");
    vmb_doc_p_begin(&d);
    vmb_doc_text(&d, "A (baseline): ");
    vmb_doc_code(&d, c->a->dir);
    vmb_doc_text(&d, ", B: ");
    vmb_doc_code(&d, c->b->dir);
    autofree char *counts = counts_text(c);
    autofree char *gate = gate_text(c);
    vmb_doc_textf(&d, ". %s; %s.", counts, gate);
    vmb_doc_p_end(&d);
    vmb_doc_p_begin(&d);
    vmb_doc_strong(&d, "Rule:");
    vmb_doc_textf(&d, " %s (threshold %.3g%%, alpha %.3g). The %s.",
                  vmb_compare_rule, c->opts.threshold * 100, c->opts.alpha,
                  vmb_compare_gate_rule);
    vmb_doc_p_end(&d);
    struct vmb_error *cerr = NULL;
    if (vmb_compare_chart(c, dir, &cerr) < 0) {
        vmb_doc_chart(&d, "compare", "B / A by cell, phase and metric",
                      cerr->msg);
        vmb_error_free(cerr);
    } else {
        vmb_doc_chart(&d, "compare", "B / A by cell, phase and metric", NULL);
    }
    static const char *const head[] = {
        "verdict", "cell",         "phase", "metric",   "A median", "B median",
        "B/A",     "95% interval", "p",     "runs A/B", "test"};
    size_t ncol = sizeof(head) / sizeof(head[0]);
    vmb_doc_table_begin(&d, head, ncol);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct vmb_compare_row *r = &c->rows[i];
        struct row_text t = {0};
        row_text(r, &t);
        autofree char *name = cell_name(c, r);
        const char *cells[] = {vmb_verdict_name(r->verdict),
                               name,
                               r->phase,
                               r->metric,
                               t.a,
                               t.b,
                               t.ratio,
                               t.ci,
                               t.p,
                               t.n,
                               test_of(r)};
        vmb_doc_row(&d, cells, ncol);
    }
    vmb_doc_table_end(&d);
    if (c->nunmatched > 0 || c->npairs > 0) {
        bool any = false;
        for (size_t i = 0; i < c->npairs; i++) {
            const struct vmb_compare_pair *p = &c->pairs[i];
            if (p->ndiff == 0)
                continue;
            if (!any)
                vmb_doc_h(&d, 2, "Settings that differ");
            any = true;
            vmb_doc_p_begin(&d);
            vmb_doc_text(&d, label_of(p->a));
            vmb_doc_textf(&d, " (A %s, B %s)", p->a->id, p->b->id);
            vmb_doc_p_end(&d);
            vmb_doc_list_begin(&d);
            for (size_t j = 0; j < p->ndiff; j++) {
                vmb_doc_item_begin(&d);
                vmb_doc_text(&d, p->diff[j]);
                vmb_doc_item_end(&d);
            }
            vmb_doc_list_end(&d);
        }
    }
    if (c->nmissing > 0) {
        vmb_doc_h(&d, 2, "Cells of A missing in B");
        vmb_doc_list_begin(&d);
        for (size_t i = 0; i < c->nmissing; i++) {
            vmb_doc_item_begin(&d);
            vmb_doc_text(&d, c->missing[i]);
            vmb_doc_item_end(&d);
        }
        vmb_doc_list_end(&d);
    }
    if (c->nunmatched > 0) {
        vmb_doc_h(&d, 2, "Not compared");
        vmb_doc_list_begin(&d);
        for (size_t i = 0; i < c->nunmatched; i++) {
            vmb_doc_item_begin(&d);
            vmb_doc_text(&d, c->unmatched[i]);
            vmb_doc_item_end(&d);
        }
        vmb_doc_list_end(&d);
    }
    vmb_doc_end(&d);
    autofree char *md = vmb_xasprintf("%s/compare.md", dir);
    autofree char *html = vmb_xasprintf("%s/compare.html", dir);
    int rc = vmb_doc_write(&d, md, html, NULL, err);
    vmb_doc_free(&d);
    return rc;
}
