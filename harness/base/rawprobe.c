#include "base/rawprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define SEQ_BLOCK (1024 * 1024)
#define MAX_SAMPLES 200000

const char *const vmb_rawprobe_fields[VMB_RAWPROBE_NFIELDS] = {
    "fsync_write_rate", "fsync_write_p99_us", "seqwrite_mb_s",
    "randread_iops",    "randread_direct",
};

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int
fail(char *why, size_t len, const char *what, const char *path)
{
    int e = errno;
    snprintf(why, len, "%s \"%s\": %s", what, path, strerror(e));
    errno = e;
    return -1;
}

/*
 * Writes all n bytes at off. A short write is followed by another for the
 * rest, so a full disk fails with the system's own errno (ENOSPC, EDQUOT)
 * rather than whatever errno held before; a write that makes no progress
 * is ENOSPC.
 */
static int
pwrite_full(int fd, const char *buf, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, buf, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int
probe_fsync(int fd, uint64_t each_us, const char *buf,
            struct vmb_rawprobe_result *r)
{
    uint64_t *lat = malloc(MAX_SAMPLES * sizeof(*lat));
    if (lat == NULL)
        return -1;
    size_t n = 0;
    uint64_t t0 = now_ns(), end = t0 + each_us * 1000;
    uint64_t t = t0;
    while (n < MAX_SAMPLES && t < end) {
        /* Rewrites of the first 1 MiB, as a log that is recycled. */
        off_t off = (off_t)(n % 256) * BLOCK;
        if (pwrite_full(fd, buf, BLOCK, off) < 0 || fdatasync(fd) < 0) {
            free(lat);
            return -1;
        }
        uint64_t t1 = now_ns();
        lat[n++] = t1 - t;
        t = t1;
    }
    double secs = (double)(t - t0) / 1e9;
    r->fsync_write_rate = secs > 0 ? (double)n / secs : 0;
    qsort(lat, n, sizeof(*lat), cmp_u64);
    size_t k = n > 0 ? (size_t)ceil(0.99 * (double)n) - 1 : 0;
    r->fsync_write_p99_us = n > 0 ? (double)lat[k] / 1e3 : 0;
    free(lat);
    return 0;
}

static int
probe_seqwrite(int fd, const struct vmb_rawprobe_opts *o, const char *buf,
               uint64_t *written, struct vmb_rawprobe_result *r)
{
    uint64_t t0 = now_ns(), end = t0 + o->each_us * 1000;
    uint64_t off = 0;
    while (off + SEQ_BLOCK <= o->file_bytes && now_ns() < end) {
        if (pwrite_full(fd, buf, SEQ_BLOCK, (off_t)off) < 0)
            return -1;
        off += SEQ_BLOCK;
    }
    if (fdatasync(fd) < 0)
        return -1;
    double secs = (double)(now_ns() - t0) / 1e9;
    r->seqwrite_mb_s = secs > 0 ? (double)off / 1e6 / secs : 0;
    *written = off;
    return 0;
}

/* Reads for each_us; direct: try O_DIRECT first. */
static int
probe_randread(const char *path, uint64_t size, uint64_t each_us, bool direct,
               char *buf, struct vmb_rawprobe_result *r)
{
    int fd = direct ? open(path, O_RDONLY | O_DIRECT | O_CLOEXEC) : -1;
    r->randread_direct = fd >= 0;
    if (fd < 0)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint64_t blocks = size / BLOCK, x = 0x9e3779b97f4a7c15ull, n = 0;
    uint64_t t0 = now_ns(), end = t0 + each_us * 1000, t = t0;
    while (blocks > 0 && t < end) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off_t off = (off_t)((x % blocks) * BLOCK);
        ssize_t got = pread(fd, buf, BLOCK, off);
        if (got < 0 && r->randread_direct && errno == EINVAL && n == 0) {
            /* O_DIRECT opened, but reads refuse it (some 9p setups). */
            close(fd);
            return probe_randread(path, size, each_us, false, buf, r);
        }
        if (got != BLOCK) {
            int e = got < 0 ? errno : EIO;
            close(fd);
            errno = e;
            return -1;
        }
        n++;
        if ((n & 15) == 0)
            t = now_ns();
    }
    t = now_ns();
    close(fd);
    double secs = (double)(t - t0) / 1e9;
    r->randread_iops = secs > 0 ? (double)n / secs : 0;
    return 0;
}

int
vmb_rawprobe_run(const char *dir, const struct vmb_rawprobe_opts *o,
                 struct vmb_rawprobe_result *r, char *why, size_t len)
{
    memset(r, 0, sizeof(*r));
    char path[4096];
    snprintf(path, sizeof(path), "%s/.vmb-rawprobe", dir);
    char *buf = NULL;
    if (posix_memalign((void **)&buf, BLOCK, SEQ_BLOCK) != 0) {
        errno = ENOMEM;
        return fail(why, len, "allocate for", path);
    }
    for (size_t i = 0; i < SEQ_BLOCK; i++)
        buf[i] = (char)(i * 131 + 7);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(buf);
        return fail(why, len, "create", path);
    }
    uint64_t written = 0;
    int rc = 0;
    const char *what = "";
    if (probe_fsync(fd, o->each_us, buf, r) < 0) {
        rc = -1;
        what = "fsync'ed writes to";
    } else if (probe_seqwrite(fd, o, buf, &written, r) < 0) {
        rc = -1;
        what = "sequential writes to";
    }
    int e = errno;
    close(fd);
    /* The reads need a file of some size even when writing was slow. */
    if (rc == 0 && written < 16u * SEQ_BLOCK &&
        o->file_bytes >= 16u * SEQ_BLOCK) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
        for (uint64_t off = written; fd >= 0 && off < 16u * SEQ_BLOCK;
             off += SEQ_BLOCK)
            if (pwrite_full(fd, buf, SEQ_BLOCK, (off_t)off) == 0)
                written = off + SEQ_BLOCK;
        if (fd >= 0) {
            fdatasync(fd);
            close(fd);
        }
    }
    if (rc == 0 &&
        probe_randread(path, written, o->each_us, true, buf, r) < 0) {
        rc = -1;
        what = "random reads from";
        e = errno;
    }
    unlink(path);
    free(buf);
    if (rc < 0) {
        errno = e;
        return fail(why, len, what, path);
    }
    return 0;
}

int
vmb_rawprobe_set(struct vmb_rawprobe_result *r, const char *key,
                 const char *val)
{
    double *f[] = {&r->fsync_write_rate, &r->fsync_write_p99_us,
                   &r->seqwrite_mb_s, &r->randread_iops};
    for (int i = 0; i < VMB_RAWPROBE_NFIELDS; i++) {
        if (strcmp(key, vmb_rawprobe_fields[i]) != 0)
            continue;
        if (i == 4) {
            if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0)
                return -1;
            r->randread_direct = val[0] == '1';
            return 1;
        }
        char *end;
        errno = 0;
        double d = strtod(val, &end);
        if (end == val || *end != '\0' || errno != 0 || !isfinite(d) || d < 0)
            return -1;
        *f[i] = d;
        return 1;
    }
    return 0;
}

void
vmb_rawprobe_format(const struct vmb_rawprobe_result *r, int field, char *buf,
                    size_t len)
{
    const double v[] = {r->fsync_write_rate, r->fsync_write_p99_us,
                        r->seqwrite_mb_s, r->randread_iops};
    if (field == 4)
        snprintf(buf, len, "%d", r->randread_direct ? 1 : 0);
    else if (field >= 0 && field < 4)
        snprintf(buf, len, "%.6g", v[field]);
    else if (len > 0)
        buf[0] = '\0';
}
