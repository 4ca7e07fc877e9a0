/*
 * Processes of the container: started chrooted in it for spawn and exec,
 * reaped (as PID 1 we inherit every orphan), and the exit status of those
 * spawned kept for status and kill.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static struct vmb_guest_proc *procs;
static size_t nprocs, cap_procs;

struct vmb_guest_proc *
vmb_guest_proc_find(pid_t pid)
{
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

void
vmb_guest_proc_add(pid_t pid)
{
    if (nprocs == cap_procs) {
        cap_procs = cap_procs ? cap_procs * 2 : 16;
        procs = realloc(procs, cap_procs * sizeof(*procs));
        if (!procs)
            abort();
    }
    procs[nprocs++] = (struct vmb_guest_proc){.pid = pid};
}

/* As PID 1 we inherit every orphan: reap them all, keep ours' status. */
void
vmb_guest_reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        struct vmb_guest_proc *p = vmb_guest_proc_find(pid);
        if (!p)
            continue;
        if (WIFEXITED(st)) {
            p->state = 1;
            p->code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            p->state = 2;
            p->code = WTERMSIG(st);
        }
    }
}

/* Searches PATH of the new environment, as a shell would. */
static void
exec_in_path(const char *const *argv, char *const *envp)
{
    const char *path = VMB_GUEST_DEFAULT_PATH;
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    if (strchr(argv[0], '/')) {
        execve(argv[0], (char *const *)argv, envp);
        return;
    }
    int first = ENOENT;
    const char *p = path;
    while (*p) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%.*s/%s", (int)n, p, argv[0]);
        execve(full, (char *const *)argv, envp);
        if (errno != ENOENT && first == ENOENT)
            first = errno;
        p += n;
        if (*p == ':')
            p++;
    }
    errno = first;
}

/*
 * The uid and gid of name in the container's /etc/passwd (we are
 * chrooted in it); -1 when it has no such user. Read by hand: the agent
 * is static, and glibc's getpwnam would want NSS modules.
 */
static int
lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
    FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return -1;
    char line[512];
    size_t n = strlen(name);
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        unsigned long u, g;
        if (strncmp(line, name, n) != 0 || line[n] != ':')
            continue;
        const char *p = strchr(line + n + 1, ':');
        if (p && sscanf(p + 1, "%lu:%lu:", &u, &g) == 2) {
            *uid = (uid_t)u;
            *gid = (gid_t)g;
            rc = 0;
        }
    }
    fclose(f);
    if (rc < 0)
        errno = ENOENT;
    return rc;
}

/*
 * Exec failures come back through a close-on-exec pipe so the request can
 * say what went wrong.
 */
pid_t
vmb_guest_start_process(const struct vmb_wire_msg *m, int out_fd, char *why,
                        size_t why_len)
{
    const char **argv = vmb_wire_get_all(m, "argv");
    const char **env = vmb_wire_get_all(m, "env");
    const char *cwd = vmb_wire_get(m, "cwd");
    const char *log = vmb_wire_get(m, "log");
    const char *user = vmb_wire_get(m, "user");
    const char *own = vmb_wire_get(m, "own");
    pid_t pid = -1;
    if (!argv[0] || !argv[0][0]) {
        snprintf(why, why_len, "no argv");
        goto out;
    }
    bool has_path = false;
    size_t nenv = 0;
    for (; env[nenv]; nenv++)
        has_path |= strncmp(env[nenv], "PATH=", 5) == 0;
    char **envp = calloc(nenv + 2, sizeof(*envp));
    if (!envp)
        abort();
    for (size_t i = 0; i < nenv; i++)
        envp[i] = (char *)env[i];
    if (!has_path)
        envp[nenv] = "PATH=" VMB_GUEST_DEFAULT_PATH;

    int ep[2];
    if (pipe2(ep, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        free(envp);
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(ep[0]);
        close(ep[1]);
        free(envp);
        goto out;
    }
    if (pid == 0) {
        char msg[256];
        const char *stage = "";
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        setsid();
        int nul = open("/dev/null", O_RDWR);
        stage = "chroot";
        if (chroot(VMB_GUEST_ROOT) < 0)
            goto fail;
        stage = cwd ? cwd : "/";
        if (chdir(stage) < 0)
            goto fail;
        if (out_fd < 0 && log && log[0]) {
            stage = log;
            out_fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (out_fd < 0)
                goto fail;
        }
        if (out_fd < 0)
            out_fd = nul;
        if (user && user[0]) {
            /* The log is open already: it stays root's, written to. */
            uid_t uid;
            gid_t gid;
            stage = user;
            if (lookup_user(user, &uid, &gid) < 0)
                goto fail;
            stage = own ? own : user;
            if (own && own[0] && chown(own, uid, gid) < 0)
                goto fail;
            stage = user;
            if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
                goto fail;
        }
        dup2(nul, 0);
        dup2(out_fd, 1);
        dup2(out_fd, 2);
        stage = argv[0];
        exec_in_path(argv, envp);
    fail:
        snprintf(msg, sizeof(msg), "%s: %s", stage, strerror(errno));
        if (write(ep[1], msg, strlen(msg)) < 0)
            _exit(126);
        _exit(127);
    }
    close(ep[1]);
    free(envp);
    ssize_t n;
    while ((n = read(ep[0], why, why_len - 1)) < 0 && errno == EINTR)
        ;
    close(ep[0]);
    if (n > 0) {
        why[n] = '\0';
        waitpid(pid, NULL, 0);
        pid = -1;
    }
out:
    free(argv);
    free(env);
    return pid;
}
