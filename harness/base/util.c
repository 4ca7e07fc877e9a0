#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile int vmb_interrupted;

void
vmb_freep(void *p)
{
    free(*(void **)p);
}

void
vmb_closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void
vmb_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
    *f = NULL;
}

static void
oom(void)
{
    fputs("vmbench: out of memory\n", stderr);
    abort();
}

void *
vmb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *
vmb_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        oom();
    return p;
}

void *
vmb_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom();
    return q;
}

char *
vmb_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (d == NULL)
        oom();
    return d;
}

char *
vmb_xstrndup(const char *s, size_t n)
{
    char *d = strndup(s ? s : "", n);
    if (d == NULL)
        oom();
    return d;
}

char *
vmb_xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    return s;
}

char *
vmb_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

uint64_t
vmb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
vmb_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
vmb_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
vmb_utc_stamp(char *buf, size_t len, uint64_t wall_ns)
{
    time_t t = (time_t)(wall_ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
vmb_write_file_atomic(const char *path, const void *data, size_t len,
                      struct vmb_error **err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" exists and is not a regular file; it "
                             "is left as it is",
                             path);
    autofree char *tmp = vmb_xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return vmb_error_sys(err, "create temporary file for \"%s\"", path);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            vmb_error_sys(err, "write \"%s\"", tmp);
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
        vmb_error_sys(err, "sync \"%s\"", tmp);
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        vmb_error_sys(err, "rename \"%s\" to \"%s\"", tmp, path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int
write_all(int fd, const char *p, size_t left)
{
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

int
vmb_write_output(const char *path, const void *data, size_t len,
                 struct vmb_error **err)
{
    struct stat st;
    if (stat(path, &st) < 0 || S_ISREG(st.st_mode)) {
        /* Through a symlink to a regular file: replace the target. */
        autofree char *real = realpath(path, NULL);
        return vmb_write_file_atomic(real != NULL ? real : path, data, len,
                                     err);
    }
    if (S_ISDIR(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is a directory, not a file", path);
    autoclose int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return vmb_error_sys(err, "open \"%s\"", path);
    if (write_all(fd, data, len) < 0)
        return vmb_error_sys(err, "write \"%s\"", path);
    return 0;
}

int
vmb_read_file(const char *path, char **out, size_t *len, struct vmb_error **err)
{
    autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vmb_error_sys(err, "open \"%s\"", path);
    struct vmb_buf b = {0};
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            vmb_buf_free(&b);
            return vmb_error_sys(err, "read \"%s\"", path);
        }
        if (r == 0)
            break;
        vmb_buf_append(&b, chunk, (size_t)r);
    }
    if (len != NULL)
        *len = b.len;
    *out = vmb_buf_steal(&b);
    return 0;
}

int
vmb_read_file_max(const char *path, size_t max, char **out, size_t *len,
                  struct vmb_error **err)
{
    autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vmb_error_sys(err, "open \"%s\"", path);
    struct vmb_buf b = {0};
    char chunk[65536];
    /* One byte past max tells a file over the limit from one at it, and
     * /dev/zero or a FIFO fed forever costs no more than that. */
    while (b.len <= max) {
        size_t want = max + 1 - b.len;
        ssize_t r =
            read(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            vmb_buf_free(&b);
            return vmb_error_sys(err, "read \"%s\"", path);
        }
        if (r == 0)
            break;
        vmb_buf_append(&b, chunk, (size_t)r);
    }
    if (b.len > max) {
        vmb_buf_free(&b);
        if (max % (1024 * 1024) == 0)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "\"%s\" is larger than %zu MiB, the limit",
                                 path, max / (1024 * 1024));
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is larger than %zu bytes, the limit", path,
                             max);
    }
    if (len != NULL)
        *len = b.len;
    *out = vmb_buf_steal(&b);
    return 0;
}

char *
vmb_read_first_line(const char *path)
{
    char *s = NULL;
    if (vmb_read_file(path, &s, NULL, NULL) < 0)
        return NULL;
    s[strcspn(s, "\n")] = '\0';
    return s;
}

char *
vmb_read_sysfs_choice(const char *path)
{
    char *line = vmb_read_first_line(path);
    const char *a = line ? strchr(line, '[') : NULL;
    const char *z = a ? strchr(a, ']') : NULL;
    if (z == NULL)
        return line;
    char *v = vmb_xstrndup(a + 1, (size_t)(z - a - 1));
    free(line);
    return v;
}

int
vmb_mkdir_p(const char *path, struct vmb_error **err)
{
    autofree char *p = vmb_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return vmb_error_sys(err, "create directory \"%s\"", p);
        *s = '/';
    }
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return vmb_error_sys(err, "create directory \"%s\"", p);
    return 0;
}

int
vmb_rm_rf(const char *path, struct vmb_error **err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return vmb_error_sys(err, "stat \"%s\"", path);
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d == NULL)
            return vmb_error_sys(err, "open directory \"%s\"", path);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            autofree char *child = vmb_xasprintf("%s/%s", path, de->d_name);
            if (vmb_rm_rf(child, err) < 0) {
                closedir(d);
                return -1;
            }
        }
        closedir(d);
        if (rmdir(path) < 0)
            return vmb_error_sys(err, "remove directory \"%s\"", path);
        return 0;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return vmb_error_sys(err, "remove \"%s\"", path);
    return 0;
}

char *
vmb_term_safe(const char *s)
{
    struct vmb_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        if (*p == '\n')
            vmb_buf_puts(&b, "\\n");
        else if (*p == '\t')
            vmb_buf_puts(&b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            vmb_buf_printf(&b, "\\x%02x", *p);
        else
            vmb_buf_append(&b, (const char *)p, 1);
    }
    return vmb_buf_steal(&b);
}

char *
vmb_shell_quote(const char *s)
{
    if (s == NULL || *s == '\0')
        return vmb_xstrdup("''");
    bool plain = true;
    for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || strchr("_-./:@%+=,", *p) != NULL;
    if (plain)
        return vmb_xstrdup(s);
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            vmb_buf_puts(&b, "'\\''");
        else
            vmb_buf_append(&b, p, 1);
    }
    vmb_buf_puts(&b, "'");
    return vmb_buf_steal(&b);
}

bool
vmb_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
vmb_str_has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

void
vmb_buf_reserve(struct vmb_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->data = vmb_xrealloc(b->data, cap);
    b->cap = cap;
}

void
vmb_buf_puts(struct vmb_buf *b, const char *s)
{
    vmb_buf_append(b, s, strlen(s));
}

void
vmb_buf_printf(struct vmb_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom();
    vmb_buf_append(b, s, (size_t)r);
    free(s);
}

void
vmb_buf_free(struct vmb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
vmb_buf_markup(struct vmb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            vmb_buf_puts(b, "&amp;");
            break;
        case '<':
            vmb_buf_puts(b, "&lt;");
            break;
        case '>':
            vmb_buf_puts(b, "&gt;");
            break;
        case '"':
            vmb_buf_puts(b, "&quot;");
            break;
        case '\'':
            vmb_buf_puts(b, "&#39;");
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                vmb_buf_puts(b, " ");
            else
                vmb_buf_append(b, s, 1);
        }
    }
}

char *
vmb_buf_steal(struct vmb_buf *b)
{
    char *d = b->data ? b->data : vmb_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

static void
on_signal(int sig)
{
    (void)sig;
    vmb_interrupted = 1;
}

void
vmb_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int
vmb_wait_fd(int fd, short events, uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = vmb_now_ns();
        if (now >= deadline_ns)
            return 0;
        int ms = (int)((deadline_ns - now + 999999) / 1000000);
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}
