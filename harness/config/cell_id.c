/*
 * A cell's id and the rule that keeps it across versions
 * (docs/results-format.md, "Cell ids"). The id hashes a text: the JSON
 * of the effective config as vmb_config_to_json writes it, with the
 * run-level options zeroed and every option outside the id baseline
 * (those with .since) left out; then, for each such option the config
 * sets off its default, a line "\nsection.name=value". A cell that
 * leaves a later option at its default keeps the id it had before the
 * option existed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/matrix_priv.h"

static uint64_t
fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/*
 * The revision of the VM every cell boots, in VM cells' ids: what changes
 * the devices or kernel parameters of every cell without an option (the
 * RTC and PIT policy, no USB controller, the virtio-scsi controller and
 * kernel parameters as Kata's runtime sets them, revision 2; the
 * container root over the shared filesystem where
 * disable_block_device_use says so, no root disk then, and 9p's inodes
 * remapped, revision 3; scsi_mod.scan=none with the agent scanning for
 * its data disk, revision 4) changes what a cell measures, so its id, on
 * purpose (README, "Changes").
 */
#define VMB_VM_REVISION "4"

static uint64_t
id_seed(enum vmb_cell_kind kind)
{
    const char *k =
        kind == VMB_CELL_CONTROL ? "control:" : "vm:r" VMB_VM_REVISION ":";
    return fnv1a(k, strlen(k), 1469598103934665603ull);
}

static void
id_finish(uint64_t h, char out[13])
{
    /* Mix the high bits down so the 48 bits kept depend on all of them. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    snprintf(out, 13, "%012" PRIx64, (uint64_t)(h & 0xffffffffffffull));
}

static bool
is_hole(const struct vmb_option *o, const struct vmb_option *const *holes,
        size_t nholes)
{
    for (size_t i = 0; i < nholes; i++)
        if (holes[i] == o)
            return true;
    return false;
}

static bool
has_baseline(const struct vmb_option *opts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].since == NULL)
            return true;
    return false;
}

/* The baseline options of a table as an object, holes written as mark. */
static void
options_json(struct vmb_jw *w, const struct vmb_option *opts, size_t n,
             const void *base, const struct vmb_option *const *holes,
             size_t nholes, const char *mark)
{
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct vmb_option *o = &opts[i];
        if (o->since != NULL)
            continue;
        if (is_hole(o, holes, nholes)) {
            vmb_jw_kstr(w, o->name, mark);
            continue;
        }
        autofree char *v = vmb_option_format(o, base);
        vmb_jw_kstr(w, o->name, v);
    }
    vmb_jw_obj_end(w);
}

static size_t
phase_noptions(const struct vmb_phase *ph)
{
    /* A plain phase's id leaves the capacity search's options out. */
    return ph->capacity_limit_us > 0 ? vmb_nphase_options
                                     : vmb_nphase_plain_options;
}

static void
id_json(struct vmb_jw *w, const struct vmb_section *secs, size_t nsecs,
        const struct vmb_config *cfg, const struct vmb_option *const *holes,
        size_t nholes, const char *mark)
{
    const struct vmb_top_opts zero = {0};
    vmb_jw_obj_begin(w);
    for (size_t i = 0; i < nsecs; i++) {
        const struct vmb_section *s = &secs[i];
        if (s->name[0] == '\0') {
            /* Run-level options are zeroed; those after the id's four
             * are left out: they do not change what a cell measures. */
            vmb_jw_key(w, "run");
            options_json(w, s->options, VMB_TOP_ID_OPTIONS, &zero, holes,
                         nholes, mark);
            continue;
        }
        /* A section with no baseline option is new: left out whole. */
        if (!has_baseline(s->options, s->noptions))
            continue;
        vmb_jw_key(w, s->name);
        options_json(w, s->options, s->noptions, (const char *)cfg + s->offset,
                     holes, nholes, mark);
    }
    vmb_jw_key(w, "phases");
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < cfg->nphases; i++)
        options_json(w, vmb_phase_options, phase_noptions(&cfg->phases[i]),
                     &cfg->phases[i], NULL, 0, NULL);
    vmb_jw_arr_end(w);
    vmb_jw_obj_end(w);
}

static void
later_line(struct vmb_buf *b, const char *sec, size_t phase,
           const struct vmb_option *o, const void *base)
{
    if (o->since == NULL || vmb_option_at_default(o, base))
        return;
    autofree char *v = vmb_option_format(o, base);
    if (sec != NULL && sec[0] == '\0')
        vmb_buf_printf(b, "\n%s=", o->name);
    else if (sec != NULL)
        vmb_buf_printf(b, "\n%s.%s=", sec, o->name);
    else
        vmb_buf_printf(b, "\nphases[%zu].%s=", phase, o->name);
    vmb_json_escape(b, v);
}

/* The lines of the later options cfg sets off their defaults. */
static void
id_later(struct vmb_buf *b, const struct vmb_section *secs, size_t nsecs,
         const struct vmb_config *cfg)
{
    for (size_t i = 0; i < nsecs; i++) {
        const struct vmb_section *s = &secs[i];
        /* A later top-level option (tenants) changes what a cell
         * measures, unlike the run-level ones, which have no .since. */
        for (size_t j = 0; j < s->noptions; j++)
            later_line(b, s->name, 0, &s->options[j],
                       (const char *)cfg + s->offset);
    }
    for (size_t i = 0; i < cfg->nphases; i++)
        for (size_t j = 0; j < phase_noptions(&cfg->phases[i]); j++)
            later_line(b, NULL, i, &vmb_phase_options[j], &cfg->phases[i]);
}

void
vmb_cell_id_in(const struct vmb_section *secs, size_t nsecs,
               const struct vmb_config *cfg, enum vmb_cell_kind kind,
               char out[13])
{
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    id_json(&w, secs, nsecs, cfg, NULL, 0, NULL);
    autofree char *json = vmb_jw_steal(&w);
    struct vmb_buf later = {0};
    id_later(&later, secs, nsecs, cfg);
    uint64_t h = fnv1a(json, strlen(json), id_seed(kind));
    id_finish(fnv1a(later.data, later.len, h), out);
    vmb_buf_free(&later);
}

void
vmb_cell_id(const struct vmb_config *cfg, enum vmb_cell_kind kind, char out[13])
{
    vmb_cell_id_in(vmb_sections, vmb_nsections, cfg, kind, out);
}

void
vmb_id_template_hole(struct vmb_id_template *t, const struct vmb_section *sec,
                     const struct vmb_option *opt)
{
    /* A later option is never in the JSON: its line is made per config. */
    if (opt->since != NULL)
        return;
    for (size_t i = 0; i < t->nholes; i++)
        if (t->holes[i] == opt)
            return;
    t->hsec[t->nholes] = sec;
    t->holes[t->nholes++] = opt;
}

/* The mark of a hole: a control character, which no value can hold. */
static const char hole_mark[] = "\x01";
static const char hole_json[] = "\"\\u0001\"";

void
vmb_id_template_init(struct vmb_id_template *t, const struct vmb_config *tmpl)
{
    /* Holes in the order the JSON writes options. */
    struct vmb_id_template sorted = {.kind = t->kind};
    for (size_t s = 0; s < vmb_nsections; s++)
        for (size_t o = 0; o < vmb_sections[s].noptions; o++)
            for (size_t i = 0; i < t->nholes; i++)
                if (t->holes[i] == &vmb_sections[s].options[o])
                    vmb_id_template_hole(&sorted, t->hsec[i], t->holes[i]);
    *t = sorted;
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    id_json(&w, vmb_sections, vmb_nsections, tmpl, t->holes, t->nholes,
            hole_mark);
    t->json = vmb_jw_steal(&w);
    t->seg = vmb_xcalloc(t->nholes + 1, sizeof(*t->seg));
    t->seglen = vmb_xcalloc(t->nholes + 1, sizeof(*t->seglen));
    size_t at = 0, n = 0, hl = strlen(hole_json);
    for (const char *p = t->json; (p = strstr(p, hole_json)) != NULL; p += hl) {
        if (n == t->nholes)
            return;
        t->seg[n] = at;
        t->seglen[n++] = (size_t)(p - t->json) - at;
        at = (size_t)(p - t->json) + hl;
    }
    if (n != t->nholes)
        return;
    t->seg[n] = at;
    t->seglen[n] = strlen(t->json) - at;
    t->last = vmb_xcalloc(t->nholes + 1, sizeof(*t->last));
    t->state = vmb_xcalloc(t->nholes + 1, sizeof(*t->state));
    t->state[0] = fnv1a(t->json, t->seglen[0], id_seed(t->kind));
    t->ok = true;
}

void
vmb_id_template_free(struct vmb_id_template *t)
{
    free(t->json);
    free(t->seg);
    free(t->seglen);
    for (size_t i = 0; t->last != NULL && i <= t->nholes; i++)
        vmb_buf_free(&t->last[i]);
    free(t->last);
    free(t->state);
}

void
vmb_id_of(struct vmb_id_template *t, const struct vmb_config *cfg,
          struct vmb_buf *scratch, char out[13])
{
    if (!t->ok) {
        vmb_cell_id(cfg, t->kind, out);
        return;
    }
    /* state[i]: the hash of the pieces 0..i and the holes before i; the
     * cells of an expansion mostly differ in their last axes. */
    size_t from = t->primed ? t->nholes : 0;
    for (size_t i = 0; i < t->nholes; i++) {
        autofree char *v = vmb_option_format(
            t->holes[i], (const char *)cfg + t->hsec[i]->offset);
        scratch->len = 0;
        vmb_json_escape(scratch, v);
        struct vmb_buf *last = &t->last[i];
        if (i < from && last->len == scratch->len &&
            memcmp(last->data, scratch->data, scratch->len) == 0)
            continue;
        if (i < from)
            from = i;
        last->len = 0;
        vmb_buf_append(last, scratch->data, scratch->len);
    }
    for (size_t i = from; i < t->nholes; i++) {
        uint64_t h = fnv1a(t->last[i].data, t->last[i].len, t->state[i]);
        t->state[i + 1] = fnv1a(t->json + t->seg[i + 1], t->seglen[i + 1], h);
    }
    t->primed = true;
    scratch->len = 0;
    id_later(scratch, vmb_sections, vmb_nsections, cfg);
    id_finish(fnv1a(scratch->data, scratch->len, t->state[t->nholes]), out);
}
