/*
 * The effective configuration of one cell, and the option tables that
 * describe it (fio/redis style: options as data; base/option.h applies
 * them).
 *
 * One table per section of a matrix file. The `load:` section and the
 * phases are the load generator's own tables (load/load.h); the others
 * live here. The same tables apply YAML (matrix.c), `key=value` words
 * (`vmbench stress`), defaults, range checks, `vmbench options`, and the
 * JSON of a cell's effective config.
 */
#ifndef VMB_CONFIG_H
#define VMB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/option.h"
#include "load/load.h"

/* ---- enums (paired with their names in config.c's choice lists) ---- */

enum vmb_accel { VMB_ACCEL_AUTO, VMB_ACCEL_KVM, VMB_ACCEL_TCG };
/*
 * Where the data directory lives. The first five are what a VM really
 * has (and what the agent is told); SHARED and BLOCK are the placements
 * a user names, resolved with shared_fs and block_device_driver by
 * vmb_config_placement. 9p, virtio-fs and virtio-blk are also accepted as
 * shorthands that fix the sharing or the driver.
 */
enum vmb_storage {
    VMB_STORAGE_9P,
    VMB_STORAGE_VIRTIOFS,
    VMB_STORAGE_VIRTIO_BLK,
    VMB_STORAGE_LOCAL,
    VMB_STORAGE_TMPFS,
    VMB_STORAGE_SHARED,
    VMB_STORAGE_BLOCK,
};
enum vmb_shared_fs { VMB_SHAREDFS_VIRTIOFS, VMB_SHAREDFS_9P };
enum vmb_fs_cache { VMB_FSCACHE_AUTO, VMB_FSCACHE_ALWAYS, VMB_FSCACHE_NEVER };
enum vmb_blk_driver { VMB_BLKDRV_VIRTIO_SCSI, VMB_BLKDRV_VIRTIO_BLK };
enum vmb_blk_aio { VMB_BLKAIO_THREADS, VMB_BLKAIO_NATIVE, VMB_BLKAIO_IO_URING };
enum vmb_engine {
    VMB_ENGINE_REDIS,
    VMB_ENGINE_POSTGRES,
    VMB_ENGINE_FIO,
    VMB_ENGINE_MARIADB,
};
enum vmb_entropy { VMB_ENTROPY_URANDOM, VMB_ENTROPY_RANDOM, VMB_ENTROPY_HWRNG };
/* The agent's channel: AUTO is vsock where the host has /dev/vhost-vsock
 * and the guest kernel vsock (as Kata's), virtio-serial otherwise
 * (vm/vsock.h chooses). */
enum vmb_agent_transport {
    VMB_AGENT_TRANSPORT_AUTO,
    VMB_AGENT_TRANSPORT_VSOCK,
    VMB_AGENT_TRANSPORT_VIRTIO_SERIAL,
};
enum vmb_fsync { VMB_FSYNC_ALWAYS, VMB_FSYNC_EVERYSEC, VMB_FSYNC_NO };
/* The host: section's knobs; KEEP leaves the host's setting alone. */
enum vmb_host_ksm { VMB_HOST_KSM_KEEP, VMB_HOST_KSM_OFF, VMB_HOST_KSM_ON };
enum vmb_host_thp {
    VMB_HOST_THP_KEEP,
    VMB_HOST_THP_ALWAYS,
    VMB_HOST_THP_MADVISE,
    VMB_HOST_THP_NEVER,
};
enum vmb_order {
    VMB_ORDER_INTERLEAVED,
    VMB_ORDER_SEQUENTIAL,
    VMB_ORDER_RANDOM
};

/* ---- sections ---- */

struct vmb_top_opts {
    char *name;
    int64_t repetitions;
    int order;    /* enum vmb_order */
    int64_t seed; /* 0: pick one at plan time and record it */
    /* Run-level, left out of cell ids (VMB_TOP_ID_OPTIONS): */
    bool probe;                 /* probe the raw limits in every run */
    uint64_t probe_duration_us; /* each of the probe's three parts */
    /* Part of cell ids where not 1 (.since): */
    int64_t tenants; /* two-node databases run at once */
};
/* The top-level options that are part of a cell's id (zeroed): those
 * before the probe's, so ids stay what they were. */
#define VMB_TOP_ID_OPTIONS 4

struct vmb_hypervisor_opts {
    char *connect;  /* libvirt URI */
    int accel;      /* enum vmb_accel */
    char *emulator; /* QEMU binary, Kata [hypervisor.qemu] path */
    char *machine;  /* q35 */
};

struct vmb_guest_opts {
    char *kernel;               /* "auto" or a path */
    int64_t vcpus;              /* default_vcpus */
    int64_t maxvcpus;           /* default_maxvcpus; 0: host CPUs */
    uint64_t memory_mib;        /* default_memory */
    int64_t memory_slots;       /* memory_slots */
    uint64_t maxmemory_mib;     /* default_maxmemory; 0: host memory */
    bool hugepages;             /* enable_hugepages */
    bool mem_prealloc;          /* enable_mem_prealloc */
    bool vcpus_pinning;         /* [runtime] enable_vcpus_pinning */
    char *cpu_features;         /* cpu_features: "pmu=off" */
    char *kernel_params;        /* kernel_params, appended */
    bool iothreads;             /* enable_iothreads */
    int storage;                /* enum vmb_storage */
    int shared_fs;              /* enum vmb_shared_fs; shared_fs */
    bool disable_block_device;  /* disable_block_device_use */
    uint64_t msize_9p_bytes;    /* msize_9p */
    int virtio_fs_cache;        /* enum vmb_fs_cache */
    int64_t virtio_fs_queue;    /* virtio_fs_queue_size */
    char *virtio_fs_extra_args; /* virtio_fs_extra_args, words */
    char *virtio_fs_daemon;     /* virtio_fs_daemon; "": vmbench's pick */
    int blk_driver;             /* enum vmb_blk_driver */
    int blk_aio;                /* enum vmb_blk_aio; block_device_aio */
    bool blk_cache_set;         /* block_device_cache_set */
    bool blk_cache_direct;      /* block_device_cache_direct */
    bool blk_cache_noflush;     /* block_device_cache_noflush */
    uint64_t data_size_bytes;   /* block / local data volume size */
    uint64_t boot_timeout_us;
    int entropy_source;  /* enum vmb_entropy; entropy_source */
    int agent_transport; /* enum vmb_agent_transport */
};

struct vmb_network_opts {
    char *subnet;           /* IPv4 CIDR, host-only */
    bool disable_vhost_net; /* disable_vhost_net */
    bool vhost_fallback;    /* run without vhost where the host has none */
    int64_t rx_rate_bits;   /* rx_rate_limiter_max_rate, bits/s; 0: none */
    int64_t tx_rate_bits;   /* tx_rate_limiter_max_rate, bits/s; 0: none */
};

struct vmb_database_opts {
    int engine; /* enum vmb_engine */
    bool appendonly;
    int appendfsync; /* enum vmb_fsync */
    char *save;      /* redis "save" line; "" disables RDB snapshots */
    /* Node 2 synchronous: PostgreSQL's synchronous_standby_names,
     * MariaDB's semi-synchronous replication */
    bool sync_replica;
    /* PostgreSQL settings, passed to the server as written: it checks them */
    char *shared_buffers;
    char *synchronous_commit;
    char *fsync;
    char *full_page_writes;
    char *wal_sync_method;
    char *checkpoint_timeout;
    char *max_wal_size;
    char *wal_compression;
    char *max_connections; /* PostgreSQL and MariaDB */
    /* MariaDB settings, passed to the server as written: it checks them */
    char *innodb_buffer_pool_size;
    char *innodb_flush_log_at_trx_commit;
    char *sync_binlog;
    char *innodb_flush_method;
    char *innodb_doublewrite;
    char *innodb_io_capacity;
    char *innodb_log_file_size;
    char *binlog_format;
    int64_t port;
    uint64_t ready_timeout_us;
};

/* The `fio:` section: options laid over every fio job of the cell
 * (built-in or a user's file), as fio spells them; "" keeps the job's. */
struct vmb_fio_opts {
    char *bs;
    char *iodepth;
    char *direct;
    char *ioengine;
};

struct vmb_control_opts {
    bool baremetal;
    bool match_resources;
};

/* The `host:` section: host-wide settings applied before each run of the
 * cell and restored after it (runtime/hostset.h); the defaults change
 * nothing on the host. */
struct vmb_host_opts {
    int ksm;                   /* enum vmb_host_ksm */
    int64_t ksm_pages_to_scan; /* 0: the host's */
    int64_t ksm_sleep_ms;      /* 0: the host's */
    int thp;                   /* enum vmb_host_thp */
};

/* Where nodes run (docs/remote.md): "" is this host. */
struct vmb_hosts_opts {
    char *control_node2;         /* ssh://[user@]host[:port] */
    char *vm_node2;              /* libvirt URI of a VM cell's node 2 */
    char *vm_node2_subnet;       /* its network there; "": derived */
    uint64_t connect_timeout_us; /* reaching a remote host */
};

struct vmb_config {
    struct vmb_top_opts top;
    struct vmb_hypervisor_opts hypervisor;
    struct vmb_guest_opts guest;
    struct vmb_network_opts network;
    struct vmb_database_opts database;
    struct vmb_load_opts load;
    struct vmb_control_opts control;
    struct vmb_fio_opts fio;
    struct vmb_host_opts host;
    struct vmb_hosts_opts hosts;
    struct vmb_phase *phases;
    size_t nphases;
};

/* A section: its YAML key ("" for the top level) and table. */
struct vmb_section {
    const char *name;
    const struct vmb_option *options;
    size_t noptions;
    size_t offset; /* of the section struct in struct vmb_config */
};

extern const struct vmb_section vmb_sections[];
extern const size_t vmb_nsections;

/* Finds a section by name; NULL if none. */
const struct vmb_section *vmb_section_find(const char *name);

/*
 * Resolves a dotted path ("load.connections", "guest.vcpus"), a Kata alias
 * ("default_vcpus") or a short matrix name ("vcpus", "storage") to its
 * section and option. Returns 0, or -1 when nothing matches.
 */
int vmb_option_resolve(const char *path, const struct vmb_section **sec,
                       const struct vmb_option **opt);

/* A config with every default applied, and one default write+read phase. */
void vmb_config_defaults(struct vmb_config *cfg);
void vmb_config_copy(struct vmb_config *dst, const struct vmb_config *src);
void vmb_config_free(struct vmb_config *cfg);

/*
 * Writes the effective config as a JSON object: one member per section,
 * each option by name with its canonical formatted value, plus "phases".
 * Members are in table order, so the text is canonical.
 */
void vmb_config_to_json(struct vmb_jw *w, const struct vmb_config *cfg);

/*
 * The data placement a VM really gets (one of VMB_STORAGE_9P, _VIRTIOFS,
 * _VIRTIO_BLK, _LOCAL, _TMPFS): "shared" over the cell's shared_fs,
 * "block" on a block device, and "local" over shared_fs too when
 * disable_block_device_use is on, as Kata serves the container root.
 */
int vmb_config_placement(const struct vmb_config *cfg);

/*
 * How many nodes a run of the cell brings up: 2 (node 2 replicates node
 * 1), or 1 for database.engine fio, a tool with no replica.
 */
int vmb_config_nodes(const struct vmb_config *cfg);

/*
 * Where node (1 or 2) of tenant (0-based) stands among every node of a
 * run of the cell, from 0: tenant t's nodes follow the nodes of the
 * tenants before it, vmb_config_nodes each. Pinned cells take the
 * slot-th block of vCPUs' worth of host CPUs.
 */
int vmb_config_node_slot(const struct vmb_config *cfg, int tenant, int node);

/*
 * Whether the container root is served over the cell's shared_fs (a
 * per-VM overlay of the image tree on the host) rather than a block
 * device: disable_block_device_use, except where the data directory has
 * a disk of its own, which makes the cell a block device user in Kata's
 * view (its Kata setting is false then).
 */
bool vmb_config_root_shared(const struct vmb_config *cfg);

/*
 * The shared filesystem a VM of cfg exports a host directory over, for
 * its data directory or its container root: VMB_STORAGE_9P or
 * VMB_STORAGE_VIRTIOFS; -1 when it has none.
 */
int vmb_config_share(const struct vmb_config *cfg);

/* The driver of the block data disk (the virtio-blk shorthand fixes it). */
int vmb_config_blk_driver(const struct vmb_config *cfg);

/* The shared filesystem in use: shared_fs, or the one a shorthand names. */
int vmb_config_shared_fs(const struct vmb_config *cfg);

/*
 * The libvirt cache mode of the block data disk from Kata's three
 * block_device_cache_* flags: NULL (QEMU's default) when cache_set is
 * off; "writeback", "none" (direct), "unsafe" (noflush). Fails
 * (VMB_ERR_INPUT) for direct together with noflush, which libvirt has no
 * mode for.
 */
int vmb_config_blk_cache(const struct vmb_config *cfg, const char **mode,
                         struct vmb_error **err);

/* Whether cfg's host: section changes any host setting. */
bool vmb_config_changes_host(const struct vmb_config *cfg);

/* Names of enum values, for printing. */
const char *vmb_storage_name(int storage);
const char *vmb_engine_name(int engine);
const char *vmb_shared_fs_name(int fs);
const char *vmb_agent_transport_name(int t);
const char *vmb_fs_cache_name(int cache);
/* The host device of an enum vmb_entropy: "/dev/urandom", ... */
const char *vmb_entropy_name(int source);
const char *vmb_blk_driver_name(int drv);
const char *vmb_blk_aio_name(int aio);
const char *vmb_accel_name(int accel);

#endif
