/*
 * User text on its way to gnuplot, markdown and HTML: a cell label and a
 * run name with quotes, backslashes, a newline, backquotes, `system(...)`,
 * gnuplot macros, format characters and markup must come out as text,
 * and nothing in them may run.
 */
#include <criterion/criterion.h>

#include "report/plot.h"
#include "report/report.h"
#include "results_fixture.h"

/* A gnuplot literal: '' inside, newlines joined as "\n", nothing else. */
Test(plot_quote, gnuplot_literal)
{
    static const char *const cases[][2] = {
        {"plain", "'plain'"},
        {"it's", "'it''s'"},
        {"back\\slash \"dq\"", "'back\\slash \"dq\"'"},
        {"two\nlines", "'two'.\"\\n\".'lines'"},
        {"tab\there", "'tab here'"},
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
#define HOSTILE_JSON                                                          \
    "it's \\\"9p\\\" \\\\ back\\nline2 `touch %s/pwn1` "                    \
    "system(\\\"touch %s/pwn2\\\") @pwn %%s 50%% "                              \
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
    file_replace(run, "\"name\": \"storage-small\"",
                 "\"name\": \"run `touch pwn3` 'q' \\\\ \\n system(\\\"x\\\")\"");
    file_replace(plan, "\"name\": \"storage-small\"",
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
