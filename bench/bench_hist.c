/*
 * Cost of recording one latency in the load generator's histogram:
 * records a pre-generated sequence of latencies (log-uniform over
 * 1 us .. 10 s, in ns, as the engine records them) many times and prints
 * nanoseconds per record. Also times merge and a percentile query.
 *
 *     build/bench/bench_hist [records]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "load/hist.h"

#define NVALUES (1 << 20)

int
main(int argc, char **argv)
{
    uint64_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000000ULL;
    int64_t *vals = malloc(NVALUES * sizeof(*vals));
    uint64_t s = 1;
    for (size_t i = 0; i < NVALUES; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        vals[i] = (int64_t)pow(10.0, 3.0 + 7.0 * u);
    }
    struct vmb_hist h, h2;
    if (vmb_hist_init(&h, 1, 3600000000000LL, 3, NULL) < 0 ||
        vmb_hist_init(&h2, 1, 3600000000000LL, 3, NULL) < 0)
        return 1;

    /* warm the counts and the caches */
    for (size_t i = 0; i < NVALUES; i++)
        vmb_hist_record(&h, vals[i]);
    vmb_hist_reset(&h);

    uint64_t t0 = vmb_now_ns();
    for (uint64_t i = 0; i < records; i++)
        vmb_hist_record(&h, vals[i & (NVALUES - 1)]);
    uint64_t t1 = vmb_now_ns();
    double per = (double)(t1 - t0) / (double)records;

    uint64_t m0 = vmb_now_ns();
    for (int i = 0; i < 100; i++)
        vmb_hist_merge(&h2, &h);
    uint64_t m1 = vmb_now_ns();

    uint64_t q0 = vmb_now_ns();
    int64_t sink = 0;
    for (int i = 0; i < 100; i++)
        sink += vmb_hist_value_at_percentile(&h, 99.0 + i * 0.009);
    uint64_t q1 = vmb_now_ns();

    printf("record: %.2f ns per value (%llu values, %d-byte counts array)\n",
           per, (unsigned long long)records, (int)(h.counts_len * 8));
    printf("merge: %.1f us per merge\n", (double)(m1 - m0) / 100 / 1000.0);
    printf("value_at_percentile: %.1f us per query (p99 %.3f ms)\n",
           (double)(q1 - q0) / 100 / 1000.0,
           (double)vmb_hist_value_at_percentile(&h, 99) / 1e6);
    printf("target: record <= 20 ns: %s\n", per <= 20 ? "met" : "NOT met");
    if (sink == 42)
        puts("");
    vmb_hist_fini(&h);
    vmb_hist_fini(&h2);
    free(vals);
    return per <= 20 ? 0 : 1;
}
