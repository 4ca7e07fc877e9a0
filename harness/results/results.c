/*
 * The walk over a results directory: run.json, plan.json, the cells and
 * controls and their runs. A damaged file costs what it holds, with a
 * warning: a run whose result.json cannot be read is "unreadable", a cell
 * whose config.json cannot be read has unknown settings, and run.json or
 * plan.json lose their values. Names from the files or the directory
 * become path components only once checked (ids, rep<k>).
 */
#include "results/results.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "config/matrix.h"
#include "config/shard.h"
#include "results/metric.h"
#include "results/results_priv.h"

static void
json_putp(struct json_object **o)
{
    if (*o != NULL)
        json_object_put(*o);
}
#define autojson __attribute__((cleanup(json_putp)))

static void
push_str(char ***arr, size_t *n, char *s)
{
    *arr = vmb_xrealloc(*arr, (*n + 1) * sizeof(**arr));
    (*arr)[(*n)++] = s;
}

/* ---- cells and their runs ---- */

static int
cmp_rep(const void *a, const void *b)
{
    const struct vmb_res_rep *x = a, *y = b;
    return (x->rep > y->rep) - (x->rep < y->rep);
}

#define MAX_REP VMB_RES_MAX_REP

/* "rep<k>", k from 1 to MAX_REP without leading zeros: one name per run. */
static bool
rep_number(const char *name, int *k)
{
    if (strncmp(name, "rep", 3) != 0 || name[3] < '1' || name[3] > '9')
        return false;
    long v = 0;
    for (const char *p = name + 3; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > MAX_REP)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > MAX_REP)
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

/* One run: its result, or why it is left out. */
static void
load_rep(struct vmb_results *r, struct vmb_res_rep *rep)
{
    autofree char *path = vmb_xasprintf("%s/result.json", rep->dir);
    if (vmb_res_kind_of(path) == VMB_RES_NONE) {
        rep->status = vmb_xstrdup("missing");
        return;
    }
    struct vmb_error *e = NULL;
    if (vmb_results_read_result(path, rep, &e) == 0)
        return;
    vmb_res_warn(r, "%s; the run is left out", e->msg);
    rep->status = vmb_xstrdup("unreadable");
    rep->error = vmb_xstrdup(e->msg);
    vmb_error_free(e);
}

void
vmb_res_load_reps(struct vmb_results *r, struct vmb_res_cell *c)
{
    if (vmb_res_kind_of(c->dir) != VMB_RES_DIR) {
        if (vmb_res_kind_of(c->dir) != VMB_RES_NONE)
            vmb_res_warn(r, "%s: not a directory; its runs are left out",
                         c->dir);
        return;
    }
    DIR *d = opendir(c->dir);
    if (d == NULL) {
        vmb_res_warn(r, "%s: %s; its runs are left out", c->dir,
                     strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int k;
        if (!rep_number(e->d_name, &k) || has_rep(c, k))
            continue;
        autofree char *dir = vmb_xasprintf("%s/%s", c->dir, e->d_name);
        if (vmb_res_kind_of(dir) != VMB_RES_DIR) {
            vmb_res_warn(r, "%s: not a directory; the run is left out", dir);
            continue;
        }
        struct vmb_res_rep *rep = add_rep(c, k, dir);
        load_rep(r, rep);
        rep->rep = k; /* the directory name is what the plan refers to */
    }
    closedir(d);
    if (c->nreps > 0)
        qsort(c->reps, c->nreps, sizeof(*c->reps), cmp_rep);
}

static struct vmb_res_cell *
find_id(struct vmb_res_cell *cells, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cells[i].id, id) == 0)
            return &cells[i];
    return NULL;
}

/* The cell of a checked id (a path component), added when new. */
struct vmb_res_cell *
vmb_res_add_cell(struct vmb_results *r, bool control, const char *id)
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
    c->dir =
        vmb_xasprintf("%s/%s/%s", r->dir, control ? "control" : "cells", id);
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
    const char *sub = control ? "control" : "cells";
    autofree char *top = vmb_xasprintf("%s/%s", r->dir, sub);
    if (vmb_res_kind_of(top) != VMB_RES_DIR) {
        if (vmb_res_kind_of(top) != VMB_RES_NONE)
            vmb_res_warn(r,
                         "%s: not a directory (a symlink is not followed); "
                         "its %s are left out",
                         top, control ? "controls" : "cells");
        return;
    }
    DIR *d = opendir(top);
    if (d == NULL)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", top, e->d_name);
        enum vmb_res_kind k = vmb_res_kind_of(p);
        if (k == VMB_RES_FILE)
            continue;
        if (k != VMB_RES_DIR || !vmb_res_valid_id(e->d_name)) {
            vmb_res_warn(r,
                         "%s: not a %s directory (named by a 12-digit "
                         "hexadecimal id); left out",
                         p, control ? "control" : "cell");
            continue;
        }
        push_str(&names, &n, vmb_xstrdup(e->d_name));
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        vmb_res_add_cell(r, control, names[i]);
        free(names[i]);
    }
    free(names);
}

static void
load_cell(struct vmb_results *r, struct vmb_res_cell *c)
{
    /* cells/ or control/ a symlink: nothing is read through it. */
    autofree char *top =
        vmb_xasprintf("%s/%s", r->dir, c->control ? "control" : "cells");
    if (vmb_res_kind_of(top) == VMB_RES_OTHER) {
        c->label = c->label ? c->label : vmb_xstrdup(c->id);
        return; /* scan_cells said so */
    }
    autofree char *cfg = vmb_xasprintf("%s/config.json", c->dir);
    struct vmb_error *e = NULL;
    if (vmb_res_kind_of(cfg) == VMB_RES_NONE) {
        vmb_res_warn(r, "%s: missing; the cell's settings are unknown", cfg);
    } else if (vmb_res_read_config(cfg, c, &e) < 0) {
        vmb_res_warn(r, "%s; the cell's settings are unknown", e->msg);
        vmb_error_free(e);
    }
    if (c->label == NULL)
        c->label = vmb_xstrdup(c->id);
    vmb_res_load_reps(r, c);
}

/* A run the plan lists whose directory is not there: not run (yet). */
void
vmb_res_add_missing_run(struct vmb_results *r, bool control, const char *id,
                        int k)
{
    /* Only cells already known (and so with checked ids). */
    struct vmb_res_cell *c = find_id(control ? r->controls : r->cells,
                                     control ? r->ncontrols : r->ncells, id);
    if (c == NULL || has_rep(c, k))
        return;
    autofree char *dir = vmb_xasprintf("%s/rep%d", c->dir, k);
    struct vmb_res_rep *rep = add_rep(c, k, dir);
    rep->status = vmb_xstrdup("missing");
    qsort(c->reps, c->nreps, sizeof(*c->reps), cmp_rep);
}

/* ---- the whole directory ---- */

static void
results_freep(struct vmb_results **r)
{
    vmb_results_free(*r);
}
#define autoresults __attribute__((cleanup(results_freep)))

/*
 * run.json or plan.json, when there and readable, into *o; else a warning
 * saying what is lost (what).
 */
static void
load_top(struct vmb_results *r, const char *path, size_t max, const char *what,
         struct json_object **o)
{
    struct vmb_error *e = NULL;
    if (vmb_res_kind_of(path) == VMB_RES_NONE) {
        vmb_res_warn(r, "%s: missing; %s", path, what);
    } else if (vmb_res_load_json(path, max, o, &e) < 0) {
        vmb_res_warn(r, "%s; %s", e->msg, what);
        vmb_error_free(e);
    }
}

/* Each phase's tenants per host by memory, on run.json's host. */
static void
density(struct vmb_results *r)
{
    for (int k = 0; k < 2; k++) {
        struct vmb_res_cell *cells = k ? r->controls : r->cells;
        size_t n = k ? r->ncontrols : r->ncells;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < cells[i].nreps; j++)
                for (size_t q = 0; q < cells[i].reps[j].nphases; q++) {
                    struct vmb_res_phase *p = &cells[i].reps[j].phases[q];
                    p->tenants_by_memory = vmb_metric_tenants_by_memory(
                        r->run.memory_bytes, p->host_mem_per_tenant);
                }
    }
}

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

    struct stat st;
    if (stat(r->dir, &st) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "results directory \"%s\"", r->dir);
    if (!S_ISDIR(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, ENOTDIR,
                             "results directory \"%s\"", r->dir);
    if (vmb_res_kind_of(run_path) == VMB_RES_NONE &&
        vmb_res_kind_of(plan_path) == VMB_RES_NONE)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a vmbench results directory: "
                             "it has neither run.json nor plan.json",
                             r->dir);
    autojson struct json_object *run = NULL;
    load_top(r, run_path, VMB_RES_JSON_MAX, "no provenance", &run);
    if (run != NULL) {
        struct vmb_res_ctx x = {.path = run_path, .r = r};
        vmb_res_read_run(&x, run);
        vmb_res_read_merged(&x, run);
    }
    autojson struct json_object *plan = NULL;
    load_top(r, plan_path, VMB_RES_PLAN_MAX,
             "cells are taken from the directories", &plan);
    struct vmb_res_ctx px = {.path = plan_path, .r = r};
    if (plan != NULL)
        vmb_res_read_plan(&px, plan);
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
        load_cell(r, &r->cells[i]);
    for (size_t i = 0; i < r->ncontrols; i++)
        load_cell(r, &r->controls[i]);
    density(r);
    if (plan != NULL)
        vmb_res_read_plan_runs(&px, plan);
    vmb_res_load_calibrations(r);
    /* Without a plan, one control is the control of every cell. */
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].control_id == NULL && r->ncontrols == 1)
            r->cells[i].control_id = vmb_xstrdup(r->controls[0].id);
    *out = steal(&r);
    return 0;
}

void
vmb_res_free_cell(struct vmb_res_cell *c)
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
    free(run->ksm);
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
    free(r->plan_id);
    vmb_res_hosts_free(r);
    for (size_t i = 0; i < r->naxes; i++)
        free(r->axes[i]);
    free(r->axes);
    for (size_t i = 0; i < r->ncells; i++)
        vmb_res_free_cell(&r->cells[i]);
    free(r->cells);
    for (size_t i = 0; i < r->ncontrols; i++)
        vmb_res_free_cell(&r->controls[i]);
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
vmb_results_find(const struct vmb_results *r, const char *key, bool *ambiguous)
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
