/*
 * Statistics over the repetitions of a cell (a leaf module: no other
 * vmbench module, no external library).
 *
 * Samples are plain arrays of doubles owned by the caller; nothing here
 * keeps a pointer to them. An empty sample gives NAN where a number is
 * asked for. Intervals are 95% percentile-bootstrap intervals drawn from
 * vmbench's own PRNG (xoshiro256**, seeded through splitmix64), so the
 * same seed gives the same interval on every machine and libc.
 */
#ifndef VMB_STATS_H
#define VMB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resamples drawn for every bootstrap interval; recorded in the report. */
#define VMB_STATS_RESAMPLES 2000
/* Coverage of every interval. */
#define VMB_STATS_LEVEL 0.95
/* A coefficient of variation above this marks a cell as noisy. */
#define VMB_STATS_CV_LIMIT 0.10
/* Repetition estimates above this are reported as "more than". */
#define VMB_STATS_MAX_REPS 1000

struct vmb_rng {
    uint64_t s[4];
};

/* Seeds the generator; every seed (0 included) gives a usable state. */
void vmb_rng_seed(struct vmb_rng *r, uint64_t seed);
uint64_t vmb_rng_next(struct vmb_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t vmb_rng_below(struct vmb_rng *r, uint64_t n);

/*
 * Derives the seed of one series (a cell, phase and metric) from the run's
 * seed and a key such as "3f9a1c2b7d0e/0-write/op_rate", so an interval
 * does not change when cells are added or reordered.
 */
uint64_t vmb_stats_seed_for(uint64_t seed, const char *key);

/* Median; the mean of the two middle values for an even count. */
double vmb_stats_median(const double *x, size_t n);
/*
 * The p-th percentile (0 <= p <= 100), interpolating linearly between the
 * closest ranks (numpy's default, R's type 7).
 */
double vmb_stats_percentile(const double *x, size_t n, double p);
double vmb_stats_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 in the denominator); 0 when n < 2. */
double vmb_stats_stddev(const double *x, size_t n);
/* stddev / |mean|; NAN for n == 0 or a zero mean. */
double vmb_stats_cv(const double *x, size_t n);

struct vmb_interval {
    double lo, hi;
};

/*
 * Percentile-bootstrap interval of the median at the given level (0.95):
 * `resamples` resamples with replacement from x, drawn with seed.
 * Returns {NAN, NAN} for n == 0.
 */
struct vmb_interval vmb_stats_bootstrap_median(const double *x, size_t n,
                                               uint64_t seed, size_t resamples,
                                               double level);

/*
 * median(num) / median(den) in *ratio, and its percentile-bootstrap
 * interval: num and den resampled independently, the ratio of the two
 * medians taken each time. NAN when either sample is empty or a median of
 * den is 0.
 */
struct vmb_interval vmb_stats_bootstrap_ratio(const double *num, size_t nn,
                                              const double *den, size_t nd,
                                              uint64_t seed, size_t resamples,
                                              double level, double *ratio);

/*
 * Two-sided permutation test of a difference between two samples, on the
 * difference of their means: the share of the ways to split the pooled
 * values into groups of na and nb whose |mean difference| is at least the
 * observed one (the observed split included). All splits are enumerated
 * when there are at most VMB_STATS_PERM_EXACT of them (exact: 3 against 3
 * has 20 splits, so p is never below 0.1 there); beyond that,
 * VMB_STATS_PERM_RESAMPLES random splits drawn with seed give
 * (hits + 1) / (resamples + 1). NAN when either sample is empty.
 */
#define VMB_STATS_PERM_EXACT 20000
#define VMB_STATS_PERM_RESAMPLES 10000
double vmb_stats_permutation_p(const double *a, size_t na, const double *b,
                               size_t nb, uint64_t seed);

/* Everything the report shows of one series. */
struct vmb_summary {
    size_t n;
    double median;
    struct vmb_interval ci; /* of the median */
    double mean, stddev, cv, min, max;
};

/* Fills s from x with VMB_STATS_RESAMPLES and VMB_STATS_LEVEL. */
void vmb_stats_summarise(const double *x, size_t n, uint64_t seed,
                         struct vmb_summary *s);

enum vmb_flag_reason {
    VMB_FLAG_NONE = 0,
    VMB_FLAG_OVERLAP = 1, /* interval overlaps a neighbour's */
    VMB_FLAG_NOISY = 2,   /* cv above the limit */
    VMB_FLAG_FEW = 4,     /* fewer than 2 repetitions: no spread known */
};

struct vmb_flag {
    unsigned reasons; /* enum vmb_flag_reason bits; 0: not flagged */
    size_t neighbour; /* index of the overlapping neighbour, SIZE_MAX if none */
    double difference; /* |median - neighbour's median| / median */
    /*
     * Repetitions per cell that would separate it from that neighbour
     * (95% intervals apart, normal approximation) and bring its cv-based
     * interval within 5% of the median; 0 when it cannot be said (fewer
     * than 2 repetitions), SIZE_MAX when the medians are equal or the
     * estimate exceeds VMB_STATS_MAX_REPS.
     */
    size_t reps_needed;
};

/*
 * Flags the series that cannot be told apart from their neighbours: the
 * series are ranked by median, and each is compared with the next one up
 * and down. A series is flagged when its interval overlaps a neighbour's
 * (the closest such neighbour is named), when its cv exceeds cv_limit, or
 * when it has fewer than 2 values. out[] has n entries. Series with no
 * values (n == 0) are left out of the ranking and not flagged.
 */
void vmb_stats_flag(const struct vmb_summary *s, size_t n, double cv_limit,
                    struct vmb_flag *out);

#endif
