/*
 * Test helpers for the load generator tests: a real redis-server on a
 * free loopback port, and a small in-process RESP server whose faults are
 * chosen by the test (stall once, close connections, error replies,
 * garbage, silence). Included by tests/unit/test_load*.c only.
 */
#ifndef VMB_LOAD_TEST_HELPERS_H
#define VMB_LOAD_TEST_HELPERS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "load/load.h"

/* ---- options as the tables give them ---- */

static inline void
th_defaults(struct vmb_load_opts *o, struct vmb_phase *p)
{
    memset(o, 0, sizeof(*o));
    memset(p, 0, sizeof(*p));
    vmb_options_defaults(vmb_load_options, vmb_nload_options, o);
    vmb_options_defaults(vmb_phase_options, vmb_nphase_options, p);
}

/* Applies "key=value" words through the same tables `vmbench stress` uses. */
static inline void
th_set(struct vmb_load_opts *o, struct vmb_phase *p, const char *word)
{
    char key[64];
    const char *eq = strchr(word, '=');
    cr_assert_not_null(eq, "bad word %s", word);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - word), word);
    const struct vmb_option *opt =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, key);
    void *base = p;
    if (opt == NULL) {
        opt = vmb_option_find(vmb_load_options, vmb_nload_options, key);
        base = o;
    }
    cr_assert_not_null(opt, "unknown option %s", key);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_option_parse(opt, eq + 1, base, &err), 0, "%s: %s", word,
                 err ? err->msg : "");
}

static inline void
th_free(struct vmb_load_opts *o, struct vmb_phase *p)
{
    vmb_options_free(vmb_load_options, vmb_nload_options, o);
    vmb_options_free(vmb_phase_options, vmb_nphase_options, p);
}

static inline int
th_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static inline struct vmb_load_target
th_target(int port)
{
    struct vmb_load_target t;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_load_target_from_host("127.0.0.1", port, &t, &err), 0);
    return t;
}

/* Runs phase index with the words applied to the defaults against port. */
static inline int
th_run_at(int port, int index, const char *const *words,
          struct vmb_load_result **r, struct vmb_error **err)
{
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    for (int i = 0; words[i]; i++)
        th_set(&o, &p, words[i]);
    struct vmb_load_target t = th_target(port);
    struct vmb_load_run run = {
        .opts = &o, .phase = &p, .phase_index = index, .primary = &t};
    int rc = vmb_load_run_phase(&run, r, err);
    th_free(&o, &p);
    return rc;
}

/* The same, asserting that the phase ran; the caller frees the result. */
static inline struct vmb_load_result *
th_run_ok(int port, int index, const char *const *words)
{
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    int rc = th_run_at(port, index, words, &r, &err);
    cr_assert_eq(rc, 0, "run failed: %s", err ? err->msg : "");
    return r;
}

/* Sends one inline command and returns the first reply line (static). */
static inline const char *
th_command(int port, const char *cmd)
{
    static char line[512];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    line[0] = '\0';
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return NULL;
    }
    char out[512];
    snprintf(out, sizeof(out), "%s\r\n", cmd);
    if (write(fd, out, strlen(out)) < 0) {
        close(fd);
        return NULL;
    }
    size_t n = 0;
    while (n < sizeof(line) - 1) {
        ssize_t r = read(fd, line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    close(fd);
    return line;
}

/* ---- a real redis-server ---- */

struct th_redis {
    pid_t pid;
    int port;
    char dir[64];
};

/* Whether an executable name is on PATH. */
static inline bool
th_on_path(const char *name)
{
    const char *path = getenv("PATH");
    char dir[4096];
    while (path != NULL && *path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, n ? path : ".", name);
        if (access(dir, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* Starts redis-server on a free port with extra "--name value" pairs
 * (NULL-terminated); persistence is off. Skips the test, saying why,
 * where no redis-server is installed. */
static inline void
th_redis_start(struct th_redis *r, const char *const *extra)
{
    if (!th_on_path("redis-server"))
        cr_skip_test("redis-server is not on PATH: this test runs the load "
                     "generator against a real one (apt-get install "
                     "redis-server)");
    snprintf(r->dir, sizeof(r->dir), "/tmp/vmb-load-test-XXXXXX");
    cr_assert_not_null(mkdtemp(r->dir));
    r->port = th_free_port();
    char port[16];
    snprintf(port, sizeof(port), "%d", r->port);
    const char *argv[64] = {"redis-server",
                            "--port",
                            port,
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            r->dir,
                            "--logfile",
                            "",
                            "--loglevel",
                            "warning"};
    int n = 15;
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    r->pid = fork();
    cr_assert_geq(r->pid, 0);
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        const char *rep = th_command(r->port, "PING");
        if (rep && strcmp(rep, "+PONG") == 0)
            return;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("redis-server did not answer on port %d", r->port);
}

static inline void
th_redis_stop(struct th_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    vmb_rm_rf(r->dir, NULL);
}

/* ---- a small RESP server with chosen faults ---- */

enum th_mode {
    TH_OK,      /* "+OK" to SET, a one-byte value to GET */
    TH_ERR,     /* "-ERR nope" to every command */
    TH_GARBAGE, /* "hello" lines: not RESP */
    TH_SILENT,  /* accepts and reads every command, never answers */
    TH_PLUS_OK, /* "+OK" to every command, GET included: well-formed
                   RESP that does not answer a GET */
    TH_TWICE,   /* two replies to every command, each right for it */
    TH_REPLY,   /* the server's .reply to every command */
};

struct th_server {
    int listen_fd;
    int port;
    enum th_mode mode;
    const char *reply;       /* TH_REPLY: the whole reply, CRLF included */
    int close_after;         /* close a connection after N replies; 0 never */
    uint64_t stall_after_ms; /* stall once, this long after the first command */
    uint64_t stall_ms;       /* for this long; 0 never */
    int accept_backlog_only; /* listen but never accept */
    int silent_after;        /* answer this many commands in all, then
                                none (reading on); 0 no limit */
    uint64_t service_us;     /* each reply this long after the last one
                                (or the command, if later), one command
                                at a time: a server that sustains
                                exactly 1e6 / service_us ops/s */
    uint64_t next_free_ns;
    atomic_int stop;
    atomic_ullong commands;
    pthread_t tid;
};

struct th_client {
    int fd;
    char buf[65536];
    size_t len;
    int replies;
};

/* Number of complete commands at the front of buf, and their bytes. */
static inline int
th_parse_command(const char *buf, size_t len, size_t *used)
{
    size_t p = 0;
    if (len < 4 || buf[0] != '*')
        return 0;
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return 0;
    long n = strtol(buf + 1, NULL, 10);
    p = (size_t)(nl - buf) + 1;
    for (long i = 0; i < n; i++) {
        if (p >= len || buf[p] != '$')
            return 0;
        nl = memchr(buf + p, '\n', len - p);
        if (!nl)
            return 0;
        long l = strtol(buf + p + 1, NULL, 10);
        p = (size_t)(nl - buf) + 1;
        if (p + (size_t)l + 2 > len)
            return 0;
        p += (size_t)l + 2;
    }
    *used = p;
    return 1;
}

static inline void *
th_server_main(void *arg)
{
    struct th_server *s = arg;
    struct th_client *cl = calloc(64, sizeof(*cl));
    int ncl = 0;
    uint64_t first_ns = 0;
    bool stalled = false;
    while (!atomic_load(&s->stop)) {
        struct pollfd pf[65];
        int np = 0;
        pf[np++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (int i = 0; i < ncl; i++)
            pf[np++] = (struct pollfd){.fd = cl[i].fd, .events = POLLIN};
        if (poll(pf, (nfds_t)np, 20) <= 0)
            continue;
        /* Every command read below arrived before this. */
        uint64_t polled_ns = vmb_now_ns();
        if ((pf[0].revents & POLLIN) && !s->accept_backlog_only && ncl < 64) {
            int fd = accept(s->listen_fd, NULL, NULL);
            if (fd >= 0)
                cl[ncl++] = (struct th_client){.fd = fd};
        }
        for (int i = 0; i < ncl; i++) {
            if (!(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct th_client *c = &cl[i];
            ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (r <= 0) {
                close(c->fd);
                c->fd = -1;
                continue;
            }
            c->len += (size_t)r;
            size_t used;
            while (c->fd >= 0 && th_parse_command(c->buf, c->len, &used)) {
                uint64_t now = vmb_now_ns();
                if (first_ns == 0)
                    first_ns = now;
                if (s->stall_ms && !stalled &&
                    now - first_ns >= s->stall_after_ms * 1000000ULL) {
                    stalled = true;
                    struct timespec ts = {(time_t)(s->stall_ms / 1000),
                                          (long)(s->stall_ms % 1000) *
                                              1000000L};
                    nanosleep(&ts, NULL);
                }
                bool get = memmem(c->buf, used, "\r\nGET\r\n", 7) != NULL;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                if (s->mode == TH_SILENT ||
                    (s->silent_after &&
                     atomic_load(&s->commands) >= (unsigned)s->silent_after))
                    continue;
                if (s->service_us) {
                    /* Paced on the clock, not on CPU time: a server
                     * preempted on a busy host catches up, so it
                     * sustains 1e6 / service_us whatever else runs. */
                    uint64_t start = polled_ns > s->next_free_ns
                                         ? polled_ns
                                         : s->next_free_ns;
                    s->next_free_ns = start + s->service_us * 1000;
                    struct timespec until = {
                        (time_t)(s->next_free_ns / 1000000000ULL),
                        (long)(s->next_free_ns % 1000000000ULL)};
                    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
                                           &until, NULL) == EINTR)
                        ;
                }
                const char *right = get ? "$1\r\nx\r\n" : "+OK\r\n";
                const char *rep =
                    s->mode == TH_OK ? right
                    : s->mode == TH_TWICE
                        ? (get ? "$1\r\nx\r\n$1\r\nx\r\n" : "+OK\r\n+OK\r\n")
                    : s->mode == TH_PLUS_OK ? "+OK\r\n"
                    : s->mode == TH_REPLY   ? s->reply
                    : s->mode == TH_ERR     ? "-ERR nope\r\n"
                                            : "hello\r\n";
                if (write(c->fd, rep, strlen(rep)) < 0) {
                    close(c->fd);
                    c->fd = -1;
                    break;
                }
                atomic_fetch_add(&s->commands, 1);
                if (s->close_after && ++c->replies >= s->close_after) {
                    close(c->fd);
                    c->fd = -1;
                }
            }
        }
        int j = 0;
        for (int i = 0; i < ncl; i++)
            if (cl[i].fd >= 0)
                cl[j++] = cl[i];
        ncl = j;
    }
    for (int i = 0; i < ncl; i++)
        close(cl[i].fd);
    free(cl);
    return NULL;
}

static inline void
th_server_start(struct th_server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(s->listen_fd, s->accept_backlog_only ? 0 : 128), 0);
    socklen_t len = sizeof(a);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&s->tid, NULL, th_server_main, s), 0);
}

static inline void
th_server_stop(struct th_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->tid, NULL);
    close(s->listen_fd);
}

#endif
