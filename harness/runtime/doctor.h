/*
 * Host checks (`vmbench doctor`): can this host run VMs through libvirt,
 * does KVM really work, and is it tuned for repeatable numbers. Each check
 * is ok, warn or fail with one line of detail and, when not ok, a one-line
 * fix. `vmbench run` records the same list in run.json.
 */
#ifndef VMB_DOCTOR_H
#define VMB_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/jsonw.h"
#include "vm/accel.h"

enum vmb_doctor_status { VMB_DOCTOR_OK, VMB_DOCTOR_WARN, VMB_DOCTOR_FAIL };

struct vmb_doctor_check {
    const char *check; /* "libvirt", "kvm", "thp", ... (static) */
    int status;        /* enum vmb_doctor_status */
    char *detail;      /* owned */
    char *fix;         /* owned; NULL when ok */
};

struct vmb_doctor_opts {
    const char *connect;     /* libvirt URI */
    const char *emulator;    /* QEMU binary */
    const char *machine;     /* machine type for the KVM probe */
    const char *kernel;      /* guest kernel; NULL or "auto": newest */
    const char *results_dir; /* where results go (may not exist yet) */
    bool probe_kvm;          /* boot a probe guest (seconds) */
};

struct vmb_doctor_report {
    struct vmb_doctor_check *checks;
    size_t n;
    bool kvm_ok; /* the KVM verdict, also when not probed (false) */
    /* A libvirt host's online CPUs and free 2 MiB huge pages, as its
     * libvirt reports them ("host"); -1 where not read */
    int host_cpus;
    int64_t host_free_2m;
};

/* Runs every check; never fails (a check that cannot run says so). */
struct vmb_doctor_report *vmb_doctor_run(const struct vmb_doctor_opts *o);

/*
 * The checks of another host a cell names (`vmbench doctor --host`,
 * docs/remote.md): reached over ssh within connect_timeout_us with a
 * known host key ("ssh", failing otherwise), each engine's programs
 * there (a warning for each engine that lacks some) and taskset, which
 * pins a control node there.
 */
struct vmb_doctor_report *vmb_doctor_run_host(const char *dest,
                                              uint64_t connect_timeout_us);
/*
 * The checks of a libvirt host (a URI that is not ssh://): its libvirtd
 * answers within connect_timeout_us ("libvirt"; libvirt has no connect
 * deadline of its own, so the check runs in a child process killed at
 * the deadline, with any ssh it started), emulator runs there for
 * machine ("emulator"), its CPUs and free huge pages ("host"), and an
 * upload to a storage pool there ("upload").
 */
struct vmb_doctor_report *
vmb_doctor_run_libvirt_host(const char *uri, const char *emulator,
                            const char *machine, uint64_t connect_timeout_us);
void vmb_doctor_report_free(struct vmb_doctor_report *r);

/* Worst status of the report. */
int vmb_doctor_worst(const struct vmb_doctor_report *r);

/* Prints one aligned line per check (and its fix) to f. */
void vmb_doctor_print(FILE *f, const struct vmb_doctor_report *r);

const char *vmb_doctor_status_name(int status);

#endif
