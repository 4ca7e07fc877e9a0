/*
 * The reader of fio's json+ output, against what the real fio (Debian's
 * fio package, scripts/setup.sh) prints for a job this test runs: reads
 * and writes apart, the latency bins in vmbench's histogram agreeing with
 * fio's own percentiles, the per-phase result's rate with fio's IOPS; and
 * the refusals: no JSON, cut JSON, a failed job, bins without json+.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/util.h"
#include "results/fio_json.h"

/* Runs a 1-second buffered 70/30 random job in a fresh directory with
 * the output format given; returns what fio printed. */
static char *
run_fio(const char *format, size_t *len)
{
    if (system("command -v fio >/dev/null") != 0)
        cr_skip_test("fio is not installed (apt-get install fio; "
                     "scripts/setup.sh installs it)");
    char dir[] = "/tmp/vmb-fio-json-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *d = vmb_xasprintf("--directory=%s", dir);
    autofree char *f = vmb_xasprintf("--output-format=%s", format);
    const char *argv[] = {"fio",
                          "--name=mixed",
                          d,
                          "--rw=randrw",
                          "--rwmixread=70",
                          "--bs=4k",
                          "--size=4m",
                          "--ioengine=psync",
                          "--runtime=1",
                          "--time_based",
                          f,
                          NULL};
    char *out = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_capture_run(argv, &out, len, &err);
    autofree char *rm = vmb_xasprintf("rm -rf %s", dir);
    cr_assert_eq(system(rm), 0);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    return out;
}

/* fio's own percentile p ("99.000000") of a direction, in ns. */
static double
fio_percentile(const char *text, const char *dir, const char *p)
{
    struct json_object *o = json_tokener_parse(text);
    cr_assert_not_null(o);
    struct json_object *jobs, *job, *d, *clat, *pct, *v;
    cr_assert(json_object_object_get_ex(o, "jobs", &jobs));
    job = json_object_array_get_idx(jobs, 0);
    cr_assert(json_object_object_get_ex(job, dir, &d));
    cr_assert(json_object_object_get_ex(d, "clat_ns", &clat));
    cr_assert(json_object_object_get_ex(clat, "percentile", &pct));
    cr_assert(json_object_object_get_ex(pct, p, &v));
    double x = json_object_get_double(v);
    json_object_put(o);
    return x;
}

static double
fio_iops(const char *text, const char *dir)
{
    struct json_object *o = json_tokener_parse(text);
    struct json_object *jobs, *d, *v;
    cr_assert(json_object_object_get_ex(o, "jobs", &jobs));
    cr_assert(
        json_object_object_get_ex(json_object_array_get_idx(jobs, 0), dir, &d));
    cr_assert(json_object_object_get_ex(d, "iops", &v));
    double x = json_object_get_double(v);
    json_object_put(o);
    return x;
}

static void
assert_near(double got, double want, double rel, const char *what)
{
    cr_assert(fabs(got - want) <= rel * want, "%s: %.1f, fio says %.1f", what,
              got, want);
}

Test(fio_json, reads_real_json_plus, .timeout = 60)
{
    size_t len = 0;
    autofree char *text = run_fio("json+", &len);
    struct vmb_fio_out out;
    struct vmb_error *err = NULL;
    int rc = vmb_fio_out_parse("fio output", text, len, &out, &err);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert(vmb_str_has_prefix(out.version, "fio-"), "%s", out.version);
    cr_assert_eq(out.njobs, 1);
    const struct vmb_fio_dir *rd = &out.dir[VMB_OP_READ];
    const struct vmb_fio_dir *wr = &out.dir[VMB_OP_WRITE];
    cr_assert(rd->present && wr->present);
    cr_assert_gt(rd->ios, 100);
    /* 70/30, kept apart */
    double share = (double)rd->ios / (double)(rd->ios + wr->ios);
    cr_assert(share > 0.6 && share < 0.8, "read share %.2f", share);
    /* every completion is in the histogram */
    cr_assert_eq(vmb_hist_count(&rd->clat), rd->ios);
    cr_assert_eq(vmb_hist_count(&wr->clat), wr->ios);
    cr_assert_eq(rd->clat_n, rd->ios);
    /* fio computes its percentiles from the same bins: ours agree within
     * our histogram's precision where the bins are dense. In the sparse
     * tail the rank rules differ by one value (ours rounds p% of the
     * count half up, as HdrHistogram does; fio takes the ceiling), which
     * can name a neighbouring bin: p99 lies between fio's p95 and
     * p99.5. */
    const char *dirs[] = {"read", "write"};
    const struct vmb_fio_dir *ds[] = {rd, wr};
    for (int i = 0; i < 2; i++) {
        const struct vmb_hist *h = &ds[i]->clat;
        assert_near((double)vmb_hist_value_at_percentile(h, 50),
                    fio_percentile(text, dirs[i], "50.000000"), 0.005, "p50");
        assert_near((double)vmb_hist_value_at_percentile(h, 90),
                    fio_percentile(text, dirs[i], "90.000000"), 0.005, "p90");
        double p99 = (double)vmb_hist_value_at_percentile(h, 99);
        cr_assert(p99 >= fio_percentile(text, dirs[i], "95.000000") &&
                      p99 <= 1.005 * fio_percentile(text, dirs[i], "99.500000"),
                  "p99 %.0f", p99);
    }
    cr_assert_gt(rd->bw_bytes_per_s, 0);
    assert_near(rd->iops, fio_iops(text, "read"), 1e-9, "iops");

    /* The per-phase result: its rate is fio's IOPS, by kind and all. */
    struct vmb_load_result *r = vmb_fio_out_result(&out, 0, VMB_OP_MIXED, 0);
    assert_near(vmb_load_result_op_rate(r),
                fio_iops(text, "read") + fio_iops(text, "write"), 0.03,
                "op rate");
    cr_assert_eq(vmb_load_result_ops_of(r, VMB_OP_READ), rd->ios);
    cr_assert_eq(vmb_load_result_ops_of(r, VMB_OP_WRITE), wr->ios);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    /* both kinds' latencies in the phase's histogram */
    int64_t max = vmb_hist_max(&rd->clat) > vmb_hist_max(&wr->clat)
                      ? vmb_hist_max(&rd->clat)
                      : vmb_hist_max(&wr->clat);
    cr_assert_float_eq(vmb_load_result_latency_us(r, 100, false),
                       (double)max / 1e3, 1e-6);
    vmb_load_result_free(r);
    vmb_fio_out_fini(&out);
}

static char *
refused(const char *text, size_t len)
{
    struct vmb_fio_out out;
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_fio_out_parse("fio output", text, len, &out, &err), 0);
    vmb_fio_out_fini(&out);
    cr_assert_not_null(err);
    cr_assert_eq(err->kind, VMB_ERR_RUN);
    char *msg = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return msg;
}

/* Replaces the first from in s by to (s is freed). */
static char *
edit(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    cr_assert_not_null(at, "no \"%s\" in fio's output", from);
    char *r =
        vmb_xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return r;
}

Test(fio_json, refuses_what_is_not_fios_json, .timeout = 60)
{
    const char *words = "fio: pid=123, err=28/file:io_u.c:1845, "
                        "func=io_u error, error=No space left on device\n";
    char *msg = refused(words, strlen(words));
    cr_assert(strstr(msg, "fio printed no JSON: \"fio: pid=123") != NULL, "%s",
              msg);
    free(msg);

    size_t len = 0;
    char *text = run_fio("json+", &len);
    msg = refused(text, len / 2);
    cr_assert(strstr(msg, "malformed JSON") != NULL, "%s", msg);
    free(msg);

    /* a job that failed: fio's errno, with the job's name */
    text = edit(text, "\"error\" : 0", "\"error\" : 28");
    msg = refused(text, strlen(text));
    cr_assert(strstr(msg, "fio job \"mixed\" failed (error 28): No space "
                          "left on device") != NULL,
              "%s", msg);
    free(msg);
    free(text);

    /* bins that do not add up to fio's count */
    text = run_fio("json+", &len);
    text = edit(text, "\"bins\" : {\n", "\"bins\" : {\n\"1\" : 5,\n");
    msg = refused(text, strlen(text));
    cr_assert(strstr(msg, ".clat_ns.bins: hold ") != NULL, "%s", msg);
    free(msg);
    free(text);

    /* bins whose counts wrap 64 bits back to fio's count: four of 2^62
     * more latencies are 2^64, which a wrapping sum does not see */
    text = run_fio("json+", &len);
    text = edit(text, "\"bins\" : {\n",
                "\"bins\" : {\n\"11\" : 4611686018427387904,\n"
                "\"12\" : 4611686018427387904,\n\"13\" : 4611686018427387904,\n"
                "\"14\" : 4611686018427387904,\n");
    msg = refused(text, strlen(text));
    cr_assert(strstr(msg, ".clat_ns.bins.1") != NULL, "%s", msg);
    cr_assert(strstr(msg, "the sum passes") != NULL, "%s", msg);
    free(msg);
    free(text);

    /* plain json has no bins */
    text = run_fio("json", &len);
    msg = refused(text, len);
    cr_assert(strstr(msg, "jobs[0].write.clat_ns.bins: missing (run fio "
                          "with --output-format=json+)") != NULL,
              "%s", msg);
    free(msg);
    free(text);
}

/* Lines fio prints before its JSON are kept, not mistaken for it. */
Test(fio_json, keeps_notes_before_the_json, .timeout = 60)
{
    size_t len = 0;
    autofree char *text = run_fio("json+", &len);
    autofree char *noted = vmb_xasprintf("note: a warning\n%s", text);
    struct vmb_fio_out out;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_fio_out_parse("fio output", noted, strlen(noted), &out, &err), 0);
    cr_assert_str_eq(out.notes, "note: a warning\n");
    vmb_fio_out_fini(&out);
    autofree char *junk = vmb_xasprintf("%s}\n", text);
    char *msg = refused(junk, strlen(junk));
    cr_assert(strstr(msg, "text after the end of the object") != NULL, "%s",
              msg);
    free(msg);
}
