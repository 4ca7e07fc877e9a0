/* `vmbench compare`: A/B verdicts of two results directories, or bounds. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "report/compare_out.h"
#include "report/report.h"
#include "results/metric.h"

static const char usage_head[] =
    "usage: vmbench compare A B [--metric M]... [--threshold 5%] "
    "[--alpha 0.05]\n"
    "                       [--json FILE] [--report DIR]\n"
    "       vmbench compare --write-bounds A [--metric M]... [--threshold "
    "5%]\n"
    "       vmbench compare --bounds FILE B\n\n"
    "Compares results directory B with A (the baseline). Cells and controls\n"
    "are matched by id, else by label (the settings that differ are "
    "listed).\n"
    "Per cell, phase and metric: the ratio of medians B/A with its 95%\n"
    "bootstrap interval, a two-sided permutation test's p-value on the\n"
    "repetitions, and a verdict: faster, slower or no change. A change "
    "counts\n"
    "only when B/A differs from 1 by more than the threshold and is\n"
    "significant: with fewer than 5 repetitions a side, the ratio's 95%\n"
    "interval excludes 1 (3 against 3 cannot reach p < 0.1 in a "
    "permutation\n"
    "test); from 5 up, the permutation test's p-value is at most alpha.\n"
    "A median that rises from zero (errors 0 -> 5000) is an infinite change:\n"
    "with fewer than 5 a side it counts, from 5 up when the test says so;\n"
    "a fall to zero is a ratio of 0; two zero medians are no change.\n"
    "Controls are compared too: a slower host shows as a slower control.\n"
    "The table lists the gate's failures first, the worst first.\n\n"
    "The gate fails on a slower row; on a cell, control or phase of A that\n"
    "B lacks or has only failed runs of (\"missing in B\"); and on a value\n"
    "of an ok run, a median or a ratio that is not a finite number (\"not\n"
    "finite\": absent from result.json, or overflowed). What only B has is\n"
    "listed (\"missing in A\", \"only in B\") and does not fail it.\n\n"
    "  --metric M        a metric listed below; repeat or separate by "
    "commas,\n"
    "                    each metric counts once (default ";

static const char usage_tail[] =
    "  --threshold T     the smallest change that counts: 5% or 0.05 "
    "(default 5%)\n"
    "  --alpha A         the permutation test's level (default 0.05)\n"
    "  --json FILE       the comparison as JSON\n"
    "  --report DIR      DIR/compare.md and DIR/compare.html\n"
    "  --write-bounds A  print bounds from A as TOML: per cell, phase and\n"
    "                    metric the median and a tolerance, the larger of "
    "the\n"
    "                    threshold and 3 coefficients of variation (at most "
    "0.5)\n"
    "  --bounds FILE     check B against bounds: a bound fails when B's "
    "median\n"
    "                    is worse than median by more than tolerance (a\n"
    "                    fraction in [0, 1)), when B lacks its cell or phase,\n"
    "                    and when a value is not a finite number\n\n"
    "exit status: 0 the gate passes, 1 it fails (a regression, something\n"
    "missing in B, a value that is not finite, a bound failed or missing),\n"
    "2 bad input (not a results directory, no cell in common, a bad bounds\n"
    "file, a bad metric).\n\n"
    "The metrics of a phase (capacity: of capacity phases only):\n";

static const char *const default_metrics[] = {"op_rate", "p50", "p99"};
#define NDEFAULT (sizeof(default_metrics) / sizeof(default_metrics[0]))

/* Composed when printed: the metrics come from their table. */
void
vmb_usage_compare(FILE *out)
{
    struct vmb_buf defaults = {0};
    for (size_t i = 0; i < NDEFAULT; i++)
        vmb_buf_printf(&defaults, "%s%s", i ? ", " : "", default_metrics[i]);
    fputs(usage_head, out);
    fprintf(out, "%s)\n", defaults.data);
    fputs(usage_tail, out);
    autofree char *table = vmb_metric_help(VMB_IN_PHASES);
    fputs(table, out);
    vmb_buf_free(&defaults);
}

enum {
    OPT_METRIC = 256,
    OPT_THRESHOLD,
    OPT_ALPHA,
    OPT_JSON,
    OPT_REPORT,
    OPT_WRITE_BOUNDS,
    OPT_BOUNDS,
};

static const struct option longopts[] = {
    {"metric", required_argument, NULL, OPT_METRIC},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"alpha", required_argument, NULL, OPT_ALPHA},
    {"json", required_argument, NULL, OPT_JSON},
    {"report", required_argument, NULL, OPT_REPORT},
    {"write-bounds", no_argument, NULL, OPT_WRITE_BOUNDS},
    {"bounds", required_argument, NULL, OPT_BOUNDS},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *dirs[2];
    size_t ndirs;
    const char **metrics; /* the table's names, each once */
    size_t nmetrics;
    double threshold, alpha;
    const char *json, *report, *bounds;
    bool write_bounds;
};

static int
parse_fraction(const char *opt, const char *s, bool percent_ok, double *out,
               struct vmb_error **err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (percent_ok && end != s && strcmp(end, "%") == 0) {
        v /= 100;
        end++;
    }
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < 0 ||
        v >= 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s \"%s\" is not a fraction in [0, 1)%s", opt, s,
                             percent_ok ? " or a percentage" : "");
    *out = v;
    return 0;
}

/* One --metric value: names separated by commas, none empty; a name
 * given before counts once. */
static int
add_metrics(struct args *a, const char *s, struct vmb_error **err)
{
    if (a->metrics == NULL)
        a->metrics = vmb_xcalloc(vmb_nmetrics, sizeof(*a->metrics));
    for (const char *t = s;; t++) {
        size_t len = strcspn(t, ",");
        if (len == 0)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "--metric \"%s\" has an empty entry", s);
        autofree char *name = vmb_xstrndup(t, len);
        const struct vmb_metric *m;
        if (vmb_metric_lookup(name, VMB_IN_PHASES, &m, err) < 0)
            return -1;
        bool seen = false;
        for (size_t i = 0; i < a->nmetrics; i++)
            seen |= a->metrics[i] == m->name;
        if (!seen)
            a->metrics[a->nmetrics++] = m->name;
        t += len;
        if (*t == '\0')
            return 0;
    }
}

static int
parse_args(struct args *a, int argc, char **argv, struct vmb_error **err)
{
    struct vmb_cli_parse p = {.cmd = "compare", .longopts = longopts};
    int c;
    while ((c = vmb_cli_next(&p, argc, argv, err)) > 0) {
        switch (c) {
        case OPT_METRIC:
            if (add_metrics(a, p.arg, err) < 0)
                return -1;
            break;
        case OPT_THRESHOLD:
            if (parse_fraction("--threshold", p.arg, true, &a->threshold, err) <
                0)
                return -1;
            break;
        case OPT_ALPHA:
            if (parse_fraction("--alpha", p.arg, false, &a->alpha, err) < 0)
                return -1;
            if (a->alpha == 0)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "--alpha must be above 0");
            break;
        case OPT_JSON:
            a->json = p.arg;
            break;
        case OPT_REPORT:
            a->report = p.arg;
            break;
        case OPT_WRITE_BOUNDS:
            a->write_bounds = true;
            break;
        case OPT_BOUNDS:
            a->bounds = p.arg;
            break;
        case VMB_CLI_WORD:
            if (a->ndirs == 2)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "unexpected \"%s\": compare takes two "
                                     "results directories",
                                     p.arg);
            a->dirs[a->ndirs++] = p.arg;
            break;
        }
    }
    if (c < 0)
        return -1;
    size_t want = a->write_bounds || a->bounds ? 1 : 2;
    if (a->write_bounds && a->bounds)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--write-bounds and --bounds exclude each other");
    if (a->ndirs != want)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected %zu results director%s, got %zu; see "
                             "`vmbench compare --help`",
                             want, want == 1 ? "y" : "ies", a->ndirs);
    if (a->nmetrics == 0) {
        a->metrics = vmb_xcalloc(NDEFAULT, sizeof(*a->metrics));
        for (size_t i = 0; i < NDEFAULT; i++)
            a->metrics[a->nmetrics++] = default_metrics[i];
    }
    return 0;
}

/* Loads a results directory; any failure is bad input (exit 2). */
static int
load(const char *dir, struct vmb_results **r, struct vmb_error **err)
{
    if (vmb_results_load(dir, r, err) < 0) {
        if (err != NULL && *err != NULL)
            (*err)->kind = VMB_ERR_INPUT;
        return -1;
    }
    for (size_t i = 0; i < (*r)->nwarnings; i++)
        fprintf(stderr, "vmbench compare: note: %s\n", (*r)->warnings[i]);
    return 0;
}

static int
check_bounds(const struct args *a, struct vmb_error **err)
{
    struct vmb_bounds bs;
    if (vmb_bounds_read(a->bounds, &bs, err) < 0) {
        (*err)->kind = VMB_ERR_INPUT;
        return -1;
    }
    struct vmb_results *r = NULL;
    if (load(a->dirs[0], &r, err) < 0) {
        vmb_bounds_free(&bs);
        return -1;
    }
    size_t checked = 0;
    size_t failed = vmb_bounds_check(&bs, r, stdout, &checked);
    int rc = failed > 0 ? 1 : 0;
    if (checked == 0)
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "no cell of the bounds file is in \"%s\"",
                           a->dirs[0]);
    else
        printf("\n%zu of %zu bounds failed\n", failed, bs.n);
    vmb_bounds_free(&bs);
    vmb_results_free(r);
    return rc;
}

static int
write_json(const struct vmb_compare *c, const char *path,
           struct vmb_error **err)
{
    autofree char *json = vmb_compare_json(c);
    if (vmb_write_output(path, json, strlen(json), err) < 0)
        return vmb_error_prefix(err, "write \"%s\"", path);
    return 0;
}

/* The cells of a that b has too, run on another host: warned, a few
 * named. Ratios stay within a host; the A/B of such a cell does not. */
static void
warn_hosts(const struct vmb_results *a, const struct vmb_results *b)
{
    size_t changed = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct vmb_res_cell *arr = pass ? a->controls : a->cells;
        size_t n = pass ? a->ncontrols : a->ncells;
        for (size_t i = 0; i < n; i++) {
            const struct vmb_res_cell *other =
                vmb_results_find(b, arr[i].id, NULL);
            if (other == NULL)
                continue;
            const char *ha = vmb_results_hostname_of(a, &arr[i]);
            const char *hb = vmb_results_hostname_of(b, other);
            if (strcmp(ha, hb) == 0)
                continue;
            if (changed++ < 5) {
                autofree char *sa = vmb_term_safe(ha);
                autofree char *sb = vmb_term_safe(hb);
                autofree char *lab =
                    vmb_term_safe(arr[i].label ? arr[i].label : arr[i].id);
                fprintf(stderr,
                        "vmbench compare: warning: %s (%s) ran on host "
                        "\"%s\" in A and on \"%s\" in B; its difference "
                        "includes the hosts'\n",
                        lab, arr[i].id, sa, sb);
            }
        }
    }
    if (changed > 5)
        fprintf(stderr,
                "vmbench compare: warning: %zu cells in all ran on another "
                "host in B than in A\n",
                changed);
}

static int
compare(const struct args *a, const struct vmb_compare_opts *opts,
        struct vmb_error **err)
{
    struct vmb_results *ra = NULL, *rb = NULL;
    struct vmb_compare c;
    int rc = -1;
    if (load(a->dirs[0], &ra, err) < 0 || load(a->dirs[1], &rb, err) < 0)
        goto cleanup;
    if (vmb_compare_build(&c, ra, rb, opts, err) < 0)
        goto cleanup;
    warn_hosts(ra, rb);
    vmb_compare_print(&c, stdout);
    rc = vmb_compare_failures(&c) > 0 ? 1 : 0;
    if (a->json != NULL && write_json(&c, a->json, err) < 0)
        rc = -1;
    if (rc >= 0 && a->report != NULL &&
        vmb_compare_write_report(&c, a->report, err) < 0)
        rc = -1;
    vmb_compare_free(&c);
cleanup:
    vmb_results_free(ra);
    vmb_results_free(rb);
    return rc;
}

int
vmb_cmd_compare(int argc, char **argv, struct vmb_error **err)
{
    struct args a = {.threshold = 0.05, .alpha = 0.05};
    int rc = parse_args(&a, argc, argv, err);
    if (rc == 0) {
        struct vmb_compare_opts opts = {.metrics = a.metrics,
                                        .nmetrics = a.nmetrics,
                                        .threshold = a.threshold,
                                        .alpha = a.alpha};
        if (a.bounds != NULL) {
            rc = check_bounds(&a, err);
        } else if (a.write_bounds) {
            struct vmb_results *r = NULL;
            rc = load(a.dirs[0], &r, err);
            if (rc == 0) {
                autofree char *toml = vmb_bounds_write(r, &opts);
                fputs(toml, stdout);
                vmb_results_free(r);
            }
        } else {
            rc = compare(&a, &opts, err);
        }
    }
    free(a.metrics);
    return rc;
}
