/*
 * One load phase of a run, between `vmbench run` and the load generator
 * (load/load.h): targets from the database nodes, the phase's histogram
 * file into the run directory, its PHASE object and time-series rows back.
 */
#ifndef VMB_RUN_LOAD_H
#define VMB_RUN_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/config.h"
#include "db/db.h"
#include "load/load.h"

struct vmb_run_phase_out {
    char *json;        /* the PHASE object of docs/results-format.md; owned */
    char *csv;         /* timeseries.csv rows of the phase, no header; owned */
    char name[40];     /* "0-write" */
    uint64_t start_ns; /* vmb_now_ns() of the measurement window's start */
    double duration_s; /* the window's length */
    double ops;        /* operations measured in it */
};

void vmb_run_phase_out_free(struct vmb_run_phase_out *out);

/* The header line of timeseries.csv. */
void vmb_run_load_csv_header(struct vmb_buf *b);

/*
 * Runs phase `index` of cfg against every tenant's pair at once: nodes
 * holds 2 x ntenants nodes, tenant t's primary at 2t and its replica
 * (which load.read_from may send reads to) at 2t + 1. Writes
 * latency-<index>-<op>.hgrm (all tenants' operations) into dir, and
 * fills out. rate(ctx, ops, ops_per_s) is called about once a
 * second with the measured operations so far and the current rate. Fails when
 * the generator cannot run, and when every operation of the phase failed or
 * it stalled or reached phase_timeout before any completed (out is filled
 * even then). A phase that stalled or reached its limit after some
 * operations succeeds; its PHASE object's "ended_by" says so.
 */
int vmb_run_load_phase(const struct vmb_config *cfg, size_t index,
                       const struct vmb_db_node *nodes, size_t ntenants,
                       const char *dir,
                       void (*rate)(void *ctx, uint64_t ops, double ops_per_s),
                       void *ctx, struct vmb_run_phase_out *out,
                       struct vmb_error **err);

/*
 * Records a phase's result as vmb_run_load_phase does (its histogram file
 * in dir, out filled) and fails the same way when nothing completed.
 */
int vmb_run_phase_record(const struct vmb_load_result *res, const char *dir,
                         struct vmb_run_phase_out *out, struct vmb_error **err);

/*
 * The untimed step before the first measured phase: makes on primary the
 * tables cfg's phases need (PostgreSQL: COPY, then VACUUM ANALYZE; Redis:
 * nothing, out->seconds 0). Fails with the server's message.
 */
int vmb_run_load_prepare(const struct vmb_config *cfg,
                         const struct vmb_db_node *primary,
                         struct vmb_load_prepared *out, struct vmb_error **err);

/* Whether a phase of op writes (and so has a replication lag after it). */
bool vmb_run_op_writes(int op);

#endif
