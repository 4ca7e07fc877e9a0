/*
 * The report's section on a tune: when and why each cell left the race,
 * and the runs it took against the full factorial (from tune.json).
 */
#include <math.h>
#include <stdio.h>

#include "analysis/race.h"
#include "report/doc.h"
#include "report/report_priv.h"
#include "results/tune.h"

static char *
num(double v)
{
    return isnan(v) ? vmb_xstrdup("–") : vmb_xasprintf("%.4g", v);
}

void
vmb_sections_tune(struct vmb_doc *d, const struct vmb_model *m,
                  const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const char *dir = m->res->dir;
    struct vmb_tune_history h = {0};
    struct vmb_error *err = NULL;
    int rc = vmb_tune_history_read(dir, &h, &err);
    if (rc == 1)
        return;
    vmb_doc_h(d, 2, "Tune");
    vmb_doc_p_begin(d);
    if (rc < 0) {
        vmb_doc_textf(d, "tune.json could not be read: %s", err->msg);
        vmb_doc_p_end(d);
        vmb_error_free(err);
        return;
    }
    vmb_doc_textf(d,
                  "A race on %s%s%s: %.0f runs against %.0f for the full "
                  "factorial; stopped: %s; winner: %s. A cell left the race "
                  "when its 95%% interval of the median lay entirely on the "
                  "worse side of the best's (interval), its bootstrap "
                  "probability of being the best was under 5%% "
                  "(probability), its limit metric's interval was over the "
                  "limit (limit), or it had no successful run (no-data).",
                  h.objective ? h.objective : "?", h.limit ? " with " : "",
                  h.limit ? h.limit : "", h.runs, h.factorial_runs,
                  h.stopped ? h.stopped : "not finished",
                  h.winner ? h.winner : "none");
    vmb_doc_p_end(d);
    static const char *const head[] = {"Round",    "Repetitions", "Cell",
                                       "Status",   "n",           "Median",
                                       "Interval", "P(best)"};
    vmb_doc_table_begin(d, head, 8);
    for (size_t i = 0; i < h.nsteps; i++) {
        const struct vmb_tune_step *s = &h.steps[i];
        autofree char *round = vmb_xasprintf("%lld", (long long)s->round);
        autofree char *reps = vmb_xasprintf("%lld", (long long)s->repetitions);
        autofree char *status = s->why
                                    ? vmb_xasprintf("dropped (%s)", s->why)
                                    : vmb_xstrdup(s->status ? s->status : "?");
        autofree char *n = num(s->n);
        autofree char *med = num(s->median);
        autofree char *lo = num(s->lo);
        autofree char *hi = num(s->hi);
        autofree char *ci = vmb_xasprintf("[%s, %s]", lo, hi);
        autofree char *p = num(s->p_best);
        const char *row[] = {
            round, reps, s->label ? s->label : "?", status, n, med, ci, p};
        vmb_doc_row(d, row, 8);
    }
    vmb_doc_table_end(d);
    vmb_tune_history_clear(&h);
}
