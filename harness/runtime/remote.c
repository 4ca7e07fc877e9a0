#include "runtime/remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/units.h"
#include "base/util.h"

/* Output kept of one command: its stdout and stderr each. */
#define REMOTE_OUT_MAX (1u << 20)

/* Shell words writing this shell's pid to $d/pid whole (a rename), so
 * that a sweep of another vmbench never reads it empty. */
#define WRITE_PID "echo $$ >\"$d/pid.$$\" && mv \"$d/pid.$$\" \"$d/pid\""

/* A shell function, rmcg DIR: removes the memory group of the node
 * whose directory is DIR (vmb_remote_cap_memory), in either hierarchy. */
#define RMCG                                                                   \
    "rmcg() { rmdir \"/sys/fs/cgroup/vmbench-control.${1##*/}\" "              \
    "\"/sys/fs/cgroup/memory/vmbench-control.${1##*/}\" 2>/dev/null; }; "

int
vmb_remote_init(struct vmb_remote *r, const char *dest,
                uint64_t connect_timeout_us, struct vmb_error **err)
{
    memset(r, 0, sizeof(*r));
    bool remote = false;
    autofree char *why = NULL;
    if (vmb_ssh_target_parse(dest, &r->target, &remote, &why) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s", why);
    if (!remote)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected an ssh destination, got \"\"");
    snprintf(r->shown, sizeof(r->shown), "%s", dest);
    r->connect_timeout_us = connect_timeout_us;
    return 0;
}

int
vmb_remote_init_libvirt(struct vmb_remote *r, const char *uri,
                        uint64_t connect_timeout_us, struct vmb_error **err)
{
    memset(r, 0, sizeof(*r));
    autofree char *why = NULL;
    if (vmb_libvirt_uri_ssh(uri, &r->target, &why) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s", why);
    snprintf(r->shown, sizeof(r->shown), "%s", uri);
    r->connect_timeout_us = connect_timeout_us;
    return 0;
}

char **
vmb_remote_argv(const struct vmb_remote *r, const char *script,
                const char *const *args)
{
    const struct vmb_ssh_target *t = &r->target;
    struct vmb_buf cmd = {0};
    autofree char *q = vmb_shell_quote(script);
    vmb_buf_printf(&cmd, "sh -c %s sh", q);
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        autofree char *a = vmb_shell_quote(args[i]);
        vmb_buf_printf(&cmd, " %s", a);
    }
    uint64_t secs = (r->connect_timeout_us + 999999) / 1000000;
    /* ssh, 11 fixed words, 4 options of 2 words, "--", host, command */
    char **argv = vmb_xcalloc(32, sizeof(char *));
    size_t n = 0;
    argv[n++] = vmb_xstrdup("ssh");
    static const char *const fixed[] = {"-T",
                                        "-o",
                                        "BatchMode=yes",
                                        "-o",
                                        "StrictHostKeyChecking=yes",
                                        "-o",
                                        "LogLevel=ERROR",
                                        "-o",
                                        "ServerAliveInterval=2",
                                        "-o",
                                        "ServerAliveCountMax=3"};
    for (size_t i = 0; i < VMB_NELEMS(fixed); i++)
        argv[n++] = vmb_xstrdup(fixed[i]);
    argv[n++] = vmb_xstrdup("-o");
    argv[n++] = vmb_xasprintf("ConnectTimeout=%llu", (unsigned long long)secs);
    if (t->port > 0) {
        argv[n++] = vmb_xstrdup("-p");
        argv[n++] = vmb_xasprintf("%d", t->port);
    }
    if (t->user[0] != '\0') {
        argv[n++] = vmb_xstrdup("-l");
        argv[n++] = vmb_xstrdup(t->user);
    }
    if (t->keyfile[0] != '\0') {
        argv[n++] = vmb_xstrdup("-i");
        argv[n++] = vmb_xstrdup(t->keyfile);
    }
    argv[n++] = vmb_xstrdup("--");
    argv[n++] = vmb_xstrdup(t->host);
    argv[n++] = vmb_buf_steal(&cmd);
    return argv;
}

/* The last non-empty line of s, malloc'd; "" when none. */
static char *
last_line(const char *s)
{
    if (s == NULL)
        return vmb_xstrdup("");
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    size_t b = n;
    while (b > 0 && s[b - 1] != '\n')
        b--;
    autofree char *line = vmb_xstrndup(s + b, n - b);
    return vmb_term_safe(line);
}

static void
drain(int *fd, struct vmb_buf *b)
{
    char chunk[4096];
    ssize_t r = read(*fd, chunk, sizeof(chunk));
    if (r > 0 && b->len + (size_t)r <= REMOTE_OUT_MAX)
        vmb_buf_append(b, chunk, (size_t)r);
    else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

/* In a child before its exec: signals as a new program expects them, and
 * a vmbench that dies takes the child along (so an ssh's remote side
 * sees its standard input end and stops what it started). */
static void
child_setup(pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

/* The stdin pipe ssh_spawn made (none where it was given in_fd). */
static void
close_pipe_in(const int in[2], int in_fd)
{
    if (in_fd >= 0)
        return;
    close(in[0]);
    close(in[1]);
}

/* Forks ssh with pipes on its stdin (in_fd instead where >= 0; fds[0]
 * is then -1), stdout and stderr. */
static int
ssh_spawn(char **argv, int in_fd, int fds[3], pid_t *pid,
          struct vmb_error **err)
{
    int in[2] = {-1, -1}, out[2], er[2];
    if (in_fd >= 0)
        in[0] = in_fd;
    else if (pipe2(in, O_CLOEXEC) < 0)
        return vmb_error_sys(err, "pipe");
    if (pipe2(out, O_CLOEXEC) < 0) {
        close_pipe_in(in, in_fd);
        return vmb_error_sys(err, "pipe");
    }
    if (pipe2(er, O_CLOEXEC) < 0) {
        close_pipe_in(in, in_fd);
        close(out[0]);
        close(out[1]);
        return vmb_error_sys(err, "pipe");
    }
    pid_t parent = getpid();
    *pid = fork();
    if (*pid == 0) {
        setpgid(0, 0);
        child_setup(parent);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(er[1], 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int e = errno;
    /* Also here, so that a kill of the group cannot come before the
     * child made it. */
    if (*pid > 0)
        setpgid(*pid, *pid);
    if (in_fd < 0)
        close(in[0]);
    close(out[1]);
    close(er[1]);
    if (*pid < 0) {
        if (in[1] >= 0)
            close(in[1]);
        close(out[0]);
        close(er[0]);
        return vmb_error_set(err, VMB_ERR_RUN, e, "fork");
    }
    fds[0] = in[1];
    fds[1] = out[0];
    fds[2] = er[0];
    return 0;
}

/* vmb_remote_run, with in_fd (where >= 0) as ssh's standard input. */
static int
remote_run(const struct vmb_remote *r, const char *script,
           const char *const *args, const char *in, int in_fd,
           uint64_t timeout_us, char **out, struct vmb_error **err)
{
    char **argv = vmb_remote_argv(r, script, args);
    int fds[3] = {-1, -1, -1};
    pid_t pid = 0;
    int rc = ssh_spawn(argv, in_fd, fds, &pid, err);
    vmb_db_argv_free(argv);
    if (rc < 0)
        return vmb_error_prefix(err, "host \"%s\": start ssh", r->shown);
    size_t in_len = in ? strlen(in) : 0, in_at = 0;
    if (in_len == 0 && fds[0] >= 0) {
        close(fds[0]);
        fds[0] = -1;
    } else {
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
    }
    struct vmb_buf o = {0}, e = {0};
    uint64_t deadline =
        vmb_now_ns() + (r->connect_timeout_us + timeout_us) * 1000ull;
    bool late = false;
    while (fds[1] >= 0 || fds[2] >= 0) {
        uint64_t now = vmb_now_ns();
        if (now >= deadline || vmb_interrupted) {
            late = true;
            break;
        }
        struct pollfd p[3] = {
            {fds[1], POLLIN, 0}, {fds[2], POLLIN, 0}, {fds[0], POLLOUT, 0}};
        int ms = (int)((deadline - now) / 1000000ull) + 1;
        if (poll(p, 3, ms > 200 ? 200 : ms) <= 0)
            continue;
        if (p[0].revents)
            drain(&fds[1], &o);
        if (p[1].revents)
            drain(&fds[2], &e);
        if (fds[0] >= 0 && p[2].revents) {
            ssize_t w = write(fds[0], in + in_at, in_len - in_at);
            if (w > 0)
                in_at += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                in_at == in_len) {
                close(fds[0]);
                fds[0] = -1;
            }
        }
    }
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    int status = 0;
    if (late)
        kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    autofree char *odata = vmb_buf_steal(&o);
    autofree char *edata = vmb_buf_steal(&e);
    autofree char *said = last_line(edata && edata[0] ? edata : odata);
    if (late && vmb_interrupted)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "host \"%s\": interrupted",
                             r->shown);
    if (late) {
        char d[32];
        vmb_format_duration_us(r->connect_timeout_us + timeout_us, d,
                               sizeof(d));
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": no answer within %s", r->shown, d);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 255)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": ssh could not reach it: %s",
                             r->shown, said[0] ? said : "(no message)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": the command exited with status "
                             "%d: %s",
                             r->shown,
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                             said[0] ? said : "(no message)");
    if (out != NULL)
        *out = steal(&odata);
    return 0;
}

int
vmb_remote_run(const struct vmb_remote *r, const char *script,
               const char *const *args, const char *in, uint64_t timeout_us,
               char **out, struct vmb_error **err)
{
    return remote_run(r, script, args, in, -1, timeout_us, out, err);
}

/* One line of facts: "client|server|cpus|taskset|host name|kernel|missing
 * programs" (a '|' in a name becomes '_'). */
static const char probe_script[] =
    "dir=$1; shift; [ -n \"$dir\" ] && PATH=\"$dir:$PATH\"; "
    "set -- $SSH_CONNECTION; c=$1; s=$3; shift $#; "
    "n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1); "
    "t=0; command -v taskset >/dev/null 2>&1 && t=1; "
    "h=$(uname -n | tr '|' _); k=$(uname -r | tr '|' _); "
    "printf '%s|%s|%s|%s|%s|%s|' \"$c\" \"$s\" \"$n\" \"$t\" \"$h\" \"$k\"; "
    "for p in $PROGRAMS; do f=$(command -v \"$p\" 2>/dev/null) && "
    "[ -x \"$f\" ] || printf '\"%s\" ' \"$p\"; done; echo";

static void
field(char **p, char *out, size_t len)
{
    char *bar = strchr(*p, '|');
    size_t n = bar ? (size_t)(bar - *p) : strlen(*p);
    snprintf(out, len, "%.*s", (int)n, *p);
    *p += n + (bar ? 1 : 0);
}

char *
vmb_remote_probe_script(const struct vmb_db_driver *drv)
{
    struct vmb_buf progs = {0};
    for (size_t i = 0; drv && drv->host_programs && drv->host_programs[i]; i++)
        vmb_buf_printf(&progs, "%s%s", i ? " " : "", drv->host_programs[i]);
    autofree char *names = vmb_buf_steal(&progs);
    /* Quoted: unquoted, the second name on would run as a command. */
    autofree char *q = vmb_shell_quote(names ? names : "");
    return vmb_xasprintf("PROGRAMS=%s; %s", q, probe_script);
}

/* Bytes a terminal or a report would act on become '?'. */
static void
printable(char *s)
{
    for (unsigned char *c = (unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static bool
ip_address(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int
vmb_remote_facts_parse(const char *shown, const char *line,
                       struct vmb_remote_facts *f, struct vmb_error **err)
{
    memset(f, 0, sizeof(*f));
    autofree char *copy = vmb_xstrdup(line ? line : "");
    char *p = copy;
    char taskset[4], missing[256];
    field(&p, f->here, sizeof(f->here));
    field(&p, f->there, sizeof(f->there));
    field(&p, f->cpus, sizeof(f->cpus));
    field(&p, taskset, sizeof(taskset));
    field(&p, f->hostname, sizeof(f->hostname));
    field(&p, f->kernel, sizeof(f->kernel));
    field(&p, missing, sizeof(missing));
    f->taskset = strcmp(taskset, "1") == 0;
    size_t n = strlen(missing);
    while (n > 0 && (missing[n - 1] == '\n' || missing[n - 1] == ' '))
        missing[--n] = '\0';
    snprintf(f->missing, sizeof(f->missing), "%s", missing);
    printable(f->hostname);
    printable(f->kernel);
    printable(f->missing);
    if (f->here[0] == '\0' || f->there[0] == '\0')
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": its ssh server did not say which "
                             "addresses the connection has",
                             shown);
    /* The addresses become the nodes' listen and connect addresses. */
    if (!ip_address(f->here) || !ip_address(f->there)) {
        printable(f->here);
        printable(f->there);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": expected IP addresses for the "
                             "connection, got \"%s\" and \"%s\"",
                             shown, f->here, f->there);
    }
    char *end = NULL;
    errno = 0;
    long long cpus = strtoll(f->cpus, &end, 10);
    if (f->cpus[0] < '0' || f->cpus[0] > '9' || *end != '\0' || errno != 0 ||
        cpus < 1 || cpus > 65536) {
        printable(f->cpus);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": expected a count of CPUs online, "
                             "got \"%s\"",
                             shown, f->cpus);
    }
    return 0;
}

int
vmb_remote_probe(const struct vmb_remote *r, const struct vmb_db_driver *drv,
                 struct vmb_remote_facts *f, struct vmb_error **err)
{
    memset(f, 0, sizeof(*f));
    /* The engine's own directory is the same on hosts of one Debian
     * release as here (/usr/lib/postgresql/15/bin). */
    autofree char *dir = drv && drv->program_dir ? drv->program_dir("") : NULL;
    autofree char *script = vmb_remote_probe_script(drv);
    const char *args[] = {dir ? dir : "", NULL};
    autofree char *out = NULL;
    if (vmb_remote_run(r, script, args, NULL, 0, &out, err) < 0)
        return -1;
    return vmb_remote_facts_parse(r->shown, out, f, err);
}

/* $1: the base, $2: the directory to make in each new one, $3:
 * "private" for one its owner alone may enter (0700, as a VM's share
 * here). A directory whose pid file names a process that is gone, or
 * older than an hour without one, is a dead run's: it goes, with its
 * memory group (rmcg). */
static const char node_dir_script[] =
    RMCG "base=$1; mkdir -p -m 0711 \"$base\" || exit 1; "
         "for d in \"$base\"/node.*; do [ -d \"$d\" ] || continue; "
         "if [ -f \"$d/pid\" ]; then "
         "kill -0 \"$(cat \"$d/pid\")\" 2>/dev/null || "
         "{ rm -rf \"$d\"; rmcg \"$d\"; }; "
         "elif [ -n \"$(find \"$d\" -maxdepth 0 -mmin +60)\" ]; then "
         "rm -rf \"$d\"; rmcg \"$d\"; fi; done; "
         "d=$(mktemp -d \"$base/node.XXXXXX\") && "
         "(if [ \"$3\" = private ]; then umask 077; fi; "
         "mkdir -p \"$d/$2\") && "
         "echo \"$d\"";

static int
dir_new(const struct vmb_remote *r, const char *base, const char *sub,
        bool private, char **dir, struct vmb_error **err)
{
    autofree char *out = NULL;
    const char *args[] = {base, sub, private ? "private" : "", NULL};
    if (vmb_remote_run(r, node_dir_script, args, NULL, 10000000, &out, err) < 0)
        return vmb_error_prefix(err, "make the node's directory");
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    if (!vmb_str_has_prefix(out, base) ||
        !vmb_str_has_prefix(out + strlen(base), "/node.") ||
        strchr(out, '\n') != NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "host \"%s\": no node directory was made",
                             r->shown);
    *dir = steal(&out);
    return 0;
}

int
vmb_remote_node_dir(const struct vmb_remote *r, char **dir,
                    struct vmb_error **err)
{
    return dir_new(r, "/tmp/vmbench-control", "data", false, dir, err);
}

int
vmb_remote_write(const struct vmb_remote *r, const char *path, const char *text,
                 struct vmb_error **err)
{
    const char *args[] = {path, NULL};
    if (vmb_remote_run(r, "cat >\"$1\"", args, text, 10000000, NULL, err) < 0)
        return vmb_error_prefix(err, "write \"%s\"", path);
    return 0;
}

void
vmb_remote_node_remove(const struct vmb_remote *r, const char *dir)
{
    const char *args[] = {dir, NULL};
    vmb_autoerr struct vmb_error *e = NULL;
    vmb_remote_run(r, RMCG "rm -rf \"$1\"; rmcg \"$1\"; exit 0", args, NULL,
                   10000000, NULL, &e);
}

struct vmb_remote_hold {
    pid_t pid;   /* ssh */
    bool exited; /* and reaped */
    int fds[3];  /* its stdin (closed to release), stdout and stderr */
    char *dir;   /* there */
    char shown[320];
};

/* $1: the directory. Its pid file names this shell, so that no sweep
 * takes the directory while it lives; it says "held", waits for the end
 * of its standard input (vmbench releases it, exits or loses the
 * connection), removes the directory and says "gone". Hangups and
 * broken pipes of a session that ends are ignored. */
static const char hold_script[] =
    "trap '' HUP PIPE; d=$1; " WRITE_PID " || exit 1; echo held; "
    "cat >/dev/null; cd / && rm -rf \"$d\" && echo gone";

/*
 * Reads h's stdout and stderr until want appears in its stdout or both
 * end, or until deadline (ns), or Ctrl-C where interruptible; true when
 * want came.
 */
static bool
hold_wait(struct vmb_remote_hold *h, const char *want, uint64_t deadline,
          bool interruptible, struct vmb_buf *o, struct vmb_buf *e)
{
    while (h->fds[1] >= 0 || h->fds[2] >= 0) {
        if (o->data != NULL && memmem(o->data, o->len, want, strlen(want)))
            return true;
        uint64_t now = vmb_now_ns();
        if (now >= deadline || (interruptible && vmb_interrupted))
            return false;
        struct pollfd p[2] = {{h->fds[1], POLLIN, 0}, {h->fds[2], POLLIN, 0}};
        int ms = (int)((deadline - now) / 1000000ull) + 1;
        if (poll(p, 2, ms > 200 ? 200 : ms) <= 0)
            continue;
        if (p[0].revents)
            drain(&h->fds[1], o);
        if (p[1].revents)
            drain(&h->fds[2], e);
    }
    return o->data != NULL && memmem(o->data, o->len, want, strlen(want));
}

/* Ends ssh (SIGKILL unless it has exited) and frees h. */
static void
hold_free(struct vmb_remote_hold *h)
{
    for (int i = 0; i < 3; i++)
        if (h->fds[i] >= 0)
            close(h->fds[i]);
    if (!h->exited && waitpid(h->pid, NULL, WNOHANG) == 0) {
        kill(-h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
    }
    free(h->dir);
    free(h);
}

bool
vmb_remote_hold_alive(struct vmb_remote_hold *h)
{
    if (h != NULL && !h->exited && waitpid(h->pid, NULL, WNOHANG) == h->pid)
        h->exited = true;
    return h != NULL && !h->exited;
}

int
vmb_remote_hold(const struct vmb_remote *r, const char *base, const char *sub,
                char **dir, struct vmb_remote_hold **out,
                struct vmb_error **err)
{
    struct vmb_remote_hold *h = vmb_xcalloc(1, sizeof(*h));
    h->fds[0] = h->fds[1] = h->fds[2] = -1;
    snprintf(h->shown, sizeof(h->shown), "%s", r->shown);
    if (dir_new(r, base, sub, true, &h->dir, err) < 0) {
        free(h);
        return -1;
    }
    const char *args[] = {h->dir, NULL};
    char **argv = vmb_remote_argv(r, hold_script, args);
    int rc = ssh_spawn(argv, -1, h->fds, &h->pid, err);
    vmb_db_argv_free(argv);
    if (rc < 0) {
        vmb_remote_node_remove(r, h->dir);
        free(h->dir);
        free(h);
        return vmb_error_prefix(err, "host \"%s\": start ssh", r->shown);
    }
    struct vmb_buf o = {0}, e = {0};
    uint64_t deadline =
        vmb_now_ns() + (r->connect_timeout_us + 10000000ull) * 1000ull;
    bool held = hold_wait(h, "held\n", deadline, true, &o, &e);
    vmb_buf_free(&o);
    autofree char *edata = vmb_buf_steal(&e);
    if (!held) {
        autofree char *said = last_line(edata);
        vmb_error_set(err, VMB_ERR_RUN, 0,
                      "host \"%s\": the directory \"%s\" was not held: %s",
                      r->shown, h->dir,
                      vmb_interrupted ? "interrupted"
                      : said[0]       ? said
                                      : "(no message)");
        /* The session that would remove it never held it. */
        autofree char *made = vmb_xstrdup(h->dir);
        hold_free(h);
        vmb_remote_node_remove(r, made);
        return -1;
    }
    *dir = vmb_xstrdup(h->dir);
    *out = h;
    return 0;
}

int
vmb_remote_release(struct vmb_remote_hold *h, uint64_t timeout_us,
                   struct vmb_error **err)
{
    if (h == NULL)
        return 0;
    /* A session that ended before its release let the host remove the
     * directory while the run still used it. */
    bool lost = !vmb_remote_hold_alive(h);
    close(h->fds[0]);
    h->fds[0] = -1;
    struct vmb_buf o = {0}, e = {0};
    bool gone = hold_wait(h, "gone\n", vmb_now_ns() + timeout_us * 1000ull,
                          false, &o, &e);
    vmb_buf_free(&o);
    autofree char *edata = vmb_buf_steal(&e);
    int rc = 0;
    if (lost) {
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "host \"%s\": the ssh session that held \"%s\" "
                           "ended during the run",
                           h->shown, h->dir);
    } else if (!gone) {
        autofree char *said = last_line(edata);
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "host \"%s\": \"%s\" was not removed: %s; the "
                           "next run there removes it",
                           h->shown, h->dir, said[0] ? said : "no answer");
    }
    hold_free(h);
    return rc;
}

int
vmb_remote_put_tree(const struct vmb_remote *r, const char *local,
                    const char *there, uint64_t timeout_us,
                    struct vmb_error **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return vmb_error_sys(err, "pipe");
    pid_t parent = getpid();
    pid_t tar = fork();
    if (tar == 0) {
        setpgid(0, 0);
        child_setup(parent);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
            dup2(null, 2) < 0)
            _exit(127);
        execlp("tar", "tar", "--numeric-owner", "-C", local, "-cf", "-", ".",
               (char *)NULL);
        _exit(127);
    }
    int e = errno;
    close(p[1]);
    if (tar < 0) {
        close(p[0]);
        return vmb_error_set(err, VMB_ERR_RUN, e, "fork");
    }
    setpgid(tar, tar);
    const char *args[] = {there, NULL};
    int rc = remote_run(
        r, "mkdir -p \"$1\" && exec tar --numeric-owner -C \"$1\" -xf -", args,
        NULL, p[0], timeout_us, NULL, err);
    close(p[0]);
    /* Its reader is gone: it ends at once, at its next write at most;
     * after a failure it is killed at once. */
    int status = 0;
    if (!vmb_proc_wait_or_kill(tar, rc == 0 ? 5000000ull : 0, &status) &&
        rc == 0)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0, "tar here did not end");
    if (rc < 0)
        return vmb_error_prefix(err, "copy \"%s\" to \"%s\"", local, there);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "copy \"%s\" to host \"%s\": tar here exited "
                             "with status %d",
                             local, r->shown,
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

/* $1: a node directory, $2: bytes. Makes the node's memory group there,
 * in cgroup v2's root (the one group whose children get the controller
 * whatever holds processes) where v2 has the memory controller, else in
 * cgroup v1's memory hierarchy, and prints "PATH LIMIT", or "- why".
 * Changes no setting of the host's: a root without the controller for
 * its children is a reason, not a fix. */
static const char cap_script[] =
    "d=$1; mem=$2; n=vmbench-control.${d##*/}; "
    "[ \"$(id -u)\" = 0 ] || { echo '- its ssh user is not root'; exit 0; }; "
    "if grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; "
    "then cg=/sys/fs/cgroup/$n; f=memory.max; "
    "elif [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; "
    "then cg=/sys/fs/cgroup/memory/$n; f=memory.limit_in_bytes; "
    "else echo '- no cgroup memory controller for its groups'; exit 0; fi; "
    "if mkdir \"$cg\" && echo \"$mem\" >\"$cg/$f\"; then "
    "echo 0 >\"$cg/memory.swap.max\" 2>/dev/null; "
    "echo \"$cg $(cat \"$cg/$f\")\"; "
    "else rmdir \"$cg\" 2>/dev/null; echo \"- $cg could not be made\"; fi";

int
vmb_remote_cap_memory(const struct vmb_remote *r, const char *dir,
                      uint64_t bytes, char **cgroup, uint64_t *max, char **why,
                      struct vmb_error **err)
{
    *cgroup = *why = NULL;
    *max = 0;
    char b[32];
    snprintf(b, sizeof(b), "%" PRIu64, bytes);
    const char *args[] = {dir, b, NULL};
    autofree char *out = NULL;
    if (vmb_remote_run(r, cap_script, args, NULL, 10000000, &out, err) < 0)
        return vmb_error_prefix(err, "cap node 2's memory");
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    char *sp = strchr(out, ' ');
    if (sp != NULL && out[0] == '/') {
        char *end = NULL;
        unsigned long long limit = strtoull(sp + 1, &end, 10);
        if (end != sp + 1 && *end == '\0' && limit > 0) {
            *sp = '\0';
            *cgroup = vmb_xstrdup(out);
            *max = limit;
            return 0;
        }
    }
    *why = vmb_term_safe(sp != NULL && out[0] == '-' ? sp + 1 : out);
    return 0;
}

/* fd 3 keeps ssh's standard input for the watcher: an asynchronous list
 * of a non-interactive shell reads /dev/null otherwise. The watcher's
 * pause runs as a child it waits for, so that when the server is gone
 * and the watcher is told to end, it takes the pause along. Hangups and
 * broken pipes of a session that ends are ignored (and so by the
 * server), so that the end of the input alone stops the server and the
 * directory is always removed after it. */
static const char server_script[] =
    "trap '' HUP PIPE; "
    "d=$1; sig=$2; grace=$3; cpus=$4; pdir=$5; user=$6; cg=$7; shift 7; "
    "[ -n \"$pdir\" ] && PATH=\"$pdir:$PATH\"; "
    "cd \"$d\" || exit 125; " WRITE_PID "; exec 3<&0; "
    "if [ -n \"$user\" ] && [ \"$(id -u)\" = 0 ]; then "
    "chown -R \"$user:\" \"$d\" && set -- setpriv --reuid=\"$user\" "
    "--regid=\"$(id -g \"$user\")\" --init-groups -- \"$@\" "
    "|| exit 125; fi; "
    "[ -n \"$cg\" ] && set -- sh -c 'echo $$ >\"$0/cgroup.procs\" && "
    "exec \"$@\"' \"$cg\" \"$@\"; "
    "if [ -n \"$cpus\" ]; then taskset -c \"$cpus\" \"$@\" </dev/null & "
    "else \"$@\" </dev/null & fi; p=$!; "
    "{ s=; trap '[ -n \"$s\" ] && kill $s; exit 0' TERM; "
    "cat <&3 >/dev/null; n=0; while kill -\"$sig\" $p 2>/dev/null; do "
    "sleep 1 & s=$!; wait $s; s=; n=$((n+1)); "
    "[ $n -ge \"$grace\" ] && kill -9 $p 2>/dev/null; "
    "done; } >/dev/null 2>&1 & w=$!; exec 3<&-; "
    "wait $p; rc=$?; kill $w 2>/dev/null; if [ -n \"$cg\" ]; then n=0; "
    "until rmdir \"$cg\" 2>/dev/null || [ $n -ge 20 ]; do "
    "kill -9 $(cat \"$cg/cgroup.procs\") 2>/dev/null; sleep 0.1; "
    "n=$((n+1)); done; fi; "
    "if [ -n \"$cg\" ] && [ -d \"$cg\" ]; then rm -f \"$d/pid\"; "
    "else rm -rf \"$d\"; fi; exit $rc";

char **
vmb_remote_server_argv(const struct vmb_remote *r, const char *dir, int sig,
                       int grace_s, const char *cpus, const char *prog_dir,
                       const char *user, const char *cgroup, char *const *argv)
{
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    const char **args = vmb_xcalloc(n + 8, sizeof(char *));
    char s[16], g[16];
    snprintf(s, sizeof(s), "%d", sig);
    snprintf(g, sizeof(g), "%d", grace_s);
    args[0] = dir;
    args[1] = s;
    args[2] = g;
    args[3] = cpus;
    args[4] = prog_dir;
    args[5] = user;
    args[6] = cgroup ? cgroup : "";
    for (size_t i = 0; i < n; i++)
        args[7 + i] = argv[i];
    char **out = vmb_remote_argv(r, server_script, args);
    free(args);
    return out;
}

/* The init step runs to its end, its output on standard output. */
static const char init_script[] =
    "d=$1; user=$2; shift 2; cd \"$d\" || exit 125; exec 2>&1; "
    "if [ -n \"$user\" ] && [ \"$(id -u)\" = 0 ]; then "
    "chown -R \"$user:\" \"$d\" || exit 125; "
    "exec setpriv --reuid=\"$user\" --regid=\"$(id -g \"$user\")\" "
    "--init-groups -- \"$@\"; fi; exec \"$@\"";

int
vmb_remote_init_run(const struct vmb_remote *r, const char *dir,
                    const char *user, char *const *argv, uint64_t timeout_us,
                    char **out, struct vmb_error **err)
{
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    const char **args = vmb_xcalloc(n + 3, sizeof(char *));
    args[0] = dir;
    args[1] = user;
    for (size_t i = 0; i < n; i++)
        args[2 + i] = argv[i];
    int rc = vmb_remote_run(r, init_script, args, NULL, timeout_us, out, err);
    free(args);
    return rc;
}
