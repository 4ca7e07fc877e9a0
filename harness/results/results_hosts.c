/*
 * The hosts of a merged results directory: run.json's "merged" member
 * (written by merge.c) and each host's calibration copy under
 * hosts/shard-K/control/. A bad value is a warning and is left out.
 */
#include <string.h>

#include "base/util.h"
#include "config/shard.h"
#include "config/strmap.h"
#include "results/results.h"
#include "results/results_priv.h"

static void
read_ids(struct vmb_res_ctx *x, struct json_object *o, const char *at,
         const char *key, struct vmb_res_host *h)
{
    struct json_object *a = vmb_res_arr(x, o, at, key);
    for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
        struct json_object *v = json_object_array_get_idx(a, i);
        const char *id = json_object_is_type(v, json_type_string)
                             ? json_object_get_string(v)
                             : NULL;
        if (id == NULL || !vmb_res_valid_id(id)) {
            vmb_res_bad(x, at, key, "expected 12-digit hexadecimal ids");
            continue;
        }
        h->ids = vmb_xrealloc(h->ids, (h->nids + 1) * sizeof(*h->ids));
        h->ids[h->nids++] = vmb_xstrdup(id);
    }
}

void
vmb_res_read_merged(struct vmb_res_ctx *x, struct json_object *run)
{
    struct vmb_results *r = x->r;
    struct json_object *m = vmb_res_obj(x, run, NULL, "merged");
    int64_t count;
    if (m == NULL ||
        !vmb_res_int(x, m, "merged", "count", 1, VMB_SHARDS_MAX, &count))
        return;
    r->merged_count = (size_t)count;
    struct json_object *a = vmb_res_arr(x, m, "merged", "shards");
    size_t n = a ? json_object_array_length(a) : 0;
    if (n > (size_t)count) {
        vmb_res_bad(x, "merged", "shards", "more than its count");
        return;
    }
    r->hosts = vmb_xcalloc(n + 1, sizeof(*r->hosts));
    for (size_t i = 0; i < n; i++) {
        autofree char *at = vmb_xasprintf("merged.shards[%zu]", i);
        struct json_object *o = json_object_array_get_idx(a, i);
        int64_t k;
        if (!json_object_is_type(o, json_type_object) ||
            !vmb_res_int(x, o, at, "index", 0, count - 1, &k)) {
            vmb_res_bad(x, at, NULL, "expected a shard with its index");
            continue;
        }
        struct vmb_res_host *h = &r->hosts[r->nhosts++];
        h->shard = (size_t)k;
        struct json_object *host = vmb_res_obj(x, o, at, "host");
        h->hostname = vmb_res_str(x, host, at, "hostname");
        h->cpu = vmb_res_str(x, host, at, "cpu");
        h->kernel = vmb_res_str(x, host, at, "kernel");
        read_ids(x, o, at, "cells", h);
        read_ids(x, o, at, "controls", h);
        autofree char *cal = vmb_res_str(x, o, at, "calibration");
        if (cal != NULL && vmb_res_valid_id(cal)) {
            struct vmb_res_cell *c = vmb_xcalloc(1, sizeof(*c));
            c->id = steal(&cal);
            c->control = true;
            c->calibration = true;
            c->dir = vmb_xasprintf("%s/hosts/shard-%zu/control/%s", r->dir,
                                   h->shard, c->id);
            h->calibration = c;
        } else if (cal != NULL) {
            vmb_res_bad(x, at, "calibration",
                        "expected a 12-digit hexadecimal id");
        }
    }
}

/* Each cell's and control's host, through a map: matrices are large. */
static void
link_hosts(struct vmb_results *r)
{
    struct vmb_strmap cells = {0}, controls = {0};
    for (size_t i = 0; i < r->ncells; i++)
        vmb_strmap_add(&cells, r->cells[i].id, i);
    for (size_t i = 0; i < r->ncontrols; i++)
        vmb_strmap_add(&controls, r->controls[i].id, i);
    for (size_t h = 0; h < r->nhosts; h++)
        for (size_t j = 0; j < r->hosts[h].nids; j++) {
            const char *id = r->hosts[h].ids[j];
            size_t i = vmb_strmap_get(&cells, id);
            if (i != SIZE_MAX)
                r->cells[i].host = &r->hosts[h];
            i = vmb_strmap_get(&controls, id);
            if (i != SIZE_MAX)
                r->controls[i].host = &r->hosts[h];
        }
    vmb_strmap_free(&cells);
    vmb_strmap_free(&controls);
}

void
vmb_res_load_calibrations(struct vmb_results *r)
{
    link_hosts(r);
    for (size_t i = 0; i < r->nhosts; i++) {
        struct vmb_res_cell *c = r->hosts[i].calibration;
        if (c == NULL)
            continue;
        /* No symlink on the way: hosts/, shard-K/ and control/ too. */
        autofree char *a = vmb_xasprintf("%s/hosts", r->dir);
        autofree char *b = vmb_xasprintf("%s/shard-%zu", a, r->hosts[i].shard);
        autofree char *cd = vmb_xasprintf("%s/control", b);
        if (vmb_res_kind_of(a) != VMB_RES_DIR ||
            vmb_res_kind_of(b) != VMB_RES_DIR ||
            vmb_res_kind_of(cd) != VMB_RES_DIR) {
            vmb_res_warn(r, "%s: not a directory; the calibration is left out",
                         cd);
            c->label = vmb_xstrdup(c->id);
            continue;
        }
        const struct vmb_res_cell *ctl = vmb_results_find(r, c->id, NULL);
        c->label = vmb_xstrdup(ctl && ctl->label ? ctl->label : c->id);
        vmb_res_load_reps(r, c);
    }
}

void
vmb_res_hosts_free(struct vmb_results *r)
{
    for (size_t i = 0; i < r->nhosts; i++) {
        struct vmb_res_host *h = &r->hosts[i];
        free(h->hostname);
        free(h->cpu);
        free(h->kernel);
        for (size_t j = 0; j < h->nids; j++)
            free(h->ids[j]);
        free(h->ids);
        if (h->calibration != NULL) {
            vmb_res_free_cell(h->calibration);
            free(h->calibration);
        }
    }
    free(r->hosts);
}

const struct vmb_res_host *
vmb_results_host_of(const struct vmb_results *r, const char *id)
{
    const struct vmb_res_cell *c = vmb_results_find(r, id, NULL);
    return c != NULL ? c->host : NULL;
}

const char *
vmb_results_hostname_of(const struct vmb_results *r,
                        const struct vmb_res_cell *c)
{
    const char *name = c->host ? c->host->hostname : r->run.hostname;
    return name ? name : "?";
}
