/*
 * Statistics against values worked out by hand, and the bootstrap's
 * reproducibility from its seed.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>

#include "base/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_near(double got, double want, double tol)
{
    cr_assert(fabs(got - want) <= tol, "got %.9g, want %.9g (+-%g)", got, want,
              tol);
}

Test(stats, median_odd_even_and_unsorted_input)
{
    double odd[] = {3, 1, 2};
    double even[] = {4, 1, 3, 2};
    assert_near(vmb_stats_median(odd, 3), 2, 0);
    assert_near(vmb_stats_median(even, 4), 2.5, 0);
    cr_assert(isnan(vmb_stats_median(odd, 0)));
    /* The input is left as it was: the median sorts a copy. */
    cr_assert_eq(odd[0], 3);
}

struct pct_case {
    double p, want;
};

ParameterizedTestParameters(stats, percentile_interpolates_between_ranks)
{
    /* x = 10 20 30 40: rank h = 3p/100, value x[floor h] + frac * 10 */
    static struct pct_case cases[] = {
        {0, 10}, {25, 17.5}, {50, 25}, {90, 37}, {99.9, 39.97}, {100, 40},
    };
    return cr_make_param_array(struct pct_case, cases, N(cases));
}

ParameterizedTest(struct pct_case *c, stats,
                  percentile_interpolates_between_ranks)
{
    double x[] = {40, 10, 30, 20};
    assert_near(vmb_stats_percentile(x, 4, c->p), c->want, 1e-9);
}

Test(stats, stddev_and_cv)
{
    /* mean 5, sum of squares 32, sample variance 32/7 */
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    assert_near(vmb_stats_mean(x, 8), 5, 1e-12);
    assert_near(vmb_stats_stddev(x, 8), sqrt(32.0 / 7.0), 1e-12);
    assert_near(vmb_stats_cv(x, 8), sqrt(32.0 / 7.0) / 5, 1e-12);
    double one[] = {7};
    assert_near(vmb_stats_stddev(one, 1), 0, 0);
    double zero[] = {-1, 1};
    cr_assert(isnan(vmb_stats_cv(zero, 2)));
}

/*
 * With 3 values a resample's median is the smallest one with probability
 * 7/27 (two or three draws of it), far above 2.5%, so the 95% interval of
 * the median is exactly [min, max].
 */
Test(stats, bootstrap_three_values_spans_min_to_max)
{
    double x[] = {5210, 4890, 5030};
    struct vmb_interval iv =
        vmb_stats_bootstrap_median(x, 3, 42, VMB_STATS_RESAMPLES, 0.95);
    assert_near(iv.lo, 4890, 0);
    assert_near(iv.hi, 5210, 0);
}

Test(stats, bootstrap_is_reproducible_from_its_seed)
{
    double x[40];
    for (int i = 0; i < 40; i++)
        x[i] = 1000 + (i * 37 % 41) * 3.5;
    struct vmb_interval a = vmb_stats_bootstrap_median(x, 40, 7, 2000, 0.95);
    struct vmb_interval b = vmb_stats_bootstrap_median(x, 40, 7, 2000, 0.95);
    cr_assert_eq(a.lo, b.lo);
    cr_assert_eq(a.hi, b.hi);
    /* Another seed resamples differently: at least one bound moves. */
    int moved = 0;
    for (uint64_t seed = 8; seed < 18; seed++) {
        struct vmb_interval c =
            vmb_stats_bootstrap_median(x, 40, seed, 2000, 0.95);
        moved += c.lo != a.lo || c.hi != a.hi;
    }
    cr_assert_gt(moved, 0);
}

/*
 * 1..101: median 51, sd 29.3; the median's standard error is about
 * 1.2533 * 29.3 / sqrt(101) = 3.65, so the interval is near 51 +- 7.2.
 */
Test(stats, bootstrap_width_matches_theory_for_a_large_sample)
{
    double x[101];
    for (int i = 0; i < 101; i++)
        x[i] = i + 1;
    struct vmb_interval iv = vmb_stats_bootstrap_median(x, 101, 1, 2000, 0.95);
    cr_assert(iv.lo >= 41 && iv.lo <= 47, "lo %g", iv.lo);
    cr_assert(iv.hi >= 55 && iv.hi <= 61, "hi %g", iv.hi);
}

/*
 * num 90 100 110, den 190 200 210: the ratio of medians is 0.5. A resample
 * ratio is 90/210 with probability (7/27)^2 = 6.7% > 2.5%, so the lower
 * bound is exactly 90/210 and the upper one 110/190.
 */
Test(stats, ratio_of_medians_with_interval)
{
    double num[] = {100, 90, 110};
    double den[] = {200, 210, 190};
    double ratio;
    struct vmb_interval iv = vmb_stats_bootstrap_ratio(
        num, 3, den, 3, 99, VMB_STATS_RESAMPLES, 0.95, &ratio);
    assert_near(ratio, 0.5, 1e-12);
    assert_near(iv.lo, 90.0 / 210.0, 1e-12);
    assert_near(iv.hi, 110.0 / 190.0, 1e-12);

    double zero[] = {0, 0, 0};
    vmb_stats_bootstrap_ratio(num, 3, zero, 3, 1, 100, 0.95, &ratio);
    cr_assert(isnan(ratio));
}

Test(stats, rng_below_is_uniform_and_seeded)
{
    struct vmb_rng a, b;
    vmb_rng_seed(&a, 12345);
    vmb_rng_seed(&b, 12345);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(vmb_rng_next(&a), vmb_rng_next(&b));
    size_t count[6] = {0};
    for (int i = 0; i < 60000; i++)
        count[vmb_rng_below(&a, 6)]++;
    for (int k = 0; k < 6; k++)
        cr_assert(count[k] > 9500 && count[k] < 10500, "bucket %d: %zu", k,
                  count[k]);
    cr_assert_neq(vmb_stats_seed_for(1, "a/0-write/op_rate"),
                  vmb_stats_seed_for(1, "b/0-write/op_rate"));
    cr_assert_eq(vmb_stats_seed_for(1, "a"), vmb_stats_seed_for(1, "a"));
}

static struct vmb_summary
summary(double median, double lo, double hi, double sd, size_t n)
{
    struct vmb_summary s = {.n = n,
                            .median = median,
                            .ci = {lo, hi},
                            .stddev = sd,
                            .mean = median,
                            .cv = sd / median};
    return s;
}

/*
 * A (100, sd 5) and B (102, sd 5) overlap; C (200) stands apart. Separating
 * A from B takes (1.96 * 1.2533 * (5 + 5) / 2)^2 = 150.9 -> 151 repetitions.
 */
Test(stats, flags_overlapping_neighbours_with_repetitions_needed)
{
    struct vmb_summary s[] = {
        summary(200, 198, 202, 2, 3),
        summary(100, 95, 105, 5, 3),
        summary(102, 97, 107, 5, 3),
    };
    struct vmb_flag f[3];
    vmb_stats_flag(s, 3, VMB_STATS_CV_LIMIT, f);
    cr_assert_eq(f[0].reasons, VMB_FLAG_NONE);
    cr_assert_eq(f[1].reasons, VMB_FLAG_OVERLAP);
    cr_assert_eq(f[1].neighbour, 2);
    cr_assert_eq(f[2].neighbour, 1);
    cr_assert_eq(f[1].reps_needed, 151);
    assert_near(f[1].difference, 0.02, 1e-12);
}

Test(stats, flags_noisy_single_and_identical_cells)
{
    struct vmb_summary s[] = {
        summary(1000, 700, 1300, 200, 3), /* cv 0.2 */
        summary(5000, 5000, 5000, 0, 1),  /* one repetition */
        summary(9000, 8990, 9010, 10, 3),
        summary(9000, 8995, 9005, 5, 3), /* same median as the one above */
    };
    struct vmb_flag f[4];
    vmb_stats_flag(s, 4, VMB_STATS_CV_LIMIT, f);
    cr_assert_eq(f[0].reasons, VMB_FLAG_NOISY);
    /* (1.96 * 1.2533 * 0.2 / 0.05)^2 = 96.5 -> 97 */
    cr_assert_eq(f[0].reps_needed, 97);
    cr_assert_eq(f[1].reasons, VMB_FLAG_FEW);
    cr_assert_eq(f[2].reasons, VMB_FLAG_OVERLAP);
    cr_assert_eq(f[2].reps_needed, SIZE_MAX);
    cr_assert_eq(f[3].neighbour, 2);
}

struct perm_case {
    double a[6], b[6];
    size_t na, nb;
    double want;
};

ParameterizedTestParameters(stats, permutation_p_exact_on_small_samples)
{
    /*
     * Worked out by listing the splits: 3 against 3 has C(6,3) = 20
     * splits, and only the observed one and its mirror are as extreme, so
     * 2/20. {1,2} against {3,4,5}: the 10 splits' mean gaps are 2.5,
     * 1.67, 0.83, 0, 0.83, 0, 0.83, 0.83, 1.67, 2.5, two of them >= 2.5.
     * 5 against 5 fully apart: 2 of C(10,5) = 252. Equal samples: every
     * split is as extreme as a gap of 0. {1,2,4} against {3,5,6}: gap
     * 7/3; splits with |sum(a) - 10.5| >= 3.5 are sums <= 7 or >= 14:
     * {1,2,3} {1,2,4} and their complements, 4 of 20.
     */
    static struct perm_case cases[] = {
        {{1, 2, 3}, {4, 5, 6}, 3, 3, 0.1},
        {{1, 2}, {3, 4, 5}, 2, 3, 0.2},
        {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, 5, 5, 2.0 / 252},
        {{5, 5, 5}, {5, 5, 5}, 3, 3, 1},
        {{1, 2, 4}, {3, 5, 6}, 3, 3, 0.2},
    };
    return cr_make_param_array(struct perm_case, cases, N(cases));
}

ParameterizedTest(struct perm_case *c, stats,
                  permutation_p_exact_on_small_samples)
{
    assert_near(vmb_stats_permutation_p(c->a, c->na, c->b, c->nb, 1), c->want,
                1e-12);
    /* Two-sided: swapping the samples gives the same p. */
    assert_near(vmb_stats_permutation_p(c->b, c->nb, c->a, c->na, 1), c->want,
                1e-12);
}

Test(stats, permutation_p_monte_carlo_beyond_exact_limit)
{
    /* C(40, 20) splits is far past the exact limit: random splits. */
    double a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = 100 + i % 5;
        b[i] = 110 + i % 5;
    }
    double p = vmb_stats_permutation_p(a, 20, b, 20, 42);
    /* No random split is as extreme: (0 + 1) / (resamples + 1). */
    assert_near(p, 1.0 / (VMB_STATS_PERM_RESAMPLES + 1), 1e-15);
    /* Same values, so every split is as extreme: p = 1. */
    assert_near(vmb_stats_permutation_p(a, 20, a, 20, 42), 1, 1e-15);
    /* Overlapping samples: the same seed gives the same p. */
    double c[20];
    for (int i = 0; i < 20; i++)
        c[i] = 101 + i % 5;
    double p1 = vmb_stats_permutation_p(a, 20, c, 20, 7);
    cr_assert_eq(p1, vmb_stats_permutation_p(a, 20, c, 20, 7));
    cr_assert(p1 > 0.0 && p1 < 0.05, "p %g", p1);
    cr_assert(isnan(vmb_stats_permutation_p(a, 0, c, 20, 7)));
}

Test(stats, bootstrap_ratio_of_medians_b_over_a)
{
    /* Constant samples: every resample gives 12/10. */
    double a[] = {10, 10, 10}, b[] = {12, 12, 12};
    double ratio;
    struct vmb_interval iv =
        vmb_stats_bootstrap_ratio(b, 3, a, 3, 5, 2000, 0.95, &ratio);
    assert_near(ratio, 1.2, 1e-12);
    assert_near(iv.lo, 1.2, 1e-12);
    assert_near(iv.hi, 1.2, 1e-12);
    /*
     * Resampled medians stay within each sample's range, so the interval
     * lies within [11/10.5, 13/9]; with 3 values a resample's median is
     * the minimum with probability 7/27, so the 2.5% and 97.5% points
     * reach the extremes: exactly min(b)/max(a) and max(b)/min(a).
     */
    double a2[] = {9, 10, 10.5}, b2[] = {11, 12, 13};
    iv = vmb_stats_bootstrap_ratio(b2, 3, a2, 3, 5, 2000, 0.95, &ratio);
    assert_near(ratio, 1.2, 1e-12);
    assert_near(iv.lo, 11 / 10.5, 1e-12);
    assert_near(iv.hi, 13.0 / 9, 1e-12);
}
