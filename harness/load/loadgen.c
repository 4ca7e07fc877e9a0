#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load/keys.h"
#include "load/load_priv.h"
#include "load/resp.h"
#include "base/units.h"

#define NS_PER_S 1000000000ULL
#define RBUF_SIZE (64 * 1024)
#define WBUF_MIN (64 * 1024)
#define NSLOTS 4
#define MAX_EVENTS 256
#define CHECK_EVERY_NS (20 * 1000000ULL)
#define RECONNECT_DELAY_NS (100 * 1000000ULL)
#define CLOSED_LOOP_TICK_NS (10 * 1000000ULL)

enum { KIND_WRITE, KIND_READ };
enum { ROLE_ANY, ROLE_WRITE, ROLE_READ };
enum { C_UP, C_CONNECTING, C_DOWN, C_DEAD };
enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

struct req {
    uint64_t intended; /* ns; the send time in closed loop */
    uint64_t sent;     /* ns */
    uint8_t kind;
    uint8_t measured;
};

struct conn {
    int fd;
    uint8_t state;
    uint8_t role;
    bool replica;
    uint32_t idx; /* in its worker */
    uint32_t head;
    uint32_t inflight;
    struct req *ring; /* pipeline entries, in the worker's array */
    uint64_t next_k;  /* open loop: this connection's next request number */
    struct vmb_resp_reader rd;
    char *out; /* bytes a short write left behind; owned */
    size_t out_len;
    size_t out_off;
    size_t out_cap;
    uint64_t retry_at;
    uint64_t connect_started;
    uint64_t down_since; /* start of a run of failures; 0 when healthy */
    bool refill;         /* queued to send once this batch of events is done */
};

/* One second of one worker's completions, handed to the main thread. */
struct slot {
    _Atomic int state;
    int64_t sec; /* 0-based */
    uint64_t ops[VMB_LOAD_NKIND];
    struct vmb_hist h[VMB_LOAD_NKIND];
};

struct engine;

struct worker {
    struct engine *e;
    int id;
    pthread_t tid;
    bool started;
    int ep;
    struct conn *conns;
    uint32_t nconns;
    struct req *reqs;
    struct conn **refill; /* connections to send on after this batch */
    uint32_t nrefill;
    char *rbuf;
    char *wbuf;
    size_t wbuf_cap;
    char key[320];
    struct vmb_rng rng;
    struct vmb_keygen keygen;
    int64_t quota; /* measured requests to send; -1: no limit */
    int64_t sent_measured;
    uint64_t inflight_total;
    double interval_ns; /* open loop: between two sends of this worker */
    uint64_t j_scan;    /* open loop: next schedule slot to dispatch */
    uint64_t next_check;
    uint64_t next_retry;
    struct slot slots[NSLOTS];
    struct slot *cur;
    int64_t cur_sec;
    uint64_t sec_end;
    _Atomic int64_t published_sec;
    struct vmb_hist unc[VMB_LOAD_NKIND];
    uint64_t ops;
    uint64_t misses;
    uint64_t errors[VMB_LOAD_NERR];
    int first_errno[VMB_LOAD_NERR];
    uint64_t first_errno_ns[VMB_LOAD_NERR];
    char server_error[160];
    uint64_t server_error_ns;
    uint64_t last_done_ns;
    _Atomic uint64_t pub_ops;
    _Atomic uint64_t pub_errors;
    _Atomic int finished;
};

struct engine {
    const struct vmb_load_opts *opts;
    const struct vmb_phase *phase;
    const struct vmb_load_target *primary;
    const struct vmb_load_target *replica;
    bool record;
    bool open_loop;
    bool has_kind[VMB_LOAD_NKIND];
    double write_fraction;
    uint32_t pipeline;
    uint64_t t0;
    uint64_t measure_start;
    uint64_t deadline; /* 0: run for n */
    uint64_t request_timeout_ns;
    uint64_t connect_timeout_ns;
    char *value;
    size_t vmin;
    size_t vmax;
    size_t prefix_len;
    size_t key_digits;
    size_t key_len;
    size_t max_request;
    /* Whole requests with the key's digits to fill in, where every request
     * of a kind has the same length (fixed value size): the hot loop copies
     * one and writes the digits, rather than formatting it anew. */
    char *set_tmpl;
    size_t set_tmpl_len;
    char *get_tmpl;
    size_t get_tmpl_len;
    size_t tmpl_key_end; /* offset just past the key, the same in both */
    int nworkers;
    struct worker *w;
    _Atomic int stop;
};

const char *
vmb_load_err_class_name(int cls)
{
    static const char *const names[] = {"connect", "io", "timeout", "server",
                                        "protocol"};
    return cls >= 0 && cls < VMB_LOAD_NERR ? names[cls] : "?";
}

int
vmb_load_default_threads(void)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? n - 1 : 1;
}

int
vmb_load_parse_ratio(const char *text, double *write_fraction,
                     struct vmb_error **err)
{
    double w = -1, r = -1;
    const char *p = text ? text : "";
    while (*p) {
        const char *colon = strchr(p, ':');
        if (colon == NULL)
            goto bad;
        size_t nlen = (size_t)(colon - p);
        char *end = NULL;
        double v = strtod(colon + 1, &end);
        if (end == colon + 1 || v < 0 || !isfinite(v) ||
            (*end != ',' && *end != '\0'))
            goto bad;
        if (nlen == 5 && strncmp(p, "write", 5) == 0 && w < 0)
            w = v;
        else if (nlen == 4 && strncmp(p, "read", 4) == 0 && r < 0)
            r = v;
        else
            goto bad;
        p = *end == ',' ? end + 1 : end;
    }
    if (w < 0)
        w = 0;
    if (r < 0)
        r = 0;
    if (w + r <= 0)
        goto bad;
    *write_fraction = w / (w + r);
    return 0;
bad:
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "bad ratio \"%s\"; expected weights like "
                         "\"write:1,read:3\"",
                         text ? text : "");
}

/* ---- the worker: one epoll loop over its connections ---- */

static void
count_error(struct worker *w, int cls, int errnum, uint64_t n, uint64_t now)
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
conn_close(struct worker *w, struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    w->inflight_total -= c->inflight;
    c->inflight = 0;
    c->head = 0;
    c->out_len = c->out_off = 0;
    vmb_resp_reader_reset(&c->rd);
}

/* Drops the connection. A failed connect counts once; any other failure
 * counts each request it lost, so that with n= every request ends up as
 * either an op or an error. */
static void
conn_fail(struct worker *w, struct conn *c, int cls, int errnum, uint64_t now)
{
    uint64_t lost = 0;
    for (uint32_t i = 0; i < c->inflight; i++)
        lost += c->ring[(c->head + i) % w->e->pipeline].measured;
    count_error(w, cls, errnum, cls == VMB_LOAD_ERR_CONNECT ? 1 : lost, now);
    conn_close(w, c);
    c->state = C_DOWN;
    if (c->down_since == 0)
        c->down_since = now;
    /* A refused connect is retried after a pause; a dropped connection at
     * once, so a server that closes connections costs little time. */
    c->retry_at = cls == VMB_LOAD_ERR_CONNECT ? now + RECONNECT_DELAY_NS : now;
    if (c->retry_at < w->next_retry)
        w->next_retry = c->retry_at;
}

static int
socket_for(const struct vmb_load_target *t)
{
    int fd = socket(t->addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (t->addr.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

static void
conn_start_connect(struct worker *w, struct conn *c, uint64_t now)
{
    const struct vmb_load_target *t =
        c->replica ? w->e->replica : w->e->primary;
    int fd = socket_for(t);
    if (fd < 0) {
        conn_fail(w, c, VMB_LOAD_ERR_CONNECT, errno, now);
        return;
    }
    int rc = connect(fd, (const struct sockaddr *)&t->addr, t->addr_len);
    if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
        int e = errno;
        close(fd);
        conn_fail(w, c, VMB_LOAD_ERR_CONNECT, e, now);
        return;
    }
    c->fd = fd;
    c->state = rc == 0 ? C_UP : C_CONNECTING;
    c->connect_started = now;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        conn_fail(w, c, VMB_LOAD_ERR_CONNECT, errno, now);
    else if (rc == 0)
        c->down_since = 0;
}

static void
out_append(struct conn *c, const char *data, size_t len)
{
    if (c->out_off > 0 && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        c->out = vmb_xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

/* Sends what is pending; returns -1 when the connection was dropped. */
static int
conn_flush_pending(struct worker *w, struct conn *c, uint64_t now)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        conn_fail(w, c, VMB_LOAD_ERR_IO, n < 0 ? errno : EPIPE, now);
        return -1;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static int
conn_write(struct worker *w, struct conn *c, const char *data, size_t len,
           uint64_t now)
{
    if (c->out_len > c->out_off) {
        out_append(c, data, len);
        return conn_flush_pending(w, c, now);
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n =
            send(c->fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            out_append(c, data + off, len - off);
            return 0;
        }
        conn_fail(w, c, VMB_LOAD_ERR_IO, n < 0 ? errno : EPIPE, now);
        return -1;
    }
    return 0;
}

/* Writes key number k as the `digits` characters that end at `end`. */
static void
put_key_digits(char *end, size_t digits, uint64_t k)
{
    for (size_t i = 0; i < digits; i++) {
        *--end = (char)('0' + k % 10);
        k /= 10;
    }
}

static int
pick_kind(struct worker *w, struct conn *c)
{
    if (c->role == ROLE_WRITE)
        return KIND_WRITE;
    if (c->role == ROLE_READ)
        return KIND_READ;
    return vmb_rng_double(&w->rng) < w->e->write_fraction ? KIND_WRITE
                                                          : KIND_READ;
}

static uint64_t
intended_at(const struct worker *w, const struct conn *c, uint64_t k)
{
    double slot = (double)k * (double)w->nconns + (double)c->idx;
    return w->e->t0 + (uint64_t)(slot * w->interval_ns);
}

/* Queues as many requests as the pipeline, the schedule and the quota
 * allow, and sends them in one write. */
static void
conn_fill(struct worker *w, struct conn *c, uint64_t now)
{
    struct engine *e = w->e;
    if (c->state != C_UP)
        return;
    if (e->deadline && now >= e->deadline)
        return;
    char *p = w->wbuf;
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
        if ((size_t)(p - w->wbuf) + e->max_request > w->wbuf_cap) {
            if (conn_write(w, c, w->wbuf, (size_t)(p - w->wbuf), now) < 0)
                return;
            p = w->wbuf;
        }
        int kind = pick_kind(w, c);
        uint64_t k = vmb_keygen_next(&w->keygen);
        if (kind == KIND_WRITE && e->set_tmpl != NULL) {
            memcpy(p, e->set_tmpl, e->set_tmpl_len);
            put_key_digits(p + e->tmpl_key_end, e->key_digits, k);
            p += e->set_tmpl_len;
        } else if (kind == KIND_WRITE) {
            put_key_digits(w->key + e->key_len, e->key_digits, k);
            size_t vlen =
                e->vmin + vmb_rng_below(&w->rng, e->vmax - e->vmin + 1);
            p = vmb_resp_put_set(p, w->key, e->key_len, e->value, vlen);
        } else {
            memcpy(p, e->get_tmpl, e->get_tmpl_len);
            put_key_digits(p + e->tmpl_key_end, e->key_digits, k);
            p += e->get_tmpl_len;
        }
        struct req *r = &c->ring[(c->head + c->inflight) % e->pipeline];
        r->intended = intended;
        r->sent = now;
        r->kind = (uint8_t)kind;
        r->measured = measured;
        c->inflight++;
        w->inflight_total++;
        if (measured)
            w->sent_measured++;
        if (e->open_loop)
            c->next_k++;
    }
    if (p != w->wbuf)
        conn_write(w, c, w->wbuf, (size_t)(p - w->wbuf), now);
}

/* Moves to the second that `now` falls in, handing the finished one to
 * the main thread. */
static void
advance_second(struct worker *w, uint64_t now)
{
    struct engine *e = w->e;
    if (now < e->measure_start)
        return;
    int64_t s = (int64_t)((now - e->measure_start) / NS_PER_S);
    if (w->cur != NULL && s == w->cur_sec)
        return;
    if (w->cur != NULL)
        atomic_store_explicit(&w->cur->state, SLOT_READY, memory_order_release);
    atomic_store_explicit(&w->published_sec, s - 1, memory_order_release);
    struct slot *sl = &w->slots[s % NSLOTS];
    while (atomic_load_explicit(&sl->state, memory_order_acquire) !=
           SLOT_FREE) {
        /* The main thread collects every few ms; this wait is rare. */
        if (atomic_load_explicit(&e->stop, memory_order_relaxed)) {
            w->cur = NULL;
            return;
        }
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    sl->sec = s;
    memset(sl->ops, 0, sizeof(sl->ops));
    atomic_store_explicit(&sl->state, SLOT_BUSY, memory_order_relaxed);
    w->cur = sl;
    w->cur_sec = s;
    w->sec_end = e->measure_start + (uint64_t)(s + 1) * NS_PER_S;
}

static void
complete(struct worker *w, struct conn *c, const struct vmb_resp_reply *rep,
         uint64_t now)
{
    struct engine *e = w->e;
    struct req *r = &c->ring[c->head];
    c->head = c->head + 1 == e->pipeline ? 0 : c->head + 1;
    c->inflight--;
    w->inflight_total--;
    if (!r->measured || (e->deadline && now >= e->deadline))
        return;
    if (rep->type == '-') {
        if (w->errors[VMB_LOAD_ERR_SERVER] == 0) {
            size_t n = rep->text_len < sizeof(w->server_error) - 1
                           ? rep->text_len
                           : sizeof(w->server_error) - 1;
            memcpy(w->server_error, rep->text, n);
            w->server_error[n] = '\0';
            w->server_error_ns = now;
        }
        w->errors[VMB_LOAD_ERR_SERVER]++;
        w->last_done_ns = now;
        return;
    }
    if (now >= w->sec_end || w->cur == NULL)
        advance_second(w, now);
    if (w->cur == NULL)
        return;
    if (r->kind == KIND_READ && rep->nil)
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

static void
conn_readable(struct worker *w, struct conn *c)
{
    uint64_t now = 0;
    for (;;) {
        ssize_t n = recv(c->fd, w->rbuf, RBUF_SIZE, 0);
        now = vmb_now_ns();
        if (n == 0) {
            conn_fail(w, c, VMB_LOAD_ERR_IO, ECONNRESET, now);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_fail(w, c, VMB_LOAD_ERR_IO, errno, now);
            return;
        }
        const char *p = w->rbuf, *end = w->rbuf + n;
        while (p < end) {
            struct vmb_resp_reply rep;
            int st = vmb_resp_read(&c->rd, &p, end, &rep);
            if (st == VMB_RESP_MORE)
                break;
            if (st == VMB_RESP_BAD || c->inflight == 0) {
                conn_fail(w, c, VMB_LOAD_ERR_PROTOCOL, EPROTO, now);
                return;
            }
            complete(w, c, &rep, now);
        }
        /* A short read drained the socket: edge-triggered epoll reports
         * anything that arrives later. */
        if (n < RBUF_SIZE)
            break;
    }
    /* Send after the whole batch of events has been read, so the server
     * wakes once to find many connections ready instead of once for each. */
    if (!c->refill) {
        c->refill = true;
        w->refill[w->nrefill++] = c;
    }
}

static void
conn_event(struct worker *w, struct conn *c, uint32_t events)
{
    if (c->state == C_CONNECTING) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        uint64_t now = vmb_now_ns();
        if (soerr != 0) {
            conn_fail(w, c, VMB_LOAD_ERR_CONNECT, soerr, now);
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLIN)))
            return;
        c->state = C_UP;
        c->down_since = 0;
        conn_fill(w, c, now);
        return;
    }
    if (c->state != C_UP)
        return;
    if (events & EPOLLIN) {
        conn_readable(w, c);
        if (c->state != C_UP)
            return;
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        conn_fail(w, c, VMB_LOAD_ERR_IO, soerr ? soerr : ECONNRESET,
                  vmb_now_ns());
        return;
    }
    if ((events & EPOLLOUT) && c->out_len > c->out_off)
        conn_flush_pending(w, c, vmb_now_ns());
}

/* Timeouts, reconnects and dead connections; returns live connections. */
static uint32_t
housekeeping(struct worker *w, uint64_t now)
{
    struct engine *e = w->e;
    uint32_t live = 0;
    w->next_retry = UINT64_MAX;
    for (uint32_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == C_UP && c->inflight > 0 &&
            now - c->ring[c->head].sent > e->request_timeout_ns)
            conn_fail(w, c, VMB_LOAD_ERR_TIMEOUT, ETIMEDOUT, now);
        else if (c->state == C_CONNECTING &&
                 now - c->connect_started > e->connect_timeout_ns)
            conn_fail(w, c, VMB_LOAD_ERR_CONNECT, ETIMEDOUT, now);
        if (c->state == C_DOWN && c->down_since != 0 &&
            now - c->down_since > e->connect_timeout_ns) {
            c->state = C_DEAD;
        }
        if (c->state == C_DOWN) {
            if (now >= c->retry_at)
                conn_start_connect(w, c, now);
            else if (c->retry_at < w->next_retry)
                w->next_retry = c->retry_at;
        }
        if (c->state != C_DEAD)
            live++;
    }
    return live;
}

static void
dispatch_due(struct worker *w, uint64_t now)
{
    struct engine *e = w->e;
    if (now < e->t0)
        return;
    uint64_t due = (uint64_t)((double)(now - e->t0) / w->interval_ns) + 1;
    if (due <= w->j_scan)
        return;
    if (due - w->j_scan >= w->nconns) {
        for (uint32_t i = 0; i < w->nconns; i++)
            conn_fill(w, &w->conns[i], now);
    } else {
        for (uint64_t j = w->j_scan; j < due; j++)
            conn_fill(w, &w->conns[j % w->nconns], now);
    }
    w->j_scan = due;
}

static bool
worker_done(struct worker *w, uint64_t now, uint32_t live)
{
    struct engine *e = w->e;
    if (atomic_load_explicit(&e->stop, memory_order_relaxed))
        return true;
    if (e->deadline)
        return now >= e->deadline || live == 0;
    if (live == 0)
        return true;
    return w->sent_measured >= w->quota && w->inflight_total == 0;
}

static void
publish(struct worker *w)
{
    uint64_t errs = 0;
    for (int i = 0; i < VMB_LOAD_NERR; i++)
        errs += w->errors[i];
    atomic_store_explicit(&w->pub_ops, w->ops, memory_order_relaxed);
    atomic_store_explicit(&w->pub_errors, errs, memory_order_relaxed);
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
    struct worker *w = arg;
    struct engine *e = w->e;
    struct epoll_event evs[MAX_EVENTS];
    uint64_t now = vmb_now_ns();
    uint32_t live = w->nconns;

    /* The default 50 us timer slack would make every open-loop send late
     * by that much, and the lateness counts in the corrected latency. */
    if (e->open_loop)
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    if (!e->open_loop)
        for (uint32_t i = 0; i < w->nconns; i++)
            conn_fill(w, &w->conns[i], now);
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
        if (w->next_check < wake)
            wake = w->next_check;
        if (w->next_retry < wake)
            wake = w->next_retry;
        uint64_t wait = wake > now ? wake - now : 0;
        struct timespec ts = {(time_t)(wait / NS_PER_S),
                              (long)(wait % NS_PER_S)};
        int n = wait_events(w->ep, evs, &ts);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++)
            conn_event(w, evs[i].data.ptr, evs[i].events);
        now = vmb_now_ns();
        for (uint32_t i = 0; i < w->nrefill; i++) {
            w->refill[i]->refill = false;
            conn_fill(w, w->refill[i], now);
        }
        w->nrefill = 0;
        if (now >= e->measure_start && (w->cur == NULL || now >= w->sec_end))
            advance_second(w, now);
        if (e->open_loop)
            dispatch_due(w, now);
        if (now >= w->next_check || now >= w->next_retry) {
            live = housekeeping(w, now);
            w->next_check = now + CHECK_EVERY_NS;
        }
        publish(w);
    }
    publish(w);
    if (w->cur != NULL)
        atomic_store_explicit(&w->cur->state, SLOT_READY, memory_order_release);
    w->cur = NULL;
    atomic_store_explicit(&w->published_sec, INT64_MAX, memory_order_release);
    atomic_store_explicit(&w->finished, 1, memory_order_release);
    return NULL;
}

/* ---- setup: connections before the clock starts ---- */

/* The request templates, their keys' digits zeros. A GET ends with its
 * key and CR LF, and a SET's key starts where a GET's does (both command
 * names have three letters), so the key ends at the same offset in both. */
static void
build_templates(struct engine *e, const char *prefix)
{
    char key[320];
    memcpy(key, prefix, e->prefix_len);
    memset(key + e->prefix_len, '0', e->key_digits);
    e->get_tmpl = vmb_xmalloc(vmb_resp_get_size(e->key_len));
    e->get_tmpl_len = (size_t)(vmb_resp_put_get(e->get_tmpl, key, e->key_len) -
                               e->get_tmpl);
    e->tmpl_key_end = e->get_tmpl_len - 2;
    if (e->vmin == e->vmax) {
        e->set_tmpl = vmb_xmalloc(vmb_resp_set_size(e->key_len, e->vmin));
        e->set_tmpl_len = (size_t)(vmb_resp_put_set(e->set_tmpl, key,
                                                    e->key_len, e->value,
                                                    e->vmin) -
                                   e->set_tmpl);
    }
}

static int
raise_fd_limit(size_t need, struct vmb_error **err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "\"%zu\" connections need more open files than "
                             "the limit \"%llu\" allows",
                             need, (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        return vmb_error_sys(err, "raise the open file limit");
    return 0;
}

/*
 * Connects every connection, a bounded number at a time so a listen
 * backlog does not overflow, and fails on the first one that cannot
 * connect within the connect timeout.
 */
static int
connect_all(struct engine *e, struct vmb_error **err)
{
    enum { BATCH = 256 };
    size_t total = 0;
    for (int t = 0; t < e->nworkers; t++)
        total += e->w[t].nconns;
    struct conn **all = vmb_xcalloc(total ? total : 1, sizeof(*all));
    size_t k = 0;
    for (int t = 0; t < e->nworkers; t++)
        for (uint32_t i = 0; i < e->w[t].nconns; i++)
            all[k++] = &e->w[t].conns[i];

    int ep = epoll_create1(EPOLL_CLOEXEC);
    int rc = 0;
    if (ep < 0) {
        free(all);
        return vmb_error_sys(err, "create an epoll instance");
    }
    uint64_t deadline = vmb_now_ns() + e->connect_timeout_ns;
    size_t next = 0, pending = 0;
    while ((next < total || pending > 0) && rc == 0) {
        while (next < total && pending < BATCH) {
            struct conn *c = all[next++];
            const struct vmb_load_target *t =
                c->replica ? e->replica : e->primary;
            int fd = socket_for(t);
            if (fd < 0) {
                rc = vmb_error_sys(err, "create a socket for \"%s\"", t->name);
                break;
            }
            c->fd = fd;
            if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) ==
                0) {
                c->state = C_UP;
                continue;
            }
            if (errno != EINPROGRESS && errno != EAGAIN) {
                rc = vmb_error_set(err, VMB_ERR_RUN, errno, "connect to \"%s\"",
                                   t->name);
                break;
            }
            c->state = C_CONNECTING;
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            pending++;
        }
        if (rc < 0 || pending == 0)
            continue;
        if (vmb_interrupted) {
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "interrupted while connecting");
            break;
        }
        uint64_t now = vmb_now_ns();
        if (now >= deadline) {
            const struct conn *c = NULL;
            for (size_t i = 0; i < next && c == NULL; i++)
                if (all[i]->state == C_CONNECTING)
                    c = all[i];
            const struct vmb_load_target *t =
                c && c->replica ? e->replica : e->primary;
            char tbuf[32];
            vmb_format_duration_us(e->connect_timeout_ns / 1000, tbuf,
                                   sizeof(tbuf));
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "connect to \"%s\": no answer within the "
                               "connect timeout \"%s\"",
                               t->name, tbuf);
            break;
        }
        struct epoll_event evs[64];
        int wait_ms = (int)((deadline - now + 999999) / 1000000);
        int n = epoll_wait(ep, evs, 64, wait_ms < 100 ? wait_ms : 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int soerr = 0;
            socklen_t len = sizeof(soerr);
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            pending--;
            if (soerr != 0) {
                const struct vmb_load_target *t =
                    c->replica ? e->replica : e->primary;
                rc = vmb_error_set(err, VMB_ERR_RUN, soerr, "connect to \"%s\"",
                                   t->name);
                break;
            }
            c->state = C_UP;
        }
    }
    close(ep);
    free(all);
    return rc;
}

/* ---- the main thread: start, collect seconds, report progress ---- */

struct collector {
    int64_t next_sec;
    struct vmb_hist tmp[VMB_LOAD_NKIND];
    struct vmb_load_result *res;
};

static void
add_row(struct vmb_load_result *r, const struct vmb_load_sec *row)
{
    if (r->nseries == r->series_cap) {
        r->series_cap = r->series_cap ? r->series_cap * 2 : 64;
        r->series = vmb_xrealloc(r->series, r->series_cap * sizeof(*r->series));
    }
    r->series[r->nseries++] = *row;
}

/* Folds second s of every worker into the series and the totals. */
static void
collect_second(struct engine *e, struct collector *col, int64_t s)
{
    uint64_t ops[VMB_LOAD_NKIND] = {0};
    for (int t = 0; t < e->nworkers; t++) {
        struct slot *sl = &e->w[t].slots[s % NSLOTS];
        if (atomic_load_explicit(&sl->state, memory_order_acquire) !=
                SLOT_READY ||
            sl->sec != s)
            continue;
        for (int k = 0; k < VMB_LOAD_NKIND; k++) {
            if (!e->has_kind[k])
                continue;
            ops[k] += sl->ops[k];
            vmb_hist_merge(&col->tmp[k], &sl->h[k]);
            vmb_hist_reset(&sl->h[k]);
        }
        atomic_store_explicit(&sl->state, SLOT_FREE, memory_order_release);
    }
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!e->has_kind[k])
            continue;
        struct vmb_load_sec row = {
            .second = s + 1,
            .kind = k,
            .ops = ops[k],
            .ops_per_s = (double)ops[k],
            .p50_ns = vmb_hist_value_at_percentile(&col->tmp[k], 50),
            .p99_ns = vmb_hist_value_at_percentile(&col->tmp[k], 99),
        };
        add_row(col->res, &row);
        col->res->ops_kind[k] += ops[k];
        vmb_hist_merge(&col->res->lat[k], &col->tmp[k]);
        vmb_hist_reset(&col->tmp[k]);
    }
}

static void
collect_ready(struct engine *e, struct collector *col)
{
    for (;;) {
        int64_t upto = INT64_MAX;
        for (int t = 0; t < e->nworkers; t++) {
            int64_t p = atomic_load_explicit(&e->w[t].published_sec,
                                             memory_order_acquire);
            if (p < upto)
                upto = p;
        }
        if (upto == INT64_MAX) {
            /* Every worker finished: collect through the last second any
             * of them used. */
            upto = -1;
            for (int t = 0; t < e->nworkers; t++)
                for (int i = 0; i < NSLOTS; i++) {
                    struct slot *sl = &e->w[t].slots[i];
                    if (atomic_load_explicit(
                            &sl->state, memory_order_acquire) == SLOT_READY &&
                        sl->sec > upto)
                        upto = sl->sec;
                }
        }
        if (col->next_sec > upto)
            return;
        collect_second(e, col, col->next_sec++);
    }
}

static bool
all_finished(struct engine *e)
{
    for (int t = 0; t < e->nworkers; t++)
        if (!atomic_load_explicit(&e->w[t].finished, memory_order_acquire))
            return false;
    return true;
}

static void
engine_free(struct engine *e)
{
    if (e->w) {
        for (int t = 0; t < e->nworkers; t++) {
            struct worker *w = &e->w[t];
            for (uint32_t i = 0; i < w->nconns; i++) {
                if (w->conns[i].fd >= 0)
                    close(w->conns[i].fd);
                free(w->conns[i].out);
                vmb_resp_reader_reset(&w->conns[i].rd);
            }
            free(w->conns);
            free(w->reqs);
            free(w->refill);
            free(w->rbuf);
            free(w->wbuf);
            if (w->ep >= 0)
                close(w->ep);
            for (int i = 0; i < NSLOTS; i++)
                for (int k = 0; k < VMB_LOAD_NKIND; k++)
                    vmb_hist_fini(&w->slots[i].h[k]);
            for (int k = 0; k < VMB_LOAD_NKIND; k++)
                vmb_hist_fini(&w->unc[k]);
        }
        free(e->w);
    }
    free(e->value);
    free(e->set_tmpl);
    free(e->get_tmpl);
}

static size_t
count_digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Which connections write, which read, and where each one goes. */
static int
assign_roles(struct engine *e, struct vmb_error **err)
{
    int op = e->phase->op;
    int read_from = e->replica ? e->opts->read_from : VMB_READ_PRIMARY;
    bool split = op == VMB_OP_MIXED && read_from != VMB_READ_PRIMARY;
    int64_t total = e->opts->connections;
    if (split && total < 2)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a mixed phase with reads from the replica "
                             "needs \"connections\" of at least 2");
    int64_t writers = llround((double)total * e->write_fraction);
    if (writers < 1)
        writers = 1;
    if (writers > total - 1)
        writers = total - 1;
    int64_t g = 0, readers = 0;
    for (int t = 0; t < e->nworkers; t++) {
        for (uint32_t i = 0; i < e->w[t].nconns; i++, g++) {
            struct conn *c = &e->w[t].conns[i];
            if (op == VMB_OP_WRITE)
                c->role = ROLE_WRITE;
            else if (op == VMB_OP_READ)
                c->role = ROLE_READ;
            else if (!split)
                c->role = ROLE_ANY;
            else {
                /* Writing connections in the ratio, at least one of
                 * each kind, spread evenly over the threads */
                bool wr = (g + 1) * writers / total > g * writers / total;
                c->role = wr ? ROLE_WRITE : ROLE_READ;
            }
            if (c->role == ROLE_READ) {
                c->replica = read_from == VMB_READ_REPLICA ||
                             (read_from == VMB_READ_BOTH && readers % 2 == 1);
                readers++;
            }
        }
    }
    return 0;
}

static int
engine_setup(struct engine *e, struct vmb_error **err)
{
    const struct vmb_load_opts *o = e->opts;
    const struct vmb_phase *ph = e->phase;
    if (o->connections < 1 || o->pipeline < 1 || o->keys < 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "connections, pipeline and keys must be at "
                             "least 1");
    if (ph->n <= 0 && ph->duration_us == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a phase needs \"n\" or \"duration\"");
    e->write_fraction = ph->op == VMB_OP_WRITE ? 1.0 : 0.0;
    if (ph->op == VMB_OP_MIXED &&
        vmb_load_parse_ratio(ph->ratio, &e->write_fraction, err) < 0)
        return -1;
    e->has_kind[KIND_WRITE] = e->write_fraction > 0;
    e->has_kind[KIND_READ] = e->write_fraction < 1;
    e->pipeline = (uint32_t)o->pipeline;
    e->open_loop = o->rate_per_s > 0;
    e->request_timeout_ns = o->request_timeout_us * 1000;
    e->connect_timeout_ns = o->connect_timeout_us * 1000;
    e->vmin = o->value_size_bytes ? o->value_size_bytes : 1;
    e->vmax =
        o->value_size_max_bytes > e->vmin ? o->value_size_max_bytes : e->vmin;
    e->value = vmb_xmalloc(e->vmax);
    memset(e->value, 'x', e->vmax);

    const char *prefix = o->key_prefix ? o->key_prefix : "";
    e->prefix_len = strlen(prefix);
    e->key_digits = count_digits((uint64_t)o->keys - 1);
    e->key_len = e->prefix_len + e->key_digits;
    if (e->key_len > 300)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "key prefix \"%s\" is too long", prefix);
    e->max_request = vmb_resp_set_size(e->key_len, e->vmax);
    build_templates(e, prefix);

    int threads = o->threads > 0 ? (int)o->threads : vmb_load_default_threads();
    if (threads > o->connections)
        threads = (int)o->connections;
    e->nworkers = threads;
    e->w = vmb_xcalloc((size_t)threads, sizeof(*e->w));
    for (int t = 0; t < threads; t++)
        e->w[t].ep = -1;
    if (raise_fd_limit((size_t)o->connections + 64, err) < 0)
        return -1;

    uint64_t cum = 0;
    for (int t = 0; t < threads; t++) {
        struct worker *w = &e->w[t];
        w->e = e;
        w->id = t;
        uint64_t lo = cum;
        uint64_t hi =
            (uint64_t)o->connections * (uint64_t)(t + 1) / (uint64_t)threads;
        cum = hi;
        w->nconns = (uint32_t)(hi - lo);
        w->conns = vmb_xcalloc(w->nconns, sizeof(*w->conns));
        w->reqs =
            vmb_xcalloc((size_t)w->nconns * e->pipeline, sizeof(*w->reqs));
        w->refill = vmb_xcalloc(w->nconns, sizeof(*w->refill));
        for (uint32_t i = 0; i < w->nconns; i++) {
            w->conns[i].fd = -1;
            w->conns[i].idx = i;
            w->conns[i].ring = &w->reqs[(size_t)i * e->pipeline];
        }
        w->rbuf = vmb_xmalloc(RBUF_SIZE);
        w->wbuf_cap = e->max_request > WBUF_MIN ? e->max_request : WBUF_MIN;
        w->wbuf = vmb_xmalloc(w->wbuf_cap);
        memcpy(w->key, prefix, e->prefix_len);
        uint64_t seed = 0x5eed0000ULL + (uint64_t)t * 7919 +
                        (uint64_t)e->phase->op * 104729;
        w->rng.s = seed;
        uint64_t keys = (uint64_t)o->keys;
        vmb_keygen_init(&w->keygen, o->key_dist, keys, o->zipf_skew,
                        keys * lo / (uint64_t)o->connections,
                        keys * hi / (uint64_t)o->connections, seed ^ 0xabcdef);
        if (ph->n > 0) {
            uint64_t n = (uint64_t)ph->n;
            w->quota = (int64_t)(n * hi / (uint64_t)o->connections -
                                 n * lo / (uint64_t)o->connections);
        } else {
            w->quota = -1;
        }
        if (e->open_loop)
            w->interval_ns = (double)NS_PER_S * (double)o->connections /
                             ((double)o->rate_per_s * (double)w->nconns);
        w->published_sec = -1;
        w->next_retry = UINT64_MAX;
        struct vmb_error *herr = NULL;
        for (int i = 0; i < NSLOTS; i++)
            for (int k = 0; k < VMB_LOAD_NKIND; k++)
                if (e->has_kind[k])
                    vmb_hist_init(&w->slots[i].h[k], VMB_LOAD_HIST_LOWEST,
                                  VMB_LOAD_HIST_HIGHEST, VMB_LOAD_HIST_SIGFIGS,
                                  &herr);
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            if (e->has_kind[k] && e->open_loop)
                vmb_hist_init(&w->unc[k], VMB_LOAD_HIST_LOWEST,
                              VMB_LOAD_HIST_HIGHEST, VMB_LOAD_HIST_SIGFIGS,
                              &herr);
        vmb_error_free(herr);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (w->ep < 0)
            return vmb_error_sys(err, "create an epoll instance");
    }
    return assign_roles(e, err);
}

static void
fill_result(struct engine *e, struct vmb_load_result *r, uint64_t end_ns)
{
    r->open_loop = e->open_loop;
    uint64_t first_ns[VMB_LOAD_NERR] = {0};
    uint64_t last_done = 0;
    for (int t = 0; t < e->nworkers; t++) {
        struct worker *w = &e->w[t];
        r->misses += w->misses;
        for (int c = 0; c < VMB_LOAD_NERR; c++) {
            r->errors[c] += w->errors[c];
            if (w->first_errno_ns[c] &&
                (first_ns[c] == 0 || w->first_errno_ns[c] < first_ns[c])) {
                first_ns[c] = w->first_errno_ns[c];
                r->first_errno[c] = w->first_errno[c];
            }
        }
        if (w->server_error[0] && r->server_error == NULL)
            r->server_error = vmb_xstrdup(w->server_error);
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            if (e->open_loop && e->has_kind[k])
                vmb_hist_merge(&r->unc[k], &w->unc[k]);
        if (w->last_done_ns > last_done)
            last_done = w->last_done_ns;
    }
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!e->has_kind[k])
            continue;
        vmb_hist_merge(&r->lat_all, &r->lat[k]);
        if (e->open_loop)
            vmb_hist_merge(&r->unc_all, &r->unc[k]);
        else
            vmb_hist_merge(&r->unc[k], &r->lat[k]);
    }
    if (!e->open_loop)
        vmb_hist_merge(&r->unc_all, &r->lat_all);

    uint64_t end = end_ns;
    if (e->deadline && !r->interrupted && end > e->deadline)
        end = e->deadline;
    if (!e->deadline && !r->interrupted && last_done)
        end = last_done;
    r->duration_s =
        end > e->measure_start ? (double)(end - e->measure_start) / 1e9 : 0;
    /* The last second may be partial: its rate is over what it lasted. */
    for (size_t i = 0; i < r->nseries; i++) {
        double from = (double)(r->series[i].second - 1);
        double len = r->duration_s - from;
        if (len > 0 && len < 1)
            r->series[i].ops_per_s = (double)r->series[i].ops / len;
    }
}

int
vmb_load_run_phase_flags(
    const struct vmb_load_opts *opts, const struct vmb_phase *phase,
    int phase_index, const struct vmb_load_target *primary,
    const struct vmb_load_target *replica, const struct vmb_load_flags *flags,
    void (*progress)(void *ctx, const struct vmb_load_progress *p), void *ctx,
    struct vmb_load_result **out, struct vmb_error **err)
{
    struct engine e = {0};
    struct collector col = {0};
    struct vmb_load_result *res = NULL;
    int rc = -1;

    e.opts = opts;
    e.phase = phase;
    e.primary = primary;
    e.replica = replica;
    e.record = !(flags && flags->no_latency);
    if (engine_setup(&e, err) < 0)
        goto cleanup;
    if (connect_all(&e, err) < 0)
        goto cleanup;
    for (int t = 0; t < e.nworkers; t++) {
        struct worker *w = &e.w[t];
        for (uint32_t i = 0; i < w->nconns; i++) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                     .data.ptr = &w->conns[i]};
            if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->conns[i].fd, &ev) < 0) {
                rc = vmb_error_sys(err, "watch a connection");
                goto cleanup;
            }
        }
    }

    res = vmb_load_result_new(phase_index, phase->op);
    res->has_kind[KIND_WRITE] = e.has_kind[KIND_WRITE];
    res->has_kind[KIND_READ] = e.has_kind[KIND_READ];
    col.res = res;
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        vmb_hist_init(&col.tmp[k], VMB_LOAD_HIST_LOWEST, VMB_LOAD_HIST_HIGHEST,
                      VMB_LOAD_HIST_SIGFIGS, NULL);

    e.t0 = vmb_now_ns();
    e.measure_start = e.t0 + opts->warmup_us * 1000;
    if (phase->n <= 0)
        e.deadline = e.measure_start + phase->duration_us * 1000;
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

    uint64_t next_progress = e.t0 + NS_PER_S;
    uint64_t last_ops = 0, last_ns = e.t0;
    uint64_t stop_ns = 0;
    while (!all_finished(&e)) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
        if (vmb_interrupted && !atomic_load(&e.stop)) {
            atomic_store(&e.stop, 1);
            res->interrupted = true;
            stop_ns = vmb_now_ns();
        }
        collect_ready(&e, &col);
        uint64_t now = vmb_now_ns();
        if (now >= next_progress) {
            uint64_t ops = 0, errs = 0;
            for (int t = 0; t < e.nworkers; t++) {
                ops +=
                    atomic_load_explicit(&e.w[t].pub_ops, memory_order_relaxed);
                errs += atomic_load_explicit(&e.w[t].pub_errors,
                                             memory_order_relaxed);
            }
            struct vmb_load_progress p = {
                .phase_index = phase_index,
                .op = phase->op,
                .warmup = now < e.measure_start,
                .elapsed_s = (double)(now - e.t0) / 1e9,
                .ops = ops,
                .ops_per_s =
                    (double)(ops - last_ops) * 1e9 / (double)(now - last_ns),
                .errors = errs,
            };
            if (progress)
                progress(ctx, &p);
            last_ops = ops;
            last_ns = now;
            next_progress += NS_PER_S;
            if (next_progress <= now)
                next_progress = now + NS_PER_S;
        }
    }
    uint64_t end_ns = stop_ns ? stop_ns : vmb_now_ns();
    for (int t = 0; t < e.nworkers; t++)
        pthread_join(e.w[t].tid, NULL);
    collect_ready(&e, &col);
    fill_result(&e, res, end_ns);
    *out = steal(&res);
    rc = 0;

cleanup:
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        vmb_hist_fini(&col.tmp[k]);
    vmb_load_result_free(res);
    engine_free(&e);
    return rc;
}

int
vmb_load_run_phase(
    const struct vmb_load_opts *opts, const struct vmb_phase *phase,
    int phase_index, const struct vmb_load_target *primary,
    const struct vmb_load_target *replica,
    void (*progress)(void *ctx, const struct vmb_load_progress *p), void *ctx,
    struct vmb_load_result **out, struct vmb_error **err)
{
    return vmb_load_run_phase_flags(opts, phase, phase_index, primary, replica,
                                    NULL, progress, ctx, out, err);
}
