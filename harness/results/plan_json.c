/*
 * plan.json both ways: the writer (run's plan.json, `vmbench plan
 * --json`, a merged directory's plan) and the reader of a results
 * directory's plan (results.c's walk). Every key of plan.json is spelled
 * here alone.
 */
#include "results/plan_json.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/kata.h"
#include "config/matrix.h"
#include "config/shard.h"
#include "results/results_priv.h"

static const char K_SCHEMA[] = "schema";
static const char K_NAME[] = "name";
static const char K_MATRIX[] = "matrix";
static const char K_REPETITIONS[] = "repetitions";
static const char K_ORDER[] = "order";
static const char K_SEED[] = "seed";
static const char K_ESTIMATE_S[] = "estimate_s";
static const char K_ID[] = "id";
static const char K_SHARD[] = "shard";
static const char K_INDEX[] = "index";
static const char K_COUNT[] = "count";
static const char K_KATA_BASE[] = "kata_base";
static const char K_KATA_UNMODELLED[] = "kata_not_modelled";
static const char K_AXES[] = "axes";
static const char K_CELLS[] = "cells";
static const char K_CONTROLS[] = "controls";
static const char K_RUNS[] = "runs";
static const char K_WARNINGS[] = "warnings";
static const char K_KIND[] = "kind";
static const char K_LABEL[] = "label";
static const char K_CALIBRATION[] = "calibration";
static const char K_CONTROL[] = "control";
static const char K_KATA[] = "kata";
static const char K_REP[] = "rep";
static const char K_DIR[] = "dir";
static const char KIND_VM[] = "vm";
static const char KIND_BAREMETAL[] = "baremetal";

/* ---- writing ---- */

static void
cell_to_json(struct vmb_jw *w, const struct vmb_matrix *m,
             const struct vmb_cell *c, bool calibration)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, K_ID, c->id);
    vmb_jw_kstr(w, K_KIND, c->kind == VMB_CELL_VM ? KIND_VM : KIND_BAREMETAL);
    vmb_jw_kstr(w, K_LABEL, c->label);
    if (calibration)
        vmb_jw_kbool(w, K_CALIBRATION, true);
    if (c->kind == VMB_CELL_VM) {
        vmb_jw_key(w, K_AXES);
        vmb_jw_obj_begin(w);
        for (size_t i = 0; i < c->naxes; i++)
            vmb_jw_kstr(w, m->axis_paths[i], c->values[i]);
        vmb_jw_obj_end(w);
        vmb_jw_kstr(w, K_CONTROL,
                    c->control == SIZE_MAX ? NULL : m->controls[c->control].id);
        vmb_jw_key(w, K_KATA);
        vmb_jw_obj_begin(w);
        struct vmb_kata_setting *s = NULL;
        size_t n = vmb_kata_settings(&c->cfg, &s);
        for (size_t i = 0; i < n; i++)
            vmb_jw_kstr(w, s[i].key, s[i].value);
        vmb_kata_settings_free(s, n);
        vmb_jw_obj_end(w);
    }
    vmb_jw_obj_end(w);
}

/* Streaming: the writer's buffer goes to f when it holds this much. */
#define FLUSH_BYTES (64 * 1024)

static void
spill(struct vmb_jw *w, FILE *f, bool *ok)
{
    if (f != NULL && w->buf.len >= FLUSH_BYTES)
        *ok = vmb_jw_flush(w, f, false) == 0 && *ok;
}

/* The plan's JSON into w, or through w to f (bounded memory) when f is
 * not NULL. */
static bool
plan_json(struct vmb_jw *w, FILE *f, const struct vmb_matrix *m,
          const struct vmb_plan *p, vmb_plan_json_extra extra, const void *ctx)
{
    static const char *orders[] = {"interleaved", "sequential", "random"};
    vmb_jw_obj_begin(w);
    vmb_jw_kint(w, K_SCHEMA, 1);
    vmb_jw_kstr(w, K_NAME, m->name);
    vmb_jw_kstr(w, K_MATRIX, m->path);
    vmb_jw_kint(w, K_REPETITIONS, m->base.top.repetitions);
    vmb_jw_kstr(w, K_ORDER, orders[p->order]);
    vmb_jw_kuint(w, K_SEED, p->seed);
    vmb_jw_kdouble(w, K_ESTIMATE_S, p->estimate_s);
    vmb_jw_kstr(w, K_ID, p->id);
    vmb_jw_key(w, K_SHARD);
    if (p->nshards > 0) {
        vmb_jw_obj_begin(w);
        vmb_jw_kuint(w, K_INDEX, p->shard);
        vmb_jw_kuint(w, K_COUNT, p->nshards);
        vmb_jw_obj_end(w);
    } else {
        vmb_jw_null(w);
    }
    vmb_jw_kstr(w, K_KATA_BASE, m->kata_path);
    vmb_jw_kstr(w, K_KATA_UNMODELLED, m->kata_unmodelled);
    vmb_jw_key(w, K_AXES);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < m->naxes; i++)
        vmb_jw_str(w, m->axis_paths[i]);
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_CELLS);
    vmb_jw_arr_begin(w);
    bool ok = true;
    for (size_t i = 0; i < m->ncells; i++) {
        if (p->cell_in != NULL && !p->cell_in[i])
            continue;
        cell_to_json(w, m, &m->cells[i], false);
        spill(w, f, &ok);
    }
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_CONTROLS);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < m->ncontrols; i++) {
        if (p->control_in != NULL && !p->control_in[i])
            continue;
        cell_to_json(w, m, &m->controls[i],
                     p->control_in != NULL && p->control_in[i] == 2);
        spill(w, f, &ok);
    }
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_RUNS);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < p->nruns; i++) {
        const struct vmb_plan_run *r = &p->runs[i];
        /* vmb_plan_run_dir's text, without an allocation per run. */
        char dir[64];
        snprintf(dir, sizeof(dir), "%s/%s/rep%d",
                 r->cell->kind == VMB_CELL_CONTROL ? K_CONTROL : K_CELLS,
                 r->cell->id, r->rep);
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, K_KIND,
                    r->cell->kind == VMB_CELL_VM ? KIND_VM : KIND_BAREMETAL);
        vmb_jw_kstr(w, K_ID, r->cell->id);
        vmb_jw_kint(w, K_REP, r->rep);
        vmb_jw_kstr(w, K_DIR, dir);
        vmb_jw_obj_end(w);
        spill(w, f, &ok);
    }
    vmb_jw_arr_end(w);
    vmb_jw_key(w, K_WARNINGS);
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < m->nwarnings; i++)
        vmb_jw_str(w, m->warnings[i]);
    vmb_jw_arr_end(w);
    if (extra != NULL)
        extra(w, ctx);
    vmb_jw_obj_end(w);
    return ok;
}

void
vmb_plan_to_json(struct vmb_jw *w, const struct vmb_matrix *m,
                 const struct vmb_plan *p)
{
    plan_json(w, NULL, m, p, NULL, NULL);
}

int
vmb_plan_write_json(FILE *f, const struct vmb_matrix *m,
                    const struct vmb_plan *p, vmb_plan_json_extra extra,
                    const void *ctx, struct vmb_error **err)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    bool ok = plan_json(&w, f, m, p, extra, ctx);
    ok = vmb_jw_flush(&w, f, true) == 0 && ok;
    vmb_jw_free(&w);
    if (!ok)
        return vmb_error_sys(err, "write the plan");
    return 0;
}

/* ---- reading ---- */

static void
read_plan_cells(struct vmb_res_ctx *x, struct json_object *plan, bool control)
{
    const char *key = control ? K_CONTROLS : K_CELLS;
    struct json_object *arr = vmb_res_arr(x, plan, NULL, key);
    for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        autofree char *at = vmb_xasprintf("%s[%zu]", key, i);
        struct json_object *o = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(o, json_type_object)) {
            vmb_res_bad(x, at, NULL, "expected an object");
            continue;
        }
        autofree char *id = vmb_res_str(x, o, at, K_ID);
        if (id == NULL)
            continue;
        if (!vmb_res_valid_id(id)) {
            vmb_res_bad(x, at, K_ID,
                        "\"%.40s\" is not a 12-digit "
                        "hexadecimal id",
                        id);
            continue;
        }
        struct vmb_res_cell *c = vmb_res_add_cell(x->r, control, id);
        char *label = vmb_res_str(x, o, at, K_LABEL);
        if (label != NULL) {
            free(c->label);
            c->label = label;
        }
        if (control) {
            struct json_object *cal = vmb_res_member(o, K_CALIBRATION);
            if (cal != NULL && !json_object_is_type(cal, json_type_boolean))
                vmb_res_bad(x, at, K_CALIBRATION, "expected true or false");
            else if (cal != NULL)
                c->calibration = json_object_get_boolean(cal);
            continue;
        }
        autofree char *ctl = vmb_res_str(x, o, at, K_CONTROL);
        free(c->control_id);
        c->control_id = NULL;
        if (ctl != NULL && vmb_res_valid_id(ctl))
            c->control_id = steal(&ctl);
        else if (ctl != NULL)
            vmb_res_bad(x, at, K_CONTROL,
                        "\"%.40s\" is not a 12-digit "
                        "hexadecimal id",
                        ctl);
    }
}

/* Runs the plan lists whose directory is not there: not run (yet). */
void
vmb_res_read_plan_runs(struct vmb_res_ctx *x, struct json_object *plan)
{
    struct json_object *arr = vmb_res_arr(x, plan, NULL, K_RUNS);
    for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        autofree char *at = vmb_xasprintf("%s[%zu]", K_RUNS, i);
        struct json_object *o = json_object_array_get_idx(arr, i);
        autofree char *id = vmb_res_str(x, o, at, K_ID);
        autofree char *kind = vmb_res_str(x, o, at, K_KIND);
        int64_t k;
        if (id == NULL || !vmb_res_int(x, o, at, K_REP, 1, VMB_RES_MAX_REP, &k))
            continue;
        bool control = kind != NULL && strcmp(kind, KIND_BAREMETAL) == 0;
        vmb_res_add_missing_run(x->r, control, id, (int)k);
    }
}

/* The plan's identity and the shard it is, if one. */
static void
read_plan_shard(struct vmb_res_ctx *x, struct json_object *plan)
{
    struct vmb_results *r = x->r;
    autofree char *id = vmb_res_str(x, plan, NULL, K_ID);
    bool hex = id != NULL && strlen(id) == 16;
    for (size_t i = 0; hex && i < 16; i++)
        hex = isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]);
    if (hex)
        r->plan_id = steal(&id);
    else if (id != NULL)
        vmb_res_bad(x, NULL, K_ID, "\"%.40s\" is not 16 hexadecimal digits",
                    id);
    struct json_object *sh = vmb_res_obj(x, plan, NULL, K_SHARD);
    int64_t k, n;
    if (sh == NULL ||
        !vmb_res_int(x, sh, K_SHARD, K_COUNT, 1, VMB_SHARDS_MAX, &n) ||
        !vmb_res_int(x, sh, K_SHARD, K_INDEX, 0, VMB_SHARDS_MAX - 1, &k))
        return;
    if (k >= n) {
        vmb_res_bad(x, K_SHARD, K_INDEX, "%" PRId64 " is not under %" PRId64, k,
                    n);
        return;
    }
    r->has_shard = true;
    r->shard_index = (size_t)k;
    r->shard_count = (size_t)n;
}

/* The plan's name, order, repetitions, seed, axes and cells. */
void
vmb_res_read_plan(struct vmb_res_ctx *x, struct json_object *plan)
{
    struct vmb_results *r = x->r;
    r->has_plan = true;
    r->name = vmb_res_str(x, plan, NULL, K_NAME);
    r->order = vmb_res_str(x, plan, NULL, K_ORDER);
    int64_t reps;
    if (vmb_res_int(x, plan, NULL, K_REPETITIONS, 1, VMB_MATRIX_MAX_RUNS,
                    &reps))
        r->repetitions = (int)reps;
    r->has_seed = vmb_res_seed(x, plan, NULL, K_SEED, &r->seed);
    read_plan_shard(x, plan);
    struct json_object *axes = vmb_res_arr(x, plan, NULL, K_AXES);
    for (size_t i = 0; axes != NULL && i < json_object_array_length(axes);
         i++) {
        struct json_object *a = json_object_array_get_idx(axes, i);
        if (json_object_is_type(a, json_type_string)) {
            r->axes = vmb_xrealloc(r->axes, (r->naxes + 1) * sizeof(*r->axes));
            r->axes[r->naxes++] = vmb_xstrdup(json_object_get_string(a));
        } else
            vmb_res_bad(x, K_AXES, NULL, "expected strings");
    }
    read_plan_cells(x, plan, false);
    read_plan_cells(x, plan, true);
    r->plan_ncells = r->ncells;
    r->plan_ncontrols = r->ncontrols;
}
