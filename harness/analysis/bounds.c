/* Bounds files of `vmbench compare`: writing, a strict reader, checking. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "results/metric.h"

#define BOUNDS_MAX_BYTES (4u << 20)
#define BOUNDS_MAX 100000
#define BOUNDS_MAX_STRING 1024
/* A tolerance is 3 coefficients of variation, within these. */
#define BOUNDS_CV_FACTOR 3.0
#define BOUNDS_TOL_MAX 0.5

/* A TOML basic string: quotes, backslashes and control bytes escaped. */
static void
toml_str(struct vmb_buf *b, const char *s)
{
    vmb_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        if (*p == '"' || *p == '\\')
            vmb_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            vmb_buf_printf(b, "\\u%04x", *p);
        else
            vmb_buf_append(b, (const char *)p, 1);
    }
    vmb_buf_puts(b, "\"");
}

static void
write_cell(struct vmb_buf *b, const struct vmb_res_cell *cell,
           const struct vmb_compare_opts *opts)
{
    const struct vmb_res_rep *src = NULL;
    for (size_t i = 0; i < cell->nreps && src == NULL; i++)
        if (cell->reps[i].ok && cell->reps[i].nphases > 0)
            src = &cell->reps[i];
    if (src == NULL)
        return;
    size_t max = cell->nreps;
    autofree double *v = vmb_xmalloc(max * sizeof(*v));
    for (size_t ph = 0; ph < src->nphases; ph++) {
        for (size_t m = 0; m < opts->nmetrics; m++) {
            const char *phase = src->phases[ph].name,
                       *metric = opts->metrics[m];
            size_t bad = 0;
            size_t n = vmb_compare_values(cell, phase, metric, v, max, &bad);
            if (n == 0)
                continue;
            double med = vmb_stats_median(v, n);
            if (bad > 0 || !isfinite(med)) {
                /* No bound the reader would take; say so, write none. */
                vmb_buf_printf(b,
                               "\n# no bound for %s %s %s: a value is not "
                               "a finite number\n",
                               cell->id, phase, metric);
                continue;
            }
            double cv = n >= 2 ? vmb_stats_cv(v, n) : 0;
            double tol =
                fmax(opts->threshold, isfinite(cv) ? BOUNDS_CV_FACTOR * cv : 0);
            /* Within the reader's [0, 1) whatever the options say. */
            tol = isfinite(tol) && tol > 0 ? fmin(tol, BOUNDS_TOL_MAX) : 0;
            vmb_buf_puts(b, "\n[[bound]]\ncell = ");
            toml_str(b, cell->id);
            vmb_buf_puts(b, "\nlabel = ");
            toml_str(b, cell->label);
            vmb_buf_printf(b, "\nphase = \"%s\"\nmetric = \"%s\"\n", phase,
                           metric);
            vmb_buf_printf(b, "median = %.10g\ntolerance = %.4f\n", med, tol);
        }
    }
}

char *
vmb_bounds_write(const struct vmb_results *r,
                 const struct vmb_compare_opts *opts)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "# vmbench bounds, from the results in ");
    toml_str(&b, r->dir);
    vmb_buf_puts(&b,
                 "\n# Checked by `vmbench compare --bounds FILE B`: a bound "
                 "fails when B's median\n# is worse than median by more than "
                 "tolerance (a fraction of median): below\n# median x (1 - "
                 "tolerance) for op_rate, above median x (1 + tolerance) for\n"
                 "# latencies. The tolerance is the larger of the threshold "
                 "and 3 coefficients\n# of variation of the runs, at most "
                 "0.5. Edit freely.\nschema = 1\n");
    for (size_t i = 0; i < r->ncells; i++)
        write_cell(&b, &r->cells[i], opts);
    for (size_t i = 0; i < r->ncontrols; i++)
        write_cell(&b, &r->controls[i], opts);
    return vmb_buf_steal(&b);
}

/* ---- the reader ---- */

struct reader {
    const char *path;
    unsigned line;
    struct vmb_bounds *out;
    struct vmb_bound *cur; /* the open [[bound]], or NULL */
    bool schema;
};

static int
fail(struct reader *rd, struct vmb_error **err, const char *what)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%u: %s", rd->path, rd->line,
                         what);
}

/* Parses a basic string at *p (after the opening quote) into *out. */
static int
parse_string(struct reader *rd, const char **p, char **out,
             struct vmb_error **err)
{
    struct vmb_buf b = {0};
    const char *s = *p;
    for (;;) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\0') {
            vmb_buf_free(&b);
            return fail(rd, err, "unterminated string");
        }
        if (ch == '"')
            break;
        if (ch < 0x20 || ch == 0x7f) {
            vmb_buf_free(&b);
            return fail(rd, err, "control character in a string");
        }
        if (ch == '\\') {
            s++;
            if (*s == '"' || *s == '\\') {
                vmb_buf_append(&b, s, 1);
            } else if (*s == 'u' && isxdigit((unsigned char)s[1]) &&
                       isxdigit((unsigned char)s[2]) &&
                       isxdigit((unsigned char)s[3]) &&
                       isxdigit((unsigned char)s[4])) {
                char hex[5] = {s[1], s[2], s[3], s[4], 0};
                unsigned long u = strtoul(hex, NULL, 16);
                if (u == 0 || u >= 0x80) {
                    vmb_buf_free(&b);
                    return fail(rd, err,
                                "only \\u0001 to \\u007f are "
                                "allowed in a string");
                }
                char c = (char)u;
                vmb_buf_append(&b, &c, 1);
                s += 4;
            } else {
                vmb_buf_free(&b);
                return fail(rd, err, "unknown escape in a string");
            }
        } else {
            vmb_buf_append(&b, s, 1);
        }
        if (b.len > BOUNDS_MAX_STRING) {
            vmb_buf_free(&b);
            return fail(rd, err, "string longer than 1024 bytes");
        }
        s++;
    }
    *p = s + 1;
    *out = vmb_buf_steal(&b);
    return 0;
}

static int
parse_number(struct reader *rd, const char **p, double *out,
             struct vmb_error **err)
{
    const char *s = *p;
    /* Digits, a point, an exponent: no inf, nan, hex or sign games. */
    size_t n = strspn(s, "0123456789.eE+-");
    if (n == 0 || !isdigit((unsigned char)s[0]))
        return fail(rd, err, "expected a number of 0 or more or a string");
    char buf[64];
    if (n >= sizeof(buf))
        return fail(rd, err, "number too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno != 0 || !isfinite(v) || v < 0)
        return fail(rd, err, "not a finite number of 0 or more");
    *p = s + n;
    *out = v;
    return 0;
}

static int
close_bound(struct reader *rd, struct vmb_error **err)
{
    struct vmb_bound *b = rd->cur;
    if (b == NULL)
        return 0;
    unsigned keep = rd->line;
    rd->line = b->line;
    bool known =
        b->metric != NULL && vmb_metric_find(b->metric, VMB_IN_PHASES) != NULL;
    int rc = 0;
    if (b->cell == NULL && b->label == NULL)
        rc = fail(rd, err, "bound without cell or label");
    else if (b->phase == NULL || b->metric == NULL)
        rc = fail(rd, err, "bound without phase or metric");
    else if (!known) {
        autofree char *names = vmb_metric_names(VMB_IN_PHASES);
        autofree char *what =
            vmb_xasprintf("unknown metric \"%s\"; known: %s", b->metric, names);
        rc = fail(rd, err, what);
    } else if (isnan(b->median) || isnan(b->tolerance))
        rc = fail(rd, err, "bound without median or tolerance");
    rd->line = keep;
    rd->cur = NULL;
    return rc;
}

static int
set_key(struct reader *rd, const char *key, char *str, double num,
        struct vmb_error **err)
{
    autofree char *s = str;
    if (rd->cur == NULL) {
        if (strcmp(key, "schema") != 0 || s != NULL || num != 1 || rd->schema)
            return fail(rd, err, "expected `schema = 1` or [[bound]]");
        rd->schema = true;
        return 0;
    }
    struct vmb_bound *b = rd->cur;
    char **sp = strcmp(key, "cell") == 0     ? &b->cell
                : strcmp(key, "label") == 0  ? &b->label
                : strcmp(key, "phase") == 0  ? &b->phase
                : strcmp(key, "metric") == 0 ? &b->metric
                                             : NULL;
    double *np = strcmp(key, "median") == 0      ? &b->median
                 : strcmp(key, "tolerance") == 0 ? &b->tolerance
                                                 : NULL;
    if (sp == NULL && np == NULL)
        return fail(rd, err,
                    "unknown key; known: cell, label, phase, "
                    "metric, median, tolerance");
    if ((sp != NULL) != (s != NULL))
        return fail(rd, err, sp ? "expected a string" : "expected a number");
    if ((sp && *sp != NULL) || (np && !isnan(*np)))
        return fail(rd, err, "key given twice");
    /* A tolerance of 1 or more bounds nothing on the higher-is-better
     * side (median x (1 - 2) is below any rate): refuse it. */
    if (np == &b->tolerance && !(num < 1)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "tolerance: %g is not a fraction in [0, 1)",
                 num);
        return fail(rd, err, msg);
    }
    if (sp)
        *sp = steal(&s);
    else
        *np = num;
    return 0;
}

static int
parse_line(struct reader *rd, char *l, struct vmb_error **err)
{
    while (*l == ' ' || *l == '\t')
        l++;
    size_t n = strlen(l);
    while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
        l[--n] = '\0';
    if (n == 0 || l[0] == '#')
        return 0;
    if (strcmp(l, "[[bound]]") == 0) {
        if (close_bound(rd, err) < 0)
            return -1;
        if (!rd->schema)
            return fail(rd, err, "expected `schema = 1` first");
        if (rd->out->n >= BOUNDS_MAX)
            return fail(rd, err, "more than 100000 bounds");
        struct vmb_bounds *o = rd->out;
        o->b = vmb_xrealloc(o->b, (o->n + 1) * sizeof(*o->b));
        rd->cur = &o->b[o->n++];
        *rd->cur = (struct vmb_bound){
            .median = NAN, .tolerance = NAN, .line = rd->line};
        return 0;
    }
    size_t klen = strspn(l, "abcdefghijklmnopqrstuvwxyz_");
    if (klen == 0 || klen > 32)
        return fail(rd, err, "expected `key = value` or [[bound]]");
    char key[33];
    memcpy(key, l, klen);
    key[klen] = '\0';
    const char *p = l + klen;
    p += strspn(p, " \t");
    if (*p++ != '=')
        return fail(rd, err, "expected \"=\" after the key");
    p += strspn(p, " \t");
    char *str = NULL;
    double num = NAN;
    if (*p == '"') {
        p++;
        if (parse_string(rd, &p, &str, err) < 0)
            return -1;
    } else if (parse_number(rd, &p, &num, err) < 0) {
        return -1;
    }
    p += strspn(p, " \t");
    if (*p != '\0' && *p != '#') {
        free(str);
        return fail(rd, err, "unexpected text after the value");
    }
    return set_key(rd, key, str, num, err);
}

int
vmb_bounds_parse(const char *name, const char *text, size_t len,
                 struct vmb_bounds *out, struct vmb_error **err)
{
    *out = (struct vmb_bounds){0};
    if (len > BOUNDS_MAX_BYTES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: a bounds file is at most 4 MiB", name);
    if (memchr(text, '\0', len) != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: a NUL byte in a bounds file", name);
    autofree char *data = vmb_xstrndup(text, len);
    struct reader rd = {.path = name, .out = out};
    char *l = data;
    int rc = 0;
    while (l != NULL && rc == 0) {
        char *nl = strchr(l, '\n');
        if (nl != NULL)
            *nl = '\0';
        rd.line++;
        rc = parse_line(&rd, l, err);
        l = nl ? nl + 1 : NULL;
    }
    if (rc == 0)
        rc = close_bound(&rd, err);
    if (rc == 0 && !rd.schema)
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "%s:1: not a bounds file (no `schema = 1`)", name);
    if (rc < 0)
        vmb_bounds_free(out);
    return rc;
}

int
vmb_bounds_read(const char *path, struct vmb_bounds *out,
                struct vmb_error **err)
{
    *out = (struct vmb_bounds){0};
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, BOUNDS_MAX_BYTES, &data, &len, err) < 0) {
        if (err != NULL && *err != NULL)
            (*err)->kind = VMB_ERR_INPUT;
        return vmb_error_prefix(err, "read bounds \"%s\"", path);
    }
    return vmb_bounds_parse(path, data, len, out, err);
}

void
vmb_bounds_free(struct vmb_bounds *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->b[i].cell);
        free(b->b[i].label);
        free(b->b[i].phase);
        free(b->b[i].metric);
    }
    free(b->b);
    *b = (struct vmb_bounds){0};
}

static const struct vmb_res_cell *
find_cell(const struct vmb_results *r, const struct vmb_bound *b)
{
    const struct vmb_res_cell *c = NULL;
    if (b->cell != NULL)
        c = vmb_results_find(r, b->cell, NULL);
    if (c == NULL && b->label != NULL)
        c = vmb_results_find(r, b->label, NULL);
    return c;
}

size_t
vmb_bounds_check(const struct vmb_bounds *bs, const struct vmb_results *r,
                 FILE *out, size_t *checked)
{
    size_t failed = 0;
    *checked = 0;
    for (size_t i = 0; i < bs->n; i++) {
        const struct vmb_bound *b = &bs->b[i];
        const struct vmb_res_cell *c = find_cell(r, b);
        autofree char *name = vmb_term_safe(b->label  ? b->label
                                            : b->cell ? b->cell
                                                      : "");
        autofree char *phase = vmb_term_safe(b->phase);
        if (c == NULL) {
            /* A bound on a cell B lacks is a bound B does not meet. */
            failed++;
            fprintf(out, "%-8s %-28s %-10s %-8s missing: no such cell in B\n",
                    "FAIL", name, phase, b->metric);
            continue;
        }
        (*checked)++;
        size_t max = c->nreps ? c->nreps : 1;
        autofree double *v = vmb_xmalloc(max * sizeof(*v));
        size_t bad = 0;
        size_t n = vmb_compare_values(c, b->phase, b->metric, v, max, &bad);
        double med = vmb_stats_median(v, n);
        bool higher = vmb_metric_higher_better(b->metric);
        double limit = higher ? b->median * (1 - b->tolerance)
                              : b->median * (1 + b->tolerance);
        bool ok = n > 0 && bad == 0 && isfinite(med) &&
                  (higher ? med >= limit : med <= limit);
        failed += !ok;
        if (n == 0 && bad == 0) {
            fprintf(out,
                    "%-8s %-28s %-10s %-8s missing: no ok run of B has "
                    "it\n",
                    "FAIL", name, phase, b->metric);
            continue;
        }
        if (bad > 0 || !isfinite(med)) {
            fprintf(out,
                    "%-8s %-28s %-10s %-8s not finite: %zu ok run%s "
                    "without a number, median %g\n",
                    "FAIL", name, phase, b->metric, bad, bad == 1 ? "" : "s",
                    med);
            continue;
        }
        fprintf(out, "%-8s %-28s %-10s %-8s B %.4g, %s %.4g (%.4g %s %.1f%%)\n",
                ok ? "pass" : "FAIL", name, phase, b->metric, med,
                higher ? "at least" : "at most", limit, b->median,
                higher ? "-" : "+", b->tolerance * 100);
    }
    return failed;
}
