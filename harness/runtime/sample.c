#include "runtime/sample.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

const char *const vmb_ctr_name[VMB_NCTR] = {
    VMB_CPU_CLASS_NAMES,
    [VMB_CTR_LOADGEN_CPU_US] = "loadgen_cpu_us",
    [VMB_CTR_SAMPLER_CPU_US] = "sampler_cpu_us",
    [VMB_CTR_DISK_RD_BYTES] = "read_bytes",
    [VMB_CTR_DISK_WR_BYTES] = "write_bytes",
    [VMB_CTR_DISK_RD_OPS] = "read_ops",
    [VMB_CTR_DISK_WR_OPS] = "write_ops",
    [VMB_CTR_HOST_RD_BYTES] = "read_bytes",
    [VMB_CTR_HOST_WR_BYTES] = "write_bytes",
    [VMB_CTR_HOST_RD_OPS] = "read_ops",
    [VMB_CTR_HOST_WR_OPS] = "write_ops",
    [VMB_CTR_HOST_BUSY_MS] = "busy_ms",
    [VMB_CTR_NET_RX_BYTES] = "rx_bytes",
    [VMB_CTR_NET_TX_BYTES] = "tx_bytes",
    [VMB_CTR_NET_RX_PACKETS] = "rx_packets",
    [VMB_CTR_NET_TX_PACKETS] = "tx_packets",
    [VMB_CTR_NODE(1, 0)] = "rx_bytes",
    [VMB_CTR_NODE(1, 1)] = "tx_bytes",
    [VMB_CTR_NODE(1, 2)] = "rx_packets",
    [VMB_CTR_NODE(1, 3)] = "tx_packets",
    [VMB_CTR_NODE(2, 0)] = "rx_bytes",
    [VMB_CTR_NODE(2, 1)] = "tx_bytes",
    [VMB_CTR_NODE(2, 2)] = "rx_packets",
    [VMB_CTR_NODE(2, 3)] = "tx_packets",
    [VMB_CTR_GUEST_USER_S] = "user_s",
    [VMB_CTR_GUEST_SYSTEM_S] = "system_s",
    [VMB_CTR_GUEST_IOWAIT_S] = "iowait_s",
    [VMB_CTR_GUEST_STEAL_S] = "steal_s",
    [VMB_CTR_GUEST_IDLE_S] = "idle_s",
    [VMB_CTR_GUEST_DISK_RD_OPS] = "read_ops",
    [VMB_CTR_GUEST_DISK_RD_BYTES] = "read_bytes",
    [VMB_CTR_GUEST_DISK_WR_OPS] = "write_ops",
    [VMB_CTR_GUEST_DISK_WR_BYTES] = "write_bytes",
    [VMB_CTR_GUEST_CPUS] = "cpus",
};

bool
vmb_samples_at(const struct vmb_sample *s, size_t n, uint64_t t,
               struct vmb_sample *out)
{
    if (n == 0)
        return false;
    if (t <= s[0].at_ns) {
        *out = s[0];
        return true;
    }
    if (t >= s[n - 1].at_ns) {
        *out = s[n - 1];
        return true;
    }
    size_t lo = 0, hi = n - 1; /* s[lo].at_ns < t < s[hi].at_ns */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].at_ns <= t)
            lo = mid;
        else
            hi = mid;
    }
    const struct vmb_sample *a = &s[lo], *b = &s[hi];
    double f = b->at_ns > a->at_ns
                   ? (double)(t - a->at_ns) / (double)(b->at_ns - a->at_ns)
                   : 0;
    out->at_ns = t;
    for (int k = 0; k < VMB_NCTR; k++) {
        out->have[k] = a->have[k] && b->have[k];
        out->v[k] = a->v[k] + (b->v[k] - a->v[k]) * f;
    }
    return true;
}

void
vmb_sample_delta(const struct vmb_sample *a, const struct vmb_sample *b,
                 struct vmb_sample *out)
{
    out->at_ns = b->at_ns > a->at_ns ? b->at_ns - a->at_ns : 0;
    for (int k = 0; k < VMB_NCTR; k++) {
        out->have[k] = a->have[k] && b->have[k];
        /* A counter that went back (a process restarted) has no delta. */
        out->v[k] = !out->have[k]             ? 0
                    : k == VMB_CTR_GUEST_CPUS ? b->v[k]
                                              : fmax(b->v[k] - a->v[k], 0);
    }
}

double
vmb_sample_host_cpu_us(const struct vmb_sample *d)
{
    double sum = 0;
    bool any = false;
    for (int c = 0; c < VMB_CPU_NCLASS; c++)
        if (d->have[c]) {
            sum += d->v[c];
            any = true;
        }
    return any ? sum : NAN;
}

bool
vmb_sample_has_guest(const struct vmb_sample *d)
{
    return d->have[VMB_CTR_GUEST_USER_S];
}

static void
csv_num(struct vmb_buf *b, bool have, double v)
{
    if (have && isfinite(v))
        vmb_buf_printf(b, ",%.6g", v);
    else
        vmb_buf_puts(b, ",");
}

void
vmb_sample_csv_extend(const char *rows, uint64_t start_ns, double duration_s,
                      const struct vmb_sample *s, size_t n, struct vmb_buf *out)
{
    uint64_t end_ns = start_ns + (uint64_t)(duration_s * 1e9);
    const char *line = rows;
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        vmb_buf_append(out, line, len);
        const char *comma = memchr(line, ',', len);
        long sec = comma ? strtol(comma + 1, NULL, 10) : 0;
        struct vmb_sample a, b, d;
        uint64_t from = start_ns + (uint64_t)(sec - 1) * 1000000000ull;
        uint64_t to = start_ns + (uint64_t)sec * 1000000000ull;
        if (to > end_ns)
            to = end_ns;
        bool ok = sec > 0 && from < to && vmb_samples_at(s, n, from, &a) &&
                  vmb_samples_at(s, n, to, &b);
        if (ok) {
            vmb_sample_delta(&a, &b, &d);
            ok = d.at_ns > 0;
        }
        if (!ok) {
            vmb_buf_puts(out, ",,,,,,");
        } else {
            double secs = (double)d.at_ns / 1e9;
            double cpu = vmb_sample_host_cpu_us(&d);
            csv_num(out, !isnan(cpu), cpu / 1e6 / secs);
            csv_num(out, d.have[VMB_CTR_DISK_WR_OPS],
                    (d.v[VMB_CTR_DISK_RD_OPS] + d.v[VMB_CTR_DISK_WR_OPS]) /
                        secs);
            csv_num(out, d.have[VMB_CTR_DISK_WR_BYTES],
                    (d.v[VMB_CTR_DISK_RD_BYTES] + d.v[VMB_CTR_DISK_WR_BYTES]) /
                        secs);
            csv_num(out, d.have[VMB_CTR_NET_TX_BYTES],
                    (d.v[VMB_CTR_NET_RX_BYTES] + d.v[VMB_CTR_NET_TX_BYTES]) /
                        secs);
            for (int node = 1; node <= 2; node++)
                csv_num(
                    out, d.have[VMB_CTR_NODE(node, 1)],
                    (d.v[VMB_CTR_NODE(node, 0)] + d.v[VMB_CTR_NODE(node, 1)]) /
                        secs);
        }
        vmb_buf_puts(out, "\n");
        line = end ? end + 1 : NULL;
    }
}

/* ---- host counters ---- */

int
vmb_sample_parse_diskstats(const char *text, unsigned maj, unsigned min,
                           struct vmb_sample *s)
{
    for (const char *l = text; l != NULL && *l; l = strchr(l, '\n')) {
        if (*l == '\n')
            l++;
        unsigned a, b;
        char name[64];
        unsigned long long rd, rd_sec, wr, wr_sec, busy;
        /* major minor name reads merged sectors ms writes merged sectors
         * ms in-flight io_ms ... */
        if (sscanf(l,
                   " %u %u %63s %llu %*u %llu %*u %llu %*u %llu %*u %*u "
                   "%llu",
                   &a, &b, name, &rd, &rd_sec, &wr, &wr_sec, &busy) != 8 ||
            a != maj || b != min)
            continue;
        s->v[VMB_CTR_HOST_RD_OPS] = (double)rd;
        s->v[VMB_CTR_HOST_RD_BYTES] = (double)rd_sec * 512;
        s->v[VMB_CTR_HOST_WR_OPS] = (double)wr;
        s->v[VMB_CTR_HOST_WR_BYTES] = (double)wr_sec * 512;
        s->v[VMB_CTR_HOST_BUSY_MS] = (double)busy;
        for (int k = VMB_CTR_HOST_RD_BYTES; k <= VMB_CTR_HOST_BUSY_MS; k++)
            s->have[k] = true;
        return 0;
    }
    return -1;
}

int
vmb_sample_host_disk(const char *proc, const char *path, bool as_data,
                     struct vmb_sample *s)
{
    struct stat st;
    if (path == NULL || stat(path, &st) < 0 || major(st.st_dev) == 0)
        return -1;
    autofree char *file = vmb_xasprintf("%s/diskstats", proc);
    autofree char *text = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(file, &text, NULL, &e) < 0 ||
        vmb_sample_parse_diskstats(text, major(st.st_dev), minor(st.st_dev),
                                   s) < 0)
        return -1;
    if (as_data) {
        static const int map[][2] = {
            {VMB_CTR_DISK_RD_BYTES, VMB_CTR_HOST_RD_BYTES},
            {VMB_CTR_DISK_WR_BYTES, VMB_CTR_HOST_WR_BYTES},
            {VMB_CTR_DISK_RD_OPS, VMB_CTR_HOST_RD_OPS},
            {VMB_CTR_DISK_WR_OPS, VMB_CTR_HOST_WR_OPS},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
            s->v[map[i][0]] = s->v[map[i][1]];
            s->have[map[i][0]] = true;
        }
    }
    return 0;
}

int
vmb_sample_host_net(const char *proc, const char *ifname, struct vmb_sample *s)
{
    autofree char *file = vmb_xasprintf("%s/net/dev", proc);
    autofree char *text = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(file, &text, NULL, &e) < 0)
        return -1;
    size_t n = strlen(ifname);
    for (char *l = text; l != NULL && *l; l = strchr(l, '\n')) {
        if (*l == '\n')
            l++;
        while (*l == ' ')
            l++;
        if (strncmp(l, ifname, n) != 0 || l[n] != ':')
            continue;
        unsigned long long rb, rp, tb, tp;
        if (sscanf(l + n + 1, "%llu %llu %*u %*u %*u %*u %*u %*u %llu %llu",
                   &rb, &rp, &tb, &tp) != 4)
            return -1;
        s->v[VMB_CTR_NET_RX_BYTES] += (double)rb;
        s->v[VMB_CTR_NET_RX_PACKETS] += (double)rp;
        s->v[VMB_CTR_NET_TX_BYTES] += (double)tb;
        s->v[VMB_CTR_NET_TX_PACKETS] += (double)tp;
        for (int k = VMB_CTR_NET_RX_BYTES; k <= VMB_CTR_NET_TX_PACKETS; k++)
            s->have[k] = true;
        return 0;
    }
    return -1;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int
vmb_sample_connect_rtt(const char *host, int port, int tries, double *us)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || tries <= 0 ||
        tries > 100)
        return -1;
    double t[100];
    int n = 0;
    for (int i = 0; i < tries; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0)
            return -1;
        uint64_t t0 = vmb_now_ns();
        int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
        if (r < 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = s, .events = POLLOUT};
            int e = 0;
            socklen_t sl = sizeof(e);
            r = poll(&p, 1, 2000) == 1 &&
                        getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 &&
                        e == 0
                    ? 0
                    : -1;
        }
        uint64_t t1 = vmb_now_ns();
        close(s);
        if (r == 0)
            t[n++] = (double)(t1 - t0) / 1e3;
    }
    if (n == 0)
        return -1;
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    *us = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    return 0;
}

/* ---- the sampling thread ---- */

struct vmb_sampler {
    void (*fn)(void *ctx, struct vmb_sample *s);
    void *ctx;
    uint64_t interval_ns;
    pthread_t tid;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    struct vmb_sample *s;
    size_t n, cap;
    uint64_t t0_ns, t1_ns;
    double own_cpu_s;
};

static double
process_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void
take(struct vmb_sampler *sp)
{
    struct vmb_sample s;
    memset(&s, 0, sizeof(s));
    sp->fn(sp->ctx, &s);
    s.at_ns = vmb_now_ns();
    double own = (double)vmb_thread_cpu_ns() / 1e3;
    s.v[VMB_CTR_SAMPLER_CPU_US] = own;
    s.have[VMB_CTR_SAMPLER_CPU_US] = true;
    s.v[VMB_CTR_LOADGEN_CPU_US] = process_cpu_us() - own;
    s.have[VMB_CTR_LOADGEN_CPU_US] = true;
    pthread_mutex_lock(&sp->lock);
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 64;
        sp->s = vmb_xrealloc(sp->s, sp->cap * sizeof(*sp->s));
    }
    sp->s[sp->n++] = s;
    pthread_mutex_unlock(&sp->lock);
}

static void *
sampler_main(void *arg)
{
    struct vmb_sampler *sp = arg;
    sp->t0_ns = vmb_now_ns();
    double cpu0 = (double)vmb_thread_cpu_ns() / 1e9;
    uint64_t next = sp->t0_ns;
    pthread_mutex_lock(&sp->lock);
    while (!sp->stop) {
        pthread_mutex_unlock(&sp->lock);
        take(sp);
        next += sp->interval_ns;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
        if (next < now)
            next = now + sp->interval_ns / 2;
        pthread_mutex_lock(&sp->lock);
        /* The deadline of each wait is the next tick. */
        struct timespec dl = {.tv_sec = (time_t)(next / 1000000000ull),
                              .tv_nsec = (long)(next % 1000000000ull)};
        while (!sp->stop &&
               pthread_cond_timedwait(&sp->cond, &sp->lock, &dl) == 0)
            ;
    }
    pthread_mutex_unlock(&sp->lock);
    take(sp);
    sp->own_cpu_s = (double)vmb_thread_cpu_ns() / 1e9 - cpu0;
    sp->t1_ns = vmb_now_ns();
    return NULL;
}

struct vmb_sampler *
vmb_sampler_start(void (*fn)(void *ctx, struct vmb_sample *s), void *ctx,
                  uint64_t interval_ns)
{
    struct vmb_sampler *sp = vmb_xcalloc(1, sizeof(*sp));
    sp->fn = fn;
    sp->ctx = ctx;
    sp->interval_ns = interval_ns;
    pthread_mutex_init(&sp->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sp->cond, &ca);
    pthread_condattr_destroy(&ca);
    sp->started = pthread_create(&sp->tid, NULL, sampler_main, sp) == 0;
    return sp;
}

void
vmb_sampler_stop(struct vmb_sampler *sp)
{
    if (sp == NULL || !sp->started)
        return;
    pthread_mutex_lock(&sp->lock);
    sp->stop = true;
    pthread_cond_signal(&sp->cond);
    pthread_mutex_unlock(&sp->lock);
    pthread_join(sp->tid, NULL);
    sp->started = false;
}

const struct vmb_sample *
vmb_sampler_samples(const struct vmb_sampler *sp, size_t *n)
{
    *n = sp ? sp->n : 0;
    return sp ? sp->s : NULL;
}

double
vmb_sampler_cpu_share(const struct vmb_sampler *sp)
{
    if (sp == NULL || sp->t1_ns <= sp->t0_ns)
        return NAN;
    return sp->own_cpu_s / ((double)(sp->t1_ns - sp->t0_ns) / 1e9);
}

void
vmb_sampler_free(struct vmb_sampler *sp)
{
    if (sp == NULL)
        return;
    vmb_sampler_stop(sp);
    pthread_mutex_destroy(&sp->lock);
    pthread_cond_destroy(&sp->cond);
    free(sp->s);
    free(sp);
}
