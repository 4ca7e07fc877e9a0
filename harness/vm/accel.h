/*
 * Which accelerator the VMs of a run use. `/dev/kvm` can exist and still
 * hang every guest (nested virtualisation), so KVM is proven by booting a
 * probe guest that must print the kernel's first console line within a
 * short timeout. The verdict and its reason are recorded for provenance.
 */
#ifndef VMB_ACCEL_H
#define VMB_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "vm/virt.h"

/* How long a KVM probe guest may take to print its first line. */
#define VMB_ACCEL_PROBE_TIMEOUT_US 6000000ULL

struct vmb_accel_result {
    int requested;  /* enum vmb_accel */
    int used;       /* VMB_ACCEL_KVM or VMB_ACCEL_TCG */
    bool fallback;  /* auto fell back to TCG: say so loudly */
    double probe_s; /* time the probe took; 0 when none ran */
    char note[512]; /* one sentence: why this accelerator */
};

/*
 * Proves KVM: boots `kernel` (no initrd) in a transient KVM domain on v
 * and waits up to timeout_us for its first console line. Returns 1 when
 * KVM works, 0 when it does not (reason in note), -1 with *err when the
 * probe itself could not run (libvirt refused, no temp dir).
 */
int vmb_accel_probe_kvm(struct vmb_virt *v, const char *emulator,
                        const char *machine, const char *kernel,
                        uint64_t timeout_us, char *note, size_t note_len,
                        double *probe_s, struct vmb_error **err);

/*
 * Resolves hypervisor.accel: tcg as asked; kvm only when the probe proves
 * it (a clear error otherwise); auto probes and falls back to TCG with
 * fallback set. kernel is the resolved guest kernel path.
 */
int vmb_accel_resolve(struct vmb_virt *v, int requested, const char *emulator,
                      const char *machine, const char *kernel,
                      struct vmb_accel_result *out, struct vmb_error **err);

/* {"requested": "auto", "used": "tcg", "note": "..."} for run.json. */
void vmb_accel_to_json(struct vmb_jw *w, const struct vmb_accel_result *r);

#endif
