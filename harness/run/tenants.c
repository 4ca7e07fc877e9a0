#include "run/tenants.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "runtime/preflight.h"

/*
 * The cells whose tenants pin more CPUs than the host has (the
 * preflight's "cpus" note): their figures measure contention.
 */
int
vmb_run_oversubscribed(const struct vmb_matrix *m, struct vmb_run_oversub **out,
                       size_t *n)
{
    int cpus = vmb_preflight_host_cpus();
    *out = vmb_xcalloc(m->ncells + m->ncontrols + 1, sizeof(**out));
    *n = 0;
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
            (*out)[(*n)++] = (struct vmb_run_oversub){
                .id = c->id,
                .kind = c->kind == VMB_CELL_VM ? "vm" : "baremetal",
                .tenants = c->cfg.top.tenants,
                .cpus_needed = need,
            };
        }
    return cpus;
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

struct up_job {
    struct vmb_runtime *rt;
    struct vmb_error *err;
    int rc;
};

static void *
up_main(void *arg)
{
    struct up_job *j = arg;
    j->rc = j->rt->ops->up(j->rt, &j->err);
    return NULL;
}

int
vmb_run_tenants_up(struct vmb_runtime **rts, size_t nt, uint64_t *start_ns,
                   struct vmb_error **err)
{
    *start_ns = vmb_now_ns();
    if (nt == 1)
        return rts[0]->ops->up(rts[0], err);
    /* Every tenant at once, as a host starting many pods does: each up
     * waits on its own machines (boot, agents) with its own deadlines. */
    struct up_job *jobs = vmb_xcalloc(nt, sizeof(*jobs));
    pthread_t *tids = vmb_xcalloc(nt, sizeof(*tids));
    bool *started = vmb_xcalloc(nt, sizeof(*started));
    for (size_t t = 0; t < nt; t++) {
        jobs[t].rt = rts[t];
        int prc = pthread_create(&tids[t], NULL, up_main, &jobs[t]);
        if (prc != 0) {
            jobs[t].rc = vmb_error_set(&jobs[t].err, VMB_ERR_RUN, prc,
                                       "start a thread to bring it up");
            continue;
        }
        started[t] = true;
    }
    int rc = 0;
    for (size_t t = 0; t < nt; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        if (jobs[t].rc < 0 && rc == 0) {
            *err = steal(&jobs[t].err);
            rc = vmb_run_tenant_prefix(err, t, nt);
        }
        vmb_error_free(jobs[t].err);
    }
    free(jobs);
    free(tids);
    free(started);
    return rc;
}

static double
since(uint64_t t, uint64_t start_ns)
{
    return t > start_ns ? (double)(t - start_ns) / 1e9 : NAN;
}

void
vmb_run_boot_storm(struct vmb_runtime **rts, size_t nt, uint64_t start_ns,
                   double *agent_s, double *sync_s,
                   struct vmb_result_boot_storm *b)
{
    uint64_t agents = 0, sync = 0;
    bool all_agents = true, all_sync = true;
    for (size_t t = 0; t < nt; t++) {
        all_agents = all_agents && rts[t]->agents_ns > 0;
        all_sync = all_sync && rts[t]->sync_ns > 0;
        agents = rts[t]->agents_ns > agents ? rts[t]->agents_ns : agents;
        sync = rts[t]->sync_ns > sync ? rts[t]->sync_ns : sync;
        agent_s[t] = since(rts[t]->agents_ns, start_ns);
        sync_s[t] = since(rts[t]->sync_ns, start_ns);
    }
    *b = (struct vmb_result_boot_storm){
        .tenants = nt,
        .last_agent_s = all_agents ? since(agents, start_ns) : NAN,
        .last_sync_s = all_sync ? since(sync, start_ns) : NAN,
        .agent_s = agent_s,
        .sync_s = sync_s,
    };
}

void
vmb_run_memory_sample(struct vmb_run_memory *m, const char *name,
                      struct vmb_runtime **rts, size_t nt)
{
    m->phases = vmb_xrealloc(m->phases, (m->nphases + 1) * sizeof(*m->phases));
    struct vmb_run_memory_phase *p = &m->phases[m->nphases++];
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->ntenants = nt;
    p->nnodes = nt > 0 ? vmb_config_nodes(rts[0]->cfg) : 2;
    p->node = vmb_xcalloc(2 * nt, sizeof(*p->node));
    for (size_t t = 0; t < nt; t++) {
        vmb_mem_node_init(&p->node[2 * t]);
        vmb_mem_node_init(&p->node[2 * t + 1]);
        if (rts[t]->ops->memory != NULL)
            rts[t]->ops->memory(rts[t], &p->node[2 * t]);
    }
}

struct vmb_result_mem_phase *
vmb_run_memory_doc(const struct vmb_run_memory *m)
{
    struct vmb_result_mem_phase *out =
        vmb_xcalloc(m->nphases ? m->nphases : 1, sizeof(*out));
    for (size_t i = 0; i < m->nphases; i++)
        out[i] = (struct vmb_result_mem_phase){
            .name = m->phases[i].name,
            .ntenants = m->phases[i].ntenants,
            .nnodes = m->phases[i].nnodes,
            .node = m->phases[i].node,
        };
    return out;
}

void
vmb_run_memory_free(struct vmb_run_memory *m)
{
    for (size_t i = 0; i < m->nphases; i++)
        free(m->phases[i].node);
    free(m->phases);
    m->phases = NULL;
    m->nphases = 0;
}
