#include "run/run_ignored.h"

#include <string.h>

static bool
known(const struct vmb_run_ignored *ig, const struct vmb_db_ignored *x)
{
    for (size_t i = 0; i < ig->n; i++)
        if (strcmp(ig->v[i].setting, x->setting) == 0 &&
            strcmp(ig->v[i].value, x->value) == 0)
            return true;
    return false;
}

void
vmb_run_ignored_add(struct vmb_run_ignored *ig, const struct vmb_cell *cell,
                    const char *settings, struct vmb_progress *prog)
{
    /* The control's nodes keep their data on the host's own filesystem. */
    int placement =
        cell->kind == VMB_CELL_VM ? vmb_config_placement(&cell->cfg) : -1;
    struct vmb_db_ignored *v = NULL;
    size_t n = vmb_db_ignored_settings(&cell->cfg, placement, settings, &v);
    for (size_t i = 0; i < n; i++) {
        if (known(ig, &v[i])) {
            free(v[i].value);
            continue;
        }
        vmb_progress_note(prog,
                          "vmbench: cell \"%s\": %s \"%s\" did not apply: %s.",
                          cell->label, v[i].setting, v[i].value, v[i].why);
        ig->v = vmb_xrealloc(ig->v, (ig->n + 1) * sizeof(*ig->v));
        ig->v[ig->n++] = v[i];
    }
    free(v);
}

struct vmb_result_ignored *
vmb_run_ignored_doc(const struct vmb_run_ignored *ig)
{
    struct vmb_result_ignored *d = vmb_xcalloc(ig->n ? ig->n : 1, sizeof(*d));
    for (size_t i = 0; i < ig->n; i++)
        d[i] = (struct vmb_result_ignored){ig->v[i].setting, ig->v[i].value,
                                           ig->v[i].why};
    return d;
}

void
vmb_run_ignored_clear(struct vmb_run_ignored *ig)
{
    vmb_db_ignored_free(ig->v, ig->n);
    ig->v = NULL;
    ig->n = 0;
}
