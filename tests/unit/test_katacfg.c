/*
 * `vmbench kata-config` as a user runs it. Golden files under
 * tests/golden/kata/: configuration.toml is a base file laid out like the
 * one Kata ships; each *.expected is what the command prints.
 */
#include "results_fixture.h"

#define GOLDEN VMB_TEST_DATA "/golden/kata"

static void
assert_golden(const char *cell, const char *base, const char *expected)
{
    const char *args[] = {"kata-config", FIXTURE_DIR, cell, "--base", base,
                          NULL};
    struct cmd_result r = run_vmbench(GOLDEN, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = slurp_in(GOLDEN, expected);
    cr_assert_str_eq(r.out, want, "output differs from %s", expected);
    free(want);
    cmd_result_free(&r);
}

/*
 * virtio-blk cell: default_memory, virtio_fs_cache kept as 'auto' (same
 * value, the user's quotes), block_device_driver, block_device_aio and
 * block_device_cache_direct changed in place; msize_9p, commented out in
 * the base, added after the table's last key; comments, spacing, the
 * multi-line array and the other tables byte for byte.
 */
Test(katacfg, base_file_virtio_blk_cell)
{
    assert_golden(CELL_VIRTIOBLK, "configuration.toml",
                  "configuration-virtio-blk.toml.expected");
}

/* 9p cell named by its label: shared_fs and disable_block_device_use too. */
Test(katacfg, base_file_9p_cell_by_label)
{
    assert_golden("storage=9p", "configuration.toml",
                  "configuration-9p.toml.expected");
}

/* A base without [hypervisor.qemu] gets the table appended. */
Test(katacfg, base_file_without_the_table)
{
    assert_golden(CELL_9P, "no-qemu-table.toml", "no-qemu-table.toml.expected");
}

/* Only the keys change: the rest of the file is identical line by line. */
Test(katacfg, merge_changes_only_the_keys)
{
    char *base = slurp_in(GOLDEN, "configuration.toml");
    char *out = slurp_in(GOLDEN, "configuration-virtio-blk.toml.expected");
    size_t changed = 0, added = 0;
    char *bs = NULL, *os = NULL;
    char *bl = strtok_r(base, "\n", &bs);
    char *ol = strtok_r(out, "\n", &os);
    while (ol != NULL) {
        if (bl != NULL && strcmp(bl, ol) == 0) {
            bl = strtok_r(NULL, "\n", &bs);
        } else if (bl != NULL && strncmp(bl, ol, strcspn(bl, "=")) == 0) {
            changed++;
            bl = strtok_r(NULL, "\n", &bs);
        } else {
            cr_assert(vmb_str_has_prefix(ol, "msize_9p = "), "extra %s", ol);
            added++;
        }
        ol = strtok_r(NULL, "\n", &os);
    }
    cr_assert_null(bl, "base line %s lost", bl);
    cr_assert_eq(changed, 4);
    cr_assert_eq(added, 1);
    free(base);
    free(out);
}

static const char *const bad[] = {
    "bad-unclosed-header",  "bad-missing-equals",   "bad-unterminated-string",
    "bad-unclosed-array",   "bad-array-comma",      "bad-duplicate-key",
    "bad-bare-string",      "bad-text-after-value", "bad-duplicate-table",
};

/* Each malformed base is refused with its file and line, nothing printed. */
Test(katacfg, malformed_base_names_the_line)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *toml = vmb_xasprintf("%s.toml", bad[i]);
        char *exp = vmb_xasprintf("%s.expected", bad[i]);
        const char *args[] = {"kata-config", FIXTURE_DIR, CELL_9P, "--base",
                              toml, NULL};
        struct cmd_result r = run_vmbench(GOLDEN, args);
        cr_assert_eq(r.status, 2, "%s: status %d", toml, r.status);
        char *want = slurp_in(GOLDEN, exp);
        cr_assert_str_eq(r.err, want, "%s", toml);
        cr_assert_str_eq(r.out, "");
        free(want);
        free(toml);
        free(exp);
        cmd_result_free(&r);
    }
}

Test(katacfg, prints_the_cell_settings_without_a_base)
{
    const char *args[] = {"kata-config", FIXTURE_DIR, "1804", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(vmb_str_has_prefix(r.out, "# Kata Containers settings of cell "
                                        "\"storage=virtio-blk\" "
                                        "(" CELL_VIRTIOBLK ")\n"));
    cr_assert_not_null(strstr(r.out, "\n[hypervisor.qemu]\n"
                                     "path = \"/usr/bin/qemu-system-x86_64\"\n"
                                     "machine_type = \"q35\"\n"
                                     "default_vcpus = 1\n"
                                     "default_memory = 1024\n"
                                     "enable_iothreads = false\n"));
    cr_assert_not_null(strstr(r.out, "\ndisable_block_device_use = false\n"));
    cmd_result_free(&r);
}

/*
 * Medians: writes 9p 2544, virtio-fs 3788, virtio-blk 4237 ops/s; read
 * p99.9 9p 38.1, virtio-fs 34.7, virtio-blk 36.3 ms (lowest wins).
 */
Test(katacfg, best_picks_the_best_median)
{
    const char *a1[] = {"kata-config", FIXTURE_DIR, "--best", "write.op_rate",
                        NULL};
    struct cmd_result r = run_vmbench("/", a1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "(" CELL_VIRTIOBLK ")"));
    cr_assert_not_null(strstr(r.out, "# Best median write.op_rate of all "
                                     "cells: 4237.3."));
    cr_assert_not_null(strstr(r.err, "best write.op_rate: storage=virtio-blk"));
    cmd_result_free(&r);
    const char *a2[] = {"kata-config", FIXTURE_DIR, "--best", "1-read.p99.9",
                        NULL};
    r = run_vmbench("/", a2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "(" CELL_VIRTIOFS ")"));
    cr_assert_not_null(strstr(r.out, "shared_fs = \"virtio-fs\""));
    cmd_result_free(&r);
}

Test(katacfg, input_errors_exit_2_with_a_message)
{
    static const char *const cases[][4] = {
        {"--best", "write.speed", "unknown metric \"speed\"", NULL},
        {"--best", "delete.op_rate", "no phase \"delete\"", NULL},
        {"storage=tmpfs", NULL, "no cell \"storage=tmpfs\"", NULL},
        {CONTROL_ID, NULL, "is the bare-metal control", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"kata-config", FIXTURE_DIR, cases[i][0],
                              cases[i][1], NULL};
        struct cmd_result r = run_vmbench("/", args);
        cr_assert_eq(r.status, 2, "%s: %s", cases[i][0], r.err);
        cr_assert_not_null(strstr(r.err, cases[i][2]), "%s", r.err);
        cmd_result_free(&r);
    }
}

Test(katacfg, output_file_is_written_whole)
{
    char tmpl[] = "/tmp/vmb-kata-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *out = vmb_xasprintf("%s/configuration.toml", tmpl);
    const char *args[] = {"kata-config", FIXTURE_DIR, CELL_VIRTIOBLK, "--base",
                          "configuration.toml", "--output", out, NULL};
    struct cmd_result r = run_vmbench(GOLDEN, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    char *got = slurp(out);
    char *want = slurp_in(GOLDEN, "configuration-virtio-blk.toml.expected");
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    free(out);
    cmd_result_free(&r);
    vmb_rm_rf(tmpl, NULL);
}
