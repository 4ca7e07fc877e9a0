/* `vmbench doctor`: the host checks, printed or as JSON. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "config/hosts.h"
#include "results/run_json.h"
#include "run/run_info.h"
#include "runtime/doctor.h"
#include "runtime/hostset.h"

const char vmb_usage_doctor[] =
    "usage: vmbench doctor [--json] [--connect URI] [--emulator PATH]\n"
    "                      [--kernel PATH] [--results DIR] [--no-kvm-probe]\n"
    "       vmbench doctor --restore\n"
    "       vmbench doctor [--json] --host DEST [--connect-timeout "
    "DURATION]\n\n"
    "Checks the host: libvirtd reachable (and how to start it), QEMU and\n"
    "libvirt versions, whether KVM really runs a guest (a probe guest must\n"
    "print its first line within 6 s; nested setups often hang), virtiofsd,\n"
    "the guest kernel (a bzImage or an uncompressed ELF vmlinux, its release,\n"
    "and for each driver a cell may need: virtio-pci, virtio-blk, virtio-net,\n"
    "virtio-console, ext4, virtio-fs, 9p, virtio-scsi, vsock, whether it is\n"
    "built in, a module in /lib/modules/RELEASE, or missing; a bzImage with\n"
    "no modules directory is read through its payload when that is gzip, xz,\n"
    "lzma or zstd, else its drivers are unknown),\n"
    "vhost-net and vhost-vsock, cgroup version and controllers, CPU frequency\n"
    "governor, transparent huge pages, swap, free memory, and free disk for\n"
    "the results directory. Each line is ok, warn or fail; a line that is not\n"
    "ok is followed by a one-line fix.\n\n"
    "  --json           print the checks as a JSON array\n"
    "  --connect URI    libvirt URI (default qemu:///system)\n"
    "  --emulator PATH  QEMU binary (default /usr/bin/qemu-system-x86_64)\n"
    "  --kernel PATH    guest kernel to check and to probe KVM with\n"
    "                   (default: newest /boot/vmlinuz-*)\n"
    "  --results DIR    where results will go (default results)\n"
    "  --no-kvm-probe   skip the probe boot\n"
    "  --restore        only restore the host settings (host: section) that\n"
    "                   a killed vmbench left changed, from its journal in\n"
    "                   /var/lib/vmbench; a journal of a live vmbench is\n"
    "                   left alone (`run` and `tune` do this too)\n\n"
    "  --host DEST      check another host instead (docs/remote.md):\n"
    "                   ssh://[USER@]HOST[:PORT] over ssh (batch mode, an\n"
    "                   unknown host key refused): reachable, its address,\n"
    "                   each engine's programs, taskset; or a libvirt URI\n"
    "                   (qemu+ssh://USER@HOST/system, "
    "qemu+tcp://HOST/system):\n"
    "                   libvirtd reachable, QEMU's emulator there, its\n"
    "                   online CPUs and free 2 MiB huge pages, a\n"
    "                   volume uploaded to a storage pool there and\n"
    "                   removed\n"
    "  --connect-timeout DURATION  time allowed to reach it (default 10s)\n\n"
    "exit status: 0 no check failed (warnings allowed), 1 a check failed.\n";

enum {
    OPT_JSON = 256,
    OPT_NO_KVM_PROBE,
    OPT_CONNECT,
    OPT_EMULATOR,
    OPT_KERNEL,
    OPT_RESULTS,
    OPT_RESTORE,
    OPT_HOST,
    OPT_CONNECT_TIMEOUT,
};

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"no-kvm-probe", no_argument, NULL, OPT_NO_KVM_PROBE},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"emulator", required_argument, NULL, OPT_EMULATOR},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"results", required_argument, NULL, OPT_RESULTS},
    {"restore", no_argument, NULL, OPT_RESTORE},
    {"host", required_argument, NULL, OPT_HOST},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {NULL, 0, NULL, 0},
};

int
vmb_cmd_doctor(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    struct vmb_doctor_opts o = {
        .connect = cfg.hypervisor.connect,
        .emulator = cfg.hypervisor.emulator,
        .machine = cfg.hypervisor.machine,
        .kernel = cfg.guest.kernel,
        .results_dir = "results",
        .probe_kvm = true,
    };
    bool json = false, restore = false;
    const char *host = NULL;
    const struct vmb_section *hs = vmb_section_find("hosts");
    const struct vmb_option *timeout_opt =
        vmb_option_find(hs->options, hs->noptions, "connect_timeout");
    int rc = -1;
    struct vmb_cli_parse args = {.cmd = "doctor", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_JSON:
            json = true;
            break;
        case OPT_NO_KVM_PROBE:
            o.probe_kvm = false;
            break;
        case OPT_CONNECT:
            o.connect = args.arg;
            break;
        case OPT_EMULATOR:
            o.emulator = args.arg;
            break;
        case OPT_KERNEL:
            o.kernel = args.arg;
            break;
        case OPT_RESULTS:
            o.results_dir = args.arg;
            break;
        case OPT_RESTORE:
            restore = true;
            break;
        case OPT_HOST:
            host = args.arg;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (vmb_option_parse(timeout_opt, args.arg, &cfg.hosts, err) < 0) {
                vmb_error_prefix(err, "--connect-timeout");
                goto out;
            }
            break;
        case VMB_CLI_WORD:
            vmb_error_set(err, VMB_ERR_INPUT, 0,
                          "unexpected argument \"%s\"; see `vmbench doctor "
                          "--help`",
                          args.arg);
            goto out;
        }
    }
    if (opt < 0)
        goto out;
    if (restore) {
        /* Its journal is what there is to restore; open says what it did. */
        bool any = vmb_hostset_journal_exists(NULL);
        struct vmb_hostset *h = NULL;
        rc = vmb_hostset_open(NULL, false, NULL, NULL, &h, err);
        vmb_hostset_free(h);
        if (rc == 0 && !any)
            printf("no host settings to restore\n");
        goto out;
    }
    if (host != NULL) {
        struct vmb_ssh_target t;
        bool remote = false;
        autofree char *why = NULL;
        int bad = vmb_str_has_prefix(host, "ssh://")
                      ? vmb_ssh_target_parse(host, &t, &remote, &why)
                      : vmb_libvirt_uri_check(host, &why);
        if (bad < 0) {
            vmb_error_set(err, VMB_ERR_INPUT, 0, "--host: %s", why);
            goto out;
        }
    }
    struct vmb_doctor_report *r =
        host ? vmb_doctor_run_host(host, cfg.hosts.connect_timeout_us)
             : vmb_doctor_run(&o);
    if (json) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        autofree struct vmb_run_check *checks = NULL;
        size_t n = vmb_run_info_checks(r, &checks);
        vmb_run_json_checks(&w, checks, n);
        char *text = vmb_jw_steal(&w);
        printf("%s\n", text);
        free(text);
    } else {
        vmb_doctor_print(stdout, r);
    }
    rc = vmb_doctor_worst(r) == VMB_DOCTOR_FAIL ? 1 : 0;
    vmb_doctor_report_free(r);
out:
    vmb_config_free(&cfg);
    return rc;
}
