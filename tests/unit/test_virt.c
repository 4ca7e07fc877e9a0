/*
 * The virt module without a hypervisor: subnets, and domain XML checked
 * against libvirt's own schema (virt-xml-validate) and for the settings a
 * cell asks for.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "vm/virt.h"

Test(virt, subnet_parse_and_hosts)
{
    struct vmb_subnet s;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_subnet_parse("10.213.0.77/24", &s, &err), 0);
    cr_assert_eq(s.prefix, 24);
    char buf[32];
    vmb_subnet_host(&s, 1, buf, sizeof(buf));
    cr_assert_str_eq(buf, "10.213.0.1");
    vmb_subnet_host(&s, 3, buf, sizeof(buf));
    cr_assert_str_eq(buf, "10.213.0.3");
}

struct bad_subnet {
    char text[32];
};

ParameterizedTestParameters(virt, subnet_rejects)
{
    static struct bad_subnet cases[] = {
        {"10.213.0.0"},
        {"10.213.0.0/33"},
        {"10.213.0.0/30"},
        {"10.213.0/24"},
        {"fe80::/64"},
        {"10.213.0.0/2x"},
        {""},
    };
    return cr_make_param_array(struct bad_subnet, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_subnet *c, virt, subnet_rejects)
{
    struct vmb_subnet s;
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_subnet_parse(c->text, &s, &err), 0, "%s", c->text);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, "network.subnet") != NULL, "%s", err->msg);
    vmb_error_free(err);
}

/* Tenant k's network: the k-th subnet of the same size after the cell's. */
Test(virt, subnet_of_each_tenant)
{
    struct vmb_subnet s, t;
    char host[16];
    cr_assert_eq(vmb_subnet_parse("10.213.8.0/24", &s, NULL), 0);
    cr_assert_eq(vmb_subnet_nth(&s, 0, &t, NULL), 0);
    cr_assert_eq(t.net, s.net);
    cr_assert_eq(vmb_subnet_nth(&s, 1, &t, NULL), 0);
    vmb_subnet_host(&t, 2, host, sizeof(host));
    cr_assert_str_eq(host, "10.213.9.2");
    cr_assert_eq(t.prefix, 24);
    cr_assert_eq(vmb_subnet_parse("192.168.0.0/29", &s, NULL), 0);
    cr_assert_eq(vmb_subnet_nth(&s, 3, &t, NULL), 0);
    vmb_subnet_host(&t, 3, host, sizeof(host));
    cr_assert_str_eq(host, "192.168.0.27");
    cr_assert_eq(vmb_subnet_parse("255.255.254.0/24", &s, NULL), 0);
    cr_assert_eq(vmb_subnet_nth(&s, 1, &t, NULL), 0);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_subnet_nth(&s, 2, &t, &err), 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, "tenant 3"), "%s", err->msg);
    vmb_error_free(err);
}

Test(virt, subnet_collides_with_a_route)
{
    /* A network namespace of our own, with one route we add. */
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            _exit(3);
        if (system("ip link add d0 type bridge && "
                   "ip addr add 10.77.1.1/24 dev d0 && ip link set d0 up") != 0)
            _exit(5);
        struct vmb_subnet s;
        struct vmb_error *err = NULL;
        vmb_subnet_parse("10.77.0.0/16", &s, &err);
        if (vmb_subnet_check_free(&s, &err) == 0)
            _exit(1);
        if (err->kind != VMB_ERR_INPUT || strstr(err->msg, "\"d0\"") == NULL ||
            strstr(err->msg, "10.77.1.0/24") == NULL)
            _exit(2);
        vmb_subnet_parse("10.78.0.0/24", &s, &err);
        _exit(vmb_subnet_check_free(&s, &err) == 0 ? 0 : 4);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 0, "child said %d", WEXITSTATUS(st));
}

static struct vmb_domain_spec
base_spec(void)
{
    struct vmb_domain_spec s = {
        .name = "vmb-test-1",
        .kvm = false,
        .emulator = "/usr/bin/qemu-system-x86_64",
        .machine = "q35",
        .vcpus = 2,
        .memory_mib = 1024,
        .kernel = "/boot/vmlinuz",
        .initrd = "/tmp/initrd.img",
        .cmdline = "console=ttyS0 quiet vmb.ip=10.213.0.2/24 vmb.name=node1",
        .console_log = "/tmp/x/node1.console.log",
        .agent_socket = "/tmp/x/node1.agent.sock",
        .root_disk = "/tmp/x/node1.root.qcow2",
        .network = "vmb-net",
        .mac = "52:54:00:12:34:56",
    };
    return s;
}

/* Validates xml against libvirt's domain schema. */
static void
assert_valid(const char *xml)
{
    char path[] = "/tmp/vmb-test-virt-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "virt-xml-validate %s domain 2>&1", path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    unlink(path);
    cr_assert_eq(rc, 0, "schema rejects: %s\n%s", out, xml);
}

Test(virt, xml_tcg_local)
{
    struct vmb_domain_spec s = base_spec();
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<domain type='qemu'>"));
    cr_assert(strstr(xml, "<vcpu placement='static'>2</vcpu>"));
    cr_assert(strstr(xml, "<memory unit='MiB'>1024</memory>"));
    cr_assert(strstr(xml, "machine='q35'"));
    cr_assert(strstr(xml, "<serial>vmbroot</serial>"));
    cr_assert(strstr(xml, "name='org.vmbench.agent.0'"));
    cr_assert(strstr(xml, "<source network='vmb-net'/>"));
    cr_assert_null(strstr(xml, "vmbdata"));
    cr_assert_null(strstr(xml, "iothread"));
    cr_assert_null(strstr(xml, "host-passthrough"));
}

Test(virt, xml_kvm_passes_host_cpu)
{
    struct vmb_domain_spec s = base_spec();
    s.kvm = true;
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<domain type='kvm'>"));
    cr_assert(strstr(xml, "<cpu mode='host-passthrough'/>"));
}

Test(virt, xml_virtio_blk_iothread_cache_aio)
{
    struct vmb_domain_spec s = base_spec();
    s.data_disk = "/tmp/x/node1.data.img";
    s.data_format = "raw";
    s.blk_driver = VMB_BLKDRV_VIRTIO_BLK;
    s.blk_cache = "none";
    s.blk_aio = VMB_BLKAIO_NATIVE;
    s.data_iothread = true;
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<iothreads>1</iothreads>"));
    cr_assert(strstr(xml, "type='raw' cache='none' io='native' iothread='1'"),
              "%s", xml);
    cr_assert(strstr(xml, "<serial>vmbdata</serial>"));
    /* Only the data disk is pinned to the IOThread. */
    const char *first = strstr(xml, "iothread='1'");
    cr_assert_null(strstr(first + 1, "iothread='1'"));
}

/*
 * Golden domain XML, one file per Kata knob under tests/golden/domain/:
 * each proves the element the knob becomes, and that libvirt's schema
 * takes it. VMB_GOLDEN_WRITE=1 rewrites the files instead.
 */
#define DOMAIN_GOLDEN VMB_TEST_DATA "/golden/domain"

static void
assert_golden_xml(const struct vmb_domain_spec *s, const char *name)
{
    autofree char *xml = vmb_virt_domain_xml(s);
    assert_valid(xml);
    autofree char *path = vmb_xasprintf("%s/%s.xml", DOMAIN_GOLDEN, name);
    const char *w = getenv("VMB_GOLDEN_WRITE");
    if (w && strcmp(w, "1") == 0)
        cr_assert_eq(vmb_write_file_atomic(path, xml, strlen(xml), NULL), 0);
    autofree char *want = NULL;
    cr_assert_eq(vmb_read_file(path, &want, NULL, NULL), 0, "read %s", path);
    cr_assert_str_eq(xml, want, "domain XML differs from %s", path);
}

/* By name, not by function pointer: a test process is a new exec. */
struct knob_case {
    char name[48];
};

static const char *const data_disk = "/tmp/x/node1.data.img";
static const int pins[] = {2, 3};

static void
k_maxvcpus(struct vmb_domain_spec *s)
{
    s->max_vcpus = 8;
}
static void
k_memory_slots(struct vmb_domain_spec *s)
{
    s->memory_slots = 10;
    s->max_memory_mib = 65536;
    s->max_vcpus = 4;
}
static void
k_hugepages(struct vmb_domain_spec *s)
{
    s->hugepages = true;
}
static void
k_prealloc(struct vmb_domain_spec *s)
{
    s->mem_prealloc = true;
}
static void
k_virtio_scsi_iothread(struct vmb_domain_spec *s)
{
    s->data_disk = data_disk;
    s->blk_driver = VMB_BLKDRV_VIRTIO_SCSI;
    s->blk_aio = VMB_BLKAIO_IO_URING;
    s->data_iothread = true;
}
static void
k_virtio_blk_threads_unsafe(struct vmb_domain_spec *s)
{
    s->data_disk = data_disk;
    s->blk_driver = VMB_BLKDRV_VIRTIO_BLK;
    s->blk_aio = VMB_BLKAIO_THREADS;
    s->blk_cache = "unsafe";
}
static void
k_virtiofs(struct vmb_domain_spec *s)
{
    s->fs = VMB_VIRT_FS_VIRTIOFS;
    s->fs_dir = "/tmp/x/node1.data";
    s->fs_queue = 512;
    s->fs_socket = "/tmp/x/node1.virtiofsd.sock";
}
static void
k_virtio_9p(struct vmb_domain_spec *s)
{
    s->fs = VMB_VIRT_FS_9P;
    s->fs_dir = "/tmp/x/node1.data";
}
static void
k_cpu_features_tcg(struct vmb_domain_spec *s)
{
    s->cpu_features = "pmu=off,-vmx,+sse4.2";
}
static void
k_cpu_features_kvm(struct vmb_domain_spec *s)
{
    s->kvm = true;
    s->cpu_features = "pmu=off";
}
static void
k_vhost_rate_limits(struct vmb_domain_spec *s)
{
    s->vhost = true;
    s->rx_kib_per_s = 12207;
    s->tx_kib_per_s = 1;
}
static void
k_vcpu_pinning(struct vmb_domain_spec *s)
{
    s->vcpu_pins = pins;
    s->emulator_cpuset = "4-7";
}

static void
k_entropy_source(struct vmb_domain_spec *s)
{
    s->rng_source = "/dev/random";
}

/* The agent on vsock (agent_transport): a <vsock> device whose CID
 * libvirt picks, the virtio-serial controller kept, no agent channel. */
static void
k_agent_vsock(struct vmb_domain_spec *s)
{
    s->agent_vsock = true;
}

/* A domain whose console and agent channel a remote host can carry
 * (virt_relay.h): a pty console, a unix channel at a path libvirt
 * picks, no host path of ours in the XML. */
static void
k_chardev_pty(struct vmb_domain_spec *s)
{
    s->chardev_pty = true;
}

static const struct {
    const char *name;
    void (*apply)(struct vmb_domain_spec *s);
} knobs[] = {
    {"chardev_pty", k_chardev_pty},
    {"agent_transport_vsock", k_agent_vsock},
    {"entropy_source_random", k_entropy_source},
    {"default_maxvcpus", k_maxvcpus},
    {"memory_slots", k_memory_slots},
    {"enable_hugepages", k_hugepages},
    {"enable_mem_prealloc", k_prealloc},
    {"virtio-scsi_iothread_io_uring", k_virtio_scsi_iothread},
    {"virtio-blk_threads_noflush", k_virtio_blk_threads_unsafe},
    {"virtio-fs_queue_socket", k_virtiofs},
    {"virtio-9p", k_virtio_9p},
    {"cpu_features_tcg", k_cpu_features_tcg},
    {"cpu_features_kvm", k_cpu_features_kvm},
    {"vhost_rate_limiters", k_vhost_rate_limits},
    {"enable_vcpus_pinning", k_vcpu_pinning},
};

ParameterizedTestParameters(virt, xml_knob_golden)
{
    static struct knob_case cases[sizeof(knobs) / sizeof(knobs[0])];
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
        snprintf(cases[i].name, sizeof(cases[i].name), "%s", knobs[i].name);
    return cr_make_param_array(struct knob_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct knob_case *c, virt, xml_knob_golden)
{
    struct vmb_domain_spec s = base_spec();
    size_t i = 0;
    while (strcmp(knobs[i].name, c->name) != 0)
        i++;
    knobs[i].apply(&s);
    assert_golden_xml(&s, c->name);
}

Test(virt, xml_9p)
{
    struct vmb_domain_spec s = base_spec();
    s.fs = VMB_VIRT_FS_9P;
    s.fs_dir = "/tmp/x/node1.data";
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<driver type='path'"));
    cr_assert(strstr(xml, "<target dir='vmbdata'/>"));
    cr_assert_null(strstr(xml, "memoryBacking"));
}

/* vmbench's own daemon: libvirt's externally launched form, no
 * <binary> for libvirt to start one. */
Test(virt, xml_virtiofs_shared_memory_and_socket)
{
    struct vmb_domain_spec s = base_spec();
    s.fs = VMB_VIRT_FS_VIRTIOFS;
    s.fs_dir = "/tmp/x/node1.data";
    s.fs_socket = "/tmp/x/node1.virtiofsd.sock";
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<access mode='shared'/>"));
    cr_assert(strstr(xml, "<driver type='virtiofs'"));
    cr_assert(strstr(xml, "<source socket='/tmp/x/node1.virtiofsd.sock'/>"));
    cr_assert_null(strstr(xml, "<binary"));
    cr_assert_null(strstr(xml, "<source dir="));
}

/* A node on another host: libvirt there starts the daemon from <binary>
 * for the directory made there, with Kata's settings it can say. */
Test(virt, xml_virtiofs_libvirt_daemon)
{
    struct vmb_domain_spec s = base_spec();
    struct vmb_virtiofsd_libvirt lv = {"always", 1, true, "chroot"};
    s.fs = VMB_VIRT_FS_VIRTIOFS;
    s.fs_dir = "/var/lib/vmbench/vm-remote/node.x/share";
    s.fs_libvirt = &lv;
    s.fs_daemon = "/usr/lib/qemu/virtiofsd";
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "<access mode='shared'/>"));
    cr_assert(strstr(xml, "<binary path='/usr/lib/qemu/virtiofsd' "
                          "xattr='on'>\n"
                          "        <cache mode='always'/>\n"
                          "        <sandbox mode='chroot'/>\n"
                          "        <thread_pool size='1'/>\n"
                          "      </binary>\n"
                          "      <source dir='/var/lib/vmbench/vm-remote/"
                          "node.x/share'/>"),
              "%s", xml);
    cr_assert_null(strstr(xml, "<source socket="));
    /* Kata's defaults: the daemon's own cache (auto), libvirt's daemon. */
    lv = (struct vmb_virtiofsd_libvirt){NULL, -1, false, NULL};
    s.fs_daemon = NULL;
    autofree char *plain = vmb_virt_domain_xml(&s);
    assert_valid(plain);
    cr_assert(strstr(plain, "<binary>\n      </binary>\n"), "%s", plain);
}

Test(virt, xml_escapes_values)
{
    struct vmb_domain_spec s = base_spec();
    s.kernel = "/tmp/a&b<c>'d\".img";
    autofree char *xml = vmb_virt_domain_xml(&s);
    assert_valid(xml);
    cr_assert(strstr(xml, "/tmp/a&amp;b&lt;c&gt;&#39;d&quot;.img"));
}

Test(virt, stats_delta_and_json)
{
    struct vmb_virt_stats a = {.at_ns = 1000000000,
                               .vcpu_time_ns = 5,
                               .process_cpu_ns = 500000000,
                               .net_rx_bytes = 10};
    struct vmb_virt_stats b = {.at_ns = 3000000000,
                               .vcpu_time_ns = 7,
                               .process_cpu_ns = 2000000000,
                               .net_rx_bytes = 110};
    struct vmb_virt_stats d;
    vmb_virt_stats_delta(&a, &b, &d);
    cr_assert_eq(d.at_ns, 2000000000);
    cr_assert_eq(d.net_rx_bytes, 100);
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_virt_stats_to_json(&w, &d);
    autofree char *json = vmb_jw_steal(&w);
    cr_assert(strstr(json, "\"process_cpu_s\":1.5"), "%s", json);
    cr_assert(strstr(json, "\"window_s\":2"), "%s", json);
}

/* As libvirt 9 reports it on Debian (qemu.conf untouched), and as root. */
static const char caps_stock[] =
    "<capabilities>\n  <host>\n    <secmodel>\n      <model>none</model>\n"
    "      <doi>0</doi>\n    </secmodel>\n    <secmodel>\n"
    "      <model>dac</model>\n      <doi>0</doi>\n"
    "      <baselabel type='kvm'>+64055:+64055</baselabel>\n"
    "      <baselabel type='qemu'>+64055:+107</baselabel>\n"
    "    </secmodel>\n  </host>\n</capabilities>\n";

Test(virt, caps_dac_owner_by_domain_type)
{
    uid_t u = 1;
    gid_t g = 1;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_virt_caps_dac_owner(caps_stock, true, &u, &g, &err), 1);
    cr_assert_eq(u, 64055);
    cr_assert_eq(g, 64055);
    cr_assert_eq(vmb_virt_caps_dac_owner(caps_stock, false, &u, &g, &err), 1);
    cr_assert_eq(u, 64055);
    cr_assert_eq(g, 107);
    const char root[] = "<secmodel><model>dac</model><doi>0</doi>"
                        "<baselabel type=\"qemu\">root:root</baselabel>"
                        "</secmodel>";
    cr_assert_eq(vmb_virt_caps_dac_owner(root, false, &u, &g, &err), 1);
    cr_assert_eq(u, 0);
    cr_assert_eq(g, 0);
    /* No DAC model, or no label for this type: nothing to read. */
    cr_assert_eq(vmb_virt_caps_dac_owner("<secmodel><model>none</model>"
                                         "</secmodel>",
                                         true, &u, &g, &err),
                 0);
    cr_assert_eq(vmb_virt_caps_dac_owner(root, true, &u, &g, &err), 0);
}

Test(virt, caps_dac_owner_rejects_bad_labels)
{
    const char *bad[] = {"+64055", "+x:+1", "+1:+", "vmb-nobody-here:root",
                         "+99999999999:+1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        autofree char *caps =
            vmb_xasprintf("<secmodel><model>dac</model><baselabel type='kvm'>%s"
                          "</baselabel></secmodel>",
                          bad[i]);
        uid_t u;
        gid_t g;
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_virt_caps_dac_owner(caps, true, &u, &g, &err), 0, "%s",
                     bad[i]);
        cr_assert(strstr(err->msg, bad[i]) != NULL, "%s", err->msg);
        vmb_error_free(err);
    }
}

/* The CID libvirt gave the live domain's vsock device is read from its
 * <cid> element, not from the PCI <address> beside it; a device
 * without one (a domain not started) is an error, as is none at all. */
Test(virt, vsock_cid_from_live_xml)
{
    const char *live =
        "<domain><devices>\n"
        "  <vsock model='virtio'>\n"
        "    <cid auto='yes' address='42'/>\n"
        "    <alias name='vsock0'/>\n"
        "    <address type='pci' domain='0x0000' bus='0x06' slot='0x00'/>\n"
        "  </vsock>\n</devices></domain>\n";
    uint32_t cid = 0;
    cr_assert_eq(vmb_virt_xml_vsock_cid(live, &cid, NULL), 0);
    cr_assert_eq(cid, 42);
    const char *bad[] = {
        "<domain><devices></devices></domain>",
        "<vsock model='virtio'><cid auto='yes'/>"
        "<address type='pci' bus='0x06'/></vsock>",
        "<vsock model='virtio'><cid auto='no' address='2'/></vsock>",
        "<vsock model='virtio'><cid address='7x'/></vsock>",
        "<vsock model='virtio'><cid address='4294967295'/></vsock>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_virt_xml_vsock_cid(bad[i], &cid, &err), -1, "%s",
                     bad[i]);
        cr_assert(strstr(err->msg, "vsock"), "%s", err->msg);
        vmb_error_free(err);
    }
}
