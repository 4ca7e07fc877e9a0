/*
 * The plan: which runs, in which order. Built from an expanded matrix;
 * shared by `vmbench plan` (print) and `vmbench run` (execute, resume).
 */
#ifndef VMB_PLAN_H
#define VMB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "config/matrix.h"

struct vmb_plan_run {
    const struct vmb_cell *cell; /* a VM cell or a control cell */
    int rep;                     /* 1-based repetition */
};

struct vmb_plan {
    struct vmb_plan_run *runs;
    size_t nruns;
    uint64_t seed;     /* the seed used for `order: random` and the bootstrap */
    int order;         /* enum vmb_order */
    double estimate_s; /* rough duration estimate, seconds */
    /* The plan's identity: a hash of its order, repetitions, cells and
     * controls (by id), the same on every host that plans the same matrix
     * (the seed and the host's verdicts are not part of it). */
    char id[17];
    /* A shard (config/shard.h): nshards 0 is the whole matrix. */
    size_t shard, nshards;
    /* With a shard: per VM cell (cell_in) and per control (control_in)
     * of the matrix, whether plan.json lists it (control_in 2: as this
     * host's calibration); NULL: every one. Owned by the plan. */
    unsigned char *cell_in, *control_in;
};

/*
 * Orders every (cell, rep) and (control, rep). interleaved: repetition 1
 * of every cell and control, then repetition 2, ...; sequential: every
 * repetition of a cell before the next; random: interleaved rounds, each
 * shuffled with top.seed, or a fresh seed recorded in the plan when 0.
 * Fails (VMB_ERR_INPUT) on more runs than VMB_MATRIX_MAX_RUNS, which a
 * matrix from the loader never has.
 */
int vmb_plan_build(const struct vmb_matrix *m, struct vmb_plan **out,
                   struct vmb_error **err);
void vmb_plan_free(struct vmb_plan *p);

/* Seconds one run of c may take, roughly: boot plus its phases. */
double vmb_plan_estimate_run(const struct vmb_cell *c);

/* Relative results path of a run: "cells/<id>/rep<k>" or "control/<id>/rep<k>".
 */
char *vmb_plan_run_dir(const struct vmb_plan_run *r);

#endif
