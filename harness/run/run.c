/*
 * `vmbench run`: the plan's runs in order, each one runtime up -> database
 * ready -> load phases -> collect -> teardown (always), its result.json
 * written last so that a run whose result.json exists is complete.
 */
#include "run/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/util.h"
#include "config/kata.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "config/shard.h"
#include "db/db.h"
#include "results/plan_json.h"
#include "results/result_json.h"
#include "results/results.h"
#include "run/progress.h"
#include "run/resources.h"
#include "run/resume.h"
#include "run/run_fio.h"
#include "run/run_ignored.h"
#include "run/run_info.h"
#include "run/run_load.h"
#include "run/run_priv.h"
#include "run/tenants.h"
#include "runtime/doctor.h"
#include "runtime/hostset.h"
#include "runtime/preflight.h"
#include "runtime/runtime.h"

/* ---- the session ---- */

static bool
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A directory itself, not a symlink to one: a results directory someone
 * sent may hold links that lead out of it. */
static bool
is_real_dir(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *
cell_root(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_VM ? "cells" : "control";
}

static int
write_cell_files(struct session *s, const struct vmb_cell *c,
                 struct vmb_error **err)
{
    autofree char *dir = vmb_xasprintf("%s/%s/%s", s->dir, cell_root(c), c->id);
    if (vmb_mkdir_p(dir, err) < 0)
        return -1;
    struct vmb_cell_doc d = {.id = c->id,
                             .label = c->label,
                             .kind = vmb_run_kind_name(c),
                             .cfg = &c->cfg};
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_cell_json_write(&w, &d);
    autofree char *path = vmb_xasprintf("%s/config.json", dir);
    if (vmb_run_write_json(path, &w, err) < 0)
        return -1;
    if (c->kind != VMB_CELL_VM)
        return 0;
    struct vmb_buf toml = {0};
    vmb_kata_render(&c->cfg, &toml);
    autofree char *tpath = vmb_xasprintf("%s/kata-configuration.toml", dir);
    int r = vmb_run_write_text(tpath, toml.data, err);
    vmb_buf_free(&toml);
    return r;
}

/* The copy of the Kata base file a run started from, for --resume. */
#define KATA_BASE_COPY "kata-base.toml"
/* The importer's own limit on a configuration.toml. */
#define KATA_BASE_MAX ((size_t)4 << 20)

int
vmb_run_load_matrix(const char *dir, struct vmb_matrix **m,
                    struct vmb_error **err)
{
    autofree char *mpath = vmb_xasprintf("%s/matrix.yaml", dir);
    autofree char *kpath = vmb_xasprintf("%s/" KATA_BASE_COPY, dir);
    struct stat st;
    bool kata = lstat(kpath, &st) == 0;
    return vmb_matrix_load_kata(mpath, kata ? kpath : NULL, m, err);
}

/* Whether the plan (a shard's, or the whole) has cell c. */
static bool
in_plan(const struct session *s, const struct vmb_cell *c)
{
    const struct vmb_matrix *m = s->m;
    if (c >= m->cells && c < m->cells + m->ncells)
        return s->plan->cell_in == NULL || s->plan->cell_in[c - m->cells];
    return s->plan->control_in == NULL || s->plan->control_in[c - m->controls];
}

/* Narrows the session's plan to shard k of n. */
static int
apply_shard(struct session *s, size_t k, size_t n, struct vmb_error **err)
{
    struct vmb_shards *sh = NULL;
    if (vmb_shards_build(s->m, n, &sh, err) < 0)
        return -1;
    vmb_plan_restrict(s->plan, s->m, sh, k);
    vmb_shards_free(sh);
    return 0;
}

/* matrix.yaml, the Kata base file, plan.json and the plan's cells' files. */
static int
write_static_files(struct session *s, const char *matrix_text, size_t len,
                   struct vmb_error **err)
{
    autofree char *mpath = vmb_xasprintf("%s/matrix.yaml", s->dir);
    if (vmb_write_file_atomic(mpath, matrix_text, len, err) < 0)
        return -1;
    /* A relative kata: path would not resolve from the results directory,
     * and the user's file may change before a resume: keep its bytes. */
    if (s->m->kata_path != NULL) {
        autofree char *text = NULL;
        size_t klen = 0;
        autofree char *kpath = vmb_xasprintf("%s/" KATA_BASE_COPY, s->dir);
        if (vmb_read_file_max(s->m->kata_path, KATA_BASE_MAX, &text, &klen,
                              err) < 0 ||
            vmb_write_file_atomic(kpath, text, klen, err) < 0)
            return -1;
    }
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_plan_to_json(&w, s->m, s->plan);
    autofree char *ppath = vmb_xasprintf("%s/plan.json", s->dir);
    if (vmb_run_write_json(ppath, &w, err) < 0)
        return -1;
    /* A fio phase's job file lies beside the matrix, in the results too. */
    if (vmb_run_fio_copy_jobs(&s->m->base, s->m->path, mpath, err) < 0)
        return -1;
    for (size_t i = 0; i < s->m->ncontrols; i++)
        if (in_plan(s, &s->m->controls[i]) &&
            write_cell_files(s, &s->m->controls[i], err) < 0)
            return -1;
    for (size_t i = 0; i < s->m->ncells; i++)
        if (in_plan(s, &s->m->cells[i]) &&
            write_cell_files(s, &s->m->cells[i], err) < 0)
            return -1;
    return 0;
}

/* ---- one run ---- */

/* Starts one tenant's pair; its settings files go into dir. */
static int
bring_up_database(struct run_state *st, struct vmb_runtime *rt,
                  const struct vmb_db_driver *drv, const char *dir,
                  struct vmb_error **err)
{
    const struct vmb_config *cfg = rt->cfg;
    struct vmb_db_watch watch;
    vmb_runtime_watch(rt, &watch);
    if (rt->nodes[1].primary_host == NULL) {
        rt->nodes[1].primary_host = rt->nodes[0].host;
        rt->nodes[1].primary_port = rt->nodes[0].port;
    }
    for (int i = 1; i <= 2; i++) {
        struct vmb_buf conf = {0};
        drv->render_config(&cfg->database, &rt->nodes[i - 1], &conf);
        int r = rt->ops->start_db(rt, i, drv, conf.data, err);
        vmb_buf_free(&conf);
        if (r < 0)
            return vmb_error_prefix(err, "start the database");
        if (drv->wait_up(&rt->nodes[i - 1], cfg->database.ready_timeout_us,
                         &watch, err) < 0)
            return vmb_error_prefix(err, "wait for the database");
        rt->db_ready_ns[i - 1] = vmb_now_ns();
    }
    vmb_progress_phase(&st->s->prog, "replica sync", SIZE_MAX);
    if (drv->wait_replicating(&rt->nodes[0], &rt->nodes[1],
                              cfg->database.ready_timeout_us, &watch, err) < 0)
        return vmb_error_prefix(err, "wait for replication");
    rt->sync_ns = vmb_now_ns();
    /* The settings each server really runs with, next to its config. */
    for (int i = 1; i <= 2 && drv->settings != NULL; i++) {
        autofree char *text = NULL;
        if (drv->settings(&rt->nodes[i - 1], cfg->database.ready_timeout_us,
                          &text, err) < 0)
            return vmb_error_prefix(err, "record the settings");
        autofree char *path =
            vmb_xasprintf("%s/node%d.%s", dir, i, drv->settings_name);
        if (vmb_run_write_text(path, text, err) < 0)
            return vmb_error_prefix(err, "record the settings");
        vmb_run_ignored_add(&st->ignored, st->r->cell, text, &st->s->prog);
    }
    return 0;
}

static int
run_phases(struct run_state *st, struct vmb_runtime **rts, size_t nt,
           const struct vmb_db_driver *drv, struct vmb_error **err)
{
    const struct vmb_config *cfg = rts[0]->cfg;
    /* The data set, untimed, and the replicas caught up with it; fio lays
     * out its own files. */
    vmb_progress_phase(&st->s->prog, "prepare data", SIZE_MAX);
    for (size_t t = 0; !drv->tool && t < nt; t++)
        if (vmb_run_load_prepare(cfg, &rts[t]->nodes[0], &st->prepared, err) <
            0) {
            vmb_run_tenant_prefix(err, t, nt);
            return vmb_error_prefix(err, "prepare the data");
        }
    if (st->prepared.seconds > 0 || st->prepared.rows > 0) {
        st->has_prepared = true;
        vmb_progress_phase(&st->s->prog, "replication lag", SIZE_MAX);
        if (vmb_run_tenants_lag(rts, nt, drv, &st->prepared_lag, err) < 0)
            return vmb_error_prefix(err, "after preparing the data");
    }
    autofree struct vmb_db_node *nodes = vmb_xcalloc(2 * nt, sizeof(*nodes));
    for (size_t t = 0; t < nt; t++) {
        nodes[2 * t] = rts[t]->nodes[0];
        nodes[2 * t + 1] = rts[t]->nodes[1];
    }
    for (size_t i = 0; i < cfg->nphases; i++) {
        const struct vmb_phase *ph = &cfg->phases[i];
        char name[40];
        snprintf(name, sizeof(name), "%zu-%s", i, vmb_op_name(ph->op));
        vmb_progress_phase(&st->s->prog, name, i);
        struct vmb_run_phase_out out = {0};
        int r = drv->tool ? vmb_run_fio_phase(rts[0], st->s->m->path, i,
                                              st->dir, &out, err)
                          : vmb_run_load_phase(cfg, i, nodes, nt, st->dir,
                                               vmb_progress_rate, &st->s->prog,
                                               &out, err);
        if (out.json != NULL) {
            st->phases =
                vmb_xrealloc(st->phases, (st->nphases + 1) * sizeof(char *));
            st->phases[st->nphases++] = steal(&out.json);
        }
        if (out.csv != NULL)
            vmb_run_resources_phase(&st->resources, rts[0], &out);
        if (out.json != NULL || r == 0)
            vmb_run_memory_sample(&st->mem, name, rts, nt);
        vmb_run_phase_out_free(&out);
        if (r < 0)
            return vmb_error_prefix(err, "phase %s", name);
        if (vmb_interrupted)
            return vmb_error_set(err, VMB_ERR_RUN, 0, "phase %s: interrupted",
                                 name);
        /* A tool's phases have no replica to catch up. */
        if (drv->tool || !vmb_run_op_writes(ph->op))
            continue;
        /* Writes went to the primary: how long until the replica has them. */
        vmb_progress_phase(&st->s->prog, "replication lag", SIZE_MAX);
        struct vmb_db_lag lag;
        if (vmb_run_tenants_lag(rts, nt, drv, &lag, err) < 0)
            return vmb_error_prefix(err, "after phase %s", name);
        st->lags = vmb_xrealloc(st->lags, (st->nlags + 1) * sizeof(*st->lags));
        snprintf(st->lags[st->nlags].phase, sizeof(st->lags[0].phase), "%s",
                 name);
        st->lags[st->nlags].bytes = lag.bytes;
        st->lags[st->nlags++].s = lag.s;
    }
    return 0;
}

static void
drop_note(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

/* Outlives every env, as env_open's notes must. */
static const struct vmb_notes quiet_notes = {.fn = drop_note};

/* Every tenant's database pair, tenant 1's settings in the run's
 * directory and the others' in theirs. */
static int
tenants_database(struct run_state *st, struct vmb_runtime **rts, size_t nt,
                 const struct vmb_db_driver *drv, struct vmb_error **err)
{
    for (size_t t = 0; t < nt; t++) {
        autofree char *dir =
            vmb_xasprintf("%s/%s", st->dir, st->tenant_dirs[t]);
        if (bring_up_database(st, rts[t], drv, dir, err) < 0)
            return vmb_run_tenant_prefix(err, t, nt);
    }
    return 0;
}

/*
 * Executes one run. Returns 0 when it is recorded (ok or failed), -1 when
 * it could not be recorded or was interrupted (nothing is kept then, so a
 * resume redoes it).
 */
static int
execute_run(struct session *s, const struct vmb_plan_run *r,
            struct vmb_error **err)
{
    const struct vmb_cell *c = r->cell;
    struct run_state st = {.s = s, .r = r};
    st.rel = vmb_plan_run_dir(r);
    st.dir = vmb_xasprintf("%s/%s", s->dir, st.rel);
    char *work = vmb_xasprintf("%s/work/%s-%s-rep%d", s->dir,
                               vmb_run_kind_name(c), c->id, r->rep);
    char started[32];
    vmb_utc_stamp(started, sizeof(started), vmb_wall_ns());
    int rc = -1;
    struct vmb_error *run_err = NULL, *cerr = NULL, *eerr = NULL;
    char *json = NULL;
    char *rpath = vmb_xasprintf("%s/result.json", st.dir);
    size_t nt = (size_t)c->cfg.top.tenants;
    struct vmb_runtime **rts = vmb_xcalloc(nt, sizeof(*rts));
    st.tenant_dirs = vmb_xcalloc(nt, sizeof(*st.tenant_dirs));

    const struct vmb_db_driver *drv =
        vmb_db_driver_find(c->cfg.database.engine);
    const struct vmb_runtime_ops *ops = vmb_runtime_for(c->kind);
    if (!s->env_tried[c->kind] && ops->env_open != NULL) {
        vmb_progress_phase(&s->prog, "prepare", SIZE_MAX);
        s->env_tried[c->kind] = true;
        /* Said once per session: tune's later rounds do not repeat it. */
        const struct vmb_notes *notes =
            s->opts->preflight_done ? &quiet_notes : &s->notes;
        if (ops->env_open(&s->m->base, s->dir, notes, &s->env[c->kind], &eerr) <
            0) {
            s->env_error[c->kind] = vmb_xstrdup(eerr->msg);
            vmb_progress_note(&s->prog,
                              "vmbench: %s runs cannot start, they are left "
                              "for a resume: %s",
                              ops->name, eerr->msg);
        }
    }
    /* The host, not the cell, failed: nothing is recorded, the run's
     * directory (and any earlier result in it) is left as it was. */
    if (s->env_error[c->kind] != NULL) {
        s->unstarted = vmb_xrealloc(s->unstarted, (s->nunstarted + 1) *
                                                      sizeof(*s->unstarted));
        struct failure *f = &s->unstarted[s->nunstarted++];
        f->dir = vmb_xstrdup(st.rel);
        f->label = vmb_xstrdup(c->label);
        f->error = vmb_xstrdup(s->env_error[c->kind]);
        rc = 0;
        goto out;
    }
    if (vmb_rm_rf(st.dir, err) < 0 || vmb_mkdir_p(st.dir, err) < 0)
        goto out;
    for (size_t t = 0; t < nt; t++) {
        char *twork =
            t == 0 ? vmb_xstrdup(work) : vmb_xasprintf("%s-t%zu", work, t + 1);
        st.tenant_dirs[t] =
            t == 0 ? vmb_xstrdup("") : vmb_xasprintf("tenant%zu", t + 1);
        char *tdir = vmb_xasprintf("%s/%s", st.dir, st.tenant_dirs[t]);
        int made = vmb_mkdir_p(tdir, err) < 0
                       ? -1
                       : vmb_runtime_new(ops, s->env[c->kind], c, r->rep, twork,
                                         &rts[t], err);
        free(twork);
        free(tdir);
        if (made < 0)
            goto out;
        rts[t]->notes = &s->notes;
        rts[t]->tenant = (int)t;
    }
    struct vmb_runtime *rt = rts[0];
    vmb_progress_phase(&s->prog, c->kind == VMB_CELL_VM ? "boot" : "start",
                       SIZE_MAX);
    if (vmb_hostset_apply(s->hostset, &c->cfg, &run_err) < 0)
        vmb_error_prefix(&run_err, "apply the cell's host settings");
    else if (vmb_run_tenants_up(rts, nt, &st.up_ns, &run_err) < 0)
        vmb_error_prefix(&run_err, "bring up the %s runtime", ops->name);
    else {
        if (c->cfg.top.probe) {
            vmb_progress_phase(&s->prog, "probe", SIZE_MAX);
            vmb_run_resources_probe(&st.resources, rt);
        }
        vmb_progress_phase(&s->prog, "database", SIZE_MAX);
        /* A tool (fio) has no server: it runs in each phase. */
        if (drv->tool || tenants_database(&st, rts, nt, drv, &run_err) == 0) {
            if (!drv->tool)
                vmb_run_resources_rtt(&st.resources, rt);
            for (size_t t = 0; t < nt; t++)
                rts[t]->ops->window_begin(rts[t]);
            vmb_run_resources_start(&st.resources, rts, nt);
            run_phases(&st, rts, nt, drv, &run_err);
            vmb_run_resources_stop(&st.resources);
            for (size_t t = 0; t < nt; t++)
                rts[t]->ops->window_end(rts[t]);
        }
    }
    /* Servers stop first, so their logs include the shutdown. */
    vmb_progress_phase(&s->prog, "collect", SIZE_MAX);
    for (size_t t = 0; t < nt; t++) {
        rts[t]->ops->stop_db(rts[t]);
        char *tdir = vmb_xasprintf("%s/%s", st.dir, st.tenant_dirs[t]);
        if (rts[t]->ops->collect(rts[t], tdir, &cerr) < 0 && run_err == NULL)
            run_err = steal(&cerr);
        vmb_error_free(steal(&cerr));
        free(tdir);
    }
    int rr = vmb_run_render_result(&st, rts, nt, started,
                                   run_err ? run_err->msg : NULL, &json, err);
    vmb_progress_phase(&s->prog, "teardown", SIZE_MAX);
    for (size_t t = 0; t < nt; t++)
        rts[t]->ops->down(rts[t]);
    if (vmb_hostset_restore(s->hostset, &cerr) < 0)
        vmb_progress_note(&s->prog, "vmbench: %s", cerr->msg);
    if (vmb_interrupted) {
        /* Not a failure of the cell: leave it for --resume to redo. */
        if (rr == 0)
            vmb_error_set(err, VMB_ERR_RUN, 0, "interrupted");
        goto out;
    }
    if (rr < 0 || vmb_run_write_text(rpath, json, err) < 0)
        goto out;
    if (run_err != NULL) {
        s->failures = vmb_xrealloc(s->failures,
                                   (s->nfailures + 1) * sizeof(*s->failures));
        struct failure *f = &s->failures[s->nfailures++];
        f->dir = vmb_xstrdup(st.rel);
        f->label = vmb_xstrdup(c->label);
        f->error = vmb_xstrdup(run_err->msg);
        vmb_progress_note(&s->prog, "vmbench: %s (%s) failed: %s", st.rel,
                          c->label, run_err->msg);
    }
    rc = 0;
out:
    for (size_t t = 0; t < nt; t++) {
        vmb_runtime_free(rts[t]);
        free(st.tenant_dirs[t]);
    }
    free(rts);
    free(st.tenant_dirs);
    vmb_error_free(run_err);
    vmb_error_free(cerr);
    vmb_error_free(eerr);
    free(json);
    free(rpath);
    free(work);
    free(st.rel);
    free(st.dir);
    for (size_t i = 0; i < st.nphases; i++)
        free(st.phases[i]);
    free(st.phases);
    vmb_run_resources_free(&st.resources);
    vmb_run_memory_free(&st.mem);
    vmb_run_ignored_clear(&st.ignored);
    free(st.lags);
    return rc;
}

/* ---- results directory, resume ---- */

/* A directory the user named, without trailing slashes ("out/" is "out"). */
static char *
dir_path(const char *given)
{
    char *d = vmb_xstrdup(given);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

static char *
default_out(const struct session *s)
{
    const char *name = s->m->name;
    char stamp[32];
    vmb_utc_stamp(stamp, sizeof(stamp), vmb_wall_ns());
    /* Colons are awkward in paths: 2026-11-23T091703Z. */
    char compact[32];
    size_t j = 0;
    for (size_t i = 0; stamp[i] && j + 1 < sizeof(compact); i++)
        if (stamp[i] != ':')
            compact[j++] = stamp[i];
    compact[j] = '\0';
    if (s->plan->nshards > 0)
        return vmb_xasprintf("results/%s-%s-shard%zuof%zu", name, compact,
                             s->plan->shard, s->plan->nshards);
    return vmb_xasprintf("results/%s-%s", name, compact);
}

/* Takes an exclusive lock on the directory so two runs never share it. */
static int
lock_dir(struct session *s, struct vmb_error **err)
{
    s->lock_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->lock_fd < 0)
        return vmb_error_sys(err, "open \"%s\"", s->dir);
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is in use by another vmbench run", s->dir);
    return 0;
}

/* Removes temporary files an interrupted atomic write left. */
static void
sweep_tmp(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' &&
            (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", dir, de->d_name);
        if (strstr(de->d_name, ".tmp.") != NULL)
            unlink(p);
        else if (depth < 4 && is_real_dir(p) && strcmp(de->d_name, "work") != 0)
            sweep_tmp(p, depth + 1);
    }
    closedir(d);
}

/* Counts the results on disk; a run is done when its result.json exists. */
static void
count_results(struct session *s)
{
    s->ok = s->failed = 0;
    for (size_t i = 0; i < s->plan->nruns; i++) {
        autofree char *rel = vmb_plan_run_dir(&s->plan->runs[i]);
        autofree char *path = vmb_xasprintf("%s/%s/result.json", s->dir, rel);
        if (!exists(path))
            continue;
        struct vmb_res_rep rep = {0};
        vmb_autoerr struct vmb_error *e = NULL;
        if (vmb_results_read_result(path, &rep, &e) == 0 && rep.ok)
            s->ok++;
        else
            s->failed++;
        vmb_res_rep_clear(&rep);
    }
}

static int
load_matrix_text(const char *path, char **text, size_t *len,
                 struct vmb_error **err)
{
    if (vmb_read_file(path, text, len, err) < 0) {
        (*err)->kind = VMB_ERR_INPUT;
        return -1;
    }
    return 0;
}

/* Opens an existing results directory for --resume. */
static int
open_resume(struct session *s, char **matrix_text, size_t *len,
            struct vmb_error **err)
{
    s->dir = dir_path(s->opts->resume);
    autofree char *mpath = vmb_xasprintf("%s/matrix.yaml", s->dir);
    autofree char *ppath = vmb_xasprintf("%s/plan.json", s->dir);
    if (!is_dir(s->dir) || !exists(mpath) || !exists(ppath))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a vmbench results directory "
                             "(no matrix.yaml or plan.json)",
                             s->dir);
    if (lock_dir(s, err) < 0)
        return -1;
    if (load_matrix_text(mpath, matrix_text, len, err) < 0)
        return -1;
    if (s->opts->matrix != NULL) {
        autofree char *given = NULL;
        size_t glen = 0;
        if (load_matrix_text(s->opts->matrix, &given, &glen, err) < 0)
            return -1;
        if (glen != *len || memcmp(given, *matrix_text, glen) != 0)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "\"%s\" differs from the matrix.yaml the run "
                                 "in \"%s\" started with",
                                 s->opts->matrix, s->dir);
    }
    if (vmb_run_load_matrix(s->dir, &s->m, err) < 0)
        return -1;
    /* The same seed gives the same order as the interrupted run. */
    struct vmb_results *prev = NULL;
    if (vmb_results_load(s->dir, &prev, err) < 0)
        return vmb_error_prefix(err, "resume");
    /* Its cells ran on many hosts; a resume here would add this one and
     * rewrite the run.json that says which ran what. */
    if (prev->merged_count > 0) {
        vmb_results_free(prev);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" was made by `vmbench merge` and is not "
                             "resumed; resume its shards and merge them again",
                             s->dir);
    }
    if (!prev->has_seed) {
        vmb_results_free(prev);
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "\"%s\" has no seed",
                             ppath);
    }
    s->m->base.top.seed = (int64_t)prev->seed;
    char now[32];
    vmb_utc_stamp(now, sizeof(now), vmb_wall_ns());
    snprintf(s->started, sizeof(s->started), "%s",
             prev->run.started ? prev->run.started : now);
    for (size_t i = 0; i < prev->run.nresumed; i++) {
        vmb_json_escape(&s->resumed, prev->run.resumed[i]);
        vmb_buf_puts(&s->resumed, ",");
    }
    vmb_json_escape(&s->resumed, now);
    int rc = vmb_plan_build(s->m, &s->plan, err);
    if (rc == 0 && prev->has_shard)
        rc = apply_shard(s, prev->shard_index, prev->shard_count, err);
    if (rc == 0)
        rc = vmb_resume_check_plan(prev, s->m, s->plan, err);
    vmb_results_free(prev);
    return rc;
}

/*
 * Before a resume goes on: what the killed run left half-done goes (its
 * temporary files and scratch directory), and the files of cells it had
 * not yet written are written, so report and kata-config find them.
 */
static int
prepare_resume(struct session *s, struct vmb_error **err)
{
    sweep_tmp(s->dir, 0);
    autofree char *work = vmb_xasprintf("%s/work", s->dir);
    if (vmb_rm_rf(work, err) < 0)
        return -1;
    const struct vmb_cell *lists[2] = {s->m->controls, s->m->cells};
    const size_t counts[2] = {s->m->ncontrols, s->m->ncells};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < counts[k]; i++) {
            const struct vmb_cell *c = &lists[k][i];
            if (!in_plan(s, c))
                continue;
            autofree char *dir =
                vmb_xasprintf("%s/%s/%s", s->dir, cell_root(c), c->id);
            autofree char *cfg = vmb_xasprintf("%s/config.json", dir);
            autofree char *toml =
                vmb_xasprintf("%s/kata-configuration.toml", dir);
            if (exists(cfg) && (c->kind != VMB_CELL_VM || exists(toml)))
                continue;
            if (write_cell_files(s, c, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* Creates a new results directory; never reuses an existing one. */
static int
open_new(struct session *s, char **matrix_text, size_t *len,
         struct vmb_error **err)
{
    if (load_matrix_text(s->opts->matrix, matrix_text, len, err) < 0)
        return -1;
    if (vmb_matrix_load_kata(s->opts->matrix, s->opts->kata, &s->m, err) < 0)
        return -1;
    if (vmb_plan_build(s->m, &s->plan, err) < 0)
        return -1;
    if (s->opts->nshards > 0 &&
        apply_shard(s, s->opts->shard, s->opts->nshards, err) < 0)
        return -1;
    s->dir = s->opts->out ? dir_path(s->opts->out) : default_out(s);
    vmb_utc_stamp(s->started, sizeof(s->started), vmb_wall_ns());
    return 0;
}

/* Creates the new results directory, once the host has passed. */
static int
create_new(struct session *s, struct vmb_error **err)
{
    autofree char *parent = vmb_xstrdup(s->dir);
    char *slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent) {
        *slash = '\0';
        /* A directory the user named that cannot be made (read-only,
         * not a directory, no permission) is bad input, as a bad path
         * to the matrix is. */
        if (vmb_mkdir_p(parent, err) < 0) {
            (*err)->kind = VMB_ERR_INPUT;
            return -1;
        }
    }
    if (mkdir(s->dir, 0755) < 0) {
        if (errno == EEXIST)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "\"%s\" already exists; results are never "
                                 "overwritten (continue it with --resume)",
                                 s->dir);
        return vmb_error_set(err, VMB_ERR_INPUT, errno, "create \"%s\"",
                             s->dir);
    }
    if (lock_dir(s, err) < 0)
        return -1;
    return 0;
}

static bool
selected(const struct session *s, const struct vmb_plan_run *r)
{
    if (s->opts->want != NULL && !s->opts->want(s->opts->want_ctx, r))
        return false;
    if (s->opts->only == VMB_RUN_ONLY_VM)
        return r->cell->kind == VMB_CELL_VM;
    if (s->opts->only == VMB_RUN_ONLY_BAREMETAL)
        return r->cell->kind == VMB_CELL_CONTROL;
    return true;
}

/*
 * Whether a run is done: its result.json exists (and says ok, under
 * --retry-failed). A run that could not start has none.
 */
static bool
done(const struct session *s, const struct vmb_plan_run *r)
{
    autofree char *rel = vmb_plan_run_dir(r);
    autofree char *path = vmb_xasprintf("%s/%s/result.json", s->dir, rel);
    if (!exists(path))
        return false;
    if (!s->opts->retry_failed)
        return true;
    struct vmb_res_rep rep = {0};
    vmb_autoerr struct vmb_error *e = NULL;
    bool ok = vmb_results_read_result(path, &rep, &e) == 0 && rep.ok;
    vmb_res_rep_clear(&rep);
    return ok;
}

struct pending {
    const struct vmb_matrix *m;
    bool *cells, *controls; /* per cell: a run of it is to do */
};

static bool
pending_cell(void *ctx, const struct vmb_cell *c)
{
    const struct pending *p = ctx;
    if (c >= p->m->cells && c < p->m->cells + p->m->ncells)
        return p->cells[c - p->m->cells];
    return p->controls[c - p->m->controls];
}

/*
 * What the cells of the runs to do need from this host, before anything
 * is created or started: every shortfall listed with its fix, and the
 * session refused (VMB_ERR_INPUT) unless it is a dry run; notes for the
 * whole session printed once.
 */
static int
preflight(const struct session *s, struct vmb_error **err)
{
    if (s->opts->preflight_done)
        return 0;
    struct pending p = {
        .m = s->m,
        .cells = vmb_xcalloc(s->m->ncells + 1, sizeof(bool)),
        .controls = vmb_xcalloc(s->m->ncontrols + 1, sizeof(bool)),
    };
    for (size_t i = 0; i < s->plan->nruns; i++) {
        const struct vmb_plan_run *r = &s->plan->runs[i];
        if (!selected(s, r) || (s->opts->resume && done(s, r)))
            continue;
        const struct vmb_cell *c = r->cell;
        if (c >= s->m->cells && c < s->m->cells + s->m->ncells)
            p.cells[c - s->m->cells] = true;
        else
            p.controls[c - s->m->controls] = true;
    }
    struct vmb_preflight *pf =
        vmb_preflight_check(NULL, s->m, pending_cell, &p);
    vmb_preflight_print_notes(stderr, pf);
    vmb_preflight_print_lacks(stderr, pf);
    /* A dry run starts nothing: like `plan`, it lists and goes on. */
    int rc = s->opts->dry_run ? 0 : vmb_preflight_refuse(pf, err);
    vmb_preflight_free(pf);
    free(p.cells);
    free(p.controls);
    return rc;
}

/* Restores what a killed vmbench left changed; takes the host's lock
 * when a run to do changes host settings. */
static int
hostset_open(struct session *s, struct vmb_error **err)
{
    bool need = false;
    for (size_t i = 0; i < s->plan->nruns && !need; i++) {
        const struct vmb_plan_run *r = &s->plan->runs[i];
        need = selected(s, r) && !(s->opts->resume && done(s, r)) &&
               vmb_config_changes_host(&r->cell->cfg);
    }
    return vmb_hostset_open(NULL, need, s->dir, NULL, &s->hostset, err);
}

static void
print_dry_run(const struct session *s)
{
    printf("would write results to %s\n", s->dir);
    size_t n = 0;
    for (size_t i = 0; i < s->plan->nruns; i++) {
        const struct vmb_plan_run *r = &s->plan->runs[i];
        if (!selected(s, r))
            continue;
        bool d = s->opts->resume && done(s, r);
        autofree char *rel = vmb_plan_run_dir(r);
        printf("  %4zu  %-9s %s  %s%s\n", ++n, vmb_run_kind_name(r->cell), rel,
               r->cell->label, d ? "  (done, skipped)" : "");
    }
    printf("%zu runs, about %.0f s (rough); nothing was started\n", n,
           s->plan->estimate_s);
}

/* `vmbench report` on the results directory, which is all it reads. */
static void
session_free(struct session *s)
{
    for (size_t i = 0; i < s->nfailures; i++) {
        free(s->failures[i].dir);
        free(s->failures[i].label);
        free(s->failures[i].error);
    }
    free(s->failures);
    for (size_t i = 0; i < s->nunstarted; i++) {
        free(s->unstarted[i].dir);
        free(s->unstarted[i].label);
        free(s->unstarted[i].error);
    }
    free(s->unstarted);
    vmb_plan_free(s->plan);
    vmb_matrix_free(s->m);
    vmb_buf_free(&s->resumed);
    for (int k = 0; k < 2; k++) {
        const struct vmb_runtime_ops *ops = vmb_runtime_for(k);
        if (s->env[k] != NULL && ops->env_close != NULL)
            ops->env_close(s->env[k]);
        free(s->env_error[k]);
    }
    vmb_hostset_free(s->hostset);
    vmb_doctor_report_free(s->doctor);
    vmb_run_info_clear(&s->info);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->dir);
}

int
vmb_run(const struct vmb_run_opts *opts, struct vmb_error **err)
{
    struct session s = {.opts = opts, .lock_fd = -1};
    char *matrix_text = NULL, *work = NULL;
    size_t matrix_len = 0;
    int rc = -1;
    if ((opts->resume ? open_resume(&s, &matrix_text, &matrix_len, err)
                      : open_new(&s, &matrix_text, &matrix_len, err)) < 0)
        goto out;
    for (size_t i = 0; i < s.m->nwarnings; i++)
        fprintf(stderr, "%s\n", s.m->warnings[i]);
    if (s.m->kata_path != NULL && s.m->kata_unmodelled[0] != '\0')
        fprintf(stderr, "vmbench: %s: not modelled: %s\n", s.m->kata_path,
                s.m->kata_unmodelled);
    if (preflight(&s, err) < 0 || (!opts->dry_run && hostset_open(&s, err) < 0))
        goto out;
    if (opts->dry_run) {
        print_dry_run(&s);
        rc = 0;
        goto out;
    }
    if (!opts->resume && create_new(&s, err) < 0)
        goto out;
    if ((opts->resume
             ? prepare_resume(&s, err)
             : write_static_files(&s, matrix_text, matrix_len, err)) < 0) {
        vmb_error_prefix(err, "write \"%s\"", s.dir);
        goto out;
    }
    if (opts->begin != NULL && opts->begin(opts->want_ctx, s.dir, err) < 0)
        goto out;
    struct vmb_doctor_opts dopts = {
        .connect = s.m->base.hypervisor.connect,
        .emulator = s.m->base.hypervisor.emulator,
        .machine = s.m->base.hypervisor.machine,
        .kernel = s.m->base.guest.kernel,
        .results_dir = s.dir,
        .probe_kvm = false, /* the VM runtime proves KVM itself */
    };
    s.doctor = vmb_doctor_run(&dopts);
    count_results(&s);
    if (vmb_run_write_run_json(&s, NULL, err) < 0)
        goto out;

    for (size_t i = 0; i < s.plan->nruns; i++)
        if (selected(&s, &s.plan->runs[i]) && !done(&s, &s.plan->runs[i]))
            vmb_progress_expect(&s.prog, s.plan->runs[i].cell);
    fprintf(stderr, "vmbench: %zu of %zu runs to do, results in %s\n", s.prog.n,
            s.plan->nruns, s.dir);
    vmb_signals_install();
    vmb_progress_start(&s.prog);
    s.notes = vmb_progress_notes(&s.prog);
    size_t k = 0;
    for (size_t i = 0; i < s.plan->nruns && !vmb_interrupted; i++) {
        const struct vmb_plan_run *r = &s.plan->runs[i];
        if (!selected(&s, r) || done(&s, r))
            continue;
        vmb_progress_run_begin(&s.prog, ++k, r->cell, r->rep);
        struct vmb_error *rerr = NULL;
        int r_rc = execute_run(&s, r, &rerr);
        vmb_progress_run_end(&s.prog);
        if (r_rc < 0 && !vmb_interrupted) {
            /* The results directory itself failed: no point going on. */
            vmb_progress_stop(&s.prog);
            *err = rerr;
            vmb_error_prefix(err, "record the run");
            goto out;
        }
        vmb_error_free(rerr);
    }
    vmb_progress_stop(&s.prog);
    s.interrupted = vmb_interrupted != 0;
    count_results(&s);
    char finished[32];
    vmb_utc_stamp(finished, sizeof(finished), vmb_wall_ns());
    if (vmb_run_write_run_json(&s, s.interrupted ? NULL : finished, err) < 0)
        goto out;
    work = vmb_xasprintf("%s/work", s.dir);
    rmdir(work);
    if (s.interrupted) {
        char *q = vmb_shell_quote(s.dir);
        vmb_error_set(err, VMB_ERR_RUN, 0,
                      "interrupted; %zu finished runs are kept in \"%s\", "
                      "continue with `vmbench run --resume %s`",
                      s.ok + s.failed, s.dir, q);
        free(q);
        goto out;
    }
    if (opts->report != NULL)
        opts->report(s.dir);
    fprintf(stderr, "vmbench: %zu runs ok, %zu failed; results in %s\n", s.ok,
            s.failed, s.dir);
    if (s.failed > 0) {
        fprintf(stderr, "failed runs:\n");
        for (size_t i = 0; i < s.nfailures; i++) {
            /* The error may carry a server's words. */
            char *lab = vmb_term_safe(s.failures[i].label);
            char *msg = vmb_term_safe(s.failures[i].error);
            fprintf(stderr, "  %s  %s: %s\n", s.failures[i].dir, lab, msg);
            free(lab);
            free(msg);
        }
        if (s.nfailures < s.failed)
            fprintf(stderr,
                    "  (and %zu from before the resume; see their "
                    "result.json)\n",
                    s.failed - s.nfailures);
    }
    if (s.nunstarted > 0) {
        fprintf(stderr,
                "runs that could not start (not recorded; `vmbench run "
                "--resume %s` does them):\n",
                s.dir);
        for (size_t i = 0; i < s.nunstarted; i++)
            fprintf(stderr, "  %s  %s: %s\n", s.unstarted[i].dir,
                    s.unstarted[i].label, s.unstarted[i].error);
    }
    if (opts->not_started != NULL)
        *opts->not_started = s.nunstarted;
    rc = s.failed > 0 || s.nunstarted > 0 ? 1 : 0;
out:
    session_free(&s);
    free(matrix_text);
    free(work);
    return rc;
}
