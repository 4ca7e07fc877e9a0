/*
 * The hosts of a merged results directory: each cell's host from
 * run.json's "merged" member (read by run_json.c) and each host's
 * calibration copy under hosts/shard-K/control/. A bad value is a warning
 * and is left out.
 */
#include <string.h>

#include "base/util.h"
#include "config/shard.h"
#include "config/strmap.h"
#include "results/results.h"
#include "results/results_priv.h"

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
