/*
 * Test driver of the VM integration tests and bench/boot.sh: boots what
 * vmbench boots, through the same library calls, and prints what a test
 * needs to assert on as JSON on stdout. Run it inside scripts/sandbox.sh.
 *
 *   vmb_celltool floor --initrd TRIVIAL.cpio [--count N] [key=value...]
 *       boots N VMs (default 1) of a cell's node shape at once with the
 *       trivial init and prints [{"kernel_s":..,"init_s":..}, ...]: the
 *       floor of boot time.
 *
 *   vmb_celltool cell [--checks] [--keep] [--hold SECONDS] [key=value...]
 *       boots the two VMs of a cell (vm.h) with the agent initramfs and
 *       the container root image, prints boot stages and what each agent
 *       reports; --checks writes a file in each guest's data directory,
 *       gives that directory to the user postgres, who writes in it, and
 *       says where the host sees it, and has node 2 talk TCP to node 1;
 *       --hold waits before the teardown; the teardown time is printed.
 *       --ready FILE writes what is known once both VMs are up (all but
 *       the teardown) to FILE, atomically, before the hold: a fixture
 *       holds the cell with a long --hold, waits for FILE, and stops the
 *       hold with SIGTERM, which then tears the cell down as a normal end.
 *       --fio JOB --fio-out FILE (database.engine=fio: one VM) runs fio
 *       by hand in node 1's container, as root on /data, with the job
 *       file JOB, and writes its json+ output to FILE: fio without
 *       vmbench's run around it, in the VM vmbench boots.
 *       Exit 2 for bad input, 1 for a failed boot, 0 otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/util.h"
#include "config/config.h"
#include "runtime/runtime.h"
#include "vm/accel.h"
#include "vm/agent.h"
#include "vm/image.h"
#include "vm/initramfs.h"
#include "vm/rootfs.h"
#include "vm/virt.h"
#include "vm/vm.h"

/* What the trivial init prints once it runs. */
#define FLOOR_MARK "VMB-TRIVIAL-INIT"

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

/*
 * Boots count VMs shaped like a cell's nodes, but with the trivial init,
 * all at once as a cell does, and times each to its first console output
 * and to the init's line.
 */
static int
cmd_floor(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    /* The sandbox's host may lack /dev/vhost-net: run without it. */
    cfg.network.vhost_fallback = true;
    const char *initrd = NULL, *kernel = NULL;
    autofree char *found = NULL, *modules = NULL;
    int count = 1;
    int rc = -1;
    struct vmb_virt *v = NULL;
    struct vmb_virt_domain *d[8] = {NULL};
    char dir[] = "/tmp/vmb-floor-XXXXXX";
    bool have_dir = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--initrd") == 0)
            initrd = arg_value(&i, argc, argv);
        else if (strcmp(argv[i], "--kernel") == 0)
            kernel = arg_value(&i, argc, argv);
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (apply_kv(&cfg, argv[i], err) < 0)
            goto out;
    }
    if (count < 1 || count > 8) {
        vmb_error_set(err, VMB_ERR_INPUT, 0, "--count takes 1 to 8");
        goto out;
    }
    if (kernel == NULL) {
        if (vmb_guest_kernel_find(cfg.guest.kernel, &found, &modules, err) < 0)
            goto out;
        kernel = found;
    }
    if (initrd == NULL) {
        vmb_error_set(err, VMB_ERR_INPUT, 0, "floor needs --initrd");
        goto out;
    }
    if (mkdtemp(dir) == NULL) {
        vmb_error_sys(err, "mkdtemp");
        goto out;
    }
    have_dir = true;
    chmod(dir, 0755);
    if (vmb_virt_open(cfg.hypervisor.connect, &v, err) < 0)
        goto out;
    char *console[8] = {NULL};
    uint64_t t0[8];
    double kernel_s[8], init_s[8];
    for (int i = 0; i < count; i++) {
        console[i] = vmb_xasprintf("%s/console%d.log", dir, i);
        autofree char *name =
            vmb_xasprintf("vmb-floor-%d-%d", (int)getpid(), i);
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
            .console_log = console[i],
        };
        autofree char *xml = vmb_virt_domain_xml(&s);
        kernel_s[i] = init_s[i] = -1;
        t0[i] = vmb_now_ns();
        if (vmb_virt_domain_start(v, xml, &d[i], err) < 0)
            goto free_consoles;
    }
    uint64_t limit = cfg.guest.boot_timeout_us * 1000ULL;
    for (;;) {
        int done = 0;
        for (int i = 0; i < count; i++) {
            struct stat st;
            double now = (double)(vmb_now_ns() - t0[i]) / 1e9;
            if (kernel_s[i] < 0 && stat(console[i], &st) == 0 && st.st_size > 0)
                kernel_s[i] = now;
            if (init_s[i] < 0 && file_contains(console[i], FLOOR_MARK))
                init_s[i] = now;
            done += init_s[i] >= 0;
        }
        if (done == count)
            break;
        if (vmb_now_ns() - t0[0] > limit || vmb_interrupted) {
            vmb_error_set(err, VMB_ERR_RUN, 0, "the trivial init never ran");
            goto free_consoles;
        }
        struct timespec ts = {0, 5000000L};
        nanosleep(&ts, NULL);
    }
    printf("[");
    for (int i = 0; i < count; i++)
        printf("%s{\"kernel_s\": %.3f, \"init_s\": %.3f}", i ? ", " : "",
               kernel_s[i], init_s[i]);
    printf("]\n");
    rc = 0;
free_consoles:
    for (int i = 0; i < count; i++)
        free(console[i]);
out:
    for (int i = 0; i < 8; i++)
        vmb_virt_domain_free(d[i]);
    vmb_virt_close(v);
    if (have_dir)
        vmb_rm_rf(dir, NULL);
    vmb_config_free(&cfg);
    return rc;
}

/* The host's view of the file a guest wrote into its data directory. */
static char *
host_side_file(const struct vmb_config *cfg, const struct vmb_vm_node *n,
               const char *name)
{
    (void)cfg;
    char *data = NULL;
    if (n->data_dir) {
        autofree char *path = vmb_xasprintf("%s/%s", n->data_dir, name);
        if (vmb_read_file(path, &data, NULL, NULL) < 0)
            return NULL;
        return data;
    }
    if (n->data_disk) {
        autofree char *cmd = vmb_xasprintf(
            "debugfs -R 'cat /%s' '%s' 2>/dev/null", name, n->data_disk);
        FILE *p = popen(cmd, "r");
        if (p == NULL)
            return NULL;
        struct vmb_buf b = {0};
        char chunk[256];
        size_t got;
        while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
            vmb_buf_append(&b, chunk, got);
        pclose(p);
        return b.len ? vmb_buf_steal(&b) : (vmb_buf_free(&b), NULL);
    }
    return NULL;
}

static void
run_checks(struct vmb_vm_cell *c, const struct vmb_config *cfg,
           struct vmb_jw *w)
{
    const uint64_t t = 30000000ULL;
    vmb_jw_key(w, "checks");
    vmb_jw_obj_begin(w);
    for (int i = 0; i < 2; i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(c, i);
        vmb_autoerr struct vmb_error *err = NULL;
        autofree char *want = vmb_xasprintf("written by %s\n", n->name);
        vmb_jw_key(w, n->name);
        vmb_jw_obj_begin(w);
        if (vmb_agent_write_file(n->agent, "/data/vmb-check.txt", want,
                                 strlen(want), 0644, t, &err) < 0 ||
            vmb_agent_sync(n->agent, t, &err) < 0) {
            vmb_jw_kstr(w, "error", err->msg);
        } else {
            autofree char *seen = host_side_file(cfg, n, "vmb-check.txt");
            vmb_jw_kbool(w, "host_sees_file", seen && strcmp(seen, want) == 0);
        }
        /* A server's user is given the data directory and writes in it,
         * as the database drivers' servers do. */
        const char *own_argv[] = {
            "/bin/sh", "-c",
            "echo x >/data/vmb-own.txt && [ -O /data ] && echo owner", NULL};
        struct vmb_agent_proc own = {
            .argv = own_argv, .user = "postgres", .own = "/data"};
        struct vmb_agent_exec_result res = {0};
        vmb_error_freep(&err);
        if (vmb_agent_exec(n->agent, &own, t, 2 * t, &res, &err) < 0) {
            vmb_jw_kstr(w, "own_error", err->msg);
        } else {
            vmb_jw_kint(w, "own_exit", res.status.code);
            vmb_jw_kstr(w, "own_output", res.output ? res.output : "");
        }
        free(res.output);
        /* PostgreSQL's server binary and its libraries load from the
         * container root. */
        const char *pg_argv[] = {
            "/bin/sh", "-c",
            "for p in /usr/lib/postgresql/*/bin/postgres; do \"$p\" "
            "--version 2>&1; done",
            NULL};
        struct vmb_agent_proc pg = {.argv = pg_argv, .user = "postgres"};
        struct vmb_agent_exec_result pres = {0};
        vmb_error_freep(&err);
        if (vmb_agent_exec(n->agent, &pg, t, 2 * t, &pres, &err) < 0) {
            vmb_jw_kstr(w, "postgres_error", err->msg);
        } else {
            vmb_jw_kint(w, "postgres_exit", pres.status.code);
            vmb_jw_kstr(w, "postgres_version", pres.output ? pres.output : "");
        }
        free(pres.output);
        vmb_jw_obj_end(w);
    }
    /* A server in node 1, a client in node 2, across the run's network. */
    struct vmb_vm_node *n1 = vmb_vm_cell_node(c, 0),
                       *n2 = vmb_vm_cell_node(c, 1);
    vmb_autoerr struct vmb_error *err = NULL;
    const char *argv[] = {"redis-server", "--port", "7777", "--protected-mode",
                          "no",           "--save", "",     "--appendonly",
                          "no",           NULL};
    struct vmb_agent_proc proc = {.argv = argv, .log_path = "/tmp/check.log"};
    int pid = 0;
    autofree char *reply = NULL;
    if (vmb_agent_spawn(n1->agent, &proc, t, &pid, &err) < 0) {
        vmb_jw_kstr(w, "tcp_error", err->msg);
    } else {
        uint64_t t0 = vmb_now_ns();
        int rc = -1;
        while (vmb_now_ns() - t0 < 30000000000ULL) {
            vmb_error_freep(&err);
            free(reply);
            reply = NULL;
            rc = vmb_agent_tcpcheck(n2->agent, n1->ip, 7777, "PING\r\n",
                                    2000000, NULL, &reply, &err);
            if (rc == 0 && reply && strstr(reply, "PONG"))
                break;
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
        if (rc < 0)
            vmb_jw_kstr(w, "tcp_error", err->msg);
        else
            vmb_jw_kstr(w, "tcp_reply", reply);
    }
    vmb_jw_obj_end(w);
}

/* The node's virtiofsd as the host sees it: its pid, its user, its
 * command line (/proc, words separated by spaces). */
static void
virtiofsd_members(struct vmb_jw *w, int pid)
{
    if (pid <= 0)
        return;
    vmb_jw_kint(w, "virtiofsd_pid", pid);
    autofree char *dir = vmb_xasprintf("/proc/%d", pid);
    struct stat st;
    if (stat(dir, &st) == 0)
        vmb_jw_kint(w, "virtiofsd_uid", (int64_t)st.st_uid);
    autofree char *path = vmb_xasprintf("%s/cmdline", dir);
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file(path, &text, &len, NULL) < 0)
        return;
    for (size_t k = 0; k + 1 < len; k++)
        if (text[k] == '\0')
            text[k] = ' ';
    vmb_jw_kstr(w, "virtiofsd_cmdline", text);
}

/* node1's saved virtiofsd command line, where the cell has one. */
static void
saved_virtiofsd(struct vmb_jw *w, const char *dir)
{
    autofree char *path = vmb_xasprintf("%s/node1.virtiofsd.cmdline", dir);
    autofree char *text = NULL;
    if (vmb_read_file(path, &text, NULL, NULL) == 0)
        vmb_jw_kstr(w, "virtiofsd_saved", text);
}

/* tc's qdiscs, classes and ingress filters of the tap named in xml. */
static char *
tap_tc(const char *xml)
{
    const char *t = strstr(xml, "<interface ");
    t = t ? strstr(t, "<target dev='") : NULL;
    if (t == NULL)
        return vmb_xstrdup("");
    t += strlen("<target dev='");
    size_t n = strcspn(t, "'");
    autofree char *dev = vmb_xstrndup(t, n);
    for (char *p = dev; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return vmb_xstrdup("");
    autofree char *cmd =
        vmb_xasprintf("tc qdisc show dev %s; tc class show dev %s; "
                      "tc filter show dev %s parent ffff: 2>&1",
                      dev, dev, dev);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return vmb_xstrdup("");
    struct vmb_buf b = {0};
    char chunk[256];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
        vmb_buf_append(&b, chunk, got);
    pclose(p);
    return b.len ? vmb_buf_steal(&b) : (vmb_buf_free(&b), vmb_xstrdup(""));
}

/* fio by hand in node 1's container: the job, fio, its JSON back. */
static int
run_fio(struct vmb_vm_cell *c, const char *job_path, const char *out_path,
        struct vmb_error **err)
{
    autofree char *job = NULL, *json = NULL;
    size_t len = 0;
    struct vmb_agent *a = vmb_vm_cell_node(c, 0)->agent;
    if (vmb_read_file(job_path, &job, NULL, err) < 0 ||
        vmb_agent_write_file(a, "/vmb-celltool.fio", job, strlen(job), 0644,
                             10000000ULL, err) < 0)
        return -1;
    static const char *const argv[] = {"fio", "--output-format=json+",
                                       "--output=/vmb-celltool.json",
                                       "/vmb-celltool.fio", NULL};
    static const char *const env[] = {"LC_ALL=C", "LANG=C", "TZ=UTC", NULL};
    struct vmb_agent_proc p = {.argv = argv, .env = env, .cwd = "/data"};
    struct vmb_agent_exec_result res = {0};
    if (vmb_agent_exec(a, &p, 600000000ULL, 610000000ULL, &res, err) < 0)
        return -1;
    autofree char *words = res.output;
    if (res.status.state != VMB_AGENT_EXITED || res.status.code != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "fio failed: %s", words);
    if (vmb_agent_fetch_all(a, "/vmb-celltool.json", VMB_AGENT_FETCH_ALL_MAX,
                            60000000ULL, &json, &len, err) < 0)
        return -1;
    return vmb_write_file_atomic(out_path, json, len, err);
}

static int
cmd_cell(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    /* The sandbox's host may lack /dev/vhost-net: run without it. */
    cfg.network.vhost_fallback = true;
    bool checks = false, keep = false;
    double hold_s = 0;
    const char *ready = NULL, *fio_job = NULL, *fio_out = NULL;
    int rc = -1;
    struct vmb_virt *v = NULL;
    struct vmb_vm_cell *c = NULL;
    /* Under $TMPDIR when set: a test that kills the tool removes it. */
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/vmb-cell-XXXXXX",
             tmp != NULL && *tmp == '/' && strlen(tmp) < 200 ? tmp : "/tmp");
    bool have_dir = false;
    autofree char *kernel = NULL, *modules = NULL, *initrd = NULL;
    autofree char *agent = NULL;
    struct vmb_image img = {0};
    /* Declared before the first goto: cleanups run at "out". */
    autofree char *tag = vmb_xasprintf("t%d", (int)getpid());
    autofree char *saved = NULL, *json = NULL, *argv_text = NULL;
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--checks") == 0) {
            checks = true;
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = true;
        } else if (strcmp(argv[i], "--hold") == 0) {
            const char *s = arg_value(&i, argc, argv);
            hold_s = s ? atof(s) : 0;
        } else if (strcmp(argv[i], "--ready") == 0) {
            ready = arg_value(&i, argc, argv);
            if (ready == NULL) {
                vmb_error_set(err, VMB_ERR_INPUT, 0, "--ready needs a file");
                goto out;
            }
        } else if (strcmp(argv[i], "--fio") == 0) {
            fio_job = arg_value(&i, argc, argv);
        } else if (strcmp(argv[i], "--fio-out") == 0) {
            fio_out = arg_value(&i, argc, argv);
        } else if (apply_kv(&cfg, argv[i], err) < 0) {
            goto out;
        }
    }
    if ((fio_job == NULL) != (fio_out == NULL) ||
        (fio_job != NULL && cfg.database.engine != VMB_ENGINE_FIO)) {
        vmb_error_set(err, VMB_ERR_INPUT, 0,
                      "--fio and --fio-out go together, with "
                      "database.engine=fio");
        goto out;
    }
    if (vmb_guest_kernel_find(cfg.guest.kernel, &kernel, &modules, err) < 0)
        goto out;
    agent = vmb_guest_program("vmb-agent");
    if (vmb_initramfs_ensure(agent, modules, NULL, &initrd, err) < 0)
        goto out;
    struct vmb_image_opts iopts = {
        .packages = vmb_runtime_image_packages((int)cfg.database.engine)};
    if (vmb_image_ensure(&iopts, &img, err) < 0)
        goto out;
    if (mkdtemp(dir) == NULL) {
        vmb_error_sys(err, "mkdtemp");
        goto out;
    }
    have_dir = true;
    chmod(dir, 0755);
    if (vmb_virt_open(cfg.hypervisor.connect, &v, err) < 0)
        goto out;
    /* The guard removes it, mounts first, should the tool be killed. */
    vmb_virt_guard_dir(true, dir);
    struct vmb_accel_result acc;
    if (vmb_accel_resolve(v, cfg.hypervisor.accel, cfg.hypervisor.emulator,
                          cfg.hypervisor.machine, kernel, &acc, err) < 0)
        goto out;
    if (acc.fallback)
        fprintf(stderr, "vmb_celltool: %s\n", acc.note);
    struct vmb_vm_params p = {
        .cfg = &cfg,
        .work_dir = dir,
        .tag = tag,
        .kvm = acc.used == VMB_ACCEL_KVM,
        .kernel = kernel,
        .initrd = initrd,
        .base_image = img.path,
        .base_tree = img.tree,
        .keep_volumes = keep,
    };
    fprintf(stderr, "vmb_celltool: booting %s\n", tag);
    if (vmb_vm_cell_start(v, &p, &c, err) < 0)
        goto out;

    vmb_jw_obj_begin(&w);
    vmb_jw_kstr(&w, "accel", vmb_accel_name(acc.used));
    vmb_jw_key(&w, "boot");
    vmb_jw_obj_begin(&w);
    vmb_vm_cell_boot_json(c, &w);
    vmb_jw_obj_end(&w);
    vmb_jw_key(&w, "facts");
    vmb_jw_obj_begin(&w);
    for (int i = 0; i < vmb_vm_cell_nodes(c); i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(c, i);
        struct vmb_agent_facts f;
        memset(&f, 0, sizeof(f));
        vmb_jw_key(&w, n->name);
        vmb_jw_obj_begin(&w);
        if (vmb_agent_facts(n->agent, 10000000ULL, &f, err) < 0)
            goto out;
        vmb_jw_kint(&w, "nproc", f.nproc);
        vmb_jw_kuint(&w, "mem_total_kib", f.mem_total_kib);
        vmb_jw_kuint(&w, "ram_kib", f.ram_kib);
        vmb_jw_kstr(&w, "dmi_product", f.dmi_product);
        vmb_jw_kstr(&w, "ip", f.ip);
        vmb_jw_kstr(&w, "data_fstype", f.data_fstype);
        vmb_jw_kstr(&w, "data_source", f.data_source);
        vmb_jw_kstr(&w, "data_options", f.data_options);
        vmb_jw_kstr(&w, "root_fstype", f.root_fstype);
        vmb_jw_kstr(&w, "root_source", f.root_source);
        vmb_jw_kstr(&w, "cmdline", f.cmdline);
        vmb_jw_kstr(&w, "scsi_scan", f.scsi_scan);
        vmb_jw_kstr(&w, "domain", n->domain);
        virtiofsd_members(&w, vmb_vm_cell_virtiofsd_pid(c, i));
        /* libvirt's own view of where each vCPU may run (bit masks). */
        uint64_t pins[4] = {0};
        vmb_autoerr struct vmb_error *perr = NULL;
        int np =
            vmb_virt_domain_vcpu_pins(vmb_vm_cell_domain(c, i), pins, 4, &perr);
        vmb_jw_key(&w, "vcpu_pins");
        vmb_jw_arr_begin(&w);
        for (int k = 0; k < np; k++)
            vmb_jw_uint(&w, pins[k]);
        vmb_jw_arr_end(&w);
        /* libvirt's live XML, and the kernel's traffic control on the
         * host side of the NIC, where libvirt puts <bandwidth>. */
        autofree char *xml = NULL;
        vmb_autoerr struct vmb_error *xerr = NULL;
        if (vmb_virt_domain_live_xml(vmb_vm_cell_domain(c, i), &xml, &xerr) ==
            0) {
            vmb_jw_kstr(&w, "live_xml", xml);
            autofree char *tc = tap_tc(xml);
            vmb_jw_kstr(&w, "tc", tc);
        }
        const struct vmb_agent_hello *h = vmb_agent_hello_info(n->agent);
        vmb_jw_kuint(&w, "agent_start_us", h->agent_start_us);
        vmb_jw_kuint(&w, "modules_loaded_us", h->modules_loaded_us);
        vmb_jw_kuint(&w, "net_up_us", h->net_up_us);
        vmb_jw_kuint(&w, "mounts_done_us", h->mounts_done_us);
        vmb_agent_facts_clear(&f);
        vmb_jw_obj_end(&w);
    }
    vmb_jw_obj_end(&w);
    vmb_vm_cell_window_begin(c);
    if (checks)
        run_checks(c, &cfg, &w);
    if (fio_job != NULL && run_fio(c, fio_job, fio_out, err) < 0) {
        vmb_vm_cell_window_end(c);
        goto out;
    }
    vmb_vm_cell_window_end(c);
    vmb_jw_key(&w, "resources");
    vmb_jw_obj_begin(&w);
    vmb_vm_cell_resources_json(c, &w);
    vmb_jw_obj_end(&w);
    if (vmb_vm_cell_save(c, dir, err) < 0)
        goto out;
    saved = vmb_xasprintf("%s/node1.qemu.cmdline", dir);
    vmb_jw_kbool(&w, "saved_cmdline", access(saved, R_OK) == 0);
    if (vmb_read_file(saved, &argv_text, NULL, NULL) == 0)
        vmb_jw_kstr(&w, "qemu_cmdline", argv_text);
    saved_virtiofsd(&w, dir);
    vmb_jw_kstr(&w, "work_dir", dir);
    if (ready != NULL) {
        /* The document so far, closed: the caller's view of a live cell. */
        autofree char *doc = vmb_xasprintf("%.*s\n}\n", (int)w.buf.len,
                                           w.buf.data ? w.buf.data : "");
        if (vmb_write_file_atomic(ready, doc, strlen(doc), err) < 0)
            goto out;
    }
    bool held = false;
    uint64_t t0 = vmb_now_ns();
    while (!vmb_interrupted && vmb_now_ns() - t0 < (uint64_t)(hold_s * 1e9)) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
        held = true;
    }
    /* A fixture's SIGTERM ends its hold: the teardown is the normal end. */
    bool stopped = ready != NULL && held && vmb_interrupted;
    double took = 0;
    rc = vmb_vm_cell_teardown(c, &took, err);
    c = NULL;
    vmb_jw_kdouble(&w, "teardown_s", took);
    vmb_jw_obj_end(&w);
    json = vmb_jw_steal(&w);
    printf("%s\n", json);
    if (vmb_interrupted && !stopped && rc == 0)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0, "interrupted");
out:
    vmb_jw_free(&w);
    vmb_image_clear(&img);
    vmb_vm_cell_free(c);
    vmb_virt_close(v);
    if (have_dir && !keep) {
        vmb_rootfs_unmount_under(dir);
        vmb_rm_rf(dir, NULL);
    }
    if (have_dir)
        vmb_virt_guard_dir(false, dir);
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
    else if (strcmp(argv[1], "cell") == 0)
        rc = cmd_cell(argc - 1, argv + 1, &err);
    else
        rc = vmb_error_set(&err, VMB_ERR_INPUT, 0, "unknown command \"%s\"",
                           argv[1]);
    return rc < 0 ? die(err) : rc;
}
