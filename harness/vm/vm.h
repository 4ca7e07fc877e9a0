/*
 * The container VMs of one run of a cell (two, node 1 and node 2; one,
 * node 1, for a one-node engine: vmb_config_nodes): their disks and shared
 * directories, the run's host-only network, both domains, the agent
 * connections, boot stages, resource figures and artefacts.
 *
 * vmb_vm_cell_start does, in order: check the cell (vmb_vm_cell_check),
 * create the work files (root overlays, data volumes or shared data
 * directories), the network, start both domains, wait for both agents'
 * hello, and verify through the agents' facts that each VM has the vCPUs
 * and memory the cell asks for and that its data directory lives where the
 * cell says; a VM that differs makes the start fail. Teardown runs in the
 * reverse order. SIGINT (vmb_interrupted) during the start stops it with
 * an error after a clean teardown.
 *
 * Names: domains "vmb-<tag>-1" and "-2", network "vmb-<tag>"; node i has
 * the subnet's host address i + 1 (the bridge has the first).
 */
#ifndef VMB_VM_H
#define VMB_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/note.h"
#include "config/config.h"
#include "vm/virt.h"

struct vmb_agent; /* agent.h */

/* Seconds from each VM's domain start call; < 0 when not reached. */
struct vmb_vm_boot {
    double domain_start_s; /* the start call returned: QEMU runs */
    double kernel_s;       /* first console output */
    double agent_s;        /* agent hello received */
    double mounts_s;       /* agent's mounts done (from its milestones) */
};

struct vmb_vm_node {
    char *name;         /* "node1" */
    char *domain;       /* libvirt domain name */
    char ip[16];        /* guest address */
    char *console_log;  /* host path, written by libvirt */
    char *agent_sock;   /* host path of the agent channel */
    uint32_t vsock_cid; /* the agent's vsock CID (params' agent_vsock),
                           read from the live XML; 0 when on agent_sock */
    char *root_disk;    /* qcow2 overlay; NULL when the cell has none */
    char *data_disk;    /* virtio-blk data volume; NULL unless virtio-blk */
    char *share_dir;    /* host directory shared as "vmbdata" (9p,
                           virtio-fs): the data directory's and the
                           container root's; NULL when none */
    char *data_dir;     /* host directory of the data directory when it is
                           on the shared filesystem; NULL otherwise */
    char *snapshot;     /* the container root's upper layer (rootfs.h);
                           NULL when the root is a disk */
    char *rootfs_pid;   /* the pid file of its mount; NULL likewise */
    struct vmb_agent *agent; /* connected agent; owned by the cell */
    struct vmb_vm_boot boot;
    /* Data directory as the agent reports it. */
    char *guest_data_path, *guest_data_fstype, *guest_data_source;
};

struct vmb_vm_params {
    const struct vmb_config *cfg; /* the cell's effective config */
    const char *work_dir;         /* exists; the run's VM files (workdir.h) */
    const char *tag;              /* short, unique per run: names */
    bool kvm;                     /* resolved accel (accel.h) */
    const char *kernel;           /* resolved guest kernel path */
    const char *initrd;           /* the agent's initramfs */
    const char *base_image;       /* container root base image (qcow2) */
    const char *base_tree;        /* its staged tree: the container root
                                     over the shared filesystem */
    bool keep_volumes;            /* leave overlays and volumes on teardown */
    /* Which tenant of the run (0-based): its network is the tenant-th
     * subnet of network.subnet's size after it (vmb_subnet_nth). */
    uint32_t tenant;
    const struct vmb_notes *notes; /* for notes to the user; NULL: stderr */
    /* The agent's channel is vsock (vm/vsock.h chose it), not the
     * virtio-serial port. */
    bool agent_vsock;
    /* Node 2 on another host with a virtio-fs share: the directory there
     * that it exports (rootfs/ and data/ in it, as node 1's share here),
     * made by the caller, which removes it after the cell is torn down;
     * libvirt there starts its virtiofsd. NULL otherwise. */
    const char *node2_share;
};

struct vmb_vm_cell;

/*
 * Checks what can be checked before anything starts, each failure a
 * VMB_ERR_INPUT naming the option: the kernel and initrd exist, the
 * emulator exists and is executable, vCPUs fit the host's CPUs, the subnet
 * parses and collides with no route, aio native only with cache none or
 * directsync. vmb_vm_cell_start checks next, with QEMU's user as libvirt
 * reports it, that this user can reach the work directory, the kernel,
 * the initramfs and the image.
 */
int vmb_vm_cell_check(const struct vmb_vm_params *p, struct vmb_error **err);

/* Boots the VMs (see top). On failure everything started is torn down. */
int vmb_vm_cell_start(struct vmb_virt *v, const struct vmb_vm_params *p,
                      struct vmb_vm_cell **out, struct vmb_error **err);

/*
 * Where node i (0 or 1) runs: uri "" for this host's libvirt, else node
 * 2's host (hosts.vm_node2), with that host's name and its libvirt's and
 * QEMU's versions (NULL where unknown). Filled for both nodes only when
 * node 2 runs on another host; returns false (nothing filled) otherwise.
 * Strings are owned by the cell.
 */
struct vmb_vm_host {
    const char *uri, *hostname, *libvirt, *qemu;
};
bool vmb_vm_cell_host(const struct vmb_vm_cell *c, int i,
                      struct vmb_vm_host *out);

/* How many VMs the cell has: 2, or 1 (node 2 is then never started). */
int vmb_vm_cell_nodes(const struct vmb_vm_cell *c);
/* Node 0 or 1. Owned by the cell. */
struct vmb_vm_node *vmb_vm_cell_node(struct vmb_vm_cell *c, int i);
/* The libvirt domain of node i, for stats; owned by the cell. */
struct vmb_virt_domain *vmb_vm_cell_domain(struct vmb_vm_cell *c, int i);
/* The pid of node i's virtiofsd (vm/virtiofsd.h), -1 when it has none. */
int vmb_vm_cell_virtiofsd_pid(struct vmb_vm_cell *c, int i);

/* Samples resource counters at the start and end of the window. */
void vmb_vm_cell_window_begin(struct vmb_vm_cell *c);
void vmb_vm_cell_window_end(struct vmb_vm_cell *c);

/* Node i's (0 or 1) resource counters over the window into *d; false
 * when no window was measured. */
bool vmb_vm_cell_window(const struct vmb_vm_cell *c, int i,
                        struct vmb_virt_stats *d);

/*
 * Writes "node1": {...}, "node2": {...} members (boot stages) into the
 * caller's open "boot" object; and likewise the resource figures of the
 * window into an open "resources" object.
 */
void vmb_vm_cell_boot_json(struct vmb_vm_cell *c, struct vmb_jw *w);
void vmb_vm_node_boot_members(const struct vmb_vm_node *n, struct vmb_jw *w);
void vmb_vm_cell_resources_json(struct vmb_vm_cell *c, struct vmb_jw *w);

/*
 * Writes node<i>.xml (live domain XML), node<i>.qemu.cmdline,
 * node<i>.virtiofsd.cmdline (virtio-fs only) and node<i>.console.log into
 * dir, atomically. Before teardown only.
 */
int vmb_vm_cell_save(struct vmb_vm_cell *c, const char *dir,
                     struct vmb_error **err);

/*
 * Tears down in reverse order: agents, domains, network, then the work
 * files unless keep_volumes. Returns the first error; always frees c.
 * *took_s (may be NULL) gets the time it took.
 */
int vmb_vm_cell_teardown(struct vmb_vm_cell *c, double *took_s,
                         struct vmb_error **err);

/* NULL-safe teardown that ignores errors. */
void vmb_vm_cell_free(struct vmb_vm_cell *c);

/*
 * The host's 2 MiB huge pages: free and reserved in all, read from
 * meminfo (vmb_hugepages_info: /proc/meminfo). Fails when the default
 * huge page size is not 2 MiB.
 */
int vmb_hugepages_info(uint64_t *free_pages, uint64_t *total_pages,
                       struct vmb_error **err);
int vmb_hugepages_info_at(const char *meminfo, uint64_t *free_pages,
                          uint64_t *total_pages, struct vmb_error **err);

/*
 * The QEMU command line node 1 of a cell of cfg would run, as libvirt on
 * connection v renders it from the domain XML (vmb_virt_xml_to_argv),
 * nothing started; kvm chooses the domain type. Paths and the network
 * are placeholders. Fails as the run would where the host cannot give
 * what cfg asks (vmb_vm_kata_prepare), or where libvirt cannot render it.
 */
int vmb_vm_render_argv(struct vmb_virt *v, const struct vmb_config *cfg,
                       bool kvm, char **out, struct vmb_error **err);

/* The kernel parameters Kata's runtime adds for QEMU on x86_64, in its
 * order (kata-containers src/runtime/virtcontainers/qemu_amd64.go). */
#define VMB_VM_KATA_KERNEL_PARAMS                                              \
    "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 "     \
    "i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k "      \
    "cryptomgr.notests net.ifnames=0 pci=lastbus=0"

/* What Kata's runtime adds for every QEMU guest besides: no SCSI scan at
 * boot. Kata's agent scans each volume's address itself (scan_scsi_bus),
 * and vmbench's scans for its data disk. */
#define VMB_VM_KATA_SCSI_PARAM "scsi_mod.scan=none"

/* The kernel command line of a node of a cell: its address, its default
 * route's gateway (NULL: none), its name, its agent on vsock or on
 * virtio-serial. Caller frees. */
char *vmb_vm_cmdline(const struct vmb_config *cfg, const char *ip_cidr,
                     const char *gw, const char *node_name, bool agent_vsock);

#endif
