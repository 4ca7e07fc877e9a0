/*
 * What a node costs in memory, against a fake /proc tree and texts in
 * the kernel's formats: smaps_rollup's Rss and Pss, the virtiofsd
 * processes serving one VM (not another's), and the guest's meminfo.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "runtime/hostmem.h"

static char root[] = "/tmp/vmb-test-hostmem-XXXXXX";

static void
put(const char *rel, const char *text, size_t len)
{
    char *path = vmb_xasprintf("%s/%s", root, rel);
    char *dir = vmb_xstrdup(path);
    *strrchr(dir, '/') = '\0';
    cr_assert_eq(vmb_mkdir_p(dir, NULL), 0);
    cr_assert_eq(vmb_write_file_atomic(path, text, len, NULL), 0);
    free(dir);
    free(path);
}

static void
rollup(int pid, int rss_kb, int pss_kb)
{
    char rel[64], text[512];
    snprintf(rel, sizeof(rel), "%d/smaps_rollup", pid);
    snprintf(text, sizeof(text),
             "55d0c0a00000-7ffd6d9f1000 ---p 00000000 00:00 0 [rollup]\n"
             "Rss:             %d kB\n"
             "Pss:             %d kB\n"
             "Pss_Anon:          100 kB\n"
             "Shared_Clean:     2000 kB\n",
             rss_kb, pss_kb);
    put(rel, text, strlen(text));
}

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(root));
}

static void
teardown(void)
{
    vmb_rm_rf(root, NULL);
}

TestSuite(hostmem, .init = setup, .fini = teardown);

Test(hostmem, process_rss_and_pss)
{
    rollup(42, 300000, 250000);
    double rss = 0, pss = 0;
    cr_assert_eq(vmb_mem_read_process(root, 42, &rss, &pss), 0);
    cr_assert_eq(rss, 300000.0 * 1024);
    cr_assert_eq(pss, 250000.0 * 1024);
    /* No such process, no figure. */
    cr_assert_lt(vmb_mem_read_process(root, 43, &rss, &pss), 0);
    cr_assert_lt(vmb_mem_parse_rollup("Rss: 12 kB\n", &rss, &pss), 0);
}

Test(hostmem, virtiofsd_of_one_vm)
{
    static const char mine[] = "/usr/libexec/virtiofsd\0--socket-path=/var/"
                               "lib/libvirt/qemu/domain-3-vmb-ab12r1-1/fs0."
                               "sock\0--shared-dir=/x\0";
    static const char other[] = "/usr/libexec/virtiofsd\0--socket-path=/var/"
                                "lib/libvirt/qemu/domain-4-vmb-cd34r1-1/fs0."
                                "sock\0";
    put("10/comm", "virtiofsd\n", 10);
    put("10/cmdline", mine, sizeof(mine));
    rollup(10, 4000, 3000);
    put("11/comm", "virtiofsd\n", 10);
    put("11/cmdline", mine, sizeof(mine));
    rollup(11, 1000, 500);
    put("12/comm", "virtiofsd\n", 10);
    put("12/cmdline", other, sizeof(other));
    rollup(12, 9000, 9000);
    put("13/comm", "qemu-system-x86\n", 16);
    put("13/cmdline", mine, sizeof(mine));
    rollup(13, 7000, 7000);
    double rss, pss;
    vmb_mem_read_virtiofsd(root, "vmb-ab12r1-1", &rss, &pss);
    cr_assert_eq(rss, 5000.0 * 1024);
    cr_assert_eq(pss, 3500.0 * 1024);
    vmb_mem_read_virtiofsd(root, "vmb-none", &rss, &pss);
    cr_assert_eq(rss, 0);
    cr_assert_eq(pss, 0);
}

Test(hostmem, guest_meminfo)
{
    struct vmb_mem_node n;
    vmb_mem_node_init(&n);
    cr_assert(isnan(n.guest_used) && isnan(n.pss) && n.helpers_pss == 0);
    const char text[] = "MemTotal:         481000 kB\n"
                        "MemFree:          300000 kB\n"
                        "MemAvailable:     400000 kB\n"
                        "Buffers:            1000 kB\n"
                        "Cached:            60000 kB\n"
                        "SwapCached:            0 kB\n"
                        "SReclaimable:       5000 kB\n";
    cr_assert_eq(vmb_mem_parse_meminfo(text, &n), 0);
    cr_assert_eq(n.guest_total, 481000.0 * 1024);
    cr_assert_eq(n.guest_cache, 61000.0 * 1024);
    /* 481000 - 300000 - 1000 - 60000 - 5000 */
    cr_assert_eq(n.guest_used, 115000.0 * 1024);
    struct vmb_mem_node m;
    vmb_mem_node_init(&m);
    cr_assert_lt(vmb_mem_parse_meminfo("MemTotal: 1 kB\n", &m), 0);
    cr_assert(isnan(m.guest_used));
}
