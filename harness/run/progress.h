/*
 * The progress line of a run session (run/progress.c): which run of how
 * many, its cell, the step or load phase with its op rate, elapsed time
 * and an estimate of what is left, from the runs done so far. A thread
 * redraws it; the calls below are safe from the session's thread while
 * it runs. Notes (vmb_progress_note, or base/note.h's vmb_note through
 * vmb_progress_notes) clear the line first and get a line of their own.
 */
#ifndef VMB_PROGRESS_H
#define VMB_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/note.h"
#include "config/matrix.h"

struct vmb_progress {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop, tty;
    size_t k, n; /* run k of n in this session */
    char label[200];
    char phase[48];
    double ops_per_s;
    uint64_t ops;                 /* of the current phase so far */
    const struct vmb_config *cfg; /* of the current run */
    size_t phase_index;           /* SIZE_MAX outside the load phases */
    uint64_t session_t0, run_t0;
    /* By kind (enum vmb_cell_kind): VM runs and control runs differ a lot. */
    int kind;          /* of the current run */
    size_t waiting[2]; /* runs not started yet */
    size_t done[2];    /* runs executed in this session */
    double done_s[2];  /* their total time */
    double est_s[2];   /* a rough guess of one run, before any is done */
    char last_phase[48];
    uint64_t last_print;
    bool line_open; /* a tty line without newline is on screen */
};

/* Counts a run that is still to come (before vmb_progress_start). */
void vmb_progress_expect(struct vmb_progress *p, const struct vmb_cell *c);

/* Starts and stops the drawing thread; stop clears the line. */
void vmb_progress_start(struct vmb_progress *p);
void vmb_progress_stop(struct vmb_progress *p);

/* Run k (1-based) of the session begins, and the current one ends. */
void vmb_progress_run_begin(struct vmb_progress *p, size_t k,
                            const struct vmb_cell *cell, int rep);
void vmb_progress_run_end(struct vmb_progress *p);

/* The step now running; index: the load phase, SIZE_MAX for other steps. */
void vmb_progress_phase(struct vmb_progress *p, const char *phase,
                        size_t index);

/* The load generator's progress callback (ctx: the struct vmb_progress). */
void vmb_progress_rate(void *ctx, uint64_t ops, double ops_per_s);

/* A message of its own line, clearing the progress line first. */
void vmb_progress_note(struct vmb_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Notes for code below run/ (runtimes), printed through vmb_progress_note;
 * valid while p is. */
struct vmb_notes vmb_progress_notes(struct vmb_progress *p);

#endif
