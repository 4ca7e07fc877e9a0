#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "results/results_priv.h"

enum vmb_res_kind
vmb_res_kind_of(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return VMB_RES_NONE;
    if (S_ISREG(st.st_mode))
        return VMB_RES_FILE;
    if (S_ISDIR(st.st_mode))
        return VMB_RES_DIR;
    return VMB_RES_OTHER;
}

int
vmb_res_read_file(const char *path, size_t max, char **text, size_t *len,
                  struct vmb_error **err)
{
    /*
     * O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from blocking
     * the open, and fstat of what was opened tells the rest apart.
     */
    autoclose int fd =
        open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 && errno != ELOOP)
        return vmb_error_sys(err, "open \"%s\"", path);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s: not a regular file",
                             path);
    if ((size_t)st.st_size > max)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: larger than %zu MiB, the limit", path,
                             max >> 20);
    struct vmb_buf b = {0};
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vmb_buf_free(&b);
            return vmb_error_sys(err, "read \"%s\"", path);
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > max) {
            vmb_buf_free(&b);
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s: larger than %zu MiB, the limit", path,
                                 max >> 20);
        }
        vmb_buf_append(&b, chunk, (size_t)n);
    }
    if (len != NULL)
        *len = b.len;
    *text = vmb_buf_steal(&b);
    return 0;
}

int
vmb_res_parse_json(const char *text, size_t len, struct json_object **out,
                   const char **why, size_t *at)
{
    *out = NULL;
    *why = NULL;
    struct json_tokener *tok = json_tokener_new();
    if (tok == NULL) {
        /* As vmb_xmalloc: out of memory is not a property of the input. */
        fputs("vmbench: out of memory\n", stderr);
        abort();
    }
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    *at = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (o == NULL || jerr != json_tokener_success)
        *why = jerr == json_tokener_success || jerr == json_tokener_continue
                   ? "unexpected end of input"
                   : json_tokener_error_desc(jerr);
    for (size_t i = *at; *why == NULL && i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
            text[i] != '\n')
            *why = "text after the end of the object";
    if (*why != NULL) {
        if (o != NULL)
            json_object_put(o);
        return -1;
    }
    *out = o;
    return 0;
}

int
vmb_res_load_json(const char *path, size_t max, struct json_object **out,
                  struct vmb_error **err)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_res_read_file(path, max, &text, &len, err) < 0)
        return -1;
    struct json_object *o = NULL;
    const char *why = NULL;
    size_t at = 0;
    if (vmb_res_parse_json(text, len, &o, &why, &at) < 0) {
        int line = 1;
        for (size_t i = 0; i < at && i < len; i++)
            line += text[i] == '\n';
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%d: malformed JSON: %s",
                             path, line, why);
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: expected a JSON object", path);
    }
    struct json_object *schema = vmb_res_member(o, "schema");
    if (schema != NULL && (!json_object_is_type(schema, json_type_int) ||
                           json_object_get_int64(schema) != 1)) {
        autofree char *v = vmb_term_safe(json_object_to_json_string(schema));
        json_object_put(o);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: unsupported schema %.40s (this vmbench "
                             "reads schema 1)",
                             path, v);
    }
    *out = o;
    return 0;
}

void
vmb_res_warn(struct vmb_results *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *s = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    r->warnings =
        vmb_xrealloc(r->warnings, (r->nwarnings + 1) * sizeof(*r->warnings));
    r->warnings[r->nwarnings++] = vmb_term_safe(s);
}

void
vmb_res_bad(struct vmb_res_ctx *c, const char *pfx, const char *key,
            const char *fmt, ...)
{
    if (c->r == NULL && c->err != NULL)
        return; /* the first bad field is the one named */
    va_list ap;
    va_start(ap, fmt);
    autofree char *why = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    autofree char *field = pfx && *pfx && key ? vmb_xasprintf("%s.%s", pfx, key)
                                              : vmb_xstrdup(pfx && *pfx ? pfx
                                                            : key       ? key
                                                                        : "");
    if (c->r != NULL)
        vmb_res_warn(c->r, "%s: %s: %s; left out", c->path, field, why);
    else
        vmb_error_set(&c->err, VMB_ERR_INPUT, 0, "%s: %s: %s", c->path, field,
                      why);
}

struct json_object *
vmb_res_member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (o == NULL || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static const char *
type_name(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    default:
        return "null";
    }
}

static struct json_object *
typed(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
      const char *key, enum json_type t, const char *want)
{
    struct json_object *v = vmb_res_member(o, key);
    if (v == NULL || json_object_is_type(v, json_type_null))
        return NULL;
    if (!json_object_is_type(v, t)) {
        vmb_res_bad(c, pfx, key, "expected %s, got %s", want, type_name(v));
        return NULL;
    }
    return v;
}

struct json_object *
vmb_res_obj(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
            const char *key)
{
    return typed(c, o, pfx, key, json_type_object, "an object");
}

struct json_object *
vmb_res_arr(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
            const char *key)
{
    return typed(c, o, pfx, key, json_type_array, "an array");
}

char *
vmb_res_str(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
            const char *key)
{
    struct json_object *v = typed(c, o, pfx, key, json_type_string, "a string");
    return v ? vmb_xstrdup(json_object_get_string(v)) : NULL;
}

/* The value of a number, or NAN with *ok false when v is not one. */
static double
number(struct json_object *v, bool *ok)
{
    *ok = json_object_is_type(v, json_type_int) ||
          json_object_is_type(v, json_type_double);
    return *ok ? json_object_get_double(v) : NAN;
}

static double
check_num(struct vmb_res_ctx *c, struct json_object *v, const char *pfx,
          const char *key, double min, double max)
{
    if (v == NULL || json_object_is_type(v, json_type_null))
        return NAN;
    bool ok;
    double d = number(v, &ok);
    if (!ok) {
        vmb_res_bad(c, pfx, key, "expected a number, got %s", type_name(v));
        return NAN;
    }
    if (!isfinite(d)) {
        vmb_res_bad(c, pfx, key, "%s is not a finite number",
                    isnan(d) ? "NaN"
                    : d > 0  ? "infinity"
                             : "-infinity");
        return NAN;
    }
    if (d < min || d > max) {
        if (min == 0 && d < 0)
            vmb_res_bad(c, pfx, key, "%g is negative", d);
        else
            vmb_res_bad(c, pfx, key, "%g is out of range [%g, %g]", d, min,
                        max);
        return NAN;
    }
    return d;
}

double
vmb_res_num(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
            const char *key, double min, double max)
{
    return check_num(c, vmb_res_member(o, key), pfx, key, min, max);
}

double
vmb_res_num_of(struct vmb_res_ctx *c, struct json_object *v, const char *pfx,
               double min, double max)
{
    if (v == NULL || json_object_is_type(v, json_type_null)) {
        vmb_res_bad(c, pfx, NULL, "expected a number, got null");
        return NAN;
    }
    return check_num(c, v, pfx, NULL, min, max);
}

bool
vmb_res_int(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
            const char *key, int64_t min, int64_t max, int64_t *out)
{
    struct json_object *v = vmb_res_member(o, key);
    if (v == NULL || json_object_is_type(v, json_type_null))
        return false;
    bool ok;
    double d = number(v, &ok);
    if (!ok) {
        vmb_res_bad(c, pfx, key, "expected an integer, got %s", type_name(v));
        return false;
    }
    int64_t i = 0;
    if (json_object_is_type(v, json_type_int)) {
        i = json_object_get_int64(v); /* clamped to the int64 range */
    } else {
        /* Converting 1e300, or anything from 2^63 on, is undefined. */
        ok = isfinite(d) && d == floor(d) && fabs(d) < 9.2e18;
        if (ok)
            i = (int64_t)d;
    }
    if (!ok || i < min || i > max) {
        vmb_res_bad(c, pfx, key, "%s is not an integer in [%lld, %lld]",
                    json_object_get_string(v), (long long)min, (long long)max);
        return false;
    }
    *out = i;
    return true;
}

bool
vmb_res_seed(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
             const char *key, uint64_t *out)
{
    int64_t i;
    if (!vmb_res_int(c, o, pfx, key, 0, INT64_MAX, &i))
        return false;
    struct json_object *v = vmb_res_member(o, key);
    /* Seeds are written unsigned: the upper half reads back whole. */
    *out = json_object_is_type(v, json_type_int) ? json_object_get_uint64(v)
                                                 : (uint64_t)i;
    return true;
}

bool
vmb_res_valid_id(const char *id)
{
    if (id == NULL || strlen(id) != 12)
        return false;
    return strspn(id, "0123456789abcdef") == 12;
}
