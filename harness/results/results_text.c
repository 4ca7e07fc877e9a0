/*
 * The text files of a run: timeseries.csv and latency-<phase>.hgrm. Every
 * number is checked: a value a run could not have written (not a number,
 * infinite, negative) makes the file unreadable, naming line and column.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "results/results_priv.h"

/* Splits a CSV line of plain fields (no quoting in this file) in place. */
static size_t
split_csv(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *s = line;
    while (n < max) {
        f[n++] = s;
        char *c = strchr(s, ',');
        if (c == NULL)
            break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

static int
col_index(char **f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return (int)i;
    return -1;
}

/*
 * The number in column col: NAN when the column is absent or empty; a
 * value that is not a finite, non-negative number fails (*bad names the
 * column).
 */
static double
field_num(char **f, size_t n, int col, char **h, const char **bad)
{
    if (col < 0 || (size_t)col >= n || f[col][0] == '\0')
        return NAN;
    char *end;
    double d = strtod(f[col], &end);
    while (*end == ' ')
        end++;
    if (end == f[col] || *end != '\0' || !isfinite(d) || d < 0) {
        if (*bad == NULL)
            *bad = h[col];
        return NAN;
    }
    return d;
}

/* a + b of two values either of which may be absent (NAN). */
static double
add(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : a + b;
}

static double
larger(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : fmax(a, b);
}

int
vmb_results_read_timeseries(const char *repdir, const char *phase,
                            struct vmb_res_second **out, size_t *n,
                            struct vmb_error **err)
{
    *out = NULL;
    *n = 0;
    autofree char *path = vmb_xasprintf("%s/timeseries.csv", repdir);
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return 0;
    autofree char *text = NULL;
    size_t len;
    if (vmb_res_read_file(path, VMB_RES_TEXT_MAX, &text, &len, err) < 0)
        return -1;
    char *save = NULL;
    char *line = strtok_r(text, "\r\n", &save);
    if (line == NULL)
        return 0;
    char *h[16];
    size_t nh = split_csv(line, h, 16);
    int c_phase = col_index(h, nh, "phase"), c_sec = col_index(h, nh, "second");
    int c_ops = col_index(h, nh, "ops"), c_rate = col_index(h, nh, "ops_per_s");
    int c_p50 = col_index(h, nh, "p50_us"), c_p99 = col_index(h, nh, "p99_us");
    int c_cpu = col_index(h, nh, "host_cpu_s");
    int c_iops = col_index(h, nh, "disk_iops");
    if (c_phase < 0 || c_sec < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: header has no \"phase\" and \"second\" "
                             "columns",
                             path);
    autofree struct vmb_res_second *rows = NULL;
    size_t nrows = 0, cap = 0;
    int lineno = 1;
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        lineno++;
        char *f[16];
        size_t nf = split_csv(line, f, 16);
        if ((size_t)c_phase >= nf || strcmp(f[c_phase], phase) != 0)
            continue;
        const char *bad = NULL;
        struct vmb_res_second row = {
            .second = field_num(f, nf, c_sec, h, &bad),
            .ops = field_num(f, nf, c_ops, h, &bad),
            .ops_per_s = field_num(f, nf, c_rate, h, &bad),
            .p50_us = field_num(f, nf, c_p50, h, &bad),
            .p99_us = field_num(f, nf, c_p99, h, &bad),
            .host_cpu_s = field_num(f, nf, c_cpu, h, &bad),
            .disk_iops = field_num(f, nf, c_iops, h, &bad),
        };
        if (bad == NULL && isnan(row.second))
            bad = "second";
        if (bad != NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s:%d: column \"%s\": not a number of 0 "
                                 "or more",
                                 path, lineno, bad);
        /* Mixed phases write one row per op kind for the same second. */
        if (nrows > 0 && rows[nrows - 1].second == row.second) {
            struct vmb_res_second *r = &rows[nrows - 1];
            r->ops = add(r->ops, row.ops);
            r->ops_per_s = add(r->ops_per_s, row.ops_per_s);
            r->p50_us = larger(r->p50_us, row.p50_us);
            r->p99_us = larger(r->p99_us, row.p99_us);
            /* The resource columns are the second's, on every row. */
            continue;
        }
        if (nrows == cap) {
            cap = cap ? 2 * cap : 64;
            rows = vmb_xrealloc(rows, cap * sizeof(*rows));
        }
        rows[nrows++] = row;
    }
    *out = steal(&rows);
    *n = nrows;
    return 0;
}

int
vmb_results_read_hgrm(const char *path, struct vmb_res_hgrm_point **out,
                      size_t *n, struct vmb_error **err)
{
    *out = NULL;
    *n = 0;
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return 0;
    autofree char *text = NULL;
    size_t len;
    if (vmb_res_read_file(path, VMB_RES_TEXT_MAX, &text, &len, err) < 0)
        return -1;
    struct vmb_res_hgrm_point *pts = NULL;
    size_t np = 0, cap = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        double v, p, c;
        /*
         * Header, blank and "#[...]" footer lines do not scan; a line
         * whose numbers no histogram writes is left out as well.
         */
        if (sscanf(line, "%lf %lf %lf", &v, &p, &c) != 3)
            continue;
        if (!isfinite(v) || v < 0 || !(p >= 0 && p <= 1) || !isfinite(c) ||
            c < 0)
            continue;
        if (np == cap) {
            cap = cap ? 2 * cap : 64;
            pts = vmb_xrealloc(pts, cap * sizeof(*pts));
        }
        pts[np].value_us = v;
        pts[np].percentile = p;
        pts[np].count = c;
        np++;
    }
    *out = pts;
    *n = np;
    return 0;
}
