/*
 * A QEMU option's JSON argument (-device {"driver":...}) read flat into
 * the option: nested objects and arrays as dotted keys ("file.driver",
 * "x.y.1"), true/false as on/off, the first "driver", "qom-type" or
 * "type" as its kind; nesting deeper than MAX_JSON_DEPTH is refused.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/qcmd_priv.h"
#include "base/util.h"

#define MAX_JSON_DEPTH 16

struct jp {
    const char *s;
    size_t i, len;
    int depth;
};

static void
jp_ws(struct jp *j)
{
    while (j->i < j->len && isspace((unsigned char)j->s[j->i]))
        j->i++;
}

static int
jp_string(struct jp *j, struct vmb_buf *out)
{
    if (j->i >= j->len || j->s[j->i] != '"')
        return -1;
    j->i++;
    while (j->i < j->len && j->s[j->i] != '"') {
        char c = j->s[j->i];
        if ((unsigned char)c < 0x20)
            return -1;
        if (c == '\\') {
            if (j->i + 1 >= j->len)
                return -1;
            char e = j->s[j->i + 1];
            if (e == 'u') {
                if (j->i + 5 >= j->len)
                    return -1;
                for (int k = 2; k < 6; k++)
                    if (!isxdigit((unsigned char)j->s[j->i + k]))
                        return -1;
                vmb_buf_append(out, "?", 1);
                j->i += 6;
                continue;
            }
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *f = strchr(from, e);
            if (f == NULL || e == '\0')
                return -1;
            vmb_buf_append(out, &to[f - from], 1);
            j->i += 2;
            continue;
        }
        vmb_buf_append(out, &c, 1);
        j->i++;
    }
    if (j->i >= j->len)
        return -1;
    j->i++;
    vmb_buf_puts(out, "");
    return 0;
}

static int jp_value(struct jp *j, struct vmb_qopt *o, const char *key);

static int
jp_object(struct jp *j, struct vmb_qopt *o, const char *prefix)
{
    if (++j->depth > MAX_JSON_DEPTH)
        return -1;
    j->i++; /* '{' */
    jp_ws(j);
    if (j->i < j->len && j->s[j->i] == '}') {
        j->i++;
        j->depth--;
        return 0;
    }
    for (;;) {
        jp_ws(j);
        struct vmb_buf k = {0};
        if (jp_string(j, &k) < 0) {
            vmb_buf_free(&k);
            return -1;
        }
        autofree char *key =
            prefix ? vmb_xasprintf("%s.%s", prefix, k.data) : vmb_buf_steal(&k);
        vmb_buf_free(&k);
        jp_ws(j);
        if (j->i >= j->len || j->s[j->i] != ':')
            return -1;
        j->i++;
        jp_ws(j);
        if (jp_value(j, o, key) < 0)
            return -1;
        jp_ws(j);
        if (j->i < j->len && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->len && j->s[j->i] == '}') {
            j->i++;
            j->depth--;
            return 0;
        }
        return -1;
    }
}

static int
jp_array(struct jp *j, struct vmb_qopt *o, const char *key)
{
    if (++j->depth > MAX_JSON_DEPTH)
        return -1;
    j->i++; /* '[' */
    jp_ws(j);
    if (j->i < j->len && j->s[j->i] == ']') {
        j->i++;
        j->depth--;
        return 0;
    }
    for (int n = 0;; n++) {
        jp_ws(j);
        autofree char *k = vmb_xasprintf("%s.%d", key, n);
        if (jp_value(j, o, k) < 0)
            return -1;
        jp_ws(j);
        if (j->i < j->len && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->len && j->s[j->i] == ']') {
            j->i++;
            j->depth--;
            return 0;
        }
        return -1;
    }
}

static int
jp_value(struct jp *j, struct vmb_qopt *o, const char *key)
{
    if (j->i >= j->len)
        return -1;
    char c = j->s[j->i];
    if (c == '{')
        return jp_object(j, o, key);
    if (c == '[')
        return jp_array(j, o, key);
    struct vmb_buf v = {0};
    if (c == '"') {
        if (jp_string(j, &v) < 0) {
            vmb_buf_free(&v);
            return -1;
        }
    } else {
        size_t s = j->i;
        while (j->i < j->len && (isalnum((unsigned char)j->s[j->i]) ||
                                 strchr("+-.", j->s[j->i]) != NULL))
            j->i++;
        if (j->i == s)
            return -1;
        const char *lit = j->s + s;
        size_t n = j->i - s;
        bool word = isalpha((unsigned char)lit[0]);
        if (word && !((n == 4 && memcmp(lit, "true", 4) == 0) ||
                      (n == 5 && memcmp(lit, "false", 5) == 0) ||
                      (n == 4 && memcmp(lit, "null", 4) == 0)))
            return -1;
        if (n == 4 && memcmp(lit, "true", 4) == 0)
            vmb_buf_puts(&v, "on");
        else if (n == 5 && memcmp(lit, "false", 5) == 0)
            vmb_buf_puts(&v, "off");
        else
            vmb_buf_append(&v, lit, n);
        vmb_buf_puts(&v, "");
    }
    char *val = vmb_buf_steal(&v);
    if (o->kind == NULL &&
        (strcmp(key, "driver") == 0 || strcmp(key, "qom-type") == 0 ||
         strcmp(key, "type") == 0)) {
        o->kind = val;
        return 0;
    }
    vmb_qcmd_add_prop(o, vmb_xstrdup(key), val);
    return 0;
}

int
vmb_qcmd_parse_json(struct vmb_qopt *o, const char *arg)
{
    struct jp j = {.s = arg, .i = 0, .len = strlen(arg), .depth = 0};
    jp_ws(&j);
    if (jp_object(&j, o, NULL) < 0)
        return -1;
    jp_ws(&j);
    return j.i == j.len ? 0 : -1;
}
