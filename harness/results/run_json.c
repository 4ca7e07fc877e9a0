/*
 * run.json both ways (run_json.h). The keys below are the file's schema;
 * the writer and the reader use these names and no others.
 */
#include "results/run_json.h"

#include <math.h>
#include <string.h>

#include "base/util.h"
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
write_host(struct vmb_jw *w, const struct vmb_run_doc *d)
{
    const struct vmb_run_host *h = &d->host;
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
    vmb_jw_kstr(w, K_BY, a->vcpu_s >= 0 ? "vcpu" : "guest_clock");
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
    write_host(w, d);
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
    vmb_jw_kuint(w, K_NOT_STARTED, d->runs_not_started);
    vmb_jw_obj_end(w);
    vmb_jw_kbool(w, K_INTERRUPTED, d->interrupted);
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
