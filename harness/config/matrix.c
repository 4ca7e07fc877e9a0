#include "config/matrix.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/util.h"

/* Parsing state: the document, the file name for messages, the result. */
struct loader {
    const char *file;
    yaml_document_t doc;
    struct vmb_matrix *m;
    struct vmb_error **err;
};

struct axis {
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    char *path;    /* canonical "guest.vcpus" */
    char *label;   /* "vcpus" for guest options, else the path */
    char **values; /* canonical formatted values */
    size_t nvalues;
};

struct exclude_rule {
    size_t naxes;
    size_t *axis; /* indexes into the axes */
    char **value; /* canonical values to match */
    yaml_mark_t mark;
    size_t matched;
};

static int
fail_at(struct loader *L, yaml_mark_t mark, const char *path, const char *fmt,
        ...) __attribute__((format(printf, 4, 5)));

static int
fail_at(struct loader *L, yaml_mark_t mark, const char *path, const char *fmt,
        ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    if (path != NULL && *path != '\0')
        return vmb_error_set(L->err, VMB_ERR_INPUT, 0, "%s:%zu:%zu: %s: %s",
                             L->file, mark.line + 1, mark.column + 1, path,
                             msg);
    return vmb_error_set(L->err, VMB_ERR_INPUT, 0, "%s:%zu:%zu: %s", L->file,
                         mark.line + 1, mark.column + 1, msg);
}

static void
warn_at(struct loader *L, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn_at(struct loader *L, yaml_mark_t mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    struct vmb_matrix *m = L->m;
    m->warnings = vmb_xrealloc(m->warnings,
                               (m->nwarnings + 1) * sizeof(*m->warnings));
    m->warnings[m->nwarnings++] =
        vmb_xasprintf("%s:%zu:%zu: warning: %s", L->file, mark.line + 1,
                      mark.column + 1, msg);
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
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
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

/*
 * Walks a mapping's pairs, rejecting non-scalar and duplicate keys. fn is
 * called with each key and value; it returns < 0 to stop.
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
        return fail_at(L, v->start_mark, path, "expected a single value, got %s",
                       kind_name(v));
    struct vmb_error *e = NULL;
    if (vmb_option_parse(opt, scalar(v), base, &e) < 0) {
        fail_at(L, v->start_mark, path, "%s", e->msg);
        vmb_error_free(e);
        return -1;
    }
    return 0;
}

static int
unknown_key(struct loader *L, yaml_node_t *k, const char *full,
            const struct vmb_option *opts, size_t n, const char *extra)
{
    const char *s = vmb_option_suggest(opts, n, scalar(k));
    if (s == NULL && extra != NULL &&
        vmb_option_suggest(&(struct vmb_option){.name = extra}, 1,
                           scalar(k)) != NULL)
        s = extra;
    if (s != NULL)
        return fail_at(L, k->start_mark, full,
                       "unknown option; did you mean \"%s\"?", s);
    return fail_at(L, k->start_mark, full, "unknown option");
}

/* ---- phases ---- */

static int
check_ratio(const char *ratio)
{
    autofree char *copy = vmb_xstrdup(ratio);
    char *save = NULL;
    int seen = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (colon == NULL)
            return -1;
        *colon = '\0';
        if (strcmp(tok, "write") != 0 && strcmp(tok, "read") != 0)
            return -1;
        char *end = NULL;
        long w = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end != '\0' || w < 0 || w > 1000000)
            return -1;
        seen++;
    }
    return seen > 0 ? 0 : -1;
}

struct phase_ctx {
    struct vmb_phase *ph;
};

static int
phase_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
           void *ctx)
{
    struct phase_ctx *pc = ctx;
    autofree char *full = vmb_xasprintf("%s.%s", path, scalar(k));
    const struct vmb_option *o =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, scalar(k));
    if (o == NULL)
        return unknown_key(L, k, full, vmb_phase_options, vmb_nphase_options,
                           NULL);
    return apply_scalar(L, o, v, full, pc->ph);
}

static int
load_phases(struct loader *L, yaml_node_t *seq, const char *path,
            struct vmb_config *cfg)
{
    if (expect(L, seq, YAML_SEQUENCE_NODE, path,
               "a list of phases like - { op: write, n: 100000 }") < 0)
        return -1;
    yaml_node_item_t *start = seq->data.sequence.items.start;
    size_t n = (size_t)(seq->data.sequence.items.top - start);
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
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node(L, start[i]);
        autofree char *ipath = vmb_xasprintf("%s[%zu]", path, i);
        if (expect(L, item, YAML_MAPPING_NODE, ipath,
                   "a phase like { op: write, n: 100000 }") < 0)
            return -1;
        struct phase_ctx pc = {&cfg->phases[i]};
        if (each_pair(L, item, ipath, phase_pair, &pc) < 0)
            return -1;
        struct vmb_phase *ph = &cfg->phases[i];
        if (ph->n == 0 && ph->duration_us == 0)
            return fail_at(L, item->start_mark, ipath,
                           "a phase needs n (operations) or duration");
        if (ph->n != 0 && ph->duration_us != 0)
            return fail_at(L, item->start_mark, ipath,
                           "give n or duration, not both");
        if (check_ratio(ph->ratio) < 0)
            return fail_at(L, item->start_mark, ipath,
                           "ratio: expected weights like \"write:1,read:3\", "
                           "got \"%s\"", ph->ratio);
    }
    return 0;
}

/* ---- sections ---- */

struct section_ctx {
    const struct vmb_section *sec;
    struct vmb_config *cfg;
};

static int
section_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v,
             const char *path, void *ctx)
{
    struct section_ctx *sc = ctx;
    autofree char *full = vmb_xasprintf("%s.%s", path, scalar(k));
    if (strcmp(sc->sec->name, "load") == 0 &&
        strcmp(scalar(k), "phases") == 0)
        return load_phases(L, v, full, sc->cfg);
    const struct vmb_option *o =
        vmb_option_find(sc->sec->options, sc->sec->noptions, scalar(k));
    if (o == NULL)
        return unknown_key(L, k, full, sc->sec->options, sc->sec->noptions,
                           strcmp(sc->sec->name, "load") == 0 ? "phases"
                                                              : NULL);
    return apply_scalar(L, o, v, full, (char *)sc->cfg + sc->sec->offset);
}

/* ---- matrix and exclude ---- */

struct axes_ctx {
    struct axis *axes;
    size_t naxes;
    struct vmb_config *scratch;
};

static char *
axis_label(const struct vmb_section *sec, const struct vmb_option *opt)
{
    if (strcmp(sec->name, "guest") == 0)
        return vmb_xstrdup(opt->name);
    return vmb_xasprintf("%s.%s", sec->name, opt->name);
}

static int
axis_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
          void *ctx)
{
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
    autofree char *canon = vmb_xasprintf("%s.%s", sec->name, opt->name);
    for (size_t i = 0; i < ac->naxes; i++)
        if (ac->axes[i].opt == opt)
            return fail_at(L, k->start_mark, full,
                           "the same option as axis \"%s\"",
                           ac->axes[i].label);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail_at(L, v->start_mark, full,
                       "expected a list of values like [1, 2], got %s",
                       kind_name(v));
    yaml_node_item_t *start = v->data.sequence.items.start;
    size_t n = (size_t)(v->data.sequence.items.top - start);
    if (n == 0)
        return fail_at(L, v->start_mark, full,
                       "empty axis; give at least one value");
    struct axis ax = {sec, opt, steal(&canon), axis_label(sec, opt), NULL, 0};
    ax.values = vmb_xcalloc(n, sizeof(char *));
    int rc = 0;
    void *base = (char *)ac->scratch + sec->offset;
    for (size_t i = 0; i < n && rc == 0; i++) {
        yaml_node_t *item = node(L, start[i]);
        rc = apply_scalar(L, opt, item, full, base);
        if (rc < 0)
            break;
        char *canonv = vmb_option_format(opt, base);
        for (size_t j = 0; j < ax.nvalues; j++) {
            if (strcmp(ax.values[j], canonv) == 0) {
                rc = fail_at(L, item->start_mark, full,
                             "value \"%s\" appears twice in the axis",
                             scalar(item));
                break;
            }
        }
        if (rc < 0) {
            free(canonv);
            break;
        }
        ax.values[ax.nvalues++] = canonv;
    }
    ac->axes = vmb_xrealloc(ac->axes, (ac->naxes + 1) * sizeof(*ac->axes));
    ac->axes[ac->naxes++] = ax;
    return rc;
}

struct exclude_ctx {
    struct axes_ctx *ac;
    struct exclude_rule *rule;
};

static int
exclude_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v,
             const char *path, void *ctx)
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
    void *base = (char *)ec->ac->scratch + sec->offset;
    if (apply_scalar(L, opt, v, full, base) < 0)
        return -1;
    struct exclude_rule *r = ec->rule;
    r->axis = vmb_xrealloc(r->axis, (r->naxes + 1) * sizeof(size_t));
    r->value = vmb_xrealloc(r->value, (r->naxes + 1) * sizeof(char *));
    r->axis[r->naxes] = ai;
    r->value[r->naxes] = vmb_option_format(opt, base);
    r->naxes++;
    return 0;
}

/* ---- top level ---- */

struct top_ctx {
    struct vmb_config *cfg;
    yaml_node_t *matrix, *exclude;
    bool name_given;
};

static const struct vmb_option top_keys[] = {
    {.name = "name"},       {.name = "repetitions"}, {.name = "order"},
    {.name = "seed"},       {.name = "hypervisor"},  {.name = "guest"},
    {.name = "network"},    {.name = "database"},    {.name = "load"},
    {.name = "control"},    {.name = "matrix"},      {.name = "exclude"},
};

static int
top_pair(struct loader *L, yaml_node_t *k, yaml_node_t *v, const char *path,
         void *ctx)
{
    struct top_ctx *tc = ctx;
    const char *key = scalar(k);
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
        struct section_ctx sc = {sec, tc->cfg};
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

static void
free_axes(struct axis *axes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(axes[i].path);
        free(axes[i].label);
        for (size_t j = 0; j < axes[i].nvalues; j++)
            free(axes[i].values[j]);
        free(axes[i].values);
    }
    free(axes);
}

static void
free_rules(struct exclude_rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < r[i].naxes; j++)
            free(r[i].value[j]);
        free(r[i].value);
        free(r[i].axis);
    }
    free(r);
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void
vmb_cell_id(const struct vmb_config *cfg, enum vmb_cell_kind kind,
            char out[13])
{
    struct vmb_config c;
    vmb_config_copy(&c, cfg);
    /* Run-level settings do not change what a cell measures. */
    struct vmb_top_opts zero = {0};
    vmb_options_free(vmb_sections[0].options, vmb_sections[0].noptions,
                     &c.top);
    c.top = zero;
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_config_to_json(&w, &c);
    autofree char *json = vmb_jw_steal(&w);
    vmb_config_free(&c);
    uint64_t h = fnv1a(kind == VMB_CELL_CONTROL ? "control:" : "vm:",
                       1469598103934665603ull);
    h = fnv1a(json, h);
    /* Mix the high bits down so the 48 bits kept depend on all of them. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    snprintf(out, 13, "%012" PRIx64, (uint64_t)(h & 0xffffffffffffull));
}

/* The control of a cell: its config with every VM-only setting at default. */
static void
control_config(const struct vmb_config *cell, struct vmb_config *out)
{
    vmb_config_copy(out, cell);
    struct vmb_config def;
    vmb_config_defaults(&def);
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        if (strcmp(s->name, "hypervisor") != 0 &&
            strcmp(s->name, "guest") != 0 && strcmp(s->name, "network") != 0)
            continue;
        vmb_options_copy(s->options, s->noptions, (char *)out + s->offset,
                         (const char *)&def + s->offset);
    }
    out->guest.vcpus = cell->guest.vcpus;
    out->guest.memory_mib = cell->guest.memory_mib;
    vmb_config_free(&def);
}

static bool
is_vm_only(const struct axis *a)
{
    return strcmp(a->sec->name, "hypervisor") == 0 ||
           strcmp(a->sec->name, "network") == 0 ||
           (strcmp(a->sec->name, "guest") == 0 &&
            strcmp(a->opt->name, "vcpus") != 0 &&
            strcmp(a->opt->name, "memory") != 0);
}

static int
expand(struct loader *L, struct vmb_config *base, struct axis *axes,
       size_t naxes, struct exclude_rule *rules, size_t nrules,
       yaml_mark_t top_mark)
{
    struct vmb_matrix *m = L->m;
    size_t total = 1;
    for (size_t i = 0; i < naxes; i++) {
        total *= axes[i].nvalues;
        if (total > 100000)
            return fail_at(L, top_mark, "matrix",
                           "more than 100000 combinations");
    }
    size_t idx[64] = {0};
    if (naxes > 64)
        return fail_at(L, top_mark, "matrix", "more than 64 axes");
    m->cells = vmb_xcalloc(total, sizeof(*m->cells));
    m->controls = vmb_xcalloc(total, sizeof(*m->controls));
    for (size_t c = 0; c < total; c++) {
        /* Last axis varies fastest, like nested loops in file order. */
        size_t rest = c;
        for (size_t i = naxes; i-- > 0;) {
            idx[i] = rest % axes[i].nvalues;
            rest /= axes[i].nvalues;
        }
        bool excluded = false;
        for (size_t r = 0; r < nrules; r++) {
            bool all = true;
            for (size_t j = 0; j < rules[r].naxes && all; j++) {
                size_t a = rules[r].axis[j];
                all = strcmp(axes[a].values[idx[a]], rules[r].value[j]) == 0;
            }
            if (all) {
                rules[r].matched++;
                excluded = true;
            }
        }
        if (excluded)
            continue;
        struct vmb_cell *cell = &m->cells[m->ncells++];
        cell->kind = VMB_CELL_VM;
        cell->control = SIZE_MAX;
        vmb_config_copy(&cell->cfg, base);
        struct vmb_buf label = {0};
        struct vmb_buf clabel = {0};
        vmb_buf_puts(&clabel, "baremetal");
        cell->axes = vmb_xcalloc(naxes, sizeof(*cell->axes));
        cell->naxes = naxes;
        for (size_t i = 0; i < naxes; i++) {
            const struct axis *a = &axes[i];
            void *sb = (char *)&cell->cfg + a->sec->offset;
            struct vmb_error *e = NULL;
            if (vmb_option_parse(a->opt, a->values[idx[i]], sb, &e) < 0) {
                vmb_error_free(e);
                vmb_buf_free(&label);
                vmb_buf_free(&clabel);
                return fail_at(L, top_mark, a->path, "internal error");
            }
            cell->axes[i].path = a->path;
            cell->axes[i].value = vmb_xstrdup(a->values[idx[i]]);
            vmb_buf_printf(&label, "%s%s=%s", i ? " " : "", a->label,
                           a->values[idx[i]]);
            if (!is_vm_only(a))
                vmb_buf_printf(&clabel, " %s=%s", a->label, a->values[idx[i]]);
        }
        if (naxes == 0)
            vmb_buf_printf(&label, "vcpus=%" PRId64 " memory=%" PRIu64
                           " storage=%s", cell->cfg.guest.vcpus,
                           cell->cfg.guest.memory_mib,
                           vmb_storage_name(cell->cfg.guest.storage));
        cell->label = vmb_buf_steal(&label);
        vmb_cell_id(&cell->cfg, VMB_CELL_VM, cell->id);
        if (!cell->cfg.control.baremetal) {
            vmb_buf_free(&clabel);
            continue;
        }
        struct vmb_config cc;
        control_config(&cell->cfg, &cc);
        char cid[13];
        vmb_cell_id(&cc, VMB_CELL_CONTROL, cid);
        size_t k;
        for (k = 0; k < m->ncontrols; k++)
            if (strcmp(m->controls[k].id, cid) == 0)
                break;
        if (k == m->ncontrols) {
            struct vmb_cell *ctl = &m->controls[m->ncontrols++];
            ctl->kind = VMB_CELL_CONTROL;
            ctl->control = SIZE_MAX;
            memcpy(ctl->id, cid, sizeof(cid));
            ctl->cfg = cc;
            if (strstr(clabel.data, " vcpus=") == NULL)
                vmb_buf_printf(&clabel, " vcpus=%" PRId64, cc.guest.vcpus);
            if (strstr(clabel.data, " memory=") == NULL)
                vmb_buf_printf(&clabel, " memory=%" PRIu64,
                               cc.guest.memory_mib);
            ctl->label = vmb_buf_steal(&clabel);
        } else {
            vmb_config_free(&cc);
        }
        vmb_buf_free(&clabel);
        cell->control = k;
    }
    for (size_t r = 0; r < nrules; r++)
        if (rules[r].matched == 0)
            warn_at(L, rules[r].mark,
                    "exclude entry matches no combination of the axes");
    if (m->ncells == 0)
        return fail_at(L, top_mark, "exclude",
                       "every combination is excluded; the matrix has zero "
                       "cells");
    return 0;
}

static int
check_subnet(struct loader *L, const char *subnet)
{
    unsigned a, b, c, d, p;
    char tail;
    if (sscanf(subnet, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5 ||
        a > 255 || b > 255 || c > 255 || d > 255 || p < 8 || p > 29)
        return vmb_error_set(L->err, VMB_ERR_INPUT, 0,
                             "%s: network.subnet: expected an IPv4 subnet "
                             "like 10.213.0.0/24 (prefix 8 to 29), got \"%s\"",
                             L->file, subnet);
    return 0;
}

static int
load_document(struct loader *L, struct vmb_config *base, const char *name)
{
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (root == NULL)
        return vmb_error_set(L->err, VMB_ERR_INPUT, 0,
                             "%s: the file is empty; see configs/ for "
                             "examples", L->file);
    if (expect(L, root, YAML_MAPPING_NODE, "",
               "a mapping of sections (name, guest, load, matrix, ...)") < 0)
        return -1;
    struct top_ctx tc = {base, NULL, NULL, false};
    if (each_pair(L, root, "", top_pair, &tc) < 0)
        return -1;
    if (!tc.name_given) {
        free(base->top.name);
        base->top.name = vmb_xstrdup(name);
    }
    if (check_subnet(L, base->network.subnet) < 0)
        return -1;

    struct vmb_config scratch;
    vmb_config_copy(&scratch, base);
    struct axes_ctx ac = {NULL, 0, &scratch};
    struct exclude_rule *rules = NULL;
    size_t nrules = 0;
    int rc = 0;
    if (tc.matrix != NULL)
        rc = each_pair(L, tc.matrix, "matrix", axis_pair, &ac);
    if (rc == 0 && tc.exclude != NULL) {
        yaml_node_item_t *start = tc.exclude->data.sequence.items.start;
        size_t n = (size_t)(tc.exclude->data.sequence.items.top - start);
        rules = vmb_xcalloc(n ? n : 1, sizeof(*rules));
        for (size_t i = 0; i < n && rc == 0; i++) {
            yaml_node_t *item = node(L, start[i]);
            autofree char *ipath = vmb_xasprintf("exclude[%zu]", i);
            rc = expect(L, item, YAML_MAPPING_NODE, ipath,
                        "a mapping like { storage: 9p, iothreads: true }");
            if (rc < 0)
                break;
            rules[nrules].mark = item->start_mark;
            struct exclude_ctx ec = {&ac, &rules[nrules++]};
            rc = each_pair(L, item, ipath, exclude_pair, &ec);
            if (rc == 0 && rules[nrules - 1].naxes == 0)
                rc = fail_at(L, item->start_mark, ipath,
                             "empty exclude entry would remove every cell");
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < ac.naxes; i++)
            if (strcmp(ac.axes[i].path, "network.subnet") == 0)
                for (size_t j = 0; j < ac.axes[i].nvalues && rc == 0; j++)
                    rc = check_subnet(L, ac.axes[i].values[j]);
    }
    if (rc == 0) {
        L->m->naxes = ac.naxes;
        L->m->axis_paths = vmb_xcalloc(ac.naxes ? ac.naxes : 1, sizeof(char *));
        for (size_t i = 0; i < ac.naxes; i++)
            L->m->axis_paths[i] = vmb_xstrdup(ac.axes[i].path);
        rc = expand(L, base, ac.axes, ac.naxes, rules, nrules,
                    tc.matrix ? tc.matrix->start_mark : root->start_mark);
        /* Cells point at axis paths; keep them in the matrix. */
        for (size_t c = 0; c < L->m->ncells; c++)
            for (size_t i = 0; i < L->m->cells[c].naxes; i++)
                L->m->cells[c].axes[i].path = L->m->axis_paths[i];
    }
    free_rules(rules, nrules);
    free_axes(ac.axes, ac.naxes);
    vmb_config_free(&scratch);
    return rc;
}

static char *
default_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    char *n = vmb_xstrdup(b);
    char *dot = strrchr(n, '.');
    if (dot != NULL && dot != n)
        *dot = '\0';
    return n;
}

int
vmb_matrix_load_buffer(const char *name, const char *data, size_t len,
                       struct vmb_matrix **out, struct vmb_error **err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return vmb_error_set(err, VMB_ERR_RUN, 0, "initialise YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    struct vmb_matrix *m = vmb_xcalloc(1, sizeof(*m));
    m->path = vmb_xstrdup(name);
    struct loader L = {.file = name, .m = m, .err = err};
    if (!yaml_parser_load(&parser, &L.doc)) {
        vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%zu:%zu: %s%s%s", name,
                      parser.problem_mark.line + 1,
                      parser.problem_mark.column + 1,
                      parser.problem ? parser.problem : "malformed YAML",
                      parser.context ? " " : "",
                      parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        vmb_matrix_free(m);
        return -1;
    }
    /* A second document in the same file is almost surely a mistake. */
    yaml_document_t extra;
    int more = 0;
    if (yaml_parser_load(&parser, &extra)) {
        more = yaml_document_get_root_node(&extra) != NULL;
        yaml_document_delete(&extra);
    }
    yaml_parser_delete(&parser);

    vmb_config_defaults(&m->base);
    autofree char *dname = default_name(name);
    int rc = load_document(&L, &m->base, dname);
    yaml_document_delete(&L.doc);
    if (rc == 0 && more)
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "%s: more than one YAML document; a matrix file "
                           "holds one", name);
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
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_read_file(path, &data, &len, err) < 0) {
        if (err != NULL && *err != NULL)
            (*err)->kind = VMB_ERR_INPUT;
        return vmb_error_prefix(err, "read matrix file");
    }
    return vmb_matrix_load_buffer(path, data, len, out, err);
}

static void
free_cell(struct vmb_cell *c)
{
    free(c->label);
    vmb_config_free(&c->cfg);
    for (size_t i = 0; i < c->naxes; i++)
        free(c->axes[i].value);
    free(c->axes);
}

void
vmb_matrix_free(struct vmb_matrix *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->ncells; i++)
        free_cell(&m->cells[i]);
    for (size_t i = 0; i < m->ncontrols; i++)
        free_cell(&m->controls[i]);
    free(m->cells);
    free(m->controls);
    for (size_t i = 0; i < m->naxes; i++)
        free(m->axis_paths[i]);
    free(m->axis_paths);
    for (size_t i = 0; i < m->nwarnings; i++)
        free(m->warnings[i]);
    free(m->warnings);
    vmb_config_free(&m->base);
    free(m->path);
    free(m->name);
    free(m);
}
