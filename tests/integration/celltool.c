/*
 * Test driver of the VM integration tests and bench/boot.sh: boots what
 * vmbench boots, through the same library calls, and prints what a test
 * needs to assert on as JSON on stdout. Run it inside scripts/sandbox.sh.
 *
 *   vmb_celltool floor --initrd TRIVIAL.cpio [key=value...]
 *       boots one VM of the cell's shape with the trivial init and prints
 *       {"kernel_s":..,"init_s":..}: the floor of boot time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "jsonw.h"
#include "util.h"
#include "virt.h"

static int
die(struct vmb_error *err)
{
    fprintf(stderr, "vmb_celltool: %s\n", err && err->msg ? err->msg : "?");
    int rc = err ? (int)err->kind : 1;
    vmb_error_free(err);
    return rc;
}

/* Applies "section.option=value" words to cfg. */
static int
apply_kv(struct vmb_config *cfg, const char *word, struct vmb_error **err)
{
    const char *eq = strchr(word, '=');
    if (eq == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected key=value, got \"%s\"", word);
    autofree char *key = vmb_xstrdup(word);
    key[eq - word] = '\0';
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    if (vmb_option_resolve(key, &sec, &opt) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "unknown option \"%s\"",
                             key);
    if (vmb_option_parse(opt, eq + 1, (char *)cfg + sec->offset, err) < 0)
        return vmb_error_prefix(err, "%s", key);
    return 0;
}

static const char *
arg_value(int *i, int argc, char **argv)
{
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static bool
file_contains(const char *path, const char *needle)
{
    autofree char *buf = NULL;
    if (vmb_read_file(path, &buf, NULL, NULL) < 0)
        return false;
    return strstr(buf, needle) != NULL;
}

static const char *
newest_kernel(char *buf, size_t len)
{
    FILE *p = popen("ls -v /boot/vmlinuz-* 2>/dev/null | tail -1", "r");
    if (p == NULL || fgets(buf, (int)len, p) == NULL) {
        if (p)
            pclose(p);
        return NULL;
    }
    pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static int
cmd_floor(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    const char *initrd = NULL, *kernel = NULL;
    int rc = -1;
    struct vmb_virt *v = NULL;
    struct vmb_virt_domain *d = NULL;
    char dir[] = "/tmp/vmb-floor-XXXXXX";
    bool have_dir = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--initrd") == 0)
            initrd = arg_value(&i, argc, argv);
        else if (strcmp(argv[i], "--kernel") == 0)
            kernel = arg_value(&i, argc, argv);
        else if (apply_kv(&cfg, argv[i], err) < 0)
            goto out;
    }
    char kbuf[512];
    if (kernel == NULL)
        kernel = strcmp(cfg.guest.kernel, "auto") == 0
                     ? newest_kernel(kbuf, sizeof(kbuf))
                     : cfg.guest.kernel;
    if (initrd == NULL || kernel == NULL) {
        vmb_error_set(err, VMB_ERR_INPUT, 0, "floor needs --initrd and a kernel");
        goto out;
    }
    if (mkdtemp(dir) == NULL) {
        vmb_error_sys(err, "mkdtemp");
        goto out;
    }
    have_dir = true;
    chmod(dir, 0755);
    autofree char *console = vmb_xasprintf("%s/console.log", dir);
    autofree char *name = vmb_xasprintf("vmb-floor-%d", (int)getpid());
    struct vmb_domain_spec s = {
        .name = name,
        .kvm = cfg.hypervisor.accel == VMB_ACCEL_KVM,
        .emulator = cfg.hypervisor.emulator,
        .machine = cfg.hypervisor.machine,
        .vcpus = (int)cfg.guest.vcpus,
        .memory_mib = cfg.guest.memory_mib,
        .kernel = kernel,
        .initrd = initrd,
        .cmdline = "console=ttyS0 quiet loglevel=6 panic=-1",
        .console_log = console,
    };
    autofree char *xml = vmb_virt_domain_xml(&s);
    if (vmb_virt_open(cfg.hypervisor.connect, &v, err) < 0)
        goto out;
    uint64_t t0 = vmb_now_ns();
    if (vmb_virt_domain_start(v, xml, &d, err) < 0)
        goto out;
    double kernel_s = -1, init_s = -1;
    uint64_t limit = cfg.guest.boot_timeout_us * 1000ULL;
    while (vmb_now_ns() - t0 < limit) {
        struct stat st;
        double now = (double)(vmb_now_ns() - t0) / 1e9;
        if (kernel_s < 0 && stat(console, &st) == 0 && st.st_size > 0)
            kernel_s = now;
        if (file_contains(console, "VMB-TRIVIAL-INIT")) {
            init_s = now;
            break;
        }
        struct timespec ts = {0, 5000000L};
        nanosleep(&ts, NULL);
    }
    if (init_s < 0) {
        vmb_error_set(err, VMB_ERR_RUN, 0, "the trivial init never ran");
        goto out;
    }
    printf("{\"kernel_s\": %.3f, \"init_s\": %.3f}\n", kernel_s, init_s);
    rc = 0;
out:
    vmb_virt_domain_free(d);
    vmb_virt_close(v);
    if (have_dir)
        vmb_rm_rf(dir, NULL);
    vmb_config_free(&cfg);
    return rc;
}

int
main(int argc, char **argv)
{
    struct vmb_error *err = NULL;
    vmb_signals_install();
    if (argc < 2) {
        fprintf(stderr, "usage: vmb_celltool floor|cell [ARGS...]\n");
        return 2;
    }
    int rc;
    if (strcmp(argv[1], "floor") == 0)
        rc = cmd_floor(argc - 1, argv + 1, &err);
    else
        rc = vmb_error_set(&err, VMB_ERR_INPUT, 0, "unknown command \"%s\"",
                           argv[1]);
    return rc < 0 ? die(err) : rc;
}
