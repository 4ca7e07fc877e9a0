/*
 * result.json and config.json both ways (result_json.h). The keys below
 * are the envelope's schema; the writers and the readers use these names
 * and no others.
 */
#include "results/result_json.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/matrix.h"
#include "results/resources.h"
#include "results/results_priv.h"

static const char K_SCHEMA[] = "schema";
static const char K_KIND[] = "kind";
static const char K_ID[] = "id";
static const char K_LABEL[] = "label";
static const char K_REP[] = "rep";
static const char K_STATUS[] = "status";
static const char K_ERROR[] = "error";
static const char K_STARTED[] = "started";
static const char K_FINISHED[] = "finished";
static const char K_ACCEL[] = "accel";
static const char K_PHASES[] = "phases";
static const char K_LAG_S[] = "replication_lag_s";
static const char K_LAG_BY_PHASE_S[] = "replication_lag_by_phase_s";
static const char K_LAG_BYTES[] = "replication_lag_bytes";
static const char K_LAG_BY_PHASE_BYTES[] = "replication_lag_by_phase_bytes";
static const char K_PREPARE[] = "prepare";
static const char K_SECONDS[] = "seconds";
static const char K_ROWS[] = "rows";
static const char K_WHAT[] = "what";
static const char K_TENANTS[] = "tenants";
static const char K_TENANT_RUNTIMES[] = "tenant_runtimes";
static const char K_TENANT[] = "tenant";
static const char K_DIR[] = "dir";
static const char K_BOOT_STORM[] = "boot_storm";
static const char K_VMS[] = "vms";
static const char K_LAST_AGENT_S[] = "last_agent_s";
static const char K_LAST_SYNC_S[] = "last_sync_s";
static const char K_AGENT_S[] = "agent_s";
static const char K_SYNC_S[] = "sync_s";
static const char K_MEMORY[] = "memory";
static const char K_NODE1[] = "node1";
static const char K_NODE2[] = "node2";
static const char K_RSS[] = "rss_bytes";
static const char K_PSS[] = "pss_bytes";
static const char K_HELPERS_RSS[] = "helpers_rss_bytes";
static const char K_HELPERS_PSS[] = "helpers_pss_bytes";
static const char K_GUEST_TOTAL[] = "guest_total_bytes";
static const char K_GUEST_USED[] = "guest_used_bytes";
static const char K_GUEST_CACHE[] = "guest_cache_bytes";
static const char K_IGNORED[] = "ignored_settings";
static const char K_SETTING[] = "setting";
static const char K_VALUE[] = "value";
static const char K_WHY[] = "why";
static const char K_HOST_SETTINGS[] = "host_settings";
static const char K_ARTEFACTS[] = "artefacts";
static const char K_BOOT[] = "boot";
static const char K_DOMAIN_START_S[] = "domain_start_s";
static const char K_KERNEL_S[] = "kernel_s";
static const char K_HOST[] = "host";
static const char K_HOSTNAME[] = "hostname";
static const char K_HOSTS[] = "hosts";
static const char K_URI[] = "uri";
static const char K_LIBVIRT[] = "libvirt";
static const char K_QEMU[] = "qemu";
static const char K_KERNEL[] = "kernel";
static const char K_MOUNTS_S[] = "mounts_s";
static const char K_AGENT_TRANSPORT[] = "agent_transport";
static const char K_DB_READY_S[] = "db_ready_s";
static const char K_REPLICA_SYNC_S[] = "replica_sync_s";
static const char K_RESOURCES[] = "resources";
static const char K_WINDOW_S[] = "window_s";
static const char K_VCPU_TIME_S[] = "vcpu_time_s";
static const char K_PROCESS_CPU_S[] = "process_cpu_s";
static const char K_BLOCK_RD_BYTES[] = "block_rd_bytes";
static const char K_BLOCK_WR_BYTES[] = "block_wr_bytes";
static const char K_BLOCK_RD_REQS[] = "block_rd_reqs";
static const char K_BLOCK_WR_REQS[] = "block_wr_reqs";
static const char K_NET_RX_BYTES[] = "net_rx_bytes";
static const char K_NET_TX_BYTES[] = "net_tx_bytes";
static const char K_CONTROL_APPLIED[] = "control_applied";
static const char K_CPUS[] = "cpus";
static const char K_MEMORY_MAX[] = "memory_max_bytes";
static const char K_CGROUP[] = "cgroup";
static const char K_MATCH_RESOURCES[] = "match_resources";
static const char K_NODES[] = "nodes";
static const char K_AFFINITY[] = "affinity";
static const char K_CPUSET_CGROUP[] = "cpuset_cgroup";
static const char K_MEMORY_CGROUP[] = "memory_cgroup";
static const char K_NOTES[] = "notes";
static const char K_CONFIG[] = "config";
static const char K_CONFIG_RUN[] = "run";
static const char K_OK[] = "ok";
static const char K_FAILED[] = "failed";
static const char RESULT_FILE[] = "result.json";

/* ---- writing ---- */

static void
kint_or_null(struct vmb_jw *w, const char *k, int64_t v)
{
    vmb_jw_key(w, k);
    if (v >= 0)
        vmb_jw_int(w, v);
    else
        vmb_jw_null(w);
}

/* A figure that is null when negative (not reached) or NAN. */
static void
kdouble_or_null(struct vmb_jw *w, const char *k, double v)
{
    vmb_jw_key(w, k);
    if (v < 0)
        vmb_jw_null(w);
    else
        vmb_jw_double(w, v);
}

static void
kuint_or_null(struct vmb_jw *w, const char *k, uint64_t v)
{
    vmb_jw_key(w, k);
    if (v > 0)
        vmb_jw_uint(w, v);
    else
        vmb_jw_null(w);
}

static int
nodes_of(const struct vmb_runtime_record *r)
{
    return r->nnodes == 1 ? 1 : 2;
}

static void
write_boot(struct vmb_jw *w, const struct vmb_runtime_record *r)
{
    vmb_jw_key(w, K_BOOT);
    if (!r->booted) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    for (int i = 0; i < nodes_of(r); i++) {
        const struct vmb_rt_boot *b = &r->boot[i];
        vmb_jw_key(w, i ? K_NODE2 : K_NODE1);
        vmb_jw_obj_begin(w);
        kdouble_or_null(w, K_DOMAIN_START_S, b->domain_start_s);
        kdouble_or_null(w, K_KERNEL_S, b->kernel_s);
        kdouble_or_null(w, K_AGENT_S, b->agent_s);
        kdouble_or_null(w, K_MOUNTS_S, b->mounts_s);
        kdouble_or_null(w, K_DB_READY_S, b->db_ready_s);
        vmb_jw_obj_end(w);
    }
    /* One node: no replica, so no member (not a null). */
    if (nodes_of(r) > 1)
        kdouble_or_null(w, K_REPLICA_SYNC_S, r->replica_sync_s);
    if (r->agent_transport)
        vmb_jw_kstr(w, K_AGENT_TRANSPORT, r->agent_transport);
    vmb_jw_obj_end(w);
}

static void
write_window(struct vmb_jw *w, const struct vmb_rt_window *n)
{
    bool vm = n->kind == VMB_RT_WINDOW_VM;
    vmb_jw_obj_begin(w);
    if (vm) {
        vmb_jw_kdouble(w, K_WINDOW_S, n->window_s);
        vmb_jw_kdouble(w, K_VCPU_TIME_S, n->vcpu_time_s);
    } else {
        vmb_jw_key(w, K_VCPU_TIME_S);
        vmb_jw_null(w);
    }
    vmb_jw_kdouble(w, K_PROCESS_CPU_S, n->process_cpu_s);
    vmb_jw_kuint(w, K_BLOCK_RD_BYTES, n->block_rd_bytes);
    vmb_jw_kuint(w, K_BLOCK_WR_BYTES, n->block_wr_bytes);
    if (vm) {
        vmb_jw_kuint(w, K_BLOCK_RD_REQS, n->block_rd_reqs);
        vmb_jw_kuint(w, K_BLOCK_WR_REQS, n->block_wr_reqs);
        vmb_jw_kuint(w, K_NET_RX_BYTES, n->net_rx_bytes);
        vmb_jw_kuint(w, K_NET_TX_BYTES, n->net_tx_bytes);
    } else {
        /* Loopback traffic is not accounted per process. */
        vmb_jw_key(w, K_NET_RX_BYTES);
        vmb_jw_null(w);
        vmb_jw_key(w, K_NET_TX_BYTES);
        vmb_jw_null(w);
    }
    vmb_jw_obj_end(w);
}

static void
write_windows(struct vmb_jw *w, const struct vmb_runtime_record *r)
{
    vmb_jw_key(w, K_RESOURCES);
    if (!r->measured) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    for (int i = 0; i < 2; i++) {
        if (r->window[i].kind == VMB_RT_WINDOW_NONE)
            continue;
        vmb_jw_key(w, i ? K_NODE2 : K_NODE1);
        if (r->window[i].kind == VMB_RT_WINDOW_NULL)
            vmb_jw_null(w);
        else
            write_window(w, &r->window[i]);
    }
    vmb_jw_obj_end(w);
}

static void
write_control(struct vmb_jw *w, const struct vmb_runtime_record *r)
{
    vmb_jw_key(w, K_CONTROL_APPLIED);
    if (!r->placed) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_CPUS, r->cpus);
    kuint_or_null(w, K_MEMORY_MAX, r->memory_max_bytes);
    vmb_jw_kstr(w, K_CGROUP, r->cgroup);
    vmb_jw_kbool(w, K_MATCH_RESOURCES, r->match_resources);
    vmb_jw_key(w, K_NODES);
    vmb_jw_obj_begin(w);
    for (int i = 0; i < nodes_of(r); i++) {
        const struct vmb_rt_control_node *n = &r->nodes[i];
        vmb_jw_key(w, i ? K_NODE2 : K_NODE1);
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_HOST, n->host ? n->host : "");
        /* The other host's own names, for provenance (run.json has
         * this host's). */
        vmb_jw_kstr(w, K_HOSTNAME, n->hostname);
        vmb_jw_kstr(w, K_KERNEL, n->kernel);
        vmb_jw_kstr(w, K_CPUS, n->cpus);
        vmb_jw_kbool(w, K_AFFINITY, n->affinity);
        vmb_jw_kstr(w, K_CPUSET_CGROUP, n->cpuset_cgroup);
        vmb_jw_kstr(w, K_MEMORY_CGROUP, n->memory_cgroup);
        kuint_or_null(w, K_MEMORY_MAX, n->memory_max_bytes);
        vmb_jw_kstr(w, K_NOTES, n->notes);
        vmb_jw_obj_end(w);
    }
    vmb_jw_obj_end(w);
    vmb_jw_obj_end(w);
}

/* "hosts": where each VM node ran, when node 2 ran on another host. */
static void
write_vm_hosts(struct vmb_jw *w, const struct vmb_runtime_record *r)
{
    vmb_jw_key(w, K_HOSTS);
    vmb_jw_obj_begin(w);
    for (int i = 0; i < nodes_of(r); i++) {
        const struct vmb_rt_vm_host *h = &r->hosts[i];
        vmb_jw_key(w, i ? K_NODE2 : K_NODE1);
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_URI, h->uri ? h->uri : "");
        vmb_jw_kstr(w, K_HOSTNAME, h->hostname);
        vmb_jw_kstr(w, K_LIBVIRT, h->libvirt);
        vmb_jw_kstr(w, K_QEMU, h->qemu);
        vmb_jw_obj_end(w);
    }
    vmb_jw_obj_end(w);
}

/* A runtime's members: "boot" (VMs), "hosts" (VMs on two hosts),
 * "resources", "control_applied" (bare metal). */
static void
write_runtime(struct vmb_jw *w, const struct vmb_runtime_record *r)
{
    if (r->has_boot)
        write_boot(w, r);
    if (r->has_hosts)
        write_vm_hosts(w, r);
    write_windows(w, r);
    if (r->has_control)
        write_control(w, r);
}

static void
write_lags(struct vmb_jw *w, const struct vmb_result_doc *d)
{
    /* The first writing phase's lag is the headline; all are kept. */
    vmb_jw_key(w, K_LAG_S);
    if (d->nlags > 0)
        vmb_jw_double(w, d->lags[0].s);
    else
        vmb_jw_null(w);
    vmb_jw_key(w, K_LAG_BY_PHASE_S);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < d->nlags; i++)
        vmb_jw_kdouble(w, d->lags[i].phase, d->lags[i].s);
    vmb_jw_obj_end(w);
    if (d->has_prepare) {
        const struct vmb_result_prepare *p = &d->prepare;
        vmb_jw_key(w, K_PREPARE);
        vmb_jw_obj_begin(w);
        vmb_jw_kdouble(w, K_SECONDS, p->seconds);
        vmb_jw_kuint(w, K_ROWS, p->rows);
        vmb_jw_kstr(w, K_WHAT, p->what);
        vmb_jw_kdouble(w, K_LAG_S, p->lag_s);
        kint_or_null(w, K_LAG_BYTES, p->lag_bytes);
        vmb_jw_obj_end(w);
    }
    /* How far behind the replica was when each measurement began. */
    vmb_jw_key(w, K_LAG_BY_PHASE_BYTES);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < d->nlags; i++)
        kint_or_null(w, d->lags[i].phase, d->lags[i].bytes);
    vmb_jw_obj_end(w);
}

static void
write_boot_storm(struct vmb_jw *w, const struct vmb_result_boot_storm *b)
{
    vmb_jw_key(w, K_BOOT_STORM);
    vmb_jw_obj_begin(w);
    vmb_jw_kuint(w, K_TENANTS, b->tenants);
    vmb_jw_kuint(w, K_VMS, 2 * b->tenants);
    vmb_jw_kdouble(w, K_LAST_AGENT_S, b->last_agent_s);
    vmb_jw_kdouble(w, K_LAST_SYNC_S, b->last_sync_s);
    vmb_jw_key(w, K_AGENT_S);
    vmb_jw_arr_begin(w);
    for (size_t t = 0; t < b->tenants; t++)
        vmb_jw_double(w, b->agent_s[t]);
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_SYNC_S);
    vmb_jw_arr_begin(w);
    for (size_t t = 0; t < b->tenants; t++)
        vmb_jw_double(w, b->sync_s[t]);
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

/* The runtimes' members: tenant 1's in the document, as with one, the
 * others' under "tenant_runtimes". */
static void
write_tenants(struct vmb_jw *w, const struct vmb_result_doc *d)
{
    if (d->runtimes != NULL)
        write_runtime(w, &d->runtimes[0]);
    if (d->ntenants <= 1)
        return;
    vmb_jw_kuint(w, K_TENANTS, d->ntenants);
    vmb_jw_key(w, K_TENANT_RUNTIMES);
    vmb_jw_arr_begin(w);
    for (size_t t = 1; t < d->ntenants; t++) {
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, K_TENANT, t + 1);
        vmb_jw_kstr(w, K_DIR, d->tenant_dirs[t]);
        if (d->runtimes != NULL)
            write_runtime(w, &d->runtimes[t]);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    if (d->has_boot_storm)
        write_boot_storm(w, &d->boot_storm);
}

static void
write_memory(struct vmb_jw *w, const struct vmb_result_doc *d)
{
    vmb_jw_key(w, K_MEMORY);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < d->nmemory; i++) {
        const struct vmb_result_mem_phase *p = &d->memory[i];
        vmb_jw_key(w, p->name);
        vmb_jw_arr_begin(w);
        for (size_t t = 0; t < p->ntenants; t++) {
            vmb_jw_obj_begin(w);
            vmb_jw_kuint(w, K_TENANT, t + 1);
            size_t nodes = p->nnodes == 1 ? 1 : 2;
            for (size_t k = 0; k < nodes; k++) {
                const struct vmb_mem_node *n = &p->node[2 * t + k];
                vmb_jw_key(w, k == 0 ? K_NODE1 : K_NODE2);
                vmb_jw_obj_begin(w);
                vmb_jw_kdouble(w, K_RSS, n->rss);
                vmb_jw_kdouble(w, K_PSS, n->pss);
                vmb_jw_kdouble(w, K_HELPERS_RSS, n->helpers_rss);
                vmb_jw_kdouble(w, K_HELPERS_PSS, n->helpers_pss);
                vmb_jw_kdouble(w, K_GUEST_TOTAL, n->guest_total);
                vmb_jw_kdouble(w, K_GUEST_USED, n->guest_used);
                vmb_jw_kdouble(w, K_GUEST_CACHE, n->guest_cache);
                vmb_jw_obj_end(w);
            }
            vmb_jw_obj_end(w);
        }
        vmb_jw_arr_end(w);
    }
    vmb_jw_obj_end(w);
}

void
vmb_result_json_write(struct vmb_jw *w, const struct vmb_result_doc *d)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, K_SCHEMA, 1);
    vmb_jw_kstr(w, K_KIND, d->kind);
    vmb_jw_kstr(w, K_ID, d->id);
    vmb_jw_kstr(w, K_LABEL, d->label);
    vmb_jw_kint(w, K_REP, d->rep);
    vmb_jw_kstr(w, K_STATUS, d->error ? K_FAILED : K_OK);
    vmb_jw_kstr(w, K_ERROR, d->error);
    vmb_jw_kstr(w, K_STARTED, d->started);
    vmb_jw_kstr(w, K_FINISHED, d->finished);
    vmb_jw_kstr(w, K_ACCEL, d->accel);
    vmb_jw_key(w, K_PHASES);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < d->nphases; i++)
        vmb_jw_raw(w, d->phases[i]);
    vmb_jw_arr_end(w);
    write_lags(w, d);
    write_tenants(w, d);
    vmb_jw_key(w, K_IGNORED);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < d->nignored; i++) {
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_SETTING, d->ignored[i].setting);
        vmb_jw_kstr(w, K_VALUE, d->ignored[i].value);
        vmb_jw_kstr(w, K_WHY, d->ignored[i].why);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    const struct vmb_result_resources *r = &d->resources;
    vmb_res_resources_write(w, r->names, r->phases, r->nphases);
    vmb_res_probe_write(w, r->probed, r->probe_error, &r->probe);
    vmb_res_sampling_write(w, r->sampled, r->samples, r->cpu_share);
    write_memory(w, d);
    vmb_jw_key(w, K_HOST_SETTINGS);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < d->nhost_settings; i++)
        vmb_jw_kstr(w, d->host_settings[i].name, d->host_settings[i].value);
    vmb_jw_obj_end(w);
    vmb_jw_key(w, K_ARTEFACTS);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < d->nartefacts; i++)
        vmb_jw_str(w, d->artefacts[i]);
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

void
vmb_result_artefacts(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    struct dirent **ents = NULL;
    int m = scandir(dir, &ents, NULL, alphasort);
    for (int i = 0; i < m; i++) {
        const char *f = ents[i]->d_name;
        if (f[0] != '.' && strcmp(f, RESULT_FILE) != 0 &&
            strstr(f, ".tmp.") == NULL) {
            *names = vmb_xrealloc(*names, (*n + 1) * sizeof(**names));
            (*names)[(*n)++] = vmb_xstrdup(f);
        }
        free(ents[i]);
    }
    free(ents);
}

void
vmb_result_artefacts_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void
vmb_cell_json_write(struct vmb_jw *w, const struct vmb_cell_doc *d)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, K_SCHEMA, 1);
    vmb_jw_kstr(w, K_ID, d->id);
    vmb_jw_kstr(w, K_LABEL, d->label);
    vmb_jw_kstr(w, K_KIND, d->kind);
    vmb_jw_key(w, K_CONFIG);
    vmb_config_to_json(w, d->cfg);
    vmb_jw_obj_end(w);
}

/* ---- reading ---- */

static void
read_boot(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
          struct vmb_res_boot *b)
{
    b->domain_start_s =
        vmb_res_num(c, o, pfx, K_DOMAIN_START_S, VMB_RES_NONNEG);
    b->kernel_s = vmb_res_num(c, o, pfx, K_KERNEL_S, VMB_RES_NONNEG);
    b->agent_s = vmb_res_num(c, o, pfx, K_AGENT_S, VMB_RES_NONNEG);
    b->mounts_s = vmb_res_num(c, o, pfx, K_MOUNTS_S, VMB_RES_NONNEG);
    b->db_ready_s = vmb_res_num(c, o, pfx, K_DB_READY_S, VMB_RES_NONNEG);
}

/* One node of "memory": what it costs the host, and the guest's use. */
static void
read_mem_node(struct vmb_res_ctx *c, struct json_object *o, const char *at,
              double *host, double *guest_used)
{
    double pss = vmb_res_num(c, o, at, K_PSS, VMB_RES_NONNEG);
    double hp = vmb_res_num(c, o, at, K_HELPERS_PSS, VMB_RES_NONNEG);
    *host = pss + (isfinite(hp) ? hp : 0);
    *guest_used = vmb_res_num(c, o, at, K_GUEST_USED, VMB_RES_NONNEG);
}

/* "memory": each phase's tenants into the phase's figures. */
static void
read_memory(struct vmb_res_ctx *c, struct json_object *o,
            struct vmb_res_rep *rep)
{
    struct json_object *mem = vmb_res_obj(c, o, NULL, K_MEMORY);
    for (size_t i = 0; i < rep->nphases && c->err == NULL; i++) {
        struct vmb_res_phase *p = &rep->phases[i];
        p->host_mem_per_tenant = p->vm_overhead = NAN;
        for (size_t t = 0; t < p->ntenants; t++)
            p->tenants[t].host_mem = NAN;
        struct json_object *ts = vmb_res_arr(c, mem, K_MEMORY, p->name);
        size_t n = ts ? json_object_array_length(ts) : 0;
        if (n > VMB_RES_MAX_TENANTS) {
            vmb_res_bad(c, K_MEMORY, p->name, "%zu tenants, more than %d", n,
                        VMB_RES_MAX_TENANTS);
            return;
        }
        double host_sum = 0, over_sum = 0;
        size_t nhost = 0, nover = 0;
        for (size_t t = 0; t < n && c->err == NULL; t++) {
            autofree char *at =
                vmb_xasprintf("%s.%s[%zu]", K_MEMORY, p->name, t);
            struct json_object *to = json_object_array_get_idx(ts, t);
            double host[2] = {NAN, NAN}, used[2] = {NAN, NAN};
            /* A one-node engine's tenant (fio) has no node2. */
            int nodes = vmb_res_member(to, K_NODE2) != NULL ? 2 : 1;
            for (int k = 0; k < nodes; k++)
                read_mem_node(c, vmb_res_obj(c, to, at, k ? K_NODE2 : K_NODE1),
                              at, &host[k], &used[k]);
            double tenant = nodes == 2 ? host[0] + host[1] : host[0];
            if (!isfinite(tenant))
                continue;
            host_sum += tenant;
            nhost++;
            if (t < p->ntenants)
                p->tenants[t].host_mem = tenant;
            for (int k = 0; k < 2; k++)
                if (isfinite(used[k])) {
                    over_sum += host[k] - used[k];
                    nover++;
                }
        }
        if (nhost > 0)
            p->host_mem_per_tenant = host_sum / (double)nhost;
        if (nover > 0)
            p->vm_overhead = over_sum / (double)nover;
    }
}

/* More than the placement rules of any engine can give. */
#define MAX_IGNORED 16

static void
read_ignored(struct vmb_res_ctx *c, struct json_object *a,
             struct vmb_res_rep *rep)
{
    size_t n = json_object_array_length(a);
    if (n > MAX_IGNORED) {
        vmb_res_bad(c, NULL, K_IGNORED, "%zu entries, more than %d", n,
                    MAX_IGNORED);
        return;
    }
    rep->ignored = vmb_xcalloc(n ? n : 1, sizeof(*rep->ignored));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s[%zu]", K_IGNORED, i);
        struct json_object *o = json_object_array_get_idx(a, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(c, at, NULL, "expected an object");
            return;
        }
        struct vmb_res_ignored x = {
            .setting = vmb_res_str(c, o, at, K_SETTING),
            .value = vmb_res_str(c, o, at, K_VALUE),
            .why = vmb_res_str(c, o, at, K_WHY),
        };
        if (x.setting == NULL || x.value == NULL || x.why == NULL) {
            if (c->err == NULL)
                vmb_res_bad(c, at, NULL, "setting, value or why is missing");
            free(x.setting);
            free(x.value);
            free(x.why);
            continue;
        }
        rep->ignored[rep->nignored++] = x;
    }
}

/* The first and last of a boot storm's per-tenant times (nulls are
 * tenants that did not get that far). */
static void
storm_range(struct vmb_res_ctx *c, struct json_object *storm, const char *key,
            double *lo, double *hi)
{
    *lo = *hi = NAN;
    struct json_object *a = vmb_res_arr(c, storm, K_BOOT_STORM, key);
    size_t n = a ? json_object_array_length(a) : 0;
    if (n > VMB_RES_MAX_TENANTS) {
        vmb_res_bad(c, K_BOOT_STORM, key, "%zu tenants, more than %d", n,
                    VMB_RES_MAX_TENANTS);
        return;
    }
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        struct json_object *v = json_object_array_get_idx(a, i);
        if (v == NULL)
            continue;
        autofree char *at = vmb_xasprintf("%s.%s[%zu]", K_BOOT_STORM, key, i);
        double s = vmb_res_num_of(c, v, at, VMB_RES_NONNEG);
        if (!isfinite(s))
            continue;
        *lo = isfinite(*lo) ? fmin(*lo, s) : s;
        *hi = isfinite(*hi) ? fmax(*hi, s) : s;
    }
}

static void
read_result(struct vmb_res_ctx *c, struct json_object *o,
            struct vmb_res_rep *rep)
{
    int64_t k;
    if (vmb_res_int(c, o, NULL, K_REP, 1, 100000, &k))
        rep->rep = (int)k;
    rep->status = vmb_res_str(c, o, NULL, K_STATUS);
    if (rep->status == NULL && c->err == NULL)
        vmb_res_bad(c, NULL, K_STATUS, "missing");
    else if (rep->status != NULL && strcmp(rep->status, K_OK) != 0 &&
             strcmp(rep->status, K_FAILED) != 0)
        vmb_res_bad(c, NULL, K_STATUS,
                    "\"%.40s\" is neither \"ok\" nor "
                    "\"failed\"",
                    rep->status);
    rep->ok = rep->status != NULL && strcmp(rep->status, K_OK) == 0;
    rep->error = vmb_res_str(c, o, NULL, K_ERROR);
    rep->started = vmb_res_str(c, o, NULL, K_STARTED);
    rep->finished = vmb_res_str(c, o, NULL, K_FINISHED);
    rep->accel = vmb_res_str(c, o, NULL, K_ACCEL);
    struct json_object *ph = vmb_res_arr(c, o, NULL, K_PHASES);
    if (ph != NULL)
        vmb_res_read_phases(c, ph, rep);
    struct json_object *boot = vmb_res_obj(c, o, NULL, K_BOOT);
    rep->replica_sync_s = NAN;
    if (boot != NULL) {
        rep->has_boot = true;
        for (int i = 0; i < 2; i++) {
            const char *node = i ? K_NODE2 : K_NODE1;
            autofree char *at = vmb_xasprintf("%s.%s", K_BOOT, node);
            read_boot(c, vmb_res_obj(c, boot, K_BOOT, node), at, &rep->boot[i]);
        }
        rep->replica_sync_s =
            vmb_res_num(c, boot, K_BOOT, K_REPLICA_SYNC_S, VMB_RES_NONNEG);
    }
    struct json_object *storm = vmb_res_obj(c, o, NULL, K_BOOT_STORM);
    storm_range(c, storm, K_AGENT_S, &rep->storm_agent_min_s,
                &rep->storm_agent_max_s);
    storm_range(c, storm, K_SYNC_S, &rep->storm_sync_min_s,
                &rep->storm_sync_max_s);
    rep->replication_lag_s = vmb_res_num(c, o, NULL, K_LAG_S, VMB_RES_NONNEG);
    vmb_res_read_resources(c, o, rep);
    read_memory(c, o, rep);
    struct json_object *ig = vmb_res_arr(c, o, NULL, K_IGNORED);
    if (ig != NULL)
        read_ignored(c, ig, rep);
}

int
vmb_results_read_result(const char *path, struct vmb_res_rep *rep,
                        struct vmb_error **err)
{
    struct json_object *o = NULL;
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    /* Read aside, so a bad field leaves rep as it was given. */
    struct vmb_res_rep tmp = {0};
    tmp.rep = rep->rep;
    struct vmb_res_ctx c = {.path = path};
    read_result(&c, o, &tmp);
    json_object_put(o);
    if (c.err != NULL) {
        vmb_res_rep_clear(&tmp);
        *err = c.err;
        return -1;
    }
    tmp.dir = rep->dir;
    *rep = tmp;
    return 0;
}

/* ---- config.json ---- */

static void
push_option(struct vmb_res_cell *c, const char *key, const char *value)
{
    c->options =
        vmb_xrealloc(c->options, (c->noptions + 1) * sizeof(*c->options));
    c->options[c->noptions].key = vmb_xstrdup(key);
    c->options[c->noptions].value = vmb_xstrdup(value);
    c->noptions++;
}

static int
parse_options(struct vmb_res_cell *c, const char *section,
              const struct vmb_option *opts, size_t nopts, void *base,
              struct json_object *o, struct vmb_error **err)
{
    json_object_object_foreach(o, key, val)
    {
        autofree char *path = section[0] ? vmb_xasprintf("%s.%s", section, key)
                                         : vmb_xstrdup(key);
        /* Values are written as strings; a number or a boolean reads too. */
        if (val != NULL && (json_object_is_type(val, json_type_object) ||
                            json_object_is_type(val, json_type_array)))
            return vmb_error_set(
                err, VMB_ERR_INPUT, 0, "%s: expected a value, got %s", path,
                json_object_is_type(val, json_type_object) ? "an object"
                                                           : "an array");
        const char *text = val ? json_object_get_string(val) : "";
        push_option(c, path, text ? text : "");
        const struct vmb_option *opt = NULL;
        for (size_t i = 0; i < nopts; i++)
            if (strcmp(opts[i].name, key) == 0)
                opt = &opts[i];
        /* Options this vmbench does not know are shown but not applied. */
        if (opt == NULL)
            continue;
        if (vmb_option_parse(opt, text ? text : "", base, err) < 0)
            return vmb_error_prefix(err, "%s", path);
    }
    return 0;
}

static int
read_config_phases(struct vmb_res_cell *c, struct json_object *ph,
                   struct vmb_error **err)
{
    size_t n = json_object_array_length(ph);
    if (n > VMB_MATRIX_MAX_PHASES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "phases: %zu phases, more than %d", n,
                             VMB_MATRIX_MAX_PHASES);
    for (size_t i = 0; i < c->cfg.nphases; i++)
        vmb_options_free(vmb_phase_options, vmb_nphase_options,
                         &c->cfg.phases[i]);
    free(c->cfg.phases);
    c->cfg.phases = vmb_xcalloc(n ? n : 1, sizeof(*c->cfg.phases));
    c->cfg.nphases = n;
    for (size_t i = 0; i < n; i++)
        vmb_options_defaults(vmb_phase_options, vmb_nphase_options,
                             &c->cfg.phases[i]);
    for (size_t i = 0; i < n; i++) {
        struct json_object *p = json_object_array_get_idx(ph, i);
        if (p == NULL || !json_object_is_type(p, json_type_object))
            continue;
        autofree char *sec = vmb_xasprintf("phases[%zu]", i);
        if (parse_options(c, sec, vmb_phase_options, vmb_nphase_options,
                          &c->cfg.phases[i], p, err) < 0)
            return -1;
    }
    return 0;
}

static int
read_config(struct json_object *o, struct vmb_res_cell *c,
            struct vmb_error **err)
{
    struct json_object *cfg = vmb_res_member(o, K_CONFIG);
    if (cfg == NULL || !json_object_is_type(cfg, json_type_object))
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "no \"config\" object");
    vmb_config_defaults(&c->cfg);
    c->has_config = true;
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        struct json_object *so =
            vmb_res_member(cfg, s->name[0] ? s->name : K_CONFIG_RUN);
        if (so == NULL || !json_object_is_type(so, json_type_object))
            continue;
        if (parse_options(c, s->name, s->options, s->noptions,
                          (char *)&c->cfg + s->offset, so, err) < 0)
            return -1;
    }
    struct json_object *ph = vmb_res_member(cfg, K_PHASES);
    if (ph != NULL && json_object_is_type(ph, json_type_array))
        return read_config_phases(c, ph, err);
    return 0;
}

/* Leaves c as if it had no config.json. */
static void
drop_config(struct vmb_res_cell *c)
{
    if (c->has_config)
        vmb_config_free(&c->cfg);
    memset(&c->cfg, 0, sizeof(c->cfg));
    c->has_config = false;
    for (size_t i = 0; i < c->noptions; i++) {
        free(c->options[i].key);
        free(c->options[i].value);
    }
    free(c->options);
    c->options = NULL;
    c->noptions = 0;
}

int
vmb_res_read_config(const char *path, struct vmb_res_cell *c,
                    struct vmb_error **err)
{
    struct json_object *o = NULL;
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx ctx = {.path = path};
    autofree char *label = vmb_res_str(&ctx, o, NULL, K_LABEL);
    int rc = ctx.err ? -1 : read_config(o, c, err);
    json_object_put(o);
    if (ctx.err != NULL) {
        *err = ctx.err;
        return -1;
    }
    if (rc < 0) {
        drop_config(c);
        return vmb_error_prefix(err, "%s", path);
    }
    if (c->label == NULL && label != NULL)
        c->label = steal(&label);
    return 0;
}
