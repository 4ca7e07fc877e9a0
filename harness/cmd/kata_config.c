/*
 * `vmbench kata-config`: a cell's Kata [hypervisor.qemu] settings, printed
 * or merged into the user's configuration.toml.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "config/kata.h"
#include "results/metric.h"
#include "results/results.h"

const char vmb_usage_kata_config[] =
    "usage: vmbench kata-config RESULTS_DIR (CELL | --best PHASE.METRIC)\n"
    "                           [--base configuration.toml] [--output FILE]\n\n"
    "Prints the Kata Containers settings that correspond to a cell of a run:\n"
    "every knob vmbench models ([hypervisor.qemu] default_vcpus, shared_fs,\n"
    "msize_9p, block_device_driver, ...; [runtime] enable_vcpus_pinning).\n"
    "CELL is a cell id, a unique id prefix (4+ digits) or its label.\n\n"
    "  --best PHASE.METRIC  pick the cell with the best median, e.g.\n"
    "                       write.op_rate (highest) or read.p99 (lowest);\n"
    "                       the metrics are listed by `vmbench compare "
    "--help`\n"
    "  --base FILE          print a copy of FILE (a configuration.toml) with\n"
    "                       only the keys whose value differs from FILE's\n"
    "                       (or Kata's default where FILE lacks the key)\n"
    "                       changed or added; comments and everything else\n"
    "                       stay as they are\n"
    "  -o, --output FILE    write to FILE (atomically) instead of stdout\n\n"
    "exit status: 0 done, 2 unknown cell or metric, or a malformed base file\n"
    "(the message names its line).\n";

enum {
    OPT_BASE = 256,
    OPT_BEST,
};

static const struct option longopts[] = {
    {"base", required_argument, NULL, OPT_BASE},
    {"best", required_argument, NULL, OPT_BEST},
    {"output", required_argument, NULL, 'o'},
    {NULL, 0, NULL, 0},
};

/* One line of text for a TOML comment. */
static char *
comment_safe(const char *s)
{
    char *c = vmb_xstrdup(s);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return c;
}

/* The VM cell named by cell, or with the best median of best (*median). */
static int
pick_cell(const struct vmb_results *res, const char *dir, const char *cell,
          const char *best, const struct vmb_res_cell **out, double *median,
          struct vmb_error **err)
{
    const struct vmb_res_cell *c = NULL;
    if (best != NULL) {
        if (vmb_results_best_cell(res, best, &c, median, err) < 0)
            return -1;
    } else {
        bool ambiguous = false;
        c = vmb_results_find(res, cell, &ambiguous);
        if (c == NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 ambiguous ? "cell \"%s\" matches more than "
                                             "one cell; give more of its id"
                                           : "no cell \"%s\" in \"%s\"; "
                                             "`vmbench report` lists them",
                                 cell, dir);
    }
    if (c->control)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is the bare-metal control, which has no "
                             "Kata settings",
                             c->label);
    if (!c->has_config)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "cell \"%s\" has no config.json in \"%s\"", c->id,
                             dir);
    *out = c;
    return 0;
}

/* The cell's settings merged into the base file, or as fresh tables under
 * a comment naming the cell. */
static int
render(const struct vmb_results *res, const struct vmb_res_cell *c,
       const char *base, const char *best, double median, struct vmb_buf *out,
       struct vmb_error **err)
{
    if (base != NULL) {
        autofree char *text = NULL;
        size_t len;
        if (vmb_read_file_max(base, VMB_KATA_TOML_MAX_BYTES, &text, &len, err) <
            0)
            return vmb_error_prefix(err, "base configuration");
        return vmb_kata_merge_settings(&c->cfg, base, text, len, out, err);
    }
    autofree char *label = comment_safe(c->label);
    autofree char *name = comment_safe(res->name);
    vmb_buf_printf(out,
                   "# Kata Containers settings of cell \"%s\" (%s)\n"
                   "# from the results of \"%s\".\n",
                   label, c->id, name);
    if (best != NULL) {
        autofree char *b = comment_safe(best);
        vmb_buf_printf(out, "# Best median %s of all cells: %.6g.\n", b,
                       median);
    }
    vmb_kata_render_tables(&c->cfg, out);
    return 0;
}

static int
write_out(const char *output, const struct vmb_buf *out, struct vmb_error **err)
{
    if (output != NULL)
        return vmb_write_output(output, out->data ? out->data : "", out->len,
                                err);
    fwrite(out->data ? out->data : "", 1, out->len, stdout);
    if (fflush(stdout) != 0)
        return vmb_error_sys(err, "write to standard output");
    return 0;
}

int
vmb_cmd_kata_config(int argc, char **argv, struct vmb_error **err)
{
    const char *dir = NULL, *cell = NULL, *base = NULL, *best = NULL,
               *output = NULL;
    struct vmb_cli_parse args = {
        .cmd = "kata-config", .shortopts = "o:", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_BASE:
            base = args.arg;
            break;
        case OPT_BEST:
            best = args.arg;
            break;
        case 'o':
            output = args.arg;
            break;
        case VMB_CLI_WORD:
            if (dir == NULL)
                dir = args.arg;
            else if (cell == NULL)
                cell = args.arg;
            else
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "unexpected argument \"%s\"", args.arg);
            break;
        }
    }
    if (opt < 0)
        return -1;
    if (dir == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "missing RESULTS_DIR; see `vmbench kata-config "
                             "--help`");
    if ((cell == NULL) == (best == NULL))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "name one CELL or give --best PHASE.METRIC");

    struct vmb_results *res = NULL;
    if (vmb_results_load(dir, &res, err) < 0)
        return -1;
    /* What could not be read is left out; say so before choosing. */
    for (size_t i = 0; i < res->nwarnings; i++)
        fprintf(stderr, "vmbench kata-config: note: %s\n", res->warnings[i]);
    int rc = -1;
    struct vmb_buf out = {0};
    const struct vmb_res_cell *c = NULL;
    double median = NAN;
    if (pick_cell(res, dir, cell, best, &c, &median, err) < 0 ||
        render(res, c, base, best, median, &out, err) < 0 ||
        write_out(output, &out, err) < 0)
        goto out;
    if (best != NULL) {
        /* The label comes from the results directory. */
        char *label = vmb_term_safe(c->label);
        fprintf(stderr, "vmbench kata-config: best %s: %s (%s), median %.6g\n",
                best, label, c->id, median);
        free(label);
    }
    rc = 0;
out:
    vmb_buf_free(&out);
    vmb_results_free(res);
    return rc;
}
