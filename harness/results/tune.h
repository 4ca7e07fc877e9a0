/*
 * tune.json, both directions: written by `vmbench tune` after each round
 * (run/tune.c fills the structs below), read back for the settings a tune
 * was started with (`vmbench tune --resume`) and the history of its rounds
 * (the report). results/results_tune.c holds the schema: every key of the
 * file is spelled there once.
 */
#ifndef VMB_RESULTS_TUNE_H
#define VMB_RESULTS_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "base/error.h"
#include "base/util.h"

/* The settings of a tune, kept in tune.json for `vmbench tune --resume`. */
struct vmb_tune_settings {
    char *objective; /* "write.op_rate" */
    char *limit;     /* "write.p99=2ms" as given, or NULL */
    int64_t first;   /* repetitions of the first round */
    int64_t budget;  /* runs at most, 0: none */
    char *only;      /* "all", "vm", "baremetal" */
};

/*
 * Reads the settings from <dir>/tune.json (results/results_tune.c, which
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

/* One cell of one round as `vmbench tune` writes it. */
struct vmb_tune_cell {
    const char *id, *label, *status, *why; /* why: NULL unless dropped */
    uint64_t n;
    double median, lo, hi, p_best;
    double limit_median, limit_lo; /* written under --limit only */
};

/* One round as `vmbench tune` writes it. */
struct vmb_tune_round {
    int64_t round, repetitions;
    uint64_t runs;                     /* runs planned so far */
    const char *best;                  /* the best cell's id, or NULL */
    bool has_limit;                    /* write limit_median, limit_lo */
    const struct vmb_tune_cell *cells; /* those racing at its start */
    size_t ncells;
};

/*
 * Appends one round, serialised, to `rounds` (a comma-separated list kept
 * by the tune between rounds and handed to vmb_tune_json_write).
 */
void vmb_tune_round_append(struct vmb_buf *rounds,
                           const struct vmb_tune_round *r);

/* All of tune.json but its rounds, as `vmbench tune` writes it. */
struct vmb_tune_record {
    const struct vmb_tune_settings *set;
    bool higher_better;  /* the objective's direction */
    const char *racing;  /* "controls" or "cells" */
    int64_t repetitions; /* the matrix's */
    const char *rounds;  /* vmb_tune_round_append's list, or "" */
    uint64_t runs;       /* runs planned so far */
    uint64_t factorial_runs;
    const char *stopped;   /* why the race stopped, NULL while it runs */
    const char *winner_id; /* NULL: no winner (yet) */
    const char *winner_label;
};

/* Writes <dir>/tune.json atomically. */
int vmb_tune_json_write(const char *dir, const struct vmb_tune_record *rec,
                        struct vmb_error **err);

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
