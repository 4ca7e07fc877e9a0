#include "db/redis_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

struct vmb_redis_ctl_conn {
    int fd;
    char *name; /* "host:port", for messages */
    char buf[16384];
    size_t start, end;
};

void
vmb_redis_ctl_reply_clear(struct vmb_redis_ctl_reply *r)
{
    free(r->str);
    memset(r, 0, sizeof(*r));
}

static int
connect_one(const struct addrinfo *ai, uint64_t deadline_ns)
{
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int r = vmb_wait_fd(fd, POLLOUT, deadline_ns);
    if (r <= 0) {
        close(fd);
        errno = r == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
        close(fd);
        errno = soerr;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

int
vmb_redis_ctl_connect(const char *host, int port, int timeout_ms,
                      struct vmb_redis_ctl_conn **out, struct vmb_error **err)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gr = getaddrinfo(host, portstr, &hints, &res);
    if (gr != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "resolve \"%s\": %s", host,
                             gai_strerror(gr));
    uint64_t deadline = vmb_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    int fd = -1, e = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, deadline);
        if (fd < 0)
            e = errno;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return vmb_error_set(err, VMB_ERR_RUN, e, "connect to \"%s:%d\"", host,
                             port);
    struct vmb_redis_ctl_conn *c = vmb_xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->name = vmb_xasprintf("%s:%d", host, port);
    *out = c;
    return 0;
}

void
vmb_redis_ctl_close(struct vmb_redis_ctl_conn *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->name);
    free(c);
}

static int
send_all(struct vmb_redis_ctl_conn *c, const char *p, size_t len,
         uint64_t deadline, struct vmb_error **err)
{
    while (len > 0) {
        ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return vmb_error_sys(err, "send to \"%s\"", c->name);
        int r = vmb_wait_fd(c->fd, POLLOUT, deadline);
        if (r == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "send to \"%s\": timed out", c->name);
        if (r < 0)
            return vmb_error_sys(err, "send to \"%s\"", c->name);
    }
    return 0;
}

/* Makes at least `need` bytes available from c->start, reading as needed. */
static int
fill(struct vmb_redis_ctl_conn *c, size_t need, uint64_t deadline,
     struct vmb_error **err)
{
    if (need > sizeof(c->buf))
        return -2;
    while (c->end - c->start < need) {
        if (c->start > 0) {
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->end, sizeof(c->buf) - c->end, 0);
        if (r > 0) {
            c->end += (size_t)r;
            continue;
        }
        if (r == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "read from \"%s\": connection closed",
                                 c->name);
        if (errno != EAGAIN && errno != EINTR)
            return vmb_error_sys(err, "read from \"%s\"", c->name);
        int w = vmb_wait_fd(c->fd, POLLIN, deadline);
        if (w == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "read from \"%s\": timed out", c->name);
        if (w < 0)
            return vmb_error_sys(err, "read from \"%s\"", c->name);
    }
    return 0;
}

/* Reads one CRLF-terminated line (without CRLF) into a fresh string. */
static int
read_line(struct vmb_redis_ctl_conn *c, char **line, uint64_t deadline,
          struct vmb_error **err)
{
    size_t scanned = 0;
    for (;;) {
        for (size_t i = c->start + scanned; i + 1 < c->end; i++) {
            if (c->buf[i] == '\r' && c->buf[i + 1] == '\n') {
                size_t n = i - c->start;
                char *s = vmb_xmalloc(n + 1);
                memcpy(s, c->buf + c->start, n);
                s[n] = '\0';
                c->start = i + 2;
                *line = s;
                return 0;
            }
        }
        scanned = c->end - c->start > 0 ? c->end - c->start - 1 : 0;
        int r = fill(c, c->end - c->start + 1, deadline, err);
        if (r == -2)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "read from \"%s\": reply line too long",
                                 c->name);
        if (r < 0)
            return -1;
    }
}

static int
read_bulk(struct vmb_redis_ctl_conn *c, size_t n, char **out, uint64_t deadline,
          struct vmb_error **err)
{
    char *s = vmb_xmalloc(n + 1);
    size_t got = 0;
    while (got < n + 2) {
        if (c->end == c->start) {
            int r = fill(c, 1, deadline, err);
            if (r < 0) {
                free(s);
                return -1;
            }
        }
        size_t avail = c->end - c->start;
        size_t take = n + 2 - got < avail ? n + 2 - got : avail;
        for (size_t i = 0; i < take; i++) {
            if (got + i < n)
                s[got + i] = c->buf[c->start + i];
        }
        c->start += take;
        got += take;
    }
    s[n] = '\0';
    *out = s;
    return 0;
}

static int
read_reply(struct vmb_redis_ctl_conn *c, struct vmb_redis_ctl_reply *reply,
           uint64_t deadline, struct vmb_error **err)
{
    autofree char *line = NULL;
    if (read_line(c, &line, deadline, err) < 0)
        return -1;
    const char *rest = line + 1;
    switch (line[0]) {
    case '+':
    case '-':
        reply->type =
            line[0] == '+' ? VMB_REDIS_CTL_STATUS : VMB_REDIS_CTL_ERROR;
        reply->str = vmb_xstrdup(rest);
        reply->len = strlen(rest);
        return 0;
    case ':':
        reply->type = VMB_REDIS_CTL_INTEGER;
        reply->integer = strtoll(rest, NULL, 10);
        return 0;
    case '$': {
        long long n = strtoll(rest, NULL, 10);
        if (n < 0) {
            reply->type = VMB_REDIS_CTL_NIL;
            return 0;
        }
        if (n > (64ll << 20))
            break;
        reply->type = VMB_REDIS_CTL_BULK;
        reply->len = (size_t)n;
        return read_bulk(c, (size_t)n, &reply->str, deadline, err);
    }
    case '*': {
        long long n = strtoll(rest, NULL, 10);
        if (n < 0) {
            reply->type = VMB_REDIS_CTL_NIL;
            return 0;
        }
        /* Elements are read and dropped: the control plane never needs them. */
        for (long long i = 0; i < n; i++) {
            struct vmb_redis_ctl_reply el = {0};
            int r = read_reply(c, &el, deadline, err);
            vmb_redis_ctl_reply_clear(&el);
            if (r < 0)
                return -1;
        }
        reply->type = VMB_REDIS_CTL_ARRAY;
        reply->integer = n;
        return 0;
    }
    default:
        break;
    }
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "read from \"%s\": malformed reply \"%.40s\"", c->name,
                         line);
}

int
vmb_redis_ctl_command(struct vmb_redis_ctl_conn *c, int timeout_ms,
                      struct vmb_redis_ctl_reply *reply, struct vmb_error **err,
                      int argc, const char *const *argv)
{
    uint64_t deadline = vmb_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    struct vmb_buf b = {0};
    vmb_buf_printf(&b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        vmb_buf_printf(&b, "$%zu\r\n", n);
        vmb_buf_append(&b, argv[i], n);
        vmb_buf_puts(&b, "\r\n");
    }
    int r = send_all(c, b.data, b.len, deadline, err);
    vmb_buf_free(&b);
    if (r < 0)
        return -1;
    memset(reply, 0, sizeof(*reply));
    return read_reply(c, reply, deadline, err);
}

char *
vmb_redis_ctl_info_field(const char *info, const char *field)
{
    size_t fl = strlen(field);
    const char *p = info;
    while (p != NULL && *p) {
        if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
            const char *v = p + fl + 1;
            size_t n = strcspn(v, "\r\n");
            char *s = vmb_xmalloc(n + 1);
            memcpy(s, v, n);
            s[n] = '\0';
            return s;
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}
