#include "report/results.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

static void
json_putp(struct json_object **o)
{
    if (*o != NULL)
        json_object_put(*o);
}
#define autojson __attribute__((cleanup(json_putp)))

static bool
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Parses a JSON object file; shows where it broke, since users edit these. */
static int
load_object(const char *path, struct json_object **out, struct vmb_error **err)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file(path, &text, &len, err) < 0)
        return -1;
    struct json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, ENOMEM, "parse \"%s\"", path);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t at = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (o == NULL || jerr != json_tokener_success) {
        if (o != NULL)
            json_object_put(o);
        int line = 1;
        for (size_t i = 0; i < at && i < len; i++)
            line += text[i] == '\n';
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s:%d: malformed JSON: %s", path, line,
                             jerr == json_tokener_success
                                 ? "unexpected end of input"
                                 : json_tokener_error_desc(jerr));
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: expected a JSON object", path);
    }
    struct json_object *schema;
    if (json_object_object_get_ex(o, "schema", &schema) &&
        json_object_get_int(schema) != 1) {
        int v = json_object_get_int(schema);
        json_object_put(o);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: unsupported schema %d (this vmbench reads "
                             "schema 1)",
                             path, v);
    }
    *out = o;
    return 0;
}

static struct json_object *
member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (o == NULL || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static char *
get_str(struct json_object *o, const char *key)
{
    struct json_object *v = member(o, key);
    if (v == NULL || json_object_is_type(v, json_type_null))
        return NULL;
    return vmb_xstrdup(json_object_get_string(v));
}

static double
num_of(struct json_object *v)
{
    if (v == NULL)
        return NAN;
    switch (json_object_get_type(v)) {
    case json_type_int:
    case json_type_double:
        return json_object_get_double(v);
    case json_type_string: {
        char *end;
        const char *s = json_object_get_string(v);
        double d = strtod(s, &end);
        return end != s && *end == '\0' ? d : NAN;
    }
    default:
        return NAN;
    }
}

static double
get_num(struct json_object *o, const char *key)
{
    return num_of(member(o, key));
}

static void
push_str(char ***arr, size_t *n, char *s)
{
    *arr = vmb_xrealloc(*arr, (*n + 1) * sizeof(**arr));
    (*arr)[(*n)++] = s;
}

static void
warn(struct vmb_results *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(struct vmb_results *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    push_str(&r->warnings, &r->nwarnings, s);
}

/* ---- result.json ---- */

static void
read_latency(struct json_object *o, struct vmb_res_latency *l)
{
    l->mean = get_num(o, "mean");
    l->p50 = get_num(o, "p50");
    l->p95 = get_num(o, "p95");
    l->p99 = get_num(o, "p99");
    l->p999 = get_num(o, "p99.9");
    l->max = get_num(o, "max");
}

static void
read_phase(struct json_object *o, size_t pos, struct vmb_res_phase *p)
{
    double idx = get_num(o, "index");
    p->index = isfinite(idx) ? (int)idx : (int)pos;
    p->op = get_str(o, "op");
    if (p->op == NULL)
        p->op = vmb_xstrdup("phase");
    p->name = vmb_xasprintf("%d-%s", p->index, p->op);
    p->ops = get_num(o, "ops");
    p->errors = get_num(o, "errors");
    p->misses = get_num(o, "misses");
    p->duration_s = get_num(o, "duration_s");
    p->op_rate = get_num(o, "op_rate");
    read_latency(member(o, "latency_us"), &p->latency_us);
    struct json_object *pc = member(o, "percentiles");
    if (pc != NULL && json_object_is_type(pc, json_type_array)) {
        size_t n = json_object_array_length(pc);
        p->percentiles = vmb_xcalloc(n, sizeof(*p->percentiles));
        for (size_t i = 0; i < n; i++) {
            struct json_object *pair = json_object_array_get_idx(pc, i);
            if (!json_object_is_type(pair, json_type_array) ||
                json_object_array_length(pair) < 2)
                continue;
            double pct = num_of(json_object_array_get_idx(pair, 0));
            double v = num_of(json_object_array_get_idx(pair, 1));
            if (isfinite(pct) && isfinite(v)) {
                p->percentiles[p->npercentiles][0] = pct;
                p->percentiles[p->npercentiles][1] = v;
                p->npercentiles++;
            }
        }
    }
}

static void
read_boot(struct json_object *o, struct vmb_res_boot *b)
{
    b->domain_start_s = get_num(o, "domain_start_s");
    b->kernel_s = get_num(o, "kernel_s");
    b->agent_s = get_num(o, "agent_s");
    b->mounts_s = get_num(o, "mounts_s");
    b->db_ready_s = get_num(o, "db_ready_s");
}

int
vmb_results_read_result(const char *path, struct vmb_res_rep *rep,
                        struct vmb_error **err)
{
    autojson struct json_object *o = NULL;
    if (load_object(path, &o, err) < 0)
        return -1;
    double r = get_num(o, "rep");
    if (isfinite(r))
        rep->rep = (int)r;
    rep->status = get_str(o, "status");
    if (rep->status == NULL)
        rep->status = vmb_xstrdup("unknown");
    rep->ok = strcmp(rep->status, "ok") == 0;
    rep->error = get_str(o, "error");
    rep->started = get_str(o, "started");
    rep->finished = get_str(o, "finished");
    rep->accel = get_str(o, "accel");
    struct json_object *ph = member(o, "phases");
    if (ph != NULL && json_object_is_type(ph, json_type_array)) {
        size_t n = json_object_array_length(ph);
        rep->phases = vmb_xcalloc(n, sizeof(*rep->phases));
        for (size_t i = 0; i < n; i++) {
            struct json_object *p = json_object_array_get_idx(ph, i);
            if (json_object_is_type(p, json_type_object))
                read_phase(p, i, &rep->phases[rep->nphases++]);
        }
    }
    struct json_object *boot = member(o, "boot");
    if (boot != NULL && json_object_is_type(boot, json_type_object)) {
        rep->has_boot = true;
        read_boot(member(boot, "node1"), &rep->boot[0]);
        read_boot(member(boot, "node2"), &rep->boot[1]);
        rep->replica_sync_s = get_num(boot, "replica_sync_s");
    } else {
        rep->replica_sync_s = NAN;
    }
    rep->replication_lag_s = get_num(o, "replication_lag_s");
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
    c->options = vmb_xrealloc(c->options,
                              (c->noptions + 1) * sizeof(*c->options));
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
        const char *text = json_object_get_string(val);
        if (text == NULL)
            text = "";
        autofree char *path = section[0]
                                  ? vmb_xasprintf("%s.%s", section, key)
                                  : vmb_xstrdup(key);
        push_option(c, path, text);
        const struct vmb_option *opt = NULL;
        for (size_t i = 0; i < nopts; i++)
            if (strcmp(opts[i].name, key) == 0)
                opt = &opts[i];
        /* Options this vmbench does not know are shown but not applied. */
        if (opt == NULL)
            continue;
        if (vmb_option_parse(opt, text, base, err) < 0)
            return vmb_error_prefix(err, "%s", path);
    }
    return 0;
}

static int
read_config(const char *path, struct vmb_res_cell *c, struct vmb_error **err)
{
    autojson struct json_object *o = NULL;
    if (load_object(path, &o, err) < 0)
        return -1;
    if (c->label == NULL)
        c->label = get_str(o, "label");
    struct json_object *cfg = member(o, "config");
    if (cfg == NULL || !json_object_is_type(cfg, json_type_object))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: no \"config\" object", path);
    vmb_config_defaults(&c->cfg);
    c->has_config = true;
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        struct json_object *so = member(cfg, s->name[0] ? s->name : "run");
        if (so == NULL || !json_object_is_type(so, json_type_object))
            continue;
        if (parse_options(c, s->name, s->options, s->noptions,
                          (char *)&c->cfg + s->offset, so, err) < 0)
            return vmb_error_prefix(err, "%s", path);
    }
    struct json_object *ph = member(cfg, "phases");
    if (ph != NULL && json_object_is_type(ph, json_type_array)) {
        for (size_t i = 0; i < c->cfg.nphases; i++)
            vmb_options_free(vmb_phase_options, vmb_nphase_options,
                             &c->cfg.phases[i]);
        free(c->cfg.phases);
        size_t n = json_object_array_length(ph);
        c->cfg.phases = vmb_xcalloc(n, sizeof(*c->cfg.phases));
        c->cfg.nphases = n;
        for (size_t i = 0; i < n; i++) {
            vmb_options_defaults(vmb_phase_options, vmb_nphase_options,
                                 &c->cfg.phases[i]);
            struct json_object *p = json_object_array_get_idx(ph, i);
            if (p == NULL || !json_object_is_type(p, json_type_object))
                continue;
            autofree char *sec = vmb_xasprintf("phases[%zu]", i);
            if (parse_options(c, sec, vmb_phase_options, vmb_nphase_options,
                              &c->cfg.phases[i], p, err) < 0)
                return vmb_error_prefix(err, "%s", path);
        }
    }
    return 0;
}

/* ---- directory walk ---- */

static int
cmp_rep(const void *a, const void *b)
{
    const struct vmb_res_rep *x = a, *y = b;
    return (x->rep > y->rep) - (x->rep < y->rep);
}

static bool
rep_number(const char *name, int *k)
{
    if (strncmp(name, "rep", 3) != 0 || !isdigit((unsigned char)name[3]))
        return false;
    char *end;
    long v = strtol(name + 3, &end, 10);
    if (*end != '\0' || v <= 0 || v > 100000)
        return false;
    *k = (int)v;
    return true;
}

static bool
has_rep(const struct vmb_res_cell *c, int k)
{
    for (size_t i = 0; i < c->nreps; i++)
        if (c->reps[i].rep == k)
            return true;
    return false;
}

static struct vmb_res_rep *
add_rep(struct vmb_res_cell *c, int k, const char *dir)
{
    c->reps = vmb_xrealloc(c->reps, (c->nreps + 1) * sizeof(*c->reps));
    struct vmb_res_rep *rep = &c->reps[c->nreps++];
    memset(rep, 0, sizeof(*rep));
    rep->rep = k;
    rep->dir = vmb_xstrdup(dir);
    rep->replica_sync_s = NAN;
    rep->replication_lag_s = NAN;
    return rep;
}

static int
load_reps(struct vmb_results *r, struct vmb_res_cell *c,
          struct vmb_error **err)
{
    DIR *d = opendir(c->dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        int k;
        if (!rep_number(e->d_name, &k))
            continue;
        autofree char *dir = vmb_xasprintf("%s/%s", c->dir, e->d_name);
        autofree char *path = vmb_xasprintf("%s/result.json", dir);
        struct vmb_res_rep *rep = add_rep(c, k, dir);
        if (!exists(path)) {
            rep->status = vmb_xstrdup("missing");
            continue;
        }
        if (vmb_results_read_result(path, rep, err) < 0) {
            rc = -1;
            break;
        }
        rep->rep = k; /* the directory name is what the plan refers to */
    }
    closedir(d);
    if (rc < 0)
        return rc;
    if (c->nreps > 0)
        qsort(c->reps, c->nreps, sizeof(*c->reps), cmp_rep);
    (void)r;
    return 0;
}

static struct vmb_res_cell *
find_id(struct vmb_res_cell *cells, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cells[i].id, id) == 0)
            return &cells[i];
    return NULL;
}

static struct vmb_res_cell *
add_cell(struct vmb_results *r, bool control, const char *id)
{
    struct vmb_res_cell **arr = control ? &r->controls : &r->cells;
    size_t *n = control ? &r->ncontrols : &r->ncells;
    struct vmb_res_cell *c = find_id(*arr, *n, id);
    if (c != NULL)
        return c;
    *arr = vmb_xrealloc(*arr, (*n + 1) * sizeof(**arr));
    c = &(*arr)[(*n)++];
    memset(c, 0, sizeof(*c));
    c->id = vmb_xstrdup(id);
    c->control = control;
    c->dir = vmb_xasprintf("%s/%s/%s", r->dir, control ? "control" : "cells",
                           id);
    return c;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Cell directories the plan does not list, in name order. */
static void
scan_cells(struct vmb_results *r, bool control)
{
    autofree char *top =
        vmb_xasprintf("%s/%s", r->dir, control ? "control" : "cells");
    DIR *d = opendir(top);
    if (d == NULL)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", top, e->d_name);
        if (is_dir(p))
            push_str(&names, &n, vmb_xstrdup(e->d_name));
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        add_cell(r, control, names[i]);
        free(names[i]);
    }
    free(names);
}

static void
read_plan_cells(struct vmb_results *r, struct json_object *arr, bool control)
{
    if (arr == NULL || !json_object_is_type(arr, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *o = json_object_array_get_idx(arr, i);
        autofree char *id = get_str(o, "id");
        if (id == NULL)
            continue;
        struct vmb_res_cell *c = add_cell(r, control, id);
        free(c->label);
        c->label = get_str(o, "label");
        if (!control) {
            free(c->control_id);
            c->control_id = get_str(o, "control");
        }
    }
}

/* Runs the plan lists whose directory is not there yet: not run. */
static void
read_plan_runs(struct vmb_results *r, struct json_object *arr)
{
    if (arr == NULL || !json_object_is_type(arr, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *o = json_object_array_get_idx(arr, i);
        autofree char *id = get_str(o, "id");
        autofree char *kind = get_str(o, "kind");
        double k = get_num(o, "rep");
        if (id == NULL || !isfinite(k))
            continue;
        bool control = kind != NULL && strcmp(kind, "baremetal") == 0;
        struct vmb_res_cell *c = find_id(control ? r->controls : r->cells,
                                         control ? r->ncontrols : r->ncells,
                                         id);
        if (c == NULL || has_rep(c, (int)k))
            continue;
        autofree char *dir = vmb_xasprintf("%s/rep%d", c->dir, (int)k);
        struct vmb_res_rep *rep = add_rep(c, (int)k, dir);
        rep->status = vmb_xstrdup("missing");
        qsort(c->reps, c->nreps, sizeof(*c->reps), cmp_rep);
    }
}

static void
read_run(struct vmb_results *r, struct json_object *o)
{
    struct vmb_res_run *run = &r->run;
    run->present = true;
    run->name = get_str(o, "name");
    run->matrix = get_str(o, "matrix");
    struct json_object *v = member(o, "vmbench");
    run->version = get_str(v, "version");
    run->git = get_str(v, "git");
    run->started = get_str(o, "started");
    run->finished = get_str(o, "finished");
    double seed = get_num(o, "seed");
    if (isfinite(seed) && seed >= 0) {
        run->has_seed = true;
        run->seed = (uint64_t)json_object_get_int64(member(o, "seed"));
    }
    struct json_object *h = member(o, "host");
    run->hostname = get_str(h, "hostname");
    run->cpu = get_str(h, "cpu");
    run->cpus = get_num(h, "cpus");
    run->memory_bytes = get_num(h, "memory_bytes");
    run->kernel = get_str(h, "kernel");
    run->governor = get_str(h, "cpufreq_governor");
    run->thp = get_str(h, "thp");
    struct json_object *vers = member(o, "versions");
    if (vers != NULL && json_object_is_type(vers, json_type_object)) {
        json_object_object_foreach(vers, key, val)
        {
            run->versions = vmb_xrealloc(
                run->versions, (run->nversions + 1) * sizeof(*run->versions));
            run->versions[run->nversions].key = vmb_xstrdup(key);
            run->versions[run->nversions].value =
                vmb_xstrdup(json_object_get_string(val));
            run->nversions++;
        }
    }
    struct json_object *a = member(o, "accel");
    if (a != NULL && json_object_is_type(a, json_type_string)) {
        run->accel_used = vmb_xstrdup(json_object_get_string(a));
    } else {
        run->accel_requested = get_str(a, "requested");
        run->accel_used = get_str(a, "used");
        run->accel_note = get_str(a, "note");
    }
    struct json_object *doc = member(o, "doctor");
    if (doc != NULL && json_object_is_type(doc, json_type_array)) {
        size_t n = json_object_array_length(doc);
        run->doctor = vmb_xcalloc(n, sizeof(*run->doctor));
        for (size_t i = 0; i < n; i++) {
            struct json_object *c = json_object_array_get_idx(doc, i);
            run->doctor[run->ndoctor].check = get_str(c, "check");
            run->doctor[run->ndoctor].status = get_str(c, "status");
            run->doctor[run->ndoctor].detail = get_str(c, "detail");
            run->ndoctor++;
        }
    }
    struct json_object *runs = member(o, "runs");
    run->runs_total = get_num(runs, "total");
    run->runs_ok = get_num(runs, "ok");
    run->runs_failed = get_num(runs, "failed");
    struct json_object *res = member(o, "resumed");
    if (res != NULL && json_object_is_type(res, json_type_array))
        for (size_t i = 0; i < json_object_array_length(res); i++)
            push_str(&run->resumed, &run->nresumed,
                     vmb_xstrdup(json_object_get_string(
                         json_object_array_get_idx(res, i))));
}

static int
load_cell(struct vmb_results *r, struct vmb_res_cell *c,
          struct vmb_error **err)
{
    autofree char *cfg = vmb_xasprintf("%s/config.json", c->dir);
    if (exists(cfg)) {
        if (read_config(cfg, c, err) < 0)
            return -1;
    } else {
        warn(r, "%s: missing; the cell's settings are unknown", cfg);
    }
    if (c->label == NULL)
        c->label = vmb_xstrdup(c->id);
    return load_reps(r, c, err);
}

/* The plan's name, order, repetitions, seed, axes and cells. */
static void
read_plan(struct vmb_results *r, struct json_object *plan)
{
    r->has_plan = true;
    r->name = get_str(plan, "name");
    r->order = get_str(plan, "order");
    double reps = get_num(plan, "repetitions");
    r->repetitions = isfinite(reps) ? (int)reps : 0;
    if (isfinite(get_num(plan, "seed"))) {
        r->has_seed = true;
        r->seed = (uint64_t)json_object_get_int64(member(plan, "seed"));
    }
    struct json_object *axes = member(plan, "axes");
    if (axes != NULL && json_object_is_type(axes, json_type_array))
        for (size_t i = 0; i < json_object_array_length(axes); i++)
            push_str(&r->axes, &r->naxes,
                     vmb_xstrdup(json_object_get_string(
                         json_object_array_get_idx(axes, i))));
    read_plan_cells(r, member(plan, "cells"), false);
    read_plan_cells(r, member(plan, "controls"), true);
}

static void
results_freep(struct vmb_results **r)
{
    vmb_results_free(*r);
}
#define autoresults __attribute__((cleanup(results_freep)))

int
vmb_results_load(const char *dir, struct vmb_results **out,
                 struct vmb_error **err)
{
    autoresults struct vmb_results *r = vmb_xcalloc(1, sizeof(*r));
    r->dir = vmb_xstrdup(dir);
    size_t len = strlen(r->dir);
    while (len > 1 && r->dir[len - 1] == '/')
        r->dir[--len] = '\0';
    autofree char *run_path = vmb_xasprintf("%s/run.json", r->dir);
    autofree char *plan_path = vmb_xasprintf("%s/plan.json", r->dir);

    if (!is_dir(r->dir))
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "results directory \"%s\"", r->dir);
    if (!exists(run_path) && !exists(plan_path))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a vmbench results directory: "
                             "it has neither run.json nor plan.json",
                             r->dir);
    if (exists(run_path)) {
        autojson struct json_object *run = NULL;
        if (load_object(run_path, &run, err) < 0)
            return -1;
        read_run(r, run);
    } else {
        warn(r, "%s: missing; no provenance", run_path);
    }
    autojson struct json_object *plan = NULL;
    if (exists(plan_path)) {
        if (load_object(plan_path, &plan, err) < 0)
            return -1;
        read_plan(r, plan);
    } else {
        warn(r, "%s: missing; cells are taken from the directories",
             plan_path);
    }
    if (r->name == NULL)
        r->name = r->run.name ? vmb_xstrdup(r->run.name) : NULL;
    if (r->name == NULL) {
        const char *slash = strrchr(r->dir, '/');
        r->name = vmb_xstrdup(slash ? slash + 1 : r->dir);
    }
    if (!r->has_seed && r->run.has_seed) {
        r->has_seed = true;
        r->seed = r->run.seed;
    }
    scan_cells(r, false);
    scan_cells(r, true);
    for (size_t i = 0; i < r->ncells; i++)
        if (load_cell(r, &r->cells[i], err) < 0)
            return -1;
    for (size_t i = 0; i < r->ncontrols; i++)
        if (load_cell(r, &r->controls[i], err) < 0)
            return -1;
    if (plan != NULL)
        read_plan_runs(r, member(plan, "runs"));
    /* Without a plan, one control is the control of every cell. */
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].control_id == NULL && r->ncontrols == 1)
            r->cells[i].control_id = vmb_xstrdup(r->controls[0].id);
    *out = steal(&r);
    return 0;
}

static void
free_cell(struct vmb_res_cell *c)
{
    free(c->id);
    free(c->label);
    free(c->dir);
    free(c->control_id);
    if (c->has_config)
        vmb_config_free(&c->cfg);
    for (size_t i = 0; i < c->noptions; i++) {
        free(c->options[i].key);
        free(c->options[i].value);
    }
    free(c->options);
    for (size_t i = 0; i < c->nreps; i++)
        vmb_res_rep_clear(&c->reps[i]);
    free(c->reps);
}

void
vmb_results_free(struct vmb_results *r)
{
    if (r == NULL)
        return;
    struct vmb_res_run *run = &r->run;
    free(run->name);
    free(run->matrix);
    free(run->version);
    free(run->git);
    free(run->started);
    free(run->finished);
    free(run->hostname);
    free(run->cpu);
    free(run->kernel);
    free(run->governor);
    free(run->thp);
    for (size_t i = 0; i < run->nversions; i++) {
        free(run->versions[i].key);
        free(run->versions[i].value);
    }
    free(run->versions);
    free(run->accel_requested);
    free(run->accel_used);
    free(run->accel_note);
    for (size_t i = 0; i < run->ndoctor; i++) {
        free(run->doctor[i].check);
        free(run->doctor[i].status);
        free(run->doctor[i].detail);
    }
    free(run->doctor);
    for (size_t i = 0; i < run->nresumed; i++)
        free(run->resumed[i]);
    free(run->resumed);
    free(r->dir);
    free(r->name);
    free(r->order);
    for (size_t i = 0; i < r->naxes; i++)
        free(r->axes[i]);
    free(r->axes);
    for (size_t i = 0; i < r->ncells; i++)
        free_cell(&r->cells[i]);
    free(r->cells);
    for (size_t i = 0; i < r->ncontrols; i++)
        free_cell(&r->controls[i]);
    free(r->controls);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r);
}

static bool
is_hex_prefix(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

const struct vmb_res_cell *
vmb_results_find(const struct vmb_results *r, const char *key,
                 bool *ambiguous)
{
    const struct vmb_res_cell *found = NULL;
    size_t matches = 0;
    if (ambiguous != NULL)
        *ambiguous = false;
    for (int pass = 0; pass < 2; pass++) {
        const struct vmb_res_cell *arr = pass ? r->controls : r->cells;
        size_t n = pass ? r->ncontrols : r->ncells;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(arr[i].id, key) == 0 ||
                (arr[i].label && strcmp(arr[i].label, key) == 0))
                return &arr[i];
            if (is_hex_prefix(key) &&
                strncmp(arr[i].id, key, strlen(key)) == 0) {
                found = &arr[i];
                matches++;
            }
        }
    }
    if (matches > 1) {
        if (ambiguous != NULL)
            *ambiguous = true;
        return NULL;
    }
    return found;
}

const struct vmb_res_cell *
vmb_results_control_of(const struct vmb_results *r,
                       const struct vmb_res_cell *c)
{
    if (c->control || c->control_id == NULL)
        return NULL;
    for (size_t i = 0; i < r->ncontrols; i++)
        if (strcmp(r->controls[i].id, c->control_id) == 0)
            return &r->controls[i];
    return NULL;
}

const char *
vmb_res_cell_option(const struct vmb_res_cell *c, const char *key)
{
    for (size_t i = 0; i < c->noptions; i++)
        if (strcmp(c->options[i].key, key) == 0)
            return c->options[i].value;
    return NULL;
}

const struct vmb_res_phase *
vmb_res_rep_phase(const struct vmb_res_rep *rep, const char *name)
{
    for (size_t i = 0; i < rep->nphases; i++)
        if (strcmp(rep->phases[i].name, name) == 0)
            return &rep->phases[i];
    return NULL;
}

/* ---- timeseries.csv and .hgrm ---- */

/* Splits a CSV line of plain fields (no quoting in this file) in place. */
static size_t
split_csv(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *s = line;
    while (n < max) {
        f[n++] = s;
        char *c = strchr(s, ',');
        if (c == NULL)
            break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

static int
col_index(char **f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return (int)i;
    return -1;
}

static double
field_num(char **f, size_t n, int col)
{
    if (col < 0 || (size_t)col >= n)
        return NAN;
    char *end;
    double d = strtod(f[col], &end);
    return end != f[col] ? d : NAN;
}

int
vmb_results_read_timeseries(const char *repdir, const char *phase,
                            struct vmb_res_second **out, size_t *n,
                            struct vmb_error **err)
{
    *out = NULL;
    *n = 0;
    autofree char *path = vmb_xasprintf("%s/timeseries.csv", repdir);
    if (!exists(path))
        return 0;
    autofree char *text = NULL;
    size_t len;
    if (vmb_read_file(path, &text, &len, err) < 0)
        return -1;
    char *save = NULL;
    char *line = strtok_r(text, "\r\n", &save);
    if (line == NULL)
        return 0;
    char *h[16];
    size_t nh = split_csv(line, h, 16);
    int c_phase = col_index(h, nh, "phase"), c_sec = col_index(h, nh, "second");
    int c_ops = col_index(h, nh, "ops"), c_rate = col_index(h, nh, "ops_per_s");
    int c_p50 = col_index(h, nh, "p50_us"), c_p99 = col_index(h, nh, "p99_us");
    if (c_phase < 0 || c_sec < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: header has no \"phase\" and \"second\" "
                             "columns",
                             path);
    struct vmb_res_second *rows = NULL;
    size_t nrows = 0;
    int lineno = 1;
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        lineno++;
        char *f[16];
        size_t nf = split_csv(line, f, 16);
        if ((size_t)c_phase >= nf || strcmp(f[c_phase], phase) != 0)
            continue;
        double sec = field_num(f, nf, c_sec);
        if (!isfinite(sec)) {
            free(rows);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s:%d: \"second\" is not a number", path,
                                 lineno);
        }
        /* Mixed phases write one row per op kind for the same second. */
        if (nrows > 0 && rows[nrows - 1].second == sec) {
            struct vmb_res_second *r = &rows[nrows - 1];
            r->ops += field_num(f, nf, c_ops);
            r->ops_per_s += field_num(f, nf, c_rate);
            r->p50_us = fmax(r->p50_us, field_num(f, nf, c_p50));
            r->p99_us = fmax(r->p99_us, field_num(f, nf, c_p99));
            continue;
        }
        rows = vmb_xrealloc(rows, (nrows + 1) * sizeof(*rows));
        rows[nrows].second = sec;
        rows[nrows].ops = field_num(f, nf, c_ops);
        rows[nrows].ops_per_s = field_num(f, nf, c_rate);
        rows[nrows].p50_us = field_num(f, nf, c_p50);
        rows[nrows].p99_us = field_num(f, nf, c_p99);
        nrows++;
    }
    *out = rows;
    *n = nrows;
    return 0;
}

int
vmb_results_read_hgrm(const char *path, struct vmb_res_hgrm_point **out,
                      size_t *n, struct vmb_error **err)
{
    *out = NULL;
    *n = 0;
    if (!exists(path))
        return 0;
    autofree char *text = NULL;
    size_t len;
    if (vmb_read_file(path, &text, &len, err) < 0)
        return -1;
    struct vmb_res_hgrm_point *pts = NULL;
    size_t np = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        double v, p, c;
        /* Header, blank and "#[...]" footer lines do not scan. */
        if (sscanf(line, "%lf %lf %lf", &v, &p, &c) != 3)
            continue;
        if (!isfinite(v) || !(p >= 0 && p <= 1))
            continue;
        pts = vmb_xrealloc(pts, (np + 1) * sizeof(*pts));
        pts[np].value_us = v;
        pts[np].percentile = p;
        pts[np].count = c;
        np++;
    }
    *out = pts;
    *n = np;
    return 0;
}
