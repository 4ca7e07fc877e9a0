/*
 * vmb-agent: PID 1 of a vmbench container VM.
 *
 * Boots the guest (modules, network, mounts as the kernel command line
 * says), then answers the host over the virtio-serial agent channel. The
 * contract with the host (command line keys, devices, the protocol) is
 * written once, in harness/agent.h. Built static; depends on libc only.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm/agent_wire.h"

#define ROOT "/container"
#define DATA ROOT "/data"
#define MODULES_LIST "/etc/vmb-modules"
#define CHANNEL "org.vmbench.agent.0"
#define HELLO_EVERY_US 200000
#define DEVICE_WAIT_US 10000000
#define EXEC_MAX_OUT (64 * 1024)
#define FETCH_MAX (1024 * 1024)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct proc {
    pid_t pid;
    int state; /* 0 running, 1 exited, 2 signaled */
    int code;
};

static struct {
    /* from the kernel command line */
    char name[64];
    char ip[40];
    char storage[16];
    uint64_t msize;
    uint64_t tmpfs_size;
    char fs_cache[16];
    /* boot */
    uint64_t t_start, t_modules, t_net, t_mounts;
    char boot_error[512];
    /* runtime */
    int port;
    int sigfd;
    struct proc *procs;
    size_t nprocs, cap_procs;
} g = {.msize = 512 * 1024};

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    /* The console is the serial log the host keeps; best effort. */
    if (write(2, "vmb-agent: ", 11) < 0 || write(2, buf, (size_t)n) < 0)
        return;
}

/* The first failure while booting is what the hello reports. */
static void __attribute__((format(printf, 1, 2)))
boot_fail(const char *fmt, ...)
{
    char buf[sizeof(g.boot_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    say("%s", buf);
    if (!g.boot_error[0])
        snprintf(g.boot_error, sizeof(g.boot_error), "%s", buf);
}

static uint64_t
boot_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
sleep_us(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u),
                          .tv_nsec = (long)(us % 1000000u) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static ssize_t
read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    errno = e;
    if (n < 0)
        return -1;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return n;
}

/* ---- boot ---- */

static void
parse_cmdline(void)
{
    char buf[4096];
    if (read_small("/proc/cmdline", buf, sizeof(buf)) < 0) {
        boot_fail("read /proc/cmdline: %s", strerror(errno));
        return;
    }
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (strncmp(w, "vmb.name=", 9) == 0)
            snprintf(g.name, sizeof(g.name), "%s", w + 9);
        else if (strncmp(w, "vmb.ip=", 7) == 0)
            snprintf(g.ip, sizeof(g.ip), "%s", w + 7);
        else if (strncmp(w, "vmb.storage=", 12) == 0)
            snprintf(g.storage, sizeof(g.storage), "%s", w + 12);
        else if (strncmp(w, "vmb.msize=", 10) == 0)
            g.msize = strtoull(w + 10, NULL, 10);
        else if (strncmp(w, "vmb.tmpfs_size=", 15) == 0)
            g.tmpfs_size = strtoull(w + 15, NULL, 10);
        else if (strncmp(w, "vmb.fs_cache=", 13) == 0)
            snprintf(g.fs_cache, sizeof(g.fs_cache), "%s", w + 13);
    }
    const char *known[] = {"", "9p", "virtio-fs", "virtio-blk", "local",
                           "tmpfs"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(g.storage, known[i]) == 0)
            return;
    boot_fail("unknown storage \"%s\" on the kernel command line", g.storage);
}

static void
mount_or_fail(const char *src, const char *dst, const char *type,
              unsigned long flags, const char *opts)
{
    mkdir(dst, 0755);
    if (mount(src, dst, type, flags, opts) < 0)
        boot_fail("mount %s \"%s\" on \"%s\": %s", type, src, dst,
                  strerror(errno));
}

/*
 * MODULES_LIST lines are "GROUP req|opt PATH" in load order (dependencies
 * first), written by the host's initramfs builder. "base" is always
 * loaded, the group named like the storage only for that storage; "opt"
 * lines are soft dependencies that may fail (crc32c-intel on a CPU
 * without SSE4.2).
 */
static void
load_modules(void)
{
    FILE *f = fopen(MODULES_LIST, "re");
    if (!f)
        return; /* a kernel with everything built in */
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char group[32], kind[8], path[400];
        if (sscanf(line, "%31s %7s %399s", group, kind, path) != 3)
            continue;
        if (strcmp(group, "base") != 0 && strcmp(group, g.storage) != 0)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            boot_fail("open module \"%s\": %s", path, strerror(errno));
            continue;
        }
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST &&
            strcmp(kind, "opt") != 0)
            boot_fail("load module \"%s\": %s", path, strerror(errno));
        close(fd);
    }
    fclose(f);
}

/* Polls until check() succeeds or DEVICE_WAIT_US passed. */
static bool
wait_for(bool (*check)(const char *arg, char *out, size_t len),
         const char *arg, char *out, size_t len)
{
    uint64_t deadline = mono_us() + DEVICE_WAIT_US;
    for (;;) {
        if (check(arg, out, len))
            return true;
        if (mono_us() > deadline)
            return false;
        sleep_us(2000);
    }
}

/* Finds the /dev/vdX whose virtio serial is `serial`. */
static bool
find_disk(const char *serial, char *out, size_t len)
{
    DIR *d = opendir("/sys/block");
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (strncmp(e->d_name, "vd", 2) != 0)
            continue;
        char p[300], s[128];
        snprintf(p, sizeof(p), "/sys/block/%s/serial", e->d_name);
        if (read_small(p, s, sizeof(s)) >= 0 && strcmp(s, serial) == 0) {
            snprintf(out, len, "/dev/%s", e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

static bool
find_port(const char *name, char *out, size_t len)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[300], s[128];
        snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_small(p, s, sizeof(s)) >= 0 && strcmp(s, name) == 0) {
            snprintf(out, len, "/dev/%s", e->d_name);
            found = access(out, R_OK | W_OK) == 0;
        }
    }
    closedir(d);
    return found;
}

static bool
netdev_exists(const char *name, char *out, size_t len)
{
    char p[128];
    snprintf(p, sizeof(p), "/sys/class/net/%s", name);
    return access(p, F_OK) == 0;
}

static int
if_up(int s, const char *dev, const char *addr, int prefix)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    if (addr) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
        sin->sin_family = AF_INET;
        if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
            errno = EINVAL;
            return -1;
        }
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
            return -1;
        sin->sin_addr.s_addr =
            htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
        if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            return -1;
    }
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static void
setup_network(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        boot_fail("socket: %s", strerror(errno));
        return;
    }
    if (if_up(s, "lo", NULL, 0) < 0)
        boot_fail("bring up \"lo\": %s", strerror(errno));
    if (g.ip[0]) {
        char addr[40];
        snprintf(addr, sizeof(addr), "%s", g.ip);
        char *slash = strchr(addr, '/');
        int prefix = 24;
        if (slash) {
            *slash = '\0';
            prefix = atoi(slash + 1);
        }
        if (prefix < 0 || prefix > 32)
            boot_fail("bad prefix in vmb.ip \"%s\"", g.ip);
        else if (!wait_for(netdev_exists, "eth0", NULL, 0))
            boot_fail("no network device \"eth0\" for vmb.ip \"%s\"", g.ip);
        else if (if_up(s, "eth0", addr, prefix) < 0)
            boot_fail("set \"%s\" on \"eth0\": %s", g.ip, strerror(errno));
    }
    close(s);
}

static void
setup_mounts(void)
{
    if (!g.storage[0]) {
        mkdir(DATA, 0755);
        return;
    }
    char dev[64];
    if (!wait_for(find_disk, "vmbroot", dev, sizeof(dev))) {
        boot_fail("no disk with serial \"vmbroot\" (the container root)");
        return;
    }
    if (mount(dev, ROOT, "ext4", 0, "") < 0) {
        boot_fail("mount container root \"%s\": %s", dev, strerror(errno));
        return;
    }
    mkdir(DATA, 0755);
    if (strcmp(g.storage, "9p") == 0) {
        char opts[160];
        snprintf(opts, sizeof(opts),
                 "trans=virtio,version=9p2000.L,msize=%" PRIu64 ",cache=%s",
                 g.msize, g.fs_cache[0] ? g.fs_cache : "none");
        mount_or_fail("vmbdata", DATA, "9p", 0, opts);
    } else if (strcmp(g.storage, "virtio-fs") == 0) {
        mount_or_fail("vmbdata", DATA, "virtiofs", 0, "");
    } else if (strcmp(g.storage, "virtio-blk") == 0) {
        char ddev[64];
        if (!wait_for(find_disk, "vmbdata", ddev, sizeof(ddev)))
            boot_fail("no disk with serial \"vmbdata\" (the data volume)");
        else
            mount_or_fail(ddev, DATA, "ext4", 0, "");
    } else if (strcmp(g.storage, "tmpfs") == 0) {
        char opts[64] = "mode=0755";
        if (g.tmpfs_size)
            snprintf(opts, sizeof(opts), "mode=0755,size=%" PRIu64,
                     g.tmpfs_size);
        mount_or_fail("tmpfs", DATA, "tmpfs", 0, opts);
    }
    mount_or_fail("proc", ROOT "/proc", "proc", 0, "");
    mount_or_fail("sysfs", ROOT "/sys", "sysfs", 0, "");
    mount_or_fail("devtmpfs", ROOT "/dev", "devtmpfs", 0, "");
    mkdir(ROOT "/tmp", 01777);
}

/* ---- processes ---- */

static struct proc *
proc_find(pid_t pid)
{
    for (size_t i = 0; i < g.nprocs; i++)
        if (g.procs[i].pid == pid)
            return &g.procs[i];
    return NULL;
}

static void
proc_add(pid_t pid)
{
    if (g.nprocs == g.cap_procs) {
        g.cap_procs = g.cap_procs ? g.cap_procs * 2 : 16;
        g.procs = realloc(g.procs, g.cap_procs * sizeof(*g.procs));
        if (!g.procs)
            abort();
    }
    g.procs[g.nprocs++] = (struct proc){.pid = pid};
}

/* As PID 1 we inherit every orphan: reap them all, keep ours' status. */
static void
reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        struct proc *p = proc_find(pid);
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
    const char *path = DEFAULT_PATH;
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
 * Forks a process chrooted in the container. out_fd: where stdout and
 * stderr go (-1: log_path, or /dev/null). Exec failures come back through
 * a close-on-exec pipe so the request can say what went wrong.
 */
static pid_t
start_process(const struct vmb_wire_msg *m, int out_fd, char *why,
              size_t why_len)
{
    const char **argv = vmb_wire_get_all(m, "argv");
    const char **env = vmb_wire_get_all(m, "env");
    const char *cwd = vmb_wire_get(m, "cwd");
    const char *log = vmb_wire_get(m, "log");
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
        envp[nenv] = "PATH=" DEFAULT_PATH;

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
        if (chroot(ROOT) < 0)
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

/* ---- responses ---- */

static void
send_all(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(g.port, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = g.port, .events = POLLOUT};
            if (poll(&p, 1, 5000) <= 0 || (p.revents & POLLHUP))
                return; /* the host went away; it will ask again */
            continue;
        }
        return;
    }
}

static void
send_line(struct vmb_wire_line *l)
{
    vmb_wire_line_end(l);
    send_all(l->data, l->len);
    vmb_wire_line_free(l);
}

static void
reply_begin(struct vmb_wire_line *l, const char *id)
{
    vmb_wire_line_begin(l, "ok");
    vmb_wire_adds(l, "id", id);
}

static void __attribute__((format(printf, 2, 3)))
reply_err(const char *id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, "err");
    vmb_wire_adds(&l, "id", id);
    vmb_wire_adds(&l, "msg", msg);
    send_line(&l);
}

static void
send_hello(void)
{
    struct utsname u;
    uname(&u);
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, "hello");
    vmb_wire_adds(&l, "v", "1");
    vmb_wire_adds(&l, "name", g.name);
    vmb_wire_adds(&l, "kernel", u.release);
    vmb_wire_addu(&l, "agent_start_us", g.t_start);
    vmb_wire_addu(&l, "modules_loaded_us", g.t_modules);
    vmb_wire_addu(&l, "net_up_us", g.t_net);
    vmb_wire_addu(&l, "mounts_done_us", g.t_mounts);
    if (g.boot_error[0])
        vmb_wire_adds(&l, "boot_error", g.boot_error);
    send_line(&l);
}

/* Container path -> agent path; NULL when not absolute. */
static bool
container_path(const char *p, char *out, size_t len)
{
    if (!p || p[0] != '/' || strstr(p, "/../"))
        return false;
    snprintf(out, len, "%s%s", ROOT, p);
    return true;
}

/* ---- requests ---- */

static void
req_facts(const char *id)
{
    struct vmb_wire_line l;
    struct utsname u;
    uname(&u);
    char mem[64] = "0";
    FILE *f = fopen("/proc/meminfo", "re");
    if (f) {
        char line[128];
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "MemTotal: %63s", mem) == 1)
                break;
        fclose(f);
    }
    /* The mount holding the data directory: longest, last mount point. */
    char src[256] = "", type[64] = "", devno[32] = "";
    size_t best = 0;
    f = fopen("/proc/self/mountinfo", "re");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
            char mp[512], dn[32], ty[64], sr[256];
            char *dash = strstr(line, " - ");
            if (!dash ||
                sscanf(line, "%*s %*s %31s %*s %511s", dn, mp) != 2 ||
                sscanf(dash + 3, "%63s %255s", ty, sr) != 2)
                continue;
            size_t n = strlen(mp);
            bool under = strcmp(mp, "/") == 0 ||
                         (strncmp(DATA, mp, n) == 0 &&
                          (DATA[n] == '/' || DATA[n] == '\0'));
            if (under && n >= best) {
                best = n;
                snprintf(src, sizeof(src), "%s", sr);
                snprintf(type, sizeof(type), "%s", ty);
                snprintf(devno, sizeof(devno), "%s", dn);
            }
        }
        fclose(f);
    }
    struct stat st;
    uint64_t st_dev = stat(DATA, &st) == 0 ? (uint64_t)st.st_dev : 0;

    reply_begin(&l, id);
    vmb_wire_addi(&l, "nproc", sysconf(_SC_NPROCESSORS_ONLN));
    vmb_wire_adds(&l, "mem_total_kib", mem);
    vmb_wire_adds(&l, "kernel", u.release);
    vmb_wire_adds(&l, "ip", g.ip);
    vmb_wire_adds(&l, "name", g.name);
    vmb_wire_adds(&l, "storage", g.storage);
    vmb_wire_adds(&l, "data_dir", "/data");
    vmb_wire_adds(&l, "data_source", src);
    vmb_wire_adds(&l, "data_fstype", type);
    vmb_wire_adds(&l, "data_device", devno);
    vmb_wire_addu(&l, "data_st_dev", st_dev);
    send_line(&l);
}

static void
req_spawn(const char *id, const struct vmb_wire_msg *m)
{
    char why[300] = "";
    pid_t pid = start_process(m, -1, why, sizeof(why));
    if (pid < 0) {
        reply_err(id, "%s", why);
        return;
    }
    proc_add(pid);
    struct vmb_wire_line l;
    reply_begin(&l, id);
    vmb_wire_addi(&l, "pid", pid);
    send_line(&l);
}

static void
req_status(const char *id, const struct vmb_wire_msg *m)
{
    int64_t pid;
    if (vmb_wire_get_i64(m, "pid", &pid) < 0) {
        reply_err(id, "status needs pid");
        return;
    }
    reap();
    struct proc *p = proc_find((pid_t)pid);
    if (!p) {
        reply_err(id, "no process %" PRId64 " was spawned", pid);
        return;
    }
    static const char *const names[] = {"running", "exited", "signaled"};
    struct vmb_wire_line l;
    reply_begin(&l, id);
    vmb_wire_addi(&l, "pid", pid);
    vmb_wire_adds(&l, "state", names[p->state]);
    if (p->state)
        vmb_wire_addi(&l, "code", p->code);
    send_line(&l);
}

static void
req_kill(const char *id, const struct vmb_wire_msg *m)
{
    int64_t pid, sig = SIGTERM;
    if (vmb_wire_get_i64(m, "pid", &pid) < 0 || pid <= 1) {
        reply_err(id, "kill needs a pid");
        return;
    }
    vmb_wire_get_i64(m, "signal", &sig);
    struct proc *p = proc_find((pid_t)pid);
    if (!p) {
        reply_err(id, "no process %" PRId64 " was spawned", pid);
        return;
    }
    if (p->state == 0 && kill((pid_t)pid, (int)sig) < 0 && errno != ESRCH) {
        reply_err(id, "kill %" PRId64 ": %s", pid, strerror(errno));
        return;
    }
    struct vmb_wire_line l;
    reply_begin(&l, id);
    send_line(&l);
}

static void
req_exec(const char *id, const struct vmb_wire_msg *m)
{
    int64_t timeout_ms = 10000;
    vmb_wire_get_i64(m, "timeout_ms", &timeout_ms);
    int op[2];
    if (pipe2(op, O_CLOEXEC) < 0) {
        reply_err(id, "pipe: %s", strerror(errno));
        return;
    }
    char why[300] = "";
    pid_t pid = start_process(m, op[1], why, sizeof(why));
    close(op[1]);
    if (pid < 0) {
        close(op[0]);
        reply_err(id, "%s", why);
        return;
    }
    uint64_t deadline = mono_us() + (uint64_t)timeout_ms * 1000u;
    char *out = malloc(EXEC_MAX_OUT);
    if (!out)
        abort();
    size_t len = 0;
    bool truncated = false, eof = false, timed_out = false;
    int st = 0;
    for (;;) {
        uint64_t now = mono_us();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        if (!eof) {
            struct pollfd p = {.fd = op[0], .events = POLLIN};
            int r = poll(&p, 1, (int)((deadline - now) / 1000u) + 1);
            if (r > 0) {
                char buf[8192];
                ssize_t n = read(op[0], buf, sizeof(buf));
                if (n <= 0) {
                    eof = n == 0 || errno != EINTR;
                    continue;
                }
                size_t take = (size_t)n;
                if (len + take > EXEC_MAX_OUT) {
                    take = EXEC_MAX_OUT - len;
                    truncated = true;
                }
                memcpy(out + len, buf, take);
                len += take;
            }
            continue;
        }
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        sleep_us(2000);
    }
    close(op[0]);
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    struct vmb_wire_line l;
    reply_begin(&l, id);
    if (timed_out) {
        vmb_wire_adds(&l, "state", "timeout");
        vmb_wire_addi(&l, "code", -1);
    } else if (WIFSIGNALED(st)) {
        vmb_wire_adds(&l, "state", "signaled");
        vmb_wire_addi(&l, "code", WTERMSIG(st));
    } else {
        vmb_wire_adds(&l, "state", "exited");
        vmb_wire_addi(&l, "code", WEXITSTATUS(st));
    }
    vmb_wire_add(&l, "out", out, len);
    vmb_wire_addi(&l, "truncated", truncated);
    free(out);
    send_line(&l);
}

static void
req_fetch(const char *id, const struct vmb_wire_msg *m)
{
    char path[PATH_MAX];
    const char *p = vmb_wire_get(m, "path");
    if (!container_path(p, path, sizeof(path))) {
        reply_err(id, "fetch needs an absolute path");
        return;
    }
    uint64_t max = FETCH_MAX;
    vmb_wire_get_u64(m, "max", &max);
    if (max > FETCH_MAX)
        max = FETCH_MAX;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        reply_err(id, "open \"%s\": %s", p, strerror(errno));
        return;
    }
    char *buf = malloc(max + 1);
    if (!buf)
        abort();
    size_t len = 0;
    bool more = false;
    for (;;) {
        ssize_t n = read(fd, buf + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            reply_err(id, "read \"%s\": %s", p, strerror(errno));
            free(buf);
            close(fd);
            return;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            len = max;
            more = true;
            break;
        }
    }
    struct stat st;
    uint64_t size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                        ? (uint64_t)st.st_size
                        : len;
    close(fd);
    struct vmb_wire_line l;
    reply_begin(&l, id);
    vmb_wire_addu(&l, "size", size);
    vmb_wire_add(&l, "data", buf, len);
    vmb_wire_addi(&l, "truncated", more);
    free(buf);
    send_line(&l);
}

static void
req_write(const char *id, const struct vmb_wire_msg *m)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    const char *p = vmb_wire_get(m, "path");
    size_t len = 0;
    const char *data = vmb_wire_get_len(m, "data", &len);
    if (!container_path(p, path, sizeof(path)) || !data) {
        reply_err(id, "write needs an absolute path and data");
        return;
    }
    unsigned mode = 0644;
    const char *ms = vmb_wire_get(m, "mode");
    if (ms)
        mode = (unsigned)strtoul(ms, NULL, 8) & 07777;
    snprintf(tmp, sizeof(tmp), "%s.vmb-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        reply_err(id, "create \"%s\": %s", p, strerror(errno));
        return;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            reply_err(id, "write \"%s\": %s", p, strerror(errno));
            close(fd);
            unlink(tmp);
            return;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
        rename(tmp, path) < 0) {
        reply_err(id, "write \"%s\": %s", p, strerror(errno));
        unlink(tmp);
        return;
    }
    struct vmb_wire_line l;
    reply_begin(&l, id);
    send_line(&l);
}

static void
req_tcpcheck(const char *id, const struct vmb_wire_msg *m)
{
    const char *host = vmb_wire_get(m, "host");
    int64_t port = 0, timeout_ms = 2000;
    vmb_wire_get_i64(m, "port", &port);
    vmb_wire_get_i64(m, "timeout_ms", &timeout_ms);
    size_t send_len = 0;
    const char *payload = vmb_wire_get_len(m, "send", &send_len);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    if (!host || inet_pton(AF_INET, host, &sa.sin_addr) != 1 || port <= 0 ||
        port > 65535) {
        reply_err(id, "tcpcheck needs an IPv4 host and a port");
        return;
    }
    uint64_t t0 = mono_us(), deadline = t0 + (uint64_t)timeout_ms * 1000u;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
        reply_err(id, "socket: %s", strerror(errno));
        return;
    }
    int e = 0;
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINPROGRESS) {
            e = errno;
        } else {
            struct pollfd p = {.fd = s, .events = POLLOUT};
            int r = poll(&p, 1, (int)timeout_ms);
            socklen_t sl = sizeof(e);
            if (r == 0)
                e = ETIMEDOUT;
            else if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
                e = errno;
        }
    }
    if (e) {
        close(s);
        reply_err(id, "connect to %s:%" PRId64 ": %s", host, port,
                  strerror(e));
        return;
    }
    uint64_t connect_us = mono_us() - t0;
    char reply[4096];
    size_t rlen = 0;
    if (payload && send_len) {
        size_t off = 0;
        while (off < send_len && mono_us() < deadline) {
            ssize_t n = write(s, payload + off, send_len - off);
            if (n > 0) {
                off += (size_t)n;
            } else if (n < 0 && errno == EAGAIN) {
                struct pollfd p = {.fd = s, .events = POLLOUT};
                poll(&p, 1, 10);
            } else {
                break;
            }
        }
        /* The first bytes that come back answer "is it the server?". */
        while (rlen == 0) {
            uint64_t now = mono_us();
            if (now >= deadline)
                break;
            struct pollfd p = {.fd = s, .events = POLLIN};
            if (poll(&p, 1, (int)((deadline - now) / 1000u) + 1) <= 0)
                break;
            ssize_t n = read(s, reply, sizeof(reply));
            if (n <= 0)
                break;
            rlen = (size_t)n;
        }
    }
    close(s);
    struct vmb_wire_line l;
    reply_begin(&l, id);
    vmb_wire_addu(&l, "connect_us", connect_us);
    if (payload)
        vmb_wire_add(&l, "reply", reply, rlen);
    send_line(&l);
}

static void
power_off(void)
{
    /* Everything but us: TERM, a grace period, then KILL. */
    kill(-1, SIGTERM);
    uint64_t deadline = mono_us() + 2000000u;
    while (mono_us() < deadline) {
        int st;
        pid_t r = waitpid(-1, &st, WNOHANG);
        if (r < 0 && errno == ECHILD)
            break;
        if (r == 0)
            sleep_us(10000);
    }
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    sync();
    const char *mounts[] = {DATA, ROOT "/dev", ROOT "/sys", ROOT "/proc",
                            ROOT};
    for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++)
        if (umount(mounts[i]) < 0 && errno == EBUSY)
            mount(NULL, mounts[i], NULL, MS_REMOUNT | MS_RDONLY, NULL);
    sync();
    say("powering off");
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

/* Returns true when the request asks to power off (after the reply). */
static bool
handle(const char *line, size_t len)
{
    struct vmb_wire_msg m;
    if (vmb_wire_parse(line, len, &m) < 0)
        return false; /* a torn line from a host that reconnected */
    const char *id = vmb_wire_get(&m, "id");
    if (!id)
        id = "0";
    bool off = false;
    if (strcmp(m.verb, "hello") == 0)
        send_hello();
    else if (strcmp(m.verb, "facts") == 0)
        req_facts(id);
    else if (strcmp(m.verb, "spawn") == 0)
        req_spawn(id, &m);
    else if (strcmp(m.verb, "status") == 0)
        req_status(id, &m);
    else if (strcmp(m.verb, "kill") == 0)
        req_kill(id, &m);
    else if (strcmp(m.verb, "exec") == 0)
        req_exec(id, &m);
    else if (strcmp(m.verb, "fetch") == 0)
        req_fetch(id, &m);
    else if (strcmp(m.verb, "write") == 0)
        req_write(id, &m);
    else if (strcmp(m.verb, "tcpcheck") == 0)
        req_tcpcheck(id, &m);
    else if (strcmp(m.verb, "sync") == 0 || strcmp(m.verb, "shutdown") == 0) {
        sync();
        struct vmb_wire_line l;
        reply_begin(&l, id);
        send_line(&l);
        off = strcmp(m.verb, "shutdown") == 0;
    } else
        reply_err(id, "unknown request \"%s\"", m.verb);
    vmb_wire_msg_free(&m);
    return off;
}

/*
 * The host side may connect late, leave and come back: while it is away
 * the port reports POLLHUP at once, so we sleep instead of polling it.
 * Each time it (re)connects we greet it until it speaks. A quick
 * hang-up and reconnect can go unseen here, which is why the host also
 * asks with a "hello" request.
 */
static void
serve(void)
{
    char *in = NULL;
    size_t in_len = 0, in_cap = 0;
    bool host_up = false, need_hello = true;
    uint64_t next_hello = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = g.port, .events = POLLIN},
                              {.fd = g.sigfd, .events = POLLIN}};
        int timeout = -1;
        if (host_up && need_hello) {
            uint64_t now = mono_us();
            timeout = next_hello > now ? (int)((next_hello - now) / 1000u) + 1
                                       : 0;
        }
        if (!host_up) {
            poll(&p[1], 1, 10);
            if (p[1].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (read(g.sigfd, &si, sizeof(si)) > 0)
                    ;
                reap();
            }
            /* Writable without a hang-up: the host is there. */
            p[0].events = POLLIN | POLLOUT;
            p[0].revents = 0;
            poll(&p[0], 1, 0);
        } else {
            poll(p, 2, timeout);
            if (p[1].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (read(g.sigfd, &si, sizeof(si)) > 0)
                    ;
                reap();
            }
        }
        if (p[0].revents & POLLHUP) {
            host_up = false;
            in_len = 0;
            continue;
        }
        if (!host_up && (p[0].revents & (POLLIN | POLLOUT))) {
            host_up = true;
            need_hello = true;
            next_hello = 0;
        }
        if (p[0].revents & POLLIN) {
            if (in_cap - in_len < 65536) {
                in_cap = in_cap ? in_cap * 2 : 131072;
                in = realloc(in, in_cap);
                if (!in)
                    abort();
            }
            ssize_t n = read(g.port, in + in_len, in_cap - in_len);
            if (n == 0) { /* the host hung up between poll and read */
                host_up = false;
                in_len = 0;
                continue;
            }
            if (n > 0) {
                in_len += (size_t)n;
                char *nl;
                while ((nl = memchr(in, '\n', in_len))) {
                    size_t ll = (size_t)(nl - in) + 1;
                    need_hello = false;
                    if (handle(in, ll))
                        power_off();
                    memmove(in, in + ll, in_len - ll);
                    in_len -= ll;
                }
            }
        }
        if (host_up && need_hello && mono_us() >= next_hello) {
            send_hello();
            next_hello = mono_us() + HELLO_EVERY_US;
        }
    }
}

int
main(void)
{
    g.t_start = boot_us();
    if (getpid() != 1) {
        fprintf(stderr, "vmb-agent: runs as PID 1 of a vmbench guest\n");
        return 2;
    }
    mount_or_fail("proc", "/proc", "proc", 0, "");
    mount_or_fail("sysfs", "/sys", "sysfs", 0, "");
    mount_or_fail("devtmpfs", "/dev", "devtmpfs", 0, "");
    parse_cmdline();

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    g.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    load_modules();
    g.t_modules = boot_us();
    setup_network();
    g.t_net = boot_us();
    setup_mounts();
    g.t_mounts = boot_us();

    char dev[64];
    if (!wait_for(find_port, CHANNEL, dev, sizeof(dev))) {
        say("no virtio-serial port named \"%s\"; powering off", CHANNEL);
        power_off();
    }
    g.port = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (g.port < 0) {
        say("open \"%s\": %s; powering off", dev, strerror(errno));
        power_off();
    }
    say("up in %" PRIu64 " ms%s%s", g.t_mounts / 1000,
        g.boot_error[0] ? ", with a boot error: " : "", g.boot_error);
    serve();
    return 0;
}
