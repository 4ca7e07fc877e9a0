/*
 * User text on its way to gnuplot, markdown and HTML: a cell label and a
 * run name with quotes, backslashes, a newline, backquotes, `system(...)`,
 * gnuplot macros, format characters and markup must come out as text,
 * and nothing in them may run.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/doc.h"
#include "report/plot.h"
#include "report/report.h"
#include "results_fixture.h"

/*
 * A gnuplot string expression: single-quoted runs joined to "\047" for a
 * quote and "\n" for a newline. Never a doubled quote (gnuplot 5.4 reads
 * one right after the opening quote as an empty string, so a label word
 * starting with a quote broke the chart), and no quote inside a
 * double-quoted piece (gnuplot's macro expansion takes it for an opening
 * one, and expands an @name after it).
 */
Test(plot_quote, gnuplot_literal)
{
    static const char *const cases[][2] = {
        {"plain", "'plain'"},
        {"it's", "'it'.\"\\047\".'s'"},
        {"'start", "\"\\047\".'start'"},
        {"end'", "'end'.\"\\047\""},
        {"''", "\"\\047\".\"\\047\""},
        {"back\\slash \"dq\"", "'back\\slash \"dq\"'"},
        {"two\nlines", "'two'.\"\\n\".'lines'"},
        {"\n", "\"\\n\""},
        {"tab\there\r", "'tab here '"},
        {"`id` @x system(\"id\")", "'`id` @x system(\"id\")'"},
        {"", "''"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = vmb_plot_quote(cases[i][0]);
        cr_assert_str_eq(q, cases[i][1]);
        free(q);
    }
}

/* JSON-escaped in the files; the text a user typed is shown below. */
#define HOSTILE_JSON                                                           \
    "it's \\\"9p\\\" \\\\ back\\nline2 `touch %s/pwn1` "                       \
    "system(\\\"touch %s/pwn2\\\") @pwn %%s 50%% "                             \
    "</text><script>alert(1)</script> [x](javascript:alert(1)) | *b*"

Test(report_hostile, hostile_label_and_name_show_as_text_and_run_nothing,
     .timeout = 120)
{
    char *dir = fixture_copy();
    char *label = vmb_xasprintf(HOSTILE_JSON, dir, dir);
    char *qlabel = vmb_xasprintf("\"%s\"", label);
    const char *files[] = {"plan.json", "cells/" CELL_9P "/config.json",
                           "cells/" CELL_9P "/rep1/result.json",
                           "cells/" CELL_9P "/rep2/result.json",
                           "cells/" CELL_9P "/rep3/result.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = vmb_xasprintf("%s/%s", dir, files[i]);
        file_replace(p, "\"storage=9p\"", qlabel);
        free(p);
    }
    char *run = vmb_xasprintf("%s/run.json", dir);
    char *plan = vmb_xasprintf("%s/plan.json", dir);
    file_replace(
        run, "\"name\": \"storage-small\"",
        "\"name\": \"run `touch pwn3` 'q' \\\\ \\n system(\\\"x\\\")\"");
    file_replace(
        plan, "\"name\": \"storage-small\"",
        "\"name\": \"run `touch pwn3` 'q' \\\\ \\n system(\\\"x\\\")\"");

    struct vmb_report_opts o = {.charts = true, .quiet = true};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_report_write(dir, &o, NULL, &err), 0, "%s",
                 err ? err->msg : "");

    /* Nothing ran: neither in the run directory nor where gnuplot ran. */
    const char *pwn[] = {"pwn1", "pwn2", "plots/pwn3", "pwn3"};
    for (size_t i = 0; i < 4; i++) {
        char *p = vmb_xasprintf("%s/%s", dir, pwn[i]);
        cr_assert(!file_exists(p), "%s was created", p);
        free(p);
    }

    /* The charts show the label as written (SVG escapes < and &). */
    char *svg = slurp_svg(dir, "hdr-0-write");
    char *want = vmb_xasprintf("it's \"9p\" \\ back");
    cr_assert_not_null(strstr(svg, want), "label not in the chart");
    free(want);
    want = vmb_xasprintf("line2 `touch %s/pwn1` system(\"touch %s/pwn2\") @pwn "
                         "%%s 50%% &lt;/text>&lt;script>",
                         dir, dir);
    cr_assert_not_null(strstr(svg, want), "second line not in the chart");
    free(want);
    cr_assert_null(strstr(svg, "<script"));
    free(svg);
    /* Tick labels are formats to gnuplot: "%s" must show as "%s". */
    svg = slurp_svg(dir, "oprate-0-write");
    cr_assert_not_null(strstr(svg, "<text>%s</text>"), "tick label lost %%s");
    cr_assert_not_null(strstr(svg, "<text>50%</text>"), "tick label lost %%");
    cr_assert_null(strstr(svg, "<script"));
    free(svg);

    /* Markdown: no link, no table break, no raw HTML. */
    char *md = slurp_in(dir, "report.md");
    cr_assert_null(strstr(md, "<script>"));
    cr_assert_null(strstr(md, " [x](javascript"));
    cr_assert_not_null(strstr(md, "\\[x](javascript:alert(1)) \\| \\*b\\*"));
    free(md);
    /* HTML: only the report's own markup. */
    char *html = slurp_in(dir, "report.html");
    cr_assert_null(strstr(html, "<script"));
    cr_assert_not_null(strstr(html, "&lt;/text&gt;&lt;script&gt;"));
    free(html);
    /* CSV: the label is one quoted field. */
    char *csv = slurp_in(dir, "summary.csv");
    cr_assert_not_null(strstr(csv, ",vm,\"it's \"\"9p\"\" \\ back\nline2"));
    free(csv);

    free(run);
    free(plan);
    free(label);
    free(qlabel);
    fixture_remove(dir);
}

/*
 * A phase's op names no file and is no markup: a crafted op (with the
 * directories its path needs planted under plots/) writes nothing
 * outside the results directory, and reaches no output raw. The run it
 * is in is unreadable, with a warning naming the field.
 */
Test(report_hostile, an_op_names_no_file_and_is_no_markup, .timeout = 120)
{
    char *dir = fixture_copy();
    char *plots = path_in(dir, "plots");
    cr_assert_eq(mkdir(plots, 0755), 0);
    static const char *const kinds[] = {"oprate", "latency", "hdr",
                                        "timeseries"};
    for (size_t i = 0; i < 4; i++) {
        char *p = vmb_xasprintf("%s/%s-0-x", plots, kinds[i]);
        cr_assert_eq(mkdir(p, 0755), 0);
        free(p);
    }
    char *r1 = path_in(dir, "cells/" CELL_9P "/rep1/result.json");
    char *r2 = path_in(dir, "cells/" CELL_9P "/rep2/result.json");
    file_replace(r1, "\"op\": \"write\"", "\"op\": \"x/../../../escaped\"");
    file_replace(r2, "\"op\": \"write\"",
                 "\"op\": \"<b>bold</b><img src=x onerror=alert(1)>\"");
    struct vmb_buf warnings = {0};
    struct vmb_error *err = NULL;
    struct vmb_report_opts o = {.charts = true, .quiet = true};
    cr_assert_eq(vmb_report_write(dir, &o, &warnings, &err), 0, "%s",
                 err ? err->msg : "");
    /* dir is <tmp>/run: plots/<kind>-0-x/../../.. is <tmp>. */
    char *top = vmb_xstrdup(dir);
    *strrchr(top, '/') = '\0';
    static const char *const ext[] = {"gp", "png", "svg", "png.tmp", "svg.tmp"};
    for (size_t i = 0; i < 5; i++) {
        char *p = vmb_xasprintf("%s/escaped.%s", top, ext[i]);
        cr_assert(!file_exists(p), "%s was written", p);
        free(p);
    }
    cr_assert_not_null(warnings.data);
    cr_assert_not_null(strstr(warnings.data, r1), "%s", warnings.data);
    cr_assert_not_null(strstr(warnings.data, "phases[0].op"), "%s",
                       warnings.data);
    char *html = slurp_in(dir, "report.html");
    cr_assert_null(strstr(html, "<b>bold"));
    cr_assert_null(strstr(html, "<img"));
    /* The op is named in the warning, as text; no chart is named by it. */
    cr_assert_null(strstr(html, "0-x/"));
    cr_assert_null(strstr(html, "escaped."));
    cr_assert_not_null(strstr(html, "&lt;b&gt;bold"));
    free(html);
    char *md = slurp_in(dir, "report.md");
    cr_assert_null(strstr(md, "<b>bold"));
    cr_assert_null(strstr(md, "0-x/"));
    free(md);
    char *csv = slurp_in(dir, "summary.csv");
    cr_assert_null(strstr(csv, "escaped"));
    cr_assert_null(strstr(csv, "<b>"));
    free(csv);
    vmb_buf_free(&warnings);
    free(top);
    free(r1);
    free(r2);
    free(plots);
    fixture_remove(dir);
}

/*
 * Warnings carry text from the files (a config value, a directory name);
 * on the terminal their control characters show as \xHH and no escape
 * sequence reaches it raw.
 */
Test(report_hostile, warnings_reach_the_terminal_escaped, .timeout = 60)
{
    char *dir = fixture_copy();
    char *cfg = path_in(dir, "cells/" CELL_9P "/config.json");
    file_replace(cfg, "\"memory\": \"1024\"",
                 "\"memory\": \"\\u001b]0;pwned\\u0007\\u001b[2J\"");
    char *odd = path_in(dir, "cells/\x1b[31mred");
    cr_assert_eq(mkdir(odd, 0755), 0);
    const char *args[] = {"report", dir, "--no-charts", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strchr(r.err, '\x1b'), "%s", r.err);
    cr_assert_null(strchr(r.err, '\x07'), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "\\x1b[2J"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "\\x1b[31mred"), "%s", r.err);
    cmd_result_free(&r);
    char *html = slurp_in(dir, "report.html");
    cr_assert_null(strchr(html, '\x1b'));
    free(html);
    free(odd);
    free(cfg);
    fixture_remove(dir);
}

/*
 * plots/ a symlink to a directory elsewhere: nothing is written through
 * it; the rest of the report is written and the charts are said to be
 * missing.
 */
Test(report_hostile, a_plots_symlink_is_not_followed, .timeout = 60)
{
    char *dir = fixture_copy();
    char victim[] = "/tmp/vmb-victim-XXXXXX";
    cr_assert_not_null(mkdtemp(victim));
    char *plots = path_in(dir, "plots");
    cr_assert_eq(symlink(victim, plots), 0);
    struct vmb_error *err = NULL;
    struct vmb_report_opts o = {.charts = true, .quiet = true};
    cr_assert_eq(vmb_report_write(dir, &o, NULL, &err), -1);
    cr_assert_not_null(strstr(err->msg, "plots"), "%s", err->msg);
    vmb_error_free(err);
    char *cmd = vmb_xasprintf("test -z \"$(ls -A %s)\"", victim);
    cr_assert_eq(system(cmd), 0, "something was written into %s", victim);
    free(cmd);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(strstr(md, "is missing"));
    free(md);
    vmb_rm_rf(victim, NULL);
    free(plots);
    fixture_remove(dir);
}

/*
 * Symlinks planted at the names of chart files (the final ones and the
 * temporary ones gnuplot writes) are not written through.
 */
Test(report_hostile, symlinks_at_chart_files_are_not_followed, .timeout = 120)
{
    char *dir = fixture_copy();
    char victim[] = "/tmp/vmb-victim-XXXXXX";
    int fd = mkstemp(victim);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "precious\n", 9), 9);
    close(fd);
    char *plots = path_in(dir, "plots");
    cr_assert_eq(mkdir(plots, 0755), 0);
    static const char *const names[] = {
        "oprate-0-write.png.tmp", "oprate-0-write.svg.tmp", "ratio.gp",
        "latency-0-write.png", "latency-0-write.svg"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = vmb_xasprintf("%s/%s", plots, names[i]);
        cr_assert_eq(symlink(victim, p), 0);
        free(p);
    }
    struct vmb_report_opts o = {.charts = true, .quiet = true};
    struct vmb_error *err = NULL;
    if (vmb_report_write(dir, &o, NULL, &err) < 0)
        vmb_error_free(err); /* a chart may fail: nothing is written through */
    char *text = slurp(victim);
    cr_assert_str_eq(text, "precious\n");
    free(text);
    char *md = slurp_in(dir, "report.md");
    cr_assert_not_null(md);
    free(md);
    unlink(victim);
    free(plots);
    fixture_remove(dir);
}

/*
 * The document writer escapes a chart's name too (the report makes it
 * from indices and op names, but the writer does not rely on that): in
 * the links of both formats it is percent-encoded.
 */
Test(report_hostile, a_chart_name_is_escaped_in_both_formats)
{
    struct vmb_doc d;
    vmb_doc_begin(&d, "/nonexistent", "t");
    vmb_doc_chart(&d, "x\"><script>alert(1)</script>) [y](javascript:z",
                  "title", NULL);
    vmb_doc_end(&d);
    cr_assert_null(strstr(d.html.data, "<script"));
    cr_assert_null(strstr(d.html.data, "x\"><"), "%s", d.html.data);
    cr_assert_not_null(strstr(d.html.data, "plots/x%22%3E%3Cscript%3E"));
    cr_assert_null(strstr(d.md.data, "<script"));
    cr_assert_null(strstr(d.md.data, ") [y]("), "%s", d.md.data);
    vmb_doc_free(&d);
}

/*
 * gnuplot never gets a data column without a value (5.4 crashes on
 * `with labels` over one): such a chart fails before gnuplot runs, and
 * writes nothing.
 */
Test(report_hostile, a_column_without_values_never_reaches_gnuplot,
     .timeout = 60)
{
    char tmpl[] = "/tmp/vmb-plot-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct vmb_plot p;
    vmb_plot_init(&p);
    vmb_plot_str(&p, "chart_title", "t");
    vmb_plot_str(&p, "chart_subtitle", "s");
    vmb_plot_str(&p, "y_title", "y");
    vmb_plot_str(&p, "ci_title", "");
    vmb_plot_str(&p, "ctrl_title", "");
    vmb_plot_num(&p, "n", 1);
    vmb_plot_num(&p, "has_ctrl", 0);
    const char *labels[] = {"a"};
    vmb_plot_axis_labels(&p, "labels", labels, 1);
    vmb_plot_block_begin(&p, "cells");
    double row[] = {0, NAN, NAN, NAN, 0, 1};
    vmb_plot_row(&p, row, 6);
    vmb_plot_block_end(&p);
    char *gnuplot = NULL;
    cr_assert_eq(vmb_plot_find_gnuplot(&gnuplot, NULL), 0);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_plot_render(&p, gnuplot, "oprate", tmpl, "c", NULL, &err),
                 -1);
    cr_assert_not_null(strstr(err->msg, "column 2 of a data block has no "
                                        "value"),
                       "%s", err->msg);
    vmb_error_free(err);
    char *cmd = vmb_xasprintf("test -z \"$(ls -A %s)\"", tmpl);
    cr_assert_eq(system(cmd), 0, "files were written");
    free(cmd);
    free(gnuplot);
    vmb_plot_free(&p);
    vmb_rm_rf(tmpl, NULL);
}

/* A label that starts like a spreadsheet formula stays text in the CSV. */
Test(report_hostile, a_formula_label_stays_text_in_the_csv, .timeout = 120)
{
    char *dir = fixture_copy();
    const char *files[] = {"plan.json", "cells/" CELL_9P "/config.json",
                           "cells/" CELL_9P "/rep1/result.json",
                           "cells/" CELL_9P "/rep2/result.json",
                           "cells/" CELL_9P "/rep3/result.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = vmb_xasprintf("%s/%s", dir, files[i]);
        file_replace(p, "\"storage=9p\"", "\"=HYPERLINK(1)\"");
        free(p);
    }
    struct vmb_report_opts o = {.charts = false, .quiet = true};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_report_write(dir, &o, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    char *csv = slurp_in(dir, "summary.csv");
    cr_assert_not_null(strstr(csv, ",vm,'=HYPERLINK(1),"), "%s", csv);
    cr_assert_null(strstr(csv, ",=HYPERLINK"), "%s", csv);
    free(csv);
    fixture_remove(dir);
}
