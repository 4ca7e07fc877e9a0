#include "config/plan.h"

#include <inttypes.h>
#include <string.h>
#include <sys/random.h>

#include "base/util.h"
#include "config/kata.h"

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t
fresh_seed(void)
{
    uint32_t s = 0;
    if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
        s = (uint32_t)vmb_wall_ns();
    return s ? s : 1;
}

/* Boot plus phases at a guessed rate. */
double
vmb_plan_estimate_run(const struct vmb_cell *c)
{
    double s = c->kind == VMB_CELL_VM ? 40.0 : 3.0;
    for (size_t i = 0; i < c->cfg.nphases; i++) {
        const struct vmb_phase *p = &c->cfg.phases[i];
        s += (double)c->cfg.load.warmup_us / 1e6;
        if (p->capacity_limit_us > 0) {
            /* A search takes about a dozen steps, each after a warm-up. */
            double search =
                12 * ((double)p->step_us + (double)c->cfg.load.warmup_us) / 1e6;
            if (p->phase_timeout_us > 0 &&
                (double)p->phase_timeout_us / 1e6 < search)
                search = (double)p->phase_timeout_us / 1e6;
            s += search;
        } else if (p->n > 0) {
            double rate = c->cfg.load.rate_per_s
                              ? (double)c->cfg.load.rate_per_s
                              : 20000.0;
            s += (double)p->n / rate;
        } else {
            s += (double)p->duration_us / 1e6;
        }
    }
    return s;
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* What every host that plans this matrix agrees on: no seed, no host. */
static void
plan_identity(const struct vmb_matrix *m, struct vmb_plan *p)
{
    char head[64];
    snprintf(head, sizeof(head), "order=%d reps=%" PRId64 "\n", p->order,
             m->base.top.repetitions);
    uint64_t h = fnv1a(head, 1469598103934665603ull);
    for (size_t i = 0; i < m->ncontrols; i++)
        h = fnv1a(m->controls[i].id, fnv1a("control ", h));
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_cell *c = &m->cells[i];
        h = fnv1a(c->id, fnv1a("cell ", h));
        if (c->control != SIZE_MAX)
            h = fnv1a(m->controls[c->control].id, fnv1a("/", h));
    }
    snprintf(p->id, sizeof(p->id), "%016" PRIx64, h);
}

int
vmb_plan_build(const struct vmb_matrix *m, struct vmb_plan **out,
               struct vmb_error **err)
{
    const struct vmb_top_opts *top = &m->base.top;
    size_t reps = (size_t)top->repetitions;
    size_t per_rep = m->ncells + m->ncontrols;
    /* The loader refuses this already; a matrix built otherwise may not. */
    if (top->repetitions < 1 || per_rep == 0 ||
        reps > VMB_MATRIX_MAX_RUNS / per_rep)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%zu cells and controls x %" PRId64
                             " repetitions: not 1 to %d runs",
                             per_rep, top->repetitions, VMB_MATRIX_MAX_RUNS);
    struct vmb_plan *p = vmb_xcalloc(1, sizeof(*p));
    p->order = top->order;
    p->seed = top->seed ? (uint64_t)top->seed : fresh_seed();
    p->nruns = per_rep * reps;
    p->runs = vmb_xcalloc(p->nruns, sizeof(*p->runs));
    size_t k = 0;
    if (top->order == VMB_ORDER_SEQUENTIAL) {
        for (size_t c = 0; c < per_rep; c++)
            for (size_t r = 1; r <= reps; r++) {
                p->runs[k].cell = c < m->ncontrols
                                      ? &m->controls[c]
                                      : &m->cells[c - m->ncontrols];
                p->runs[k++].rep = (int)r;
            }
    } else {
        for (size_t r = 1; r <= reps; r++)
            for (size_t c = 0; c < per_rep; c++) {
                p->runs[k].cell = c < m->ncontrols
                                      ? &m->controls[c]
                                      : &m->cells[c - m->ncontrols];
                p->runs[k++].rep = (int)r;
            }
    }
    if (top->order == VMB_ORDER_RANDOM) {
        /* Shuffle within each round, so repetition k of every cell still
         * runs before repetition k+1 and drift stays balanced. */
        uint64_t st = p->seed;
        for (size_t r = 0; r < reps; r++) {
            struct vmb_plan_run *round = p->runs + r * per_rep;
            for (size_t i = per_rep; i > 1; i--) {
                size_t j = (size_t)(splitmix64(&st) % i);
                struct vmb_plan_run t = round[i - 1];
                round[i - 1] = round[j];
                round[j] = t;
            }
        }
    }
    for (size_t i = 0; i < p->nruns; i++)
        p->estimate_s += vmb_plan_estimate_run(p->runs[i].cell);
    plan_identity(m, p);
    *out = p;
    return 0;
}

void
vmb_plan_free(struct vmb_plan *p)
{
    if (p == NULL)
        return;
    free(p->runs);
    free(p->cell_in);
    free(p->control_in);
    free(p);
}

char *
vmb_plan_run_dir(const struct vmb_plan_run *r)
{
    return vmb_xasprintf(
        "%s/%s/rep%d", r->cell->kind == VMB_CELL_CONTROL ? "control" : "cells",
        r->cell->id, r->rep);
}
