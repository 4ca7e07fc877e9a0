/*
 * Runtimes: where a run's two database nodes live. A table of structs of
 * function pointers (fio-engine style):
 *   "vm"         two container VMs (vm.h) with the server started in the
 *                container root by the guest agent;
 *   "baremetal"  two host processes on loopback ports, optionally pinned
 *                and capped like one VM each (control.match_resources).
 *
 * Life of a runtime, driven by run.c:
 *   vmb_runtime_new -> up -> start_db(1), start_db(2) -> window_begin ->
 *   (load) -> window_end -> stop_db -> collect -> down (always) ->
 *   vmb_runtime_free.
 * down is safe after any failure and after a partial up; free calls it.
 */
#ifndef VMB_RUNTIME_H
#define VMB_RUNTIME_H

#include <stdbool.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/note.h"
#include "config/config.h"
#include "config/matrix.h"
#include "db/db.h"
#include "runtime/hostmem.h"
#include "runtime/record.h"
#include "runtime/sample.h"
#include "vm/agent.h"

struct vmb_rawprobe_opts;
struct vmb_rawprobe_result;

struct vmb_accel_result;
struct vmb_runtime;

/* The VM env's facts about its host, for run.json (run_json.h). */
struct vmb_runtime_env_info {
    const struct vmb_accel_result *accel;
    bool vhost_net;   /* /dev/vhost-net usable */
    bool vhost_vsock; /* /dev/vhost-vsock usable */
    /* The agent channel of a cell with agent_transport auto
     * ("virtio-serial", "vsock"), and why it is not vsock (NULL when it
     * is); static. */
    const char *agent_transport, *agent_transport_why;
    /* Under TCG: guest compute slower than the host's by this factor (0:
     * not measured) and the calibration behind it (medians of `rounds`
     * rounds of `iters` iterations; vcpu_s < 0 when the vCPU threads' CPU
     * time could not be read). */
    double tcg_slowdown;
    uint64_t iters;
    int rounds;
    int pinned_cpu;
    double host_cpu_s, vcpu_s, guest_clock_s, request_s;
};

struct vmb_runtime_ops {
    const char *name; /* "vm", "baremetal": result.json "kind" */
    /* Its data disk and network counters are the host's device and
     * loopback (bare metal), which a run's tenants share: sampled once,
     * not summed over the tenants. */
    bool shared_io;

    /*
     * What every run of this runtime in a session shares (a libvirt
     * connection, the accelerator verdict, the guest image), made before
     * its first run and closed after the last; NULL when there is none.
     * base is the matrix's settings before axes; results_dir the session's
     * directory. A failing env_open fails each run of this runtime with
     * its message while the other runtime's runs go on. Notes for the
     * user (a fallback to TCG) go to notes, which outlives the env.
     */
    int (*env_open)(const struct vmb_config *base, const char *results_dir,
                    const struct vmb_notes *notes, void **env,
                    struct vmb_error **err);
    /* What the env knows of the host (run.json's "accel" and TCG
     * members); NULL where there is nothing to say. */
    void (*env_info)(void *env, struct vmb_runtime_env_info *out);
    void (*env_close)(void *env);

    /*
     * Brings up the machines of the run (nothing to do on bare metal but
     * directories and cgroups; network and two domains in VMs) and fills
     * rt->nodes with where each node listens.
     */
    int (*up)(struct vmb_runtime *rt, struct vmb_error **err);

    /*
     * Writes conf (the driver's rendered configuration) where node's server
     * can read it and starts drv's server on node, its stdout and stderr
     * becoming the node's database log. Returns once started; readiness
     * is the driver's wait.
     */
    int (*start_db)(struct vmb_runtime *rt, int node,
                    const struct vmb_db_driver *drv, const char *conf,
                    struct vmb_error **err);

    /* False once node's server has exited; *why malloc'd. */
    bool (*alive)(struct vmb_runtime *rt, int node, char **why);

    /* Node's database log so far, malloc'd; NULL if none yet. */
    char *(*db_log)(struct vmb_runtime *rt, int node);

    /*
     * Fills s with the cumulative counters this runtime can read of both
     * nodes (host CPU by thread class, the data disk, the host device of
     * the work directory, the nodes' network, each node's interface) and
     * marks them in s->have. Called about once a second from the
     * sampling thread (sample.h) while the load phases run, between
     * window_begin and window_end; it must not talk to the guest agents.
     */
    void (*sample)(struct vmb_runtime *rt, struct vmb_sample *s);

    /*
     * The same for the guests' own counters (VMB_CTR_GUEST_*, through
     * the agents), from a second sampling thread so that a slow guest
     * never delays the host's counters. The agents are shared with the
     * run's thread: their requests take turns (vm/agent.h), each with a
     * short deadline here. NULL: no guest (bare metal).
     */
    void (*sample_guest)(struct vmb_runtime *rt, struct vmb_sample *s);

    /*
     * Probes the raw limits of node 1's data directory (base/rawprobe.h):
     * through the agent in a VM, on the host for bare metal. Called after
     * up, before the database starts. NULL: not supported.
     */
    int (*probe)(struct vmb_runtime *rt, const struct vmb_rawprobe_opts *o,
                 struct vmb_rawprobe_result *r, struct vmb_error **err);

    /*
     * The TCP round trip from node 2 to node 1's database port in
     * microseconds (the median of a few connects: SYN to SYN-ACK), once
     * the database listens. NULL: not supported.
     */
    int (*rtt)(struct vmb_runtime *rt, double *us, struct vmb_error **err);

    /*
     * Runs fio on node 1 (its CPUs, memory cap and data directory, as for
     * a server) with the job file text job, which names node 1's data
     * directory, and waits for it until timeout_us has passed (then kills
     * it). On success *json is what fio wrote with --output-format=json+
     * (malloc'd, *len bytes). Fails with fio's own last words when it
     * cannot start, exits non-zero, is killed or outlives the deadline;
     * fio's output is appended to node 1's log either way. NULL: the
     * runtime cannot run fio.
     */
    int (*run_fio)(struct vmb_runtime *rt, const char *job, uint64_t timeout_us,
                   char **json, size_t *len, struct vmb_error **err);

    /*
     * What each node costs in memory now (runtime/hostmem.h): the host
     * process's RSS and PSS (QEMU, or the database on bare metal), its
     * virtiofsd's, and the guest's own view through the agent (VMs, each
     * request with a short deadline). Figures it cannot read stay NAN.
     * Called from the run's thread after each phase. NULL: none.
     */
    void (*memory)(struct vmb_runtime *rt, struct vmb_mem_node out[2]);

    /* Start and end of the measurement window of resource figures. */
    void (*window_begin)(struct vmb_runtime *rt);
    void (*window_end)(struct vmb_runtime *rt);

    /*
     * What this runtime records of the run for result.json
     * (runtime/record.h): "boot" (vm), "resources", "control_applied"
     * (baremetal).
     */
    void (*record)(struct vmb_runtime *rt, struct vmb_runtime_record *out);

    /*
     * Stops the database servers gracefully (they flush and log their
     * shutdown); idempotent. The machines stay up for collect.
     */
    void (*stop_db)(struct vmb_runtime *rt);

    /*
     * Copies the run's artefacts (database logs and configuration files;
     * domain XML, QEMU command line and console logs in VMs) into dir,
     * each file written atomically. Works after a failed up or start.
     */
    int (*collect)(struct vmb_runtime *rt, const char *dir,
                   struct vmb_error **err);

    /* Stops everything the runtime started; idempotent, never fails. */
    void (*down)(struct vmb_runtime *rt);

    void (*free_priv)(struct vmb_runtime *rt);
};

struct vmb_runtime {
    const struct vmb_runtime_ops *ops;
    const struct vmb_config *cfg; /* the cell's effective config; borrowed */
    const char *cell_id;          /* borrowed */
    int rep;
    /* Which of the cell's tenants this runtime holds (0-based; top.tenants
     * runtimes run at once). Set before up; it picks the nodes' ports,
     * CPUs and names so that tenants never collide. */
    int tenant;
    char *work_dir; /* host scratch directory of this run (owned) */
    struct vmb_db_node nodes[2]; /* [0] node 1, [1] node 2 */
    char *node_strs[2][4];       /* owned storage behind nodes[] strings */
    const char *accel;           /* "kvm", "tcg" or "none" */
    void *env; /* the session's env of this runtime; borrowed */
    /* Where notes for the user go (base/note.h); NULL: stderr. Borrowed. */
    const struct vmb_notes *notes;
    /* vmb_now_ns() when each node answered and when node 2 was in sync,
     * set by the caller of the driver's waits; 0 when not reached. */
    uint64_t db_ready_ns[2];
    uint64_t sync_ns;
    /* vmb_now_ns() of the later agent hello of the pair, set by up (VMs);
     * 0 on bare metal. */
    uint64_t agents_ns;
    void *priv;
};

extern const struct vmb_runtime_ops vmb_runtime_baremetal;
extern const struct vmb_runtime_ops vmb_runtime_vm;

/* The runtime of a cell kind. */
const struct vmb_runtime_ops *vmb_runtime_for(enum vmb_cell_kind kind);

/*
 * A new runtime for one run of a cell; work_dir is created (and emptied
 * if it exists) and removed again by vmb_runtime_free.
 */
int vmb_runtime_new(const struct vmb_runtime_ops *ops, void *env,
                    const struct vmb_cell *cell, int rep, const char *work_dir,
                    struct vmb_runtime **out, struct vmb_error **err);

/* Calls down, removes the work directory, frees. NULL-safe. */
void vmb_runtime_free(struct vmb_runtime *rt);

/* Sets node's address strings (copied into rt). */
void vmb_runtime_set_node(struct vmb_runtime *rt, int node, const char *host,
                          int port, const char *listen, const char *data_dir);

/*
 * The packages of the guest image a cell of engine (enum vmb_engine)
 * boots: a tool's (fio) own, in an image of its own, so that a server's
 * image does not carry the tool's libraries; else every server engine's
 * (the engine can be an axis), so `vmbench image`, the tests and runs
 * share one cached image. Static storage; NULL-terminated.
 */
const char *const *vmb_runtime_image_packages(int engine);

/* A db watch that asks rt. */
void vmb_runtime_watch(struct vmb_runtime *rt, struct vmb_db_watch *w);

#endif
