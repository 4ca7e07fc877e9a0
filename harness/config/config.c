#include "config/config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

static const struct vmb_choice accel_choices[] = {
    {"auto", VMB_ACCEL_AUTO},
    {"kvm", VMB_ACCEL_KVM},
    {"tcg", VMB_ACCEL_TCG},
    {NULL, 0},
};
static const struct vmb_choice storage_choices[] = {
    {"shared", VMB_STORAGE_SHARED},
    {"block", VMB_STORAGE_BLOCK},
    {"local", VMB_STORAGE_LOCAL},
    {"tmpfs", VMB_STORAGE_TMPFS},
    /* shorthands: shared over virtio-9p / virtio-fs, block on virtio-blk */
    {"9p", VMB_STORAGE_9P},
    {"virtio-fs", VMB_STORAGE_VIRTIOFS},
    {"virtio-blk", VMB_STORAGE_VIRTIO_BLK},
    {NULL, 0},
};
static const struct vmb_choice sharedfs_choices[] = {
    {"virtio-fs", VMB_SHAREDFS_VIRTIOFS},
    {"virtio-9p", VMB_SHAREDFS_9P},
    {"9p", VMB_SHAREDFS_9P},
    {NULL, 0},
};
/* The sources libvirt's random backend takes. */
static const struct vmb_choice entropy_choices[] = {
    {"/dev/urandom", VMB_ENTROPY_URANDOM},
    {"/dev/random", VMB_ENTROPY_RANDOM},
    {"/dev/hwrng", VMB_ENTROPY_HWRNG},
    {NULL, 0},
};

static const struct vmb_choice transport_choices[] = {
    {"auto", VMB_AGENT_TRANSPORT_AUTO},
    {"vsock", VMB_AGENT_TRANSPORT_VSOCK},
    {"virtio-serial", VMB_AGENT_TRANSPORT_VIRTIO_SERIAL},
    {NULL, 0},
};

static const struct vmb_choice fscache_choices[] = {
    {"auto", VMB_FSCACHE_AUTO},
    {"always", VMB_FSCACHE_ALWAYS},
    {"never", VMB_FSCACHE_NEVER},
    {"none", VMB_FSCACHE_NEVER}, /* libvirt's name of it */
    {NULL, 0},
};
static const struct vmb_choice blkdrv_choices[] = {
    {"virtio-scsi", VMB_BLKDRV_VIRTIO_SCSI},
    {"virtio-blk", VMB_BLKDRV_VIRTIO_BLK},
    {NULL, 0},
};
static const struct vmb_choice blkaio_choices[] = {
    {"threads", VMB_BLKAIO_THREADS},
    {"native", VMB_BLKAIO_NATIVE},
    {"io_uring", VMB_BLKAIO_IO_URING},
    {NULL, 0},
};
static const struct vmb_choice engine_choices[] = {
    {"redis", VMB_ENGINE_REDIS},   {"postgres", VMB_ENGINE_POSTGRES},
    {"fio", VMB_ENGINE_FIO},       {"mariadb", VMB_ENGINE_MARIADB},
    {"mysql", VMB_ENGINE_MARIADB}, {NULL, 0},
};
static const struct vmb_choice fsync_choices[] = {
    {"always", VMB_FSYNC_ALWAYS},
    {"everysec", VMB_FSYNC_EVERYSEC},
    {"no", VMB_FSYNC_NO},
    {NULL, 0},
};
static const struct vmb_choice order_choices[] = {
    {"interleaved", VMB_ORDER_INTERLEAVED},
    {"sequential", VMB_ORDER_SEQUENTIAL},
    {"random", VMB_ORDER_RANDOM},
    {NULL, 0},
};

#define OPT(st, field) offsetof(struct st, field)

static const struct vmb_option top_options[] = {
    {
        .name = "name",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_top_opts, name),
        .def = "vmbench",
        .help = "name of the run; the results directory is named after it",
    },
    {
        .name = "repetitions",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_top_opts, repetitions),
        .def = "3",
        .min = 1,
        .max = 1000,
        .help = "runs of every cell and control, for medians and intervals",
    },
    {
        .name = "order",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_top_opts, order),
        .def = "interleaved",
        .choices = order_choices,
        .help = "interleaved: repetition k of every cell before k+1; "
                "sequential; random",
    },
    {
        .name = "seed",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_top_opts, seed),
        .def = "0",
        .min = 0,
        .max = 4294967295.0,
        .help =
            "seed for random order and the bootstrap; 0 picks and records one",
    },
    {
        .name = "probe",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_top_opts, probe),
        .def = "true",
        .help = "probe the data directory's raw limits (fsync'ed writes, "
                "random reads, sequential writes) and the round trips "
                "before each run's database starts",
    },
    {
        .name = "probe_duration",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_top_opts, probe_duration_us),
        .def = "1s",
        .min = 1e5,
        .max = 60e6,
        .help = "how long each of the probe's three parts runs",
    },
    {
        .name = "tenants",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_top_opts, tenants),
        .def = "1",
        .min = 1,
        .max = 64,
        .help = "independent two-node databases run at once, each with its "
                "own pair of VMs (or processes), driven together and "
                "measured over one window",
        .since = "0.2",
    },
};

static const struct vmb_option hypervisor_options[] = {
    {
        .name = "connect",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hypervisor_opts, connect),
        .def = "qemu:///system",
        .help = "libvirt connection URI",
    },
    {
        .name = "accel",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_hypervisor_opts, accel),
        .def = "auto",
        .choices = accel_choices,
        .help =
            "auto proves KVM with a probe boot and falls back to TCG loudly",
    },
    {
        .name = "emulator",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hypervisor_opts, emulator),
        .def = "/usr/bin/qemu-system-x86_64",
        .alias = "path",
        .help = "QEMU binary (Kata [hypervisor.qemu] path)",
    },
    {
        .name = "machine",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hypervisor_opts, machine),
        .def = "q35",
        .alias = "machine_type",
        .help = "QEMU machine type",
    },
};

/*
 * Defaults with a Kata name are those of Kata's QEMU template
 * (configuration-qemu.toml.in and the amd64 defaults of the runtime's
 * makefiles; docs/kata.md names the commit).
 */
static const struct vmb_option guest_options[] = {
    {
        .name = "kernel",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_guest_opts, kernel),
        .def = "auto",
        .help = "guest kernel: auto (newest /boot/vmlinuz-*) or a path",
    },
    {
        .name = "vcpus",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_guest_opts, vcpus),
        .def = "1",
        .min = 1,
        .max = 240,
        .alias = "default_vcpus",
        .help = "vCPUs per VM",
    },
    {
        .name = "maxvcpus",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_guest_opts, maxvcpus),
        .def = "0",
        .min = 0,
        .max = 240,
        .alias = "default_maxvcpus",
        .help = "vCPUs the VM can grow to (<vcpu current>); 0: the host's "
                "CPUs",
    },
    {
        .name = "memory",
        .type = VMB_OPT_MIB,
        .offset = OPT(vmb_guest_opts, memory_mib),
        .def = "2048",
        .min = 128,
        .max = 1048576,
        .alias = "default_memory",
        .help = "memory per VM, MiB (or 2G)",
    },
    {
        .name = "memory_slots",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_guest_opts, memory_slots),
        .def = "10",
        .min = 0,
        .max = 255,
        .alias = "memory_slots",
        .help = "memory hotplug slots (<maxMemory slots>); 0: no hotplug",
    },
    {
        .name = "maxmemory",
        .type = VMB_OPT_MIB,
        .offset = OPT(vmb_guest_opts, maxmemory_mib),
        .def = "0",
        .min = 0,
        .max = 16777216,
        .alias = "default_maxmemory",
        .help = "memory the VM can grow to, MiB; 0: the host's memory",
    },
    {
        .name = "hugepages",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, hugepages),
        .def = "false",
        .alias = "enable_hugepages",
        .help = "back guest memory with 2 MiB huge pages (reserve them: "
                "vmbench doctor says how many are free)",
    },
    {
        .name = "mem_prealloc",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, mem_prealloc),
        .def = "false",
        .alias = "enable_mem_prealloc",
        .help = "allocate all guest memory when the VM starts",
    },
    {
        .name = "vcpus_pinning",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, vcpus_pinning),
        .def = "false",
        .alias = "enable_vcpus_pinning",
        .help = "pin each vCPU 1:1 to a host CPU and the emulator apart "
                "(Kata [runtime])",
    },
    {
        .name = "cpu_features",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_guest_opts, cpu_features),
        .def = "pmu=off",
        .alias = "cpu_features",
        .help = "comma-separated CPU features: pmu=on|off, NAME=on|off, "
                "+NAME, -NAME",
    },
    {
        .name = "kernel_params",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_guest_opts, kernel_params),
        .def = "",
        .alias = "kernel_params",
        .help = "words appended to the guest kernel command line",
    },
    {
        .name = "iothreads",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, iothreads),
        .def = "false",
        .alias = "enable_iothreads",
        .help = "give the data disk (its virtio-scsi controller) an IOThread",
    },
    {
        .name = "storage",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, storage),
        .def = "local",
        .choices = storage_choices,
        .help = "where the data directory lives: shared (host directory over "
                "shared_fs), block (its own disk), local (the container "
                "root), tmpfs; shorthands 9p, virtio-fs, virtio-blk",
    },
    {
        .name = "shared_fs",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, shared_fs),
        .def = "virtio-fs",
        .choices = sharedfs_choices,
        .alias = "shared_fs",
        .help = "how host directories are shared: virtio-fs, virtio-9p",
    },
    {
        .name = "disable_block_device_use",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, disable_block_device),
        .def = "true",
        .alias = "disable_block_device_use",
        .help = "the container root over shared_fs (so storage local is on "
                "the shared filesystem), not on a block device",
    },
    {
        .name = "msize_9p",
        .type = VMB_OPT_SIZE,
        .offset = OPT(vmb_guest_opts, msize_9p_bytes),
        .def = "8192",
        .min = 4096,
        .max = 1048576,
        .alias = "msize_9p",
        .help = "9p message size",
    },
    {
        .name = "virtio_fs_cache",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, virtio_fs_cache),
        .def = "auto",
        .choices = fscache_choices,
        .alias = "virtio_fs_cache",
        .help = "virtiofsd cache mode: never, auto, always",
    },
    {
        .name = "virtio_fs_queue_size",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_guest_opts, virtio_fs_queue),
        .def = "1024",
        .min = 64,
        .max = 1024,
        .alias = "virtio_fs_queue_size",
        .help = "virtio-fs request queue size, a power of two",
    },
    {
        .name = "virtio_fs_extra_args",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_guest_opts, virtio_fs_extra_args),
        .def = "--thread-pool-size=1 --announce-submounts",
        .alias = "virtio_fs_extra_args",
        .help = "virtiofsd arguments, Kata's (the Rust virtiofsd's) words; "
                "translated for QEMU's C virtiofsd, or refused where it has "
                "no equivalent",
    },
    {
        .name = "virtio_fs_daemon",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_guest_opts, virtio_fs_daemon),
        .def = "",
        .alias = "virtio_fs_daemon",
        .help = "the virtiofsd binary vmbench starts (its flavour read from "
                "its --help); empty: /usr/lib/qemu/virtiofsd, else "
                "/usr/libexec/virtiofsd",
        .since = "0.2",
    },
    {
        .name = "blk_driver",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, blk_driver),
        .def = "virtio-scsi",
        .choices = blkdrv_choices,
        .alias = "block_device_driver",
        .help = "driver of the block data disk: virtio-scsi, virtio-blk",
    },
    {
        .name = "blk_aio",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, blk_aio),
        .def = "io_uring",
        .choices = blkaio_choices,
        .alias = "block_device_aio",
        .help = "QEMU aio of the block data disk: threads, native, io_uring",
    },
    {
        .name = "blk_cache_set",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, blk_cache_set),
        .def = "false",
        .alias = "block_device_cache_set",
        .help = "set the block data disk's cache flags (else QEMU's default)",
    },
    {
        .name = "blk_cache_direct",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, blk_cache_direct),
        .def = "false",
        .alias = "block_device_cache_direct",
        .help = "with blk_cache_set: O_DIRECT, bypass the host page cache",
    },
    {
        .name = "blk_cache_noflush",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_guest_opts, blk_cache_noflush),
        .def = "false",
        .alias = "block_device_cache_noflush",
        .help = "with blk_cache_set: ignore the guest's flushes",
    },
    {
        .name = "data_size",
        .type = VMB_OPT_SIZE,
        .offset = OPT(vmb_guest_opts, data_size_bytes),
        .def = "2G",
        .min = 67108864,
        .max = 1099511627776.0,
        .help = "size of the block data volume and free room on the root disk",
    },
    {
        .name = "boot_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_guest_opts, boot_timeout_us),
        .def = "120s",
        .min = 1e6,
        .max = 3600e6,
        .help = "time allowed from start to agent hello",
    },
    {
        .name = "entropy_source",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, entropy_source),
        .def = "/dev/urandom",
        .choices = entropy_choices,
        .alias = "entropy_source",
        .help = "the host device behind the guest's virtio-rng: "
                "/dev/urandom, /dev/random or /dev/hwrng",
        .since = "0.2",
    },
    {
        .name = "agent_transport",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_guest_opts, agent_transport),
        .def = "auto",
        .choices = transport_choices,
        .help = "the agent's channel: vsock as Kata's (port 1024; needs "
                "/dev/vhost-vsock and a guest kernel with vsock), "
                "virtio-serial, or auto: vsock where it can be, else "
                "virtio-serial (plan says which, run.json and result.json "
                "record it)",
        .since = "0.2",
    },
};

static const struct vmb_option network_options[] = {
    {
        .name = "subnet",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_network_opts, subnet),
        .def = "10.213.0.0/24",
        .help = "IPv4 subnet of the host-only network of a run",
    },
    {
        .name = "disable_vhost_net",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_network_opts, disable_vhost_net),
        .def = "false",
        .alias = "disable_vhost_net",
        .help = "NIC without vhost-net (QEMU's own virtio-net backend)",
    },
    {
        .name = "vhost_fallback",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_network_opts, vhost_fallback),
        .def = "false",
        .help = "where /dev/vhost-net is missing, run without vhost (and "
                "say so) instead of refusing the cell",
    },
    {
        .name = "rx_rate",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_network_opts, rx_rate_bits),
        .def = "0",
        .min = 0,
        .max = 1e12,
        .alias = "rx_rate_limiter_max_rate",
        .help = "guest receive limit, bits/s; 0: none",
    },
    {
        .name = "tx_rate",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_network_opts, tx_rate_bits),
        .def = "0",
        .min = 0,
        .max = 1e12,
        .alias = "tx_rate_limiter_max_rate",
        .help = "guest send limit, bits/s; 0: none",
    },
};

static const struct vmb_option database_options[] = {
    {
        .name = "engine",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_database_opts, engine),
        .def = "redis",
        .choices = engine_choices,
        .help = "database engine, or fio (storage jobs as phases, "
                "docs/fio.md)",
    },
    {
        .name = "appendonly",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_database_opts, appendonly),
        .def = "true",
        .help = "redis append-only file",
        .engines = "redis",
    },
    {
        .name = "appendfsync",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_database_opts, appendfsync),
        .def = "everysec",
        .choices = fsync_choices,
        .help = "redis AOF fsync policy",
        .engines = "redis",
    },
    {
        .name = "save",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, save),
        .def = "",
        .help = "redis RDB save line; empty disables snapshots",
        .engines = "redis",
    },
    {
        .name = "sync_replica",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_database_opts, sync_replica),
        .def = "false",
        .help = "node 2 synchronous: a postgres synchronous standby, mariadb "
                "semi-synchronous replication (commits wait for it)",
        .engines = "postgres,mariadb",
    },
    {
        .name = "shared_buffers",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, shared_buffers),
        .def = "128MB",
        .help = "postgres shared_buffers: its buffer cache",
        .engines = "postgres",
    },
    {
        .name = "synchronous_commit",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, synchronous_commit),
        .def = "on",
        .help = "postgres synchronous_commit: on, off, local, remote_write, "
                "remote_apply",
        .engines = "postgres",
    },
    {
        .name = "fsync",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, fsync),
        .def = "on",
        .help = "postgres fsync: force writes to storage",
        .engines = "postgres",
    },
    {
        .name = "full_page_writes",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, full_page_writes),
        .def = "on",
        .help = "postgres full_page_writes: whole pages in the WAL",
        .engines = "postgres",
    },
    {
        .name = "wal_sync_method",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, wal_sync_method),
        .def = "fdatasync",
        .help = "postgres wal_sync_method: fsync, fdatasync, open_sync, "
                "open_datasync",
        .engines = "postgres",
    },
    {
        .name = "checkpoint_timeout",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, checkpoint_timeout),
        .def = "5min",
        .help = "postgres checkpoint_timeout: longest time between checkpoints",
        .engines = "postgres",
    },
    {
        .name = "max_wal_size",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, max_wal_size),
        .def = "1GB",
        .help = "postgres max_wal_size: WAL that triggers a checkpoint",
        .engines = "postgres",
    },
    {
        .name = "wal_compression",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, wal_compression),
        .def = "off",
        .help = "postgres wal_compression: off, pglz, lz4, zstd",
        .engines = "postgres",
    },
    {
        .name = "max_connections",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, max_connections),
        .def = "200",
        .help = "max_connections: at least load.connections + 10",
        .engines = "postgres,mariadb",
    },
    {
        .name = "innodb_buffer_pool_size",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_buffer_pool_size),
        .def = "128M",
        .help = "mariadb innodb_buffer_pool_size: InnoDB's buffer cache",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "innodb_flush_log_at_trx_commit",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_flush_log_at_trx_commit),
        .def = "1",
        .help = "mariadb innodb_flush_log_at_trx_commit: 1: write and flush "
                "the redo log at each commit, 2: write only, 0: neither",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "sync_binlog",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, sync_binlog),
        .def = "0",
        .help = "mariadb sync_binlog: fsync the binary log every N commits; 0: "
                "leave it to the OS",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "innodb_flush_method",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_flush_method),
        .def = "O_DIRECT",
        .help = "mariadb innodb_flush_method: how data files are opened and "
                "flushed: fsync, O_DSYNC, O_DIRECT, O_DIRECT_NO_FSYNC",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "innodb_doublewrite",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_doublewrite),
        .def = "ON",
        .help = "mariadb innodb_doublewrite: write pages twice, against torn "
                "writes",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "innodb_io_capacity",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_io_capacity),
        .def = "200",
        .help = "mariadb innodb_io_capacity: background flushing, I/O "
                "operations per second",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "innodb_log_file_size",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, innodb_log_file_size),
        .def = "96M",
        .help = "mariadb innodb_log_file_size: size of the redo log",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "binlog_format",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_database_opts, binlog_format),
        .def = "MIXED",
        .help =
            "mariadb binlog_format: binary log format: STATEMENT, ROW or MIXED",
        .since = "0.2",
        .engines = "mariadb",
    },
    {
        .name = "port",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_database_opts, port),
        .def = "6379",
        .min = 1,
        .max = 65534, /* port + 1 must be a port too */
        .help = "database port (bare metal uses port and port+1)",
    },
    {
        .name = "ready_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_database_opts, ready_timeout_us),
        .def = "60s",
        .min = 1e6,
        .max = 3600e6,
        .help = "time allowed for both nodes to answer and replicate",
    },
};

static const struct vmb_option control_options[] = {
    {
        .name = "baremetal",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_control_opts, baremetal),
        .def = "true",
        .help = "run the same two nodes on bare metal as the control",
    },
    {
        .name = "match_resources",
        .type = VMB_OPT_BOOL,
        .offset = OPT(vmb_control_opts, match_resources),
        .def = "true",
        .help = "pin and cap each control node like one VM (CPUs, memory)",
    },
};

/* Checked per cell against fio's own option list (config/fio_job.h). */
static const struct vmb_option fio_options[] = {
    {
        .name = "bs",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_fio_opts, bs),
        .def = "",
        .since = "0.1.0-fio",
        .help = "fio's bs for every fio job (\"4k\", \"64k\"); \"\" keeps "
                "the job's",
    },
    {
        .name = "iodepth",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_fio_opts, iodepth),
        .def = "",
        .since = "0.1.0-fio",
        .help = "fio's iodepth for every fio job; \"\" keeps the job's",
    },
    {
        .name = "direct",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_fio_opts, direct),
        .def = "",
        .since = "0.1.0-fio",
        .help = "fio's direct (0 buffered, 1 O_DIRECT) for every fio job; "
                "\"\" keeps the job's (built-in jobs: 0)",
    },
    {
        .name = "ioengine",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_fio_opts, ioengine),
        .def = "",
        .since = "0.1.0-fio",
        .help = "fio's ioengine for every fio job (psync, libaio, io_uring, "
                "...); \"\" keeps the job's (built-in jobs: psync)",
    },
};

static const struct vmb_choice ksm_choices[] = {
    {"keep", VMB_HOST_KSM_KEEP}, {"off", VMB_HOST_KSM_OFF},
    {"on", VMB_HOST_KSM_ON},     {"false", VMB_HOST_KSM_OFF},
    {"true", VMB_HOST_KSM_ON},   {NULL, 0},
};

static const struct vmb_choice thp_choices[] = {
    {"keep", VMB_HOST_THP_KEEP},
    {"always", VMB_HOST_THP_ALWAYS},
    {"madvise", VMB_HOST_THP_MADVISE},
    {"never", VMB_HOST_THP_NEVER},
    {NULL, 0},
};

/* Host-wide: a run applies them before it starts and restores the host's
 * values after it (runtime/hostset.c). */
static const struct vmb_option host_options[] = {
    {
        .name = "ksm",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_host_opts, ksm),
        .def = "keep",
        .choices = ksm_choices,
        .since = "0.3",
        .help = "kernel same-page merging (/sys/kernel/mm/ksm/run) during "
                "the cell's runs: on, off, or keep the host's",
    },
    {
        .name = "ksm_pages_to_scan",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_host_opts, ksm_pages_to_scan),
        .def = "0",
        .min = 0,
        .max = 1e7,
        .since = "0.3",
        .help = "KSM's pages_to_scan during the cell's runs; 0 keeps the "
                "host's",
    },
    {
        .name = "ksm_sleep_millisecs",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_host_opts, ksm_sleep_ms),
        .def = "0",
        .min = 0,
        .max = 1e6,
        .since = "0.3",
        .help = "KSM's sleep_millisecs during the cell's runs; 0 keeps the "
                "host's",
    },
    {
        .name = "thp",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_host_opts, thp),
        .def = "keep",
        .choices = thp_choices,
        .since = "0.3",
        .help = "transparent huge pages "
                "(/sys/kernel/mm/transparent_hugepage/enabled) during the "
                "cell's runs: always, madvise, never, or keep the host's",
    },
};

bool
vmb_config_changes_host(const struct vmb_config *cfg)
{
    const struct vmb_host_opts *h = &cfg->host;
    return h->ksm != VMB_HOST_KSM_KEEP || h->ksm_pages_to_scan != 0 ||
           h->ksm_sleep_ms != 0 || h->thp != VMB_HOST_THP_KEEP;
}

/*
 * A section of its own rather than hypervisor.: the control's node is no
 * hypervisor's, and one section says where every node of a cell runs.
 */
static const struct vmb_option hosts_options[] = {
    {
        .name = "control_node2",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hosts_opts, control_node2),
        .def = "",
        .since = "0.2",
        .help = "where the bare-metal control's node 2 runs: \"\" this "
                "host, or \"ssh://[user@]host[:port]\" (user, key and known "
                "hosts from your ssh configuration; an unknown host key is "
                "refused)",
    },
    {
        .name = "vm_node2",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hosts_opts, vm_node2),
        .def = "",
        .since = "0.2",
        .help = "the libvirt host of a VM cell's node 2: \"\" "
                "hypervisor.connect's, or \"qemu+ssh://[user@]host/system\" "
                "(its virtio-fs share made there over ssh) or "
                "\"qemu+tcp://host/system\" (no share) (docs/remote.md)",
    },
    {
        .name = "vm_node2_subnet",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_hosts_opts, vm_node2_subnet),
        .def = "",
        .since = "0.2",
        .help = "the subnet of node 2's network on its libvirt host: \"\" "
                "the block of network.subnet's size right after it "
                "(10.213.1.0/24 after 10.213.0.0/24); each host routes to "
                "the other's subnet (docs/remote.md)",
    },
    {
        .name = "connect_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_hosts_opts, connect_timeout_us),
        .def = "10s",
        .min = 1e6,
        .max = 300e6,
        .since = "0.2",
        .help = "time allowed to reach a remote host (each ssh connection)",
    },
};

#define SECTION(n, tbl, field)                                                 \
    {                                                                          \
        n, tbl, VMB_NELEMS(tbl), offsetof(struct vmb_config, field)            \
    }

const struct vmb_section vmb_sections[] = {
    SECTION("", top_options, top),
    SECTION("hypervisor", hypervisor_options, hypervisor),
    SECTION("guest", guest_options, guest),
    SECTION("network", network_options, network),
    SECTION("database", database_options, database),
    {"load", vmb_load_options, VMB_LOAD_NOPTIONS,
     offsetof(struct vmb_config, load)},
    SECTION("control", control_options, control),
    SECTION("fio", fio_options, fio),
    SECTION("host", host_options, host),
    SECTION("hosts", hosts_options, hosts),
};
const size_t vmb_nsections = VMB_NELEMS(vmb_sections);

const struct vmb_section *
vmb_section_find(const char *name)
{
    for (size_t i = 0; i < vmb_nsections; i++)
        if (strcmp(vmb_sections[i].name, name) == 0)
            return &vmb_sections[i];
    return NULL;
}

int
vmb_option_resolve(const char *path, const struct vmb_section **sec,
                   const struct vmb_option **opt)
{
    const char *dot = strchr(path, '.');
    if (dot != NULL) {
        autofree char *sname = vmb_xstrndup(path, (size_t)(dot - path));
        const struct vmb_section *s = vmb_section_find(sname);
        if (s == NULL || s->name[0] == '\0')
            return -1;
        const struct vmb_option *o =
            vmb_option_find(s->options, s->noptions, dot + 1);
        if (o == NULL)
            return -1;
        *sec = s;
        *opt = o;
        return 0;
    }
    /* A bare name: a Kata alias, the short name of a guest option, or a
     * top-level option that cells hash (those with .since: the others are
     * run-level or zeroed in ids, so they cannot tell cells apart). */
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        for (size_t j = 0; j < s->noptions; j++) {
            const struct vmb_option *o = &s->options[j];
            if (s->name[0] == '\0') {
                if (o->since != NULL && strcmp(o->name, path) == 0) {
                    *sec = s;
                    *opt = o;
                    return 0;
                }
                continue;
            }
            bool shortname =
                strcmp(s->name, "guest") == 0 && strcmp(o->name, path) == 0;
            bool alias = o->alias != NULL && strcmp(o->alias, path) == 0;
            if (shortname || alias) {
                *sec = s;
                *opt = o;
                return 0;
            }
        }
    }
    return -1;
}

static void *
section_base(const struct vmb_section *s, struct vmb_config *cfg)
{
    return (char *)cfg + s->offset;
}

static const void *
csection_base(const struct vmb_section *s, const struct vmb_config *cfg)
{
    return (const char *)cfg + s->offset;
}

void
vmb_config_defaults(struct vmb_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < vmb_nsections; i++)
        vmb_options_defaults(vmb_sections[i].options, vmb_sections[i].noptions,
                             section_base(&vmb_sections[i], cfg));
    cfg->nphases = 2;
    cfg->phases = vmb_xcalloc(2, sizeof(*cfg->phases));
    for (size_t i = 0; i < 2; i++) {
        vmb_options_defaults(vmb_phase_options, vmb_nphase_options,
                             &cfg->phases[i]);
        cfg->phases[i].op = i == 0 ? VMB_OP_WRITE : VMB_OP_READ;
        cfg->phases[i].n = 100000;
    }
}

void
vmb_config_copy(struct vmb_config *dst, const struct vmb_config *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < vmb_nsections; i++)
        vmb_options_copy(vmb_sections[i].options, vmb_sections[i].noptions,
                         section_base(&vmb_sections[i], dst),
                         csection_base(&vmb_sections[i], src));
    dst->nphases = src->nphases;
    dst->phases = vmb_xcalloc(src->nphases, sizeof(*dst->phases));
    for (size_t i = 0; i < src->nphases; i++)
        vmb_options_copy(vmb_phase_options, vmb_nphase_options, &dst->phases[i],
                         &src->phases[i]);
}

void
vmb_config_free(struct vmb_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < vmb_nsections; i++)
        vmb_options_free(vmb_sections[i].options, vmb_sections[i].noptions,
                         section_base(&vmb_sections[i], cfg));
    for (size_t i = 0; i < cfg->nphases; i++)
        vmb_options_free(vmb_phase_options, vmb_nphase_options,
                         &cfg->phases[i]);
    free(cfg->phases);
    cfg->phases = NULL;
    cfg->nphases = 0;
}

void
vmb_config_to_json(struct vmb_jw *w, const struct vmb_config *cfg)
{
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        vmb_jw_key(w, s->name[0] ? s->name : "run");
        vmb_options_to_json(w, s->options, s->noptions, csection_base(s, cfg));
    }
    vmb_jw_key(w, "phases");
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < cfg->nphases; i++)
        vmb_options_to_json(w, vmb_phase_options,
                            cfg->phases[i].capacity_limit_us > 0
                                ? vmb_nphase_options
                                : vmb_nphase_plain_options,
                            &cfg->phases[i]);
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

const char *
vmb_engine_name(int engine)
{
    return vmb_choice_name(engine_choices, engine);
}

const char *
vmb_storage_name(int storage)
{
    return vmb_choice_name(storage_choices, storage);
}

const char *
vmb_shared_fs_name(int fs)
{
    return vmb_choice_name(sharedfs_choices, fs);
}

const char *
vmb_agent_transport_name(int t)
{
    return vmb_choice_name(transport_choices, t);
}

const char *
vmb_entropy_name(int source)
{
    return vmb_choice_name(entropy_choices, source);
}

const char *
vmb_fs_cache_name(int cache)
{
    return vmb_choice_name(fscache_choices, cache);
}

const char *
vmb_blk_driver_name(int drv)
{
    return vmb_choice_name(blkdrv_choices, drv);
}

const char *
vmb_blk_aio_name(int aio)
{
    return vmb_choice_name(blkaio_choices, aio);
}

int
vmb_config_shared_fs(const struct vmb_config *cfg)
{
    switch (cfg->guest.storage) {
    case VMB_STORAGE_9P:
        return VMB_SHAREDFS_9P;
    case VMB_STORAGE_VIRTIOFS:
        return VMB_SHAREDFS_VIRTIOFS;
    default:
        return cfg->guest.shared_fs;
    }
}

int
vmb_config_nodes(const struct vmb_config *cfg)
{
    return cfg->database.engine == VMB_ENGINE_FIO ? 1 : 2;
}

int
vmb_config_node_slot(const struct vmb_config *cfg, int tenant, int node)
{
    return tenant * vmb_config_nodes(cfg) + node - 1;
}

int
vmb_config_placement(const struct vmb_config *cfg)
{
    int over_fs = vmb_config_shared_fs(cfg) == VMB_SHAREDFS_9P
                      ? VMB_STORAGE_9P
                      : VMB_STORAGE_VIRTIOFS;
    switch (cfg->guest.storage) {
    case VMB_STORAGE_SHARED:
        return over_fs;
    case VMB_STORAGE_BLOCK:
        return VMB_STORAGE_VIRTIO_BLK;
    case VMB_STORAGE_LOCAL:
        return cfg->guest.disable_block_device ? over_fs : VMB_STORAGE_LOCAL;
    default:
        return cfg->guest.storage;
    }
}

bool
vmb_config_root_shared(const struct vmb_config *cfg)
{
    return vmb_config_placement(cfg) != VMB_STORAGE_VIRTIO_BLK &&
           cfg->guest.disable_block_device;
}

int
vmb_config_share(const struct vmb_config *cfg)
{
    int place = vmb_config_placement(cfg);
    if (place == VMB_STORAGE_9P || place == VMB_STORAGE_VIRTIOFS)
        return place;
    if (!vmb_config_root_shared(cfg))
        return -1;
    return vmb_config_shared_fs(cfg) == VMB_SHAREDFS_9P ? VMB_STORAGE_9P
                                                        : VMB_STORAGE_VIRTIOFS;
}

int
vmb_config_blk_driver(const struct vmb_config *cfg)
{
    return cfg->guest.storage == VMB_STORAGE_VIRTIO_BLK ? VMB_BLKDRV_VIRTIO_BLK
                                                        : cfg->guest.blk_driver;
}

int
vmb_config_blk_cache(const struct vmb_config *cfg, const char **mode,
                     struct vmb_error **err)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    *mode = NULL;
    if (!g->blk_cache_set)
        return 0;
    if (g->blk_cache_direct && g->blk_cache_noflush)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "block_device_cache_direct and "
                             "block_device_cache_noflush together have no "
                             "libvirt cache mode; set one of them");
    *mode = g->blk_cache_direct    ? "none"
            : g->blk_cache_noflush ? "unsafe"
                                   : "writeback";
    return 0;
}

const char *
vmb_accel_name(int accel)
{
    return vmb_choice_name(accel_choices, accel);
}
