/*
 * Where the time goes, read back: each phase's PHASE_RESOURCES object,
 * the probe of the raw limits and the sampler's cost, every value
 * checked like the rest of result.json.
 */
#include <math.h>
#include <string.h>

#include "base/util.h"
#include "results/results_priv.h"

const char *const vmb_res_cpu_class[VMB_RES_NCPU] = {
    "vcpu", "qemu_main", "iothreads", "qemu_other", "virtiofsd", "vhost", "db",
};

static void
clear_resources(struct vmb_res_resources *r)
{
    r->window_s = r->host_cpu_us = r->loadgen_cpu_us = NAN;
    for (int k = 0; k < VMB_RES_NCPU; k++)
        r->cpu_us[k] = NAN;
    r->disk_rd_bytes = r->disk_wr_bytes = r->disk_rd_ops = r->disk_wr_ops = NAN;
    r->host_wr_bytes = r->host_wr_ops = r->net_bytes = NAN;
    for (int k = 0; k < 2; k++)
        r->node_net_bytes[k] = r->node_net_packets[k] = NAN;
    r->guest_window_s = r->guest_cpus = NAN;
    r->guest_user_s = r->guest_system_s = r->guest_iowait_s = r->guest_steal_s =
        r->guest_idle_s = NAN;
    r->guest_disk_rd_bytes = r->guest_disk_wr_bytes = r->guest_disk_rd_ops =
        r->guest_disk_wr_ops = NAN;
}

static void
read_guest(struct vmb_res_ctx *c, struct json_object *o, const char *name,
           struct vmb_res_resources *r)
{
    autofree char *pfx = vmb_xasprintf("guest_resources.%s", name);
    r->guest_user_s = vmb_res_num(c, o, pfx, "user_s", VMB_RES_NONNEG);
    r->guest_system_s = vmb_res_num(c, o, pfx, "system_s", VMB_RES_NONNEG);
    r->guest_iowait_s = vmb_res_num(c, o, pfx, "iowait_s", VMB_RES_NONNEG);
    r->guest_steal_s = vmb_res_num(c, o, pfx, "steal_s", VMB_RES_NONNEG);
    r->guest_idle_s = vmb_res_num(c, o, pfx, "idle_s", VMB_RES_NONNEG);
    r->guest_window_s = vmb_res_num(c, o, pfx, "window_s", VMB_RES_NONNEG);
    r->guest_cpus = vmb_res_num(c, o, pfx, "cpus", 1, 4096);
    struct json_object *disk = vmb_res_obj(c, o, pfx, "disk");
    autofree char *dpfx = vmb_xasprintf("%s.disk", pfx);
    r->guest_disk_rd_bytes =
        vmb_res_num(c, disk, dpfx, "read_bytes", VMB_RES_NONNEG);
    r->guest_disk_wr_bytes =
        vmb_res_num(c, disk, dpfx, "write_bytes", VMB_RES_NONNEG);
    r->guest_disk_rd_ops =
        vmb_res_num(c, disk, dpfx, "read_ops", VMB_RES_NONNEG);
    r->guest_disk_wr_ops =
        vmb_res_num(c, disk, dpfx, "write_ops", VMB_RES_NONNEG);
}

/* "net_nodes": [node 1, node 2], each {rx_bytes, tx_bytes, rx_packets,
 * tx_packets}; null (bare metal) leaves the figures NAN. */
static void
read_node_net(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
              struct vmb_res_resources *r)
{
    struct json_object *a = vmb_res_arr(c, o, pfx, "net_nodes");
    if (a == NULL)
        return;
    if (json_object_array_length(a) != 2) {
        vmb_res_bad(c, pfx, "net_nodes", "has %zu entries, not 2",
                    json_object_array_length(a));
        return;
    }
    for (size_t k = 0; k < 2; k++) {
        autofree char *npfx = vmb_xasprintf("%s.net_nodes[%zu]", pfx, k);
        struct json_object *n = json_object_array_get_idx(a, k);
        if (!json_object_is_type(n, json_type_object)) {
            vmb_res_bad(c, pfx, "net_nodes", "entry %zu is not an object", k);
            continue;
        }
        r->node_net_bytes[k] =
            vmb_res_num(c, n, npfx, "rx_bytes", VMB_RES_NONNEG) +
            vmb_res_num(c, n, npfx, "tx_bytes", VMB_RES_NONNEG);
        r->node_net_packets[k] =
            vmb_res_num(c, n, npfx, "rx_packets", VMB_RES_NONNEG) +
            vmb_res_num(c, n, npfx, "tx_packets", VMB_RES_NONNEG);
    }
}

static void
read_phase_resources(struct vmb_res_ctx *c, struct json_object *o,
                     const char *name, struct vmb_res_resources *r)
{
    autofree char *pfx = vmb_xasprintf("phase_resources.%s", name);
    r->window_s = vmb_res_num(c, o, pfx, "window_s", VMB_RES_NONNEG);
    struct json_object *cpu = vmb_res_obj(c, o, pfx, "host_cpu_us");
    autofree char *cpfx = vmb_xasprintf("%s.host_cpu_us", pfx);
    r->host_cpu_us = vmb_res_num(c, cpu, cpfx, "total", VMB_RES_NONNEG);
    for (int k = 0; k < VMB_RES_NCPU; k++)
        r->cpu_us[k] =
            vmb_res_num(c, cpu, cpfx, vmb_res_cpu_class[k], VMB_RES_NONNEG);
    r->loadgen_cpu_us =
        vmb_res_num(c, o, pfx, "loadgen_cpu_us", VMB_RES_NONNEG);
    struct json_object *disk = vmb_res_obj(c, o, pfx, "disk");
    autofree char *dpfx = vmb_xasprintf("%s.disk", pfx);
    r->disk_rd_bytes = vmb_res_num(c, disk, dpfx, "read_bytes", VMB_RES_NONNEG);
    r->disk_wr_bytes =
        vmb_res_num(c, disk, dpfx, "write_bytes", VMB_RES_NONNEG);
    r->disk_rd_ops = vmb_res_num(c, disk, dpfx, "read_ops", VMB_RES_NONNEG);
    r->disk_wr_ops = vmb_res_num(c, disk, dpfx, "write_ops", VMB_RES_NONNEG);
    struct json_object *host = vmb_res_obj(c, o, pfx, "host_disk");
    autofree char *hpfx = vmb_xasprintf("%s.host_disk", pfx);
    r->host_wr_bytes =
        vmb_res_num(c, host, hpfx, "write_bytes", VMB_RES_NONNEG);
    r->host_wr_ops = vmb_res_num(c, host, hpfx, "write_ops", VMB_RES_NONNEG);
    struct json_object *net = vmb_res_obj(c, o, pfx, "net");
    autofree char *npfx = vmb_xasprintf("%s.net", pfx);
    double rx = vmb_res_num(c, net, npfx, "rx_bytes", VMB_RES_NONNEG);
    double tx = vmb_res_num(c, net, npfx, "tx_bytes", VMB_RES_NONNEG);
    r->net_bytes = rx + tx;
    read_node_net(c, o, pfx, r);
}

static void
read_probe(struct vmb_res_ctx *c, struct json_object *o,
           struct vmb_res_rep *rep)
{
    struct vmb_res_probe *p = &rep->probe;
    p->fsync_write_rate = p->fsync_write_p99_us = p->randread_iops =
        p->seqwrite_mb_s = p->rtt_us = p->rtt_loadgen_us = NAN;
    struct json_object *pr = vmb_res_obj(c, o, NULL, "probe");
    if (pr == NULL)
        return;
    rep->has_probe = true;
    p->fsync_write_rate =
        vmb_res_num(c, pr, "probe", "fsync_write_rate", VMB_RES_NONNEG);
    p->fsync_write_p99_us =
        vmb_res_num(c, pr, "probe", "fsync_write_p99_us", VMB_RES_NONNEG);
    p->randread_iops =
        vmb_res_num(c, pr, "probe", "randread_iops", VMB_RES_NONNEG);
    p->seqwrite_mb_s =
        vmb_res_num(c, pr, "probe", "seqwrite_mb_s", VMB_RES_NONNEG);
    p->rtt_us = vmb_res_num(c, pr, "probe", "rtt_us", VMB_RES_NONNEG);
    p->rtt_loadgen_us =
        vmb_res_num(c, pr, "probe", "rtt_loadgen_us", VMB_RES_NONNEG);
    struct json_object *d = vmb_res_member(pr, "randread_direct");
    p->randread_direct = d != NULL &&
                         json_object_is_type(d, json_type_boolean) &&
                         json_object_get_boolean(d);
}

void
vmb_res_read_resources(struct vmb_res_ctx *c, struct json_object *o,
                       struct vmb_res_rep *rep)
{
    struct json_object *pr = vmb_res_obj(c, o, NULL, "phase_resources");
    struct json_object *gr = vmb_res_obj(c, o, NULL, "guest_resources");
    for (size_t i = 0; i < rep->nphases; i++) {
        struct vmb_res_phase *p = &rep->phases[i];
        clear_resources(&p->res);
        struct json_object *ph = vmb_res_obj(c, pr, "phase_resources", p->name);
        if (ph != NULL)
            read_phase_resources(c, ph, p->name, &p->res);
        struct json_object *g = vmb_res_obj(c, gr, "guest_resources", p->name);
        if (g != NULL)
            read_guest(c, g, p->name, &p->res);
    }
    read_probe(c, o, rep);
    struct json_object *sm = vmb_res_obj(c, o, NULL, "sampling");
    rep->sampling_cpu_share = vmb_res_num(c, sm, "sampling", "cpu_share", 0, 1);
}
