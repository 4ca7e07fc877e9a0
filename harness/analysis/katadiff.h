/*
 * A vmbench cell's QEMU command line held against a real Kata sandbox's,
 * aspect by aspect (machine, CPU and memory shape, timekeeping, each
 * class of device, each kernel parameter), with what is only naming left
 * out: ids, bus addresses, socket paths, fds, libvirt's versioned machine
 * names, a memfd backend vs a /dev/shm file backend with share=on, PCI
 * bridges vs root ports. No output formatting here (report/katadiff_out.c).
 */
#ifndef VMB_KATADIFF_H
#define VMB_KATADIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/qcmd.h"

enum vmb_kdiff_status {
    VMB_KDIFF_MATCH,
    VMB_KDIFF_DIFFERS,
    VMB_KDIFF_ONLY_KATA,
    VMB_KDIFF_ONLY_CELL,
    /* The Kata line is cut off (it lacks options every Kata line has)
     * and does not show this aspect: neither a match nor a difference. */
    VMB_KDIFF_NOT_SHOWN,
};

struct vmb_kdiff_item {
    char *aspect; /* "machine type", "device vhost-user-fs", "kernel tsc" */
    enum vmb_kdiff_status status;
    char *kata;       /* the Kata side's value; NULL when it has none */
    char *cell;       /* the cell's value; NULL when it has none */
    const char *knob; /* the Kata knob responsible, or NULL */
    bool performance; /* whether a difference here can change performance */
    const char *note; /* why it is (or is not) performance-relevant */
};

struct vmb_kdiff {
    struct vmb_kdiff_item *items;
    size_t n;
    /* The options every Kata command line has (-smp, -rtc, -append) that
     * the Kata side lacks, "-smp, -append"; NULL when it has them all. */
    char *kata_missing;
};

/* Compares; *out owns the items (vmb_kdiff_free). Never fails. */
void vmb_kdiff_compare(const struct vmb_qcmd *kata, const struct vmb_qcmd *cell,
                       struct vmb_kdiff *out);

/* How many items differ (or sit on one side only) and can change
 * performance. */
size_t vmb_kdiff_performance_differences(const struct vmb_kdiff *d);

const char *vmb_kdiff_status_name(enum vmb_kdiff_status s);

void vmb_kdiff_free(struct vmb_kdiff *d);

#endif
