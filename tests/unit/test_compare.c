/*
 * `vmbench compare` on copies of the results fixture: identical results,
 * a B whose VM cells are 25% slower, bad input, bounds written and
 * checked, cells matched by label; and the verdict rule at its edges.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>

#include "analysis/compare.h"
#include "results_fixture.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the verdict rule ---- */

struct verdict_case {
    double ratio, lo, hi, p;
    size_t na, nb;
    bool higher_better;
    enum vmb_verdict want;
    char why[64];
};

ParameterizedTestParameters(compare, verdict_rule_at_its_edges)
{
    static struct verdict_case cases[] = {
        {1.06, 1.01, 1.10, 1, 3, 3, true, VMB_VERDICT_FASTER,
         "3 a side: interval above 1, beyond 5%"},
        {0.94, 0.90, 0.99, 1, 3, 3, true, VMB_VERDICT_SLOWER,
         "op rate down 6%, interval below 1"},
        {0.94, 0.90, 0.99, 1, 3, 3, false, VMB_VERDICT_FASTER,
         "latency down 6% is faster"},
        {1.06, 1.01, 1.10, 1, 3, 3, false, VMB_VERDICT_SLOWER,
         "latency up 6% is slower"},
        {1.05, 1.01, 1.10, 1, 3, 3, true, VMB_VERDICT_SAME,
         "exactly the threshold is no change"},
        {0.95, 0.90, 0.99, 1, 3, 3, true, VMB_VERDICT_SAME,
         "exactly the threshold below is no change"},
        {1.20, 1.00, 1.40, 0, 3, 3, true, VMB_VERDICT_SAME,
         "interval touching 1 does not exclude it"},
        {1.20, 0.99, 1.40, 0, 4, 9, true, VMB_VERDICT_SAME,
         "4 on one side: the interval rule, whatever p says"},
        {1.20, 0.99, 1.40, 0.05, 5, 5, false, VMB_VERDICT_SLOWER,
         "5 a side: p = alpha counts, the interval does not matter"},
        {1.20, 1.10, 1.40, 0.0501, 5, 5, false, VMB_VERDICT_SAME,
         "5 a side: p just above alpha is no change"},
        {1.04, 1.01, 1.07, 0.001, 5, 5, true, VMB_VERDICT_SAME,
         "significant but within the threshold"},
        {2.00, 1.50, 2.50, 0, 1, 3, true, VMB_VERDICT_NONE,
         "one run on a side: no verdict"},
        {NAN, NAN, NAN, NAN, 3, 3, true, VMB_VERDICT_NOT_FINITE,
         "no ratio is not finite, not too few runs"},
        {INFINITY, NAN, NAN, 1, 3, 3, false, VMB_VERDICT_SLOWER,
         "errors risen from zero, 3 a side: slower"},
        {INFINITY, NAN, NAN, 1, 3, 3, true, VMB_VERDICT_FASTER,
         "op rate risen from zero, 3 a side: faster"},
        {INFINITY, NAN, NAN, 0.01, 5, 5, false, VMB_VERDICT_SLOWER,
         "risen from zero, 5 a side, significant: slower"},
        {INFINITY, NAN, NAN, 0.2, 5, 5, false, VMB_VERDICT_SAME,
         "risen from zero, 5 a side, not significant"},
        {1, NAN, NAN, 1, 3, 3, false, VMB_VERDICT_SAME,
         "two zero medians: no change"},
        {0, 0, 0, 1, 3, 3, false, VMB_VERDICT_FASTER,
         "errors fallen to zero: faster"},
    };
    return cr_make_param_array(struct verdict_case, cases, N(cases));
}

ParameterizedTest(struct verdict_case *c, compare, verdict_rule_at_its_edges)
{
    struct vmb_interval ci = {c->lo, c->hi};
    enum vmb_verdict got = vmb_compare_verdict(c->ratio, ci, c->p, c->na, c->nb,
                                               c->higher_better, 0.05, 0.05);
    cr_assert_eq(got, c->want, "%s: got %s", c->why, vmb_verdict_name(got));
}

/* ---- the command on fixture copies ---- */

/*
 * Multiplies every number after "key": in the file at path by factor, or
 * replaces it with to when to is not NULL.
 */
static void
edit_key(const char *path, const char *key, double factor, const char *to)
{
    char *data = slurp(path);
    char *needle = vmb_xasprintf("\"%s\": ", key);
    struct vmb_buf b = {0};
    const char *p = data;
    for (const char *q; (q = strstr(p, needle)) != NULL;) {
        q += strlen(needle);
        vmb_buf_append(&b, p, (size_t)(q - p));
        char *end;
        double v = strtod(q, &end);
        cr_assert(end != q, "%s: no number after %s", path, needle);
        if (to != NULL)
            vmb_buf_puts(&b, to);
        else
            vmb_buf_printf(&b, "%.6f", v * factor);
        p = end;
    }
    vmb_buf_puts(&b, p);
    cr_assert_eq(vmb_write_file_atomic(path, b.data, b.len, NULL), 0);
    vmb_buf_free(&b);
    free(needle);
    free(data);
}

static void
scale_key(const char *path, const char *key, double factor)
{
    edit_key(path, key, factor, NULL);
}

/* Every VM cell of dir 25% slower: op rates x 0.75, latencies / 0.75. */
static void
slow_down_vm_cells(const char *dir)
{
    const char *cells[] = {CELL_9P, CELL_VIRTIOFS, CELL_VIRTIOBLK};
    for (size_t i = 0; i < N(cells); i++)
        for (int k = 1; k <= 3; k++) {
            char *p = vmb_xasprintf("%s/cells/%s/rep%d/result.json", dir,
                                    cells[i], k);
            scale_key(p, "op_rate", 0.75);
            scale_key(p, "p50", 1 / 0.75);
            scale_key(p, "p99", 1 / 0.75);
            free(p);
        }
}

/* Whether a line of text starts with start and ends with end. */
static bool
has_line(const char *text, const char *start, const char *end)
{
    for (const char *l = text; *l; l++) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (len >= strlen(start) + strlen(end) &&
            strncmp(l, start, strlen(start)) == 0 &&
            strncmp(l + len - strlen(end), end, strlen(end)) == 0)
            return true;
        if (nl == NULL)
            break;
        l = nl;
    }
    return false;
}

static struct cmd_result
compare2(const char *a, const char *b)
{
    const char *args[] = {"compare", a, b, NULL};
    return run_vmbench("/", args);
}

Test(compare, identical_results_exit_0, .timeout = 60)
{
    char *a = fixture_copy();
    struct cmd_result r = compare2(a, a);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 slower, 0 faster, 24 no change") != NULL, "%s",
              r.out);
    /* The rule is printed with the result. */
    cr_assert(strstr(r.out, "rule: a change counts only when") != NULL);
    cmd_result_free(&r);
    fixture_remove(a);
}

/*
 * A metric named twice, in one --metric or in two, counts once; an empty
 * entry is bad input, not the defaults.
 */
Test(compare, a_metric_list_has_each_metric_once_and_no_empty_entry,
     .timeout = 60)
{
    const char *twice[] = {
        "compare",         FIXTURE_DIR, FIXTURE_DIR, "--metric",
        "op_rate,op_rate", "--metric",  "op_rate",   NULL};
    struct cmd_result r = run_vmbench("/", twice);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect_not_null(strstr(r.out, "0 slower, 0 faster, 8 no change"), "%s",
                       r.out);
    cmd_result_free(&r);
    static const char *const empty[] = {"op_rate,,p99", ",", "", "op_rate,",
                                        ",p99"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        const char *args[] = {"compare",  FIXTURE_DIR, FIXTURE_DIR,
                              "--metric", empty[i],    NULL};
        r = run_vmbench("/", args);
        cr_expect_eq(r.status, 2, "\"%s\": %s%s", empty[i], r.out, r.err);
        char *want = vmb_xasprintf(
            "vmbench compare: --metric \"%s\" has an empty entry\n", empty[i]);
        cr_expect_str_eq(r.err, want);
        cr_expect_str_eq(r.out, "");
        free(want);
        cmd_result_free(&r);
    }
}

Test(compare, vm_cells_25_percent_slower_exit_1_and_named, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    slow_down_vm_cells(b);
    char *json = vmb_xasprintf("%s/cmp.json", b);
    char *rep = vmb_xasprintf("%s/cmp", b);
    const char *args[] = {"compare", a,          b,   "--json",
                          json,      "--report", rep, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    /* 3 cells x 2 phases x 3 metrics, all slower; the control unchanged. */
    cr_assert(strstr(r.out, "18 slower, 0 faster, 6 no change") != NULL, "%s",
              r.out);
    const char *labels[] = {"storage=9p", "storage=virtio-fs",
                            "storage=virtio-blk"};
    for (size_t i = 0; i < N(labels); i++)
        cr_assert(has_line(r.out, "slower", labels[i]), "%s not slower: %s",
                  labels[i], r.out);
    /* Worst regressions first: the first row is a slower one. */
    const char *first = strstr(r.out, "cell\n");
    cr_assert_not_null(first);
    cr_assert(strncmp(first + 5, "slower", 6) == 0, "%s", first);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"regression\": true") != NULL, "%s", j);
    cr_assert(strstr(j, "\"slower\": 18") != NULL);
    free(j);
    char *md = slurp_in(rep, "compare.md");
    cr_assert(strstr(md, "storage=virtio-blk") != NULL);
    cr_assert(strstr(md, "slower") != NULL);
    char *html = slurp_in(rep, "compare.html");
    cr_assert(strstr(html, "<table") != NULL);
    free(html);
    /* The chart of the ratios: every row drawn, the regressions in the
     * verdict's colour (Okabe-Ito vermillion), the page showing it. */
    cr_assert(strstr(md, "](plots/compare.png)") != NULL, "%s", md);
    free(md);
    char *svg = slurp_in(rep, "plots/compare.svg");
    for (size_t i = 0; i < N(labels); i++)
        cr_assert(strstr(svg, labels[i]) != NULL, "%s not in the chart",
                  labels[i]);
    cr_assert(strstr(svg, "control baremetal") != NULL);
    /* The legend has one mark in that colour; the 18 rows add theirs. */
    cr_assert_gt(count_of(svg, "rgb(213,  94,   0)"), 1,
                 "no point in the colour of a regression");
    free(svg);
    free(json);
    free(rep);
    cmd_result_free(&r);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_slower_host_shows_in_the_control, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    for (int k = 1; k <= 3; k++) {
        char *p =
            vmb_xasprintf("%s/control/" CONTROL_ID "/rep%d/result.json", b, k);
        scale_key(p, "op_rate", 0.75);
        free(p);
    }
    slow_down_vm_cells(b);
    const char *args[] = {"compare", a, b, "--metric", "op_rate", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "control baremetal") != NULL, "%s", r.out);
    cr_assert_eq(count_of(r.out, "(its control is slower too)"), 6, "%s",
                 r.out);
    cmd_result_free(&r);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, missing_or_foreign_directory_exit_2, .timeout = 60)
{
    char *a = fixture_copy();
    struct cmd_result r = compare2(a, "/nonexistent/vmb-results");
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cmd_result_free(&r);
    /* A directory that is no results directory (the fixture's cells/). */
    char *foreign = path_in(a, "cells");
    r = compare2(a, foreign);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "neither run.json nor plan.json") != NULL, "%s",
              r.err);
    cmd_result_free(&r);
    free(foreign);
    fixture_remove(a);
}

Test(compare, no_cell_in_common_exit_2, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    remove_in(b, "cells");
    remove_in(b, "control");
    char *plan = path_in(b, "plan.json");
    file_write(plan, "{\"schema\": 1, \"name\": \"other\", \"repetitions\": 3, "
                     "\"order\": \"interleaved\", \"seed\": 7, \"axes\": [], "
                     "\"cells\": [], \"controls\": [], \"runs\": []}\n");
    free(plan);
    struct cmd_result r = compare2(a, b);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "no cell in common") != NULL, "%s", r.err);
    cmd_result_free(&r);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_changed_id_is_matched_by_label_with_settings, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    const char *files[] = {"plan.json", "cells/" CELL_9P "/config.json",
                           "cells/" CELL_9P "/rep1/result.json",
                           "cells/" CELL_9P "/rep2/result.json",
                           "cells/" CELL_9P "/rep3/result.json"};
    for (size_t i = 0; i < N(files); i++) {
        char *p = path_in(b, files[i]);
        file_replace(p, CELL_9P, "aaaaaaaaaaaa");
        free(p);
    }
    char *cfg = path_in(b, "cells/" CELL_9P "/config.json");
    file_replace(cfg, "\"msize_9p\": \"512k\"", "\"msize_9p\": \"1M\"");
    free(cfg);
    char *from = path_in(b, "cells/" CELL_9P);
    char *to = path_in(b, "cells/aaaaaaaaaaaa");
    cr_assert_eq(rename(from, to), 0);
    struct cmd_result r = compare2(a, b);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "matched by label: storage=9p (A " CELL_9P
                            ", B aaaaaaaaaaaa)") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "guest.msize_9p: 512k -> 1M") != NULL, "%s", r.out);
    free(from);
    free(to);
    cmd_result_free(&r);
    fixture_remove(a);
    fixture_remove(b);
}

/* ---- gates that cannot pass by accident ---- */

/* Replaces from with to in every result.json of a cell of dir. */
static void
cell_replace(const char *dir, const char *cell, const char *from,
             const char *to)
{
    for (int k = 1; k <= 3; k++) {
        char *p = vmb_xasprintf("%s/cells/%s/rep%d/result.json", dir, cell, k);
        file_replace(p, from, to);
        free(p);
    }
}

static struct cmd_result
compare_json(const char *a, const char *b, const char *json, const char *metric)
{
    const char *args[] = {"compare", a,    b,
                          "--json",  json, metric ? "--metric" : NULL,
                          metric,    NULL};
    return run_vmbench("/", args);
}

Test(compare, every_run_of_b_failed_fails_the_gate, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    cell_replace(b, CELL_9P, "\"status\": \"ok\"", "\"status\": \"failed\"");
    char *json = path_in(b, "cmp.json");
    char *rep = path_in(b, "cmp");
    const char *args[] = {"compare", a,          b,   "--json",
                          json,      "--report", rep, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    /* 2 phases x 3 metrics of the cell, named, and the cell itself. */
    cr_assert_eq(count_of(r.out, "\nmissing in B "), 6, "%s", r.out);
    cr_assert(has_line(r.out, "missing in B", "storage=9p"), "%s", r.out);
    cr_assert(strstr(r.out, "storage=9p (" CELL_9P
                            "): no run of B succeeded (3 recorded)") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "gate: FAIL") != NULL, "%s", r.out);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"regression\": true") != NULL, "%s", j);
    cr_assert(strstr(j, "\"missing_in_b\": 6") != NULL, "%s", j);
    cr_assert(strstr(j, "no run of B succeeded") != NULL, "%s", j);
    free(j);
    char *md = slurp_in(rep, "compare.md");
    cr_assert(strstr(md, "Cells of A missing in B") != NULL, "%s", md);
    cr_assert(strstr(md, "missing in B") != NULL);
    free(md);
    free(json);
    free(rep);
    cmd_result_free(&r);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_cell_b_lacks_fails_one_only_b_has_is_listed, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    fixture_one_cell(b, true); /* B: the 9p cell and the control, 1 run */
    char *json = path_in(b, "cmp.json");
    struct cmd_result r = compare_json(a, b, json, NULL);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out,
                     "storage=virtio-fs (" CELL_VIRTIOFS "): not in B") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "storage=virtio-blk (" CELL_VIRTIOBLK
                            "): not in B") != NULL,
              "%s", r.out);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"missing_cells\": [\n") != NULL, "%s", j);
    cr_assert(strstr(j, CELL_VIRTIOBLK "): not in B") != NULL, "%s", j);
    cr_assert(strstr(j, "\"regression\": true") != NULL, "%s", j);
    free(j);
    cmd_result_free(&r);
    /* The other way round nothing of A is missing: what only B has is
     * listed, and does not fail the gate. */
    r = compare_json(b, a, json, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "only in B: storage=virtio-fs (" CELL_VIRTIOFS
                            ")") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "gate: pass") != NULL, "%s", r.out);
    j = slurp(json);
    cr_assert(strstr(j, "only in B: storage=virtio-blk") != NULL, "%s", j);
    free(j);
    cmd_result_free(&r);
    free(json);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_phase_b_lacks_fails_one_only_b_has_is_listed, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    /* B's 9p cell ran its second phase as a write: "1-read" is missing
     * in B, "1-write" in A. */
    cell_replace(b, CELL_9P, "\"op\": \"read\"", "\"op\": \"write\"");
    char *json = path_in(b, "cmp.json");
    struct cmd_result r = compare_json(a, b, json, "op_rate");
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "missing in B 1-read", "storage=9p"), "%s",
              r.out);
    cr_assert(has_line(r.out, "missing in A 1-write", "storage=9p"), "%s",
              r.out);
    cr_assert(strstr(r.out, "1 missing in B, 1 missing in A") != NULL, "%s",
              r.out);
    cmd_result_free(&r);
    free(json);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, errors_risen_from_zero_are_a_regression, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    cell_replace(b, CELL_9P, "\"errors\": 0,", "\"errors\": 5000,");
    char *json = path_in(b, "cmp.json");
    struct cmd_result r = compare_json(a, b, json, "errors");
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    /* Both phases of the cell: 0 -> 5000 is slower, with an infinite ratio;
     * the unchanged zeros elsewhere are no change, not too few runs. */
    cr_assert_eq(count_of(r.out, "  inf  "), 2, "%s", r.out);
    cr_assert(has_line(r.out, "slower", "storage=9p"), "%s", r.out);
    cr_assert(strstr(r.out,
                     "2 slower, 0 faster, 6 no change, 0 too few runs") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "rises from zero") != NULL, "%s", r.out);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"ratio_infinite\": true") != NULL, "%s", j);
    free(j);
    cmd_result_free(&r);
    /* And back to zero: fewer errors are faster. */
    r = compare_json(b, a, json, "errors");
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 slower, 2 faster, 6 no change") != NULL, "%s",
              r.out);
    cmd_result_free(&r);
    free(json);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_value_that_is_not_a_number_fails_the_gate, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    /* One run of B says nothing for p99 (null): its median is NaN. */
    char *p = vmb_xasprintf("%s/cells/" CELL_9P "/rep2/result.json", b);
    edit_key(p, "p99", 1, "null");
    free(p);
    char *json = path_in(b, "cmp.json");
    struct cmd_result r = compare_json(a, b, json, "p99");
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "not finite", "storage=9p"), "%s", r.out);
    /* Both phases: the runs with a value, then those without. */
    cr_assert_eq(count_of(r.out, "3/2 +0/1 nan"), 2, "%s", r.out);
    cr_assert(strstr(r.out, "2 not finite") != NULL, "%s", r.out);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"not_finite_b\": 1") != NULL, "%s", j);
    free(j);
    cmd_result_free(&r);
    free(json);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_median_that_overflows_fails_the_gate, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    /* Two runs a side: B's median op rate (x + y) / 2 overflows. */
    remove_in(a, "cells/" CELL_9P "/rep3");
    remove_in(b, "cells/" CELL_9P "/rep3");
    for (int k = 1; k <= 2; k++) {
        char *p = vmb_xasprintf("%s/cells/" CELL_9P "/rep%d/result.json", b, k);
        edit_key(p, "op_rate", 1, "1.7e308");
        free(p);
    }
    char *json = path_in(b, "cmp.json");
    struct cmd_result r = compare_json(a, b, json, "op_rate");
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "not finite", "storage=9p"), "%s", r.out);
    cmd_result_free(&r);
    free(json);
    fixture_remove(a);
    fixture_remove(b);
}

/* ---- bounds ---- */

static char *
write_bounds(const char *a)
{
    const char *args[] = {"compare", "--write-bounds", a, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *path = path_in(a, "bounds.toml");
    file_write(path, r.out);
    cmd_result_free(&r);
    return path;
}

Test(compare, bounds_written_pass_on_a_fail_on_slower, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy();
    char *bounds = write_bounds(a);
    const char *args_a[] = {"compare", "--bounds", bounds, a, NULL};
    struct cmd_result r = run_vmbench("/", args_a);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 of 24 bounds failed") != NULL, "%s", r.out);
    cmd_result_free(&r);

    slow_down_vm_cells(b);
    const char *args_b[] = {"compare", "--bounds", bounds, b, NULL};
    r = run_vmbench("/", args_b);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "18 of 24 bounds failed") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL     storage=virtio-fs") != NULL, "%s", r.out);
    cmd_result_free(&r);
    free(bounds);
    fixture_remove(a);
    fixture_remove(b);
}

Test(compare, a_bounded_cell_missing_from_b_fails, .timeout = 60)
{
    char *a = fixture_copy(), *b = fixture_copy(), *c = fixture_copy();
    char *bounds = write_bounds(a);
    fixture_one_cell(b, true); /* B: the 9p cell and the control only */
    const char *args_b[] = {"compare", "--bounds", bounds, b, NULL};
    struct cmd_result r = run_vmbench("/", args_b);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "FAIL     storage=virtio-fs",
                       "missing: no such cell in B"),
              "%s", r.out);
    /* 2 cells x 2 phases x 3 metrics missing; the rest pass. */
    cr_assert(strstr(r.out, "12 of 24 bounds failed") != NULL, "%s", r.out);
    cmd_result_free(&r);
    /* A cell whose every run failed has nothing within its bounds. */
    cell_replace(c, CELL_9P, "\"status\": \"ok\"", "\"status\": \"failed\"");
    const char *args_c[] = {"compare", "--bounds", bounds, c, NULL};
    r = run_vmbench("/", args_c);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "FAIL     storage=9p",
                       "missing: no ok run of B has it"),
              "%s", r.out);
    cr_assert(strstr(r.out, "6 of 24 bounds failed") != NULL, "%s", r.out);
    cmd_result_free(&r);
    free(bounds);
    fixture_remove(a);
    fixture_remove(b);
    fixture_remove(c);
}

Test(compare, written_bounds_always_read_back, .timeout = 60)
{
    char *a = fixture_copy();
    /* Two runs whose median op rate overflows: no bound is written for
     * it, and the file still reads. */
    remove_in(a, "cells/" CELL_9P "/rep3");
    for (int k = 1; k <= 2; k++) {
        char *p = vmb_xasprintf("%s/cells/" CELL_9P "/rep%d/result.json", a, k);
        edit_key(p, "op_rate", 1, "1.7e308");
        free(p);
    }
    const char *args_w[] = {"compare",     "--write-bounds", a,
                            "--threshold", "0.99",           NULL};
    struct cmd_result r = run_vmbench("/", args_w);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "# no bound for " CELL_9P " 0-write op_rate") !=
                  NULL,
              "%s", r.out);
    /* A threshold of 99% is capped to the largest tolerance, 0.5. */
    cr_assert(strstr(r.out, "tolerance = 0.5000") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "tolerance = 0.99") == NULL, "%s", r.out);
    char *path = path_in(a, "bounds.toml");
    file_write(path, r.out);
    cmd_result_free(&r);
    const char *args_r[] = {"compare", "--bounds", path, a, NULL};
    r = run_vmbench("/", args_r);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 of 22 bounds failed") != NULL, "%s", r.out);
    cmd_result_free(&r);
    free(path);
    fixture_remove(a);
}

/* Arrays, not pointers: Criterion copies the parameters into the test. */
struct bad_bounds {
    char text[160];
    char msg[64]; /* after "bounds.toml:" */
};

ParameterizedTestParameters(compare, a_bad_bounds_file_names_file_and_line)
{
    static struct bad_bounds cases[] = {
        {"[[bound]]\n", "1: expected `schema = 1` first"},
        {"schema = 2\n", "1: expected `schema = 1` or [[bound]]"},
        {"schema = 1\n[[bound]]\ncell = \"x\nphase = \"0-write\"\n",
         "3: unterminated string"},
        {"schema = 1\n[[bound]]\ncolor = \"red\"\n", "3: unknown key"},
        {"schema = 1\n[[bound]]\nmedian = -1\n",
         "3: expected a number of 0 or more"},
        {"schema = 1\n[[bound]]\nmedian = 1e999\n", "3: not a finite number"},
        {"schema = 1\n[[bound]]\nmedian = nan\n", "3: expected a number"},
        {"schema = 1\n[[bound]]\nmedian = 1\nmedian = 2\n",
         "4: key given twice"},
        {"schema = 1\n\n[[bound]]\ncell = \"" CELL_9P "\"\nphase = "
         "\"0-write\"\nmetric = \"speed\"\nmedian = 1\ntolerance = 0.1\n",
         "3: unknown metric \"speed\"; known: op_rate, p50, "},
        {"schema = 1\n[[bound]]\ncell = \"" CELL_9P "\"\nphase = "
         "\"0-write\"\nmetric = \"p99\"\nmedian = 1\n",
         "2: bound without median or tolerance"},
        {"schema = 1\n[[bound]]\nphase = \"a\\q\"\n",
         "3: unknown escape in a string"},
        {"schema = 1\n[[bound]]\nmedian = 1 2\n",
         "3: unexpected text after the value"},
        {"# nothing\n", "1: not a bounds file"},
        {"schema = 1\n[[bound]]\ntolerance = 2\n",
         "3: tolerance: 2 is not a fraction in [0, 1)"},
        {"schema = 1\n[[bound]]\n\ntolerance = 1.0\n",
         "4: tolerance: 1 is not a fraction in [0, 1)"},
    };
    return cr_make_param_array(struct bad_bounds, cases, N(cases));
}

ParameterizedTest(struct bad_bounds *c, compare,
                  a_bad_bounds_file_names_file_and_line)
{
    char *a = fixture_copy();
    char *bounds = path_in(a, "bounds.toml");
    file_write(bounds, c->text);
    const char *args[] = {"compare", "--bounds", bounds, a, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    char *want = vmb_xasprintf("bounds.toml:%s", c->msg);
    cr_assert(strstr(r.err, want) != NULL, "want %s in %s", want, r.err);
    free(want);
    cmd_result_free(&r);
    free(bounds);
    fixture_remove(a);
}

Test(compare, hostile_label_is_escaped_everywhere, .timeout = 60)
{
    char *a = fixture_copy();
    const char *files[] = {"plan.json", "cells/" CELL_9P "/config.json"};
    for (size_t i = 0; i < N(files); i++) {
        char *p = path_in(a, files[i]);
        file_replace(p, "\"label\": \"storage=9p\"",
                     "\"label\": \"<b>x</b>\\u001b[31m\\\"q\"");
        free(p);
    }
    char *rep = path_in(a, "cmp");
    const char *args[] = {"compare", a, a, "--report", rep, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strchr(r.out, '\x1b') == NULL, "raw escape on the terminal");
    cr_assert(strstr(r.out, "<b>x</b>\\x1b[31m\"q") != NULL, "%s", r.out);
    char *html = slurp_in(rep, "compare.html");
    cr_assert(strstr(html, "<b>x") == NULL);
    cr_assert(strstr(html, "&lt;b&gt;x") != NULL);
    free(html);
    /* In the chart the label is text too: no markup, no escape byte. */
    char *svg = slurp_in(rep, "plots/compare.svg");
    cr_assert(strstr(svg, "<b>x") == NULL);
    cr_assert(strstr(svg, "&lt;b>x") != NULL, "%s", svg);
    cr_assert(strchr(svg, '\x1b') == NULL);
    free(svg);
    cmd_result_free(&r);
    /* Bounds keep it a TOML string that reads back. */
    char *bounds = write_bounds(a);
    char *text = slurp(bounds);
    cr_assert(strstr(text, "label = \"<b>x</b>\\u001b[31m\\\"q\"") != NULL,
              "%s", text);
    free(text);
    const char *args_b[] = {"compare", "--bounds", bounds, a, NULL};
    r = run_vmbench("/", args_b);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cmd_result_free(&r);
    free(bounds);
    free(rep);
    fixture_remove(a);
}
