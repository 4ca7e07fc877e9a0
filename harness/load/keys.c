#include "load/keys.h"

#include <math.h>
#include <string.h>

#include "load/load.h"

/* log1p(x)/x and expm1(x)/x, accurate near 0. */
static double
log1p_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double
expm1_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1 + x * 0.5 * (1 + x / 3.0 * (1 + 0.25 * x));
}

/* h(x) = x^-skew, H its integral, Hinv the inverse of H. */
static double
zipf_h(const struct vmb_keygen *g, double x)
{
    return exp(-g->skew * log(x));
}

static double
zipf_H(const struct vmb_keygen *g, double x)
{
    double lx = log(x);
    return expm1_over_x((1 - g->skew) * lx) * lx;
}

static double
zipf_Hinv(const struct vmb_keygen *g, double y)
{
    double t = y * (1 - g->skew);
    if (t < -1)
        t = -1;
    return exp(log1p_over_x(t) * y);
}

void
vmb_keygen_init(struct vmb_keygen *g, int dist, uint64_t keys, double skew,
                uint64_t first, uint64_t last, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->dist = dist;
    g->keys = keys ? keys : 1;
    g->first = first < g->keys ? first : 0;
    g->last = last > g->first && last <= g->keys ? last : g->keys;
    g->next = g->first;
    g->rng.s = seed;
    g->skew = skew > 0 ? skew : 0.99;
    if (dist == VMB_DIST_ZIPFIAN) {
        g->h_x1 = zipf_H(g, 1.5) - 1;
        g->h_n = zipf_H(g, (double)g->keys + 0.5);
        g->s = 2 - zipf_Hinv(g, zipf_H(g, 2.5) - zipf_h(g, 2));
    }
}

static uint64_t
zipf_next(struct vmb_keygen *g)
{
    for (;;) {
        double u = g->h_n + vmb_rng_double(&g->rng) * (g->h_x1 - g->h_n);
        double x = zipf_Hinv(g, u);
        double kd = floor(x + 0.5);
        if (kd < 1)
            kd = 1;
        else if (kd > (double)g->keys)
            kd = (double)g->keys;
        if (kd - x <= g->s || u >= zipf_H(g, kd + 0.5) - zipf_h(g, kd))
            return (uint64_t)kd - 1;
    }
}

static uint64_t
gauss_next(struct vmb_keygen *g)
{
    double mean = (double)g->keys / 2.0;
    double sd = (double)g->keys / 6.0;
    for (;;) {
        double u1 = vmb_rng_double(&g->rng);
        double u2 = vmb_rng_double(&g->rng);
        if (u1 <= 0)
            continue;
        double z = sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
        double v = floor(mean + z * sd);
        if (v >= 0 && v < (double)g->keys)
            return (uint64_t)v;
    }
}

uint64_t
vmb_keygen_next(struct vmb_keygen *g)
{
    switch (g->dist) {
    case VMB_DIST_SEQUENTIAL: {
        uint64_t k = g->next++;
        if (g->next >= g->last)
            g->next = g->first;
        return k;
    }
    case VMB_DIST_ZIPFIAN:
        return zipf_next(g);
    case VMB_DIST_GAUSSIAN:
        return gauss_next(g);
    default:
        return vmb_rng_below(&g->rng, g->keys);
    }
}
