/*
 * The live progress line of `vmbench run` ("run 3 of 12  <cell> rep 1
 * write  41873 ops/s  elapsed 2:13  left ~9:40"), redrawn about once a
 * second on a terminal and written as a line per step otherwise, and the
 * notes that must not land on the end of it.
 */
#include "run/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static void
fmt_hms(double s, char *buf, size_t len)
{
    if (s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/* Called with mu held. */
static void
progress_print(struct vmb_progress *p)
{
    uint64_t now = vmb_now_ns();
    double elapsed = (double)(now - p->session_t0) / 1e9;
    double run_el = (double)(now - p->run_t0) / 1e9;
    /* What is left of this run's phases, at the rate it runs now. */
    double cur_left = -1;
    if (p->cfg != NULL && p->phase_index < p->cfg->nphases &&
        p->ops_per_s > 0) {
        cur_left = 0;
        for (size_t i = p->phase_index; i < p->cfg->nphases; i++) {
            const struct vmb_phase *ph = &p->cfg->phases[i];
            double todo = ph->n > 0 ? (double)ph->n : 0;
            if (i == p->phase_index && todo > (double)p->ops)
                todo -= (double)p->ops;
            cur_left +=
                ph->n > 0 ? todo / p->ops_per_s : (double)ph->duration_us / 1e6;
        }
    }
    double per_run[2];
    for (int k = 0; k < 2; k++)
        per_run[k] = p->done[k] > 0 ? p->done_s[k] / (double)p->done[k]
                     : k == p->kind && cur_left >= 0 ? run_el + cur_left
                                                     : p->est_s[k];
    double cur = per_run[p->kind];
    double left = cur_left >= 0 ? cur_left : cur > run_el ? cur - run_el : 0;
    for (int k = 0; k < 2; k++)
        left += per_run[k] * (double)p->waiting[k];
    char el[32], eta[32], rate[48] = "";
    fmt_hms(elapsed, el, sizeof(el));
    fmt_hms(left, eta, sizeof(eta));
    if (p->ops_per_s > 0)
        snprintf(rate, sizeof(rate), "  %.0f ops/s", p->ops_per_s);
    if (p->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "run %zu of %zu  %s  %s%s  elapsed %s  left ~%s", p->k,
            p->n, p->label, p->phase, rate, el, eta);
    if (p->tty) {
        p->line_open = true;
    } else {
        fputc('\n', stderr);
    }
    fflush(stderr);
    p->last_print = now;
    snprintf(p->last_phase, sizeof(p->last_phase), "%s", p->phase);
}

static void *
progress_main(void *arg)
{
    struct vmb_progress *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (p->stop || p->k == 0)
            continue;
        /* Not a terminal: a line when the phase changes, else every 10 s. */
        if (p->tty || strcmp(p->phase, p->last_phase) != 0 ||
            vmb_now_ns() - p->last_print >= 10000000000ull)
            progress_print(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* A first guess of a run's length: boot, then the phases at 20k ops/s. */
static double
rough_run_s(const struct vmb_cell *c)
{
    double s = c->kind == VMB_CELL_VM ? 40.0 : 3.0;
    for (size_t i = 0; i < c->cfg.nphases; i++) {
        const struct vmb_phase *ph = &c->cfg.phases[i];
        s += (double)c->cfg.load.warmup_us / 1e6;
        s +=
            ph->n > 0 ? (double)ph->n / 20000.0 : (double)ph->duration_us / 1e6;
    }
    return s;
}

void
vmb_progress_expect(struct vmb_progress *p, const struct vmb_cell *c)
{
    p->n++;
    p->waiting[c->kind]++;
    p->est_s[c->kind] = rough_run_s(c);
}

void
vmb_progress_start(struct vmb_progress *p)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->tty = isatty(STDERR_FILENO);
    p->session_t0 = vmb_now_ns();
    p->running = pthread_create(&p->thread, NULL, progress_main, p) == 0;
}

void
vmb_progress_stop(struct vmb_progress *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->running)
        pthread_join(p->thread, NULL);
    if (p->line_open)
        fputs("\r\033[K", stderr);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

void
vmb_progress_phase(struct vmb_progress *p, const char *phase, size_t index)
{
    pthread_mutex_lock(&p->mu);
    snprintf(p->phase, sizeof(p->phase), "%s", phase);
    p->ops_per_s = 0;
    p->ops = 0;
    p->phase_index = index;
    pthread_mutex_unlock(&p->mu);
}

void
vmb_progress_rate(void *ctx, uint64_t ops, double ops_per_s)
{
    struct vmb_progress *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->ops = ops;
    p->ops_per_s = ops_per_s;
    pthread_mutex_unlock(&p->mu);
}

void
vmb_progress_note(struct vmb_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    autofree char *safe = vmb_term_safe(msg);
    pthread_mutex_lock(&p->mu);
    if (p->line_open) {
        fputs("\r\033[K", stderr);
        p->line_open = false;
    }
    fprintf(stderr, "%s\n", safe);
    fflush(stderr);
    pthread_mutex_unlock(&p->mu);
}

void
vmb_progress_run_begin(struct vmb_progress *p, size_t k,
                       const struct vmb_cell *cell, int rep)
{
    pthread_mutex_lock(&p->mu);
    p->k = k;
    autofree char *label = vmb_term_safe(cell->label);
    snprintf(p->label, sizeof(p->label), "%s rep %d", label, rep);
    p->run_t0 = vmb_now_ns();
    p->cfg = &cell->cfg;
    p->kind = cell->kind;
    p->waiting[cell->kind]--;
    pthread_mutex_unlock(&p->mu);
}

void
vmb_progress_run_end(struct vmb_progress *p)
{
    pthread_mutex_lock(&p->mu);
    p->done[p->kind]++;
    p->done_s[p->kind] += (double)(vmb_now_ns() - p->run_t0) / 1e9;
    pthread_mutex_unlock(&p->mu);
}

static void
note_through(void *ctx, const char *msg)
{
    vmb_progress_note(ctx, "vmbench: %s", msg);
}

struct vmb_notes
vmb_progress_notes(struct vmb_progress *p)
{
    return (struct vmb_notes){.fn = note_through, .ctx = p};
}
