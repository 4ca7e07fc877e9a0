#include "base/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *
vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static int set_common(struct vmb_error **err, enum vmb_error_kind kind,
                      int errno_value, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int
set_common(struct vmb_error **err, enum vmb_error_kind kind, int errno_value,
           const char *fmt, va_list ap)
{
    if (err == NULL)
        return -1;
    char *msg = vformat(fmt, ap);
    if (msg != NULL && errno_value != 0) {
        char *full = NULL;
        if (asprintf(&full, "%s: %s", msg, strerror(errno_value)) >= 0) {
            free(msg);
            msg = full;
        }
    }
    vmb_error_free(*err);
    struct vmb_error *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        free(msg);
        *err = NULL;
        return -1;
    }
    e->kind = kind;
    e->errno_value = errno_value;
    e->msg = msg != NULL ? msg : strdup("out of memory");
    *err = e;
    return -1;
}

int
vmb_error_set(struct vmb_error **err, enum vmb_error_kind kind, int errno_value,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_common(err, kind, errno_value, fmt, ap);
    va_end(ap);
    return -1;
}

int
vmb_error_sys(struct vmb_error **err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    set_common(err, VMB_ERR_RUN, saved, fmt, ap);
    va_end(ap);
    errno = saved;
    return -1;
}

int
vmb_error_prefix(struct vmb_error **err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vformat(fmt, ap);
    va_end(ap);
    if (ctx == NULL)
        return -1;
    char *full = NULL;
    if (asprintf(&full, "%s: %s", ctx, (*err)->msg) >= 0) {
        free((*err)->msg);
        (*err)->msg = full;
    }
    free(ctx);
    return -1;
}

void
vmb_error_free(struct vmb_error *err)
{
    if (err == NULL)
        return;
    free(err->msg);
    free(err);
}

int
vmb_error_keep_first(struct vmb_error **first, struct vmb_error **e)
{
    if (first != NULL && *first == NULL)
        *first = *e;
    else
        vmb_error_free(*e);
    *e = NULL;
    return -1;
}

void
vmb_error_freep(struct vmb_error **err)
{
    vmb_error_free(*err);
    *err = NULL;
}
