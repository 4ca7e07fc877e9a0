/* The check that a resumed run's matrix still plans what plan.json says. */
#include "run/resume.h"

#include <inttypes.h>
#include <string.h>

#include "base/util.h"

static int
changed(struct vmb_error **err, const struct vmb_results *prev,
        const char *what)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "\"%s/matrix.yaml\" no longer plans what "
                         "\"%s/plan.json\" lists (%s), and the runs of two "
                         "matrices never mix in one directory; run the "
                         "changed matrix into a new one",
                         prev->dir, prev->dir, what);
}

static int
same_listed(const struct vmb_results *prev, const struct vmb_res_cell *old,
            size_t nold, const struct vmb_cell *const *now, size_t nnow,
            const char *kind, struct vmb_error **err)
{
    if (nold != nnow) {
        autofree char *what =
            vmb_xasprintf("%zu %s%s in the plan, %zu in the matrix", nold, kind,
                          nold == 1 ? "" : "s", nnow);
        return changed(err, prev, what);
    }
    for (size_t i = 0; i < nnow; i++) {
        if (strcmp(old[i].id, now[i]->id) == 0)
            continue;
        autofree char *what = vmb_xasprintf(
            "%s %zu is \"%s\" (%s) in the plan, \"%s\" (%s) in the matrix",
            kind, i + 1, old[i].id, old[i].label ? old[i].label : "no label",
            now[i]->id, now[i]->label);
        return changed(err, prev, what);
    }
    return 0;
}

/* Cells of the plan and of the matrix (those in, a shard's; NULL: all),
 * in order, by id. */
static int
same_cells(const struct vmb_results *prev, const struct vmb_res_cell *old,
           size_t nold, const struct vmb_cell *all, size_t nall,
           const unsigned char *in, const char *kind, struct vmb_error **err)
{
    const struct vmb_cell **now = vmb_xcalloc(nall + 1, sizeof(*now));
    size_t nnow = 0;
    for (size_t i = 0; i < nall; i++)
        if (in == NULL || in[i])
            now[nnow++] = &all[i];
    int rc = same_listed(prev, old, nold, now, nnow, kind, err);
    free(now);
    return rc;
}

int
vmb_resume_check_plan(const struct vmb_results *prev,
                      const struct vmb_matrix *m, const struct vmb_plan *p,
                      struct vmb_error **err)
{
    static const char *orders[] = {"interleaved", "sequential", "random"};
    if (!prev->has_plan)
        return changed(err, prev, "plan.json cannot be read");
    const char *order = orders[p->order];
    if (prev->name == NULL || strcmp(prev->name, m->name) != 0) {
        autofree char *what =
            vmb_xasprintf("name \"%s\" in the plan, \"%s\" in the matrix",
                          prev->name ? prev->name : "", m->name);
        return changed(err, prev, what);
    }
    if (prev->repetitions != m->base.top.repetitions) {
        autofree char *what = vmb_xasprintf(
            "repetitions %d in the plan, %" PRId64 " in the matrix",
            prev->repetitions, m->base.top.repetitions);
        return changed(err, prev, what);
    }
    if (prev->order == NULL || strcmp(prev->order, order) != 0) {
        autofree char *what =
            vmb_xasprintf("order \"%s\" in the plan, \"%s\" in the matrix",
                          prev->order ? prev->order : "", order);
        return changed(err, prev, what);
    }
    if (same_cells(prev, prev->cells, prev->plan_ncells, m->cells, m->ncells,
                   p->cell_in, "cell", err) < 0)
        return -1;
    return same_cells(prev, prev->controls, prev->plan_ncontrols, m->controls,
                      m->ncontrols, p->control_in, "control", err);
}
