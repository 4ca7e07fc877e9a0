#include "run/tenants.h"

#include "runtime/preflight.h"

/*
 * The cells whose tenants pin more CPUs than the host has (the
 * preflight's "cpus" note): their figures measure contention.
 */
void
vmb_run_oversubscribed_json(struct vmb_jw *w, const struct vmb_matrix *m)
{
    int cpus = vmb_preflight_host_cpus();
    vmb_jw_kint(w, "host_cpus", cpus);
    vmb_jw_key(w, "oversubscribed");
    vmb_jw_arr_begin(w);
    const struct vmb_cell *lists[2] = {m->cells, m->controls};
    const size_t counts[2] = {m->ncells, m->ncontrols};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            const struct vmb_cell *c = &lists[k][i];
            int64_t need = vmb_preflight_cpus_needed(c);
            if (c->cfg.top.tenants < 2 || need <= cpus ||
                (c->kind == VMB_CELL_CONTROL &&
                 !c->cfg.control.match_resources))
                continue;
            vmb_jw_obj_begin(w);
            vmb_jw_kstr(w, "id", c->id);
            vmb_jw_kstr(w, "kind", c->kind == VMB_CELL_VM ? "vm" : "baremetal");
            vmb_jw_kint(w, "tenants", c->cfg.top.tenants);
            vmb_jw_kint(w, "cpus_needed", need);
            vmb_jw_obj_end(w);
        }
    vmb_jw_arr_end(w);
}

/* The error prefix of tenant t of nt: none with one tenant. */
int
vmb_run_tenant_prefix(struct vmb_error **err, size_t t, size_t nt)
{
    return nt > 1 ? vmb_error_prefix(err, "tenant %zu", t + 1) : -1;
}

/*
 * The replication lag of every tenant after a phase (or the prepare
 * step): the last replica to catch up says how long the run waited, the
 * largest byte count how far behind a replica was.
 */
int
vmb_run_tenants_lag(struct vmb_runtime **rts, size_t nt,
                    const struct vmb_db_driver *drv, struct vmb_db_lag *lag,
                    struct vmb_error **err)
{
    *lag = (struct vmb_db_lag){0, -1};
    for (size_t t = 0; t < nt; t++) {
        struct vmb_db_lag one = {0, -1};
        if (drv->replication_lag(&rts[t]->nodes[0], &rts[t]->nodes[1],
                                 rts[t]->cfg->database.ready_timeout_us, &one,
                                 err) < 0)
            return vmb_run_tenant_prefix(err, t, nt);
        if (one.s > lag->s)
            lag->s = one.s;
        if (one.bytes > lag->bytes)
            lag->bytes = one.bytes;
    }
    return 0;
}

/* Brings up every tenant's machines; the first failure fails them all
 * (the caller takes every one down). */
int
vmb_run_tenants_up(struct vmb_runtime **rts, size_t nt, struct vmb_error **err)
{
    for (size_t t = 0; t < nt; t++)
        if (rts[t]->ops->up(rts[t], err) < 0)
            return vmb_run_tenant_prefix(err, t, nt);
    return 0;
}
