/*
 * The chart kit: the list of charts a report has, drawing one through
 * gnuplot or listing it as left out, and the titles and row labels every
 * chart shares. The builders (charts.c, charts_resources.c) use it; report.c
 * lists the builders.
 */
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "report/report_priv.h"

/* ---- the chart list ---- */

void
vmb_charts_init(struct vmb_charts *cs, bool draw)
{
    memset(cs, 0, sizeof(*cs));
    if (!draw) {
        cs->skip_reason = vmb_xstrdup("charts were turned off (--no-charts)");
        return;
    }
    struct vmb_error *err = NULL;
    if (vmb_plot_find_gnuplot(&cs->gnuplot, &err) < 0) {
        cs->skip_reason = vmb_xstrdup(err->msg);
        cs->first_error = err;
    }
}

const struct vmb_chart *
vmb_charts_find(const struct vmb_charts *cs, const char *base)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->c[i].base, base) == 0)
            return &cs->c[i];
    return NULL;
}

void
vmb_charts_free(struct vmb_charts *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->c[i].base);
        free(cs->c[i].title);
        free(cs->c[i].error);
        free(cs->c[i].left_out);
    }
    free(cs->c);
    free(cs->gnuplot);
    free(cs->skip_reason);
    vmb_error_free(cs->first_error);
}

static struct vmb_chart *
chart_add(struct vmb_charts *cs, const char *base, const char *title)
{
    cs->c = vmb_xrealloc(cs->c, (cs->n + 1) * sizeof(*cs->c));
    struct vmb_chart *c = &cs->c[cs->n++];
    memset(c, 0, sizeof(*c));
    c->base = vmb_xstrdup(base);
    c->title = vmb_xstrdup(title);
    return c;
}

void
vmb_charts_add_left_out(struct vmb_charts *cs, const char *base,
                        const char *title, const char *why)
{
    chart_add(cs, base, title)->left_out = vmb_xstrdup(why);
}

void
vmb_charts_add(struct vmb_charts *cs, struct vmb_plot *p, const char *tmpl,
               const char *plots, const char *base, const char *title,
               struct vmb_buf *warnings)
{
    struct vmb_chart *c = chart_add(cs, base, title);
    if (cs->gnuplot == NULL) {
        c->error = vmb_xstrdup(cs->skip_reason ? cs->skip_reason
                                               : "charts were not drawn");
        return;
    }
    struct vmb_error *err = NULL;
    if (vmb_plot_render(p, cs->gnuplot, tmpl, plots, base, warnings, &err) <
        0) {
        c->error = vmb_xstrdup(err->msg);
        if (cs->first_error == NULL)
            cs->first_error = err;
        else
            vmb_error_free(err);
    }
}

/* ---- what every chart shares ---- */

/*
 * Labels of the rows, one word per line, so long labels stay narrow;
 * the line type of each (the single control dashed, cells by index).
 */
void
vmb_charts_row_labels(struct vmb_plot *p, const struct vmb_model *m,
                      const size_t *rows, size_t n)
{
    char **t = vmb_xcalloc(n ? n : 1, sizeof(*t));
    for (size_t k = 0; k < n; k++) {
        t[k] = vmb_xstrdup(vmb_model_label(m, rows[k]));
        for (char *s = t[k]; *s; s++)
            if (*s == ' ')
                *s = '\n';
    }
    vmb_plot_axis_labels(p, "labels", (const char *const *)t, n);
    for (size_t k = 0; k < n; k++)
        free(t[k]);
    free(t);
}

static char *
subtitle(const struct vmb_model *m, const char *what)
{
    const char *accel = m->accel ? m->accel : "unknown";
    if (m->tcg)
        return vmb_xasprintf("%s · VMs under TCG (software emulation, no "
                             "KVM)\n%s",
                             m->res->name, what);
    return vmb_xasprintf("%s · accelerator %s\n%s", m->res->name, accel, what);
}

void
vmb_charts_titles(struct vmb_plot *p, const struct vmb_model *m,
                  const char *title, const char *what)
{
    autofree char *sub = subtitle(m, what);
    vmb_plot_str(p, "chart_title", title);
    vmb_plot_str(p, "chart_subtitle", sub);
}
