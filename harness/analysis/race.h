/*
 * The elimination rule of `vmbench tune` (racing): after each round, which
 * cells are clearly worse than the current best on the objective and
 * leave the race. Pure statistics on the numbers given, so that a race
 * replayed from the same results decides the same (tune --resume).
 */
#ifndef VMB_ANALYSIS_RACE_H
#define VMB_ANALYSIS_RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/*
 * The fewest successful runs a cell (and the current best) must have
 * before the race may drop it by its interval, its probability or the
 * limit. With n <= 3 values the percentile bootstrap puts at least a
 * quarter of its resampled medians on the smallest value and a quarter
 * on the largest, so the 95% interval is the runs' range [min, max]: one
 * run has a zero-width interval (any difference "separates"), and the
 * interval rule is "the two ranges do not overlap"; when they do not,
 * the worse cell never wins a resample either (p(best) 0). For two cells
 * with the same distribution, all n runs of one fall below all n of the
 * other with probability 1 / C(2n, n): 1/2 at n = 1, 1/6 at n = 2, 1/20
 * at n = 3. 3 is the smallest n at which a cell as good as the best is
 * dropped with probability at most 5%, the rule's own p_min.
 */
#define VMB_RACE_MIN_RUNS 3

/* Why a cell is where it is after a decision. */
enum vmb_race_why {
    VMB_RACE_ALIVE,       /* still racing */
    VMB_RACE_BEST,        /* the current best, still racing */
    VMB_RACE_INTERVAL,    /* its interval is entirely worse than the best's */
    VMB_RACE_PROBABILITY, /* bootstrap probability of being best < p_min */
    VMB_RACE_LIMIT,       /* its limit metric's interval is over the limit */
    VMB_RACE_NO_DATA,     /* no successful run in the race's repetitions */
};

/* "alive", "best", "interval", "probability", "limit", "no-data". */
const char *vmb_race_why_name(enum vmb_race_why why);

struct vmb_race_rule {
    bool higher_better; /* the objective: op_rate higher, latency lower */
    bool has_limit;     /* a constraint on a second metric ... */
    double limit;       /* ... which must stay at or under this */
    double p_min;       /* drop below this probability of being best (0.05) */
    double level;       /* interval level (0.95) */
    size_t resamples;   /* bootstrap resamples (2000) */
    uint64_t seed;      /* the results' seed: the same numbers, same verdict */
};

/* The rule the issue asks for: 95% intervals, 5%, 2000 resamples. */
struct vmb_race_rule vmb_race_rule_default(bool higher_better, uint64_t seed);

struct vmb_race_cand {
    /* in */
    const char *id;   /* derives the cell's bootstrap seed */
    const double *x;  /* objective values of its successful repetitions */
    size_t n;         /* at most VMB_STATS_MAX_REPS */
    const double *lx; /* limit metric values (rule.has_limit), n of them */
    bool racing;      /* false: dropped before; left as it is */
    /* out, for racing cells (NAN where there is no value) */
    double median, lo, hi;    /* objective, its interval */
    double lmedian, llo, lhi; /* limit metric, its interval */
    double p_best;            /* bootstrap probability of being best */
    enum vmb_race_why why;
};

/*
 * Decides one round over the racing candidates: computes each one's
 * median and interval, picks the best (best median among those whose
 * limit median is within the limit), and drops, never the best: a cell
 * without values (NO_DATA); one whose limit interval lies entirely over
 * the limit (LIMIT); one whose objective interval lies entirely on the
 * worse side of the best's (INTERVAL); one whose bootstrap probability of
 * being the best is under p_min (PROBABILITY). LIMIT needs the cell, and
 * INTERVAL and PROBABILITY the cell and the best, to have at least
 * VMB_RACE_MIN_RUNS values; before that a cell stays. Dropped cells get
 * racing false. Returns the best's index, or -1 when no racing cell is feasible
 * (then only NO_DATA and LIMIT drops happen).
 */
long vmb_race_decide(const struct vmb_race_rule *rule, struct vmb_race_cand *c,
                     size_t n);

/* Number of candidates still racing. */
size_t vmb_race_racing(const struct vmb_race_cand *c, size_t n);

#endif
