#include "base/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
vmb_jw_init(struct vmb_jw *w, bool pretty)
{
    memset(w, 0, sizeof(*w));
    w->pretty = pretty;
}

void
vmb_jw_free(struct vmb_jw *w)
{
    vmb_buf_free(&w->buf);
}

char *
vmb_jw_steal(struct vmb_jw *w)
{
    if (w->pretty)
        vmb_buf_puts(&w->buf, "\n");
    char *s = vmb_buf_steal(&w->buf);
    bool pretty = w->pretty;
    vmb_jw_init(w, pretty);
    return s;
}

int
vmb_jw_flush(struct vmb_jw *w, FILE *f, bool end)
{
    if (end && w->pretty)
        vmb_buf_puts(&w->buf, "\n");
    size_t n = w->buf.len;
    bool ok = n == 0 || fwrite(w->buf.data, 1, n, f) == n;
    w->buf.len = 0;
    if (w->buf.data != NULL)
        w->buf.data[0] = '\0';
    if (end) {
        bool pretty = w->pretty;
        vmb_buf_free(&w->buf);
        vmb_jw_init(w, pretty);
        ok = fflush(f) == 0 && ok;
    }
    return ok ? 0 : -1;
}

static void
newline(struct vmb_jw *w)
{
    if (!w->pretty)
        return;
    static const char spaces[] = "                                ";
    vmb_buf_append(&w->buf, "\n", 1);
    for (size_t n = 2 * (size_t)w->depth; n > 0;) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        vmb_buf_append(&w->buf, spaces, k);
        n -= k;
    }
}

/* Called before every value or key. */
static void
pre_value(struct vmb_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth])
            vmb_buf_puts(&w->buf, ",");
        w->need_comma[w->depth] = true;
        newline(w);
    }
}

void
vmb_json_escape(struct vmb_buf *b, const char *s)
{
    vmb_buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        /* The characters that need no escape, appended as one run. */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            vmb_buf_append(b, (const char *)run, (size_t)(p - run));
        if (*p == '\0')
            break;
        char tmp[8];
        switch (*p) {
        case '"':
            vmb_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            vmb_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            vmb_buf_append(b, "\\n", 2);
            break;
        case '\r':
            vmb_buf_append(b, "\\r", 2);
            break;
        case '\t':
            vmb_buf_append(b, "\\t", 2);
            break;
        default:
            snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
            vmb_buf_puts(b, tmp);
        }
        p++;
    }
    vmb_buf_append(b, "\"", 1);
}

static void
open_container(struct vmb_jw *w, const char *c)
{
    pre_value(w);
    vmb_buf_puts(&w->buf, c);
    if (w->depth < 63)
        w->depth++;
    w->need_comma[w->depth] = false;
}

static void
close_container(struct vmb_jw *w, const char *c)
{
    bool had = w->need_comma[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had)
        newline(w);
    vmb_buf_puts(&w->buf, c);
}

void
vmb_jw_obj_begin(struct vmb_jw *w)
{
    open_container(w, "{");
}
void
vmb_jw_obj_end(struct vmb_jw *w)
{
    close_container(w, "}");
}
void
vmb_jw_arr_begin(struct vmb_jw *w)
{
    open_container(w, "[");
}
void
vmb_jw_arr_end(struct vmb_jw *w)
{
    close_container(w, "]");
}

void
vmb_jw_key(struct vmb_jw *w, const char *key)
{
    pre_value(w);
    vmb_json_escape(&w->buf, key);
    vmb_buf_puts(&w->buf, w->pretty ? ": " : ":");
    w->after_key = true;
}

void
vmb_jw_str(struct vmb_jw *w, const char *s)
{
    if (s == NULL) {
        vmb_jw_null(w);
        return;
    }
    pre_value(w);
    vmb_json_escape(&w->buf, s);
}

void
vmb_jw_int(struct vmb_jw *w, int64_t v)
{
    pre_value(w);
    vmb_buf_printf(&w->buf, "%" PRId64, v);
}

void
vmb_jw_uint(struct vmb_jw *w, uint64_t v)
{
    pre_value(w);
    vmb_buf_printf(&w->buf, "%" PRIu64, v);
}

const char *
vmb_json_double_text(double v, char *buf, size_t len)
{
    /* The shortest of 15, 16, 17 digits that reads back as the same double:
     * 0.1 stays "0.1", not "0.10000000000000001". */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

void
vmb_jw_double(struct vmb_jw *w, double v)
{
    char tmp[32];
    pre_value(w);
    if (!isfinite(v))
        vmb_buf_puts(&w->buf, "null");
    else
        vmb_buf_puts(&w->buf, vmb_json_double_text(v, tmp, sizeof(tmp)));
}

void
vmb_jw_bool(struct vmb_jw *w, bool v)
{
    pre_value(w);
    vmb_buf_puts(&w->buf, v ? "true" : "false");
}

void
vmb_jw_null(struct vmb_jw *w)
{
    pre_value(w);
    vmb_buf_puts(&w->buf, "null");
}

void
vmb_jw_raw(struct vmb_jw *w, const char *json)
{
    pre_value(w);
    vmb_buf_puts(&w->buf, json);
}

void
vmb_jw_kstr(struct vmb_jw *w, const char *k, const char *s)
{
    vmb_jw_key(w, k);
    vmb_jw_str(w, s);
}
void
vmb_jw_kint(struct vmb_jw *w, const char *k, int64_t v)
{
    vmb_jw_key(w, k);
    vmb_jw_int(w, v);
}
void
vmb_jw_kuint(struct vmb_jw *w, const char *k, uint64_t v)
{
    vmb_jw_key(w, k);
    vmb_jw_uint(w, v);
}
void
vmb_jw_kdouble(struct vmb_jw *w, const char *k, double v)
{
    vmb_jw_key(w, k);
    vmb_jw_double(w, v);
}
void
vmb_jw_kbool(struct vmb_jw *w, const char *k, bool v)
{
    vmb_jw_key(w, k);
    vmb_jw_bool(w, v);
}
