#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "load/hist.h"

#define LOWEST 1
#define HIGHEST 3600000000000LL /* 1 h in ns */

static uint64_t rng_state = 42;

static uint64_t
rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Log-uniform over 1 us .. 1 h, so every bucket range is exercised. */
static int64_t
rnd_latency(void)
{
    double lo = 3.0, hi = 12.556; /* log10(1000 ns) .. log10(3.6e12 ns) */
    double x = lo + (hi - lo) * ((double)(rnd() >> 11) / 9007199254740992.0);
    return (int64_t)pow(10.0, x);
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static struct vmb_hist
new_hist(void)
{
    struct vmb_hist h;
    cr_assert_eq(vmb_hist_init(&h, LOWEST, HIGHEST, 3, NULL), 0);
    return h;
}

/* The reference: the ceil(p% of n)-th smallest, rounded half up, >= 1st. */
static int64_t
reference(const int64_t *sorted, size_t n, double p)
{
    if (p >= 100)
        return sorted[n - 1];
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.5);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

ParameterizedTestParameters(hist, percentile_within_precision)
{
    static double ps[] = {0,  0.1, 1,  10,   25,    50,     75,
                          90, 95,  99, 99.9, 99.99, 99.999, 100};
    return cr_make_param_array(double, ps, sizeof(ps) / sizeof(ps[0]));
}

/* Every percentile is at or above the exact one and within 3 significant
 * figures of it. */
ParameterizedTest(double *p, hist, percentile_within_precision)
{
    enum { N = 200000 };
    int64_t *vals = malloc(N * sizeof(*vals));
    struct vmb_hist h = new_hist();
    rng_state = 7;
    for (size_t i = 0; i < N; i++) {
        vals[i] = rnd_latency();
        cr_assert(vmb_hist_record(&h, vals[i]));
    }
    qsort(vals, N, sizeof(*vals), cmp_i64);
    int64_t ref = reference(vals, N, *p);
    int64_t got = vmb_hist_value_at_percentile(&h, *p);
    cr_assert_geq(got, ref, "p%g: got %lld below exact %lld", *p,
                  (long long)got, (long long)ref);
    cr_assert_leq((double)(got - ref), (double)ref * 0.001,
                  "p%g: got %lld, exact %lld", *p, (long long)got,
                  (long long)ref);
    vmb_hist_fini(&h);
    free(vals);
}

/* Small values (below 2048) are exact. */
Test(hist, small_values_exact)
{
    struct vmb_hist h = new_hist();
    for (int64_t v = 0; v < 2048; v++)
        vmb_hist_record(&h, v);
    for (int64_t v = 1; v < 2048; v += 37) {
        double p = 100.0 * (double)(v + 1) / 2048.0;
        cr_assert_eq(vmb_hist_value_at_percentile(&h, p - 1e-9), v);
    }
    vmb_hist_fini(&h);
}

Test(hist, exact_min_max_mean_count)
{
    struct vmb_hist h = new_hist();
    int64_t vals[] = {1500, 2500, 123456789, 42};
    double sum = 0;
    for (size_t i = 0; i < 4; i++) {
        vmb_hist_record(&h, vals[i]);
        sum += (double)vals[i];
    }
    cr_assert_eq(vmb_hist_count(&h), 4);
    cr_assert_eq(vmb_hist_min(&h), 42);
    cr_assert_eq(vmb_hist_max(&h), 123456789);
    cr_assert_float_eq(vmb_hist_mean(&h), sum / 4, 1e-6);
    cr_assert_eq(vmb_hist_value_at_percentile(&h, 100), 123456789);
    vmb_hist_fini(&h);
}

Test(hist, out_of_range_not_counted)
{
    struct vmb_hist h = new_hist();
    cr_assert_not(vmb_hist_record(&h, -1));
    cr_assert_not(vmb_hist_record(&h, HIGHEST + 1));
    cr_assert(vmb_hist_record(&h, HIGHEST));
    cr_assert_eq(vmb_hist_count(&h), 1);
    cr_assert_geq(vmb_hist_value_at_percentile(&h, 50), HIGHEST);
    vmb_hist_fini(&h);
}

Test(hist, bad_range_rejected)
{
    struct vmb_hist h;
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_hist_init(&h, 0, 1000, 3, &err), 0);
    cr_assert_not_null(err);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
    cr_assert_lt(vmb_hist_init(&h, 1, 1000, 6, NULL), 0);
}

/* Merging two halves gives exactly what recording everything in one does. */
Test(hist, merge_equals_single)
{
    struct vmb_hist a = new_hist(), b = new_hist(), all = new_hist();
    rng_state = 99;
    for (int i = 0; i < 100000; i++) {
        int64_t v = rnd_latency();
        vmb_hist_record(i % 3 ? &a : &b, v);
        vmb_hist_record(&all, v);
    }
    cr_assert_eq(vmb_hist_merge(&a, &b), 0);
    cr_assert_eq(vmb_hist_count(&a), vmb_hist_count(&all));
    cr_assert_eq(vmb_hist_min(&a), vmb_hist_min(&all));
    cr_assert_eq(vmb_hist_max(&a), vmb_hist_max(&all));
    cr_assert_float_eq(vmb_hist_mean(&a), vmb_hist_mean(&all),
                       vmb_hist_mean(&all) * 1e-12);
    cr_assert_eq(
        memcmp(a.counts, all.counts, (size_t)a.counts_len * sizeof(*a.counts)),
        0);
    double ps[] = {50, 90, 99, 99.9, 100};
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(vmb_hist_value_at_percentile(&a, ps[i]),
                     vmb_hist_value_at_percentile(&all, ps[i]));
    vmb_hist_fini(&a);
    vmb_hist_fini(&b);
    vmb_hist_fini(&all);
}

/* A histogram of another layout merges without losing counts. */
Test(hist, merge_other_layout)
{
    struct vmb_hist fine = new_hist(), coarse;
    cr_assert_eq(vmb_hist_init(&coarse, 1000, HIGHEST, 2, NULL), 0);
    rng_state = 5;
    for (int i = 0; i < 10000; i++)
        vmb_hist_record(&coarse, rnd_latency());
    cr_assert_eq(vmb_hist_merge(&fine, &coarse), 0);
    cr_assert_eq(vmb_hist_count(&fine), 10000);
    cr_assert_eq(vmb_hist_max(&fine), vmb_hist_max(&coarse));
    vmb_hist_fini(&fine);
    vmb_hist_fini(&coarse);
}

Test(hist, reset_forgets)
{
    struct vmb_hist h = new_hist();
    vmb_hist_record(&h, 5000);
    vmb_hist_reset(&h);
    cr_assert_eq(vmb_hist_count(&h), 0);
    cr_assert_eq(vmb_hist_value_at_percentile(&h, 50), 0);
    vmb_hist_record(&h, 7);
    cr_assert_eq(vmb_hist_min(&h), 7);
    cr_assert_eq(vmb_hist_max(&h), 7);
    vmb_hist_fini(&h);
}

/* The iterator walks up monotonically and closes at 100% with the max. */
Test(hist, iterator_monotonic_ends_at_max)
{
    struct vmb_hist h = new_hist();
    rng_state = 11;
    for (int i = 0; i < 50000; i++)
        vmb_hist_record(&h, rnd_latency());
    struct vmb_hist_iter it;
    vmb_hist_iter_init(&it, &h, 5);
    double last_p = -1;
    int64_t last_v = -1;
    uint64_t last_c = 0;
    int steps = 0;
    while (vmb_hist_iter_next(&it)) {
        cr_assert_geq(it.percentile, last_p);
        cr_assert_geq(it.value, last_v);
        cr_assert_geq(it.count_to_here, last_c);
        last_p = it.percentile;
        last_v = it.value;
        last_c = it.count_to_here;
        steps++;
        cr_assert_lt(steps, 10000);
    }
    cr_assert_float_eq(last_p, 100.0, 1e-9);
    cr_assert_eq(last_v, vmb_hist_max(&h));
    cr_assert_eq(last_c, 50000);
    cr_assert_gt(steps, 50);
    vmb_hist_fini(&h);
}

Test(hist, hgrm_text)
{
    struct vmb_hist h = new_hist();
    for (int i = 1; i <= 1000; i++)
        vmb_hist_record(&h, i * 1000); /* 1..1000 us */
    struct vmb_buf b = {0};
    vmb_hist_write_hgrm(&h, &b, 1000.0, 5);
    cr_assert(vmb_str_has_prefix(
        b.data, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
    cr_assert_not_null(
        strstr(b.data, "    1000.000 1.000000000000       1000\n"));
    cr_assert_not_null(strstr(
        b.data, "#[Max     =     1000.000, Total count    =         1000]"));
    cr_assert_not_null(strstr(b.data, "#[Mean    =      500.500,"));
    vmb_buf_free(&b);
    vmb_hist_fini(&h);
}
