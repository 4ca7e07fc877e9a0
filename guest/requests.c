/*
 * The requests of the host, one function each: facts, spawn, status,
 * kill, exec, fetch, write, tcpcheck. Each answers with one "ok" or "err"
 * line carrying the request's id.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

/* Container path -> agent path; NULL when not absolute. */
static bool
container_path(const char *p, char *out, size_t len)
{
    if (!p || p[0] != '/' || strstr(p, "/../"))
        return false;
    snprintf(out, len, "%s%s", VMB_GUEST_ROOT, p);
    return true;
}

/*
 * The RAM the firmware handed the kernel: the "System RAM" ranges of
 * /proc/iomem (top level only; the indented lines are the kernel's own
 * parts of them), in KiB. Unlike MemTotal it does not shrink with what
 * the kernel reserves for itself (memmap, the swiotlb bounce buffer).
 */
static uint64_t
system_ram_kib(void)
{
    FILE *f = fopen("/proc/iomem", "re");
    if (f == NULL)
        return 0;
    char line[160];
    uint64_t sum = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a, b;
        char name[64];
        if (line[0] == ' ' ||
            sscanf(line, "%llx-%llx : %63[^\n]", &a, &b, name) != 3 ||
            strcmp(name, "System RAM") != 0 || b < a)
            continue;
        sum += (uint64_t)(b - a + 1);
    }
    fclose(f);
    return sum / 1024;
}

void
vmb_guest_req_facts(const char *id)
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
    char src[256] = "", type[64] = "", devno[32] = "", opts[256] = "";
    /* And the container root's own mount (the last at its place). */
    char rsrc[256] = "", rtype[64] = "", ssrc[256] = "";
    size_t best = 0;
    f = fopen("/proc/self/mountinfo", "re");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
            char mp[512], dn[32], ty[64], sr[256], op[256] = "";
            char *dash = strstr(line, " - ");
            if (!dash || sscanf(line, "%*s %*s %31s %*s %511s", dn, mp) != 2 ||
                sscanf(dash + 3, "%63s %255s %255s", ty, sr, op) < 2)
                continue;
            if (strcmp(mp, VMB_GUEST_SHARE) == 0)
                snprintf(ssrc, sizeof(ssrc), "%s", sr);
            if (strcmp(mp, VMB_GUEST_ROOT) == 0) {
                snprintf(rsrc, sizeof(rsrc), "%s", sr);
                snprintf(rtype, sizeof(rtype), "%s", ty);
            }
            size_t n = strlen(mp);
            bool under =
                strcmp(mp, "/") == 0 ||
                (strncmp(VMB_GUEST_DATA, mp, n) == 0 &&
                 (VMB_GUEST_DATA[n] == '/' || VMB_GUEST_DATA[n] == '\0'));
            if (under && n >= best) {
                best = n;
                snprintf(src, sizeof(src), "%s", sr);
                snprintf(type, sizeof(type), "%s", ty);
                snprintf(devno, sizeof(devno), "%s", dn);
                snprintf(opts, sizeof(opts), "%s", op);
            }
        }
        fclose(f);
    }
    /* The container root's overlay is a submount of the share, which
     * virtio-fs announces as a mount of its own with no source ("none"):
     * it comes from the share's tag. */
    if (ssrc[0] && strcmp(rtype, "virtiofs") == 0 && strcmp(rsrc, "none") == 0)
        snprintf(rsrc, sizeof(rsrc), "%s", ssrc);
    if (ssrc[0] && strcmp(type, "virtiofs") == 0 && strcmp(src, "none") == 0)
        snprintf(src, sizeof(src), "%s", ssrc);
    struct stat st;
    uint64_t st_dev = stat(VMB_GUEST_DATA, &st) == 0 ? (uint64_t)st.st_dev : 0;
    /* The kernel's own view of its command line, kernel_params included. */
    char cmdline[1024] = "";
    if (vmb_guest_read_small("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
        cmdline[0] = '\0';

    /* Whether SCSI hosts scan at boot, as scsi_mod took it from the
     * command line ("" before scsi_mod is loaded). */
    char scsi_scan[32] = "";
    if (vmb_guest_read_small("/sys/module/scsi_mod/parameters/scan", scsi_scan,
                             sizeof(scsi_scan)) < 0)
        scsi_scan[0] = '\0';

    /* The machine as the firmware names it ("Standard PC (Q35 + ...)"). */
    char product[128] = "";
    if (vmb_guest_read_small("/sys/class/dmi/id/product_name", product,
                             sizeof(product)) < 0)
        product[0] = '\0';

    vmb_guest_reply_begin(&l, id);
    vmb_wire_addi(&l, "nproc", sysconf(_SC_NPROCESSORS_ONLN));
    vmb_wire_adds(&l, "mem_total_kib", mem);
    vmb_wire_addu(&l, "ram_kib", system_ram_kib());
    vmb_wire_adds(&l, "dmi_product", product);
    vmb_wire_adds(&l, "kernel", u.release);
    vmb_wire_adds(&l, "ip", vmb_guest.ip);
    vmb_wire_adds(&l, "name", vmb_guest.name);
    vmb_wire_adds(&l, "storage", vmb_guest.storage);
    vmb_wire_adds(&l, "data_dir", VMB_AGENT_DATA_DIR);
    vmb_wire_adds(&l, "data_source", src);
    vmb_wire_adds(&l, "data_fstype", type);
    vmb_wire_adds(&l, "data_device", devno);
    vmb_wire_addu(&l, "data_st_dev", st_dev);
    vmb_wire_adds(&l, "data_options", opts);
    vmb_wire_adds(&l, "root_source", rsrc);
    vmb_wire_adds(&l, "root_fstype", rtype);
    vmb_wire_adds(&l, "cmdline", cmdline);
    vmb_wire_adds(&l, "scsi_scan", scsi_scan);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_spawn(const char *id, const struct vmb_wire_msg *m)
{
    char why[300] = "";
    pid_t pid = vmb_guest_start_process(m, -1, why, sizeof(why));
    if (pid < 0) {
        vmb_guest_reply_err(id, "%s", why);
        return;
    }
    vmb_guest_proc_add(pid);
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addi(&l, "pid", pid);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_status(const char *id, const struct vmb_wire_msg *m)
{
    int64_t pid;
    if (vmb_wire_get_i64(m, "pid", &pid) < 0) {
        vmb_guest_reply_err(id, "status needs pid");
        return;
    }
    vmb_guest_reap();
    struct vmb_guest_proc *p = vmb_guest_proc_find((pid_t)pid);
    if (!p) {
        vmb_guest_reply_err(id, "no process %" PRId64 " was spawned", pid);
        return;
    }
    static const char *const names[] = {"running", "exited", "signaled"};
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addi(&l, "pid", pid);
    vmb_wire_adds(&l, "state", names[p->state]);
    if (p->state)
        vmb_wire_addi(&l, "code", p->code);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_kill(const char *id, const struct vmb_wire_msg *m)
{
    int64_t pid, sig = SIGTERM;
    if (vmb_wire_get_i64(m, "pid", &pid) < 0 || pid <= 1) {
        vmb_guest_reply_err(id, "kill needs a pid");
        return;
    }
    vmb_wire_get_i64(m, "signal", &sig);
    struct vmb_guest_proc *p = vmb_guest_proc_find((pid_t)pid);
    if (!p) {
        vmb_guest_reply_err(id, "no process %" PRId64 " was spawned", pid);
        return;
    }
    if (p->state == 0 && kill((pid_t)pid, (int)sig) < 0 && errno != ESRCH) {
        vmb_guest_reply_err(id, "kill %" PRId64 ": %s", pid, strerror(errno));
        return;
    }
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_exec(const char *id, const struct vmb_wire_msg *m)
{
    int64_t timeout_ms = 10000;
    vmb_wire_get_i64(m, "timeout_ms", &timeout_ms);
    int op[2];
    if (pipe2(op, O_CLOEXEC) < 0) {
        vmb_guest_reply_err(id, "pipe: %s", strerror(errno));
        return;
    }
    char why[300] = "";
    pid_t pid = vmb_guest_start_process(m, op[1], why, sizeof(why));
    close(op[1]);
    if (pid < 0) {
        close(op[0]);
        vmb_guest_reply_err(id, "%s", why);
        return;
    }
    uint64_t deadline = vmb_guest_mono_us() + (uint64_t)timeout_ms * 1000u;
    char *out = malloc(VMB_AGENT_EXEC_MAX_OUTPUT);
    if (!out)
        abort();
    size_t len = 0;
    bool truncated = false, eof = false, timed_out = false;
    int st = 0;
    for (;;) {
        uint64_t now = vmb_guest_mono_us();
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
                if (len + take > VMB_AGENT_EXEC_MAX_OUTPUT) {
                    take = VMB_AGENT_EXEC_MAX_OUTPUT - len;
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
        vmb_guest_sleep_us(2000);
    }
    close(op[0]);
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
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
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_fetch(const char *id, const struct vmb_wire_msg *m)
{
    char path[PATH_MAX];
    const char *p = vmb_wire_get(m, "path");
    if (!container_path(p, path, sizeof(path))) {
        vmb_guest_reply_err(id, "fetch needs an absolute path");
        return;
    }
    uint64_t max = VMB_AGENT_FETCH_MAX;
    vmb_wire_get_u64(m, "max", &max);
    if (max > VMB_AGENT_FETCH_MAX)
        max = VMB_AGENT_FETCH_MAX;
    uint64_t offset = 0;
    vmb_wire_get_u64(m, "offset", &offset);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vmb_guest_reply_err(id, "open \"%s\": %s", p, strerror(errno));
        return;
    }
    if (offset > INT64_MAX || lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        vmb_guest_reply_err(id, "seek \"%s\" to %" PRIu64 ": %s", p, offset,
                            strerror(errno));
        close(fd);
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
            vmb_guest_reply_err(id, "read \"%s\": %s", p, strerror(errno));
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
    uint64_t size =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : len;
    close(fd);
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addu(&l, "size", size);
    vmb_wire_addu(&l, "offset", offset);
    vmb_wire_add(&l, "data", buf, len);
    vmb_wire_addi(&l, "truncated", more);
    free(buf);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_write(const char *id, const struct vmb_wire_msg *m)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    const char *p = vmb_wire_get(m, "path");
    size_t len = 0;
    const char *data = vmb_wire_get_len(m, "data", &len);
    if (!container_path(p, path, sizeof(path)) || !data) {
        vmb_guest_reply_err(id, "write needs an absolute path and data");
        return;
    }
    unsigned mode = 0644;
    const char *ms = vmb_wire_get(m, "mode");
    if (ms)
        mode = (unsigned)strtoul(ms, NULL, 8) & 07777;
    snprintf(tmp, sizeof(tmp), "%s.vmb-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        vmb_guest_reply_err(id, "create \"%s\": %s", p, strerror(errno));
        return;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vmb_guest_reply_err(id, "write \"%s\": %s", p, strerror(errno));
            close(fd);
            unlink(tmp);
            return;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
        rename(tmp, path) < 0) {
        vmb_guest_reply_err(id, "write \"%s\": %s", p, strerror(errno));
        unlink(tmp);
        return;
    }
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_tcpcheck(const char *id, const struct vmb_wire_msg *m)
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
        vmb_guest_reply_err(id, "tcpcheck needs an IPv4 host and a port");
        return;
    }
    uint64_t t0 = vmb_guest_mono_us(),
             deadline = t0 + (uint64_t)timeout_ms * 1000u;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
        vmb_guest_reply_err(id, "socket: %s", strerror(errno));
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
        vmb_guest_reply_err(id, "connect to %s:%" PRId64 ": %s", host, port,
                            strerror(e));
        return;
    }
    uint64_t connect_us = vmb_guest_mono_us() - t0;
    char reply[4096];
    size_t rlen = 0;
    if (payload && send_len) {
        size_t off = 0;
        while (off < send_len && vmb_guest_mono_us() < deadline) {
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
            uint64_t now = vmb_guest_mono_us();
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
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addu(&l, "connect_us", connect_us);
    if (payload)
        vmb_wire_add(&l, "reply", reply, rlen);
    vmb_guest_send_line(&l);
}
