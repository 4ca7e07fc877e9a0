#include "vm/agent_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Also linked into the static guest agent, so plain libc only. */
static void *
wire_alloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static int
plain_byte(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("-._~/:,@+", c) != NULL;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void
vmb_wire_msg_free(struct vmb_wire_msg *m)
{
    if (!m)
        return;
    free(m->verb);
    for (size_t i = 0; i < m->n; i++) {
        free(m->kv[i].key);
        free(m->kv[i].val);
    }
    free(m->kv);
    memset(m, 0, sizeof(*m));
}

static int
decode(const char *s, size_t n, char **out, size_t *out_len)
{
    char *d = wire_alloc(NULL, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                free(d);
                return -1;
            }
            int hi = hexval(s[i + 1]);
            int lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) {
                free(d);
                return -1;
            }
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    *out_len = j;
    return 0;
}

int
vmb_wire_parse(const char *line, size_t len, struct vmb_wire_msg *out)
{
    memset(out, 0, sizeof(*out));
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    size_t i = 0;
    size_t cap = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && line[i] != ' ')
            i++;
        size_t wl = i - start;
        const char *w = line + start;
        if (i < len)
            i++; /* the space */
        if (wl == 0)
            continue;
        if (!out->verb) {
            if (memchr(w, '=', wl))
                goto bad;
            out->verb = wire_alloc(NULL, wl + 1);
            memcpy(out->verb, w, wl);
            out->verb[wl] = '\0';
            continue;
        }
        const char *eq = memchr(w, '=', wl);
        if (!eq || eq == w)
            goto bad;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            out->kv = wire_alloc(out->kv, cap * sizeof(*out->kv));
        }
        struct vmb_wire_kv *kv = &out->kv[out->n];
        size_t kl = (size_t)(eq - w);
        if (decode(eq + 1, wl - kl - 1, &kv->val, &kv->val_len) < 0)
            goto bad;
        kv->key = wire_alloc(NULL, kl + 1);
        memcpy(kv->key, w, kl);
        kv->key[kl] = '\0';
        out->n++;
    }
    if (!out->verb)
        goto bad;
    return 0;
bad:
    vmb_wire_msg_free(out);
    return -1;
}

const char *
vmb_wire_get_len(const struct vmb_wire_msg *m, const char *key, size_t *len)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0) {
            if (len)
                *len = m->kv[i].val_len;
            return m->kv[i].val;
        }
    return NULL;
}

const char *
vmb_wire_get(const struct vmb_wire_msg *m, const char *key)
{
    return vmb_wire_get_len(m, key, NULL);
}

size_t
vmb_wire_count(const struct vmb_wire_msg *m, const char *key)
{
    size_t c = 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0)
            c++;
    return c;
}

const char **
vmb_wire_get_all(const struct vmb_wire_msg *m, const char *key)
{
    size_t c = vmb_wire_count(m, key);
    const char **v = wire_alloc(NULL, (c + 1) * sizeof(*v));
    size_t j = 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0)
            v[j++] = m->kv[i].val;
    v[j] = NULL;
    return v;
}

int
vmb_wire_get_i64(const struct vmb_wire_msg *m, const char *key, int64_t *out)
{
    const char *s = vmb_wire_get(m, key);
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int
vmb_wire_get_u64(const struct vmb_wire_msg *m, const char *key, uint64_t *out)
{
    const char *s = vmb_wire_get(m, key);
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static void
line_reserve(struct vmb_wire_line *l, size_t more)
{
    if (l->len + more + 1 <= l->cap)
        return;
    size_t cap = l->cap ? l->cap : 128;
    while (cap < l->len + more + 1)
        cap *= 2;
    l->data = wire_alloc(l->data, cap);
    l->cap = cap;
}

static void
line_put(struct vmb_wire_line *l, const char *s, size_t n)
{
    line_reserve(l, n);
    memcpy(l->data + l->len, s, n);
    l->len += n;
    l->data[l->len] = '\0';
}

void
vmb_wire_line_begin(struct vmb_wire_line *l, const char *verb)
{
    memset(l, 0, sizeof(*l));
    line_put(l, verb, strlen(verb));
}

void
vmb_wire_add(struct vmb_wire_line *l, const char *key, const void *val,
             size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *v = val;
    line_put(l, " ", 1);
    line_put(l, key, strlen(key));
    line_put(l, "=", 1);
    line_reserve(l, len * 3);
    char *d = l->data + l->len;
    for (size_t i = 0; i < len; i++) {
        if (plain_byte(v[i])) {
            *d++ = (char)v[i];
        } else {
            *d++ = '%';
            *d++ = hex[v[i] >> 4];
            *d++ = hex[v[i] & 15];
        }
    }
    l->len = (size_t)(d - l->data);
    l->data[l->len] = '\0';
}

void
vmb_wire_adds(struct vmb_wire_line *l, const char *key, const char *s)
{
    vmb_wire_add(l, key, s ? s : "", s ? strlen(s) : 0);
}

void
vmb_wire_addi(struct vmb_wire_line *l, const char *key, int64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof(b), "%" PRId64, v);
    vmb_wire_add(l, key, b, (size_t)n);
}

void
vmb_wire_addu(struct vmb_wire_line *l, const char *key, uint64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof(b), "%" PRIu64, v);
    vmb_wire_add(l, key, b, (size_t)n);
}

void
vmb_wire_line_append(struct vmb_wire_line *l, const struct vmb_wire_line *w)
{
    if (w->data)
        line_put(l, w->data, w->len);
}

void
vmb_wire_line_end(struct vmb_wire_line *l)
{
    line_put(l, "\n", 1);
}

void
vmb_wire_line_free(struct vmb_wire_line *l)
{
    free(l->data);
    memset(l, 0, sizeof(*l));
}
