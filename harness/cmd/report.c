/* `vmbench report`: the report of a results directory. */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "report/report.h"

const char vmb_usage_report[] =
    "usage: vmbench report RESULTS_DIR [--no-charts] [--quiet]\n\n"
    "Reads a results directory written by `vmbench run` and writes into it:\n"
    "  summary.csv   one row per cell, phase and metric: median, 95% "
    "bootstrap\n"
    "                interval, coefficient of variation, ratio to the "
    "bare-metal\n"
    "                control with its interval, flags, and every config "
    "option\n"
    "  plots/        PNG and SVG charts (and the gnuplot script of each)\n"
    "  report.md     what ran, host, versions, accelerator, the numbers, the\n"
    "                charts, cells that cannot be told apart, provenance\n"
    "  report.html   the same, charts inline\n\n"
    "Charts need gnuplot (set VMB_GNUPLOT to use another binary, "
    "VMB_PLOTS_DIR\n"
    "for other chart templates). Without it the rest is written and the\n"
    "command fails.\n\n"
    "  --no-charts   write summary.csv and the report without charts\n"
    "  -q, --quiet   do not list the files written\n\n"
    "exit status: 0 done, 1 charts failed, 2 not a readable results "
    "directory.\n";

enum { OPT_NO_CHARTS = 256 };

static const struct option longopts[] = {
    {"no-charts", no_argument, NULL, OPT_NO_CHARTS},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

int
vmb_cmd_report(int argc, char **argv, struct vmb_error **err)
{
    const char *dir = NULL;
    size_t written = 0;
    struct vmb_report_opts opts = {.charts = true, .written = &written};
    struct vmb_cli_parse args = {
        .cmd = "report", .shortopts = "q", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_NO_CHARTS:
            opts.charts = false;
            break;
        case 'q':
            opts.quiet = true;
            break;
        case VMB_CLI_WORD:
            if (dir != NULL)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "one results directory at a time, got "
                                     "\"%s\" and \"%s\"",
                                     dir, args.arg);
            dir = args.arg;
            break;
        }
    }
    if (opt < 0)
        return -1;
    if (dir == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "missing RESULTS_DIR; see `vmbench report "
                             "--help`");
    struct vmb_buf warnings = {0};
    int rc = vmb_report_write(dir, &opts, &warnings, err);
    if (warnings.len > 0) {
        char *save = NULL;
        for (char *l = strtok_r(warnings.data, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save))
            fprintf(stderr, "vmbench report: note: %s\n", l);
    }
    vmb_buf_free(&warnings);
    if (!opts.quiet) {
        for (size_t i = 0; i < written; i++)
            printf("%s/%s\n", dir, vmb_report_files[i]);
        if (rc == 0 && opts.charts)
            printf("%s/plots/\n", dir);
    }
    return rc < 0 ? -1 : 0;
}

void
vmb_cmd_report_after(const char *dir)
{
    struct vmb_report_opts o = {.charts = true, .quiet = true};
    struct vmb_buf warnings = {0};
    struct vmb_error *err = NULL;
    fprintf(stderr, "vmbench: writing the report\n");
    int rc = vmb_report_write(dir, &o, &warnings, &err);
    if (warnings.len > 0) {
        char *save = NULL;
        for (char *l = strtok_r(warnings.data, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save))
            fprintf(stderr, "vmbench: report: note: %s\n", l);
    }
    vmb_buf_free(&warnings);
    if (rc == 0)
        fprintf(stderr, "vmbench: report in %s/report.md and report.html\n",
                dir);
    else
        fprintf(stderr, "vmbench: report: %s\n", err->msg);
    vmb_error_free(err);
}
