/*
 * Where the time goes, both directions: each phase's PHASE_RESOURCES and
 * GUEST objects written from struct vmb_res_resources and read back into
 * it, every value checked like the rest of result.json; then the probe of
 * the raw limits and the sampler's cost, read back. The writer and the
 * reader share the key names and the field tables below: a key of these
 * records is spelled here once.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "base/util.h"
#include "results/resources.h"
#include "results/results_priv.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *const vmb_res_cpu_class[VMB_RES_NCPU] = {
    "vcpu", "qemu_main", "iothreads", "qemu_other", "virtiofsd", "vhost", "db",
};

static const char K_PHASE_RESOURCES[] = "phase_resources";
static const char K_GUEST_RESOURCES[] = "guest_resources";
static const char K_WINDOW_S[] = "window_s";
static const char K_OPS[] = "ops";
static const char K_HOST_CPU_US[] = "host_cpu_us";
static const char K_TOTAL[] = "total";
static const char K_LOADGEN_CPU_US[] = "loadgen_cpu_us";
static const char K_DISK[] = "disk";
static const char K_HOST_DISK[] = "host_disk";
static const char K_NET[] = "net";
static const char K_NET_SOURCE[] = "net_source";
static const char K_NET_NODES[] = "net_nodes";
static const char K_CPUS[] = "cpus";
static const char K_READ_BYTES[] = "read_bytes";
static const char K_WRITE_BYTES[] = "write_bytes";
static const char K_READ_OPS[] = "read_ops";
static const char K_WRITE_OPS[] = "write_ops";
static const char K_RX_BYTES[] = "rx_bytes";
static const char K_TX_BYTES[] = "tx_bytes";
static const char K_RX_PACKETS[] = "rx_packets";
static const char K_TX_PACKETS[] = "tx_packets";
static const char K_PROBE[] = "probe";
static const char K_ERROR[] = "error";
static const char K_TOOL[] = "tool";
static const char K_FSYNC_RATE[] = "fsync_write_rate";
static const char K_FSYNC_P99[] = "fsync_write_p99_us";
static const char K_RANDREAD_IOPS[] = "randread_iops";
static const char K_RANDREAD_DIRECT[] = "randread_direct";
static const char K_SEQWRITE[] = "seqwrite_mb_s";
static const char K_RTT[] = "rtt_us";
static const char K_RTT_LOADGEN[] = "rtt_loadgen_us";
static const char K_SAMPLING[] = "sampling";
static const char K_INTERVAL_S[] = "interval_s";
static const char K_SAMPLES[] = "samples";
static const char K_CPU_SHARE[] = "cpu_share";

/* "net_source" by VMB_RES_NET_* (none is null). */
static const char *const net_source_name[] = {
    [VMB_RES_NET_LOOPBACK] = "loopback",
    [VMB_RES_NET_NICS] = "nics",
};

/* A figure of an object: its key and where it lives in the struct. */
struct field {
    const char *key;
    size_t off;
};
#define F(k, member)                                                           \
    {                                                                          \
        k, offsetof(struct vmb_res_resources, member)                          \
    }

static const struct field disk_fields[] = {
    F(K_READ_BYTES, disk_rd_bytes),
    F(K_WRITE_BYTES, disk_wr_bytes),
    F(K_READ_OPS, disk_rd_ops),
    F(K_WRITE_OPS, disk_wr_ops),
};
static const struct field host_disk_fields[] = {
    F(K_READ_BYTES, host_rd_bytes), F(K_WRITE_BYTES, host_wr_bytes),
    F(K_READ_OPS, host_rd_ops),     F(K_WRITE_OPS, host_wr_ops),
    F("busy_ms", host_busy_ms),
};
static const struct field net_fields[] = {
    F(K_RX_BYTES, net_rx_bytes),
    F(K_TX_BYTES, net_tx_bytes),
    F(K_RX_PACKETS, net_rx_packets),
    F(K_TX_PACKETS, net_tx_packets),
};
/* Each entry of "net_nodes", by index into node_net[node]. */
static const char *const node_net_keys[4] = {K_RX_BYTES, K_TX_BYTES,
                                             K_RX_PACKETS, K_TX_PACKETS};
/* The guests' CPU seconds by kind, each left out when not measured. */
static const struct field guest_cpu_fields[] = {
    F("user_s", guest_user_s),     F("system_s", guest_system_s),
    F("iowait_s", guest_iowait_s), F("steal_s", guest_steal_s),
    F("idle_s", guest_idle_s),
};
static const struct field guest_disk_fields[] = {
    F(K_READ_OPS, guest_disk_rd_ops),
    F(K_READ_BYTES, guest_disk_rd_bytes),
    F(K_WRITE_OPS, guest_disk_wr_ops),
    F(K_WRITE_BYTES, guest_disk_wr_bytes),
};
#undef F

static double
get(const struct vmb_res_resources *r, const struct field *f)
{
    /* cppcheck-suppress invalidPointerCast ; f->off is an offsetof */
    return *(const double *)((const char *)r + f->off);
}

static double *
at(struct vmb_res_resources *r, const struct field *f)
{
    /* cppcheck-suppress invalidPointerCast ; f->off is an offsetof */
    return (double *)((char *)r + f->off);
}

void
vmb_res_resources_clear(struct vmb_res_resources *r)
{
    r->window_s = r->ops = r->host_cpu_us = r->loadgen_cpu_us = NAN;
    for (int k = 0; k < VMB_RES_NCPU; k++)
        r->cpu_us[k] = NAN;
    const struct field *groups[] = {disk_fields, host_disk_fields, net_fields,
                                    guest_cpu_fields, guest_disk_fields};
    const size_t sizes[] = {N(disk_fields), N(host_disk_fields), N(net_fields),
                            N(guest_cpu_fields), N(guest_disk_fields)};
    for (size_t g = 0; g < N(groups); g++)
        for (size_t i = 0; i < sizes[g]; i++)
            *at(r, &groups[g][i]) = NAN;
    r->net_source = VMB_RES_NET_NONE;
    for (int k = 0; k < 2; k++) {
        for (int j = 0; j < 4; j++)
            r->node_net[k][j] = NAN;
        r->node_net_bytes[k] = r->node_net_packets[k] = NAN;
    }
    r->net_bytes = r->guest_window_s = r->guest_cpus = NAN;
}

/* An object of the figures measured, or null when none was. */
static void
write_group(struct vmb_jw *w, const char *key,
            const struct vmb_res_resources *r, const struct field *f, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= isfinite(get(r, &f[i]));
    vmb_jw_key(w, key);
    if (!any) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++)
        if (isfinite(get(r, &f[i])))
            vmb_jw_kdouble(w, f[i].key, get(r, &f[i]));
    vmb_jw_obj_end(w);
}

static void
read_group(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
           const char *key, struct vmb_res_resources *r, const struct field *f,
           size_t n)
{
    struct json_object *g = vmb_res_obj(c, o, pfx, key);
    autofree char *gpfx = vmb_xasprintf("%s.%s", pfx, key);
    for (size_t i = 0; i < n; i++)
        *at(r, &f[i]) = vmb_res_num(c, g, gpfx, f[i].key, VMB_RES_NONNEG);
}

void
vmb_res_phase_resources_json(struct vmb_jw *w,
                             const struct vmb_res_resources *r)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, K_WINDOW_S, r->window_s);
    vmb_jw_kdouble(w, K_OPS, r->ops);
    vmb_jw_key(w, K_HOST_CPU_US);
    if (isnan(r->host_cpu_us)) {
        vmb_jw_null(w);
    } else {
        vmb_jw_obj_begin(w);
        vmb_jw_kdouble(w, K_TOTAL, r->host_cpu_us);
        for (int k = 0; k < VMB_RES_NCPU; k++)
            if (isfinite(r->cpu_us[k]))
                vmb_jw_kdouble(w, vmb_res_cpu_class[k], r->cpu_us[k]);
        vmb_jw_obj_end(w);
    }
    vmb_jw_kdouble(w, K_LOADGEN_CPU_US, r->loadgen_cpu_us);
    write_group(w, K_DISK, r, disk_fields, N(disk_fields));
    write_group(w, K_HOST_DISK, r, host_disk_fields, N(host_disk_fields));
    write_group(w, K_NET, r, net_fields, N(net_fields));
    vmb_jw_key(w, K_NET_SOURCE);
    if (r->net_source == VMB_RES_NET_LOOPBACK ||
        r->net_source == VMB_RES_NET_NICS)
        vmb_jw_str(w, net_source_name[r->net_source]);
    else
        vmb_jw_null(w);
    vmb_jw_key(w, K_NET_NODES);
    if (!isfinite(r->node_net[0][0]) || !isfinite(r->node_net[1][0])) {
        vmb_jw_null(w);
    } else {
        vmb_jw_arr_begin(w);
        for (int node = 0; node < 2; node++) {
            vmb_jw_obj_begin(w);
            for (int k = 0; k < 4; k++)
                vmb_jw_kdouble(w, node_net_keys[k], r->node_net[node][k]);
            vmb_jw_obj_end(w);
        }
        vmb_jw_arr_end(w);
    }
    vmb_jw_obj_end(w);
}

void
vmb_res_guest_json(struct vmb_jw *w, const struct vmb_res_resources *r)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, K_WINDOW_S, r->guest_window_s);
    vmb_jw_kdouble(w, K_CPUS, r->guest_cpus);
    for (size_t i = 0; i < N(guest_cpu_fields); i++)
        if (isfinite(get(r, &guest_cpu_fields[i])))
            vmb_jw_kdouble(w, guest_cpu_fields[i].key,
                           get(r, &guest_cpu_fields[i]));
    write_group(w, K_DISK, r, guest_disk_fields, N(guest_disk_fields));
    vmb_jw_obj_end(w);
}

void
vmb_res_resources_write(struct vmb_jw *w, const char *const *names,
                        const struct vmb_res_resources *res, size_t n)
{
    vmb_jw_key(w, K_PHASE_RESOURCES);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++)
        if (isfinite(res[i].window_s)) {
            vmb_jw_key(w, names[i]);
            vmb_res_phase_resources_json(w, &res[i]);
        }
    vmb_jw_obj_end(w);
    vmb_jw_key(w, K_GUEST_RESOURCES);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++)
        if (isfinite(res[i].guest_window_s) && isfinite(res[i].guest_user_s)) {
            vmb_jw_key(w, names[i]);
            vmb_res_guest_json(w, &res[i]);
        }
    vmb_jw_obj_end(w);
}

static void
read_guest(struct vmb_res_ctx *c, struct json_object *o, const char *name,
           struct vmb_res_resources *r)
{
    autofree char *pfx = vmb_xasprintf("%s.%s", K_GUEST_RESOURCES, name);
    for (size_t i = 0; i < N(guest_cpu_fields); i++)
        *at(r, &guest_cpu_fields[i]) =
            vmb_res_num(c, o, pfx, guest_cpu_fields[i].key, VMB_RES_NONNEG);
    r->guest_window_s = vmb_res_num(c, o, pfx, K_WINDOW_S, VMB_RES_NONNEG);
    r->guest_cpus = vmb_res_num(c, o, pfx, K_CPUS, 1, 4096);
    read_group(c, o, pfx, K_DISK, r, guest_disk_fields, N(guest_disk_fields));
}

/* "net_nodes": [node 1, node 2], each {rx_bytes, tx_bytes, rx_packets,
 * tx_packets}; null (bare metal) leaves the figures NAN. */
static void
read_node_net(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
              struct vmb_res_resources *r)
{
    struct json_object *a = vmb_res_arr(c, o, pfx, K_NET_NODES);
    if (a == NULL)
        return;
    if (json_object_array_length(a) != 2) {
        vmb_res_bad(c, pfx, K_NET_NODES, "has %zu entries, not 2",
                    json_object_array_length(a));
        return;
    }
    for (size_t k = 0; k < 2; k++) {
        autofree char *npfx = vmb_xasprintf("%s.%s[%zu]", pfx, K_NET_NODES, k);
        struct json_object *n = json_object_array_get_idx(a, k);
        if (!json_object_is_type(n, json_type_object)) {
            vmb_res_bad(c, pfx, K_NET_NODES, "entry %zu is not an object", k);
            continue;
        }
        for (int j = 0; j < 4; j++)
            r->node_net[k][j] =
                vmb_res_num(c, n, npfx, node_net_keys[j], VMB_RES_NONNEG);
        r->node_net_bytes[k] = r->node_net[k][0] + r->node_net[k][1];
        r->node_net_packets[k] = r->node_net[k][2] + r->node_net[k][3];
    }
}

static void
read_net_source(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
                struct vmb_res_resources *r)
{
    autofree char *v = vmb_res_str(c, o, pfx, K_NET_SOURCE);
    if (v == NULL)
        return;
    for (int k = VMB_RES_NET_LOOPBACK; k <= VMB_RES_NET_NICS; k++)
        if (strcmp(v, net_source_name[k]) == 0) {
            r->net_source = k;
            return;
        }
    vmb_res_bad(c, pfx, K_NET_SOURCE, "\"%s\" is not %s or %s", v,
                net_source_name[VMB_RES_NET_LOOPBACK],
                net_source_name[VMB_RES_NET_NICS]);
}

static void
read_phase_resources(struct vmb_res_ctx *c, struct json_object *o,
                     const char *name, struct vmb_res_resources *r)
{
    autofree char *pfx = vmb_xasprintf("%s.%s", K_PHASE_RESOURCES, name);
    r->window_s = vmb_res_num(c, o, pfx, K_WINDOW_S, VMB_RES_NONNEG);
    r->ops = vmb_res_num(c, o, pfx, K_OPS, VMB_RES_NONNEG);
    struct json_object *cpu = vmb_res_obj(c, o, pfx, K_HOST_CPU_US);
    autofree char *cpfx = vmb_xasprintf("%s.%s", pfx, K_HOST_CPU_US);
    r->host_cpu_us = vmb_res_num(c, cpu, cpfx, K_TOTAL, VMB_RES_NONNEG);
    for (int k = 0; k < VMB_RES_NCPU; k++)
        r->cpu_us[k] =
            vmb_res_num(c, cpu, cpfx, vmb_res_cpu_class[k], VMB_RES_NONNEG);
    r->loadgen_cpu_us =
        vmb_res_num(c, o, pfx, K_LOADGEN_CPU_US, VMB_RES_NONNEG);
    read_group(c, o, pfx, K_DISK, r, disk_fields, N(disk_fields));
    read_group(c, o, pfx, K_HOST_DISK, r, host_disk_fields,
               N(host_disk_fields));
    read_group(c, o, pfx, K_NET, r, net_fields, N(net_fields));
    r->net_bytes = r->net_rx_bytes + r->net_tx_bytes;
    read_net_source(c, o, pfx, r);
    read_node_net(c, o, pfx, r);
}

static void
kdouble_or_null(struct vmb_jw *w, const char *k, double v)
{
    vmb_jw_key(w, k);
    if (isfinite(v))
        vmb_jw_double(w, v);
    else
        vmb_jw_null(w);
}

void
vmb_res_probe_write(struct vmb_jw *w, bool probed, const char *error,
                    const struct vmb_res_probe *p)
{
    vmb_jw_key(w, K_PROBE);
    if (!probed) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    if (p->tool[0] != '\0')
        vmb_jw_kstr(w, K_TOOL, p->tool);
    if (error != NULL) {
        vmb_jw_kstr(w, K_ERROR, error);
    } else {
        vmb_jw_kdouble(w, K_FSYNC_RATE, p->fsync_write_rate);
        vmb_jw_kdouble(w, K_FSYNC_P99, p->fsync_write_p99_us);
        vmb_jw_kdouble(w, K_RANDREAD_IOPS, p->randread_iops);
        vmb_jw_kbool(w, K_RANDREAD_DIRECT, p->randread_direct);
        vmb_jw_kdouble(w, K_SEQWRITE, p->seqwrite_mb_s);
    }
    kdouble_or_null(w, K_RTT, p->rtt_us);
    kdouble_or_null(w, K_RTT_LOADGEN, p->rtt_loadgen_us);
    vmb_jw_obj_end(w);
}

void
vmb_res_sampling_write(struct vmb_jw *w, bool sampled, uint64_t samples,
                       double cpu_share)
{
    vmb_jw_key(w, K_SAMPLING);
    if (!sampled) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, K_INTERVAL_S, 1);
    vmb_jw_kuint(w, K_SAMPLES, samples);
    vmb_jw_kdouble(w, K_CPU_SHARE, cpu_share);
    vmb_jw_obj_end(w);
}

/* A tool's name and version: printable text that fits p->tool. */
static void
read_tool(struct vmb_res_ctx *c, struct json_object *pr,
          struct vmb_res_probe *p)
{
    autofree char *t = vmb_res_str(c, pr, K_PROBE, K_TOOL);
    if (t == NULL)
        return;
    size_t n = strlen(t);
    bool printable = n > 0 && n < sizeof(p->tool);
    for (size_t i = 0; i < n && printable; i++)
        printable = t[i] >= 0x20 && t[i] < 0x7f;
    if (!printable) {
        vmb_res_bad(c, K_PROBE, K_TOOL,
                    "expected a tool's name of 1 to %zu printable characters",
                    sizeof(p->tool) - 1);
        return;
    }
    memcpy(p->tool, t, n + 1);
}

static void
read_probe(struct vmb_res_ctx *c, struct json_object *o,
           struct vmb_res_rep *rep)
{
    struct vmb_res_probe *p = &rep->probe;
    p->fsync_write_rate = p->fsync_write_p99_us = p->randread_iops =
        p->seqwrite_mb_s = p->rtt_us = p->rtt_loadgen_us = NAN;
    p->tool[0] = '\0';
    struct json_object *pr = vmb_res_obj(c, o, NULL, K_PROBE);
    if (pr == NULL)
        return;
    rep->has_probe = true;
    read_tool(c, pr, p);
    p->fsync_write_rate =
        vmb_res_num(c, pr, K_PROBE, K_FSYNC_RATE, VMB_RES_NONNEG);
    p->fsync_write_p99_us =
        vmb_res_num(c, pr, K_PROBE, K_FSYNC_P99, VMB_RES_NONNEG);
    p->randread_iops =
        vmb_res_num(c, pr, K_PROBE, K_RANDREAD_IOPS, VMB_RES_NONNEG);
    p->seqwrite_mb_s = vmb_res_num(c, pr, K_PROBE, K_SEQWRITE, VMB_RES_NONNEG);
    p->rtt_us = vmb_res_num(c, pr, K_PROBE, K_RTT, VMB_RES_NONNEG);
    p->rtt_loadgen_us =
        vmb_res_num(c, pr, K_PROBE, K_RTT_LOADGEN, VMB_RES_NONNEG);
    struct json_object *d = vmb_res_member(pr, K_RANDREAD_DIRECT);
    p->randread_direct = d != NULL &&
                         json_object_is_type(d, json_type_boolean) &&
                         json_object_get_boolean(d);
}

void
vmb_res_read_resources(struct vmb_res_ctx *c, struct json_object *o,
                       struct vmb_res_rep *rep)
{
    struct json_object *pr = vmb_res_obj(c, o, NULL, K_PHASE_RESOURCES);
    struct json_object *gr = vmb_res_obj(c, o, NULL, K_GUEST_RESOURCES);
    for (size_t i = 0; i < rep->nphases; i++) {
        struct vmb_res_phase *p = &rep->phases[i];
        vmb_res_resources_clear(&p->res);
        struct json_object *ph = vmb_res_obj(c, pr, K_PHASE_RESOURCES, p->name);
        if (ph != NULL)
            read_phase_resources(c, ph, p->name, &p->res);
        struct json_object *g = vmb_res_obj(c, gr, K_GUEST_RESOURCES, p->name);
        if (g != NULL)
            read_guest(c, g, p->name, &p->res);
    }
    read_probe(c, o, rep);
    struct json_object *sm = vmb_res_obj(c, o, NULL, K_SAMPLING);
    rep->sampling_cpu_share = vmb_res_num(c, sm, K_SAMPLING, K_CPU_SHARE, 0, 1);
}
