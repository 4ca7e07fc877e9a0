/*
 * What a session writes into the results layer's documents: run.json
 * from the session, and each run's result.json and timeseries.csv from
 * its state and runtimes (the keys are results/'s; run_priv.h).
 */
#include "run/run_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "results/result_json.h"
#include "results/run_json.h"
#include "run/run_load.h"
#include "runtime/hostset.h"
#include "runtime/runtime.h"
#include "version.h"
#include "vm/accel.h"

int
vmb_run_write_text(const char *path, const char *text, struct vmb_error **err)
{
    return vmb_write_file_atomic(path, text, strlen(text), err);
}

int
vmb_run_write_json(const char *path, struct vmb_jw *w, struct vmb_error **err)
{
    vmb_buf_puts(&w->buf, "\n");
    autofree char *text = vmb_jw_steal(w);
    return vmb_run_write_text(path, text, err);
}

/* run.json; finished NULL while the run goes on. */
int
vmb_run_write_run_json(struct session *s, const char *finished,
                       struct vmb_error **err)
{
    if (!s->have_info) {
        vmb_run_info_gather(&s->info, &s->m->base);
        s->have_info = true;
    }
    struct vmb_run_doc d = {
        .version = VMB_VERSION,
        .git = VMB_GIT_REV,
        .matrix = "matrix.yaml",
        .name = s->m->name,
        .started = s->started,
        .finished = finished,
        .resumed_items = s->resumed.len > 0 ? s->resumed.data : NULL,
        .seed = s->plan->seed,
        .plan_id = s->plan->id,
        .has_shard = s->plan->nshards > 0,
        .shard_index = s->plan->shard,
        .shard_count = s->plan->nshards,
        /* The user's configuration.toml every cell started from. */
        .kata_base = s->m->kata_path,
        .kata_unmodelled = s->m->kata_unmodelled,
        .host = s->info.host,
        .versions = s->info.versions,
        .nversions = sizeof(s->info.versions) / sizeof(s->info.versions[0]),
        .runs_total = s->plan->nruns,
        .runs_ok = s->ok,
        .runs_failed = s->failed,
        .runs_not_started = s->nunstarted,
        .interrupted = s->interrupted,
    };
    autofree struct vmb_run_oversub *oversub = NULL;
    struct vmb_run_accel *a = &d.accel;
    a->requested = vmb_accel_name(s->m->base.hypervisor.accel);
    const struct vmb_runtime_ops *vm_ops = vmb_runtime_for(VMB_CELL_VM);
    struct vmb_runtime_env_info env;
    if (s->env[VMB_CELL_VM] != NULL && vm_ops->env_info != NULL) {
        vm_ops->env_info(s->env[VMB_CELL_VM], &env);
        a->vm_env = true;
        a->requested = vmb_accel_name(env.accel->requested);
        a->used = vmb_accel_name(env.accel->used);
        a->fallback = env.accel->fallback;
        a->probe_s = env.accel->probe_s;
        a->note = env.accel->note;
        a->vhost_net = env.vhost_net;
        a->vhost_vsock = env.vhost_vsock;
        a->agent_transport = env.agent_transport;
        a->agent_transport_why = env.agent_transport_why;
        a->tcg_slowdown = env.tcg_slowdown;
        a->iters = env.iters;
        a->rounds = env.rounds;
        a->pinned_cpu = env.pinned_cpu;
        a->host_cpu_s = env.host_cpu_s;
        a->vcpu_s = env.vcpu_s;
        a->guest_clock_s = env.guest_clock_s;
        a->request_s = env.request_s;
    } else {
        a->note = s->env_error[VMB_CELL_VM] ? s->env_error[VMB_CELL_VM]
                                            : "no VM has run in this session";
    }
    d.host_cpus = vmb_run_oversubscribed(s->m, &oversub, &d.noversub);
    d.oversub = oversub;
    autofree struct vmb_run_check *checks = NULL;
    if (s->doctor != NULL) {
        d.has_doctor = true;
        d.nchecks = vmb_run_info_checks(s->doctor, &checks);
        d.checks = checks;
    }
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_run_json_write(&w, &d);
    autofree char *path = vmb_xasprintf("%s/run.json", s->dir);
    return vmb_run_write_json(path, &w, err);
}

/*
 * Writes timeseries.csv and renders result.json into *json (written once
 * the runtime is down: its figures are read while it still exists).
 */
int
vmb_run_render_result(struct run_state *st, struct vmb_runtime **rts, size_t nt,
                      const char *started, const char *error, char **json,
                      struct vmb_error **err)
{
    struct vmb_runtime *rt = rts ? rts[0] : NULL;
    const struct vmb_cell *c = st->r->cell;
    char finished[32];
    vmb_utc_stamp(finished, sizeof(finished), vmb_wall_ns());
    if (st->resources.nphases > 0 || error == NULL) {
        struct vmb_buf csv = {0};
        vmb_run_load_csv_header(&csv);
        vmb_run_resources_csv(&st->resources, &csv);
        autofree char *path = vmb_xasprintf("%s/timeseries.csv", st->dir);
        int r = vmb_run_write_text(path, csv.data, err);
        vmb_buf_free(&csv);
        if (r < 0)
            return -1;
    }
    autofree struct vmb_result_lag *lags =
        vmb_xcalloc(st->nlags ? st->nlags : 1, sizeof(*lags));
    for (size_t i = 0; i < st->nlags; i++)
        lags[i] = (struct vmb_result_lag){st->lags[i].phase, st->lags[i].s,
                                          st->lags[i].bytes};
    struct vmb_result_doc d = {
        .kind = vmb_run_kind_name(c),
        .id = c->id,
        .label = c->label,
        .rep = st->r->rep,
        .error = error,
        .started = started,
        .finished = finished,
        .accel = rt ? rt->accel : "none",
        .phases = (const char *const *)st->phases,
        .nphases = st->nphases,
        .lags = lags,
        .nlags = st->nlags,
        .has_prepare = st->has_prepared,
        .prepare = {st->prepared.seconds, st->prepared.rows, st->prepared.what,
                    st->prepared_lag.s, st->prepared_lag.bytes},
        .ntenants = nt,
        .tenant_dirs = (const char *const *)st->tenant_dirs,
        .has_boot_storm = nt > 1 && c->kind == VMB_CELL_VM,
    };
    autofree struct vmb_runtime_record *recs =
        vmb_xcalloc(nt ? nt : 1, sizeof(*recs));
    for (size_t t = 0; rt != NULL && t < nt; t++)
        rts[t]->ops->record(rts[t], &recs[t]);
    d.runtimes = rt ? recs : NULL;
    autofree double *agent_s = vmb_xcalloc(nt ? nt : 1, sizeof(double));
    autofree double *sync_s = vmb_xcalloc(nt ? nt : 1, sizeof(double));
    if (d.has_boot_storm)
        vmb_run_boot_storm(rts, nt, st->up_ns, agent_s, sync_s, &d.boot_storm);
    vmb_run_resources_doc(&st->resources, &d.resources);
    autofree struct vmb_result_mem_phase *mem = vmb_run_memory_doc(&st->mem);
    d.memory = mem;
    d.nmemory = st->mem.nphases;
    autofree struct vmb_result_ignored *ignored =
        vmb_run_ignored_doc(&st->ignored);
    d.ignored = ignored;
    d.nignored = st->ignored.n;
    char *host_values[VMB_HOSTSET_NKNOBS];
    struct vmb_result_host_setting host[VMB_HOSTSET_NKNOBS];
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        host_values[i] = vmb_hostset_value(NULL, i);
        host[i] = (struct vmb_result_host_setting){vmb_hostset_knobs[i].name,
                                                   host_values[i]};
    }
    d.host_settings = host;
    d.nhost_settings = VMB_HOSTSET_NKNOBS;
    char **artefacts = NULL;
    vmb_result_artefacts(st->dir, &artefacts, &d.nartefacts);
    d.artefacts = (const char *const *)artefacts;
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_result_json_write(&w, &d);
    vmb_result_artefacts_free(artefacts, d.nartefacts);
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++)
        free(host_values[i]);
    vmb_run_resources_doc_free(&d.resources);
    vmb_buf_puts(&w.buf, "\n");
    *json = vmb_jw_steal(&w);
    return 0;
}
