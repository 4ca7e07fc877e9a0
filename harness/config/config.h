/*
 * The effective configuration of one cell, and the option tables that
 * describe it (fio/redis style: options as data).
 *
 * One table per section: name, type, offset of the field in the section's
 * struct, default (parsed exactly like user input), range or choices, the
 * Kata configuration.toml alias and help. The same tables apply YAML
 * (matrix.c), `key=value` words (`vmbench stress`), defaults, range checks,
 * `vmbench options`, and the JSON of a cell's effective config.
 *
 * Units live in field names: _us microseconds, _bytes bytes, _mib MiB,
 * _per_s per second.
 */
#ifndef VMB_CONFIG_H
#define VMB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jsonw.h"

enum vmb_opt_type {
    VMB_OPT_BOOL,     /* bool;     true/false/on/off/yes/no */
    VMB_OPT_INT,      /* int64_t;  plain integer, k/M/G allowed (x1000) */
    VMB_OPT_SIZE,     /* uint64_t; bytes: 4k, 512M, 3G (x1024) */
    VMB_OPT_MIB,      /* uint64_t; MiB: bare number is MiB, or 512M, 3G */
    VMB_OPT_DURATION, /* uint64_t; microseconds: 500ms, 5s, 2m, 1h, 250us */
    VMB_OPT_RATE,     /* uint64_t; per second: 20000, 20k, 1.5M */
    VMB_OPT_DOUBLE,   /* double */
    VMB_OPT_STRING,   /* char *, owned by the struct */
    VMB_OPT_ENUM,     /* int, index into choices */
};

struct vmb_option {
    const char *name;
    enum vmb_opt_type type;
    size_t offset;              /* of the field in the section struct */
    const char *def;            /* default, as the user would write it */
    double min, max;            /* numeric range in the stored unit; 0,0 = none */
    const char *const *choices; /* VMB_OPT_ENUM: NULL-terminated */
    const char *alias;          /* Kata configuration.toml name, or NULL */
    const char *help;
};

/* ---- enums (the index is what the struct stores) ---- */

enum vmb_accel { VMB_ACCEL_AUTO, VMB_ACCEL_KVM, VMB_ACCEL_TCG };
enum vmb_storage {
    VMB_STORAGE_9P,
    VMB_STORAGE_VIRTIOFS,
    VMB_STORAGE_VIRTIO_BLK,
    VMB_STORAGE_LOCAL,
    VMB_STORAGE_TMPFS,
};
enum vmb_fs_cache { VMB_FSCACHE_AUTO, VMB_FSCACHE_ALWAYS, VMB_FSCACHE_NONE };
enum vmb_blk_cache {
    VMB_BLKCACHE_NONE,
    VMB_BLKCACHE_WRITEBACK,
    VMB_BLKCACHE_WRITETHROUGH,
    VMB_BLKCACHE_DIRECTSYNC,
    VMB_BLKCACHE_UNSAFE,
};
enum vmb_blk_aio { VMB_BLKAIO_THREADS, VMB_BLKAIO_NATIVE, VMB_BLKAIO_IO_URING };
enum vmb_engine { VMB_ENGINE_REDIS };
enum vmb_fsync { VMB_FSYNC_ALWAYS, VMB_FSYNC_EVERYSEC, VMB_FSYNC_NO };
enum vmb_order { VMB_ORDER_INTERLEAVED, VMB_ORDER_SEQUENTIAL, VMB_ORDER_RANDOM };
enum vmb_key_dist {
    VMB_DIST_UNIFORM,
    VMB_DIST_SEQUENTIAL,
    VMB_DIST_ZIPFIAN,
    VMB_DIST_GAUSSIAN,
};
enum vmb_read_from { VMB_READ_PRIMARY, VMB_READ_REPLICA, VMB_READ_BOTH };
enum vmb_op { VMB_OP_WRITE, VMB_OP_READ, VMB_OP_MIXED };

/* ---- sections ---- */

struct vmb_top_opts {
    char *name;
    int64_t repetitions;
    int order;    /* enum vmb_order */
    int64_t seed; /* 0: pick one at plan time and record it */
};

struct vmb_hypervisor_opts {
    char *connect;  /* libvirt URI */
    int accel;      /* enum vmb_accel */
    char *emulator; /* QEMU binary, Kata [hypervisor.qemu] path */
    char *machine;  /* q35 */
};

struct vmb_guest_opts {
    char *kernel;              /* "auto" or a path */
    int64_t vcpus;             /* default_vcpus */
    uint64_t memory_mib;       /* default_memory */
    bool iothreads;            /* enable_iothreads */
    int storage;               /* enum vmb_storage; shared_fs */
    uint64_t msize_9p_bytes;   /* msize_9p */
    int virtio_fs_cache;       /* enum vmb_fs_cache */
    int blk_cache;             /* enum vmb_blk_cache */
    int blk_aio;               /* enum vmb_blk_aio */
    uint64_t data_size_bytes;  /* virtio-blk / local data volume size */
    uint64_t boot_timeout_us;
};

struct vmb_network_opts {
    char *subnet; /* IPv4 CIDR, host-only */
};

struct vmb_database_opts {
    int engine; /* enum vmb_engine */
    bool appendonly;
    int appendfsync; /* enum vmb_fsync */
    char *save;      /* redis "save" line; "" disables RDB snapshots */
    int64_t port;
    uint64_t ready_timeout_us;
};

struct vmb_load_opts {
    int64_t connections; /* over all threads */
    int64_t threads;     /* 0: what the host can spare */
    int64_t pipeline;    /* requests in flight per connection */
    int64_t keys;        /* key population */
    int key_dist;        /* enum vmb_key_dist */
    double zipf_skew;
    uint64_t value_size_bytes;
    uint64_t value_size_max_bytes; /* 0: fixed size value_size */
    uint64_t rate_per_s;           /* 0: closed loop */
    uint64_t warmup_us;
    int read_from; /* enum vmb_read_from */
    uint64_t connect_timeout_us;
    uint64_t request_timeout_us;
    char *key_prefix;
};

struct vmb_phase {
    int op;            /* enum vmb_op */
    int64_t n;         /* 0: run for duration */
    uint64_t duration_us;
    char *ratio;       /* mixed: "write:1,read:3" */
};

struct vmb_control_opts {
    bool baremetal;
    bool match_resources;
};

struct vmb_config {
    struct vmb_top_opts top;
    struct vmb_hypervisor_opts hypervisor;
    struct vmb_guest_opts guest;
    struct vmb_network_opts network;
    struct vmb_database_opts database;
    struct vmb_load_opts load;
    struct vmb_control_opts control;
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
extern const struct vmb_option vmb_phase_options[];
extern const size_t vmb_nphase_options;

/* Finds a section by name; NULL if none. */
const struct vmb_section *vmb_section_find(const char *name);

/*
 * Finds an option by name or Kata alias in a section; NULL if none.
 */
const struct vmb_option *vmb_option_find(const struct vmb_option *opts,
                                         size_t n, const char *name);

/*
 * Resolves a dotted path ("load.connections", "guest.vcpus"), a Kata alias
 * ("default_vcpus") or a short matrix name ("vcpus", "storage") to its
 * section and option. Returns 0, or -1 when nothing matches.
 */
int vmb_option_resolve(const char *path, const struct vmb_section **sec,
                       const struct vmb_option **opt);

/* The closest known name (edit distance) among opts, or NULL if none close. */
const char *vmb_option_suggest(const struct vmb_option *opts, size_t n,
                               const char *name);

/*
 * Parses text as opt's type and stores it at base + opt->offset, after the
 * range or choice check. On failure *err says what was expected, e.g.
 * `expected a duration like 500ms, 5s or 2m, got "5x"`, without the key
 * (callers add file:line:col and the key path).
 */
int vmb_option_parse(const struct vmb_option *opt, const char *text,
                     void *base, struct vmb_error **err);

/* Formats the stored value canonically ("5s", "4k", "on", "9p"). */
char *vmb_option_format(const struct vmb_option *opt, const void *base);

/* Applies every default of a table to base. */
void vmb_options_defaults(const struct vmb_option *opts, size_t n, void *base);

/* Frees the strings a table's struct owns. */
void vmb_options_free(const struct vmb_option *opts, size_t n, void *base);

/* Deep copy of a table's struct (strings duplicated). */
void vmb_options_copy(const struct vmb_option *opts, size_t n, void *dst,
                      const void *src);

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

/* Names of enum values, for printing. */
const char *vmb_storage_name(int storage);
const char *vmb_op_name(int op);
const char *vmb_accel_name(int accel);

#endif
