/*
 * Small helpers every module uses: cleanup attributes for locals,
 * ownership hand-off, atomic file writes, clocks, strings.
 */
#ifndef VMB_UTIL_H
#define VMB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

void vmb_freep(void *p);
void vmb_closep(int *fd);
void vmb_fclosep(FILE **f);
#define autofree __attribute__((cleanup(vmb_freep)))
#define autoclose __attribute__((cleanup(vmb_closep)))
#define autofclose __attribute__((cleanup(vmb_fclosep)))

/* Returns *pp and sets *pp to NULL: hands ownership out of an auto local. */
static inline void *
vmb_steal_ptr(void *pp)
{
    void **p = (void **)pp;
    void *v = *p;
    *p = NULL;
    return v;
}
#define steal(pp) vmb_steal_ptr(pp)

/* Returns *fd and sets it to -1. */
static inline int
vmb_steal_fd(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}

/* Allocation that aborts on out-of-memory; never returns NULL. */
void *vmb_xmalloc(size_t n);
void *vmb_xcalloc(size_t nmemb, size_t size);
void *vmb_xrealloc(void *p, size_t n);
char *vmb_xstrdup(const char *s);
/* At most n bytes of s, NUL-terminated. */
char *vmb_xstrndup(const char *s, size_t n);
char *vmb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *vmb_xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

/* Monotonic and wall clocks. */
uint64_t vmb_now_ns(void); /* CLOCK_MONOTONIC, nanoseconds */
/* The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), nanoseconds. */
uint64_t vmb_thread_cpu_ns(void);

/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or the monotonic
 * deadline_ns passes: poll's result, 0 on timeout, -1 with errno.
 */
int vmb_wait_fd(int fd, short events, uint64_t deadline_ns);
uint64_t vmb_wall_ns(void); /* CLOCK_REALTIME, nanoseconds */
/* Writes "2026-11-23T09:17:03Z" into buf (>= 21 bytes). */
void vmb_utc_stamp(char *buf, size_t len, uint64_t wall_ns);

/*
 * Writes len bytes to path atomically: a temporary file in the same
 * directory, fsync, rename. Never leaves a partial file at path. A path
 * that exists and is not a regular file (a symlink, FIFO, device or
 * directory) is refused and left as it is (VMB_ERR_INPUT).
 */
int vmb_write_file_atomic(const char *path, const void *data, size_t len,
                          struct vmb_error **err);

/*
 * Writes an output file the user named (--json FILE, --output FILE): a
 * FIFO, character device or other non-regular file is written through
 * (`--json /dev/stdout` works) and never replaced; a symlink is followed;
 * a regular or missing file is written atomically. A directory is
 * refused (VMB_ERR_INPUT).
 */
int vmb_write_output(const char *path, const void *data, size_t len,
                     struct vmb_error **err);

/* Reads the whole file into a NUL-terminated buffer the caller frees. */
int vmb_read_file(const char *path, char **out, size_t *len,
                  struct vmb_error **err);

/*
 * Same, reading at most max + 1 bytes: a file larger than max bytes
 * (or endless, like /dev/zero or a FIFO fed forever) fails with
 * VMB_ERR_INPUT naming the limit, after reading no more than that.
 */
int vmb_read_file_max(const char *path, size_t max, char **out, size_t *len,
                      struct vmb_error **err);

/* The first line of a small file (a sysfs or procfs value), newline
 * stripped, for the caller to free; NULL when it cannot be read. */
char *vmb_read_first_line(const char *path);

/* The selected value of a sysfs choice file ("always [madvise] never" ->
 * "madvise"), the whole first line if nothing is bracketed; NULL when the
 * file cannot be read. The caller frees it. */
char *vmb_read_sysfs_choice(const char *path);

/* mkdir -p; mode 0755. */
int vmb_mkdir_p(const char *path, struct vmb_error **err);

/* rm -rf of a directory tree we own. Missing path is success. */
int vmb_rm_rf(const char *path, struct vmb_error **err);

bool vmb_str_has_prefix(const char *s, const char *prefix);
bool vmb_str_has_suffix(const char *s, const char *suffix);

/* Growable string buffer. */
struct vmb_buf {
    char *data;
    size_t len;
    size_t cap;
};
/* Makes room for n more bytes and the NUL (the slow path of append). */
void vmb_buf_reserve(struct vmb_buf *b, size_t n);
/* Inline: the JSON writer appends a few bytes millions of times. */
static inline void
vmb_buf_append(struct vmb_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        vmb_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}
void vmb_buf_puts(struct vmb_buf *b, const char *s);
void vmb_buf_printf(struct vmb_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vmb_buf_free(struct vmb_buf *b);
/* Returns the data (NUL-terminated, never NULL) and resets the buffer. */
char *vmb_buf_steal(struct vmb_buf *b);
/*
 * Appends s escaped as XML/HTML character data or an attribute value
 * (quoted with either quote): & < > " ' as references, and control
 * characters other than tab and newline, which neither language may
 * carry, as a space. NULL appends nothing.
 */
void vmb_buf_markup(struct vmb_buf *b, const char *s);

/*
 * Text for a terminal: s with every control character (and DEL) made
 * visible as \n, \t or \xHH, so no escape sequence in a name, a message
 * or a results file reaches the terminal raw. Caller frees.
 */
char *vmb_term_safe(const char *s);

/*
 * s as one word for a POSIX shell, for hints the user may paste: as it is
 * when every byte is a letter, digit or one of "_-./:@%+=,", else in
 * single quotes with each ' written as '\''. NULL or "" gives ''.
 * Caller frees.
 */
char *vmb_shell_quote(const char *s);

/* Set by the SIGINT/SIGTERM handler installed by vmb_signals_install(). */
extern volatile int vmb_interrupted;
void vmb_signals_install(void);

#endif
