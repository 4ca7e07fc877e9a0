/*
 * `vmbench run`: executes a matrix's plan into a results directory
 * (docs/results-format.md), resumable after any interruption.
 */
#ifndef VMB_RUN_H
#define VMB_RUN_H

#include <stdbool.h>

#include "base/error.h"
#include "config/matrix.h"

struct vmb_plan_run;

enum vmb_run_only { VMB_RUN_ALL, VMB_RUN_ONLY_VM, VMB_RUN_ONLY_BAREMETAL };

struct vmb_run_opts {
    const char *matrix; /* matrix file; NULL with resume (the copy is used) */
    const char *out;    /* results directory to create; NULL: default name */
    const char *kata;   /* --kata: configuration.toml base; NULL: kata: */
    const char *resume; /* results directory to continue; NULL: a new run */
    bool dry_run;       /* print what would run, start nothing */
    /* With resume: runs recorded as failed are done again. */
    bool retry_failed;
    /*
     * The caller has checked the host already (tune's later rounds): no
     * preflight, and the session's notes (the preflight's, those of a
     * runtime's environment such as the fallback to TCG) are not
     * repeated.
     */
    bool preflight_done;
    /*
     * NULL, or where the number of runs that could not start (their
     * environment missing: no result.json written) is stored.
     */
    size_t *not_started;
    int only; /* enum vmb_run_only */
    /* --shard K/N: only shard `shard` of `nshards` (config/shard.h);
     * nshards 0: the whole matrix. A resumed run takes its shard from
     * its plan.json. */
    size_t shard, nshards;
    /*
     * Called with the results directory once every run is done and
     * run.json is written (not on --dry-run or after an interruption):
     * the command layer writes the report there. NULL: no report.
     */
    void (*report)(const char *dir);
    /*
     * When set, only the planned runs it accepts are done (a tune's
     * rounds); the others are left as --only leaves them. NULL: all.
     */
    bool (*want)(void *ctx, const struct vmb_plan_run *r);
    void *want_ctx;
    /*
     * When set, called once the results directory is written and locked,
     * before any run (not on --dry-run); a failure stops the session.
     */
    int (*begin)(void *ctx, const char *dir, struct vmb_error **err);
};

/*
 * Runs the plan. Returns 0 when every run succeeded, 1 when some failed
 * (each recorded as failed in its result.json, listed on stderr), or -1
 * with *err set when the run could not go on (bad matrix or directory:
 * VMB_ERR_INPUT; interrupted: VMB_ERR_RUN, with finished runs kept).
 */
int vmb_run(const struct vmb_run_opts *opts, struct vmb_error **err);

/*
 * Loads the matrix a results directory was made from: dir/matrix.yaml,
 * on dir/kata-base.toml (the copy of the Kata base file the run started
 * from, written when it had one) when that is there.
 */
int vmb_run_load_matrix(const char *dir, struct vmb_matrix **m,
                        struct vmb_error **err);

#endif
