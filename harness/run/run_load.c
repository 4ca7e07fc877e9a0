#include "run/run_load.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "load/load.h"
#include "protocols/protocols.h"
#include "runtime/sample.h"

void
vmb_run_phase_out_free(struct vmb_run_phase_out *out)
{
    free(out->json);
    free(out->csv);
    out->json = out->csv = NULL;
}

void
vmb_run_load_csv_header(struct vmb_buf *b)
{
    struct vmb_buf h = {0};
    vmb_load_csv_header(&h);
    /* The resource columns follow the load generator's. */
    h.data[strcspn(h.data, "\n")] = '\0';
    vmb_buf_printf(b, "%s" VMB_SAMPLE_CSV_COLUMNS "\n", h.data);
    vmb_buf_free(&h);
}

struct rate_fwd {
    void (*rate)(void *ctx, uint64_t ops, double ops_per_s);
    void *ctx;
};

static void
on_progress(void *ctx, const struct vmb_load_progress *p)
{
    struct rate_fwd *f = ctx;
    if (f->rate != NULL)
        f->rate(f->ctx, p->warmup ? 0 : p->ops, p->warmup ? 0 : p->ops_per_s);
}

/* "connect: Connection refused" for the first class that saw errors. */
static char *
first_error(const struct vmb_load_result *r)
{
    for (int c = 0; c < VMB_LOAD_NERR; c++) {
        if (vmb_load_result_errors_by_class(r, c) == 0)
            continue;
        if (c == VMB_LOAD_ERR_SERVER && vmb_load_result_server_error(r))
            return vmb_xasprintf("server: %s", vmb_load_result_server_error(r));
        int e = vmb_load_result_first_errno(r, c);
        return vmb_xasprintf("%s%s%s", vmb_load_err_class_name(c),
                             e ? ": " : "", e ? strerror(e) : "");
    }
    return vmb_xstrdup("unknown");
}

/*
 * The load target of a node, in the protocol of the cell's engine: the
 * driver's URL (PostgreSQL: its superuser on database "postgres"), or
 * RESP at host:port.
 */
static int
node_target(const struct vmb_config *cfg, const struct vmb_db_node *node,
            struct vmb_load_target *t, struct vmb_error **err)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(cfg->database.engine);
    if (drv == NULL || drv->load_url == NULL)
        return vmb_load_target_from_host(node->host, node->port, t, err);
    autofree char *url = drv->load_url(node);
    return vmb_protocols_target_parse(url, t, err);
}

bool
vmb_run_op_writes(int op)
{
    return vmb_op_writes(op);
}

int
vmb_run_load_prepare(const struct vmb_config *cfg,
                     const struct vmb_db_node *primary,
                     struct vmb_load_prepared *out, struct vmb_error **err)
{
    struct vmb_load_target t;
    memset(out, 0, sizeof(*out));
    if (node_target(cfg, primary, &t, err) < 0)
        return vmb_error_prefix(err, "node 1");
    return vmb_load_prepare(&t, &cfg->load, cfg->phases, cfg->nphases, out,
                            err);
}

int
vmb_run_phase_record(const struct vmb_load_result *res, const char *dir,
                     struct vmb_run_phase_out *out, struct vmb_error **err)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_load_result_to_json(&w, res);
    out->json = vmb_jw_steal(&w);
    snprintf(out->name, sizeof(out->name), "%s",
             vmb_load_result_phase_name(res));
    out->start_ns = vmb_load_result_measure_start_ns(res);
    out->duration_s = vmb_load_result_duration_s(res);
    out->ops = (double)vmb_load_result_ops(res);
    struct vmb_buf csv = {0};
    vmb_load_result_to_csv(&csv, res);
    out->csv = vmb_buf_steal(&csv);

    struct vmb_buf hgrm = {0};
    vmb_load_result_to_hgrm(&hgrm, res);
    autofree char *path = vmb_xasprintf("%s/latency-%s.hgrm", dir,
                                        vmb_load_result_phase_name(res));
    int rc =
        vmb_write_file_atomic(path, hgrm.data ? hgrm.data : "", hgrm.len, err);
    vmb_buf_free(&hgrm);
    /* A phase that stalled or hit its limit with nothing done says so; one
     * with some done is recorded and the run goes on (its PHASE object
     * has "ended_by"). */
    int end = vmb_load_result_ended_by(res);
    if (rc == 0 && vmb_load_result_ops(res) == 0 &&
        (end == VMB_LOAD_END_STALL || end == VMB_LOAD_END_DEADLINE)) {
        rc = vmb_error_set(
            err, VMB_ERR_RUN, 0,
            "%s, with no operation completed (%" PRIu64 " errors)",
            vmb_load_result_end_text(res), vmb_load_result_errors(res));
    } else if (rc == 0 && vmb_load_result_ops(res) == 0 &&
               vmb_load_result_errors(res) > 0) {
        autofree char *first = first_error(res);
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "every operation failed (%" PRIu64
                           " errors, the first %s)",
                           vmb_load_result_errors(res), first);
    }
    return rc;
}

/* The targets of every tenant's nodes; node numbers in messages count
 * over the run (tenant 2's primary is node 3). */
static int
tenant_targets(const struct vmb_config *cfg, const struct vmb_db_node *nodes,
               size_t ntenants, bool use_replica, struct vmb_load_target *pt,
               struct vmb_load_target *rt, struct vmb_error **err)
{
    for (size_t t = 0; t < ntenants; t++) {
        if (node_target(cfg, &nodes[2 * t], &pt[t], err) < 0)
            return vmb_error_prefix(err, "node %zu", 2 * t + 1);
        if (use_replica && node_target(cfg, &nodes[2 * t + 1], &rt[t], err) < 0)
            return vmb_error_prefix(err, "node %zu", 2 * t + 2);
    }
    return 0;
}

int
vmb_run_load_phase(const struct vmb_config *cfg, size_t index,
                   const struct vmb_db_node *nodes, size_t ntenants,
                   const char *dir,
                   void (*rate)(void *ctx, uint64_t ops, double ops_per_s),
                   void *ctx, struct vmb_run_phase_out *out,
                   struct vmb_error **err)
{
    bool use_replica = cfg->load.read_from != VMB_READ_PRIMARY;
    autofree struct vmb_load_target *pt = vmb_xcalloc(ntenants, sizeof(*pt));
    autofree struct vmb_load_target *rt = vmb_xcalloc(ntenants, sizeof(*rt));
    if (tenant_targets(cfg, nodes, ntenants, use_replica, pt, rt, err) < 0)
        return -1;
    struct rate_fwd fwd = {rate, ctx};
    struct vmb_load_result *res = NULL;
    struct vmb_load_run run = {
        .opts = &cfg->load,
        .phase = &cfg->phases[index],
        .phase_index = (int)index,
        .primary = &pt[0],
        .replica = use_replica ? &rt[0] : NULL,
        .ntenants = ntenants,
        .primaries = pt,
        .replicas = use_replica ? rt : NULL,
        .progress = on_progress,
        .ctx = &fwd,
    };
    if (vmb_load_run_phase(&run, &res, err) < 0)
        return -1;
    int rc = vmb_run_phase_record(res, dir, out, err);
    vmb_load_result_free(res);
    return rc;
}
