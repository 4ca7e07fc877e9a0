/*
 * run.json both ways (results/run_json.h): `vmbench merge` reads a
 * shard's run.json whole and writes it again, so every member a run
 * writes must read back as it was written.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "results/run_json.h"

static const struct vmb_run_version versions[] = {
    {"qemu", "7.2.9"}, {"libvirt", "9.0.0"}, {"redis", "7.0.15"}};
static const struct vmb_run_check checks[] = {
    {"kvm", "ok", "KVM works", NULL},
    {"hugepages", "warn", "0 of 0 pages \"free\"", "`echo N > nr_hugepages`"}};
static const struct vmb_run_oversub oversub[] = {{"0123456789ab", "vm", 4, 16}};

/* A session that opened a VM environment under TCG and was resumed. */
static struct vmb_run_doc
full_doc(void)
{
    return (struct vmb_run_doc){
        .version = "0.1.0",
        .git = "abc123",
        .matrix = "matrix.yaml",
        .name = "kata-tuning",
        .started = "2026-12-05T22:00:00Z",
        .finished = NULL,
        .resumed_items = "\"2026-12-05T22:10:00Z\",\"2026-12-05T22:20:00Z\"",
        .seed = 18446744073709551615ULL,
        .plan_id = "7ace7df87f4da658",
        .has_shard = true,
        .shard_index = 1,
        .shard_count = 3,
        .kata_base = "/etc/kata-containers/configuration.toml",
        .kata_unmodelled = "hypervisor.qemu.valid_hypervisor_paths",
        .host = {"box", "AMD EPYC", "6.1.0", "performance", "madvise", "0", 16,
                 68719476736ULL},
        .versions = versions,
        .nversions = 3,
        .accel = {.vm_env = true,
                  .requested = "auto",
                  .used = "tcg",
                  .note = "no KVM: \"/dev/kvm\" is missing",
                  .fallback = true,
                  .probe_s = 1.25,
                  .vhost_net = true,
                  .tcg_slowdown = 23.5,
                  .iters = 4000000,
                  .rounds = 3,
                  .pinned_cpu = 2,
                  .host_cpu_s = 0.125,
                  .vcpu_s = 2.9375,
                  .guest_clock_s = 3.0,
                  .request_s = 3.25},
        .host_cpus = 16,
        .oversub = oversub,
        .noversub = 1,
        .has_doctor = true,
        .checks = checks,
        .nchecks = 2,
        .runs_total = 12,
        .runs_ok = 9,
        .runs_failed = 1,
        .runs_not_started = 2,
        .interrupted = true,
    };
}

static char *
write_doc(const struct vmb_run_doc *d)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_run_json_write(&w, d);
    vmb_buf_puts(&w.buf, "\n");
    return vmb_jw_steal(&w);
}

/* Writes text as run.json, reads it back whole and writes that again. */
static char *
round_trip(const char *text)
{
    char tmpl[] = "/tmp/vmb-run-json-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *path = vmb_xasprintf("%s/run.json", tmpl);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), &err), 0);
    struct vmb_run_file f;
    cr_assert_eq(vmb_run_json_read(path, &f, &err), 0, "%s",
                 err ? err->msg : "");
    char *again = write_doc(&f.doc);
    vmb_run_file_free(&f);
    vmb_rm_rf(tmpl, NULL);
    free(path);
    return again;
}

Test(run_json, a_vm_session_reads_back_as_it_was_written)
{
    struct vmb_run_doc d = full_doc();
    char *text = write_doc(&d);
    char *again = round_trip(text);
    cr_expect_str_eq(again, text);
    free(again);
    free(text);
}

/* A bare-metal session (no VM environment, no doctor, no Kata base) and
 * one whose vCPU time could not be read keep their nulls. */
Test(run_json, nulls_read_back_as_nulls)
{
    struct vmb_run_doc d = full_doc();
    d.accel.pinned_cpu = -1;
    d.accel.vcpu_s = -1;
    char *text = write_doc(&d);
    char *again = round_trip(text);
    cr_expect_str_eq(again, text);
    free(again);
    free(text);

    d = full_doc();
    d.accel = (struct vmb_run_accel){.requested = "auto",
                                     .note = "no VM has run in this session"};
    d.has_doctor = false;
    d.kata_base = NULL;
    d.has_shard = false;
    d.resumed_items = NULL;
    d.noversub = 0;
    d.nversions = 0;
    d.finished = "2026-12-05T23:00:00Z";
    text = write_doc(&d);
    cr_assert_not_null(strstr(text, "\"used\": null"));
    again = round_trip(text);
    cr_expect_str_eq(again, text);
    free(again);
    free(text);
}

/* What merge adds: every shard's host and ids, the missing shards, and
 * runs counted from the results on disk (no "not_started"). */
Test(run_json, a_merged_session_lists_its_shards)
{
    struct vmb_run_doc d = full_doc();
    const char *cells[] = {"0123456789ab", "ba9876543210"};
    const char *controls[] = {"aaaaaaaaaaaa"};
    const size_t missing[] = {1};
    const struct vmb_run_merged_shard shards[] = {
        {.index = 0,
         .dir = "hosts/shard-0",
         .host = d.host,
         .cells = cells,
         .ncells = 2,
         .controls = controls,
         .ncontrols = 1},
        {.index = 2,
         .dir = "hosts/shard-2",
         .host = {.hostname = "other", .cpus = 8},
         .cells = cells + 1,
         .ncells = 1,
         .calibration = "aaaaaaaaaaaa"}};
    const struct vmb_run_merged m = {3, missing, 1, shards, 2};
    d.has_shard = false;
    d.merged = &m;
    char *text = write_doc(&d);
    cr_expect_null(strstr(text, "not_started"));
    const char *at = strstr(text, "\"merged\": {");
    cr_assert_not_null(at, "%s", text);
    cr_expect_not_null(strstr(at, "\"missing\": [\n      1\n    ]"), "%s", at);
    cr_expect_not_null(strstr(at, "\"calibration\": \"aaaaaaaaaaaa\""));
    cr_expect_not_null(strstr(at, "\"hostname\": \"other\""));
    cr_expect_not_null(strstr(at, "\"controls\": []"));
    free(text);
}

/* A value no run writes fails the read, naming the file and the field. */
Test(run_json, a_bad_member_is_named)
{
    char tmpl[] = "/tmp/vmb-run-json-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *path = vmb_xasprintf("%s/run.json", tmpl);
    const char *text = "{\"schema\": 1, \"host\": {\"cpus\": \"many\"}}\n";
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), &err), 0);
    struct vmb_run_file f;
    cr_assert_eq(vmb_run_json_read(path, &f, &err), -1);
    cr_assert_not_null(strstr(err->msg, "host.cpus"), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, path), "%s", err->msg);
    vmb_error_free(err);
    vmb_rm_rf(tmpl, NULL);
    free(path);
}
