/*
 * Test driver of test_vm_relay.sh: boots one small domain whose serial
 * console and agent channel have no path of ours (chardev_pty), reaches
 * both only through libvirt's streams (vm/virt_relay.h) at the URI it is
 * given, as it would a domain on another host, and checks what a run
 * would rely on: the agent's hello and facts over the relay, the
 * kernel's output in the console file, a host that stops answering and
 * a destroyed domain each failing the
 * agent's next request at once (not at its timeout), and relays that
 * free promptly. Run it inside scripts/sandbox.sh:
 *
 *   vmb_relay_check URI CACHE_DIR [LIBVIRTD_PID]
 *
 * CACHE_DIR holds the agent's initramfs between runs. With the pid of
 * the libvirtd behind URI, it also stops that daemon for a moment
 * (SIGSTOP, then SIGCONT) and checks that the lost connection fails the
 * agent's next request by the relay's keepalive, long before the
 * request's timeout, and that a new relay takes the channel over.
 * Prints what it measured on stdout; exit 1 with the reason on the
 * first failed check.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/agent.h"
#include "vm/initramfs.h"
#include "vm/virt.h"
#include "vm/virt_relay.h"
#include "vm/workdir.h"

#define BOOT_TIMEOUT_US (120ull * 1000000)
#define REQ_TIMEOUT_US (20ull * 1000000)
/* What the kernel prints as it hands over to the agent (loglevel 7). */
#define KERNEL_MARK "Run /init as init process"

static int failed;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                             \
            fputc('\n', stderr);                                               \
            failed = 1;                                                        \
            goto out;                                                          \
        }                                                                      \
    } while (0)

static const char *
msg(const struct vmb_error *e)
{
    return e && e->msg ? e->msg : "";
}

static double
since_s(uint64_t t0)
{
    return (double)(vmb_now_ns() - t0) / 1e9;
}

/* A copy of src in dir that QEMU's user may be given (vm.c does the
 * same: libvirt relabels what it boots). */
static char *
private_copy(const char *dir, const char *name, const char *src)
{
    char *data = NULL;
    size_t len = 0;
    char *dst = vmb_xasprintf("%s/%s", dir, name);
    if (vmb_read_file(src, &data, &len, NULL) < 0 ||
        vmb_write_file_atomic(dst, data, len, NULL) < 0) {
        free(data);
        free(dst);
        return NULL;
    }
    free(data);
    chmod(dst, 0644);
    return dst;
}

int
main(int argc, char **argv)
{
    /* A hang (a deadlock between the relay and libvirt) fails the check
     * in minutes, not at the suite's timeout. */
    alarm(180);
    if (argc != 3 && argc != 4) {
        fprintf(stderr,
                "usage: vmb_relay_check URI CACHE_DIR [LIBVIRTD_PID]\n");
        return 2;
    }
    const char *uri = argv[1];
    pid_t libvirtd = argc == 4 ? (pid_t)atoi(argv[3]) : 0;
    bool stopped = false;
    struct vmb_error *err = NULL;
    struct vmb_vm_workdir wd = {0};
    struct vmb_virt *v = NULL;
    struct vmb_virt_domain *d = NULL;
    struct vmb_virt_relay *con = NULL, *chan = NULL, *bad = NULL;
    struct vmb_agent *a = NULL;
    struct vmb_agent_facts f = {0};
    char *kernel = NULL, *modules = NULL, *agent = NULL, *initrd = NULL;
    char *k_copy = NULL, *i_copy = NULL, *console = NULL, *xml = NULL;
    char *log = NULL;
    char name[64];
    snprintf(name, sizeof(name), "vmb-relay-%d", (int)getpid());

    CHECK(vmb_guest_kernel_find("auto", &kernel, &modules, &err) == 0, "%s",
          msg(err));
    agent = vmb_guest_program("vmb-agent");
    CHECK(vmb_initramfs_ensure(agent, modules, argv[2], &initrd, &err) == 0,
          "%s", msg(err));
    CHECK(vmb_vm_workdir_new("relay", NULL, &wd, &err) == 0, "%s", msg(err));
    k_copy = private_copy(wd.path, "vmlinuz", kernel);
    i_copy = private_copy(wd.path, "initrd", initrd);
    CHECK(k_copy && i_copy, "cannot copy the kernel and initramfs");
    console = vmb_xasprintf("%s/console.log", wd.path);

    struct vmb_domain_spec s = {
        .name = name,
        .emulator = "/usr/bin/qemu-system-x86_64",
        .machine = "q35",
        .vcpus = 1,
        .memory_mib = 256,
        .kernel = k_copy,
        .initrd = i_copy,
        .cmdline =
            "console=ttyS0 loglevel=7 panic=-1 " VMB_AGENT_ARG_NAME "relayed",
        .chardev_pty = true,
    };
    xml = vmb_virt_domain_xml(&s);
    CHECK(strstr(xml, "<serial type='pty'>") &&
              strstr(xml, "agent.sock") == NULL &&
              strstr(xml, "console.log") == NULL,
          "the domain XML has no pty console, or a path of ours:\n%s", xml);

    /* A domain that is not there: a clear error, nothing held. */
    int fd = -1;
    CHECK(vmb_virt_relay_channel(uri, "vmb-no-such-domain", VMB_AGENT_CHANNEL,
                                 &fd, &bad, &err) < 0,
          "a relay to a missing domain was made");
    CHECK(strstr(msg(err), "\"vmb-no-such-domain\""), "%s", msg(err));
    printf("missing domain: %s\n", msg(err));
    vmb_error_free(err);
    err = NULL;

    CHECK(vmb_virt_open(uri, &v, &err) == 0, "%s", msg(err));
    uint64_t t0 = vmb_now_ns();
    CHECK(vmb_virt_domain_start(v, xml, &d, &err) == 0, "%s", msg(err));
    CHECK(vmb_virt_relay_console(uri, name, console, &con, &err) == 0, "%s",
          msg(err));
    CHECK(vmb_virt_relay_channel(uri, name, VMB_AGENT_CHANNEL, &fd, &chan,
                                 &err) == 0,
          "%s", msg(err));
    printf("relays open: %.3f s after the start\n", since_s(t0));
    char *where = vmb_xasprintf("the agent channel of domain \"%s\"", name);
    int rc = vmb_agent_connect_fd(fd, where, BOOT_TIMEOUT_US, &a, &err);
    free(where);
    CHECK(rc == 0, "%s", msg(err));
    printf("hello: %.3f s after the start\n", since_s(t0));
    const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
    CHECK(strcmp(h->name, "relayed") == 0, "hello from \"%s\"", h->name);
    CHECK(h->boot_error == NULL, "boot error: %s", h->boot_error);
    CHECK(vmb_agent_facts(a, REQ_TIMEOUT_US, &f, &err) == 0, "%s", msg(err));
    CHECK(f.nproc == 1 && strcmp(f.name, "relayed") == 0,
          "facts: nproc %d name \"%s\"", f.nproc, f.name);
    printf("facts: kernel %s, %" PRIu64 " KiB\n", f.kernel, f.mem_total_kib);

    /* The kernel's last words before the agent came through the console
     * relay into the file. */
    size_t len = 0;
    CHECK(vmb_read_file(console, &log, &len, &err) == 0, "%s", msg(err));
    CHECK(strstr(log, KERNEL_MARK), "the console file (%zu bytes) lacks \"%s\"",
          len, KERNEL_MARK);
    /* Not asserted: what the guest prints before the relay is open is
     * lost, and how early that is depends on the host. */
    printf("console: %zu bytes, dropped %" PRIu64 ", kernel banner %s\n", len,
           vmb_virt_relay_dropped(con),
           strstr(log, "Linux version") ? "kept" : "lost");

    /* The host stops answering (its libvirtd stopped): keepalive ends
     * the relay, and the agent's next request fails well before its
     * timeout. Then a new relay takes the channel over. */
    if (libvirtd > 0) {
        CHECK(kill(libvirtd, SIGSTOP) == 0, "stop libvirtd %d", (int)libvirtd);
        stopped = true;
        uint64_t t3 = vmb_now_ns();
        rc = vmb_agent_facts(a, REQ_TIMEOUT_US, &f, &err);
        double lost = since_s(t3);
        kill(libvirtd, SIGCONT);
        stopped = false;
        CHECK(rc < 0, "the agent answered while libvirtd was stopped");
        printf("request with libvirtd stopped: failed in %.3f s: %s\n", lost,
               msg(err));
        CHECK(lost < 15.0, "the lost connection took %.3f s to fail", lost);
        vmb_error_free(err);
        err = NULL;
        vmb_agent_free(a);
        a = NULL;
        vmb_virt_relay_free(chan);
        chan = NULL;
        CHECK(vmb_virt_relay_channel(uri, name, VMB_AGENT_CHANNEL, &fd, &chan,
                                     &err) == 0,
              "%s", msg(err));
        CHECK(vmb_agent_connect_fd(fd, "the second relay", REQ_TIMEOUT_US, &a,
                                   &err) == 0,
              "%s", msg(err));
    }

    /* The domain goes: the agent's next request fails at once. */
    CHECK(vmb_virt_domain_destroy(d, &err) == 0, "%s", msg(err));
    d = NULL;
    uint64_t t1 = vmb_now_ns();
    vmb_agent_facts_clear(&f);
    rc = vmb_agent_facts(a, REQ_TIMEOUT_US, &f, &err);
    double took = since_s(t1);
    CHECK(rc < 0, "the agent answered after its domain was destroyed");
    printf("request after destroy: failed in %.3f s: %s\n", took, msg(err));
    CHECK(took < 5.0, "the request took %.3f s to fail", took);
    vmb_error_free(err);
    err = NULL;

    uint64_t t2 = vmb_now_ns();
    vmb_virt_relay_free(chan);
    vmb_virt_relay_free(con);
    chan = con = NULL;
    took = since_s(t2);
    printf("relays freed in %.3f s\n", took);
    CHECK(took < 1.0, "freeing the relays took %.3f s", took);
    CHECK(vmb_virt_relay_leaked() == 0, "%u relays were left, not freed",
          vmb_virt_relay_leaked());

out:
    if (stopped)
        kill(libvirtd, SIGCONT);
    vmb_error_free(err);
    vmb_agent_facts_clear(&f);
    vmb_agent_free(a);
    vmb_virt_relay_free(chan);
    vmb_virt_relay_free(con);
    vmb_virt_domain_free(d);
    vmb_virt_close(v);
    vmb_vm_workdir_free(&wd);
    free(kernel);
    free(modules);
    free(agent);
    free(initrd);
    free(k_copy);
    free(i_copy);
    free(console);
    free(xml);
    free(log);
    return failed;
}
