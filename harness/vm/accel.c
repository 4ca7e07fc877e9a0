#include "vm/accel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"

/* The kernel's first line at loglevel 6: proof that guest code ran. */
static bool
console_has_banner(const char *path)
{
    autofree char *buf = NULL;
    if (vmb_read_file(path, &buf, NULL, NULL) < 0)
        return false;
    return strstr(buf, "Linux version") != NULL;
}

int
vmb_accel_probe_kvm(struct vmb_virt *v, const char *emulator,
                    const char *machine, const char *kernel,
                    uint64_t timeout_us, char *note, size_t note_len,
                    double *probe_s, struct vmb_error **err)
{
    *probe_s = 0;
    if (vmb_virt_is_local(v) && access("/dev/kvm", F_OK) != 0) {
        snprintf(note, note_len, "this host has no /dev/kvm");
        return 0;
    }
    char dir[] = "/tmp/vmb-kvm-probe-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return vmb_error_sys(err, "kvm probe: create a temporary directory");
    /* QEMU may run unprivileged and must reach the console file. */
    chmod(dir, 0755);
    autofree char *console = vmb_xasprintf("%s/console.log", dir);
    autofree char *name = vmb_xasprintf("vmb-kvm-probe-%d", (int)getpid());

    struct vmb_domain_spec spec = {
        .name = name,
        .kvm = true,
        .emulator = emulator,
        .machine = machine,
        .vcpus = 1,
        .memory_mib = 256,
        .kernel = kernel,
        /* No initrd: the kernel panics at once after its banner. */
        .cmdline = "console=ttyS0 loglevel=6 panic=-1",
        .console_log = console,
    };
    autofree char *xml = vmb_virt_domain_xml(&spec);
    struct vmb_virt_domain *d = NULL;
    uint64_t t0 = vmb_now_ns();
    struct vmb_error *start_err = NULL;
    if (vmb_virt_domain_start(v, xml, &d, &start_err) < 0) {
        /*
         * A KVM guest that cannot even start (QEMU aborts on nested hosts,
         * libvirt offers no kvm type) is a verdict, not a failed probe.
         */
        vmb_rm_rf(dir, NULL);
        const char *msg = start_err->msg;
        const char *colon = strstr(msg, "\": ");
        msg = colon ? colon + 3 : msg;
        snprintf(note, note_len, "a KVM probe guest did not start (%.*s)",
                 (int)strcspn(msg, "\n"), msg);
        vmb_error_free(start_err);
        *probe_s = (double)(vmb_now_ns() - t0) / 1e9;
        return 0;
    }
    bool ok = false;
    while (vmb_now_ns() - t0 < timeout_us * 1000ULL) {
        if (console_has_banner(console)) {
            ok = true;
            break;
        }
        if (vmb_interrupted)
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    *probe_s = (double)(vmb_now_ns() - t0) / 1e9;
    vmb_virt_domain_destroy(d, NULL);
    vmb_rm_rf(dir, NULL);
    if (vmb_interrupted)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "kvm probe: interrupted");
    if (ok)
        snprintf(note, note_len,
                 "a KVM probe guest printed its first line in %.2fs", *probe_s);
    else
        snprintf(note, note_len,
                 "/dev/kvm exists but a KVM probe guest printed nothing in "
                 "%.0fs (nested virtualisation?)",
                 (double)timeout_us / 1e6);
    return ok ? 1 : 0;
}

int
vmb_accel_resolve(struct vmb_virt *v, int requested, const char *emulator,
                  const char *machine, const char *kernel,
                  struct vmb_accel_result *out, struct vmb_error **err)
{
    memset(out, 0, sizeof(*out));
    out->requested = requested;
    if (requested == VMB_ACCEL_TCG) {
        out->used = VMB_ACCEL_TCG;
        snprintf(out->note, sizeof(out->note),
                 "TCG as requested (hypervisor.accel: tcg)");
        return 0;
    }
    char why[400];
    int ok = vmb_accel_probe_kvm(v, emulator, machine, kernel,
                                 VMB_ACCEL_PROBE_TIMEOUT_US, why, sizeof(why),
                                 &out->probe_s, err);
    if (ok < 0)
        return -1;
    if (ok) {
        out->used = VMB_ACCEL_KVM;
        snprintf(out->note, sizeof(out->note), "KVM: %s", why);
        return 0;
    }
    if (requested == VMB_ACCEL_KVM)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "hypervisor.accel is \"kvm\" but KVM does not "
                             "work here: %s; use accel: auto or tcg",
                             why);
    out->used = VMB_ACCEL_TCG;
    out->fallback = true;
    snprintf(out->note, sizeof(out->note),
             "falling back to TCG: %s; TCG numbers compare settings with "
             "each other, not with production",
             why);
    return 0;
}

void
vmb_accel_to_json(struct vmb_jw *w, const struct vmb_accel_result *r)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, "requested", vmb_accel_name(r->requested));
    vmb_jw_kstr(w, "used", vmb_accel_name(r->used));
    vmb_jw_kbool(w, "fallback", r->fallback);
    vmb_jw_kdouble(w, "probe_s", r->probe_s);
    vmb_jw_kstr(w, "note", r->note);
    vmb_jw_obj_end(w);
}
