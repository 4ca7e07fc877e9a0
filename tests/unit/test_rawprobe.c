/*
 * The raw-limit probe (base/rawprobe.c): the figures it reads back from
 * an agent's answer, refusing what no probe writes, and a short real run
 * in a scratch directory that leaves nothing behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/rawprobe.h"

Test(rawprobe, set_and_format_round_trip)
{
    struct vmb_rawprobe_result r = {0}, back = {0};
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", "2300.5"), 1);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_p99_us", "900"), 1);
    cr_expect_eq(vmb_rawprobe_set(&r, "seqwrite_mb_s", "480"), 1);
    cr_expect_eq(vmb_rawprobe_set(&r, "randread_iops", "41000"), 1);
    cr_expect_eq(vmb_rawprobe_set(&r, "randread_direct", "1"), 1);
    cr_expect_float_eq(r.fsync_write_rate, 2300.5, 1e-9);
    cr_expect(r.randread_direct);
    for (int i = 0; i < VMB_RAWPROBE_NFIELDS; i++) {
        char v[64];
        vmb_rawprobe_format(&r, i, v, sizeof(v));
        cr_expect_eq(vmb_rawprobe_set(&back, vmb_rawprobe_fields[i], v), 1,
                     "%s=%s", vmb_rawprobe_fields[i], v);
    }
    cr_expect(memcmp(&r, &back, sizeof(r)) == 0);
}

Test(rawprobe, set_refuses)
{
    struct vmb_rawprobe_result r = {0};
    cr_expect_eq(vmb_rawprobe_set(&r, "id", "7"), 0);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", "-1"), -1);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", "nan"), -1);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", "inf"), -1);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", "12x"), -1);
    cr_expect_eq(vmb_rawprobe_set(&r, "fsync_write_rate", ""), -1);
    cr_expect_eq(vmb_rawprobe_set(&r, "randread_direct", "yes"), -1);
    cr_expect_eq(r.fsync_write_rate, 0);
}

Test(rawprobe, runs_and_cleans_up, .timeout = 60)
{
    char dir[] = "/tmp/vmb-test-rawprobe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct vmb_rawprobe_opts o = {.each_us = 100000, .file_bytes = 32 << 20};
    struct vmb_rawprobe_result r;
    char why[256] = "";
    int rc = vmb_rawprobe_run(dir, &o, &r, why, sizeof(why));
    DIR *d = opendir(dir);
    int left = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        left += de->d_name[0] != '.' || strlen(de->d_name) > 2;
    if (d)
        closedir(d);
    rmdir(dir);
    cr_assert_eq(rc, 0, "%s", why);
    cr_expect_eq(left, 0, "the scratch file was left behind");
    cr_expect_gt(r.fsync_write_rate, 0);
    cr_expect_gt(r.fsync_write_p99_us, 0);
    cr_expect_gt(r.seqwrite_mb_s, 0);
    cr_expect_gt(r.randread_iops, 0);
}

Test(rawprobe, missing_directory_says_so)
{
    struct vmb_rawprobe_opts o = {.each_us = 1000, .file_bytes = 1 << 20};
    struct vmb_rawprobe_result r;
    char why[256] = "";
    cr_expect_eq(vmb_rawprobe_run("/nonexistent-vmb", &o, &r, why, sizeof(why)),
                 -1);
    cr_expect(strstr(why, "create \"/nonexistent-vmb/.vmb-rawprobe\"") != NULL,
              "%s", why);
}

Test(rawprobe, spin_scales)
{
    uint64_t a = vmb_rawprobe_spin(1u << 16);
    uint64_t b = vmb_rawprobe_spin(1u << 22);
    cr_expect_gt(b, a);
}

/* A disk that fills up part way through a write: the probe fails with the
 * system's own reason (ENOSPC), not a stale errno from before the short
 * write. A tmpfs of 1.5 MiB holds the fsync'ed 1 MiB, then the sequential
 * writes' second MiB is cut short. */
Test(rawprobe, full_disk_says_no_space, .timeout = 60)
{
    if (geteuid() != 0)
        cr_skip_test("mounting a small tmpfs needs root");
    char dir[] = "/tmp/vmb-test-rawfull-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    if (mount("vmb-rawfull", dir, "tmpfs", 0, "size=1536k") < 0) {
        rmdir(dir);
        cr_skip_test("cannot mount a tmpfs here");
    }
    struct vmb_rawprobe_opts o = {.each_us = 200000, .file_bytes = 8 << 20};
    struct vmb_rawprobe_result r;
    char why[256] = "";
    errno = EEXIST; /* what a stale errno would say */
    int rc = vmb_rawprobe_run(dir, &o, &r, why, sizeof(why));
    umount2(dir, MNT_DETACH);
    rmdir(dir);
    cr_assert_eq(rc, -1);
    cr_expect(strstr(why, strerror(ENOSPC)) != NULL, "%s", why);
}
