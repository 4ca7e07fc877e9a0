/*
 * `vmbench tune`: a race over the cells of a matrix instead of every
 * repetition of every cell. Rounds of runs go through vmb_run into an
 * ordinary results directory; after each round the race reads the
 * results back and drops the clearly worse cells (analysis/race.h).
 * tune.json records the settings and every round's decisions.
 */
#ifndef VMB_TUNE_H
#define VMB_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "run/run.h"

struct vmb_tune_opts {
    /*
     * What every run takes (run.h), for the race's rounds: matrix (NULL
     * with resume), out (NULL: default), kata (the Kata base; NULL with
     * resume, which keeps the tune's own copy), resume (a tune's results
     * directory to continue), dry_run (print the first round, start
     * nothing), only (enum vmb_run_only: ALL and VM race the VM cells,
     * BAREMETAL the controls) and report (called with the results
     * directory when the race has ended, before the winner is printed;
     * NULL: no report). want, want_ctx and begin are the tune's own.
     */
    struct vmb_run_opts run;
    const char *objective; /* "PHASE.METRIC"; NULL with resume */
    const char *limit;     /* "PHASE.METRIC=VALUE" (at most), or NULL */
    int64_t first;         /* repetitions of the first round; 0: 3 */
    int64_t budget;        /* at most this many runs; 0: no budget */
};

/*
 * Races the cells. Returns 0 with a winner (printed on stdout with the
 * `vmbench kata-config` command that writes it), 1 when no cell has a
 * value (or meets the limit), or -1 with *err set: bad matrix, objective,
 * limit or directory (VMB_ERR_INPUT), interrupted (VMB_ERR_RUN, resume
 * with `vmbench tune --resume DIR`). A resumed tune replays the race from
 * the results on disk and ends as an uninterrupted one would.
 */
int vmb_tune(const struct vmb_tune_opts *opts, struct vmb_error **err);

#endif
