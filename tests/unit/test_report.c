/*
 * `vmbench report` of the fixture results directory: what a user gets in
 * the directory (charts, summary.csv, report.md, report.html), and what
 * happens without gnuplot or with a chart gnuplot rejects. gnuplot is the
 * real one.
 */
#include <math.h>

#include "report/report.h"
#include "results_fixture.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const charts[] = {
    "ratio",
    "oprate-0-write",
    "oprate-1-read",
    "latency-0-write",
    "latency-1-read",
    "hdr-0-write",
    "hdr-1-read",
    "timeseries-0-write",
    "timeseries-1-read",
    "boot",
};

static int
report(const char *dir, struct vmb_error **err)
{
    struct vmb_report_opts o = {.charts = true, .quiet = true};
    return vmb_report_write(dir, &o, NULL, err);
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

Test(report, every_chart_is_a_valid_png_and_svg, .timeout = 120)
{
    char *dir = fixture_copy();
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    for (size_t i = 0; i < N(charts); i++) {
        char *png = vmb_xasprintf("%s/plots/%s.png", dir, charts[i]);
        char *svg = vmb_xasprintf("%s/plots/%s.svg", dir, charts[i]);
        char *gp = vmb_xasprintf("%s/plots/%s.gp", dir, charts[i]);
        char *data = NULL;
        size_t len = 0;
        cr_assert_eq(vmb_read_file(png, &data, &len, NULL), 0, "%s", png);
        const unsigned char *u = (const unsigned char *)data;
        cr_assert(len > 20000, "%s: %zu bytes", png, len);
        cr_assert(memcmp(u, "\x89PNG\r\n\x1a\n", 8) == 0, "%s: not a PNG", png);
        cr_assert(memcmp(u + 12, "IHDR", 4) == 0);
        cr_assert_eq(be32(u + 16), 1000, "%s width", png);
        cr_assert_eq(be32(u + 20), 600, "%s height", png);
        free(data);

        char *s = slurp(svg);
        cr_assert(strlen(s) > 8000, "%s: %zu bytes", svg, strlen(s));
        cr_assert_not_null(strstr(s, "<svg"), "%s", svg);
        cr_assert_not_null(strstr(s, "</svg>"), "%s not complete", svg);
        free(s);
        cr_assert(file_exists(gp), "%s", gp);
        char *tmp = vmb_xasprintf("%s/plots/%s.png.tmp", dir, charts[i]);
        cr_assert(!file_exists(tmp), "%s left behind", tmp);
        free(tmp);
        free(png);
        free(svg);
        free(gp);
    }
    fixture_remove(dir);
}

/* The labels a reader needs are in the charts, by cell label. */
Test(report, charts_name_cells_phases_and_units, .timeout = 120)
{
    char *dir = fixture_copy();
    cr_assert_eq(report(dir, NULL), 0);
    char *s = slurp_svg(dir, "oprate-0-write");
    cr_assert_not_null(strstr(s, "Op rate per cell: write phase"));
    cr_assert_not_null(strstr(s, "Operations per second"));
    cr_assert_not_null(strstr(s, "storage=virtio-blk"));
    cr_assert_not_null(strstr(s, "control: baremetal vcpus=1 memory=1024"));
    cr_assert_not_null(strstr(s, "TCG"));
    free(s);
    s = slurp_svg(dir, "hdr-1-read");
    cr_assert_not_null(strstr(s, "Latency (ms, log scale)"));
    cr_assert_not_null(strstr(s, "1 in 1000"));
    free(s);
    s = slurp_svg(dir, "boot");
    cr_assert_not_null(strstr(s, "virtio-fs"));
    cr_assert_not_null(strstr(s, "kernel to agent up"));
    free(s);
    fixture_remove(dir);
}

/* A boot storm (tenants started at once) is drawn on the boot chart as
 * its spread: whiskers from the first to the last tenant; a results
 * directory without one has none. */
Test(report, boot_chart_shows_the_boot_storms_spread, .timeout = 120)
{
    char *dir = fixture_copy();
    cr_assert_eq(report(dir, NULL), 0);
    char *s = slurp_svg(dir, "boot");
    cr_assert_null(strstr(s, "boot storm"));
    free(s);
    for (int r = 1; r <= 3; r++) {
        char *p =
            vmb_xasprintf("%s/cells/%s/rep%d/result.json", dir, CELL_9P, r);
        file_replace(p, "\"replication_lag_s\":",
                     "\"boot_storm\": {\"tenants\": 3, \"vms\": 6, "
                     "\"last_agent_s\": 9.5, \"last_sync_s\": 14, "
                     "\"agent_s\": [6.5, 8, 9.5], \"sync_s\": [10, null, "
                     "14]}, \"replication_lag_s\":");
        free(p);
    }
    struct vmb_results *res = NULL;
    cr_assert_eq(vmb_results_load(dir, &res, NULL), 0);
    const struct vmb_res_rep *rep =
        &vmb_results_find(res, CELL_9P, NULL)->reps[0];
    cr_assert_eq(rep->storm_agent_min_s, 6.5);
    cr_assert_eq(rep->storm_agent_max_s, 9.5);
    cr_assert_eq(rep->storm_sync_min_s, 10);
    cr_assert_eq(rep->storm_sync_max_s, 14);
    vmb_results_free(res);
    cr_assert_eq(report(dir, NULL), 0);
    s = slurp_svg(dir, "boot");
    cr_assert_not_null(
        strstr(s, "boot storm: first to last tenant, agents up"));
    cr_assert_not_null(
        strstr(s, "boot storm: first to last tenant, replicas in sync"));
    free(s);
    fixture_remove(dir);
}

static char *
csv_line(const char *csv, const char *prefix)
{
    const char *p = strstr(csv, prefix);
    cr_assert_not_null(p, "no row %s", prefix);
    const char *e = strchr(p, '\n');
    return strndup(p, (size_t)(e - p));
}

/*
 * 9p writes: 2582.0, 2415.5, 2543.9 ops/s; the control: 40322.6, 40816.3,
 * 40322.6. Median 2543.9, interval [min, max] (3 values), sd 87.2357,
 * ratio 2543.9 / 40322.6 = 0.0630887, its interval [2415.5 / 40816.3,
 * 2582 / 40322.6] (each end has probability 7/27 * 7/27 or more).
 */
Test(report, summary_csv_has_hand_computed_statistics, .timeout = 120)
{
    char *dir = fixture_copy();
    struct vmb_report_opts o = {.charts = false, .quiet = true};
    cr_assert_eq(vmb_report_write(dir, &o, NULL, NULL), 0);
    char *csv = slurp_in(dir, "summary.csv");
    cr_assert(vmb_str_has_prefix(csv, "cell_id,kind,label,control_id,phase,"
                                      "metric,unit,n,median,ci_low,ci_high,"));
    char *row = csv_line(csv, CELL_9P ",vm,storage=9p," CONTROL_ID
                                      ",0-write,op_rate,ops/s,3,");
    double med, lo, hi, mean, sd, cv, mn, mx, r, rlo, rhi;
    int n = sscanf(strstr(row, "ops/s,3,") + 8,
                   "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &med, &lo,
                   &hi, &mean, &sd, &cv, &mn, &mx, &r, &rlo, &rhi);
    cr_assert_eq(n, 11, "%s", row);
    cr_assert_float_eq(med, 2543.9, 1e-9);
    cr_assert_float_eq(lo, 2415.5, 1e-9);
    cr_assert_float_eq(hi, 2582.0, 1e-9);
    cr_assert_float_eq(mean, 2513.8, 1e-6);
    cr_assert_float_eq(sd, sqrt((68.2 * 68.2 + 98.3 * 98.3 + 30.1 * 30.1) / 2),
                       1e-6);
    cr_assert_float_eq(r, 2543.9 / 40322.6, 1e-9);
    cr_assert_float_eq(rlo, 2415.5 / 40816.3, 1e-9);
    cr_assert_float_eq(rhi, 2582.0 / 40322.6, 1e-9);
    /* Config columns: the cell's settings, for pivoting. */
    cr_assert_not_null(strstr(csv, ",guest.storage,"));
    cr_assert_not_null(strstr(row, ",9p,"));
    free(row);
    /* Reads of the three backends cannot be told apart: flagged. */
    row = csv_line(csv, CELL_VIRTIOBLK ",vm,storage=virtio-blk," CONTROL_ID
                                       ",1-read,op_rate,");
    cr_assert_not_null(strstr(row, ",yes,overlaps storage=virtio-fs,"), "%s",
                       row);
    free(row);
    row = csv_line(csv, CELL_VIRTIOBLK ",vm,storage=virtio-blk," CONTROL_ID
                                       ",0-write,op_rate,");
    cr_assert_not_null(strstr(row, ",no,,"), "%s", row);
    free(row);
    /* Boot stages are rows too. */
    cr_assert_not_null(strstr(csv, ",boot,mounts_s,s,6,"));
    free(csv);
    fixture_remove(dir);
}

Test(report, summary_is_reproducible_from_the_recorded_seed, .timeout = 120)
{
    char *dir = fixture_copy();
    struct vmb_report_opts o = {.charts = false, .quiet = true};
    cr_assert_eq(vmb_report_write(dir, &o, NULL, NULL), 0);
    char *a = slurp_in(dir, "summary.csv");
    cr_assert_eq(vmb_report_write(dir, &o, NULL, NULL), 0);
    char *b = slurp_in(dir, "summary.csv");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    fixture_remove(dir);
}

Test(report, markdown_says_tcg_first_and_links_every_chart, .timeout = 120)
{
    char *dir = fixture_copy();
    cr_assert_eq(report(dir, NULL), 0);
    char *md = slurp_in(dir, "report.md");
    cr_assert(vmb_str_has_prefix(md, "# vmbench report: storage-small\n\n> "
                                     "**These VMs ran under TCG"),
              "%.200s", md);
    for (size_t i = 0; i < N(charts); i++) {
        char *link = vmb_xasprintf("](plots/%s.png)", charts[i]);
        cr_assert_not_null(strstr(md, link), "no link %s", link);
        free(link);
    }
    cr_assert_not_null(strstr(md, "writes in **storage=9p** VMs run at "
                                  "0.063× bare metal \\[0.059, 0.064]"));
    cr_assert_not_null(strstr(md, "## Flagged cells"));
    cr_assert_not_null(strstr(md, "**storage=9p**, read op rate: its interval "
                                  "overlaps that of **storage=virtio-fs**"));
    cr_assert_not_null(strstr(md, "seed 20240611"));
    cr_assert_not_null(strstr(md, "| qemu | 7.2.9 |"));
    free(md);
    char *html = slurp_in(dir, "report.html");
    cr_assert_eq(count_of(html, "<svg"), N(charts));
    cr_assert_eq(count_of(html, "</svg>"), N(charts));
    cr_assert_not_null(strstr(html, "<blockquote class=\"warn\">"));
    cr_assert_null(strstr(html, "<?xml"));
    free(html);
    fixture_remove(dir);
}

Test(report, missing_gnuplot_is_an_error_but_csv_and_report_are_written,
     .timeout = 60)
{
    char *dir = fixture_copy();
    setenv("VMB_GNUPLOT", "/nonexistent/gnuplot", 1);
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), -1);
    cr_assert_not_null(strstr(err->msg, "written without charts"), "%s",
                       err->msg);
    cr_assert_not_null(strstr(err->msg, "\"/nonexistent/gnuplot\""), "%s",
                       err->msg);
    vmb_error_free(err);
    char *p = vmb_xasprintf("%s/summary.csv", dir);
    cr_assert(file_exists(p));
    free(p);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Chart \"Op rate relative to bare metal\" "
                                  "is missing"));
    cr_assert_null(strstr(md, "](plots/"));
    free(md);
    p = vmb_xasprintf("%s/plots/ratio.png", dir);
    cr_assert(!file_exists(p));
    free(p);
    fixture_remove(dir);
}

Test(report, missing_gnuplot_exits_1_from_the_command_line, .timeout = 60)
{
    char *dir = fixture_copy();
    setenv("VMB_GNUPLOT", "/nonexistent/gnuplot", 1);
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "vmbench report: summary.csv, report.md "
                                     "and report.html were written without "
                                     "charts: gnuplot"),
                       "%s", r.err);
    cmd_result_free(&r);
    fixture_remove(dir);
}

/* A template gnuplot rejects: its exit status and message reach the user. */
Test(report, gnuplot_errors_are_reported_with_its_message, .timeout = 120)
{
    char *dir = fixture_copy();
    char tmpl[] = "/tmp/vmb-plots-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *cmd = vmb_xasprintf("cp %s/plots/*.gp %s/", VMB_SOURCE_DIR, tmpl);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
    char *bad = vmb_xasprintf("%s/ratio.gp", tmpl);
    cr_assert_eq(
        vmb_write_file_atomic(bad, "plot no_such_function(x)\n", 25, NULL), 0);
    free(bad);
    setenv("VMB_PLOTS_DIR", tmpl, 1);
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), -1);
    cr_assert_not_null(strstr(err->msg, "chart \"ratio\": gnuplot exited with "
                                        "status 1"),
                       "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, "undefined function"), "%s", err->msg);
    vmb_error_free(err);
    /* The other charts were drawn; the broken one left nothing behind. */
    char *p = vmb_xasprintf("%s/plots/oprate-0-write.png", dir);
    cr_assert(file_exists(p));
    free(p);
    p = vmb_xasprintf("%s/plots/ratio.png.tmp", dir);
    cr_assert(!file_exists(p));
    free(p);
    vmb_rm_rf(tmpl, NULL);
    fixture_remove(dir);
}

Test(report, not_a_results_directory_writes_nothing)
{
    char tmpl[] = "/tmp/vmb-empty-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct vmb_error *err = NULL;
    cr_assert_eq(report(tmpl, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, "is not a vmbench results directory"));
    vmb_error_free(err);
    char *p = vmb_xasprintf("%s/report.md", tmpl);
    cr_assert(!file_exists(p));
    free(p);
    vmb_rm_rf(tmpl, NULL);
}

/* A failed run is left out of the numbers and listed with its error. */
Test(report, failed_runs_are_left_out_and_listed, .timeout = 120)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_VIRTIOFS);
    file_replace(p, "\"status\": \"ok\",\n  \"error\": null,",
                 "\"status\": \"failed\",\n  \"error\": \"agent did not "
                 "answer within 120s\",");
    free(p);
    cr_assert_eq(report(dir, NULL), 0);
    char *csv = slurp_in(dir, "summary.csv");
    char *row = csv_line(csv, CELL_VIRTIOFS ",vm,storage=virtio-fs," CONTROL_ID
                                            ",0-write,op_rate,ops/s,");
    /* reps 1 and 3: 4004.8 and 3523.6, median their mean */
    cr_assert(vmb_str_has_prefix(strstr(row, "ops/s,") + 6, "2,3764.2,"), "%s",
              row);
    free(row);
    free(csv);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "## Failed and missing runs"));
    cr_assert_not_null(strstr(md, "- **storage=virtio-fs**, repetition 2: "
                                  "failed: agent did not answer within "
                                  "120s\n"));
    cr_assert_not_null(strstr(md, "| Runs | 11 ok, 1 failed, 0 not run |"));
    free(md);
    char *svg = slurp_svg(dir, "oprate-0-write");
    cr_assert_not_null(strstr(svg, "median of 2-3 repetitions"));
    free(svg);
    fixture_remove(dir);
}

/* The chart files plots/<base>.{png,svg,gp} all exist (or all do not). */
static bool
chart_drawn(const char *dir, const char *base)
{
    bool all = true, any = false;
    static const char *const ext[] = {"png", "svg", "gp"};
    for (size_t i = 0; i < N(ext); i++) {
        char *p = vmb_xasprintf("%s/plots/%s.%s", dir, base, ext[i]);
        bool e = file_exists(p);
        all &= e;
        any |= e;
        free(p);
    }
    cr_assert(all == any, "%s: some of its files are missing", base);
    return all;
}

/*
 * `vmbench report` after `run --only baremetal` of a one-cell matrix with
 * one repetition: no VM cell has results. The report is written, exit 0;
 * the control's charts are drawn; the charts without data (the ratio, the
 * op rates of the VM cells, boot) are left out with a one-line note.
 * gnuplot 5.4 used to crash on the all-NaN columns of those.
 */
Test(report, after_only_baremetal_charts_without_data_are_left_out,
     .timeout = 120)
{
    char *dir = fixture_copy();
    fixture_one_cell(dir, false);
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strstr(r.err, "signal"), "%s", r.err);
    cmd_result_free(&r);
    static const char *const drawn[] = {
        "latency-0-write", "hdr-0-write", "timeseries-0-write",
        "latency-1-read",  "hdr-1-read",  "timeseries-1-read"};
    for (size_t i = 0; i < N(drawn); i++)
        cr_assert(chart_drawn(dir, drawn[i]), "%s not drawn", drawn[i]);
    static const char *const left[] = {"ratio", "oprate-0-write",
                                       "oprate-1-read", "boot"};
    for (size_t i = 0; i < N(left); i++)
        cr_assert(!chart_drawn(dir, left[i]), "%s drawn", left[i]);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Chart \"Op rate relative to bare metal\" "
                                  "is left out: "),
                       "%s", md);
    cr_assert_not_null(strstr(md, "Chart \"Op rate per cell: write phase\" "
                                  "is left out: "));
    cr_assert_null(strstr(md, "is missing"), "%s", md);
    cr_assert_eq(count_of(md, "](plots/"), 3 * N(drawn)); /* png svg gp */
    free(md);
    fixture_remove(dir);
}

/*
 * Every run of a cell failed. With other cells, those are charted; with
 * none (a one-cell matrix), its charts are left out as after --only
 * baremetal, and the control's are drawn.
 */
Test(report, a_cell_whose_every_run_failed_still_gives_a_report, .timeout = 120)
{
    char *dir = fixture_copy();
    for (int k = 1; k <= 3; k++) {
        char *p = vmb_xasprintf("%s/cells/%s/rep%d/result.json", dir,
                                CELL_VIRTIOFS, k);
        file_replace(p, "\"status\": \"ok\",\n  \"error\": null,",
                     "\"status\": \"failed\",\n  \"error\": \"boom\",");
        free(p);
    }
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    for (size_t i = 0; i < N(charts); i++)
        cr_assert(chart_drawn(dir, charts[i]), "%s not drawn", charts[i]);
    fixture_remove(dir);

    dir = fixture_copy();
    fixture_one_cell(dir, true);
    char *p = path_in(dir, "cells/" CELL_9P "/rep1/result.json");
    file_replace(p, "\"status\": \"ok\",\n  \"error\": null,",
                 "\"status\": \"failed\",\n  \"error\": \"boom\",");
    free(p);
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);
    cr_assert(!chart_drawn(dir, "ratio"));
    cr_assert(!chart_drawn(dir, "oprate-0-write"));
    cr_assert(chart_drawn(dir, "latency-0-write"));
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "- **vcpus=1**, repetition 1: failed: "
                                  "boom\n"));
    cr_assert_not_null(strstr(md, "Chart \"Op rate per cell: read phase\" "
                                  "is left out: "));
    free(md);
    fixture_remove(dir);
}

/* One repetition per cell: no intervals anywhere, every chart drawn. */
Test(report, one_repetition_gives_every_chart, .timeout = 120)
{
    char *dir = fixture_copy();
    const char *ids[] = {"cells/" CELL_9P, "cells/" CELL_VIRTIOFS,
                         "cells/" CELL_VIRTIOBLK, "control/" CONTROL_ID};
    for (size_t i = 0; i < N(ids); i++)
        for (int k = 2; k <= 3; k++) {
            char *rel = vmb_xasprintf("%s/rep%d", ids[i], k);
            remove_in(dir, rel);
            free(rel);
        }
    char *plan = path_in(dir, "plan.json");
    file_replace(plan, "\"repetitions\": 3,", "\"repetitions\": 1,");
    free(plan);
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);
    for (size_t i = 0; i < N(charts); i++)
        cr_assert(chart_drawn(dir, charts[i]), "%s not drawn", charts[i]);
    fixture_remove(dir);
}

/* No run has a time series: those charts are left out, the rest drawn. */
Test(report, a_phase_without_time_series_leaves_out_its_chart, .timeout = 120)
{
    char *dir = fixture_copy();
    const char *ids[] = {"cells/" CELL_9P, "cells/" CELL_VIRTIOFS,
                         "cells/" CELL_VIRTIOBLK, "control/" CONTROL_ID};
    for (size_t i = 0; i < N(ids); i++)
        for (int k = 1; k <= 3; k++) {
            char *rel = vmb_xasprintf("%s/rep%d/timeseries.csv", ids[i], k);
            char *p = path_in(dir, rel);
            if (strcmp(ids[i], "control/" CONTROL_ID) == 0)
                /* The control keeps the write phase's series only. */
                file_write(p, "phase,second,op,ops,ops_per_s,p50_us,p99_us\n"
                              "0-write,1,write,100,100,50,90\n");
            else
                remove_in(dir, rel);
            free(p);
            free(rel);
        }
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);
    cr_assert(chart_drawn(dir, "timeseries-0-write"));
    cr_assert(!chart_drawn(dir, "timeseries-1-read"));
    for (size_t i = 0; i < N(charts); i++)
        if (strncmp(charts[i], "timeseries", 10) != 0)
            cr_assert(chart_drawn(dir, charts[i]), "%s not drawn", charts[i]);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Chart \"Op rate and p99 latency over time: "
                                  "read phase\" is left out: "));
    free(md);
    fixture_remove(dir);
}

/* Label words that start with a quote, as tick labels and legend titles. */
Test(report, a_label_word_starting_with_a_quote_draws, .timeout = 120)
{
    char *dir = fixture_copy();
    const char *files[] = {"plan.json", "cells/" CELL_9P "/config.json"};
    for (size_t i = 0; i < N(files); i++) {
        char *p = path_in(dir, files[i]);
        file_replace(p, "\"storage=9p\"", "\"'single \\\"double\\\" `back\"");
        free(p);
    }
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    for (size_t i = 0; i < N(charts); i++)
        cr_assert(chart_drawn(dir, charts[i]), "%s not drawn", charts[i]);
    char *svg = slurp_svg(dir, "hdr-0-write");
    cr_assert_not_null(strstr(svg, "'single \"double\" `back"), "label lost");
    free(svg);
    fixture_remove(dir);
}

/*
 * A capacity phase: the steps each run measured become a latency against
 * throughput chart with every row and the limit; a search with more steps
 * than one can run is a bad field, left out with a warning.
 */
Test(report, capacity_steps_draw_latency_against_throughput, .timeout = 120)
{
    char *dir = fixture_copy();
    const char *ids[] = {"cells/" CELL_9P, "cells/" CELL_VIRTIOFS,
                         "cells/" CELL_VIRTIOBLK, "control/" CONTROL_ID};
    for (size_t i = 0; i < N(ids); i++)
        for (int k = 1; k <= 3; k++) {
            char *rel = vmb_xasprintf("%s/rep%d/result.json", ids[i], k);
            char *p = path_in(dir, rel);
            /* Each row its own knee: 1000, 2000, 3000, 4000 ops/s. */
            double knee = 1000.0 * (double)(i + 1);
            struct vmb_buf steps = {0};
            size_t nsteps = i == 0 && k == 1 ? 25 : 3;
            for (size_t s = 0; s < nsteps; s++)
                vmb_buf_printf(&steps,
                               "%s{\"rate\": %g, \"achieved\": %g, "
                               "\"latency_us\": %g, \"ok\": %s}",
                               s ? ", " : "", knee * (0.5 + 0.5 * (double)s),
                               knee * (0.5 + 0.45 * (double)s),
                               300.0 * (double)(s + 1) * (double)(s + 1),
                               s < 2 ? "true" : "false");
            char *with = vmb_xasprintf(
                "\"op\": \"write\", \"capacity\": %g, "
                "\"capacity_percentile\": 99, \"capacity_limit_us\": 1000, "
                "\"capacity_steps\": [%s],",
                knee, steps.data);
            file_replace(p, "\"op\": \"write\",", with);
            vmb_buf_free(&steps);
            free(with);
            free(p);
            free(rel);
        }
    const char *args[] = {"report", dir, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "25 steps, more than the 24"), "%s",
                       r.err);
    cmd_result_free(&r);
    cr_assert(chart_drawn(dir, "capacity-0-write"));
    cr_assert(!chart_drawn(dir, "capacity-1-read"));
    char *svg = slurp_svg(dir, "capacity-0-write");
    cr_assert_not_null(strstr(svg, "limit: p99 1 ms"), "no limit line");
    /* (The 9p cell's curve is there unless its bad run is the median.) */
    const char *labels[] = {"storage=virtio-fs", "storage=virtio-blk",
                            "baremetal"};
    for (size_t i = 0; i < N(labels); i++)
        cr_assert_not_null(strstr(svg, labels[i]), "%s not drawn", labels[i]);
    free(svg);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "](plots/capacity-0-write.png)"));
    free(md);
    fixture_remove(dir);
}

/*
 * A host without /dev/vhost-net (run.json "vhost_net": false): the VM
 * cells that asked for vhost and ran on under network.vhost_fallback are
 * marked; a cell that turned vhost off itself is not counted.
 */
Test(report, cells_run_without_vhost_are_marked, .timeout = 120)
{
    char *dir = fixture_copy();
    char *run = path_in(dir, "run.json");
    file_replace(run, "\"accel\": {", "\"vhost_net\": false, \"accel\": {");
    free(run);
    const char *cells[] = {CELL_9P, CELL_VIRTIOFS, CELL_VIRTIOBLK};
    for (size_t i = 0; i < N(cells); i++) {
        char *rel = vmb_xasprintf("cells/%s/config.json", cells[i]);
        char *p = path_in(dir, rel);
        file_replace(p, "\"subnet\": \"10.213.0.0/24\"",
                     i == 2 ? "\"subnet\": \"10.213.0.0/24\", "
                              "\"disable_vhost_net\": \"on\", "
                              "\"vhost_fallback\": \"on\""
                            : "\"subnet\": \"10.213.0.0/24\", "
                              "\"vhost_fallback\": \"on\"");
        free(p);
        free(rel);
    }
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Without vhost-net."), "%s", md);
    cr_assert_not_null(strstr(md, "so 2 VM cells that ask for vhost"), "%s",
                       md);
    free(md);
    fixture_remove(dir);
    /* Where the host has it, nothing is said. */
    dir = fixture_copy();
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    md = slurp_in(dir, "report.md");
    cr_assert_null(strstr(md, "Without vhost-net."));
    free(md);
    fixture_remove(dir);
}

/*
 * A cell whose runs record a server setting their placement ignored: the
 * report lists it once (two runs say it), escaped in both formats, and no
 * chart or table labels the cell with the setting unmarked.
 */
Test(report, settings_a_placement_ignored_are_said_and_marked, .timeout = 120)
{
    char *dir = fixture_copy();
    char *cmd = vmb_xasprintf(
        "cd '%s' && sed -i 's/\"label\": \"storage=9p\"/\"label\": "
        "\"storage=9p innodb_flush_method=O_DIRECT\"/' plan.json "
        "cells/%s/config.json cells/%s/rep*/result.json",
        dir, CELL_9P, CELL_9P);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
    for (int k = 1; k <= 2; k++) {
        char *rel = vmb_xasprintf("cells/%s/rep%d/result.json", CELL_9P, k);
        char *p = path_in(dir, rel);
        file_replace(p, "\"accel\": \"tcg\",",
                     "\"accel\": \"tcg\", \"ignored_settings\": [{\"setting\": "
                     "\"innodb_flush_method\", \"value\": \"O_DIRECT\", "
                     "\"why\": \"the <b>9p</b> server drops it\"}],");
        free(p);
        free(rel);
    }
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    char *md = slurp_in(dir, "report.md");
    const char *item = "- **storage=9p innodb\\_flush\\_method=O\\_DIRECT**: "
                       "` innodb_flush_method ` \"O\\_DIRECT\" did not apply: "
                       "the \\<b\\>9p\\</b\\> server drops it.\n";
    size_t n = 0;
    for (const char *p = md; (p = strstr(p, item)) != NULL; p++)
        n++;
    cr_assert_eq(n, 1, "%zu times in %s", n, md);
    cr_assert_not_null(strstr(md, "## Settings that did not apply"));
    cr_assert_not_null(
        strstr(md, "storage=9p innodb\\_flush\\_method=O\\_DIRECT (ignored)"));
    free(md);
    char *html = slurp_in(dir, "report.html");
    cr_assert_not_null(strstr(html, "the &lt;b&gt;9p&lt;/b&gt; server"));
    cr_assert_null(strstr(html, "<b>9p"));
    free(html);
    char *svg = slurp_svg(dir, "oprate-0-write");
    /* A chart breaks a label at its spaces. */
    cr_assert_not_null(strstr(svg, "<text>innodb_flush_method=O_DIRECT</text>"),
                       "%s", svg);
    cr_assert_not_null(strstr(svg, "<text>(ignored)</text>"), "%s", svg);
    free(svg);
    fixture_remove(dir);
}

/* A control whose node 2 ran on another host (hosts.control_node2 in its
 * config.json) is named with both hosts, and so is a VM cell's
 * (hosts.vm_node2); without one nothing is said. */
Test(report, nodes_on_two_hosts_are_named, .timeout = 120)
{
    char *dir = fixture_copy();
    char *p = path_in(dir, "control/d9f3062dce9a/config.json");
    file_replace(p, "\"match_resources\": \"on\"\n    },",
                 "\"match_resources\": \"on\"\n    },\n    \"hosts\": "
                 "{\"control_node2\": \"ssh://bench@replica<b>\"},");
    free(p);
    struct vmb_error *err = NULL;
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Nodes on two hosts."), "%s", md);
    cr_assert_not_null(strstr(md, "node 2 on ` ssh://bench@replica<b> `"), "%s",
                       md);
    free(md);
    char *html = slurp_in(dir, "report.html");
    cr_assert_null(strstr(html, "replica<b>"));
    free(html);
    fixture_remove(dir);
    /* A VM cell whose node 2 ran on another libvirt host likewise. */
    dir = fixture_copy();
    p = path_in(dir, "cells/1804f8d5bafb/config.json");
    file_replace(p, "\"match_resources\": \"on\"\n    },",
                 "\"match_resources\": \"on\"\n    },\n    \"hosts\": "
                 "{\"vm_node2\": \"qemu+ssh://root@replica/system\"},");
    free(p);
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "Cell ` 1804f8d5bafb ` (storage=virtio-blk): "
                                  "node 1's VM ran on "),
                       "%s", md);
    cr_assert_not_null(
        strstr(md, "node 2's on ` qemu+ssh://root@replica/system `"), "%s", md);
    cr_assert_not_null(strstr(md, "counters come from libvirt there"), "%s",
                       md);
    free(md);
    fixture_remove(dir);
    dir = fixture_copy();
    cr_assert_eq(report(dir, &err), 0, "%s", err ? err->msg : "");
    md = slurp_in(dir, "report.md");
    cr_assert_null(strstr(md, "Nodes on two hosts."));
    free(md);
    fixture_remove(dir);
}

/* Gives every run of the cell a probe that tool measured. */
static void
probe_by(const char *dir, const char *cell, const char *tool)
{
    for (int k = 1; k <= 3; k++) {
        char *rel = vmb_xasprintf("cells/%s/rep%d/result.json", cell, k);
        char *p = path_in(dir, rel);
        char *probe = vmb_xasprintf(
            "\"probe\": {\"tool\": \"%s\", \"fsync_write_rate\": 250, "
            "\"fsync_write_p99_us\": 8000, \"randread_iops\": 9000, "
            "\"randread_direct\": true, \"seqwrite_mb_s\": 120, "
            "\"rtt_us\": 80, \"rtt_loadgen_us\": 60}, \"replication_lag_s\":",
            tool);
        file_replace(p, "\"replication_lag_s\":", probe);
        free(probe);
        free(p);
        free(rel);
    }
}

/*
 * The probe's table says which tool measured it; where the cells' probes
 * were measured by different tools (shards of two versions merged), the
 * report warns that their figures are not comparable and names each
 * row's tool.
 */
Test(report, the_probe_table_names_the_tool_that_measured_it, .timeout = 120)
{
    struct vmb_report_opts o = {.quiet = true};
    char *dir = fixture_copy();
    probe_by(dir, CELL_9P, "vmbench-rawprobe 0.1.0");
    probe_by(dir, CELL_VIRTIOFS, "vmbench-rawprobe 0.1.0");
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_report_write(dir, &o, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    char *md = slurp_in(dir, "report.md");
    cr_expect_not_null(
        strstr(md, "Storage figures measured by \"vmbench-rawprobe 0.1.0\"."),
        "%s", md);
    cr_expect_null(strstr(md, "different tools"), "%s", md);
    free(md);
    fixture_remove(dir);

    dir = fixture_copy();
    probe_by(dir, CELL_9P, "vmbench-rawprobe 0.1.0");
    probe_by(dir, CELL_VIRTIOFS, "fio-3.33");
    cr_assert_eq(vmb_report_write(dir, &o, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    md = slurp_in(dir, "report.md");
    cr_expect_not_null(strstr(md, "measured by different tools"), "%s", md);
    cr_expect_not_null(strstr(md, "[fio-3.33]"), "%s", md);
    cr_expect_not_null(strstr(md, "[vmbench-rawprobe 0.1.0]"), "%s", md);
    free(md);
    fixture_remove(dir);
}
