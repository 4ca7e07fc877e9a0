/*
 * A run's resources (where its time goes): the raw-limit probe, the
 * 1 Hz sampler of its runtime's counters (runtime/sample.h) while its
 * load phases run, and what the results get from them: each phase's
 * PHASE_RESOURCES object, the per-second columns of timeseries.csv, and
 * what sampling cost. "Resources" is the one name of this feature: the
 * results reader has them as struct vmb_res_resources, the report as
 * its resources section and charts.
 */
#ifndef VMB_RUN_RESOURCES_H
#define VMB_RUN_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "base/rawprobe.h"
#include "base/util.h"
#include "results/result_json.h"
#include "results/results.h"
#include "run/run_load.h"
#include "runtime/runtime.h"
#include "runtime/sample.h"

struct vmb_run_resources_phase {
    char name[40];
    uint64_t start_ns;
    double duration_s, ops;
    char *csv; /* the phase's timeseries rows; owned */
};

struct vmb_run_resources {
    struct vmb_sampler *sp;   /* the host's counters */
    struct vmb_sampler *gsp;  /* the guests' (VMs), on a thread of its own */
    struct vmb_runtime **rts; /* the tenants sampled; borrowed */
    size_t nrts;
    struct vmb_run_resources_phase *phases;
    size_t nphases;
    /* the probe of the raw limits; error when it failed (owned) */
    bool probed;
    struct vmb_rawprobe_result probe;
    char *probe_error;
    double rtt_us, rtt_loadgen_us; /* NAN when not measured */
};

/*
 * Probes the raw limits of rt's node 1 data directory when the cell asks
 * for it (top.probe); a failed probe is recorded, not fatal. Before the
 * database starts.
 */
void vmb_run_resources_probe(struct vmb_run_resources *r,
                             struct vmb_runtime *rt);
/* The round trips node 2 -> node 1 and load generator -> node 1, once
 * the database listens (with the probe). */
void vmb_run_resources_rtt(struct vmb_run_resources *r, struct vmb_runtime *rt);

/*
 * Starts sampling the nt runtimes of a run's tenants together (nothing
 * when their runtime has no sample op): every counter is the sum over
 * the tenants, but the host device's and, where the runtime says its I/O
 * is the host's (shared_io), the disk and network, taken once. rts must
 * outlive the sampling.
 */
void vmb_run_resources_start(struct vmb_run_resources *r,
                             struct vmb_runtime **rts, size_t nt);
/* Stops sampling; the samples stay for the phases' figures. */
void vmb_run_resources_stop(struct vmb_run_resources *r);
/* Records a finished phase (its window; its csv rows are taken). */
void vmb_run_resources_phase(struct vmb_run_resources *r,
                             struct vmb_runtime *rt,
                             struct vmb_run_phase_out *out);
/* Appends every phase's timeseries rows with the resource columns. */
void vmb_run_resources_csv(const struct vmb_run_resources *r,
                           struct vmb_buf *csv);
/*
 * The figures the results keep of a window: the delta d of the host's
 * counters over a phase that measured ops operations, and the delta of
 * the guests' (which vmb_sample_has_guest). Absent counters stay NAN.
 */
void vmb_run_resources_window(const struct vmb_sample *d, double ops,
                              struct vmb_res_resources *r);
void vmb_run_resources_guest(const struct vmb_sample *d,
                             struct vmb_res_resources *r);
/* result.json's resource records of r (results/result_json.h): each
 * phase's window, the probe and the sampling; *out's arrays are
 * malloc'd (vmb_run_resources_doc_free). */
void vmb_run_resources_doc(const struct vmb_run_resources *r,
                           struct vmb_result_resources *out);
void vmb_run_resources_doc_free(struct vmb_result_resources *out);
void vmb_run_resources_free(struct vmb_run_resources *r);

#endif
