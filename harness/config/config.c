#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "util.h"

static const char *const accel_choices[] = {"auto", "kvm", "tcg", NULL};
static const char *const storage_choices[] = {"9p", "virtio-fs", "virtio-blk",
                                              "local", "tmpfs", NULL};
static const char *const fscache_choices[] = {"auto", "always", "none", NULL};
static const char *const blkcache_choices[] = {
    "none", "writeback", "writethrough", "directsync", "unsafe", NULL};
static const char *const blkaio_choices[] = {"threads", "native", "io_uring",
                                             NULL};
static const char *const engine_choices[] = {"redis", NULL};
static const char *const fsync_choices[] = {"always", "everysec", "no", NULL};
static const char *const order_choices[] = {"interleaved", "sequential",
                                            "random", NULL};
static const char *const dist_choices[] = {"uniform", "sequential", "zipfian",
                                           "gaussian", NULL};
static const char *const readfrom_choices[] = {"primary", "replica", "both",
                                               NULL};
static const char *const op_choices[] = {"write", "read", "mixed", NULL};

#define OPT(st, field) offsetof(struct st, field)

static const struct vmb_option top_options[] = {
    {"name", VMB_OPT_STRING, OPT(vmb_top_opts, name), "vmbench", 0, 0, NULL,
     NULL, "name of the run; the results directory is named after it"},
    {"repetitions", VMB_OPT_INT, OPT(vmb_top_opts, repetitions), "3", 1, 1000,
     NULL, NULL, "runs of every cell and control, for medians and intervals"},
    {"order", VMB_OPT_ENUM, OPT(vmb_top_opts, order), "interleaved", 0, 0,
     order_choices, NULL,
     "interleaved: repetition k of every cell before k+1; sequential; random"},
    {"seed", VMB_OPT_INT, OPT(vmb_top_opts, seed), "0", 0, 4294967295.0, NULL,
     NULL, "seed for random order and the bootstrap; 0 picks and records one"},
};

static const struct vmb_option hypervisor_options[] = {
    {"connect", VMB_OPT_STRING, OPT(vmb_hypervisor_opts, connect),
     "qemu:///system", 0, 0, NULL, NULL, "libvirt connection URI"},
    {"accel", VMB_OPT_ENUM, OPT(vmb_hypervisor_opts, accel), "auto", 0, 0,
     accel_choices, NULL,
     "auto proves KVM with a probe boot and falls back to TCG loudly"},
    {"emulator", VMB_OPT_STRING, OPT(vmb_hypervisor_opts, emulator),
     "/usr/bin/qemu-system-x86_64", 0, 0, NULL, "path",
     "QEMU binary (Kata [hypervisor.qemu] path)"},
    {"machine", VMB_OPT_STRING, OPT(vmb_hypervisor_opts, machine), "q35", 0,
     0, NULL, "machine_type", "QEMU machine type"},
};

static const struct vmb_option guest_options[] = {
    {"kernel", VMB_OPT_STRING, OPT(vmb_guest_opts, kernel), "auto", 0, 0, NULL,
     NULL, "guest kernel: auto (newest /boot/vmlinuz-*) or a path"},
    {"vcpus", VMB_OPT_INT, OPT(vmb_guest_opts, vcpus), "1", 1, 240, NULL,
     "default_vcpus", "vCPUs per VM"},
    {"memory", VMB_OPT_MIB, OPT(vmb_guest_opts, memory_mib), "2048", 128,
     1048576, NULL, "default_memory", "memory per VM, MiB (or 2G)"},
    {"iothreads", VMB_OPT_BOOL, OPT(vmb_guest_opts, iothreads), "false", 0, 0,
     NULL, "enable_iothreads", "give the data disk its own IOThread"},
    {"storage", VMB_OPT_ENUM, OPT(vmb_guest_opts, storage), "local", 0, 0,
     storage_choices, "shared_fs",
     "where the data directory lives: 9p, virtio-fs, virtio-blk, local, tmpfs"},
    {"msize_9p", VMB_OPT_SIZE, OPT(vmb_guest_opts, msize_9p_bytes), "512k",
     4096, 1048576, NULL, "msize_9p", "9p message size"},
    {"virtio_fs_cache", VMB_OPT_ENUM, OPT(vmb_guest_opts, virtio_fs_cache),
     "auto", 0, 0, fscache_choices, "virtio_fs_cache", "virtiofsd cache mode"},
    {"blk_cache", VMB_OPT_ENUM, OPT(vmb_guest_opts, blk_cache), "none", 0, 0,
     blkcache_choices, NULL, "QEMU cache mode of the virtio-blk data disk"},
    {"blk_aio", VMB_OPT_ENUM, OPT(vmb_guest_opts, blk_aio), "threads", 0, 0,
     blkaio_choices, NULL, "QEMU aio mode of the virtio-blk data disk"},
    {"data_size", VMB_OPT_SIZE, OPT(vmb_guest_opts, data_size_bytes), "2G",
     67108864, 1099511627776.0, NULL, NULL,
     "size of the virtio-blk data volume and free room on the root disk"},
    {"boot_timeout", VMB_OPT_DURATION, OPT(vmb_guest_opts, boot_timeout_us),
     "120s", 1e6, 3600e6, NULL, NULL, "time allowed from start to agent hello"},
};

static const struct vmb_option network_options[] = {
    {"subnet", VMB_OPT_STRING, OPT(vmb_network_opts, subnet), "10.213.0.0/24",
     0, 0, NULL, NULL, "IPv4 subnet of the host-only network of a run"},
};

static const struct vmb_option database_options[] = {
    {"engine", VMB_OPT_ENUM, OPT(vmb_database_opts, engine), "redis", 0, 0,
     engine_choices, NULL, "database engine"},
    {"appendonly", VMB_OPT_BOOL, OPT(vmb_database_opts, appendonly), "true",
     0, 0, NULL, NULL, "redis append-only file"},
    {"appendfsync", VMB_OPT_ENUM, OPT(vmb_database_opts, appendfsync),
     "everysec", 0, 0, fsync_choices, NULL, "redis AOF fsync policy"},
    {"save", VMB_OPT_STRING, OPT(vmb_database_opts, save), "", 0, 0, NULL,
     NULL, "redis RDB save line; empty disables snapshots"},
    {"port", VMB_OPT_INT, OPT(vmb_database_opts, port), "6379", 1, 65535,
     NULL, NULL, "database port (bare metal uses port and port+1)"},
    {"ready_timeout", VMB_OPT_DURATION,
     OPT(vmb_database_opts, ready_timeout_us), "60s", 1e6, 3600e6, NULL, NULL,
     "time allowed for both nodes to answer and replicate"},
};

static const struct vmb_option load_options[] = {
    {"connections", VMB_OPT_INT, OPT(vmb_load_opts, connections), "50", 1,
     100000, NULL, NULL, "connections over all threads (-rate threads=N)"},
    {"threads", VMB_OPT_INT, OPT(vmb_load_opts, threads), "0", 0, 1024, NULL,
     NULL, "generator threads; 0 = what the host can spare"},
    {"pipeline", VMB_OPT_INT, OPT(vmb_load_opts, pipeline), "1", 1, 10000,
     NULL, NULL, "requests in flight per connection"},
    {"keys", VMB_OPT_INT, OPT(vmb_load_opts, keys), "100000", 1, 1e12, NULL,
     NULL, "key population"},
    {"key_dist", VMB_OPT_ENUM, OPT(vmb_load_opts, key_dist), "uniform", 0, 0,
     dist_choices, NULL, "key distribution"},
    {"zipf_skew", VMB_OPT_DOUBLE, OPT(vmb_load_opts, zipf_skew), "0.99", 0.01,
     5, NULL, NULL, "zipfian skew (theta)"},
    {"value_size", VMB_OPT_SIZE, OPT(vmb_load_opts, value_size_bytes), "256",
     1, 536870912, NULL, NULL, "value size, or the low end of a range"},
    {"value_size_max", VMB_OPT_SIZE, OPT(vmb_load_opts, value_size_max_bytes),
     "0", 0, 536870912, NULL, NULL,
     "high end of the value size range; 0 = fixed value_size"},
    {"rate", VMB_OPT_RATE, OPT(vmb_load_opts, rate_per_s), "0", 0, 1e9, NULL,
     NULL, "0 = closed loop; N = open loop at N ops/s, latency corrected"},
    {"warmup", VMB_OPT_DURATION, OPT(vmb_load_opts, warmup_us), "0s", 0,
     3600e6, NULL, NULL, "time at the start of each phase left out"},
    {"read_from", VMB_OPT_ENUM, OPT(vmb_load_opts, read_from), "primary", 0,
     0, readfrom_choices, NULL, "where reads go: primary, replica or both"},
    {"connect_timeout", VMB_OPT_DURATION,
     OPT(vmb_load_opts, connect_timeout_us), "5s", 1000, 600e6, NULL, NULL,
     "time allowed to connect"},
    {"request_timeout", VMB_OPT_DURATION,
     OPT(vmb_load_opts, request_timeout_us), "10s", 1000, 3600e6, NULL, NULL,
     "a request without an answer for this long counts as a timeout"},
    {"key_prefix", VMB_OPT_STRING, OPT(vmb_load_opts, key_prefix), "key:", 0,
     0, NULL, NULL, "prefix of every key"},
};

static const struct vmb_option control_options[] = {
    {"baremetal", VMB_OPT_BOOL, OPT(vmb_control_opts, baremetal), "true", 0,
     0, NULL, NULL, "run the same two nodes on bare metal as the control"},
    {"match_resources", VMB_OPT_BOOL, OPT(vmb_control_opts, match_resources),
     "true", 0, 0, NULL, NULL,
     "pin and cap each control node like one VM (CPUs, memory)"},
};

const struct vmb_option vmb_phase_options[] = {
    {"op", VMB_OPT_ENUM, OPT(vmb_phase, op), "write", 0, 0, op_choices, NULL,
     "write (SET), read (GET) or mixed"},
    {"n", VMB_OPT_INT, OPT(vmb_phase, n), "0", 0, 1e12, NULL, NULL,
     "operations to run; 0 = run for duration"},
    {"duration", VMB_OPT_DURATION, OPT(vmb_phase, duration_us), "0s", 0,
     86400e6, NULL, NULL, "time to run when n is 0"},
    {"ratio", VMB_OPT_STRING, OPT(vmb_phase, ratio), "write:1,read:1", 0, 0,
     NULL, NULL, "mixed: weights of writes and reads"},
};
const size_t vmb_nphase_options =
    sizeof(vmb_phase_options) / sizeof(vmb_phase_options[0]);

#define SECTION(n, tbl, field)                                                 \
    {n, tbl, sizeof(tbl) / sizeof(tbl[0]), offsetof(struct vmb_config, field)}

const struct vmb_section vmb_sections[] = {
    SECTION("", top_options, top),
    SECTION("hypervisor", hypervisor_options, hypervisor),
    SECTION("guest", guest_options, guest),
    SECTION("network", network_options, network),
    SECTION("database", database_options, database),
    SECTION("load", load_options, load),
    SECTION("control", control_options, control),
};
const size_t vmb_nsections = sizeof(vmb_sections) / sizeof(vmb_sections[0]);

const struct vmb_section *
vmb_section_find(const char *name)
{
    for (size_t i = 0; i < vmb_nsections; i++)
        if (strcmp(vmb_sections[i].name, name) == 0)
            return &vmb_sections[i];
    return NULL;
}

const struct vmb_option *
vmb_option_find(const struct vmb_option *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    for (size_t i = 0; i < n; i++)
        if (opts[i].alias != NULL && strcmp(opts[i].alias, name) == 0)
            return &opts[i];
    return NULL;
}

int
vmb_option_resolve(const char *path, const struct vmb_section **sec,
                   const struct vmb_option **opt)
{
    const char *dot = strchr(path, '.');
    if (dot != NULL) {
        autofree char *sname = strndup(path, (size_t)(dot - path));
        const struct vmb_section *s = vmb_section_find(sname);
        if (s == NULL || s->name[0] == '\0')
            return -1;
        const struct vmb_option *o = vmb_option_find(s->options, s->noptions,
                                                     dot + 1);
        if (o == NULL)
            return -1;
        *sec = s;
        *opt = o;
        return 0;
    }
    /* A bare name: a Kata alias or the short name of a guest option. */
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        if (s->name[0] == '\0')
            continue;
        for (size_t j = 0; j < s->noptions; j++) {
            const struct vmb_option *o = &s->options[j];
            bool shortname = strcmp(s->name, "guest") == 0 &&
                             strcmp(o->name, path) == 0;
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

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *
vmb_option_suggest(const struct vmb_option *opts, size_t n, const char *name)
{
    const char *best = NULL;
    size_t bestd = 99;
    for (size_t i = 0; i < n; i++) {
        const char *cands[2] = {opts[i].name, opts[i].alias};
        for (size_t k = 0; k < 2; k++) {
            if (cands[k] == NULL)
                continue;
            size_t d = edit_distance(name, cands[k]);
            if (d < bestd) {
                bestd = d;
                best = cands[k];
            }
        }
    }
    size_t len = strlen(name);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return bestd <= limit ? best : NULL;
}

static void *
field(void *base, const struct vmb_option *opt)
{
    return (char *)base + opt->offset;
}

static const void *
cfield(const void *base, const struct vmb_option *opt)
{
    return (const char *)base + opt->offset;
}

static bool
has_range(const struct vmb_option *opt)
{
    return opt->min != 0 || opt->max != 0;
}

static int
range_error(const struct vmb_option *opt, const char *text,
            struct vmb_error **err)
{
    char lo[32], hi[32];
    switch (opt->type) {
    case VMB_OPT_SIZE:
        vmb_format_size_bytes((uint64_t)opt->min, lo, sizeof(lo));
        vmb_format_size_bytes((uint64_t)opt->max, hi, sizeof(hi));
        break;
    case VMB_OPT_DURATION:
        vmb_format_duration_us((uint64_t)opt->min, lo, sizeof(lo));
        vmb_format_duration_us((uint64_t)opt->max, hi, sizeof(hi));
        break;
    default:
        snprintf(lo, sizeof(lo), "%.15g", opt->min);
        snprintf(hi, sizeof(hi), "%.15g", opt->max);
    }
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "value \"%s\" is out of range; expected %s to %s",
                         text, lo, hi);
}

static int
check_range(const struct vmb_option *opt, double v, const char *text,
            struct vmb_error **err)
{
    if (has_range(opt) && (v < opt->min || v > opt->max))
        return range_error(opt, text, err);
    return 0;
}

static const char *
expected_of(const struct vmb_option *opt)
{
    switch (opt->type) {
    case VMB_OPT_BOOL: return "a boolean (true/false, on/off, yes/no)";
    case VMB_OPT_INT: return "an integer like 200 or 20k";
    case VMB_OPT_SIZE: return "a size like 4096, 4k, 512M or 3G";
    case VMB_OPT_MIB: return "a memory size in MiB like 2048, or 2G";
    case VMB_OPT_DURATION: return "a duration like 500ms, 5s or 2m";
    case VMB_OPT_RATE: return "a rate like 20000 or 20k";
    case VMB_OPT_DOUBLE: return "a number like 0.99";
    case VMB_OPT_STRING: return "a string";
    case VMB_OPT_ENUM: return "one of the choices";
    }
    return "a value";
}

static int
type_error(const struct vmb_option *opt, const char *text,
           struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0, "expected %s, got \"%s\"",
                         expected_of(opt), text);
}

int
vmb_option_parse(const struct vmb_option *opt, const char *text, void *base,
                 struct vmb_error **err)
{
    void *f = field(base, opt);
    switch (opt->type) {
    case VMB_OPT_BOOL: {
        bool b;
        if (vmb_parse_bool(text, &b) < 0)
            return type_error(opt, text, err);
        *(bool *)f = b;
        return 0;
    }
    case VMB_OPT_INT: {
        double v;
        if (vmb_parse_count(text, &v) < 0 || v != floor(v) || v > 9.2e18)
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        *(int64_t *)f = (int64_t)v;
        return 0;
    }
    case VMB_OPT_RATE: {
        double v;
        if (vmb_parse_count(text, &v) < 0 || v > 1.8e19)
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        *(uint64_t *)f = (uint64_t)floor(v + 0.5);
        return 0;
    }
    case VMB_OPT_SIZE:
    case VMB_OPT_MIB:
    case VMB_OPT_DURATION: {
        uint64_t v;
        int r = opt->type == VMB_OPT_SIZE ? vmb_parse_size_bytes(text, &v)
                : opt->type == VMB_OPT_MIB ? vmb_parse_mib(text, &v)
                                           : vmb_parse_duration_us(text, &v);
        if (r < 0)
            return type_error(opt, text, err);
        if (check_range(opt, (double)v, text, err) < 0)
            return -1;
        *(uint64_t *)f = v;
        return 0;
    }
    case VMB_OPT_DOUBLE: {
        char *end = NULL;
        double v = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(v))
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        *(double *)f = v;
        return 0;
    }
    case VMB_OPT_STRING: {
        char **s = f;
        free(*s);
        *s = vmb_xstrdup(text);
        return 0;
    }
    case VMB_OPT_ENUM: {
        for (int i = 0; opt->choices[i] != NULL; i++) {
            if (strcmp(opt->choices[i], text) == 0) {
                *(int *)f = i;
                return 0;
            }
        }
        struct vmb_buf b = {0};
        for (int i = 0; opt->choices[i] != NULL; i++)
            vmb_buf_printf(&b, "%s%s", i ? ", " : "", opt->choices[i]);
        vmb_error_set(err, VMB_ERR_INPUT, 0, "expected one of %s, got \"%s\"",
                      b.data, text);
        vmb_buf_free(&b);
        return -1;
    }
    }
    return type_error(opt, text, err);
}

char *
vmb_option_format(const struct vmb_option *opt, const void *base)
{
    const void *f = cfield(base, opt);
    char buf[64];
    switch (opt->type) {
    case VMB_OPT_BOOL:
        return vmb_xstrdup(*(const bool *)f ? "on" : "off");
    case VMB_OPT_INT:
        return vmb_xasprintf("%" PRId64, *(const int64_t *)f);
    case VMB_OPT_RATE:
    case VMB_OPT_MIB:
        return vmb_xasprintf("%" PRIu64, *(const uint64_t *)f);
    case VMB_OPT_SIZE:
        vmb_format_size_bytes(*(const uint64_t *)f, buf, sizeof(buf));
        return vmb_xstrdup(buf);
    case VMB_OPT_DURATION:
        vmb_format_duration_us(*(const uint64_t *)f, buf, sizeof(buf));
        return vmb_xstrdup(buf);
    case VMB_OPT_DOUBLE:
        return vmb_xasprintf("%.15g", *(const double *)f);
    case VMB_OPT_STRING: {
        const char *s = *(char *const *)f;
        return vmb_xstrdup(s ? s : "");
    }
    case VMB_OPT_ENUM:
        return vmb_xstrdup(opt->choices[*(const int *)f]);
    }
    return vmb_xstrdup("");
}

void
vmb_options_defaults(const struct vmb_option *opts, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        struct vmb_error *err = NULL;
        if (vmb_option_parse(&opts[i], opts[i].def, base, &err) < 0) {
            /* A default that does not parse is a bug in the table. */
            fprintf(stderr, "vmbench: bad default of option \"%s\": %s\n",
                    opts[i].name, err->msg);
            abort();
        }
    }
}

void
vmb_options_free(const struct vmb_option *opts, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].type != VMB_OPT_STRING)
            continue;
        char **s = field(base, &opts[i]);
        free(*s);
        *s = NULL;
    }
}

void
vmb_options_copy(const struct vmb_option *opts, size_t n, void *dst,
                 const void *src)
{
    for (size_t i = 0; i < n; i++) {
        const struct vmb_option *o = &opts[i];
        if (o->type == VMB_OPT_STRING) {
            char **d = field(dst, o);
            const char *s = *(char *const *)cfield(src, o);
            free(*d);
            *d = s ? vmb_xstrdup(s) : NULL;
            continue;
        }
        size_t sz = o->type == VMB_OPT_BOOL ? sizeof(bool)
                    : o->type == VMB_OPT_ENUM ? sizeof(int)
                    : o->type == VMB_OPT_DOUBLE ? sizeof(double)
                                                : sizeof(uint64_t);
        memcpy(field(dst, o), cfield(src, o), sz);
    }
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
        vmb_options_copy(vmb_phase_options, vmb_nphase_options,
                         &dst->phases[i], &src->phases[i]);
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

static void
options_to_json(struct vmb_jw *w, const struct vmb_option *opts, size_t n,
                const void *base)
{
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        autofree char *v = vmb_option_format(&opts[i], base);
        vmb_jw_kstr(w, opts[i].name, v);
    }
    vmb_jw_obj_end(w);
}

void
vmb_config_to_json(struct vmb_jw *w, const struct vmb_config *cfg)
{
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        vmb_jw_key(w, s->name[0] ? s->name : "run");
        options_to_json(w, s->options, s->noptions, csection_base(s, cfg));
    }
    vmb_jw_key(w, "phases");
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < cfg->nphases; i++)
        options_to_json(w, vmb_phase_options, vmb_nphase_options,
                        &cfg->phases[i]);
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

const char *
vmb_storage_name(int storage)
{
    return storage_choices[storage];
}

const char *
vmb_op_name(int op)
{
    return op_choices[op];
}

const char *
vmb_accel_name(int accel)
{
    return accel_choices[accel];
}
