/*
 * The racing rule of `vmbench tune`: medians and percentile-bootstrap
 * intervals per cell, then the drops. Every random draw comes from the
 * rule's seed (and the cell id), so a replay decides the same.
 */
#include "analysis/race.h"

#include <math.h>
#include <stdlib.h>

#include "base/stats.h"
#include "base/util.h"

const char *
vmb_race_why_name(enum vmb_race_why why)
{
    switch (why) {
    case VMB_RACE_ALIVE:
        return "alive";
    case VMB_RACE_BEST:
        return "best";
    case VMB_RACE_INTERVAL:
        return "interval";
    case VMB_RACE_PROBABILITY:
        return "probability";
    case VMB_RACE_LIMIT:
        return "limit";
    case VMB_RACE_NO_DATA:
        return "no-data";
    }
    return "?";
}

struct vmb_race_rule
vmb_race_rule_default(bool higher_better, uint64_t seed)
{
    return (struct vmb_race_rule){
        .higher_better = higher_better,
        .p_min = 0.05,
        .level = 0.95,
        .resamples = 2000,
        .seed = seed,
    };
}

size_t
vmb_race_racing(const struct vmb_race_cand *c, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += c[i].racing;
    return k;
}

static bool
better(const struct vmb_race_rule *rule, double a, double b)
{
    return rule->higher_better ? a > b : a < b;
}

static bool
feasible(const struct vmb_race_rule *rule, const struct vmb_race_cand *c)
{
    return !rule->has_limit || c->lmedian <= rule->limit;
}

static void
summarise(const struct vmb_race_rule *rule, struct vmb_race_cand *c)
{
    c->median = c->lo = c->hi = NAN;
    c->lmedian = c->llo = c->lhi = NAN;
    c->p_best = NAN;
    if (c->n == 0)
        return;
    uint64_t seed = vmb_stats_seed_for(rule->seed, c->id);
    c->median = vmb_stats_median(c->x, c->n);
    struct vmb_interval ci = vmb_stats_bootstrap_median(
        c->x, c->n, seed, rule->resamples, rule->level);
    c->lo = ci.lo;
    c->hi = ci.hi;
    if (!rule->has_limit || c->lx == NULL)
        return;
    c->lmedian = vmb_stats_median(c->lx, c->n);
    ci = vmb_stats_bootstrap_median(c->lx, c->n, seed ^ 1, rule->resamples,
                                    rule->level);
    c->llo = ci.lo;
    c->lhi = ci.hi;
}

static double
resampled_median(struct vmb_rng *rng, const double *x, size_t n, double *tmp)
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = x[vmb_rng_below(rng, n)];
    return vmb_stats_median(tmp, n);
}

/*
 * The share of resamples in which each contender has the best median:
 * every contender resampled together, ties to the earlier cell.
 */
static void
probability_best(const struct vmb_race_rule *rule, struct vmb_race_cand *c,
                 size_t n, const bool *contender)
{
    size_t maxn = 0;
    for (size_t i = 0; i < n; i++)
        if (contender[i] && c[i].n > maxn)
            maxn = c[i].n;
    double *tmp = vmb_xcalloc(maxn ? maxn : 1, sizeof(*tmp));
    size_t *wins = vmb_xcalloc(n, sizeof(*wins));
    struct vmb_rng rng;
    vmb_rng_seed(&rng, vmb_stats_seed_for(rule->seed, "tune/p-best"));
    for (size_t b = 0; b < rule->resamples; b++) {
        long best = -1;
        double bm = NAN;
        for (size_t i = 0; i < n; i++) {
            if (!contender[i])
                continue;
            double m = resampled_median(&rng, c[i].x, c[i].n, tmp);
            if (best < 0 || better(rule, m, bm)) {
                best = (long)i;
                bm = m;
            }
        }
        if (best >= 0)
            wins[best]++;
    }
    for (size_t i = 0; i < n; i++)
        if (contender[i])
            c[i].p_best = (double)wins[i] / (double)rule->resamples;
    free(tmp);
    free(wins);
}

static void
drop(struct vmb_race_cand *c, enum vmb_race_why why)
{
    c->why = why;
    c->racing = false;
}

long
vmb_race_decide(const struct vmb_race_rule *rule, struct vmb_race_cand *c,
                size_t n)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        if (!c[i].racing)
            continue;
        c[i].why = VMB_RACE_ALIVE;
        summarise(rule, &c[i]);
        if (c[i].n == 0)
            continue;
        if (feasible(rule, &c[i]) &&
            (best < 0 || better(rule, c[i].median, c[best].median)))
            best = (long)i;
    }
    bool *contender = vmb_xcalloc(n ? n : 1, sizeof(*contender));
    for (size_t i = 0; i < n; i++)
        contender[i] = c[i].racing && c[i].n > 0 && feasible(rule, &c[i]);
    if (best >= 0)
        probability_best(rule, c, n, contender);
    free(contender);
    for (size_t i = 0; i < n; i++) {
        if (!c[i].racing || (long)i == best)
            continue;
        if (c[i].n == 0)
            drop(&c[i], VMB_RACE_NO_DATA);
        else if (c[i].n < VMB_RACE_MIN_RUNS)
            continue; /* its interval is its range: too narrow to judge */
        else if (rule->has_limit && c[i].llo > rule->limit)
            drop(&c[i], VMB_RACE_LIMIT);
        else if (best < 0 || c[best].n < VMB_RACE_MIN_RUNS)
            continue;
        else if (rule->higher_better ? c[i].hi < c[best].lo
                                     : c[i].lo > c[best].hi)
            drop(&c[i], VMB_RACE_INTERVAL);
        else if (!isnan(c[i].p_best) && c[i].p_best < rule->p_min)
            drop(&c[i], VMB_RACE_PROBABILITY);
    }
    if (best >= 0)
        c[best].why = VMB_RACE_BEST;
    return best;
}
