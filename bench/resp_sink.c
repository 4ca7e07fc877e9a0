/*
 * resp_sink: the cheapest server a Redis client can talk to, for measuring
 * load generators rather than the database behind them.
 *
 * It speaks enough RESP for redis-benchmark and `vmbench stress`: every
 * request is parsed as a RESP array of bulk strings (so pipelined batches
 * are split exactly as Redis splits them), SET answers +OK, GET answers a
 * nil bulk, PING +PONG, CONFIG GET NAME an empty value, anything else +OK.
 * Nothing is stored. One thread, one epoll loop; the replies to everything
 * read from a connection in one go leave in one write, as Redis does.
 *
 *   resp_sink [--spin] [PORT]
 *       listen on 127.0.0.1:PORT (0 or none: any free port); prints
 *       "port N" once listening. --spin polls epoll without ever sleeping,
 *       so a client is never kept waiting for the sink's CPU to wake up
 *       (on a virtual machine that wake-up can cost more than the work).
 *
 * SIGTERM or SIGINT ends it, printing the number of commands answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

#define IN_CAP_MIN (64 * 1024)
#define MAX_EVENTS 256
#define MAX_ARGS 8

struct client {
    int fd;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    bool want_out; /* the socket was full: epoll also waits for EPOLLOUT */
};

struct arg {
    const char *p;
    size_t len;
};

static volatile sig_atomic_t stop;
static uint64_t answered;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void
out_put(struct client *c, const char *s, size_t len)
{
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        c->out = vmb_xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, len);
    c->out_len += len;
}

static void
out_bulk(struct client *c, const char *s, size_t len)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "$%zu\r\n", len);
    out_put(c, head, (size_t)n);
    out_put(c, s, len);
    out_put(c, "\r\n", 2);
}

static bool
is(const struct arg *a, const char *word)
{
    return a->len == strlen(word) && strncasecmp(a->p, word, a->len) == 0;
}

static void
answer(struct client *c, const struct arg *argv, size_t argc)
{
    answered++;
    if (argc == 0) {
        out_put(c, "-ERR empty command\r\n", 20);
    } else if (is(&argv[0], "GET")) {
        out_put(c, "$-1\r\n", 5);
    } else if (is(&argv[0], "PING")) {
        out_put(c, "+PONG\r\n", 7);
    } else if (is(&argv[0], "CONFIG") && argc == 3 && is(&argv[1], "GET")) {
        out_put(c, "*2\r\n", 4);
        out_bulk(c, argv[2].p, argv[2].len);
        out_bulk(c, "", 0);
    } else {
        out_put(c, "+OK\r\n", 5);
    }
}

/* Reads a decimal number ended by CRLF at *p; 1 when complete, 0 when more
 * input is needed, -1 when malformed. */
static int
read_number(const char **p, const char *end, long long *out)
{
    const char *q = *p;
    long long v = 0;
    bool neg = false;
    if (q < end && *q == '-') {
        neg = true;
        q++;
    }
    const char *digits = q;
    while (q < end && *q >= '0' && *q <= '9') {
        if (v > (1LL << 40))
            return -1;
        v = v * 10 + (*q - '0');
        q++;
    }
    if (end - q < 2)
        return 0;
    if (q == digits || q[0] != '\r' || q[1] != '\n')
        return -1;
    *out = neg ? -v : v;
    *p = q + 2;
    return 1;
}

/* Parses one request at *p; 1 when complete (argv filled), 0 when
 * incomplete, -1 when malformed. Arguments past MAX_ARGS are skipped. */
static int
parse_request(const char **p, const char *end, struct arg *argv, size_t *argc)
{
    const char *q = *p;
    long long n;
    if (q >= end)
        return 0;
    if (*q++ != '*')
        return -1;
    int st = read_number(&q, end, &n);
    if (st <= 0)
        return st;
    if (n < 0 || n > 1024 * 1024)
        return -1;
    *argc = 0;
    for (long long i = 0; i < n; i++) {
        long long len;
        if (q >= end)
            return 0;
        if (*q++ != '$')
            return -1;
        st = read_number(&q, end, &len);
        if (st <= 0)
            return st;
        if (len < 0)
            return -1;
        if (end - q < len + 2)
            return 0;
        if (q[len] != '\r' || q[len + 1] != '\n')
            return -1;
        if (*argc < MAX_ARGS)
            argv[(*argc)++] = (struct arg){q, (size_t)len};
        q += len + 2;
    }
    *p = q;
    return 1;
}

static void
client_close(struct client *c)
{
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Sends what is queued; -1 when the connection is gone. */
static int
client_flush(int ep, struct client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
                                         .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = true;
            }
            return 0;
        }
        return -1;
    }
    c->out_len = c->out_off = 0;
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = false;
    }
    return 0;
}

/* Reads what has arrived and answers every complete request in it;
 * -1 when the connection is done. */
static int
client_read(int ep, struct client *c)
{
    if (c->in_cap - c->in_len < IN_CAP_MIN / 2) {
        c->in_cap *= 2;
        c->in = vmb_xrealloc(c->in, c->in_cap);
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    c->in_len += (size_t)n;
    const char *p = c->in, *end = c->in + c->in_len;
    for (;;) {
        struct arg argv[MAX_ARGS];
        size_t argc;
        int st = parse_request(&p, end, argv, &argc);
        if (st < 0) {
            out_put(c, "-ERR protocol error\r\n", 21);
            client_flush(ep, c);
            return -1;
        }
        if (st == 0)
            break;
        answer(c, argv, argc);
    }
    size_t left = (size_t)(end - p);
    memmove(c->in, p, left);
    c->in_len = left;
    if (c->in_len == 0 && c->in_cap > IN_CAP_MIN) {
        c->in_cap = IN_CAP_MIN;
        c->in = vmb_xrealloc(c->in, c->in_cap);
    }
    return client_flush(ep, c);
}

static int
listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1024) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
main(int argc, char **argv)
{
    bool spin = argc > 1 && strcmp(argv[1], "--spin") == 0;
    if (spin) {
        argc--;
        argv++;
    }
    int port = argc > 1 ? atoi(argv[1]) : 0;
    if (argc > 2 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: resp_sink [--spin] [PORT]\n");
        return 2;
    }
    int lfd = listen_on(port);
    if (lfd < 0) {
        fprintf(stderr, "resp_sink: listen on 127.0.0.1:%d: %s\n", port,
                strerror(errno));
        return 1;
    }
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &salen);
    printf("port %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    struct sigaction sig = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
        fprintf(stderr, "resp_sink: epoll: %s\n", strerror(errno));
        return 1;
    }
    struct epoll_event evs[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, spin ? 0 : -1);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    c = vmb_xcalloc(1, sizeof(*c));
                    c->fd = fd;
                    c->in_cap = IN_CAP_MIN;
                    c->in = vmb_xmalloc(c->in_cap);
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0)
                        client_close(c);
                }
                continue;
            }
            int st = 0;
            if (evs[i].events & EPOLLOUT)
                st = client_flush(ep, c);
            if (st == 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                st = client_read(ep, c);
            if (st < 0)
                client_close(c);
        }
    }
    printf("commands %llu\n", (unsigned long long)answered);
    return 0;
}
