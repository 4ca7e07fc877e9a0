/*
 * Shards into one results directory (merge.h): every check first, then
 * OUT written. Ids are checked before they become path components, and
 * nothing in a shard is followed through a symlink.
 */
#include "results/merge.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "config/fio_phase.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "config/shard.h"
#include "config/strmap.h"
#include "results/plan_json.h"
#include "results/results.h"
#include "results/results_priv.h"
#include "results/run_json.h"

/* Deeper than any run directory: a shard that nests further is not one. */
#define MAX_DEPTH 6

struct shard {
    const char *dir;
    struct vmb_results *r;
    struct vmb_matrix *m;
    struct vmb_plan *p;
    struct vmb_run_file run; /* run.json */
};

struct merge {
    struct shard *sh;
    size_t n;
    struct vmb_shards *parts;
    struct shard **by_index; /* per shard index: the one given, or NULL */
    /* per VM cell and control of the matrix: the shard given for it */
    struct shard **cell_from, **control_from;
    struct vmb_strmap cell_ids, control_ids; /* id -> index in the matrix */
};

static int refuse(struct vmb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(struct vmb_error **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s", msg);
}

static int walk(const char *src, const char *dst, int depth,
                struct vmb_error **err);

static int
open_shard(struct shard *s, struct vmb_error **err)
{
    struct stat st;
    if (stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return refuse(err, "\"%s\" is not a directory", s->dir);
    const char *need[] = {"run.json", "plan.json", "matrix.yaml"};
    for (size_t i = 0; i < 3; i++) {
        autofree char *p = vmb_xasprintf("%s/%s", s->dir, need[i]);
        if (vmb_res_kind_of(p) != VMB_RES_FILE)
            return refuse(err,
                          "\"%s\" is not a vmbench results directory: it has "
                          "no %s (a regular file)",
                          s->dir, need[i]);
    }
    if (vmb_results_load(s->dir, &s->r, err) < 0)
        return -1;
    if (s->r->nwarnings > 0)
        return refuse(err, "\"%s\" cannot be merged: %s", s->dir,
                      s->r->warnings[0]);
    if (!s->r->has_shard || s->r->plan_id == NULL)
        return refuse(err,
                      "\"%s\" is not a shard: its plan.json names no "
                      "\"shard\" (merge takes the directories of `vmbench "
                      "run --shard K/N`)",
                      s->dir);
    autofree char *runp = vmb_xasprintf("%s/run.json", s->dir);
    if (vmb_run_json_read(runp, &s->run, err) < 0)
        return -1;
    /* Loading the matrix reads the fio job files it names (jobs/...):
     * nothing anywhere in the shard may lead out of it. */
    if (walk(s->dir, NULL, 0, err) < 0)
        return -1;
    autofree char *mpath = vmb_xasprintf("%s/matrix.yaml", s->dir);
    autofree char *kpath = vmb_xasprintf("%s/kata-base.toml", s->dir);
    enum vmb_res_kind kk = vmb_res_kind_of(kpath);
    if (kk == VMB_RES_OTHER || kk == VMB_RES_DIR)
        return refuse(err, "\"%s\" is not a regular file", kpath);
    if (vmb_matrix_load_kata(mpath, kk == VMB_RES_FILE ? kpath : NULL, &s->m,
                             err) < 0)
        return vmb_error_prefix(err, "shard \"%s\"", s->dir);
    /* The seed the shard planned with: the merged plan's order. */
    if (s->r->has_seed)
        s->m->base.top.seed = (int64_t)s->r->seed;
    if (vmb_plan_build(s->m, &s->p, err) < 0)
        return vmb_error_prefix(err, "shard \"%s\"", s->dir);
    if (strcmp(s->p->id, s->r->plan_id) != 0)
        return refuse(err,
                      "\"%s\": plan.json names plan \"%s\", but its "
                      "matrix.yaml plans \"%s\"",
                      s->dir, s->r->plan_id, s->p->id);
    return 0;
}

static const char *
or_none(const char *s)
{
    return s ? s : "none";
}

/* Every shard of one plan, one vmbench, one N; no shard twice. */
static int
check_same(struct merge *g, struct vmb_error **err)
{
    const struct shard *a = &g->sh[0];
    for (size_t i = 1; i < g->n; i++) {
        const struct shard *b = &g->sh[i];
        if (strcmp(a->r->plan_id, b->r->plan_id) != 0)
            return refuse(err,
                          "\"%s\" and \"%s\" are shards of different "
                          "matrices (plans \"%s\" and \"%s\")",
                          a->dir, b->dir, a->r->plan_id, b->r->plan_id);
        const char *va = or_none(a->r->run.version),
                   *vb = or_none(b->r->run.version);
        const char *ga = or_none(a->r->run.git), *gb = or_none(b->r->run.git);
        if (strcmp(va, vb) != 0 || strcmp(ga, gb) != 0)
            return refuse(err,
                          "\"%s\" and \"%s\" were run by different vmbench "
                          "versions (\"%s\" git \"%s\", \"%s\" git \"%s\")",
                          a->dir, b->dir, va, ga, vb, gb);
        if (a->r->shard_count != b->r->shard_count)
            return refuse(err,
                          "\"%s\" is a shard of %zu, \"%s\" of %zu: the "
                          "same matrix split two ways",
                          a->dir, a->r->shard_count, b->dir, b->r->shard_count);
    }
    g->by_index = vmb_xcalloc(a->r->shard_count, sizeof(*g->by_index));
    for (size_t i = 0; i < g->n; i++) {
        struct shard *s = &g->sh[i];
        struct shard **slot = &g->by_index[s->r->shard_index];
        if (*slot != NULL)
            return refuse(err,
                          "two copies of shard %zu of %zu: \"%s\" and "
                          "\"%s\"",
                          s->r->shard_index, s->r->shard_count, (*slot)->dir,
                          s->dir);
        *slot = s;
    }
    return 0;
}

/* Walks a tree of a shard: directories and regular files only, no deeper
 * than MAX_DEPTH; with dst set, copies it there. */
static int
walk(const char *src, const char *dst, int depth, struct vmb_error **err)
{
    if (depth > MAX_DEPTH)
        return refuse(err, "\"%s\" nests deeper than a results directory", src);
    if (dst != NULL && mkdir(dst, 0755) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, errno, "create \"%s\"", dst);
    DIR *d = opendir(src);
    if (d == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, errno, "open \"%s\"", src);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", src, e->d_name);
        autofree char *q = dst ? vmb_xasprintf("%s/%s", dst, e->d_name) : NULL;
        enum vmb_res_kind k = vmb_res_kind_of(p);
        if (k == VMB_RES_DIR) {
            rc = walk(p, q, depth + 1, err);
        } else if (k != VMB_RES_FILE) {
            rc = refuse(err,
                        "\"%s\" is a symlink or a special file; merge never "
                        "follows one out of a shard",
                        p);
        } else if (dst != NULL) {
            autofree char *text = NULL;
            size_t len = 0;
            rc = vmb_res_read_file(p, VMB_RES_TEXT_MAX, &text, &len, err);
            if (rc == 0)
                rc = vmb_write_file_atomic(q, text, len, err);
        }
    }
    closedir(d);
    return rc;
}

/* The cell directories of shard s: each of the matrix, of this shard,
 * and in no other shard given; their trees only files and directories. */
static int
check_cells(struct merge *g, struct shard *s, bool control,
            struct vmb_error **err)
{
    const struct vmb_matrix *m = g->sh[0].m;
    const char *sub = control ? "control" : "cells";
    autofree char *top = vmb_xasprintf("%s/%s", s->dir, sub);
    enum vmb_res_kind tk = vmb_res_kind_of(top);
    if (tk == VMB_RES_NONE)
        return 0;
    if (tk != VMB_RES_DIR)
        return refuse(err, "\"%s\" is not a directory", top);
    DIR *d = opendir(top);
    if (d == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, errno, "open \"%s\"", top);
    size_t k = s->r->shard_index;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *id = e->d_name;
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", top, id);
        size_t i =
            vmb_res_valid_id(id)
                ? vmb_strmap_get(control ? &g->control_ids : &g->cell_ids, id)
                : SIZE_MAX;
        if (i == SIZE_MAX) {
            rc = refuse(err, "\"%s\" is not a %s of the shards' matrix", p,
                        control ? "control" : "cell");
            break;
        }
        const struct vmb_cell *c = control ? &m->controls[i] : &m->cells[i];
        if (!vmb_shards_runs(g->parts, m, k, c)) {
            size_t owner =
                control ? g->parts->control_shard[i] : g->parts->cell_shard[i];
            rc = refuse(err,
                        "\"%s\" holds %s \"%s\", which shard %zu runs, not "
                        "shard %zu: the shards overlap",
                        s->dir, control ? "control" : "cell", id, owner, k);
            break;
        }
        rc = walk(p, NULL, 0, err);
        if (rc < 0 || vmb_shards_is_calibration(g->parts, m, k, c))
            continue;
        struct shard **from = control ? &g->control_from[i] : &g->cell_from[i];
        if (*from != NULL)
            rc = refuse(err, "%s \"%s\" is in both \"%s\" and \"%s\"",
                        control ? "control" : "cell", id, (*from)->dir, s->dir);
        *from = s;
    }
    closedir(d);
    return rc;
}

/* "1, 3" of the shards not given, or NULL. */
static char *
missing_list(const struct merge *g)
{
    struct vmb_buf b = {0};
    size_t count = g->sh[0].r->shard_count;
    for (size_t k = 0; k < count; k++)
        if (g->by_index[k] == NULL)
            vmb_buf_printf(&b, "%s%zu", b.len ? ", " : "", k);
    return b.len ? vmb_buf_steal(&b) : NULL;
}

static int
copy_file(const char *src, const char *dst, struct vmb_error **err)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_res_read_file(src, VMB_RES_PLAN_MAX, &text, &len, err) < 0)
        return -1;
    return vmb_write_file_atomic(dst, text, len, err);
}

/* The ids of shard k's cells (or controls) of m, pointing into m. */
static const char **
shard_ids(const struct vmb_matrix *m, const struct vmb_shards *parts, size_t k,
          bool control, size_t *n)
{
    size_t all = control ? m->ncontrols : m->ncells;
    const char **ids = vmb_xcalloc(all ? all : 1, sizeof(*ids));
    *n = 0;
    for (size_t i = 0; i < all; i++) {
        size_t owner = control ? parts->control_shard[i] : parts->cell_shard[i];
        if (owner == k)
            ids[(*n)++] = control ? m->controls[i].id : m->cells[i].id;
    }
    return ids;
}

/* The runs of OUT's cells (no calibration copy) that ended ok, failed. */
static void
count_runs(const struct merge *g, int64_t *ok, int64_t *failed)
{
    for (size_t i = 0; i < g->n; i++) {
        const struct vmb_results *r = g->sh[i].r;
        for (int k = 0; k < 2; k++) {
            const struct vmb_res_cell *cells = k ? r->controls : r->cells;
            size_t n = k ? r->ncontrols : r->ncells;
            for (size_t c = 0; c < n; c++) {
                if (cells[c].calibration)
                    continue;
                for (size_t j = 0; j < cells[c].nreps; j++) {
                    const char *st = cells[c].reps[j].status;
                    *ok += cells[c].reps[j].ok;
                    *failed += !cells[c].reps[j].ok && st != NULL &&
                               strcmp(st, "missing") != 0;
                }
            }
        }
    }
}

/* run.json of OUT: the first shard's, with every shard's host and cells
 * under "merged" and the runs of all. */
static int
write_run_json(const struct merge *g, const char *out, struct vmb_error **err)
{
    const struct vmb_matrix *m = g->sh[0].m;
    size_t count = g->sh[0].r->shard_count;
    /* The lowest shard given: by_index has every shard of sh. */
    const struct shard *first = &g->sh[0];
    for (size_t k = count; k-- > 0;)
        if (g->by_index[k] != NULL)
            first = g->by_index[k];
    struct vmb_run_doc d = first->run.doc;
    d.has_shard = false;
    d.plan_id = g->sh[0].p->id;
    int64_t ok = 0, failed = 0;
    count_runs(g, &ok, &failed);
    d.runs_total = g->sh[0].p->nruns;
    d.runs_ok = (uint64_t)ok;
    d.runs_failed = (uint64_t)failed;
    struct vmb_run_merged merged = {.count = count};
    size_t *missing = vmb_xcalloc(count, sizeof(*missing));
    struct vmb_run_merged_shard *shards = vmb_xcalloc(count, sizeof(*shards));
    char **dirs = vmb_xcalloc(count, sizeof(*dirs));
    for (size_t k = 0; k < count; k++) {
        const struct shard *s = g->by_index[k];
        if (s == NULL) {
            missing[merged.nmissing++] = k;
            continue;
        }
        struct vmb_run_merged_shard *o = &shards[merged.nshards++];
        o->index = k;
        o->dir = dirs[k] = vmb_xasprintf("hosts/shard-%zu", k);
        o->host = s->run.doc.host;
        o->cells = shard_ids(m, g->parts, k, false, &o->ncells);
        o->controls = shard_ids(m, g->parts, k, true, &o->ncontrols);
        bool calib = m->ncontrols > 0 && g->parts->control_shard[0] != k;
        o->calibration = calib ? m->controls[0].id : NULL;
    }
    merged.missing = missing;
    merged.shards = shards;
    d.merged = &merged;
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_run_json_write(&w, &d);
    vmb_buf_puts(&w.buf, "\n");
    autofree char *text = vmb_jw_steal(&w);
    for (size_t i = 0; i < merged.nshards; i++) {
        free(shards[i].cells);
        free(shards[i].controls);
    }
    for (size_t k = 0; k < count; k++)
        free(dirs[k]);
    free(dirs);
    free(shards);
    free(missing);
    autofree char *path = vmb_xasprintf("%s/run.json", out);
    return vmb_write_file_atomic(path, text, strlen(text), err);
}

static int
write_out(const struct merge *g, const char *out, struct vmb_error **err)
{
    const struct shard *a = &g->sh[0];
    const struct vmb_matrix *m = a->m;
    autofree char *msrc = vmb_xasprintf("%s/matrix.yaml", a->dir);
    autofree char *mdst = vmb_xasprintf("%s/matrix.yaml", out);
    if (copy_file(msrc, mdst, err) < 0)
        return -1;
    autofree char *ksrc = vmb_xasprintf("%s/kata-base.toml", a->dir);
    autofree char *kdst = vmb_xasprintf("%s/kata-base.toml", out);
    if (vmb_res_kind_of(ksrc) == VMB_RES_FILE && copy_file(ksrc, kdst, err) < 0)
        return -1;
    /* The fio job files beside the matrix, as a run keeps them. */
    for (size_t i = 0; i < m->base.nphases; i++) {
        if (m->base.phases[i].op != VMB_OP_FIO_JOB)
            continue;
        autofree char *src = vmb_fio_phase_path(msrc, m->base.phases[i].fio);
        autofree char *dst = vmb_fio_phase_path(mdst, m->base.phases[i].fio);
        autofree char *parent = vmb_xstrdup(dst);
        *strrchr(parent, '/') = '\0';
        if (vmb_mkdir_p(parent, err) < 0 || copy_file(src, dst, err) < 0)
            return -1;
    }
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_plan_to_json(&w, m, a->p);
    vmb_buf_puts(&w.buf, "\n");
    autofree char *plan = vmb_jw_steal(&w);
    autofree char *ppath = vmb_xasprintf("%s/plan.json", out);
    if (vmb_write_file_atomic(ppath, plan, strlen(plan), err) < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        bool control = k == 1;
        const char *sub = control ? "control" : "cells";
        autofree char *top = vmb_xasprintf("%s/%s", out, sub);
        if (mkdir(top, 0755) < 0)
            return vmb_error_set(err, VMB_ERR_RUN, errno, "create \"%s\"", top);
        size_t n = control ? m->ncontrols : m->ncells;
        for (size_t i = 0; i < n; i++) {
            const struct shard *s =
                control ? g->control_from[i] : g->cell_from[i];
            const char *id = control ? m->controls[i].id : m->cells[i].id;
            if (s == NULL)
                continue;
            autofree char *src = vmb_xasprintf("%s/%s/%s", s->dir, sub, id);
            autofree char *dst = vmb_xasprintf("%s/%s", top, id);
            if (walk(src, dst, 0, err) < 0)
                return -1;
        }
    }
    autofree char *hosts = vmb_xasprintf("%s/hosts", out);
    if (mkdir(hosts, 0755) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, errno, "create \"%s\"", hosts);
    for (size_t k = 0; k < a->r->shard_count; k++) {
        const struct shard *s = g->by_index[k];
        if (s == NULL)
            continue;
        autofree char *hd = vmb_xasprintf("%s/shard-%zu", hosts, k);
        if (mkdir(hd, 0755) < 0)
            return vmb_error_set(err, VMB_ERR_RUN, errno, "create \"%s\"", hd);
        const char *files[] = {"run.json", "plan.json"};
        for (size_t i = 0; i < 2; i++) {
            autofree char *src = vmb_xasprintf("%s/%s", s->dir, files[i]);
            autofree char *dst = vmb_xasprintf("%s/%s", hd, files[i]);
            if (copy_file(src, dst, err) < 0)
                return -1;
        }
        /* This host's copy of the calibration control, beside its run. */
        if (m->ncontrols == 0 || g->parts->control_shard[0] == k)
            continue;
        autofree char *src =
            vmb_xasprintf("%s/control/%s", s->dir, m->controls[0].id);
        if (vmb_res_kind_of(src) != VMB_RES_DIR)
            continue;
        autofree char *cd = vmb_xasprintf("%s/control", hd);
        autofree char *dst = vmb_xasprintf("%s/%s", cd, m->controls[0].id);
        if (mkdir(cd, 0755) < 0)
            return vmb_error_set(err, VMB_ERR_RUN, errno, "create \"%s\"", cd);
        if (walk(src, dst, 0, err) < 0)
            return -1;
    }
    return write_run_json(g, out, err);
}

static void
merge_free(struct merge *g)
{
    for (size_t i = 0; i < g->n; i++) {
        vmb_results_free(g->sh[i].r);
        vmb_plan_free(g->sh[i].p);
        vmb_matrix_free(g->sh[i].m);
        vmb_run_file_free(&g->sh[i].run);
    }
    free(g->sh);
    vmb_shards_free(g->parts);
    free(g->by_index);
    free(g->cell_from);
    free(g->control_from);
    vmb_strmap_free(&g->cell_ids);
    vmb_strmap_free(&g->control_ids);
}

static size_t
count_hosts(const struct merge *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        const char *h = or_none(g->sh[i].r->run.hostname);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(h, or_none(g->sh[j].r->run.hostname)) == 0;
        n += !seen;
    }
    return n;
}

/* OUT's parent must not be a shard or below one: merge would write into
 * that shard. A parent that does not resolve fails at mkdir instead. */
static int
check_out_outside(const struct merge *g, const char *out,
                  struct vmb_error **err)
{
    autofree char *copy = vmb_xstrdup(out);
    /* "s0/new/" is s0/new: its parent is s0. */
    for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
        copy[n - 1] = '\0';
    char *slash = strrchr(copy, '/');
    const char *parent = slash == NULL ? "." : slash == copy ? "/" : copy;
    if (slash != NULL && slash != copy)
        *slash = '\0';
    autofree char *rp = realpath(parent, NULL);
    if (rp == NULL)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        autofree char *rs = realpath(g->sh[i].dir, NULL);
        size_t n = rs ? strlen(rs) : 0;
        if (rs != NULL && strncmp(rp, rs, n) == 0 &&
            (rp[n] == '\0' || rp[n] == '/' || n == 1))
            return refuse(err,
                          "\"%s\" is inside shard \"%s\"; merge writes "
                          "only outside the shards",
                          out, g->sh[i].dir);
    }
    return 0;
}

/* The fio job files the matrix names: the same plan id can hide two
 * different jobs, so every shard must hold the first one's bytes. */
static int
check_jobs(const struct merge *g, struct vmb_error **err)
{
    const struct vmb_config *cfg = &g->sh[0].m->base;
    for (size_t i = 0; i < cfg->nphases; i++) {
        if (cfg->phases[i].op != VMB_OP_FIO_JOB)
            continue;
        autofree char *text0 = NULL;
        size_t len0 = 0;
        for (size_t k = 0; k < g->n; k++) {
            autofree char *mp = vmb_xasprintf("%s/matrix.yaml", g->sh[k].dir);
            autofree char *p = vmb_fio_phase_path(mp, cfg->phases[i].fio);
            autofree char *text = NULL;
            size_t len = 0;
            if (vmb_res_read_file(p, VMB_RES_TEXT_MAX, &text, &len, err) < 0)
                return -1;
            if (k == 0) {
                text0 = steal(&text);
                len0 = len;
            } else if (len != len0 || memcmp(text, text0, len) != 0) {
                return refuse(err,
                              "\"%s\" differs from shard \"%s\"'s: the "
                              "shards ran different fio jobs",
                              p, g->sh[0].dir);
            }
        }
    }
    return 0;
}

static int
merge_check(struct merge *g, struct vmb_error **err)
{
    for (size_t i = 0; i < g->n; i++)
        if (open_shard(&g->sh[i], err) < 0)
            return -1;
    if (check_same(g, err) < 0 || check_jobs(g, err) < 0)
        return -1;
    const struct vmb_matrix *m = g->sh[0].m;
    if (vmb_shards_build(m, g->sh[0].r->shard_count, &g->parts, err) < 0)
        return -1;
    for (size_t i = 0; i < m->ncells; i++)
        vmb_strmap_add(&g->cell_ids, m->cells[i].id, i);
    for (size_t i = 0; i < m->ncontrols; i++)
        vmb_strmap_add(&g->control_ids, m->controls[i].id, i);
    g->cell_from = vmb_xcalloc(m->ncells + 1, sizeof(*g->cell_from));
    g->control_from = vmb_xcalloc(m->ncontrols + 1, sizeof(*g->control_from));
    for (size_t i = 0; i < g->n; i++)
        if (check_cells(g, &g->sh[i], false, err) < 0 ||
            check_cells(g, &g->sh[i], true, err) < 0)
            return -1;
    return 0;
}

int
vmb_results_merge(const struct vmb_merge_opts *o, struct vmb_merge_summary *sum,
                  struct vmb_error **err)
{
    struct stat st;
    if (lstat(o->out, &st) == 0)
        return refuse(err,
                      "\"%s\" already exists; merge never writes into "
                      "an existing directory",
                      o->out);
    if (o->ndirs == 0)
        return refuse(err, "no shard directories given");
    struct merge g = {.n = o->ndirs};
    g.sh = vmb_xcalloc(o->ndirs, sizeof(*g.sh));
    for (size_t i = 0; i < o->ndirs; i++)
        g.sh[i].dir = o->dirs[i];
    int rc = merge_check(&g, err);
    char *missing = rc == 0 ? missing_list(&g) : NULL;
    if (rc == 0)
        rc = check_out_outside(&g, o->out, err);
    if (rc == 0 && missing != NULL && !o->partial)
        rc = refuse(err,
                    "shard%s %s of %zu %s missing; give %s directories, or "
                    "merge the others with --partial",
                    strchr(missing, ',') ? "s" : "", missing,
                    g.sh[0].r->shard_count, strchr(missing, ',') ? "are" : "is",
                    strchr(missing, ',') ? "their" : "its");
    if (rc == 0 && mkdir(o->out, 0755) < 0)
        rc = vmb_error_set(err, VMB_ERR_INPUT, errno, "create \"%s\"", o->out);
    else if (rc == 0 && write_out(&g, o->out, err) < 0) {
        vmb_rm_rf(o->out, NULL);
        rc = vmb_error_prefix(err, "merge into \"%s\"", o->out);
    }
    if (rc == 0) {
        sum->count = g.sh[0].r->shard_count;
        sum->merged = g.n;
        sum->missing = missing;
        missing = NULL;
        sum->ncells = 0;
        for (size_t i = 0; i < g.sh[0].m->ncells; i++)
            sum->ncells += g.cell_from[i] != NULL;
        for (size_t i = 0; i < g.sh[0].m->ncontrols; i++)
            sum->ncells += g.control_from[i] != NULL;
        sum->nhosts = count_hosts(&g);
    }
    free(missing);
    merge_free(&g);
    return rc;
}
