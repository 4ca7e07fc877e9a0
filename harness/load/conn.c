/*
 * One connection of a worker: connect, write requests, read and match
 * answers, count what fails by class, time out and reconnect. Runs in the
 * worker's thread only; no allocation on the hot path but a short write's
 * leftovers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/load_priv.h"

#define RECONNECT_DELAY_NS (100 * 1000000ULL)

static void
count_error(struct vmb_load_worker *w, int cls, int errnum, uint64_t n,
            uint64_t now)
{
    if (now < w->e->measure_start || n == 0)
        return;
    w->errors[cls] += n;
    if (w->first_errno_ns[cls] == 0) {
        w->first_errno_ns[cls] = now;
        w->first_errno[cls] = errnum;
    }
}

static void
conn_close(struct vmb_load_worker *w, struct vmb_load_conn *c)
{
    w->e->proto->close(c->pc);
    c->fd = -1;
    c->events = 0;
    w->inflight_total -= c->inflight;
    c->inflight = 0;
    c->head = 0;
}

/* Drops the connection. A failed connect counts once; any other failure
 * counts each request it lost, so that with n= every request ends up as
 * either an op or an error. A protocol error counts at least once: a
 * stray reply after every request was answered lost none, and is still
 * the server's error. */
static void
conn_fail(struct vmb_load_worker *w, struct vmb_load_conn *c, int cls,
          int errnum, uint64_t now)
{
    uint64_t lost = 0;
    for (uint32_t i = 0; i < c->inflight; i++)
        lost += c->ring[(c->head + i) % w->e->pipeline].measured;
    if (cls == VMB_LOAD_ERR_CONNECT || (cls == VMB_LOAD_ERR_PROTOCOL && !lost))
        lost = 1;
    count_error(w, cls, errnum, lost, now);
    conn_close(w, c);
    c->state = VMB_LOAD_CONN_DOWN;
    if (c->down_since == 0)
        c->down_since = now;
    /* A refused connect is retried after a pause; a dropped connection at
     * once, so a server that closes connections costs little time. */
    c->retry_at = cls == VMB_LOAD_ERR_CONNECT ? now + RECONNECT_DELAY_NS : now;
    if (c->retry_at < w->next_retry)
        w->next_retry = c->retry_at;
}

static void
conn_fault(struct vmb_load_worker *w, struct vmb_load_conn *c,
           const struct vmb_load_fault *f, uint64_t now)
{
    conn_fail(w, c, f->cls, f->errnum, now);
}

uint32_t
vmb_load_conn_events(const struct vmb_load_proto *p, int want)
{
    if (p->edge_triggered)
        return EPOLLIN | EPOLLOUT | EPOLLET;
    return want == VMB_LOAD_POLL_WRITE ? EPOLLOUT
           : want == VMB_LOAD_POLL_READ || want == VMB_LOAD_POLL_DONE
               ? EPOLLIN
               : EPOLLIN | EPOLLOUT;
}

int
vmb_load_conn_watch(int ep, struct vmb_load_conn *c, int fd, uint32_t events)
{
    if (fd == c->fd && events == c->events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    int rc;
    if (fd != c->fd || c->events == 0) {
        /* A new socket (libpq may change it while connecting); the old
         * one is closed, which took it out of the set. */
        rc = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        if (rc < 0 && errno == EEXIST)
            rc = epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    } else {
        rc = epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    }
    if (rc == 0) {
        c->fd = fd;
        c->events = events;
    }
    return rc;
}

static void
conn_start_connect(struct vmb_load_worker *w, struct vmb_load_conn *c,
                   uint64_t now)
{
    const struct vmb_load_proto *p = w->e->proto;
    const struct vmb_load_target *t = vmb_load_conn_target(w->e, c);
    struct vmb_load_fault f;
    int want = p->open(c->pc, t, &f);
    if (want < 0) {
        conn_fault(w, c, &f, now);
        return;
    }
    c->state = want == VMB_LOAD_POLL_DONE ? VMB_LOAD_CONN_UP
                                          : VMB_LOAD_CONN_CONNECTING;
    c->connect_started = now;
    c->events = 0;
    c->fd = -1;
    if (vmb_load_conn_watch(w->ep, c, p->fd(c->pc),
                            vmb_load_conn_events(p, want)) < 0)
        conn_fail(w, c, VMB_LOAD_ERR_CONNECT, errno, now);
    else if (want == VMB_LOAD_POLL_DONE)
        c->down_since = 0;
}

/* Sends what the protocol has queued and watches for writable when some
 * is left; returns -1 when the connection was dropped. */
static int
conn_flush(struct vmb_load_worker *w, struct vmb_load_conn *c, uint64_t now)
{
    const struct vmb_load_proto *p = w->e->proto;
    struct vmb_load_fault f;
    int rc = p->flush(c->pc, &f);
    if (rc < 0) {
        conn_fault(w, c, &f, now);
        return -1;
    }
    c->out_pending = rc > 0;
    if (!p->edge_triggered &&
        vmb_load_conn_watch(w->ep, c, c->fd,
                            rc > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN) < 0) {
        conn_fail(w, c, VMB_LOAD_ERR_IO, errno, now);
        return -1;
    }
    return 0;
}

static int
pick_kind(struct vmb_load_worker *w, struct vmb_load_conn *c)
{
    if (c->role == VMB_LOAD_ROLE_WRITE)
        return VMB_LOAD_KIND_WRITE;
    if (c->role == VMB_LOAD_ROLE_READ)
        return VMB_LOAD_KIND_READ;
    return vmb_rng_double(&w->rng) < w->e->write_fraction ? VMB_LOAD_KIND_WRITE
                                                          : VMB_LOAD_KIND_READ;
}

/* Open loop: when request k of c is due. The worker's schedule deals its
 * slots to its connections in turn. */
static uint64_t
intended_at(const struct vmb_load_worker *w, const struct vmb_load_conn *c,
            uint64_t k)
{
    double slot = (double)k * (double)w->nconns + (double)c->idx;
    return w->e->t0 + (uint64_t)(slot * w->interval_ns);
}

void
vmb_load_conn_fill(struct vmb_load_worker *w, struct vmb_load_conn *c,
                   uint64_t now)
{
    struct vmb_load_engine *e = w->e;
    if (c->state != VMB_LOAD_CONN_UP)
        return;
    if ((e->deadline && now >= e->deadline) || now >= e->hard_deadline)
        return;
    const struct vmb_load_proto *p = e->proto;
    bool queued = false;
    while (c->inflight < e->pipeline) {
        uint64_t intended = now;
        if (e->open_loop) {
            intended = intended_at(w, c, c->next_k);
            if (intended > now)
                break;
        }
        bool measured = intended >= e->measure_start;
        if (measured && w->quota >= 0 && w->sent_measured >= w->quota)
            break;
        int kind = pick_kind(w, c);
        uint64_t k = vmb_keygen_next(&w->keygen);
        struct vmb_load_fault f;
        if (p->queue(c->pc, kind, k, &w->rng, &f) < 0) {
            conn_fault(w, c, &f, now);
            return;
        }
        queued = true;
        struct vmb_load_req *r =
            &c->ring[(c->head + c->inflight) % e->pipeline];
        r->intended = intended;
        r->sent = now;
        r->kind = (uint8_t)kind;
        r->measured = measured;
        c->inflight++;
        w->inflight_total++;
        if (w->wait_since_ns == 0)
            w->wait_since_ns = now;
        if (measured)
            w->sent_measured++;
        if (e->open_loop)
            c->next_k++;
    }
    if (queued)
        conn_flush(w, c, now);
}

/* Counts a server error: its text the first time, its SQLSTATE. */
static void
count_server_error(struct vmb_load_worker *w, const struct vmb_load_answer *a,
                   uint64_t now)
{
    if (w->errors[VMB_LOAD_ERR_SERVER] == 0) {
        size_t n = a->text_len < sizeof(w->server_error) - 1
                       ? a->text_len
                       : sizeof(w->server_error) - 1;
        memcpy(w->server_error, a->text, n);
        w->server_error[n] = '\0';
        w->server_error_ns = now;
    }
    w->errors[VMB_LOAD_ERR_SERVER]++;
    w->last_done_ns = now;
    if (a->sqlstate != NULL && a->sqlstate[0] != '\0')
        vmb_load_sqlstate_count(w->sqlstates, a->sqlstate, 1);
}

/* The answer to the oldest request in flight on c. */
static void
complete(struct vmb_load_worker *w, struct vmb_load_conn *c,
         const struct vmb_load_answer *a, uint64_t now)
{
    struct vmb_load_engine *e = w->e;
    struct vmb_load_req *r = &c->ring[c->head];
    c->head = c->head + 1 == e->pipeline ? 0 : c->head + 1;
    c->inflight--;
    w->inflight_total--;
    /* Any answer, an error reply too, shows the server is alive. */
    w->last_answer_ns = now;
    w->wait_since_ns = 0;
    if (!r->measured)
        return;
    if (now >= e->hard_deadline) {
        /* Came after the phase's limit: not an answer within the phase. */
        count_error(w, VMB_LOAD_ERR_TIMEOUT, ETIMEDOUT, 1, now);
        return;
    }
    if (e->deadline && now >= e->deadline)
        return;
    if (a->status == VMB_LOAD_ANS_SERVER) {
        count_server_error(w, a, now);
        return;
    }
    if (now >= w->sec_end || w->cur == NULL)
        vmb_load_advance_second(w, now);
    if (w->cur == NULL)
        return;
    if (r->kind == VMB_LOAD_KIND_READ && a->status == VMB_LOAD_ANS_MISS)
        w->misses++;
    w->cur->ops[r->kind]++;
    w->ops++;
    w->last_done_ns = now;
    if (e->record) {
        int64_t lat = (int64_t)(now - r->intended);
        if (lat > VMB_LOAD_HIST_HIGHEST)
            lat = VMB_LOAD_HIST_HIGHEST;
        vmb_hist_record(&w->cur->h[r->kind], lat);
        if (e->open_loop) {
            int64_t u = (int64_t)(now - r->sent);
            if (u > VMB_LOAD_HIST_HIGHEST)
                u = VMB_LOAD_HIST_HIGHEST;
            vmb_hist_record(&w->unc[r->kind], u);
        }
    }
}

struct answer_ctx {
    struct vmb_load_worker *w;
    struct vmb_load_conn *c;
    uint64_t now;
};

static int
on_answer(void *ctx, const struct vmb_load_answer *a)
{
    struct answer_ctx *ac = ctx;
    if (ac->c->inflight == 0)
        return -1;
    if (a->fresh || ac->now == 0)
        ac->now = vmb_now_ns();
    complete(ac->w, ac->c, a, ac->now);
    return 0;
}

static void
conn_readable(struct vmb_load_worker *w, struct vmb_load_conn *c)
{
    struct answer_ctx ac = {w, c, 0};
    struct vmb_load_fault f;
    int rc = w->e->proto->consume(c->pc, on_answer, &ac, &f);
    if (rc < 0) {
        conn_fault(w, c, &f, ac.now ? ac.now : vmb_now_ns());
        return;
    }
    if (rc > 0 && !c->out_pending && conn_flush(w, c, vmb_now_ns()) < 0)
        return;
    /* Send after the whole batch of events has been read, so the server
     * wakes once to find many connections ready instead of once for each. */
    if (!c->refill) {
        c->refill = true;
        w->refill[w->nrefill++] = c;
    }
}

void
vmb_load_conn_event(struct vmb_load_worker *w, struct vmb_load_conn *c,
                    uint32_t events)
{
    const struct vmb_load_proto *p = w->e->proto;
    if (c->state == VMB_LOAD_CONN_CONNECTING) {
        uint64_t now = vmb_now_ns();
        struct vmb_load_fault f;
        int want = p->connect_poll(c->pc, &f);
        if (want < 0) {
            conn_fault(w, c, &f, now);
            return;
        }
        if (vmb_load_conn_watch(w->ep, c, p->fd(c->pc),
                                vmb_load_conn_events(p, want)) < 0) {
            conn_fail(w, c, VMB_LOAD_ERR_CONNECT, errno, now);
            return;
        }
        if (want != VMB_LOAD_POLL_DONE)
            return;
        c->state = VMB_LOAD_CONN_UP;
        c->down_since = 0;
        vmb_load_conn_fill(w, c, now);
        return;
    }
    if (c->state != VMB_LOAD_CONN_UP)
        return;
    if (events & EPOLLIN) {
        conn_readable(w, c);
        if (c->state != VMB_LOAD_CONN_UP)
            return;
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        conn_fail(w, c, VMB_LOAD_ERR_IO, soerr ? soerr : ECONNRESET,
                  vmb_now_ns());
        return;
    }
    if ((events & EPOLLOUT) && c->out_pending) {
        if (conn_flush(w, c, vmb_now_ns()) < 0)
            return;
        /* A library that reads while it waits to write may hold answers
         * no further event will announce. */
        if (!p->edge_triggered && !(events & EPOLLIN))
            conn_readable(w, c);
    }
}

uint64_t
vmb_load_unanswered(const struct vmb_load_worker *w)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < w->nconns; i++) {
        const struct vmb_load_conn *c = &w->conns[i];
        for (uint32_t k = 0; k < c->inflight; k++)
            n += c->ring[(c->head + k) % w->e->pipeline].measured;
    }
    return n;
}

void
vmb_load_count_unanswered(struct vmb_load_worker *w, uint64_t now)
{
    count_error(w, VMB_LOAD_ERR_TIMEOUT, ETIMEDOUT, vmb_load_unanswered(w),
                now);
}

uint32_t
vmb_load_housekeeping(struct vmb_load_worker *w, uint64_t now)
{
    struct vmb_load_engine *e = w->e;
    uint32_t live = 0;
    w->next_retry = UINT64_MAX;
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct vmb_load_conn *c = &w->conns[i];
        if (c->state == VMB_LOAD_CONN_UP && c->inflight > 0 &&
            now - c->ring[c->head].sent > e->request_timeout_ns)
            conn_fail(w, c, VMB_LOAD_ERR_TIMEOUT, ETIMEDOUT, now);
        else if (c->state == VMB_LOAD_CONN_CONNECTING &&
                 now - c->connect_started > e->connect_timeout_ns)
            conn_fail(w, c, VMB_LOAD_ERR_CONNECT, ETIMEDOUT, now);
        if (c->state == VMB_LOAD_CONN_DOWN && c->down_since != 0 &&
            now - c->down_since > e->connect_timeout_ns) {
            c->state = VMB_LOAD_CONN_DEAD;
        }
        if (c->state == VMB_LOAD_CONN_DOWN) {
            if (now >= c->retry_at)
                conn_start_connect(w, c, now);
            else if (c->retry_at < w->next_retry)
                w->next_retry = c->retry_at;
        }
        if (c->state != VMB_LOAD_CONN_DEAD)
            live++;
    }
    return live;
}
