/* TOML key names in normal form, for comparing them. */
#include "config/toml_name.h"

#include <ctype.h>
#include <string.h>

#include "base/util.h"

static bool
bare_char(int c)
{
    return c != -1 && (isalnum(c) || c == '_' || c == '-');
}

void
vmb_toml_name_part(struct vmb_buf *out, const char *p, size_t n)
{
    bool bare = n > 0; /* a bare key: not empty, [A-Za-z0-9_-] */
    for (size_t i = 0; i < n && bare; i++)
        bare = bare_char((unsigned char)p[i]);
    if (bare) {
        vmb_buf_append(out, p, n);
        return;
    }
    vmb_buf_puts(out, "\"");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.' || p[i] == '"' || p[i] == '\\')
            vmb_buf_puts(out, "\\");
        vmb_buf_append(out, p + i, 1);
    }
    vmb_buf_puts(out, "\"");
}

void
vmb_toml_put_utf8(struct vmb_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    vmb_buf_append(b, u, n);
}

bool
vmb_toml_name_within(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

char *
vmb_toml_name_first(const char *key)
{
    const char *p = key;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1])
                p++;
        if (*p)
            p++;
    } else {
        p += strcspn(p, ".");
    }
    return vmb_xstrndup(key, (size_t)(p - key));
}
