/*
 * result.json and config.json both ways (results/result_json.h): what
 * the writer makes of a run's data reads back as that data, and the text
 * is the format docs/results-format.md describes, key for key.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/matrix.h"
#include "results/resources.h"
#include "results/result_json.h"
#include "results/results.h"
#include "results/results_priv.h"

/* Tenant t's VM pair: booted, stages from base + t, both windows
 * measured. */
static struct vmb_runtime_record
vm_record(size_t t, double base)
{
    struct vmb_runtime_record r = {
        .has_boot = true, .booted = true, .measured = true};
    for (int i = 0; i < 2; i++) {
        r.boot[i] = (struct vmb_rt_boot){base + (double)t, base + 1, base + 2,
                                         base + 3, base + 4 + i};
        r.window[i] = (struct vmb_rt_window){.kind = VMB_RT_WINDOW_VM,
                                             .window_s = 10,
                                             .vcpu_time_s = 2.5,
                                             .process_cpu_s = 3.25,
                                             .block_rd_bytes = 4096,
                                             .block_wr_bytes = 8192,
                                             .block_rd_reqs = 1,
                                             .block_wr_reqs = 2,
                                             .net_rx_bytes = 100,
                                             .net_tx_bytes = 200 + (uint64_t)i};
    }
    r.replica_sync_s = base + 6;
    return r;
}

static const char *const phases[] = {
    "{\"index\": 0, \"op\": \"write\", \"ops\": 1000, \"errors\": 2, "
    "\"op_rate\": 500, \"duration_s\": 2, \"tenants\": [{\"tenant\": 1, "
    "\"ops\": 600, \"errors\": 1, \"op_rate\": 300}, {\"tenant\": 2, \"ops\": "
    "400, \"errors\": 1, \"op_rate\": 200}]}",
    "{\"index\": 1, \"op\": \"read\", \"ops\": 3000, \"errors\": 0, "
    "\"op_rate\": 1500, \"duration_s\": 2, \"tenants\": [{\"tenant\": 1, "
    "\"ops\": 1500, \"errors\": 0, \"op_rate\": 750}, {\"tenant\": 2, \"ops\": "
    "1500, \"errors\": 0, \"op_rate\": 750}]}",
};
static const char *const names[] = {"0-write", "1-read"};
static const char *const tenant_dirs[] = {"", "tenant2"};
static const struct vmb_result_ignored ignored[] = {
    {"innodb_flush_method", "O_DIRECT",
     "9p opens the host's files without it"}};
static const struct vmb_result_host_setting host_settings[] = {{"ksm", "0"},
                                                               {"thp", NULL}};
static const char *const artefacts[] = {"latency-0-write.hgrm",
                                        "timeseries.csv"};
static const double agent_s[] = {1.5, 2.25};
static const double sync_s[] = {3.5, NAN};
static struct vmb_runtime_record recs[2];

/* Each node's memory after each phase; node 2 of tenant 2 unread. */
static struct vmb_mem_node mem_nodes[2][4];
static struct vmb_result_mem_phase mem[2];
static struct vmb_res_resources res[2];

/* A failed VM run of two tenants with every part of the envelope. */
static struct vmb_result_doc
full_doc(void)
{
    for (size_t p = 0; p < 2; p++) {
        for (size_t n = 0; n < 4; n++)
            mem_nodes[p][n] = (struct vmb_mem_node){
                .rss = 1000.0 * (double)(n + 1),
                .pss = 900.0 * (double)(n + 1) + (double)p,
                .helpers_rss = 100,
                .helpers_pss = 50,
                .guest_total = 4000,
                .guest_used = 300.0 * (double)(n + 1),
                .guest_cache = 20,
            };
        mem_nodes[p][3] = (struct vmb_mem_node){NAN, NAN, 0, 0, NAN, NAN, NAN};
        mem[p] = (struct vmb_result_mem_phase){names[p], 2, mem_nodes[p], 2};
        vmb_res_resources_clear(&res[p]);
        res[p].window_s = 2;
        res[p].ops = p ? 3000 : 1000;
        res[p].host_cpu_us = 4000;
        res[p].net_source = VMB_RES_NET_NICS;
    }
    static const struct vmb_result_lag lags[] = {{"0-write", 0.25, -1}};
    recs[0] = vm_record(0, 0.5);
    recs[1] = vm_record(1, 0.5);
    return (struct vmb_result_doc){
        .kind = "vm",
        .id = "0123456789ab",
        .label = "vcpus=2 \"quoted\"",
        .rep = 3,
        .error = "phase 1-read: the replica \"node2\" went away",
        .started = "2026-12-05T22:00:00Z",
        .finished = "2026-12-05T22:01:00Z",
        .accel = "tcg",
        .phases = phases,
        .nphases = 2,
        .lags = lags,
        .nlags = 1,
        .has_prepare = true,
        .prepare = {12.5, 100000, "pgbench -i", 0.75, 4096},
        .runtimes = recs,
        .ntenants = 2,
        .tenant_dirs = tenant_dirs,
        .has_boot_storm = true,
        .boot_storm = {2, 2.25, NAN, agent_s, sync_s},
        .resources =
            {
                .names = (const char **)names,
                .phases = res,
                .nphases = 2,
                .probed = true,
                .probe = {.fsync_write_rate = 250,
                          .fsync_write_p99_us = 8000,
                          .randread_iops = 9000,
                          .seqwrite_mb_s = 120,
                          .rtt_us = 80,
                          .rtt_loadgen_us = 60,
                          .tool = "vmbench-rawprobe 0.1.0"},
                .sampled = true,
                .samples = 5,
                .cpu_share = 0.01,
            },
        .ignored = ignored,
        .nignored = 1,
        .memory = mem,
        .nmemory = 2,
        .host_settings = host_settings,
        .nhost_settings = 2,
        .artefacts = artefacts,
        .nartefacts = 2,
    };
}

static char *
write_doc(const struct vmb_result_doc *d, bool pretty)
{
    struct vmb_jw w;
    vmb_jw_init(&w, pretty);
    vmb_result_json_write(&w, d);
    return vmb_jw_steal(&w);
}

/* Writes text as result.json in a fresh directory; returns its path. */
static char *
save(const char *text)
{
    char tmpl[] = "/tmp/vmb-result-json-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *path = vmb_xasprintf("%s/result.json", tmpl);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), &err), 0);
    return path;
}

static void
unsave(char *path)
{
    char *slash = strrchr(path, '/');
    *slash = '\0';
    vmb_rm_rf(path, NULL);
    free(path);
}

Test(result_json, a_written_result_reads_back_as_its_data)
{
    struct vmb_result_doc d = full_doc();
    char *text = write_doc(&d, true);
    char *path = save(text);
    struct vmb_res_rep rep = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_read_result(path, &rep, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect_eq(rep.rep, 3);
    cr_expect(!rep.ok);
    cr_expect_str_eq(rep.status, "failed");
    cr_expect_str_eq(rep.error, d.error);
    cr_expect_str_eq(rep.started, d.started);
    cr_expect_str_eq(rep.finished, d.finished);
    cr_expect_str_eq(rep.accel, "tcg");
    cr_assert_eq(rep.nphases, 2);
    cr_expect_str_eq(rep.phases[1].name, "1-read");
    cr_expect_eq(rep.phases[0].ntenants, 2);
    cr_expect_float_eq(rep.replication_lag_s, 0.25, 1e-12);
    cr_assert_eq(rep.nignored, 1);
    cr_expect_str_eq(rep.ignored[0].setting, "innodb_flush_method");
    cr_expect_str_eq(rep.ignored[0].value, "O_DIRECT");
    cr_assert(rep.has_boot);
    cr_expect_float_eq(rep.boot[0].domain_start_s, 0.5, 1e-12);
    cr_expect_float_eq(rep.boot[1].db_ready_s, 5.5, 1e-12);
    cr_expect_float_eq(rep.replica_sync_s, 6.5, 1e-12);
    cr_assert(rep.has_probe);
    cr_expect_float_eq(rep.probe.fsync_write_rate, 250, 1e-12);
    cr_expect_float_eq(rep.probe.rtt_loadgen_us, 60, 1e-12);
    cr_expect_str_eq(rep.probe.tool, "vmbench-rawprobe 0.1.0");
    cr_expect_float_eq(rep.sampling_cpu_share, 0.01, 1e-12);
    cr_expect_float_eq(rep.phases[1].res.ops, 3000, 1e-12);
    cr_expect_float_eq(rep.phases[0].res.host_cpu_us, 4000, 1e-12);
    /* Memory: a tenant is its nodes' PSS and helpers' PSS; tenant 2's
     * node 2 was not read, so the tenant has no figure. */
    cr_expect_float_eq(rep.phases[1].tenants[0].host_mem, 901 + 1801 + 100,
                       1e-9);
    cr_expect(isnan(rep.phases[1].tenants[1].host_mem));
    cr_expect_float_eq(rep.phases[1].host_mem_per_tenant, 2802, 1e-9);
    /* Per VM: its PSS and helpers' less what its guest uses, over the
     * tenants whose host figure is whole. */
    double over = ((901 + 50 - 300) + (1801 + 50 - 600)) / 2.0;
    cr_expect_float_eq(rep.phases[1].vm_overhead, over, 1e-9);
    vmb_res_rep_clear(&rep);
    unsave(path);
    free(text);
}

/* The envelope as run wrote it before the writer moved here, byte for
 * byte: keys, their order, nulls, the tenants' parts and the bare-metal
 * runtime's members. */
Test(result_json, the_text_is_the_documented_envelope)
{
    struct vmb_result_doc d = full_doc();
    d.nphases = 0;
    d.resources.nphases = 0;
    d.nmemory = 1;
    d.resources.probed = false;
    d.resources.sampled = false;
    /* Bare metal: tenant 1's processes placed, node 2 never measured;
     * tenant 2's never started. */
    struct vmb_runtime_record bm[2] = {
        {.measured = true,
         .window = {{.kind = VMB_RT_WINDOW_PROCESS,
                     .process_cpu_s = 1.5,
                     .block_rd_bytes = 0,
                     .block_wr_bytes = 65536},
                    {.kind = VMB_RT_WINDOW_NULL}},
         .has_control = true,
         .placed = true,
         .cpus = "0-1",
         .memory_max_bytes = 2147483648ULL,
         .cgroup = "v2",
         .match_resources = true,
         .nodes = {{"0-1", true, "/sys/fs/cgroup/vmb/node1", NULL,
                    2147483648ULL, NULL, "", NULL, NULL},
                   {"2-3", true, NULL, NULL, 0, "no \"memory\" controller",
                    "ssh://bench@replica", "replica", "6.1.0-28-amd64"}}},
        {.has_control = true}};
    d.kind = "baremetal";
    d.has_boot_storm = false;
    d.runtimes = bm;
    char *text = write_doc(&d, false);
    static const char golden[] =
        "{\"schema\":1,\"kind\":\"baremetal\",\"id\":\"0123456789ab\","
        "\"label\":\"vcpus=2 \\\"quoted\\\"\","
        "\"rep\":3,\"status\":\"failed\",\"error\":\"phase 1-read: the replica "
        "\\\"node2\\\" went away\","
        "\"started\":\"2026-12-05T22:00:00Z\",\"finished\":\"2026-12-05T22:01:"
        "00Z\","
        "\"accel\":\"tcg\",\"phases\":[],\"replication_lag_s\":0.25,"
        "\"replication_lag_by_phase_s\":{\"0-write\":0.25},"
        "\"prepare\":{\"seconds\":12.5,\"rows\":100000,\"what\":\"pgbench -i\","
        "\"replication_lag_s\":0.75,\"replication_lag_bytes\":4096},"
        "\"replication_lag_by_phase_bytes\":{\"0-write\":null},"
        "\"resources\":{\"node1\":{\"vcpu_time_s\":null,\"process_cpu_s\":1.5,"
        "\"block_rd_bytes\":0,\"block_wr_bytes\":65536,\"net_rx_bytes\":null,"
        "\"net_tx_bytes\":null},\"node2\":null},\"control_applied\":{\"cpus\":"
        "\"0-1\","
        "\"memory_max_bytes\":2147483648,\"cgroup\":\"v2\",\"match_resources\":"
        "true,"
        "\"nodes\":{\"node1\":{\"host\":\"\",\"hostname\":null,"
        "\"kernel\":null,\"cpus\":\"0-1\",\"affinity\":true,\"cpuset_"
        "cgroup\":\"/sys/fs/cgroup/vmb/node1\","
        "\"memory_cgroup\":null,\"memory_max_bytes\":2147483648,\"notes\":null}"
        ","
        "\"node2\":{\"host\":\"ssh://bench@replica\",\"hostname\":"
        "\"replica\",\"kernel\":\"6.1.0-28-amd64\",\"cpus\":\"2-3\","
        "\"affinity\":true,\"cpuset_cgroup\":null,"
        "\"memory_cgroup\":null,\"memory_max_bytes\":null,\"notes\":\"no "
        "\\\"memory\\\" controller\"}}},"
        "\"tenants\":2,\"tenant_runtimes\":[{\"tenant\":2,\"dir\":\"tenant2\","
        "\"resources\":null,\"control_applied\":null}],"
        "\"ignored_settings\":[{\"setting\":\"innodb_flush_method\","
        "\"value\":\"O_DIRECT\",\"why\":\"9p opens the host's files "
        "without it\"}],\"phase_resources\":{},"
        "\"guest_resources\":{},\"probe\":null,\"sampling\":null,\"memory\":{"
        "\"0-write\":[{\"tenant\":1,"
        "\"node1\":{\"rss_bytes\":1000,\"pss_bytes\":900,\"helpers_rss_bytes\":"
        "100,"
        "\"helpers_pss_bytes\":50,\"guest_total_bytes\":4000,\"guest_used_"
        "bytes\":300,"
        "\"guest_cache_bytes\":20},\"node2\":{\"rss_bytes\":2000,\"pss_bytes\":"
        "1800,"
        "\"helpers_rss_bytes\":100,\"helpers_pss_bytes\":50,\"guest_total_"
        "bytes\":4000,"
        "\"guest_used_bytes\":600,\"guest_cache_bytes\":20}},{\"tenant\":2,"
        "\"node1\":{\"rss_bytes\":3000,\"pss_bytes\":2700,\"helpers_rss_"
        "bytes\":100,"
        "\"helpers_pss_bytes\":50,\"guest_total_bytes\":4000,\"guest_used_"
        "bytes\":900,"
        "\"guest_cache_bytes\":20},\"node2\":{\"rss_bytes\":null,\"pss_bytes\":"
        "null,"
        "\"helpers_rss_bytes\":0,\"helpers_pss_bytes\":0,\"guest_total_bytes\":"
        "null,"
        "\"guest_used_bytes\":null,\"guest_cache_bytes\":null}}]},"
        "\"host_settings\":{\"ksm\":\"0\",\"thp\":null},"
        "\"artefacts\":[\"latency-0-write.hgrm\","
        "\"timeseries.csv\"]}";
    cr_expect_str_eq(text, golden);
    free(text);
}

/* A cell's config.json reads back as the cell: its label and settings. */
Test(result_json, a_cell_file_reads_back_as_its_cell)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.guest.memory_mib = 3072;
    cfg.guest.storage = VMB_STORAGE_9P;
    struct vmb_cell_doc d = {.id = "0123456789ab",
                             .label = "storage=9p memory=3072",
                             .kind = "vm",
                             .cfg = &cfg};
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_cell_json_write(&w, &d);
    char *text = vmb_jw_steal(&w);
    char *path = save(text);
    struct vmb_res_cell c = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_res_read_config(path, &c, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect_str_eq(c.label, d.label);
    cr_assert(c.has_config);
    cr_expect_eq(c.cfg.guest.memory_mib, 3072);
    cr_expect_eq(c.cfg.guest.storage, VMB_STORAGE_9P);
    cr_expect_str_eq(vmb_res_cell_option(&c, "guest.storage"), "9p");
    vmb_res_free_cell(&c);
    vmb_config_free(&cfg);
    unsave(path);
    free(text);
}

/*
 * The probe names the tool that measured it, so figures of another tool
 * are not taken for its; results from before the tool was recorded read
 * with none, and a tool that is not a short printable name is refused.
 */
Test(result_json, the_probe_names_its_tool)
{
    struct vmb_result_doc d = full_doc();
    d.nphases = 0;
    d.resources.nphases = 0;
    d.resources.probe_error = "create \"/data/.vmb-probe\": No space left";
    char *text = write_doc(&d, false);
    cr_assert_not_null(strstr(text, "\"probe\":{\"tool\":\"vmbench-rawprobe "
                                    "0.1.0\",\"error\":"),
                       "%s", text);
    free(text);
    static const char *const tools[][2] = {
        {"\"tool\":\"fio-3.33\",", "fio-3.33"},
        {"", ""},
        {"\"tool\":\"fio\\n3.33\",", NULL},
        {"\"tool\":\"\",", NULL},
        {"\"tool\":\"0123456789012345678901234567890123456789012345678901234"
         "567890123\",",
         NULL},
        {"\"tool\":3,", NULL},
    };
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        char *json = vmb_xasprintf(
            "{\"schema\":1,\"kind\":\"vm\",\"id\":\"0123456789ab\","
            "\"rep\":1,\"status\":\"ok\",\"phases\":[],\"probe\":{%s"
            "\"fsync_write_rate\":250,\"fsync_write_p99_us\":8000,"
            "\"randread_iops\":9000,\"randread_direct\":true,"
            "\"seqwrite_mb_s\":120,\"rtt_us\":null,"
            "\"rtt_loadgen_us\":null}}",
            tools[i][0]);
        char *path = save(json);
        struct vmb_res_rep rep = {0};
        struct vmb_error *err = NULL;
        int rc = vmb_results_read_result(path, &rep, &err);
        if (tools[i][1] != NULL) {
            cr_assert_eq(rc, 0, "%s: %s", json, err ? err->msg : "");
            cr_expect_str_eq(rep.probe.tool, tools[i][1]);
            cr_expect_float_eq(rep.probe.fsync_write_rate, 250, 1e-12);
        } else {
            cr_assert_eq(rc, -1, "%s", json);
            cr_expect_not_null(strstr(err->msg, "probe.tool"), "%s", err->msg);
            vmb_error_free(err);
        }
        vmb_res_rep_clear(&rep);
        unsave(path);
        free(json);
    }
}

/* The VM runtime's members: boot stages (null where not reached), the
 * agents' channel and each domain's counters; a pair never made has
 * nulls. */
Test(result_json, vm_records_are_the_documented_members)
{
    struct vmb_runtime_record vm[2] = {vm_record(0, 0.5), {.has_boot = true}};
    vm[0].boot[1].kernel_s = -1;
    vm[0].replica_sync_s = -1;
    vm[0].window[1].kind = VMB_RT_WINDOW_NONE;
    vm[0].agent_transport = "vsock"; /* the channel the agents used */
    struct vmb_result_doc d = {.kind = "vm",
                               .id = "0123456789ab",
                               .rep = 1,
                               .runtimes = vm,
                               .ntenants = 2,
                               .tenant_dirs = tenant_dirs};
    char *text = write_doc(&d, false);
    static const char golden[] =
        "{\"schema\":1,\"kind\":\"vm\",\"id\":\"0123456789ab\",\"label\":null,"
        "\"rep\":1,\"status\":\"ok\",\"error\":null,\"started\":null,"
        "\"finished\":null,"
        "\"accel\":null,\"phases\":[],\"replication_lag_s\":null,\"replication_"
        "lag_by_phase_s\":{},"
        "\"replication_lag_by_phase_bytes\":{},\"boot\":{\"node1\":{\"domain_"
        "start_s\":0.5,"
        "\"kernel_s\":1.5,\"agent_s\":2.5,\"mounts_s\":3.5,\"db_ready_s\":4.5},"
        "\"node2\":{\"domain_start_s\":0.5,\"kernel_s\":null,\"agent_s\":2.5,"
        "\"mounts_s\":3.5,\"db_ready_s\":5.5},\"replica_sync_s\":null,"
        "\"agent_transport\":\"vsock\"},"
        "\"resources\":{\"node1\":{\"window_s\":10,\"vcpu_time_s\":2.5,"
        "\"process_cpu_s\":3.25,"
        "\"block_rd_bytes\":4096,\"block_wr_bytes\":8192,\"block_rd_reqs\":1,"
        "\"block_wr_reqs\":2,\"net_rx_bytes\":100,\"net_tx_bytes\":200}},"
        "\"tenants\":2,\"tenant_runtimes\":[{\"tenant\":2,\"dir\":\"tenant2\","
        "\"boot\":null,\"resources\":null}],\"ignored_settings\":[],"
        "\"phase_resources\":{},\"guest_"
        "resources\":{},"
        "\"probe\":null,\"sampling\":null,\"memory\":{},"
        "\"host_settings\":{},\"artefacts\":[]}";
    cr_expect_str_eq(text, golden);
    free(text);
}

/* A VM cell whose node 2 ran on another libvirt host says where each
 * node ran, between the boot stages and the counters; what that host's
 * libvirt did not say is null, and its words are escaped. */
Test(result_json, vm_nodes_on_two_hosts_name_both)
{
    struct vmb_runtime_record vm = vm_record(0, 0.5);
    vm.has_hosts = true;
    vm.hosts[0] = (struct vmb_rt_vm_host){"", "here", "9.0.0", "7.2.0"};
    vm.hosts[1] = (struct vmb_rt_vm_host){"qemu+ssh://root@there/system",
                                          "there\"1", NULL, NULL};
    struct vmb_result_doc d = {
        .kind = "vm", .id = "0123456789ab", .rep = 1, .runtimes = &vm};
    char *text = write_doc(&d, false);
    static const char want[] =
        "\"replica_sync_s\":6.5},\"hosts\":{\"node1\":{\"uri\":\"\","
        "\"hostname\":\"here\",\"libvirt\":\"9.0.0\",\"qemu\":\"7.2.0\"},"
        "\"node2\":{\"uri\":\"qemu+ssh://root@there/system\",\"hostname\":"
        "\"there\\\"1\",\"libvirt\":null,\"qemu\":null}},\"resources\":{";
    cr_expect_not_null(strstr(text, want), "%s", text);
    free(text);
}
