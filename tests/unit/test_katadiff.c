/*
 * `vmbench kata-diff`: the comparison's normalisation rules on small
 * command lines, then each real Kata command line of
 * tests/data/kata-cmdlines against the saved default cell of
 * tests/data/kata-diff-results, and the command's exit statuses.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "analysis/katadiff.h"
#include "base/qcmd.h"
#include "base/util.h"
#include "results_fixture.h"

#define KD_RESULTS VMB_TEST_DATA "/data/kata-diff-results"
#define KD_CELL "default-tcg"
#define KD_CELL_FILE KD_RESULTS "/cells/" KD_CELL "/rep1/node1.qemu.cmdline"
#define KD_SOURCES VMB_TEST_DATA "/data/kata-cmdlines"

static struct vmb_qcmd *
parse(const char *text)
{
    struct vmb_qcmd *q = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_qcmd_parse("t", text, strlen(text), &q, &err), 0, "%s",
                 err ? err->msg : "");
    return q;
}

static const struct vmb_kdiff_item *
item(const struct vmb_kdiff *d, const char *aspect)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].aspect, aspect) == 0)
            return &d->items[i];
    return NULL;
}

static void
diff(const char *kata, const char *cell, struct vmb_kdiff *d)
{
    struct vmb_qcmd *k = parse(kata), *c = parse(cell);
    vmb_kdiff_compare(k, c, d);
    vmb_qcmd_free(k);
    vmb_qcmd_free(c);
}

/* What is only naming matches: versioned machine names, ids, socket
 * paths, fds, memfd vs a shared /dev/shm file, bridges vs root ports. */
Test(katadiff, naming_is_not_a_difference)
{
    struct vmb_kdiff d;
    diff(
        "/opt/kata/bin/qemu-system-x86_64 -machine q35,accel=kvm "
        "-smp 1,cores=1,threads=1,sockets=4,maxcpus=4 -rtc base=utc "
        "-append console=hvc0 tsc=reliable "
        "-m 2048M,slots=10,maxmem=8G "
        "-device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,addr=2 "
        "-object memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/shm,"
        "share=on -numa node,memdev=dimm1 "
        "-chardev socket,id=char-1,path=/run/vc/vm/x/vhost-fs.sock "
        "-device vhost-user-fs-pci,chardev=char-1,tag=kataShared,"
        "queue-size=1024,romfile= "
        "-netdev tap,id=network-0,vhost=on,vhostfds=3,fds=4 "
        "-device driver=virtio-net-pci,netdev=network-0,mac=02:00:ca:fe:00:00",
        "/usr/bin/qemu-system-x86_64 -machine pc-q35-8.2 -accel kvm "
        "-smp 1,maxcpus=4,sockets=4,cores=1,threads=1 -rtc base=utc "
        "-append console=ttyS0 tsc=reliable vmb.name=node1 "
        "-m size=2097152k,slots=10,maxmem=8388608k "
        "-object {\"qom-type\":\"memory-backend-memfd\",\"id\":\"ram-node0\","
        "\"share\":true,\"size\":2147483648} "
        "-numa node,nodeid=0,memdev=ram-node0 "
        "-device {\"driver\":\"pcie-root-port\",\"id\":\"pci.1\"} "
        "-chardev socket,id=chr-vu-fs0,path=/var/lib/libvirt/fs0.sock "
        "-device {\"driver\":\"vhost-user-fs-pci\",\"id\":\"fs0\","
        "\"chardev\":\"chr-vu-fs0\",\"queue-size\":1024,\"tag\":\"vmbdata\"} "
        "-netdev {\"type\":\"tap\",\"fd\":\"32\",\"vhost\":true,\"id\":\"h0\"} "
        "-device {\"driver\":\"virtio-net-pci\",\"netdev\":\"h0\","
        "\"mac\":\"52:54:00:00:00:01\"}",
        &d);
    for (size_t i = 0; i < d.n; i++)
        cr_expect_eq(d.items[i].status, VMB_KDIFF_MATCH, "%s: %s vs %s",
                     d.items[i].aspect, d.items[i].kata, d.items[i].cell);
    cr_assert_not_null(item(&d, "memory backend"));
    cr_assert_str_eq(item(&d, "memory backend")->kata, "shared");
    cr_assert_str_eq(item(&d, "machine type")->cell, "q35");
    cr_assert_eq(vmb_kdiff_performance_differences(&d), 0);
    vmb_kdiff_free(&d);
}

/* Timekeeping, USB, the kernel's parameters: differences with the knob
 * and whether they matter. */
Test(katadiff, differences_say_both_values_and_whether_they_matter)
{
    struct vmb_kdiff d;
    diff("qemu-system-x86_64 -smp 1 -rtc base=utc,driftfix=slew,clock=host "
         "-global kvm-pit.lost_tick_policy=discard -vga none "
         "-device virtio-scsi-pci,id=scsi0 "
         "-object rng-random,id=rng0,filename=/dev/urandom "
         "-device virtio-rng-pci,rng=rng0 "
         "-append tsc=reliable no_timer_check reboot=k console=hvc0 "
         "agent.log=debug",
         "qemu-system-x86_64 -smp 1 -rtc base=utc "
         "-device {\"driver\":\"qemu-xhci\",\"id\":\"usb\"} "
         "-object {\"qom-type\":\"rng-random\",\"id\":\"o\",\"filename\":"
         "\"/dev/random\"} -device "
         "{\"driver\":\"virtio-rng-pci\",\"rng\":\"o\"} "
         "-append console=ttyS0 quiet reboot=k",
         &d);
    const struct vmb_kdiff_item *it = item(&d, "rtc");
    cr_assert_eq(it->status, VMB_KDIFF_DIFFERS);
    cr_assert_str_eq(it->kata, "base=utc,clock=host,driftfix=slew");
    cr_assert_str_eq(it->cell, "base=utc,clock=host,driftfix=none");
    cr_assert(it->performance);
    it = item(&d, "pit lost-tick policy");
    cr_assert_str_eq(it->kata, "discard");
    cr_assert_str_eq(it->cell, "delay");
    it = item(&d, "device usb");
    cr_assert_eq(it->status, VMB_KDIFF_ONLY_CELL);
    cr_assert_not(it->performance);
    it = item(&d, "device virtio-scsi controller");
    cr_assert_eq(it->status, VMB_KDIFF_ONLY_KATA);
    cr_assert_str_eq(it->knob, "block_device_driver, enable_iothreads");
    it = item(&d, "device virtio-rng");
    cr_assert_eq(it->status, VMB_KDIFF_DIFFERS);
    cr_assert_str_eq(it->knob, "entropy_source");
    cr_assert_not(it->performance);
    it = item(&d, "kernel tsc");
    cr_assert_eq(it->status, VMB_KDIFF_ONLY_KATA);
    cr_assert(it->performance);
    cr_assert_null(it->knob); /* Kata's runtime adds it itself */
    cr_assert_eq(item(&d, "kernel reboot")->status, VMB_KDIFF_MATCH);
    cr_assert_not(item(&d, "kernel reboot")->performance);
    /* The console, the agent's and systemd's settings are plumbing. */
    cr_assert_null(item(&d, "kernel console"));
    cr_assert_null(item(&d, "kernel agent.log"));
    cr_assert_null(item(&d, "kernel quiet"));
    cr_assert_eq(vmb_kdiff_performance_differences(&d), 5);
    vmb_kdiff_free(&d);
}

/* A Kata line without -smp, -rtc or -append is cut off: what it does not
 * show is neither a match nor a difference. */
Test(katadiff, a_cut_off_line_shows_what_it_does_not_show)
{
    struct vmb_kdiff d;
    diff("qemu-system-x86_64 -machine q35,accel=kvm -m 2048M "
         "-device virtio-serial-pci,id=serial0",
         "qemu-system-x86_64 -machine q35,accel=kvm -m 2048M -smp 2 "
         "-rtc base=utc,driftfix=slew -append tsc=reliable "
         "-device {\"driver\":\"virtio-serial-pci\"} "
         "-device {\"driver\":\"virtio-scsi-pci\"}",
         &d);
    cr_assert_str_eq(d.kata_missing, "-smp, -rtc, -append");
    cr_assert_eq(item(&d, "rtc")->status, VMB_KDIFF_NOT_SHOWN);
    cr_assert_eq(item(&d, "vcpus")->status, VMB_KDIFF_NOT_SHOWN);
    cr_assert_eq(item(&d, "kernel tsc")->status, VMB_KDIFF_NOT_SHOWN);
    cr_assert_eq(item(&d, "device virtio-scsi controller")->status,
                 VMB_KDIFF_NOT_SHOWN);
    cr_assert_eq(item(&d, "memory")->status, VMB_KDIFF_MATCH);
    cr_assert_eq(vmb_kdiff_performance_differences(&d), 0);
    vmb_kdiff_free(&d);
}

/*
 * Each real Kata command line against the saved default cell (booted
 * under TCG here, VM revision 3): the performance-relevant differences,
 * every one of which docs/kata.md explains: TCG (accelerator, cpu
 * model), and the users' or their Kata version's own settings (machine
 * type pc, -vmx-rdseed-exit, no virtio-fs queue size). The root
 * filesystem is not one: the container root is on the shared filesystem
 * on both sides, and Kata's guest image holds what the cell's
 * initramfs holds, the guest's own OS. Every post breaks off before -smp, -rtc
 * and -append: what they do not show is not a difference.
 */
struct fixture_case {
    char file[48];
    char perf[400]; /* the aspects, "|"-separated, in the diff's order */
    bool vsock;     /* the line shows Kata's agent on vhost-vsock-pci */
};

static struct fixture_case fixture_cases[] = {
    {"kata-1.9-virtiofs-log.txt", "machine type|accelerator|cpu model", false},
    {"kata-2.0.1-virtiofs-ps.txt", "accelerator|cpu model", true},
    {"kata-2.x-virtiofs-ps.txt",
     "accelerator|cpu model|cpu features|device vhost-user-fs (virtio-fs)",
     true},
    {"kata-3.x-block-image-ps.txt", "accelerator|cpu model", false},
};

ParameterizedTestParameters(katadiff, real_kata_lines_against_a_default_cell)
{
    return cr_make_param_array(struct fixture_case, fixture_cases,
                               sizeof(fixture_cases) /
                                   sizeof(fixture_cases[0]));
}

/*
 * The saved cell's line with its agent on vsock instead, as on a host
 * with /dev/vhost-vsock: the agent's virtio-serial port and its chardev
 * give way to the device libvirt makes of <vsock><cid auto='yes'/>
 * (written in libvirt 9's form by hand: this host has no vhost-vsock to
 * boot one; its CID and fd are naming). Caller frees.
 */
static char *
cell_with_vsock(const char *text)
{
    const char *a = strstr(text, "-chardev\nsocket,id=charchannel0,");
    const char *b = strstr(text, "\"name\":\"org.vmbench.agent.0\"}\n");
    cr_assert(a && b && a < b, "the saved cell has no agent channel");
    b += strlen("\"name\":\"org.vmbench.agent.0\"}\n");
    return vmb_xasprintf("%.*s-device\n{\"driver\":\"vhost-vsock-pci\","
                         "\"id\":\"vsock0\",\"guest-cid\":3,\"vhostfd\":"
                         "\"28\",\"bus\":\"pci.6\",\"addr\":\"0x0\"}\n%s",
                         (int)(a - text), text, b);
}

/* The aspects that can change performance and differ, "|"-separated. */
static char *
perf_differences(const struct vmb_kdiff *d)
{
    struct vmb_buf got = {0};
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].performance && d->items[i].status != VMB_KDIFF_MATCH &&
            d->items[i].status != VMB_KDIFF_NOT_SHOWN)
            vmb_buf_printf(&got, "%s%s", got.len ? "|" : "",
                           d->items[i].aspect);
    return got.data ? vmb_buf_steal(&got) : vmb_xstrdup("");
}

ParameterizedTestParameters(katadiff, real_kata_lines_against_a_vsock_cell)
{
    return cr_make_param_array(struct fixture_case, fixture_cases,
                               sizeof(fixture_cases) /
                                   sizeof(fixture_cases[0]));
}

/* The same cell with its agent on vsock, as default cells get on a
 * host with /dev/vhost-vsock: Kata's vhost-vsock-pci is then matched,
 * where the line shows it, and nothing else changes. */
ParameterizedTest(struct fixture_case *c, katadiff,
                  real_kata_lines_against_a_vsock_cell)
{
    autofree char *kpath = vmb_xasprintf("%s/%s", KD_SOURCES, c->file);
    autofree char *ktext = NULL, *saved = NULL;
    size_t klen = 0;
    cr_assert_eq(vmb_read_file(kpath, &ktext, &klen, NULL), 0);
    cr_assert_eq(vmb_read_file(KD_CELL_FILE, &saved, NULL, NULL), 0);
    autofree char *ctext = cell_with_vsock(saved);
    struct vmb_qcmd *k = NULL, *cq = NULL;
    cr_assert_eq(vmb_qcmd_parse(kpath, ktext, klen, &k, NULL), 0);
    cr_assert_eq(vmb_qcmd_parse("cell", ctext, strlen(ctext), &cq, NULL), 0);
    struct vmb_kdiff d;
    vmb_kdiff_compare(k, cq, &d);
    autofree char *got = perf_differences(&d);
    cr_expect_str_eq(got, c->perf, "%s", c->file);
    const struct vmb_kdiff_item *vs = item(&d, "device vhost-vsock");
    if (c->vsock)
        cr_expect_eq(vs->status, VMB_KDIFF_MATCH, "%s", c->file);
    cr_expect_eq(item(&d, "device virtio-serial controller")->status,
                 VMB_KDIFF_MATCH, "%s", c->file);
    vmb_kdiff_free(&d);
    vmb_qcmd_free(k);
    vmb_qcmd_free(cq);
}

ParameterizedTest(struct fixture_case *c, katadiff,
                  real_kata_lines_against_a_default_cell)
{
    autofree char *kpath = vmb_xasprintf("%s/%s", KD_SOURCES, c->file);
    autofree char *ktext = NULL, *ctext = NULL;
    size_t klen = 0, clen = 0;
    cr_assert_eq(vmb_read_file(kpath, &ktext, &klen, NULL), 0);
    cr_assert_eq(vmb_read_file(KD_CELL_FILE, &ctext, &clen, NULL), 0);
    struct vmb_qcmd *k = NULL, *cq = NULL;
    cr_assert_eq(vmb_qcmd_parse(kpath, ktext, klen, &k, NULL), 0);
    cr_assert_eq(vmb_qcmd_parse("cell", ctext, clen, &cq, NULL), 0);
    struct vmb_kdiff d;
    vmb_kdiff_compare(k, cq, &d);
    autofree char *got = perf_differences(&d);
    cr_expect_str_eq(got, c->perf, "%s", c->file);
    /* What Kata and the default cell share, on every line. */
    cr_expect_eq(item(&d, "memory")->status, VMB_KDIFF_MATCH);
    cr_expect_eq(item(&d, "memory slots")->status, VMB_KDIFF_MATCH);
    cr_expect_eq(item(&d, "device virtio-serial controller")->status,
                 VMB_KDIFF_MATCH);
    cr_expect_eq(item(&d, "pit lost-tick policy")->status, VMB_KDIFF_NOT_SHOWN);
    /* The saved cell's agent is on virtio-serial (no vhost-vsock where
     * it was booted): Kata's vsock is then only Kata's, and no matter of
     * performance. */
    if (c->vsock) {
        const struct vmb_kdiff_item *vs = item(&d, "device vhost-vsock");
        cr_expect_eq(vs->status, VMB_KDIFF_ONLY_KATA, "%s", c->file);
        cr_expect(!vs->performance, "%s", c->file);
    }
    /* Where Kata's line shows its guest image, the cell's counterpart is
     * its initramfs, and the pair is no matter of performance. */
    const struct vmb_kdiff_item *img =
        item(&d, "guest image (root filesystem)");
    cr_assert_not_null(img, "%s", c->file);
    cr_expect_str_eq(img->cell, "initramfs", "%s", c->file);
    if (img->kata != NULL)
        cr_expect(!img->performance, "%s", c->file);
    vmb_kdiff_free(&d);
    vmb_qcmd_free(k);
    vmb_qcmd_free(cq);
}

Test(katadiff, command_exit_statuses, .timeout = 60)
{
    /* A cell against its own command line: nothing differs. */
    const char *same[] = {"kata-diff", KD_RESULTS, KD_CELL, KD_CELL_FILE, NULL};
    struct cmd_result r = run_vmbench("/", same);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect_not_null(strstr(r.out, "0 performance-relevant differences"));
    cmd_result_free(&r);

    const char *kata[] = {"kata-diff",
                          "--json",
                          KD_RESULTS,
                          "defa",
                          KD_SOURCES "/kata-2.x-virtiofs-ps.txt",
                          NULL};
    r = run_vmbench("/", kata);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "\"performance_differences\": 4"), "%s",
                       r.out);
    cr_expect_not_null(
        strstr(r.out, "\"kata_missing\": \"-smp, -rtc, -append\""), "%s",
        r.out);
    cr_expect_not_null(strstr(r.out, "\"aspect\": \"rtc\""), "%s", r.out);
    cmd_result_free(&r);

    const char *nocell[] = {"kata-diff", KD_RESULTS, "nosuchcell", KD_CELL_FILE,
                            NULL};
    r = run_vmbench("/", nocell);
    cr_assert_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "no cell \"nosuchcell\""), "%s", r.err);
    cmd_result_free(&r);

    const char *path[] = {"kata-diff", KD_RESULTS, "../x", KD_CELL_FILE, NULL};
    r = run_vmbench("/", path);
    cr_assert_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "is not a cell id"), "%s", r.err);
    cmd_result_free(&r);

    const char *notqemu[] = {"kata-diff", KD_RESULTS, KD_CELL,
                             KD_SOURCES "/README.md", NULL};
    r = run_vmbench("/", notqemu);
    cr_assert_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "README.md: holds no QEMU command line"),
                       "%s", r.err);
    cmd_result_free(&r);

    const char *both[] = {"kata-diff", KD_RESULTS, KD_CELL, KD_CELL_FILE,
                          "--pid",     "1",        NULL};
    r = run_vmbench("/", both);
    cr_assert_eq(r.status, 2);
    cmd_result_free(&r);

    const char *badpid[] = {"kata-diff", KD_RESULTS, KD_CELL,
                            "--pid",     "x1",       NULL};
    r = run_vmbench("/", badpid);
    cr_assert_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "--pid \"x1\" is not a process id"), "%s",
                       r.err);
    cmd_result_free(&r);
    /* strtol's leniency is not a pid's: " 1" and "+1" are refused. */
    const char *odd[] = {" 1", "+1"};
    for (size_t i = 0; i < 2; i++) {
        const char *a[] = {"kata-diff", KD_RESULTS, KD_CELL,
                           "--pid",     odd[i],     NULL};
        r = run_vmbench("/", a);
        cr_assert_eq(r.status, 2);
        cr_expect_not_null(strstr(r.err, "is not a process id"), "%s", r.err);
        cmd_result_free(&r);
    }
}

/* --pid reads a live process's /proc/PID/cmdline: this test's own is no
 * QEMU, and says so. */
Test(katadiff, pid_reads_proc_cmdline, .timeout = 60)
{
    autofree char *pid = vmb_xasprintf("%d", (int)getpid());
    const char *args[] = {"kata-diff", KD_RESULTS, KD_CELL, "--pid", pid, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 2, "%s", r.out);
    autofree char *want =
        vmb_xasprintf("process %s: holds no QEMU command line", pid);
    cr_expect_not_null(strstr(r.err, want), "%s", r.err);
    cmd_result_free(&r);
}

/* A hostile Kata file: a device driver and a kernel parameter holding
 * terminal escapes reach the terminal escaped, never raw. */
Test(katadiff, control_characters_are_escaped, .timeout = 60)
{
    char path[] = "/tmp/vmb-kdiff-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *t = "qemu-system-x86_64 -machine q35 -smp 1 -rtc base=utc "
                    "-device virtio-net-pci\033[31m,id=n "
                    "-append \"console=hvc0 \033[2Jfoo=1\"\n";
    cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    const char *args[] = {"kata-diff", KD_RESULTS, KD_CELL, path, NULL};
    struct cmd_result r = run_vmbench("/", args);
    unlink(path);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_expect_null(strchr(r.out, '\033'), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "device virtio-net-pci\\x1b[31m"), "%s",
                       r.out);
    cr_expect_not_null(strstr(r.out, "kernel \\x1b[2Jfoo"), "%s", r.out);
    cmd_result_free(&r);
}

/* A results directory whose cell (or cells/) is a symlink to another
 * directory: kata-diff reads nothing through it. */
Test(katadiff, symlinked_cell_is_not_followed, .timeout = 60)
{
    char root[] = "/tmp/vmb-kdiff-XXXXXX";
    cr_assert_not_null(mkdtemp(root));
    autofree char *r = vmb_xasprintf("%s/r", root);
    autofree char *elsewhere = vmb_xasprintf("%s/elsewhere", root);
    autofree char *cells = vmb_xasprintf("%s/cells", r);
    autofree char *cell = vmb_xasprintf("%s/" KD_CELL, cells);
    autofree char *cmd = vmb_xasprintf(
        "cp -r %s %s && mkdir -p %s && ln -s %s %s",
        KD_RESULTS "/cells/" KD_CELL, elsewhere, cells, elsewhere, cell);
    cr_assert_eq(system(cmd), 0);
    const char *args[] = {"kata-diff", r, KD_CELL, KD_CELL_FILE, NULL};
    struct cmd_result res = run_vmbench("/", args);
    cr_assert_eq(res.status, 2, "%s%s", res.out, res.err);
    cr_expect_not_null(strstr(res.err, "never follows one out of a results"),
                       "%s", res.err);
    cmd_result_free(&res);

    autofree char *cmd2 =
        vmb_xasprintf("rm %s && mv %s %s && mv %s %s/cells.real && "
                      "ln -s %s/cells.real %s",
                      cell, elsewhere, cell, cells, root, root, cells);
    cr_assert_eq(system(cmd2), 0);
    res = run_vmbench("/", args);
    cr_assert_eq(res.status, 2, "%s%s", res.out, res.err);
    cr_expect_not_null(strstr(res.err, "no cells/"), "%s", res.err);
    cmd_result_free(&res);
    vmb_rm_rf(root, NULL);
}

/* Kata's agent on vsock against a cell's on virtio-serial: not on the
 * data path, and the line points at the option and run.json's record. */
Test(katadiff, the_agent_transport_names_where_it_is_chosen)
{
    struct vmb_kdiff d;
    diff("qemu-system-x86_64 -smp 1 -rtc base=utc,driftfix=slew,clock=host "
         "-append tsc=reliable "
         "-device vhost-vsock-pci,disable-modern=true,vhostfd=3,id=vsock-1,"
         "guest-cid=1",
         "qemu-system-x86_64 -smp 1 -rtc base=utc,driftfix=slew,clock=host "
         "-append tsc=reliable -device virtio-serial-pci,id=virtio-serial0 "
         "-chardev socket,id=charchannel0,path=/tmp/a.sock "
         "-device virtserialport,bus=virtio-serial0.0,chardev=charchannel0,"
         "name=org.vmbench.agent.0",
         &d);
    const struct vmb_kdiff_item *it = item(&d, "device vhost-vsock");
    cr_assert_eq(it->status, VMB_KDIFF_ONLY_KATA);
    cr_assert_not(it->performance);
    cr_assert_not_null(strstr(it->note, "guest.agent_transport"), "%s",
                       it->note);
    cr_assert_not_null(strstr(it->note, "run.json"), "%s", it->note);
    cr_assert_eq(vmb_kdiff_performance_differences(&d), 0);
    vmb_kdiff_free(&d);
}
