/*
 * The section kit: what the sections of report.md and report.html share
 * (numbers as the report writes them, a chart or why it is missing). The
 * section builders (sections.c, resources_section.c, tune_section.c) use it;
 * report.c lists them.
 */
#include <math.h>

#include "report/report_priv.h"

/* ---- number formatting ---- */

char *
vmb_report_fmt3(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("–");
    double a = fabs(v);
    if (a >= 100)
        return vmb_xasprintf("%.0f", v);
    if (a >= 10)
        return vmb_xasprintf("%.1f", v);
    if (a >= 1)
        return vmb_xasprintf("%.2f", v);
    return vmb_xasprintf("%.3g", v);
}

/*
 * The chart, why it is missing, or (one line) why it has no data;
 * nothing when it was never listed.
 */
void
vmb_report_chart(struct vmb_doc *d, const struct vmb_charts *cs,
                 const char *base)
{
    const struct vmb_chart *c = vmb_charts_find(cs, base);
    if (c == NULL)
        return;
    if (c->left_out == NULL) {
        vmb_doc_chart(d, c->base, c->title, c->error);
        return;
    }
    vmb_doc_p_begin(d);
    vmb_doc_textf(d, "Chart \"%s\" is left out: %s.", c->title, c->left_out);
    vmb_doc_p_end(d);
}
