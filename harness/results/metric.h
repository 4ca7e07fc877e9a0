/*
 * The metrics of a results directory: the table of every metric a phase,
 * the raw-limit probe and the boot stages have (name, unit, description),
 * and their values in the results read back (results/results.h).
 */
#ifndef VMB_RESULTS_METRIC_H
#define VMB_RESULTS_METRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "results/results.h"

enum {
    VMB_METRIC_OPRATE,
    VMB_METRIC_P50,
    VMB_METRIC_P95,
    VMB_METRIC_P99,
    VMB_METRIC_P999,
    VMB_METRIC_MEAN,
    VMB_METRIC_MAX,
    VMB_METRIC_ERRORS,
    VMB_METRIC_CAPACITY, /* capacity phases only: NAN elsewhere */
    /* Where the time goes (result.json "phase_resources"), per operation
     * of the phase's measurement window. */
    VMB_METRIC_CPU_PER_OP, /* host CPU of the nodes, every class */
    VMB_METRIC_CPU_VCPU,   /* ... by thread class, VMs only */
    VMB_METRIC_CPU_IOTHREADS,
    VMB_METRIC_CPU_QEMU_MAIN,
    VMB_METRIC_CPU_QEMU_OTHER,
    VMB_METRIC_CPU_VIRTIOFSD,
    VMB_METRIC_CPU_VHOST,
    VMB_METRIC_OPS_PER_CPU_S,
    VMB_METRIC_DISK_WR_PER_OP,
    VMB_METRIC_DISK_RD_PER_OP,
    VMB_METRIC_DISK_IOPS_PER_OP,
    VMB_METRIC_NET_PER_OP,
    /* Each node's own interface (VMs; bare metal's nodes share
     * loopback, counted in VMB_METRIC_NET_PER_OP only). */
    VMB_METRIC_NET1_PER_OP,
    VMB_METRIC_NET2_PER_OP,
    VMB_METRIC_NET1_PKTS_PER_OP,
    VMB_METRIC_NET2_PKTS_PER_OP,
    /* Inside the guests (result.json "guest_resources"), VMs only: CPU
     * time by state in percent of the guests' CPUs over the window, and
     * their data devices per operation. */
    VMB_METRIC_GUEST_USER_PCT,
    VMB_METRIC_GUEST_SYSTEM_PCT,
    VMB_METRIC_GUEST_IOWAIT_PCT,
    VMB_METRIC_GUEST_STEAL_PCT,
    VMB_METRIC_GUEST_IDLE_PCT,
    VMB_METRIC_GUEST_DISK_WR_PER_OP,
    VMB_METRIC_GUEST_DISK_RD_PER_OP,
    VMB_METRIC_GUEST_DISK_IOPS_PER_OP,
    VMB_NMETRICS
};
#define VMB_METRIC_NCPU_CLASS 6 /* VMB_METRIC_CPU_VCPU onwards */

/* Indexed by VMB_METRIC_*: "op_rate", "ops/s", "op rate"; ... */
struct vmb_metric_info {
    const char *name, *unit, *human;
};
extern const struct vmb_metric_info vmb_metrics[VMB_NMETRICS];

/*
 * A metric's value in one phase of one run; NAN when the run has none.
 * Per-op figures are the phase window's total over its operations.
 */
double vmb_metric_phase_value(const struct vmb_res_phase *p, int metric);

/*
 * The value of the metric named `metric` in p; NAN when p has none.
 * *known (when not NULL) tells whether the name is a metric at all.
 */
double vmb_metric_get(const struct vmb_res_phase *p, const char *metric,
                      bool *known);

/* Whether a larger value of the metric is better (op_rate). */
bool vmb_metric_higher_better(const char *metric);

/* The finite values of one phase and metric over the ok runs of c, at
 * most max of them. */
size_t vmb_metric_values(const struct vmb_res_cell *c, const char *phase,
                         int metric, double *out, size_t max);

/* The probed raw limits (summary.csv phase "probe"). */
enum {
    VMB_PROBE_FSYNC_RATE,
    VMB_PROBE_FSYNC_P99,
    VMB_PROBE_RANDREAD,
    VMB_PROBE_SEQWRITE,
    VMB_PROBE_RTT,
    VMB_PROBE_RTT_LOADGEN,
    VMB_NPROBES
};
extern const struct vmb_metric_info vmb_probe_metrics[VMB_NPROBES];

/* Boot stages, each the end time of one milestone. */
enum {
    VMB_BOOT_KERNEL,
    VMB_BOOT_AGENT,
    VMB_BOOT_MOUNTS,
    VMB_BOOT_DB,
    VMB_BOOT_SYNC,
    VMB_NBOOT
};
/* Indexed by VMB_BOOT_*: the metric name ("kernel_s") and a description. */
extern const char *const vmb_boot_metric[VMB_NBOOT];
extern const char *const vmb_boot_stage[VMB_NBOOT];

/* The most repetitions any cell or control has (at least 1). */
size_t vmb_results_max_reps(const struct vmb_results *r);

/*
 * The cell (not a control) with the best median of spec, "PHASE.METRIC"
 * (PHASE a phase name, or an op that names exactly one phase), and that
 * median. Fails (VMB_ERR_INPUT) on a malformed spec, an unknown metric or
 * phase, or when no cell has a value.
 */
int vmb_results_best_cell(const struct vmb_results *r, const char *spec,
                          const struct vmb_res_cell **best, double *median,
                          struct vmb_error **err);

#endif
