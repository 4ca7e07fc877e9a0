/*
 * Redis (RESP2) as a load protocol: SET for writes, GET for reads, over
 * a non-blocking socket watched edge-triggered. Requests are whole
 * templates with the key's digits written in place, so the hot path
 * copies one and writes the digits rather than formatting a command.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/proto.h"
#include "load/resp.h"

#define OUT_MIN 1024
#define OUT_BATCH (64 * 1024)

struct resp_phase {
    char *value;
    size_t vmin;
    size_t vmax;
    size_t prefix_len;
    size_t key_digits;
    size_t key_len;
    size_t max_request;
    char prefix[320];
    /* Whole requests with the key's digits zeros. A GET ends with its key
     * and CR LF, and a SET's key starts where a GET's does (both command
     * names have three letters), so the key ends at the same offset in
     * both. No SET template where value sizes vary. */
    char *set_tmpl;
    size_t set_tmpl_len;
    char *get_tmpl;
    size_t get_tmpl_len;
    size_t tmpl_key_end;
};

struct resp_conn {
    const struct resp_phase *ps;
    int fd;
    char *rbuf;
    struct vmb_resp_reader rd;
    char *out; /* requests not sent yet; owned, grown on need */
    size_t out_len;
    size_t out_off;
    size_t out_cap;
    /* Each request in flight, oldest first: its kind (0 SET, 1 GET) and
     * where it ends in the bytes queued on this connection. A reply is
     * checked against the request it answers, which must have been sent
     * whole. A ring that grows with the pipeline and is reset with the
     * connection. */
    struct resp_req {
        uint64_t end;
        int kind;
    } * reqs;
    size_t reqs_cap, reqs_head, reqs_n;
    uint64_t queued_bytes, sent_bytes;
    char key[320];
};

static bool
resp_runs(int op)
{
    return op == VMB_OP_WRITE || op == VMB_OP_READ || op == VMB_OP_MIXED;
}

static void
resp_phase_free(void *p)
{
    struct resp_phase *ps = p;
    if (ps == NULL)
        return;
    free(ps->value);
    free(ps->set_tmpl);
    free(ps->get_tmpl);
    free(ps);
}

static int
resp_phase_new(const struct vmb_load_opts *o, const struct vmb_phase *ph,
               void **out, struct vmb_error **err)
{
    (void)ph;
    struct resp_phase *ps = vmb_xcalloc(1, sizeof(*ps));
    *out = ps;
    ps->vmin = o->value_size_bytes ? o->value_size_bytes : 1;
    ps->vmax =
        o->value_size_max_bytes > ps->vmin ? o->value_size_max_bytes : ps->vmin;
    ps->value = vmb_xmalloc(ps->vmax);
    memset(ps->value, 'x', ps->vmax);
    const char *prefix = o->key_prefix ? o->key_prefix : "";
    ps->prefix_len = strlen(prefix);
    ps->key_digits = vmb_resp_digits((uint64_t)o->keys - 1);
    ps->key_len = ps->prefix_len + ps->key_digits;
    if (ps->key_len > 300)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "key prefix \"%s\" is too long", prefix);
    memcpy(ps->prefix, prefix, ps->prefix_len);
    ps->max_request = vmb_resp_set_size(ps->key_len, ps->vmax);

    char key[320];
    memcpy(key, prefix, ps->prefix_len);
    memset(key + ps->prefix_len, '0', ps->key_digits);
    ps->get_tmpl = vmb_xmalloc(vmb_resp_get_size(ps->key_len));
    ps->get_tmpl_len =
        (size_t)(vmb_resp_put_get(ps->get_tmpl, key, ps->key_len) -
                 ps->get_tmpl);
    ps->tmpl_key_end = ps->get_tmpl_len - 2;
    if (ps->vmin == ps->vmax) {
        ps->set_tmpl = vmb_xmalloc(vmb_resp_set_size(ps->key_len, ps->vmin));
        ps->set_tmpl_len =
            (size_t)(vmb_resp_put_set(ps->set_tmpl, key, ps->key_len, ps->value,
                                      ps->vmin) -
                     ps->set_tmpl);
    }
    return 0;
}

static void *
resp_conn_new(void *ps, char *rbuf)
{
    struct resp_conn *c = vmb_xcalloc(1, sizeof(*c));
    c->ps = ps;
    c->fd = -1;
    c->rbuf = rbuf;
    memcpy(c->key, c->ps->prefix, c->ps->prefix_len);
    return c;
}

static void
resp_close(void *pc)
{
    struct resp_conn *c = pc;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->out_len = c->out_off = 0;
    c->reqs_head = c->reqs_n = 0;
    c->queued_bytes = c->sent_bytes = 0;
    vmb_resp_reader_reset(&c->rd);
}

static void
resp_conn_free(void *pc)
{
    struct resp_conn *c = pc;
    if (c == NULL)
        return;
    resp_close(c);
    free(c->out);
    free(c->reqs);
    free(c);
}

static void
fault(struct vmb_load_fault *f, int cls, int errnum)
{
    f->cls = cls;
    f->errnum = errnum;
    f->refused = false;
    f->msg[0] = '\0';
}

static int
resp_open(void *pc, const struct vmb_load_target *t, struct vmb_load_fault *f)
{
    struct resp_conn *c = pc;
    int fd = socket(t->addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fault(f, VMB_LOAD_ERR_CONNECT, errno);
        return -1;
    }
    if (t->addr.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    int rc = connect(fd, (const struct sockaddr *)&t->addr, t->addr_len);
    if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
        fault(f, VMB_LOAD_ERR_CONNECT, errno);
        close(fd);
        return -1;
    }
    c->fd = fd;
    return rc == 0 ? VMB_LOAD_POLL_DONE : VMB_LOAD_POLL_WRITE;
}

static int
resp_connect_poll(void *pc, struct vmb_load_fault *f)
{
    struct resp_conn *c = pc;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr != 0) {
        fault(f, VMB_LOAD_ERR_CONNECT, soerr);
        return -1;
    }
    return VMB_LOAD_POLL_DONE;
}

static int
resp_fd(void *pc)
{
    return ((struct resp_conn *)pc)->fd;
}

static int
resp_flush(void *pc, struct vmb_load_fault *f)
{
    struct resp_conn *c = pc;
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->sent_bytes += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        fault(f, VMB_LOAD_ERR_IO, n < 0 ? errno : EPIPE);
        return -1;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Room for one more request at the end of c->out. The buffer grows to
 * OUT_BATCH so that a whole pipeline goes out in one send; past that,
 * what is there is sent first. */
static int
make_room(struct resp_conn *c, struct vmb_load_fault *f)
{
    size_t need = c->ps->max_request;
    if (c->out_len + need <= c->out_cap)
        return 0;
    if (c->out_cap >= OUT_BATCH && c->out_len > c->out_off &&
        resp_flush(c, f) < 0)
        return -1;
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : OUT_MIN;
        while (cap < c->out_len + need)
            cap *= 2;
        c->out = vmb_xrealloc(c->out, cap);
        c->out_cap = cap;
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

static void
push_req(struct resp_conn *c, int kind, size_t len)
{
    if (c->reqs_n == c->reqs_cap) {
        size_t cap = c->reqs_cap ? 2 * c->reqs_cap : 64;
        struct resp_req *r = vmb_xmalloc(cap * sizeof(*r));
        for (size_t i = 0; i < c->reqs_n; i++)
            r[i] = c->reqs[(c->reqs_head + i) % c->reqs_cap];
        free(c->reqs);
        c->reqs = r;
        c->reqs_cap = cap;
        c->reqs_head = 0;
    }
    c->queued_bytes += len;
    c->reqs[(c->reqs_head + c->reqs_n++) % c->reqs_cap] =
        (struct resp_req){.end = c->queued_bytes, .kind = kind};
}

/* Whether rep can answer the oldest request in flight, which it then
 * takes off the ring: an error answers anything, a SET is answered by
 * "+OK", a GET by a bulk string or nil. A reply with no request sent
 * whole before its bytes were read (sent: the bytes sent by then), or of
 * the wrong shape, is a protocol error. */
static bool
reply_matches(struct resp_conn *c, const struct vmb_resp_reply *rep,
              uint64_t sent)
{
    if (c->reqs_n == 0 || c->reqs[c->reqs_head].end > sent)
        return false;
    int kind = c->reqs[c->reqs_head].kind;
    c->reqs_head = (c->reqs_head + 1) % c->reqs_cap;
    c->reqs_n--;
    if (rep->type == '-')
        return true;
    if (kind == 0)
        return rep->type == '+' && rep->text_len == 2 &&
               memcmp(rep->text, "OK", 2) == 0;
    return rep->type == '$';
}

static int
resp_queue(void *pc, int kind, uint64_t k, struct vmb_rng *rng,
           struct vmb_load_fault *f)
{
    struct resp_conn *c = pc;
    const struct resp_phase *ps = c->ps;
    if (make_room(c, f) < 0)
        return -1;
    char *p = c->out + c->out_len;
    if (kind == 0 && ps->set_tmpl != NULL) {
        memcpy(p, ps->set_tmpl, ps->set_tmpl_len);
        put_key_digits(p + ps->tmpl_key_end, ps->key_digits, k);
        p += ps->set_tmpl_len;
    } else if (kind == 0) {
        put_key_digits(c->key + ps->key_len, ps->key_digits, k);
        size_t vlen = ps->vmin + vmb_rng_below(rng, ps->vmax - ps->vmin + 1);
        p = vmb_resp_put_set(p, c->key, ps->key_len, ps->value, vlen);
    } else {
        memcpy(p, ps->get_tmpl, ps->get_tmpl_len);
        put_key_digits(p + ps->tmpl_key_end, ps->key_digits, k);
        p += ps->get_tmpl_len;
    }
    size_t len = (size_t)(p - (c->out + c->out_len));
    c->out_len = (size_t)(p - c->out);
    push_req(c, kind == 0 ? 0 : 1, len);
    return 0;
}

static int
resp_consume(void *pc, vmb_load_answer_fn done, void *ctx,
             struct vmb_load_fault *f)
{
    struct resp_conn *c = pc;
    for (;;) {
        ssize_t n = recv(c->fd, c->rbuf, VMB_LOAD_PROTO_RBUF, 0);
        if (n == 0) {
            fault(f, VMB_LOAD_ERR_IO, ECONNRESET);
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            fault(f, VMB_LOAD_ERR_IO, errno);
            return -1;
        }
        const char *p = c->rbuf, *end = c->rbuf + n;
        /* What was read answers only what had been sent before the read,
         * not requests the answers below make room for. */
        uint64_t sent = c->sent_bytes;
        bool fresh = true;
        while (p < end) {
            struct vmb_resp_reply rep;
            int st = vmb_resp_read(&c->rd, &p, end, &rep);
            if (st == VMB_RESP_MORE)
                break;
            if (st == VMB_RESP_BAD) {
                fault(f, VMB_LOAD_ERR_PROTOCOL, EPROTO);
                return -1;
            }
            if (!reply_matches(c, &rep, sent)) {
                fault(f, VMB_LOAD_ERR_PROTOCOL, EPROTO);
                return -1;
            }
            struct vmb_load_answer a = {.status = VMB_LOAD_ANS_OK,
                                        .fresh = fresh};
            fresh = false;
            if (rep.type == '-') {
                a.status = VMB_LOAD_ANS_SERVER;
                a.text = rep.text;
                a.text_len = rep.text_len;
            } else if (rep.nil) {
                a.status = VMB_LOAD_ANS_MISS;
            }
            if (done(ctx, &a) < 0) {
                fault(f, VMB_LOAD_ERR_PROTOCOL, EPROTO);
                return -1;
            }
        }
        /* A short read drained the socket: edge-triggered epoll reports
         * anything that arrives later. */
        if (n < VMB_LOAD_PROTO_RBUF)
            return 0;
    }
}

static const char *const resp_schemes[] = {"redis", "unix", NULL};

const struct vmb_load_proto vmb_load_proto_resp = {
    .name = "redis",
    .edge_triggered = true,
    .runs = resp_runs,
    .phase_new = resp_phase_new,
    .phase_free = resp_phase_free,
    .conn_new = resp_conn_new,
    .conn_free = resp_conn_free,
    .open = resp_open,
    .connect_poll = resp_connect_poll,
    .fd = resp_fd,
    .queue = resp_queue,
    .flush = resp_flush,
    .consume = resp_consume,
    .close = resp_close,
    .schemes = resp_schemes,
    .target_parse = vmb_load_target_parse,
    .prepare = NULL,
};
