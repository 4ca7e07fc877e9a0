#include "load/hist.h"

#include <math.h>
#include <string.h>

int
vmb_hist_init(struct vmb_hist *h, int64_t lowest, int64_t highest, int sigfigs,
              struct vmb_error **err)
{
    memset(h, 0, sizeof(*h));
    if (lowest < 1 || highest < 2 * lowest || sigfigs < 1 || sigfigs > 5)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "histogram range \"%lld..%lld\" at \"%d\" "
                             "significant figures is not usable",
                             (long long)lowest, (long long)highest, sigfigs);

    /* Enough sub-buckets that the widest one in any power-of-two range is
     * below one unit of the last significant figure. */
    int64_t largest_single_unit = 2;
    for (int i = 0; i < sigfigs; i++)
        largest_single_unit *= 10;
    int sub_mag = (int)ceil(log2((double)largest_single_unit));
    h->sub_bucket_half_count_magnitude = (sub_mag > 1 ? sub_mag : 1) - 1;
    h->unit_magnitude = (int)floor(log2((double)lowest));
    h->sub_bucket_count = (int32_t)1
                          << (h->sub_bucket_half_count_magnitude + 1);
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1)
                         << h->unit_magnitude;

    int64_t smallest_untrackable = (int64_t)h->sub_bucket_count
                                   << h->unit_magnitude;
    int32_t buckets = 1;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    h->lowest = lowest;
    h->highest = highest;
    h->sigfigs = sigfigs;
    h->bucket_count = buckets;
    h->counts_len = (buckets + 1) * h->sub_bucket_half_count;
    h->counts = vmb_xcalloc((size_t)h->counts_len, sizeof(*h->counts));
    h->min = INT64_MAX;
    return 0;
}

void
vmb_hist_fini(struct vmb_hist *h)
{
    if (h == NULL)
        return;
    free(h->counts);
    memset(h, 0, sizeof(*h));
}

void
vmb_hist_reset(struct vmb_hist *h)
{
    memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
    h->total_count = 0;
    h->min = INT64_MAX;
    h->max = 0;
    h->sum = 0;
}

bool
vmb_hist_record_n(struct vmb_hist *h, int64_t v, uint64_t n)
{
    if (v < 0 || v > h->highest)
        return false;
    if (n == 0)
        return true;
    h->counts[vmb_hist_index(h, v)] += n;
    h->total_count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    return true;
}

static int64_t
value_from_index(const struct vmb_hist *h, int32_t index)
{
    int32_t bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;
    int32_t sub =
        (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;
    if (bucket < 0) {
        sub -= h->sub_bucket_half_count;
        bucket = 0;
    }
    return (int64_t)sub << (bucket + h->unit_magnitude);
}

static int64_t
equivalent_range(const struct vmb_hist *h, int64_t v)
{
    int32_t index = vmb_hist_index(h, v);
    int32_t bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;
    if (bucket < 0)
        bucket = 0;
    return (int64_t)1 << (h->unit_magnitude + bucket);
}

int64_t
vmb_hist_lowest_equivalent(const struct vmb_hist *h, int64_t v)
{
    return value_from_index(h, vmb_hist_index(h, v));
}

int64_t
vmb_hist_highest_equivalent(const struct vmb_hist *h, int64_t v)
{
    return vmb_hist_lowest_equivalent(h, v) + equivalent_range(h, v) - 1;
}

uint64_t
vmb_hist_merge(struct vmb_hist *dst, const struct vmb_hist *src)
{
    if (src->total_count == 0)
        return 0;
    uint64_t dropped = 0;
    bool same = dst->counts_len == src->counts_len &&
                dst->unit_magnitude == src->unit_magnitude &&
                dst->sub_bucket_half_count_magnitude ==
                    src->sub_bucket_half_count_magnitude;
    if (same) {
        for (int32_t i = 0; i < src->counts_len; i++)
            dst->counts[i] += src->counts[i];
        dst->total_count += src->total_count;
        dst->sum += src->sum;
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
        return 0;
    }
    /* Different layouts: re-record each bucket at its lowest value, with
     * the exact extremes kept by recording them separately. */
    for (int32_t i = 0; i < src->counts_len; i++) {
        uint64_t c = src->counts[i];
        if (c == 0)
            continue;
        int64_t v = value_from_index(src, i);
        if (!vmb_hist_record_n(dst, v, c))
            dropped += c;
    }
    if (dropped == 0) {
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
    }
    return dropped;
}

uint64_t
vmb_hist_count(const struct vmb_hist *h)
{
    return h->total_count;
}

int64_t
vmb_hist_min(const struct vmb_hist *h)
{
    return h->total_count ? h->min : 0;
}

int64_t
vmb_hist_max(const struct vmb_hist *h)
{
    return h->total_count ? h->max : 0;
}

double
vmb_hist_mean(const struct vmb_hist *h)
{
    return h->total_count ? h->sum / (double)h->total_count : 0.0;
}

double
vmb_hist_stddev(const struct vmb_hist *h)
{
    if (h->total_count == 0)
        return 0.0;
    double mean = vmb_hist_mean(h);
    double acc = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        if (h->counts[i] == 0)
            continue;
        int64_t lo = value_from_index(h, i);
        double mid = (double)lo + (double)equivalent_range(h, lo) / 2.0;
        double d = mid - mean;
        acc += d * d * (double)h->counts[i];
    }
    return sqrt(acc / (double)h->total_count);
}

static int64_t
clamp_to_max(const struct vmb_hist *h, int64_t v)
{
    return v > h->max ? h->max : v;
}

int64_t
vmb_hist_value_at_percentile(const struct vmb_hist *h, double p)
{
    if (h->total_count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    if (p < 0)
        p = 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->total_count + 0.5);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= want)
            return clamp_to_max(
                h, vmb_hist_highest_equivalent(h, value_from_index(h, i)));
    }
    return h->max;
}

void
vmb_hist_iter_init(struct vmb_hist_iter *it, const struct vmb_hist *h,
                   int ticks_per_half_distance)
{
    memset(it, 0, sizeof(*it));
    it->h = h;
    it->ticks_per_half_distance =
        ticks_per_half_distance > 0 ? ticks_per_half_distance : 1;
    it->done = h->total_count == 0;
}

bool
vmb_hist_iter_next(struct vmb_hist_iter *it)
{
    const struct vmb_hist *h = it->h;
    if (it->done)
        return false;
    if (it->count_to_here >= h->total_count) {
        if (it->reached_last) {
            it->done = true;
            return false;
        }
        it->reached_last = true;
        it->value = h->max;
        it->percentile = 100.0;
        return true;
    }
    double want_d = ceil(it->next_percentile / 100.0 * (double)h->total_count);
    uint64_t want = want_d < 1 ? 1 : (uint64_t)want_d;
    if (want > h->total_count)
        want = h->total_count;
    while (it->count_to_here < want && it->index < h->counts_len)
        it->count_to_here += h->counts[it->index++];
    it->value = clamp_to_max(
        h, vmb_hist_highest_equivalent(h, value_from_index(h, it->index - 1)));
    it->percentile = it->next_percentile;

    double remaining = 100.0 - it->next_percentile;
    double halvings = remaining > 0 ? floor(log2(100.0 / remaining)) : 60;
    if (halvings > 60)
        halvings = 60;
    double ticks = it->ticks_per_half_distance * pow(2.0, halvings + 1);
    it->next_percentile += 100.0 / ticks;
    return true;
}

void
vmb_hist_write_hgrm(const struct vmb_hist *h, struct vmb_buf *b,
                    double unit_divisor, int ticks_per_half_distance)
{
    vmb_buf_printf(b, "%12s %14s %10s %14s\n\n", "Value", "Percentile",
                   "TotalCount", "1/(1-Percentile)");
    struct vmb_hist_iter it;
    vmb_hist_iter_init(&it, h, ticks_per_half_distance);
    while (vmb_hist_iter_next(&it)) {
        double q = it.percentile / 100.0;
        if (q < 1.0)
            vmb_buf_printf(b, "%12.3f %2.12f %10llu %14.2f\n",
                           (double)it.value / unit_divisor, q,
                           (unsigned long long)it.count_to_here,
                           1.0 / (1.0 - q));
        else
            vmb_buf_printf(b, "%12.3f %2.12f %10llu\n",
                           (double)it.value / unit_divisor, q,
                           (unsigned long long)it.count_to_here);
    }
    vmb_buf_printf(b, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n",
                   vmb_hist_mean(h) / unit_divisor,
                   vmb_hist_stddev(h) / unit_divisor);
    vmb_buf_printf(b, "#[Max     = %12.3f, Total count    = %12llu]\n",
                   (double)vmb_hist_max(h) / unit_divisor,
                   (unsigned long long)h->total_count);
    vmb_buf_printf(b, "#[Buckets = %12d, SubBuckets     = %12d]\n",
                   h->bucket_count, h->sub_bucket_count);
}
