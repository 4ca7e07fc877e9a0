#include "base/qcmd.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/qcmd_priv.h"
#include "base/util.h"

#define MAX_ARGS 20000

struct words {
    char **v;
    size_t n, cap;
};

static void
words_push(struct words *w, char *s)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->v = vmb_xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    w->v[w->n++] = s;
}

static void
words_free(struct words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
    w->v = NULL;
    w->n = w->cap = 0;
}

/* ---- the forms ---- */

/* Splits on sep (NUL or newline); a trailing empty word is dropped. */
static void
split_on(const char *t, size_t len, char sep, struct words *w)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || t[i] == sep) {
            size_t n = i - start;
            if (n > 0 && sep == '\n' && t[start + n - 1] == '\r')
                n--;
            if (n > 0 || (i < len && sep == '\0'))
                words_push(w, vmb_xstrndup(t + start, n));
            start = i + 1;
        }
    }
    while (w->n > 0 && w->v[w->n - 1][0] == '\0')
        free(w->v[--w->n]);
}

/*
 * Shell-like words of one logical line: blanks split, '…' is literal,
 * "…" keeps blanks and takes \" \\ \$ \` escapes, a backslash outside
 * quotes escapes the next byte and a backslash-newline joins lines.
 * Stops after the first newline that ends a logical line; *pos is left
 * after it. Returns -1 on an unterminated quote.
 */
static int
shell_line(const char *t, size_t len, size_t *pos, struct words *w)
{
    size_t i = *pos;
    struct vmb_buf cur = {0};
    bool in_word = false;
    while (i < len) {
        char c = t[i];
        if (c == '\n') {
            i++;
            break;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            if (in_word)
                words_push(w, vmb_buf_steal(&cur));
            in_word = false;
            i++;
            continue;
        }
        in_word = true;
        if (c == '\\') {
            if (i + 1 < len && t[i + 1] == '\n') {
                i += 2;
                in_word = cur.len > 0;
                continue;
            }
            if (i + 1 < len)
                vmb_buf_append(&cur, &t[i + 1], 1);
            i += 2;
        } else if (c == '\'') {
            const char *e = memchr(t + i + 1, '\'', len - i - 1);
            if (e == NULL) {
                vmb_buf_free(&cur);
                return -1;
            }
            vmb_buf_append(&cur, t + i + 1, (size_t)(e - (t + i + 1)));
            vmb_buf_puts(&cur, "");
            i = (size_t)(e - t) + 1;
        } else if (c == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    vmb_buf_free(&cur);
                    return -1;
                }
                if (t[i] == '"')
                    break;
                if (t[i] == '\\' && i + 1 < len &&
                    strchr("\"\\$`\n", t[i + 1]) != NULL) {
                    if (t[i + 1] != '\n')
                        vmb_buf_append(&cur, &t[i + 1], 1);
                    i += 2;
                    continue;
                }
                vmb_buf_append(&cur, &t[i], 1);
                i++;
            }
            vmb_buf_puts(&cur, "");
            i++;
        } else {
            vmb_buf_append(&cur, &c, 1);
            i++;
        }
    }
    if (in_word)
        words_push(w, cur.data ? vmb_buf_steal(&cur) : vmb_xstrdup(""));
    vmb_buf_free(&cur);
    *pos = i;
    return 0;
}

static bool
is_qemu_program(const char *s)
{
    const char *base = strrchr(s, '/');
    base = base ? base + 1 : s;
    return strncmp(base, "qemu", 4) == 0 || strstr(base, "-system-") != NULL;
}

/*
 * Drops the words before the QEMU program (ps columns, env assignments):
 * the first word that names one and is followed by an option.
 */
static bool
trim_to_program(struct words *w)
{
    for (size_t i = 0; i + 1 < w->n; i++) {
        if (!is_qemu_program(w->v[i]) || w->v[i + 1][0] != '-')
            continue;
        for (size_t j = 0; j < i; j++)
            free(w->v[j]);
        memmove(w->v, w->v + i, (w->n - i) * sizeof(*w->v));
        w->n -= i;
        return true;
    }
    return false;
}

/* The first logical line that names a QEMU program, as words. */
static int
shell_form(const char *t, size_t len, struct words *out)
{
    size_t pos = 0;
    while (pos < len) {
        struct words w = {0};
        if (shell_line(t, len, &pos, &w) < 0) {
            words_free(&w);
            return -1;
        }
        if (trim_to_program(&w)) {
            *out = w;
            return 0;
        }
        words_free(&w);
    }
    return 0;
}

/* Undoes logfmt's and JSON's escapes of a log message, in place. */
static size_t
unescape_log(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\' || i + 1 == len) {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'n' || c == 't') {
            s[o++] = ' ';
        } else if (c == 'u' && i + 4 < len) {
            char hex[5] = {s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0};
            char *end = NULL;
            unsigned long v = strtoul(hex, &end, 16);
            if (end == hex + 4 && v > 0 && v < 0x80) {
                s[o++] = (char)v;
                i += 4;
            } else {
                s[o++] = '?';
                i += 4;
            }
        } else {
            s[o++] = c;
        }
    }
    return o;
}

/*
 * Kata's Go runtime logs the arguments as a Go slice, "[-name x -m 2G]":
 * words split on blanks, and -append's value, which holds blanks itself,
 * arrives as several words up to the next option.
 */
static void
kata_log_form(const char *t, size_t len, const char *with, struct words *out)
{
    const char *start = with + strlen(" with: [");
    const char *line_end = memchr(start, '\n', len - (size_t)(start - t));
    if (line_end == NULL)
        line_end = t + len;
    const char *close = NULL;
    for (const char *p = start; p < line_end; p++)
        if (*p == ']')
            close = p;
    if (close == NULL)
        close = line_end; /* a pasted line that breaks off */
    /* The program sits between "launching " and " with". */
    const char *l = with;
    while (l > t && l[-1] != ' ' && l[-1] != '\n' && l[-1] != '"')
        l--;
    words_push(out, vmb_xstrndup(l, (size_t)(with - l)));
    autofree char *body = vmb_xstrndup(start, (size_t)(close - start));
    size_t n = unescape_log(body, strlen(body));
    body[n] = '\0';
    for (char *save = NULL, *tok = strtok_r(body, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save))
        words_push(out, vmb_xstrdup(tok));
}

static const char *
find_in(const char *t, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (t[i] == needle[0] && memcmp(t + i, needle, n) == 0)
            return t + i;
    return NULL;
}

/*
 * Where the arguments were joined by blanks (ps, Kata's Go log), -append's
 * value, which holds blanks itself, arrives as several words: they are
 * joined again up to the next option.
 */
static void
join_append(struct words *w)
{
    struct words out = {0};
    for (size_t i = 0; i < w->n; i++) {
        words_push(&out, steal(&w->v[i]));
        if (strcmp(out.v[out.n - 1], "-append") != 0)
            continue;
        struct vmb_buf app = {0};
        while (i + 1 < w->n && w->v[i + 1][0] != '-') {
            if (app.len > 0)
                vmb_buf_puts(&app, " ");
            vmb_buf_puts(&app, w->v[++i]);
        }
        words_push(&out, app.data ? vmb_buf_steal(&app) : vmb_xstrdup(""));
    }
    words_free(w);
    *w = out;
}

/* ps output: the first line that runs a QEMU program, split on blanks. */
static void
blank_form(const char *t, size_t len, struct words *out)
{
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(t + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - t) : len;
        autofree char *line = vmb_xstrndup(t + start, end - start);
        struct words w = {0};
        for (char *save = NULL, *tok = strtok_r(line, " \t\r", &save); tok;
             tok = strtok_r(NULL, " \t\r", &save))
            words_push(&w, vmb_xstrdup(tok));
        if (trim_to_program(&w)) {
            join_append(&w);
            *out = w;
            return;
        }
        words_free(&w);
        start = end + 1;
    }
}

/* ---- options ---- */

/* Options that take no argument; every other one takes exactly one. */
static const char *const flags[] = {
    "nodefaults",
    "no-user-config",
    "nographic",
    "daemonize",
    "no-reboot",
    "no-shutdown",
    "enable-kvm",
    "S",
    "no-hpet",
    "no-acpi",
    "mem-prealloc",
    "snapshot",
    "full-screen",
    "no-fd-bootchk",
    "no-kvm-pit-reinjection",
    "enable-fips",
    "nodefconfig",
    "no-kvm",
    "win2k-hack",
    "version",
    "h",
    "help",
    "preconfig",
};

/* Options whose argument is key=value pairs, with the implied first key. */
static const struct {
    const char *name;
    const char *implied;
} keyed[] = {
    {"device", "driver"},  {"object", "qom-type"}, {"machine", "type"},
    {"M", "type"},         {"cpu", "model"},       {"m", "size"},
    {"smp", "cpus"},       {"netdev", "type"},     {"chardev", "backend"},
    {"fsdev", "fsdriver"}, {"drive", NULL},        {"blockdev", NULL},
    {"numa", "type"},      {"rtc", NULL},          {"global", NULL},
    {"accel", "accel"},    {"display", "type"},    {"overcommit", NULL},
    {"sandbox", "enable"}, {"boot", "order"},      {"msg", NULL},
    {"mon", "chardev"},    {"iothread", NULL},
};

static bool
is_flag(const char *name)
{
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strcmp(flags[i], name) == 0)
            return true;
    return false;
}

void
vmb_qcmd_add_prop(struct vmb_qopt *o, char *key, char *val)
{
    o->props = vmb_xrealloc(o->props, (o->nprops + 1) * sizeof(*o->props));
    o->props[o->nprops].key = key;
    o->props[o->nprops].val = val;
    o->nprops++;
}

/* QEMU's key=value list: ",," is a comma; a bare first word is implied. */
static void
parse_keyvals(struct vmb_qopt *o, const char *arg, const char *implied)
{
    bool first = true;
    const char *p = arg;
    while (*p != '\0') {
        struct vmb_buf item = {0};
        for (; *p != '\0'; p++) {
            if (*p == ',' && p[1] == ',') {
                vmb_buf_append(&item, ",", 1);
                p++;
            } else if (*p == ',') {
                break;
            } else {
                vmb_buf_append(&item, p, 1);
            }
        }
        if (*p == ',')
            p++;
        autofree char *s = item.data ? vmb_buf_steal(&item) : vmb_xstrdup("");
        char *eq = strchr(s, '=');
        if (s[0] == '\0') {
            first = false;
            continue;
        }
        if (eq == NULL && first && implied != NULL) {
            free(o->kind);
            o->kind = vmb_xstrdup(s);
        } else if (eq != NULL) {
            *eq = '\0';
            if (implied != NULL && strcmp(s, implied) == 0) {
                free(o->kind);
                o->kind = vmb_xstrdup(eq + 1);
            } else {
                vmb_qcmd_add_prop(o, vmb_xstrdup(s), vmb_xstrdup(eq + 1));
            }
        } else if (s[0] == '+' || s[0] == '-') {
            vmb_qcmd_add_prop(o, vmb_xstrdup(s + 1),
                              vmb_xstrdup(s[0] == '+' ? "on" : "off"));
        } else if (strcmp(s, "nowait") == 0) {
            vmb_qcmd_add_prop(o, vmb_xstrdup("wait"), vmb_xstrdup("off"));
        } else {
            vmb_qcmd_add_prop(o, vmb_xstrdup(s), vmb_xstrdup("on"));
        }
        first = false;
    }
}

/* -global's "kvm-pit.lost_tick_policy=discard" and libvirt's
 * "driver=kvm-pit,property=lost_tick_policy,value=discard" alike. */
static void
parse_global(struct vmb_qopt *o, const char *arg)
{
    struct vmb_qopt tmp = {0};
    parse_keyvals(&tmp, arg, NULL);
    const char *drv = vmb_qopt_get(&tmp, "driver");
    const char *prop = vmb_qopt_get(&tmp, "property");
    const char *val = vmb_qopt_get(&tmp, "value");
    if (drv && prop && val) {
        vmb_qcmd_add_prop(o, vmb_xasprintf("%s.%s", drv, prop),
                          vmb_xstrdup(val));
    } else {
        for (size_t i = 0; i < tmp.nprops; i++) {
            vmb_qcmd_add_prop(o, tmp.props[i].key, tmp.props[i].val);
            tmp.props[i].key = tmp.props[i].val = NULL;
        }
    }
    for (size_t i = 0; i < tmp.nprops; i++) {
        free(tmp.props[i].key);
        free(tmp.props[i].val);
    }
    free(tmp.props);
    free(tmp.kind);
}

static int
build(const char *what, struct words *w, struct vmb_qcmd **out,
      struct vmb_error **err)
{
    if (w->n == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: holds no QEMU command line", what);
    if (w->n > MAX_ARGS)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: has more than %d arguments", what, MAX_ARGS);
    struct vmb_qcmd *q = vmb_xcalloc(1, sizeof(*q));
    q->binary = steal(&w->v[0]);
    q->opts = vmb_xcalloc(w->n, sizeof(*q->opts));
    for (size_t i = 1; i < w->n; i++) {
        const char *a = w->v[i];
        if (a[0] != '-' || a[1] == '\0') {
            vmb_qcmd_free(q);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s: argument %zu \"%.80s\" is not an option",
                                 what, i, a);
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        if (*name == '\0') {
            vmb_qcmd_free(q);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s: argument %zu \"%.80s\" names no option",
                                 what, i, a);
        }
        struct vmb_qopt *o = &q->opts[q->nopts++];
        o->name = vmb_xstrdup(name);
        if (is_flag(name))
            continue;
        if (i + 1 >= w->n) {
            vmb_qcmd_free(q);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s: option \"%.80s\" lacks its argument",
                                 what, a);
        }
        o->arg = steal(&w->v[++i]);
        if (strcmp(name, "global") == 0) {
            parse_global(o, o->arg);
            continue;
        }
        for (size_t k = 0; k < sizeof(keyed) / sizeof(keyed[0]); k++) {
            if (strcmp(keyed[k].name, name) != 0)
                continue;
            if (o->arg[0] == '{') {
                if (vmb_qcmd_parse_json(o, o->arg) < 0) {
                    autofree char *safe = vmb_term_safe(o->arg);
                    vmb_qcmd_free(q);
                    return vmb_error_set(
                        err, VMB_ERR_INPUT, 0,
                        "%s: the JSON argument of option \"%s\" does not "
                        "parse: \"%.80s\"",
                        what, a, safe);
                }
            } else {
                parse_keyvals(o, o->arg, keyed[k].implied);
            }
            break;
        }
    }
    *out = q;
    return 0;
}

int
vmb_qcmd_parse(const char *what, const char *text, size_t len,
               struct vmb_qcmd **out, struct vmb_error **err)
{
    if (len > VMB_QCMD_MAX_BYTES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: is larger than %d bytes", what,
                             VMB_QCMD_MAX_BYTES);
    struct words w = {0};
    int rc = 0;
    const char *with = find_in(text, len, " with: [");
    const char *std = find_in(text, len, "std: \"");
    if (memchr(text, '\0', len) != NULL) {
        split_on(text, len, '\0', &w);
        if (!trim_to_program(&w))
            words_free(&w); /* some other program's */
    } else if (with != NULL) {
        kata_log_form(text, len, with, &w);
        if (w.n > 0 && !is_qemu_program(w.v[0]))
            words_free(&w);
        join_append(&w);
    } else if (std != NULL) {
        /* runtime-rs: Command { std: "/…/qemu" "-name" "…", kill_on_drop… } */
        const char *b = std + strlen("std: ");
        const char *e = find_in(b, len - (size_t)(b - text), "\", ");
        size_t n = e ? (size_t)(e - b) + 1 : len - (size_t)(b - text);
        autofree char *seg = vmb_xstrndup(b, n);
        rc = shell_form(seg, strlen(seg), &w);
    } else {
        /* One argument a line (what vmbench saves), or shell-like words. */
        size_t lines = 0;
        bool cont = false, first_blank = false;
        for (size_t i = 0; i < len; i++)
            if (text[i] == '\n') {
                lines++;
                if (i > 0 && text[i - 1] == '\\')
                    cont = true;
            }
        const char *nl = memchr(text, '\n', len);
        size_t first = nl ? (size_t)(nl - text) : len;
        for (size_t i = 0; i < first; i++)
            if (text[i] == ' ' || text[i] == '\t')
                first_blank = true;
        if (lines > 1 && !cont && !first_blank && first > 0) {
            autofree char *head = vmb_xstrndup(text, first);
            if (is_qemu_program(head)) {
                split_on(text, len, '\n', &w);
                goto parsed;
            }
        }
        /* libvirt's qemu-argv is shell-quoted: env assignments first, and
         * lines joined by backslashes; ps output is not quoted at all. */
        size_t b = 0;
        while (b < len && isspace((unsigned char)text[b]))
            b++;
        size_t e = b;
        while (e < len && (isupper((unsigned char)text[e]) || text[e] == '_'))
            e++;
        if (cont || (e > b && e < len && text[e] == '='))
            rc = shell_form(text, len, &w);
        else
            blank_form(text, len, &w);
    }
parsed:
    if (rc < 0) {
        words_free(&w);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: has a quote that is not closed", what);
    }
    rc = build(what, &w, out, err);
    words_free(&w);
    return rc;
}

void
vmb_qcmd_free(struct vmb_qcmd *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nopts; i++) {
        struct vmb_qopt *o = &q->opts[i];
        for (size_t k = 0; k < o->nprops; k++) {
            free(o->props[k].key);
            free(o->props[k].val);
        }
        free(o->props);
        free(o->name);
        free(o->arg);
        free(o->kind);
    }
    free(q->opts);
    free(q->binary);
    free(q);
}

const char *
vmb_qopt_get(const struct vmb_qopt *o, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < o->nprops; i++)
        if (strcmp(o->props[i].key, key) == 0)
            v = o->props[i].val;
    return v;
}

long long
vmb_qcmd_size(const char *s, char default_unit)
{
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    char u = *end ? *end : default_unit;
    if (*end && end[1] != '\0' && !(end[1] == 'i' || end[1] == 'B'))
        return -1;
    int shift = 0;
    switch (u) {
    case 'b':
    case 'B':
    case '\0':
        shift = 0;
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (v > (unsigned long long)(LLONG_MAX >> shift))
        return -1;
    return (long long)(v << shift);
}
