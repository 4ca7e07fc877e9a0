/*
 * The bare-metal control: the same two servers as host processes on
 * loopback ports (database.port and port+1; tenant t's pair the two after
 * tenant t-1's), data under the run's work directory. With
 * control.match_resources each node gets as many CPUs as the cell's vCPUs
 * (sched_setaffinity, plus a cpuset cgroup where one can be made) and a memory
 * cap of the cell's memory (cgroup v2 memory.max or v1 memory.limit_in_bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/rawprobe.h"
#include "base/units.h"
#include "base/util.h"
#include "runtime/remote.h"
#include "runtime/runtime.h"
#include "runtime/runtime_cgroup.h"

extern char **environ;

struct bm_usage {
    double cpu_s;
    uint64_t rd_bytes, wr_bytes;
};

struct bm_node {
    const struct vmb_db_driver *drv; /* set by start_db */
    pid_t pid;                       /* 0 before start, -1 once reaped */
    int status;                      /* wait status once reaped */
    char *cpus; /* list given to the node, NULL when not pinned */
    cpu_set_t set;
    struct vmb_cgroup cg;
    struct bm_usage begin, end;
    bool window;
    /* On another host (hosts.control_node2): pid is the local ssh, which
     * lives as long as the server there; in_fd its standard input, whose
     * end stops the server (remote.h). */
    bool remote;
    int in_fd;
    char *rdir;    /* the node's directory there */
    char *rcg;     /* its memory group there (match_resources); NULL: none */
    uint64_t rmem; /* that group's limit as read back */
};

struct bm {
    struct bm_node node[2];
    int nnodes; /* 2, or 1: node 2 has no directory, CPUs or cgroup */
    bool pinned;
    struct vmb_remote rem;
    struct vmb_remote_facts rf;
};

static void
cpus_for_node(int node, int64_t vcpus, cpu_set_t *set, char **list)
{
    cpu_set_t mine;
    CPU_ZERO(&mine);
    sched_getaffinity(0, sizeof(mine), &mine);
    int avail[CPU_SETSIZE];
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &mine))
            avail[n++] = c;
    if (n == 0) {
        avail[0] = 0;
        n = 1;
    }
    /* Node 1 takes the first vcpus CPUs, node 2 the next: disjoint when
     * the host has enough, wrapping round when it has not. */
    CPU_ZERO(set);
    int64_t want = vcpus < n ? vcpus : n;
    for (int64_t i = 0; i < want; i++)
        CPU_SET(avail[(size_t)(((node - 1) * vcpus + i) % n)], set);
    struct vmb_buf b = {0};
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
            e++;
        if (b.len > 0)
            vmb_buf_puts(&b, ",");
        if (e > c)
            vmb_buf_printf(&b, "%d-%d", c, e);
        else
            vmb_buf_printf(&b, "%d", c);
        c = e;
    }
    *list = vmb_buf_steal(&b);
}

/*
 * Node 2 on another host over ssh (docs/remote.md): node 1 listens on
 * this host's address the remote host reached it from, node 2 on the
 * remote's, both learnt from ssh's SSH_CONNECTION; node 2 is pinned there
 * to as many CPUs as the cell's vCPUs where taskset is, and its memory
 * capped in a group there where the host lets its ssh user make one.
 */
static int
bm_up_remote(struct vmb_runtime *rt, struct bm *bm, struct vmb_error **err)
{
    const struct vmb_config *cfg = rt->cfg;
    struct bm_node *n2 = &bm->node[1];
    n2->remote = true;
    if (vmb_remote_init(&bm->rem, cfg->hosts.control_node2,
                        cfg->hosts.connect_timeout_us, err) < 0 ||
        vmb_remote_probe(&bm->rem, vmb_db_driver_find(cfg->database.engine),
                         &bm->rf, err) < 0 ||
        vmb_remote_node_dir(&bm->rem, &n2->rdir, err) < 0)
        return vmb_error_prefix(err, "node 2");
    autofree char *data1 = vmb_xasprintf("%s/node1/data", rt->work_dir);
    autofree char *data2 = vmb_xasprintf("%s/data", n2->rdir);
    if (vmb_mkdir_p(data1, err) < 0)
        return vmb_error_prefix(err, "node 1");
    autofree char *dir2 = vmb_xasprintf("%s/node2", rt->work_dir);
    if (vmb_mkdir_p(dir2, err) < 0)
        return vmb_error_prefix(err, "node 2");
    int port = (int)cfg->database.port + 2 * rt->tenant;
    vmb_runtime_set_node(rt, 1, bm->rf.here, port, bm->rf.here, data1);
    vmb_runtime_set_node(rt, 2, bm->rf.there, port + 1, bm->rf.there, data2);
    if (bm->pinned) {
        struct bm_node *n1 = &bm->node[0];
        cpus_for_node(vmb_config_node_slot(cfg, rt->tenant, 1) + 1,
                      cfg->guest.vcpus, &n1->set, &n1->cpus);
        autofree char *tag = vmb_xasprintf("t%d-node1", rt->tenant + 1);
        vmb_cgroup_create(rt->tenant == 0 ? "node1" : tag, n1->cpus,
                          cfg->guest.memory_mib << 20, &n1->cg);
        if (n1->cg.notes != NULL)
            vmb_note(rt->notes, "control node 1: %s", n1->cg.notes);
        /* Tenant t's node 2 takes the t-th run of vcpus CPUs there,
         * moved back to fit where the host has too few. */
        int64_t ncpu = strtoll(bm->rf.cpus, NULL, 10);
        if (bm->rf.taskset && ncpu > 0) {
            int64_t want = cfg->guest.vcpus < ncpu ? cfg->guest.vcpus : ncpu;
            int64_t first = (rt->tenant * cfg->guest.vcpus) % ncpu;
            if (first + want > ncpu)
                first = ncpu - want;
            int64_t last = first + want - 1;
            n2->cpus = last == first
                           ? vmb_xasprintf("%lld", (long long)first)
                           : vmb_xasprintf("%lld-%lld", (long long)first,
                                           (long long)last);
        }
        autofree char *why = NULL;
        if (vmb_remote_cap_memory(&bm->rem, n2->rdir,
                                  cfg->guest.memory_mib << 20, &n2->rcg,
                                  &n2->rmem, &why, err) < 0)
            return vmb_error_prefix(err, "node 2");
        autofree char *mem =
            n2->rcg
                ? vmb_xasprintf("memory capped at %" PRIu64 " MiB there (%s)",
                                n2->rmem >> 20, n2->rcg)
                : vmb_xasprintf("memory not capped there: %s", why);
        vmb_note(rt->notes, "control node 2 on \"%s\": %s, %s", bm->rem.shown,
                 n2->cpus ? "pinned with taskset" : "not pinned (no taskset)",
                 mem);
    }
    rt->nodes[1].primary_host = rt->nodes[0].host;
    rt->nodes[1].primary_port = rt->nodes[0].port;
    return 0;
}

static int
bm_up(struct vmb_runtime *rt, struct vmb_error **err)
{
    struct bm *bm = vmb_xcalloc(1, sizeof(*bm));
    rt->priv = bm;
    bm->node[0].in_fd = bm->node[1].in_fd = -1;
    const struct vmb_config *cfg = rt->cfg;
    bm->pinned = cfg->control.match_resources;
    bm->nnodes = vmb_config_nodes(cfg);
    if (vmb_hosts_control_remote(cfg))
        return bm_up_remote(rt, bm, err);
    for (int i = 0; i < bm->nnodes; i++) {
        autofree char *data =
            vmb_xasprintf("%s/node%d/data", rt->work_dir, i + 1);
        if (vmb_mkdir_p(data, err) < 0)
            return vmb_error_prefix(err, "node %d", i + 1);
        /* Tenant t's nodes are the (2t+1)th and (2t+2)th of the run: the
         * next two ports; the next CPUs, as many blocks as it has nodes
         * (one for fio). */
        int k = 2 * rt->tenant + i;
        vmb_runtime_set_node(rt, i + 1, "127.0.0.1",
                             (int)cfg->database.port + k, "127.0.0.1", data);
        struct bm_node *n = &bm->node[i];
        if (!bm->pinned)
            continue;
        cpus_for_node(vmb_config_node_slot(cfg, rt->tenant, i + 1) + 1,
                      cfg->guest.vcpus, &n->set, &n->cpus);
        autofree char *tag =
            rt->tenant == 0
                ? vmb_xasprintf("node%d", i + 1)
                : vmb_xasprintf("t%d-node%d", rt->tenant + 1, i + 1);
        vmb_cgroup_create(tag, n->cpus, cfg->guest.memory_mib << 20, &n->cg);
        if (n->cg.notes != NULL)
            vmb_note(rt->notes, "control node %d: %s", i + 1, n->cg.notes);
    }
    if (bm->nnodes > 1) {
        rt->nodes[1].primary_host = rt->nodes[0].host;
        rt->nodes[1].primary_port = rt->nodes[0].port;
    }
    return 0;
}

/* Tells the parent which step failed in the child, then exits. */
static void
child_fail(int fd, const char *step)
{
    int e = errno;
    char msg[128];
    size_t n = strlen(step);
    if (n > sizeof(msg) - 8)
        n = sizeof(msg) - 8;
    memcpy(msg, &e, sizeof(e));
    memcpy(msg + sizeof(e), step, n);
    ssize_t w = write(fd, msg, sizeof(e) + n);
    (void)w;
    _exit(127);
}

/* Who a node's programs run as: uid -1 for vmbench's own user. */
struct bm_cred {
    uid_t uid;
    gid_t gid;
};

/*
 * The environment of a node's programs: vmbench's, with messages and
 * times in the C locale and UTC, so logs read the same on every host.
 */
static char **
child_env(void)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = vmb_xcalloc(n + 4, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!vmb_str_has_prefix(environ[i], "LC_ALL=") &&
            !vmb_str_has_prefix(environ[i], "LANG=") &&
            !vmb_str_has_prefix(environ[i], "TZ="))
            env[k++] = environ[i];
    env[k++] = "LC_ALL=C";
    env[k++] = "LANG=C";
    env[k++] = "TZ=UTC";
    return env;
}

static void
close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/*
 * Forks argv on node n: its own process group, pinned and in the node's
 * cgroup when the control is matched, as cred, output to out_fd. A
 * failure before exec comes back through a pipe as the step and errno.
 */
static int
spawn(struct bm *bm, struct bm_node *n, int node, char **argv, int out_fd,
      const struct bm_cred *cred, pid_t *out, struct vmb_error **err)
{
    autoclose int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    autofree char **env = child_env();
    int in_pipe[2] = {-1, -1};
    if (n->remote && pipe2(in_pipe, O_CLOEXEC) < 0)
        return vmb_error_sys(err, "node %d: pipe", node);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        close_pair(in_pipe);
        return vmb_error_sys(err, "node %d: pipe", node);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        close_pair(in_pipe);
        return vmb_error_set(err, VMB_ERR_RUN, e, "node %d: fork", node);
    }
    if (pid == 0) {
        /* Own process group: Ctrl-C reaches vmbench, which tears down. */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        if (bm->pinned && !n->remote) {
            if (vmb_cgroup_enter_self(&n->cg) < 0)
                child_fail(pipefd[1], "join cgroup");
            if (sched_setaffinity(0, sizeof(n->set), &n->set) < 0)
                child_fail(pipefd[1], "sched_setaffinity");
        }
        if (cred->uid != (uid_t)-1 &&
            (setgroups(0, NULL) < 0 || setgid(cred->gid) < 0 ||
             setuid(cred->uid) < 0))
            child_fail(pipefd[1], "change to the server's user for");
        /*
         * A vmbench that dies, even by SIGKILL, takes its servers along;
         * set after the change of user, which clears it.
         */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            child_fail(pipefd[1], "prctl");
        if (getppid() != parent)
            _exit(127);
        int in = n->remote ? in_pipe[0] : devnull;
        if (dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
            child_fail(pipefd[1], "redirect output");
        execvpe(argv[0], argv, env);
        child_fail(pipefd[1], "exec");
    }
    close(pipefd[1]);
    if (in_pipe[0] >= 0)
        close(in_pipe[0]);
    char msg[128];
    ssize_t r;
    do {
        r = read(pipefd[0], msg, sizeof(msg) - 1);
    } while (r < 0 && errno == EINTR);
    close(pipefd[0]);
    if (r > (ssize_t)sizeof(int)) {
        int e;
        memcpy(&e, msg, sizeof(e));
        msg[r] = '\0';
        if (in_pipe[1] >= 0)
            close(in_pipe[1]);
        waitpid(pid, NULL, 0);
        return vmb_error_set(err, VMB_ERR_RUN, e, "node %d: %s \"%s\"", node,
                             msg + sizeof(e), argv[0]);
    }
    n->in_fd = in_pipe[1];
    *out = pid;
    return 0;
}

/*
 * Fails unless user can walk down to path: each directory above it must
 * let others (or user's group, or user as owner) search it. A results
 * directory under /root or a mktemp directory does not.
 */
static int
reachable_by(const char *path, const struct bm_cred *cred, const char *user,
             struct vmb_error **err)
{
    autofree char *p = vmb_xstrdup(path);
    for (char *slash = p; slash != NULL; slash = strchr(slash + 1, '/')) {
        char keep = *slash;
        *slash = '\0';
        struct stat st;
        const char *dir = p[0] ? p : "/";
        if (stat(dir, &st) < 0) {
            *slash = keep;
            return vmb_error_sys(err, "stat \"%s\"", dir);
        }
        bool ok = st.st_uid == cred->uid   ? (st.st_mode & S_IXUSR) != 0
                  : st.st_gid == cred->gid ? (st.st_mode & S_IXGRP) != 0
                                           : (st.st_mode & S_IXOTH) != 0;
        if (!ok) {
            vmb_error_set(err, VMB_ERR_RUN, 0,
                          "the server runs as user \"%s\", who cannot "
                          "reach its data under \"%s\" (mode %03o): put the "
                          "results directory where that user can, or allow "
                          "it (chmod o+x \"%s\")",
                          user, dir, (unsigned)(st.st_mode & 0777), dir);
            *slash = keep;
            return -1;
        }
        *slash = keep;
    }
    return 0;
}

/*
 * The user a driver's server runs as: its unprivileged user when vmbench
 * is root, else vmbench's own. The node's directory and data directory
 * become that user's.
 */
static int
node_cred(struct vmb_runtime *rt, int node, const struct vmb_db_driver *drv,
          struct bm_cred *cred, struct vmb_error **err)
{
    cred->uid = (uid_t)-1;
    cred->gid = (gid_t)-1;
    if (drv->user == NULL || geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(drv->user);
    if (pw == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s runs as user \"%s\", which this host "
                             "lacks (scripts/setup.sh installs the package "
                             "that makes it)",
                             node, drv->binary, drv->user);
    cred->uid = pw->pw_uid;
    cred->gid = pw->pw_gid;
    if (reachable_by(rt->work_dir, cred, drv->user, err) < 0)
        return vmb_error_prefix(err, "node %d", node);
    autofree char *dir = vmb_xasprintf("%s/node%d", rt->work_dir, node);
    const char *dirs[] = {dir, rt->nodes[node - 1].data_dir};
    for (size_t i = 0; i < 2; i++)
        if (chown(dirs[i], cred->uid, cred->gid) < 0)
            return vmb_error_sys(err, "node %d: give \"%s\" to user \"%s\"",
                                 node, dirs[i], drv->user);
    return 0;
}

/*
 * Runs the driver's init step (initdb, a base backup) to completion
 * within timeout_us, its output kept as the node's init.log; fails with
 * the end of that output.
 */
static int
run_init(struct vmb_runtime *rt, struct bm *bm, int node,
         const struct vmb_db_driver *drv, const struct bm_cred *cred,
         struct vmb_error **err)
{
    struct bm_node *n = &bm->node[node - 1];
    autofree char *log_path =
        vmb_xasprintf("%s/node%d/init.log", rt->work_dir, node);
    autoclose int log =
        open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0)
        return vmb_error_sys(err, "node %d: create \"%s\"", node, log_path);
    char **argv = drv->init_argv(&rt->cfg->database, &rt->nodes[node - 1]);
    /* The step's program, for messages: "sh -c SCRIPT sh PROGRAM ...". */
    const char *what = argv[4] != NULL ? argv[4] : argv[0];
    const char *slash = strrchr(what, '/');
    autofree char *name = vmb_xstrdup(slash ? slash + 1 : what);
    pid_t pid = 0;
    int rc = spawn(bm, n, node, argv, log, cred, &pid, err);
    vmb_db_argv_free(argv);
    if (rc < 0)
        return vmb_error_prefix(err, "prepare the data directory");
    int status = 0;
    bool done =
        vmb_proc_wait_or_kill(pid, rt->cfg->database.ready_timeout_us, &status);
    autofree char *out = NULL;
    vmb_autoerr struct vmb_error *re = NULL;
    vmb_read_file(log_path, &out, NULL, &re);
    autofree char *tail = vmb_db_log_tail(out, 5);
    if (!done) {
        char d[32];
        vmb_format_duration_us(rt->cfg->database.ready_timeout_us, d,
                               sizeof(d));
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s did not finish within %s; "
                             "output: %s",
                             node, name, d, tail);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s was killed by signal %d; output: %s",
                             node, name, WTERMSIG(status), tail);
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "node %d: %s exited with status %d; output: %s", node,
                         name, WEXITSTATUS(status), tail);
}

/* Node 2's init step (a base backup) there, its output kept here as
 * node 2's init.log. */
static int
remote_init(struct vmb_runtime *rt, struct bm *bm, struct bm_node *n,
            const struct vmb_db_driver *drv, const char *user,
            struct vmb_error **err)
{
    char **argv = drv->init_argv(&rt->cfg->database, &rt->nodes[1]);
    autofree char *out = NULL;
    int rc = vmb_remote_init_run(&bm->rem, n->rdir, user, argv,
                                 rt->cfg->database.ready_timeout_us, &out, err);
    vmb_db_argv_free(argv);
    autofree char *path = vmb_xasprintf("%s/node2/init.log", rt->work_dir);
    vmb_autoerr struct vmb_error *e = NULL;
    vmb_write_file_atomic(path, out ? out : "", out ? strlen(out) : 0, &e);
    if (rc < 0)
        return vmb_error_prefix(err, "node 2: prepare the data directory");
    return 0;
}

/* Node 2's server on the other host: its configuration there (and a copy
 * here for the artefacts), started under ssh, its output the node's log. */
static int
bm_start_remote(struct vmb_runtime *rt, struct bm *bm, struct bm_node *n,
                const char *conf, struct vmb_error **err)
{
    const struct vmb_db_driver *drv = n->drv;
    if (drv->tool)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "node 2: %s runs no node 2",
                             drv->name);
    const char *user = drv->user ? drv->user : "";
    autofree char *local =
        vmb_xasprintf("%s/node2/%s", rt->work_dir, drv->conf_name);
    autofree char *there = vmb_xasprintf("%s/%s", n->rdir, drv->conf_name);
    autofree char *log_path = vmb_xasprintf("%s/node2/db.log", rt->work_dir);
    if (vmb_write_file_atomic(local, conf, strlen(conf), err) < 0 ||
        vmb_remote_write(&bm->rem, there, conf, err) < 0)
        return vmb_error_prefix(err, "node 2");
    if (drv->init_argv != NULL && remote_init(rt, bm, n, drv, user, err) < 0)
        return -1;
    autoclose int log =
        open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0)
        return vmb_error_sys(err, "node 2: create \"%s\"", log_path);
    char **argv = drv->argv(there);
    autofree char *pdir = drv->program_dir ? drv->program_dir("") : NULL;
    char **ssh = vmb_remote_server_argv(
        &bm->rem, n->rdir, drv->stop_signal, drv->stop_grace_s,
        n->cpus ? n->cpus : "", pdir ? pdir : "", user, n->rcg, argv);
    vmb_db_argv_free(argv);
    struct bm_cred cred = {(uid_t)-1, (gid_t)-1};
    pid_t pid = 0;
    int rc = spawn(bm, n, 2, ssh, log, &cred, &pid, err);
    vmb_db_argv_free(ssh);
    n->pid = rc < 0 ? -1 : pid;
    return rc;
}

static int
bm_start_db(struct vmb_runtime *rt, int node, const struct vmb_db_driver *drv,
            const char *conf, struct vmb_error **err)
{
    struct bm *bm = rt->priv;
    struct bm_node *n = &bm->node[node - 1];
    n->drv = drv;
    if (n->remote)
        return bm_start_remote(rt, bm, n, conf, err);
    struct bm_cred cred;
    if (node_cred(rt, node, drv, &cred, err) < 0)
        return -1;
    autofree char *conf_path =
        vmb_xasprintf("%s/node%d/%s", rt->work_dir, node, drv->conf_name);
    autofree char *log_path =
        vmb_xasprintf("%s/node%d/db.log", rt->work_dir, node);
    if (vmb_write_file_atomic(conf_path, conf, strlen(conf), err) < 0)
        return vmb_error_prefix(err, "node %d", node);
    if (drv->init_argv != NULL && run_init(rt, bm, node, drv, &cred, err) < 0)
        return -1;
    autoclose int log =
        open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0)
        return vmb_error_sys(err, "node %d: create \"%s\"", node, log_path);
    char **argv = drv->argv(conf_path);
    pid_t pid = 0;
    int rc = spawn(bm, n, node, argv, log, &cred, &pid, err);
    vmb_db_argv_free(argv);
    if (rc < 0) {
        n->pid = -1;
        return -1;
    }
    n->pid = pid;
    return 0;
}

/*
 * fio on node 1 as a server would run there: the job and its JSON in the
 * node's scratch directory, its words appended to the node's log.
 */
static int
bm_run_fio(struct vmb_runtime *rt, const char *job, uint64_t timeout_us,
           char **json, size_t *len, struct vmb_error **err)
{
    struct bm *bm = rt->priv;
    struct bm_node *n = &bm->node[0];
    autofree char *job_path = vmb_xasprintf("%s/node1/job.fio", rt->work_dir);
    autofree char *out_path = vmb_xasprintf("%s/node1/fio.json", rt->work_dir);
    autofree char *log_path = vmb_xasprintf("%s/node1/db.log", rt->work_dir);
    autofree char *out_arg = vmb_xasprintf("--output=%s", out_path);
    if (vmb_write_file_atomic(job_path, job, strlen(job), err) < 0 ||
        vmb_write_file_atomic(out_path, "", 0, err) < 0)
        return vmb_error_prefix(err, "node 1");
    autoclose int log =
        open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        return vmb_error_sys(err, "node 1: open \"%s\"", log_path);
    char *argv[] = {"fio", "--output-format=json+", out_arg, job_path, NULL};
    struct bm_cred cred = {(uid_t)-1, (gid_t)-1};
    pid_t pid = 0;
    if (spawn(bm, n, 1, argv, log, &cred, &pid, err) < 0)
        return -1;
    int status = 0;
    bool done = vmb_proc_wait_or_kill(pid, timeout_us, &status);
    autofree char *words = NULL;
    vmb_autoerr struct vmb_error *re = NULL;
    vmb_read_file(log_path, &words, NULL, &re);
    autofree char *tail = vmb_db_log_tail(words, 5);
    if (!done && vmb_interrupted)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "fio: interrupted");
    if (!done) {
        char d[32];
        vmb_format_duration_us(timeout_us, d, sizeof(d));
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio did not finish within %s; output: %s", d,
                             tail);
    }
    if (WIFSIGNALED(status))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio was killed by signal %d; output: %s",
                             WTERMSIG(status), tail);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio exited with status %d; output: %s",
                             WEXITSTATUS(status), tail);
    if (vmb_read_file_max(out_path, (size_t)64 << 20, json, len, err) < 0)
        return vmb_error_prefix(err, "fio's output");
    return 0;
}

static bool
bm_alive(struct vmb_runtime *rt, int node, char **why)
{
    struct bm *bm = rt->priv;
    struct bm_node *n = &bm->node[node - 1];
    if (n->pid > 0) {
        pid_t r = waitpid(n->pid, &n->status, WNOHANG);
        if (r == 0)
            return true;
        n->pid = -1;
    }
    if (n->pid == 0) {
        *why = vmb_xstrdup("was not started");
        return false;
    }
    if (WIFEXITED(n->status))
        *why = vmb_xasprintf("exited with status %d", WEXITSTATUS(n->status));
    else if (WIFSIGNALED(n->status))
        *why =
            vmb_xasprintf("was killed by signal %d (%s)", WTERMSIG(n->status),
                          strsignal(WTERMSIG(n->status)));
    else
        *why = vmb_xstrdup("exited");
    return false;
}

static char *
bm_db_log(struct vmb_runtime *rt, int node)
{
    autofree char *path = vmb_xasprintf("%s/node%d/db.log", rt->work_dir, node);
    char *s = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(path, &s, NULL, &e) < 0)
        return NULL;
    return s;
}

static void
usage_of(pid_t pid, struct bm_usage *u)
{
    memset(u, 0, sizeof(*u));
    if (pid <= 0)
        return;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    autofree char *stat = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(path, &stat, NULL, &e) == 0) {
        /* Fields after the command name, which may hold spaces. */
        const char *p = strrchr(stat, ')');
        unsigned long long ut = 0, st = 0;
        if (p != NULL &&
            sscanf(p + 2,
                   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                   &st) == 2)
            u->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    }
    snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
    autofree char *io = NULL;
    vmb_autoerr struct vmb_error *e2 = NULL;
    if (vmb_read_file(path, &io, NULL, &e2) == 0) {
        const char *r = strstr(io, "read_bytes:");
        const char *w = strstr(io, "\nwrite_bytes:");
        if (r)
            u->rd_bytes = strtoull(r + 11, NULL, 10);
        if (w)
            u->wr_bytes = strtoull(w + 13, NULL, 10);
    }
}

/* The database processes (their reaped children too), the disk that holds
 * the data directories, and loopback, which carries both nodes' traffic. */
static void
bm_sample(struct vmb_runtime *rt, struct vmb_sample *s)
{
    struct bm *bm = rt->priv;
    if (bm == NULL)
        return;
    double sum = 0;
    bool any = false;
    for (int i = 0; i < 2; i++) {
        uint64_t us;
        if (bm->node[i].pid > 0 && !bm->node[i].remote &&
            vmb_cpu_read_process("/proc", bm->node[i].pid, &us) == 0) {
            sum += (double)us;
            any = true;
        }
    }
    s->v[VMB_CPU_DB] = sum;
    s->have[VMB_CPU_DB] = any;
    vmb_sample_host_disk("/proc", rt->work_dir, true, s);
    vmb_sample_host_net("/proc", "lo", s);
}

static void
bm_memory(struct vmb_runtime *rt, struct vmb_mem_node out[2])
{
    struct bm *bm = rt->priv;
    for (int i = 0; i < 2; i++) {
        vmb_mem_node_init(&out[i]);
        if (bm != NULL && bm->node[i].pid > 0 && !bm->node[i].remote)
            vmb_mem_read_process("/proc", bm->node[i].pid, &out[i].rss,
                                 &out[i].pss);
    }
}

static int
bm_probe(struct vmb_runtime *rt, const struct vmb_rawprobe_opts *o,
         struct vmb_rawprobe_result *r, struct vmb_error **err)
{
    char why[600];
    if (vmb_rawprobe_run(rt->nodes[0].data_dir, o, r, why, sizeof(why)) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, errno, "probe: %s", why);
    return 0;
}

/*
 * Node 2 reaches node 1 over loopback, as the load generator does. A
 * node 2 on another host reaches node 1 across the network between the
 * hosts: timed from here to node 2's port, the same path the other way.
 */
static int
bm_rtt(struct vmb_runtime *rt, double *us, struct vmb_error **err)
{
    struct bm *bm = rt->priv;
    int k = bm != NULL && bm->node[1].remote ? 1 : 0;
    if (vmb_sample_connect_rtt(rt->nodes[k].host, rt->nodes[k].port, 5, us) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "no connect to node %d at %s:%d succeeded", k + 1,
                             rt->nodes[k].host, rt->nodes[k].port);
    return 0;
}

static void
bm_window_begin(struct vmb_runtime *rt)
{
    struct bm *bm = rt->priv;
    for (int i = 0; bm && i < 2; i++) {
        if (bm->node[i].remote)
            continue; /* its process is not on this host */
        usage_of(bm->node[i].pid, &bm->node[i].begin);
        bm->node[i].window = bm->node[i].pid > 0;
    }
}

static void
bm_window_end(struct vmb_runtime *rt)
{
    struct bm *bm = rt->priv;
    for (int i = 0; bm && i < 2; i++)
        if (!bm->node[i].remote)
            usage_of(bm->node[i].pid, &bm->node[i].end);
}

static void
bm_record(struct vmb_runtime *rt, struct vmb_runtime_record *out)
{
    struct bm *bm = rt->priv;
    *out = (struct vmb_runtime_record){.has_control = true};
    if (bm == NULL)
        return;
    out->measured = out->placed = true;
    out->nnodes = bm->nnodes;
    for (int i = 0; i < bm->nnodes; i++) {
        const struct bm_node *n = &bm->node[i];
        out->window[i] = (struct vmb_rt_window){
            .kind = n->window ? VMB_RT_WINDOW_PROCESS : VMB_RT_WINDOW_NULL,
            .process_cpu_s = n->end.cpu_s - n->begin.cpu_s,
            .block_rd_bytes = n->end.rd_bytes - n->begin.rd_bytes,
            .block_wr_bytes = n->end.wr_bytes - n->begin.wr_bytes,
        };
        out->nodes[i] = (struct vmb_rt_control_node){
            .cpus = bm->pinned ? n->cpus : "all",
            .affinity = bm->pinned,
            .cpuset_cgroup = n->cg.cpuset_dir,
            .memory_cgroup = n->remote ? n->rcg : n->cg.memory_dir,
            .memory_max_bytes = n->remote ? n->rmem : n->cg.memory_max_bytes,
            .notes = n->cg.notes,
            .host = n->remote ? bm->rem.shown : "",
            .hostname = n->remote ? bm->rf.hostname : NULL,
            .kernel = n->remote ? bm->rf.kernel : NULL,
        };
    }
    out->cpus = out->nodes[0].cpus;
    out->memory_max_bytes = out->nodes[0].memory_max_bytes;
    out->cgroup = vmb_cgroup_kind(&bm->node[0].cg);
    out->match_resources = bm->pinned;
}

static int
copy_file(const char *from, const char *to, struct vmb_error **err)
{
    autofree char *data = NULL;
    size_t len = 0;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(from, &data, &len, &e) < 0)
        return 0; /* not made: nothing to keep */
    return vmb_write_file_atomic(to, data, len, err);
}

static int
bm_collect(struct vmb_runtime *rt, const char *dir, struct vmb_error **err)
{
    struct bm *bm = rt->priv;
    for (int i = 1; i <= 2; i++) {
        const struct vmb_db_driver *drv = bm ? bm->node[i - 1].drv : NULL;
        const char *conf_name = drv ? drv->conf_name : "db.conf";
        autofree char *log = vmb_xasprintf("%s/node%d/db.log", rt->work_dir, i);
        autofree char *init =
            vmb_xasprintf("%s/node%d/init.log", rt->work_dir, i);
        autofree char *conf =
            vmb_xasprintf("%s/node%d/%s", rt->work_dir, i, conf_name);
        autofree char *log_to = vmb_xasprintf("%s/node%d.db.log", dir, i);
        autofree char *init_to = vmb_xasprintf("%s/node%d.init.log", dir, i);
        autofree char *conf_to =
            vmb_xasprintf("%s/node%d.%s", dir, i, conf_name);
        if (copy_file(log, log_to, err) < 0 ||
            copy_file(init, init_to, err) < 0 ||
            copy_file(conf, conf_to, err) < 0)
            return vmb_error_prefix(err, "keep the logs of node %d", i);
    }
    return 0;
}

/*
 * A remote node stops when its ssh's standard input ends (remote.h): the
 * server gets the driver's signal there, SIGKILL after its grace; ssh is
 * killed here when even that and a connect deadline more pass.
 */
static void
stop_remote(struct bm_node *n, uint64_t connect_us)
{
    if (n->in_fd >= 0)
        close(n->in_fd);
    n->in_fd = -1;
    if (n->pid <= 0)
        return;
    int grace = n->drv ? n->drv->stop_grace_s : 10;
    uint64_t us = (uint64_t)(grace + 5) * 1000000ull + connect_us;
    vmb_proc_wait_or_kill(n->pid, us, &n->status);
    n->pid = -1;
}

static void
stop_node(struct bm_node *n)
{
    if (n->pid <= 0)
        return;
    /*
     * The driver's clean stop, asked again each second (Redis ignores a
     * SIGTERM that arrives while it writes its first AOF), KILL to the
     * whole group (PostgreSQL's backends too) after its grace period.
     */
    int sig = n->drv ? n->drv->stop_signal : SIGTERM;
    int grace = n->drv ? n->drv->stop_grace_s : 10;
    for (int i = 0; i < grace * 20; i++) {
        if (i % 20 == 0)
            kill(n->pid, sig);
        if (waitpid(n->pid, &n->status, WNOHANG) == n->pid) {
            n->pid = -1;
            return;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(-n->pid, SIGKILL);
    waitpid(n->pid, &n->status, 0);
    n->pid = -1;
}

static void
bm_stop_db(struct vmb_runtime *rt)
{
    struct bm *bm = rt->priv;
    if (bm == NULL)
        return;
    /* Replica first, so it does not log a lost link to a dying primary. */
    for (int i = 1; i >= 0; i--)
        if (bm->node[i].remote)
            stop_remote(&bm->node[i], rt->cfg->hosts.connect_timeout_us);
        else
            stop_node(&bm->node[i]);
}

static void
bm_down(struct vmb_runtime *rt)
{
    struct bm *bm = rt->priv;
    if (bm == NULL)
        return;
    bm_stop_db(rt);
    for (int i = 0; i < 2; i++)
        vmb_cgroup_remove(&bm->node[i].cg);
    /* A started server's shell removes its directory as it ends; this
     * removes one never started, or one a killed shell left. */
    struct bm_node *n2 = &bm->node[1];
    if (n2->rdir != NULL)
        vmb_remote_node_remove(&bm->rem, n2->rdir);
    free(n2->rdir);
    n2->rdir = NULL;
}

static void
bm_free(struct vmb_runtime *rt)
{
    struct bm *bm = rt->priv;
    if (bm == NULL)
        return;
    for (int i = 0; i < 2; i++) {
        free(bm->node[i].cpus);
        free(bm->node[i].rcg);
        vmb_cgroup_destroy(&bm->node[i].cg);
    }
    free(bm);
    rt->priv = NULL;
}

const struct vmb_runtime_ops vmb_runtime_baremetal = {
    .shared_io = true,
    .name = "baremetal",
    .up = bm_up,
    .start_db = bm_start_db,
    .alive = bm_alive,
    .db_log = bm_db_log,
    .sample = bm_sample,
    .probe = bm_probe,
    .rtt = bm_rtt,
    .run_fio = bm_run_fio,
    .memory = bm_memory,
    .window_begin = bm_window_begin,
    .window_end = bm_window_end,
    .record = bm_record,
    .stop_db = bm_stop_db,
    .collect = bm_collect,
    .down = bm_down,
    .free_priv = bm_free,
};
