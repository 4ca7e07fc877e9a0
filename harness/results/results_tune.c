/*
 * tune.json, written after each round of `vmbench tune` and read back for
 * `vmbench tune --resume` (its settings) and the report (its history),
 * with the same checks as the rest of a results directory. The writer and
 * the reader sit side by side and share the key names below: a key of
 * tune.json is spelled here once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "results/results_priv.h"
#include "results/tune.h"

static const char FILE_NAME[] = "tune.json";
static const char K_SCHEMA[] = "schema";
static const char K_SETTINGS[] = "settings";
static const char K_OBJECTIVE[] = "objective";
static const char K_LIMIT[] = "limit";
static const char K_FIRST[] = "first";
static const char K_BUDGET[] = "budget";
static const char K_ONLY[] = "only";
static const char K_HIGHER_BETTER[] = "higher_better";
static const char K_RACING[] = "racing";
static const char K_REPETITIONS[] = "repetitions";
static const char K_ROUNDS[] = "rounds";
static const char K_RUNS[] = "runs";
static const char K_FACTORIAL_RUNS[] = "factorial_runs";
static const char K_STOPPED[] = "stopped";
static const char K_WINNER[] = "winner";
static const char K_ID[] = "id";
static const char K_LABEL[] = "label";
/* A round. */
static const char K_ROUND[] = "round";
static const char K_BEST[] = "best";
static const char K_CELLS[] = "cells";
/* A cell of a round. */
static const char K_STATUS[] = "status";
static const char K_WHY[] = "why";
static const char K_N[] = "n";
static const char K_MEDIAN[] = "median";
static const char K_LO[] = "lo";
static const char K_HI[] = "hi";
static const char K_P_BEST[] = "p_best";
static const char K_LIMIT_MEDIAN[] = "limit_median";
static const char K_LIMIT_LO[] = "limit_lo";
/* The paths named in errors. */
static const char P_ROUND[] = "rounds[]";
static const char P_CELL[] = "rounds[].cells[]";

void
vmb_tune_round_append(struct vmb_buf *rounds, const struct vmb_tune_round *r)
{
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_jw_obj_begin(&w);
    vmb_jw_kint(&w, K_ROUND, r->round);
    vmb_jw_kint(&w, K_REPETITIONS, r->repetitions);
    vmb_jw_kuint(&w, K_RUNS, r->runs);
    vmb_jw_kstr(&w, K_BEST, r->best);
    vmb_jw_key(&w, K_CELLS);
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vmb_tune_cell *st = &r->cells[i];
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, K_ID, st->id);
        vmb_jw_kstr(&w, K_LABEL, st->label);
        vmb_jw_kstr(&w, K_STATUS, st->status);
        vmb_jw_kstr(&w, K_WHY, st->why);
        vmb_jw_kuint(&w, K_N, st->n);
        vmb_jw_kdouble(&w, K_MEDIAN, st->median);
        vmb_jw_kdouble(&w, K_LO, st->lo);
        vmb_jw_kdouble(&w, K_HI, st->hi);
        vmb_jw_kdouble(&w, K_P_BEST, st->p_best);
        if (r->has_limit) {
            vmb_jw_kdouble(&w, K_LIMIT_MEDIAN, st->limit_median);
            vmb_jw_kdouble(&w, K_LIMIT_LO, st->limit_lo);
        }
        vmb_jw_obj_end(&w);
    }
    vmb_jw_arr_end(&w);
    vmb_jw_obj_end(&w);
    autofree char *text = vmb_jw_steal(&w);
    if (rounds->len > 0)
        vmb_buf_puts(rounds, ",");
    vmb_buf_puts(rounds, text);
}

int
vmb_tune_json_write(const char *dir, const struct vmb_tune_record *rec,
                    struct vmb_error **err)
{
    const struct vmb_tune_settings *set = rec->set;
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_jw_obj_begin(&w);
    vmb_jw_kint(&w, K_SCHEMA, 1);
    vmb_jw_key(&w, K_SETTINGS);
    vmb_jw_obj_begin(&w);
    vmb_jw_kstr(&w, K_OBJECTIVE, set->objective);
    vmb_jw_kstr(&w, K_LIMIT, set->limit);
    vmb_jw_kint(&w, K_FIRST, set->first);
    vmb_jw_kint(&w, K_BUDGET, set->budget);
    vmb_jw_kstr(&w, K_ONLY, set->only);
    vmb_jw_obj_end(&w);
    vmb_jw_kstr(&w, K_OBJECTIVE, set->objective);
    vmb_jw_kbool(&w, K_HIGHER_BETTER, rec->higher_better);
    vmb_jw_kstr(&w, K_RACING, rec->racing);
    vmb_jw_kint(&w, K_REPETITIONS, rec->repetitions);
    vmb_jw_key(&w, K_ROUNDS);
    vmb_jw_arr_begin(&w);
    if (rec->rounds != NULL && rec->rounds[0] != '\0')
        vmb_jw_raw(&w, rec->rounds);
    vmb_jw_arr_end(&w);
    vmb_jw_kuint(&w, K_RUNS, rec->runs);
    vmb_jw_kuint(&w, K_FACTORIAL_RUNS, rec->factorial_runs);
    vmb_jw_kstr(&w, K_STOPPED, rec->stopped);
    vmb_jw_key(&w, K_WINNER);
    if (rec->winner_id != NULL) {
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, K_ID, rec->winner_id);
        vmb_jw_kstr(&w, K_LABEL, rec->winner_label);
        vmb_jw_obj_end(&w);
    } else {
        vmb_jw_null(&w);
    }
    vmb_jw_obj_end(&w);
    vmb_buf_puts(&w.buf, "\n");
    autofree char *text = vmb_jw_steal(&w);
    autofree char *path = vmb_xasprintf("%s/%s", dir, FILE_NAME);
    return vmb_write_file_atomic(path, text, strlen(text), err);
}

int
vmb_tune_settings_read(const char *dir, struct vmb_tune_settings *out,
                       struct vmb_error **err)
{
    autofree char *path = vmb_xasprintf("%s/%s", dir, FILE_NAME);
    struct json_object *o = NULL;
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a tune's results directory "
                             "(no %s)",
                             dir, FILE_NAME);
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx c = {.path = path};
    struct vmb_tune_settings s = {0};
    struct json_object *set = vmb_res_obj(&c, o, NULL, K_SETTINGS);
    s.objective = vmb_res_str(&c, set, K_SETTINGS, K_OBJECTIVE);
    s.limit = vmb_res_str(&c, set, K_SETTINGS, K_LIMIT);
    s.only = vmb_res_str(&c, set, K_SETTINGS, K_ONLY);
    if (!vmb_res_int(&c, set, K_SETTINGS, K_FIRST, 1, 1000000, &s.first))
        s.first = 0;
    if (!vmb_res_int(&c, set, K_SETTINGS, K_BUDGET, 0, INT64_MAX, &s.budget))
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
    if (!vmb_res_int(c, round, P_ROUND, K_ROUND, 1, 1000000, &st->round))
        st->round = 0;
    if (!vmb_res_int(c, round, P_ROUND, K_REPETITIONS, 1, 1000000,
                     &st->repetitions))
        st->repetitions = 0;
    const char *p = P_CELL;
    st->id = vmb_res_str(c, cell, p, K_ID);
    st->label = vmb_res_str(c, cell, p, K_LABEL);
    st->status = vmb_res_str(c, cell, p, K_STATUS);
    st->why = vmb_res_str(c, cell, p, K_WHY);
    st->n = vmb_res_num(c, cell, p, K_N, 0, 1e6);
    st->median = vmb_res_num(c, cell, p, K_MEDIAN, VMB_RES_NONNEG);
    st->lo = vmb_res_num(c, cell, p, K_LO, VMB_RES_NONNEG);
    st->hi = vmb_res_num(c, cell, p, K_HI, VMB_RES_NONNEG);
    st->p_best = vmb_res_num(c, cell, p, K_P_BEST, 0, 1);
}

int
vmb_tune_history_read(const char *dir, struct vmb_tune_history *out,
                      struct vmb_error **err)
{
    autofree char *path = vmb_xasprintf("%s/%s", dir, FILE_NAME);
    if (vmb_res_kind_of(path) == VMB_RES_NONE)
        return 1;
    struct json_object *o = NULL;
    if (vmb_res_load_json(path, VMB_RES_JSON_MAX, &o, err) < 0)
        return -1;
    struct vmb_res_ctx c = {.path = path};
    struct vmb_tune_history h = {0};
    struct json_object *set = vmb_res_obj(&c, o, NULL, K_SETTINGS);
    h.objective = vmb_res_str(&c, set, K_SETTINGS, K_OBJECTIVE);
    h.limit = vmb_res_str(&c, set, K_SETTINGS, K_LIMIT);
    h.stopped = vmb_res_str(&c, o, NULL, K_STOPPED);
    h.winner =
        vmb_res_str(&c, vmb_res_obj(&c, o, NULL, K_WINNER), K_WINNER, K_LABEL);
    h.runs = vmb_res_num(&c, o, NULL, K_RUNS, VMB_RES_NONNEG);
    h.factorial_runs =
        vmb_res_num(&c, o, NULL, K_FACTORIAL_RUNS, VMB_RES_NONNEG);
    struct json_object *rounds = vmb_res_arr(&c, o, NULL, K_ROUNDS);
    size_t nr = rounds ? json_object_array_length(rounds) : 0;
    for (size_t i = 0; i < nr && c.err == NULL; i++) {
        struct json_object *round = json_object_array_get_idx(rounds, i);
        struct json_object *cells = vmb_res_arr(&c, round, P_ROUND, K_CELLS);
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
