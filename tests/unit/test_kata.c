/*
 * A cell's Kata settings as TOML: every string value stays one TOML
 * string whatever bytes it holds, checked by a real TOML parser
 * (Python's tomllib) reading the fragment back.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "config/kata.h"

/* Parses toml with tomllib and prints [hypervisor.qemu]'s key, or
 * "INVALID". */
static char *
toml_get(const char *toml, const char *key)
{
    char path[] = "/tmp/vmb-kata-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, toml, strlen(toml)), (ssize_t)strlen(toml));
    close(fd);
    autofree char *cmd =
        vmb_xasprintf("python3 -c 'import sys, tomllib\n"
                      "try:\n"
                      "    d = tomllib.load(open(sys.argv[1], \"rb\"))\n"
                      "except Exception as e:\n"
                      "    print(\"INVALID\", e); sys.exit(0)\n"
                      "sys.stdout.write(repr(d[\"hypervisor\"][\"qemu\"].get("
                      "sys.argv[2], \"MISSING\")))' "
                      "%s %s",
                      path, key);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[1024];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    unlink(path);
    return vmb_xstrdup(out);
}

Test(kata, string_values_stay_one_toml_string, .timeout = 30)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    free(cfg.hypervisor.machine);
    cfg.hypervisor.machine = vmb_xstrdup("q35\nenable_debug = true");
    free(cfg.hypervisor.emulator);
    cfg.hypervisor.emulator = vmb_xstrdup("/opt/q\"emu\\bin\t\x7f");
    struct vmb_buf b = {0};
    vmb_kata_render(&cfg, &b);
    autofree char *machine = toml_get(b.data, "machine_type");
    cr_assert_str_eq(machine, "'q35\\nenable_debug = true'", "%s", b.data);
    autofree char *debug = toml_get(b.data, "enable_debug");
    cr_assert_null(strstr(debug, "True"), "a value added a key:\n%s", b.data);
    autofree char *path = toml_get(b.data, "path");
    cr_assert_str_eq(path, "'/opt/q\"emu\\\\bin\\t\\x7f'", "%s", b.data);
    vmb_buf_free(&b);
    vmb_config_free(&cfg);
}

/* ---- a user's configuration.toml as the base ---- */

static const char user_toml[] =
    "# a user's file\n"
    "[hypervisor.qemu]\n"
    "path = \"/opt/kata/bin/qemu-system-x86_64\"\n"
    "kernel = \"/opt/kata/vmlinux.container\"\n"
    "default_memory = 1536\n"
    "default_maxvcpus = 4\n"
    "shared_fs = \"virtio-9p\"\n"
    "msize_9p = 65_536\n"
    "virtio_fs_extra_args = [\"--thread-pool-size=4\",\n"
    "                        \"--announce-submounts\"]\n"
    "block_device_cache_set = true\n"
    "enable_debug = true\n"
    "kernel_params = \"mitigations=off \\\"q\\\"\"\n"
    "\n"
    "[runtime]\n"
    "enable_vcpus_pinning = true\n"
    "internetworking_model = \"tcfilter\"\n"
    "\n"
    "[agent.kata]\n"
    "enable_tracing = false\n";

Test(kata, import_applies_modelled_keys_and_lists_the_others)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    struct vmb_error *err = NULL;
    char *skipped = NULL;
    int rc = vmb_kata_import_text("user.toml", user_toml, strlen(user_toml),
                                  &cfg, &skipped, &err);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_str_eq(cfg.hypervisor.emulator,
                     "/opt/kata/bin/qemu-system-x86_64");
    cr_assert_eq(cfg.guest.memory_mib, 1536);
    cr_assert_eq(cfg.guest.maxvcpus, 4);
    cr_assert_eq(cfg.guest.shared_fs, VMB_SHAREDFS_9P);
    cr_assert_eq(cfg.guest.msize_9p_bytes, 65536);
    cr_assert_str_eq(cfg.guest.virtio_fs_extra_args,
                     "--thread-pool-size=4 --announce-submounts");
    cr_assert(cfg.guest.blk_cache_set);
    cr_assert_str_eq(cfg.guest.kernel_params, "mitigations=off \"q\"");
    cr_assert(cfg.guest.vcpus_pinning);
    /* Untouched knobs keep Kata's defaults. */
    cr_assert_eq(cfg.guest.vcpus, 1);
    cr_assert_eq(cfg.guest.blk_aio, VMB_BLKAIO_IO_URING);
    cr_assert_str_eq(skipped,
                     "kernel, enable_debug, runtime.internetworking_model");
    free(skipped);
    vmb_config_free(&cfg);
}

struct bad_import {
    char toml[160];
    char want[200];
};

ParameterizedTestParameters(kata, import_refuses_a_value_with_its_line)
{
    static struct bad_import cases[] = {
        {"[hypervisor.qemu]\ndefault_memory = 2048\ndefault_vcpus = 0\n",
         "u.toml:3: [hypervisor.qemu] default_vcpus: "},
        {"[hypervisor.qemu]\n\nshared_fs = \"virtio-fs-nydus\"\n",
         "u.toml:3: [hypervisor.qemu] shared_fs: expected one of virtio-fs, "
         "virtio-9p, 9p, got \"virtio-fs-nydus\""},
        {"[hypervisor.qemu]\nenable_hugepages = \"yes please\"\n",
         "u.toml:2: [hypervisor.qemu] enable_hugepages: "},
        {"[runtime]\nenable_vcpus_pinning = 1.5\n",
         "u.toml:2: [runtime] enable_vcpus_pinning: vmbench cannot use the "
         "value 1.5"},
        {"[hypervisor.qemu]\nvirtio_fs_extra_args = [\"-o\", 1]\n",
         "u.toml:2: [hypervisor.qemu] virtio_fs_extra_args: vmbench cannot "
         "use the value"},
        {"[hypervisor.qemu]\ndefault_memory = 2048\ndefault_memory = 1\n",
         "u.toml:3: key \"default_memory\" is set twice"},
    };
    return cr_make_param_array(struct bad_import, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_import *c, kata,
                  import_refuses_a_value_with_its_line)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    struct vmb_error *err = NULL;
    char *skipped = NULL;
    int rc = vmb_kata_import_text("u.toml", c->toml, strlen(c->toml), &cfg,
                                  &skipped, &err);
    cr_assert_lt(rc, 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, c->want) == err->msg, "\"%s\" for \"%s\"",
              err->msg, c->want);
    cr_assert_null(skipped);
    vmb_error_free(err);
    vmb_config_free(&cfg);
}

/* The settings of cfg and of what importing toml gives must agree. */
static void
assert_same_settings(const struct vmb_config *cfg, const char *toml)
{
    struct vmb_config back;
    vmb_config_defaults(&back);
    struct vmb_error *err = NULL;
    char *skipped = NULL;
    cr_assert_eq(vmb_kata_import_text("rt.toml", toml, strlen(toml), &back,
                                      &skipped, &err),
                 0, "%s\n%s", err ? err->msg : "", toml);
    struct vmb_kata_setting *a = NULL, *b = NULL;
    size_t na = vmb_kata_settings(cfg, &a), nb = vmb_kata_settings(&back, &b);
    cr_assert_eq(na, nb);
    for (size_t i = 0; i < na; i++)
        cr_assert_str_eq(a[i].value, b[i].value, "%s after the round trip\n%s",
                         a[i].key, toml);
    vmb_kata_settings_free(a, na);
    vmb_kata_settings_free(b, nb);
    free(skipped);
    vmb_config_free(&back);
}

/*
 * Round trip: a cell's settings written (alone, and merged into a base
 * with only the differing keys) and imported again are the cell's.
 */
Test(kata, round_trip_import_then_kata_config)
{
    struct vmb_config cell;
    vmb_config_defaults(&cell);
    cell.guest.vcpus = 2;
    cell.guest.memory_mib = 3072;
    cell.guest.hugepages = true;
    cell.guest.vcpus_pinning = true;
    cell.guest.storage = VMB_STORAGE_SHARED;
    cell.guest.shared_fs = VMB_SHAREDFS_9P;
    cell.guest.msize_9p_bytes = 524288;
    cell.guest.blk_driver = VMB_BLKDRV_VIRTIO_BLK;
    cell.network.tx_rate_bits = 1000000;
    free(cell.guest.virtio_fs_extra_args);
    cell.guest.virtio_fs_extra_args = vmb_xstrdup("--thread-pool-size=8");
    free(cell.guest.kernel_params);
    cell.guest.kernel_params = vmb_xstrdup("nosmt \"x\"");

    struct vmb_buf alone = {0};
    vmb_kata_render(&cell, &alone);
    assert_same_settings(&cell, alone.data);

    /* The user's file as base: only differing keys go in. */
    struct vmb_config base;
    vmb_config_defaults(&base);
    struct vmb_error *err = NULL;
    char *skipped = NULL;
    cr_assert_eq(vmb_kata_import_text("user.toml", user_toml, strlen(user_toml),
                                      &base, &skipped, &err),
                 0);
    struct vmb_kata_setting *set = NULL, *bset = NULL;
    size_t n = vmb_kata_settings(&cell, &set);
    size_t nb = vmb_kata_settings(&base, &bset);
    n = vmb_kata_settings_diff(set, n, bset, nb);
    struct vmb_buf merged = {0};
    cr_assert_eq(vmb_kata_toml_merge("user.toml", user_toml, strlen(user_toml),
                                     set, n, &merged, &err),
                 0);
    /* The user's other keys and comments stay. */
    cr_assert(strstr(merged.data, "enable_debug = true\n"));
    cr_assert(strstr(merged.data, "# a user's file\n"));
    assert_same_settings(&cell, merged.data);
    vmb_kata_settings_free(set, n);
    vmb_kata_settings_free(bset, nb);
    vmb_buf_free(&alone);
    vmb_buf_free(&merged);
    free(skipped);
    vmb_config_free(&base);
    vmb_config_free(&cell);
}

/*
 * vmb_kata_merge_settings, what `kata-config --base` writes: a cell made
 * from the user's file gives the file back byte for byte; a changed knob
 * changes its one line; a bad value in the base is refused naming its
 * line even when the cell does not change that key.
 */
Test(kata, merge_settings_changes_only_what_differs_from_the_base)
{
    struct vmb_config cell;
    vmb_config_defaults(&cell);
    struct vmb_error *err = NULL;
    char *skipped = NULL;
    size_t len = strlen(user_toml);
    cr_assert_eq(vmb_kata_import_text("user.toml", user_toml, len, &cell,
                                      &skipped, &err),
                 0);
    struct vmb_buf same = {0};
    cr_assert_eq(vmb_kata_merge_settings(&cell, "user.toml", user_toml, len,
                                         &same, &err),
                 0, "%s", err ? err->msg : "");
    cr_assert_str_eq(same.data, user_toml);

    cell.guest.memory_mib = 3072;
    struct vmb_buf changed = {0};
    cr_assert_eq(vmb_kata_merge_settings(&cell, "user.toml", user_toml, len,
                                         &changed, &err),
                 0, "%s", err ? err->msg : "");
    cr_assert_not_null(strstr(changed.data, "default_memory = 3072\n"), "%s",
                       changed.data);
    cr_assert_null(strstr(changed.data, "default_memory = 1536"), "%s",
                   changed.data);
    cr_assert_eq(changed.len, len, "only the one value changed:\n%s",
                 changed.data);
    assert_same_settings(&cell, changed.data);

    const char bad[] = "[hypervisor.qemu]\n"
                       "default_memory = 3072\n"
                       "block_device_driver = \"nvdimm\"\n";
    struct vmb_buf refused = {0};
    cr_assert_lt(vmb_kata_merge_settings(&cell, "bad.toml", bad, strlen(bad),
                                         &refused, &err),
                 0);
    cr_assert_not_null(strstr(err->msg, "bad.toml:3:"), "%s", err->msg);
    vmb_error_free(err);
    vmb_buf_free(&same);
    vmb_buf_free(&changed);
    vmb_buf_free(&refused);
    free(skipped);
    vmb_config_free(&cell);
}

/*
 * A file that ends with [runtime] and has no [hypervisor.qemu]: the
 * runtime key goes into [runtime], above the new table, and merging the
 * result again changes nothing (found by fuzz_katatoml).
 */
Test(kata, runtime_keys_stay_above_a_new_qemu_table)
{
    const char base[] = "[runtime]\nenable_debug = true\n";
    struct vmb_kata_setting set[] = {
        {.key = "default_vcpus", .value = "2"},
        {.key = "enable_vcpus_pinning", .value = "true", .table = "runtime"},
    };
    struct vmb_buf out = {0}, again = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kata_toml_merge("base.toml", base, strlen(base), set, 2,
                                     &out, &err),
                 0);
    cr_assert_str_eq(out.data, "[runtime]\nenable_debug = true\n"
                               "enable_vcpus_pinning = true\n"
                               "\n[hypervisor.qemu]\ndefault_vcpus = 2\n");
    cr_assert_eq(vmb_kata_toml_merge("out.toml", out.data, out.len, set, 2,
                                     &again, &err),
                 0);
    cr_assert_str_eq(again.data, out.data);
    vmb_buf_free(&out);
    vmb_buf_free(&again);
}

/* The value of one Kata key in cfg's settings (caller frees). */
static char *
setting(const struct vmb_config *cfg, const char *key)
{
    struct vmb_kata_setting *s = NULL;
    size_t n = vmb_kata_settings(cfg, &s);
    char *v = NULL;
    for (size_t i = 0; i < n && v == NULL; i++)
        if (strcmp(s[i].key, key) == 0)
            v = vmb_xstrdup(s[i].value);
    vmb_kata_settings_free(s, n);
    cr_assert_not_null(v, "no %s", key);
    return v;
}

/* virtio_fs_daemon both ways: imported from a Kata file, written back
 * only where the cell names a daemon (vmbench's own pick is no path for
 * Kata's valid_virtio_fs_daemon_paths). */
Test(kata, virtio_fs_daemon_import_and_export)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    struct vmb_kata_setting *s = NULL;
    size_t n = vmb_kata_settings(&cfg, &s);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_neq(s[i].key, "virtio_fs_daemon");
    vmb_kata_settings_free(s, n);
    const char *t = "[hypervisor.qemu]\n"
                    "virtio_fs_daemon = \"/opt/kata/libexec/virtiofsd\"\n";
    char *skipped = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_kata_import_text("k.toml", t, strlen(t), &cfg, &skipped, &err), 0,
        "%s", err ? err->msg : "");
    cr_assert_str_eq(skipped, "");
    cr_assert_str_eq(cfg.guest.virtio_fs_daemon, "/opt/kata/libexec/virtiofsd");
    autofree char *v = setting(&cfg, "virtio_fs_daemon");
    cr_assert_str_eq(v, "\"/opt/kata/libexec/virtiofsd\"");
    free(skipped);
    vmb_config_free(&cfg);
}

/*
 * disable_block_device_use as the cell runs it: false where the data
 * has a disk of its own (a block device in Kata too), and the cell's
 * own value elsewhere, an explicit false included (it was shown true).
 */
Test(kata, disable_block_device_use_is_the_cells)
{
    static const struct {
        int storage;
        bool disable;
        const char *want;
    } cases[] = {
        {VMB_STORAGE_SHARED, false, "false"},
        {VMB_STORAGE_SHARED, true, "true"},
        {VMB_STORAGE_TMPFS, false, "false"},
        {VMB_STORAGE_9P, false, "false"},
        {VMB_STORAGE_LOCAL, false, "false"},
        {VMB_STORAGE_LOCAL, true, "true"},
        {VMB_STORAGE_BLOCK, false, "false"},
        {VMB_STORAGE_VIRTIO_BLK, false, "false"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vmb_config cfg;
        vmb_config_defaults(&cfg);
        cfg.guest.storage = cases[i].storage;
        cfg.guest.disable_block_device = cases[i].disable;
        char *v = setting(&cfg, "disable_block_device_use");
        cr_expect_str_eq(v, cases[i].want, "storage %s, option %d",
                         vmb_storage_name(cases[i].storage), cases[i].disable);
        free(v);
        vmb_config_free(&cfg);
    }
}

/*
 * A CRLF file whose last line is a lone CR: the tables appended after it
 * end CRLF and complete that CR rather than leaving a CR of its own, so
 * the merged file is accepted again as it is (found by fuzz_katatoml).
 */
Test(kata, crlf_file_ending_in_cr_merges_to_a_file_that_merges_again)
{
    static const char text[] = "# c\r\n\r";
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.guest.storage = VMB_STORAGE_9P;
    struct vmb_kata_setting *set = NULL;
    size_t n = vmb_kata_settings(&cfg, &set);
    struct vmb_buf out = {0}, again = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_kata_toml_merge("c.toml", text, strlen(text), set, n, &out, &err),
        0, "%s", err ? err->msg : "");
    cr_assert_null(strstr(out.data, "\r\r"), "%s", out.data);
    cr_assert_eq(vmb_kata_toml_merge("out.toml", out.data, out.len, set, n,
                                     &again, &err),
                 0, "%s", err ? err->msg : "");
    cr_assert_str_eq(again.data, out.data);
    vmb_buf_free(&out);
    vmb_buf_free(&again);
    vmb_kata_settings_free(set, n);
    vmb_config_free(&cfg);
}
