#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/util.h"
#include "report/report_priv.h"

/* Ten significant digits; empty when the value is absent. */
static char *
fmt_num(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("");
    return vmb_xasprintf("%.10g", v);
}

static char *
fmt_reps(size_t r)
{
    if (r == SIZE_MAX)
        return vmb_xasprintf("more than %d", VMB_STATS_MAX_REPS);
    if (r == 0)
        return vmb_xstrdup("");
    return vmb_xasprintf("%zu", r);
}

/*
 * RFC 4180: quoted when it holds a separator, a quote, a line break or
 * edge spaces (which spreadsheets trim); quotes doubled inside.
 */
static void
csv_field(struct vmb_buf *b, const char *s)
{
    if (s == NULL)
        s = "";
    /* A spreadsheet runs a cell that starts like a formula; a leading
     * quote keeps a label from a results file a label. */
    if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
        vmb_buf_puts(b, "'");
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (s[0] && (s[0] == ' ' || s[strlen(s) - 1] == ' '));
    if (!quote) {
        vmb_buf_puts(b, s);
        return;
    }
    vmb_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"')
            vmb_buf_puts(b, "\"");
        vmb_buf_append(b, s, 1);
    }
    vmb_buf_puts(b, "\"");
}

static void
csv_num(struct vmb_buf *b, double v)
{
    autofree char *s = fmt_num(v);
    vmb_buf_puts(b, s);
}

/* Config columns: every option any cell has, in first-seen order. */
static char **
config_columns(const struct vmb_model *m, size_t *n)
{
    char **cols = NULL;
    *n = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->noptions; k++) {
            bool seen = false;
            for (size_t j = 0; j < *n && !seen; j++)
                seen = strcmp(cols[j], c->options[k].key) == 0;
            if (seen)
                continue;
            cols = vmb_xrealloc(cols, (*n + 1) * sizeof(*cols));
            cols[(*n)++] = c->options[k].key;
        }
    }
    return cols;
}

static char *
flag_reasons(const struct vmb_model *m, const struct vmb_flag *f)
{
    struct vmb_buf b = {0};
    if (f->reasons & VMB_FLAG_OVERLAP)
        vmb_buf_printf(&b, "overlaps %s", vmb_model_label(m, f->neighbour));
    if (f->reasons & VMB_FLAG_NOISY)
        vmb_buf_printf(&b, "%snoisy", b.len ? "; " : "");
    if (f->reasons & VMB_FLAG_FEW)
        vmb_buf_printf(&b, "%sone repetition", b.len ? "; " : "");
    return vmb_buf_steal(&b);
}

/* The ratio and flag columns; se is NULL for boot rows. */
static void
csv_compare(struct vmb_buf *b, const struct vmb_model *m,
            const struct vmb_model_series *se)
{
    if (se == NULL) {
        vmb_buf_puts(b, ",,,,,");
        return;
    }
    csv_num(b, se->ratio);
    vmb_buf_puts(b, ",");
    csv_num(b, se->ratio_ci.lo);
    vmb_buf_puts(b, ",");
    csv_num(b, se->ratio_ci.hi);
    vmb_buf_puts(b, ",");
    if (!se->flagged_metric) {
        vmb_buf_puts(b, ",,");
        return;
    }
    autofree char *why = flag_reasons(m, &se->flag);
    autofree char *reps = fmt_reps(se->flag.reps_needed);
    vmb_buf_puts(b, se->flag.reasons ? "yes," : "no,");
    csv_field(b, why);
    vmb_buf_puts(b, ",");
    csv_field(b, reps);
}

/* One row; tenant is "" for a row about the whole cell. */
static void
csv_row(struct vmb_buf *b, const struct vmb_model *m, size_t row,
        const char *phase, const char *metric, const char *unit,
        const struct vmb_summary *s, const struct vmb_model_series *se,
        const char *tenant, char **cols, size_t ncols)
{
    const struct vmb_res_cell *c = m->rows[row].cell;
    const struct vmb_res_cell *ctl =
        m->rows[row].control_row == SIZE_MAX
            ? NULL
            : m->rows[m->rows[row].control_row].cell;
    csv_field(b, c->id);
    vmb_buf_puts(b, ",");
    csv_field(b, c->control ? "baremetal" : "vm");
    vmb_buf_puts(b, ",");
    csv_field(b, c->label);
    vmb_buf_puts(b, ",");
    csv_field(b, ctl ? ctl->id : "");
    vmb_buf_puts(b, ",");
    csv_field(b, phase);
    vmb_buf_puts(b, ",");
    csv_field(b, metric);
    vmb_buf_puts(b, ",");
    csv_field(b, unit);
    vmb_buf_printf(b, ",%zu,", s->n);
    const double nums[] = {s->median, s->ci.lo, s->ci.hi, s->mean,
                           s->stddev, s->cv,    s->min,   s->max};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        csv_num(b, nums[i]);
        vmb_buf_puts(b, ",");
    }
    csv_compare(b, m, se);
    vmb_buf_puts(b, ",");
    csv_field(b, tenant);
    for (size_t i = 0; i < ncols; i++) {
        vmb_buf_puts(b, ",");
        csv_field(b, vmb_res_cell_option(c, cols[i]));
    }
    vmb_buf_puts(b, "\n");
}

/*
 * The rows of runs with several tenants: each phase's scaling efficiency
 * against the cell's tenants: 1 twin (about the whole cell), and each
 * tenant's op rate, latency and errors (the tenant column says whose).
 */
static void
tenant_rows(struct vmb_buf *b, const struct vmb_model *m, char **cols,
            size_t ncols)
{
    static const int per_tenant[] = {
        VMB_METRIC_OPRATE, VMB_METRIC_P50,    VMB_METRIC_P95,
        VMB_METRIC_P99,    VMB_METRIC_P999,   VMB_METRIC_MEAN,
        VMB_METRIC_MAX,    VMB_METRIC_ERRORS, VMB_METRIC_HOST_MEM_PER_TENANT,
    };
    const struct vmb_metric *se = &vmb_metrics[VMB_METRIC_SCALING_EFFICIENCY];
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->nrows; i++) {
            struct vmb_summary s;
            if (vmb_model_scaling(m, p, i, &s))
                csv_row(b, m, i, m->phases[p].name, se->name, se->unit, &s,
                        NULL, "", cols, ncols);
            int64_t nt = vmb_model_tenants(m, i);
            const struct vmb_res_cell *c = m->rows[i].cell;
            autofree double *v =
                vmb_xcalloc(c->nreps ? c->nreps : 1, sizeof(*v));
            for (int64_t t = 0; nt > 1 && t < nt; t++)
                for (size_t k = 0; k < VMB_NELEMS(per_tenant); k++) {
                    const struct vmb_metric *mt = &vmb_metrics[per_tenant[k]];
                    size_t n = vmb_model_tenant_values(
                        m, p, i, (size_t)t, per_tenant[k], v, c->nreps);
                    if (n == 0)
                        continue;
                    autofree char *key =
                        vmb_xasprintf("%s/%s/tenant%" PRId64 "/%s", c->id,
                                      m->phases[p].name, t + 1, mt->name);
                    vmb_stats_summarise(v, n, vmb_stats_seed_for(m->seed, key),
                                        &s);
                    char tn[24];
                    snprintf(tn, sizeof(tn), "%" PRId64, t + 1);
                    csv_row(b, m, i, m->phases[p].name, mt->name, mt->unit, &s,
                            NULL, tn, cols, ncols);
                }
        }
}

int
vmb_summary_csv_write(const struct vmb_model *m, const char *dir,
                      struct vmb_error **err)
{
    struct vmb_buf b = {0};
    size_t ncols;
    autofree char **cols = config_columns(m, &ncols);
    vmb_buf_puts(&b, "cell_id,kind,label,control_id,phase,metric,unit,n,"
                     "median,ci_low,ci_high,mean,stddev,cv,min,max,"
                     "ratio_to_control,ratio_ci_low,ratio_ci_high,flagged,"
                     "flag_reason,reps_needed,tenant");
    for (size_t i = 0; i < ncols; i++) {
        vmb_buf_puts(&b, ",");
        csv_field(&b, cols[i]);
    }
    vmb_buf_puts(&b, "\n");
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->nrows; i++)
            for (int k = 0; k < (int)vmb_nmetrics; k++) {
                const struct vmb_model_series *s = vmb_model_series(m, p, i, k);
                if (!(vmb_metrics[k].where & VMB_IN_PHASES) || s->s.n == 0)
                    continue;
                csv_row(&b, m, i, m->phases[p].name, vmb_metrics[k].name,
                        vmb_metrics[k].unit, &s->s, s, "", cols, ncols);
            }
    tenant_rows(&b, m, cols, ncols);
    for (size_t i = 0; i < m->nrows; i++)
        for (int k = 0; k < (int)vmb_nmetrics; k++) {
            const struct vmb_model_series *s = vmb_model_probe(m, i, k);
            if (vmb_metrics[k].where != VMB_IN_PROBE || s->s.n == 0)
                continue;
            csv_row(&b, m, i, "probe", vmb_metrics[k].name, vmb_metrics[k].unit,
                    &s->s, s, "", cols, ncols);
        }
    for (size_t i = 0; i < m->ncells; i++)
        for (int k = 0; k < (int)vmb_nmetrics; k++) {
            const struct vmb_summary *s = vmb_model_boot(m, i, k);
            if (vmb_metrics[k].where != VMB_IN_BOOT || s->n == 0)
                continue;
            csv_row(&b, m, i, "boot", vmb_metrics[k].name, vmb_metrics[k].unit,
                    s, NULL, "", cols, ncols);
        }
    autofree char *path = vmb_xasprintf("%s/summary.csv", dir);
    int rc = vmb_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    vmb_buf_free(&b);
    return rc;
}
