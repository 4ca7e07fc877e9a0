#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "load/load_priv.h"

static const char *const kind_names[VMB_LOAD_NKIND] = {"write", "read"};

/* In the order of enum vmb_load_err_class. The names live with the
 * result, which prints them; the engine only counts by class. */
static const char *const err_class_names[VMB_LOAD_NERR] = {
    "connect", "io", "timeout", "server", "protocol"};

const char *
vmb_load_err_class_name(int cls)
{
    return cls >= 0 && cls < VMB_LOAD_NERR ? err_class_names[cls] : "?";
}

/* In the order of enum vmb_load_end. */
static const char *const end_names[VMB_LOAD_NEND] = {
    "done", "interrupted", "deadline", "stall", "unreachable"};

const char *
vmb_load_end_name(int end)
{
    return end >= 0 && end < VMB_LOAD_NEND ? end_names[end] : "?";
}

struct vmb_load_result *
vmb_load_result_new(int index, int op)
{
    struct vmb_load_result *r = vmb_xcalloc(1, sizeof(*r));
    r->index = index;
    r->op = op;
    snprintf(r->name, sizeof(r->name), "%d-%s", index, vmb_op_name(op));
    struct vmb_hist *all[] = {&r->lat[0], &r->lat[1], &r->lat_all,
                              &r->unc[0], &r->unc[1], &r->unc_all};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        vmb_hist_init(all[i], VMB_LOAD_HIST_LOWEST, VMB_LOAD_HIST_HIGHEST,
                      VMB_LOAD_HIST_SIGFIGS, NULL);
    return r;
}

void
vmb_load_result_free(struct vmb_load_result *r)
{
    if (r == NULL)
        return;
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        vmb_hist_fini(&r->lat[k]);
        vmb_hist_fini(&r->unc[k]);
    }
    vmb_hist_fini(&r->lat_all);
    vmb_hist_fini(&r->unc_all);
    for (size_t t = 0; t < r->ntenants; t++)
        vmb_load_result_free(r->tenant[t]);
    free(r->tenant);
    free(r->series);
    free(r->server_error);
    free(r);
}

uint64_t
vmb_load_result_ops(const struct vmb_load_result *r)
{
    uint64_t n = 0;
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        n += r->ops_kind[k];
    return n;
}

uint64_t
vmb_load_result_ops_of(const struct vmb_load_result *r, int op)
{
    if (op == VMB_OP_WRITE)
        return r->ops_kind[0];
    if (op == VMB_OP_READ)
        return r->ops_kind[1];
    return 0;
}

double
vmb_load_result_duration_s(const struct vmb_load_result *r)
{
    return r->duration_s;
}

uint64_t
vmb_load_result_measure_start_ns(const struct vmb_load_result *r)
{
    return r->measure_start_ns;
}

double
vmb_load_result_op_rate(const struct vmb_load_result *r)
{
    return r->duration_s > 0 ? (double)vmb_load_result_ops(r) / r->duration_s
                             : 0.0;
}

uint64_t
vmb_load_result_errors(const struct vmb_load_result *r)
{
    uint64_t n = 0;
    for (int c = 0; c < VMB_LOAD_NERR; c++)
        n += r->errors[c];
    return n;
}

uint64_t
vmb_load_result_errors_by_class(const struct vmb_load_result *r, int cls)
{
    return cls >= 0 && cls < VMB_LOAD_NERR ? r->errors[cls] : 0;
}

int
vmb_load_result_first_errno(const struct vmb_load_result *r, int cls)
{
    return cls >= 0 && cls < VMB_LOAD_NERR ? r->first_errno[cls] : 0;
}

uint64_t
vmb_load_result_sqlstate_errors(const struct vmb_load_result *r,
                                const char *sqlstate)
{
    for (int i = 0; i < VMB_LOAD_NSQLSTATE && r->sqlstates[i].code[0]; i++)
        if (strcmp(r->sqlstates[i].code, sqlstate) == 0)
            return r->sqlstates[i].n;
    return 0;
}

const char *
vmb_load_result_server_error(const struct vmb_load_result *r)
{
    return r->server_error;
}

uint64_t
vmb_load_result_misses(const struct vmb_load_result *r)
{
    return r->misses;
}

bool
vmb_load_result_interrupted(const struct vmb_load_result *r)
{
    return r->interrupted;
}

int
vmb_load_result_ended_by(const struct vmb_load_result *r)
{
    return r->ended_by;
}

const char *
vmb_load_result_end_text(const struct vmb_load_result *r)
{
    return r->end_text[0] ? r->end_text : NULL;
}

double
vmb_load_result_latency_us(const struct vmb_load_result *r, double p,
                           bool uncorrected)
{
    const struct vmb_hist *h = uncorrected ? &r->unc_all : &r->lat_all;
    return (double)vmb_hist_value_at_percentile(h, p) / 1000.0;
}

size_t
vmb_load_result_nseconds(const struct vmb_load_result *r)
{
    return r->nseries;
}

uint64_t
vmb_load_result_second_ops(const struct vmb_load_result *r, size_t i)
{
    return i < r->nseries ? r->series[i].ops : 0;
}

double
vmb_load_jain(const double *x, size_t n)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        sq += x[i] * x[i];
    }
    if (n == 0 || sq <= 0)
        return NAN;
    return sum * sum / ((double)n * sq);
}

size_t
vmb_load_result_ntenants(const struct vmb_load_result *r)
{
    return r->ntenants;
}

const struct vmb_load_result *
vmb_load_result_tenant(const struct vmb_load_result *r, size_t t)
{
    return t < r->ntenants ? r->tenant[t] : NULL;
}

const char *
vmb_load_result_phase_name(const struct vmb_load_result *r)
{
    return r->name;
}

/* Numbers with at most three decimals and no trailing zeros: "950.123",
 * "49900.2", "12". */
static void
format_num(char *buf, size_t len, double v)
{
    if (!isfinite(v))
        v = 0;
    snprintf(buf, len, "%.3f", v);
    char *dot = strchr(buf, '.');
    if (dot == NULL)
        return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

static void
jw_num(struct vmb_jw *w, double v)
{
    char buf[64];
    format_num(buf, sizeof(buf), v);
    vmb_jw_raw(w, buf);
}

static void
jw_knum(struct vmb_jw *w, const char *k, double v)
{
    vmb_jw_key(w, k);
    jw_num(w, v);
}

static double
us(int64_t ns)
{
    return (double)ns / 1000.0;
}

static void
latency_object(struct vmb_jw *w, const struct vmb_hist *h)
{
    vmb_jw_obj_begin(w);
    jw_knum(w, "mean", vmb_hist_mean(h) / 1000.0);
    jw_knum(w, "p50", us(vmb_hist_value_at_percentile(h, 50)));
    jw_knum(w, "p95", us(vmb_hist_value_at_percentile(h, 95)));
    jw_knum(w, "p99", us(vmb_hist_value_at_percentile(h, 99)));
    jw_knum(w, "p99.9", us(vmb_hist_value_at_percentile(h, 99.9)));
    jw_knum(w, "max", us(vmb_hist_max(h)));
    vmb_jw_obj_end(w);
}

/* A capacity phase's search: null when no step passed. */
static void
capacity_json(struct vmb_jw *w, const struct vmb_load_result *r)
{
    vmb_jw_key(w, "capacity");
    if (r->capacity > 0)
        jw_num(w, r->capacity);
    else
        vmb_jw_null(w);
    jw_knum(w, "capacity_percentile", r->cap_percentile);
    vmb_jw_kuint(w, "capacity_limit_us", r->cap_limit_us);
    vmb_jw_key(w, "capacity_steps");
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < r->cap_nsteps; i++) {
        const struct vmb_load_capacity_step *st = &r->cap_steps[i];
        vmb_jw_obj_begin(w);
        jw_knum(w, "rate", st->rate_per_s);
        jw_knum(w, "achieved", st->achieved_per_s);
        jw_knum(w, "latency_us", st->latency_us);
        vmb_jw_kbool(w, "ok", st->ok);
        vmb_jw_key(w, "failed_by");
        vmb_jw_arr_begin(w);
        for (int k = 0; k < VMB_LOAD_CAP_NREASONS; k++)
            if (st->failed_by & (1u << k))
                vmb_jw_str(w, vmb_load_cap_reason_name(k));
        vmb_jw_arr_end(w);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
}

/*
 * Several tenants: each one's figures, and the aggregates over them (the
 * whole phase's op_rate is already their sum, its latency the merged
 * histograms of all of them).
 */
static void
tenants_json(struct vmb_jw *w, const struct vmb_load_result *r)
{
    autofree double *rates = vmb_xcalloc(r->ntenants, sizeof(*rates));
    double lo = INFINITY, hi = 0;
    for (size_t t = 0; t < r->ntenants; t++) {
        rates[t] = vmb_load_result_op_rate(r->tenant[t]);
        lo = rates[t] < lo ? rates[t] : lo;
        hi = rates[t] > hi ? rates[t] : hi;
    }
    jw_knum(w, "aggregate_op_rate", vmb_load_result_op_rate(r));
    jw_knum(w, "tenant_min_op_rate", lo);
    jw_knum(w, "tenant_max_op_rate", hi);
    vmb_jw_key(w, "tenant_fairness");
    double j = vmb_load_jain(rates, r->ntenants);
    char jb[32];
    /* Six places: near-equal tenants are not rounded to exactly 1. */
    snprintf(jb, sizeof(jb), "%.6f", j);
    if (isnan(j))
        vmb_jw_null(w);
    else
        vmb_jw_raw(w, jb);
    vmb_jw_key(w, "tenants");
    vmb_jw_arr_begin(w);
    for (size_t t = 0; t < r->ntenants; t++) {
        const struct vmb_load_result *tr = r->tenant[t];
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, "tenant", t + 1);
        vmb_jw_kuint(w, "ops", vmb_load_result_ops(tr));
        vmb_jw_kuint(w, "errors", vmb_load_result_errors(tr));
        jw_knum(w, "duration_s", tr->duration_s);
        jw_knum(w, "op_rate", rates[t]);
        vmb_jw_key(w, "latency_us");
        latency_object(w, &tr->lat_all);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
}

void
vmb_load_result_to_json(struct vmb_jw *w, const struct vmb_load_result *r)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, "index", r->index);
    vmb_jw_kstr(w, "op", vmb_op_name(r->op));
    vmb_jw_kuint(w, "ops", vmb_load_result_ops(r));
    vmb_jw_kuint(w, "errors", vmb_load_result_errors(r));
    vmb_jw_key(w, "errors_by_class");
    vmb_jw_obj_begin(w);
    for (int c = 0; c < VMB_LOAD_NERR; c++)
        vmb_jw_kuint(w, vmb_load_err_class_name(c), r->errors[c]);
    vmb_jw_obj_end(w);
    vmb_jw_key(w, "first_errno");
    vmb_jw_obj_begin(w);
    for (int c = VMB_LOAD_ERR_CONNECT; c <= VMB_LOAD_ERR_TIMEOUT; c++)
        vmb_jw_kint(w, vmb_load_err_class_name(c), r->first_errno[c]);
    vmb_jw_obj_end(w);
    /* PostgreSQL's server errors by SQLSTATE; absent where the server
     * gives none (Redis). */
    if (r->sqlstates[0].code[0]) {
        vmb_jw_key(w, "server_errors_by_sqlstate");
        vmb_jw_obj_begin(w);
        for (int i = 0; i < VMB_LOAD_NSQLSTATE && r->sqlstates[i].code[0]; i++)
            vmb_jw_kuint(w, r->sqlstates[i].code, r->sqlstates[i].n);
        vmb_jw_obj_end(w);
    }
    vmb_jw_kuint(w, "misses", r->misses);
    jw_knum(w, "duration_s", r->duration_s);
    vmb_jw_kstr(w, "ended_by", vmb_load_end_name(r->ended_by));
    jw_knum(w, "op_rate", vmb_load_result_op_rate(r));
    vmb_jw_key(w, "op_rate_by_kind");
    vmb_jw_obj_begin(w);
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        if (r->has_kind[k])
            jw_knum(w, kind_names[k],
                    r->duration_s > 0 ? (double)r->ops_kind[k] / r->duration_s
                                      : 0);
    vmb_jw_obj_end(w);
    vmb_jw_key(w, "latency_us");
    latency_object(w, &r->lat_all);
    vmb_jw_key(w, "latency_uncorrected_us");
    if (r->open_loop)
        latency_object(w, &r->unc_all);
    else
        vmb_jw_null(w);
    vmb_jw_key(w, "latency_by_kind_us");
    vmb_jw_obj_begin(w);
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        if (r->has_kind[k]) {
            vmb_jw_key(w, kind_names[k]);
            latency_object(w, &r->lat[k]);
        }
    vmb_jw_obj_end(w);
    if (r->is_capacity)
        capacity_json(w, r);
    if (r->ntenants > 0)
        tenants_json(w, r);
    vmb_jw_key(w, "percentiles");
    vmb_jw_arr_begin(w);
    struct vmb_hist_iter it;
    vmb_hist_iter_init(&it, &r->lat_all, 5);
    while (vmb_hist_iter_next(&it)) {
        vmb_jw_arr_begin(w);
        char buf[64];
        snprintf(buf, sizeof(buf), "%.6f", it.percentile);
        char *end = buf + strlen(buf) - 1;
        while (*end == '0' && end[-1] != '.')
            *end-- = '\0';
        vmb_jw_raw(w, buf);
        jw_num(w, us(it.value));
        vmb_jw_arr_end(w);
    }
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

void
vmb_load_csv_header(struct vmb_buf *b)
{
    vmb_buf_puts(b, "phase,second,op,ops,ops_per_s,p50_us,p99_us\n");
}

void
vmb_load_result_to_csv(struct vmb_buf *b, const struct vmb_load_result *r)
{
    for (size_t i = 0; i < r->nseries; i++) {
        const struct vmb_load_sec *s = &r->series[i];
        char rate[64], p50[64], p99[64];
        format_num(rate, sizeof(rate), s->ops_per_s);
        format_num(p50, sizeof(p50), us(s->p50_ns));
        format_num(p99, sizeof(p99), us(s->p99_ns));
        vmb_buf_printf(b, "%s,%lld,%s,%llu,%s,%s,%s\n", r->name,
                       (long long)s->second, kind_names[s->kind],
                       (unsigned long long)s->ops, rate, p50, p99);
    }
}

void
vmb_load_result_to_hgrm(struct vmb_buf *b, const struct vmb_load_result *r)
{
    vmb_hist_write_hgrm(&r->lat_all, b, 1000.0, 5);
}

/* 1234567 -> "1,234,567" */
static void
group(char *buf, size_t len, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    size_t n = strlen(tmp), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
}

static void
latency_line(struct vmb_buf *b, const struct vmb_load_result *r,
             const char *label, double p, bool mean, bool uncorrected)
{
    const struct vmb_hist *all = uncorrected ? &r->unc_all : &r->lat_all;
    double v = mean ? vmb_hist_mean(all) / 1e6
                    : (double)vmb_hist_value_at_percentile(all, p) / 1e6;
    vmb_buf_printf(b, "%-28s: %10.3f ms", label, v);
    int kinds = r->has_kind[0] + r->has_kind[1];
    if (kinds > 1 || !uncorrected) {
        const char *sep = " [";
        for (int k = 0; k < VMB_LOAD_NKIND; k++) {
            if (!r->has_kind[k])
                continue;
            const struct vmb_hist *h = uncorrected ? &r->unc[k] : &r->lat[k];
            double kv = mean ? vmb_hist_mean(h) / 1e6
                             : (double)vmb_hist_value_at_percentile(h, p) / 1e6;
            vmb_buf_printf(b, "%s%s: %.3f ms", sep, kind_names[k], kv);
            sep = ", ";
        }
        vmb_buf_puts(b, "]");
    }
    vmb_buf_puts(b, "\n");
}

static void
capacity_summary(struct vmb_buf *b, const struct vmb_load_result *r)
{
    char num[40], limit[32], label[80];
    vmb_format_duration_us(r->cap_limit_us, limit, sizeof(limit));
    snprintf(label, sizeof(label), "Capacity (p%g <= %s)", r->cap_percentile,
             limit);
    if (r->capacity > 0) {
        group(num, sizeof(num), (uint64_t)llround(r->capacity));
        vmb_buf_printf(b, "%-28s: %10s op/s\n", label, num);
    } else {
        vmb_buf_printf(b, "%-28s: %10s\n", label, "none");
    }
    for (size_t i = 0; i < r->cap_nsteps; i++) {
        const struct vmb_load_capacity_step *st = &r->cap_steps[i];
        char rate[40], got[40];
        group(rate, sizeof(rate), (uint64_t)llround(st->rate_per_s));
        group(got, sizeof(got), (uint64_t)llround(st->achieved_per_s));
        vmb_buf_printf(b,
                       "  step %2zu %12s op/s offered %12s achieved "
                       "p%g %10.0f us %s",
                       i + 1, rate, got, r->cap_percentile, st->latency_us,
                       st->ok ? "ok" : "failed:");
        const char *sep = " ";
        for (int k = 0; k < VMB_LOAD_CAP_NREASONS; k++)
            if (st->failed_by & (1u << k)) {
                vmb_buf_printf(b, "%s%s", sep, vmb_load_cap_reason_text(k));
                sep = ", ";
            }
        vmb_buf_puts(b, "\n");
    }
}

void
vmb_load_result_summary(struct vmb_buf *b, const struct vmb_load_result *r)
{
    char num[40];
    vmb_buf_printf(b, "Results (%s):\n", r->name);
    group(num, sizeof(num), (uint64_t)llround(vmb_load_result_op_rate(r)));
    vmb_buf_printf(b, "%-28s: %10s op/s", "Op rate", num);
    const char *sep = " [";
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!r->has_kind[k])
            continue;
        double rate =
            r->duration_s > 0 ? (double)r->ops_kind[k] / r->duration_s : 0;
        group(num, sizeof(num), (uint64_t)llround(rate));
        vmb_buf_printf(b, "%s%s: %s op/s", sep, kind_names[k], num);
        sep = ", ";
    }
    vmb_buf_puts(b, "]\n");
    latency_line(b, r, "Latency mean", 0, true, false);
    latency_line(b, r, "Latency median", 50, false, false);
    latency_line(b, r, "Latency 95th percentile", 95, false, false);
    latency_line(b, r, "Latency 99th percentile", 99, false, false);
    latency_line(b, r, "Latency 99.9th percentile", 99.9, false, false);
    latency_line(b, r, "Latency max", 100, false, false);
    if (r->open_loop) {
        latency_line(b, r, "Uncorrected latency median", 50, false, true);
        latency_line(b, r, "Uncorrected latency 99th", 99, false, true);
        latency_line(b, r, "Uncorrected latency max", 100, false, true);
    }
    group(num, sizeof(num), vmb_load_result_ops(r));
    vmb_buf_printf(b, "%-28s: %10s\n", "Total operations", num);
    if (r->has_kind[1]) {
        group(num, sizeof(num), r->misses);
        vmb_buf_printf(b, "%-28s: %10s\n", "Misses (key not found)", num);
    }
    group(num, sizeof(num), vmb_load_result_errors(r));
    vmb_buf_printf(b, "%-28s: %10s", "Total errors", num);
    sep = " [";
    for (int c = 0; c < VMB_LOAD_NERR; c++) {
        vmb_buf_printf(b, "%s%s: %llu", sep, vmb_load_err_class_name(c),
                       (unsigned long long)r->errors[c]);
        if (c <= VMB_LOAD_ERR_TIMEOUT && r->first_errno[c])
            vmb_buf_printf(b, " (first: %s)", strerror(r->first_errno[c]));
        sep = ", ";
    }
    vmb_buf_puts(b, "]\n");
    if (r->sqlstates[0].code[0]) {
        vmb_buf_printf(b, "%-28s:", "Server errors by SQLSTATE");
        for (int i = 0; i < VMB_LOAD_NSQLSTATE && r->sqlstates[i].code[0]; i++)
            vmb_buf_printf(b, " %s: %llu", r->sqlstates[i].code,
                           (unsigned long long)r->sqlstates[i].n);
        vmb_buf_puts(b, "\n");
    }
    if (r->server_error) {
        /* The server's words, made safe for the terminal. */
        autofree char *safe = vmb_term_safe(r->server_error);
        vmb_buf_printf(b, "%-28s: \"%s\"\n", "First server error", safe);
    }
    uint64_t secs = (uint64_t)llround(r->duration_s);
    vmb_buf_printf(b, "%-28s: %02llu:%02llu:%02llu (%.3f s)%s\n",
                   "Total operation time", (unsigned long long)(secs / 3600),
                   (unsigned long long)(secs / 60 % 60),
                   (unsigned long long)(secs % 60), r->duration_s,
                   r->interrupted ? ", interrupted" : "");
    if (r->is_capacity)
        capacity_summary(b, r);
    /* Requests unanswered at a deadline or stall are in the timeouts
     * above. */
    if (r->ended_by == VMB_LOAD_END_DEADLINE ||
        r->ended_by == VMB_LOAD_END_STALL ||
        r->ended_by == VMB_LOAD_END_UNREACHABLE) {
        autofree char *safe = vmb_term_safe(r->end_text);
        vmb_buf_printf(b, "%-28s: %s\n", "Ended early", safe);
    }
}
