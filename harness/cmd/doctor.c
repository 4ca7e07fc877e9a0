/* `vmbench doctor`: the host checks, printed or as JSON. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "runtime/doctor.h"

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
    bool json = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--no-kvm-probe") == 0) {
            o.probe_kvm = false;
        } else if (has_val && strcmp(a, "--connect") == 0) {
            o.connect = argv[++i];
        } else if (has_val && strcmp(a, "--emulator") == 0) {
            o.emulator = argv[++i];
        } else if (has_val && strcmp(a, "--kernel") == 0) {
            o.kernel = argv[++i];
        } else if (has_val && strcmp(a, "--results") == 0) {
            o.results_dir = argv[++i];
        } else {
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "unknown or incomplete argument \"%s\"; see "
                               "`vmbench doctor --help`",
                               a);
            goto out;
        }
    }
    struct vmb_doctor_report *r = vmb_doctor_run(&o);
    if (json) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_doctor_to_json(&w, r);
        autofree char *text = vmb_jw_steal(&w);
        printf("%s\n", text);
    } else {
        vmb_doctor_print(stdout, r);
    }
    rc = vmb_doctor_worst(r) == VMB_DOCTOR_FAIL ? 1 : 0;
    vmb_doctor_report_free(r);
out:
    vmb_config_free(&cfg);
    return rc;
}
