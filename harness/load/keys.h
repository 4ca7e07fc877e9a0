/*
 * Random numbers and key distributions of the load generator.
 *
 * A generator draws key indexes in [0, keys). Each thread owns its own
 * generator state; nothing here allocates after init or takes a lock.
 */
#ifndef VMB_KEYS_H
#define VMB_KEYS_H

#include <stdint.h>

/* splitmix64: small, fast, good enough to pick keys and op kinds. */
struct vmb_rng {
    uint64_t s;
};

static inline uint64_t
vmb_rng_next(struct vmb_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift, bias < n / 2^64). */
static inline uint64_t
vmb_rng_below(struct vmb_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)vmb_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double
vmb_rng_double(struct vmb_rng *r)
{
    return (double)(vmb_rng_next(r) >> 11) * 0x1.0p-53;
}

struct vmb_keygen {
    int dist;       /* enum vmb_key_dist */
    uint64_t keys;  /* population */
    uint64_t first; /* sequential: this generator's slice [first, last) */
    uint64_t last;
    uint64_t next; /* sequential: next index */
    /* zipfian, rejection-inversion (Hoermann and Derflinger) constants */
    double skew;
    double h_x1;
    double h_n;
    double s;
    struct vmb_rng rng;
};

/*
 * Sets up a generator over keys keys. Sequential generators walk
 * [first, last) and wrap (threads get disjoint slices so that together
 * they write each key once); other distributions ignore the slice. Zipfian
 * gives key 0 the highest rank, with exponent skew (> 0); gaussian centres
 * on keys/2 with a standard deviation of keys/6.
 */
void vmb_keygen_init(struct vmb_keygen *g, int dist, uint64_t keys, double skew,
                     uint64_t first, uint64_t last, uint64_t seed);

/* The next key index, in [0, keys). */
uint64_t vmb_keygen_next(struct vmb_keygen *g);

#endif
