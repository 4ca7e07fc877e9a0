/*
 * Two guests on one private link: each agent sets the static address of
 * its kernel command line on eth0, and Redis in VM 1 answers VM 2 over
 * TCP. The link is QEMU's socket netdev between the two QEMU processes
 * over loopback, and the whole test runs in a network namespace of its
 * own (unshare), so nothing leaves it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "guest_qemu.h"
#include "runtime/runtime.h"
#include "vm/agent.h"
#include "vm/image.h"

#define BOOT_TIMEOUT_US (180ull * 1000000)
#define REQ_TIMEOUT_US (30ull * 1000000)

/* A namespace with only lo, up: the QEMUs' link runs over it. */
static void
private_netns(void)
{
    cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
    close(s);
}

struct node {
    struct guest_vm vm;
    struct vmb_agent *agent;
    char *overlay;
};

static void
node_boot(struct node *n, const struct vmb_image *img, const char *name,
          const char *ip, const char *netdev, const char *mac)
{
    struct vmb_error *err = NULL;
    char dir[] = "/tmp/vmb-net-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    n->overlay = vmb_xasprintf("%s/root.qcow2", dir);
    cr_assert_eq(vmb_image_overlay_create(img->path, n->overlay, &err), 0);
    char *root =
        vmb_xasprintf("file=%s,format=qcow2,if=none,id=root", n->overlay);
    char *nic = vmb_xasprintf("virtio-net-pci,netdev=n0,mac=%s", mac);
    const char *devices[] = {
        "-drive",  root,
        "-device", "virtio-blk-pci,drive=root,serial=" VMB_AGENT_ROOT_SERIAL,
        "-netdev", netdev,
        "-device", nic,
        NULL,
    };
    char *cmdline =
        vmb_xasprintf(VMB_AGENT_ARG_NAME "%s " VMB_AGENT_ARG_IP
                                         "%s " VMB_AGENT_ARG_STORAGE "tmpfs",
                      name, ip);
    guest_vm_start(&n->vm, 1, 512, cmdline, devices);
    free(cmdline);
    free(root);
    free(nic);
}

static void
node_connect(struct node *n)
{
    struct vmb_error *err = NULL;
    if (vmb_agent_connect(n->vm.sock, BOOT_TIMEOUT_US, &n->agent, &err) < 0)
        cr_assert_fail("%s\nconsole:\n%s", err->msg, guest_vm_console(&n->vm));
    const struct vmb_agent_hello *h = vmb_agent_hello_info(n->agent);
    cr_assert_null(h->boot_error, "boot error: %s", h->boot_error);
    cr_assert_geq(h->net_up_us, h->modules_loaded_us);
}

static void
node_free(struct node *n)
{
    vmb_agent_free(n->agent);
    guest_vm_stop(&n->vm);
    char *dir = vmb_xstrdup(n->overlay);
    *strrchr(dir, '/') = '\0';
    struct vmb_error *err = NULL;
    vmb_rm_rf(dir, &err);
    free(dir);
    free(n->overlay);
}

Test(guest_net, vm2_reaches_redis_in_vm1, .timeout = 600)
{
    private_netns();
    struct vmb_image img;
    struct vmb_image_opts opts = {
        .packages = vmb_runtime_image_packages(VMB_ENGINE_REDIS)};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_ensure(&opts, &img, &err), 0, "%s",
                 err ? err->msg : "");

    struct node n1, n2;
    node_boot(&n1, &img, "node1", "10.213.0.2/24",
              "socket,id=n0,listen=127.0.0.1:41641", "52:54:00:00:00:02");
    /* QEMU of node 2 connects at start: node 1 must listen by then. */
    node_connect(&n1);
    node_boot(&n2, &img, "node2", "10.213.0.3/24",
              "socket,id=n0,connect=127.0.0.1:41641", "52:54:00:00:00:03");
    node_connect(&n2);

    struct vmb_agent_facts f;
    cr_assert_eq(vmb_agent_facts(n2.agent, REQ_TIMEOUT_US, &f, &err), 0);
    cr_assert_str_eq(f.ip, "10.213.0.3/24");
    vmb_agent_facts_clear(&f);

    /* Nothing listens yet: refused, not timed out (the link works). */
    cr_assert_eq(vmb_agent_tcpcheck(n2.agent, "10.213.0.2", 6379, NULL,
                                    10000000, NULL, NULL, &err),
                 -1);
    cr_assert(strstr(err->msg, "Connection refused"), "%s", err->msg);
    vmb_error_freep(&err);

    const char *argv[] = {
        "redis-server", "--bind", "0.0.0.0", "--protected-mode",
        "no",           "--dir",  "/data",   NULL};
    struct vmb_agent_proc p = {.argv = argv, .log_path = "/data/redis.log"};
    int pid = 0;
    cr_assert_eq(vmb_agent_spawn(n1.agent, &p, REQ_TIMEOUT_US, &pid, &err), 0,
                 "%s", err ? err->msg : "");
    char *reply = NULL;
    int tries = 0;
    while (vmb_agent_tcpcheck(n2.agent, "10.213.0.2", 6379, "PING\r\n", 5000000,
                              NULL, &reply, &err) < 0) {
        cr_assert_lt(++tries, 40, "%s", err->msg);
        vmb_error_freep(&err);
        usleep(250000);
    }
    cr_assert_str_eq(reply, "+PONG\r\n");
    free(reply);

    /* The database's own client, across the link. */
    const char *cli[] = {"redis-cli", "-h", "10.213.0.2", "SET",
                         "k",         "v",  NULL};
    struct vmb_agent_proc c = {.argv = cli};
    struct vmb_agent_exec_result r;
    cr_assert_eq(
        vmb_agent_exec(n2.agent, &c, 20000000, REQ_TIMEOUT_US, &r, &err), 0);
    cr_assert_str_eq(r.output, "OK\n");
    free(r.output);

    cr_assert_eq(vmb_agent_shutdown(n2.agent, REQ_TIMEOUT_US, &err), 0);
    cr_assert_eq(vmb_agent_shutdown(n1.agent, REQ_TIMEOUT_US, &err), 0);
    cr_assert(guest_vm_wait_exit(&n2.vm, 60));
    cr_assert(guest_vm_wait_exit(&n1.vm, 60));
    node_free(&n2);
    node_free(&n1);
    vmb_image_clear(&img);
}
