#include "vm/virt_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base/util.h"
#include "vm/virt.h"
#include "vm/virt_priv.h"

#define RELAY_BUF 65536
/* Keepalive of a relay's connection: a probe every 2 s, 3 unanswered
 * ones close it. */
#define KEEPALIVE_INTERVAL_S 2
#define KEEPALIVE_COUNT 3u
/* A relay opens right after its domain started on the same host. */
#define RELAY_OPEN_TIMEOUT_US 30000000ull
#define FREE_WAIT_NS (2ull * 1000000000)

struct vmb_virt_relay {
    struct vmb_virt *v; /* the relay's own connection */
    virDomainPtr dom;
    virStreamPtr st;
    char *what; /* "the agent channel of domain \"d\"", for messages */
    bool console;
    int fd;    /* the relay's end of the socketpair, or the console file */
    int watch; /* virEventAddHandle on fd (channel); -1: none */
    bool stream_cb, close_cb;

    /* The state below, shared by the event thread's callbacks and a
     * close callback that may come from another thread. */
    pthread_mutex_t lock;
    bool ended; /* the stream or the client is gone: nothing more moves */
    char to_fd[RELAY_BUF]; /* from the stream, not yet on fd */
    size_t to_fd_len, to_fd_off;
    char to_st[RELAY_BUF]; /* from fd, not yet on the stream */
    size_t to_st_len, to_st_off;
    uint64_t written, dropped; /* console: bytes appended, bytes dropped */

    /* The handle's free callback and the marker of the free (both in the
     * event thread) count here; they take this lock, never the one
     * above. */
    pthread_mutex_t gone_lock;
    pthread_cond_t gone_cond;
    int gone;
};

/* Relays whose free gave up waiting for the event loop (left, not freed
 * under a callback). */
static atomic_uint relays_leaked;

unsigned
vmb_virt_relay_leaked(void)
{
    return atomic_load(&relays_leaked);
}

/* ---- libvirt's default event loop, one thread for the process ---- */

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static bool loop_ok;
static char loop_msg[256];

static void
quiet(void *opaque, virErrorPtr e)
{
    (void)opaque;
    (void)e;
}

static void *
loop_main(void *arg)
{
    (void)arg;
    for (;;)
        if (virEventRunDefaultImpl() < 0) {
            virResetLastError();
            usleep(10000);
        }
    return NULL;
}

/* A detached thread of ours; signals stay with the process's other
 * threads (SIGINT's flag). Returns 0 or an errno. */
static int
start_detached(void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int e = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

/* The CLOCK_REALTIME time ns from now, for pthread_cond_timedwait. */
static struct timespec
realtime_after(uint64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)(ns / 1000000000ull);
    t.tv_nsec += (long)(ns % 1000000000ull);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void
loop_start(void)
{
    /* The guard process forks before the loop's thread exists. */
    vmb_virt_guard_ensure();
    virSetErrorFunc(NULL, quiet);
    if (virEventRegisterDefaultImpl() < 0) {
        const char *m = virGetLastErrorMessage();
        snprintf(loop_msg, sizeof(loop_msg),
                 "register libvirt's event loop: %s", m ? m : "unknown error");
        virResetLastError();
        return;
    }
    int e = start_detached(loop_main, NULL);
    if (e != 0) {
        snprintf(loop_msg, sizeof(loop_msg), "start libvirt's event loop: %s",
                 strerror(e));
        return;
    }
    loop_ok = true;
}

/* ---- a connection with a deadline and keepalive ---- */

/* One open, in a thread of its own so that its caller can stop waiting:
 * libvirt's open has no deadline. An open given up on closes what it
 * got when it ends (abandoned). */
struct opener {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done, abandoned;
    char *uri;
    struct vmb_virt *v;
    struct vmb_error *err;
};

static void
opener_free(struct opener *o)
{
    vmb_virt_close(o->v);
    vmb_error_free(o->err);
    free(o->uri);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->cond);
    free(o);
}

static void *
opener_main(void *arg)
{
    struct opener *o = arg;
    struct vmb_virt *v = NULL;
    struct vmb_error *e = NULL;
    if (vmb_virt_open(o->uri, &v, &e) == 0 &&
        virConnectSetKeepAlive(v->conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT) <
            0) {
        vmb_virt_fail(&e, "keepalive of the connection");
        vmb_virt_close(v);
        v = NULL;
    }
    pthread_mutex_lock(&o->lock);
    o->v = v;
    o->err = e;
    o->done = true;
    bool abandoned = o->abandoned;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
    if (abandoned)
        opener_free(o);
    return NULL;
}

int
vmb_virt_open_alive(const char *uri, uint64_t timeout_us, struct vmb_virt **out,
                    struct vmb_error **err)
{
    pthread_once(&loop_once, loop_start);
    if (!loop_ok)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "%s", loop_msg);
    struct opener *o = vmb_xcalloc(1, sizeof(*o));
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->cond, NULL);
    o->uri = vmb_xstrdup(uri);
    int e = start_detached(opener_main, o);
    if (e != 0) {
        opener_free(o);
        return vmb_error_set(err, VMB_ERR_RUN, e, "connect to \"%s\"", uri);
    }
    struct timespec until = realtime_after(timeout_us * 1000ull);
    pthread_mutex_lock(&o->lock);
    /* In slices, so that Ctrl-C ends the wait too. */
    int w = 0;
    while (!o->done && w != ETIMEDOUT && !vmb_interrupted) {
        struct timespec slice = realtime_after(200 * 1000000ull);
        bool last =
            slice.tv_sec > until.tv_sec ||
            (slice.tv_sec == until.tv_sec && slice.tv_nsec >= until.tv_nsec);
        w = pthread_cond_timedwait(&o->cond, &o->lock, last ? &until : &slice);
        if (w == ETIMEDOUT && !last)
            w = 0;
    }
    if (!o->done) {
        o->abandoned = true;
        pthread_mutex_unlock(&o->lock);
        return vmb_interrupted
                   ? vmb_error_set(err, VMB_ERR_RUN, EINTR,
                                   "interrupted while connecting to \"%s\"",
                                   uri)
                   : vmb_error_set(err, VMB_ERR_RUN, ETIMEDOUT,
                                   "libvirtd at \"%s\" did not answer within "
                                   "%" PRIu64 " ms",
                                   uri, timeout_us / 1000);
    }
    pthread_mutex_unlock(&o->lock);
    int rc = 0;
    if (o->v == NULL) {
        *err = steal(&o->err);
        rc = -1;
    } else {
        *out = steal(&o->v);
    }
    opener_free(o);
    return rc;
}

/* ---- moving bytes (the event thread, r->lock held) ---- */

/* Nothing more moves; a channel's client then reads EOF. */
static void
end_locked(struct vmb_virt_relay *r)
{
    if (r->ended)
        return;
    r->ended = true;
    if (!r->console)
        shutdown(r->fd, SHUT_RDWR);
}

static void
update_events(struct vmb_virt_relay *r)
{
    int se = 0, fe = 0;
    if (!r->ended) {
        if (r->to_fd_len == 0)
            se |= VIR_STREAM_EVENT_READABLE;
        if (r->to_st_len > 0)
            se |= VIR_STREAM_EVENT_WRITABLE;
        if (r->to_st_len == 0)
            fe |= VIR_EVENT_HANDLE_READABLE;
        if (r->to_fd_len > 0)
            fe |= VIR_EVENT_HANDLE_WRITABLE;
    }
    if (r->stream_cb && virStreamEventUpdateCallback(r->st, se) < 0)
        virResetLastError();
    if (r->watch >= 0)
        virEventUpdateHandle(r->watch, fe);
}

static void
flush_to_fd(struct vmb_virt_relay *r)
{
    while (r->to_fd_off < r->to_fd_len) {
        ssize_t w =
            send(r->fd, r->to_fd + r->to_fd_off, r->to_fd_len - r->to_fd_off,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            r->to_fd_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        /* The client closed its end: nobody is left to carry for. */
        end_locked(r);
        return;
    }
    r->to_fd_len = r->to_fd_off = 0;
}

static void
flush_to_stream(struct vmb_virt_relay *r)
{
    while (r->to_st_off < r->to_st_len) {
        int n = virStreamSend(r->st, r->to_st + r->to_st_off,
                              r->to_st_len - r->to_st_off);
        if (n == -2)
            return;
        if (n < 0) {
            virResetLastError();
            end_locked(r);
            return;
        }
        r->to_st_off += (size_t)n;
    }
    r->to_st_len = r->to_st_off = 0;
}

/* Appends to the console file up to the cap; counts the rest. */
static void
console_append(struct vmb_virt_relay *r, const char *buf, size_t n)
{
    uint64_t room = VMB_VIRT_RELAY_CONSOLE_CAP - r->written;
    size_t k = n < room ? n : (size_t)room;
    size_t off = 0;
    while (off < k) {
        ssize_t w = write(r->fd, buf + off, k - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    r->written += off;
    r->dropped += n - off;
}

static void
pull_stream(struct vmb_virt_relay *r)
{
    while (r->to_fd_len == 0 && !r->ended) {
        int n = virStreamRecv(r->st, r->to_fd, sizeof(r->to_fd));
        if (n == -2)
            return;
        if (n <= 0) {
            /* 0: the far end closed (QEMU went away); < 0: the stream or
             * its connection broke. */
            virResetLastError();
            end_locked(r);
            return;
        }
        if (r->console) {
            console_append(r, r->to_fd, (size_t)n);
            continue;
        }
        r->to_fd_len = (size_t)n;
        r->to_fd_off = 0;
        flush_to_fd(r);
    }
}

static void
on_stream(virStreamPtr st, int events, void *opaque)
{
    (void)st;
    struct vmb_virt_relay *r = opaque;
    pthread_mutex_lock(&r->lock);
    if (!r->ended && (events & VIR_STREAM_EVENT_WRITABLE))
        flush_to_stream(r);
    if (!r->ended && r->to_fd_len == 0 &&
        (events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                   VIR_STREAM_EVENT_HANGUP)))
        pull_stream(r);
    else if (events & VIR_STREAM_EVENT_ERROR)
        end_locked(r);
    update_events(r);
    pthread_mutex_unlock(&r->lock);
}

static void
on_fd(int watch, int fd, int events, void *opaque)
{
    (void)watch;
    struct vmb_virt_relay *r = opaque;
    pthread_mutex_lock(&r->lock);
    if (!r->ended && (events & VIR_EVENT_HANDLE_WRITABLE)) {
        flush_to_fd(r);
        if (r->to_fd_len == 0)
            pull_stream(r);
    }
    if (!r->ended && r->to_st_len == 0 &&
        (events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP |
                   VIR_EVENT_HANDLE_ERROR))) {
        ssize_t n = recv(fd, r->to_st, sizeof(r->to_st), MSG_DONTWAIT);
        if (n > 0) {
            r->to_st_len = (size_t)n;
            r->to_st_off = 0;
            flush_to_stream(r);
        } else if (n == 0 ||
                   (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            end_locked(r);
    }
    update_events(r);
    pthread_mutex_unlock(&r->lock);
}

/*
 * The relay's connection closed (keepalive, the host went away). libvirt
 * calls this holding the connection's close-callback lock, which
 * virConnectUnregisterCloseCallback takes under the driver's lock: a
 * call here that needs the driver's lock (the stream's events) would
 * deadlock against a free under way. Only the socket's watch changes;
 * a closed connection's stream raises no more events.
 */
static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
    (void)conn;
    (void)reason;
    struct vmb_virt_relay *r = opaque;
    pthread_mutex_lock(&r->lock);
    end_locked(r);
    if (r->watch >= 0)
        virEventUpdateHandle(r->watch, 0);
    pthread_mutex_unlock(&r->lock);
}

static void
on_gone(void *opaque)
{
    struct vmb_virt_relay *r = opaque;
    pthread_mutex_lock(&r->gone_lock);
    r->gone++;
    pthread_cond_broadcast(&r->gone_cond);
    pthread_mutex_unlock(&r->gone_lock);
}

static void
on_marker(int timer, void *opaque)
{
    virEventRemoveTimeout(timer);
    on_gone(opaque);
}

/* ---- the relay's life ---- */

uint64_t
vmb_virt_relay_dropped(struct vmb_virt_relay *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t d = r->dropped;
    pthread_mutex_unlock(&r->lock);
    return d;
}

/* Waits until want of them ran, at most FREE_WAIT_NS. */
static bool
wait_gone(struct vmb_virt_relay *r, int want)
{
    struct timespec until = realtime_after(FREE_WAIT_NS);
    pthread_mutex_lock(&r->gone_lock);
    int rc = 0;
    while (r->gone < want && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->gone_cond, &r->gone_lock, &until);
    bool all = r->gone >= want;
    pthread_mutex_unlock(&r->gone_lock);
    return all;
}

void
vmb_virt_relay_free(struct vmb_virt_relay *r)
{
    if (r == NULL)
        return;
    /* Once unregistered, no close callback runs or is still running. */
    if (r->close_cb &&
        virConnectUnregisterCloseCallback(r->v->conn, on_close) < 0)
        virResetLastError();
    int want = 0;
    if (r->watch >= 0 && virEventRemoveHandle(r->watch) == 0)
        want++;
    if (r->stream_cb && virStreamEventRemoveCallback(r->st) < 0)
        virResetLastError();
    /* A callback may still be running in the event thread. Past the
     * wait, r is leaked, never freed under a callback. */
    /* The event thread runs every callback of the relay's, one at a time:
     * once it has run a timeout added now, none of the relay's runs any
     * more. (The remote driver never calls a stream callback's free
     * function, so that cannot say it.) */
    if (virEventAddTimeout(0, on_marker, r, NULL) >= 0)
        want++;
    if (!wait_gone(r, want)) {
        atomic_fetch_add(&relays_leaked, 1);
        return;
    }
    if (r->st) {
        /* As virsh's console does, whether or not the stream ended. */
        if (virStreamAbort(r->st) < 0)
            virResetLastError();
        virStreamFree(r->st);
    }
    if (r->dom)
        virDomainFree(r->dom);
    vmb_virt_close(r->v);
    if (r->fd >= 0)
        close(r->fd);
    free(r->what);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->gone_lock);
    pthread_cond_destroy(&r->gone_cond);
    free(r);
}

/*
 * The part both relays share: the connection, the domain, its stream and
 * the callbacks. fd is the relay's end (taken: closed on failure).
 */
static int
relay_start(const char *uri, const char *domain, bool console,
            const char *channel, int fd, struct vmb_virt_relay **out,
            struct vmb_error **err)
{
    pthread_once(&loop_once, loop_start);
    if (!loop_ok) {
        if (fd >= 0)
            close(fd);
        return vmb_error_set(err, VMB_ERR_RUN, 0, "%s", loop_msg);
    }
    char *ctx = NULL;
    struct vmb_virt_relay *r = vmb_xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->gone_lock, NULL);
    pthread_cond_init(&r->gone_cond, NULL);
    r->console = console;
    r->fd = fd;
    r->watch = -1;
    r->what = console ? vmb_xasprintf("the console of domain \"%s\"", domain)
                      : vmb_xasprintf("channel \"%s\" of domain \"%s\"",
                                      channel, domain);
    if (vmb_virt_open_alive(uri, RELAY_OPEN_TIMEOUT_US, &r->v, err) < 0)
        goto fail;
    r->dom = virDomainLookupByName(r->v->conn, domain);
    if (r->dom == NULL) {
        ctx = vmb_xasprintf("look up domain \"%s\"", domain);
        vmb_virt_fail(err, ctx);
        goto fail;
    }
    r->st = virStreamNew(r->v->conn, VIR_STREAM_NONBLOCK);
    if (r->st == NULL) {
        vmb_virt_fail(err, "new stream");
        goto fail;
    }
    int rc = console ? virDomainOpenConsole(r->dom, NULL, r->st,
                                            VIR_DOMAIN_CONSOLE_FORCE)
                     : virDomainOpenChannel(r->dom, channel, r->st,
                                            VIR_DOMAIN_CHANNEL_FORCE);
    if (rc < 0) {
        ctx = vmb_xasprintf("open %s", r->what);
        vmb_virt_fail(err, ctx);
        goto fail;
    }
    if (virConnectRegisterCloseCallback(r->v->conn, on_close, r, NULL) < 0) {
        vmb_virt_fail(err, "watch the connection");
        goto fail;
    }
    r->close_cb = true;
    pthread_mutex_lock(&r->lock);
    if (virStreamEventAddCallback(r->st, VIR_STREAM_EVENT_READABLE, on_stream,
                                  r, NULL) < 0) {
        pthread_mutex_unlock(&r->lock);
        ctx = vmb_xasprintf("watch %s", r->what);
        vmb_virt_fail(err, ctx);
        goto fail;
    }
    r->stream_cb = true;
    if (!console) {
        r->watch = virEventAddHandle(r->fd, VIR_EVENT_HANDLE_READABLE, on_fd, r,
                                     on_gone);
        if (r->watch < 0) {
            pthread_mutex_unlock(&r->lock);
            ctx = vmb_xasprintf("watch the relay's end of %s", r->what);
            vmb_virt_fail(err, ctx);
            goto fail;
        }
    }
    pthread_mutex_unlock(&r->lock);
    *out = r;
    return 0;

fail:
    free(ctx);
    vmb_virt_relay_free(r);
    return -1;
}

int
vmb_virt_relay_channel(const char *uri, const char *domain, const char *channel,
                       int *fd, struct vmb_virt_relay **out,
                       struct vmb_error **err)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return vmb_error_sys(err, "relay channel \"%s\" of domain \"%s\"",
                             channel, domain);
    if (relay_start(uri, domain, false, channel, sp[0], out, err) < 0) {
        close(sp[1]);
        return vmb_error_prefix(err, "relay channel \"%s\" of domain \"%s\"",
                                channel, domain);
    }
    *fd = sp[1];
    return 0;
}

int
vmb_virt_relay_console(const char *uri, const char *domain, const char *file,
                       struct vmb_virt_relay **out, struct vmb_error **err)
{
    bool created = false;
    int fd = open(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(file,
                  O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW |
                      O_CLOEXEC,
                  0600);
        created = fd >= 0;
    }
    if (fd < 0)
        return vmb_error_sys(
            err, "relay the console of domain \"%s\" to \"%s\"", domain, file);
    if (relay_start(uri, domain, true, NULL, fd, out, err) < 0) {
        if (created)
            unlink(file);
        return vmb_error_prefix(err, "relay the console of domain \"%s\"",
                                domain);
    }
    return 0;
}
