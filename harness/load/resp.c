#include "load/resp.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

size_t
vmb_resp_digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static char *
put_uint(char *p, size_t v)
{
    size_t n = vmb_resp_digits(v);
    char *q = p + n;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p + n;
}

static char *
put_bulk(char *p, const char *s, size_t len)
{
    *p++ = '$';
    p = put_uint(p, len);
    *p++ = '\r';
    *p++ = '\n';
    memcpy(p, s, len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

size_t
vmb_resp_set_size(size_t key_len, size_t value_len)
{
    return 13 + 9 + (vmb_resp_digits(key_len) + 3 + key_len + 2) +
           (vmb_resp_digits(value_len) + 3 + value_len + 2);
}

size_t
vmb_resp_get_size(size_t key_len)
{
    return 13 + 9 + vmb_resp_digits(key_len) + 3 + key_len + 2;
}

char *
vmb_resp_put_set(char *p, const char *key, size_t key_len, const char *value,
                 size_t value_len)
{
    memcpy(p, "*3\r\n$3\r\nSET\r\n", 13);
    p = put_bulk(p + 13, key, key_len);
    return put_bulk(p, value, value_len);
}

char *
vmb_resp_put_get(char *p, const char *key, size_t key_len)
{
    memcpy(p, "*2\r\n$3\r\nGET\r\n", 13);
    return put_bulk(p + 13, key, key_len);
}

void
vmb_resp_reader_reset(struct vmb_resp_reader *r)
{
    free(r->line);
    memset(r, 0, sizeof(*r));
}

static int
parse_int(const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    size_t i = 0;
    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len || len - i > 18)
        return -1;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* Handles one header line (CR LF stripped); arms r->skip for bulk data. */
static int
handle_line(struct vmb_resp_reader *r, const char *line, size_t len)
{
    if (len == 0)
        return VMB_RESP_BAD;
    bool top = r->remaining == 0;
    if (top) {
        r->remaining = 1;
        r->top.type = line[0];
        r->top.nil = false;
        r->top.text = NULL;
        r->top.text_len = 0;
    }
    int64_t n;
    switch (line[0]) {
    case '+':
    case '-':
    case ':':
        if (top) {
            r->top.text = line + 1;
            r->top.text_len = len - 1;
        }
        break;
    case '$':
        if (parse_int(line + 1, len - 1, &n) < 0 || n < -1)
            return VMB_RESP_BAD;
        if (n == -1) {
            if (top)
                r->top.nil = true;
        } else {
            r->skip = (uint64_t)n + 2;
        }
        break;
    case '*':
        if (parse_int(line + 1, len - 1, &n) < 0 || n < -1)
            return VMB_RESP_BAD;
        if (n == -1 && top)
            r->top.nil = true;
        if (n > 0)
            r->remaining += n;
        break;
    default:
        return VMB_RESP_BAD;
    }
    r->remaining--; /* this element's header is done; its payload may not be */
    return 0;
}

int
vmb_resp_read(struct vmb_resp_reader *r, const char **pos, const char *end,
              struct vmb_resp_reply *out)
{
    const char *p = *pos;
    for (;;) {
        if (r->skip > 0) {
            size_t avail = (size_t)(end - p);
            if (avail < r->skip) {
                r->skip -= avail;
                *pos = end;
                return VMB_RESP_MORE;
            }
            p += r->skip;
            r->skip = 0;
        }
        if (r->remaining == 0 && r->top.type != 0) {
            *out = r->top;
            r->top.type = 0;
            *pos = p;
            return VMB_RESP_REPLY;
        }
        if (p == end) {
            *pos = p;
            return VMB_RESP_MORE;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line;
        size_t len;
        if (nl == NULL || r->line_len > 0) {
            /* The line spans reads: gather it in the carry-over buffer. */
            size_t take = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
            if (r->line_len + take > VMB_RESP_LINE_MAX)
                return VMB_RESP_BAD;
            if (r->line == NULL)
                r->line = vmb_xmalloc(VMB_RESP_LINE_MAX);
            memcpy(r->line + r->line_len, p, take);
            r->line_len += (uint32_t)take;
            p += take;
            if (nl == NULL) {
                *pos = p;
                return VMB_RESP_MORE;
            }
            line = r->line;
            len = r->line_len - 1;
            r->line_len = 0;
        } else {
            line = p;
            len = (size_t)(nl - p);
            p = nl + 1;
        }
        if (len == 0 || line[len - 1] != '\r')
            return VMB_RESP_BAD;
        if (handle_line(r, line, len - 1) < 0)
            return VMB_RESP_BAD;
    }
}
