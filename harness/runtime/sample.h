/*
 * The resource counters of a run, sampled once a second while its load
 * phases run, and the figures of a window drawn from them: a phase's
 * measurement window (interpolated between the samples around its edges)
 * or one second of it (the per-second columns of timeseries.csv).
 *
 * A sample holds cumulative counters of both nodes together, each node's
 * interface apart, and one gauge (the guests' CPUs). The runtime
 * fills what it can read (vmb_runtime_ops.sample) and marks it in have;
 * a counter it cannot read is left out of the results, never written as
 * a zero.
 */
#ifndef VMB_RUNTIME_SAMPLE_H
#define VMB_RUNTIME_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "runtime/hostcpu.h"

enum vmb_ctr {
    /* Host CPU microseconds by class: VMB_CPU_* first. */
    VMB_CTR_LOADGEN_CPU_US = VMB_CPU_NCLASS, /* vmbench itself, less the
                                                sampler */
    VMB_CTR_SAMPLER_CPU_US,                  /* the sampling thread */
    /* The data disk: libvirt's figures of the VM's data device, or the
     * host device that holds the data directory. */
    VMB_CTR_DISK_RD_BYTES,
    VMB_CTR_DISK_WR_BYTES,
    VMB_CTR_DISK_RD_OPS,
    VMB_CTR_DISK_WR_OPS,
    /* The host block device that holds the run's work directory. */
    VMB_CTR_HOST_RD_BYTES,
    VMB_CTR_HOST_WR_BYTES,
    VMB_CTR_HOST_RD_OPS,
    VMB_CTR_HOST_WR_OPS,
    VMB_CTR_HOST_BUSY_MS,
    /* Both nodes' interfaces (the VMs' NICs; loopback on bare metal). */
    VMB_CTR_NET_RX_BYTES,
    VMB_CTR_NET_TX_BYTES,
    VMB_CTR_NET_RX_PACKETS,
    VMB_CTR_NET_TX_PACKETS,
    /* Each node's own interface, in the order above (node 1, then node
     * 2): a VM's NIC. None on bare metal, where the nodes share the
     * loopback interface and no per-node count exists. */
    VMB_CTR_NODE_NET,
    VMB_CTR_NODE_NET_END = VMB_CTR_NODE_NET + 8,
    /* Inside the guests (through the agent), both nodes summed: CPU
     * seconds by state from /proc/stat (user with nice, system with irq
     * and softirq), and the data directory's block device. */
    VMB_CTR_GUEST_USER_S = VMB_CTR_NODE_NET_END,
    VMB_CTR_GUEST_SYSTEM_S,
    VMB_CTR_GUEST_IOWAIT_S,
    VMB_CTR_GUEST_STEAL_S,
    VMB_CTR_GUEST_IDLE_S,
    VMB_CTR_GUEST_DISK_RD_OPS,
    VMB_CTR_GUEST_DISK_RD_BYTES,
    VMB_CTR_GUEST_DISK_WR_OPS,
    VMB_CTR_GUEST_DISK_WR_BYTES,
    /* A gauge, not a counter: the guests' CPUs together. A window's
     * figure is its value at the window's end. */
    VMB_CTR_GUEST_CPUS,
    VMB_NCTR
};

/* Node node's (1 or 2) counter k (0 rx_bytes .. 3 tx_packets). */
#define VMB_CTR_NODE(node, k) (VMB_CTR_NODE_NET + ((node)-1) * 4 + (k))

/* Key names in result.json ("vcpu", ..., "disk_read_bytes", ...). */
extern const char *const vmb_ctr_name[VMB_NCTR];

struct vmb_sample {
    uint64_t at_ns; /* vmb_now_ns() */
    double v[VMB_NCTR];
    bool have[VMB_NCTR];
};

/*
 * The counters at time t: linear between the two samples around it,
 * the first or last sample outside their span. have is the intersection
 * of both samples'. Returns false when there are no samples.
 */
bool vmb_samples_at(const struct vmb_sample *s, size_t n, uint64_t t,
                    struct vmb_sample *out);

/* b - a counter by counter, have of both (at_ns the span in ns). */
void vmb_sample_delta(const struct vmb_sample *a, const struct vmb_sample *b,
                      struct vmb_sample *out);

/* The host CPU of the nodes (every class) in a delta, microseconds. */
double vmb_sample_host_cpu_us(const struct vmb_sample *d);

/* Whether the delta d has the guests' CPU counters (then the results
 * have a GUEST object of the window: run/resources.c). */
bool vmb_sample_has_guest(const struct vmb_sample *d);

/* The columns vmb_sample_csv_extend appends to timeseries.csv: both
 * nodes' figures, then each node's interface (empty on bare metal). */
#define VMB_SAMPLE_CSV_COLUMNS                                                 \
    ",host_cpu_s,disk_iops,disk_bytes_per_s,net_bytes_per_s,"                  \
    "node1_net_bytes_per_s,node2_net_bytes_per_s"

/*
 * Appends to out the rows of timeseries.csv in rows (one phase's, as the
 * load generator writes them: second in the second column, 1-based from
 * the measurement start at start_ns), each with the columns above for
 * its second, per second over the part of it inside the window of
 * duration_s (the last second may be partial); a figure without samples,
 * or a second wholly past the window, is left empty.
 */
void vmb_sample_csv_extend(const char *rows, uint64_t start_ns,
                           double duration_s, const struct vmb_sample *s,
                           size_t n, struct vmb_buf *out);

/*
 * Reads the line of the block device that holds path (its st_dev) from
 * <proc>/diskstats into s's host_disk counters, and its disk counters too
 * when as_data. Returns -1 when the device has no line there (tmpfs,
 * overlay, a network filesystem).
 */
int vmb_sample_host_disk(const char *proc, const char *path, bool as_data,
                         struct vmb_sample *s);

/* Parses one /proc/diskstats text for device maj:min into the host_disk
 * counters of s. Returns -1 when it has no such line. */
int vmb_sample_parse_diskstats(const char *text, unsigned maj, unsigned min,
                               struct vmb_sample *s);

/*
 * Adds interface ifname's counters from <proc>/net/dev to s's net
 * counters. Returns -1 when it has no such interface.
 */
int vmb_sample_host_net(const char *proc, const char *ifname,
                        struct vmb_sample *s);

/*
 * The median over tries of the time a TCP connect from this host to
 * host:port (an IPv4 address) takes, in microseconds: one round trip
 * (SYN to SYN-ACK). Each connect waits at most 2 s. Returns -1 when no
 * connect succeeded.
 */
int vmb_sample_connect_rtt(const char *host, int port, int tries, double *us);

/* The 1 Hz sampling thread. */
struct vmb_sampler;

/*
 * Starts a thread that calls fn(ctx, sample) now and every interval_ns
 * until stopped, fn filling the runtime's counters (at_ns and the
 * sampler's own counters are filled around it). fn runs on that thread.
 */
struct vmb_sampler *vmb_sampler_start(void (*fn)(void *ctx,
                                                 struct vmb_sample *s),
                                      void *ctx, uint64_t interval_ns);

/* Takes a last sample and joins the thread; the samples stay. NULL-safe. */
void vmb_sampler_stop(struct vmb_sampler *sp);

/* The samples taken (valid after stop). */
const struct vmb_sample *vmb_sampler_samples(const struct vmb_sampler *sp,
                                             size_t *n);

/* What sampling cost: CPU seconds of the sampling thread per second of
 * its life (0.004 is 0.4% of one CPU). */
double vmb_sampler_cpu_share(const struct vmb_sampler *sp);

void vmb_sampler_free(struct vmb_sampler *sp);

#endif
