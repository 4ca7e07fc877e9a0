/*
 * Merging a cell's Kata [hypervisor.qemu] settings into the user's
 * configuration.toml (`vmbench kata-config --base`).
 *
 * The merge edits text, not a parsed tree: the file is scanned as TOML to
 * find where each statement and value lies (and to reject a malformed
 * file with its line), then only the value spans of our keys in the
 * [hypervisor.qemu] table are replaced, and keys the table lacks are
 * added after its last key. Comments, spacing, order and every other
 * table come out byte for byte.
 *
 * So that the result is valid TOML, files where [hypervisor.qemu] is not
 * a standard table of its own (defined by dotted keys, an inline table
 * or an array of tables) are refused rather than given a second
 * definition, as are our keys written as tables there; nesting is
 * limited so a hostile file cannot exhaust the stack.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/kata.h"
#include "config/strmap.h"
#include "config/toml_name.h"

/* Arrays and inline tables inside one another. */
#define MAX_DEPTH 64

static const char standard_only[] =
    "vmbench edits only files where [" VMB_KATA_TABLE "] is a standard "
    "table with its own header";

struct span {
    size_t start, end; /* byte offsets into the text, end exclusive */
};

struct found_key {
    char *key;
    struct span value;
    int table; /* index in targets[] */
    int line;
};

/* The tables vmbench reads and writes: Kata's QEMU table, then [runtime]
 * (enable_vcpus_pinning). */
static const char *const targets[] = {VMB_KATA_TABLE, "runtime"};
#define NTARGETS 2

/* A name in the target table that is itself a table, with its line. */
struct shadow {
    char *name;
    int line;
};

/* Keys and table names are compared in normal form (toml_name.h). */
struct toml_scan {
    const char *name; /* file name for messages */
    const char *s;
    size_t len, pos;
    int line;
    int array_depth, array_line; /* the outermost open array */
    int depth;                   /* arrays and inline tables open */
    struct vmb_error **err;
    /* what the merge needs */
    char *table; /* the current table's name; "" at the top */
    int target;  /* index in targets[], -1: other */
    bool target_seen[NTARGETS];
    size_t target_insert[NTARGETS]; /* after the table's last statement */
    struct found_key *keys;
    size_t nkeys;
    struct shadow *shadows;
    size_t nshadows;
    struct vmb_strmap tables;     /* headers seen, to reject duplicates */
    struct vmb_strmap table_keys; /* keys of the current table */
};

static int scan_error(struct toml_scan *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
scan_error(struct toml_scan *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    if (t->array_depth > 0 && t->array_line != t->line)
        vmb_error_set(t->err, VMB_ERR_INPUT, 0,
                      "%s:%d: %s, in the array opened on line %d", t->name,
                      t->line, msg, t->array_line);
    else
        vmb_error_set(t->err, VMB_ERR_INPUT, 0, "%s:%d: %s", t->name, t->line,
                      msg);
    free(msg);
    return -1;
}

/* A character for a message: printable as itself, else as \xNN. */
static const char *
shown_char(int c, char buf[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "\\x%02x", (unsigned)c & 0xff);
    return buf;
}

static int
peek(const struct toml_scan *t)
{
    return t->pos < t->len ? (unsigned char)t->s[t->pos] : -1;
}

static bool
at(const struct toml_scan *t, const char *lit)
{
    size_t n = strlen(lit);
    return t->pos + n <= t->len && memcmp(t->s + t->pos, lit, n) == 0;
}

static void
advance(struct toml_scan *t)
{
    if (t->pos < t->len) {
        if (t->s[t->pos] == '\n')
            t->line++;
        t->pos++;
    }
}

static void
skip_ws(struct toml_scan *t)
{
    while (peek(t) == ' ' || peek(t) == '\t')
        advance(t);
}

static void
skip_comment(struct toml_scan *t)
{
    if (peek(t) == '#')
        while (peek(t) != -1 && peek(t) != '\n')
            advance(t);
}

/* Whitespace, newlines and comments: inside arrays. */
static void
skip_ws_nl(struct toml_scan *t)
{
    for (;;) {
        skip_ws(t);
        if (peek(t) == '#')
            skip_comment(t);
        else if (peek(t) == '\n' || peek(t) == '\r')
            advance(t);
        else
            return;
    }
}

/* After a statement: spaces, an optional comment, then the line's end. */
static int
end_of_line(struct toml_scan *t, const char *after)
{
    skip_ws(t);
    skip_comment(t);
    if (peek(t) == '\r')
        advance(t);
    if (peek(t) == -1)
        return 0;
    char cb[8];
    if (peek(t) != '\n')
        return scan_error(t, "unexpected \"%s\" after %s",
                          shown_char(peek(t), cb), after);
    advance(t);
    return 0;
}

static bool
bare_key_char(int c)
{
    return c != -1 && (isalnum(c) || c == '_' || c == '-');
}

/* An escape in a quoted key, at its backslash, decoded into raw. */
static int
key_escape(struct toml_scan *t, struct vmb_buf *raw)
{
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    advance(t);
    int c = peek(t);
    const char *e = c > 0 ? strchr(from, c) : NULL;
    if (e != NULL) {
        vmb_buf_append(raw, &to[e - from], 1);
        advance(t);
        return 0;
    }
    char cb[8];
    if (c != 'u' && c != 'U')
        return scan_error(t, "invalid escape \"\\%s\" in a quoted key",
                          shown_char(c, cb));
    uint32_t cp = 0;
    for (int i = 0; i < (c == 'u' ? 4 : 8); i++) {
        advance(t);
        int h = peek(t);
        if (h == -1 || !isxdigit(h))
            return scan_error(t, "invalid unicode escape in a quoted key");
        cp = cp * 16 + (uint32_t)(isdigit(h) ? h - '0' : tolower(h) - 'a' + 10);
    }
    advance(t);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return scan_error(t, "invalid unicode escape in a quoted key");
    vmb_toml_put_utf8(raw, cp);
    return 0;
}

/* One part of a key into out, in normal form. */
static int
key_part(struct toml_scan *t, struct vmb_buf *out)
{
    int q = peek(t);
    if (q == '"' || q == '\'') {
        struct vmb_buf raw = {0};
        advance(t);
        while (peek(t) != q) {
            int c = peek(t);
            if (c == -1 || c == '\n') {
                vmb_buf_free(&raw);
                return scan_error(t, "unterminated quoted key");
            }
            if (q == '"' && c == '\\') {
                if (key_escape(t, &raw) < 0) {
                    vmb_buf_free(&raw);
                    return -1;
                }
                continue;
            }
            vmb_buf_append(&raw, t->s + t->pos, 1);
            advance(t);
        }
        advance(t);
        vmb_toml_name_part(out, raw.data ? raw.data : "", raw.len);
        vmb_buf_free(&raw);
        return 0;
    }
    char cb[8];
    if (!bare_key_char(q))
        return q == -1 || q == '\n' || q == '\r'
                   ? scan_error(t, "expected a key")
                   : scan_error(t,
                                "unexpected \"%s\" where a key was "
                                "expected",
                                shown_char(q, cb));
    while (bare_key_char(peek(t))) {
        vmb_buf_append(out, t->s + t->pos, 1);
        advance(t);
    }
    return 0;
}

/* A dotted key, parts joined with "." into *out (caller frees). */
static int
key_path(struct toml_scan *t, char **out, size_t *nparts)
{
    struct vmb_buf b = {0};
    *nparts = 0;
    for (;;) {
        skip_ws(t);
        if (key_part(t, &b) < 0) {
            vmb_buf_free(&b);
            return -1;
        }
        (*nparts)++;
        skip_ws(t);
        if (peek(t) != '.')
            break;
        advance(t);
        vmb_buf_puts(&b, ".");
    }
    *out = vmb_buf_steal(&b);
    return 0;
}

static int scan_value(struct toml_scan *t);

static int
scan_string(struct toml_scan *t)
{
    if (at(t, "\"\"\"") || at(t, "'''")) {
        char q = t->s[t->pos];
        char close[4] = {q, q, q, '\0'};
        int start = t->line;
        for (int i = 0; i < 3; i++)
            advance(t);
        while (!at(t, close)) {
            if (peek(t) == -1) {
                t->line = start;
                return scan_error(t, "unterminated multi-line string");
            }
            if (q == '"' && peek(t) == '\\')
                advance(t);
            advance(t);
        }
        for (int i = 0; i < 3; i++)
            advance(t);
        /* Up to two more quotes may belong to the content. */
        for (int i = 0; i < 2 && peek(t) == q; i++)
            advance(t);
        return 0;
    }
    int q = peek(t);
    advance(t);
    while (peek(t) != q) {
        if (peek(t) == -1 || peek(t) == '\n' || peek(t) == '\r')
            return scan_error(t, "unterminated string");
        if (q == '"' && peek(t) == '\\') {
            advance(t);
            if (peek(t) == -1 || peek(t) == '\n')
                return scan_error(t, "unterminated string");
        }
        advance(t);
    }
    advance(t);
    return 0;
}

static int scan_array_items(struct toml_scan *t, int start);

static int
enter(struct toml_scan *t)
{
    if (t->depth == MAX_DEPTH)
        return scan_error(t,
                          "arrays and inline tables nested deeper than "
                          "%d levels, the limit",
                          MAX_DEPTH);
    t->depth++;
    return 0;
}

static int
scan_array(struct toml_scan *t)
{
    int start = t->line;
    if (enter(t) < 0)
        return -1;
    if (t->array_depth++ == 0)
        t->array_line = start;
    int rc = scan_array_items(t, start);
    t->array_depth--;
    t->depth--;
    return rc;
}

static int
scan_array_items(struct toml_scan *t, int start)
{
    advance(t); /* [ */
    for (;;) {
        skip_ws_nl(t);
        if (peek(t) == ']') {
            advance(t);
            return 0;
        }
        if (peek(t) == -1) {
            t->line = start;
            return scan_error(t, "array is not closed with \"]\"");
        }
        if (scan_value(t) < 0)
            return -1;
        skip_ws_nl(t);
        if (peek(t) == ',') {
            advance(t);
            continue;
        }
        if (peek(t) == ']') {
            advance(t);
            return 0;
        }
        if (peek(t) == -1) {
            t->line = start;
            return scan_error(t, "array is not closed with \"]\"");
        }
        return scan_error(t, "expected \",\" or \"]\" between array items");
    }
}

static int scan_inline_items(struct toml_scan *t);

static int
scan_inline_table(struct toml_scan *t)
{
    if (enter(t) < 0)
        return -1;
    int rc = scan_inline_items(t);
    t->depth--;
    return rc;
}

static int
scan_inline_items(struct toml_scan *t)
{
    advance(t); /* { */
    skip_ws(t);
    if (peek(t) == '}') {
        advance(t);
        return 0;
    }
    for (;;) {
        autofree char *k = NULL;
        size_t parts;
        if (key_path(t, &k, &parts) < 0)
            return -1;
        skip_ws(t);
        if (peek(t) != '=') {
            autofree char *shown = vmb_option_shown(k);
            return scan_error(t, "expected \"=\" after key \"%s\"", shown);
        }
        advance(t);
        skip_ws(t);
        if (scan_value(t) < 0)
            return -1;
        skip_ws(t);
        if (peek(t) == ',') {
            advance(t);
            continue;
        }
        if (peek(t) == '}') {
            advance(t);
            return 0;
        }
        return scan_error(t, "inline table is not closed with \"}\"");
    }
}

/* true, false, numbers, dates and times. */
static int
scan_scalar(struct toml_scan *t)
{
    size_t start = t->pos;
    while (peek(t) != -1 && (isalnum(peek(t)) || strchr("+-_.:", peek(t))))
        advance(t);
    /* A local date-time may use a space between date and time. */
    if (t->pos - start == 10 && peek(t) == ' ' && t->pos + 1 < t->len &&
        isdigit((unsigned char)t->s[t->pos + 1]) && t->s[start + 4] == '-') {
        advance(t);
        while (peek(t) != -1 && (isalnum(peek(t)) || strchr("+-.:", peek(t))))
            advance(t);
    }
    size_t n = t->pos - start;
    const char *v = t->s + start;
    if (n == 0) {
        if (peek(t) == -1 || peek(t) == '\n' || peek(t) == '\r' ||
            peek(t) == '#')
            return scan_error(t, "missing value");
        char cb[8];
        return scan_error(t, "unexpected \"%s\" where a value was expected",
                          shown_char(peek(t), cb));
    }
    if ((n == 4 && memcmp(v, "true", 4) == 0) ||
        (n == 5 && memcmp(v, "false", 5) == 0))
        return 0;
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    /* The text is not NUL-terminated: compare within the value only. */
    size_t rest = n - (size_t)(p - v);
    if (rest > 0 &&
        (isdigit((unsigned char)*p) ||
         (rest >= 3 && (memcmp(p, "inf", 3) == 0 || memcmp(p, "nan", 3) == 0))))
        return 0;
    autofree char *text = vmb_xstrndup(v, n);
    autofree char *shown = vmb_option_shown(text);
    return scan_error(t, "invalid value \"%s\" (strings need quotes)", shown);
}

static int
scan_value(struct toml_scan *t)
{
    switch (peek(t)) {
    case '"':
    case '\'':
        return scan_string(t);
    case '[':
        return scan_array(t);
    case '{':
        return scan_inline_table(t);
    default:
        return scan_scalar(t);
    }
}

static void
add_shadow(struct toml_scan *t, const char *name)
{
    t->shadows =
        vmb_xrealloc(t->shadows, (t->nshadows + 1) * sizeof(*t->shadows));
    t->shadows[t->nshadows++] =
        (struct shadow){vmb_toml_name_first(name), t->line};
}

static int
scan_header(struct toml_scan *t)
{
    bool array = at(t, "[[");
    advance(t);
    if (array)
        advance(t);
    autofree char *name = NULL;
    size_t parts;
    if (key_path(t, &name, &parts) < 0)
        return -1;
    skip_ws(t);
    autofree char *shown = vmb_option_shown(name);
    if (array ? !at(t, "]]") : peek(t) != ']')
        return scan_error(t, "table header \"%s\" is not closed with \"%s\"",
                          shown, array ? "]]" : "]");
    advance(t);
    if (array)
        advance(t);
    if (array &&
        (strcmp(name, "hypervisor") == 0 || strcmp(name, VMB_KATA_TABLE) == 0))
        return scan_error(t, "[[%s]] makes an array of tables; %s", shown,
                          standard_only);
    if (!array && vmb_strmap_add(&t->tables, name, 0) != SIZE_MAX)
        return scan_error(t, "table [%s] is defined twice", shown);
    /* [hypervisor.qemu.x] makes x a table where we may set a key x. */
    if (vmb_toml_name_within(name, VMB_KATA_TABLE) &&
        strcmp(name, VMB_KATA_TABLE) != 0)
        add_shadow(t, name + strlen(VMB_KATA_TABLE) + 1);
    vmb_strmap_free(&t->table_keys);
    free(t->table);
    t->table = steal(&name);
    t->target = -1;
    for (int i = 0; i < NTARGETS && !array; i++)
        if (strcmp(t->table, targets[i]) == 0)
            t->target = i;
    if (end_of_line(t, "the table header") < 0)
        return -1;
    if (t->target >= 0) {
        t->target_seen[t->target] = true;
        t->target_insert[t->target] = t->pos;
    }
    return 0;
}

/*
 * Outside its own table, a key that is or holds [hypervisor.qemu] (a
 * dotted key, an inline table, "hypervisor" given a value) would make
 * the table we add a second definition of it.
 */
static int
check_not_target(struct toml_scan *t, const char *key)
{
    if (t->target == 0 || vmb_toml_name_within(t->table, VMB_KATA_TABLE))
        return 0;
    autofree char *full =
        t->table[0] ? vmb_xasprintf("%s.%s", t->table, key) : vmb_xstrdup(key);
    if (strcmp(full, "hypervisor") == 0)
        return scan_error(t, "key \"hypervisor\" is given a value here; %s",
                          standard_only);
    if (vmb_toml_name_within(full, VMB_KATA_TABLE))
        return scan_error(t,
                          "[" VMB_KATA_TABLE "] is defined here by a "
                          "dotted key or an inline table; %s",
                          standard_only);
    return 0;
}

static int
scan_keyval(struct toml_scan *t)
{
    autofree char *key = NULL;
    size_t parts;
    if (key_path(t, &key, &parts) < 0)
        return -1;
    skip_ws(t);
    autofree char *shown = vmb_option_shown(key);
    if (peek(t) != '=')
        return scan_error(t, "expected \"=\" after key \"%s\"", shown);
    advance(t);
    skip_ws(t);
    if (vmb_strmap_add(&t->table_keys, key, 0) != SIZE_MAX)
        return scan_error(t, "key \"%s\" is set twice in the same table",
                          shown);
    if (check_not_target(t, key) < 0)
        return -1;
    struct span v = {t->pos, 0};
    int line = t->line;
    if (scan_value(t) < 0)
        return -1;
    v.end = t->pos;
    if (end_of_line(t, "the value") < 0)
        return -1;
    if (t->target >= 0) {
        t->target_insert[t->target] = t->pos;
        if (parts == 1) {
            t->keys = vmb_xrealloc(t->keys, (t->nkeys + 1) * sizeof(*t->keys));
            t->keys[t->nkeys] =
                (struct found_key){vmb_xstrdup(key), v, t->target, line};
            t->nkeys++;
        } else if (t->target == 0) {
            int now = t->line;
            t->line = line;
            add_shadow(t, key);
            t->line = now;
        }
    }
    return 0;
}

static int
toml_scan(struct toml_scan *t)
{
    while (t->pos < t->len) {
        skip_ws(t);
        int c = peek(t);
        if (c == '#' || c == '\r' || c == '\n') {
            if (end_of_line(t, "a comment") < 0)
                return -1;
            continue;
        }
        if (c == -1)
            break;
        if (c == '[') {
            if (scan_header(t) < 0)
                return -1;
            continue;
        }
        if (scan_keyval(t) < 0)
            return -1;
    }
    return 0;
}

static void
toml_scan_free(struct toml_scan *t)
{
    for (size_t i = 0; i < t->nkeys; i++)
        free(t->keys[i].key);
    free(t->keys);
    for (size_t i = 0; i < t->nshadows; i++)
        free(t->shadows[i].name);
    free(t->shadows);
    vmb_strmap_free(&t->tables);
    vmb_strmap_free(&t->table_keys);
    free(t->table);
}

/* One of our keys that the target table holds as a table: refused. */
static int
check_shadows(struct toml_scan *t, const struct vmb_kata_setting *set,
              size_t nset)
{
    for (size_t i = 0; i < t->nshadows; i++)
        for (size_t k = 0; k < nset; k++)
            if (strcmp(t->shadows[i].name, set[k].key) == 0) {
                t->line = t->shadows[i].line;
                t->array_depth = 0;
                return scan_error(t,
                                  "\"%s\" is a table in [" VMB_KATA_TABLE
                                  "] here, where vmbench "
                                  "sets a value",
                                  set[k].key);
            }
    return 0;
}

/*
 * The content of a one-line string literal without escapes ("x" or 'x'),
 * so 'auto' and "auto" compare equal; other values are compared as text.
 */
static char *
plain_value(const char *v, size_t n)
{
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0] &&
        memchr(v + 1, '\\', n - 2) == NULL &&
        memchr(v + 1, v[0], n - 2) == NULL)
        return vmb_xstrndup(v + 1, n - 2);
    return vmb_xstrndup(v, n);
}

static bool
same_value(const char *text, struct span s, const char *ours)
{
    autofree char *a = plain_value(text + s.start, s.end - s.start);
    autofree char *b = plain_value(ours, strlen(ours));
    return strcmp(a, b) == 0;
}

/* Replacements in text order, then one insertion at the table's end. */
struct edit {
    size_t start, end;
    const char *text; /* owned */
};

static int
cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* Keys to add to table i: after its last statement, or in a new table
 * at the end of the file. */
static void
added_text(const struct toml_scan *t, const char *text, size_t len, int table,
           const struct vmb_buf *added, struct edit *e)
{
    static const char *const headers[] = {"\n[" VMB_KATA_TABLE "]\n",
                                          "\n[runtime]\n"};
    struct vmb_buf b = {0};
    size_t ins = t->target_seen[table] ? t->target_insert[table] : len;
    /* A last line without its newline gets one before ours. */
    if (ins > 0 && text[ins - 1] != '\n')
        vmb_buf_puts(&b, "\n");
    if (!t->target_seen[table])
        vmb_buf_puts(&b, headers[table]);
    vmb_buf_append(&b, added->data, added->len);
    *e = (struct edit){ins, ins, vmb_buf_steal(&b)};
}

int
vmb_kata_toml_merge(const char *name, const char *text, size_t len,
                    const struct vmb_kata_setting *set, size_t nset,
                    struct vmb_buf *out, struct vmb_error **err)
{
    struct toml_scan t = {.name = name,
                          .s = text,
                          .len = len,
                          .line = 1,
                          .err = err,
                          .target = -1,
                          .table = vmb_xstrdup("")};
    if (toml_scan(&t) < 0 || check_shadows(&t, set, nset) < 0) {
        toml_scan_free(&t);
        return -1;
    }
    struct edit *edits = vmb_xcalloc(nset + NTARGETS, sizeof(*edits));
    size_t nedits = 0;
    struct vmb_buf added[NTARGETS] = {{0}};
    for (size_t i = 0; i < nset; i++) {
        int table = set[i].table == NULL ? 0 : 1;
        const struct found_key *f = NULL;
        for (size_t k = 0; k < t.nkeys && f == NULL; k++)
            if (t.keys[k].table == table &&
                strcmp(t.keys[k].key, set[i].key) == 0)
                f = &t.keys[k];
        if (f != NULL) {
            /* An equal value keeps the user's spelling of it. */
            if (!same_value(text, f->value, set[i].value))
                edits[nedits++] = (struct edit){f->value.start, f->value.end,
                                                vmb_xstrdup(set[i].value)};
            continue;
        }
        vmb_buf_printf(&added[table], "%s = %s\n", set[i].key, set[i].value);
    }
    /*
     * Keys for a table the file has first, then new tables: when the
     * file ends with [runtime] and lacks [hypervisor.qemu], both go at
     * the end, and the runtime keys must stay above the new header.
     */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < NTARGETS; i++)
            if (added[i].len > 0 && t.target_seen[i] == (pass == 0))
                added_text(&t, text, len, i, &added[i], &edits[nedits++]);
    for (int i = 0; i < NTARGETS; i++)
        vmb_buf_free(&added[i]);
    /* Stable for insertions at one place (both tables new: end of file). */
    for (size_t i = 1; i < nedits; i++)
        for (size_t j = i; j > 0 && cmp_edit(&edits[j - 1], &edits[j]) > 0;
             j--) {
            struct edit x = edits[j];
            edits[j] = edits[j - 1];
            edits[j - 1] = x;
        }
    /* The lines written keep the file's line ending: CRLF when its first
     * line ends so. */
    const char *nl = memchr(text, '\n', len);
    bool crlf = nl != NULL && nl > text && nl[-1] == '\r';
    size_t pos = 0;
    for (size_t i = 0; i < nedits; i++) {
        vmb_buf_append(out, text + pos, edits[i].start - pos);
        for (const char *c = edits[i].text; *c; c++) {
            /* The byte before may be the file's own CR, left open at its
             * end: the LF then completes it. */
            bool after_cr = out->len > 0 && out->data[out->len - 1] == '\r';
            if (*c == '\n' && crlf && !after_cr)
                vmb_buf_append(out, "\r", 1);
            vmb_buf_append(out, c, 1);
        }
        pos = edits[i].end;
    }
    vmb_buf_append(out, text + pos, len - pos);
    for (size_t i = 0; i < nedits; i++)
        free((char *)edits[i].text);
    free(edits);
    toml_scan_free(&t);
    return 0;
}

int
vmb_kata_toml_keys(const char *name, const char *text, size_t len,
                   struct vmb_kata_toml_key **out, size_t *n,
                   struct vmb_error **err)
{
    struct toml_scan t = {.name = name,
                          .s = text,
                          .len = len,
                          .line = 1,
                          .err = err,
                          .target = -1,
                          .table = vmb_xstrdup("")};
    if (toml_scan(&t) < 0) {
        toml_scan_free(&t);
        return -1;
    }
    *out = vmb_xcalloc(t.nkeys ? t.nkeys : 1, sizeof(**out));
    for (size_t i = 0; i < t.nkeys; i++)
        (*out)[i] = (struct vmb_kata_toml_key){
            .table = targets[t.keys[i].table],
            .key = vmb_xstrdup(t.keys[i].key),
            .value = vmb_xstrndup(text + t.keys[i].value.start,
                                  t.keys[i].value.end - t.keys[i].value.start),
            .line = t.keys[i].line,
        };
    *n = t.nkeys;
    toml_scan_free(&t);
    return 0;
}

void
vmb_kata_toml_keys_free(struct vmb_kata_toml_key *k, size_t n)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(k[i].key);
        free(k[i].value);
    }
    free(k);
}
