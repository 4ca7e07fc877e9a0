/*
 * `vmbench compare`: two results directories (A the baseline, B the
 * candidate), or B against bounds written from A.
 *
 * Cells and controls of A and B are matched by id, else by label (the
 * settings that differ are listed). For every matched cell, phase and
 * metric: the ratio of medians B/A with its 95% bootstrap interval, a
 * permutation test's p-value on the repetitions, and a verdict by the rule
 * of vmb_compare_verdict. Everything is computed by vmb_compare_build and
 * freed with vmb_compare_free; the comparison borrows both results.
 */
#ifndef VMB_ANALYSIS_COMPARE_H
#define VMB_ANALYSIS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/stats.h"
#include "base/util.h"
#include "results/metric.h"
#include "results/results.h"

/* Fewer repetitions a side than this: the interval rule, else the test. */
#define VMB_COMPARE_PERM_MIN 5

enum vmb_verdict {
    VMB_VERDICT_NONE,   /* too few repetitions (fewer than 2 a side) */
    VMB_VERDICT_SAME,   /* no change */
    VMB_VERDICT_FASTER, /* better: a higher op rate, a lower latency */
    VMB_VERDICT_SLOWER, /* worse: a regression; fails the gate */
    /* A has values, B none: B lacks the phase or only failed it; fails. */
    VMB_VERDICT_MISSING_B,
    /* B has values, A none: listed, not a failure. */
    VMB_VERDICT_MISSING_A,
    /* A value of an ok run, a median or the ratio is not a finite number
     * (absent, or overflowed); fails the gate. */
    VMB_VERDICT_NOT_FINITE,
};

/* "no change", "faster", "slower", "too few runs", "missing in B",
 * "missing in A", "not finite". */
const char *vmb_verdict_name(enum vmb_verdict v);

/* Whether a row with this verdict fails the gate. */
bool vmb_verdict_fails(enum vmb_verdict v);

/* The rule, one sentence, printed with every result. */
extern const char vmb_compare_rule[];

/*
 * The verdict on one ratio B/A: a change counts only when
 * |ratio - 1| > threshold (a fraction: 0.05) and it is significant: with
 * fewer than VMB_COMPARE_PERM_MIN repetitions on either side, the
 * ratio's interval [lo, hi] excludes 1; from there, p <= alpha. Its
 * direction is faster when the metric got better (higher_better and
 * ratio > 1, or lower and ratio < 1), else slower. NONE when either side
 * has fewer than 2 repetitions.
 *
 * A zero baseline: the caller passes ratio 1 when both medians are zero
 * (no change) and +infinity when B's median rose from zero. An infinite
 * ratio is beyond any threshold; it counts with fewer than
 * VMB_COMPARE_PERM_MIN repetitions a side (no interval of a ratio to zero
 * exists, and a median of 3 rises only when 2 runs do), from there when
 * p <= alpha. A fall to zero is the finite ratio 0, judged as any other.
 * A ratio that is NaN gives NOT_FINITE.
 */
enum vmb_verdict vmb_compare_verdict(double ratio, struct vmb_interval ci,
                                     double p, size_t na, size_t nb,
                                     bool higher_better, double threshold,
                                     double alpha);

struct vmb_compare_opts {
    const char *const *metrics; /* names of phase metrics (results/metric.h) */
    size_t nmetrics;
    double threshold; /* fraction */
    double alpha;
};

/* One cell (or control) of A matched with one of B. */
struct vmb_compare_pair {
    const struct vmb_res_cell *a, *b;
    bool by_label; /* ids differ, labels match */
    char **diff;   /* "key: A -> B" of settings that differ, term-raw */
    size_t ndiff;
};

/* One cell, phase and metric. */
struct vmb_compare_row {
    size_t pair;       /* index into pairs */
    const char *phase; /* "0-write", borrowed from A or B */
    const char *metric;
    size_t na, nb;         /* ok repetitions with a finite value */
    size_t nbad_a, nbad_b; /* ok repetitions whose value is not finite */
    double median_a, median_b, ratio;
    struct vmb_interval ci;
    double p;
    enum vmb_verdict verdict;
    bool control_slower; /* a VM cell whose control is slower here too */
};

struct vmb_compare {
    const struct vmb_results *a, *b;
    struct vmb_compare_opts opts;
    struct vmb_compare_pair *pairs;
    size_t npairs;
    struct vmb_compare_row *rows; /* gate failures, worst first */
    size_t nrows;
    size_t nslower, nfaster, nsame, nnone;
    size_t nmissing_b, nmissing_a, nnot_finite; /* rows */
    char **unmatched; /* "only in A: label (id)" lines, term-raw */
    size_t nunmatched;
    /* Cells of A that B lacks or has no ok run of: "label (id): why"
     * lines, term-raw; each fails the gate. */
    char **missing;
    size_t nmissing;
};

/*
 * How many things fail the gate: slower, missing-in-B and not-finite
 * rows, and cells of A that B lacks or only failed. 0: the gate passes.
 */
size_t vmb_compare_failures(const struct vmb_compare *c);

/* The gate's rule on missing and non-finite values, one sentence. */
extern const char vmb_compare_gate_rule[];

/*
 * Compares a with b. Fails (VMB_ERR_INPUT) when they have no cell or
 * control in common or none of the metrics is known.
 */
int vmb_compare_build(struct vmb_compare *c, const struct vmb_results *a,
                      const struct vmb_results *b,
                      const struct vmb_compare_opts *opts,
                      struct vmb_error **err);
void vmb_compare_free(struct vmb_compare *c);

/* ---- bounds (bounds.c) ---- */

struct vmb_bound {
    char *cell, *label, *phase, *metric;
    double median, tolerance; /* tolerance: a fraction of the median */
    unsigned line;            /* in the bounds file */
};

struct vmb_bounds {
    struct vmb_bound *b;
    size_t n;
};

/*
 * Writes the bounds of r as TOML: one [[bound]] per cell (and control),
 * phase and metric with ok repetitions: the median and a tolerance of
 * max(threshold, 3 x the coefficient of variation), at most 0.5, so
 * always one vmb_bounds_read takes; a comment instead where a value or
 * the median is not finite.
 */
char *vmb_bounds_write(const struct vmb_results *r,
                       const struct vmb_compare_opts *opts);

/*
 * Reads a bounds file (at most 4 MiB, 100000 bounds): comments, blank
 * lines, `schema = 1`, and [[bound]] tables of cell, label, phase,
 * metric (strings) and median (a finite number >= 0), tolerance (a
 * fraction in [0, 1)), cell or label and all the others required.
 * Anything else fails (VMB_ERR_INPUT) naming "path:line".
 */
int vmb_bounds_read(const char *path, struct vmb_bounds *out,
                    struct vmb_error **err);
/* The same on text already read; name is used in messages. */
int vmb_bounds_parse(const char *name, const char *text, size_t len,
                     struct vmb_bounds *out, struct vmb_error **err);
void vmb_bounds_free(struct vmb_bounds *b);

/*
 * Checks r against the bounds, printing one line per bound to out: a
 * bound fails when r's median is beyond median x (1 -+ tolerance) on the
 * metric's worse side, when r lacks its cell or has no ok run with the
 * phase, and when a value of an ok run or the median is not finite.
 * Returns how many failed; *checked how many had a cell in r. Results
 * strings are made safe for the terminal.
 */
size_t vmb_bounds_check(const struct vmb_bounds *bs,
                        const struct vmb_results *r, FILE *out,
                        size_t *checked);

/*
 * The ok repetitions' finite values of one phase and metric of a cell;
 * *nbad (when not NULL) counts the ok repetitions with the phase whose
 * value is not finite (absent in the file, or not a number).
 */
size_t vmb_compare_values(const struct vmb_res_cell *c, const char *phase,
                          const char *metric, double *out, size_t max,
                          size_t *nbad);

#endif
