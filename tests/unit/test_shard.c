/*
 * Shards (config/shard.h): parsing K/N, the partition (the same from the
 * same plan on any host, whole control groups, balanced by the plan's
 * estimate, the first control everywhere as a calibration), the plan of
 * one shard, and the command line's refusals before anything starts.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>

#include "config/matrix.h"
#include "config/plan.h"
#include "config/shard.h"
#include "results_fixture.h"

/* Arrays, not pointers: Criterion hands the cases to another process. */
struct parse_case {
    char text[32];
    int ok;
    size_t k, n;
    char says[40]; /* a phrase of the error */
};

ParameterizedTestParameters(shard, parse)
{
    static struct parse_case cases[] = {
        {"0/1", 1, 0, 1, ""},
        {"1/2", 1, 1, 2, ""},
        {"9999/10000", 1, 9999, 10000, ""},
        {"007/8", 1, 7, 8, ""},
        {"3/2", 0, 0, 0, "shard 3 of 2 does not exist"},
        {"2/2", 0, 0, 0, "counts from 0"},
        {"0/0", 0, 0, 0, "N from 1 to 10000"},
        {"x/2", 0, 0, 0, "not K/N"},
        {"/2", 0, 0, 0, "unset variable"},
        {"", 0, 0, 0, "unset variable"},
        {"1", 0, 0, 0, "not K/N"},
        {"1/", 0, 0, 0, "not K/N"},
        {"-1/2", 0, 0, 0, "not K/N"},
        {"+1/2", 0, 0, 0, "not K/N"},
        {" 1/2", 0, 0, 0, "not K/N"},
        {"1/2 ", 0, 0, 0, "not K/N"},
        {"1/2/3", 0, 0, 0, "not K/N"},
        {"0/10001", 0, 0, 0, "N from 1 to 10000"},
        {"99999999999999999999/2", 0, 0, 0, "not K/N"},
        {"0x1/2", 0, 0, 0, "not K/N"},
    };
    return cr_make_param_array(struct parse_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct parse_case *c, shard, parse)
{
    size_t k = 99, n = 99;
    struct vmb_error *err = NULL;
    int r = vmb_shard_parse(c->text, &k, &n, &err);
    if (c->ok) {
        cr_assert_eq(r, 0, "\"%s\": %s", c->text, err ? err->msg : "");
        cr_assert_eq(k, c->k);
        cr_assert_eq(n, c->n);
        return;
    }
    cr_assert_lt(r, 0, "\"%s\" was accepted", c->text);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, c->says), "\"%s\": %s", c->text,
                       err->msg);
    cr_assert_eq(k, 99, "a refused text changed the output");
    vmb_error_free(err);
}

Test(shard, parse_count)
{
    size_t n = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_shards_parse_count("24", &n, &err), 0);
    cr_assert_eq(n, 24);
    const char *bad[] = {"0", "", "x", "-2", "10001", "2 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_lt(vmb_shards_parse_count(bad[i], &n, &err), 0, "%s", bad[i]);
        vmb_error_free(err);
        err = NULL;
    }
}

/* Five control groups of different sizes (vcpus 1..4 with two storages,
 * and vcpus 8 with one), and a seed picked afresh at every plan. */
static const char matrix_text[] = "name: shards\n"
                                  "repetitions: 3\n"
                                  "order: random\n"
                                  "control:\n"
                                  "  baremetal: true\n"
                                  "matrix:\n"
                                  "  vcpus: [1, 2, 3, 4, 8]\n"
                                  "  storage: [shared, local]\n"
                                  "exclude:\n"
                                  "  - { vcpus: 8, storage: local }\n";

static struct vmb_matrix *
load(const char *text)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_matrix_load_buffer("shards.yaml", text, strlen(text), &m, &err);
    cr_assert_eq(r, 0, "%s", err ? err->msg : "");
    return m;
}

static struct vmb_shards *
split(const struct vmb_matrix *m, size_t n)
{
    struct vmb_shards *s = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_shards_build(m, n, &s, &err), 0, "%s",
                 err ? err->msg : "");
    return s;
}

/* Two hosts load the same file: their plans differ in seed (random
 * order, seed 0), not in identity, and the shards are the same. */
Test(shard, same_plan_same_shards_on_every_host)
{
    struct vmb_matrix *a = load(matrix_text), *b = load(matrix_text);
    struct vmb_plan *pa = NULL, *pb = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_plan_build(a, &pa, &err), 0);
    cr_assert_eq(vmb_plan_build(b, &pb, &err), 0);
    cr_assert_str_eq(pa->id, pb->id);
    for (size_t n = 1; n <= 7; n++) {
        struct vmb_shards *sa = split(a, n), *sb = split(b, n);
        cr_assert_eq(
            memcmp(sa->cell_shard, sb->cell_shard, a->ncells * sizeof(size_t)),
            0, "n=%zu", n);
        cr_assert_eq(memcmp(sa->control_shard, sb->control_shard,
                            a->ncontrols * sizeof(size_t)),
                     0, "n=%zu", n);
        vmb_shards_free(sa);
        vmb_shards_free(sb);
    }
    vmb_plan_free(pa);
    vmb_plan_free(pb);
    vmb_matrix_free(a);
    vmb_matrix_free(b);
}

/* Another matrix is another plan. */
Test(shard, plan_id_changes_with_the_matrix)
{
    struct vmb_matrix *a = load(matrix_text);
    char *other = vmb_xstrdup(matrix_text);
    *strstr(other, "repetitions: 3") = '\0';
    char *text = vmb_xasprintf("%srepetitions: 2%s", other,
                               strstr(matrix_text, "repetitions: 3") + 14);
    struct vmb_matrix *b = load(text);
    struct vmb_plan *pa = NULL, *pb = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_plan_build(a, &pa, &err), 0);
    cr_assert_eq(vmb_plan_build(b, &pb, &err), 0);
    cr_assert_str_neq(pa->id, pb->id);
    vmb_plan_free(pa);
    vmb_plan_free(pb);
    vmb_matrix_free(a);
    vmb_matrix_free(b);
    free(other);
    free(text);
}

/* Every VM cell is on its control's shard; every control is owned by one
 * shard; the first control runs on all, as calibration on all but its
 * owner; every cell is on exactly one shard. */
Test(shard, whole_groups_and_calibration)
{
    struct vmb_matrix *m = load(matrix_text);
    cr_assert_eq(m->ncontrols, 5);
    for (size_t n = 1; n <= 8; n++) {
        struct vmb_shards *s = split(m, n);
        for (size_t i = 0; i < m->ncells; i++) {
            size_t ctl = m->cells[i].control;
            cr_assert_neq(ctl, SIZE_MAX);
            cr_assert_eq(s->cell_shard[i], s->control_shard[ctl]);
            size_t on = 0;
            for (size_t k = 0; k < n; k++)
                on += vmb_shards_runs(s, m, k, &m->cells[i]);
            cr_assert_eq(on, 1);
        }
        for (size_t k = 0; k < n; k++) {
            cr_assert(vmb_shards_runs(s, m, k, &m->controls[0]));
            cr_assert_eq(vmb_shards_is_calibration(s, m, k, &m->controls[0]),
                         k != s->control_shard[0]);
            for (size_t i = 1; i < m->ncontrols; i++) {
                cr_assert_eq(vmb_shards_runs(s, m, k, &m->controls[i]),
                             s->control_shard[i] == k);
                cr_assert_not(
                    vmb_shards_is_calibration(s, m, k, &m->controls[i]));
            }
        }
        vmb_shards_free(s);
    }
    vmb_matrix_free(m);
}

/* Largest group first to the least loaded shard: no shard exceeds the
 * lightest by more than the heaviest group; the runs add up. */
Test(shard, balanced_by_the_estimate)
{
    struct vmb_matrix *m = load(matrix_text);
    struct vmb_plan *p = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_plan_build(m, &p, &err), 0);
    double reps = (double)m->base.top.repetitions;
    double heaviest = 0;
    for (size_t g = 0; g < m->ncontrols; g++) {
        double w = reps * vmb_plan_estimate_run(&m->controls[g]);
        for (size_t i = 0; i < m->ncells; i++)
            if (m->cells[i].control == g)
                w += reps * vmb_plan_estimate_run(&m->cells[i]);
        if (w > heaviest)
            heaviest = w;
    }
    for (size_t n = 2; n <= 5; n++) {
        struct vmb_shards *s = split(m, n);
        double lo = INFINITY, hi = 0, sum = 0, calib = 0;
        size_t runs = 0;
        for (size_t k = 0; k < n; k++) {
            lo = fmin(lo, s->estimate_s[k]);
            hi = fmax(hi, s->estimate_s[k]);
            sum += s->estimate_s[k];
            runs += s->nruns[k];
            /* The shard's own plan says the same. */
            struct vmb_plan *q = NULL;
            cr_assert_eq(vmb_plan_build(m, &q, &err), 0);
            vmb_plan_restrict(q, m, s, k);
            cr_assert_eq(q->nruns, s->nruns[k], "n=%zu k=%zu", n, k);
            cr_assert_float_eq(q->estimate_s, s->estimate_s[k], 1e-6);
            vmb_plan_free(q);
        }
        calib = (double)(n - 1) * reps * vmb_plan_estimate_run(&m->controls[0]);
        cr_assert_leq(hi - lo, heaviest, "n=%zu: %.0f..%.0f", n, lo, hi);
        cr_assert_float_eq(sum, p->estimate_s + calib, 1e-6);
        cr_assert_eq(runs, p->nruns + (n - 1) * (size_t)reps);
        vmb_shards_free(s);
    }
    /* Five groups on five shards: one each. */
    struct vmb_shards *s = split(m, 5);
    for (size_t i = 0; i < m->ncontrols; i++)
        for (size_t j = i + 1; j < m->ncontrols; j++)
            cr_assert_neq(s->control_shard[i], s->control_shard[j]);
    vmb_shards_free(s);
    vmb_plan_free(p);
    vmb_matrix_free(m);
}

/* More shards than groups: the extra ones run only the calibration. */
Test(shard, more_shards_than_groups)
{
    struct vmb_matrix *m = load(matrix_text);
    struct vmb_shards *s = split(m, 8);
    size_t calib_only = 0;
    for (size_t k = 0; k < 8; k++)
        calib_only += s->nruns[k] == (size_t)m->base.top.repetitions &&
                      s->control_shard[0] != k;
    cr_assert_geq(calib_only, 3);
    vmb_shards_free(s);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_shards_build(m, 0, &s, &err), 0);
    vmb_error_free(err);
    vmb_matrix_free(m);
}

/* ---- the command line ---- */

#define MATRIX VMB_TEST_DATA "/data/run-baremetal.yaml"

static struct cmd_result
vmbench(const char *const *args)
{
    return run_vmbench("/tmp", args);
}

/* Bad K/N: exit 2 and nothing created, for run, plan and dry runs. */
Test(shard, bad_shard_is_exit_2_before_anything, .timeout = 60)
{
    const char *bad[] = {"3/2", "0/0", "x/2", "/2", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[] = "/tmp/vmb-shard-out-XXXXXX";
        cr_assert_not_null(mkdtemp(out));
        rmdir(out);
        const char *run[] = {"run", MATRIX,    "--only", "baremetal", "--out",
                             out,   "--shard", bad[i],   NULL};
        struct cmd_result r = vmbench(run);
        cr_expect_eq(r.status, 2, "\"%s\": %s", bad[i], r.err);
        cr_expect_not_null(strstr(r.err, "--shard"), "%s", r.err);
        cr_expect_null(strstr(r.err, "runs to do"), "%s", r.err);
        struct stat st;
        cr_expect_neq(stat(out, &st), 0, "\"%s\" created %s", bad[i], out);
        cmd_result_free(&r);
        const char *plan[] = {"plan", MATRIX, "--shard", bad[i], NULL};
        r = vmbench(plan);
        cr_expect_eq(r.status, 2, "plan \"%s\": %s", bad[i], r.err);
        cmd_result_free(&r);
    }
}

/* tune refuses a shard, saying why. */
Test(shard, tune_refuses_a_shard, .timeout = 30)
{
    const char *args[] = {"tune",    MATRIX, "--objective", "0-write.op_rate",
                          "--shard", "0/2",  NULL};
    struct cmd_result r = vmbench(args);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "all its cells must run in one place"),
                       "%s", r.err);
    cmd_result_free(&r);
}

/* `plan --shard K/N --json` is the plan of that shard, and `plan --shards
 * N --json` the partition: the shards' cells together are the matrix's,
 * once each. */
Test(shard, plan_shows_the_partition, .timeout = 30)
{
    const char *shards[] = {"plan",     VMB_TEST_DATA "/data/run-time.yaml",
                            "--shards", "2",
                            "--json",   NULL};
    struct cmd_result r = vmbench(shards);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"count\": 2"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"estimate_s\""), "%s", r.out);
    cmd_result_free(&r);
    const char *text[] = {"plan", MATRIX, "--shards", "2", NULL};
    r = vmbench(text);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "shard 0/2"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "shard 1/2"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "(calibration)"), "%s", r.out);
    cmd_result_free(&r);
    const char *one[] = {"plan", MATRIX, "--shard", "1/2", "--json", NULL};
    r = vmbench(one);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"index\": 1"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"count\": 2"), "%s", r.out);
    cmd_result_free(&r);
}
