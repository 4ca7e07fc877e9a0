/*
 * The metrics of a results directory: the table of every metric a phase,
 * the raw-limit probe and the boot stages have, the schema of
 * summary.csv's metric column, and their values in the results read back
 * (results/results.h).
 */
#ifndef VMB_RESULTS_METRIC_H
#define VMB_RESULTS_METRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "results/results.h"

/*
 * Every metric vmbench knows is one row of vmb_metrics[]: its name (the
 * summary.csv "metric" column, compare's --metric, tune's objective), its
 * unit, its direction, where it exists and how its value is read from
 * results. Lists, checks, help texts and error messages are generated
 * from the table, so a new metric is one row there (and a name here
 * only if code names it).
 */

/* The rows code names, in table order; vmb_nmetrics may be larger. */
enum vmb_metric_id {
    VMB_METRIC_OPRATE,
    VMB_METRIC_P50,
    VMB_METRIC_P95,
    VMB_METRIC_P99,
    VMB_METRIC_P999,
    VMB_METRIC_MEAN,
    VMB_METRIC_MAX,
    VMB_METRIC_ERRORS,
    VMB_METRIC_CAPACITY, /* capacity phases only: NAN elsewhere */
    /* Runs of several tenants (result.json PHASE "tenants"): the
     * aggregates over them; NAN in runs of one. */
    VMB_METRIC_AGGREGATE_OP_RATE,
    VMB_METRIC_TENANT_MIN_OP_RATE,
    VMB_METRIC_TENANT_FAIRNESS,
    /* Host memory after the phase (result.json "memory"): per tenant, and
     * per VM beyond what its guest uses. */
    VMB_METRIC_HOST_MEM_PER_TENANT,
    VMB_METRIC_VM_OVERHEAD,
    /* The density answer: (host memory - reserve) / host memory per
     * tenant, vmb_metric_tenants_by_memory. */
    VMB_METRIC_TENANTS_BY_MEMORY,
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
    /* The raw-limit probe of a run (summary.csv phase "probe"). */
    VMB_PROBE_FSYNC_RATE,
    VMB_PROBE_FSYNC_P99,
    VMB_PROBE_RANDREAD,
    VMB_PROBE_SEQWRITE,
    VMB_PROBE_RTT,
    VMB_PROBE_RTT_LOADGEN,
    /* The boot of a run's VMs (phase "boot"), each stage the end time of
     * one milestone, in the order they happen. */
    VMB_BOOT_KERNEL,
    VMB_BOOT_AGENT,
    VMB_BOOT_MOUNTS,
    VMB_BOOT_DB,
    VMB_BOOT_SYNC,
    /* aggregate_op_rate(N) / (N x op_rate(1)) against the cell with
     * tenants: 1 and otherwise the same settings: a figure of two cells,
     * which the report makes (no getter). */
    VMB_METRIC_SCALING_EFFICIENCY,
    VMB_METRIC_NAMED
};
#define VMB_METRIC_NCPU_CLASS 6 /* VMB_METRIC_CPU_VCPU onwards */
#define VMB_NPROBES (VMB_PROBE_RTT_LOADGEN - VMB_PROBE_FSYNC_RATE + 1)
#define VMB_NBOOT (VMB_BOOT_SYNC - VMB_BOOT_KERNEL + 1)

/* Where a metric has values: one bit each, masks of them select rows. */
enum vmb_metric_where {
    VMB_IN_PHASE = 1 << 0,    /* every phase of a run */
    VMB_IN_CAPACITY = 1 << 1, /* capacity phases only (NAN in the others) */
    VMB_IN_PROBE = 1 << 2,    /* the raw-limit probe of a run */
    VMB_IN_BOOT = 1 << 3,     /* the boot of a run's VMs, one value a node */
    VMB_IN_SCALING = 1 << 4,  /* a phase of a cell against its tenants: 1
                                 twin, made by the report (no getter) */
};
/* The metrics of phases: what compare, bounds, tune and --best take. */
#define VMB_IN_PHASES (VMB_IN_PHASE | VMB_IN_CAPACITY)

struct vmb_metric {
    const char *name;  /* "op_rate" */
    const char *unit;  /* "ops/s", "us", "bytes", "count", "%", "s" */
    const char *human; /* a noun phrase for prose: "op rate" */
    const char *help;  /* one line for --help: what it measures */
    bool higher_better;
    enum vmb_metric_where where;
    /* VMB_IN_PHASES rows: the value in one phase of a run, NAN when the
     * run has none. */
    double (*phase)(const struct vmb_res_phase *p);
    /* VMB_IN_PROBE and VMB_IN_BOOT rows: the finite values of one run
     * into out (one, or one a node), how many. */
    size_t (*run)(const struct vmb_res_rep *rep, double out[2]);
};

/* The table, vmb_nmetrics rows: VMB_METRIC_NAMED named ones, then any
 * others. Names are unique. */
extern const struct vmb_metric vmb_metrics[];
extern const size_t vmb_nmetrics;

/* The row named name whose `where` is in the mask where; NULL if none. */
const struct vmb_metric *vmb_metric_find(const char *name, unsigned where);

/*
 * The same, failing (VMB_ERR_INPUT) with "unknown metric \"NAME\"; known:
 * op_rate, p50, ..." (every row in where) when there is none.
 */
int vmb_metric_lookup(const char *name, unsigned where,
                      const struct vmb_metric **out, struct vmb_error **err);

/* The names of the rows in where, in table order, ", " between them;
 * the caller frees it. */
char *vmb_metric_names(unsigned where);

/*
 * The rows in where as lines for --help, the caller frees it: a header,
 * then per row its name, unit, the better direction and its help.
 */
char *vmb_metric_help(unsigned where);

/* The index of a row in vmb_metrics. */
static inline int
vmb_metric_index(const struct vmb_metric *m)
{
    return (int)(m - vmb_metrics);
}

/*
 * A phase metric's value (vmb_metrics[metric], a VMB_IN_PHASES row) in
 * one phase of one run; NAN when the run has none or the row is not a
 * phase metric. Per-op figures are the phase window's total over its
 * operations.
 */
/*
 * Tenants of host_mem_per_tenant bytes each that fit in a host of
 * host_bytes, after the host's own reserve: the larger of 1 GiB and a
 * tenth of its memory (its kernel, page cache and daemons), rounded
 * down. NAN when either figure is missing or not positive.
 */
double vmb_metric_tenants_by_memory(double host_bytes,
                                    double host_mem_per_tenant);

double vmb_metric_phase_value(const struct vmb_res_phase *p, int metric);

/* The value of the phase metric named metric in p; NAN when p has none
 * or no phase metric has that name. */
double vmb_metric_get(const struct vmb_res_phase *p, const char *metric);

/* Whether a larger value of the metric named metric is better (op_rate);
 * false for a name the table lacks. */
bool vmb_metric_higher_better(const char *metric);

/* The finite values of one phase and phase metric over the ok runs of c,
 * at most max of them. */
size_t vmb_metric_values(const struct vmb_res_cell *c, const char *phase,
                         int metric, double *out, size_t max);

/*
 * Appends to out the values of a probe or boot row (vmb_metrics[metric])
 * in one run: none for a failed run or one without the record, else one,
 * or one a node (two at most). Returns how many.
 */
size_t vmb_metric_run_values(const struct vmb_res_rep *rep, int metric,
                             double *out);

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
