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
    const char *args[] = {"kata-config", FIXTURE_DIR, cell,
                          "--base",      base,        NULL};
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
    cr_assert_eq(changed, 5);
    cr_assert_eq(added, 1);
    free(base);
    free(out);
}

/*
 * Quoted and spaced names of [hypervisor.qemu] and its keys are the same
 * table and keys (changed in place); a dotted key for another hypervisor
 * under [hypervisor], nested inline values and a sub-table stay as they
 * are.
 */
Test(katacfg, base_file_with_quoted_keys)
{
    assert_golden(CELL_VIRTIOBLK, "quoted-keys.toml",
                  "quoted-keys.toml.expected");
}

/* [hypervisor.qemu] implied only by a sub-table: ours is appended. */
Test(katacfg, base_file_with_implied_table)
{
    assert_golden(CELL_VIRTIOBLK, "implicit-qemu-table.toml",
                  "implicit-qemu-table.toml.expected");
}

static const char *const bad[] = {
    "bad-unclosed-header",
    "bad-missing-equals",
    "bad-unterminated-string",
    "bad-unclosed-array",
    "bad-array-comma",
    "bad-duplicate-key",
    "bad-bare-string",
    "bad-text-after-value",
    "bad-duplicate-table",
    /* [hypervisor.qemu] not a standard table: never a second one added */
    "bad-dotted-qemu",
    "bad-inline-qemu",
    "bad-root-dotted-qemu",
    "bad-hypervisor-value",
    "bad-array-of-tables",
    "bad-key-is-table",
    "bad-subtable-shadow",
    "bad-deep-nesting",
    "bad-key-escape",
};

/* Each malformed base is refused with its file and line, nothing printed. */
Test(katacfg, malformed_base_names_the_line)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *toml = vmb_xasprintf("%s.toml", bad[i]);
        char *exp = vmb_xasprintf("%s.expected", bad[i]);
        const char *args[] = {"kata-config", FIXTURE_DIR, CELL_9P,
                              "--base",      toml,        NULL};
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
                                     "kernel_params = \"\"\n"
                                     "cpu_features = \"pmu=off\"\n"
                                     "default_vcpus = 1\n"
                                     "default_maxvcpus = 0\n"
                                     "default_memory = 1024\n"));
    cr_assert_not_null(
        strstr(r.out, "\n[runtime]\nenable_vcpus_pinning = false\n"));
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
    const char *args[] = {"kata-config",
                          FIXTURE_DIR,
                          CELL_VIRTIOBLK,
                          "--base",
                          "configuration.toml",
                          "--output",
                          out,
                          NULL};
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

/* A million "[": refused at the nesting limit, not a stack overflow. */
Test(katacfg, deep_nesting_is_refused_with_the_line, .timeout = 60)
{
    char tmpl[] = "/tmp/vmb-kata-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *base = vmb_xasprintf("%s/deep.toml", tmpl);
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "[hypervisor.qemu]\nkernel_params = ");
    for (int i = 0; i < 1000000; i++)
        vmb_buf_puts(&b, "[");
    vmb_buf_puts(&b, "\n");
    cr_assert_eq(vmb_write_file_atomic(base, b.data, b.len, NULL), 0);
    const char *args[] = {"kata-config", FIXTURE_DIR, CELL_9P,
                          "--base",      base,        NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
    char *want = vmb_xasprintf("vmbench kata-config: %s:2: arrays and inline "
                               "tables nested deeper than 64 levels, the "
                               "limit\n",
                               base);
    cr_assert_str_eq(r.err, want);
    cr_assert_str_eq(r.out, "");
    free(want);
    cmd_result_free(&r);
    vmb_buf_free(&b);
    free(base);
    vmb_rm_rf(tmpl, NULL);
}

/*
 * Parses TOML files with python3's tomllib (a real TOML parser), given as
 * pairs: a file, and "-" or a fragment whose [hypervisor.qemu] settings
 * the file's [hypervisor.qemu] must hold with the same values where it
 * has the key (kata-config leaves out what equals the base's value, and
 * test_kata's round trip proves those). One python run for all. Returns
 * the exit status; python names the file.
 */
static int
toml_check(const struct vmb_buf *pairs)
{
    static const char script[] =
        "import sys, tomllib\n"
        "a = sys.argv[1:]\n"
        "for path, frag in zip(a[0::2], a[1::2]):\n"
        "    try:\n"
        "        doc = tomllib.load(open(path, 'rb'))\n"
        "    except Exception as e:\n"
        "        sys.exit('%s: %s' % (path, e))\n"
        "    if frag == '-':\n"
        "        continue\n"
        "    q = doc['hypervisor']['qemu']\n"
        "    want = tomllib.load(open(frag, 'rb'))['hypervisor']['qemu']\n"
        "    for k, v in want.items():\n"
        "        if k in q and q.get(k) != v:\n"
        "            sys.exit('%s: %s is %r, not %r' % (path, k, q.get(k), "
        "v))\n";
    /* The script travels as $0 of sh -c, so it needs no quoting. */
    char *cmd = vmb_xasprintf("python3 -c \"$0\" %s", pairs->data);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    free(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
write_temp(const char *dir, const char *name, const char *text)
{
    char *p = vmb_xasprintf("%s/%s", dir, name);
    cr_assert_eq(vmb_write_file_atomic(p, text, strlen(text), NULL), 0);
    return p;
}

/*
 * The output of kata-config --base is valid TOML holding the cell's
 * settings, for every base that is accepted and every cell; the cell's
 * settings alone and the golden outputs parse too.
 */
Test(katacfg, output_parses_as_toml, .timeout = 120)
{
    cr_assert_eq(system("python3 -c 'import tomllib' 2>/dev/null"), 0,
                 "python3 with tomllib is needed");
    static const char *const bases[] = {
        "configuration.toml", "no-qemu-table.toml", "quoted-keys.toml",
        "implicit-qemu-table.toml"};
    static const char *const cells[] = {CELL_9P, CELL_VIRTIOFS, CELL_VIRTIOBLK};
    char tmpl[] = "/tmp/vmb-kata-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct vmb_buf pairs = {0};
    for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
        const char *a0[] = {"kata-config", FIXTURE_DIR, cells[c], NULL};
        struct cmd_result f = run_vmbench(GOLDEN, a0);
        cr_assert_eq(f.status, 0, "%s", f.err);
        char *name = vmb_xasprintf("%s.toml", cells[c]);
        char *frag = write_temp(tmpl, name, f.out);
        vmb_buf_printf(&pairs, " '%s' -", frag);
        for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
            const char *args[] = {"kata-config", FIXTURE_DIR, cells[c],
                                  "--base",      bases[i],    NULL};
            struct cmd_result r = run_vmbench(GOLDEN, args);
            cr_assert_eq(r.status, 0, "%s: %s", bases[i], r.err);
            char *mname = vmb_xasprintf("%s-%s", cells[c], bases[i]);
            char *merged = write_temp(tmpl, mname, r.out);
            vmb_buf_printf(&pairs, " '%s' '%s'", merged, frag);
            free(mname);
            free(merged);
            cmd_result_free(&r);
        }
        free(name);
        free(frag);
        cmd_result_free(&f);
    }
    static const char *const golden[] = {
        "configuration.toml",
        "configuration-9p.toml.expected",
        "configuration-virtio-blk.toml.expected",
        "no-qemu-table.toml.expected",
        "quoted-keys.toml.expected",
        "implicit-qemu-table.toml.expected"};
    for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++)
        vmb_buf_printf(&pairs, " '%s/%s' -", GOLDEN, golden[i]);
    cr_assert_eq(toml_check(&pairs), 0, "%s", pairs.data);
    vmb_buf_free(&pairs);
    vmb_rm_rf(tmpl, NULL);
}

/*
 * A base file with CRLF line ends: every line written, changed or added
 * (keys, and a whole table), ends CRLF too, and apart from the CRs the
 * output is the LF file's.
 */
Test(katacfg, crlf_base_keeps_crlf)
{
    static const char *const cases[][3] = {
        {CELL_VIRTIOBLK, "configuration.toml",
         "configuration-virtio-blk.toml.expected"},
        {CELL_9P, "no-qemu-table.toml", "no-qemu-table.toml.expected"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *lf = slurp_in(GOLDEN, cases[i][1]);
        struct vmb_buf crlf = {0};
        for (const char *c = lf; *c; c++) {
            if (*c == '\n')
                vmb_buf_append(&crlf, "\r", 1);
            vmb_buf_append(&crlf, c, 1);
        }
        char path[] = "/tmp/vmb-katacrlf-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, crlf.data, crlf.len), (ssize_t)crlf.len);
        close(fd);
        const char *args[] = {"kata-config", FIXTURE_DIR, cases[i][0],
                              "--base",      path,        NULL};
        struct cmd_result r = run_vmbench(GOLDEN, args);
        unlink(path);
        cr_assert_eq(r.status, 0, "%s", r.err);
        struct vmb_buf stripped = {0};
        for (const char *c = r.out; *c; c++) {
            if (*c == '\n')
                cr_assert(c > r.out && c[-1] == '\r',
                          "case %zu: a bare LF at "
                          "byte %zu",
                          i, (size_t)(c - r.out));
            if (*c != '\r')
                vmb_buf_append(&stripped, c, 1);
        }
        char *want = slurp_in(GOLDEN, cases[i][2]);
        cr_assert_str_eq(stripped.data ? stripped.data : "", want, "case %zu",
                         i);
        free(want);
        vmb_buf_free(&stripped);
        vmb_buf_free(&crlf);
        free(lf);
        cmd_result_free(&r);
    }
}
