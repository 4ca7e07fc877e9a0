/*
 * Plain QEMU (TCG, no NIC) for the guest integration tests: boots the
 * host kernel with the agent's initramfs and an agent channel on a unix
 * socket, the way libvirt will, minus libvirt. Header-only; each test
 * program includes it once.
 */
#ifndef VMB_TEST_GUEST_QEMU_H
#define VMB_TEST_GUEST_QEMU_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/agent_wire.h"
#include "vm/initramfs.h"

struct guest_vm {
    char dir[64];  /* scratch directory */
    char *sock;    /* agent channel */
    char *console; /* serial console log */
    pid_t qemu;
    uint64_t started_ns;
};

/* The guest.kernel the VMs boot: "auto" unless a test sets a path. */
static const char *guest_kernel_setting = "auto";

/* The agent initramfs for the guest kernel, cached under the build dir. */
static char *
guest_initramfs(char **kernel)
{
    char *modules = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_guest_kernel_find(guest_kernel_setting, kernel, &modules, &err), 0,
        "%s", err ? err->msg : "");
    char *agent = vmb_guest_program("vmb-agent");
    /* Next to the vmbench binary: the build directory. */
    char *cache = vmb_xasprintf("%s", VMB_BINARY);
    *strrchr(cache, '/') = '\0';
    char *tmp = cache;
    cache = vmb_xasprintf("%s/guest/initramfs-cache", tmp);
    free(tmp);
    char *path = NULL;
    cr_assert_eq(vmb_initramfs_ensure(agent, modules, cache, &path, &err), 0,
                 "%s", err ? err->msg : "");
    free(agent);
    free(cache);
    free(modules);
    return path;
}

/*
 * Starts QEMU. cmdline_extra: kernel command line words after the
 * console ones; drives: extra "-drive" values (NULL-terminated, may be
 * NULL), each given serial by the caller inside the value.
 */
static void
guest_vm_start(struct guest_vm *vm, int vcpus, int mem_mib,
               const char *cmdline_extra, const char *const *devices)
{
    memset(vm, 0, sizeof(*vm));
    strcpy(vm->dir, "/tmp/vmb-guest-XXXXXX");
    cr_assert_not_null(mkdtemp(vm->dir));
    vm->sock = vmb_xasprintf("%s/agent.sock", vm->dir);
    vm->console = vmb_xasprintf("%s/console.log", vm->dir);
    char *kernel = NULL;
    char *initrd = guest_initramfs(&kernel);
    char *append = vmb_xasprintf("console=ttyS0 quiet %s",
                                 cmdline_extra ? cmdline_extra : "");
    char *chardev =
        vmb_xasprintf("socket,path=%s,server=on,wait=off,id=agent", vm->sock);
    char *serial = vmb_xasprintf("file:%s", vm->console);
    char smp[16], mem[16];
    snprintf(smp, sizeof(smp), "%d", vcpus);
    snprintf(mem, sizeof(mem), "%d", mem_mib);
    const char *argv[64] = {
        "qemu-system-x86_64",
        "-machine",
        "q35,accel=tcg",
        "-smp",
        smp,
        "-m",
        mem,
        "-display",
        "none",
        "-no-reboot",
        "-nodefaults",
        "-monitor",
        "none",
        "-serial",
        serial,
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
        "virtserialport,chardev=agent,name=" VMB_AGENT_CHANNEL,
    };
    size_t n = 0;
    while (argv[n])
        n++;
    for (size_t i = 0; devices && devices[i] && n + 2 < 63; i += 2) {
        argv[n++] = devices[i];
        argv[n++] = devices[i + 1];
    }
    argv[n] = NULL;
    vm->started_ns = vmb_now_ns();
    vm->qemu = fork();
    cr_assert_geq(vm->qemu, 0);
    if (vm->qemu == 0) {
        /* A test that fails an assertion exits at once: QEMU goes too. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The test runner's signal mask would stall QEMU's main loop. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        int nul = open("/dev/null", O_RDWR);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(kernel);
    free(initrd);
    free(append);
    free(chardev);
    free(serial);
}

/* Waits up to timeout_s for QEMU to exit by itself; true when it did. */
static bool
guest_vm_wait_exit(struct guest_vm *vm, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        if (waitpid(vm->qemu, NULL, WNOHANG) == vm->qemu) {
            vm->qemu = 0;
            return true;
        }
        usleep(50000);
    }
    return false;
}

static char *
guest_vm_console(struct guest_vm *vm)
{
    char *text = NULL;
    struct vmb_error *err = NULL;
    if (vmb_read_file(vm->console, &text, NULL, &err) < 0) {
        vmb_error_free(err);
        return vmb_xstrdup("");
    }
    return text;
}

static void
guest_vm_stop(struct guest_vm *vm)
{
    if (vm->qemu > 0) {
        kill(vm->qemu, SIGKILL);
        waitpid(vm->qemu, NULL, 0);
        vm->qemu = 0;
    }
    struct vmb_error *err = NULL;
    vmb_rm_rf(vm->dir, &err);
    vmb_error_free(err);
    free(vm->sock);
    free(vm->console);
}

#endif
