/*
 * A user's configuration.toml as the base of a matrix: every key of
 * [hypervisor.qemu] and [runtime] that is the Kata name of an option is
 * parsed by that option's table (so its range and choices apply), the
 * others are listed as not modelled. The file is scanned by the same
 * reader kata-config edits with (kata_toml.c).
 */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "config/kata.h"

/* The option whose Kata name is key, in the table Kata keeps it in. */
static int
kata_option(const char *table, const char *key, const struct vmb_section **sec,
            const struct vmb_option **opt)
{
    bool runtime = strcmp(table, "runtime") == 0;
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        for (size_t j = 0; j < s->noptions; j++) {
            const struct vmb_option *o = &s->options[j];
            if (o->alias == NULL || strcmp(o->alias, key) != 0)
                continue;
            /* [runtime] holds only the pinning of vmbench's knobs. */
            if (runtime != (strcmp(key, "enable_vcpus_pinning") == 0))
                continue;
            *sec = s;
            *opt = o;
            return 0;
        }
    }
    return -1;
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/*
 * A one-line TOML string literal at *p: its text into out, *p past it.
 * Control characters (\u0000-\u001f) decode too; the option parser
 * refuses them with its own message.
 */
static int
string_at(const char **p, struct vmb_buf *out)
{
    const char *s = *p;
    char q = *s++;
    if (q != '"' && q != '\'')
        return -1;
    if (s[0] == q && s[1] == q)
        return -1; /* multi-line strings: no knob needs one */
    while (*s && *s != q) {
        if (q == '"' && *s == '\\') {
            s++;
            unsigned cp;
            switch (*s) {
            case '"':
            case '\\':
                vmb_buf_append(out, s, 1);
                break;
            case 't':
                vmb_buf_puts(out, "\t");
                break;
            case 'n':
                vmb_buf_puts(out, "\n");
                break;
            case 'u':
                if (hex4(s + 1, &cp) < 0 || cp > 0x7f)
                    return -1;
                {
                    char c = (char)cp;
                    vmb_buf_append(out, &c, 1);
                }
                s += 4;
                break;
            default:
                return -1;
            }
            s++;
            continue;
        }
        vmb_buf_append(out, s++, 1);
    }
    if (*s != q)
        return -1;
    *p = s + 1;
    return 0;
}

static const char *
skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '#') {
        while (*p && *p != '\n')
            p++;
        return skip_space(p);
    }
    return p;
}

/*
 * The text an option parser takes for a TOML value: a string's content,
 * true/false, an integer without its underscores, an array of strings as
 * its words joined by spaces (virtio_fs_extra_args). NULL when the value
 * has none of these shapes.
 */
static char *
option_text(const char *v)
{
    struct vmb_buf b = {0};
    const char *p = v;
    if (*p == '"' || *p == '\'') {
        if (string_at(&p, &b) < 0 || *skip_space(p) != '\0')
            goto bad;
        if (b.len == 0)
            vmb_buf_puts(&b, "");
        return vmb_buf_steal(&b);
    }
    if (*p == '[') {
        p = skip_space(p + 1);
        bool first = true;
        vmb_buf_puts(&b, "");
        while (*p != ']') {
            struct vmb_buf w = {0};
            if (string_at(&p, &w) < 0 || w.len == 0 ||
                strpbrk(w.data, " \t") != NULL) {
                vmb_buf_free(&w);
                goto bad;
            }
            vmb_buf_printf(&b, "%s%s", first ? "" : " ", w.data);
            vmb_buf_free(&w);
            first = false;
            p = skip_space(p);
            if (*p == ',')
                p = skip_space(p + 1);
            else if (*p != ']')
                goto bad;
        }
        return vmb_buf_steal(&b);
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        return vmb_xstrdup(v);
    const char *d = v;
    if (*d == '+' || *d == '-')
        d++;
    if (*d < '0' || *d > '9')
        goto bad;
    for (const char *c = v; *c; c++)
        if (*c != '_')
            vmb_buf_append(&b, c, 1);
    if (strspn(b.data + (b.data[0] == '-' || b.data[0] == '+'), "0123456789") !=
        b.len - (b.data[0] == '-' || b.data[0] == '+'))
        goto bad;
    return vmb_buf_steal(&b);
bad:
    vmb_buf_free(&b);
    return NULL;
}

int
vmb_kata_import_text(const char *name, const char *text, size_t len,
                     struct vmb_config *cfg, char **unmodelled,
                     struct vmb_error **err)
{
    struct vmb_kata_toml_key *keys = NULL;
    size_t n = 0;
    if (vmb_kata_toml_keys(name, text, len, &keys, &n, err) < 0)
        return -1;
    struct vmb_buf skipped = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct vmb_kata_toml_key *k = &keys[i];
        const struct vmb_section *sec;
        const struct vmb_option *opt;
        if (kata_option(k->table, k->key, &sec, &opt) < 0) {
            vmb_buf_printf(&skipped, "%s%s%s", skipped.len ? ", " : "",
                           strcmp(k->table, "runtime") == 0 ? "runtime." : "",
                           k->key);
            continue;
        }
        autofree char *shown = vmb_option_shown(k->value);
        autofree char *t = option_text(k->value);
        if (t == NULL) {
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "%s:%d: [%s] %s: vmbench cannot use the value "
                               "%s",
                               name, k->line, k->table, k->key, shown);
            break;
        }
        vmb_autoerr struct vmb_error *why = NULL;
        if (vmb_option_parse(opt, t, (char *)cfg + sec->offset, &why) < 0)
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%d: [%s] %s: %s",
                               name, k->line, k->table, k->key, why->msg);
    }
    vmb_kata_toml_keys_free(keys, n);
    if (rc < 0) {
        vmb_buf_free(&skipped);
        return -1;
    }
    *unmodelled = skipped.len ? vmb_buf_steal(&skipped) : vmb_xstrdup("");
    vmb_buf_free(&skipped);
    return 0;
}

int
vmb_kata_import(const char *path, struct vmb_config *cfg, char **unmodelled,
                struct vmb_error **err)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_KATA_TOML_MAX_BYTES, &text, &len, err) < 0)
        return vmb_error_prefix(err, "kata configuration");
    return vmb_kata_import_text(path, text, len, cfg, unmodelled, err);
}
