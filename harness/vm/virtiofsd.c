#include "vm/virtiofsd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/util.h"
#include "vm/virt.h"

/* Kata's number for it: the first of exec.Cmd's ExtraFiles. */
#define SOCKET_FD 3
#define HELP_TIMEOUT_MS 5000
#define HELP_MAX (64 * 1024)
#define EARLY_EXIT_MS 100
#define STOP_GRACE_MS 2000
/*
 * Kata's --syslog only where a syslog daemon listens: without one, QEMU
 * 7.2's C virtiofsd dies as soon as QEMU connects (its seccomp filter
 * kills the socket call glibc's syslog retries with). Elsewhere its
 * messages go to the node's virtiofsd.log in the work directory.
 */
#define SYSLOG_SOCKET "/dev/log"

struct vmb_virtiofsd {
    pid_t pid;
    unsigned long long start;
    char **argv;
    char *cmdline; /* one argument per line */
    char *socket, *pidfile, *log;
};

const char *
vmb_virtiofsd_path(const struct vmb_config *cfg, const char *root)
{
    const char *own = cfg->guest.virtio_fs_daemon;
    if (own != NULL && *own != '\0')
        return own;
    static const char *const paths[] = {"/usr/lib/qemu/virtiofsd",
                                        "/usr/libexec/virtiofsd"};
    for (size_t i = 0; i < VMB_NELEMS(paths); i++) {
        autofree char *p = vmb_xasprintf("%s%s", root ? root : "", paths[i]);
        if (access(p, X_OK) == 0)
            return paths[i];
    }
    return NULL;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In a child between fork and exec: async-signal-safe calls only. */
static void
child_exec(char *const argv[], int out, int keep)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    /* Above 2 and 3 first, so that no dup2 below overwrites it. */
    int k = keep >= 0 ? fcntl(keep, F_DUPFD, 10) : -1;
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(out, 2) < 0 || (keep >= 0 && (k < 0 || dup2(k, SOCKET_FD) < 0)))
        _exit(127);
    close_range(keep >= 0 ? SOCKET_FD + 1 : 3, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
}

int
vmb_virtiofsd_probe(const char *path, enum vmb_virtiofsd_flavour *out,
                    struct vmb_error **err)
{
    *out = VMB_VIRTIOFSD_UNKNOWN;
    if (access(path, X_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "virtiofsd \"%s\" is not an executable file",
                             path);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return vmb_error_sys(err, "make a pipe for \"%s --help\"", path);
    char *const argv[] = {(char *)path, "--help", NULL};
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, fds[1], -1);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return vmb_error_sys(err, "run \"%s --help\"", path);
    }
    struct vmb_buf b = {0};
    uint64_t t0 = vmb_now_ns();
    for (;;) {
        int left = HELP_TIMEOUT_MS - (int)((vmb_now_ns() - t0) / 1000000);
        struct pollfd pf = {.fd = fds[0], .events = POLLIN};
        if (left <= 0 || b.len >= HELP_MAX || poll(&pf, 1, left) <= 0)
            break;
        char chunk[4096];
        ssize_t r = read(fds[0], chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        vmb_buf_append(&b, chunk, (size_t)r);
    }
    close(fds[0]);
    /* Whatever it does after its help, it is not needed any more. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    vmb_buf_puts(&b, "");
    autofree char *text = vmb_buf_steal(&b);
    *out = vmb_virtiofsd_flavour_of_help(text);
    if (*out == VMB_VIRTIOFSD_UNKNOWN)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is no virtiofsd vmbench knows: its "
                             "--help names neither --shared-dir (the Rust "
                             "virtiofsd) nor \"-o source=\" (QEMU's C one)",
                             path);
    return 0;
}

/* The last line of the daemon's log, for a message; NULL for none. */
static char *
log_tail(const char *path)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, 1 << 20, &text, &len, NULL) < 0 || len == 0)
        return NULL;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    if (len == 0)
        return NULL;
    char *nl = strrchr(text, '\n');
    autofree char *line = vmb_xstrdup(nl ? nl + 1 : text);
    return vmb_option_shown(line);
}

static int
listen_on(const struct vmb_virtiofsd_params *p, struct vmb_error **err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(p->socket) >= sizeof(a.sun_path))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtiofsd socket path \"%s\" is too long",
                             p->socket);
    strcpy(a.sun_path, p->socket);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vmb_error_sys(err, "make the virtiofsd socket");
    unlink(p->socket);
    /* QEMU connects as its user (utils.ChownToParent in Kata). */
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        chown(p->socket, p->qemu_uid, p->qemu_gid) < 0 ||
        chmod(p->socket, 0600) < 0 || listen(fd, 1) < 0) {
        int e = errno;
        close(fd);
        unlink(p->socket);
        errno = e;
        return vmb_error_sys(err, "listen on \"%s\" for virtiofsd", p->socket);
    }
    return fd;
}

static void
daemon_free(struct vmb_virtiofsd *d)
{
    vmb_virtiofsd_argv_free(d->argv);
    free(d->cmdline);
    free(d->socket);
    free(d->pidfile);
    free(d->log);
    free(d);
}

int
vmb_virtiofsd_start(const struct vmb_virtiofsd_params *p,
                    struct vmb_virtiofsd **out, struct vmb_error **err)
{
    *out = NULL;
    const char *path = vmb_virtiofsd_path(p->cfg, NULL);
    if (path == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "storage virtio-fs needs virtiofsd, which this "
                             "host lacks (/usr/lib/qemu/virtiofsd, "
                             "/usr/libexec/virtiofsd)");
    enum vmb_virtiofsd_flavour fl;
    struct vmb_virtiofsd *d = vmb_xcalloc(1, sizeof(*d));
    if (vmb_virtiofsd_probe(path, &fl, err) < 0 ||
        vmb_virtiofsd_argv(p->cfg, fl, path, p->dir, SOCKET_FD,
                           access(SYSLOG_SOCKET, W_OK) == 0, &d->argv,
                           err) < 0) {
        daemon_free(d);
        return -1;
    }
    struct vmb_buf line = {0};
    for (char **a = d->argv; *a; a++)
        vmb_buf_printf(&line, "%s\n", *a);
    d->cmdline = vmb_buf_steal(&line);
    int lfd = listen_on(p, err);
    if (lfd < 0) {
        daemon_free(d);
        return -1;
    }
    d->socket = vmb_xstrdup(p->socket);
    d->pidfile = vmb_xstrdup(p->pidfile);
    d->log = vmb_xstrdup(p->log);
    int logfd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) {
        vmb_error_sys(err, "open \"%s\" for virtiofsd's output", p->log);
        close(lfd);
        unlink(d->socket);
        daemon_free(d);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Its own session: a Ctrl-C at the terminal is vmbench's to act
         * on, in order, not the daemon's. */
        setsid();
        child_exec(d->argv, logfd, lfd);
    }
    int fork_errno = errno;
    close(logfd);
    close(lfd);
    if (pid < 0) {
        errno = fork_errno;
        vmb_error_sys(err, "start virtiofsd \"%s\"", path);
        unlink(d->socket);
        daemon_free(d);
        return -1;
    }
    d->pid = pid;
    d->start = vmb_proc_start(pid);
    vmb_virt_guard_process(true, pid, d->start);
    autofree char *pf = vmb_xasprintf(
        "%d %llu %d %llu %llu\n", (int)pid, d->start, (int)getpid(),
        vmb_proc_start(getpid()), vmb_proc_pid_ns());
    vmb_autoerr struct vmb_error *e = NULL;
    vmb_write_file_atomic(d->pidfile, pf, strlen(pf), &e);
    /* A word it refuses, a directory it cannot open: it exits at once. */
    for (int waited = 0; waited < EARLY_EXIT_MS; waited += 10) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            autofree char *tail = log_tail(p->log);
            vmb_error_set(err, VMB_ERR_RUN, 0,
                          "virtiofsd \"%s\" exited at once (status %d): %s",
                          path, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                          tail ? tail : "(no output)");
            vmb_virtiofsd_stop(d, NULL);
            return -1;
        }
        sleep_ms(10);
    }
    *out = d;
    return 0;
}

char *
vmb_virtiofsd_log_tail(const struct vmb_virtiofsd *d)
{
    return d && d->log ? log_tail(d->log) : NULL;
}

pid_t
vmb_virtiofsd_pid(const struct vmb_virtiofsd *d)
{
    return d ? d->pid : -1;
}

const char *
vmb_virtiofsd_cmdline(const struct vmb_virtiofsd *d)
{
    return d->cmdline;
}

int
vmb_virtiofsd_verify(const struct vmb_virtiofsd *d, struct vmb_error **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)d->pid);
    autofree char *text = NULL;
    size_t len = 0;
    if (!vmb_proc_alive(d->pid, d->start) ||
        vmb_read_file(path, &text, &len, NULL) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "virtiofsd (pid %d) no longer runs", (int)d->pid);
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0')
            text[i] = '\n';
    if (strcmp(text, d->cmdline) != 0) {
        autofree char *want = vmb_xstrdup(d->cmdline);
        for (char *c = want; *c; c++)
            if (*c == '\n')
                *c = ' ';
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "virtiofsd (pid %d) does not run as \"%s\"",
                             (int)d->pid, want);
    }
    return 0;
}

int
vmb_virtiofsd_stop(struct vmb_virtiofsd *d, struct vmb_error **err)
{
    if (d == NULL)
        return 0;
    int rc = 0;
    if (d->start != 0 && vmb_proc_stop(d->pid, d->start, STOP_GRACE_MS) < 0)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "virtiofsd (pid %d) still runs after SIGKILL",
                           (int)d->pid);
    else
        waitpid(d->pid, NULL, WNOHANG);
    if (rc == 0) {
        vmb_virt_guard_process(false, d->pid, d->start);
        unlink(d->pidfile);
    }
    unlink(d->socket);
    daemon_free(d);
    return rc;
}

/* Stops the daemon of pid file path if its owner is gone; 1 if it did. */
static int
reap_one(const char *dir, const char *path, void *ctx)
{
    (void)dir;
    (void)ctx;
    autofree char *text = NULL;
    if (vmb_read_file_max(path, 256, &text, NULL, NULL) < 0)
        return 0;
    int pid = 0, owner = 0;
    unsigned long long start = 0, owner_start = 0, ns = 0;
    if (sscanf(text, "%d %llu %d %llu %llu", &pid, &start, &owner, &owner_start,
               &ns) != 5 ||
        pid <= 1 || ns != vmb_proc_pid_ns() ||
        vmb_proc_alive(owner, owner_start))
        return 0;
    int stopped = vmb_proc_alive(pid, start) &&
                  vmb_proc_stop(pid, start, STOP_GRACE_MS) == 0;
    unlink(path);
    return stopped;
}

int
vmb_virtiofsd_reap_stale(const char *root)
{
    return vmb_proc_each_pidfile(root, ".virtiofsd.pid", false, reap_one, NULL);
}
