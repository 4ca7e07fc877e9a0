#include "base/option.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

const struct vmb_option *
vmb_option_find(const struct vmb_option *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    for (size_t i = 0; i < n; i++)
        if (opts[i].alias != NULL && strcmp(opts[i].alias, name) == 0)
            return &opts[i];
    return NULL;
}

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *
vmb_option_suggest(const struct vmb_option *opts, size_t n, const char *name)
{
    const char *best = NULL;
    size_t bestd = 99;
    for (size_t i = 0; i < n; i++) {
        const char *cands[2] = {opts[i].name, opts[i].alias};
        for (size_t k = 0; k < 2; k++) {
            if (cands[k] == NULL)
                continue;
            size_t d = edit_distance(name, cands[k]);
            if (d < bestd) {
                bestd = d;
                best = cands[k];
            }
        }
    }
    size_t len = strlen(name);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return bestd <= limit ? best : NULL;
}

static void *
field(void *base, const struct vmb_option *opt)
{
    return (char *)base + opt->offset;
}

static const void *
cfield(const void *base, const struct vmb_option *opt)
{
    return (const char *)base + opt->offset;
}

/* The size of an option's field, by its type. */
static size_t
field_size(const struct vmb_option *opt)
{
    switch (opt->type) {
    case VMB_OPT_BOOL:
        return sizeof(bool);
    case VMB_OPT_ENUM:
        return sizeof(int);
    case VMB_OPT_DOUBLE:
        return sizeof(double);
    case VMB_OPT_STRING:
        return sizeof(char *);
    default:
        return sizeof(uint64_t);
    }
}

static bool
has_range(const struct vmb_option *opt)
{
    return opt->min != 0 || opt->max != 0;
}

char *
vmb_option_shown(const char *text)
{
    char *safe = vmb_term_safe(text);
    if (strlen(safe) <= 120)
        return safe;
    char *cut = vmb_xasprintf("%.100s...", safe);
    free(safe);
    return cut;
}

static int
range_error(const struct vmb_option *opt, const char *raw,
            struct vmb_error **err)
{
    autofree char *text = vmb_option_shown(raw);
    char lo[32], hi[32];
    switch (opt->type) {
    case VMB_OPT_SIZE:
        vmb_format_size_bytes((uint64_t)opt->min, lo, sizeof(lo));
        vmb_format_size_bytes((uint64_t)opt->max, hi, sizeof(hi));
        break;
    case VMB_OPT_DURATION:
        vmb_format_duration_us((uint64_t)opt->min, lo, sizeof(lo));
        vmb_format_duration_us((uint64_t)opt->max, hi, sizeof(hi));
        break;
    default:
        snprintf(lo, sizeof(lo), "%.15g", opt->min);
        snprintf(hi, sizeof(hi), "%.15g", opt->max);
    }
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "value \"%s\" is out of range; expected %s to %s",
                         text, lo, hi);
}

static int
check_range(const struct vmb_option *opt, double v, const char *text,
            struct vmb_error **err)
{
    if (has_range(opt) && (v < opt->min || v > opt->max))
        return range_error(opt, text, err);
    return 0;
}

static const char *
expected_of(const struct vmb_option *opt)
{
    switch (opt->type) {
    case VMB_OPT_BOOL:
        return "a boolean (true/false, on/off, yes/no)";
    case VMB_OPT_INT:
        return "an integer like 200 or 20k";
    case VMB_OPT_SIZE:
        return "a size like 4096, 4k, 512M or 3G";
    case VMB_OPT_MIB:
        return "a memory size in MiB like 2048, or 2G";
    case VMB_OPT_DURATION:
        return "a duration like 500ms, 5s or 2m";
    case VMB_OPT_RATE:
        return "a rate like 20000 or 20k";
    case VMB_OPT_DOUBLE:
        return "a number like 0.99";
    case VMB_OPT_STRING:
        return "a string";
    case VMB_OPT_ENUM:
        return "one of the choices";
    }
    return "a value";
}

static int
type_error(const struct vmb_option *opt, const char *raw,
           struct vmb_error **err)
{
    autofree char *text = vmb_option_shown(raw);
    return vmb_error_set(err, VMB_ERR_INPUT, 0, "expected %s, got \"%s\"",
                         expected_of(opt), text);
}

int
vmb_option_parse(const struct vmb_option *opt, const char *text, void *base,
                 struct vmb_error **err)
{
    void *f = field(base, opt);
    switch (opt->type) {
    case VMB_OPT_BOOL: {
        bool b;
        if (vmb_parse_bool(text, &b) < 0)
            return type_error(opt, text, err);
        *(bool *)f = b;
        return 0;
    }
    case VMB_OPT_INT: {
        double v;
        if (vmb_parse_count(text, &v) < 0 || v != floor(v) || v > 9.2e18)
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        *(int64_t *)f = (int64_t)v;
        return 0;
    }
    case VMB_OPT_RATE: {
        double v;
        if (vmb_parse_count(text, &v) < 0 || v > 1.8e19)
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        /* 0 means closed loop: a rate that rounds to it would silently
         * change the kind of load. */
        if (v > 0 && floor(v + 0.5) == 0) {
            autofree char *t = vmb_option_shown(text);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "rate \"%s\" rounds to 0 per second, which "
                                 "means closed loop; give 0 for closed loop "
                                 "or at least 1",
                                 t);
        }
        *(uint64_t *)f = (uint64_t)floor(v + 0.5);
        return 0;
    }
    case VMB_OPT_SIZE:
    case VMB_OPT_MIB:
    case VMB_OPT_DURATION: {
        uint64_t v;
        int r = opt->type == VMB_OPT_SIZE  ? vmb_parse_size_bytes(text, &v)
                : opt->type == VMB_OPT_MIB ? vmb_parse_mib(text, &v)
                                           : vmb_parse_duration_us(text, &v);
        if (r < 0)
            return type_error(opt, text, err);
        if (check_range(opt, (double)v, text, err) < 0)
            return -1;
        *(uint64_t *)f = v;
        return 0;
    }
    case VMB_OPT_DOUBLE: {
        char *end = NULL;
        double v = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(v))
            return type_error(opt, text, err);
        if (check_range(opt, v, text, err) < 0)
            return -1;
        *(double *)f = v;
        return 0;
    }
    case VMB_OPT_STRING: {
        /* Strings reach config files, XML, TOML and terminals; a control
         * character would start a new line or escape sequence there. */
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            if (*p < 0x20 || *p == 0x7f) {
                autofree char *t = vmb_option_shown(text);
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "expected a string without control "
                                     "characters, got \"%s\"",
                                     t);
            }
        char **s = f;
        free(*s);
        *s = vmb_xstrdup(text);
        return 0;
    }
    case VMB_OPT_ENUM: {
        for (const struct vmb_choice *c = opt->choices; c->name; c++) {
            if (strcmp(c->name, text) == 0) {
                *(int *)f = c->value;
                return 0;
            }
        }
        struct vmb_buf b = {0};
        for (const struct vmb_choice *c = opt->choices; c->name; c++)
            vmb_buf_printf(&b, "%s%s", c == opt->choices ? "" : ", ", c->name);
        autofree char *t = vmb_option_shown(text);
        vmb_error_set(err, VMB_ERR_INPUT, 0, "expected one of %s, got \"%s\"",
                      b.data, t);
        vmb_buf_free(&b);
        return -1;
    }
    }
    return type_error(opt, text, err);
}

char *
vmb_option_format(const struct vmb_option *opt, const void *base)
{
    const void *f = cfield(base, opt);
    char buf[64];
    switch (opt->type) {
    case VMB_OPT_BOOL:
        return vmb_xstrdup(*(const bool *)f ? "on" : "off");
    case VMB_OPT_INT:
        return vmb_xasprintf("%" PRId64, *(const int64_t *)f);
    case VMB_OPT_RATE:
    case VMB_OPT_MIB:
        return vmb_xasprintf("%" PRIu64, *(const uint64_t *)f);
    case VMB_OPT_SIZE:
        vmb_format_size_bytes(*(const uint64_t *)f, buf, sizeof(buf));
        return vmb_xstrdup(buf);
    case VMB_OPT_DURATION:
        vmb_format_duration_us(*(const uint64_t *)f, buf, sizeof(buf));
        return vmb_xstrdup(buf);
    case VMB_OPT_DOUBLE:
        return vmb_xasprintf("%.15g", *(const double *)f);
    case VMB_OPT_STRING: {
        const char *s = *(char *const *)f;
        return vmb_xstrdup(s ? s : "");
    }
    case VMB_OPT_ENUM:
        return vmb_xstrdup(vmb_choice_name(opt->choices, *(const int *)f));
    }
    return vmb_xstrdup("");
}

void
vmb_options_defaults(const struct vmb_option *opts, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        struct vmb_error *err = NULL;
        if (vmb_option_parse(&opts[i], opts[i].def, base, &err) < 0) {
            /* A default that does not parse is a bug in the table. */
            fprintf(stderr, "vmbench: bad default of option \"%s\": %s\n",
                    opts[i].name, err->msg);
            abort();
        }
    }
}

void
vmb_options_free(const struct vmb_option *opts, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].type != VMB_OPT_STRING)
            continue;
        char **s = field(base, &opts[i]);
        free(*s);
        *s = NULL;
    }
}

void
vmb_options_copy(const struct vmb_option *opts, size_t n, void *dst,
                 const void *src)
{
    for (size_t i = 0; i < n; i++) {
        const struct vmb_option *o = &opts[i];
        if (o->type == VMB_OPT_STRING) {
            char **d = field(dst, o);
            const char *s = *(char *const *)cfield(src, o);
            free(*d);
            *d = s ? vmb_xstrdup(s) : NULL;
            continue;
        }
        memcpy(field(dst, o), cfield(src, o), field_size(o));
    }
}

void
vmb_options_to_json(struct vmb_jw *w, const struct vmb_option *opts, size_t n,
                    const void *base)
{
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        autofree char *v = vmb_option_format(&opts[i], base);
        vmb_jw_kstr(w, opts[i].name, v);
    }
    vmb_jw_obj_end(w);
}

bool
vmb_option_at_default(const struct vmb_option *opt, const void *base)
{
    /* The default parsed into a scratch struct of its own, as
     * vmb_options_defaults would: equal canonical text, equal value. */
    void *scratch = vmb_xcalloc(1, opt->offset + field_size(opt));
    struct vmb_error *err = NULL;
    if (vmb_option_parse(opt, opt->def, scratch, &err) < 0) {
        fprintf(stderr, "vmbench: bad default of option \"%s\": %s\n",
                opt->name, err->msg);
        abort();
    }
    autofree char *def = vmb_option_format(opt, scratch);
    autofree char *val = vmb_option_format(opt, base);
    vmb_options_free(opt, 1, scratch);
    free(scratch);
    return strcmp(def, val) == 0;
}

const char *
vmb_choice_name(const struct vmb_choice *choices, int value)
{
    for (const struct vmb_choice *c = choices; c->name; c++)
        if (c->value == value)
            return c->name;
    return "?";
}
