/*
 * The metric table (results/metric.c) as the one source of every metric
 * list: the table is consistent, lookups go through it, and a row added
 * to it (the vmbench-fake-metric build, tests/CMakeLists.txt) appears in
 * `compare --help`, summary.csv, compare's and tune's checks, with no
 * other change.
 */
#include "results_fixture.h"

#include <math.h>

#include "results/metric.h"

#define MATRIX VMB_TEST_DATA "/data/run-baremetal.yaml"

/* Every row: a unique name that a comma-separated list can hold, a unit,
 * texts, and the one getter its place needs. */
Test(metric, the_table_is_consistent)
{
    cr_assert_geq(vmb_nmetrics, (size_t)VMB_METRIC_NAMED);
    for (size_t i = 0; i < vmb_nmetrics; i++) {
        const struct vmb_metric *m = &vmb_metrics[i];
        cr_assert_not_null(m->name, "row %zu", i);
        cr_expect(m->name[0] != '\0' && strchr(m->name, ',') == NULL, "%s",
                  m->name);
        cr_expect(m->unit != NULL && m->unit[0] != '\0', "%s", m->name);
        cr_expect(m->human != NULL && m->help != NULL, "%s", m->name);
        bool phase = (m->where & VMB_IN_PHASES) != 0;
        cr_expect(m->where == VMB_IN_PHASE || m->where == VMB_IN_CAPACITY ||
                      m->where == VMB_IN_PROBE || m->where == VMB_IN_BOOT ||
                      m->where == VMB_IN_SCALING,
                  "%s", m->name);
        /* A scaling row is made by the report from two cells: no getter. */
        bool made = m->where == VMB_IN_SCALING;
        cr_expect_eq(m->phase != NULL, phase, "%s", m->name);
        cr_expect_eq(m->run != NULL, !phase && !made, "%s", m->name);
        for (size_t j = 0; j < i; j++)
            cr_expect_str_neq(vmb_metrics[j].name, m->name);
    }
}

/* Lookups are by name within a place; nothing is probed with a getter. */
Test(metric, find_by_name_and_place)
{
    const struct vmb_metric *m = vmb_metric_find("p99.9", VMB_IN_PHASES);
    cr_assert_not_null(m);
    cr_expect_eq(vmb_metric_index(m), VMB_METRIC_P999);
    cr_expect_not(m->higher_better);
    cr_expect(vmb_metric_find("capacity", VMB_IN_PHASES)->higher_better);
    cr_expect_null(vmb_metric_find("rtt_us", VMB_IN_PHASES));
    cr_expect_eq(vmb_metric_find("rtt_us", VMB_IN_PROBE),
                 &vmb_metrics[VMB_PROBE_RTT]);
    cr_expect_eq(vmb_metric_find("kernel_s", VMB_IN_BOOT),
                 &vmb_metrics[VMB_BOOT_KERNEL]);
    cr_expect_null(vmb_metric_find("speed", ~0u));
    cr_expect(isnan(vmb_metric_get(&(struct vmb_res_phase){0}, "speed")));

    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_metric_lookup("speed", VMB_IN_PHASES, &m, &err), 0);
    cr_expect_eq(err->kind, VMB_ERR_INPUT);
    char *names = vmb_metric_names(VMB_IN_PHASES);
    char *want = vmb_xasprintf("unknown metric \"speed\"; known: %s", names);
    cr_expect_str_eq(err->msg, want);
    cr_expect(vmb_str_has_prefix(names, "op_rate, p50, p95, p99, p99.9, "),
              "%s", names);
    cr_expect_null(strstr(names, "rtt_us"), "%s", names);
    free(want);
    free(names);
    vmb_error_free(err);
}

static struct cmd_result
run_in(const char *bin, const char *cwd, const char *a0, const char *a1,
       const char *a2, const char *a3, const char *a4, const char *a5,
       const char *a6)
{
    const char *args[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
    return run_binary(bin, cwd, args);
}

/* The line of help text that starts with "  NAME ", or NULL. */
static char *
help_line(const char *text, const char *name)
{
    char *start = vmb_xasprintf("\n  %s ", name);
    const char *at = strstr(text, start);
    free(start);
    if (at == NULL)
        return NULL;
    at++;
    return vmb_xstrndup(at, strcspn(at, "\n"));
}

/* s with every run of spaces made one. */
static char *
squeeze(const char *s)
{
    char *out = vmb_xstrdup(s), *o = out;
    for (; *s; s++)
        if (*s != ' ' || o == out || o[-1] != ' ')
            *o++ = *s;
    *o = '\0';
    return out;
}

/* `compare --help` lists the row, with its unit, direction and help. */
Test(metric, a_new_row_is_in_compare_help, .timeout = 30)
{
    struct cmd_result f = run_in(VMB_FAKE_METRIC_BINARY, "/", "compare",
                                 "--help", NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq(f.status, 0, "%s", f.err);
    cr_expect_not_null(strstr(f.out, "fake_metric"), "%s", f.out);
    cr_expect_not_null(strstr(f.out, "a row of the test build only"), "%s",
                       f.out);
    struct cmd_result r = run_in(VMB_BINARY, "/", "compare", "--help", NULL,
                                 NULL, NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_null(strstr(r.out, "fake_metric"), "%s", r.out);
    /* The list is the table's: every phase metric, one line each, with
     * its unit, direction and help. */
    for (size_t i = 0; i < vmb_nmetrics; i++) {
        const struct vmb_metric *m = &vmb_metrics[i];
        char *line = help_line(r.out, m->name);
        cr_expect_eq(line != NULL, (m->where & VMB_IN_PHASES) != 0, "%s",
                     m->name);
        if (line != NULL) {
            char *want =
                vmb_xasprintf(" %s %s %s", m->unit,
                              m->higher_better ? "higher" : "lower", m->help);
            /* Columns are padded: squeeze the spaces before comparing. */
            char *squeezed = squeeze(line);
            cr_expect_not_null(strstr(squeezed, want), "%s: %s", m->name, line);
            free(want);
            free(squeezed);
        }
        free(line);
    }
    cmd_result_free(&f);
    cmd_result_free(&r);
}

/* summary.csv has the row for every cell and phase with a value. */
Test(metric, a_new_row_is_in_summary_csv, .timeout = 120)
{
    char *dir = fixture_copy();
    struct cmd_result f = run_in(VMB_FAKE_METRIC_BINARY, "/", "report", dir,
                                 "--no-charts", "-q", NULL, NULL, NULL);
    cr_assert_eq(f.status, 0, "%s", f.err);
    char *csv = slurp_in(dir, "summary.csv");
    size_t rows = count_of(csv, ",fake_metric,count,");
    cr_expect_gt(rows, 0, "%s", csv);
    cr_expect_eq(rows, count_of(csv, ",op_rate,ops/s,"), "%s", csv);
    cr_expect_not_null(strstr(csv, ",0-write,fake_metric,count,3,42,"), "%s",
                       csv);
    free(csv);
    struct cmd_result r = run_in(VMB_BINARY, "/", "report", dir, "--no-charts",
                                 "-q", NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    csv = slurp_in(dir, "summary.csv");
    cr_expect_null(strstr(csv, "fake_metric"));
    free(csv);
    cmd_result_free(&f);
    cmd_result_free(&r);
    fixture_remove(dir);
}

/* compare takes the row as --metric and names it among the known. */
Test(metric, a_new_row_is_a_compare_metric, .timeout = 60)
{
    struct cmd_result f =
        run_in(VMB_FAKE_METRIC_BINARY, "/", "compare", FIXTURE_DIR, FIXTURE_DIR,
               "--metric", "fake_metric", NULL, NULL);
    cr_assert_eq(f.status, 0, "%s", f.err);
    cr_expect_not_null(strstr(f.out, " fake_metric "), "%s", f.out);
    cmd_result_free(&f);
    f = run_in(VMB_FAKE_METRIC_BINARY, "/", "compare", FIXTURE_DIR, FIXTURE_DIR,
               "--metric", "speed", NULL, NULL);
    cr_expect_eq(f.status, 2, "%s", f.err);
    cr_expect_not_null(strstr(f.err, "guest_disk_iops_per_op, fake_metric\n"),
                       "%s", f.err);
    cmd_result_free(&f);
    struct cmd_result r =
        run_in(VMB_BINARY, "/", "compare", FIXTURE_DIR, FIXTURE_DIR, "--metric",
               "fake_metric", NULL, NULL);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cmd_result_free(&r);
}

/* tune's objective is checked against the table. */
Test(metric, a_new_row_is_a_tune_objective, .timeout = 60)
{
    char tmpl[] = "/tmp/vmb-metric-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct cmd_result f =
        run_in(VMB_FAKE_METRIC_BINARY, tmpl, "tune", MATRIX, "--objective",
               "write.fake_metric", "--dry-run", "--only", "baremetal");
    cr_expect_eq(f.status, 0, "%s", f.err);
    cr_expect_not_null(strstr(f.out, "(write.fake_metric)"), "%s", f.out);
    cmd_result_free(&f);
    struct cmd_result r =
        run_in(VMB_BINARY, tmpl, "tune", MATRIX, "--objective",
               "write.fake_metric", "--dry-run", "--only", "baremetal");
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "unknown metric \"fake_metric\""), "%s",
                       r.err);
    cmd_result_free(&r);
    vmb_rm_rf(tmpl, NULL);
}

/* A --limit is a duration: only a lower-is-better metric in us takes one,
 * whatever the row (errors is lower-is-better but a count). */
Test(metric, a_limit_takes_a_latency_in_us, .timeout = 60)
{
    char tmpl[] = "/tmp/vmb-metric-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    static const struct {
        const char *limit;
        int status;
    } cases[] = {
        {"write.p99=2ms", 0},
        {"write.errors=2ms", 2},
        {"write.op_rate=2ms", 2},
        {"write.guest_cpu_idle_pct=2ms", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cmd_result r =
            run_in(VMB_BINARY, tmpl, "tune", MATRIX, "--objective",
                   "write.op_rate", "--limit", cases[i].limit, "--dry-run");
        cr_expect_eq(r.status, cases[i].status, "%s: %s", cases[i].limit,
                     r.err);
        if (cases[i].status == 2)
            cr_expect_not_null(strstr(r.err, "a limit is an upper bound on a "
                                             "latency"),
                               "%s: %s", cases[i].limit, r.err);
        cmd_result_free(&r);
    }
    vmb_rm_rf(tmpl, NULL);
}
