/*
 * Boot to agent hello against the floor: the same kernel, the same QEMU
 * command line (TCG, no NIC, the agent channel, the root disk), once with
 * the trivial init (prints a line and powers off) and once with the agent
 * initramfs; the host times each from QEMU's start to the trivial init's
 * line on the serial console, or to the agent's hello on its socket.
 * Runs alternate so drift hits both alike; medians are printed.
 *
 *   bench_guest_boot [REPS] [STORAGE] [ACCEL]   (defaults 3, local, tcg)
 *
 * STORAGE is local (root overlay, ext4 module loaded and mounted) or none
 * (no disk). Needs the cached root image for local (vmbench image build).
 * ACCEL kvm measures the same under KVM, where the goal is an agent hello
 * under 1 s (on a host where KVM works; nested hosts often hang).
 * Exits 0 when the median agent hello is within 1.5x the median floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "runtime/runtime.h"
#include "vm/agent.h"
#include "vm/image.h"
#include "vm/initramfs.h"

#define MARKER "VMB-TRIVIAL-INIT"

static int
die(struct vmb_error *err)
{
    fprintf(stderr, "bench_guest_boot: %s\n", err->msg);
    vmb_error_free(err);
    return 2;
}

static const char *machine = "q35,accel=tcg";

static pid_t
qemu_start(const char *kernel, const char *initrd, const char *append,
           const char *sock, const char *overlay, int *serial_fd)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    char *chardev =
        vmb_xasprintf("socket,path=%s,server=on,wait=off,id=ag", sock);
    char *drive = overlay ? vmb_xasprintf("file=%s,format=qcow2,if=none,"
                                          "id=root",
                                          overlay)
                          : NULL;
    const char *argv[40] = {
        "qemu-system-x86_64",
        "-machine",
        machine,
        "-smp",
        "1",
        "-m",
        "512",
        "-display",
        "none",
        "-monitor",
        "none",
        "-nodefaults",
        "-no-reboot",
        "-serial",
        "stdio",
        "-kernel",
        kernel,
        "-initrd",
        initrd,
        "-append",
        append,
        "-nic",
        "none",
        "-device",
        "virtio-serial",
        "-chardev",
        chardev,
        "-device",
        "virtserialport,chardev=ag,name=" VMB_AGENT_CHANNEL,
    };
    size_t n = 0;
    while (argv[n])
        n++;
    if (drive) {
        argv[n++] = "-drive";
        argv[n++] = drive;
        argv[n++] = "-device";
        argv[n++] = "virtio-blk-pci,drive=root,serial=" VMB_AGENT_ROOT_SERIAL;
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(p[1], 1);
        close(p[0]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    *serial_fd = p[0];
    free(chardev);
    free(drive);
    return pid;
}

static void
qemu_stop(pid_t pid, int fd)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);
}

/* Seconds from start until MARKER appears on the serial output. */
static double
floor_once(const char *kernel, const char *initrd, const char *sock,
           const char *overlay)
{
    int fd;
    unlink(sock);
    uint64_t t0 = vmb_now_ns();
    pid_t pid =
        qemu_start(kernel, initrd, "console=ttyS0 quiet", sock, overlay, &fd);
    char buf[65536];
    size_t len = 0;
    double took = -1;
    while (vmb_now_ns() - t0 < 300ull * 1000000000) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, MARKER)) {
            took = (double)(vmb_now_ns() - t0) / 1e9;
            break;
        }
        if (len > sizeof(buf) / 2) {
            memmove(buf, buf + len - 64, 64);
            len = 64;
        }
    }
    qemu_stop(pid, fd);
    return took;
}

static double
agent_once(const char *kernel, const char *initrd, const char *append,
           const char *sock, const char *overlay, double *guest_s)
{
    int fd;
    unlink(sock);
    uint64_t t0 = vmb_now_ns();
    pid_t pid = qemu_start(kernel, initrd, append, sock, overlay, &fd);
    /* Nobody reads the console here: keep the pipe from filling. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    double took = -1;
    if (vmb_agent_connect(sock, 300000000, &a, &err) == 0) {
        const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
        took = (double)(h->host_ns - t0) / 1e9;
        *guest_s = (double)h->mounts_done_us / 1e6;
        if (h->boot_error)
            fprintf(stderr, "boot error: %s\n", h->boot_error);
        vmb_agent_free(a);
    } else {
        fprintf(stderr, "agent: %s\n", err->msg);
        vmb_error_free(err);
    }
    qemu_stop(pid, fd);
    return took;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    const char *storage = argc > 2 ? argv[2] : "local";
    const char *accel = argc > 3 ? argv[3] : "tcg";
    if (reps < 1 || reps > 50 ||
        (strcmp(storage, "local") != 0 && strcmp(storage, "none") != 0) ||
        (strcmp(accel, "tcg") != 0 && strcmp(accel, "kvm") != 0)) {
        fprintf(stderr, "usage: bench_guest_boot [REPS 1-50] [local|none] "
                        "[tcg|kvm]\n");
        return 2;
    }
    if (strcmp(accel, "kvm") == 0)
        machine = "q35,accel=kvm";
    struct vmb_error *err = NULL;
    char *kernel = NULL, *modules = NULL;
    if (vmb_guest_kernel_find("auto", &kernel, &modules, &err) < 0)
        return die(err);
    char dir[] = "/tmp/vmb-bench-boot-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char *cache = vmb_xasprintf("%s/initramfs", dir);
    char *agent = vmb_guest_program("vmb-agent");
    char *initrd = NULL, *floor_initrd = NULL;
    if (vmb_initramfs_ensure(agent, modules, cache, &initrd, &err) < 0 ||
        vmb_initramfs_ensure(VMB_TRIVIAL_INIT, NULL, cache, &floor_initrd,
                             &err) < 0)
        return die(err);
    char *overlay = NULL;
    if (strcmp(storage, "local") == 0) {
        struct vmb_image img;
        bool cached = false;
        struct vmb_image_opts opts = {
            .packages = vmb_runtime_image_packages(VMB_ENGINE_REDIS)};
        if (vmb_image_probe(&opts, &img, &cached, &err) < 0)
            return die(err);
        if (!cached) {
            fprintf(stderr, "bench_guest_boot: no cached root image; run "
                            "`vmbench image build` first\n");
            return 2;
        }
        overlay = vmb_xasprintf("%s/root.qcow2", dir);
        if (vmb_image_overlay_create(img.path, overlay, &err) < 0)
            return die(err);
        vmb_image_clear(&img);
    }
    char *append =
        vmb_xasprintf("console=ttyS0 quiet vmb.name=bench%s%s",
                      overlay ? " vmb.storage=" : "", overlay ? storage : "");
    char *sock = vmb_xasprintf("%s/agent.sock", dir);
    double *fl = calloc((size_t)reps, sizeof(double));
    double *ag = calloc((size_t)reps, sizeof(double));
    double *gu = calloc((size_t)reps, sizeof(double));
    printf("kernel %s, %s, 1 vCPU, 512 MiB, storage %s, %d runs each\n", kernel,
           accel, storage, reps);
    for (int i = 0; i < reps; i++) {
        fl[i] = floor_once(kernel, floor_initrd, sock, overlay);
        ag[i] = agent_once(kernel, initrd, append, sock, overlay, &gu[i]);
        printf("run %d: floor %.2f s, agent hello %.2f s (agent's mounts "
               "done %.2f s after kernel start)\n",
               i + 1, fl[i], ag[i], gu[i]);
        fflush(stdout);
        if (fl[i] < 0 || ag[i] < 0)
            return 1;
    }
    double mf = median(fl, reps), ma = median(ag, reps);
    printf("median: floor %.2f s, agent hello %.2f s, ratio %.2f "
           "(target <= 1.50)\n",
           mf, ma, ma / mf);
    vmb_rm_rf(dir, &err);
    return ma <= 1.5 * mf ? 0 : 1;
}
