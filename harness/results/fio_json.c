/*
 * fio's json+ output into one phase's figures (fio_json.h).
 *
 * What fio printed is untrusted like a results file: every value is
 * checked for type and range through the results reader's helpers, the
 * sizes of arrays and objects are bounded, and a value out of range names
 * its JSON path. A job's completion-latency bins ("value in ns": count)
 * are counted at their value; fio reports percentiles from the same bins,
 * so ours agree with fio's within a bin's width (1/64 of its power of
 * two) plus our histogram's (3 significant figures).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "results/fio_json.h"
#include "results/results_priv.h"

/* fio's runtime is in ms; an hour-long phase is 3.6e6 of them. */
#define MAX_RUNTIME_MS INT64_C(1000000000)
#define MAX_COUNT (INT64_C(1) << 62)

static const char *const dir_keys[2] = {"write", "read"};

void
vmb_fio_out_fini(struct vmb_fio_out *out)
{
    if (out == NULL)
        return;
    free(out->version);
    free(out->notes);
    for (int d = 0; d < 2; d++)
        vmb_hist_fini(&out->dir[d].clat);
    memset(out, 0, sizeof(*out));
}

/* A required integer member; a missing one is a bad field. */
static int64_t
need_int(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
         const char *key, int64_t max)
{
    int64_t v = 0;
    if (vmb_res_member(o, key) == NULL)
        vmb_res_bad(c, pfx, key, "missing");
    else
        vmb_res_int(c, o, pfx, key, 0, max, &v);
    return v;
}

static double
need_num(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
         const char *key)
{
    if (vmb_res_member(o, key) == NULL) {
        vmb_res_bad(c, pfx, key, "missing");
        return 0;
    }
    double v = vmb_res_num(c, o, pfx, key, VMB_RES_NONNEG);
    return isnan(v) ? 0 : v;
}

/* Adds v to a total (over bins, over fio's jobs) kept at most MAX_COUNT:
 * past it the sum would wrap, and a wrapped sum can match any check. */
static bool
add_count(struct vmb_res_ctx *c, const char *pfx, const char *key,
          uint64_t *total, int64_t v)
{
    if ((uint64_t)v > (uint64_t)MAX_COUNT - *total) {
        vmb_res_bad(c, pfx, key, "the sum passes %" PRId64, MAX_COUNT);
        return false;
    }
    *total += (uint64_t)v;
    return true;
}

/* clat_ns.bins into d->clat: keys are latencies in ns, values counts. */
static void
read_bins(struct vmb_res_ctx *c, struct json_object *clat, const char *pfx,
          struct vmb_fio_dir *d)
{
    int64_t n = need_int(c, clat, pfx, "N", MAX_COUNT);
    if (!add_count(c, pfx, "N", &d->clat_n, n))
        return;
    struct json_object *bins = vmb_res_member(clat, "bins");
    if (n == 0 && bins == NULL)
        return; /* fio leaves the bins out of a direction with no I/O */
    bins = vmb_res_obj(c, clat, pfx, "bins");
    if (bins == NULL) {
        vmb_res_bad(c, pfx, "bins",
                    "missing (run fio with --output-format=json+)");
        return;
    }
    if (json_object_object_length(bins) > VMB_FIO_MAX_BINS) {
        vmb_res_bad(c, pfx, "bins", "more than %d bins", VMB_FIO_MAX_BINS);
        return;
    }
    autofree char *bpfx = vmb_xasprintf("%s.bins", pfx);
    uint64_t sum = 0;
    json_object_object_foreach(bins, key, val)
    {
        char *end = NULL;
        errno = 0;
        unsigned long long ns = strtoull(key, &end, 10);
        if (key[0] < '0' || key[0] > '9' || *end != '\0' || errno != 0) {
            vmb_res_bad(c, bpfx, NULL, "key \"%.40s\" is not a latency", key);
            return;
        }
        int64_t count = 0;
        if (!vmb_res_int(c, bins, bpfx, key, 0, MAX_COUNT, &count) ||
            !add_count(c, bpfx, key, &sum, count))
            return;
        /* A latency past the histogram's top (an hour) counts at it. */
        int64_t v = ns > (unsigned long long)d->clat.highest ? d->clat.highest
                                                             : (int64_t)ns;
        vmb_hist_record_n(&d->clat, v, (uint64_t)count);
    }
    if (sum != (uint64_t)n)
        vmb_res_bad(c, pfx, "bins",
                    "hold %" PRIu64 " latencies where N says %" PRId64, sum, n);
}

static void
read_dir(struct vmb_res_ctx *c, struct json_object *job, const char *jpfx,
         int k, struct vmb_fio_dir *d)
{
    autofree char *pfx = vmb_xasprintf("%s.%s", jpfx, dir_keys[k]);
    struct json_object *o = vmb_res_obj(c, job, jpfx, dir_keys[k]);
    if (o == NULL) {
        vmb_res_bad(c, jpfx, dir_keys[k], "missing");
        return;
    }
    int64_t ios = need_int(c, o, pfx, "total_ios", MAX_COUNT);
    add_count(c, pfx, "total_ios", &d->ios, ios);
    add_count(c, pfx, "io_bytes", &d->bytes,
              need_int(c, o, pfx, "io_bytes", MAX_COUNT));
    d->iops += need_num(c, o, pfx, "iops");
    d->bw_bytes_per_s += (double)need_int(c, o, pfx, "bw_bytes", MAX_COUNT);
    double rt = (double)need_int(c, o, pfx, "runtime", MAX_RUNTIME_MS) / 1e3;
    if (ios > 0) {
        d->present = true;
        if (rt > d->runtime_s)
            d->runtime_s = rt;
    }
    autofree char *cpfx = vmb_xasprintf("%s.clat_ns", pfx);
    struct json_object *clat = vmb_res_obj(c, o, pfx, "clat_ns");
    if (clat == NULL)
        vmb_res_bad(c, pfx, "clat_ns", "missing");
    else
        read_bins(c, clat, cpfx, d);
}

/* One element of "jobs"; fails the whole read when the job failed. */
static int
read_job(struct vmb_res_ctx *c, struct json_object *job, size_t i,
         struct vmb_fio_out *out, struct vmb_error **err)
{
    autofree char *pfx = vmb_xasprintf("jobs[%zu]", i);
    if (!json_object_is_type(job, json_type_object)) {
        vmb_res_bad(c, pfx, NULL, "expected an object");
        return 0;
    }
    autofree char *name = vmb_res_str(c, job, pfx, "jobname");
    int64_t error = need_int(c, job, pfx, "error", INT32_MAX);
    if (c->err == NULL && error != 0) {
        autofree char *safe = vmb_term_safe(name ? name : "?");
        return vmb_error_set(err, VMB_ERR_RUN, (int)error,
                             "%s: fio job \"%.64s\" failed (error %" PRId64 ")",
                             c->path, safe, error);
    }
    for (int k = 0; k < 2; k++)
        read_dir(c, job, pfx, k, &out->dir[k]);
    int64_t total_err = 0, first = 0;
    vmb_res_int(c, job, pfx, "total_err", 0, MAX_COUNT, &total_err);
    vmb_res_int(c, job, pfx, "first_error", 0, 4095, &first);
    out->errors += (uint64_t)total_err;
    if (out->first_errno == 0)
        out->first_errno = (int)first;
    return 0;
}

/* Where fio's JSON begins: the first line that starts with '{'. */
static size_t
json_start(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '{' && (i == 0 || text[i - 1] == '\n'))
            return i;
    }
    return len;
}

static int
parse_object(const char *name, const char *text, size_t len,
             struct json_object **out, struct vmb_error **err)
{
    size_t at0 = json_start(text, len);
    if (at0 == len) {
        autofree char *head = vmb_xstrndup(text, len < 200 ? len : 200);
        autofree char *safe = vmb_term_safe(head);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: fio printed no JSON: \"%s\"", name, safe);
    }
    const char *json = text + at0;
    size_t jlen = len - at0, at = 0;
    struct json_object *o = NULL;
    const char *why = NULL;
    if (vmb_res_parse_json(json, jlen, &o, &why, &at) == 0 &&
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        why = "not a JSON object";
    }
    if (why != NULL) {
        int line = 1;
        for (size_t i = 0; i < at0 + at && i < len; i++)
            line += text[i] == '\n';
        return vmb_error_set(err, VMB_ERR_RUN, 0, "%s:%d: malformed JSON: %s",
                             name, line, why);
    }
    *out = o;
    return 0;
}

int
vmb_fio_out_parse(const char *name, const char *text, size_t len,
                  struct vmb_fio_out *out, struct vmb_error **err)
{
    memset(out, 0, sizeof(*out));
    for (int k = 0; k < 2; k++)
        vmb_hist_init(&out->dir[k].clat, 1, INT64_C(3600000000000), 3, NULL);
    struct json_object *o = NULL;
    if (parse_object(name, text, len, &o, err) < 0)
        return -1;
    size_t at0 = json_start(text, len);
    if (at0 > 0)
        out->notes = vmb_xstrndup(text, at0 < 4096 ? at0 : 4096);
    struct vmb_res_ctx c = {.path = name};
    int rc = 0;
    out->version = vmb_res_str(&c, o, NULL, "fio version");
    struct json_object *jobs = vmb_res_arr(&c, o, NULL, "jobs");
    if (jobs == NULL)
        vmb_res_bad(&c, NULL, "jobs", "missing");
    size_t n = jobs ? json_object_array_length(jobs) : 0;
    if (jobs != NULL && (n == 0 || n > VMB_FIO_MAX_JOBS))
        vmb_res_bad(&c, NULL, "jobs", "%zu jobs, expected 1 to %d", n,
                    VMB_FIO_MAX_JOBS);
    for (size_t i = 0; c.err == NULL && rc == 0 && i < n; i++)
        rc = read_job(&c, json_object_array_get_idx(jobs, i), i, out, err);
    out->njobs = n;
    json_object_put(o);
    if (rc < 0)
        return -1;
    if (c.err != NULL) {
        c.err->kind = VMB_ERR_RUN;
        *err = c.err;
        return -1;
    }
    return 0;
}

struct vmb_load_result *
vmb_fio_out_result(const struct vmb_fio_out *out, int index, int op,
                   uint64_t measure_start_ns)
{
    struct vmb_load_measured m = {
        .index = index,
        .op = op,
        .measure_start_ns = measure_start_ns,
        .io_errors = out->errors,
        .first_errno = out->first_errno,
    };
    for (int k = 0; k < 2; k++) {
        /* dir[] is indexed by VMB_OP_WRITE and VMB_OP_READ, as m's. */
        const struct vmb_fio_dir *dir = &out->dir[k];
        m.has[k] = dir->present;
        m.ops[k] = dir->ios;
        m.lat[k] = &dir->clat;
        if (dir->runtime_s > m.duration_s)
            m.duration_s = dir->runtime_s;
    }
    return vmb_load_result_measured(&m);
}
