/*
 * The settings a tune recorded in tune.json, read back for `vmbench tune
 * --resume` with the same checks as the rest of a results directory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/results_priv.h"
#include "results/tune.h"

int
vmb_tune_settings_read(const char *dir, struct vmb_tune_settings *out,
                       struct vmb_error **err)
{
    autofree char *path = vmb_xasprintf("%s/tune.json", dir);
    struct json_object *o = NULL;
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a tune's results directory "
                             "(no tune.json)",
                             dir);
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx c = {.path = path};
    struct vmb_tune_settings s = {0};
    struct json_object *set = vmb_res_obj(&c, o, NULL, "settings");
    s.objective = vmb_res_str(&c, set, "settings", "objective");
    s.limit = vmb_res_str(&c, set, "settings", "limit");
    s.only = vmb_res_str(&c, set, "settings", "only");
    if (!vmb_res_int(&c, set, "settings", "first", 1, 1000000, &s.first))
        s.first = 0;
    if (!vmb_res_int(&c, set, "settings", "budget", 0, INT64_MAX, &s.budget))
        s.budget = -1;
    json_object_put(o);
    if (c.err == NULL &&
        (s.objective == NULL || s.only == NULL || s.first == 0 || s.budget < 0))
        vmb_error_set(&c.err, VMB_ERR_INPUT, 0,
                      "%s: settings: objective, only, first or budget is "
                      "missing",
                      path);
    if (c.err != NULL) {
        vmb_tune_settings_clear(&s);
        *err = c.err;
        return -1;
    }
    *out = s;
    return 0;
}

void
vmb_tune_settings_clear(struct vmb_tune_settings *s)
{
    free(s->objective);
    free(s->limit);
    free(s->only);
    memset(s, 0, sizeof(*s));
}

static void
read_step(struct vmb_res_ctx *c, struct json_object *round,
          struct json_object *cell, struct vmb_tune_step *st)
{
    if (!vmb_res_int(c, round, "rounds[]", "round", 1, 1000000, &st->round))
        st->round = 0;
    if (!vmb_res_int(c, round, "rounds[]", "repetitions", 1, 1000000,
                     &st->repetitions))
        st->repetitions = 0;
    const char *p = "rounds[].cells[]";
    st->id = vmb_res_str(c, cell, p, "id");
    st->label = vmb_res_str(c, cell, p, "label");
    st->status = vmb_res_str(c, cell, p, "status");
    st->why = vmb_res_str(c, cell, p, "why");
    st->n = vmb_res_num(c, cell, p, "n", 0, 1e6);
    st->median = vmb_res_num(c, cell, p, "median", VMB_RES_NONNEG);
    st->lo = vmb_res_num(c, cell, p, "lo", VMB_RES_NONNEG);
    st->hi = vmb_res_num(c, cell, p, "hi", VMB_RES_NONNEG);
    st->p_best = vmb_res_num(c, cell, p, "p_best", 0, 1);
}

int
vmb_tune_history_read(const char *dir, struct vmb_tune_history *out,
                      struct vmb_error **err)
{
    autofree char *path = vmb_xasprintf("%s/tune.json", dir);
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return 1;
    struct json_object *o = NULL;
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx c = {.path = path};
    struct vmb_tune_history h = {0};
    struct json_object *set = vmb_res_obj(&c, o, NULL, "settings");
    h.objective = vmb_res_str(&c, set, "settings", "objective");
    h.limit = vmb_res_str(&c, set, "settings", "limit");
    h.stopped = vmb_res_str(&c, o, NULL, "stopped");
    h.winner =
        vmb_res_str(&c, vmb_res_obj(&c, o, NULL, "winner"), "winner", "label");
    h.runs = vmb_res_num(&c, o, NULL, "runs", VMB_RES_NONNEG);
    h.factorial_runs =
        vmb_res_num(&c, o, NULL, "factorial_runs", VMB_RES_NONNEG);
    struct json_object *rounds = vmb_res_arr(&c, o, NULL, "rounds");
    size_t nr = rounds ? json_object_array_length(rounds) : 0;
    for (size_t i = 0; i < nr && c.err == NULL; i++) {
        struct json_object *round = json_object_array_get_idx(rounds, i);
        struct json_object *cells = vmb_res_arr(&c, round, "rounds[]", "cells");
        size_t nc = cells ? json_object_array_length(cells) : 0;
        if (h.nsteps + nc > 100000)
            break; /* more than any matrix races */
        h.steps = vmb_xrealloc(h.steps, (h.nsteps + nc) * sizeof(*h.steps));
        for (size_t j = 0; j < nc; j++) {
            struct vmb_tune_step *st = &h.steps[h.nsteps++];
            memset(st, 0, sizeof(*st));
            read_step(&c, round, json_object_array_get_idx(cells, j), st);
        }
    }
    json_object_put(o);
    if (c.err != NULL) {
        vmb_tune_history_clear(&h);
        *err = c.err;
        return -1;
    }
    *out = h;
    return 0;
}

void
vmb_tune_history_clear(struct vmb_tune_history *h)
{
    free(h->objective);
    free(h->limit);
    free(h->stopped);
    free(h->winner);
    for (size_t i = 0; i < h->nsteps; i++) {
        free(h->steps[i].id);
        free(h->steps[i].label);
        free(h->steps[i].status);
        free(h->steps[i].why);
    }
    free(h->steps);
    memset(h, 0, sizeof(*h));
}
