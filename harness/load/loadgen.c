/*
 * Running one phase: one thread per worker, each an epoll loop over its
 * connections (conn.c), woken by answers, by the open-loop schedule, by
 * the turn of a second and by housekeeping; the calling thread merges
 * seconds as they complete (merge.c), reports progress, and sums up after
 * join.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>

#include "base/units.h"
#include "load/load_priv.h"

#define MAX_EVENTS 256
#define CHECK_EVERY_NS (20 * 1000000ULL)
#define CLOSED_LOOP_TICK_NS (10 * 1000000ULL)
/* A stall seen by the main thread must still be there this much later:
 * by then any answer before it has been published (a worker publishes at
 * least every CLOSED_LOOP_TICK_NS). */
#define STALL_CONFIRM_NS (100 * 1000000ULL)

/* Ends the phase for reason (enum vmb_load_end), unless something ended it
 * already: the first reason is the one the result gives. */
static void
end_phase(struct vmb_load_engine *e, int reason)
{
    int none = VMB_LOAD_END_DONE;
    atomic_compare_exchange_strong(&e->end, &none, reason);
    atomic_store(&e->stop, 1);
}

/* ---- the worker: one epoll loop over its connections ---- */

/* Open loop: sends what the schedule made due since the last call. */
static void
dispatch_due(struct vmb_load_worker *w, uint64_t now)
{
    struct vmb_load_engine *e = w->e;
    if (now < e->t0)
        return;
    uint64_t due = (uint64_t)((double)(now - e->t0) / w->interval_ns) + 1;
    if (due <= w->j_scan)
        return;
    if (due - w->j_scan >= w->nconns) {
        for (uint32_t i = 0; i < w->nconns; i++)
            vmb_load_conn_fill(w, &w->conns[i], now);
    } else {
        for (uint64_t j = w->j_scan; j < due; j++)
            vmb_load_conn_fill(w, &w->conns[j % w->nconns], now);
    }
    w->j_scan = due;
}

static bool
worker_done(struct vmb_load_worker *w, uint64_t now, uint32_t live)
{
    struct vmb_load_engine *e = w->e;
    if (atomic_load_explicit(&e->stop, memory_order_relaxed))
        return true;
    if (e->deadline && now >= e->deadline)
        return true;
    if (!e->deadline && w->sent_measured >= w->quota && w->inflight_total == 0)
        return true;
    if (live == 0) {
        w->gave_up = true;
        return true;
    }
    if (now >= e->hard_deadline) {
        end_phase(e, VMB_LOAD_END_DEADLINE);
        return true;
    }
    return false;
}

static void
publish(struct vmb_load_worker *w)
{
    uint64_t errs = 0;
    for (int i = 0; i < VMB_LOAD_NERR; i++)
        errs += w->errors[i];
    atomic_store_explicit(&w->pub_ops, w->ops, memory_order_relaxed);
    atomic_store_explicit(&w->pub_errors, errs, memory_order_relaxed);
    atomic_store_explicit(&w->pub_last_answer, w->last_answer_ns,
                          memory_order_relaxed);
    atomic_store_explicit(&w->pub_wait_since, w->wait_since_ns,
                          memory_order_relaxed);
}

/*
 * The loop cannot go on without its epoll instance. The requests in
 * flight are lost: io errors, as for a dropped connection, and at least
 * one even in the warm-up, so that the failure shows in the counts. Every
 * thread stops; the main thread fails the phase with w->fail_errno.
 */
static void
worker_fail(struct vmb_load_worker *w, int errnum, uint64_t now)
{
    uint64_t lost = vmb_load_unanswered(w);
    w->errors[VMB_LOAD_ERR_IO] += lost > 0 ? lost : 1;
    if (w->first_errno_ns[VMB_LOAD_ERR_IO] == 0) {
        w->first_errno_ns[VMB_LOAD_ERR_IO] = now;
        w->first_errno[VMB_LOAD_ERR_IO] = errnum;
    }
    w->fail_errno = errnum;
    w->fail_ns = now;
    atomic_store_explicit(&w->e->stop, 1, memory_order_relaxed);
}

/* epoll_pwait2 (Linux 5.11) sleeps with nanosecond precision, which an
 * open-loop schedule needs; older kernels get epoll_wait, rounded up to
 * the next millisecond. */
static int
wait_events(int ep, struct epoll_event *evs, const struct timespec *ts)
{
    static atomic_int no_pwait2;
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        int n = epoll_pwait2(ep, evs, MAX_EVENTS, ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
    }
    long ms = (long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    return epoll_wait(ep, evs, MAX_EVENTS,
                      ms > INT32_MAX ? INT32_MAX : (int)ms);
}

static void *
worker_main(void *arg)
{
    struct vmb_load_worker *w = arg;
    struct vmb_load_engine *e = w->e;
    struct epoll_event evs[MAX_EVENTS];
    uint64_t now = vmb_now_ns();
    uint32_t live = w->nconns;

    /* The default 50 us timer slack would make every open-loop send late
     * by that much, and the lateness counts in the corrected latency. */
    if (e->open_loop)
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    if (!e->open_loop)
        for (uint32_t i = 0; i < w->nconns; i++)
            vmb_load_conn_fill(w, &w->conns[i], now);
    w->next_check = now + CHECK_EVERY_NS;
    for (;;) {
        now = vmb_now_ns();
        if (worker_done(w, now, live))
            break;
        uint64_t wake = now + CLOSED_LOOP_TICK_NS;
        if (e->open_loop) {
            uint64_t next =
                e->t0 + (uint64_t)((double)w->j_scan * w->interval_ns);
            if (next < wake)
                wake = next;
        }
        if (now < e->measure_start && e->measure_start < wake)
            wake = e->measure_start;
        else if (w->cur && w->sec_end < wake)
            wake = w->sec_end;
        if (e->deadline && e->deadline < wake)
            wake = e->deadline;
        if (e->hard_deadline < wake)
            wake = e->hard_deadline;
        if (w->next_check < wake)
            wake = w->next_check;
        if (w->next_retry < wake)
            wake = w->next_retry;
        uint64_t wait = wake > now ? wake - now : 0;
        struct timespec ts = {(time_t)(wait / VMB_LOAD_NS_PER_S),
                              (long)(wait % VMB_LOAD_NS_PER_S)};
        int n = wait_events(w->ep, evs, &ts);
        if (n < 0 && errno != EINTR) {
            worker_fail(w, errno, vmb_now_ns());
            break;
        }
        for (int i = 0; i < n; i++)
            vmb_load_conn_event(w, evs[i].data.ptr, evs[i].events);
        now = vmb_now_ns();
        for (uint32_t i = 0; i < w->nrefill; i++) {
            w->refill[i]->refill = false;
            vmb_load_conn_fill(w, w->refill[i], now);
        }
        w->nrefill = 0;
        if (now >= e->measure_start && (w->cur == NULL || now >= w->sec_end))
            vmb_load_advance_second(w, now);
        if (e->open_loop)
            dispatch_due(w, now);
        if (now >= w->next_check || now >= w->next_retry) {
            live = vmb_load_housekeeping(w, now);
            w->next_check = now + CHECK_EVERY_NS;
        }
        publish(w);
    }
    /* Ended by its limit or a stall: what is still waiting will not be
     * answered within the phase. */
    int end = atomic_load(&e->end);
    if (end == VMB_LOAD_END_DEADLINE || end == VMB_LOAD_END_STALL)
        vmb_load_count_unanswered(w, vmb_now_ns());
    publish(w);
    if (w->cur != NULL)
        atomic_store_explicit(&w->cur->state, VMB_LOAD_SLOT_READY,
                              memory_order_release);
    w->cur = NULL;
    atomic_store_explicit(&w->published_sec, INT64_MAX, memory_order_release);
    atomic_store_explicit(&w->finished, 1, memory_order_release);
    return NULL;
}

/* ---- the main thread: start, collect seconds, report progress ---- */

static bool
all_finished(struct vmb_load_engine *e)
{
    for (int t = 0; t < e->nworkers; t++)
        if (!atomic_load_explicit(&e->w[t].finished, memory_order_acquire))
            return false;
    return true;
}

/* The worker whose loop failed first, or NULL. After join. */
static const struct vmb_load_worker *
first_failed(const struct vmb_load_engine *e)
{
    const struct vmb_load_worker *f = NULL;
    for (int t = 0; t < e->nworkers; t++) {
        const struct vmb_load_worker *w = &e->w[t];
        if (w->fail_errno != 0 && (f == NULL || w->fail_ns < f->fail_ns))
            f = w;
    }
    return f;
}

/*
 * An n phase has stalled when some request has waited request_timeout
 * while no connection had an answer: then no answer is coming, and going
 * on would only time out the rest of n one request_timeout at a time.
 * Seen twice STALL_CONFIRM_NS apart, so that an answer a worker has not
 * published yet cannot make a stall.
 */
static bool
stalled(struct vmb_load_engine *e, uint64_t now, uint64_t *suspect_since)
{
    uint64_t answered = e->t0;
    for (int t = 0; t < e->nworkers; t++) {
        uint64_t a = atomic_load_explicit(&e->w[t].pub_last_answer,
                                          memory_order_relaxed);
        if (a > answered)
            answered = a;
    }
    bool waiting = false;
    for (int t = 0; t < e->nworkers && !waiting; t++) {
        const struct vmb_load_worker *w = &e->w[t];
        if (atomic_load_explicit(&w->finished, memory_order_acquire))
            continue;
        uint64_t since =
            atomic_load_explicit(&w->pub_wait_since, memory_order_relaxed);
        if (since == 0)
            continue;
        uint64_t from = since > answered ? since : answered;
        waiting = now > from && now - from >= e->request_timeout_ns;
    }
    if (!waiting) {
        *suspect_since = 0;
        return false;
    }
    if (*suspect_since == 0)
        *suspect_since = now;
    return now - *suspect_since >= STALL_CONFIRM_NS;
}

/* The clause vmb_load_result_end_text gives. */
static void
describe_end(const struct vmb_load_engine *e, struct vmb_load_result *r)
{
    char limit[32];
    switch (r->ended_by) {
    case VMB_LOAD_END_INTERRUPTED:
        snprintf(r->end_text, sizeof(r->end_text), "the phase was interrupted");
        break;
    case VMB_LOAD_END_DEADLINE:
        vmb_format_duration_us((e->hard_deadline - e->t0) / 1000, limit,
                               sizeof(limit));
        snprintf(r->end_text, sizeof(r->end_text),
                 e->phase->phase_timeout_us
                     ? "the phase reached its phase_timeout \"%s\""
                     : "the phase ran past warmup + duration + "
                       "request_timeout \"%s\"",
                 limit);
        break;
    case VMB_LOAD_END_STALL:
        vmb_format_duration_us(e->opts->request_timeout_us, limit,
                               sizeof(limit));
        snprintf(r->end_text, sizeof(r->end_text),
                 "the phase stalled: no connection had an answer for \"%s\" "
                 "(request_timeout)",
                 limit);
        break;
    case VMB_LOAD_END_UNREACHABLE:
        vmb_format_duration_us(e->opts->connect_timeout_us, limit,
                               sizeof(limit));
        snprintf(r->end_text, sizeof(r->end_text),
                 "the phase gave up connections that could not reconnect "
                 "within the connect timeout \"%s\"",
                 limit);
        break;
    default:
        r->end_text[0] = '\0';
    }
}

static void
report_progress(struct vmb_load_engine *e, const struct vmb_load_run *run,
                uint64_t now, uint64_t *last_ops, uint64_t *last_ns)
{
    uint64_t ops = 0, errs = 0;
    for (int t = 0; t < e->nworkers; t++) {
        ops += atomic_load_explicit(&e->w[t].pub_ops, memory_order_relaxed);
        errs += atomic_load_explicit(&e->w[t].pub_errors, memory_order_relaxed);
    }
    struct vmb_load_progress p = {
        .phase_index = run->phase_index,
        .op = e->phase->op,
        .warmup = now < e->measure_start,
        .elapsed_s = (double)(now - e->t0) / 1e9,
        .ops = ops,
        .ops_per_s = (double)(ops - *last_ops) * 1e9 / (double)(now - *last_ns),
        .errors = errs,
    };
    if (run->progress)
        run->progress(run->ctx, &p);
    *last_ops = ops;
    *last_ns = now;
}

int
vmb_load_run_one(const struct vmb_load_run *run, struct vmb_load_result **out,
                 struct vmb_error **err)
{
    const struct vmb_load_opts *opts = run->opts;
    const struct vmb_phase *phase = run->phase;
    struct vmb_load_engine e = {0};
    struct vmb_load_collector col = {0};
    struct vmb_load_result *res = NULL;
    int rc = -1;

    e.opts = opts;
    e.phase = phase;
    e.primary = run->primary;
    e.replica = run->replica;
    if (run->ntenants > 1) {
        e.ntenants = (int)run->ntenants;
        e.primaries = run->primaries;
        e.replicas = run->replicas;
    }
    e.record = !run->no_latency;
    if (vmb_load_engine_setup(&e, err) < 0)
        goto cleanup;
    if (vmb_load_connect_all(&e, err) < 0)
        goto cleanup;
    for (int t = 0; t < e.nworkers; t++) {
        struct vmb_load_worker *w = &e.w[t];
        for (uint32_t i = 0; i < w->nconns; i++) {
            struct vmb_load_conn *c = &w->conns[i];
            int fd = c->fd;
            c->fd = -1;
            c->events = 0;
            if (vmb_load_conn_watch(
                    w->ep, c, fd,
                    vmb_load_conn_events(e.proto, VMB_LOAD_POLL_DONE)) < 0) {
                rc = vmb_error_sys(err, "watch a connection");
                goto cleanup;
            }
        }
    }

    res = vmb_load_result_new(run->phase_index, phase->op);
    res->has_kind[VMB_LOAD_KIND_WRITE] = e.has_kind[VMB_LOAD_KIND_WRITE];
    res->has_kind[VMB_LOAD_KIND_READ] = e.has_kind[VMB_LOAD_KIND_READ];
    if (run->ntenants > 1) {
        res->ntenants = run->ntenants;
        res->tenant = vmb_xcalloc(run->ntenants, sizeof(*res->tenant));
        for (size_t t = 0; t < run->ntenants; t++) {
            struct vmb_load_result *tr =
                vmb_load_result_new(run->phase_index, phase->op);
            memcpy(tr->has_kind, res->has_kind, sizeof(tr->has_kind));
            res->tenant[t] = tr;
        }
    }
    vmb_load_collector_init(&col, res);

    e.t0 = vmb_now_ns();
    e.measure_start = e.t0 + opts->warmup_us * 1000;
    if (phase->n <= 0)
        e.deadline = e.measure_start + phase->duration_us * 1000;
    e.hard_deadline = UINT64_MAX;
    if (phase->phase_timeout_us > 0)
        e.hard_deadline = e.t0 + phase->phase_timeout_us * 1000;
    else if (e.deadline)
        e.hard_deadline = e.deadline + e.request_timeout_ns;
    for (int t = 0; t < e.nworkers; t++) {
        int prc = pthread_create(&e.w[t].tid, NULL, worker_main, &e.w[t]);
        if (prc != 0) {
            atomic_store(&e.stop, 1);
            vmb_error_set(err, VMB_ERR_RUN, prc, "start a load thread");
            for (int j = 0; j < t; j++)
                pthread_join(e.w[j].tid, NULL);
            goto cleanup;
        }
        e.w[t].started = true;
    }

    uint64_t next_progress = e.t0 + VMB_LOAD_NS_PER_S;
    uint64_t last_ops = 0, last_ns = e.t0;
    uint64_t stop_ns = 0, suspect_since = 0;
    while (!all_finished(&e)) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
        uint64_t now = vmb_now_ns();
        if (vmb_interrupted && !atomic_load(&e.stop)) {
            end_phase(&e, VMB_LOAD_END_INTERRUPTED);
            res->interrupted = true;
            stop_ns = now;
        } else if (!atomic_load(&e.stop) && now >= e.hard_deadline) {
            /* The workers end themselves there; this is for one that
             * cannot. */
            end_phase(&e, VMB_LOAD_END_DEADLINE);
        } else if (!atomic_load(&e.stop) && phase->n > 0 &&
                   stalled(&e, now, &suspect_since)) {
            end_phase(&e, VMB_LOAD_END_STALL);
            stop_ns = now;
        }
        vmb_load_collect_ready(&e, &col);
        now = vmb_now_ns();
        if (now >= next_progress) {
            report_progress(&e, run, now, &last_ops, &last_ns);
            next_progress += VMB_LOAD_NS_PER_S;
            if (next_progress <= now)
                next_progress = now + VMB_LOAD_NS_PER_S;
        }
    }
    uint64_t end_ns = stop_ns ? stop_ns : vmb_now_ns();
    for (int t = 0; t < e.nworkers; t++)
        pthread_join(e.w[t].tid, NULL);
    vmb_load_collect_ready(&e, &col);
    res->ended_by = atomic_load(&e.end);
    for (int t = 0; t < e.nworkers; t++)
        if (res->ended_by == VMB_LOAD_END_DONE && e.w[t].gave_up)
            res->ended_by = VMB_LOAD_END_UNREACHABLE;
    vmb_load_fill_result(&e, res, end_ns, -1);
    describe_end(&e, res);
    for (size_t t = 0; t < res->ntenants; t++) {
        struct vmb_load_result *tr = res->tenant[t];
        tr->interrupted = res->interrupted;
        tr->ended_by = res->ended_by;
        memcpy(tr->end_text, res->end_text, sizeof(tr->end_text));
        vmb_load_fill_result(&e, tr, end_ns, (int)t);
    }

    /* A thread that lost its event loop leaves the phase short: what it
     * measured cannot stand for the phase, so the phase fails. */
    const struct vmb_load_worker *failed = first_failed(&e);
    if (failed != NULL) {
        rc = vmb_error_set(
            err, VMB_ERR_RUN, failed->fail_errno,
            "load thread \"%d\" stopped the phase %.3f s in (ops: %" PRIu64
            ", errors: %" PRIu64 ", io errors: %" PRIu64 "): epoll_wait",
            failed->id, (double)(failed->fail_ns - e.t0) / 1e9,
            vmb_load_result_ops(res), vmb_load_result_errors(res),
            vmb_load_result_errors_by_class(res, VMB_LOAD_ERR_IO));
        goto cleanup;
    }
    *out = steal(&res);
    rc = 0;

cleanup:
    vmb_load_collector_fini(&col);
    vmb_load_result_free(res);
    vmb_load_engine_free(&e);
    return rc;
}
