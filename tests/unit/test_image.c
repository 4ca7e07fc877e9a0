/*
 * Guest disks that need no appliance: data volumes, overlays, and the
 * image key (what decides whether the cached root image is reused).
 * Building the root image itself is covered by
 * tests/integration/test_guest_storage.c, which boots it.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/util.h"
#include "vm/image.h"

static char tmpdir[] = "/tmp/vmb-image-XXXXXX";

static void
setup(void)
{
    strcpy(tmpdir, "/tmp/vmb-image-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    struct vmb_error *err = NULL;
    vmb_rm_rf(tmpdir, &err);
}

TestSuite(image, .init = setup, .fini = teardown);

static char *
run(const char *const argv[])
{
    char *out = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(argv, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    return out;
}

/* A raw volume is an ext4 file system of the size asked, sparse. */
Test(image, data_volume_raw_is_ext4)
{
    char *vol = vmb_xasprintf("%s/data.raw", tmpdir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_data_volume_create(vol, 64ull << 20, &err), 0, "%s",
                 err ? err->msg : "");
    struct stat st;
    cr_assert_eq(stat(vol, &st), 0);
    cr_assert_eq(st.st_size, 64ll << 20);
    cr_assert_lt(st.st_blocks * 512, st.st_size, "not sparse");
    const char *argv[] = {"dumpe2fs", "-h", vol, NULL};
    char *out = run(argv);
    cr_assert(strstr(out, "Filesystem volume name:   vmbdata"), "%s", out);
    cr_assert(strstr(out, "has_journal"), "%s", out);
    free(out);
    free(vol);
}

/* ".qcow2" gives a qcow2 file holding the same kind of file system. */
Test(image, data_volume_qcow2)
{
    char *vol = vmb_xasprintf("%s/data.qcow2", tmpdir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_data_volume_create(vol, 64ull << 20, &err), 0, "%s",
                 err ? err->msg : "");
    const char *argv[] = {"qemu-img", "info", vol, NULL};
    char *out = run(argv);
    cr_assert(strstr(out, "file format: qcow2"), "%s", out);
    cr_assert(strstr(out, "virtual size: 64 MiB"), "%s", out);
    free(out);
    char *raw = vmb_xasprintf("%s.raw.tmp", vol);
    cr_assert_neq(access(raw, F_OK), 0, "temporary raw file left behind");
    free(raw);
    free(vol);
}

Test(image, data_volume_too_small_is_input_error)
{
    char *vol = vmb_xasprintf("%s/tiny.raw", tmpdir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_data_volume_create(vol, 1 << 20, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, "less than the 16 MiB minimum"), "%s", err->msg);
    vmb_error_free(err);
    free(vol);
}

/* An overlay reads through to its base and names it as backing file. */
Test(image, overlay_backed_by_base)
{
    char *base = vmb_xasprintf("%s/base.qcow2", tmpdir);
    char *ov = vmb_xasprintf("%s/node1.qcow2", tmpdir);
    const char *mk[] = {"qemu-img", "create", "-q",  "-f",
                        "qcow2",    base,     "32M", NULL};
    free(run(mk));
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_overlay_create(base, ov, &err), 0, "%s",
                 err ? err->msg : "");
    const char *info[] = {"qemu-img", "info", ov, NULL};
    char *out = run(info);
    char *want = vmb_xasprintf("backing file: %s", base);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "virtual size: 32 MiB"), "%s", out);
    free(want);
    free(out);
    free(ov);
    free(base);
}

Test(image, overlay_needs_existing_absolute_base)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_overlay_create("base.qcow2", "/tmp/x.qcow2", &err),
                 -1);
    cr_assert(strstr(err->msg, "is not an absolute path"), "%s", err->msg);
    vmb_error_freep(&err);
    cr_assert_eq(vmb_image_overlay_create("/nonexistent/base.qcow2",
                                          "/tmp/x.qcow2", &err),
                 -1);
    cr_assert(strstr(err->msg, "No such file"), "%s", err->msg);
    vmb_error_free(err);
}

/*
 * The key follows what goes in: the same programs give the same key, a
 * different set another; a program the host lacks is named.
 */
Test(image, key_follows_contents)
{
    const char *a[] = {"cat", NULL};
    const char *b[] = {"cat", "ls", NULL};
    const char *missing[] = {"no-such-program-vmb", NULL};
    struct vmb_image_opts opts = {.cache_dir = tmpdir, .programs = a};
    struct vmb_image i1, i2, i3;
    bool cached = true;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_probe(&opts, &i1, &cached, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_not(cached);
    cr_assert_eq(strlen(i1.key), 16);
    char *want = vmb_xasprintf("%s/%s/root.qcow2", tmpdir, i1.key);
    cr_assert_str_eq(i1.path, want);
    free(want);
    /* cat and its libc and loader at least. */
    cr_assert_geq(i1.nfiles, 3);
    cr_assert_eq(vmb_image_probe(&opts, &i2, &cached, &err), 0);
    cr_assert_str_eq(i1.key, i2.key);
    opts.programs = b;
    cr_assert_eq(vmb_image_probe(&opts, &i3, &cached, &err), 0);
    cr_assert_str_neq(i1.key, i3.key);
    cr_assert_gt(i3.nfiles, i1.nfiles);
    opts.programs = missing;
    struct vmb_image i4;
    cr_assert_eq(vmb_image_probe(&opts, &i4, &cached, &err), -1);
    cr_assert(strstr(err->msg, "program \"no-such-program-vmb\" is not "
                               "installed on this host"),
              "%s", err->msg);
    vmb_error_free(err);
    vmb_image_clear(&i1);
    vmb_image_clear(&i2);
    vmb_image_clear(&i3);
}

/* A package entry that is one file brings that file's libraries too, as
 * a package's ELF files do: sed in the guest needs libselinux (Debian's
 * sed links it), which no default program brings. */
Test(image, single_file_brings_its_libraries)
{
    const char *progs[] = {"cat", NULL};
    const char *none[] = {NULL};
    const char *sed[] = {"/usr/bin/sed", NULL};
    struct vmb_image_opts opts = {
        .cache_dir = tmpdir, .programs = progs, .packages = none};
    struct vmb_image base, with;
    bool cached = true;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_probe(&opts, &base, &cached, &err), 0, "%s",
                 err ? err->msg : "");
    opts.packages = sed;
    cr_assert_eq(vmb_image_probe(&opts, &with, &cached, &err), 0, "%s",
                 err ? err->msg : "");
    char *out = NULL;
    const char *ldd[] = {"sh", "-c", "ldd /usr/bin/sed | grep -c '=> /'", NULL};
    out = run(ldd);
    /* sed and every library of it that cat lacks */
    cr_assert_gt(with.nfiles, base.nfiles + 1, "%zu vs %zu (ldd: %s)",
                 with.nfiles, base.nfiles, out);
    free(out);
    vmb_image_clear(&base);
    vmb_image_clear(&with);
}
