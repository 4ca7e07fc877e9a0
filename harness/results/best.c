/* The best cell of a results directory by one metric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/util.h"
#include "results/metric.h"

size_t
vmb_results_max_reps(const struct vmb_results *r)
{
    size_t n = 1;
    for (size_t i = 0; i < r->ncells; i++)
        n = r->cells[i].nreps > n ? r->cells[i].nreps : n;
    for (size_t i = 0; i < r->ncontrols; i++)
        n = r->controls[i].nreps > n ? r->controls[i].nreps : n;
    return n;
}

/* ---- the best cell by one metric ---- */

/* The phase spec names: a phase name, or an op that names exactly one. */
static int
resolve_phase(const struct vmb_results *r, const char *phase, char **name,
              struct vmb_error **err)
{
    autofree char *found = NULL;
    for (size_t i = 0; i < r->ncells && found == NULL; i++)
        for (size_t k = 0; k < r->cells[i].nreps && found == NULL; k++)
            for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                const struct vmb_res_phase *ph = &r->cells[i].reps[k].phases[p];
                if (strcmp(ph->name, phase) == 0) {
                    found = vmb_xstrdup(ph->name);
                    break;
                }
            }
    if (found == NULL) {
        for (size_t i = 0; i < r->ncells; i++)
            for (size_t k = 0; k < r->cells[i].nreps; k++)
                for (size_t p = 0; p < r->cells[i].reps[k].nphases; p++) {
                    const struct vmb_res_phase *ph =
                        &r->cells[i].reps[k].phases[p];
                    if (strcmp(ph->op, phase) != 0)
                        continue;
                    if (found != NULL && strcmp(found, ph->name) != 0)
                        return vmb_error_set(
                            err, VMB_ERR_INPUT, 0,
                            "phase \"%s\" is ambiguous: \"%s\" and \"%s\"; "
                            "name it by index",
                            phase, found, ph->name);
                    if (found == NULL)
                        found = vmb_xstrdup(ph->name);
                }
    }
    if (found == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no phase \"%s\" in the results", phase);
    *name = steal(&found);
    return 0;
}

int
vmb_results_best_cell(const struct vmb_results *r, const char *spec,
                      const struct vmb_res_cell **best, double *median,
                      struct vmb_error **err)
{
    const char *dot = strchr(spec, '.');
    if (dot == NULL || dot == spec)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "metric \"%s\" is not PHASE.METRIC, e.g. "
                             "\"write.op_rate\" or \"read.p99\"",
                             spec);
    autofree char *phase = vmb_xstrndup(spec, (size_t)(dot - spec));
    const char *metric = dot + 1;
    const struct vmb_metric *m = NULL;
    if (vmb_metric_lookup(metric, VMB_IN_PHASES, &m, err) < 0)
        return -1;
    int mid = vmb_metric_index(m);
    autofree char *name = NULL;
    if (resolve_phase(r, phase, &name, err) < 0)
        return -1;
    bool higher = m->higher_better;
    size_t cap = vmb_results_max_reps(r);
    autofree double *v = vmb_xcalloc(cap, sizeof(*v));
    *best = NULL;
    for (size_t i = 0; i < r->ncells; i++) {
        size_t n = vmb_metric_values(&r->cells[i], name, mid, v, cap);
        if (n == 0)
            continue;
        double med = vmb_stats_median(v, n);
        if (*best == NULL || (higher ? med > *median : med < *median)) {
            *best = &r->cells[i];
            *median = med;
        }
    }
    if (*best == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no cell has a value of \"%s\"", spec);
    return 0;
}
