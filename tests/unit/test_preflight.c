/*
 * The preflight against a fake host: a directory standing for the root
 * of the filesystem (dev/vhost-net, proc/meminfo, the running kernel's
 * modules, virtiofsd, tc, the engines' programs) and an empty PATH.
 * Each need is refused when its part is missing and passes when it is
 * there; shortfalls of several cells are one finding listing them all.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/util.h"
#include "config/matrix.h"
#include "runtime/preflight.h"
#include "vm/initramfs.h"

static char root[] = "/tmp/vmb-test-preflight-XXXXXX";
static struct vmb_matrix *m;
static struct vmb_preflight *pf;

/* A host with plenty of memory and no huge pages, nothing else. */
static const char meminfo[] = "MemTotal: 33554432 kB\n"
                              "MemAvailable: 16777216 kB\n"
                              "HugePages_Total: 0\n"
                              "HugePages_Free: 0\n"
                              "Hugepagesize: 2048 kB\n";

static void
put(const char *rel, const char *text, mode_t mode)
{
    char *path = vmb_xasprintf("%s/%s", root, rel);
    char *dir = vmb_xstrdup(path);
    *strrchr(dir, '/') = '\0';
    cr_assert_eq(vmb_mkdir_p(dir, NULL), 0, "%s", dir);
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), NULL), 0, "%s",
                 path);
    chmod(path, mode);
    free(dir);
    free(path);
}

#define QEMU_VIRTIOFSD                                                         \
    "#!/bin/sh\necho '    -o source=PATH             shared directory tree'\n"
#define RUST_VIRTIOFSD "#!/bin/sh\necho '      --shared-dir <SHARED_DIR>'\n"

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(root));
    put("proc/meminfo", meminfo, 0644);
    /* What the guest image is made of (vm/image.h): programs, Debian
     * packages (one of them of one architecture) and a file. */
    const char *progs[] = {
        "redis-server", "redis-cli", "sh",    "cat",   "ls",  "sleep", "sync",
        "mkdir",        "chmod",     "chown", "uname", "sed", "awk"};
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        char *p = vmb_xasprintf("usr/bin/%s", progs[i]);
        put(p, "#!/bin/sh\n", 0755);
        free(p);
    }
    put("var/lib/dpkg/info/postgresql-15.list", "/.\n", 0644);
    put("var/lib/dpkg/info/postgresql-client-15:amd64.list", "/.\n", 0644);
    put("var/lib/dpkg/info/mariadb-server-core.list", "/.\n", 0644);
    put("var/lib/dpkg/info/mariadb-client-core.list", "/.\n", 0644);
    put("usr/share/zoneinfo/UTC", "TZif", 0644);
    /* Kata's default storage is on virtio-fs; Debian 12's virtiofsd is
     * QEMU's C one, known by its --help. */
    put("usr/lib/qemu/virtiofsd", QEMU_VIRTIOFSD, 0755);
}

static void
teardown(void)
{
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    vmb_rm_rf(root, NULL);
}

TestSuite(preflight, .init = setup, .fini = teardown, .timeout = 30);

/* Loads a whole matrix file's text and checks it on the fake host. */
static void
check_text(const char *text)
{
    put("matrix.yaml", text, 0644);
    char *path = vmb_xasprintf("%s/matrix.yaml", root);
    struct vmb_error *err = NULL;
    int r = vmb_matrix_load_kata(path, NULL, &m, &err);
    cr_assert_eq(r, 0, "%s", err ? err->msg : "");
    struct vmb_preflight_host h = {.root = root, .path = "/usr/bin"};
    pf = vmb_preflight_check(&h, m, NULL, NULL);
    free(path);
}

/* Loads a matrix (its body after name:) and checks it on the fake host. */
static void
check(const char *body)
{
    char *text = vmb_xasprintf("name: pf\nrepetitions: 1\n%s"
                               "load:\n  phases:\n    - { op: write, n: 10 }\n",
                               body);
    check_text(text);
    free(text);
}

static const struct vmb_preflight_finding *
finding(const char *need)
{
    for (size_t i = 0; i < pf->n; i++)
        if (strcmp(pf->findings[i].need, need) == 0)
            return &pf->findings[i];
    return NULL;
}

static void
assert_lack(const char *need, const char *detail_has, const char *fix_has)
{
    const struct vmb_preflight_finding *f = finding(need);
    cr_assert_not_null(f, "no %s finding", need);
    cr_assert_eq(f->level, VMB_PREFLIGHT_LACK, "%s", f->detail);
    cr_assert_not_null(strstr(f->detail, detail_has), "%s", f->detail);
    cr_assert_not_null(f->fix);
    cr_assert_not_null(strstr(f->fix, fix_has), "%s", f->fix);
}

Test(preflight, vhost_missing_is_refused)
{
    check("");
    assert_lack("vhost-net", "/dev/vhost-net", "modprobe vhost_net");
    /* Only the VM cell needs it; the control does not. */
    cr_assert_eq(finding("vhost-net")->ncells, 1);
    cr_assert_eq(pf->cells_checked, 2);
    cr_assert_eq(pf->cells_lacking, 1);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_preflight_refuse(pf, &err), 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
}

Test(preflight, vhost_present_passes)
{
    put("dev/vhost-net", "", 0600);
    check("");
    cr_assert_eq(pf->n, 0, "%s", pf->n ? pf->findings[0].detail : "");
}

/* The fallback is the user's choice: a note for the session, no refusal. */
Test(preflight, vhost_fallback_is_a_note)
{
    check("network:\n  vhost_fallback: true\n");
    const struct vmb_preflight_finding *f = finding("vhost-net");
    cr_assert_not_null(f);
    cr_assert_eq(f->level, VMB_PREFLIGHT_NOTE);
    cr_assert_eq(pf->nlacking, 0);
    cr_assert_eq(vmb_preflight_refuse(pf, NULL), 0);
}

Test(preflight, hugepages_counts_both_vms)
{
    put("dev/vhost-net", "", 0600);
    put("proc/meminfo",
        "MemAvailable: 16777216 kB\nHugePages_Total: 300\n"
        "HugePages_Free: 300\nHugepagesize: 2048 kB\n",
        0644);
    /* Two VMs of 512 MiB: 512 pages, 212 more than reserved. */
    check("guest:\n  memory: 512M\n  hugepages: true\n");
    assert_lack("hugepages", "need 512 free 2 MiB pages", "echo 512 >");
}

Test(preflight, hugepages_reserved_pass)
{
    put("dev/vhost-net", "", 0600);
    put("proc/meminfo",
        "MemAvailable: 16777216 kB\nHugePages_Total: 600\n"
        "HugePages_Free: 512\nHugepagesize: 2048 kB\n",
        0644);
    check("guest:\n  memory: 512M\n  hugepages: true\n");
    cr_assert_null(finding("hugepages"));
}

Test(preflight, memory_for_both_vms)
{
    put("dev/vhost-net", "", 0600);
    put("proc/meminfo", "MemAvailable: 3145728 kB\nHugepagesize: 2048 kB\n",
        0644);
    /* 3 GiB available: one 2 GiB VM fits, two do not. */
    check("guest:\n  memory: 2G\n");
    assert_lack("memory", "4096", "default_memory");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    check("guest:\n  memory: 1G\n");
    cr_assert_null(finding("memory"));
}

static const char rate[] = "network:\n  rx_rate_limiter_max_rate: 8000000\n";

Test(preflight, rate_limiter_needs_tc)
{
    put("dev/vhost-net", "", 0600);
    check(rate);
    assert_lack("tc", "tc", "iproute2");
}

Test(preflight, rate_limiter_needs_the_modules)
{
    put("dev/vhost-net", "", 0600);
    put("usr/sbin/tc", "#!/bin/sh\n", 0755);
    put("proc/sys/kernel/osrelease", "6.1.0-test\n", 0644);
    put("lib/modules/6.1.0-test/modules.dep",
        "kernel/net/sched/sch_sfq.ko.xz:\n", 0644);
    put("lib/modules/6.1.0-test/modules.builtin",
        "kernel/net/sched/cls_fw.ko\n", 0644);
    check(rate);
    /* rx only: htb is missing; sfq is installed, fw built in, and the
     * tx side's modules are not needed. */
    assert_lack("tc", "\"sch_htb\"", "modprobe sch_htb");
    cr_assert_null(strstr(finding("tc")->detail, "ingress"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("sys/module/sch_htb/refcnt", "0\n", 0644);
    check(rate);
    cr_assert_null(finding("tc"));
}

/* A kernel without a modules directory says nothing is missing. */
Test(preflight, rate_limiter_unknown_modules_pass)
{
    put("dev/vhost-net", "", 0600);
    put("usr/sbin/tc", "#!/bin/sh\n", 0755);
    put("proc/sys/kernel/osrelease", "6.1.0-test\n", 0644);
    check(rate);
    cr_assert_null(finding("tc"));
}

Test(preflight, virtiofsd)
{
    put("dev/vhost-net", "", 0600);
    char *vfsd = vmb_xasprintf("%s/usr/lib/qemu/virtiofsd", root);
    unlink(vfsd);
    check("guest:\n  storage: virtio-fs\n");
    assert_lack("virtiofsd", "virtiofsd", "apt-get install virtiofsd");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("usr/lib/qemu/virtiofsd", QEMU_VIRTIOFSD, 0755);
    free(vfsd);
    check("guest:\n  storage: virtio-fs\n");
    cr_assert_null(finding("virtiofsd"));
}

/* The container root over the shared filesystem is an overlay mount on
 * the host: a kernel without overlayfs, or a vmbench that may not mount,
 * is refused with the fix; a root on a block device needs neither. */
Test(preflight, container_root_overlay)
{
    put("dev/vhost-net", "", 0600);
    put("proc/filesystems", "nodev\tproc\n\text4\n", 0644);
    check("");
    assert_lack("container-root", "no overlay filesystem", "modprobe overlay");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("proc/filesystems", "nodev\tproc\nnodev\toverlay\n", 0644);
    put("proc/self/status", "Name:\tvmbench\nCapEff:\t0000000000000000\n",
        0644);
    check("");
    assert_lack("container-root", "CAP_SYS_ADMIN", "run vmbench as root");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    check("guest:\n  disable_block_device_use: false\n");
    cr_assert_null(finding("container-root"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("proc/self/status", "Name:\tvmbench\nCapEff:\t000001ffffffffff\n",
        0644);
    check("");
    cr_assert_null(finding("container-root"));
}

/* A Kata word QEMU's C virtiofsd has no equivalent for: refused with
 * the C daemon, taken by a Rust one the cell names (virtio_fs_daemon),
 * whose flavour its --help shows. */
Test(preflight, virtio_fs_extra_args_word)
{
    put("dev/vhost-net", "", 0600);
    check("guest:\n  virtio_fs_extra_args: \"--thread-pool-size=2 "
          "--sandbox=none\"\n");
    assert_lack("virtio_fs_extra_args", "\"--sandbox=none\"",
                "remove that word");
}

Test(preflight, virtio_fs_daemon_flavour)
{
    put("dev/vhost-net", "", 0600);
    put("opt/rust/virtiofsd", RUST_VIRTIOFSD, 0755);
    check("guest:\n  virtio_fs_extra_args: \"--sandbox=none\"\n"
          "  virtio_fs_daemon: /opt/rust/virtiofsd\n");
    cr_assert_null(finding("virtio_fs_extra_args"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("opt/other", "#!/bin/sh\necho 'usage: other [--frobnicate]'\n", 0755);
    check("guest:\n  virtio_fs_daemon: /opt/other\n");
    assert_lack("virtio_fs_extra_args", "is no virtiofsd vmbench knows",
                "set virtio_fs_daemon");
}

/* Redis and PostgreSQL: the programs each needs, in PATH or PostgreSQL's
 * Debian directory; one finding for all the cells that lack the same. */
Test(preflight, engine_programs)
{
    put("dev/vhost-net", "", 0600);
    char *redis = vmb_xasprintf("%s/usr/bin/redis-server", root);
    unlink(redis);
    free(redis);
    check("matrix:\n  default_vcpus: [1, 2]\n");
    assert_lack("engine", "\"redis-server\"", "apt-get install redis-server");
    /* Two VM cells and two controls: one finding (and the VM cells'
     * image lacks the program too). */
    cr_assert_eq(finding("engine")->ncells, 4);
    cr_assert_eq(finding("guest-image")->ncells, 2);
    cr_assert_eq(pf->nlacking, 2);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("usr/lib/postgresql/15/bin/postgres", "#!/bin/sh\n", 0755);
    put("usr/lib/postgresql/15/bin/initdb", "#!/bin/sh\n", 0755);
    check("database:\n  engine: postgres\n");
    assert_lack("engine", "\"pg_basebackup\"", "apt-get install postgresql");
    cr_assert_null(strstr(finding("engine")->detail, "initdb"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("usr/lib/postgresql/15/bin/pg_basebackup", "#!/bin/sh\n", 0755);
    check("database:\n  engine: postgres\n");
    cr_assert_null(finding("engine"));
}

/* fio runs on node 1 alone: a fio control that names a host for node 2
 * is refused before any host is reached. */
Test(preflight, remote_node2_needs_a_node_2)
{
    put("dev/vhost-net", "", 0600);
    put("usr/bin/fio", "#!/bin/sh\n", 0755);
    const char *text = "name: pf\nrepetitions: 1\n"
                       "database:\n  engine: fio\n"
                       "hosts:\n  control_node2: ssh://nobody@replica\n"
                       "load:\n  phases:\n"
                       "    - { op: randread-4k, duration: 1s }\n";
    check_text(text);
    assert_lack("remote-host", "a fio control has no node 2",
                "hosts.control_node2");
    cr_assert_eq(finding("remote-host")->ncells, 1);
}

/* A VM cell's node 2 on a libvirt host nobody answers for: refused
 * before anything starts, naming the host, within the connect deadline;
 * its control, which runs here, needs no other host. */
Test(preflight, vm_node2_host_unreachable, .timeout = 30)
{
    put("dev/vhost-net", "", 0600);
    put("usr/bin/redis-server", "#!/bin/sh\n", 0755);
    const char *text = "name: pf\nrepetitions: 1\n"
                       "guest:\n  storage: block\n"
                       "hosts:\n  vm_node2: qemu+tcp://127.0.0.1:1/system\n"
                       "  connect_timeout: 2s\n";
    uint64_t t0 = vmb_now_ns();
    check_text(text);
    cr_assert_lt((double)(vmb_now_ns() - t0) / 1e9, 4.0);
    assert_lack("remote-libvirt", "\"qemu+tcp://127.0.0.1:1/system\"",
                "vmbench doctor --host qemu+tcp://127.0.0.1:1/system");
    cr_assert_eq(finding("remote-libvirt")->ncells, 1);
    /* Node 2's NIC on vhost-net there, as node 1's here: libvirt cannot
     * say whether that host has /dev/vhost-net, nor ssh ask a
     * qemu+tcp:// host; a note says so. */
    const struct vmb_preflight_finding *v = finding("remote-vhost");
    cr_assert_not_null(v);
    cr_assert_eq(v->level, VMB_PREFLIGHT_NOTE);
    cr_assert(strstr(v->detail, "is not known") != NULL, "%s", v->detail);
}

#define ROUTE_HEAD                                                             \
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"    \
    "\tWindow\tIRTT\n"
#define ROUTE_DEFAULT                                                          \
    "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
/* 10.213.1.0/24 via 192.168.0.2 */
#define ROUTE_NODE2                                                            \
    "eth0\t0001D50A\t0200A8C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"

static void
check_route(const char *routes)
{
    put("proc/net/route", routes, 0644);
    const char *text = "name: pf\nrepetitions: 1\n"
                       "guest:\n  storage: block\n"
                       "hosts:\n  vm_node2: qemu+tcp://127.0.0.1:1/system\n"
                       "  connect_timeout: 1s\n";
    check_text(text);
}

/* Node 2's subnet there (derived: the block after network.subnet) must
 * be routed from here through that host: a default route does not
 * count; the fix says which routes to add on both hosts. */
Test(preflight, vm_node2_subnet_needs_a_route, .timeout = 30)
{
    put("dev/vhost-net", "", 0600);
    put("usr/bin/redis-server", "#!/bin/sh\n", 0755);
    check_route(ROUTE_HEAD ROUTE_DEFAULT);
    assert_lack("remote-route", "node 2's subnet \"10.213.1.0/24\"",
                "`ip route add 10.213.1.0/24 via ITS-ADDRESS` here, and "
                "there `ip route add 10.213.0.0/24 via");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    check_route(ROUTE_HEAD ROUTE_DEFAULT ROUTE_NODE2);
    cr_assert_null(finding("remote-route"));
}

/* MariaDB: a host without mariadb-install-db is refused with the fix,
 * before any datadir is made; mariadbd is found in /usr/sbin. */
Test(preflight, mariadb_programs)
{
    put("dev/vhost-net", "", 0600);
    check("database:\n  engine: mariadb\n");
    assert_lack("engine", "\"mariadbd\", \"mariadb-install-db\"",
                "apt-get install mariadb-server");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("usr/sbin/mariadbd", "#!/bin/sh\n", 0755);
    check("database:\n  engine: mysql\n");
    assert_lack("engine", "\"mariadb-install-db\"",
                "apt-get install mariadb-server");
    cr_assert_null(strstr(finding("engine")->detail, "\"mariadbd\""));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("usr/sbin/mariadb-install-db", "#!/bin/sh\n", 0755);
    check("database:\n  engine: mariadb\n");
    cr_assert_null(finding("engine"));
}

/* The image is made from the host's files: every VM cell needs them
 * all, whatever its engine; the controls need none of them. */
Test(preflight, guest_image_ingredients)
{
    put("dev/vhost-net", "", 0600);
    char *p = vmb_xasprintf("%s/usr/bin/redis-cli", root);
    unlink(p);
    free(p);
    p = vmb_xasprintf("%s/var/lib/dpkg/info/postgresql-client-15:amd64.list",
                      root);
    unlink(p);
    free(p);
    check("");
    assert_lack("guest-image", "\"redis-cli\", \"postgresql-client-15\"",
                "scripts/setup.sh");
    cr_assert_null(strstr(finding("guest-image")->detail, "\"postgresql-15\""));
    cr_assert_eq(finding("guest-image")->ncells, 1);
    cr_assert_eq(finding("guest-image")->cells[0]->kind, VMB_CELL_VM);
}

/* A fio matrix: its VM cells boot fio's own image, made from Debian's
 * fio package (not the databases'), one VM each. */
static void
check_fio(const char *body)
{
    char *text = vmb_xasprintf("name: pf\nrepetitions: 1\n"
                               "database:\n  engine: fio\n%s"
                               "load:\n  phases:\n"
                               "    - { op: randread-4k, duration: 1s }\n",
                               body);
    check_text(text);
    free(text);
}

Test(preflight, fio_vm_cells)
{
    put("dev/vhost-net", "", 0600);
    put("usr/bin/fio", "#!/bin/sh\n", 0755);
    /* The databases' packages do not matter to a fio cell. */
    char *p = vmb_xasprintf("%s/var/lib/dpkg/info/postgresql-15.list", root);
    unlink(p);
    free(p);
    check_fio("");
    assert_lack("guest-image",
                "the guest image of database.engine fio is made from this "
                "host's files, and the host lacks \"fio\"",
                "apt-get install");
    cr_assert_eq(finding("guest-image")->ncells, 1);
    cr_assert_null(finding("engine"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("var/lib/dpkg/info/fio.list", "/.\n", 0644);
    /* One VM of 512 MiB: 256 pages, which are there. */
    put("proc/meminfo",
        "MemAvailable: 16777216 kB\nHugePages_Total: 300\n"
        "HugePages_Free: 300\nHugepagesize: 2048 kB\n",
        0644);
    check_fio("guest:\n  memory: 512M\n  hugepages: true\n");
    cr_assert_eq(pf->nlacking, 0, "%s", pf->n ? pf->findings[0].detail : "");
    cr_assert_eq(vmb_preflight_refuse(pf, NULL), 0);
}

/* Every shortfall at once, each with its fix, in one listing. */
/* entropy_source other than /dev/urandom: the device must be readable. */
Test(preflight, entropy_source_device)
{
    put("dev/vhost-net", "", 0600);
    check("guest:\n  entropy_source: /dev/hwrng\n");
    assert_lack("entropy_source", "\"/dev/hwrng\"", "/dev/urandom");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("dev/hwrng", "", 0644);
    check("guest:\n  entropy_source: /dev/hwrng\n");
    cr_assert_null(finding("entropy_source"));
}

Test(preflight, all_shortfalls_listed)
{
    char *vfsd = vmb_xasprintf("%s/usr/lib/qemu/virtiofsd", root);
    unlink(vfsd);
    free(vfsd);
    check("guest:\n  hugepages: true\n  storage: virtio-fs\n"
          "network:\n"
          "  tx_rate_limiter_max_rate: 8000000\n");
    cr_assert_eq(pf->nlacking, 4, "%zu", pf->nlacking);
    const char *needs[] = {"vhost-net", "hugepages", "tc", "virtiofsd"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_not_null(finding(needs[i]), "%s", needs[i]);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vmb_preflight_print_lacks(f, pf);
    fclose(f);
    for (size_t i = 0; i < 4; i++) {
        char *line = vmb_xasprintf("  %s: ", needs[i]);
        cr_assert_not_null(strstr(buf, line), "%s", buf);
        free(line);
    }
    cr_assert_not_null(strstr(buf, "fix: "), "%s", buf);
    free(buf);
}

/* Every VM of every tenant counts: 2 tenants of 1 GiB VMs need 4 GiB. */
Test(preflight, memory_counts_every_tenant)
{
    put("dev/vhost-net", "", 0600);
    put("proc/meminfo", "MemAvailable: 3145728 kB\nHugepagesize: 2048 kB\n",
        0644);
    check("guest:\n  memory: 1G\ntenants: 2\n");
    assert_lack("memory", "4096", "fewer tenants");
}

/* More pinned CPUs than the host has: run anyway, flagged as a note. */
Test(preflight, tenants_oversubscribed_is_a_note)
{
    put("dev/vhost-net", "", 0600);
    int64_t t = vmb_preflight_host_cpus() + 1;
    char *body = vmb_xasprintf("tenants: %" PRId64 "\n", t);
    check(body);
    free(body);
    const struct vmb_preflight_finding *f = finding("cpus");
    cr_assert_not_null(f);
    cr_assert_eq(f->level, VMB_PREFLIGHT_NOTE);
    cr_assert_not_null(strstr(f->detail, "oversubscribed"), "%s", f->detail);
    /* The VM cell and its pinned control. */
    cr_assert_eq(f->ncells, 2);
    cr_assert_eq(vmb_preflight_refuse(pf, NULL), 0);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    pf = NULL;
    m = NULL;
    /* One tenant is never flagged, whatever its vCPUs. */
    check("guest:\n  vcpus: 8\n");
    cr_assert_null(finding("cpus"));
}

/* The agent over vsock needs /dev/vhost-vsock; auto falls back to
 * virtio-serial without a finding, and the check says which it gets and
 * why (plan prints it). */
Test(preflight, vsock_demanded_is_refused_with_its_fix)
{
    put("dev/vhost-net", "", 0600);
    check("guest:\n  agent_transport: vsock\n");
    assert_lack("vhost-vsock", "/dev/vhost-vsock", "modprobe vhost_vsock");
    cr_assert_eq(finding("vhost-vsock")->ncells, 1);
    cr_assert_null(pf->agent_transport, "no cell has auto");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    check("guest:\n  agent_transport: auto\n");
    cr_assert_null(finding("vhost-vsock"));
    cr_assert_eq(pf->n, 0, "%s", pf->n ? pf->findings[0].detail : "");
    cr_assert_str_eq(pf->agent_transport, "virtio-serial");
    cr_assert_str_eq(pf->agent_transport_why,
                     "this host has no usable /dev/vhost-vsock");
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    /* With the device, vsock is no shortfall; auto still wants the
     * guest kernel's vsock, and this fake host has no kernel to read. */
    put("dev/vhost-vsock", "", 0600);
    check("guest:\n  agent_transport: vsock\n");
    cr_assert_null(finding("vhost-vsock"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    check("guest:\n  agent_transport: auto\n");
    cr_assert_str_eq(pf->agent_transport, "virtio-serial");
    cr_assert_str_eq(pf->agent_transport_why,
                     "the guest kernel has no vsock driver");
}

/* host: settings need their files: a kernel without KSM is refused with
 * the fix; with the file there the need is met. */
Test(preflight, host_setting_without_its_file_is_refused)
{
    put("dev/vhost-net", "", 0600);
    check("host:\n  ksm: on\n");
    assert_lack("host-settings", "/sys/kernel/mm/ksm/run", "CONFIG_KSM");
    /* The cell and its control both change the host. */
    cr_assert_eq(finding("host-settings")->ncells, 2);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    put("sys/kernel/mm/ksm/run", "0\n", 0644);
    check("host:\n  ksm: on\n");
    cr_assert_null(finding("host-settings"));
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    pf = NULL;
    m = NULL;
    /* A cell that keeps the host's settings needs nothing. */
    check("");
    cr_assert_null(finding("host-settings"));
}

/* enable_vcpus_pinning asks for a CPU per vCPU: tenants whose vCPUs
 * outnumber the host's CPUs are refused (unpinned, they only get the
 * note above). */
Test(preflight, pinned_tenants_beyond_the_cpus_are_refused)
{
    put("dev/vhost-net", "", 0600);
    int64_t t = vmb_preflight_host_cpus() + 1;
    char *body = vmb_xasprintf("tenants: %" PRId64 "\nguest:\n"
                               "  vcpus_pinning: true\n",
                               t);
    check(body);
    free(body);
    assert_lack("vcpus-pinning", "CPU of its own", "enable_vcpus_pinning");
    cr_assert_eq(finding("vcpus-pinning")->ncells, 1);
    cr_assert_lt(vmb_preflight_refuse(pf, NULL), 0);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    pf = NULL;
    m = NULL;
    check("guest:\n  vcpus_pinning: true\n");
    cr_assert_null(finding("vcpus-pinning"));
}

/*
 * The host's Debian kernel as a Kata-style one: its uncompressed vmlinux
 * as the fake host's only kernel, with no modules directory. Debian
 * builds virtio-fs as a module, so the default cell (on virtio-fs) is
 * refused, naming the driver, the kernel file and the option to build.
 * Returns the release.
 */
static char *
put_vmlinux(void)
{
    char *bz = NULL, *rel = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_path("auto", NULL, &bz, &err), 0);
    cr_assert_eq(vmb_guest_kernel_release(bz, &rel, &err), 0);
    char *boot = vmb_xasprintf("%s/boot", root);
    char *out = vmb_xasprintf("%s/vmlinuz-%s", boot, rel);
    cr_assert_eq(vmb_mkdir_p(boot, NULL), 0);
    const char *argv[] = {"bash", VMB_TEST_DATA "/vmlinux-from-bzimage.sh", bz,
                          out, NULL};
    char *text = NULL;
    cr_assert_eq(vmb_capture_run(argv, &text, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(text);
    free(out);
    free(boot);
    free(bz);
    return rel;
}

Test(preflight, guest_kernel_without_the_driver_is_refused, .timeout = 60)
{
    put("dev/vhost-net", "", 0600);
    char *rel = put_vmlinux();
    check("");
    assert_lack("guest-kernel", "lacks the driver(s) \"virtio-pci\"",
                "CONFIG_VIRTIO_FS=y");
    const struct vmb_preflight_finding *f = finding("guest-kernel");
    cr_assert_not_null(strstr(f->detail, "\"virtio-fs\""), "%s", f->detail);
    cr_assert_not_null(strstr(f->detail, "/boot/vmlinuz-"), "%s", f->detail);
    cr_assert_not_null(strstr(f->detail, "has no modules"), "%s", f->detail);
    cr_assert_eq(f->ncells, 1); /* not the bare-metal control */
    vmb_preflight_free(pf);
    vmb_matrix_free(m);

    /* Its modules installed: nothing lacks. */
    const char *mods[] = {"virtio_pci",     "virtio_blk", "virtio_net",
                          "virtio_console", "ext4",       "virtiofs"};
    char *dep = vmb_xstrdup("");
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
        char *ko =
            vmb_xasprintf("lib/modules/%s/kernel/%s.ko.xz", rel, mods[i]);
        put(ko, "", 0644);
        char *d = vmb_xasprintf("%skernel/%s.ko.xz:\n", dep, mods[i]);
        free(dep);
        dep = d;
        free(ko);
    }
    char *depf = vmb_xasprintf("lib/modules/%s/modules.dep", rel);
    put(depf, dep, 0644);
    check("");
    cr_assert_null(finding("guest-kernel"), "%s",
                   finding("guest-kernel")->detail);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);

    /* 9p is not among them. */
    check("matrix:\n  shared_fs: [virtio-9p]\n");
    assert_lack("guest-kernel", "lacks the driver(s) \"9p\" the cell",
                "CONFIG_9P_FS");
    free(depf);
    free(dep);
    free(rel);
}

/*
 * A bzImage as the fake host's only kernel, no modules directory: its
 * payload read (tests/fuzz/kernel_seeds.py's gzip one, a tiny ELF with
 * virtio-fs's marker alone) shows what it lacks; an lz4 payload, which
 * vmbench does not read, leaves its drivers unknown and the cell refused,
 * naming the compression.
 */
Test(preflight, guest_kernel_bzimage_payload, .timeout = 60)
{
    put("dev/vhost-net", "", 0600);
    char *boot = vmb_xasprintf("%s/boot", root);
    cr_assert_eq(vmb_mkdir_p(boot, NULL), 0);
    char *cmd = vmb_xasprintf("cd %s && python3 %s/fuzz/kernel_seeds.py && "
                              "mv bz-gzip vmlinuz-6.1.0-fuzz && rm bz-*",
                              boot, VMB_TEST_DATA);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    char *text = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(argv, &text, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(text);
    check("");
    assert_lack("guest-kernel", "lacks the driver(s) \"virtio-pci\"",
                "CONFIG_VIRTIO_PCI=y");
    cr_assert_null(strstr(finding("guest-kernel")->detail, "virtio-fs"), "%s",
                   finding("guest-kernel")->detail);
    vmb_preflight_free(pf);
    vmb_matrix_free(m);
    pf = NULL;
    m = NULL;

    free(cmd);
    cmd = vmb_xasprintf("cd %s && python3 %s/fuzz/kernel_seeds.py && "
                        "mv bz-lz4 vmlinuz-6.1.0-fuzz && rm bz-*",
                        boot, VMB_TEST_DATA);
    argv[2] = cmd;
    cr_assert_eq(vmb_capture_run(argv, &text, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(text);
    check("");
    assert_lack("guest-kernel", "compression (\"lz4\") is not one vmbench",
                "gzip, xz, lzma or zstd");
    free(cmd);
    free(boot);
}

/* A guest.kernel that is no kernel is refused before anything starts. */
Test(preflight, guest_kernel_not_a_kernel_is_refused)
{
    check("guest:\n  kernel: /etc/hostname\n");
    assert_lack("guest-kernel", "is not a bzImage kernel", "CONFIG_PVH");
}
