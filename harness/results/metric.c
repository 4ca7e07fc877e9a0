/*
 * The metric table: every metric of a results directory, one row each,
 * and the values of metrics in results. The schema of summary.csv's
 * metric column; docs/results-format.md describes it for users.
 */
#include "results/metric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* x / ops; NAN without operations. */
static double
per_op(double x, double ops)
{
    return ops > 0 && isfinite(x) ? x / ops : NAN;
}

/* x in percent of the guests' CPU time over the window; NAN without the
 * window or the CPUs. */
static double
guest_pct(const struct vmb_res_resources *r, double x)
{
    double all = r->guest_window_s * r->guest_cpus;
    return isfinite(x) && isfinite(all) && all > 0 ? 100 * x / all : NAN;
}

/* The getter of a phase row: one expression of the phase p. */
#define PHASE_GETTER(fn, expr)                                                 \
    static double fn(const struct vmb_res_phase *p)                            \
    {                                                                          \
        return (expr);                                                         \
    }

PHASE_GETTER(op_rate, p->op_rate)
PHASE_GETTER(p50, p->latency_us.p50)
PHASE_GETTER(p95, p->latency_us.p95)
PHASE_GETTER(p99, p->latency_us.p99)
PHASE_GETTER(p999, p->latency_us.p999)
PHASE_GETTER(mean, p->latency_us.mean)
PHASE_GETTER(max, p->latency_us.max)
PHASE_GETTER(errors, p->errors)
PHASE_GETTER(capacity, p->capacity)
PHASE_GETTER(cpu_per_op, per_op(p->res.host_cpu_us, p->ops))
PHASE_GETTER(cpu_vcpu, per_op(p->res.cpu_us[VMB_RES_CPU_VCPU], p->ops))
PHASE_GETTER(cpu_iothreads,
             per_op(p->res.cpu_us[VMB_RES_CPU_IOTHREADS], p->ops))
PHASE_GETTER(cpu_qemu_main,
             per_op(p->res.cpu_us[VMB_RES_CPU_QEMU_MAIN], p->ops))
PHASE_GETTER(cpu_qemu_other,
             per_op(p->res.cpu_us[VMB_RES_CPU_QEMU_OTHER], p->ops))
PHASE_GETTER(cpu_virtiofsd,
             per_op(p->res.cpu_us[VMB_RES_CPU_VIRTIOFSD], p->ops))
PHASE_GETTER(cpu_vhost, per_op(p->res.cpu_us[VMB_RES_CPU_VHOST], p->ops))
PHASE_GETTER(ops_per_cpu_s,
             p->res.host_cpu_us > 0 ? p->ops / (p->res.host_cpu_us / 1e6) : NAN)
PHASE_GETTER(disk_wr, per_op(p->res.disk_wr_bytes, p->ops))
PHASE_GETTER(disk_rd, per_op(p->res.disk_rd_bytes, p->ops))
PHASE_GETTER(disk_iops, per_op(p->res.disk_rd_ops + p->res.disk_wr_ops, p->ops))
PHASE_GETTER(net, per_op(p->res.net_bytes, p->ops))
PHASE_GETTER(net1, per_op(p->res.node_net_bytes[0], p->ops))
PHASE_GETTER(net2, per_op(p->res.node_net_bytes[1], p->ops))
PHASE_GETTER(net1_pkts, per_op(p->res.node_net_packets[0], p->ops))
PHASE_GETTER(net2_pkts, per_op(p->res.node_net_packets[1], p->ops))
PHASE_GETTER(guest_user, guest_pct(&p->res, p->res.guest_user_s))
PHASE_GETTER(guest_system, guest_pct(&p->res, p->res.guest_system_s))
PHASE_GETTER(guest_iowait, guest_pct(&p->res, p->res.guest_iowait_s))
PHASE_GETTER(guest_steal, guest_pct(&p->res, p->res.guest_steal_s))
PHASE_GETTER(guest_idle, guest_pct(&p->res, p->res.guest_idle_s))
PHASE_GETTER(guest_disk_wr, per_op(p->res.guest_disk_wr_bytes, p->ops))
PHASE_GETTER(guest_disk_rd, per_op(p->res.guest_disk_rd_bytes, p->ops))
PHASE_GETTER(guest_disk_iops,
             per_op(p->res.guest_disk_rd_ops + p->res.guest_disk_wr_ops,
                    p->ops))

/* x into out when finite: how many values that is. */
static size_t
one(double x, double out[2])
{
    if (!isfinite(x))
        return 0;
    out[0] = x;
    return 1;
}

/* The getter of a probe row: one field of the run's probe. */
#define PROBE_GETTER(fn, field)                                                \
    static size_t fn(const struct vmb_res_rep *rep, double out[2])             \
    {                                                                          \
        return rep->has_probe ? one(rep->probe.field, out) : 0;                \
    }

PROBE_GETTER(fsync_rate, fsync_write_rate)
PROBE_GETTER(fsync_p99, fsync_write_p99_us)
PROBE_GETTER(randread, randread_iops)
PROBE_GETTER(seqwrite, seqwrite_mb_s)
PROBE_GETTER(rtt, rtt_us)
PROBE_GETTER(rtt_loadgen, rtt_loadgen_us)

/* The getter of a boot row: one milestone of each node's boot. */
#define BOOT_GETTER(fn, field)                                                 \
    static size_t fn(const struct vmb_res_rep *rep, double out[2])             \
    {                                                                          \
        size_t n = 0;                                                          \
        for (int node = 0; rep->has_boot && node < 2; node++)                  \
            n += one(rep->boot[node].field, out + n);                          \
        return n;                                                              \
    }

BOOT_GETTER(boot_kernel, kernel_s)
BOOT_GETTER(boot_agent, agent_s)
BOOT_GETTER(boot_mounts, mounts_s)
BOOT_GETTER(boot_db, db_ready_s)

/* Replica sync is one figure of the pair, not one a node. */
static size_t
boot_sync(const struct vmb_res_rep *rep, double out[2])
{
    return rep->has_boot ? one(rep->replica_sync_s, out) : 0;
}

PHASE_GETTER(aggregate_op_rate, p->aggregate_op_rate)
PHASE_GETTER(tenant_min_op_rate, p->tenant_min_op_rate)
PHASE_GETTER(tenant_fairness, p->tenant_fairness)
PHASE_GETTER(host_mem_per_tenant, p->host_mem_per_tenant / 1048576.0)
PHASE_GETTER(vm_overhead, p->vm_overhead / 1048576.0)
PHASE_GETTER(tenants_by_memory, p->tenants_by_memory)

double
vmb_metric_tenants_by_memory(double host_bytes, double host_mem_per_tenant)
{
    if (!(host_bytes > 0) || !(host_mem_per_tenant > 0))
        return NAN;
    double reserve = fmax(1073741824.0, host_bytes / 10);
    return host_bytes > reserve
               ? floor((host_bytes - reserve) / host_mem_per_tenant)
               : 0;
}

#ifdef VMB_METRIC_TEST_ROW
/* A row only the test build has (tests/CMakeLists.txt): it must show up
 * everywhere the table is used without any other change. */
static double
fake(const struct vmb_res_phase *p)
{
    return p->ops > 0 ? 42 : NAN;
}
#endif

#define PHASE(fn) .where = VMB_IN_PHASE, .phase = fn
#define RUN(w, fn) .where = w, .run = fn

const struct vmb_metric vmb_metrics[] = {
    [VMB_METRIC_OPRATE] = {"op_rate", "ops/s", "op rate",
                           "operations completed per second", true,
                           PHASE(op_rate)},
    [VMB_METRIC_P50] = {"p50", "us", "median latency", "median latency", false,
                        PHASE(p50)},
    [VMB_METRIC_P95] = {"p95", "us", "p95 latency", "95th percentile latency",
                        false, PHASE(p95)},
    [VMB_METRIC_P99] = {"p99", "us", "p99 latency", "99th percentile latency",
                        false, PHASE(p99)},
    [VMB_METRIC_P999] = {"p99.9", "us", "p99.9 latency",
                         "99.9th percentile latency", false, PHASE(p999)},
    [VMB_METRIC_MEAN] = {"mean", "us", "mean latency", "mean latency", false,
                         PHASE(mean)},
    [VMB_METRIC_MAX] = {"max", "us", "max latency", "largest latency", false,
                        PHASE(max)},
    [VMB_METRIC_ERRORS] = {"errors", "count", "errors",
                           "operations that failed", false, PHASE(errors)},
    [VMB_METRIC_CAPACITY] = {"capacity", "ops/s",
                             "capacity under the latency limit",
                             "highest rate within the limit", true,
                             .where = VMB_IN_CAPACITY, .phase = capacity},
    [VMB_METRIC_AGGREGATE_OP_RATE] = {"aggregate_op_rate", "ops/s",
                                      "aggregate op rate",
                                      "operations per second of all "
                                      "tenants together",
                                      true, PHASE(aggregate_op_rate)},
    [VMB_METRIC_TENANT_MIN_OP_RATE] = {"tenant_min_op_rate", "ops/s",
                                       "slowest tenant's op rate",
                                       "op rate of the slowest tenant", true,
                                       PHASE(tenant_min_op_rate)},
    [VMB_METRIC_TENANT_FAIRNESS] = {"tenant_fairness", "index",
                                    "fairness between tenants",
                                    "Jain's index of the tenants' op rates "
                                    "(1: equal)",
                                    true, PHASE(tenant_fairness)},
    [VMB_METRIC_HOST_MEM_PER_TENANT] = {"host_mem_per_tenant_mib", "MiB",
                                        "host memory per tenant",
                                        "PSS of a tenant's QEMUs and "
                                        "virtiofsd (or processes)",
                                        false, PHASE(host_mem_per_tenant)},
    [VMB_METRIC_VM_OVERHEAD] = {"vm_overhead_mib", "MiB", "overhead per VM",
                                "host PSS of a VM less what its guest uses",
                                false, PHASE(vm_overhead)},
    [VMB_METRIC_TENANTS_BY_MEMORY] = {"tenants_per_host_by_memory", "tenants",
                                      "tenants per host by memory",
                                      "(host memory - reserve) / host "
                                      "memory per tenant",
                                      true, PHASE(tenants_by_memory)},
    [VMB_METRIC_CPU_PER_OP] = {"cpu_us_per_op", "us", "host CPU per op",
                               "host CPU per op, both nodes", false,
                               PHASE(cpu_per_op)},
    [VMB_METRIC_CPU_VCPU] = {"cpu_us_per_op.vcpu", "us",
                             "vCPU threads' host CPU per op",
                             "host CPU per op: vCPU threads", false,
                             PHASE(cpu_vcpu)},
    [VMB_METRIC_CPU_IOTHREADS] = {"cpu_us_per_op.iothreads", "us",
                                  "IOThreads' host CPU per op",
                                  "host CPU per op: IOThreads", false,
                                  PHASE(cpu_iothreads)},
    [VMB_METRIC_CPU_QEMU_MAIN] = {"cpu_us_per_op.qemu_main", "us",
                                  "QEMU main loop's host CPU per op",
                                  "host CPU per op: QEMU main loop", false,
                                  PHASE(cpu_qemu_main)},
    [VMB_METRIC_CPU_QEMU_OTHER] = {"cpu_us_per_op.qemu_other", "us",
                                   "QEMU's other threads' host CPU per op",
                                   "host CPU per op: other QEMU threads", false,
                                   PHASE(cpu_qemu_other)},
    [VMB_METRIC_CPU_VIRTIOFSD] = {"cpu_us_per_op.virtiofsd", "us",
                                  "virtiofsd's host CPU per op",
                                  "host CPU per op: virtiofsd", false,
                                  PHASE(cpu_virtiofsd)},
    [VMB_METRIC_CPU_VHOST] = {"cpu_us_per_op.vhost", "us",
                              "vhost's host CPU per op",
                              "host CPU per op: vhost threads", false,
                              PHASE(cpu_vhost)},
    [VMB_METRIC_OPS_PER_CPU_S] = {"ops_per_cpu_s", "ops/s",
                                  "ops per host CPU-second",
                                  "ops per second of host CPU", true,
                                  PHASE(ops_per_cpu_s)},
    [VMB_METRIC_DISK_WR_PER_OP] = {"disk_write_bytes_per_op", "bytes",
                                   "disk bytes written per op",
                                   "data disk bytes written per op", false,
                                   PHASE(disk_wr)},
    [VMB_METRIC_DISK_RD_PER_OP] = {"disk_read_bytes_per_op", "bytes",
                                   "disk bytes read per op",
                                   "data disk bytes read per op", false,
                                   PHASE(disk_rd)},
    [VMB_METRIC_DISK_IOPS_PER_OP] = {"disk_iops_per_op", "count",
                                     "disk I/Os per op",
                                     "data disk reads+writes per op", false,
                                     PHASE(disk_iops)},
    [VMB_METRIC_NET_PER_OP] = {"net_bytes_per_op", "bytes",
                               "network bytes per op",
                               "network bytes per op, both nodes", false,
                               PHASE(net)},
    [VMB_METRIC_NET1_PER_OP] = {"net_bytes_per_op.node1", "bytes",
                                "node 1's network bytes per op",
                                "node 1's interface bytes per op", false,
                                PHASE(net1)},
    [VMB_METRIC_NET2_PER_OP] = {"net_bytes_per_op.node2", "bytes",
                                "node 2's network bytes per op",
                                "node 2's interface bytes per op", false,
                                PHASE(net2)},
    [VMB_METRIC_NET1_PKTS_PER_OP] = {"net_packets_per_op.node1", "count",
                                     "node 1's network packets per op",
                                     "node 1's interface packets per op", false,
                                     PHASE(net1_pkts)},
    [VMB_METRIC_NET2_PKTS_PER_OP] = {"net_packets_per_op.node2", "count",
                                     "node 2's network packets per op",
                                     "node 2's interface packets per op", false,
                                     PHASE(net2_pkts)},
    [VMB_METRIC_GUEST_USER_PCT] = {"guest_cpu_user_pct", "%",
                                   "guest CPU in user space",
                                   "guests' CPU time in user space", false,
                                   PHASE(guest_user)},
    [VMB_METRIC_GUEST_SYSTEM_PCT] = {"guest_cpu_system_pct", "%",
                                     "guest CPU in the kernel",
                                     "guests' CPU time in the kernel", false,
                                     PHASE(guest_system)},
    [VMB_METRIC_GUEST_IOWAIT_PCT] = {"guest_cpu_iowait_pct", "%",
                                     "guest CPU waiting for I/O",
                                     "guests' CPU time waiting for I/O", false,
                                     PHASE(guest_iowait)},
    [VMB_METRIC_GUEST_STEAL_PCT] = {"guest_cpu_steal_pct", "%",
                                    "guest CPU stolen by the host",
                                    "guests' CPU time stolen by host", false,
                                    PHASE(guest_steal)},
    [VMB_METRIC_GUEST_IDLE_PCT] = {"guest_cpu_idle_pct", "%", "guest CPU idle",
                                   "guests' CPU time idle", false,
                                   PHASE(guest_idle)},
    [VMB_METRIC_GUEST_DISK_WR_PER_OP] = {"guest_disk_write_bytes_per_op",
                                         "bytes",
                                         "guest data device bytes written per "
                                         "op",
                                         "guests' disk bytes written per op",
                                         false, PHASE(guest_disk_wr)},
    [VMB_METRIC_GUEST_DISK_RD_PER_OP] = {"guest_disk_read_bytes_per_op",
                                         "bytes",
                                         "guest data device bytes read per op",
                                         "guests' disk bytes read per op",
                                         false, PHASE(guest_disk_rd)},
    [VMB_METRIC_GUEST_DISK_IOPS_PER_OP] = {"guest_disk_iops_per_op", "count",
                                           "guest data device I/Os per op",
                                           "guests' disk I/Os per op", false,
                                           PHASE(guest_disk_iops)},
    [VMB_PROBE_FSYNC_RATE] = {"fsync_write_rate", "ops/s",
                              "4 KiB writes with fdatasync per second",
                              "4 KiB writes + fdatasync per second", true,
                              RUN(VMB_IN_PROBE, fsync_rate)},
    [VMB_PROBE_FSYNC_P99] = {"fsync_write_p99_us", "us",
                             "p99 of a 4 KiB write with fdatasync",
                             "p99 of a 4 KiB write + fdatasync", false,
                             RUN(VMB_IN_PROBE, fsync_p99)},
    [VMB_PROBE_RANDREAD] = {"randread_iops", "ops/s",
                            "4 KiB random reads per second",
                            "4 KiB random reads per second", true,
                            RUN(VMB_IN_PROBE, randread)},
    [VMB_PROBE_SEQWRITE] = {"seqwrite_mb_s", "MB/s",
                            "sequential write bandwidth",
                            "sequential write bandwidth", true,
                            RUN(VMB_IN_PROBE, seqwrite)},
    [VMB_PROBE_RTT] = {"rtt_us", "us", "TCP round trip node 2 to node 1",
                       "TCP round trip node 2 to node 1", false,
                       RUN(VMB_IN_PROBE, rtt)},
    [VMB_PROBE_RTT_LOADGEN] = {"rtt_loadgen_us", "us",
                               "TCP round trip load generator to node 1",
                               "TCP round trip load gen. to node 1", false,
                               RUN(VMB_IN_PROBE, rtt_loadgen)},
    [VMB_BOOT_KERNEL] = {"kernel_s", "s", "domain start to kernel",
                         "domain start to the kernel running", false,
                         RUN(VMB_IN_BOOT, boot_kernel)},
    [VMB_BOOT_AGENT] = {"agent_s", "s", "kernel to agent up",
                        "domain start to the agent up", false,
                        RUN(VMB_IN_BOOT, boot_agent)},
    [VMB_BOOT_MOUNTS] = {"mounts_s", "s", "agent to mounts done",
                         "domain start to the mounts done", false,
                         RUN(VMB_IN_BOOT, boot_mounts)},
    [VMB_BOOT_DB] = {"db_ready_s", "s", "mounts to database ready",
                     "domain start to the database ready", false,
                     RUN(VMB_IN_BOOT, boot_db)},
    [VMB_BOOT_SYNC] = {"replica_sync_s", "s", "ready to replica in sync",
                       "domain start to the replica in sync", false,
                       RUN(VMB_IN_BOOT, boot_sync)},
    [VMB_METRIC_SCALING_EFFICIENCY] = {"scaling_efficiency", "ratio",
                                       "scaling efficiency",
                                       "aggregate op rate over tenants x "
                                       "the op rate of tenants: 1",
                                       true, .where = VMB_IN_SCALING},
#ifdef VMB_METRIC_TEST_ROW
    [VMB_METRIC_NAMED] = {"fake_metric", "count", "fake metric",
                          "a row of the test build only", false, PHASE(fake)},
#endif
};
const size_t vmb_nmetrics = sizeof(vmb_metrics) / sizeof(vmb_metrics[0]);

const struct vmb_metric *
vmb_metric_find(const char *name, unsigned where)
{
    for (size_t i = 0; i < vmb_nmetrics; i++)
        if ((vmb_metrics[i].where & where) &&
            strcmp(vmb_metrics[i].name, name) == 0)
            return &vmb_metrics[i];
    return NULL;
}

int
vmb_metric_lookup(const char *name, unsigned where,
                  const struct vmb_metric **out, struct vmb_error **err)
{
    *out = vmb_metric_find(name, where);
    if (*out != NULL)
        return 0;
    autofree char *known = vmb_metric_names(where);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "unknown metric \"%s\"; known: %s", name, known);
}

char *
vmb_metric_names(unsigned where)
{
    struct vmb_buf b = {0};
    for (size_t i = 0; i < vmb_nmetrics; i++)
        if (vmb_metrics[i].where & where)
            vmb_buf_printf(&b, "%s%s", b.len ? ", " : "", vmb_metrics[i].name);
    return b.data ? b.data : vmb_xstrdup("");
}

char *
vmb_metric_help(unsigned where)
{
    int wname = 6, wunit = 4;
    for (size_t i = 0; i < vmb_nmetrics; i++) {
        const struct vmb_metric *m = &vmb_metrics[i];
        if (!(m->where & where))
            continue;
        int n = (int)strlen(m->name), u = (int)strlen(m->unit);
        wname = n > wname ? n : wname;
        wunit = u > wunit ? u : wunit;
    }
    struct vmb_buf b = {0};
    vmb_buf_printf(&b, "  %-*s %-*s better description\n", wname, "metric",
                   wunit, "unit");
    for (size_t i = 0; i < vmb_nmetrics; i++) {
        const struct vmb_metric *m = &vmb_metrics[i];
        if (m->where & where)
            vmb_buf_printf(&b, "  %-*s %-*s %-6s %s\n", wname, m->name, wunit,
                           m->unit, m->higher_better ? "higher" : "lower",
                           m->help);
    }
    return b.data;
}

double
vmb_metric_phase_value(const struct vmb_res_phase *p, int metric)
{
    if (metric < 0 || (size_t)metric >= vmb_nmetrics ||
        vmb_metrics[metric].phase == NULL)
        return NAN;
    return vmb_metrics[metric].phase(p);
}

double
vmb_metric_get(const struct vmb_res_phase *p, const char *metric)
{
    const struct vmb_metric *m = vmb_metric_find(metric, VMB_IN_PHASES);
    return m == NULL ? NAN : m->phase(p);
}

bool
vmb_metric_higher_better(const char *metric)
{
    const struct vmb_metric *m = vmb_metric_find(metric, ~0u);
    return m != NULL && m->higher_better;
}

size_t
vmb_metric_values(const struct vmb_res_cell *c, const char *phase, int metric,
                  double *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nreps && n < max; i++) {
        if (!c->reps[i].ok)
            continue;
        const struct vmb_res_phase *p = vmb_res_rep_phase(&c->reps[i], phase);
        if (p == NULL)
            continue;
        double v = vmb_metric_phase_value(p, metric);
        if (isfinite(v))
            out[n++] = v;
    }
    return n;
}

size_t
vmb_metric_run_values(const struct vmb_res_rep *rep, int metric, double *out)
{
    if (!rep->ok || metric < 0 || (size_t)metric >= vmb_nmetrics ||
        vmb_metrics[metric].run == NULL)
        return 0;
    return vmb_metrics[metric].run(rep, out);
}
