/*
 * A log-linear latency histogram in the shape of HdrHistogram.
 *
 * Values are non-negative integers in any unit (the load generator records
 * nanoseconds). The range [lowest, highest] is covered with a fixed number
 * of significant figures: every value v is counted in a bucket whose width
 * is at most v / 10^sigfigs (exact below 2 * 10^sigfigs * lowest). Memory is
 * allocated once by vmb_hist_init; recording never allocates, never fails
 * for an in-range value and costs a few instructions.
 *
 * Queries are const and report a bucket's highest equivalent value, so a
 * percentile is never below the true one and above it by at most one
 * bucket width. min, max, count and sum (for the mean) are kept exactly.
 *
 * Not thread-safe: each thread records into its own histograms and they are
 * merged afterwards (vmb_hist_merge).
 */
#ifndef VMB_HIST_H
#define VMB_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/util.h"

struct vmb_hist {
    int64_t lowest;  /* lowest discernible value, >= 1 */
    int64_t highest; /* highest trackable value */
    int sigfigs;     /* 1..5 */
    int unit_magnitude;
    int sub_bucket_half_count_magnitude;
    int32_t sub_bucket_count;
    int32_t sub_bucket_half_count;
    int64_t sub_bucket_mask;
    int32_t bucket_count;
    int32_t counts_len;
    uint64_t total_count;
    int64_t min;      /* exact; INT64_MAX when empty */
    int64_t max;      /* exact; 0 when empty */
    double sum;       /* exact enough for a mean */
    uint64_t *counts; /* counts_len entries, owned */
};

/*
 * Allocates the counts for values in [lowest, highest] at sigfigs
 * significant figures. Fails (VMB_ERR_INPUT) on a range that makes no
 * sense: lowest < 1, highest < 2 * lowest, sigfigs outside 1..5.
 */
int vmb_hist_init(struct vmb_hist *h, int64_t lowest, int64_t highest,
                  int sigfigs, struct vmb_error **err);

/* Frees the counts; NULL-safe, leaves h empty. */
void vmb_hist_fini(struct vmb_hist *h);

/* Forgets every recorded value; keeps the memory. */
void vmb_hist_reset(struct vmb_hist *h);

/* Index into counts of an in-range value (internal, exposed for inlining). */
static inline int32_t
vmb_hist_index(const struct vmb_hist *h, int64_t v)
{
    int pow2ceil = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));
    int bucket =
        pow2ceil - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
    int32_t sub = (int32_t)(v >> (bucket + h->unit_magnitude));
    return ((bucket + 1) << h->sub_bucket_half_count_magnitude) +
           (sub - h->sub_bucket_half_count);
}

/*
 * Counts value v once. Returns false, counting nothing, when v is negative
 * or above h->highest.
 */
static inline bool
vmb_hist_record(struct vmb_hist *h, int64_t v)
{
    if (v < 0 || v > h->highest)
        return false;
    h->counts[vmb_hist_index(h, v)]++;
    h->total_count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    return true;
}

/* Counts value v n times; same contract as vmb_hist_record. */
bool vmb_hist_record_n(struct vmb_hist *h, int64_t v, uint64_t n);

/*
 * Adds every count of src to dst. Ranges may differ; returns the number
 * of values of src that did not fit in dst (0 when the ranges match).
 */
uint64_t vmb_hist_merge(struct vmb_hist *dst, const struct vmb_hist *src);

/* Queries. On an empty histogram they return 0. */
uint64_t vmb_hist_count(const struct vmb_hist *h);
int64_t vmb_hist_min(const struct vmb_hist *h);
int64_t vmb_hist_max(const struct vmb_hist *h);
double vmb_hist_mean(const struct vmb_hist *h);
double vmb_hist_stddev(const struct vmb_hist *h);

/*
 * The value at percentile p (0..100): the highest value equivalent to the
 * bucket holding the ceil(p% of count)-th smallest value (rounded half up,
 * at least the first). p >= 100 gives the exact max.
 */
int64_t vmb_hist_value_at_percentile(const struct vmb_hist *h, double p);

/* Bucket arithmetic: all values equivalent to v lie in [lowest, highest]. */
int64_t vmb_hist_lowest_equivalent(const struct vmb_hist *h, int64_t v);
int64_t vmb_hist_highest_equivalent(const struct vmb_hist *h, int64_t v);

/*
 * Percentile iterator (HdrHistogram's): steps get finer toward the tail,
 * ticks_per_half_distance steps each time the distance to 100% halves.
 *
 *     struct vmb_hist_iter it;
 *     vmb_hist_iter_init(&it, h, 5);
 *     while (vmb_hist_iter_next(&it))
 *         use(it.value, it.percentile, it.count_to_here);
 *
 * The last step reports 100% at the max. h must not change meanwhile.
 */
struct vmb_hist_iter {
    const struct vmb_hist *h;
    int ticks_per_half_distance;
    int32_t index;          /* next counts index to visit */
    uint64_t count_to_here; /* values <= value */
    double next_percentile; /* the next percentile to report */
    bool reached_last;
    bool done;
    int64_t value;     /* highest equivalent value of the step */
    double percentile; /* percentile reported for the step */
};

void vmb_hist_iter_init(struct vmb_hist_iter *it, const struct vmb_hist *h,
                        int ticks_per_half_distance);
bool vmb_hist_iter_next(struct vmb_hist_iter *it);

/*
 * Appends HdrHistogram's percentile-distribution text (Value, Percentile,
 * TotalCount, 1/(1-Percentile), then mean/stddev/max/count/buckets lines)
 * to b, values divided by unit_divisor (1000.0 turns ns into us).
 */
void vmb_hist_write_hgrm(const struct vmb_hist *h, struct vmb_buf *b,
                         double unit_divisor, int ticks_per_half_distance);

#endif
