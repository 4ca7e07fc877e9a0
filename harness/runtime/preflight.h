/*
 * The preflight: what each selected cell of a matrix needs from this
 * host, checked before anything starts (`vmbench plan` prints it, `run`
 * and `tune` refuse with exit 2 before any VM, process or result file
 * exists).
 *
 * The needs are a table (vmb_preflight_needs): each entry says which
 * cells need it and probes the host for one cell, from facts about the
 * host read once per check. A shortfall comes with its fix; the same
 * shortfall of several cells is one finding listing them. A need that is
 * met another way the user chose (network.vhost_fallback) gives a note
 * instead, printed once for the session.
 *
 * A new need is one more entry in the table (and, when it reads the host,
 * one more fact in struct vmb_preflight_facts).
 */
#ifndef VMB_PREFLIGHT_H
#define VMB_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "config/matrix.h"
#include "vm/kernel.h"

/* Where the host is: tests point root at a fake tree. */
struct vmb_preflight_host {
    const char *root; /* prefix of every host path; NULL or "": this host */
    const char *path; /* PATH to look programs up in; NULL: the environment's */
};

#define VMB_PREFLIGHT_MAX_PROGRAMS 8
#define VMB_PREFLIGHT_MAX_ENGINES 4
#define VMB_PREFLIGHT_NMODULES 6
#define VMB_PREFLIGHT_MAX_KERNELS 4

/* A guest kernel the checked cells name, read once (vm/kernel.h). */
struct vmb_preflight_kernel {
    char setting[256]; /* guest.kernel as the cells say it */
    char path[256];    /* the file it names; "" when "auto" finds none */
    char error[512];   /* why it cannot be read; "" when it was */
    struct vmb_kernel_info info;
};

#define VMB_PREFLIGHT_MAX_REMOTES 8

/* What the needs know of the host, read once per check. */
struct vmb_preflight_facts {
    bool vhost_net;        /* /dev/vhost-net is readable and writable */
    bool vhost_vsock;      /* /dev/vhost-vsock is readable and writable */
    int cpus;              /* CPUs this process may run on */
    bool have_meminfo;     /* /proc/meminfo was read */
    uint64_t avail_mib;    /* MemAvailable */
    uint64_t hp_free;      /* free default-size huge pages */
    uint64_t hp_total;     /* reserved default-size huge pages */
    uint64_t hp_size_kib;  /* the default huge page size */
    const char *virtiofsd; /* its path, NULL when none is installed */
    bool tc;               /* the tc program libvirt shapes traffic with */
    /* Per enum vmb_entropy: the device exists and can be read. */
    bool entropy[3];
    /* Per tc module (vmb_preflight_tc_modules): known to be missing
     * (neither loaded, built in nor installed for the running kernel).
     * False when the host does not say (no modules directory). */
    bool module_missing[VMB_PREFLIGHT_NMODULES];
    /* What the guest image is made of that this host lacks (programs,
     * Debian packages, files), quoted and comma-separated; "" when none. */
    char image_missing[512];
    /* The same for the image of each tool driver of vmb_db_drivers[]
     * (fio's own image); "" for a server's driver. */
    char tool_image_missing[VMB_PREFLIGHT_MAX_ENGINES][256];
    /* The guest kernels of the cells checked (vmb_preflight_check reads
     * them; facts_read alone leaves none). */
    struct vmb_preflight_kernel kernels[VMB_PREFLIGHT_MAX_KERNELS];
    size_t nkernels;
    /* Per driver of vmb_db_drivers[] and its host_programs[]: found. */
    bool program[VMB_PREFLIGHT_MAX_ENGINES][VMB_PREFLIGHT_MAX_PROGRAMS];
    /* Per host setting (runtime/hostset.h's table): its file exists,
     * and this process may write it. */
    bool knob_exists[4];
    bool knob_writable[4];
    /* The container root over the shared filesystem is an overlay mount
     * on the host: the kernel lacks overlayfs (not registered, loaded,
     * nor installed as a module), or this process may not mount
     * (CapEff without CAP_SYS_ADMIN). False where the host does not say. */
    bool overlay_missing;
    bool mount_denied;
    char root[256];
    /* The other hosts the checked cells name (hosts.control_node2), each
     * reached once per engine by vmb_preflight_check; and their libvirt
     * hosts (hosts.vm_node2, engine -1), each reached once. */
    struct vmb_preflight_remote {
        char dest[320];
        int engine;
        char error[512];    /* why it cannot be reached; "" when it was */
        char missing[256];  /* the engine's programs it lacks; "" */
        char lack_fix[256]; /* a libvirt host's fix of missing */
        /* a libvirt host's online CPUs and free 2 MiB pages; -1: unread */
        int cpus;
        int64_t free_2m;
        /* a qemu+ssh:// host: whether /dev/vhost-net is there; -1: unread */
        int vhost_net;
    } remotes[VMB_PREFLIGHT_MAX_REMOTES];
    size_t nremotes;
};

enum vmb_preflight_level {
    VMB_PREFLIGHT_NOTE, /* the session runs differently: said once */
    VMB_PREFLIGHT_LACK, /* the cell cannot run here: refused */
};

/* One entry of the table of needs. */
struct vmb_preflight_need {
    const char *name;      /* "vhost-net", "hugepages", ... */
    const char *needed_by; /* which cells, in words */
    bool (*applies)(const struct vmb_cell *c);
    /*
     * Whether the host meets the need for c: 0 when it does, else the
     * level, with *detail (one sentence, malloc'd) and, for a lack, *fix
     * (malloc'd).
     */
    int (*probe)(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
                 char **detail, char **fix);
};

extern const struct vmb_preflight_need vmb_preflight_needs[];
extern const size_t vmb_preflight_nneeds;
/* The kernel modules libvirt's bandwidth limits use (tc qdiscs, filters). */
extern const char *const vmb_preflight_tc_modules[VMB_PREFLIGHT_NMODULES];

struct vmb_preflight_finding {
    const char *need; /* the need's name (static) */
    int level;        /* enum vmb_preflight_level */
    char *detail;
    char *fix; /* NULL for a note */
    /* The cells it concerns, borrowed from the matrix checked. */
    const struct vmb_cell **cells;
    size_t ncells;
};

struct vmb_preflight {
    struct vmb_preflight_finding *findings;
    size_t n;
    size_t nlacking;      /* findings that refuse */
    size_t cells_lacking; /* distinct cells with a lack */
    size_t cells_checked;
    /* The channel the agents of VM cells with agent_transport auto get
     * here ("vsock", "virtio-serial"; vm/vsock.h), and why not vsock
     * (NULL when vsock); static strings, both NULL when no such cell
     * was checked. */
    const char *agent_transport, *agent_transport_why;
};

/* Reads the facts of the host under h (NULL: this host). */
void vmb_preflight_facts_read(const struct vmb_preflight_host *h,
                              struct vmb_preflight_facts *f);

/*
 * Checks every cell and control of m that want accepts (NULL: all) on
 * the host under h (NULL: this host). Never fails; the result borrows
 * m's cells, so m must outlive it.
 */
struct vmb_preflight *vmb_preflight_check(
    const struct vmb_preflight_host *h, const struct vmb_matrix *m,
    bool (*want)(void *ctx, const struct vmb_cell *c), void *ctx);
void vmb_preflight_free(struct vmb_preflight *p);

/* The notes, one line each ("vmbench: note: ..."). */
void vmb_preflight_print_notes(FILE *f, const struct vmb_preflight *p);

/* The agents' channel of auto cells, one line; nothing without one. */
void vmb_preflight_print_transport(FILE *f, const struct vmb_preflight *p);

/* Every shortfall with its cells and fix; nothing when there is none. */
void vmb_preflight_print_lacks(FILE *f, const struct vmb_preflight *p);

/*
 * {"ok": bool, "cells_checked": n, "findings": [{"need", "level":
 * "lack"|"note", "detail", "fix", "cells": [ids]}], and, with a VM cell
 * whose agent_transport is auto, "agent_transport": {"auto": "vsock" |
 * "virtio-serial", "why": null | "..."}}
 */
void vmb_preflight_to_json(struct vmb_jw *w, const struct vmb_preflight *p);

/*
 * Reads the guest kernel setting names (under f->root) into f->kernels,
 * unless it is there already or the table is full. Never fails: what
 * goes wrong is the entry's error.
 */
void vmb_preflight_kernel_read(struct vmb_preflight_facts *f,
                               const char *setting);

/*
 * The drivers cell c needs in its guest kernel (vm/kernel.h), true in
 * need[VMB_KDRV_N]: the five every VM needs, and those its placement,
 * block driver and agent transport add.
 */
void vmb_preflight_kernel_drivers(const struct vmb_cell *c, bool *need);

/* Whether cell c's guest kernel has driver drv (enum vmb_kdrv), built
 * in or as modules; false where it was not read or could not be. */
bool vmb_preflight_kernel_has(const struct vmb_preflight_facts *h,
                              const struct vmb_cell *c, int drv);

/* The guest-kernel need's probe (vmb_preflight_needs[]). */
int vmb_preflight_kernel_probe(const struct vmb_preflight_facts *h,
                               const struct vmb_cell *c, char **detail,
                               char **fix);

/*
 * Reaches each other host that the cells of m which want accepts name,
 * once per engine, into f->remotes (runtime/preflight_remote.c).
 */
void vmb_preflight_remotes_read(
    struct vmb_preflight_facts *f, const struct vmb_matrix *m,
    bool (*want)(void *ctx, const struct vmb_cell *c), void *ctx);
/* The need of a cell with a node on another host. */
bool vmb_preflight_remote_applies(const struct vmb_cell *c);
int vmb_preflight_remote_probe(const struct vmb_preflight_facts *h,
                               const struct vmb_cell *c, char **detail,
                               char **fix);
/* The needs of a VM cell whose node 2 runs on another libvirt host: the
 * host ready, a route here to node 2's subnet there. */
bool vmb_preflight_vm_remote_applies(const struct vmb_cell *c);
int vmb_preflight_vm_remote_probe(const struct vmb_preflight_facts *h,
                                  const struct vmb_cell *c, char **detail,
                                  char **fix);
int vmb_preflight_vm_route_probe(const struct vmb_preflight_facts *h,
                                 const struct vmb_cell *c, char **detail,
                                 char **fix);
/* A VM cell whose node 2 on another host shares over virtio-fs: ssh
 * reaches that host, which has tar and a virtiofsd for libvirt to start
 * (preflight_remote.c). */
bool vmb_preflight_vm_share_applies(const struct vmb_cell *c);
int vmb_preflight_vm_share_probe(const struct vmb_preflight_facts *h,
                                 const struct vmb_cell *c, char **detail,
                                 char **fix);
/* A VM cell whose node 2 on another host has its NIC on vhost-net: that
 * host has /dev/vhost-net (asked over ssh for a qemu+ssh:// host; a note
 * where it cannot be asked). */
bool vmb_preflight_vm_vhost_applies(const struct vmb_cell *c);
int vmb_preflight_vm_vhost_probe(const struct vmb_preflight_facts *h,
                                 const struct vmb_cell *c, char **detail,
                                 char **fix);

/* The CPUs this process may run on (sched_getaffinity), at least 1. */
int vmb_preflight_host_cpus(void);

/* The CPUs a run of c pins: tenants x nodes (vmb_config_nodes) x vCPUs. */
int64_t vmb_preflight_cpus_needed(const struct vmb_cell *c);

/* Fails (VMB_ERR_INPUT) when p has a shortfall, saying how many cells. */
int vmb_preflight_refuse(const struct vmb_preflight *p, struct vmb_error **err);

#endif
