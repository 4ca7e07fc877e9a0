#include "run/resources.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/resources.h"
#include "runtime/hostcpu.h"
#include "runtime/sample.h"
#include "version.h"

_Static_assert((int)VMB_CPU_NCLASS == (int)VMB_RES_NCPU,
               "the results have a figure for each host CPU class");

/* A counter every tenant reads the same of: taken from tenant 1 only. */
static bool
counted_once(const struct vmb_runtime *rt, int c)
{
    if (c == VMB_CTR_LOADGEN_CPU_US || c == VMB_CTR_SAMPLER_CPU_US ||
        (c >= VMB_CTR_HOST_RD_BYTES && c <= VMB_CTR_HOST_BUSY_MS))
        return true;
    return rt->ops->shared_io &&
           ((c >= VMB_CTR_DISK_RD_BYTES && c <= VMB_CTR_DISK_WR_OPS) ||
            (c >= VMB_CTR_NET_RX_BYTES && c <= VMB_CTR_NET_TX_PACKETS));
}

/* Tenant 1's sample in s, the others' added to it. */
static void
sample_tenants(const struct vmb_run_resources *r, bool guest,
               struct vmb_sample *s)
{
    for (size_t t = 0; t < r->nrts; t++) {
        struct vmb_runtime *rt = r->rts[t];
        struct vmb_sample one = {0};
        if (guest)
            rt->ops->sample_guest(rt, t == 0 ? s : &one);
        else
            rt->ops->sample(rt, t == 0 ? s : &one);
        for (int c = 0; t > 0 && c < VMB_NCTR; c++) {
            if (counted_once(rt, c))
                continue;
            s->v[c] += one.v[c];
            s->have[c] = s->have[c] && one.have[c];
        }
    }
}

static void
sample_rt(void *ctx, struct vmb_sample *s)
{
    sample_tenants(ctx, false, s);
}

static void
sample_guest(void *ctx, struct vmb_sample *s)
{
    sample_tenants(ctx, true, s);
}

void
vmb_run_resources_start(struct vmb_run_resources *r, struct vmb_runtime **rts,
                        size_t nt)
{
    const struct vmb_runtime_ops *ops = rts[0]->ops;
    r->rts = rts;
    r->nrts = nt;
    if (ops->sample != NULL && r->sp == NULL)
        r->sp = vmb_sampler_start(sample_rt, r, 1000000000ull);
    if (ops->sample_guest != NULL && r->gsp == NULL)
        r->gsp = vmb_sampler_start(sample_guest, r, 1000000000ull);
}

void
vmb_run_resources_stop(struct vmb_run_resources *r)
{
    vmb_sampler_stop(r->sp);
    vmb_sampler_stop(r->gsp);
}

/* The delta of the samples s[0..n) over the window of phase p. */
static bool
phase_window(const struct vmb_run_resources_phase *p,
             const struct vmb_sample *s, size_t n, struct vmb_sample *d)
{
    if (n == 0 || p->start_ns == 0 || p->duration_s <= 0)
        return false;
    struct vmb_sample a, b;
    uint64_t end = p->start_ns + (uint64_t)(p->duration_s * 1e9);
    vmb_samples_at(s, n, p->start_ns, &a);
    vmb_samples_at(s, n, end, &b);
    vmb_sample_delta(&a, &b, d);
    return true;
}

void
vmb_run_resources_probe(struct vmb_run_resources *r, struct vmb_runtime *rt)
{
    r->rtt_us = r->rtt_loadgen_us = NAN;
    if (!rt->cfg->top.probe || rt->ops->probe == NULL)
        return;
    struct vmb_rawprobe_opts o = {
        .each_us = rt->cfg->top.probe_duration_us,
        .file_bytes = 64ull << 20,
    };
    struct vmb_error *err = NULL;
    r->probed = true;
    if (rt->ops->probe(rt, &o, &r->probe, &err) < 0) {
        r->probe_error = vmb_xstrdup(err->msg);
        vmb_note(rt->notes, "%s rep %d: the probe failed: %s", rt->cell_id,
                 rt->rep, err->msg);
        vmb_error_free(err);
    }
}

void
vmb_run_resources_rtt(struct vmb_run_resources *r, struct vmb_runtime *rt)
{
    if (!r->probed)
        return;
    vmb_autoerr struct vmb_error *err = NULL;
    if (rt->ops->rtt != NULL && rt->ops->rtt(rt, &r->rtt_us, &err) < 0)
        r->rtt_us = NAN;
    if (vmb_sample_connect_rtt(rt->nodes[0].host, rt->nodes[0].port, 5,
                               &r->rtt_loadgen_us) < 0)
        r->rtt_loadgen_us = NAN;
}

void
vmb_run_resources_phase(struct vmb_run_resources *r, struct vmb_runtime *rt,
                        struct vmb_run_phase_out *out)
{
    (void)rt;
    r->phases = vmb_xrealloc(r->phases, (r->nphases + 1) * sizeof(*r->phases));
    struct vmb_run_resources_phase *p = &r->phases[r->nphases++];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, out->name, sizeof(p->name));
    p->start_ns = out->start_ns;
    p->duration_s = out->duration_s;
    p->ops = out->ops;
    p->csv = steal(&out->csv);
}

void
vmb_run_resources_csv(const struct vmb_run_resources *r, struct vmb_buf *csv)
{
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    for (size_t i = 0; i < r->nphases; i++)
        if (r->phases[i].csv != NULL)
            vmb_sample_csv_extend(r->phases[i].csv, r->phases[i].start_ns,
                                  r->phases[i].duration_s, s, n, csv);
}

/* A counter of a delta, rounded as the results keep it; NAN if absent. */
static double
ctr(const struct vmb_sample *d, int k)
{
    return d->have[k] ? round(d->v[k]) : NAN;
}

void
vmb_run_resources_window(const struct vmb_sample *d, double ops,
                         struct vmb_res_resources *r)
{
    r->window_s = (double)d->at_ns / 1e9;
    r->ops = ops;
    double total = vmb_sample_host_cpu_us(d);
    r->host_cpu_us = isnan(total) ? NAN : round(total);
    for (int c = 0; c < VMB_CPU_NCLASS; c++)
        r->cpu_us[c] = ctr(d, c);
    r->loadgen_cpu_us = ctr(d, VMB_CTR_LOADGEN_CPU_US);
    r->disk_rd_bytes = ctr(d, VMB_CTR_DISK_RD_BYTES);
    r->disk_wr_bytes = ctr(d, VMB_CTR_DISK_WR_BYTES);
    r->disk_rd_ops = ctr(d, VMB_CTR_DISK_RD_OPS);
    r->disk_wr_ops = ctr(d, VMB_CTR_DISK_WR_OPS);
    r->host_rd_bytes = ctr(d, VMB_CTR_HOST_RD_BYTES);
    r->host_wr_bytes = ctr(d, VMB_CTR_HOST_WR_BYTES);
    r->host_rd_ops = ctr(d, VMB_CTR_HOST_RD_OPS);
    r->host_wr_ops = ctr(d, VMB_CTR_HOST_WR_OPS);
    r->host_busy_ms = ctr(d, VMB_CTR_HOST_BUSY_MS);
    r->net_rx_bytes = ctr(d, VMB_CTR_NET_RX_BYTES);
    r->net_tx_bytes = ctr(d, VMB_CTR_NET_TX_BYTES);
    r->net_rx_packets = ctr(d, VMB_CTR_NET_RX_PACKETS);
    r->net_tx_packets = ctr(d, VMB_CTR_NET_TX_PACKETS);
    /* Per node where each has its own interface; on bare metal "net" is
     * the shared loopback's, and there is no per-node figure. */
    bool nodes = d->have[VMB_CTR_NODE(1, 0)] && d->have[VMB_CTR_NODE(2, 0)];
    r->net_source = !d->have[VMB_CTR_NET_RX_BYTES] ? VMB_RES_NET_NONE
                    : nodes                        ? VMB_RES_NET_NICS
                                                   : VMB_RES_NET_LOOPBACK;
    for (int node = 1; node <= 2; node++)
        for (int k = 0; k < 4; k++)
            r->node_net[node - 1][k] =
                nodes ? round(d->v[VMB_CTR_NODE(node, k)]) : NAN;
}

void
vmb_run_resources_guest(const struct vmb_sample *d, struct vmb_res_resources *r)
{
    r->guest_window_s = (double)d->at_ns / 1e9;
    r->guest_cpus =
        d->have[VMB_CTR_GUEST_CPUS] ? d->v[VMB_CTR_GUEST_CPUS] : NAN;
    double *cpu[] = {&r->guest_user_s, &r->guest_system_s, &r->guest_iowait_s,
                     &r->guest_steal_s, &r->guest_idle_s};
    for (int k = VMB_CTR_GUEST_USER_S; k <= VMB_CTR_GUEST_IDLE_S; k++)
        *cpu[k - VMB_CTR_GUEST_USER_S] =
            d->have[k] ? round(d->v[k] * 100) / 100 : NAN;
    r->guest_disk_rd_ops = ctr(d, VMB_CTR_GUEST_DISK_RD_OPS);
    r->guest_disk_rd_bytes = ctr(d, VMB_CTR_GUEST_DISK_RD_BYTES);
    r->guest_disk_wr_ops = ctr(d, VMB_CTR_GUEST_DISK_WR_OPS);
    r->guest_disk_wr_bytes = ctr(d, VMB_CTR_GUEST_DISK_WR_BYTES);
}

void
vmb_run_resources_doc(const struct vmb_run_resources *r,
                      struct vmb_result_resources *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(r->sp, &n);
    /* Each phase's measurement window, the host's and the guests'
     * counters alike (each from its own samples). */
    size_t gn = 0;
    const struct vmb_sample *gs = vmb_sampler_samples(r->gsp, &gn);
    size_t np = r->nphases;
    out->phases = vmb_xcalloc(np ? np : 1, sizeof(*out->phases));
    out->names = vmb_xcalloc(np ? np : 1, sizeof(*out->names));
    out->nphases = np;
    for (size_t i = 0; i < np; i++) {
        struct vmb_sample d;
        out->names[i] = r->phases[i].name;
        vmb_res_resources_clear(&out->phases[i]);
        if (phase_window(&r->phases[i], s, n, &d))
            vmb_run_resources_window(&d, r->phases[i].ops, &out->phases[i]);
        if (phase_window(&r->phases[i], gs, gn, &d) && vmb_sample_has_guest(&d))
            vmb_run_resources_guest(&d, &out->phases[i]);
    }
    out->probed = r->probed;
    out->probe_error = r->probe_error;
    out->probe = (struct vmb_res_probe){
        .fsync_write_rate = r->probe.fsync_write_rate,
        .fsync_write_p99_us = r->probe.fsync_write_p99_us,
        .randread_iops = r->probe.randread_iops,
        .seqwrite_mb_s = r->probe.seqwrite_mb_s,
        .rtt_us = r->rtt_us,
        .rtt_loadgen_us = r->rtt_loadgen_us,
        .randread_direct = r->probe.randread_direct,
    };
    if (r->probed)
        snprintf(out->probe.tool, sizeof(out->probe.tool), "%s %s",
                 VMB_RAWPROBE_TOOL, VMB_VERSION);
    /* Both sampling threads: the host's and the guests'. */
    out->sampled = r->sp != NULL;
    out->samples = n;
    out->cpu_share = r->sp ? vmb_sampler_cpu_share(r->sp) : 0;
    if (r->gsp != NULL)
        out->cpu_share += vmb_sampler_cpu_share(r->gsp);
}

void
vmb_run_resources_doc_free(struct vmb_result_resources *out)
{
    free(out->names);
    free(out->phases);
    memset(out, 0, sizeof(*out));
}

void
vmb_run_resources_free(struct vmb_run_resources *r)
{
    vmb_sampler_free(r->sp);
    vmb_sampler_free(r->gsp);
    for (size_t i = 0; i < r->nphases; i++)
        free(r->phases[i].csv);
    free(r->phases);
    free(r->probe_error);
    memset(r, 0, sizeof(*r));
}
