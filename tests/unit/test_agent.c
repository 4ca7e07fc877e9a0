/*
 * The agent line protocol and the host client's failure behaviour: wire
 * round trips, and what a caller sees when the agent is missing, silent,
 * or refuses. A booted guest answering for real is in
 * tests/integration/test_guest_boot.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/agent.h"
#include "vm/agent_wire.h"

/* Any bytes survive the encoding, spaces, '=', '%' and newlines included. */
Test(agent, wire_round_trip_any_bytes)
{
    char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (char)i;
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, "spawn");
    vmb_wire_addu(&l, "id", 7);
    vmb_wire_adds(&l, "argv", "redis-server");
    vmb_wire_adds(&l, "argv", "--save \"\" 100%");
    vmb_wire_add(&l, "data", bin, sizeof(bin));
    vmb_wire_adds(&l, "empty", "");
    vmb_wire_line_end(&l);
    cr_assert_eq(memchr(l.data, '\n', l.len), l.data + l.len - 1, "one line");
    struct vmb_wire_msg m;
    cr_assert_eq(vmb_wire_parse(l.data, l.len, &m), 0);
    cr_assert_str_eq(m.verb, "spawn");
    uint64_t id = 0;
    cr_assert_eq(vmb_wire_get_u64(&m, "id", &id), 0);
    cr_assert_eq(id, 7);
    const char **argv = vmb_wire_get_all(&m, "argv");
    cr_assert_str_eq(argv[0], "redis-server");
    cr_assert_str_eq(argv[1], "--save \"\" 100%");
    cr_assert_null(argv[2]);
    free(argv);
    size_t n = 0;
    const char *d = vmb_wire_get_len(&m, "data", &n);
    cr_assert_eq(n, sizeof(bin));
    cr_assert_eq(memcmp(d, bin, n), 0);
    cr_assert_str_eq(vmb_wire_get(&m, "empty"), "");
    cr_assert_null(vmb_wire_get(&m, "missing"));
    vmb_wire_msg_free(&m);
    vmb_wire_line_free(&l);
}

/* Torn or foreign lines are rejected, not half-read. */
Test(agent, wire_rejects_malformed)
{
    const char *bad[] = {"", "ok id", "ok id=%4", "ok id=%zz", "=x", "ok =3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmb_wire_msg m;
        cr_assert_eq(vmb_wire_parse(bad[i], strlen(bad[i]), &m), -1,
                     "accepted \"%s\"", bad[i]);
    }
}

/* No socket ever appears: the connect gives up in time and says so. */
Test(agent, connect_times_out_without_socket)
{
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_agent_connect("/tmp/vmb-no-such-agent.sock", 200000, &a, &err), -1);
    cr_assert_null(a);
    cr_assert(strstr(err->msg, "connect to agent socket "
                               "\"/tmp/vmb-no-such-agent.sock\" within 200 ms"),
              "%s", err->msg);
    vmb_error_free(err);
}

/*
 * Over vsock, a CID with nothing listening: the connect gives up by its
 * deadline and names the CID and port. Where the kernel has no vsock
 * sockets at all (EAFNOSUPPORT) it fails at once and says that instead.
 * This host (a guest itself, with /dev/vsock but no vhost-vsock) takes
 * the first case: its kernel sends the connect towards its own host,
 * which never answers, so the one try runs out with the deadline
 * (ETIMEDOUT after 0.30 s). A host with vhost-vsock and no guest of
 * that CID takes it too, its tries failing or timing out within the
 * deadline.
 */
Test(agent, vsock_connect_gives_up_by_its_deadline, .timeout = 10)
{
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(vmb_agent_connect_vsock(4000000000u, VMB_AGENT_VSOCK_PORT,
                                         300000, &a, &err),
                 -1);
    double took_s = (double)(vmb_now_ns() - t0) / 1e9;
    cr_assert_null(a);
    const char *where = "connect to the agent on vsock cid 4000000000 port "
                        "1024";
    cr_assert(strstr(err->msg, where), "%s", err->msg);
    if (err->errno_value == EAFNOSUPPORT) {
        cr_assert(strstr(err->msg, "this host's kernel has no such sockets"),
                  "%s", err->msg);
        cr_assert_lt(took_s, 0.1, "took %.3f s", took_s);
    } else {
        cr_assert(strstr(err->msg, "within 300 ms"), "%s", err->msg);
        cr_assert_geq(took_s, 0.3, "gave up early: %.3f s", took_s);
        cr_assert_lt(took_s, 1.5, "took %.3f s", took_s);
    }
    vmb_error_free(err);
}

/* A peer that plays agent: hello, then the scripted answers. */
struct peer {
    char path[108];
    int listen_fd;
    const char *script; /* what to send after the first request */
};

static void *
peer_main(void *arg)
{
    struct peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    const char *hello = "hello v=1 name=n1 kernel=k agent_start_us=5 "
                        "modules_loaded_us=6 net_up_us=7 mounts_done_us=8\n";
    if (write(fd, hello, strlen(hello)) < 0)
        return NULL;
    char buf[4096];
    if (read(fd, buf, sizeof(buf)) > 0 && p->script)
        if (write(fd, p->script, strlen(p->script)) < 0)
            return NULL;
    /* Stay silent until the client hangs up. */
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
    return NULL;
}

static pthread_t
peer_start(struct peer *p, const char *script)
{
    snprintf(p->path, sizeof(p->path), "/tmp/vmb-agent-test-%d.sock",
             (int)getpid());
    unlink(p->path);
    p->script = script;
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, p->path);
    cr_assert_eq(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(p->listen_fd, 1), 0);
    pthread_t t;
    pthread_create(&t, NULL, peer_main, p);
    return t;
}

static void
peer_stop(struct peer *p, pthread_t t)
{
    pthread_join(t, NULL);
    close(p->listen_fd);
    unlink(p->path);
}

/* The hello's milestones reach the caller. */
Test(agent, hello_milestones, .timeout = 10)
{
    struct peer p;
    pthread_t t = peer_start(&p, NULL);
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(p.path, 2000000, &a, &err), 0);
    const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
    cr_assert_eq(h->agent_start_us, 5);
    cr_assert_eq(h->mounts_done_us, 8);
    cr_assert_str_eq(h->name, "n1");
    cr_assert_null(h->boot_error);
    cr_assert_gt(h->host_ns, 0);
    vmb_agent_free(a);
    peer_stop(&p, t);
}

/* A silent agent: the request fails on its timeout, naming the request. */
Test(agent, request_times_out_naming_request, .timeout = 10)
{
    struct peer p;
    pthread_t t = peer_start(&p, NULL);
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(p.path, 2000000, &a, &err), 0);
    struct vmb_agent_facts f;
    cr_assert_eq(vmb_agent_facts(a, 300000, &f, &err), -1);
    cr_assert_str_eq(err->msg,
                     "agent request \"facts\": no answer within 300 ms");
    vmb_error_free(err);
    vmb_agent_free(a);
    peer_stop(&p, t);
}

/*
 * The agent's refusal comes through with its reason; a stale answer to an
 * earlier id and a repeated hello before it are skipped.
 */
Test(agent, refusal_carries_reason, .timeout = 10)
{
    struct peer p;
    pthread_t t = peer_start(&p, "ok id=99 pid=3\nhello v=1\n"
                                 "err id=1 msg=redis-server:%20No%20such%20"
                                 "file%20or%20directory\n");
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(p.path, 2000000, &a, &err), 0);
    const char *argv[] = {"redis-server", NULL};
    struct vmb_agent_proc proc = {.argv = argv};
    int pid = 0;
    cr_assert_eq(vmb_agent_spawn(a, &proc, 2000000, &pid, &err), -1);
    cr_assert_str_eq(err->msg,
                     "start \"redis-server\": agent request \"spawn\": "
                     "redis-server: No such file or directory");
    vmb_error_free(err);
    vmb_agent_free(a);
    peer_stop(&p, t);
}

/* The guest's counters in seconds, with its CPUs. */
Test(agent, counters_in_seconds_with_cpus, .timeout = 10)
{
    struct peer p;
    pthread_t t = peer_start(&p, "ok id=1 hz=100 user=150 system=50 idle=200 "
                                 "iowait=7 steal=0 cpus=2\n");
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(p.path, 2000000, &a, &err), 0);
    struct vmb_agent_counters c;
    cr_assert_eq(vmb_agent_counters(a, 2000000, &c, &err), 0);
    cr_expect_float_eq(c.user_s, 1.5, 1e-9);
    cr_expect_float_eq(c.iowait_s, 0.07, 1e-9);
    cr_expect_eq(c.cpus, 2);
    cr_expect(!c.has_disk);
    vmb_agent_free(a);
    peer_stop(&p, t);
}

struct busy_req {
    struct vmb_agent *a;
    int rc;
};

static void *
busy_request(void *arg)
{
    struct busy_req *b = arg;
    struct vmb_agent_facts f;
    struct vmb_error *err = NULL;
    b->rc = vmb_agent_facts(b->a, 1500000, &f, &err);
    vmb_error_free(err);
    return NULL;
}

/* Two threads share the channel one request at a time: the second waits
 * for the first no longer than its own deadline, and says so. */
Test(agent, a_busy_channel_fails_on_the_deadline, .timeout = 10)
{
    struct peer p;
    pthread_t t = peer_start(&p, NULL);
    struct busy_req b = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(p.path, 2000000, &b.a, &err), 0);
    pthread_t other;
    pthread_create(&other, NULL, busy_request, &b);
    usleep(200000);
    struct vmb_agent_counters c;
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(vmb_agent_counters(b.a, 300000, &c, &err), -1);
    uint64_t took = vmb_now_ns() - t0;
    cr_expect_str_eq(err->msg, "agent request \"counters\": the channel "
                               "stayed busy with another request for 300 ms");
    cr_expect(took >= 250000000ull && took < 1000000000ull, "%llu ns",
              (unsigned long long)took);
    vmb_error_free(err);
    pthread_join(other, NULL);
    cr_expect_eq(b.rc, -1);
    vmb_agent_free(b.a);
    peer_stop(&p, t);
}

/* A guest that opens its port late: it says nothing until asked. */
static void *
late_port_main(void *arg)
{
    int fd = *(int *)arg;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0 && strncmp(buf, "hello id=0\n", 11) == 0) {
        const char *hello = "hello v=1 name=n2 kernel=k agent_start_us=5 "
                            "modules_loaded_us=6 net_up_us=7 "
                            "mounts_done_us=8\n";
        if (write(fd, hello, strlen(hello)) < 0)
            return NULL;
    }
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    return NULL;
}

/* A descriptor a relay carries: the client asks for the hello itself and
 * owns the descriptor from then on (freeing the client closes it). */
Test(agent, connect_fd_asks_for_the_hello, .timeout = 10)
{
    int sp[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    pthread_t t;
    pthread_create(&t, NULL, late_port_main, &sp[1]);
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_agent_connect_fd(sp[0], "the test's channel", 2000000, &a, &err), 0,
        "%s", err ? err->msg : "");
    cr_assert_str_eq(vmb_agent_hello_info(a)->name, "n2");
    vmb_agent_free(a);
    /* The peer saw EOF: the client closed the descriptor it was given. */
    pthread_join(t, NULL);
    close(sp[1]);
}

/* A silent channel: the connect fails on its deadline, naming the
 * channel, and closes the descriptor it was given. */
Test(agent, connect_fd_fails_in_time_and_closes, .timeout = 10)
{
    int sp[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(
        vmb_agent_connect_fd(sp[0], "the test's channel", 300000, &a, &err),
        -1);
    uint64_t took = vmb_now_ns() - t0;
    cr_assert_str_eq(err->msg,
                     "no hello from the test's channel within 300 ms");
    cr_assert(took >= 250000000ull && took < 1500000000ull, "%llu ns",
              (unsigned long long)took);
    vmb_error_free(err);
    /* What the client asked for, then EOF: its end is closed. */
    char buf[256];
    ssize_t n, total = 0;
    while ((n = read(sp[1], buf, sizeof(buf))) > 0)
        total += n;
    cr_assert_eq(n, 0);
    cr_assert_gt(total, 0);
    close(sp[1]);
}
