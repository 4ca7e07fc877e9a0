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
conn_fail(struct vmb_load_worker *w, struct vmb_load_conn *c, int cls,
          int errnum, uint64_t now)
{
    uint64_t lost = 0;
    for (uint32_t i = 0; i < c->inflight; i++)
        lost += c->ring[(c->head + i) % w->e->pipeline].measured;
    count_error(w, cls, errnum, cls == VMB_LOAD_ERR_CONNECT ? 1 : lost, now);
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

int
vmb_load_socket(const struct vmb_load_target *t)
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
conn_start_connect(struct vmb_load_worker *w, struct vmb_load_conn *c,
                   uint64_t now)
{
    const struct vmb_load_target *t =
        c->replica ? w->e->replica : w->e->primary;
    int fd = vmb_load_socket(t);
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
    c->state = rc == 0 ? VMB_LOAD_CONN_UP : VMB_LOAD_CONN_CONNECTING;
    c->connect_started = now;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        conn_fail(w, c, VMB_LOAD_ERR_CONNECT, errno, now);
    else if (rc == 0)
        c->down_since = 0;
}

static void
out_append(struct vmb_load_conn *c, const char *data, size_t len)
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
conn_flush_pending(struct vmb_load_worker *w, struct vmb_load_conn *c,
                   uint64_t now)
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
conn_write(struct vmb_load_worker *w, struct vmb_load_conn *c, const char *data,
           size_t len, uint64_t now)
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
        if (kind == VMB_LOAD_KIND_WRITE && e->set_tmpl != NULL) {
            memcpy(p, e->set_tmpl, e->set_tmpl_len);
            put_key_digits(p + e->tmpl_key_end, e->key_digits, k);
            p += e->set_tmpl_len;
        } else if (kind == VMB_LOAD_KIND_WRITE) {
            put_key_digits(w->key + e->key_len, e->key_digits, k);
            size_t vlen =
                e->vmin + vmb_rng_below(&w->rng, e->vmax - e->vmin + 1);
            p = vmb_resp_put_set(p, w->key, e->key_len, e->value, vlen);
        } else {
            memcpy(p, e->get_tmpl, e->get_tmpl_len);
            put_key_digits(p + e->tmpl_key_end, e->key_digits, k);
            p += e->get_tmpl_len;
        }
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
    if (p != w->wbuf)
        conn_write(w, c, w->wbuf, (size_t)(p - w->wbuf), now);
}

/* The answer to the oldest request in flight on c. */
static void
complete(struct vmb_load_worker *w, struct vmb_load_conn *c,
         const struct vmb_resp_reply *rep, uint64_t now)
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
        vmb_load_advance_second(w, now);
    if (w->cur == NULL)
        return;
    if (r->kind == VMB_LOAD_KIND_READ && rep->nil)
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
conn_readable(struct vmb_load_worker *w, struct vmb_load_conn *c)
{
    uint64_t now = 0;
    for (;;) {
        ssize_t n = recv(c->fd, w->rbuf, VMB_LOAD_RBUF_SIZE, 0);
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
        if (n < VMB_LOAD_RBUF_SIZE)
            break;
    }
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
    if (c->state == VMB_LOAD_CONN_CONNECTING) {
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
    if ((events & EPOLLOUT) && c->out_len > c->out_off)
        conn_flush_pending(w, c, vmb_now_ns());
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
