/*
 * `vmbench tune`: rounds of runs through vmb_run (a chosen subset of the
 * plan each time), the results read back after each round and the race's
 * rule applied (analysis/race.h). Every decision depends only on the
 * results on disk, so a tune killed and resumed replays its rounds and
 * ends where an uninterrupted one would.
 */
#include "run/tune.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/race.h"
#include "base/units.h"
#include "base/util.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "results/metric.h"
#include "results/results.h"
#include "results/tune.h"
#include "run/run.h"

#define TUNE_FIRST_DEFAULT 3

struct spec {
    char *phase;  /* "write" or "0-write" */
    char *metric; /* "op_rate", "p99" */
    const struct vmb_metric *row;
};

struct tune {
    const struct vmb_tune_opts *opts;
    struct vmb_tune_settings set;
    struct spec obj, lim;
    bool has_limit;
    double limit_us;
    char *dir;
    struct vmb_matrix *m;
    const struct vmb_cell **cand; /* the cells that race */
    size_t ncand;
    bool controls_race; /* --only baremetal: the controls race */
    int only;           /* enum vmb_run_only, from the settings */
    int64_t reps;       /* the matrix's repetitions: the most a cell gets */
    int64_t k;          /* repetitions of the cells racing this round */
    bool *racing;
    size_t runs;           /* runs the race has planned so far */
    struct vmb_buf rounds; /* tune.json's rounds, serialised */
    bool created;          /* the directory exists (later rounds resume) */
    bool checked; /* the first round checked the host (its preflight) */
};

static void
spec_clear(struct spec *s)
{
    free(s->phase);
    free(s->metric);
}

/* "PHASE.METRIC": the phase names hold no dot, a metric may ("p99.9"). */
static int
spec_parse(const char *text, const struct vmb_matrix *m, struct spec *out,
           struct vmb_error **err)
{
    const char *dot = strchr(text, '.');
    if (dot == NULL || dot == text || dot[1] == '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not PHASE.METRIC (for example "
                             "write.op_rate or read.p99)",
                             text);
    out->phase = vmb_xstrndup(text, (size_t)(dot - text));
    out->metric = vmb_xstrdup(dot + 1);
    out->row = vmb_metric_find(out->metric, VMB_IN_PHASES);
    if (out->row == NULL) {
        autofree char *known = vmb_metric_names(VMB_IN_PHASES);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "unknown metric \"%s\" in \"%s\"; known: %s",
                             out->metric, text, known);
    }
    const struct vmb_config *cfg = &m->base;
    for (size_t i = 0; i < cfg->nphases; i++) {
        char name[40];
        const char *op = vmb_op_name(cfg->phases[i].op);
        snprintf(name, sizeof(name), "%zu-%s", i, op);
        if (strcmp(out->phase, name) == 0 || strcmp(out->phase, op) == 0)
            return 0;
    }
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "the matrix has no phase \"%s\" (in \"%s\")",
                         out->phase, text);
}

static int
limit_parse(struct tune *t, const char *text, struct vmb_error **err)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--limit \"%s\" is not PHASE.METRIC=VALUE (for "
                             "example write.p99=2ms)",
                             text);
    autofree char *lhs = vmb_xstrndup(text, (size_t)(eq - text));
    if (spec_parse(lhs, t->m, &t->lim, err) < 0)
        return vmb_error_prefix(err, "--limit");
    /* The value is a duration: the metric must be one, lower better. */
    if (t->lim.row->higher_better || strcmp(t->lim.row->unit, "us") != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--limit \"%s\": a limit is an upper bound on a "
                             "latency, not on \"%s\"",
                             text, t->lim.metric);
    uint64_t us = 0;
    if (vmb_parse_duration_us(eq + 1, &us) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--limit \"%s\": \"%s\" is not a duration (2ms, "
                             "500us)",
                             text, eq + 1);
    t->has_limit = true;
    t->limit_us = (double)us;
    return 0;
}

static long
cand_of(const struct tune *t, const struct vmb_cell *c)
{
    /* vmb_run plans from its own copy of the matrix: match by id. */
    for (size_t i = 0; i < t->ncand; i++)
        if (t->cand[i]->kind == c->kind && strcmp(t->cand[i]->id, c->id) == 0)
            return (long)i;
    return -1;
}

/* The runs of this round: racing cells up to k, other runs in round 1. */
static bool
want(void *ctx, const struct vmb_plan_run *r)
{
    const struct tune *t = ctx;
    long i = cand_of(t, r->cell);
    if (i >= 0)
        return t->racing[i] && r->rep <= t->k;
    /* VM cells race: their controls run the first round, as reference. */
    return !t->controls_race && t->only == VMB_RUN_ALL &&
           r->cell->kind == VMB_CELL_CONTROL && r->rep <= t->set.first;
}

static const char *
only_name(int only)
{
    return only == VMB_RUN_ONLY_VM          ? "vm"
           : only == VMB_RUN_ONLY_BAREMETAL ? "baremetal"
                                            : "all";
}

/* tune.json as it stands: stopped and winner once the race is over. */
static int
write_tune_json(struct tune *t, const char *stopped, long winner,
                struct vmb_error **err)
{
    size_t others =
        t->controls_race || t->only == VMB_RUN_ONLY_VM ? 0 : t->m->ncontrols;
    struct vmb_tune_record rec = {
        .set = &t->set,
        .higher_better = t->obj.row->higher_better,
        .racing = t->controls_race ? "controls" : "cells",
        .repetitions = t->reps,
        .rounds = t->rounds.len > 0 ? t->rounds.data : NULL,
        .runs = t->runs,
        .factorial_runs = (uint64_t)(t->ncand + others) * (uint64_t)t->reps,
        .stopped = stopped,
        .winner_id = winner >= 0 ? t->cand[winner]->id : NULL,
        .winner_label = winner >= 0 ? t->cand[winner]->label : NULL,
    };
    return vmb_tune_json_write(t->dir, &rec, err);
}

static int
begin(void *ctx, const char *dir, struct vmb_error **err)
{
    struct tune *t = ctx;
    (void)dir;
    t->created = true;
    if (t->rounds.len > 0)
        return 0;
    return write_tune_json(t, NULL, -1, err);
}

static const struct vmb_res_cell *
res_cell(const struct vmb_results *r, const struct vmb_cell *c)
{
    const struct vmb_res_cell *list =
        c->kind == VMB_CELL_VM ? r->cells : r->controls;
    size_t n = c->kind == VMB_CELL_VM ? r->ncells : r->ncontrols;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].id, c->id) == 0)
            return &list[i];
    return NULL;
}

static const struct vmb_res_phase *
res_phase(const struct vmb_res_rep *rep, const char *phase)
{
    for (size_t i = 0; i < rep->nphases; i++)
        if (strcmp(rep->phases[i].name, phase) == 0 ||
            strcmp(rep->phases[i].op, phase) == 0)
            return &rep->phases[i];
    return NULL;
}

/* The values of a cell's successful repetitions 1..k. */
static void
values(const struct tune *t, const struct vmb_res_cell *rc, double *x,
       double *lx, size_t *n)
{
    *n = 0;
    for (size_t j = 0; rc != NULL && j < rc->nreps; j++) {
        const struct vmb_res_rep *rep = &rc->reps[j];
        if (!rep->ok || rep->rep > t->k)
            continue;
        const struct vmb_res_phase *p = res_phase(rep, t->obj.phase);
        double v = p ? t->obj.row->phase(p) : NAN;
        double lv = 0;
        if (t->has_limit) {
            const struct vmb_res_phase *lp = res_phase(rep, t->lim.phase);
            lv = lp ? t->lim.row->phase(lp) : NAN;
        }
        if (!isfinite(v) || !isfinite(lv))
            continue;
        x[*n] = v;
        lx[*n] = lv;
        (*n)++;
    }
}

/* This round's cells (those racing at its start) into tune.json's rounds. */
static void
round_json(struct tune *t, const struct vmb_race_cand *c, long best)
{
    struct vmb_tune_cell *steps = vmb_xcalloc(t->ncand, sizeof(*steps));
    size_t n = 0;
    for (size_t i = 0; i < t->ncand; i++) {
        if (!t->racing[i])
            continue; /* dropped in an earlier round */
        const char *why = vmb_race_why_name(c[i].why);
        steps[n] = (struct vmb_tune_cell){
            .id = t->cand[i]->id,
            .label = t->cand[i]->label,
            .status = c[i].racing ? why : "dropped",
            .why = c[i].racing ? NULL : why,
            .n = c[i].n,
            .median = c[i].median,
            .lo = c[i].lo,
            .hi = c[i].hi,
            .p_best = c[i].p_best,
            .limit_median = c[i].lmedian,
            .limit_lo = c[i].llo,
        };
        n++;
    }
    struct vmb_tune_round r = {
        .round = t->k - t->set.first + 1,
        .repetitions = t->k,
        .runs = t->runs,
        .best = best >= 0 ? t->cand[best]->id : NULL,
        .has_limit = t->has_limit,
        .cells = steps,
        .ncells = n,
    };
    vmb_tune_round_append(&t->rounds, &r);
    free(steps);
}

/* Reads the results back and applies the rule; returns the best or -1. */
static int
decide(struct tune *t, long *best, struct vmb_error **err)
{
    struct vmb_results *r = NULL;
    if (vmb_results_load(t->dir, &r, err) < 0)
        return -1;
    struct vmb_race_rule rule =
        vmb_race_rule_default(t->obj.row->higher_better, r->seed);
    rule.has_limit = t->has_limit;
    rule.limit = t->limit_us;
    size_t cap = (size_t)t->k;
    double *vals = vmb_xcalloc(t->ncand * cap * 2, sizeof(*vals));
    struct vmb_race_cand *c = vmb_xcalloc(t->ncand, sizeof(*c));
    for (size_t i = 0; i < t->ncand; i++) {
        double *x = vals + i * cap * 2;
        c[i].id = t->cand[i]->id;
        c[i].racing = t->racing[i];
        c[i].x = x;
        c[i].lx = t->has_limit ? x + cap : NULL;
        values(t, res_cell(r, t->cand[i]), x, x + cap, &c[i].n);
    }
    *best = vmb_race_decide(&rule, c, t->ncand);
    round_json(t, c, *best);
    for (size_t i = 0; i < t->ncand; i++) {
        if (!t->racing[i] || c[i].racing)
            continue;
        t->racing[i] = false;
        fprintf(stderr,
                "vmbench: tune: after %" PRId64 " repetitions, dropped %s "
                "(%s): median %g [%g, %g], p(best) %.3f\n",
                t->k, t->cand[i]->label, vmb_race_why_name(c[i].why),
                c[i].median, c[i].lo, c[i].hi, c[i].p_best);
    }
    if (*best >= 0)
        fprintf(stderr,
                "vmbench: tune: best so far %s: %s median %g [%g, %g]; %zu "
                "racing\n",
                t->cand[*best]->label, t->set.objective, c[*best].median,
                c[*best].lo, c[*best].hi, vmb_race_racing(c, t->ncand));
    free(vals);
    free(c);
    vmb_results_free(r);
    return 0;
}

static bool
file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Whether a run of this round has no result.json yet. */
static bool
round_pending(const struct tune *t, const struct vmb_plan *plan)
{
    for (size_t i = 0; i < plan->nruns; i++) {
        const struct vmb_plan_run *r = &plan->runs[i];
        if (t->only == VMB_RUN_ONLY_VM && r->cell->kind != VMB_CELL_VM)
            continue;
        if (t->controls_race && r->cell->kind == VMB_CELL_VM)
            continue;
        if (!want((void *)t, r))
            continue;
        autofree char *rel = vmb_plan_run_dir(r);
        autofree char *path = vmb_xasprintf("%s/%s/result.json", t->dir, rel);
        if (!file_exists(path))
            return true;
    }
    return false;
}

static int
run_round(struct tune *t, const struct vmb_plan *plan, struct vmb_error **err)
{
    if (t->created && !round_pending(t, plan))
        return 0;
    size_t unstarted = 0;
    struct vmb_run_opts ro = {
        .matrix = t->created ? NULL : t->opts->run.matrix,
        .out = t->created ? NULL : t->dir,
        .resume = t->created ? t->dir : NULL,
        .only = t->only,
        .kata = t->created ? NULL : t->opts->run.kata,
        .dry_run = t->opts->run.dry_run,
        .want = want,
        .want_ctx = t,
        .begin = begin,
        .preflight_done = t->checked,
        .not_started = &unstarted,
    };
    int rc = vmb_run(&ro, err);
    t->checked = true;
    /* No race on runs the host could not start: stop, resumable. */
    /* cppcheck-suppress knownConditionTrueFalse ; vmb_run sets it */
    if (rc >= 0 && unstarted > 0) {
        autofree char *q = vmb_shell_quote(t->dir);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%zu runs could not start (listed above); "
                             "continue with `vmbench tune --resume %s` once "
                             "the host has what they need",
                             unstarted, q);
    }
    if (rc < 0 && vmb_interrupted) {
        vmb_error_free(*err);
        *err = NULL;
        autofree char *q = vmb_shell_quote(t->dir);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "interrupted; finished runs are kept in \"%s\", "
                             "continue with `vmbench tune --resume %s`",
                             t->dir, q);
    }
    return rc < 0 ? -1 : 0;
}

static char *
default_out(const char *name)
{
    char stamp[32], compact[32];
    vmb_utc_stamp(stamp, sizeof(stamp), vmb_wall_ns());
    size_t j = 0;
    for (size_t i = 0; stamp[i] && j + 1 < sizeof(compact); i++)
        if (stamp[i] != ':')
            compact[j++] = stamp[i];
    compact[j] = '\0';
    return vmb_xasprintf("results/%s-tune-%s", name, compact);
}

static int
setup(struct tune *t, struct vmb_error **err)
{
    const struct vmb_tune_opts *o = t->opts;
    if (o->run.resume != NULL) {
        t->dir = vmb_xstrdup(o->run.resume);
        size_t n = strlen(t->dir);
        while (n > 1 && t->dir[n - 1] == '/')
            t->dir[--n] = '\0';
        if (vmb_tune_settings_read(t->dir, &t->set, err) < 0)
            return -1;
        if (vmb_run_load_matrix(t->dir, &t->m, err) < 0)
            return -1;
        t->created = true;
    } else {
        if (vmb_matrix_load_kata(o->run.matrix, o->run.kata, &t->m, err) < 0)
            return -1;
        t->set.objective = vmb_xstrdup(o->objective);
        t->set.limit = o->limit ? vmb_xstrdup(o->limit) : NULL;
        if (o->first > 0 && o->first < VMB_RACE_MIN_RUNS)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "--first %" PRId64 " is below %d, the "
                                 "fewest runs a cell needs before the race "
                                 "may drop it; see `vmbench tune --help`",
                                 o->first, VMB_RACE_MIN_RUNS);
        t->set.first = o->first > 0 ? o->first : TUNE_FIRST_DEFAULT;
        t->set.budget = o->budget;
        t->set.only = vmb_xstrdup(only_name(o->run.only));
        t->dir = o->run.out ? vmb_xstrdup(o->run.out) : default_out(t->m->name);
    }
    if (spec_parse(t->set.objective, t->m, &t->obj, err) < 0)
        return vmb_error_prefix(err, "--objective");
    if (t->set.limit != NULL && limit_parse(t, t->set.limit, err) < 0)
        return -1;
    if (strcmp(t->set.only, "all") != 0 && strcmp(t->set.only, "vm") != 0 &&
        strcmp(t->set.only, "baremetal") != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s/tune.json: settings.only: \"%s\" is not "
                             "all, vm or baremetal",
                             t->dir, t->set.only);
    t->controls_race = strcmp(t->set.only, "baremetal") == 0;
    t->only = t->controls_race                 ? VMB_RUN_ONLY_BAREMETAL
              : strcmp(t->set.only, "vm") == 0 ? VMB_RUN_ONLY_VM
                                               : VMB_RUN_ALL;
    t->reps = t->m->base.top.repetitions;
    if (t->set.first > t->reps)
        t->set.first = t->reps;
    const struct vmb_cell *list =
        t->controls_race ? t->m->controls : t->m->cells;
    t->ncand = t->controls_race ? t->m->ncontrols : t->m->ncells;
    if (t->ncand == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the matrix has no %s to race",
                             t->controls_race ? "controls" : "cells");
    t->cand = vmb_xcalloc(t->ncand, sizeof(*t->cand));
    t->racing = vmb_xcalloc(t->ncand, sizeof(*t->racing));
    for (size_t i = 0; i < t->ncand; i++) {
        t->cand[i] = &list[i];
        t->racing[i] = true;
    }
    size_t first_runs = t->ncand * (size_t)t->set.first;
    if (!t->controls_race && t->only != VMB_RUN_ONLY_VM)
        first_runs += t->m->ncontrols * (size_t)t->set.first;
    if (t->set.budget > 0 && (size_t)t->set.budget < first_runs)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--budget %" PRId64 " is less than the first "
                             "round's %zu runs",
                             t->set.budget, first_runs);
    t->runs = first_runs;
    t->k = t->set.first;
    return 0;
}

static void
tune_free(struct tune *t)
{
    vmb_tune_settings_clear(&t->set);
    spec_clear(&t->obj);
    spec_clear(&t->lim);
    free(t->dir);
    vmb_matrix_free(t->m);
    free(t->cand);
    free(t->racing);
    vmb_buf_free(&t->rounds);
}

static void
print_winner(const struct tune *t, long best, const char *stopped)
{
    size_t factorial = t->ncand * (size_t)t->reps;
    if (!t->controls_race && t->only != VMB_RUN_ONLY_VM)
        factorial += t->m->ncontrols * (size_t)t->reps;
    const struct vmb_cell *w = t->cand[best];
    autofree char *label = vmb_term_safe(w->label);
    autofree char *dir = vmb_shell_quote(t->dir);
    autofree char *safe_dir = vmb_term_safe(dir);
    printf("winner: %s (%s) on %s%s%s\n", label, w->id, t->set.objective,
           t->has_limit ? " with " : "", t->has_limit ? t->set.limit : "");
    printf("race: %zu runs, stopped: %s; the full factorial: %zu runs\n",
           t->runs, stopped, factorial);
    if (w->kind == VMB_CELL_VM)
        printf("write it: vmbench kata-config %s %s\n", safe_dir, w->id);
    else
        printf("a bare-metal control has no Kata settings; see %s/tune.json\n",
               safe_dir);
}

int
vmb_tune(const struct vmb_tune_opts *opts, struct vmb_error **err)
{
    struct tune t = {.opts = opts};
    struct vmb_plan *plan = NULL;
    int rc = -1;
    long best = -1;
    const char *stopped = NULL;
    if (setup(&t, err) < 0 || vmb_plan_build(t.m, &plan, err) < 0)
        goto out;
    if (opts->run.dry_run) {
        rc = run_round(&t, plan, err);
        if (rc == 0)
            printf("then rounds of one more repetition for the cells still "
                   "racing, up to %" PRId64 " (%s)\n",
                   t.reps, t.set.objective);
        goto out;
    }
    for (;;) {
        if (run_round(&t, plan, err) < 0 || decide(&t, &best, err) < 0)
            goto out;
        /* The rounds so far stay on disk if the tune is killed. */
        if (write_tune_json(&t, NULL, -1, err) < 0)
            goto out;
        size_t racing = 0;
        for (size_t i = 0; i < t.ncand; i++)
            racing += t.racing[i];
        if (racing <= 1)
            stopped = "separated";
        else if (t.k >= t.reps)
            stopped = "repetitions";
        else if (t.set.budget > 0 && t.runs + racing > (size_t)t.set.budget)
            stopped = "budget";
        if (stopped != NULL)
            break;
        t.k++;
        t.runs += racing;
    }
    if (write_tune_json(&t, stopped, best, err) < 0)
        goto out;
    if (opts->run.report != NULL)
        opts->run.report(t.dir);
    if (best < 0) {
        printf("no cell has a value%s; see %s/tune.json\n",
               t.has_limit ? " within the limit" : "", t.dir);
        rc = 1;
        goto out;
    }
    print_winner(&t, best, stopped);
    rc = 0;
out:
    vmb_plan_free(plan);
    tune_free(&t);
    return rc;
}
