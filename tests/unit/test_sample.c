/*
 * Where the time goes, host side: the thread classes of a QEMU process
 * read from a fixture /proc tree (tests/data/proc-qemu), the host disk
 * and network counters, and the arithmetic of a window: interpolation at
 * its edges, deltas, the per-op figures, the per-second columns, and the
 * objects of result.json they become (run/resources.c turns a window into
 * the results' struct, results/results_res.c writes it).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/util.h"
#include "results/resources.h"
#include "run/resources.h"
#include "runtime/hostcpu.h"
#include "runtime/sample.h"

#define PROC VMB_TEST_DATA "/data/proc-qemu"

struct class_case {
    char comm[32];
    bool main_thread;
    enum vmb_cpu_class want;
};

ParameterizedTestParameters(sample, classify)
{
    static struct class_case cases[] = {
        {"qemu-system-x86", true, VMB_CPU_QEMU_MAIN},
        {"CPU 0/KVM", false, VMB_CPU_VCPU},
        {"CPU 12/TCG", false, VMB_CPU_VCPU},
        {"ALL CPUs/TCG", false, VMB_CPU_VCPU},
        {"IO iothread1", false, VMB_CPU_IOTHREADS},
        {"IO mon_iothread", false, VMB_CPU_QEMU_OTHER},
        {"vhost-4242", false, VMB_CPU_VHOST},
        {"worker", false, VMB_CPU_QEMU_OTHER},
        {"call_rcu", false, VMB_CPU_QEMU_OTHER},
        {"CPU", false, VMB_CPU_QEMU_OTHER},
    };
    return cr_make_param_array(struct class_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct class_case *c, sample, classify)
{
    cr_assert_eq(vmb_cpu_classify_thread(c->comm, c->main_thread), c->want,
                 "%s", c->comm);
}

/* Ticks of the fixture, in microseconds at this host's clock tick. */
static uint64_t
us(uint64_t ticks)
{
    return ticks * 1000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
}

Test(sample, qemu_threads_by_class)
{
    struct vmb_cpu_split s = {0};
    cr_assert_eq(vmb_cpu_read_qemu(PROC, 4242, "vmb-abc123r1-1", &s), 0);
    cr_expect_eq(s.us[VMB_CPU_VCPU], us(850));
    cr_expect_eq(s.threads[VMB_CPU_VCPU], 2);
    cr_expect_eq(s.us[VMB_CPU_QEMU_MAIN], us(80));
    cr_expect_eq(s.us[VMB_CPU_IOTHREADS], us(45));
    cr_expect_eq(s.threads[VMB_CPU_IOTHREADS], 1);
    /* call_rcu, the monitor's iothread, a worker */
    cr_expect_eq(s.us[VMB_CPU_QEMU_OTHER], us(19));
    cr_expect_eq(s.threads[VMB_CPU_QEMU_OTHER], 3);
    /* a vhost worker thread of QEMU and a vhost kernel thread; not the
     * vhost thread of another QEMU */
    cr_expect_eq(s.us[VMB_CPU_VHOST], us(100));
    cr_expect_eq(s.threads[VMB_CPU_VHOST], 2);
    /* this domain's virtiofsd with its reaped child, not another's */
    cr_expect_eq(s.us[VMB_CPU_VIRTIOFSD], us(60));
    cr_expect_eq(s.threads[VMB_CPU_VIRTIOFSD], 1);
    cr_expect_eq(s.us[VMB_CPU_DB], 0);
}

Test(sample, qemu_gone)
{
    struct vmb_cpu_split s = {0};
    cr_expect_eq(vmb_cpu_read_qemu(PROC, 4243, "x", &s), -1);
    cr_expect_eq(vmb_cpu_read_qemu(PROC, 77777, "x", &s), -1);
}

/* vmbench's own virtiofsd by its pid: the process with its reaped
 * children, and its live sandboxed worker (4402), not another daemon. */
Test(sample, virtiofsd_by_pid)
{
    struct vmb_cpu_split s = {0};
    cr_assert_eq(vmb_cpu_read_virtiofsd(PROC, 4400, &s), 0);
    cr_expect_eq(s.us[VMB_CPU_VIRTIOFSD], us(70));
    cr_expect_eq(s.threads[VMB_CPU_VIRTIOFSD], 2);
    cr_expect_eq(s.us[VMB_CPU_VCPU], 0);
    cr_expect_eq(vmb_cpu_read_virtiofsd(PROC, 77777, &s), -1);
}

Test(sample, process_with_children)
{
    uint64_t v = 0;
    cr_assert_eq(vmb_cpu_read_process(PROC, 4400, &v), 0);
    cr_expect_eq(v, us(60));
    /* A name with a space and a parenthesis. */
    cr_assert_eq(vmb_cpu_read_process(PROC, 4500, &v), 0);
    cr_expect_eq(v, us(22));
    cr_expect_eq(vmb_cpu_read_process(PROC, 1, &v), -1);
}

Test(sample, parse_stat_rejects)
{
    char comm[16];
    uint64_t t;
    cr_expect_eq(vmb_cpu_parse_stat("", comm, sizeof(comm), false, &t), -1);
    cr_expect_eq(vmb_cpu_parse_stat("12 (x", comm, sizeof(comm), false, &t),
                 -1);
    cr_expect_eq(
        vmb_cpu_parse_stat("12 (x) S 1 2", comm, sizeof(comm), false, &t), -1);
}

Test(sample, diskstats_and_net)
{
    autofree char *text = NULL;
    cr_assert_eq(vmb_read_file(PROC "/diskstats", &text, NULL, NULL), 0);
    struct vmb_sample s = {0};
    cr_assert_eq(vmb_sample_parse_diskstats(text, 254, 1, &s), 0);
    cr_expect_eq(s.v[VMB_CTR_HOST_RD_OPS], 100);
    cr_expect_eq(s.v[VMB_CTR_HOST_RD_BYTES], 800 * 512);
    cr_expect_eq(s.v[VMB_CTR_HOST_WR_OPS], 200);
    cr_expect_eq(s.v[VMB_CTR_HOST_WR_BYTES], 1600 * 512);
    cr_expect_eq(s.v[VMB_CTR_HOST_BUSY_MS], 55);
    cr_expect(s.have[VMB_CTR_HOST_BUSY_MS]);
    cr_expect(!s.have[VMB_CTR_DISK_WR_BYTES]);
    cr_expect_eq(vmb_sample_parse_diskstats(text, 8, 0, &s), -1);

    struct vmb_sample n = {0};
    cr_assert_eq(vmb_sample_host_net(PROC, "lo", &n), 0);
    cr_assert_eq(vmb_sample_host_net(PROC, "eth0", &n), 0);
    cr_expect_eq(n.v[VMB_CTR_NET_RX_BYTES], 123456 + 1000);
    cr_expect_eq(n.v[VMB_CTR_NET_TX_PACKETS], 789 + 20);
    cr_expect_eq(vmb_sample_host_net(PROC, "eth", &n), -1);
}

/* Two samples a second apart: 1.5 CPU-seconds, 100 writes. */
static void
two_samples(struct vmb_sample s[2])
{
    memset(s, 0, 2 * sizeof(*s));
    s[0].at_ns = 10000000000ull;
    s[1].at_ns = 11000000000ull;
    s[0].v[VMB_CPU_VCPU] = 1e6;
    s[1].v[VMB_CPU_VCPU] = 2e6;
    s[0].v[VMB_CPU_QEMU_MAIN] = 0;
    s[1].v[VMB_CPU_QEMU_MAIN] = 5e5;
    s[1].v[VMB_CTR_DISK_WR_OPS] = 100;
    s[1].v[VMB_CTR_DISK_WR_BYTES] = 409600;
    for (int i = 0; i < 2; i++) {
        s[i].have[VMB_CPU_VCPU] = s[i].have[VMB_CPU_QEMU_MAIN] = true;
        s[i].have[VMB_CTR_DISK_WR_OPS] = s[i].have[VMB_CTR_DISK_WR_BYTES] =
            true;
        s[i].have[VMB_CTR_DISK_RD_OPS] = s[i].have[VMB_CTR_DISK_RD_BYTES] =
            true;
    }
    /* Read only by the second sample: no delta. */
    s[1].have[VMB_CTR_NET_RX_BYTES] = true;
}

Test(sample, interpolation_and_delta)
{
    struct vmb_sample s[2], a, b, d;
    two_samples(s);
    cr_assert(vmb_samples_at(s, 2, 10250000000ull, &a));
    cr_assert(vmb_samples_at(s, 2, 10750000000ull, &b));
    cr_expect_float_eq(a.v[VMB_CPU_VCPU], 1.25e6, 1e-6);
    vmb_sample_delta(&a, &b, &d);
    cr_expect_eq(d.at_ns, 500000000ull);
    cr_expect_float_eq(d.v[VMB_CPU_VCPU], 5e5, 1e-6);
    cr_expect_float_eq(vmb_sample_host_cpu_us(&d), 7.5e5, 1e-6);
    cr_expect_float_eq(d.v[VMB_CTR_DISK_WR_OPS], 50, 1e-9);
    cr_expect(!d.have[VMB_CTR_NET_RX_BYTES]);
    /* Outside the samples: the nearest one. */
    cr_assert(vmb_samples_at(s, 2, 1, &a));
    cr_expect_eq(a.at_ns, s[0].at_ns);
    cr_expect(!vmb_samples_at(s, 0, 1, &a));
}

/* A window's PHASE_RESOURCES object, as a run writes it. */
static void
window_json(struct vmb_jw *w, const struct vmb_sample *d, double ops)
{
    struct vmb_res_resources r;
    vmb_res_resources_clear(&r);
    vmb_run_resources_window(d, ops, &r);
    vmb_res_phase_resources_json(w, &r);
}

/* A window's GUEST object, as a run writes it. */
static void
guest_json(struct vmb_jw *w, const struct vmb_sample *d)
{
    struct vmb_res_resources r;
    vmb_res_resources_clear(&r);
    vmb_run_resources_guest(d, &r);
    vmb_res_guest_json(w, &r);
}

Test(sample, window_json)
{
    struct vmb_sample s[2], d;
    two_samples(s);
    vmb_sample_delta(&s[0], &s[1], &d);
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    window_json(&w, &d, 250);
    autofree char *j = vmb_jw_steal(&w);
    cr_expect(strstr(j, "\"window_s\":1,") != NULL, "%s", j);
    cr_expect(strstr(j, "\"host_cpu_us\":{\"total\":1500000,\"vcpu\":1000000,"
                        "\"qemu_main\":500000}") != NULL,
              "%s", j);
    cr_expect(strstr(j, "\"disk\":{\"read_bytes\":0,\"write_bytes\":409600,"
                        "\"read_ops\":0,\"write_ops\":100}") != NULL,
              "%s", j);
    cr_expect(strstr(j, "\"net\":null") != NULL, "%s", j);
    cr_expect(strstr(j, "\"loadgen_cpu_us\":null") != NULL, "%s", j);
}

/* Two samples of two VMs a second apart: each node's interface, and
 * the guests' counters (2 CPUs together, no data device). */
static void
two_vm_samples(struct vmb_sample s[2])
{
    memset(s, 0, 2 * sizeof(*s));
    s[0].at_ns = 10000000000ull;
    s[1].at_ns = 12000000000ull;
    for (int i = 0; i < 2; i++) {
        for (int node = 1; node <= 2; node++)
            for (int k = 0; k < 4; k++) {
                /* node 1 moves 1000 per counter, node 2 3000 */
                s[i].v[VMB_CTR_NODE(node, k)] =
                    (double)(k + 1) * 1e6 + i * (node == 1 ? 1000 : 3000);
                s[i].have[VMB_CTR_NODE(node, k)] = true;
            }
        for (int k = 0; k < 4; k++) {
            s[i].v[VMB_CTR_NET_RX_BYTES + k] =
                s[i].v[VMB_CTR_NODE(1, k)] + s[i].v[VMB_CTR_NODE(2, k)];
            s[i].have[VMB_CTR_NET_RX_BYTES + k] = true;
        }
        for (int k = VMB_CTR_GUEST_USER_S; k <= VMB_CTR_GUEST_IDLE_S; k++)
            s[i].have[k] = true;
        s[i].have[VMB_CTR_GUEST_CPUS] = true;
    }
    /* 4 CPU-seconds over the two seconds: 1.5 user, 0.5 system,
     * 0.25 iowait, 1.75 idle. */
    s[0].v[VMB_CTR_GUEST_USER_S] = 100;
    s[1].v[VMB_CTR_GUEST_USER_S] = 101.5;
    s[0].v[VMB_CTR_GUEST_SYSTEM_S] = 20;
    s[1].v[VMB_CTR_GUEST_SYSTEM_S] = 20.5;
    s[0].v[VMB_CTR_GUEST_IOWAIT_S] = 1;
    s[1].v[VMB_CTR_GUEST_IOWAIT_S] = 1.25;
    s[0].v[VMB_CTR_GUEST_IDLE_S] = 50;
    s[1].v[VMB_CTR_GUEST_IDLE_S] = 51.75;
    /* A gauge: a window takes its value at the end, not a difference. */
    s[0].v[VMB_CTR_GUEST_CPUS] = 2;
    s[1].v[VMB_CTR_GUEST_CPUS] = 2;
}

Test(sample, per_node_network_and_guest_window)
{
    struct vmb_sample s[2], a, d;
    two_vm_samples(s);
    /* Half of the span: the counters halfway, the gauge unchanged. */
    cr_assert(vmb_samples_at(s, 2, 11000000000ull, &a));
    vmb_sample_delta(&s[0], &a, &d);
    cr_expect_float_eq(d.v[VMB_CTR_GUEST_CPUS], 2, 1e-9);
    cr_expect_float_eq(d.v[VMB_CTR_GUEST_USER_S], 0.75, 1e-9);
    cr_expect_float_eq(d.v[VMB_CTR_NODE(2, 0)], 1500, 1e-9);
    vmb_sample_delta(&s[0], &s[1], &d);
    cr_expect_float_eq(d.v[VMB_CTR_GUEST_CPUS], 2, 1e-9);
    cr_expect(vmb_sample_has_guest(&d));
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    window_json(&w, &d, 100);
    autofree char *j = vmb_jw_steal(&w);
    cr_expect(strstr(j, "\"net\":{\"rx_bytes\":4000,\"tx_bytes\":4000,"
                        "\"rx_packets\":4000,\"tx_packets\":4000},"
                        "\"net_source\":\"nics\",\"net_nodes\":["
                        "{\"rx_bytes\":1000,\"tx_bytes\":1000,"
                        "\"rx_packets\":1000,\"tx_packets\":1000},"
                        "{\"rx_bytes\":3000,\"tx_bytes\":3000,"
                        "\"rx_packets\":3000,\"tx_packets\":3000}]") != NULL,
              "%s", j);
    vmb_jw_init(&w, false);
    guest_json(&w, &d);
    autofree char *g = vmb_jw_steal(&w);
    cr_expect_str_eq(g, "{\"window_s\":2,\"cpus\":2,\"user_s\":1.5,"
                        "\"system_s\":0.5,\"iowait_s\":0.25,\"steal_s\":0,"
                        "\"idle_s\":1.75,\"disk\":null}");
}

Test(sample, bare_metal_network_is_loopback_without_nodes)
{
    struct vmb_sample s[2], d;
    two_samples(s);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            s[i].v[VMB_CTR_NET_RX_BYTES + k] = 500.0 * i;
            s[i].have[VMB_CTR_NET_RX_BYTES + k] = true;
        }
    vmb_sample_delta(&s[0], &s[1], &d);
    cr_expect(!vmb_sample_has_guest(&d));
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    window_json(&w, &d, 100);
    autofree char *j = vmb_jw_steal(&w);
    cr_expect(strstr(j, "\"net_source\":\"loopback\",\"net_nodes\":null}") !=
                  NULL,
              "%s", j);
}

Test(sample, csv_columns)
{
    struct vmb_sample s[2];
    two_samples(s);
    struct vmb_buf out = {0};
    /* Second 1 is the sampled second; second 2 lies past the window (1 s):
     * empty; the header-less rows pass through. */
    vmb_sample_csv_extend("0-write,1,write,100,100,5,9\n"
                          "0-write,2,write,100,100,5,9\n",
                          s[0].at_ns, 1.0, s, 2, &out);
    cr_expect_str_eq(out.data, "0-write,1,write,100,100,5,9,1.5,100,409600,,,\n"
                               "0-write,2,write,100,100,5,9,,,,,,\n");
    vmb_buf_free(&out);
    /* A window of half a second: the rates are over that half. */
    struct vmb_buf half = {0};
    vmb_sample_csv_extend("0-write,1,write,50,100,5,9\n", s[0].at_ns, 0.5, s, 2,
                          &half);
    cr_expect_str_eq(half.data,
                     "0-write,1,write,50,100,5,9,1.5,100,409600,,,\n");
    vmb_buf_free(&half);
    /* Each node's interface: received plus sent bytes per second. */
    for (int i = 0; i < 2; i++)
        for (int node = 1; node <= 2; node++)
            for (int k = 0; k < 4; k++) {
                /* bytes 100 and 200 a second for node 1, packets 1 and 2 */
                double per_s = (k < 2 ? 100.0 : 1.0) * (k % 2 + 1) * node;
                s[i].v[VMB_CTR_NODE(node, k)] = per_s * i;
                s[i].have[VMB_CTR_NODE(node, k)] = true;
            }
    struct vmb_buf nodes = {0};
    vmb_sample_csv_extend("0-write,1,write,50,100,5,9\n", s[0].at_ns, 1.0, s, 2,
                          &nodes);
    cr_expect_str_eq(nodes.data,
                     "0-write,1,write,50,100,5,9,1.5,100,409600,,300,600\n");
    vmb_buf_free(&nodes);
}

static void
count_calls(void *ctx, struct vmb_sample *s)
{
    int *n = ctx;
    s->v[VMB_CPU_DB] = ++*n;
    s->have[VMB_CPU_DB] = true;
}

Test(sample, sampler_thread, .timeout = 10)
{
    int calls = 0;
    struct vmb_sampler *sp =
        vmb_sampler_start(count_calls, &calls, 10 * 1000000ull);
    usleep(55 * 1000);
    vmb_sampler_stop(sp);
    size_t n = 0;
    const struct vmb_sample *s = vmb_sampler_samples(sp, &n);
    /* One at the start, about five ticks, one at the stop; a busy host
     * may delay ticks, never bunch them. */
    cr_expect(n >= 2 && n <= 9, "%zu samples", n);
    cr_expect_eq((int)n, calls);
    for (size_t i = 1; i < n; i++) {
        cr_expect(s[i].at_ns > s[i - 1].at_ns);
        cr_expect(s[i].have[VMB_CTR_LOADGEN_CPU_US]);
    }
    double share = vmb_sampler_cpu_share(sp);
    cr_expect(share >= 0 && share < 0.5, "%g", share);
    vmb_sampler_free(sp);
}
