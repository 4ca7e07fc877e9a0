/*
 * One run's result.json and one cell's config.json, each value checked
 * before it is used (results_priv.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/matrix.h"
#include "load/load.h"
#include "results/results_priv.h"

/* ---- result.json ---- */

static void
read_latency(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
             struct vmb_res_latency *l)
{
    autofree char *p = vmb_xasprintf("%s.latency_us", pfx);
    l->mean = vmb_res_num(c, o, p, "mean", VMB_RES_NONNEG);
    l->p50 = vmb_res_num(c, o, p, "p50", VMB_RES_NONNEG);
    l->p95 = vmb_res_num(c, o, p, "p95", VMB_RES_NONNEG);
    l->p99 = vmb_res_num(c, o, p, "p99", VMB_RES_NONNEG);
    l->p999 = vmb_res_num(c, o, p, "p99.9", VMB_RES_NONNEG);
    l->max = vmb_res_num(c, o, p, "max", VMB_RES_NONNEG);
}

static void
read_percentiles(struct vmb_res_ctx *c, struct json_object *pc, const char *pfx,
                 struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(pc);
    p->percentiles = vmb_xcalloc(n ? n : 1, sizeof(*p->percentiles));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.percentiles[%zu]", pfx, i);
        struct json_object *pair = json_object_array_get_idx(pc, i);
        if (!json_object_is_type(pair, json_type_array) ||
            json_object_array_length(pair) != 2) {
            vmb_res_bad(c, at, NULL, "expected [percent, microseconds]");
            return;
        }
        double pct =
            vmb_res_num_of(c, json_object_array_get_idx(pair, 0), at, 0, 100);
        double v = vmb_res_num_of(c, json_object_array_get_idx(pair, 1), at,
                                  VMB_RES_NONNEG);
        if (isfinite(pct) && isfinite(v)) {
            p->percentiles[p->npercentiles][0] = pct;
            p->percentiles[p->npercentiles][1] = v;
            p->npercentiles++;
        }
    }
}

/* "failed_by": absent in results from before it was written. */
static void
read_failed_by(struct vmb_res_ctx *c, struct json_object *fb, const char *at,
               struct vmb_res_cap_step *s)
{
    if (fb == NULL)
        return;
    if (!json_object_is_type(fb, json_type_array)) {
        vmb_res_bad(c, at, "failed_by", "expected an array");
        return;
    }
    size_t n = json_object_array_length(fb);
    for (size_t i = 0; i < n; i++) {
        struct json_object *w = json_object_array_get_idx(fb, i);
        const char *name = json_object_is_type(w, json_type_string)
                               ? json_object_get_string(w)
                               : NULL;
        int k = 0;
        while (name != NULL && k < VMB_LOAD_CAP_NREASONS &&
               strcmp(name, vmb_load_cap_reason_name(k)) != 0)
            k++;
        if (name == NULL || k == VMB_LOAD_CAP_NREASONS) {
            vmb_res_bad(c, at, "failed_by",
                        "expected latency, rate, errors or cut");
            return;
        }
        s->failed_by |= 1u << k;
    }
}

static void
read_cap_steps(struct vmb_res_ctx *c, struct json_object *st, const char *pfx,
               struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(st);
    if (n > VMB_RES_MAX_CAP_STEPS) {
        vmb_res_bad(c, pfx, "capacity_steps",
                    "%zu steps, more than the %d a search runs", n,
                    VMB_RES_MAX_CAP_STEPS);
        return;
    }
    p->cap_steps = vmb_xcalloc(n ? n : 1, sizeof(*p->cap_steps));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.capacity_steps[%zu]", pfx, i);
        struct json_object *o = json_object_array_get_idx(st, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(c, at, NULL, "expected an object");
            return;
        }
        struct vmb_res_cap_step s = {
            .rate = vmb_res_num(c, o, at, "rate", VMB_RES_NONNEG),
            .achieved = vmb_res_num(c, o, at, "achieved", VMB_RES_NONNEG),
            .latency_us = vmb_res_num(c, o, at, "latency_us", VMB_RES_NONNEG),
        };
        struct json_object *ok = vmb_res_member(o, "ok");
        if (ok == NULL || !json_object_is_type(ok, json_type_boolean)) {
            vmb_res_bad(c, at, "ok", "expected true or false");
            continue;
        }
        s.ok = json_object_get_boolean(ok);
        read_failed_by(c, vmb_res_member(o, "failed_by"), at, &s);
        if (isfinite(s.rate) && isfinite(s.achieved) && isfinite(s.latency_us))
            p->cap_steps[p->ncap_steps++] = s;
    }
}

/*
 * The op names files (latency-<index>-<op>.hgrm) and charts: only the
 * load generator's own names are taken, and the name kept is its copy.
 */
static const char *
known_op(const char *op)
{
    for (int i = 0; op != NULL && i < VMB_NOPS; i++)
        if (strcmp(vmb_op_name(i), op) == 0)
            return vmb_op_name(i);
    return NULL;
}

/* Each tenant's part, in tenant order ("tenant" 1, 2, ...). */
static void
read_tenants(struct vmb_res_ctx *c, struct json_object *ts, const char *pfx,
             struct vmb_res_phase *p)
{
    size_t n = json_object_array_length(ts);
    if (n > VMB_RES_MAX_TENANTS) {
        vmb_res_bad(c, pfx, "tenants",
                    "%zu tenants, more than the %d a run has", n,
                    VMB_RES_MAX_TENANTS);
        return;
    }
    p->tenants = vmb_xcalloc(n ? n : 1, sizeof(*p->tenants));
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        autofree char *at = vmb_xasprintf("%s.tenants[%zu]", pfx, i);
        struct json_object *o = json_object_array_get_idx(ts, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(c, at, NULL, "expected an object");
            return;
        }
        int64_t k = 0;
        vmb_res_int(c, o, at, "tenant", 1, VMB_RES_MAX_TENANTS, &k);
        if (c->err == NULL && k != (int64_t)i + 1) {
            vmb_res_bad(c, at, "tenant", "expected %zu", i + 1);
            return;
        }
        struct vmb_res_tenant *t = &p->tenants[i];
        t->ops = vmb_res_num(c, o, at, "ops", VMB_RES_NONNEG);
        t->errors = vmb_res_num(c, o, at, "errors", VMB_RES_NONNEG);
        t->op_rate = vmb_res_num(c, o, at, "op_rate", VMB_RES_NONNEG);
        read_latency(c, vmb_res_obj(c, o, at, "latency_us"), at,
                     &t->latency_us);
        p->ntenants++;
    }
}

static void
read_phase(struct vmb_res_ctx *c, struct json_object *o, size_t pos,
           struct vmb_res_phase *p)
{
    autofree char *pfx = vmb_xasprintf("phases[%zu]", pos);
    if (!json_object_is_type(o, json_type_object)) {
        vmb_res_bad(c, pfx, NULL, "expected an object");
        return;
    }
    int64_t idx = (int64_t)pos;
    vmb_res_int(c, o, pfx, "index", 0, VMB_MATRIX_MAX_PHASES - 1, &idx);
    p->index = (int)idx;
    autofree char *op = vmb_res_str(c, o, pfx, "op");
    const char *name = known_op(op);
    if (name == NULL && vmb_res_member(o, "op") == NULL)
        vmb_res_bad(c, pfx, "op", "missing");
    else if (name == NULL && op != NULL)
        vmb_res_bad(c, pfx, "op",
                    "\"%.40s\" is not an op (write, read, "
                    "mixed)",
                    op);
    p->op = vmb_xstrdup(name ? name : "unknown");
    p->name = vmb_xasprintf("%d-%s", p->index, p->op);
    p->ops = vmb_res_num(c, o, pfx, "ops", VMB_RES_NONNEG);
    p->errors = vmb_res_num(c, o, pfx, "errors", VMB_RES_NONNEG);
    p->misses = vmb_res_num(c, o, pfx, "misses", VMB_RES_NONNEG);
    p->duration_s = vmb_res_num(c, o, pfx, "duration_s", VMB_RES_NONNEG);
    p->op_rate = vmb_res_num(c, o, pfx, "op_rate", VMB_RES_NONNEG);
    /* Capacity phases only; null when no step met the limit. */
    p->capacity = vmb_res_num(c, o, pfx, "capacity", VMB_RES_NONNEG);
    p->cap_percentile =
        vmb_res_num(c, o, pfx, "capacity_percentile", 0.0, 100.0);
    p->cap_limit_us =
        vmb_res_num(c, o, pfx, "capacity_limit_us", VMB_RES_NONNEG);
    struct json_object *st = vmb_res_arr(c, o, pfx, "capacity_steps");
    if (st != NULL)
        read_cap_steps(c, st, pfx, p);
    read_latency(c, vmb_res_obj(c, o, pfx, "latency_us"), pfx, &p->latency_us);
    struct json_object *pc = vmb_res_arr(c, o, pfx, "percentiles");
    if (pc != NULL)
        read_percentiles(c, pc, pfx, p);
    /* Several tenants only. */
    p->aggregate_op_rate =
        vmb_res_num(c, o, pfx, "aggregate_op_rate", VMB_RES_NONNEG);
    p->tenant_min_op_rate =
        vmb_res_num(c, o, pfx, "tenant_min_op_rate", VMB_RES_NONNEG);
    p->tenant_fairness = vmb_res_num(c, o, pfx, "tenant_fairness", 0.0, 1.0);
    struct json_object *ts = vmb_res_arr(c, o, pfx, "tenants");
    if (ts != NULL)
        read_tenants(c, ts, pfx, p);
}

static void
read_boot(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
          struct vmb_res_boot *b)
{
    b->domain_start_s =
        vmb_res_num(c, o, pfx, "domain_start_s", VMB_RES_NONNEG);
    b->kernel_s = vmb_res_num(c, o, pfx, "kernel_s", VMB_RES_NONNEG);
    b->agent_s = vmb_res_num(c, o, pfx, "agent_s", VMB_RES_NONNEG);
    b->mounts_s = vmb_res_num(c, o, pfx, "mounts_s", VMB_RES_NONNEG);
    b->db_ready_s = vmb_res_num(c, o, pfx, "db_ready_s", VMB_RES_NONNEG);
}

static void
read_phases(struct vmb_res_ctx *c, struct json_object *ph,
            struct vmb_res_rep *rep)
{
    size_t n = json_object_array_length(ph);
    if (n > VMB_MATRIX_MAX_PHASES) {
        vmb_res_bad(c, "phases", NULL,
                    "%zu phases, more than the %d a run "
                    "can have",
                    n, VMB_MATRIX_MAX_PHASES);
        return;
    }
    /* Grown one by one: a bad first phase costs no large allocation. */
    for (size_t i = 0; i < n && c->err == NULL; i++) {
        rep->phases = vmb_xrealloc(rep->phases, (i + 1) * sizeof(*rep->phases));
        memset(&rep->phases[i], 0, sizeof(rep->phases[i]));
        rep->nphases++;
        read_phase(c, json_object_array_get_idx(ph, i), i, &rep->phases[i]);
    }
}

/* One node of "memory": what it costs the host, and the guest's use. */
static void
read_mem_node(struct vmb_res_ctx *c, struct json_object *o, const char *at,
              double *host, double *guest_used)
{
    double pss = vmb_res_num(c, o, at, "pss_bytes", VMB_RES_NONNEG);
    double hp = vmb_res_num(c, o, at, "helpers_pss_bytes", VMB_RES_NONNEG);
    *host = pss + (isfinite(hp) ? hp : 0);
    *guest_used = vmb_res_num(c, o, at, "guest_used_bytes", VMB_RES_NONNEG);
}

/* "memory": each phase's tenants into the phase's figures. */
static void
read_memory(struct vmb_res_ctx *c, struct json_object *o,
            struct vmb_res_rep *rep)
{
    struct json_object *mem = vmb_res_obj(c, o, NULL, "memory");
    for (size_t i = 0; i < rep->nphases && c->err == NULL; i++) {
        struct vmb_res_phase *p = &rep->phases[i];
        p->host_mem_per_tenant = p->vm_overhead = NAN;
        for (size_t t = 0; t < p->ntenants; t++)
            p->tenants[t].host_mem = NAN;
        struct json_object *ts = vmb_res_arr(c, mem, "memory", p->name);
        size_t n = ts ? json_object_array_length(ts) : 0;
        if (n > VMB_RES_MAX_TENANTS) {
            vmb_res_bad(c, "memory", p->name, "%zu tenants, more than %d", n,
                        VMB_RES_MAX_TENANTS);
            return;
        }
        double host_sum = 0, over_sum = 0;
        size_t nhost = 0, nover = 0;
        for (size_t t = 0; t < n && c->err == NULL; t++) {
            autofree char *at = vmb_xasprintf("memory.%s[%zu]", p->name, t);
            struct json_object *to = json_object_array_get_idx(ts, t);
            double host[2] = {NAN, NAN}, used[2] = {NAN, NAN};
            /* A one-node engine's tenant (fio) has no node2. */
            int nodes = vmb_res_member(to, "node2") != NULL ? 2 : 1;
            for (int k = 0; k < nodes; k++)
                read_mem_node(c, vmb_res_obj(c, to, at, k ? "node2" : "node1"),
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

static void
read_result(struct vmb_res_ctx *c, struct json_object *o,
            struct vmb_res_rep *rep)
{
    int64_t k;
    if (vmb_res_int(c, o, NULL, "rep", 1, 100000, &k))
        rep->rep = (int)k;
    rep->status = vmb_res_str(c, o, NULL, "status");
    if (rep->status == NULL && c->err == NULL)
        vmb_res_bad(c, NULL, "status", "missing");
    else if (rep->status != NULL && strcmp(rep->status, "ok") != 0 &&
             strcmp(rep->status, "failed") != 0)
        vmb_res_bad(c, NULL, "status",
                    "\"%.40s\" is neither \"ok\" nor "
                    "\"failed\"",
                    rep->status);
    rep->ok = rep->status != NULL && strcmp(rep->status, "ok") == 0;
    rep->error = vmb_res_str(c, o, NULL, "error");
    rep->started = vmb_res_str(c, o, NULL, "started");
    rep->finished = vmb_res_str(c, o, NULL, "finished");
    rep->accel = vmb_res_str(c, o, NULL, "accel");
    struct json_object *ph = vmb_res_arr(c, o, NULL, "phases");
    if (ph != NULL)
        read_phases(c, ph, rep);
    struct json_object *boot = vmb_res_obj(c, o, NULL, "boot");
    rep->replica_sync_s = NAN;
    if (boot != NULL) {
        rep->has_boot = true;
        read_boot(c, vmb_res_obj(c, boot, "boot", "node1"), "boot.node1",
                  &rep->boot[0]);
        read_boot(c, vmb_res_obj(c, boot, "boot", "node2"), "boot.node2",
                  &rep->boot[1]);
        rep->replica_sync_s =
            vmb_res_num(c, boot, "boot", "replica_sync_s", VMB_RES_NONNEG);
    }
    rep->replication_lag_s =
        vmb_res_num(c, o, NULL, "replication_lag_s", VMB_RES_NONNEG);
    vmb_res_read_resources(c, o, rep);
    read_memory(c, o, rep);
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

void
vmb_res_rep_clear(struct vmb_res_rep *rep)
{
    if (rep == NULL)
        return;
    for (size_t i = 0; i < rep->nphases; i++) {
        free(rep->phases[i].op);
        free(rep->phases[i].name);
        free(rep->phases[i].percentiles);
        free(rep->phases[i].cap_steps);
        free(rep->phases[i].tenants);
    }
    free(rep->phases);
    free(rep->dir);
    free(rep->status);
    free(rep->error);
    free(rep->started);
    free(rep->finished);
    free(rep->accel);
    memset(rep, 0, sizeof(*rep));
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
    struct json_object *cfg = vmb_res_member(o, "config");
    if (cfg == NULL || !json_object_is_type(cfg, json_type_object))
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "no \"config\" object");
    vmb_config_defaults(&c->cfg);
    c->has_config = true;
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        struct json_object *so =
            vmb_res_member(cfg, s->name[0] ? s->name : "run");
        if (so == NULL || !json_object_is_type(so, json_type_object))
            continue;
        if (parse_options(c, s->name, s->options, s->noptions,
                          (char *)&c->cfg + s->offset, so, err) < 0)
            return -1;
    }
    struct json_object *ph = vmb_res_member(cfg, "phases");
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
    autofree char *label = vmb_res_str(&ctx, o, NULL, "label");
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
