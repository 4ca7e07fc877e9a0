#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1.96: the normal quantile of a two-sided 95% interval. */
#define Z95 1.959963984540054
/*
 * The standard error of a sample median is about sqrt(pi/2) = 1.2533 times
 * that of the mean for normal data; repetition estimates use it because
 * the intervals we compare are intervals of medians.
 */
#define MEDIAN_SE_FACTOR 1.2533141373155

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
vmb_rng_seed(struct vmb_rng *r, uint64_t seed)
{
    /* splitmix64 never yields four zero words, which xoshiro must avoid. */
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
vmb_rng_next(struct vmb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t
vmb_rng_below(struct vmb_rng *r, uint64_t n)
{
    /* Rejecting the top partial block keeps every index equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = vmb_rng_next(r);
    while (v >= limit);
    return v % n;
}

uint64_t
vmb_stats_seed_for(uint64_t seed, const char *key)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    uint64_t x = seed ^ h;
    return splitmix64(&x);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median_sorted(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    if (n % 2)
        return v[n / 2];
    return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static double *
sorted_copy(const double *x, size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        abort();
    if (n)
        memcpy(v, x, n * sizeof(*v));
    qsort(v, n, sizeof(*v), cmp_double);
    return v;
}

double
vmb_stats_median(const double *x, size_t n)
{
    double *v = sorted_copy(x, n);
    double m = median_sorted(v, n);
    free(v);
    return m;
}

static double
percentile_sorted(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    if (p <= 0)
        return v[0];
    if (p >= 100)
        return v[n - 1];
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

double
vmb_stats_percentile(const double *x, size_t n, double p)
{
    double *v = sorted_copy(x, n);
    double r = percentile_sorted(v, n, p);
    free(v);
    return r;
}

double
vmb_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double
vmb_stats_stddev(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    if (n < 2)
        return 0;
    double m = vmb_stats_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

double
vmb_stats_cv(const double *x, size_t n)
{
    double m = vmb_stats_mean(x, n);
    if (n == 0 || m == 0)
        return NAN;
    return vmb_stats_stddev(x, n) / fabs(m);
}

/* Median of a resample of x drawn into scratch (n doubles). */
static double
resample_median(struct vmb_rng *r, const double *x, size_t n, double *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = x[vmb_rng_below(r, n)];
    qsort(scratch, n, sizeof(*scratch), cmp_double);
    return median_sorted(scratch, n);
}

static struct vmb_interval
interval_of(double *est, size_t m, double level)
{
    qsort(est, m, sizeof(*est), cmp_double);
    double tail = (1.0 - level) / 2.0 * 100.0;
    struct vmb_interval iv = {percentile_sorted(est, m, tail),
                              percentile_sorted(est, m, 100.0 - tail)};
    return iv;
}

struct vmb_interval
vmb_stats_bootstrap_median(const double *x, size_t n, uint64_t seed,
                           size_t resamples, double level)
{
    struct vmb_interval none = {NAN, NAN};
    if (n == 0 || resamples == 0)
        return none;
    struct vmb_rng r;
    vmb_rng_seed(&r, seed);
    double *scratch = malloc(n * sizeof(*scratch));
    double *est = malloc(resamples * sizeof(*est));
    if (scratch == NULL || est == NULL)
        abort();
    for (size_t b = 0; b < resamples; b++)
        est[b] = resample_median(&r, x, n, scratch);
    struct vmb_interval iv = interval_of(est, resamples, level);
    free(scratch);
    free(est);
    return iv;
}

struct vmb_interval
vmb_stats_bootstrap_ratio(const double *num, size_t nn, const double *den,
                          size_t nd, uint64_t seed, size_t resamples,
                          double level, double *ratio)
{
    struct vmb_interval none = {NAN, NAN};
    *ratio = NAN;
    if (nn == 0 || nd == 0 || resamples == 0)
        return none;
    double dm = vmb_stats_median(den, nd);
    if (dm == 0)
        return none;
    *ratio = vmb_stats_median(num, nn) / dm;
    struct vmb_rng r;
    vmb_rng_seed(&r, seed);
    double *sn = malloc(nn * sizeof(*sn));
    double *sd = malloc(nd * sizeof(*sd));
    double *est = malloc(resamples * sizeof(*est));
    if (sn == NULL || sd == NULL || est == NULL)
        abort();
    size_t m = 0;
    for (size_t b = 0; b < resamples; b++) {
        double a = resample_median(&r, num, nn, sn);
        double d = resample_median(&r, den, nd, sd);
        /* A zero median in a resample has no ratio; leave it out. */
        if (d != 0)
            est[m++] = a / d;
    }
    struct vmb_interval iv = m ? interval_of(est, m, level) : none;
    free(sn);
    free(sd);
    free(est);
    return iv;
}

void
vmb_stats_summarise(const double *x, size_t n, uint64_t seed,
                    struct vmb_summary *s)
{
    double *v = sorted_copy(x, n);
    s->n = n;
    s->median = median_sorted(v, n);
    s->min = n ? v[0] : NAN;
    s->max = n ? v[n - 1] : NAN;
    free(v);
    s->mean = vmb_stats_mean(x, n);
    s->stddev = vmb_stats_stddev(x, n);
    s->cv = vmb_stats_cv(x, n);
    s->ci = vmb_stats_bootstrap_median(x, n, seed, VMB_STATS_RESAMPLES,
                                       VMB_STATS_LEVEL);
}

static size_t
reps_to_separate(const struct vmb_summary *a, const struct vmb_summary *b)
{
    double d = fabs(a->median - b->median);
    double spread = a->stddev + b->stddev;
    if (d == 0 || !isfinite(d))
        return SIZE_MAX;
    double n = pow(Z95 * MEDIAN_SE_FACTOR * spread / d, 2);
    if (n > VMB_STATS_MAX_REPS)
        return SIZE_MAX;
    return (size_t)ceil(n);
}

static size_t
reps_for_precision(const struct vmb_summary *a)
{
    /* Enough repetitions for an interval within +-5% of the median. */
    double n = pow(Z95 * MEDIAN_SE_FACTOR * a->cv / 0.05, 2);
    if (!isfinite(n) || n > VMB_STATS_MAX_REPS)
        return SIZE_MAX;
    return (size_t)ceil(n);
}

static bool
overlaps(const struct vmb_summary *a, const struct vmb_summary *b)
{
    return a->ci.lo <= b->ci.hi && b->ci.lo <= a->ci.hi;
}

static int
cmp_by_median(const void *pa, const void *pb, void *base)
{
    const struct vmb_summary *sb = base;
    const struct vmb_summary *a = &sb[*(const size_t *)pa];
    const struct vmb_summary *b = &sb[*(const size_t *)pb];
    if (a->median != b->median)
        return (a->median > b->median) - (a->median < b->median);
    /* Equal medians keep input order, so the ranking is deterministic. */
    return (*(const size_t *)pa > *(const size_t *)pb) -
           (*(const size_t *)pa < *(const size_t *)pb);
}

static size_t
max_reps(size_t a, size_t b)
{
    return a > b ? a : b;
}

void
vmb_stats_flag(const struct vmb_summary *s, size_t n, double cv_limit,
               struct vmb_flag *out)
{
    size_t *rank = malloc((n ? n : 1) * sizeof(*rank));
    if (rank == NULL)
        abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        out[i].reasons = VMB_FLAG_NONE;
        out[i].neighbour = SIZE_MAX;
        out[i].difference = NAN;
        out[i].reps_needed = 0;
        if (s[i].n > 0 && isfinite(s[i].median))
            rank[m++] = i;
    }
    qsort_r(rank, m, sizeof(*rank), cmp_by_median, (void *)s);

    for (size_t k = 0; k < m; k++) {
        size_t i = rank[k];
        struct vmb_flag *f = &out[i];
        if (s[i].n < 2) {
            f->reasons |= VMB_FLAG_FEW;
            continue;
        }
        /* Of the two neighbours in rank, name the closer overlapping one. */
        const size_t cand[2] = {k > 0 ? rank[k - 1] : SIZE_MAX,
                                k + 1 < m ? rank[k + 1] : SIZE_MAX};
        for (int c = 0; c < 2; c++) {
            size_t j = cand[c];
            if (j == SIZE_MAX || s[j].n < 2 || !overlaps(&s[i], &s[j]))
                continue;
            double d = fabs(s[i].median - s[j].median);
            if (f->neighbour == SIZE_MAX ||
                d < fabs(s[i].median - s[f->neighbour].median))
                f->neighbour = j;
        }
        if (f->neighbour != SIZE_MAX) {
            size_t j = f->neighbour;
            f->reasons |= VMB_FLAG_OVERLAP;
            f->difference = s[i].median != 0 ? fabs(s[i].median - s[j].median) /
                                                   fabs(s[i].median)
                                             : NAN;
            size_t r = reps_to_separate(&s[i], &s[j]);
            /*
             * Overlapping now means more than we have, whatever the normal
             * approximation says.
             */
            if (r != SIZE_MAX && r <= s[i].n)
                r = s[i].n + 1;
            f->reps_needed = r;
        }
        if (isfinite(s[i].cv) && s[i].cv > cv_limit) {
            f->reasons |= VMB_FLAG_NOISY;
            size_t r = reps_for_precision(&s[i]);
            if (r != SIZE_MAX && r <= s[i].n)
                r = s[i].n + 1;
            f->reps_needed = max_reps(f->reps_needed, r);
        }
    }
    free(rank);
}

/* C(n, k), or SIZE_MAX once it passes limit. */
static size_t
choose_capped(size_t n, size_t k, size_t limit)
{
    if (k > n - k)
        k = n - k;
    double c = 1;
    for (size_t i = 1; i <= k; i++) {
        c = c * (double)(n - k + i) / (double)i;
        if (c > (double)limit)
            return SIZE_MAX;
    }
    return (size_t)llround(c);
}

/* |mean(b) - mean(a)| with sa the sum of group a out of total. */
static double
mean_gap(double sa, double total, size_t na, size_t nb)
{
    return fabs((total - sa) / (double)nb - sa / (double)na);
}

double
vmb_stats_permutation_p(const double *a, size_t na, const double *b, size_t nb,
                        uint64_t seed)
{
    if (na == 0 || nb == 0)
        return NAN;
    size_t n = na + nb;
    double *pool = malloc(n * sizeof(*pool));
    size_t *idx = malloc(na * sizeof(*idx));
    if (pool == NULL || idx == NULL)
        abort();
    memcpy(pool, a, na * sizeof(*a));
    memcpy(pool + na, b, nb * sizeof(*b));
    double total = 0, sa = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        total += pool[i];
        scale = fmax(scale, fabs(pool[i]));
    }
    for (size_t i = 0; i < na; i++)
        sa += a[i];
    /* Splits as extreme as the observed one, rounding error aside. */
    double observed = mean_gap(sa, total, na, nb) - 1e-12 * (scale + 1);
    size_t hits = 0, tries = 0;
    if (choose_capped(n, na, VMB_STATS_PERM_EXACT) != SIZE_MAX) {
        /* Every combination of na indices, in lexicographic order. */
        for (size_t i = 0; i < na; i++)
            idx[i] = i;
        for (;;) {
            double s = 0;
            for (size_t i = 0; i < na; i++)
                s += pool[idx[i]];
            hits += mean_gap(s, total, na, nb) >= observed;
            tries++;
            size_t i = na;
            while (i > 0 && idx[i - 1] == n - na + i - 1)
                i--;
            if (i == 0)
                break;
            idx[i - 1]++;
            for (size_t j = i; j < na; j++)
                idx[j] = idx[j - 1] + 1;
        }
        free(pool);
        free(idx);
        return (double)hits / (double)tries;
    }
    struct vmb_rng r;
    vmb_rng_seed(&r, seed);
    for (size_t t = 0; t < VMB_STATS_PERM_RESAMPLES; t++) {
        /* A partial Fisher-Yates shuffle picks group a. */
        double s = 0;
        for (size_t i = 0; i < na; i++) {
            size_t j = i + (size_t)vmb_rng_below(&r, n - i);
            double v = pool[j];
            pool[j] = pool[i];
            pool[i] = v;
            s += v;
        }
        hits += mean_gap(s, total, na, nb) >= observed;
    }
    free(pool);
    free(idx);
    return (double)(hits + 1) / (double)(VMB_STATS_PERM_RESAMPLES + 1);
}
