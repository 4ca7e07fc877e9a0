/*
 * libvirt, behind one module: connection, the run's host-only network,
 * domain XML, transient domains and their stats. No other file includes
 * libvirt; its errors become ours here (its default printer is silenced).
 *
 * Lifetime rules:
 * - Domains are transient and started with auto-destroy: they die with the
 *   connection, so a vmbench killed with SIGKILL leaves no VM running.
 * - Networks cannot auto-destroy; the first vmb_virt_open() of a process
 *   forks a small guard process (before any libvirt call) that destroys
 *   whatever networks, domains, helper processes and work directories
 *   this process still has registered when the process dies without
 *   removing them.
 * - A vmb_virt_domain destroys its domain when freed unless released; a
 *   vmb_virt_net destroys its network when freed.
 */
#ifndef VMB_VIRT_H
#define VMB_VIRT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "config/virtiofsd_args.h"

struct vmb_virt;        /* a libvirt connection */
struct vmb_virt_net;    /* a transient network of this connection */
struct vmb_virt_domain; /* a running transient domain */

/*
 * Opens a connection to uri ("qemu:///system"). Fails with a message that
 * says how to start libvirtd when it cannot be reached. Free with
 * vmb_virt_close (NULL-safe), after every network and domain of it.
 */
int vmb_virt_open(const char *uri, struct vmb_virt **out,
                  struct vmb_error **err);
void vmb_virt_close(struct vmb_virt *v);

/*
 * Whether the host behind v can run emulator (its QEMU binary) for
 * machine: libvirt's domain capabilities of it, which it reads on that
 * host. Fails with libvirt's message when it cannot.
 */
int vmb_virt_emulator_check(struct vmb_virt *v, const char *emulator,
                            const char *machine, struct vmb_error **err);

/*
 * Registers (add) or forgets a directory of a run's VM files with the
 * guard process, which removes it if this process dies first. Paths
 * without newlines or tabs; a no-op before the first vmb_virt_open().
 */
void vmb_virt_guard_dir(bool add, const char *path);

/*
 * Registers (add) or forgets a helper process of a run's VMs (a
 * virtiofsd), pid started at start (base/proc.h), with the guard
 * process, which stops it (base/proc.h's vmb_proc_stop) after the
 * domains and before the networks if this process dies first.
 */
void vmb_virt_guard_process(bool add, pid_t pid, unsigned long long start);

/* The URI the connection really uses. Owned by v. */
const char *vmb_virt_uri(const struct vmb_virt *v);

/* True when the connection goes to this host (no remote transport). */
bool vmb_virt_is_local(const struct vmb_virt *v);

/* "9.0.0" and "7.2.22"; caller frees. Fails when libvirt cannot say. */
int vmb_virt_versions(struct vmb_virt *v, char **libvirt, char **qemu,
                      struct vmb_error **err);

/*
 * The user and group libvirt runs QEMU as for domains of type kvm (or
 * qemu, for TCG): the base label of its DAC security model in the
 * host's capabilities (virConnectGetCapabilities), "+64055:+64055" for
 * Debian's libvirt-qemu, "+0:+0" where qemu.conf says root. Names in the
 * label are looked up on this host. A driver without the DAC model runs
 * QEMU as the connection's own user: this process's.
 */
int vmb_virt_qemu_owner(struct vmb_virt *v, bool kvm, uid_t *uid, gid_t *gid,
                        struct vmb_error **err);

/*
 * The owner in a capabilities document (vmb_virt_qemu_owner without the
 * connection): 1 when found, 0 when the document has no DAC base label
 * for the type, < 0 when the label has no "USER:GROUP" shape or names
 * someone this host does not know.
 */
int vmb_virt_caps_dac_owner(const char *caps, bool kvm, uid_t *uid, gid_t *gid,
                            struct vmb_error **err);

/* ---- storage pools (virt_pool.c) ---- */

struct vmb_virt_pool; /* a dir pool of vmbench's on the connection's host */

/*
 * The name of this process's pool: "vmbench-<boot>-<pidns>-<pid>-<start>",
 * this host's boot id (its first 8 hex digits), the inode of this pid
 * namespace, the process id and its start time (base/proc.h), by which
 * vmb_virt_pool_sweep knows a dead run.
 */
void vmb_virt_pool_name(char *buf, size_t len);

/*
 * Defines, builds and starts a dir pool `name` whose directory is
 * /var/lib/libvirt/images/<name> on the host of v, removing first a pool
 * of that name that an earlier cell of this process failed to remove.
 * Remove with vmb_virt_pool_remove, before closing v.
 */
int vmb_virt_pool_create(struct vmb_virt *v, const char *name,
                         struct vmb_virt_pool **out, struct vmb_error **err);

/* The pool's directory on its host. Owned by p. */
const char *vmb_virt_pool_dir(const struct vmb_virt_pool *p);

/*
 * Creates volume `name` in the pool, as large as the local file, and
 * fills it over the connection (libvirt's upload: virStorageVolUpload
 * over a stream; a file with holes as a sparse stream, its holes sent as
 * lengths). *path gets the volume's path on the pool's host (caller
 * frees). On failure the volume is deleted.
 */
int vmb_virt_pool_upload(struct vmb_virt_pool *p, const char *name,
                         const char *file, char **path, struct vmb_error **err);

/*
 * Creates volume `name` in the pool: a qcow2 image of virtual size bytes
 * over the qcow2 image at backing (a path on the pool's host), made by
 * libvirt there. *path as for vmb_virt_pool_upload.
 */
int vmb_virt_pool_overlay(struct vmb_virt_pool *p, const char *name,
                          const char *backing, uint64_t size, char **path,
                          struct vmb_error **err);

/* Reads the first len bytes of volume `name` back over the connection
 * (virStorageVolDownload). */
int vmb_virt_pool_read(struct vmb_virt_pool *p, const char *name, char *buf,
                       size_t len, struct vmb_error **err);

/*
 * Deletes every volume of the pool, stops it, removes its directory and
 * undefines it; frees p (NULL-safe) even when libvirt refuses a step.
 * Returns the first error.
 */
int vmb_virt_pool_remove(struct vmb_virt_pool *p, struct vmb_error **err);

/*
 * The cleanup at the next start: removes, as vmb_virt_pool_remove does,
 * every pool on v's host named by vmb_virt_pool_name for a process of
 * this host's current boot and pid namespace that no longer runs. Pools
 * of another boot, pid namespace or host's vmbench are left alone. Returns how
 * many went.
 */
int vmb_virt_pool_sweep(struct vmb_virt *v, struct vmb_error **err);

/* ---- network ---- */

/*
 * An IPv4 subnet parsed from "10.213.0.0/24": network address, prefix.
 * Host byte order.
 */
struct vmb_subnet {
    uint32_t net;
    int prefix;
};

/* Parses a CIDR. Fails (VMB_ERR_INPUT) on anything else, or prefix > 29. */
int vmb_subnet_parse(const char *cidr, struct vmb_subnet *out,
                     struct vmb_error **err);

/*
 * The k-th subnet of s's size after s (k = 0: s itself): a run's tenant k
 * gets its own network there. Fails (VMB_ERR_INPUT) past 255.255.255.255.
 */
int vmb_subnet_nth(const struct vmb_subnet *s, uint32_t k,
                   struct vmb_subnet *out, struct vmb_error **err);

/* The index-th host address (1 = the bridge, 2 = node 1, ...), dotted. */
void vmb_subnet_host(const struct vmb_subnet *s, uint32_t index, char *buf,
                     size_t len);

/*
 * Fails (VMB_ERR_INPUT) when a route of this host's network namespace
 * (/proc/net/route) overlaps the subnet, naming the route's device.
 */
int vmb_subnet_check_free(const struct vmb_subnet *s, struct vmb_error **err);

/* A route of /proc/net/route, addresses in host byte order. */
struct vmb_route {
    char dev[64];
    uint32_t dest, mask;
    unsigned flags;
};

/*
 * The next route of an open /proc/net/route (its header line already
 * read), skipping lines that do not parse: 1 with *out filled, 0 at the
 * end.
 */
int vmb_route_next(FILE *f, struct vmb_route *out);

/*
 * Creates and starts a transient network `name`: a bridge with the first
 * host address of the subnet, no DHCP, no DNS; no forwarding, or with
 * routed the host's routes to and from it (<forward mode='route'/>: a
 * node whose peer is on another host's network). The bridge name is
 * derived from the network name. Free destroys it.
 */
int vmb_virt_net_create(struct vmb_virt *v, const char *name,
                        const struct vmb_subnet *subnet, bool routed,
                        struct vmb_virt_net **out, struct vmb_error **err);
const char *vmb_virt_net_name(const struct vmb_virt_net *n);
/* Destroys the network; errors are reported, the handle is freed anyway. */
int vmb_virt_net_destroy(struct vmb_virt_net *n, struct vmb_error **err);
void vmb_virt_net_free(struct vmb_virt_net *n);

/* ---- domain XML ---- */

enum vmb_virt_fs { VMB_VIRT_FS_NONE, VMB_VIRT_FS_9P, VMB_VIRT_FS_VIRTIOFS };

/* Everything a domain needs; strings are borrowed. */
struct vmb_domain_spec {
    const char *name;
    bool kvm;             /* domain type kvm, else qemu (TCG) */
    const char *emulator; /* QEMU binary path */
    const char *machine;  /* "q35" */
    int vcpus;
    int max_vcpus; /* <vcpu current>: above vcpus, else not written */
    uint64_t memory_mib;
    /* memory hotplug: <maxMemory slots>, with one NUMA cell; 0: none */
    int memory_slots;
    uint64_t max_memory_mib;
    bool hugepages;    /* 2 MiB huge pages back guest memory */
    bool mem_prealloc; /* <allocation mode='immediate'/> */
    /* comma-separated pmu=on|off, NAME=on|off, +NAME, -NAME; NULL: none */
    const char *cpu_features;
    /* 1:1 vCPU pinning: host CPU of vCPU i (vcpus entries), and the
     * cpuset of the emulator threads; NULL: no <cputune> */
    const int *vcpu_pins;
    const char *emulator_cpuset;
    const char *kernel, *initrd, *cmdline;
    const char *console_log;  /* serial console, written by libvirt */
    const char *agent_socket; /* unix socket of the agent channel */
    /* The agent's channel is a vsock device instead (agent_socket is
     * then not used): <vsock> with a CID libvirt assigns. */
    bool agent_vsock;
    /* The serial console is a pseudo-terminal and the agent's
     * virtio-serial channel a unix socket at a path libvirt picks
     * (console_log and agent_socket are then not used; agent_vsock
     * still wins for the agent): no path of ours in the XML, both
     * reached through libvirt's streams (virDomainOpenConsole, which
     * takes a pty only, and virDomainOpenChannel, a unix socket only),
     * also on a host that is not this one. */
    bool chardev_pty;
    /* container root: a qcow2 overlay, serial VMB_AGENT_ROOT_SERIAL;
     * NULL for none */
    const char *root_disk;
    /* data volume, serial VMB_AGENT_DATA_SERIAL; NULL for none */
    const char *data_disk;
    const char *data_format; /* "raw" or "qcow2" */
    int blk_driver;          /* enum vmb_blk_driver, for the data disk */
    const char *blk_cache;   /* libvirt cache mode; NULL: QEMU's default */
    int blk_aio;             /* enum vmb_blk_aio, for the data disk */
    /* IOThread 1 for the data disk (virtio-blk) or its virtio-scsi
     * controller */
    bool data_iothread;
    /* shared data directory, mount tag VMB_AGENT_FS_TAG */
    enum vmb_virt_fs fs;
    const char *fs_dir;
    const char *rng_source; /* virtio-rng's host device; NULL: urandom */
    int fs_queue;           /* virtio-fs queue size */
    /* virtio-fs: the listening socket of vmbench's virtiofsd */
    const char *fs_socket;
    /* virtio-fs whose daemon libvirt starts for fs_dir, as its <binary>
     * says (fs_socket is then not used): a node on another host; NULL:
     * vmbench's own daemon. fs_daemon: its path, NULL for libvirt's. */
    const struct vmb_virtiofsd_libvirt *fs_libvirt;
    const char *fs_daemon;
    const char *network; /* libvirt network name; NULL for no NIC */
    const char *mac;     /* "52:54:00:xx:xx:xx" */
    bool vhost;          /* vhost-net backend, else QEMU's own */
    /* limits in KiB/s as the guest sees them (<bandwidth>); 0: none */
    uint64_t rx_kib_per_s, tx_kib_per_s;
};

/* The domain XML of spec (domain_xml.c). Caller frees. Never fails. */
char *vmb_virt_domain_xml(const struct vmb_domain_spec *spec);

/* Whether every word of a cpu_features list has a shape the domain XML
 * can express (pmu=on|off, NAME=on|off, +NAME, -NAME). */
bool vmb_virt_cpu_features_valid(const char *features);

/* ---- domains ---- */

/*
 * Starts a transient domain from xml with auto-destroy. The call returns
 * once QEMU runs the guest. Free (or vmb_virt_domain_destroy) kills it.
 */
int vmb_virt_domain_start(struct vmb_virt *v, const char *xml,
                          struct vmb_virt_domain **out, struct vmb_error **err);
/*
 * The same with paused: QEMU runs but the guest's CPUs wait for
 * vmb_virt_domain_resume (a console reached over a stream is opened in
 * between, so that nothing the guest prints is lost).
 */
int vmb_virt_domain_start_paused(struct vmb_virt *v, const char *xml,
                                 bool paused, struct vmb_virt_domain **out,
                                 struct vmb_error **err);
int vmb_virt_domain_resume(struct vmb_virt_domain *d, struct vmb_error **err);
const char *vmb_virt_domain_name(const struct vmb_virt_domain *d);

/* Whether the domain still runs (false also when libvirt cannot say). */
bool vmb_virt_domain_running(struct vmb_virt_domain *d);

/*
 * Destroys the domain (hard power-off) and frees the handle. Returns < 0
 * with *err when libvirt refused; the handle is freed anyway.
 */
int vmb_virt_domain_destroy(struct vmb_virt_domain *d, struct vmb_error **err);
/* NULL-safe; destroys the domain if still running. */
void vmb_virt_domain_free(struct vmb_virt_domain *d);

/*
 * The bandwidth limits libvirt applies to the live domain's interface
 * iface (its MAC address or host-side name), in KiB/s as the XML's
 * <bandwidth>: in_kib the inbound average, out_kib the outbound one; 0
 * where none is set.
 */
int vmb_virt_domain_bandwidth(struct vmb_virt_domain *d, const char *iface,
                              uint64_t *in_kib, uint64_t *out_kib,
                              struct vmb_error **err);

/* The live domain XML as libvirt completed it. Caller frees. */
int vmb_virt_domain_live_xml(struct vmb_virt_domain *d, char **out,
                             struct vmb_error **err);

/*
 * The guest CID of the domain's vsock device, as libvirt assigned it
 * (<vsock><cid address='N'/>) in its live XML. Fails when the domain
 * has no vsock device or libvirt gave it no CID above 2.
 */
int vmb_virt_domain_vsock_cid(struct vmb_virt_domain *d, uint32_t *cid,
                              struct vmb_error **err);
/* The same, read from a domain XML document; for tests. */
int vmb_virt_xml_vsock_cid(const char *xml, uint32_t *cid,
                           struct vmb_error **err);

/*
 * The QEMU command line, one argument per line: read from
 * /proc/<pid>/cmdline on a local connection, else libvirt's rendering of
 * the XML. Caller frees.
 */
/*
 * The QEMU command line libvirt would run for a domain XML, without
 * starting it (virConnectDomainXMLToNative, "qemu-argv": shell-quoted,
 * env assignments first); the caller frees *out.
 */
int vmb_virt_xml_to_argv(struct vmb_virt *v, const char *xml, char **out,
                         struct vmb_error **err);

int vmb_virt_domain_qemu_cmdline(struct vmb_virt_domain *d, char **out,
                                 struct vmb_error **err);

/*
 * The host CPUs each vCPU may run on, as libvirt reports them
 * (virDomainGetVcpuPinInfo): out[i] is a bit mask of host CPUs 0..63 for
 * vCPU i, for up to n vCPUs. Returns the number of vCPUs filled.
 */
int vmb_virt_domain_vcpu_pins(struct vmb_virt_domain *d, uint64_t *out, int n,
                              struct vmb_error **err);

/* The name of v's host as its libvirt gives it, control characters as
 * '?'; NULL when libvirt cannot say. Caller frees. */
char *vmb_virt_hostname(struct vmb_virt *v);

/* v's host's online CPUs, which of CPUs 0 to 63 are online (bit i: CPU
 * i; first64 may be NULL), and its free 2 MiB huge pages (all NUMA
 * nodes; 0 where it has none), as its libvirt reports them. */
int vmb_virt_host_cpus(struct vmb_virt *v, int *cpus, uint64_t *first64,
                       int64_t *free_2m, struct vmb_error **err);

/* v's host for provenance: vmb_virt_hostname and vmb_virt_versions, each
 * NULL where libvirt cannot say. Caller frees. */
void vmb_virt_describe(struct vmb_virt *v, char **hostname, char **libvirt,
                       char **qemu);

/* QEMU's process id, or -1 when unknown (remote, or not readable). */
int vmb_virt_domain_pid(struct vmb_virt_domain *d);

/*
 * Cumulative counters of a domain; a measurement window is the difference
 * of two samples (vmb_virt_stats_delta). Times in nanoseconds.
 */
struct vmb_virt_stats {
    uint64_t at_ns;                          /* vmb_now_ns() when sampled */
    uint64_t vcpu_time_ns;                   /* sum over vCPUs */
    uint64_t process_cpu_ns;                 /* QEMU process, all threads */
    uint64_t block_rd_bytes, block_wr_bytes; /* all disks */
    uint64_t block_rd_reqs, block_wr_reqs;
    uint64_t net_rx_bytes, net_tx_bytes; /* all interfaces */
    uint64_t net_rx_packets, net_tx_packets;
    /* Each disk on its own, by target name ("vda", "vdb"); the first
     * VMB_VIRT_MAX_DISKS. */
    struct vmb_virt_disk_stats {
        char name[16];
        uint64_t rd_bytes, wr_bytes, rd_reqs, wr_reqs;
    } disks[4];
    int ndisks;
};
#define VMB_VIRT_MAX_DISKS 4

/* The figures of disk dev ("vdb") in s, or NULL when it has none. */
const struct vmb_virt_disk_stats *
vmb_virt_stats_disk(const struct vmb_virt_stats *s, const char *dev);

int vmb_virt_domain_stats(struct vmb_virt_domain *d, struct vmb_virt_stats *out,
                          struct vmb_error **err);

/* b - a, counter by counter (at_ns becomes the window length). */
void vmb_virt_stats_delta(const struct vmb_virt_stats *a,
                          const struct vmb_virt_stats *b,
                          struct vmb_virt_stats *out);

/* The resources object of result.json for one window. */
void vmb_virt_stats_to_json(struct vmb_jw *w, const struct vmb_virt_stats *d);

#endif
