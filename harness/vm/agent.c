#include "vm/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/rawprobe.h"
#include "base/units.h"
#include "base/util.h"
#include "vm/agent_wire.h"

struct vmb_agent {
    /* One request at a time: the run's thread and the resource sampler's
     * (runtime/sample.h) share the channel. */
    pthread_mutex_t lock;
    int fd;
    char *where; /* the channel, in words: "agent socket \"...\"" */
    uint64_t next_id;
    struct vmb_buf in; /* bytes read, not yet a whole line */
    struct vmb_agent_hello hello;
};

static void
hello_clear(struct vmb_agent_hello *h)
{
    free(h->name);
    free(h->kernel);
    free(h->boot_error);
    memset(h, 0, sizeof(*h));
}

void
vmb_agent_free(struct vmb_agent *a)
{
    if (!a)
        return;
    if (a->fd >= 0)
        close(a->fd);
    free(a->where);
    vmb_buf_free(&a->in);
    hello_clear(&a->hello);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const struct vmb_agent_hello *
vmb_agent_hello_info(const struct vmb_agent *a)
{
    return &a->hello;
}

static int
ms_left(uint64_t deadline_ns)
{
    uint64_t now = vmb_now_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/*
 * Reads the next whole line before the deadline into *msg. Returns 1 with
 * a message, 0 on timeout, -1 with *err on a closed or broken connection.
 * Lines that do not parse (torn by a reconnect) are skipped.
 */
static int
read_msg(struct vmb_agent *a, uint64_t deadline_ns, struct vmb_wire_msg *msg,
         struct vmb_error **err)
{
    for (;;) {
        char *nl = a->in.data ? memchr(a->in.data, '\n', a->in.len) : NULL;
        if (nl) {
            size_t ll = (size_t)(nl - a->in.data) + 1;
            int rc = vmb_wire_parse(a->in.data, ll, msg);
            memmove(a->in.data, a->in.data + ll, a->in.len - ll);
            a->in.len -= ll;
            if (rc == 0)
                return 1;
            continue;
        }
        int ms = ms_left(deadline_ns);
        if (ms == 0)
            return 0;
        struct pollfd p = {.fd = a->fd, .events = POLLIN};
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return vmb_error_sys(err, "poll agent socket");
        if (r == 0)
            return 0;
        char chunk[65536];
        ssize_t n = read(a->fd, chunk, sizeof(chunk));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return vmb_error_sys(err, "read from %s", a->where);
        if (n == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s closed (the VM stopped?)", a->where);
        vmb_buf_append(&a->in, chunk, (size_t)n);
    }
}

static int
write_all(struct vmb_agent *a, const char *data, size_t len,
          uint64_t deadline_ns, struct vmb_error **err)
{
    while (len > 0) {
        ssize_t n = send(a->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return vmb_error_sys(err, "write to %s", a->where);
        int ms = ms_left(deadline_ns);
        struct pollfd p = {.fd = a->fd, .events = POLLOUT};
        if (ms == 0 || poll(&p, 1, ms) == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "timed out writing to the agent");
    }
    return 0;
}

static char *
dup_or_empty(const char *s)
{
    return vmb_xstrdup(s ? s : "");
}

static void
hello_take(struct vmb_agent_hello *h, const struct vmb_wire_msg *m)
{
    hello_clear(h);
    vmb_wire_get_u64(m, "agent_start_us", &h->agent_start_us);
    vmb_wire_get_u64(m, "modules_loaded_us", &h->modules_loaded_us);
    vmb_wire_get_u64(m, "net_up_us", &h->net_up_us);
    vmb_wire_get_u64(m, "mounts_done_us", &h->mounts_done_us);
    h->host_ns = vmb_now_ns();
    h->name = dup_or_empty(vmb_wire_get(m, "name"));
    h->kernel = dup_or_empty(vmb_wire_get(m, "kernel"));
    const char *be = vmb_wire_get(m, "boot_error");
    h->boot_error = be && *be ? vmb_xstrdup(be) : NULL;
}

/*
 * Waits for the hello on a new connection. Frees nothing: the caller
 * does on failure.
 */
static int
greet(struct vmb_agent *a, uint64_t deadline, uint64_t timeout_us,
      struct vmb_error **err)
{
    /*
     * The agent greets a new connection by itself, but a hang-up and
     * reconnect faster than it polls go unnoticed: ask too, every second.
     * Over virtio-serial, until the guest opens its port, QEMU leaves the
     * request unread.
     */
    uint64_t next_ask = 0;
    for (;;) {
        uint64_t now = vmb_now_ns();
        if (now >= next_ask) {
            static const char ask[] = "hello id=0\n";
            if (write_all(a, ask, sizeof(ask) - 1, deadline, err) < 0)
                return vmb_error_prefix(err, "wait for agent hello");
            next_ask = now + 1000000000ull;
        }
        uint64_t until = next_ask < deadline ? next_ask : deadline;
        struct vmb_wire_msg m;
        int r = read_msg(a, until, &m, err);
        if (r < 0)
            return vmb_error_prefix(err, "wait for agent hello");
        if (r == 0 && vmb_now_ns() < deadline)
            continue;
        if (r == 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "no hello from %s within %" PRIu64 " ms",
                                 a->where, timeout_us / 1000);
        bool hello = strcmp(m.verb, "hello") == 0;
        if (hello)
            hello_take(&a->hello, &m);
        vmb_wire_msg_free(&m);
        if (hello)
            return 0;
    }
}

/*
 * One try at a connection to the agent, a connected socket or -1 with
 * errno; a try ends by the deadline.
 */
typedef int (*dial_fn)(const void *addr, uint64_t deadline_ns);

static int
dial_unix(const void *addr, uint64_t deadline_ns)
{
    (void)deadline_ns; /* a unix connect does not wait */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, addr, sizeof(struct sockaddr_un)) == 0)
        return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* Non-blocking, so a guest whose vsock driver is not up yet (the
 * connect then waits for the kernel's own timeout) costs no more than
 * the time left. */
static int
dial_vsock(const void *addr, uint64_t deadline_ns)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int e = 0;
    if (connect(fd, addr, sizeof(struct sockaddr_vm)) < 0) {
        e = errno;
        while (e == EINPROGRESS || e == EINTR) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int r = poll(&p, 1, ms_left(deadline_ns));
            if (r < 0 && errno == EINTR)
                continue;
            socklen_t len = sizeof(e);
            if (r == 0)
                e = ETIMEDOUT;
            else if (r < 0)
                e = errno;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                e = errno;
        }
    }
    if (e == 0)
        return fd;
    close(fd);
    errno = e;
    return -1;
}

/* A descriptor already connected (vmb_agent_connect_fd): the one try
 * hands it over. */
static int
dial_given(const void *addr, uint64_t deadline_ns)
{
    (void)deadline_ns;
    return *(const int *)addr;
}

/*
 * Dials until a connection is made or the deadline passes (the VM may
 * still be starting), then waits for the hello. where names the channel
 * in messages. A socket family the host lacks fails at once.
 */
static int
connect_with(const char *where, dial_fn dial, const void *addr,
             uint64_t timeout_us, struct vmb_agent **out,
             struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000u;
    struct vmb_agent *a = vmb_xcalloc(1, sizeof(*a));
    pthread_mutex_init(&a->lock, NULL);
    a->fd = -1;
    a->where = vmb_xstrdup(where);
    a->next_id = 1;
    for (;;) {
        a->fd = dial(addr, deadline);
        if (a->fd >= 0)
            break;
        int e = errno;
        if (e == EAFNOSUPPORT) {
            vmb_agent_free(a);
            return vmb_error_set(err, VMB_ERR_RUN, e,
                                 "connect to %s: this host's kernel has no "
                                 "such sockets",
                                 where);
        }
        /* A vsock CID that no VM holds: the domain, started before its
         * CID was read, is gone; waiting would only delay the error. */
        if (e == ENODEV) {
            vmb_agent_free(a);
            return vmb_error_set(err, VMB_ERR_RUN, e,
                                 "connect to %s: no VM holds it (it stopped?)",
                                 where);
        }
        if (vmb_now_ns() >= deadline || vmb_interrupted) {
            vmb_agent_free(a);
            return vmb_error_set(err, VMB_ERR_RUN, e,
                                 "connect to %s within %" PRIu64 " ms", where,
                                 timeout_us / 1000);
        }
        usleep(20000);
    }
    if (greet(a, deadline, timeout_us, err) < 0) {
        vmb_agent_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

int
vmb_agent_connect(const char *sock_path, uint64_t timeout_us,
                  struct vmb_agent **out, struct vmb_error **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(sock_path) >= sizeof(sa.sun_path))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent socket path \"%s\" is too long", sock_path);
    strcpy(sa.sun_path, sock_path);
    /* QEMU creates the socket as it starts; it may not be there yet. */
    autofree char *where = vmb_xasprintf("agent socket \"%s\"", sock_path);
    return connect_with(where, dial_unix, &sa, timeout_us, out, err);
}

int
vmb_agent_connect_vsock(uint32_t cid, uint32_t port, uint64_t timeout_us,
                        struct vmb_agent **out, struct vmb_error **err)
{
    struct sockaddr_vm sa = {
        .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
    /* Until the guest's agent listens, its kernel resets the connection
     * (or, before its driver is up, the connect times out): dial again. */
    autofree char *where = vmb_xasprintf(
        "the agent on vsock cid %" PRIu32 " port %" PRIu32, cid, port);
    return connect_with(where, dial_vsock, &sa, timeout_us, out, err);
}

int
vmb_agent_connect_fd(int fd, const char *where, uint64_t timeout_us,
                     struct vmb_agent **out, struct vmb_error **err)
{
    if (fd < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "connect to %s: no descriptor", where);
    return connect_with(where, dial_given, &fd, timeout_us, out, err);
}

/*
 * Sends the request in l (verb and arguments, without id) and waits for
 * the answer with its id. Returns 0 with *resp set for "ok"; an "err"
 * answer, a timeout or a broken connection fail naming the request.
 */
static int
request_locked(struct vmb_agent *a, const char *verb,
               struct vmb_wire_line *args, uint64_t deadline,
               uint64_t timeout_us, struct vmb_wire_msg *resp,
               struct vmb_error **err)
{
    uint64_t id = a->next_id++;
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, verb);
    vmb_wire_addu(&l, "id", id);
    if (args)
        vmb_wire_line_append(&l, args);
    vmb_wire_line_end(&l);
    int rc = write_all(a, l.data, l.len, deadline, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return vmb_error_prefix(err, "agent request \"%s\"", verb);
    for (;;) {
        struct vmb_wire_msg m;
        int r = read_msg(a, deadline, &m, err);
        if (r < 0)
            return vmb_error_prefix(err, "agent request \"%s\"", verb);
        if (r == 0)
            return vmb_error_set(
                err, VMB_ERR_RUN, 0,
                "agent request \"%s\": no answer within %" PRIu64 " ms", verb,
                timeout_us / 1000);
        uint64_t got;
        if (strcmp(m.verb, "hello") == 0 ||
            vmb_wire_get_u64(&m, "id", &got) < 0 || got != id) {
            /* Retransmitted hellos, answers to requests we gave up on. */
            vmb_wire_msg_free(&m);
            continue;
        }
        if (strcmp(m.verb, "ok") == 0) {
            *resp = m;
            return 0;
        }
        const char *msg = vmb_wire_get(&m, "msg");
        vmb_error_set(err, VMB_ERR_RUN, 0, "agent request \"%s\": %s", verb,
                      msg ? msg : "failed");
        vmb_wire_msg_free(&m);
        return -1;
    }
}

static int
request(struct vmb_agent *a, const char *verb, struct vmb_wire_line *args,
        uint64_t timeout_us, struct vmb_wire_msg *resp, struct vmb_error **err)
{
    /* The deadline counts the wait for another thread's request too. */
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000u;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                          .tv_nsec = (long)(deadline % 1000000000u)};
    if (pthread_mutex_clocklock(&a->lock, CLOCK_MONOTONIC, &ts) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"%s\": the channel stayed busy "
                             "with another request for %" PRIu64 " ms",
                             verb, timeout_us / 1000);
    int rc = request_locked(a, verb, args, deadline, timeout_us, resp, err);
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* Arguments are built after an empty verb so request() can prefix them. */
static void
args_begin(struct vmb_wire_line *l)
{
    vmb_wire_line_begin(l, "");
}

void
vmb_agent_facts_clear(struct vmb_agent_facts *f)
{
    if (!f)
        return;
    free(f->kernel);
    free(f->ip);
    free(f->name);
    free(f->storage);
    free(f->data_dir);
    free(f->data_source);
    free(f->data_fstype);
    free(f->root_source);
    free(f->root_fstype);
    free(f->data_device);
    free(f->data_options);
    free(f->cmdline);
    free(f->scsi_scan);
    free(f->dmi_product);
    memset(f, 0, sizeof(*f));
}

int
vmb_agent_facts(struct vmb_agent *a, uint64_t timeout_us,
                struct vmb_agent_facts *out, struct vmb_error **err)
{
    struct vmb_wire_msg m;
    if (request(a, "facts", NULL, timeout_us, &m, err) < 0)
        return -1;
    memset(out, 0, sizeof(*out));
    int64_t nproc = 0;
    vmb_wire_get_i64(&m, "nproc", &nproc);
    out->nproc = (int)nproc;
    vmb_wire_get_u64(&m, "mem_total_kib", &out->mem_total_kib);
    vmb_wire_get_u64(&m, "ram_kib", &out->ram_kib);
    out->dmi_product = dup_or_empty(vmb_wire_get(&m, "dmi_product"));
    out->kernel = dup_or_empty(vmb_wire_get(&m, "kernel"));
    out->ip = dup_or_empty(vmb_wire_get(&m, "ip"));
    out->name = dup_or_empty(vmb_wire_get(&m, "name"));
    out->storage = dup_or_empty(vmb_wire_get(&m, "storage"));
    out->data_dir = dup_or_empty(vmb_wire_get(&m, "data_dir"));
    out->data_source = dup_or_empty(vmb_wire_get(&m, "data_source"));
    out->data_fstype = dup_or_empty(vmb_wire_get(&m, "data_fstype"));
    out->root_source = dup_or_empty(vmb_wire_get(&m, "root_source"));
    out->root_fstype = dup_or_empty(vmb_wire_get(&m, "root_fstype"));
    out->data_device = dup_or_empty(vmb_wire_get(&m, "data_device"));
    out->data_options = dup_or_empty(vmb_wire_get(&m, "data_options"));
    out->cmdline = dup_or_empty(vmb_wire_get(&m, "cmdline"));
    out->scsi_scan = dup_or_empty(vmb_wire_get(&m, "scsi_scan"));
    vmb_wire_get_u64(&m, "data_st_dev", &out->data_st_dev);
    vmb_wire_msg_free(&m);
    return 0;
}

static void
add_proc(struct vmb_wire_line *l, const struct vmb_agent_proc *p)
{
    for (const char *const *v = p->argv; v && *v; v++)
        vmb_wire_adds(l, "argv", *v);
    for (const char *const *v = p->env; v && *v; v++)
        vmb_wire_adds(l, "env", *v);
    if (p->cwd)
        vmb_wire_adds(l, "cwd", p->cwd);
    if (p->user)
        vmb_wire_adds(l, "user", p->user);
    if (p->user && p->own)
        vmb_wire_adds(l, "own", p->own);
}

int
vmb_agent_spawn(struct vmb_agent *a, const struct vmb_agent_proc *p,
                uint64_t timeout_us, int *pid, struct vmb_error **err)
{
    if (!p->argv || !p->argv[0])
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"spawn\": no program");
    struct vmb_wire_line l;
    args_begin(&l);
    add_proc(&l, p);
    if (p->log_path)
        vmb_wire_adds(&l, "log", p->log_path);
    struct vmb_wire_msg m;
    int rc = request(a, "spawn", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return vmb_error_prefix(err, "start \"%s\"", p->argv[0]);
    int64_t v = -1;
    vmb_wire_get_i64(&m, "pid", &v);
    vmb_wire_msg_free(&m);
    if (v <= 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"spawn\": answer has no pid");
    *pid = (int)v;
    return 0;
}

static int
parse_state(const struct vmb_wire_msg *m, struct vmb_agent_status *out)
{
    const char *s = vmb_wire_get(m, "state");
    int64_t code = 0;
    vmb_wire_get_i64(m, "code", &code);
    out->code = (int)code;
    if (!s)
        return -1;
    if (strcmp(s, "running") == 0)
        out->state = VMB_AGENT_RUNNING;
    else if (strcmp(s, "exited") == 0)
        out->state = VMB_AGENT_EXITED;
    else if (strcmp(s, "signaled") == 0)
        out->state = VMB_AGENT_SIGNALED;
    else if (strcmp(s, "timeout") == 0)
        out->state = VMB_AGENT_TIMEOUT;
    else
        return -1;
    return 0;
}

int
vmb_agent_status(struct vmb_agent *a, int pid, uint64_t timeout_us,
                 struct vmb_agent_status *out, struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_addi(&l, "pid", pid);
    struct vmb_wire_msg m;
    int rc = request(a, "status", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return -1;
    rc = parse_state(&m, out);
    vmb_wire_msg_free(&m);
    if (rc < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"status\": answer has no state");
    return 0;
}

int
vmb_agent_kill(struct vmb_agent *a, int pid, int signo, uint64_t timeout_us,
               struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_addi(&l, "pid", pid);
    vmb_wire_addi(&l, "signal", signo);
    struct vmb_wire_msg m;
    int rc = request(a, "kill", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc == 0)
        vmb_wire_msg_free(&m);
    return rc;
}

int
vmb_agent_exec(struct vmb_agent *a, const struct vmb_agent_proc *p,
               uint64_t run_timeout_us, uint64_t timeout_us,
               struct vmb_agent_exec_result *out, struct vmb_error **err)
{
    if (!p->argv || !p->argv[0])
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"exec\": no program");
    struct vmb_wire_line l;
    args_begin(&l);
    add_proc(&l, p);
    vmb_wire_addu(&l, "timeout_ms", (run_timeout_us + 999) / 1000);
    struct vmb_wire_msg m;
    int rc = request(a, "exec", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return vmb_error_prefix(err, "run \"%s\"", p->argv[0]);
    memset(out, 0, sizeof(*out));
    if (parse_state(&m, &out->status) < 0) {
        vmb_wire_msg_free(&m);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "agent request \"exec\": answer has no state");
    }
    size_t len = 0;
    const char *o = vmb_wire_get_len(&m, "out", &len);
    out->output = vmb_xmalloc(len + 1);
    if (len)
        memcpy(out->output, o, len);
    out->output[len] = '\0';
    out->output_len = len;
    int64_t t = 0;
    vmb_wire_get_i64(&m, "truncated", &t);
    out->truncated = t != 0;
    vmb_wire_msg_free(&m);
    return 0;
}

int
vmb_agent_fetch(struct vmb_agent *a, const char *path, size_t max,
                uint64_t timeout_us, char **data, size_t *len, bool *truncated,
                struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_adds(&l, "path", path);
    vmb_wire_addu(&l, "max",
                  max > VMB_AGENT_FETCH_MAX ? VMB_AGENT_FETCH_MAX : max);
    struct vmb_wire_msg m;
    int rc = request(a, "fetch", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return -1;
    size_t n = 0;
    const char *d = vmb_wire_get_len(&m, "data", &n);
    char *buf = vmb_xmalloc(n + 1);
    if (n)
        memcpy(buf, d, n);
    buf[n] = '\0';
    int64_t t = 0;
    vmb_wire_get_i64(&m, "truncated", &t);
    vmb_wire_msg_free(&m);
    *data = buf;
    if (len)
        *len = n;
    if (truncated)
        *truncated = t != 0;
    return 0;
}

/* A file larger than vmb_agent_fetch_all takes. */
static int
too_large(const char *path, uint64_t size, size_t cap, struct vmb_error **err)
{
    char s[32], c[32];
    vmb_format_size_bytes(size, s, sizeof(s));
    vmb_format_size_bytes(cap, c, sizeof(c));
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "\"%s\" in the guest is at least %s, more than the "
                         "%s vmbench fetches",
                         path, s, c);
}

int
vmb_agent_fetch_all(struct vmb_agent *a, const char *path, size_t cap,
                    uint64_t timeout_us, char **data, size_t *len,
                    struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000u;
    struct vmb_buf b = {0};
    int rc = -1;
    vmb_buf_reserve(&b, 0);
    for (;;) {
        uint64_t now = vmb_now_ns();
        if (now >= deadline) {
            char d[32];
            vmb_format_duration_us(timeout_us, d, sizeof(d));
            vmb_error_set(err, VMB_ERR_RUN, 0,
                          "\"%s\" was not fetched whole within %s", path, d);
            goto cleanup;
        }
        struct vmb_wire_line l;
        args_begin(&l);
        vmb_wire_adds(&l, "path", path);
        vmb_wire_addu(&l, "max", VMB_AGENT_FETCH_MAX);
        vmb_wire_addu(&l, "offset", b.len);
        struct vmb_wire_msg m;
        int r = request(a, "fetch", &l, (deadline - now + 999) / 1000, &m, err);
        vmb_wire_line_free(&l);
        if (r < 0)
            goto cleanup;
        uint64_t off = UINT64_MAX, size = 0;
        int64_t more = 0;
        size_t n = 0;
        const char *d = vmb_wire_get_len(&m, "data", &n);
        vmb_wire_get_u64(&m, "offset", &off);
        vmb_wire_get_u64(&m, "size", &size);
        vmb_wire_get_i64(&m, "truncated", &more);
        if (off != b.len || d == NULL || n > VMB_AGENT_FETCH_MAX ||
            (more && n == 0)) {
            vmb_wire_msg_free(&m);
            vmb_error_set(err, VMB_ERR_RUN, 0,
                          "the agent did not return \"%s\" from offset %zu "
                          "(an agent without fetch in parts?)",
                          path, b.len);
            goto cleanup;
        }
        if (size > cap || n > cap - b.len || (more && b.len + n == cap)) {
            uint64_t least = b.len + n + (more ? 1 : 0);
            vmb_wire_msg_free(&m);
            too_large(path, size > least ? size : least, cap, err);
            goto cleanup;
        }
        vmb_buf_append(&b, d, n);
        vmb_wire_msg_free(&m);
        if (!more)
            break;
    }
    *len = b.len;
    *data = vmb_buf_steal(&b);
    rc = 0;
cleanup:
    vmb_buf_free(&b);
    return rc;
}

int
vmb_agent_write_file(struct vmb_agent *a, const char *path, const void *data,
                     size_t len, unsigned mode, uint64_t timeout_us,
                     struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_adds(&l, "path", path);
    vmb_wire_add(&l, "data", data, len);
    char ms[16];
    snprintf(ms, sizeof(ms), "%o", mode & 07777);
    vmb_wire_adds(&l, "mode", ms);
    struct vmb_wire_msg m;
    int rc = request(a, "write", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc == 0)
        vmb_wire_msg_free(&m);
    return rc;
}

int
vmb_agent_tcpcheck(struct vmb_agent *a, const char *host, int port,
                   const char *send_text, uint64_t timeout_us,
                   uint64_t *connect_us, char **reply, struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_adds(&l, "host", host);
    vmb_wire_addi(&l, "port", port);
    /* The guest gives up a little before we do, so its answer arrives. */
    uint64_t guest_ms = timeout_us / 1000;
    guest_ms = guest_ms > 400 ? guest_ms - 200 : guest_ms / 2;
    vmb_wire_addu(&l, "timeout_ms", guest_ms ? guest_ms : 1);
    if (send_text)
        vmb_wire_adds(&l, "send", send_text);
    struct vmb_wire_msg m;
    int rc = request(a, "tcpcheck", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return -1;
    if (connect_us) {
        *connect_us = 0;
        vmb_wire_get_u64(&m, "connect_us", connect_us);
    }
    if (reply)
        *reply = dup_or_empty(vmb_wire_get(&m, "reply"));
    vmb_wire_msg_free(&m);
    return 0;
}

int
vmb_agent_probe(struct vmb_agent *a, uint64_t each_us, uint64_t file_bytes,
                struct vmb_rawprobe_result *r, struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    uint64_t each_ms = each_us / 1000 ? each_us / 1000 : 1;
    vmb_wire_addu(&l, "each_ms", each_ms);
    vmb_wire_addu(&l, "file_bytes", file_bytes);
    struct vmb_wire_msg m;
    /* Three probes, and room for a slow fdatasync under emulation. */
    uint64_t timeout_us = 3 * each_ms * 1000 + 60ull * 1000000;
    int rc = request(a, "probe", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return -1;
    memset(r, 0, sizeof(*r));
    int got = 0;
    for (size_t i = 0; i < m.n && rc == 0; i++) {
        int k = vmb_rawprobe_set(r, m.kv[i].key, m.kv[i].val);
        if (k < 0)
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "probe: %s: \"%.40s\" is not a number of 0 "
                               "or more",
                               m.kv[i].key, m.kv[i].val);
        got += k > 0;
    }
    if (rc == 0 && got < VMB_RAWPROBE_NFIELDS)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "probe: the answer has %d of its %d figures", got,
                           VMB_RAWPROBE_NFIELDS);
    vmb_wire_msg_free(&m);
    return rc;
}

int
vmb_agent_spin(struct vmb_agent *a, uint64_t iters, uint64_t timeout_us,
               uint64_t *ns, struct vmb_error **err)
{
    struct vmb_wire_line l;
    args_begin(&l);
    vmb_wire_addu(&l, "iters", iters);
    struct vmb_wire_msg m;
    int rc = request(a, "spin", &l, timeout_us, &m, err);
    vmb_wire_line_free(&l);
    if (rc < 0)
        return -1;
    if (vmb_wire_get_u64(&m, "ns", ns) < 0)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0, "spin: no ns in the answer");
    vmb_wire_msg_free(&m);
    return rc;
}

int
vmb_agent_counters(struct vmb_agent *a, uint64_t timeout_us,
                   struct vmb_agent_counters *c, struct vmb_error **err)
{
    struct vmb_wire_msg m;
    if (request(a, "counters", NULL, timeout_us, &m, err) < 0)
        return -1;
    memset(c, 0, sizeof(*c));
    uint64_t hz = 0, v[5] = {0};
    static const char *const keys[] = {"user", "system", "idle", "iowait",
                                       "steal"};
    double *out[] = {&c->user_s, &c->system_s, &c->idle_s, &c->iowait_s,
                     &c->steal_s};
    int rc = vmb_wire_get_u64(&m, "hz", &hz) < 0 || hz == 0 ? -1 : 0;
    for (int i = 0; i < 5 && rc == 0; i++) {
        rc = vmb_wire_get_u64(&m, keys[i], &v[i]);
        *out[i] = (double)v[i] / (double)hz;
    }
    if (rc < 0) {
        vmb_wire_msg_free(&m);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "counters: the answer lacks the CPU figures");
    }
    uint64_t cpus = 0;
    if (vmb_wire_get_u64(&m, "cpus", &cpus) == 0 && cpus <= 4096)
        c->cpus = (unsigned)cpus;
    c->has_disk =
        vmb_wire_get_u64(&m, "disk_read_ops", &c->disk_read_ops) == 0 &&
        vmb_wire_get_u64(&m, "disk_read_bytes", &c->disk_read_bytes) == 0 &&
        vmb_wire_get_u64(&m, "disk_write_ops", &c->disk_write_ops) == 0 &&
        vmb_wire_get_u64(&m, "disk_write_bytes", &c->disk_write_bytes) == 0;
    vmb_wire_msg_free(&m);
    return 0;
}

int
vmb_agent_sync(struct vmb_agent *a, uint64_t timeout_us, struct vmb_error **err)
{
    struct vmb_wire_msg m;
    if (request(a, "sync", NULL, timeout_us, &m, err) < 0)
        return -1;
    vmb_wire_msg_free(&m);
    return 0;
}

int
vmb_agent_shutdown(struct vmb_agent *a, uint64_t timeout_us,
                   struct vmb_error **err)
{
    struct vmb_wire_msg m;
    if (request(a, "shutdown", NULL, timeout_us, &m, err) < 0)
        return -1;
    vmb_wire_msg_free(&m);
    return 0;
}
