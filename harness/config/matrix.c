#include "config/matrix.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/util.h"
#include "config/kata.h"
#include "config/matrix_priv.h"

/* Parsing state: the document, the file name for messages, the result. */
struct loader {
    const char *file;
    const char *kata; /* --kata: a configuration.toml overriding kata: */
    yaml_document_t doc;
    struct vmb_matrix *m;
    struct vmb_error **err;
    /* The first capacity phase, for checks that need the whole file. */
    yaml_node_t *capacity_phase;
    char *capacity_path;
    /* The options the file gives, for the shorthands' implications. */
    struct vmb_given *given;
    size_t ngiven;
};

static struct vmb_mpos
pos_of(yaml_mark_t mark)
{
    return (struct vmb_mpos){mark.line + 1, mark.column + 1};
}

static void
add_given(struct loader *L, const struct vmb_section *sec,
          const struct vmb_option *opt, const char *key, yaml_node_t *k)
{
    L->given = vmb_xrealloc(L->given, (L->ngiven + 1) * sizeof(*L->given));
    L->given[L->ngiven++] = (struct vmb_given){
        .sec = sec,
        .opt = opt,
        .key = vmb_xstrdup(key),
        .pos = pos_of(k->start_mark),
    };
}

static int fail_at(struct loader *L, yaml_mark_t mark, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail_at(struct loader *L, yaml_mark_t mark, const char *path, const char *fmt,
        ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    return vmb_matrix_fail(L->err, L->file, pos_of(mark), path, "%s", msg);
}

static yaml_node_t *
node(struct loader *L, int id)
{
    return yaml_document_get_node(&L->doc, id);
}

static const char *
scalar(yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static const char *
kind_name(yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static size_t
nitems(yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top -
                    seq->data.sequence.items.start);
}

static int
expect(struct loader *L, yaml_node_t *n, yaml_node_type_t type,
       const char *path, const char *what)
{
    if (n->type == type)
        return 0;
    return fail_at(L, n->start_mark, path, "expected %s, got %s", what,
                   kind_name(n));
}

/* ---- reading the YAML ---- */

/* libyaml's message; a reader error has an offset where others a mark. */
static int
yaml_fail(const char *file, const char *data, size_t len,
          const yaml_parser_t *p, struct vmb_error **err)
{
    struct vmb_mpos pos = pos_of(p->problem_mark);
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        size_t off = p->problem_offset < len ? p->problem_offset : len;
        pos = (struct vmb_mpos){1, 1};
        for (size_t i = 0; i < off; i++) {
            if (data[i] == '\n')
                pos = (struct vmb_mpos){pos.line + 1, 1};
            else
                pos.col++;
        }
        if (p->problem_value != -1)
            return vmb_matrix_fail(err, file, pos, NULL, "%s (byte 0x%02x)",
                                   problem, (unsigned)p->problem_value & 0xff);
    }
    return vmb_matrix_fail(err, file, pos, NULL, "%s%s%s", problem,
                           p->context ? " " : "", p->context ? p->context : "");
}

struct prescan {
    const char *file;
    struct vmb_error **err;
    struct vmb_strmap anchors; /* name -> index into sizes */
    size_t *sizes;             /* nodes an alias of it stands for */
    size_t nanchors;           /* defined, counting redefinitions */
    size_t total;              /* nodes so far, aliases expanded */
    size_t depth;
    struct {
        size_t start; /* total when the collection opened */
        char *anchor;
    } open[VMB_MATRIX_MAX_DEPTH];
};

static int
count_anchor(struct prescan *s, const unsigned char *anchor,
             struct vmb_mpos pos)
{
    if (anchor != NULL && ++s->nanchors > VMB_MATRIX_MAX_ANCHORS)
        return vmb_matrix_fail(s->err, s->file, pos, NULL,
                               "more than %d anchors (&name), the limit",
                               VMB_MATRIX_MAX_ANCHORS);
    return 0;
}

static void
set_anchor(struct prescan *s, const char *anchor, size_t size)
{
    size_t i = vmb_strmap_get(&s->anchors, anchor);
    if (i == SIZE_MAX) {
        i = s->anchors.n;
        vmb_strmap_add(&s->anchors, anchor, i);
        s->sizes = vmb_xrealloc(s->sizes, (i + 1) * sizeof(*s->sizes));
    }
    s->sizes[i] = size;
}

static int
prescan_event(struct prescan *s, const yaml_event_t *ev, size_t *docs)
{
    struct vmb_mpos pos = pos_of(ev->start_mark);
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return vmb_matrix_fail(s->err, s->file, pos, NULL,
                                   "more than one YAML document; a matrix "
                                   "file holds one");
        return 0;
    case YAML_SCALAR_EVENT:
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return vmb_matrix_fail(s->err, s->file, pos, NULL,
                                   "a NUL character (\\0) in a string; "
                                   "strings cannot hold one");
        if (count_anchor(s, ev->data.scalar.anchor, pos) < 0)
            return -1;
        if (ev->data.scalar.anchor != NULL)
            set_anchor(s, (const char *)ev->data.scalar.anchor, 1);
        s->total++;
        return 0;
    case YAML_ALIAS_EVENT: {
        /* An alias to a collection still open counts as one node. */
        size_t i =
            vmb_strmap_get(&s->anchors, (const char *)ev->data.alias.anchor);
        s->total += i == SIZE_MAX ? 1 : s->sizes[i];
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        const unsigned char *anchor = ev->type == YAML_SEQUENCE_START_EVENT
                                          ? ev->data.sequence_start.anchor
                                          : ev->data.mapping_start.anchor;
        if (s->depth == VMB_MATRIX_MAX_DEPTH)
            return vmb_matrix_fail(s->err, s->file, pos, NULL,
                                   "lists and mappings nested deeper than "
                                   "%d levels, the limit",
                                   VMB_MATRIX_MAX_DEPTH);
        if (count_anchor(s, anchor, pos) < 0)
            return -1;
        s->open[s->depth].start = s->total++;
        s->open[s->depth].anchor =
            anchor ? vmb_xstrdup((const char *)anchor) : NULL;
        s->depth++;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (s->depth > 0) {
            s->depth--;
            if (s->open[s->depth].anchor != NULL)
                set_anchor(s, s->open[s->depth].anchor,
                           s->total - s->open[s->depth].start);
            free(s->open[s->depth].anchor);
        }
        return 0;
    default:
        return 0;
    }
}

/*
 * One pass over the YAML events before the document is built: limits
 * its nesting (libyaml's loader recurses and slows down with depth), the
 * nodes it stands for once aliases are expanded, its anchors (libyaml
 * looks each one up by a linear scan), and refuses a second document or
 * a NUL in a string, each at its place, however the rest of the file
 * looks.
 */
static int
prescan(const char *file, const char *data, size_t len, struct vmb_error **err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return vmb_error_set(err, VMB_ERR_RUN, 0, "initialise YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    struct prescan s = {.file = file, .err = err};
    size_t docs = 0;
    int rc = 0;
    for (bool end = false; rc == 0 && !end;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_fail(file, data, len, &parser, err);
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        rc = prescan_event(&s, &ev, &docs);
        if (rc == 0 && s.total > VMB_MATRIX_MAX_NODES)
            rc = vmb_matrix_fail(err, file, pos_of(ev.start_mark), NULL,
                                 "more than %d YAML nodes once aliases are "
                                 "expanded, the limit",
                                 VMB_MATRIX_MAX_NODES);
        yaml_event_delete(&ev);
    }
    while (s.depth > 0)
        free(s.open[--s.depth].anchor);
    vmb_strmap_free(&s.anchors);
    free(s.sizes);
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- mappings and options ---- */

/*
 * Walks a mapping's pairs, rejecting non-scalar and duplicate keys. fn is
 * called with each key and value; it returns < 0 to stop. Every key
 * before the one checked was accepted by fn, and fn accepts each option
 * once, so the scan for duplicates stays short.
 */
typedef int (*pair_fn)(struct loader *L, yaml_node_t *key, yaml_node_t *val,
                       const char *path, void *ctx);

static int
each_pair(struct loader *L, yaml_node_t *map, const char *path, pair_fn fn,
          void *ctx)
{
    yaml_node_pair_t *start = map->data.mapping.pairs.start;
    yaml_node_pair_t *top = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        if (k == NULL || v == NULL)
            return fail_at(L, map->start_mark, path, "malformed mapping");
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(L, k->start_mark, path,
                           "expected a key name, got %s", kind_name(k));
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *k2 = node(L, q->key);
            if (k2->type == YAML_SCALAR_NODE &&
                strcmp(scalar(k2), scalar(k)) == 0) {
                autofree char *full =
                    *path ? vmb_xasprintf("%s.%s", path, scalar(k))
                          : vmb_xstrdup(scalar(k));
                return fail_at(L, k->start_mark, full,
                               "duplicate key; first given at line %zu",
                               k2->start_mark.line + 1);
            }
        }
        if (fn(L, k, v, path, ctx) < 0)
            return -1;
    }
    return 0;
}

static int
apply_scalar(struct loader *L, const struct vmb_option *opt, yaml_node_t *v,
             const char *path, void *base)
{
    if (v->type != YAML_SCALAR_NODE)
        return fail_at(L, v->start_mark, path,
                       "expected a single value, got %s", kind_name(v));
    struct vmb_error *e = NULL;
    if (vmb_option_parse(opt, scalar(v), base, &e) < 0) {
        fail_at(L, v->start_mark, path, "%s", e->msg);
        vmb_error_free(e);
        return -1;
    }
    autofree char *why = vmb_matrix_check_value(opt, base);
    if (why != NULL)
        return fail_at(L, v->start_mark, path, "%s", why);
    return 0;
}

/*
 * Remembers which key gave option i of a mapping, so the same option
 * under its other name (vcpus and default_vcpus) is refused like a
 * duplicate key instead of the last one silently winning.
 */
static int
given_once(struct loader *L, yaml_node_t **given, size_t i, yaml_node_t *k,
           const char *full)
{
    if (given[i] != NULL)
        return fail_at(L, k->start_mark, full,
                       "the same option as \"%s\" on line %zu; give it once",
                       scalar(given[i]), given[i]->start_mark.line + 1);
    given[i] = k;
    return 0;
}

static int
unknown_key(struct loader *L, yaml_node_t *k, const char *full,
            const struct vmb_option *opts, size_t n, const char *extra)
{
    const char *s = vmb_option_suggest(opts, n, scalar(k));
    if (s == NULL && extra != NULL &&
        vmb_option_suggest(&(struct vmb_option){.name = extra}, 1, scalar(k)) !=
            NULL)
        s = extra;
    if (s != NULL)
        return fail_at(L, k->start_mark, full,
                       "unknown option; did you mean \"%s\"?", s);
    return fail_at(L, k->start_mark, full, "unknown option");
}

/* ---- phases ---- */

struct phase_ctx {
    struct vmb_phase *ph;
    yaml_node_t **given; /* by index in vmb_phase_options */
};

static size_t
phase_option_index(const char *name)
{
    return (
        size_t)(vmb_option_find(vmb_phase_options, vmb_nphase_options, name) -
                vmb_phase_options);
}

/* capacity: { p99: 1ms }, one percentile and its limit, into the phase's
 * capacity_percentile and capacity_limit. */
static int
capacity_pair(struct loader *L, struct phase_ctx *pc, yaml_node_t *k,
              yaml_node_t *v, const char *full)
{
    if (expect(L, v, YAML_MAPPING_NODE, full,
               "a percentile and its limit like { p99: 1ms }") < 0)
        return -1;
    if (v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
        return fail_at(L, v->start_mark, full,
                       "expected one percentile and its limit like "
                       "{ p99: 1ms }");
    yaml_node_pair_t *pair = v->data.mapping.pairs.start;
    yaml_node_t *pk = node(L, pair->key), *pv = node(L, pair->value);
    autofree char *ppath = vmb_xasprintf("%s.%s", full, scalar(pk));
    if (pk->type != YAML_SCALAR_NODE || pv->type != YAML_SCALAR_NODE)
        return fail_at(L, pk->start_mark, full,
                       "expected one percentile and its limit like "
                       "{ p99: 1ms }");
    if (given_once(L, pc->given, phase_option_index("capacity_percentile"), k,
                   full) < 0 ||
        given_once(L, pc->given, phase_option_index("capacity_limit"), k,
                   full) < 0)
        return -1;
    struct vmb_error *e = NULL;
    if (vmb_load_capacity_set(pc->ph, scalar(pk), scalar(pv), &e) < 0) {
        bool bad_key = strstr(e->msg, "percentile") != NULL;
        /* The path names the capacity already. */
        const char *msg = e->msg;
        if (vmb_str_has_prefix(msg, "capacity: "))
            msg += strlen("capacity: ");
        fail_at(L, bad_key ? pk->start_mark : pv->start_mark, ppath, "%s", msg);
        vmb_error_free(e);
        return -1;
    }
    return 0;
}

static int
phase_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
           void *ctx)
{
    struct phase_ctx *pc = ctx;
    autofree char *full = vmb_xasprintf("%s.%s", path, scalar(k));
    if (strcmp(scalar(k), "capacity") == 0)
        return capacity_pair(L, pc, k, v, full);
    const struct vmb_option *o =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, scalar(k));
    if (o == NULL)
        return unknown_key(L, k, full, vmb_phase_options, vmb_nphase_options,
                           NULL);
    if (given_once(L, pc->given, (size_t)(o - vmb_phase_options), k, full) < 0)
        return -1;
    return apply_scalar(L, o, v, full, pc->ph);
}

static bool
phase_key_given(yaml_node_t **given, const char *name)
{
    const struct vmb_option *o =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, name);
    return given[o - vmb_phase_options] != NULL;
}

/* What the load generator would refuse when the phase starts. */
static int
check_phase(struct loader *L, yaml_node_t *item, const char *ipath,
            struct vmb_phase *ph, yaml_node_t **given)
{
    if (phase_key_given(given, "capacity_percentile") !=
        phase_key_given(given, "capacity_limit"))
        return fail_at(L, item->start_mark, ipath,
                       "a capacity phase needs a percentile and its limit, "
                       "like capacity: { p99: 1ms }");
    if (ph->capacity_limit_us > 0 || ph->capacity_percentile > 0) {
        if (ph->capacity_limit_us == 0)
            return fail_at(L, item->start_mark, ipath,
                           "capacity: the latency limit must be positive");
        double p = ph->capacity_percentile;
        if (p != 50 && p != 95 && p != 99 && p != 99.9)
            return fail_at(L, item->start_mark, ipath,
                           "capacity: the percentile must be 50, 95, 99 or "
                           "99.9, got %g",
                           p);
        if (phase_key_given(given, "n") || phase_key_given(given, "duration"))
            return fail_at(L, item->start_mark, ipath,
                           "a capacity phase runs steps of `step`; give it "
                           "no n or duration");
        if (L->capacity_phase == NULL) {
            L->capacity_phase = item;
            L->capacity_path = vmb_xstrdup(ipath);
        }
    } else if (phase_key_given(given, "n") &&
               phase_key_given(given, "duration")) {
        return fail_at(L, item->start_mark, ipath,
                       "give n or duration, not both");
    } else if (ph->n == 0 && ph->duration_us == 0) {
        return fail_at(L, item->start_mark, ipath,
                       "a phase needs n (operations) or duration");
    }
    if (ph->fio != NULL && ph->fio[0] != '\0') {
        if (phase_key_given(given, "op") && ph->op != VMB_OP_FIO_JOB)
            return fail_at(L, item->start_mark, ipath,
                           "a phase with a fio job file is op fio-job, not "
                           "%s",
                           vmb_op_name(ph->op));
        /* The file is read relative to the matrix file, and copied into
         * the results under the same name: no way out of either. */
        if (ph->fio[0] == '/' || strcmp(ph->fio, "..") == 0 ||
            vmb_str_has_prefix(ph->fio, "../") || strstr(ph->fio, "/../") ||
            vmb_str_has_suffix(ph->fio, "/..") ||
            !vmb_str_has_suffix(ph->fio, ".fio"))
            return fail_at(L, item->start_mark, ipath,
                           "fio: \"%s\" must be a file ending in .fio "
                           "below the matrix file's directory",
                           ph->fio);
        ph->op = VMB_OP_FIO_JOB;
    } else if (ph->op == VMB_OP_FIO_JOB) {
        return fail_at(L, item->start_mark, ipath,
                       "op fio-job needs a job file: { fio: jobs/mine.fio }");
    }
    double write_fraction;
    if (vmb_load_parse_ratio(ph->ratio, &write_fraction, NULL) < 0) {
        autofree char *shown = vmb_option_shown(ph->ratio);
        return fail_at(L, item->start_mark, ipath,
                       "ratio: expected weights like \"write:1,read:3\", "
                       "got \"%s\"",
                       shown);
    }
    return 0;
}

static int
load_phases(struct loader *L, yaml_node_t *seq, const char *path,
            struct vmb_config *cfg)
{
    if (expect(L, seq, YAML_SEQUENCE_NODE, path,
               "a list of phases like - { op: write, n: 100000 }") < 0)
        return -1;
    yaml_node_item_t *start = seq->data.sequence.items.start;
    size_t n = nitems(seq);
    if (n == 0)
        return fail_at(L, seq->start_mark, path, "at least one phase needed");
    for (size_t i = 0; i < cfg->nphases; i++)
        vmb_options_free(vmb_phase_options, vmb_nphase_options,
                         &cfg->phases[i]);
    free(cfg->phases);
    cfg->phases = vmb_xcalloc(n, sizeof(*cfg->phases));
    cfg->nphases = n;
    for (size_t i = 0; i < n; i++)
        vmb_options_defaults(vmb_phase_options, vmb_nphase_options,
                             &cfg->phases[i]);
    autofree yaml_node_t **given =
        vmb_xcalloc(vmb_nphase_options, sizeof(*given));
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node(L, start[i]);
        autofree char *ipath = vmb_xasprintf("%s[%zu]", path, i);
        if (expect(L, item, YAML_MAPPING_NODE, ipath,
                   "a phase like { op: write, n: 100000 }") < 0)
            return -1;
        memset(given, 0, vmb_nphase_options * sizeof(*given));
        struct phase_ctx pc = {&cfg->phases[i], given};
        if (each_pair(L, item, ipath, phase_pair, &pc) < 0 ||
            check_phase(L, item, ipath, &cfg->phases[i], given) < 0)
            return -1;
    }
    return 0;
}

/* ---- sections ---- */

struct section_ctx {
    const struct vmb_section *sec;
    struct vmb_config *cfg;
    yaml_node_t **given; /* by index in the section's table */
};

static int
section_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
             void *ctx)
{
    struct section_ctx *sc = ctx;
    autofree char *full = vmb_xasprintf("%s.%s", path, scalar(k));
    if (strcmp(sc->sec->name, "load") == 0 && strcmp(scalar(k), "phases") == 0)
        return load_phases(L, v, full, sc->cfg);
    const struct vmb_option *o =
        vmb_option_find(sc->sec->options, sc->sec->noptions, scalar(k));
    if (o == NULL)
        return unknown_key(L, k, full, sc->sec->options, sc->sec->noptions,
                           strcmp(sc->sec->name, "load") == 0 ? "phases"
                                                              : NULL);
    if (given_once(L, sc->given, (size_t)(o - sc->sec->options), k, full) < 0)
        return -1;
    add_given(L, sc->sec, o, full, k);
    return apply_scalar(L, o, v, full, (char *)sc->cfg + sc->sec->offset);
}

/* ---- matrix and exclude ---- */

struct axes_ctx {
    struct vmb_axis *axes;
    size_t naxes;
    size_t combos; /* product of the axes so far */
    struct vmb_config *scratch;
};

static char *
axis_label(const struct vmb_section *sec, const struct vmb_option *opt)
{
    if (strcmp(sec->name, "guest") == 0 || sec->name[0] == '\0')
        return vmb_xstrdup(opt->name);
    return vmb_xasprintf("%s.%s", sec->name, opt->name);
}

static int
axis_values(struct loader *L, struct vmb_axis *ax, yaml_node_t *v,
            const char *full, void *base)
{
    yaml_node_item_t *start = v->data.sequence.items.start;
    size_t n = nitems(v);
    ax->values = vmb_xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node(L, start[i]);
        if (apply_scalar(L, ax->opt, item, full, base) < 0)
            return -1;
        char *canon = vmb_option_format(ax->opt, base);
        if (vmb_strmap_add(&ax->index, canon, ax->nvalues) != SIZE_MAX) {
            free(canon);
            return fail_at(L, item->start_mark, full,
                           "value \"%s\" appears twice in the axis",
                           scalar(item));
        }
        ax->values[ax->nvalues++] = canon;
    }
    return 0;
}

static int
axis_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
          void *ctx)
{
    (void)path;
    struct axes_ctx *ac = ctx;
    autofree char *full = vmb_xasprintf("matrix.%s", scalar(k));
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    if (vmb_option_resolve(scalar(k), &sec, &opt) < 0) {
        if (strstr(scalar(k), "phases") != NULL)
            return fail_at(L, k->start_mark, full,
                           "phases cannot be an axis; only scalar options");
        return fail_at(L, k->start_mark, full,
                       "not an option that can be an axis; use a dotted "
                       "path like load.connections (see `vmbench options`)");
    }
    for (size_t i = 0; i < ac->naxes; i++)
        if (ac->axes[i].opt == opt)
            return fail_at(L, k->start_mark, full,
                           "the same option as axis \"%s\"", ac->axes[i].label);
    if (ac->naxes == VMB_MATRIX_MAX_AXES)
        return fail_at(L, k->start_mark, full, "more than %d axes, the limit",
                       VMB_MATRIX_MAX_AXES);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail_at(L, v->start_mark, full,
                       "expected a list of values like [1, 2], got %s",
                       kind_name(v));
    size_t n = nitems(v);
    if (n == 0)
        return fail_at(L, v->start_mark, full,
                       "empty axis; give at least one value");
    /* Refused by count before any value is parsed. */
    if (n > VMB_MATRIX_MAX_CELLS / ac->combos)
        return fail_at(L, v->start_mark, full,
                       "%zu values make %" PRIu64 " combinations of the "
                       "axes, more than the limit of %d cells",
                       n, (uint64_t)n * ac->combos, VMB_MATRIX_MAX_CELLS);
    ac->combos *= n;
    ac->axes = vmb_xrealloc(ac->axes, (ac->naxes + 1) * sizeof(*ac->axes));
    struct vmb_axis *ax = &ac->axes[ac->naxes++];
    *ax = (struct vmb_axis){.sec = sec, .opt = opt};
    ax->path = vmb_xasprintf("%s.%s", sec->name, opt->name);
    ax->label = axis_label(sec, opt);
    add_given(L, sec, opt, full, k);
    return axis_values(L, ax, v, full, (char *)ac->scratch + sec->offset);
}

struct exclude_ctx {
    struct axes_ctx *ac;
    struct vmb_exclude *rule;
    yaml_node_t *given[VMB_MATRIX_MAX_AXES]; /* by axis */
};

static int
exclude_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
             void *ctx)
{
    struct exclude_ctx *ec = ctx;
    autofree char *full = vmb_xasprintf("%s.%s", path, scalar(k));
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    if (vmb_option_resolve(scalar(k), &sec, &opt) < 0)
        return fail_at(L, k->start_mark, full, "not a known option");
    size_t ai = SIZE_MAX;
    for (size_t i = 0; i < ec->ac->naxes; i++)
        if (ec->ac->axes[i].opt == opt)
            ai = i;
    if (ai == SIZE_MAX)
        return fail_at(L, k->start_mark, full,
                       "not an axis of the matrix; exclude names axes only");
    if (given_once(L, ec->given, ai, k, full) < 0)
        return -1;
    void *base = (char *)ec->ac->scratch + sec->offset;
    if (apply_scalar(L, opt, v, full, base) < 0)
        return -1;
    autofree char *canon = vmb_option_format(opt, base);
    struct vmb_exclude *r = ec->rule;
    r->axis = vmb_xrealloc(r->axis, (r->naxes + 1) * sizeof(size_t));
    r->value = vmb_xrealloc(r->value, (r->naxes + 1) * sizeof(size_t));
    r->axis[r->naxes] = ai;
    r->value[r->naxes] = vmb_strmap_get(&ec->ac->axes[ai].index, canon);
    r->naxes++;
    return 0;
}

static int
load_excludes(struct loader *L, yaml_node_t *seq, struct axes_ctx *ac,
              struct vmb_exclude **out, size_t *nout)
{
    yaml_node_item_t *start = seq->data.sequence.items.start;
    size_t n = nitems(seq);
    if (n > VMB_MATRIX_MAX_EXCLUDES)
        return fail_at(L, seq->start_mark, "exclude",
                       "%zu entries, more than the limit of %d", n,
                       VMB_MATRIX_MAX_EXCLUDES);
    struct vmb_exclude *rules = vmb_xcalloc(n ? n : 1, sizeof(*rules));
    *out = rules;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node(L, start[i]);
        autofree char *ipath = vmb_xasprintf("exclude[%zu]", i);
        if (expect(L, item, YAML_MAPPING_NODE, ipath,
                   "a mapping like { storage: 9p, iothreads: true }") < 0)
            return -1;
        struct vmb_exclude *r = &rules[(*nout)++];
        r->pos = pos_of(item->start_mark);
        struct exclude_ctx ec = {.ac = ac, .rule = r};
        if (each_pair(L, item, ipath, exclude_pair, &ec) < 0)
            return -1;
        if (r->naxes == 0)
            return fail_at(L, item->start_mark, ipath,
                           "empty exclude entry would remove every cell");
    }
    return 0;
}

/* ---- top level ---- */

struct top_ctx {
    struct vmb_config *cfg;
    yaml_node_t *matrix, *exclude;
    bool name_given;
};

static const struct vmb_option top_keys[] = {
    {.name = "name"},    {.name = "repetitions"}, {.name = "order"},
    {.name = "seed"},    {.name = "hypervisor"},  {.name = "guest"},
    {.name = "network"}, {.name = "database"},    {.name = "load"},
    {.name = "control"}, {.name = "matrix"},      {.name = "exclude"},
    {.name = "kata"},
};

static int
top_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
         void *ctx)
{
    (void)path;
    struct top_ctx *tc = ctx;
    const char *key = scalar(k);
    if (strcmp(key, "kata") == 0)
        return 0; /* applied first, as the base of everything else */
    if (strcmp(key, "matrix") == 0) {
        if (expect(L, v, YAML_MAPPING_NODE, "matrix",
                   "a mapping of option: [values]") < 0)
            return -1;
        tc->matrix = v;
        return 0;
    }
    if (strcmp(key, "exclude") == 0) {
        if (expect(L, v, YAML_SEQUENCE_NODE, "exclude",
                   "a list of { axis: value, ... }") < 0)
            return -1;
        tc->exclude = v;
        return 0;
    }
    const struct vmb_section *sec = vmb_section_find(key);
    if (sec != NULL && sec->name[0] != '\0') {
        if (expect(L, v, YAML_MAPPING_NODE, key, "a mapping of options") < 0)
            return -1;
        autofree yaml_node_t **given =
            vmb_xcalloc(sec->noptions, sizeof(*given));
        struct section_ctx sc = {sec, tc->cfg, given};
        return each_pair(L, v, key, section_pair, &sc);
    }
    const struct vmb_section *top = &vmb_sections[0];
    const struct vmb_option *o =
        vmb_option_find(top->options, top->noptions, key);
    if (o == NULL) {
        const char *s = vmb_option_suggest(
            top_keys, sizeof(top_keys) / sizeof(top_keys[0]), key);
        if (s != NULL)
            return fail_at(L, k->start_mark, key,
                           "unknown key; did you mean \"%s\"?", s);
        return fail_at(L, k->start_mark, key, "unknown key");
    }
    if (strcmp(key, "name") == 0)
        tc->name_given = true;
    return apply_scalar(L, o, v, key, &tc->cfg->top);
}

/*
 * The Kata configuration.toml named by --kata (relative to the working
 * directory) or by the file's kata: key (relative to the matrix file),
 * applied to base before any section or axis.
 */
static int
load_kata(struct loader *L, yaml_node_t *root, struct vmb_config *base)
{
    autofree char *path = NULL;
    if (L->kata != NULL) {
        path = vmb_xstrdup(L->kata);
    } else {
        yaml_node_pair_t *p = root->data.mapping.pairs.start;
        for (; p < root->data.mapping.pairs.top; p++) {
            yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
            if (k->type != YAML_SCALAR_NODE || strcmp(scalar(k), "kata") != 0)
                continue;
            if (expect(L, v, YAML_SCALAR_NODE, "kata",
                       "the path of a Kata configuration.toml") < 0)
                return -1;
            const char *rel = scalar(v);
            if (rel[0] == '\0')
                return fail_at(L, v->start_mark, "kata",
                               "empty path; name a configuration.toml");
            const char *slash = strrchr(L->file, '/');
            path = rel[0] == '/' || slash == NULL
                       ? vmb_xstrdup(rel)
                       : vmb_xasprintf("%.*s/%s", (int)(slash - L->file),
                                       L->file, rel);
            break; /* a second kata: is refused with the other keys */
        }
    }
    if (path == NULL)
        return 0;
    char *skipped = NULL;
    if (vmb_kata_import(path, base, &skipped, L->err) < 0) {
        /* A file that cannot be read is the matrix's (or --kata's) bad
         * input too, not a failure of the host. */
        if (L->err != NULL && *L->err != NULL &&
            (*L->err)->kind != VMB_ERR_INPUT) {
            (*L->err)->kind = VMB_ERR_INPUT;
            if (L->kata == NULL)
                vmb_error_prefix(L->err, "%s: kata", L->file);
            else
                vmb_error_prefix(L->err, "--kata");
        }
        return -1;
    }
    L->m->kata_path = steal(&path);
    L->m->kata_unmodelled = skipped;
    return 0;
}

static int
load_document(struct loader *L, struct vmb_config *base, const char *name)
{
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (root == NULL)
        return vmb_error_set(L->err, VMB_ERR_INPUT, 0,
                             "%s: the file is empty; see configs/ for "
                             "examples",
                             L->file);
    if (expect(L, root, YAML_MAPPING_NODE, "",
               "a mapping of sections (name, guest, load, matrix, ...)") < 0)
        return -1;
    if (load_kata(L, root, base) < 0)
        return -1;
    struct top_ctx tc = {base, NULL, NULL, false};
    if (each_pair(L, root, "", top_pair, &tc) < 0)
        return -1;
    /* Sections come in any order: load.rate may follow the phases. */
    if (L->capacity_phase != NULL && base->load.rate_per_s > 0)
        return fail_at(L, L->capacity_phase->start_mark, L->capacity_path,
                       "a capacity phase sets its own rate; leave load.rate "
                       "at 0 (closed loop)");
    if (!tc.name_given) {
        free(base->top.name);
        base->top.name = vmb_matrix_default_name(name);
    }

    struct vmb_config scratch;
    vmb_config_copy(&scratch, base);
    struct axes_ctx ac = {NULL, 0, 1, &scratch};
    struct vmb_exclude *rules = NULL;
    size_t nrules = 0;
    int rc = 0;
    if (tc.matrix != NULL)
        rc = each_pair(L, tc.matrix, "matrix", axis_pair, &ac);
    if (rc == 0 && tc.exclude != NULL)
        rc = load_excludes(L, tc.exclude, &ac, &rules, &nrules);
    if (rc == 0) {
        L->m->naxes = ac.naxes;
        L->m->axis_paths = vmb_xcalloc(ac.naxes ? ac.naxes : 1, sizeof(char *));
        for (size_t i = 0; i < ac.naxes; i++)
            L->m->axis_paths[i] = vmb_xstrdup(ac.axes[i].path);
        struct vmb_expand x = {
            .file = L->file,
            .err = L->err,
            .m = L->m,
            .base = base,
            .axes = ac.axes,
            .naxes = ac.naxes,
            .rules = rules,
            .nrules = nrules,
            .pos = pos_of(tc.matrix ? tc.matrix->start_mark : root->start_mark),
            .given = L->given,
            .ngiven = L->ngiven,
        };
        rc = vmb_matrix_expand(&x);
        /* Cells point at the axes' values: the matrix keeps them. */
        L->m->axes = ac.axes;
        ac.axes = NULL;
    }
    vmb_excludes_free(rules, nrules);
    if (ac.axes != NULL)
        vmb_axes_free(ac.axes, ac.naxes);
    vmb_config_free(&scratch);
    return rc;
}

int
vmb_matrix_load_buffer(const char *name, const char *data, size_t len,
                       struct vmb_matrix **out, struct vmb_error **err)
{
    return vmb_matrix_load_buffer_kata(name, data, len, NULL, out, err);
}

int
vmb_matrix_load_buffer_kata(const char *name, const char *data, size_t len,
                            const char *kata, struct vmb_matrix **out,
                            struct vmb_error **err)
{
    if (len > VMB_MATRIX_MAX_BYTES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s: %zu bytes, larger than %d MiB, the limit "
                             "of a matrix file",
                             name, len, VMB_MATRIX_MAX_BYTES / (1024 * 1024));
    if (prescan(name, data, len, err) < 0)
        return -1;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return vmb_error_set(err, VMB_ERR_RUN, 0, "initialise YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    struct vmb_matrix *m = vmb_xcalloc(1, sizeof(*m));
    m->path = vmb_xstrdup(name);
    struct loader L = {.file = name, .kata = kata, .m = m, .err = err};
    if (!yaml_parser_load(&parser, &L.doc)) {
        yaml_fail(name, data, len, &parser, err);
        yaml_parser_delete(&parser);
        vmb_matrix_free(m);
        return -1;
    }
    yaml_parser_delete(&parser);

    vmb_config_defaults(&m->base);
    int rc = load_document(&L, &m->base, name);
    yaml_document_delete(&L.doc);
    free(L.capacity_path);
    vmb_given_free(L.given, L.ngiven);
    if (rc < 0) {
        vmb_matrix_free(m);
        return -1;
    }
    m->name = vmb_xstrdup(m->base.top.name);
    *out = m;
    return 0;
}

int
vmb_matrix_load(const char *path, struct vmb_matrix **out,
                struct vmb_error **err)
{
    return vmb_matrix_load_kata(path, NULL, out, err);
}

int
vmb_matrix_load_kata(const char *path, const char *kata,
                     struct vmb_matrix **out, struct vmb_error **err)
{
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_MATRIX_MAX_BYTES, &data, &len, err) < 0) {
        if (err != NULL && *err != NULL)
            (*err)->kind = VMB_ERR_INPUT;
        return vmb_error_prefix(err, "read matrix file");
    }
    return vmb_matrix_load_buffer_kata(path, data, len, kata, out, err);
}
