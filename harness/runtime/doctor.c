#include "runtime/doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/units.h"
#include "base/util.h"
#include "config/config.h"
#include "runtime/remote.h"
#include "vm/initramfs.h"
#include "vm/kernel.h"
#include "vm/virt.h"
#include "vm/vm.h"

static void add(struct vmb_doctor_report *r, const char *check, int status,
                const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
add(struct vmb_doctor_report *r, const char *check, int status, const char *fix,
    const char *fmt, ...)
{
    r->checks = vmb_xrealloc(r->checks, (r->n + 1) * sizeof(*r->checks));
    struct vmb_doctor_check *c = &r->checks[r->n++];
    c->check = check;
    c->status = status;
    va_list ap;
    va_start(ap, fmt);
    c->detail = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    c->fix = status == VMB_DOCTOR_OK || fix == NULL ? NULL : vmb_xstrdup(fix);
}

static void
check_libvirt_and_kvm(struct vmb_doctor_report *r,
                      const struct vmb_doctor_opts *o)
{
    struct vmb_virt *v = NULL;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_virt_open(o->connect, &v, &err) < 0) {
        add(r, "libvirt", VMB_DOCTOR_FAIL,
            "start it: `systemctl start libvirtd` (or `libvirtd -d`), or run "
            "vmbench inside scripts/sandbox.sh",
            "libvirtd is not reachable at \"%s\"", o->connect);
        add(r, "kvm", VMB_DOCTOR_WARN, "start libvirtd, then run doctor again",
            "not probed: libvirt is not reachable");
        return;
    }
    autofree char *lib = NULL, *qemu = NULL;
    if (vmb_virt_versions(v, &lib, &qemu, &err) < 0) {
        add(r, "libvirt", VMB_DOCTOR_WARN, "check libvirtd's log",
            "libvirtd reachable at \"%s\" but says no versions: %s",
            vmb_virt_uri(v), err->msg);
        vmb_error_freep(&err);
    } else {
        add(r, "libvirt", VMB_DOCTOR_OK, NULL,
            "libvirtd reachable at \"%s\", libvirt %s", vmb_virt_uri(v), lib);
        add(r, "qemu", VMB_DOCTOR_OK, NULL, "QEMU %s", qemu);
    }

    autofree char *kernel = NULL, *modules = NULL;
    if (!o->probe_kvm) {
        add(r, "kvm", VMB_DOCTOR_WARN, "run `vmbench doctor` to probe",
            "not probed");
    } else if (vmb_guest_kernel_find(o->kernel ? o->kernel : "auto", &kernel,
                                     &modules, &err) < 0) {
        add(r, "kvm", VMB_DOCTOR_WARN,
            "install a kernel: `apt-get install linux-image-amd64`, or set "
            "guest.kernel",
            "no guest kernel to probe KVM with: %s", err->msg);
        vmb_error_freep(&err);
    } else {
        char note[400];
        double probe_s = 0;
        int ok = vmb_accel_probe_kvm(v, o->emulator, o->machine, kernel,
                                     VMB_ACCEL_PROBE_TIMEOUT_US, note,
                                     sizeof(note), &probe_s, &err);
        if (ok < 0) {
            add(r, "kvm", VMB_DOCTOR_WARN, "check libvirtd's log",
                "the KVM probe could not run: %s", err->msg);
        } else if (ok) {
            r->kvm_ok = true;
            add(r, "kvm", VMB_DOCTOR_OK, NULL, "%s", note);
        } else {
            add(r, "kvm", VMB_DOCTOR_WARN,
                "run on bare metal, or enable nested virtualisation on the "
                "parent host",
                "%s: VMs will run under TCG (accel: auto falls back)", note);
        }
    }
    vmb_virt_close(v);
}

static void
check_emulator(struct vmb_doctor_report *r, const struct vmb_doctor_opts *o)
{
    if (access(o->emulator, X_OK) == 0)
        add(r, "emulator", VMB_DOCTOR_OK, NULL, "\"%s\" is executable",
            o->emulator);
    else
        add(r, "emulator", VMB_DOCTOR_FAIL,
            "`apt-get install qemu-system-x86`, or set hypervisor.emulator",
            "\"%s\": %s", o->emulator, strerror(errno));
    const char *vfsd = "/usr/lib/qemu/virtiofsd";
    if (access(vfsd, X_OK) == 0)
        add(r, "virtiofsd", VMB_DOCTOR_OK, NULL, "\"%s\" is executable", vfsd);
    else
        add(r, "virtiofsd", VMB_DOCTOR_WARN,
            "`apt-get install qemu-system-common` for storage: virtio-fs",
            "\"%s\" is missing: storage virtio-fs cannot run", vfsd);
}

static void
check_vhost(struct vmb_doctor_report *r, const char *name, const char *dev,
            const char *module, const char *what)
{
    autofree char *fix = vmb_xasprintf("`modprobe %s`", module);
    if (access(dev, F_OK) == 0)
        add(r, name, VMB_DOCTOR_OK, NULL, "%s present", dev);
    else
        add(r, name, VMB_DOCTOR_WARN, fix, "%s missing: %s", dev, what);
}

/* enable_hugepages needs free 2 MiB pages: two VMs of default_memory. */
static void
check_hugepages(struct vmb_doctor_report *r)
{
    uint64_t fr = 0, tot = 0;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_hugepages_info(&fr, &tot, &err) < 0) {
        add(r, "hugepages", VMB_DOCTOR_WARN, NULL, "%s", err->msg);
        return;
    }
    /* Two VMs of Kata's default 2048 MiB. */
    const uint64_t need = 2 * 2048 / 2;
    if (fr >= need)
        add(r, "hugepages", VMB_DOCTOR_OK, NULL,
            "%" PRIu64 " of %" PRIu64 " 2 MiB pages free: enough for "
            "enable_hugepages with two VMs of %" PRIu64 " MiB",
            fr, tot, fr);
    else
        add(r, "hugepages", VMB_DOCTOR_WARN,
            "`echo N > /proc/sys/vm/nr_hugepages`, N = the VM memory of "
            "both VMs in MiB / 2 (2048 for two 2 GiB VMs)",
            "%" PRIu64 " of %" PRIu64 " 2 MiB pages free: enable_hugepages "
            "cells refuse to start until both VMs' memory is reserved",
            fr, tot);
}

/* Controllers vmbench uses for the bare-metal control. */
static const char *const wanted_ctrl[] = {"cpu", "cpuset", "memory"};

static void
check_cgroups(struct vmb_doctor_report *r)
{
    autofree char *v2 =
        vmb_read_first_line("/sys/fs/cgroup/cgroup.controllers");
    struct vmb_buf have = {0};
    char missing[128] = "";
    if (v2 != NULL) {
        vmb_buf_puts(&have, v2);
        for (size_t i = 0; i < 3; i++) {
            char pad[64];
            snprintf(pad, sizeof(pad), " %s ", wanted_ctrl[i]);
            autofree char *padded = vmb_xasprintf(" %s ", v2);
            if (strstr(padded, pad) == NULL)
                snprintf(missing + strlen(missing),
                         sizeof(missing) - strlen(missing), " %s",
                         wanted_ctrl[i]);
        }
    } else {
        /* v1: a controller counts when some mount carries it. */
        autofree char *mi = NULL;
        vmb_read_file("/proc/self/mountinfo", &mi, NULL, NULL);
        bool found[3] = {false, false, false};
        for (char *l = mi ? strtok(mi, "\n") : NULL; l;
             l = strtok(NULL, "\n")) {
            char *dash = strstr(l, " - cgroup ");
            if (dash == NULL)
                continue;
            char *opts = strrchr(dash, ' ');
            if (opts == NULL)
                continue;
            autofree char *o = vmb_xasprintf(",%s,", opts + 1);
            for (size_t i = 0; i < 3; i++) {
                autofree char *w = vmb_xasprintf(",%s,", wanted_ctrl[i]);
                if (strstr(o, w) && !found[i]) {
                    found[i] = true;
                    vmb_buf_printf(&have, "%s%s", have.len ? " " : "",
                                   wanted_ctrl[i]);
                }
            }
        }
        for (size_t i = 0; i < 3; i++)
            if (!found[i])
                snprintf(missing + strlen(missing),
                         sizeof(missing) - strlen(missing), " %s",
                         wanted_ctrl[i]);
    }
    autofree char *list = vmb_buf_steal(&have);
    const char *ver = v2 ? "v2" : "v1";
    if (missing[0] == '\0')
        add(r, "cgroup", VMB_DOCTOR_OK, NULL, "cgroup %s, controllers: %s", ver,
            list);
    else
        add(r, "cgroup", VMB_DOCTOR_WARN,
            "mount the missing controllers (or boot with "
            "systemd.unified_cgroup_hierarchy=1)",
            "cgroup %s lacks%s: the bare-metal control cannot match the VM's "
            "resources",
            ver, missing);
}

static void
check_tuning(struct vmb_doctor_report *r)
{
    autofree char *gov = vmb_read_first_line(
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    if (gov == NULL)
        add(r, "cpufreq", VMB_DOCTOR_OK, NULL,
            "no CPU frequency scaling exposed by this host");
    else if (strcmp(gov, "performance") == 0)
        add(r, "cpufreq", VMB_DOCTOR_OK, NULL, "governor \"%s\"", gov);
    else
        add(r, "cpufreq", VMB_DOCTOR_WARN,
            "`cpupower frequency-set -g performance`",
            "governor \"%s\": clock changes add noise to results", gov);

    autofree char *thp =
        vmb_read_sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled");
    const char *mode = thp ? thp : "unknown";
    if (strcmp(mode, "always") == 0)
        add(r, "thp", VMB_DOCTOR_WARN,
            "`echo madvise > /sys/kernel/mm/transparent_hugepage/enabled`",
            "transparent huge pages \"always\": Redis latency spikes on fork");
    else
        add(r, "thp", VMB_DOCTOR_OK, NULL, "transparent huge pages \"%s\"",
            mode);

    autofree char *swaps = NULL;
    vmb_read_file("/proc/swaps", &swaps, NULL, NULL);
    int lines = 0;
    for (char *p = swaps; p && *p; p++)
        if (*p == '\n')
            lines++;
    if (lines > 1)
        add(r, "swap", VMB_DOCTOR_WARN, "`swapoff -a` while benchmarking",
            "swap is on (%d device%s): paging distorts latency", lines - 1,
            lines - 1 == 1 ? "" : "s");
    else
        add(r, "swap", VMB_DOCTOR_OK, NULL, "swap is off");
}

static void
check_memory_disk(struct vmb_doctor_report *r, const char *results_dir)
{
    autofree char *mi = NULL;
    unsigned long long avail_kb = 0;
    if (vmb_read_file("/proc/meminfo", &mi, NULL, NULL) == 0) {
        const char *p = strstr(mi, "MemAvailable:");
        if (p)
            sscanf(p, "MemAvailable: %llu", &avail_kb);
    }
    double gib = (double)avail_kb / (1024.0 * 1024.0);
    if (gib >= 6)
        add(r, "memory", VMB_DOCTOR_OK, NULL, "%.1f GiB available", gib);
    else
        add(r, "memory", gib >= 2.5 ? VMB_DOCTOR_WARN : VMB_DOCTOR_FAIL,
            "free memory, or use smaller guest.memory",
            "%.1f GiB available: two VMs of 2 GiB and the control need more",
            gib);

    /* The results directory may not exist yet: ask its nearest ancestor. */
    autofree char *dir = vmb_xstrdup(results_dir);
    struct statvfs sv;
    while (statvfs(dir, &sv) != 0) {
        char *slash = strrchr(dir, '/');
        if (slash == NULL) {
            free(dir);
            dir = vmb_xstrdup(".");
        } else if (slash == dir) {
            dir[1] = '\0';
        } else {
            *slash = '\0';
        }
        if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0) {
            if (statvfs(dir, &sv) != 0) {
                add(r, "disk", VMB_DOCTOR_WARN, NULL,
                    "cannot tell the free space for \"%s\"", results_dir);
                return;
            }
            break;
        }
    }
    double free_gib =
        (double)sv.f_bavail * (double)sv.f_frsize / (1024.0 * 1024.0 * 1024.0);
    if (free_gib >= 10)
        add(r, "disk", VMB_DOCTOR_OK, NULL,
            "%.1f GiB free for results in \"%s\"", free_gib, dir);
    else
        add(r, "disk", free_gib >= 2 ? VMB_DOCTOR_WARN : VMB_DOCTOR_FAIL,
            "free space, or pass --out on a larger filesystem",
            "%.1f GiB free in \"%s\": data volumes and results need more",
            free_gib, dir);
}

/*
 * The guest kernel: its format and release, and for each driver a cell
 * may need, where it comes from. A missing driver is a warning: only the
 * cells that need it are refused, by the preflight.
 */
static void
check_kernel(struct vmb_doctor_report *r, const struct vmb_doctor_opts *o)
{
    autofree char *path = NULL;
    vmb_autoerr struct vmb_error *err = NULL;
    struct vmb_kernel_info ki;
    if (vmb_guest_kernel_path(o->kernel, NULL, &path, &err) < 0 ||
        vmb_kernel_inspect(path, NULL, &ki, &err) < 0) {
        add(r, "guest-kernel", VMB_DOCTOR_FAIL,
            "set --kernel (guest.kernel) to a bzImage whose modules are "
            "installed, or to an uncompressed x86-64 vmlinux built with "
            "CONFIG_PVH",
            "%s", err->msg);
        return;
    }
    /* A bzImage without modules: its payload was read, or could not be. */
    autofree char *format = NULL;
    if (ki.format == VMB_KERNEL_ELF)
        format = vmb_xstrdup("ELF vmlinux (PVH entry)");
    else if (ki.payload[0] == '\0')
        format = vmb_xstrdup("bzImage");
    else
        format =
            vmb_xasprintf("bzImage (%s payload, %s)", ki.payload,
                          ki.drv[0] == VMB_KDRV_UNKNOWN ? "not read" : "read");
    if (ki.modules_dir[0])
        add(r, "guest-kernel", VMB_DOCTOR_OK, NULL,
            "\"%s\": %s, release \"%s\", modules at \"%s\"", path, format,
            ki.release, ki.modules_dir);
    else
        add(r, "guest-kernel",
            ki.drv[0] != VMB_KDRV_UNKNOWN ? VMB_DOCTOR_OK : VMB_DOCTOR_FAIL,
            "install its modules, use its uncompressed vmlinux, or build it "
            "with gzip, xz, lzma or zstd compression",
            "\"%s\": %s, release \"%s\", no modules at \"/lib/modules/%s\"",
            path, format, ki.release, ki.release);
    for (int d = 0; d < VMB_KDRV_N; d++) {
        int st = ki.drv[d];
        autofree char *fix = vmb_xasprintf(
            "cells that need it are refused: build the kernel with %s, or "
            "install its modules (%s)",
            vmb_kdrv_config(d), vmb_kdrv_modules(d));
        if (st == VMB_KDRV_BUILTIN || st == VMB_KDRV_MODULE)
            add(r, vmb_kdrv_name(d), VMB_DOCTOR_OK, NULL,
                "guest kernel driver: %s", vmb_kdrv_state_name(st));
        else if (st == VMB_KDRV_MISSING && !ki.modules_dir[0])
            add(r, vmb_kdrv_name(d), VMB_DOCTOR_WARN, fix,
                "guest kernel driver: not built in, and no module is "
                "available for this image");
        else
            add(r, vmb_kdrv_name(d), VMB_DOCTOR_WARN, fix,
                "guest kernel driver: %s", vmb_kdrv_state_name(st));
    }
}

struct vmb_doctor_report *
vmb_doctor_run(const struct vmb_doctor_opts *o)
{
    struct vmb_doctor_report *r = vmb_xcalloc(1, sizeof(*r));
    check_libvirt_and_kvm(r, o);
    check_emulator(r, o);
    check_kernel(r, o);
    check_vhost(r, "vhost-net", "/dev/vhost-net", "vhost_net",
                "guest networking runs in QEMU's own thread, slower");
    check_vhost(
        r, "vhost-vsock", "/dev/vhost-vsock", "vhost_vsock",
        "no vsock (Kata's agent transport); vmbench uses virtio-serial");
    check_hugepages(r);
    check_cgroups(r);
    check_tuning(r);
    check_memory_disk(r, o->results_dir);
    return r;
}

/* One line of a libvirt host check: control characters become spaces. */
static void
child_line(FILE *f, const char *check, bool ok, const char *text)
{
    autofree char *msg = vmb_term_safe(text);
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    fprintf(f, "%s\t%s\t%s\n", check, ok ? "OK" : "FAIL", msg);
}

#define UPLOAD_BYTES 65536

/*
 * The files of a VM node there go up as storage volumes (docs/remote.md):
 * a pool of this process's, a volume of known bytes uploaded over the
 * connection and read back, then both removed; pools a dead check or run
 * of this host left there go first.
 */
static void
upload_check(FILE *f, struct vmb_virt *v)
{
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_virt_pool_sweep(v, &err) < 0) {
        child_line(f, "upload", false, err->msg);
        return;
    }
    char tmpl[] = "/tmp/vmb-upload.XXXXXX";
    autoclose int fd = mkstemp(tmpl);
    static char want[UPLOAD_BYTES], got[UPLOAD_BYTES];
    for (size_t i = 0; i < sizeof(want); i++)
        want[i] = (char)(i * 7 + i / 251);
    bool wrote = fd >= 0 && write(fd, want, sizeof(want)) == sizeof(want);
    if (fd >= 0)
        unlink(tmpl);
    if (!wrote) {
        child_line(f, "upload", false, "cannot write a file to upload");
        return;
    }
    autofree char *tmp_path = vmb_xasprintf("/proc/self/fd/%d", fd);
    char name[96];
    vmb_virt_pool_name(name, sizeof(name));
    struct vmb_virt_pool *pool = NULL;
    autofree char *path = NULL;
    int rc = vmb_virt_pool_create(v, name, &pool, &err);
    if (rc == 0)
        rc = vmb_virt_pool_upload(pool, "probe.raw", tmp_path, &path, &err);
    if (rc == 0)
        rc = vmb_virt_pool_read(pool, "probe.raw", got, sizeof(got), &err);
    if (rc == 0 && memcmp(want, got, sizeof(want)) != 0)
        rc = vmb_error_set(&err, VMB_ERR_RUN, 0,
                           "volume \"%s\" read back other bytes", path);
    autofree char *dir = pool ? vmb_xstrdup(vmb_virt_pool_dir(pool)) : NULL;
    vmb_autoerr struct vmb_error *rm_err = NULL;
    if (vmb_virt_pool_remove(pool, &rm_err) < 0 && rc == 0) {
        child_line(f, "upload", false, rm_err->msg);
        return;
    }
    if (rc < 0) {
        child_line(f, "upload", false, err->msg);
        return;
    }
    autofree char *ok = vmb_xasprintf("%d bytes uploaded to a storage pool "
                                      "at \"%s\", read back, removed",
                                      UPLOAD_BYTES, dir);
    child_line(f, "upload", true, ok);
}

/*
 * The child of a libvirt host check: one line per finding to fd,
 * "libvirt\tOK|FAIL\ttext", then "emulator\t..." and "upload\t...".
 */
static void
libvirt_child(int fd, const char *uri, const char *emulator,
              const char *machine)
{
    struct vmb_virt *v = NULL;
    vmb_autoerr struct vmb_error *err = NULL;
    FILE *f = fdopen(fd, "w");
    if (f == NULL)
        _exit(1);
    autofree char *lib = NULL, *qemu = NULL;
    if (vmb_virt_open(uri, &v, &err) < 0 ||
        vmb_virt_versions(v, &lib, &qemu, &err) < 0) {
        autofree char *msg = vmb_term_safe(err->msg);
        for (char *c = msg; *c; c++)
            if (*c == '\n' || *c == '\t')
                *c = ' ';
        fprintf(f, "libvirt\tFAIL\t%s\n", msg);
        fclose(f);
        _exit(0);
    }
    fprintf(f, "libvirt\tOK\tlibvirt %s, QEMU %s\n", lib, qemu);
    if (vmb_virt_emulator_check(v, emulator, machine, &err) < 0) {
        autofree char *msg = vmb_term_safe(err->msg);
        for (char *c = msg; *c; c++)
            if (*c == '\n' || *c == '\t')
                *c = ' ';
        fprintf(f, "emulator\tFAIL\t%s\n", msg);
    } else {
        fprintf(f, "emulator\tOK\t\n");
    }
    int cpus = 0;
    int64_t free_2m = 0;
    if (vmb_virt_host_cpus(v, &cpus, NULL, &free_2m, &err) == 0)
        fprintf(f, "host\tOK\t%d %" PRId64 "\n", cpus, free_2m);
    fflush(f);
    upload_check(f, v);
    fclose(f);
    vmb_virt_close(v);
    _exit(0);
}

/* "CPUS FREE_2M" of a libvirt host's "host" line into r. */
static void
host_line(struct vmb_doctor_report *r, bool ok, const char *text)
{
    int cpus = 0;
    int64_t free_2m = 0;
    if (!ok || sscanf(text, "%d %" SCNd64, &cpus, &free_2m) != 2 || cpus < 1 ||
        free_2m < 0)
        return;
    r->host_cpus = cpus;
    r->host_free_2m = free_2m;
    add(r, "host", VMB_DOCTOR_OK, NULL,
        "%d CPUs online there, %" PRId64 " free 2 MiB huge pages", cpus,
        free_2m);
}

/*
 * A libvirt host (qemu+ssh://, qemu+tcp://, ...): reached within the
 * deadline, with QEMU's emulator there. libvirt has no connect timeout
 * of its own, so the check runs in a child that is killed at the
 * deadline, with whatever ssh it started.
 */
static void
check_libvirt_host(struct vmb_doctor_report *r, const char *uri,
                   const char *emulator, const char *machine,
                   uint64_t timeout_us)
{
    r->host_cpus = -1;
    r->host_free_2m = -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        add(r, "libvirt", VMB_DOCTOR_FAIL, NULL, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        close(fds[0]);
        libvirt_child(fds[1], uri, emulator, machine);
    }
    close(fds[1]);
    struct vmb_buf out = {0};
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    bool late = pid < 0;
    while (pid > 0) {
        int w = vmb_wait_fd(fds[0], POLLIN, deadline);
        if (w <= 0) {
            late = true;
            break;
        }
        char chunk[1024];
        ssize_t n = read(fds[0], chunk, sizeof(chunk));
        if (n <= 0)
            break;
        if (out.len < 65536)
            vmb_buf_append(&out, chunk, (size_t)n);
    }
    close(fds[0]);
    if (pid > 0) {
        if (late)
            kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    autofree char *text = vmb_buf_steal(&out);
    char d[32];
    vmb_format_duration_us(timeout_us, d, sizeof(d));
    const char *fix = "start libvirtd there, listening for remote "
                      "connections (qemu+tcp://) or reachable over ssh "
                      "(qemu+ssh://, its host key known)";
    if (late) {
        add(r, "libvirt", VMB_DOCTOR_FAIL, fix,
            "libvirtd at \"%s\" did not answer within %s", uri, d);
    }
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t2 != NULL) {
            *t1 = *t2 = '\0';
            bool ok = strcmp(t1 + 1, "OK") == 0;
            if (strcmp(line, "libvirt") == 0 && ok)
                add(r, "libvirt", VMB_DOCTOR_OK, NULL,
                    "libvirtd reachable at \"%s\", %s", uri, t2 + 1);
            else if (strcmp(line, "libvirt") == 0)
                add(r, "libvirt", VMB_DOCTOR_FAIL, fix,
                    "libvirtd at \"%s\": %s", uri, t2 + 1);
            else if (strcmp(line, "host") == 0)
                host_line(r, ok, t2 + 1);
            else if (strcmp(line, "upload") == 0 && ok)
                add(r, "upload", VMB_DOCTOR_OK, NULL, "%s", t2 + 1);
            else if (strcmp(line, "upload") == 0)
                add(r, "upload", VMB_DOCTOR_FAIL,
                    "install libvirt's storage driver there (libvirt-"
                    "daemon-driver-storage) and leave room under "
                    "/var/lib/libvirt/images",
                    "%s", t2 + 1);
            else if (ok)
                add(r, "emulator", VMB_DOCTOR_OK, NULL, "\"%s\" runs there",
                    emulator);
            else
                add(r, "emulator", VMB_DOCTOR_FAIL,
                    "`apt-get install qemu-system-x86` there",
                    "\"%s\" cannot run there: %s", emulator, t2 + 1);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!late && r->n == 0)
        add(r, "libvirt", VMB_DOCTOR_FAIL, fix,
            "the check of \"%s\" ended without a word", uri);
}

struct vmb_doctor_report *
vmb_doctor_run_libvirt_host(const char *uri, const char *emulator,
                            const char *machine, uint64_t connect_timeout_us)
{
    struct vmb_doctor_report *r = vmb_xcalloc(1, sizeof(*r));
    check_libvirt_host(r, uri, emulator, machine, connect_timeout_us);
    return r;
}

struct vmb_doctor_report *
vmb_doctor_run_host(const char *dest, uint64_t connect_timeout_us)
{
    struct vmb_doctor_report *r = vmb_xcalloc(1, sizeof(*r));
    if (!vmb_str_has_prefix(dest, "ssh://")) {
        struct vmb_config cfg;
        vmb_config_defaults(&cfg);
        check_libvirt_host(r, dest, cfg.hypervisor.emulator,
                           cfg.hypervisor.machine, connect_timeout_us);
        vmb_config_free(&cfg);
        return r;
    }
    struct vmb_remote rem;
    struct vmb_remote_facts f;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_remote_init(&rem, dest, connect_timeout_us, &err) < 0 ||
        vmb_remote_probe(&rem, NULL, &f, &err) < 0) {
        add(r, "ssh", VMB_DOCTOR_FAIL,
            "its host key in your known_hosts, your key in its "
            "authorized_keys, then `ssh -o BatchMode=yes HOST true` must "
            "work",
            "%s", err->msg);
        return r;
    }
    add(r, "ssh", VMB_DOCTOR_OK, NULL,
        "reached \"%s\" at %s from %s (the address node 1 listens on), "
        "%s CPUs there",
        rem.shown, f.there, f.here, f.cpus);
    for (size_t i = 0; vmb_db_drivers[i] != NULL; i++) {
        const struct vmb_db_driver *d = vmb_db_drivers[i];
        if (d->tool)
            continue;
        struct vmb_remote_facts e;
        vmb_autoerr struct vmb_error *e2 = NULL;
        if (vmb_remote_probe(&rem, d, &e, &e2) < 0)
            add(r, d->name, VMB_DOCTOR_FAIL, NULL, "%s", e2->msg);
        else if (e.missing[0] != '\0')
            add(r, d->name, VMB_DOCTOR_WARN, d->install,
                "\"%s\" lacks %s: a %s control cannot put node 2 there",
                rem.shown, e.missing, d->name);
        else
            add(r, d->name, VMB_DOCTOR_OK, NULL, "%s's programs are there",
                d->name);
    }
    if (f.taskset)
        add(r, "taskset", VMB_DOCTOR_OK, NULL,
            "a control node there can be pinned");
    else
        add(r, "taskset", VMB_DOCTOR_WARN, "install util-linux there",
            "no taskset there: a control node there runs unpinned");
    return r;
}

void
vmb_doctor_report_free(struct vmb_doctor_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->checks[i].detail);
        free(r->checks[i].fix);
    }
    free(r->checks);
    free(r);
}

int
vmb_doctor_worst(const struct vmb_doctor_report *r)
{
    int worst = VMB_DOCTOR_OK;
    for (size_t i = 0; i < r->n; i++)
        if (r->checks[i].status > worst)
            worst = r->checks[i].status;
    return worst;
}

const char *
vmb_doctor_status_name(int status)
{
    static const char *const names[] = {"ok", "warn", "fail"};
    return names[status];
}

void
vmb_doctor_print(FILE *f, const struct vmb_doctor_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct vmb_doctor_check *c = &r->checks[i];
        fprintf(f, "%-5s %-12s %s\n", vmb_doctor_status_name(c->status),
                c->check, c->detail);
        if (c->fix)
            fprintf(f, "%-5s %-12s fix: %s\n", "", "", c->fix);
    }
}
