/*
 * The state `vmbench run` keeps for a session and for one run, shared by
 * run.c (the orchestration) and run_docs.c (the documents it writes).
 * Private to run/.
 */
#ifndef VMB_RUN_PRIV_H
#define VMB_RUN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "db/db.h"
#include "load/load.h"
#include "run/progress.h"
#include "run/resources.h"
#include "run/run.h"
#include "run/run_ignored.h"
#include "run/run_info.h"
#include "run/tenants.h"
#include "runtime/doctor.h"
#include "runtime/hostset.h"
#include "runtime/runtime.h"

/* ---- the session ---- */

struct failure {
    char *dir;
    char *label;
    char *error;
};

struct session {
    const struct vmb_run_opts *opts;
    char *dir; /* results directory */
    struct vmb_matrix *m;
    struct vmb_plan *plan;
    char started[32];
    struct vmb_buf resumed; /* JSON array members, already serialised */
    struct vmb_progress prog;
    struct vmb_notes notes; /* through prog */
    struct failure *failures;
    size_t nfailures;
    /* Runs that could not start for want of their environment (libvirt,
     * the guest image): no result.json, so a resume does them. */
    struct failure *unstarted;
    size_t nunstarted;
    size_t ok, failed; /* over all runs on disk, at the end */
    bool interrupted;
    int lock_fd;
    struct vmb_hostset *hostset; /* the host: settings, with the lock */
    struct vmb_doctor_report *doctor;
    /* Per runtime kind (enum vmb_cell_kind): its session env. */
    void *env[2];
    bool env_tried[2];
    char *env_error[2];
    /* The host and versions for run.json, gathered at its first write. */
    struct vmb_run_info info;
    bool have_info;
};

/* ---- one run ---- */

struct run_state {
    struct session *s;
    const struct vmb_plan_run *r;
    char *rel;     /* "cells/<id>/rep<k>" */
    char *dir;     /* results path of the run */
    char **phases; /* PHASE objects as JSON text */
    size_t nphases;
    struct vmb_run_resources resources; /* resource samples; timeseries rows */
    struct vmb_run_ignored ignored;     /* settings the placement dropped */
    struct {
        char phase[40];
        double s;
        int64_t bytes; /* -1: unknown */
    } * lags;
    /* The untimed prepare step, and the replica's catch-up after it. */
    struct vmb_load_prepared prepared;
    struct vmb_db_lag prepared_lag;
    bool has_prepared; /* replication lag after each writing phase */
    size_t nlags;
    /* Where each tenant's artefacts go, relative to dir: "" for tenant
     * 1, "tenant<k>" for the others. */
    char **tenant_dirs;
    uint64_t up_ns; /* when the machines started coming up */
    /* Each tenant's memory at the end of each phase: [phase][tenant]
     * pairs of nodes, nphases x ntenants of them. */
    struct vmb_run_memory mem;
};

/* "vm" or "baremetal", as the results name a cell's kind. */
static inline const char *
vmb_run_kind_name(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_VM ? "vm" : "baremetal";
}

/* Writes text to path atomically. */
int vmb_run_write_text(const char *path, const char *text,
                       struct vmb_error **err);

/* Writes w's document, with a final newline, to path atomically. */
int vmb_run_write_json(const char *path, struct vmb_jw *w,
                       struct vmb_error **err);

/* Writes the session's run.json; finished NULL while the run goes on. */
int vmb_run_write_run_json(struct session *s, const char *finished,
                           struct vmb_error **err);

/*
 * Writes the run's timeseries.csv and renders its result.json into
 * *json (malloc'd), from st and its nt tenants' runtimes rts.
 */
int vmb_run_render_result(struct run_state *st, struct vmb_runtime **rts,
                          size_t nt, const char *started, const char *error,
                          char **json, struct vmb_error **err);

#endif
