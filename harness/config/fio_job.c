/*
 * The fio job-file checker (fio_job.h says what it refuses and why).
 *
 * The syntax is fio's ini dialect: `[section]` headers, `key` or
 * `key=value` lines (blanks around `=` allowed), whole-line comments
 * starting with `;` or `#`. Each value kind below has a character set
 * that leaves out `/`, `$`, quotes, `;` and `#`, so no accepted value can
 * spell a path, an expansion or a trailing comment fio might read
 * differently from us.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/units.h"
#include "base/util.h"
#include "config/fio_job.h"

enum kind {
    K_FLAG,    /* bare, 0 or 1 */
    K_INT,     /* an integer, at most max */
    K_SIZE,    /* one size: 4k, 1g, 4096 */
    K_VOLSIZE, /* one size or percentage, at most the data volume */
    K_SIZES,   /* up to three sizes or ranges (read,write,trim): 4k-64k */
    K_BSSPLIT, /* 4k/10:64k/90, per direction */
    K_TIME,    /* 30, 30s, 500ms, 2m */
    K_PCT,     /* 0..100, a comma list of them */
    K_CHOICE,  /* one of choices, with ":N" when colon_int */
    K_DIST,    /* random, zipf:1.2, pareto:0.9, normal:20 */
    K_NAME,    /* a job name */
    K_TEXT,    /* a description */
};

struct fio_opt {
    const char *name;
    const char *canon; /* the option an alias spells; NULL: itself */
    enum kind kind;
    const char *const *choices;
    uint64_t max; /* K_INT */
    bool colon_int;
    /* Values fio itself refuses, checked once the shape is right: K_INT
     * below min; a block size of 0 (K_SIZES, K_BSSPLIT) where nonzero. */
    uint64_t min;
    bool nonzero;
};

static const char *const rw_choices[] = {"read",      "write", "randread",
                                         "randwrite", "rw",    "readwrite",
                                         "randrw",    NULL};
/* Engines that need no external object, no device and no network. */
static const char *const engine_choices[] = {
    "sync",     "psync",    "vsync", "pvsync", "pvsync2", "libaio",
    "io_uring", "posixaio", "mmap",  "null",   NULL};
static const char *const sync_choices[] = {"0",    "1",     "none",
                                           "sync", "dsync", NULL};
static const char *const fallocate_choices[] = {
    "none", "native", "posix", "keep", "0", "1", NULL};
static const char *const submit_choices[] = {"inline", "offload", NULL};
static const char *const rate_process_choices[] = {"linear", "poisson", NULL};
static const char *const generator_choices[] = {"tausworthe", "lfsr",
                                                "tausworthe64", NULL};
static const char *const service_choices[] = {
    "random", "roundrobin", "sequential", "zipf", "pareto", "normal", NULL};
static const char *const mem_choices[] = {"malloc", "shm", "mmap", "mmapshared",
                                          NULL};
static const char *const kb_choices[] = {"1024", "1000", NULL};
static const char *const unit_choices[] = {"0", "1", "8", NULL};
static const char *const coe_choices[] = {
    "none", "read", "write", "io", "verify", "all", "0", "1", NULL};

#define MAXI UINT64_C(1000000000000)

/* The list: what fio_job.h calls "the options on its own list". */
static const struct fio_opt opts[] = {
    {.name = "name", .kind = K_NAME},
    {.name = "description", .kind = K_TEXT},
    {.name = "stonewall", .kind = K_FLAG},
    {.name = "wait_for_previous", .canon = "stonewall", .kind = K_FLAG},
    {.name = "new_group", .kind = K_FLAG},
    {.name = "group_reporting", .kind = K_FLAG},
    {.name = "numjobs",
     .kind = K_INT,
     .max = VMB_FIO_JOB_MAX_NUMJOBS,
     .min = 1},
    {.name = "thread", .kind = K_FLAG},
    {.name = "rw", .kind = K_CHOICE, .choices = rw_choices, .colon_int = true},
    {.name = "readwrite",
     .canon = "rw",
     .kind = K_CHOICE,
     .choices = rw_choices,
     .colon_int = true},
    {.name = "rwmixread", .kind = K_PCT},
    {.name = "rwmixwrite", .kind = K_PCT},
    {.name = "percentage_random", .kind = K_PCT},
    {.name = "randrepeat", .kind = K_FLAG},
    {.name = "allrandrepeat", .kind = K_FLAG},
    {.name = "randseed", .kind = K_INT, .max = UINT64_MAX},
    {.name = "random_distribution", .kind = K_DIST},
    {.name = "random_generator",
     .kind = K_CHOICE,
     .choices = generator_choices},
    {.name = "norandommap", .kind = K_FLAG},
    {.name = "size", .kind = K_VOLSIZE},
    {.name = "filesize", .kind = K_VOLSIZE},
    {.name = "offset", .kind = K_VOLSIZE},
    {.name = "offset_increment", .kind = K_SIZE},
    {.name = "io_size", .kind = K_SIZE},
    {.name = "io_limit", .canon = "io_size", .kind = K_SIZE},
    {.name = "nrfiles", .kind = K_INT, .max = 4096, .min = 1},
    {.name = "openfiles", .kind = K_INT, .max = 4096},
    {.name = "file_service_type",
     .kind = K_CHOICE,
     .choices = service_choices,
     .colon_int = true},
    {.name = "fallocate", .kind = K_CHOICE, .choices = fallocate_choices},
    {.name = "fadvise_hint", .kind = K_FLAG},
    {.name = "create_on_open", .kind = K_FLAG},
    {.name = "unlink", .kind = K_FLAG},
    {.name = "unlink_each_loop", .kind = K_FLAG},
    {.name = "file_append", .kind = K_FLAG},
    {.name = "bs", .kind = K_SIZES, .nonzero = true},
    {.name = "blocksize", .canon = "bs", .kind = K_SIZES, .nonzero = true},
    {.name = "bsrange", .kind = K_SIZES, .nonzero = true},
    {.name = "blocksize_range",
     .canon = "bsrange",
     .kind = K_SIZES,
     .nonzero = true},
    {.name = "bssplit", .kind = K_BSSPLIT, .nonzero = true},
    {.name = "ba", .kind = K_SIZES},
    {.name = "blockalign", .canon = "ba", .kind = K_SIZES},
    {.name = "bs_unaligned", .kind = K_FLAG},
    {.name = "bs_is_seq_rand", .kind = K_FLAG},
    {.name = "ioengine", .kind = K_CHOICE, .choices = engine_choices},
    {.name = "iodepth", .kind = K_INT, .max = 65536, .min = 1},
    {.name = "iodepth_batch", .kind = K_INT, .max = 65536},
    {.name = "iodepth_batch_submit",
     .canon = "iodepth_batch",
     .kind = K_INT,
     .max = 65536},
    {.name = "iodepth_batch_complete_min", .kind = K_INT, .max = 65536},
    {.name = "iodepth_batch_complete",
     .canon = "iodepth_batch_complete_min",
     .kind = K_INT,
     .max = 65536},
    {.name = "iodepth_batch_complete_max", .kind = K_INT, .max = 65536},
    {.name = "iodepth_low", .kind = K_INT, .max = 65536},
    {.name = "io_submit_mode", .kind = K_CHOICE, .choices = submit_choices},
    {.name = "direct", .kind = K_FLAG},
    {.name = "buffered", .kind = K_FLAG},
    {.name = "sync", .kind = K_CHOICE, .choices = sync_choices},
    {.name = "fsync", .kind = K_INT, .max = MAXI},
    {.name = "fdatasync", .kind = K_INT, .max = MAXI},
    {.name = "fsync_on_close", .kind = K_FLAG},
    {.name = "end_fsync", .kind = K_FLAG},
    {.name = "write_barrier", .kind = K_INT, .max = MAXI},
    {.name = "hipri", .kind = K_FLAG},
    {.name = "fixedbufs", .kind = K_FLAG},
    {.name = "registerfiles", .kind = K_FLAG},
    {.name = "nonvectored", .kind = K_FLAG},
    {.name = "uncached", .kind = K_FLAG},
    {.name = "userspace_reap", .kind = K_FLAG},
    {.name = "rate", .kind = K_SIZES},
    {.name = "rate_min", .kind = K_SIZES},
    {.name = "rate_iops", .kind = K_SIZES},
    {.name = "rate_iops_min", .kind = K_SIZES},
    {.name = "rate_process", .kind = K_CHOICE, .choices = rate_process_choices},
    {.name = "rate_ignore_thinktime", .kind = K_FLAG},
    {.name = "rate_cycle", .kind = K_INT, .max = MAXI},
    {.name = "thinktime", .kind = K_TIME},
    {.name = "thinktime_spin", .kind = K_TIME},
    {.name = "thinktime_blocks", .kind = K_INT, .max = MAXI},
    {.name = "runtime", .kind = K_TIME},
    {.name = "timeout", .canon = "runtime", .kind = K_TIME},
    {.name = "time_based", .kind = K_FLAG},
    {.name = "ramp_time", .kind = K_TIME},
    {.name = "startdelay", .kind = K_TIME},
    {.name = "number_ios", .kind = K_INT, .max = MAXI},
    {.name = "loops", .kind = K_INT, .max = 1000000},
    {.name = "invalidate", .kind = K_FLAG},
    {.name = "pre_read", .kind = K_FLAG},
    {.name = "zero_buffers", .kind = K_FLAG},
    {.name = "refill_buffers", .kind = K_FLAG},
    {.name = "scramble_buffers", .kind = K_FLAG},
    {.name = "buffer_compress_percentage", .kind = K_PCT},
    {.name = "buffer_compress_chunk", .kind = K_SIZE},
    {.name = "dedupe_percentage", .kind = K_PCT},
    {.name = "mem", .kind = K_CHOICE, .choices = mem_choices},
    {.name = "iomem", .canon = "mem", .kind = K_CHOICE, .choices = mem_choices},
    {.name = "mem_align", .kind = K_SIZE},
    {.name = "iomem_align", .canon = "mem_align", .kind = K_SIZE},
    {.name = "kb_base", .kind = K_CHOICE, .choices = kb_choices},
    {.name = "unit_base", .kind = K_CHOICE, .choices = unit_choices},
    {.name = "continue_on_error", .kind = K_CHOICE, .choices = coe_choices},
    {.name = "exitall", .kind = K_FLAG},
    {.name = "exitall_on_error", .kind = K_FLAG},
    {.name = "serialize_overlap", .kind = K_FLAG},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Options known to reach outside the data directory, and what they name:
 * each is refused with that word rather than as merely unlisted. */
static const struct {
    const char *name;
    const char *what;
} outside[] = {
    {"filename", "file or device"},  {"filename_format", "file"},
    {"directory", "directory"},      {"opendir", "directory"},
    {"write_bw_log", "file"},        {"write_lat_log", "file"},
    {"write_iops_log", "file"},      {"write_hist_log", "file"},
    {"write_iolog", "file"},         {"read_iolog", "file"},
    {"merge_blktrace_file", "file"}, {"trigger_file", "file"},
    {"verify_state_save", "file"},   {"verify_state_load", "file"},
    {"replay_redirect", "device"},   {"ioscheduler", "device"},
    {"cgroup", "control group"},     {"exec_prerun", "command"},
    {"exec_postrun", "command"},     {"trigger", "command"},
    {"trigger_cmd", "command"},      {"trigger_remote_cmd", "command"},
};
#define NOUTSIDE (sizeof(outside) / sizeof(outside[0]))

static const struct fio_opt *
find_opt(const char *name)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

static const char *
canon_of(const struct fio_opt *o)
{
    return o->canon ? o->canon : o->name;
}

static bool
all_in(const char *s, const char *set)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr(set, *s) == NULL)
            return false;
    return true;
}

/* One size ("4k", "1g", "4096", "64KiB"); fio's kb_base is 1024 here. */
static bool
parse_size(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 32 || !isdigit((unsigned char)s[0]))
        return false;
    char buf[40];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return vmb_parse_size_bytes(buf, out) == 0;
}

/* Up to three comma-separated fields, each empty, a size or a range of
 * two sizes joined by '-' or ':'. */
static bool
check_sizes(const char *v)
{
    int fields = 0;
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (++fields > 3)
            return false;
        size_t dash = strcspn(p, "-:");
        uint64_t x;
        if (dash < n) {
            if (!parse_size(p, dash, &x) ||
                !parse_size(p + dash + 1, n - dash - 1, &x))
                return false;
        } else if (n > 0 && !parse_size(p, n, &x)) {
            return false;
        }
        if (p[n] == '\0')
            return fields > 1 || n > 0;
        p += n + 1;
    }
}

/* "4k/10:64k/90", fields separated by ',' per direction. */
static bool
check_bssplit(const char *v)
{
    if (!all_in(v, "/:,%") || *v == '\0')
        return false;
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ":,");
        size_t slash = strcspn(p, "/");
        uint64_t x;
        size_t sz = slash < n ? slash : n;
        if (!parse_size(p, sz, &x))
            return false;
        if (slash < n) {
            for (size_t i = slash + 1; i < n; i++)
                if (!isdigit((unsigned char)p[i]))
                    return false;
        }
        p += n;
        if (*p)
            p++;
    }
    return true;
}

static bool
check_int(const char *v, uint64_t max)
{
    if (!isdigit((unsigned char)*v) || strlen(v) > 20)
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    return errno == 0 && *end == '\0' && x <= max;
}

static bool
check_pct(const char *v)
{
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n > 3)
            return false;
        unsigned x = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)p[i]))
                return false;
            x = x * 10 + (unsigned)(p[i] - '0');
        }
        if (x > 100)
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

static bool
check_time(const char *v)
{
    static const char *const units[] = {
        "", "us", "usec", "ms", "msec", "s", "sec", "m", "min", "h", "d", NULL};
    size_t d = strspn(v, "0123456789");
    if (d == 0 || d > 12)
        return false;
    for (size_t i = 0; units[i]; i++)
        if (strcmp(v + d, units[i]) == 0)
            return true;
    return false;
}

static bool
check_choice(const struct fio_opt *o, const char *v)
{
    size_t n = strcspn(v, ":");
    if (v[n] == ':') {
        if (!o->colon_int || !check_int(v + n + 1, MAXI))
            return false;
    }
    for (size_t i = 0; o->choices[i]; i++)
        if (strlen(o->choices[i]) == n && strncmp(o->choices[i], v, n) == 0)
            return true;
    return false;
}

static bool
check_dist(const char *v)
{
    static const char *const dists[] = {"random", "zipf",  "pareto",
                                        "normal", "gauss", NULL};
    if (!all_in(v, ".:,"))
        return false;
    size_t n = strcspn(v, ":");
    for (size_t i = 0; dists[i]; i++)
        if (strlen(dists[i]) == n && strncmp(dists[i], v, n) == 0)
            return v[n] == '\0' || (i > 0 && v[n + 1] != '\0');
    return false;
}

/* What a value of each kind looks like, for the refusal. */
static const char *
kind_text(const struct fio_opt *o)
{
    switch (o->kind) {
    case K_FLAG:
        return "nothing, \"0\" or \"1\"";
    case K_INT:
        return "a whole number";
    case K_SIZE:
        return "a size such as \"4k\"";
    case K_VOLSIZE:
        return "a size such as \"1g\" or a percentage";
    case K_SIZES:
        return "sizes such as \"4k\", \"4k-64k\" or \"4k,64k\"";
    case K_BSSPLIT:
        return "a split such as \"4k/10:64k/90\"";
    case K_TIME:
        return "a time such as \"30s\"";
    case K_PCT:
        return "a percentage from 0 to 100";
    case K_CHOICE:
        return "one of the choices docs/fio.md lists";
    case K_DIST:
        return "random, zipf:T, pareto:T, normal:P or gauss:P";
    case K_NAME:
        return "letters, digits, '_', '-' or '.'";
    case K_TEXT:
        return "plain words";
    }
    return "";
}

/* The first size of 0 among v's ("4k,0", "0-64k", "0/50:4k/50"), or
 * false. */
static bool
has_zero_size(const char *v)
{
    for (const char *p = v; *p;) {
        size_t n = strspn(p, "0123456789");
        uint64_t x = 1;
        if (n > 0 && parse_size(p, n + strcspn(p + n, ",-:/"), &x) && x == 0)
            return true;
        p += strcspn(p, ",-:/");
        if (*p == '/')
            p += 1 + strspn(p + 1, "0123456789");
        if (*p)
            p++;
    }
    return false;
}

/*
 * Values of the right shape that fio refuses, or takes for something
 * else than they say: an integer below fio's least, a block size of 0,
 * bssplit percentages adding up to more than 100 in a direction (fio
 * then draws sizes from a split the file does not say).
 */
static int
check_bounds(const struct fio_opt *o, const char *v, struct vmb_error **err)
{
    if (o->kind == K_INT && strtoull(v, NULL, 10) < o->min)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" is \"%s\", below %" PRIu64
                             ", the least fio takes",
                             o->name, v, o->min);
    if (o->nonzero && has_zero_size(v))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" has value \"%s\", a block size "
                             "of 0; fio takes at least 1 byte",
                             o->name, v);
    if (o->kind != K_BSSPLIT)
        return 0;
    static const char *const dirs[] = {"reads", "writes", "trims"};
    unsigned sum = 0;
    size_t dir = 0;
    for (const char *p = v;; p++) {
        if (*p == '/')
            sum += (unsigned)strtoul(p + 1, NULL, 10) > 100
                       ? 101
                       : (unsigned)strtoul(p + 1, NULL, 10);
        if (*p != ',' && *p != '\0')
            continue;
        if (sum > 100)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "option \"bssplit\" has value \"%s\", "
                                 "whose percentages for %s add up to more "
                                 "than 100",
                                 v, dirs[dir < 3 ? dir : 2]);
        if (*p == '\0')
            return 0;
        sum = 0;
        dir++;
    }
}

/* Checks v (NULL: a bare key) for o; data_bytes bounds K_VOLSIZE. */
static int
check_value(const struct fio_opt *o, const char *v, uint64_t data_bytes,
            struct vmb_error **err)
{
    bool ok = false;
    if (v == NULL)
        ok = o->kind == K_FLAG;
    else if (*v == '\0')
        ok = false;
    else {
        switch (o->kind) {
        case K_FLAG:
            ok = strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
            break;
        case K_INT:
            ok = check_int(v, o->max);
            break;
        case K_SIZE: {
            uint64_t x;
            ok = parse_size(v, strlen(v), &x);
            break;
        }
        case K_VOLSIZE: {
            size_t n = strlen(v);
            if (n > 1 && n <= 4 && v[n - 1] == '%') {
                char pct[4] = {0};
                memcpy(pct, v, n - 1);
                ok = check_pct(pct);
                break;
            }
            uint64_t x;
            ok = parse_size(v, n, &x);
            if (ok && data_bytes > 0 && x > data_bytes) {
                char vol[32];
                vmb_format_size_bytes(data_bytes, vol, sizeof(vol));
                return vmb_error_set(
                    err, VMB_ERR_INPUT, 0,
                    "option \"%s\" is \"%s\", larger than the data "
                    "volume (\"%s\", data_size)",
                    o->name, v, vol);
            }
            break;
        }
        case K_SIZES:
            ok = all_in(v, ",-:") && check_sizes(v);
            break;
        case K_BSSPLIT:
            ok = check_bssplit(v);
            break;
        case K_TIME:
            ok = check_time(v);
            break;
        case K_PCT:
            ok = check_pct(v);
            break;
        case K_CHOICE:
            ok = all_in(v, "_:") && check_choice(o, v);
            break;
        case K_DIST:
            ok = check_dist(v);
            break;
        case K_NAME:
            ok = strlen(v) <= 64 && all_in(v, "_-.");
            break;
        case K_TEXT:
            ok = strlen(v) <= 200 && all_in(v, " _-.,:()");
            break;
        }
    }
    if (ok)
        return v != NULL ? check_bounds(o, v, err) : 0;
    if (o->kind == K_CHOICE && strcmp(o->name, "ioengine") == 0 && v &&
        (vmb_str_has_prefix(v, "external") || strchr(v, '/') != NULL))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"ioengine\" names a library (\"%s\"), "
                             "which vmbench never loads",
                             v);
    if (v == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" needs a value: %s", o->name,
                             kind_text(o));
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "option \"%s\" has value \"%s\", expected %s", o->name,
                         v, kind_text(o));
}

/* Refuses a key that is not on the list, saying what it would reach. */
static int
refuse_key(const char *key, struct vmb_error **err)
{
    for (size_t i = 0; i < NOUTSIDE; i++)
        if (strcmp(outside[i].name, key) == 0)
            return vmb_error_set(
                err, VMB_ERR_INPUT, 0,
                "option \"%s\" names a %s; vmbench runs a job only in the "
                "data directory it sets up",
                key, outside[i].what);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "option \"%s\" is not on vmbench's list of fio "
                         "options (docs/fio.md lists them)",
                         key);
}

int
vmb_fio_job_check_option(const char *key, const char *value,
                         uint64_t data_bytes, struct vmb_error **err)
{
    const struct fio_opt *o = find_opt(key);
    if (o == NULL)
        return refuse_key(key, err);
    return check_value(o, value, data_bytes, err);
}

void
vmb_fio_job_free(struct vmb_fio_job *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->nopts; i++) {
        free(j->opts[i].section);
        free(j->opts[i].key);
        free(j->opts[i].value);
    }
    free(j->opts);
    free(j->name);
    free(j->text);
    free(j);
}

static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/*
 * What one scope ([global] so far, or the current job section) says of
 * the files each of its processes lays out: size, else nrfiles files of
 * filesize; the line and option that said it last, for a refusal.
 */
struct layout {
    uint64_t size, filesize, nrfiles; /* 0: not set */
    /* Where each process's I/O starts in its files: fio lays out (and
     * writes) each file up to there plus its size. */
    uint64_t offset, offset_increment;
    bool has_offset, has_offset_increment;
    int line;
    const char *key; /* static: the option's name in the list */
};

/*
 * The processes fio would start: each job section's numjobs, its own or
 * that of the [global] before it. Bounded like one section's, so a file
 * cannot fork thousands of processes on the host. And the bytes their
 * files take together (each process lays out its own files): bounded by
 * the data volume, so that the jobs fit where they run.
 */
struct procs {
    uint64_t global; /* numjobs of the [global] sections so far */
    uint64_t mine;   /* the current job section's; 0: not set */
    bool in_job;
    uint64_t total;
    struct layout glay, mlay;
    uint64_t bytes;      /* over the job sections ended so far */
    uint64_t data_bytes; /* the bound; 0: none */
    int err_line;        /* where a refusal of bytes points; 0: none */
};

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* The files the n processes of the current job section lay out (its own
 * values over the [global]'s), at most UINT64_MAX; *from says which line
 * set them. Process k's files start at offset + k x offset_increment,
 * and each file is laid out from 0 to its start plus its size. */
static uint64_t
section_bytes(const struct procs *pc, uint64_t n, const struct layout **from)
{
    const struct layout *m = &pc->mlay, *g = &pc->glay;
    *from = m->line > 0 ? m : g;
    uint64_t size = m->size ? m->size : g->size;
    uint64_t fs = m->filesize ? m->filesize : g->filesize;
    uint64_t nr = m->nrfiles ? m->nrfiles : g->nrfiles ? g->nrfiles : 1;
    uint64_t off = m->has_offset ? m->offset : g->offset;
    uint64_t inc =
        m->has_offset_increment ? m->offset_increment : g->offset_increment;
    uint64_t first = size > 0 ? sat_add(size, sat_mul(nr, off))
                              : sat_mul(nr, sat_add(fs, off));
    /* The later processes' starts: inc x (0 + 1 + ... + n-1) per file. */
    uint64_t steps = n > 0 ? n * (n - 1) / 2 : 0;
    return sat_add(sat_mul(n, first), sat_mul(nr, sat_mul(inc, steps)));
}

/* Ends the current section (and starts the one named next, NULL at the
 * end of the file); fails once the total is over the bound. */
static int
count_processes(struct procs *pc, const char *next, struct vmb_error **err)
{
    if (pc->in_job) {
        uint64_t n = pc->mine ? pc->mine : pc->global;
        pc->total += n;
        const struct layout *from = NULL;
        pc->bytes = sat_add(pc->bytes, section_bytes(pc, n, &from));
        if (pc->data_bytes > 0 && pc->bytes > pc->data_bytes &&
            pc->total <= VMB_FIO_JOB_MAX_NUMJOBS) {
            char b[32], vol[32];
            vmb_format_size_bytes(pc->bytes, b, sizeof(b));
            vmb_format_size_bytes(pc->data_bytes, vol, sizeof(vol));
            pc->err_line = from->line;
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "option \"%s\" brings the files of the job "
                                 "sections (numjobs x size each) to %s, "
                                 "larger than the data volume (\"%s\", "
                                 "data_size)",
                                 from->key ? from->key : "size", b, vol);
        }
    }
    pc->in_job = next != NULL && strcmp(next, "global") != 0;
    pc->mine = 0;
    pc->mlay = (struct layout){0};
    if (pc->total > VMB_FIO_JOB_MAX_NUMJOBS)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the job sections start %" PRIu64
                             " fio processes, more than %d",
                             pc->total, VMB_FIO_JOB_MAX_NUMJOBS);
    return 0;
}

/* Keeps what an accepted size, filesize or nrfiles line says (value
 * checked already). A percentage is of the data volume. */
static void
note_layout(struct procs *pc, const struct fio_opt *o, const char *value,
            int line)
{
    struct layout *l = pc->in_job ? &pc->mlay : &pc->glay;
    bool *has = strcmp(o->name, "offset") == 0 ? &l->has_offset
                : strcmp(o->name, "offset_increment") == 0
                    ? &l->has_offset_increment
                    : NULL;
    uint64_t *at = strcmp(o->name, "size") == 0       ? &l->size
                   : strcmp(o->name, "filesize") == 0 ? &l->filesize
                   : strcmp(o->name, "nrfiles") == 0  ? &l->nrfiles
                   : strcmp(o->name, "offset") == 0   ? &l->offset
                   : has != NULL                      ? &l->offset_increment
                                                      : NULL;
    if (at == NULL || value == NULL)
        return;
    size_t n = strlen(value);
    uint64_t x = 0;
    /* An offset in percent is of each file's own size: inside it. */
    if (n > 0 && value[n - 1] == '%' && at == &l->offset)
        x = 0;
    else if (n > 0 && value[n - 1] == '%')
        x = pc->data_bytes / 100 * strtoull(value, NULL, 10);
    else if (at == &l->nrfiles)
        x = strtoull(value, NULL, 10);
    else if (!parse_size(value, n, &x))
        return;
    /* fio's range "size=1m-4m" is not on the list: one size here. */
    *at = x;
    if (has != NULL)
        *has = true;
    l->line = line;
    l->key = o->name;
}

/* One line (already trimmed and not a comment) into j; section is the
 * current section's name (NULL before the first header). */
static int
parse_line(struct vmb_fio_job *j, char *s, char **section, struct procs *pc,
           int line, struct vmb_error **err)
{
    if (*s == '[') {
        size_t n = strlen(s);
        if (n < 3 || s[n - 1] != ']')
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "section header \"%s\" is not \"[name]\"", s);
        s[n - 1] = '\0';
        const char *name = s + 1;
        if (strlen(name) > 64 || !all_in(name, "_-."))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "section name \"%s\" may hold only "
                                 "letters, digits, '_', '-' and '.'",
                                 name);
        if (++j->nsections > VMB_FIO_JOB_MAX_SECTIONS)
            return vmb_error_set(err, VMB_ERR_INPUT, 0, "more than %d sections",
                                 VMB_FIO_JOB_MAX_SECTIONS);
        if (strcmp(name, "global") != 0)
            j->njobs++;
        if (count_processes(pc, name, err) < 0)
            return -1;
        free(*section);
        *section = vmb_xstrdup(name);
        return 0;
    }
    if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t'))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"include\" is refused: a job file must "
                             "stand alone");
    char *eq = strchr(s, '=');
    char *value = NULL;
    if (eq != NULL) {
        *eq = '\0';
        value = trim(eq + 1);
    }
    char *key = trim(s);
    if (*key == '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "a value with no option");
    if (!all_in(key, "_"))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not an option name", key);
    if (*section == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" comes before any section; start "
                             "with \"[global]\" or \"[job]\"",
                             key);
    const struct fio_opt *o = find_opt(key);
    if (o == NULL)
        return refuse_key(key, err);
    if (check_value(o, value, pc->data_bytes, err) < 0)
        return -1;
    if (strcmp(o->name, "numjobs") == 0) {
        uint64_t n = strtoull(value, NULL, 10);
        if (pc->in_job)
            pc->mine = n;
        else
            pc->global = n;
    }
    note_layout(pc, o, value, line);
    j->opts = vmb_xrealloc(j->opts, (j->nopts + 1) * sizeof(*j->opts));
    j->opts[j->nopts++] = (struct vmb_fio_job_opt){
        .section = vmb_xstrdup(*section),
        .key = vmb_xstrdup(key),
        .value = value ? vmb_xstrdup(value) : NULL,
    };
    return 0;
}

/* The first "$" expansion on a line, for the refusal. */
static int
refuse_expansion(const char *s, struct vmb_error **err)
{
    const char *d = strchr(s, '$');
    if (d[1] == '{') {
        size_t n = strcspn(d + 2, "}");
        if (n > 40)
            n = 40;
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "environment variable \"${%.*s}\" is refused: "
                             "write the value itself",
                             (int)n, d + 2);
    }
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "expansion \"%.20s\" is refused: write the value "
                         "itself",
                         d);
}

int
vmb_fio_job_parse(const char *name, const char *text, size_t len,
                  uint64_t data_bytes, struct vmb_fio_job **out,
                  struct vmb_error **err)
{
    if (len > VMB_FIO_JOB_MAX_BYTES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: job file is larger than %d bytes", name,
                             VMB_FIO_JOB_MAX_BYTES);
    if (memchr(text, '\0', len) != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: job file holds a NUL byte", name);
    struct vmb_fio_job *j = vmb_xcalloc(1, sizeof(*j));
    j->name = vmb_xstrdup(name);
    j->text = vmb_xstrndup(text, len);
    j->len = len;
    char *copy = vmb_xstrndup(text, len);
    char *section = NULL;
    struct procs pc = {.global = 1, .data_bytes = data_bytes};
    int line = 0;
    int rc = 0;
    char *p = copy;
    while (*p) {
        line++;
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *s = trim(p);
        size_t before = j->nopts;
        if (*s != '\0' && *s != ';' && *s != '#') {
            if (strchr(s, '$') != NULL)
                rc = refuse_expansion(s, err);
            else
                rc = parse_line(j, s, &section, &pc, line, err);
            if (rc < 0) {
                vmb_error_prefix(err, "%s:%d", name,
                                 pc.err_line ? pc.err_line : line);
                break;
            }
            if (j->nopts > before)
                j->opts[before].line = line;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (rc == 0 && j->njobs == 0)
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "%s: no job section (only \"[global]\" or none)",
                           name);
    if (rc == 0 && count_processes(&pc, NULL, err) < 0)
        rc = pc.err_line ? vmb_error_prefix(err, "%s:%d", name, pc.err_line)
                         : vmb_error_prefix(err, "%s", name);
    free(section);
    free(copy);
    if (rc < 0) {
        vmb_fio_job_free(j);
        return -1;
    }
    *out = j;
    return 0;
}

int
vmb_fio_job_load(const char *path, uint64_t data_bytes,
                 struct vmb_fio_job **out, struct vmb_error **err)
{
    /* The matrix names the file: a FIFO there would block the read, and
     * a symlink could lead out of a results directory that is resumed or
     * merged (the file itself is what the results keep). */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "fio job file \"%s\" is a symlink; name the "
                             "file itself",
                             path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "fio job file \"%s\" is not a regular file", path);
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_FIO_JOB_MAX_BYTES, &text, &len, err) < 0)
        return vmb_error_prefix(err, "fio job file \"%s\"", path);
    return vmb_fio_job_parse(path, text, len, data_bytes, out, err);
}

const struct vmb_fio_job_opt *
vmb_fio_job_find(const struct vmb_fio_job *j, const char *key)
{
    const struct fio_opt *want = find_opt(key);
    for (size_t i = 0; i < j->nopts; i++) {
        const struct fio_opt *o = find_opt(j->opts[i].key);
        if (o == NULL || want == NULL)
            continue;
        if (strcmp(canon_of(o), canon_of(want)) == 0)
            return &j->opts[i];
    }
    return NULL;
}
