#include <criterion/criterion.h>
#include <string.h>

#include "base/qcmd.h"
#include "base/util.h"

static struct vmb_qcmd *
parse_ok(const char *text, size_t len)
{
    struct vmb_qcmd *q = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_qcmd_parse("t", text, len, &q, &err);
    cr_assert_eq(rc, 0, "parse failed: %s", err ? err->msg : "?");
    return q;
}

static char *
parse_err(const char *text)
{
    struct vmb_qcmd *q = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_qcmd_parse("t", text, strlen(text), &q, &err);
    cr_assert_lt(rc, 0, "\"%s\" parsed", text);
    cr_assert_null(q);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *m = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return m;
}

/* The nth option called name, or NULL. */
static const struct vmb_qopt *
opt(const struct vmb_qcmd *q, const char *name, int nth)
{
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, name) == 0 && nth-- == 0)
            return &q->opts[i];
    return NULL;
}

static const struct vmb_qopt *
device(const struct vmb_qcmd *q, const char *driver)
{
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, "device") == 0 && q->opts[i].kind &&
            strcmp(q->opts[i].kind, driver) == 0)
            return &q->opts[i];
    return NULL;
}

Test(qcmd, nul_separated_like_proc_cmdline)
{
    static const char t[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=a b\0"
                            "-nodefaults\0-m\0size=2097152k,slots=16\0";
    struct vmb_qcmd *q = parse_ok(t, sizeof(t) - 1);
    cr_assert_str_eq(q->binary, "/usr/bin/qemu-system-x86_64");
    cr_assert_eq(q->nopts, 3);
    cr_assert_str_eq(opt(q, "name", 0)->arg, "guest=a b");
    cr_assert_null(opt(q, "nodefaults", 0)->arg);
    cr_assert_str_eq(opt(q, "m", 0)->kind, "2097152k");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "m", 0), "slots"), "16");
    vmb_qcmd_free(q);
}

Test(qcmd, one_argument_a_line_keeps_blanks)
{
    static const char t[] = "/usr/bin/qemu-system-x86_64\n-append\n"
                            "console=ttyS0 tsc=reliable\n-smp\n2,maxcpus=4\n";
    struct vmb_qcmd *q = parse_ok(t, sizeof(t) - 1);
    cr_assert_str_eq(opt(q, "append", 0)->arg, "console=ttyS0 tsc=reliable");
    cr_assert_str_eq(opt(q, "smp", 0)->kind, "2");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "smp", 0), "maxcpus"), "4");
    vmb_qcmd_free(q);
}

Test(qcmd, shell_words_quotes_and_continuations)
{
    const char *t = "LC_ALL=C PATH=/bin \\\n/usr/bin/qemu-kvm \\\n"
                    "-append 'a b' -name \"x \\\"y\\\"\" -device "
                    "'{\"driver\":\"virtio-blk-pci\",\"drive\":\"d0\","
                    "\"num-queues\":4,\"share-rw\":true,\"x\":{\"y\":[1,2]}}'";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    cr_assert_str_eq(q->binary, "/usr/bin/qemu-kvm");
    cr_assert_str_eq(opt(q, "append", 0)->arg, "a b");
    cr_assert_str_eq(opt(q, "name", 0)->arg, "x \"y\"");
    const struct vmb_qopt *d = device(q, "virtio-blk-pci");
    cr_assert_not_null(d);
    cr_assert_str_eq(vmb_qopt_get(d, "num-queues"), "4");
    cr_assert_str_eq(vmb_qopt_get(d, "share-rw"), "on");
    cr_assert_str_eq(vmb_qopt_get(d, "x.y.1"), "2");
    vmb_qcmd_free(q);
}

Test(qcmd, comma_escaping_and_bare_keys)
{
    const char *t = "qemu-system-x86_64 -drive file=/a,,b.img,if=none "
                    "-chardev socket,id=c,path=/s,server,nowait "
                    "-cpu host,+vmx,-vmx-rdseed-exit,pmu=off "
                    "-global kvm-pit.lost_tick_policy=discard "
                    "-global driver=cfi.pflash01,property=secure,value=on";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    cr_assert_str_eq(vmb_qopt_get(opt(q, "drive", 0), "file"), "/a,b.img");
    const struct vmb_qopt *c = opt(q, "chardev", 0);
    cr_assert_str_eq(c->kind, "socket");
    cr_assert_str_eq(vmb_qopt_get(c, "server"), "on");
    cr_assert_str_eq(vmb_qopt_get(c, "wait"), "off");
    const struct vmb_qopt *cpu = opt(q, "cpu", 0);
    cr_assert_str_eq(cpu->kind, "host");
    cr_assert_str_eq(vmb_qopt_get(cpu, "vmx"), "on");
    cr_assert_str_eq(vmb_qopt_get(cpu, "vmx-rdseed-exit"), "off");
    cr_assert_str_eq(
        vmb_qopt_get(opt(q, "global", 0), "kvm-pit.lost_tick_policy"),
        "discard");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "global", 1), "cfi.pflash01.secure"),
                     "on");
    vmb_qcmd_free(q);
}

Test(qcmd, kata_log_logfmt_joins_the_kernel_command_line)
{
    const char *t =
        "time=\"x\" level=info msg=\"launching /opt/kata/bin/qemu-system-"
        "x86_64 with: [-name sandbox-1 -device "
        "{\\\"driver\\\":\\\"virtio-rng-pci\\\"} -append tsc=reliable "
        "no_timer_check console=hvc0 -pidfile /run/p -nodefaults]\" "
        "source=virtcontainers";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    cr_assert_str_eq(q->binary, "/opt/kata/bin/qemu-system-x86_64");
    cr_assert_not_null(device(q, "virtio-rng-pci"));
    cr_assert_str_eq(opt(q, "append", 0)->arg,
                     "tsc=reliable no_timer_check console=hvc0");
    cr_assert_str_eq(opt(q, "pidfile", 0)->arg, "/run/p");
    cr_assert_not_null(opt(q, "nodefaults", 0));
    vmb_qcmd_free(q);
}

Test(qcmd, kata_log_json_escaped)
{
    const char *t = "{\"msg\":\"launching /usr/bin/qemu-kvm with: [-m "
                    "2048M,slots=10 -rtc base=utc\\u002cdriftfix=slew]\","
                    "\"level\":\"info\"}";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    cr_assert_str_eq(opt(q, "m", 0)->kind, "2048M");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "rtc", 0), "driftfix"), "slew");
    vmb_qcmd_free(q);
}

Test(qcmd, runtime_rs_command_debug)
{
    const char *t = "kata[1]: qemu cmd: Command { std: "
                    "\"/opt/kata/bin/qemu-system-x86_64\" \"-name\" "
                    "\"sandbox-x\" \"-device\" "
                    "\"vhost-user-fs-pci,chardev=c,tag=kataShared,queue-"
                    "size=1024\" \"-no-reboot\", kill_on_drop: false }";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    const struct vmb_qopt *d = device(q, "vhost-user-fs-pci");
    cr_assert_not_null(d);
    cr_assert_str_eq(vmb_qopt_get(d, "queue-size"), "1024");
    cr_assert_not_null(opt(q, "no-reboot", 0));
    cr_assert_eq(q->nopts, 3);
    vmb_qcmd_free(q);
}

Test(qcmd, refusals_name_the_source)
{
    char *m = parse_err("");
    cr_assert_str_eq(m, "t: holds no QEMU command line");
    free(m);
    m = parse_err("just some words");
    cr_assert_str_eq(m, "t: holds no QEMU command line");
    free(m);
    m = parse_err("LC_ALL=C qemu-system-x86_64 -name 'open");
    cr_assert_str_eq(m, "t: has a quote that is not closed");
    free(m);
    m = parse_err("qemu-system-x86_64 -nodefaults -device");
    cr_assert_str_eq(m, "t: option \"-device\" lacks its argument");
    free(m);
    m = parse_err("qemu-system-x86_64 -m 1G stray");
    cr_assert_str_eq(m, "t: argument 3 \"stray\" is not an option");
    free(m);
    m = parse_err("qemu-system-x86_64 -device {\"driver\":");
    cr_assert(strstr(m, "JSON argument of option \"-device\"") != NULL, "%s",
              m);
    free(m);
}

/* A megabyte-long stray argument or option name is quoted cut, as the
 * JSON refusal is, not echoed whole to the terminal. */
Test(qcmd, refusals_cut_an_enormous_argument)
{
    const char *forms[] = {"", "-"};
    char *big = vmb_xcalloc(1, 500001);
    memset(big, 'x', 500000);
    for (size_t i = 0; i < 2; i++) {
        char *t = vmb_xasprintf("qemu-system-x86_64 -m 1G %s%s", forms[i], big);
        char *m = parse_err(t);
        cr_assert_lt(strlen(m), 200, "%.300s", m);
        cr_assert(strstr(m, "xxxxxxxxxx") != NULL, "%s", m);
        free(m);
        free(t);
    }
    free(big);
}

Test(qcmd, json_depth_is_bounded)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "qemu-system-x86_64 -object ");
    for (int i = 0; i < 40; i++)
        vmb_buf_puts(&b, "{\"a\":");
    vmb_buf_puts(&b, "1");
    for (int i = 0; i < 40; i++)
        vmb_buf_puts(&b, "}");
    char *m = parse_err(b.data);
    cr_assert(strstr(m, "does not parse") != NULL, "%s", m);
    free(m);
    vmb_buf_free(&b);
}

Test(qcmd, sizes)
{
    cr_assert_eq(vmb_qcmd_size("2048M", 'M'), 2048LL << 20);
    cr_assert_eq(vmb_qcmd_size("2048", 'M'), 2048LL << 20);
    cr_assert_eq(vmb_qcmd_size("2097152k", 'M'), 2048LL << 20);
    cr_assert_eq(vmb_qcmd_size("134217728", 'B'), 134217728LL);
    cr_assert_eq(vmb_qcmd_size("2G", 'M'), 2LL << 30);
    cr_assert_eq(vmb_qcmd_size("x", 'M'), -1);
    cr_assert_eq(vmb_qcmd_size("99999999999999999999G", 'M'), -1);
}

static struct vmb_qcmd *
fixture(const char *name)
{
    autofree char *path =
        vmb_xasprintf("%s/data/kata-cmdlines/%s", VMB_TEST_DATA, name);
    autofree char *text = NULL;
    size_t len = 0;
    cr_assert_eq(vmb_read_file(path, &text, &len, NULL), 0, "%s", path);
    return parse_ok(text, len);
}

Test(qcmd, fixture_kata_2_0_1_ps_aux_picks_the_qemu_line)
{
    struct vmb_qcmd *q = fixture("kata-2.0.1-virtiofs-ps.txt");
    cr_assert_str_eq(q->binary, "/usr/bin/qemu-system-x86_64");
    cr_assert_str_eq(opt(q, "machine", 0)->kind, "q35");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "machine", 0), "kernel_irqchip"),
                     "on");
    cr_assert_not_null(device(q, "virtio-scsi-pci"));
    cr_assert_not_null(device(q, "vhost-vsock-pci"));
    cr_assert_str_eq(vmb_qopt_get(device(q, "virtio-rng-pci"), "romfile"), "");
    vmb_qcmd_free(q);
}

Test(qcmd, fixture_kata_2_ps_efwww)
{
    struct vmb_qcmd *q = fixture("kata-2.x-virtiofs-ps.txt");
    cr_assert_str_eq(vmb_qopt_get(device(q, "vhost-user-fs-pci"), "tag"),
                     "kataShared");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "cpu", 0), "vmx-rdseed-exit"), "off");
    vmb_qcmd_free(q);
}

Test(qcmd, fixture_kata_3_block_image)
{
    struct vmb_qcmd *q = fixture("kata-3.x-block-image-ps.txt");
    const struct vmb_qopt *d = opt(q, "drive", 0);
    cr_assert_str_eq(vmb_qopt_get(d, "aio"), "threads");
    cr_assert_str_eq(vmb_qopt_get(d, "readonly"), "on");
    cr_assert_str_eq(vmb_qopt_get(device(q, "virtio-blk-pci"), "config-wce"),
                     "off");
    vmb_qcmd_free(q);
}

Test(qcmd, fixture_kata_1_9_log_line)
{
    struct vmb_qcmd *q = fixture("kata-1.9-virtiofs-log.txt");
    cr_assert_str_eq(q->binary, "/opt/kata/bin/qemu-virtiofs-system-x86_64");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "object", 0), "size"), "134217728");
    cr_assert_str_eq(opt(q, "object", 0)->kind, "memory-backend-file");
    cr_assert_not_null(device(q, "virtserialport"));
    vmb_qcmd_free(q);
}

/* `ps -ww -o args` does not quote: -append's blanks and JSON's quotes
 * arrive as they are. */
Test(qcmd, ps_output_is_not_shell_quoted)
{
    const char *t = "COMMAND\n/usr/bin/qemu-system-x86_64 -name guest=vmb-1 "
                    "-object {\"qom-type\":\"memory-backend-memfd\",\"id\":"
                    "\"ram-node0\",\"share\":true} -append console=ttyS0 "
                    "quiet tsc=reliable -device virtio-rng-pci\n";
    struct vmb_qcmd *q = parse_ok(t, strlen(t));
    cr_assert_str_eq(opt(q, "object", 0)->kind, "memory-backend-memfd");
    cr_assert_str_eq(vmb_qopt_get(opt(q, "object", 0), "share"), "on");
    cr_assert_str_eq(opt(q, "append", 0)->arg,
                     "console=ttyS0 quiet tsc=reliable");
    cr_assert_not_null(device(q, "virtio-rng-pci"));
    vmb_qcmd_free(q);
}
