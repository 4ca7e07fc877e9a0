/*
 * tune.json read back: the settings a tune was started with (for
 * `vmbench tune --resume`) and the history of its rounds (for the report).
 */
#ifndef VMB_RESULTS_TUNE_H
#define VMB_RESULTS_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The settings of a tune, kept in tune.json for `vmbench tune --resume`. */
struct vmb_tune_settings {
    char *objective; /* "write.op_rate" */
    char *limit;     /* "write.p99=2ms" as given, or NULL */
    int64_t first;   /* repetitions of the first round */
    int64_t budget;  /* runs at most, 0: none */
    char *only;      /* "all", "vm", "baremetal" */
};

/*
 * Reads the settings from <dir>/tune.json (report/results_tune.c, which
 * checks every value as the results reader does). Fails (VMB_ERR_INPUT)
 * when the file is missing, malformed or holds a value no tune writes.
 */
int vmb_tune_settings_read(const char *dir, struct vmb_tune_settings *out,
                           struct vmb_error **err);
void vmb_tune_settings_clear(struct vmb_tune_settings *s);

/* One cell of one round of tune.json's history. */
struct vmb_tune_step {
    int64_t round, repetitions;
    char *id, *label, *status, *why; /* why: NULL unless dropped */
    double n, median, lo, hi, p_best;
};

/* tune.json's history, for the report. */
struct vmb_tune_history {
    char *objective, *limit, *stopped, *winner; /* winner: its label */
    double runs, factorial_runs;
    struct vmb_tune_step *steps; /* round by round, in file order */
    size_t nsteps;
};

/*
 * Reads <dir>/tune.json's history. Returns 1 when the directory holds no
 * tune.json, 0 when read, -1 (VMB_ERR_INPUT) naming the first bad field.
 */
int vmb_tune_history_read(const char *dir, struct vmb_tune_history *out,
                          struct vmb_error **err);
void vmb_tune_history_clear(struct vmb_tune_history *h);

#endif
