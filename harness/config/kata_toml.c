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
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/kata.h"
#include "base/util.h"


struct span {
    size_t start, end; /* byte offsets into the text, end exclusive */
};

struct found_key {
    char *key;
    struct span value;
};

struct toml_scan {
    const char *name; /* file name for messages */
    const char *s;
    size_t len, pos;
    int line;
    int array_depth, array_line; /* the outermost open array */
    struct vmb_error **err;
    /* what the merge needs */
    bool in_target;
    bool target_seen;
    size_t target_insert; /* just after the last statement of the table */
    struct found_key *keys;
    size_t nkeys;
    char **tables; /* headers seen, to reject duplicates */
    size_t ntables;
    char **table_keys; /* keys of the current table, to reject duplicates */
    size_t ntable_keys;
};

static int
scan_error(struct toml_scan *t, const char *fmt, ...)
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
    if (peek(t) != '\n')
        return scan_error(t, "unexpected \"%c\" after %s", peek(t), after);
    advance(t);
    return 0;
}

static bool
bare_key_char(int c)
{
    return c != -1 && (isalnum(c) || c == '_' || c == '-');
}

/* One part of a key into out (quotes removed). */
static int
key_part(struct toml_scan *t, struct vmb_buf *out)
{
    int q = peek(t);
    if (q == '"' || q == '\'') {
        advance(t);
        while (peek(t) != q) {
            if (peek(t) == -1 || peek(t) == '\n')
                return scan_error(t, "unterminated quoted key");
            if (q == '"' && peek(t) == '\\') {
                advance(t);
                if (peek(t) == -1 || peek(t) == '\n')
                    return scan_error(t, "unterminated quoted key");
            }
            vmb_buf_append(out, t->s + t->pos, 1);
            advance(t);
        }
        advance(t);
        return 0;
    }
    if (!bare_key_char(q))
        return q == -1 || q == '\n' || q == '\r'
                   ? scan_error(t, "expected a key")
                   : scan_error(t, "unexpected \"%c\" where a key was "
                                   "expected",
                                q);
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
scan_array(struct toml_scan *t)
{
    int start = t->line;
    if (t->array_depth++ == 0)
        t->array_line = start;
    int rc = scan_array_items(t, start);
    t->array_depth--;
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

static int
scan_inline_table(struct toml_scan *t)
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
        if (peek(t) != '=')
            return scan_error(t, "expected \"=\" after key \"%s\"", k);
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
        return scan_error(t, "unexpected \"%c\" where a value was expected",
                          peek(t));
    }
    if ((n == 4 && memcmp(v, "true", 4) == 0) ||
        (n == 5 && memcmp(v, "false", 5) == 0))
        return 0;
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    if ((size_t)(p - v) < n &&
        (isdigit((unsigned char)*p) || strncmp(p, "inf", 3) == 0 ||
         strncmp(p, "nan", 3) == 0))
        return 0;
    return scan_error(t, "invalid value \"%.*s\" (strings need quotes)",
                      (int)n, v);
}

static int
scan_value(struct toml_scan *t)
{
    switch (peek(t)) {
    case '"':
    case '\'': return scan_string(t);
    case '[': return scan_array(t);
    case '{': return scan_inline_table(t);
    default: return scan_scalar(t);
    }
}

static bool
contains(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void
clear_table_keys(struct toml_scan *t)
{
    for (size_t i = 0; i < t->ntable_keys; i++)
        free(t->table_keys[i]);
    free(t->table_keys);
    t->table_keys = NULL;
    t->ntable_keys = 0;
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
    if (array ? !at(t, "]]") : peek(t) != ']')
        return scan_error(t, "table header \"%s\" is not closed with \"%s\"",
                          name, array ? "]]" : "]");
    advance(t);
    if (array)
        advance(t);
    if (!array) {
        if (contains(t->tables, t->ntables, name))
            return scan_error(t, "table [%s] is defined twice", name);
        t->tables = vmb_xrealloc(t->tables,
                                 (t->ntables + 1) * sizeof(*t->tables));
        t->tables[t->ntables++] = vmb_xstrdup(name);
    }
    clear_table_keys(t);
    t->in_target = !array && strcmp(name, VMB_KATA_TABLE) == 0;
    if (end_of_line(t, "the table header") < 0)
        return -1;
    if (t->in_target) {
        t->target_seen = true;
        t->target_insert = t->pos;
    }
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
    if (peek(t) != '=')
        return scan_error(t, "expected \"=\" after key \"%s\"", key);
    advance(t);
    skip_ws(t);
    if (contains(t->table_keys, t->ntable_keys, key))
        return scan_error(t, "key \"%s\" is set twice in the same table", key);
    t->table_keys = vmb_xrealloc(t->table_keys, (t->ntable_keys + 1) *
                                                    sizeof(*t->table_keys));
    t->table_keys[t->ntable_keys++] = vmb_xstrdup(key);
    struct span v = {t->pos, 0};
    if (scan_value(t) < 0)
        return -1;
    v.end = t->pos;
    if (end_of_line(t, "the value") < 0)
        return -1;
    if (t->in_target) {
        t->target_insert = t->pos;
        if (parts == 1) {
            t->keys = vmb_xrealloc(t->keys, (t->nkeys + 1) * sizeof(*t->keys));
            t->keys[t->nkeys].key = vmb_xstrdup(key);
            t->keys[t->nkeys].value = v;
            t->nkeys++;
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
    for (size_t i = 0; i < t->ntables; i++)
        free(t->tables[i]);
    free(t->tables);
    clear_table_keys(t);
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
    const char *text;
};

static int
cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

int
vmb_kata_toml_merge(const char *name, const char *text, size_t len,
      const struct vmb_kata_setting *set, size_t nset, struct vmb_buf *out,
      struct vmb_error **err)
{
    struct toml_scan t = {.name = name, .s = text, .len = len, .line = 1,
                          .err = err};
    if (toml_scan(&t) < 0) {
        toml_scan_free(&t);
        return -1;
    }
    struct edit *edits = vmb_xcalloc(nset ? nset : 1, sizeof(*edits));
    size_t nedits = 0;
    struct vmb_buf added = {0};
    for (size_t i = 0; i < nset; i++) {
        const struct found_key *f = NULL;
        for (size_t k = 0; k < t.nkeys && f == NULL; k++)
            if (strcmp(t.keys[k].key, set[i].key) == 0)
                f = &t.keys[k];
        if (f != NULL) {
            /* An equal value keeps the user's spelling of it. */
            if (!same_value(text, f->value, set[i].value))
                edits[nedits++] = (struct edit){f->value.start, f->value.end,
                                                set[i].value};
            continue;
        }
        vmb_buf_printf(&added, "%s = %s\n", set[i].key, set[i].value);
    }
    qsort(edits, nedits, sizeof(*edits), cmp_edit);
    size_t pos = 0;
    for (size_t i = 0; i < nedits; i++) {
        vmb_buf_append(out, text + pos, edits[i].start - pos);
        vmb_buf_puts(out, edits[i].text);
        pos = edits[i].end;
    }
    if (t.target_seen) {
        size_t ins = t.target_insert;
        vmb_buf_append(out, text + pos, ins - pos);
        /* A last line without its newline gets one before ours. */
        if (added.len > 0 && ins > 0 && text[ins - 1] != '\n')
            vmb_buf_puts(out, "\n");
        if (added.len > 0)
            vmb_buf_append(out, added.data, added.len);
        vmb_buf_append(out, text + ins, len - ins);
    } else {
        vmb_buf_append(out, text + pos, len - pos);
        if (len > 0 && text[len - 1] != '\n')
            vmb_buf_puts(out, "\n");
        vmb_buf_puts(out, "\n[" VMB_KATA_TABLE "]\n");
        if (added.len > 0)
            vmb_buf_append(out, added.data, added.len);
    }
    vmb_buf_free(&added);
    free(edits);
    toml_scan_free(&t);
    return 0;
}

