/*
 * What a runtime records of one run for result.json: its members "boot"
 * (VMs), "resources" and "control_applied" (bare metal), as plain data.
 * The runtime fills it (its record op, runtime.h); results/result_json.c
 * writes it, with every key spelled there. Strings point into the
 * runtime, which outlives the writing.
 */
#ifndef VMB_RUNTIME_RECORD_H
#define VMB_RUNTIME_RECORD_H

#include <stdbool.h>
#include <stdint.h>

/* A node's boot stages, seconds from its domain start call; a negative
 * one was not reached. */
struct vmb_rt_boot {
    double domain_start_s, kernel_s, agent_s, mounts_s, db_ready_s;
};

/* What a node's figures over the measurement window are: none (its key
 * left out), not measured (null), a VM's (libvirt's counters of its
 * domain) or a host process's (its CPU time and block I/O). */
enum vmb_rt_window_kind {
    VMB_RT_WINDOW_NONE,
    VMB_RT_WINDOW_NULL,
    VMB_RT_WINDOW_VM,
    VMB_RT_WINDOW_PROCESS,
};

struct vmb_rt_window {
    enum vmb_rt_window_kind kind;
    double window_s;      /* VM */
    double vcpu_time_s;   /* VM */
    double process_cpu_s; /* QEMU's, or the database's */
    uint64_t block_rd_bytes, block_wr_bytes;
    uint64_t block_rd_reqs, block_wr_reqs; /* VM */
    uint64_t net_rx_bytes, net_tx_bytes;   /* VM */
};

/* How a bare-metal node was held to its VM's size. */
struct vmb_rt_control_node {
    const char *cpus; /* "all" when not pinned */
    bool affinity;
    const char *cpuset_cgroup, *memory_cgroup; /* NULL: none */
    uint64_t memory_max_bytes;                 /* 0: no cap */
    const char *notes;
    /* Where it ran: "" (or NULL) this host, else the other host as the
     * matrix names it, with that host's own name and kernel. */
    const char *host;
    const char *hostname, *kernel;
};

/* A node's memory (runtime/hostmem.h reads it), in bytes; NAN where it
 * could not be read. */
struct vmb_mem_node {
    double rss, pss;                 /* the QEMU or database process */
    double helpers_rss, helpers_pss; /* its virtiofsd processes; 0: none */
    double guest_total;              /* the guest's MemTotal */
    double guest_used;               /* MemTotal - MemFree - Buffers - Cached -
                                        SReclaimable: what the guest's programs and
                                        kernel hold */
    double guest_cache; /* Buffers + Cached: the guest's page cache */
};

/* Where a VM node ran: uri "" for this host's libvirt, with that host's
 * name and its libvirt's and QEMU's versions (NULL: unknown). */
struct vmb_rt_vm_host {
    const char *uri, *hostname, *libvirt, *qemu;
};

struct vmb_runtime_record {
    /* The nodes the run has: 2, or 1 for an engine without a replica
     * (fio), whose node 2 has no member; 0 reads as 2. */
    int nnodes;
    /* "boot" (has_boot): null until the machines were made (booted). */
    bool has_boot, booted;
    struct vmb_rt_boot boot[2];
    /* The channel the agents answered on ("virtio-serial", "vsock");
     * NULL: none (bare metal). */
    const char *agent_transport;
    double replica_sync_s; /* < 0: not reached */
    /* "resources": null without a runtime to measure (measured false). */
    bool measured;
    struct vmb_rt_window window[2];
    /* "control_applied" (has_control): null until the processes were
     * placed (placed); node 1's settings, then each node's. */
    bool has_control, placed;
    const char *cpus;
    uint64_t memory_max_bytes; /* 0: no cap */
    const char *cgroup;
    bool match_resources;
    struct vmb_rt_control_node nodes[2];
    /* "hosts" (has_hosts): a VM cell whose node 2 ran on another libvirt
     * host; each node's host. */
    bool has_hosts;
    struct vmb_rt_vm_host hosts[2];
};

#endif
