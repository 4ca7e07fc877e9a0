/*
 * Reading a results directory back (docs/results-format.md): run.json,
 * plan.json, every cell's and control's config.json and result.json, and
 * on demand a run's timeseries.csv and latency-<phase>.hgrm. The only
 * module that includes a JSON parser (json-c): results.c walks the
 * directory, result_json.c reads one run's result.json and one cell's
 * config.json (results_rep.c its phases), results_json.c checks every
 * value, results_text.c reads the text files.
 *
 * Everything loaded is owned by the struct vmb_results and freed with
 * vmb_results_free. Times are seconds, latencies microseconds, rates per
 * second. A number missing from a file reads as NAN, a string as NULL.
 */
#ifndef VMB_RESULTS_H
#define VMB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/config.h"

struct vmb_res_latency {
    double mean, p50, p95, p99, p999, max; /* microseconds */
};

/* One step of a capacity search: the offered and achieved rate (ops/s)
 * and the latency at the phase's percentile, in the order run. */
struct vmb_res_cap_step {
    double rate, achieved, latency_us;
    bool ok;            /* the step met the limit */
    unsigned failed_by; /* VMB_LOAD_CAP_* bits (load/load.h); 0 when ok or
                           when the results do not say */
};

/* The most steps a capacity search runs (VMB_LOAD_CAPACITY_MAX_STEPS). */
#define VMB_RES_MAX_CAP_STEPS 24
/* Host CPU classes of result.json's "host_cpu_us" (runtime/hostcpu.h). */
enum {
    VMB_RES_CPU_VCPU,
    VMB_RES_CPU_QEMU_MAIN,
    VMB_RES_CPU_IOTHREADS,
    VMB_RES_CPU_QEMU_OTHER,
    VMB_RES_CPU_VIRTIOFSD,
    VMB_RES_CPU_VHOST,
    VMB_RES_CPU_DB,
    VMB_RES_NCPU
};
/* "vcpu", "qemu_main", "iothreads", "qemu_other", "virtiofsd", "vhost",
 * "db". */
extern const char *const vmb_res_cpu_class[VMB_RES_NCPU];

/* What result.json's "net_source" says: not measured (null), the nodes'
 * shared loopback, or each node's own interface. */
enum { VMB_RES_NET_NONE, VMB_RES_NET_LOOPBACK, VMB_RES_NET_NICS };

/*
 * Where the time of a phase went (result.json "phase_resources"), over
 * its measurement window; every figure NAN when not measured.
 */
struct vmb_res_resources {
    double window_s;
    double ops;         /* the operations of the window */
    double host_cpu_us; /* the nodes' host CPU, every class */
    double cpu_us[VMB_RES_NCPU];
    double loadgen_cpu_us;
    double disk_rd_bytes, disk_wr_bytes, disk_rd_ops, disk_wr_ops;
    /* host device of the work dir */
    double host_rd_bytes, host_wr_bytes, host_rd_ops, host_wr_ops, host_busy_ms;
    double net_rx_bytes, net_tx_bytes, net_rx_packets, net_tx_packets;
    int net_source; /* VMB_RES_NET_*: whose interface "net" counts */
    /* Each node's own interface ("net_nodes"): rx_bytes, tx_bytes,
     * rx_packets, tx_packets; NAN where the nodes share one (bare metal's
     * loopback). */
    double node_net[2][4];
    /* Sums the reader makes (the writer leaves them alone): rx + tx of
     * "net", and of each node's interface. */
    double net_bytes;
    double node_net_bytes[2], node_net_packets[2];
    /* Inside the guests (result.json "guest_resources"), both nodes,
     * the measurement window: CPU seconds by kind, the guests' CPUs
     * together, and their data devices; NAN on bare metal. */
    double guest_window_s, guest_cpus;
    double guest_user_s, guest_system_s, guest_iowait_s, guest_steal_s,
        guest_idle_s;
    double guest_disk_rd_bytes, guest_disk_wr_bytes, guest_disk_rd_ops,
        guest_disk_wr_ops;
};

/* The raw limits probed before the database started (result.json
 * "probe"); NAN when not probed. */
#define VMB_RES_PROBE_TOOL_MAX 64
struct vmb_res_probe {
    double fsync_write_rate;   /* 4 KiB write + fdatasync per second */
    double fsync_write_p99_us; /* latency of one */
    double randread_iops;      /* 4 KiB random reads */
    double seqwrite_mb_s;      /* sequential writes, MB/s */
    double rtt_us;             /* TCP round trip node 2 -> node 1 */
    double rtt_loadgen_us;     /* load generator -> node 1 */
    bool randread_direct;      /* O_DIRECT was used for the reads */
    /* The tool and its version that measured the storage figures
     * ("vmbench-rawprobe 0.1.0"); empty in results written before the
     * tool was recorded. */
    char tool[VMB_RES_PROBE_TOOL_MAX];
};

/* One tenant's part of a phase (result.json PHASE "tenants"). */
struct vmb_res_tenant {
    double ops, errors, op_rate;
    double host_mem; /* bytes: its nodes' PSS and helpers' (result.json
                        "memory"); NAN when unknown */
    struct vmb_res_latency latency_us;
};

/* The most tenants a phase's "tenants" may list (the option's maximum). */
#define VMB_RES_MAX_TENANTS 64

struct vmb_res_phase {
    int index;
    char *op;   /* "write", "read", "mixed": the load generator's name */
    char *name; /* "<index>-<op>": the phase's key in file names and stats,
                   made from the checked index and op only */
    double ops, errors, misses;
    double duration_s;
    double op_rate; /* per second */
    /* A capacity phase's capacity in ops/s; NAN when the phase is not
     * one or no step met its limit (null). */
    double capacity;
    double cap_percentile, cap_limit_us; /* NAN when not a capacity phase */
    struct vmb_res_cap_step *cap_steps;  /* steps with all three numbers */
    size_t ncap_steps;
    struct vmb_res_latency latency_us;
    struct vmb_res_resources res;
    double (*percentiles)[2]; /* [percent, microseconds], as in the file */
    size_t npercentiles;
    /* A run of several tenants: the aggregates over them (NAN with one)
     * and each tenant's part, tenant k + 1 at k. */
    double aggregate_op_rate, tenant_min_op_rate, tenant_fairness;
    /* From result.json "memory" after the phase, bytes, NAN when absent:
     * the host memory of a tenant (its two nodes' PSS plus their
     * helpers', the mean over the tenants), and per VM that PSS less
     * what the guest uses (the mean over the VMs; VMs only). */
    double host_mem_per_tenant, vm_overhead;
    /* From host_mem_per_tenant and run.json's host memory_bytes
     * (vmb_metric_tenants_by_memory); NAN when either is absent. */
    double tenants_by_memory;
    struct vmb_res_tenant *tenants;
    size_t ntenants;
};

struct vmb_res_boot {
    /* seconds from the domain start call; NAN when not reported */
    double domain_start_s, kernel_s, agent_s, mounts_s, db_ready_s;
};

/* One run of a cell or control: rep<k>/result.json. */
/* A server setting the run's data placement silently ignored. */
struct vmb_res_ignored {
    char *setting, *value, *why;
};

struct vmb_res_rep {
    int rep;
    char *dir;    /* the rep<k> directory */
    bool ok;      /* status "ok" */
    char *status; /* "ok", "failed"; "missing" when result.json is absent,
                     "unreadable" when it cannot be read */
    char *error;  /* the failure message (why it is unreadable), or NULL */
    char *started, *finished, *accel;
    struct vmb_res_phase *phases;
    size_t nphases;
    bool has_boot;
    struct vmb_res_boot boot[2]; /* node1, node2 */
    double replica_sync_s;
    /* result.json "boot_storm" (runs of several tenants in VMs): seconds
     * from the first VM's start to the first and the last tenant's
     * later agent hello, and to the first and last replica in sync; NAN
     * when absent. */
    double storm_agent_min_s, storm_agent_max_s;
    double storm_sync_min_s, storm_sync_max_s;
    double replication_lag_s;
    bool has_probe;
    struct vmb_res_probe probe;
    double sampling_cpu_share; /* CPU of the 1 Hz sampler per second */
    /* "ignored_settings": what the placement did not do (none before
     * the field existed). */
    struct vmb_res_ignored *ignored;
    size_t nignored;
};

/* A config option of a cell by dotted path ("guest.storage"), as written. */
struct vmb_res_kv {
    char *key;
    char *value;
};

struct vmb_res_host;

struct vmb_res_cell {
    char *id;
    char *label;
    bool control;     /* a bare-metal control (lives under control/) */
    char *dir;        /* cells/<id> or control/<id> under the results dir */
    char *control_id; /* VM cells: the matching control's id, or NULL */
    /* A control run on this host as its calibration (a shard's copy of
     * the first control, whose group another shard owns): never the
     * control of a VM cell here. */
    bool calibration;
    /* In a merged directory: the shard that ran it (r->hosts), or NULL. */
    const struct vmb_res_host *host;
    bool has_config; /* config.json was read into cfg and options */
    struct vmb_config cfg;
    struct vmb_res_kv *options; /* every option of config.json, file order */
    size_t noptions;
    struct vmb_res_rep *reps; /* ascending rep number */
    size_t nreps;
};

struct vmb_res_check {
    char *check, *status, *detail;
};

/* run.json */
struct vmb_res_run {
    bool present;
    char *name, *matrix, *version, *git, *started, *finished;
    bool has_seed;
    uint64_t seed;
    char *hostname, *cpu, *kernel, *governor, *thp, *ksm;
    double cpus, memory_bytes;
    struct vmb_res_kv *versions; /* "qemu" -> "7.2.9", file order */
    size_t nversions;
    char *accel_requested, *accel_used, *accel_note;
    double tcg_slowdown; /* guest CPU slower than the host's; NAN: not
                            measured */
    /* The same by the guest's own clock (tcg_calibration), which counts
     * the time its vCPU waited for a host CPU; NAN when not recorded. */
    double tcg_clock_slowdown;
    bool no_vhost_net; /* run.json says the host had no /dev/vhost-net */
    struct vmb_res_check *doctor;
    size_t ndoctor;
    double runs_total, runs_ok, runs_failed;
    char **resumed;
    size_t nresumed;
};

/* A shard of a merged directory (run.json "merged"): its host and
 * what it ran. */
struct vmb_res_host {
    size_t shard;
    char *hostname, *cpu, *kernel; /* NULL when not recorded */
    char **ids;                    /* the cells and controls it ran and owns */
    size_t nids;
    /* Its copy of the first control, run as its host's calibration
     * (hosts/shard-K/control/<id>), its reps loaded; NULL on the shard
     * that owns that control. Never the control of a VM cell. */
    struct vmb_res_cell *calibration;
};

struct vmb_results {
    char *dir;
    struct vmb_res_run run;
    /* plan.json */
    bool has_plan;
    char *name; /* the matrix's name: plan, else run.json, else the dir */
    char *order;
    int repetitions;
    bool has_seed;
    uint64_t seed; /* plan's seed, else run.json's */
    char **axes;   /* dotted paths */
    size_t naxes;
    char *plan_id; /* plan.json "id": the plan's identity, or NULL */
    /* plan.json "shard": this directory is shard shard_index of
     * shard_count (config/shard.h); has_shard false: the whole matrix */
    bool has_shard;
    size_t shard_index, shard_count;
    /* plan order first, then any directory the plan does not list */
    struct vmb_res_cell *cells;
    size_t ncells;
    struct vmb_res_cell *controls;
    size_t ncontrols;
    size_t plan_ncells, plan_ncontrols; /* how many of them the plan lists */
    char **warnings; /* what could not be read and was left out */
    size_t nwarnings;
    /* A directory `vmbench merge` wrote: its shards given, by index;
     * merged_count is N (0: not a merged directory). */
    struct vmb_res_host *hosts;
    size_t nhosts, merged_count;
};

/*
 * The path of the QEMU command line a VM cell saved (the lowest
 * rep<k>/node1.qemu.cmdline under cells/<id>/), into *path (caller frees).
 * cell is an id or a unique prefix of 4+ characters. Fails with
 * VMB_ERR_INPUT for the control, an unknown or ambiguous cell, or a cell
 * that saved none.
 */
int vmb_results_cell_qemu_cmdline(const char *dir, const char *cell,
                                  char **path, struct vmb_error **err);

/*
 * Loads the results directory dir. Needs run.json or plan.json; cells come
 * from plan.json and from the cells/ and control/ directories. The
 * directory is untrusted input, and a damaged part costs only itself,
 * with a warning (r->warnings, safe for a terminal) naming the file and,
 * for a bad value, the field:
 *  - a run whose result.json is missing is kept with status "missing" (a
 *    run still in progress or killed); one that cannot be read (malformed
 *    JSON, a value no run writes: a negative count or rate, an index out
 *    of range, an unknown op, not a regular file) has status "unreadable"
 *    and the reason in error, and counts as a failed run;
 *  - a config.json that cannot be read or applied leaves the cell's
 *    settings unknown (has_config false);
 *  - run.json or plan.json that cannot be read are left out, and a bad
 *    value in them is dropped;
 *  - a cell id that is not 12 lowercase hex digits (plan.json or a
 *    directory name) leaves that cell out; rep<k> directories are named
 *    by their number. No symlink is followed and only regular files are
 *    read (each up to a size limit).
 * Fails only when dir is not a directory or has neither run.json nor
 * plan.json.
 */
int vmb_results_load(const char *dir, struct vmb_results **out,
                     struct vmb_error **err);
void vmb_results_free(struct vmb_results *r);

/*
 * Reads one result.json into rep (zeroed by the caller; rep->dir is set by
 * the caller or left NULL). For `vmbench run --resume` as well as for
 * vmb_results_load. Fails (VMB_ERR_INPUT) on malformed JSON ("path:line:
 * malformed JSON: ..."), a file that is not a regular one, or the first
 * value no run writes ("path: phases[0].op_rate: -5 is negative"); rep is
 * then left as it was given.
 */
int vmb_results_read_result(const char *path, struct vmb_res_rep *rep,
                            struct vmb_error **err);
void vmb_res_rep_clear(struct vmb_res_rep *rep);

/*
 * Finds a cell or control by id, unique id prefix (4+ hex digits) or exact
 * label. NULL when nothing or more than one matches (then *ambiguous is
 * set when not NULL).
 */
const struct vmb_res_cell *vmb_results_find(const struct vmb_results *r,
                                            const char *key, bool *ambiguous);

/* The control a VM cell is compared with, or NULL. */
const struct vmb_res_cell *vmb_results_control_of(const struct vmb_results *r,
                                                  const struct vmb_res_cell *c);

/*
 * The shard that ran cell or control id in a merged directory, or NULL
 * (not merged, or not listed: then run.hostname ran everything).
 */
const struct vmb_res_host *vmb_results_host_of(const struct vmb_results *r,
                                               const char *id);

/* The host name that ran c, a cell or control of r ("?" when not
 * recorded). */
const char *vmb_results_hostname_of(const struct vmb_results *r,
                                    const struct vmb_res_cell *c);

/* The value of a cell's option by dotted path ("guest.storage"), or NULL. */
const char *vmb_res_cell_option(const struct vmb_res_cell *c, const char *key);

/* A phase of a rep by name ("0-write"), or NULL. */
const struct vmb_res_phase *vmb_res_rep_phase(const struct vmb_res_rep *rep,
                                              const char *name);

/* One row of timeseries.csv. */
struct vmb_res_second {
    double second, ops, ops_per_s, p50_us, p99_us;
    double host_cpu_s; /* host CPU of the nodes in that second, CPU-s */
    double disk_iops;  /* the data disk's I/Os in that second */
};

/*
 * Reads the rows of one phase ("0-write") from <repdir>/timeseries.csv,
 * summing the op kinds of a second (mixed phases have one row per kind;
 * p50 and p99 are then the largest of the kinds). *out is malloc'd, in
 * file order. A missing file gives 0 rows and no error; an empty field
 * reads as NAN; a value that is not a finite number of 0 or more fails
 * naming line and column, as does a file that is not a regular one.
 */
int vmb_results_read_timeseries(const char *repdir, const char *phase,
                                struct vmb_res_second **out, size_t *n,
                                struct vmb_error **err);

/* One line of an .hgrm file. */
struct vmb_res_hgrm_point {
    double value_us;
    double percentile; /* 0..1 */
    double count;
};

/*
 * Reads HdrHistogram's percentile-distribution text. *out is malloc'd;
 * a missing file gives 0 points and no error. Lines that are not points
 * (headers, the footer) or whose numbers no histogram writes (not
 * finite, negative, a percentile outside [0, 1]) are skipped.
 */
int vmb_results_read_hgrm(const char *path, struct vmb_res_hgrm_point **out,
                          size_t *n, struct vmb_error **err);

#endif
