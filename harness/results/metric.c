/* The metric table and the values of metrics in results. */
#include "results/metric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/util.h"

const struct vmb_metric_info vmb_metrics[VMB_NMETRICS] = {
    {"op_rate", "ops/s", "op rate"},
    {"p50", "us", "median latency"},
    {"p95", "us", "p95 latency"},
    {"p99", "us", "p99 latency"},
    {"p99.9", "us", "p99.9 latency"},
    {"mean", "us", "mean latency"},
    {"max", "us", "max latency"},
    {"errors", "count", "errors"},
    {"capacity", "ops/s", "capacity under the latency limit"},
    {"cpu_us_per_op", "us", "host CPU per op"},
    {"cpu_us_per_op.vcpu", "us", "vCPU threads' host CPU per op"},
    {"cpu_us_per_op.iothreads", "us", "IOThreads' host CPU per op"},
    {"cpu_us_per_op.qemu_main", "us", "QEMU main loop's host CPU per op"},
    {"cpu_us_per_op.qemu_other", "us", "QEMU's other threads' host CPU per op"},
    {"cpu_us_per_op.virtiofsd", "us", "virtiofsd's host CPU per op"},
    {"cpu_us_per_op.vhost", "us", "vhost's host CPU per op"},
    {"ops_per_cpu_s", "ops/s", "ops per host CPU-second"},
    {"disk_write_bytes_per_op", "bytes", "disk bytes written per op"},
    {"disk_read_bytes_per_op", "bytes", "disk bytes read per op"},
    {"disk_iops_per_op", "count", "disk I/Os per op"},
    {"net_bytes_per_op", "bytes", "network bytes per op"},
    {"net_bytes_per_op.node1", "bytes", "node 1's network bytes per op"},
    {"net_bytes_per_op.node2", "bytes", "node 2's network bytes per op"},
    {"net_packets_per_op.node1", "count", "node 1's network packets per op"},
    {"net_packets_per_op.node2", "count", "node 2's network packets per op"},
    {"guest_cpu_user_pct", "%", "guest CPU in user space"},
    {"guest_cpu_system_pct", "%", "guest CPU in the kernel"},
    {"guest_cpu_iowait_pct", "%", "guest CPU waiting for I/O"},
    {"guest_cpu_steal_pct", "%", "guest CPU stolen by the host"},
    {"guest_cpu_idle_pct", "%", "guest CPU idle"},
    {"guest_disk_write_bytes_per_op", "bytes",
     "guest data device bytes written per op"},
    {"guest_disk_read_bytes_per_op", "bytes",
     "guest data device bytes read per op"},
    {"guest_disk_iops_per_op", "count", "guest data device I/Os per op"},
};

/* x in percent of the guests' CPU time over the window; NAN without the
 * window or the CPUs. */
static double
guest_pct(const struct vmb_res_resources *r, double x)
{
    double all = r->guest_window_s * r->guest_cpus;
    return isfinite(x) && isfinite(all) && all > 0 ? 100 * x / all : NAN;
}

const struct vmb_metric_info vmb_probe_metrics[VMB_NPROBES] = {
    {"fsync_write_rate", "ops/s", "4 KiB writes with fdatasync per second"},
    {"fsync_write_p99_us", "us", "p99 of a 4 KiB write with fdatasync"},
    {"randread_iops", "ops/s", "4 KiB random reads per second"},
    {"seqwrite_mb_s", "MB/s", "sequential write bandwidth"},
    {"rtt_us", "us", "TCP round trip node 2 to node 1"},
    {"rtt_loadgen_us", "us", "TCP round trip load generator to node 1"},
};

/* x / ops; NAN without operations. */
static double
per_op(double x, double ops)
{
    return ops > 0 && isfinite(x) ? x / ops : NAN;
}

const char *const vmb_boot_metric[VMB_NBOOT] = {
    "kernel_s", "agent_s", "mounts_s", "db_ready_s", "replica_sync_s"};
const char *const vmb_boot_stage[VMB_NBOOT] = {
    "domain start to kernel", "kernel to agent up", "agent to mounts done",
    "mounts to database ready", "ready to replica in sync"};

static int
metric_id(const char *name)
{
    for (int m = 0; m < VMB_NMETRICS; m++)
        if (strcmp(vmb_metrics[m].name, name) == 0)
            return m;
    return -1;
}

static double
metric_value(const struct vmb_res_phase *p, int m)
{
    switch (m) {
    case VMB_METRIC_OPRATE:
        return p->op_rate;
    case VMB_METRIC_P50:
        return p->latency_us.p50;
    case VMB_METRIC_P95:
        return p->latency_us.p95;
    case VMB_METRIC_P99:
        return p->latency_us.p99;
    case VMB_METRIC_P999:
        return p->latency_us.p999;
    case VMB_METRIC_MEAN:
        return p->latency_us.mean;
    case VMB_METRIC_MAX:
        return p->latency_us.max;
    case VMB_METRIC_ERRORS:
        return p->errors;
    case VMB_METRIC_CAPACITY:
        return p->capacity;
    case VMB_METRIC_CPU_PER_OP:
        return per_op(p->res.host_cpu_us, p->ops);
    case VMB_METRIC_CPU_VCPU:
        return per_op(p->res.cpu_us[VMB_RES_CPU_VCPU], p->ops);
    case VMB_METRIC_CPU_IOTHREADS:
        return per_op(p->res.cpu_us[VMB_RES_CPU_IOTHREADS], p->ops);
    case VMB_METRIC_CPU_QEMU_MAIN:
        return per_op(p->res.cpu_us[VMB_RES_CPU_QEMU_MAIN], p->ops);
    case VMB_METRIC_CPU_QEMU_OTHER:
        return per_op(p->res.cpu_us[VMB_RES_CPU_QEMU_OTHER], p->ops);
    case VMB_METRIC_CPU_VIRTIOFSD:
        return per_op(p->res.cpu_us[VMB_RES_CPU_VIRTIOFSD], p->ops);
    case VMB_METRIC_CPU_VHOST:
        return per_op(p->res.cpu_us[VMB_RES_CPU_VHOST], p->ops);
    case VMB_METRIC_OPS_PER_CPU_S:
        return p->res.host_cpu_us > 0 ? p->ops / (p->res.host_cpu_us / 1e6)
                                      : NAN;
    case VMB_METRIC_DISK_WR_PER_OP:
        return per_op(p->res.disk_wr_bytes, p->ops);
    case VMB_METRIC_DISK_RD_PER_OP:
        return per_op(p->res.disk_rd_bytes, p->ops);
    case VMB_METRIC_DISK_IOPS_PER_OP:
        return per_op(p->res.disk_rd_ops + p->res.disk_wr_ops, p->ops);
    case VMB_METRIC_NET_PER_OP:
        return per_op(p->res.net_bytes, p->ops);
    case VMB_METRIC_NET1_PER_OP:
    case VMB_METRIC_NET2_PER_OP:
        return per_op(p->res.node_net_bytes[m - VMB_METRIC_NET1_PER_OP],
                      p->ops);
    case VMB_METRIC_NET1_PKTS_PER_OP:
    case VMB_METRIC_NET2_PKTS_PER_OP:
        return per_op(p->res.node_net_packets[m - VMB_METRIC_NET1_PKTS_PER_OP],
                      p->ops);
    case VMB_METRIC_GUEST_USER_PCT:
        return guest_pct(&p->res, p->res.guest_user_s);
    case VMB_METRIC_GUEST_SYSTEM_PCT:
        return guest_pct(&p->res, p->res.guest_system_s);
    case VMB_METRIC_GUEST_IOWAIT_PCT:
        return guest_pct(&p->res, p->res.guest_iowait_s);
    case VMB_METRIC_GUEST_STEAL_PCT:
        return guest_pct(&p->res, p->res.guest_steal_s);
    case VMB_METRIC_GUEST_IDLE_PCT:
        return guest_pct(&p->res, p->res.guest_idle_s);
    case VMB_METRIC_GUEST_DISK_WR_PER_OP:
        return per_op(p->res.guest_disk_wr_bytes, p->ops);
    case VMB_METRIC_GUEST_DISK_RD_PER_OP:
        return per_op(p->res.guest_disk_rd_bytes, p->ops);
    case VMB_METRIC_GUEST_DISK_IOPS_PER_OP:
        return per_op(p->res.guest_disk_rd_ops + p->res.guest_disk_wr_ops,
                      p->ops);
    }
    return NAN;
}

double
vmb_metric_phase_value(const struct vmb_res_phase *p, int metric)
{
    return metric_value(p, metric);
}

double
vmb_metric_get(const struct vmb_res_phase *p, const char *metric, bool *known)
{
    int m = metric_id(metric);
    if (known != NULL)
        *known = m >= 0;
    return m < 0 ? NAN : metric_value(p, m);
}

bool
vmb_metric_higher_better(const char *metric)
{
    return strcmp(metric, "op_rate") == 0 || strcmp(metric, "capacity") == 0 ||
           strcmp(metric, "ops_per_cpu_s") == 0;
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
        double v = metric_value(p, metric);
        if (isfinite(v))
            out[n++] = v;
    }
    return n;
}

size_t
vmb_results_max_reps(const struct vmb_results *r)
{
    size_t n = 1;
    for (size_t i = 0; i < r->ncells; i++)
        n = r->cells[i].nreps > n ? r->cells[i].nreps : n;
    for (size_t i = 0; i < r->ncontrols; i++)
        n = r->controls[i].nreps > n ? r->controls[i].nreps : n;
    return n;
}

/* ---- the best cell by one metric ---- */

/* The phase spec names: a phase name, or an op that names exactly one. */
static int
resolve_phase(const struct vmb_results *r, const char *phase, char **name,
              struct vmb_error **err)
{
    autofree char *found = NULL;
    for (size_t i = 0; i < r->ncells && found == NULL; i++)
        for (size_t k = 0; k < r->cells[i].nreps && found == NULL; k++)
            for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                const struct vmb_res_phase *ph = &r->cells[i].reps[k].phases[p];
                if (strcmp(ph->name, phase) == 0) {
                    found = vmb_xstrdup(ph->name);
                    break;
                }
            }
    if (found == NULL) {
        for (size_t i = 0; i < r->ncells; i++)
            for (size_t k = 0; k < r->cells[i].nreps; k++)
                for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                    const struct vmb_res_phase *ph =
                        &r->cells[i].reps[k].phases[p];
                    if (strcmp(ph->op, phase) != 0)
                        continue;
                    if (found != NULL && strcmp(found, ph->name) != 0)
                        return vmb_error_set(
                            err, VMB_ERR_INPUT, 0,
                            "phase \"%s\" is ambiguous: \"%s\" and \"%s\"; "
                            "name it by index",
                            phase, found, ph->name);
                    if (found == NULL)
                        found = vmb_xstrdup(ph->name);
                }
    }
    if (found == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no phase \"%s\" in the results", phase);
    *name = steal(&found);
    return 0;
}

int
vmb_results_best_cell(const struct vmb_results *r, const char *spec,
                      const struct vmb_res_cell **best, double *median,
                      struct vmb_error **err)
{
    const char *dot = strchr(spec, '.');
    if (dot == NULL || dot == spec)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "metric \"%s\" is not PHASE.METRIC, e.g. "
                             "\"write.op_rate\" or \"read.p99\"",
                             spec);
    autofree char *phase = vmb_xstrndup(spec, (size_t)(dot - spec));
    const char *metric = dot + 1;
    int mid = metric_id(metric);
    if (mid < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "unknown metric \"%s\"; known: op_rate, p50, "
                             "p95, p99, p99.9, mean, max, capacity",
                             metric);
    autofree char *name = NULL;
    if (resolve_phase(r, phase, &name, err) < 0)
        return -1;
    bool higher = vmb_metric_higher_better(metric);
    size_t cap = vmb_results_max_reps(r);
    autofree double *v = vmb_xcalloc(cap, sizeof(*v));
    *best = NULL;
    for (size_t i = 0; i < r->ncells; i++) {
        size_t n = vmb_metric_values(&r->cells[i], name, mid, v, cap);
        if (n == 0)
            continue;
        double med = vmb_stats_median(v, n);
        if (*best == NULL || (higher ? med > *median : med < *median)) {
            *best = &r->cells[i];
            *median = med;
        }
    }
    if (*best == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no cell has a value of \"%s\"", spec);
    return 0;
}
