/*
 * The report model, private to report/: every series the report shows,
 * computed once from a loaded results directory. For each phase, row
 * (VM cell or bare-metal control) and metric: the summary over the ok
 * repetitions (median, 95% bootstrap interval, CV), the ratio to the
 * cell's control with its interval, and the flags of the metrics that
 * are compared (op rate, p99); per VM cell, the boot stages.
 *
 * Everything is computed in vmb_model_build and freed with
 * vmb_model_free; the model borrows the results, which must outlive it.
 * Rates are per second, latencies microseconds, boot times seconds.
 */
#ifndef VMB_REPORT_MODEL_H
#define VMB_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/stats.h"
#include "results/metric.h"
#include "results/results.h"

struct vmb_model_series {
    struct vmb_summary s;
    double ratio; /* to the cell's control; NAN for controls */
    struct vmb_interval ratio_ci;
    struct vmb_flag flag;
    bool flagged_metric; /* flags were computed for this metric */
};

/* A cell or control, as a row of the report. */
struct vmb_model_row {
    const struct vmb_res_cell *cell;
    size_t control_row; /* index in rows of the control, SIZE_MAX if none */
    size_t nok, nfailed, nmissing;
    /* The cell's label, each setting its placement ignored marked
     * "(ignored)" (malloc'd). */
    char *label;
};

struct vmb_model_phase {
    char *name; /* "0-write" */
    char *op;
    int index;
    char *title; /* "write" or "0-write" when an op repeats */
    struct vmb_model_series *series; /* [nrows * vmb_nmetrics] */
    size_t *median_rep; /* per row: index into cell->reps, SIZE_MAX none */
};

struct vmb_model {
    const struct vmb_results *res;
    uint64_t seed;
    struct vmb_model_row *rows; /* VM cells first, then controls */
    size_t nrows, ncells;
    struct vmb_model_phase *phases; /* by phase index */
    size_t nphases;
    /* [ncells * vmb_nmetrics]: the boot rows' summaries */
    struct vmb_summary *boot;
    /* [nrows * vmb_nmetrics]: the probe rows' figures, ratio to the
     * control */
    struct vmb_model_series *probe;
    bool any_probe;
    bool any_resources; /* some phase of some run has host CPU figures */
    bool any_boot;
    int reps_max; /* most ok repetitions of any row */
    int reps_min; /* fewest, among rows with any */
    bool tcg;
    const char *accel;
};

/* Computes the whole model of r (which m borrows). Cannot fail. */
void vmb_model_build(struct vmb_model *m, const struct vmb_results *r);
void vmb_model_free(struct vmb_model *m);

/* The series of one phase, row and phase metric (an index into
 * vmb_metrics: VMB_METRIC_*); empty for a row that is no phase metric. */
static inline struct vmb_model_series *
vmb_model_series(const struct vmb_model *m, size_t phase, size_t row,
                 int metric)
{
    return &m->phases[phase].series[row * vmb_nmetrics + (size_t)metric];
}

/* The probe summary of one row and probe metric (VMB_PROBE_*). */
static inline struct vmb_model_series *
vmb_model_probe(const struct vmb_model *m, size_t row, int k)
{
    return &m->probe[row * vmb_nmetrics + (size_t)k];
}

/* The boot summary of one VM cell (row < ncells) and stage (VMB_BOOT_*). */
static inline const struct vmb_summary *
vmb_model_boot(const struct vmb_model *m, size_t row, int stage)
{
    return &m->boot[row * vmb_nmetrics + (size_t)stage];
}

/* The row's label as the report shows it (borrowed): a setting its
 * runs' placement ignored is marked "(ignored)". */
const char *vmb_model_label(const struct vmb_model *m, size_t row);

/* ---- model_tenants.c: runs of several tenants ---- */

/* The cell's tenants (1 where its config does not say). */
int64_t vmb_model_tenants(const struct vmb_model *m, size_t row);

/* The first row (in row order) with the same kind and settings as row
 * but for tenants: the family a scaling curve joins; row when none. */
size_t vmb_model_tenants_family(const struct vmb_model *m, size_t row);

/* Whether row's tenants pin more CPUs (tenants x 2 x vCPUs) than the
 * host of run.json has: its figures measure contention. */
bool vmb_model_oversubscribed(const struct vmb_model *m, size_t row);

/* The row with tenants: 1 and otherwise the same kind and settings as
 * row, which has several; SIZE_MAX when there is none. */
size_t vmb_model_tenants_twin(const struct vmb_model *m, size_t row);

/*
 * scaling_efficiency of a phase of row: the median aggregate op rate over
 * tenants x the median op rate of its twin. False (out zeroed) when the
 * row has no twin or either has no values; out has only n and median.
 */
bool vmb_model_scaling(const struct vmb_model *m, size_t phase, size_t row,
                       struct vmb_summary *out);

/* The values of phase metric `metric` (latency, op rate, errors) of one
 * tenant (0-based) over row's ok repetitions, at most max; how many. */
size_t vmb_model_tenant_values(const struct vmb_model *m, size_t phase,
                               size_t row, size_t tenant, int metric,
                               double *out, size_t max);

/* Whether any VM cell has a bare-metal control. */
bool vmb_model_any_control(const struct vmb_model *m);

/* "3 repetitions", or "2-3 repetitions" when runs failed; caller frees. */
char *vmb_model_reps_text(const struct vmb_model *m);

/*
 * The unit latencies up to max_us are shown in ("us", or "ms" from 2 ms
 * on), and the factor that converts microseconds to it.
 */
const char *vmb_model_lat_unit(double max_us);
double vmb_model_lat_scale(const char *unit);

#endif
