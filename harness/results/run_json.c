/*
 * run.json both ways (run_json.h). The keys below are the file's schema;
 * the writer and the reader use these names and no others.
 */
#include "results/run_json.h"

#include <math.h>
#include <string.h>

#include "base/util.h"
#include "config/shard.h"
#include "results/results_priv.h"

static const char K_SCHEMA[] = "schema";
static const char K_VMBENCH[] = "vmbench";
static const char K_VERSION[] = "version";
static const char K_GIT[] = "git";
static const char K_MATRIX[] = "matrix";
static const char K_NAME[] = "name";
static const char K_STARTED[] = "started";
static const char K_FINISHED[] = "finished";
static const char K_RESUMED[] = "resumed";
static const char K_SEED[] = "seed";
static const char K_PLAN[] = "plan";
static const char K_SHARD[] = "shard";
static const char K_INDEX[] = "index";
static const char K_COUNT[] = "count";
static const char K_KATA[] = "kata";
static const char K_KATA_BASE[] = "base";
static const char K_KATA_UNMODELLED[] = "not_modelled";
static const char K_HOST[] = "host";
static const char K_HOSTNAME[] = "hostname";
static const char K_CPU[] = "cpu";
static const char K_CPUS[] = "cpus";
static const char K_MEMORY[] = "memory_bytes";
static const char K_KERNEL[] = "kernel";
static const char K_GOVERNOR[] = "cpufreq_governor";
static const char K_THP[] = "thp";
static const char K_KSM[] = "ksm";
static const char K_VERSIONS[] = "versions";
static const char K_ACCEL[] = "accel";
static const char K_REQUESTED[] = "requested";
static const char K_USED[] = "used";
static const char K_FALLBACK[] = "fallback";
static const char K_PROBE_S[] = "probe_s";
static const char K_NOTE[] = "note";
static const char K_VHOST_NET[] = "vhost_net";
static const char K_VHOST_VSOCK[] = "vhost_vsock";
static const char K_AGENT_TRANSPORT[] = "agent_transport";
static const char K_AUTO[] = "auto";
static const char K_WHY[] = "why";
static const char K_TCG_SLOWDOWN[] = "tcg_slowdown";
static const char K_TCG_CALIB[] = "tcg_calibration";
static const char K_ITERS[] = "iters";
static const char K_ROUNDS[] = "rounds";
static const char K_PINNED_CPU[] = "pinned_cpu";
static const char K_HOST_CPU_S[] = "host_cpu_s";
static const char K_VCPU_S[] = "guest_vcpu_s";
static const char K_CLOCK_S[] = "guest_clock_s";
static const char K_REQUEST_S[] = "request_s";
static const char K_BY[] = "by";
static const char K_HOST_CPUS[] = "host_cpus";
static const char K_OVERSUB[] = "oversubscribed";
static const char K_ID[] = "id";
static const char K_KIND[] = "kind";
static const char K_TENANTS[] = "tenants";
static const char K_CPUS_NEEDED[] = "cpus_needed";
static const char K_DOCTOR[] = "doctor";
static const char K_CHECK[] = "check";
static const char K_STATUS[] = "status";
static const char K_DETAIL[] = "detail";
static const char K_FIX[] = "fix";
static const char K_RUNS[] = "runs";
static const char K_TOTAL[] = "total";
static const char K_OK[] = "ok";
static const char K_FAILED[] = "failed";
static const char K_NOT_STARTED[] = "not_started";
static const char K_INTERRUPTED[] = "interrupted";
static const char K_MERGED[] = "merged";
static const char K_MISSING[] = "missing";
static const char K_SHARDS[] = "shards";
static const char K_DIR[] = "dir";
static const char K_CELLS[] = "cells";
static const char K_CONTROLS[] = "controls";
static const char K_CALIBRATION[] = "calibration";
static const char BY_VCPU[] = "vcpu";
static const char BY_CLOCK[] = "guest_clock";

/* ---- writing ---- */

void
vmb_run_json_checks(struct vmb_jw *w, const struct vmb_run_check *c, size_t n)
{
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_CHECK, c[i].check);
        vmb_jw_kstr(w, K_STATUS, c[i].status);
        vmb_jw_kstr(w, K_DETAIL, c[i].detail);
        vmb_jw_kstr(w, K_FIX, c[i].fix);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
}

static void
write_host(struct vmb_jw *w, const struct vmb_run_host *h)
{
    vmb_jw_key(w, K_HOST);
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_HOSTNAME, h->hostname);
    vmb_jw_kstr(w, K_CPU, h->cpu);
    vmb_jw_kint(w, K_CPUS, h->cpus);
    vmb_jw_kuint(w, K_MEMORY, h->memory_bytes);
    vmb_jw_kstr(w, K_KERNEL, h->kernel);
    vmb_jw_kstr(w, K_GOVERNOR, h->governor);
    vmb_jw_kstr(w, K_THP, h->thp);
    vmb_jw_kstr(w, K_KSM, h->ksm);
    vmb_jw_obj_end(w);
}

static void
write_versions(struct vmb_jw *w, const struct vmb_run_doc *d)
{
    vmb_jw_key(w, K_VERSIONS);
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < d->nversions; i++)
        vmb_jw_kstr(w, d->versions[i].key, d->versions[i].value);
    vmb_jw_obj_end(w);
}

static void
write_accel(struct vmb_jw *w, const struct vmb_run_accel *a)
{
    vmb_jw_key(w, K_ACCEL);
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_REQUESTED, a->requested);
    vmb_jw_kstr(w, K_USED, a->vm_env ? a->used : NULL);
    if (a->vm_env) {
        vmb_jw_kbool(w, K_FALLBACK, a->fallback);
        vmb_jw_kdouble(w, K_PROBE_S, a->probe_s);
    }
    vmb_jw_kstr(w, K_NOTE, a->note);
    vmb_jw_obj_end(w);
    if (!a->vm_env)
        return;
    /* Whether a cell that asks for vhost can have it (else it is refused,
     * or runs without it under network.vhost_fallback). */
    vmb_jw_kbool(w, K_VHOST_NET, a->vhost_net);
    /* The agent's channel: vsock as Kata's where it can be, else
     * virtio-serial, and why. */
    vmb_jw_kbool(w, K_VHOST_VSOCK, a->vhost_vsock);
    vmb_jw_key(w, K_AGENT_TRANSPORT);
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_AUTO, a->agent_transport);
    vmb_jw_kstr(w, K_WHY, a->agent_transport_why);
    vmb_jw_obj_end(w);
    vmb_jw_key(w, K_TCG_SLOWDOWN);
    if (a->tcg_slowdown > 0)
        vmb_jw_double(w, a->tcg_slowdown);
    else
        vmb_jw_null(w);
    vmb_jw_key(w, K_TCG_CALIB);
    if (a->tcg_slowdown <= 0) {
        vmb_jw_null(w);
        return;
    }
    vmb_jw_obj_begin(w);
    vmb_jw_kuint(w, K_ITERS, a->iters);
    vmb_jw_kint(w, K_ROUNDS, a->rounds);
    vmb_jw_key(w, K_PINNED_CPU);
    if (a->pinned_cpu >= 0)
        vmb_jw_int(w, a->pinned_cpu);
    else
        vmb_jw_null(w);
    vmb_jw_kdouble(w, K_HOST_CPU_S, a->host_cpu_s);
    vmb_jw_key(w, K_VCPU_S);
    if (a->vcpu_s >= 0)
        vmb_jw_double(w, a->vcpu_s);
    else
        vmb_jw_null(w);
    vmb_jw_kdouble(w, K_CLOCK_S, a->guest_clock_s);
    vmb_jw_kdouble(w, K_REQUEST_S, a->request_s);
    vmb_jw_kstr(w, K_BY, a->vcpu_s >= 0 ? BY_VCPU : BY_CLOCK);
    vmb_jw_obj_end(w);
}

static void
write_ids(struct vmb_jw *w, const char *key, const char **ids, size_t n)
{
    vmb_jw_key(w, key);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        vmb_jw_str(w, ids[i]);
    vmb_jw_arr_end(w);
}

static void
write_merged(struct vmb_jw *w, const struct vmb_run_merged *m)
{
    vmb_jw_key(w, K_MERGED);
    vmb_jw_obj_begin(w);
    vmb_jw_kuint(w, K_COUNT, m->count);
    vmb_jw_key(w, K_MISSING);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < m->nmissing; i++)
        vmb_jw_uint(w, m->missing[i]);
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_SHARDS);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < m->nshards; i++) {
        const struct vmb_run_merged_shard *s = &m->shards[i];
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, K_INDEX, s->index);
        vmb_jw_kstr(w, K_DIR, s->dir);
        write_host(w, &s->host);
        write_ids(w, K_CELLS, s->cells, s->ncells);
        write_ids(w, K_CONTROLS, s->controls, s->ncontrols);
        vmb_jw_kstr(w, K_CALIBRATION, s->calibration);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

void
vmb_run_json_write(struct vmb_jw *w, const struct vmb_run_doc *d)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, K_SCHEMA, 1);
    vmb_jw_key(w, K_VMBENCH);
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_VERSION, d->version);
    vmb_jw_kstr(w, K_GIT, d->git);
    vmb_jw_obj_end(w);
    vmb_jw_kstr(w, K_MATRIX, d->matrix);
    vmb_jw_kstr(w, K_NAME, d->name);
    vmb_jw_kstr(w, K_STARTED, d->started);
    vmb_jw_kstr(w, K_FINISHED, d->finished);
    vmb_jw_key(w, K_RESUMED);
    vmb_jw_arr_begin(w);
    if (d->resumed_items != NULL && d->resumed_items[0] != '\0')
        vmb_jw_raw(w, d->resumed_items);
    vmb_jw_arr_end(w);
    vmb_jw_kuint(w, K_SEED, d->seed);
    vmb_jw_kstr(w, K_PLAN, d->plan_id);
    vmb_jw_key(w, K_SHARD);
    if (d->has_shard) {
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, K_INDEX, d->shard_index);
        vmb_jw_kuint(w, K_COUNT, d->shard_count);
        vmb_jw_obj_end(w);
    } else {
        vmb_jw_null(w);
    }
    vmb_jw_key(w, K_KATA);
    if (d->kata_base != NULL) {
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_KATA_BASE, d->kata_base);
        vmb_jw_kstr(w, K_KATA_UNMODELLED, d->kata_unmodelled);
        vmb_jw_obj_end(w);
    } else {
        vmb_jw_null(w);
    }
    write_host(w, &d->host);
    write_versions(w, d);
    write_accel(w, &d->accel);
    vmb_jw_kint(w, K_HOST_CPUS, d->host_cpus);
    vmb_jw_key(w, K_OVERSUB);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < d->noversub; i++) {
        const struct vmb_run_oversub *o = &d->oversub[i];
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_ID, o->id);
        vmb_jw_kstr(w, K_KIND, o->kind);
        vmb_jw_kint(w, K_TENANTS, o->tenants);
        vmb_jw_kint(w, K_CPUS_NEEDED, o->cpus_needed);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_DOCTOR);
    if (d->has_doctor)
        vmb_run_json_checks(w, d->checks, d->nchecks);
    else
        vmb_jw_null(w);
    vmb_jw_key(w, K_RUNS);
    vmb_jw_obj_begin(w);
    vmb_jw_kuint(w, K_TOTAL, d->runs_total);
    vmb_jw_kuint(w, K_OK, d->runs_ok);
    vmb_jw_kuint(w, K_FAILED, d->runs_failed);
    if (d->merged == NULL)
        vmb_jw_kuint(w, K_NOT_STARTED, d->runs_not_started);
    vmb_jw_obj_end(w);
    vmb_jw_kbool(w, K_INTERRUPTED, d->interrupted);
    if (d->merged != NULL)
        write_merged(w, d->merged);
    vmb_jw_obj_end(w);
}

/* ---- reading ---- */

static void
read_host(struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_res_run *run = &x->r->run;
    struct json_object *h = vmb_res_obj(x, o, NULL, K_HOST);
    run->hostname = vmb_res_str(x, h, K_HOST, K_HOSTNAME);
    run->cpu = vmb_res_str(x, h, K_HOST, K_CPU);
    run->cpus = vmb_res_num(x, h, K_HOST, K_CPUS, VMB_RES_NONNEG);
    run->memory_bytes = vmb_res_num(x, h, K_HOST, K_MEMORY, VMB_RES_NONNEG);
    run->kernel = vmb_res_str(x, h, K_HOST, K_KERNEL);
    run->governor = vmb_res_str(x, h, K_HOST, K_GOVERNOR);
    run->thp = vmb_res_str(x, h, K_HOST, K_THP);
    run->ksm = vmb_res_str(x, h, K_HOST, K_KSM);
    struct json_object *vers = vmb_res_obj(x, o, NULL, K_VERSIONS);
    if (vers == NULL)
        return;
    json_object_object_foreach(vers, key, val)
    {
        if (!json_object_is_type(val, json_type_string)) {
            vmb_res_bad(x, K_VERSIONS, key, "expected a string");
            continue;
        }
        run->versions = vmb_xrealloc(run->versions, (run->nversions + 1) *
                                                        sizeof(*run->versions));
        run->versions[run->nversions].key = vmb_xstrdup(key);
        run->versions[run->nversions].value =
            vmb_xstrdup(json_object_get_string(val));
        run->nversions++;
    }
}

static void
read_doctor(struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_res_run *run = &x->r->run;
    struct json_object *doc = vmb_res_arr(x, o, NULL, K_DOCTOR);
    if (doc == NULL)
        return;
    size_t n = json_object_array_length(doc);
    run->doctor = vmb_xcalloc(n ? n : 1, sizeof(*run->doctor));
    for (size_t i = 0; i < n; i++) {
        autofree char *at = vmb_xasprintf("%s[%zu]", K_DOCTOR, i);
        struct json_object *c = json_object_array_get_idx(doc, i);
        if (!json_object_is_type(c, json_type_object)) {
            vmb_res_bad(x, at, NULL, "expected an object");
            continue;
        }
        struct vmb_res_check *d = &run->doctor[run->ndoctor++];
        d->check = vmb_res_str(x, c, at, K_CHECK);
        d->status = vmb_res_str(x, c, at, K_STATUS);
        d->detail = vmb_res_str(x, c, at, K_DETAIL);
    }
}

static void
read_accel(struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_res_run *run = &x->r->run;
    struct json_object *a = vmb_res_member(o, K_ACCEL);
    if (a != NULL && json_object_is_type(a, json_type_string)) {
        run->accel_used = vmb_xstrdup(json_object_get_string(a));
    } else {
        a = vmb_res_obj(x, o, NULL, K_ACCEL);
        run->accel_requested = vmb_res_str(x, a, K_ACCEL, K_REQUESTED);
        run->accel_used = vmb_res_str(x, a, K_ACCEL, K_USED);
        run->accel_note = vmb_res_str(x, a, K_ACCEL, K_NOTE);
    }
    /* Guest CPU under TCG this many times slower than the host's. */
    run->tcg_slowdown = vmb_res_num(x, o, NULL, K_TCG_SLOWDOWN, 0, 1e6);
    struct json_object *cal = vmb_res_obj(x, o, NULL, K_TCG_CALIB);
    double host_s =
        vmb_res_num(x, cal, K_TCG_CALIB, K_HOST_CPU_S, VMB_RES_NONNEG);
    double clock_s =
        vmb_res_num(x, cal, K_TCG_CALIB, K_CLOCK_S, VMB_RES_NONNEG);
    run->tcg_clock_slowdown = host_s > 0 ? clock_s / host_s : NAN;
    struct json_object *vh = vmb_res_member(o, K_VHOST_NET);
    if (vh != NULL && !json_object_is_type(vh, json_type_boolean))
        vmb_res_bad(x, NULL, K_VHOST_NET, "expected true or false");
    else if (vh != NULL)
        run->no_vhost_net = !json_object_get_boolean(vh);
}

void
vmb_res_read_run(struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_res_run *run = &x->r->run;
    run->present = true;
    run->name = vmb_res_str(x, o, NULL, K_NAME);
    run->matrix = vmb_res_str(x, o, NULL, K_MATRIX);
    struct json_object *v = vmb_res_obj(x, o, NULL, K_VMBENCH);
    run->version = vmb_res_str(x, v, K_VMBENCH, K_VERSION);
    run->git = vmb_res_str(x, v, K_VMBENCH, K_GIT);
    run->started = vmb_res_str(x, o, NULL, K_STARTED);
    run->finished = vmb_res_str(x, o, NULL, K_FINISHED);
    run->has_seed = vmb_res_seed(x, o, NULL, K_SEED, &run->seed);
    read_host(x, o);
    read_accel(x, o);
    read_doctor(x, o);
    struct json_object *runs = vmb_res_obj(x, o, NULL, K_RUNS);
    run->runs_total = vmb_res_num(x, runs, K_RUNS, K_TOTAL, VMB_RES_NONNEG);
    run->runs_ok = vmb_res_num(x, runs, K_RUNS, K_OK, VMB_RES_NONNEG);
    run->runs_failed = vmb_res_num(x, runs, K_RUNS, K_FAILED, VMB_RES_NONNEG);
    struct json_object *res = vmb_res_arr(x, o, NULL, K_RESUMED);
    for (size_t i = 0; res != NULL && i < json_object_array_length(res); i++) {
        struct json_object *t = json_object_array_get_idx(res, i);
        if (!json_object_is_type(t, json_type_string)) {
            vmb_res_bad(x, K_RESUMED, NULL, "expected strings");
            continue;
        }
        run->resumed = vmb_xrealloc(run->resumed, (run->nresumed + 1) *
                                                      sizeof(*run->resumed));
        run->resumed[run->nresumed++] = vmb_xstrdup(json_object_get_string(t));
    }
}

static void
read_ids(struct vmb_res_ctx *x, struct json_object *o, const char *at,
         const char *key, struct vmb_res_host *h)
{
    struct json_object *a = vmb_res_arr(x, o, at, key);
    for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
        struct json_object *v = json_object_array_get_idx(a, i);
        const char *id = json_object_is_type(v, json_type_string)
                             ? json_object_get_string(v)
                             : NULL;
        if (id == NULL || !vmb_res_valid_id(id)) {
            vmb_res_bad(x, at, key, "expected 12-digit hexadecimal ids");
            continue;
        }
        h->ids = vmb_xrealloc(h->ids, (h->nids + 1) * sizeof(*h->ids));
        h->ids[h->nids++] = vmb_xstrdup(id);
    }
}

void
vmb_res_read_merged(struct vmb_res_ctx *x, struct json_object *run)
{
    struct vmb_results *r = x->r;
    struct json_object *m = vmb_res_obj(x, run, NULL, K_MERGED);
    int64_t count;
    if (m == NULL ||
        !vmb_res_int(x, m, K_MERGED, K_COUNT, 1, VMB_SHARDS_MAX, &count))
        return;
    r->merged_count = (size_t)count;
    struct json_object *a = vmb_res_arr(x, m, K_MERGED, K_SHARDS);
    size_t n = a ? json_object_array_length(a) : 0;
    if (n > (size_t)count) {
        vmb_res_bad(x, K_MERGED, K_SHARDS, "more than its count");
        return;
    }
    r->hosts = vmb_xcalloc(n + 1, sizeof(*r->hosts));
    for (size_t i = 0; i < n; i++) {
        autofree char *at = vmb_xasprintf("%s.%s[%zu]", K_MERGED, K_SHARDS, i);
        struct json_object *o = json_object_array_get_idx(a, i);
        int64_t k;
        if (!json_object_is_type(o, json_type_object) ||
            !vmb_res_int(x, o, at, K_INDEX, 0, count - 1, &k)) {
            vmb_res_bad(x, at, NULL, "expected a shard with its index");
            continue;
        }
        struct vmb_res_host *h = &r->hosts[r->nhosts++];
        h->shard = (size_t)k;
        struct json_object *host = vmb_res_obj(x, o, at, K_HOST);
        h->hostname = vmb_res_str(x, host, at, K_HOSTNAME);
        h->cpu = vmb_res_str(x, host, at, K_CPU);
        h->kernel = vmb_res_str(x, host, at, K_KERNEL);
        read_ids(x, o, at, K_CELLS, h);
        read_ids(x, o, at, K_CONTROLS, h);
        autofree char *cal = vmb_res_str(x, o, at, K_CALIBRATION);
        if (cal != NULL && vmb_res_valid_id(cal)) {
            struct vmb_res_cell *c = vmb_xcalloc(1, sizeof(*c));
            c->id = steal(&cal);
            c->control = true;
            c->calibration = true;
            c->dir = vmb_xasprintf("%s/hosts/shard-%zu/control/%s", r->dir,
                                   h->shard, c->id);
            h->calibration = c;
        } else if (cal != NULL) {
            vmb_res_bad(x, at, K_CALIBRATION,
                        "expected a 12-digit hexadecimal id");
        }
    }
}

/* ---- reading back whole (merge) ---- */

/* A string of o's, owned by f; NULL when missing or null. */
static const char *
file_str(struct vmb_run_file *f, struct vmb_res_ctx *x, struct json_object *o,
         const char *pfx, const char *key)
{
    char *s = vmb_res_str(x, o, pfx, key);
    if (s == NULL)
        return NULL;
    f->strs = vmb_xrealloc(f->strs, (f->nstrs + 1) * sizeof(*f->strs));
    f->strs[f->nstrs++] = s;
    return s;
}

static bool
file_bool(struct vmb_res_ctx *x, struct json_object *o, const char *pfx,
          const char *key)
{
    struct json_object *v = vmb_res_member(o, key);
    if (v != NULL && !json_object_is_type(v, json_type_boolean)) {
        vmb_res_bad(x, pfx, key, "expected true or false");
        return false;
    }
    return v != NULL && json_object_get_boolean(v);
}

/* A count or size: an integer from 0 to 2^64 - 1; 0 when missing. */
static uint64_t
file_uint(struct vmb_res_ctx *x, struct json_object *o, const char *pfx,
          const char *key)
{
    uint64_t v = 0;
    return vmb_res_seed(x, o, pfx, key, &v) ? v : 0;
}

static int64_t
file_int(struct vmb_res_ctx *x, struct json_object *o, const char *pfx,
         const char *key, int64_t min, int64_t max, int64_t missing)
{
    int64_t v = missing;
    return vmb_res_int(x, o, pfx, key, min, max, &v) ? v : missing;
}

/* A figure that is null (or missing) where it was not measured. */
static double
file_num(struct vmb_res_ctx *x, struct json_object *o, const char *pfx,
         const char *key, double missing)
{
    double v = vmb_res_num(x, o, pfx, key, VMB_RES_NONNEG);
    return isnan(v) ? missing : v;
}

static void
file_host(struct vmb_run_file *f, struct vmb_res_ctx *x, struct json_object *h,
          const char *at, struct vmb_run_host *out)
{
    out->hostname = file_str(f, x, h, at, K_HOSTNAME);
    out->cpu = file_str(f, x, h, at, K_CPU);
    out->cpus = (long)file_int(x, h, at, K_CPUS, 0, INT32_MAX, 0);
    out->memory_bytes = file_uint(x, h, at, K_MEMORY);
    out->kernel = file_str(f, x, h, at, K_KERNEL);
    out->governor = file_str(f, x, h, at, K_GOVERNOR);
    out->thp = file_str(f, x, h, at, K_THP);
    out->ksm = file_str(f, x, h, at, K_KSM);
}

static void
file_versions(struct vmb_run_file *f, struct vmb_res_ctx *x,
              struct json_object *o)
{
    struct json_object *vers = vmb_res_obj(x, o, NULL, K_VERSIONS);
    size_t n = vers ? (size_t)json_object_object_length(vers) : 0;
    f->versions = vmb_xcalloc(n ? n : 1, sizeof(*f->versions));
    if (vers == NULL)
        return;
    json_object_object_foreach(vers, key, val)
    {
        (void)val;
        struct vmb_run_version *v = &f->versions[f->doc.nversions++];
        v->value = file_str(f, x, vers, K_VERSIONS, key);
        f->strs = vmb_xrealloc(f->strs, (f->nstrs + 1) * sizeof(*f->strs));
        v->key = f->strs[f->nstrs++] = vmb_xstrdup(key);
    }
}

static void
file_accel(struct vmb_run_file *f, struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_run_accel *a = &f->doc.accel;
    struct json_object *ao = vmb_res_obj(x, o, NULL, K_ACCEL);
    a->requested = file_str(f, x, ao, K_ACCEL, K_REQUESTED);
    a->used = file_str(f, x, ao, K_ACCEL, K_USED);
    a->note = file_str(f, x, ao, K_ACCEL, K_NOTE);
    /* What a VM environment measured is there when one was opened. */
    a->vm_env = vmb_res_member(ao, K_FALLBACK) != NULL;
    if (!a->vm_env)
        return;
    a->fallback = file_bool(x, ao, K_ACCEL, K_FALLBACK);
    a->probe_s = file_num(x, ao, K_ACCEL, K_PROBE_S, 0);
    a->vhost_net = file_bool(x, o, NULL, K_VHOST_NET);
    a->tcg_slowdown = file_num(x, o, NULL, K_TCG_SLOWDOWN, 0);
    struct json_object *cal = vmb_res_obj(x, o, NULL, K_TCG_CALIB);
    a->iters = file_uint(x, cal, K_TCG_CALIB, K_ITERS);
    a->rounds = (int)file_int(x, cal, K_TCG_CALIB, K_ROUNDS, 0, INT32_MAX, 0);
    a->pinned_cpu =
        (int)file_int(x, cal, K_TCG_CALIB, K_PINNED_CPU, 0, INT32_MAX, -1);
    a->host_cpu_s = file_num(x, cal, K_TCG_CALIB, K_HOST_CPU_S, 0);
    a->vcpu_s = file_num(x, cal, K_TCG_CALIB, K_VCPU_S, -1);
    a->guest_clock_s = file_num(x, cal, K_TCG_CALIB, K_CLOCK_S, 0);
    a->request_s = file_num(x, cal, K_TCG_CALIB, K_REQUEST_S, 0);
}

/* Array member key of o: each element an object, or a bad field. */
static size_t
file_objects(struct vmb_res_ctx *x, struct json_object *o, const char *key,
             struct json_object **arr)
{
    *arr = vmb_res_arr(x, o, NULL, key);
    size_t n = *arr ? json_object_array_length(*arr) : 0;
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(*arr, i),
                                 json_type_object)) {
            vmb_res_bad(x, key, NULL, "expected objects");
            return 0;
        }
    return n;
}

static void
file_lists(struct vmb_run_file *f, struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_run_doc *d = &f->doc;
    struct json_object *a = NULL;
    size_t n = file_objects(x, o, K_OVERSUB, &a);
    f->oversub = vmb_xcalloc(n ? n : 1, sizeof(*f->oversub));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(a, i);
        f->oversub[i] = (struct vmb_run_oversub){
            .id = file_str(f, x, e, K_OVERSUB, K_ID),
            .kind = file_str(f, x, e, K_OVERSUB, K_KIND),
            .tenants = file_int(x, e, K_OVERSUB, K_TENANTS, 0, INT32_MAX, 0),
            .cpus_needed =
                file_int(x, e, K_OVERSUB, K_CPUS_NEEDED, 0, INT32_MAX, 0),
        };
    }
    d->oversub = f->oversub;
    d->noversub = n;
    d->has_doctor =
        vmb_res_member(o, K_DOCTOR) != NULL &&
        !json_object_is_type(vmb_res_member(o, K_DOCTOR), json_type_null);
    n = file_objects(x, o, K_DOCTOR, &a);
    f->checks = vmb_xcalloc(n ? n : 1, sizeof(*f->checks));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(a, i);
        f->checks[i] = (struct vmb_run_check){
            .check = file_str(f, x, e, K_DOCTOR, K_CHECK),
            .status = file_str(f, x, e, K_DOCTOR, K_STATUS),
            .detail = file_str(f, x, e, K_DOCTOR, K_DETAIL),
            .fix = file_str(f, x, e, K_DOCTOR, K_FIX),
        };
    }
    d->checks = f->checks;
    d->nchecks = n;
}

/* "resumed" as the raw items the writer takes. */
static void
file_resumed(struct vmb_run_file *f, struct vmb_res_ctx *x,
             struct json_object *o)
{
    struct json_object *res = vmb_res_arr(x, o, NULL, K_RESUMED);
    struct vmb_buf b = {0};
    for (size_t i = 0; res != NULL && i < json_object_array_length(res); i++) {
        struct json_object *t = json_object_array_get_idx(res, i);
        if (!json_object_is_type(t, json_type_string)) {
            vmb_res_bad(x, K_RESUMED, NULL, "expected strings");
            break;
        }
        if (i > 0)
            vmb_buf_puts(&b, ",");
        vmb_json_escape(&b, json_object_get_string(t));
    }
    if (b.len == 0) {
        vmb_buf_free(&b);
        return;
    }
    f->strs = vmb_xrealloc(f->strs, (f->nstrs + 1) * sizeof(*f->strs));
    f->doc.resumed_items = f->strs[f->nstrs++] = b.data;
}

static void
file_doc(struct vmb_run_file *f, struct vmb_res_ctx *x, struct json_object *o)
{
    struct vmb_run_doc *d = &f->doc;
    struct json_object *v = vmb_res_obj(x, o, NULL, K_VMBENCH);
    d->version = file_str(f, x, v, K_VMBENCH, K_VERSION);
    d->git = file_str(f, x, v, K_VMBENCH, K_GIT);
    d->matrix = file_str(f, x, o, NULL, K_MATRIX);
    d->name = file_str(f, x, o, NULL, K_NAME);
    d->started = file_str(f, x, o, NULL, K_STARTED);
    d->finished = file_str(f, x, o, NULL, K_FINISHED);
    file_resumed(f, x, o);
    d->seed = file_uint(x, o, NULL, K_SEED);
    d->plan_id = file_str(f, x, o, NULL, K_PLAN);
    struct json_object *sh = vmb_res_obj(x, o, NULL, K_SHARD);
    d->has_shard = sh != NULL;
    d->shard_index = file_uint(x, sh, K_SHARD, K_INDEX);
    d->shard_count = file_uint(x, sh, K_SHARD, K_COUNT);
    struct json_object *k = vmb_res_obj(x, o, NULL, K_KATA);
    d->kata_base = file_str(f, x, k, K_KATA, K_KATA_BASE);
    d->kata_unmodelled = file_str(f, x, k, K_KATA, K_KATA_UNMODELLED);
    file_host(f, x, vmb_res_obj(x, o, NULL, K_HOST), K_HOST, &d->host);
    file_versions(f, x, o);
    d->versions = f->versions;
    file_accel(f, x, o);
    d->host_cpus = (int)file_int(x, o, NULL, K_HOST_CPUS, 0, INT32_MAX, 0);
    file_lists(f, x, o);
    struct json_object *runs = vmb_res_obj(x, o, NULL, K_RUNS);
    d->runs_total = file_uint(x, runs, K_RUNS, K_TOTAL);
    d->runs_ok = file_uint(x, runs, K_RUNS, K_OK);
    d->runs_failed = file_uint(x, runs, K_RUNS, K_FAILED);
    d->runs_not_started = file_uint(x, runs, K_RUNS, K_NOT_STARTED);
    d->interrupted = file_bool(x, o, NULL, K_INTERRUPTED);
}

int
vmb_run_json_read(const char *path, struct vmb_run_file *f,
                  struct vmb_error **err)
{
    memset(f, 0, sizeof(*f));
    struct json_object *o = NULL;
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx x = {.path = path};
    file_doc(f, &x, o);
    json_object_put(o);
    if (x.err != NULL) {
        vmb_run_file_free(f);
        *err = x.err;
        return -1;
    }
    return 0;
}

void
vmb_run_file_free(struct vmb_run_file *f)
{
    for (size_t i = 0; i < f->nstrs; i++)
        free(f->strs[i]);
    free(f->strs);
    free(f->versions);
    free(f->checks);
    free(f->oversub);
    memset(f, 0, sizeof(*f));
}
