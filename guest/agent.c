/*
 * vmb-agent: PID 1 of a vmbench container VM.
 *
 * Boots the guest (modules, network, mounts as the kernel command line
 * says: boot.c), then answers the host over the agent channel (the
 * virtio-serial port, or vsock when the command line says so): the loop and
 * dispatch here, each request in requests.c. The contract with the host
 * (command line keys, devices, guest layout, the protocol) is described in
 * harness/vm/agent.h; its names and limits are defined once, in
 * harness/vm/agent_wire.h, which the host compiles too. Built static; depends
 * on libc and harness/vm/agent_wire.c only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"

#define HELLO_EVERY_US 200000

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
        vmb_guest_send_hello();
    else if (strcmp(m.verb, "facts") == 0)
        vmb_guest_req_facts(id);
    else if (strcmp(m.verb, "spawn") == 0)
        vmb_guest_req_spawn(id, &m);
    else if (strcmp(m.verb, "status") == 0)
        vmb_guest_req_status(id, &m);
    else if (strcmp(m.verb, "kill") == 0)
        vmb_guest_req_kill(id, &m);
    else if (strcmp(m.verb, "exec") == 0)
        vmb_guest_req_exec(id, &m);
    else if (strcmp(m.verb, "fetch") == 0)
        vmb_guest_req_fetch(id, &m);
    else if (strcmp(m.verb, "write") == 0)
        vmb_guest_req_write(id, &m);
    else if (strcmp(m.verb, "tcpcheck") == 0)
        vmb_guest_req_tcpcheck(id, &m);
    else if (strcmp(m.verb, "probe") == 0)
        vmb_guest_req_probe(id, &m);
    else if (strcmp(m.verb, "spin") == 0)
        vmb_guest_req_spin(id, &m);
    else if (strcmp(m.verb, "counters") == 0)
        vmb_guest_req_counters(id);
    else if (strcmp(m.verb, "sync") == 0 || strcmp(m.verb, "shutdown") == 0) {
        sync();
        struct vmb_wire_line l;
        vmb_guest_reply_begin(&l, id);
        vmb_guest_send_line(&l);
        off = strcmp(m.verb, "shutdown") == 0;
    } else
        vmb_guest_reply_err(id, "unknown request \"%s\"", m.verb);
    vmb_wire_msg_free(&m);
    return off;
}

/* Bytes from the host not yet a whole line. */
static char *in;
static size_t in_len, in_cap;

static void
drain_signals(void)
{
    struct signalfd_siginfo si;
    while (read(vmb_guest.sigfd, &si, sizeof(si)) > 0)
        ;
    vmb_guest_reap();
}

/*
 * Reads what the host sent and handles each whole line. Returns how
 * many it handled, or -1 when the host hung up (read gave 0).
 */
static int
take_input(void)
{
    if (in_cap - in_len < 65536) {
        in_cap = in_cap ? in_cap * 2 : 131072;
        in = realloc(in, in_cap);
        if (!in)
            abort();
    }
    ssize_t n = read(vmb_guest.port, in + in_len, in_cap - in_len);
    if (n == 0) {
        in_len = 0;
        return -1;
    }
    if (n < 0)
        return 0; /* EAGAIN, EINTR: poll again */
    in_len += (size_t)n;
    char *nl;
    int lines = 0;
    for (; (nl = memchr(in, '\n', in_len)) != NULL; lines++) {
        size_t ll = (size_t)(nl - in) + 1;
        if (handle(in, ll))
            vmb_guest_power_off();
        memmove(in, in + ll, in_len - ll);
        in_len -= ll;
    }
    return lines;
}

/*
 * The host side may connect late, leave and come back: while it is away
 * the port reports POLLHUP at once, so we sleep instead of polling it.
 * Each time it (re)connects we greet it until it speaks. A quick
 * hang-up and reconnect can go unseen here, which is why the host also
 * asks with a "hello" request.
 */
static void
serve_port(void)
{
    bool host_up = false, need_hello = true;
    uint64_t next_hello = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = vmb_guest.port, .events = POLLIN},
                              {.fd = vmb_guest.sigfd, .events = POLLIN}};
        int timeout = -1;
        if (host_up && need_hello) {
            uint64_t now = vmb_guest_mono_us();
            timeout =
                next_hello > now ? (int)((next_hello - now) / 1000u) + 1 : 0;
        }
        if (!host_up) {
            poll(&p[1], 1, 10);
            if (p[1].revents & POLLIN)
                drain_signals();
            /* Writable without a hang-up: the host is there. */
            p[0].events = POLLIN | POLLOUT;
            p[0].revents = 0;
            poll(&p[0], 1, 0);
        } else {
            poll(p, 2, timeout);
            if (p[1].revents & POLLIN)
                drain_signals();
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
            int lines = take_input();
            if (lines < 0) { /* the host hung up between poll and read */
                host_up = false;
                continue;
            }
            if (lines > 0)
                need_hello = false;
        }
        if (host_up && need_hello && vmb_guest_mono_us() >= next_hello) {
            vmb_guest_send_hello();
            next_hello = vmb_guest_mono_us() + HELLO_EVERY_US;
        }
    }
}

static void
say_up(const char *transport)
{
    vmb_guest_say("up in %" PRIu64 " ms, answering on %s%s%s",
                  vmb_guest.t_mounts / 1000, transport,
                  vmb_guest.boot_error[0] ? ", with a boot error: " : "",
                  vmb_guest.boot_error);
}

/*
 * Over vsock the host connects to us: the newest connection is the host
 * (an older one is one it gave up on), greeted until it speaks, and a
 * hang-up leaves us listening for the next.
 */
static void
serve_vsock(int listen_fd)
{
    bool need_hello = false;
    uint64_t next_hello = 0;
    vmb_guest.port = -1;
    for (;;) {
        struct pollfd p[3] = {{.fd = listen_fd, .events = POLLIN},
                              {.fd = vmb_guest.sigfd, .events = POLLIN},
                              {.fd = vmb_guest.port, .events = POLLIN}};
        int timeout = -1;
        if (vmb_guest.port >= 0 && need_hello) {
            uint64_t now = vmb_guest_mono_us();
            timeout =
                next_hello > now ? (int)((next_hello - now) / 1000u) + 1 : 0;
        }
        poll(p, vmb_guest.port >= 0 ? 3 : 2, timeout);
        if (p[1].revents & POLLIN)
            drain_signals();
        if (p[0].revents & POLLIN) {
            int fd =
                accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                if (vmb_guest.port >= 0)
                    close(vmb_guest.port);
                vmb_guest.port = fd;
                in_len = 0;
                need_hello = true;
                next_hello = 0;
                continue;
            }
        }
        if (vmb_guest.port >= 0 && (p[2].revents & POLLIN)) {
            int lines = take_input();
            if (lines > 0)
                need_hello = false;
            if (lines < 0)
                p[2].revents |= POLLHUP;
        }
        if (vmb_guest.port >= 0 && (p[2].revents & (POLLHUP | POLLERR))) {
            close(vmb_guest.port);
            vmb_guest.port = -1;
            in_len = 0;
            continue;
        }
        if (vmb_guest.port >= 0 && need_hello &&
            vmb_guest_mono_us() >= next_hello) {
            vmb_guest_send_hello();
            next_hello = vmb_guest_mono_us() + HELLO_EVERY_US;
        }
    }
}

/* The vsock socket the agent listens on, on Kata's agent port; -1
 * when the guest's kernel cannot give one (said on the console). */
static int
vsock_listen(void)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_vm sa = {.svm_family = AF_VSOCK,
                             .svm_cid = VMADDR_CID_ANY,
                             .svm_port = VMB_AGENT_VSOCK_PORT};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 4) < 0) {
        vmb_guest_say("listen on vsock port %d: %s", VMB_AGENT_VSOCK_PORT,
                      strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Opens the channel the command line names and serves the host on it;
 * powers off when there is none, the host having no other way in. */
static void
serve(void)
{
    if (strcmp(vmb_guest.agent, "vsock") == 0) {
        int fd = vsock_listen();
        if (fd < 0) {
            vmb_guest_say("no vsock to answer the host on; powering off");
            vmb_guest_power_off();
        }
        say_up("vsock");
        serve_vsock(fd);
    }
    char dev[64];
    if (!vmb_guest_find_channel(VMB_AGENT_CHANNEL, dev, sizeof(dev))) {
        vmb_guest_say("no virtio-serial port named \"%s\"; powering off",
                      VMB_AGENT_CHANNEL);
        vmb_guest_power_off();
    }
    vmb_guest.port = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (vmb_guest.port < 0) {
        vmb_guest_say("open \"%s\": %s; powering off", dev, strerror(errno));
        vmb_guest_power_off();
    }
    say_up("virtio-serial");
    serve_port();
}

int
main(void)
{
    vmb_guest.t_start = vmb_guest_boot_us();
    if (getpid() != 1) {
        fprintf(stderr, "vmb-agent: runs as PID 1 of a vmbench guest\n");
        return 2;
    }
    vmb_guest_mount_or_fail("proc", "/proc", "proc", 0, "");
    vmb_guest_mount_or_fail("sysfs", "/sys", "sysfs", 0, "");
    vmb_guest_mount_or_fail("devtmpfs", "/dev", "devtmpfs", 0, "");
    vmb_guest_parse_cmdline();

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    vmb_guest.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    vmb_guest_load_modules();
    vmb_guest.t_modules = vmb_guest_boot_us();
    vmb_guest_setup_network();
    vmb_guest.t_net = vmb_guest_boot_us();
    vmb_guest_setup_mounts();
    vmb_guest.t_mounts = vmb_guest_boot_us();

    serve();
    return 0;
}
