#include "report/report.h"

#include <stdlib.h>

#include "report/plot.h"
#include "report/report_priv.h"

const char *const vmb_report_files[VMB_REPORT_NFILES] = {
    "summary.csv", "report.md", "report.html"};

/*
 * The charts, in the order they are listed: a builder for the whole
 * report (draw) or one called for each phase in turn (draw_phase).
 */
static const struct chart_builder {
    /* cppcheck-suppress unusedStructMember ; names the row for a reader */
    const char *name;
    void (*draw)(struct vmb_charts *cs, const struct vmb_model *m,
                 const char *plots, struct vmb_buf *warnings);
    void (*draw_phase)(struct vmb_charts *cs, const struct vmb_model *m,
                       size_t p, const char *plots, struct vmb_buf *warnings);
} chart_builders[] = {
    {.name = "ratio", .draw = vmb_charts_ratio},
    {.name = "phase", .draw_phase = vmb_charts_phase},
    {.name = "boot", .draw = vmb_charts_boot},
    {.name = "resources", .draw_phase = vmb_charts_resources},
    {.name = "tenants", .draw_phase = vmb_charts_tenants},
};

/*
 * The sections of report.md and report.html, in order after the title: a
 * builder for the whole report (write) or one called for each phase in
 * turn (write_phase).
 */
static const struct section_builder {
    /* cppcheck-suppress unusedStructMember ; names the row for a reader */
    const char *name;
    void (*write)(struct vmb_doc *d, const struct vmb_model *m,
                  const struct vmb_charts *cs, const struct vmb_buf *warnings);
    void (*write_phase)(struct vmb_doc *d, const struct vmb_model *m, size_t p,
                        const struct vmb_charts *cs);
} section_builders[] = {
    {.name = "tcg", .write = vmb_sections_tcg},
    {.name = "vhost", .write = vmb_sections_vhost},
    {.name = "ignored", .write = vmb_sections_ignored},
    {.name = "placement", .write = vmb_sections_placement},
    {.name = "headline", .write = vmb_sections_headline},
    {.name = "what", .write = vmb_sections_what},
    {.name = "host", .write = vmb_sections_host},
    {.name = "hosts", .write = vmb_sections_hosts},
    {.name = "phase", .write_phase = vmb_sections_phase},
    {.name = "resources", .write = vmb_sections_resources},
    {.name = "tenants", .write = vmb_sections_tenants},
    {.name = "boot", .write = vmb_sections_boot},
    {.name = "flags", .write = vmb_sections_flags},
    {.name = "failures", .write = vmb_sections_failures},
    {.name = "method", .write = vmb_sections_method},
    {.name = "provenance", .write = vmb_sections_provenance},
    {.name = "tune", .write = vmb_sections_tune},
};

/*
 * Draws every chart of the model into dir/plots (created; refused when it
 * is a symlink or anything but a directory) and lists them in cs: a
 * chart without data is left out (left_out says why, and it is no
 * failure); one that could not be drawn has the reason in error (the
 * first failure is kept in cs->first_error). Notes worth a user's
 * attention (unreadable files, gnuplot warnings) are appended to
 * warnings, one line each.
 */
void
vmb_report_charts(struct vmb_charts *cs, const struct vmb_model *m,
                  const char *dir, struct vmb_buf *warnings)
{
    autofree char *plots = vmb_xasprintf("%s/plots", dir);
    struct vmb_error *err = NULL;
    if (cs->gnuplot != NULL && vmb_plot_dir(plots, &err) < 0) {
        cs->skip_reason = vmb_xstrdup(err->msg);
        cs->first_error = err;
        free(cs->gnuplot);
        cs->gnuplot = NULL;
    }
    for (size_t i = 0; i < VMB_NELEMS(chart_builders); i++) {
        const struct chart_builder *b = &chart_builders[i];
        if (b->draw != NULL)
            b->draw(cs, m, plots, warnings);
        for (size_t p = 0; b->draw_phase != NULL && p < m->nphases; p++)
            b->draw_phase(cs, m, p, plots, warnings);
    }
}

void
vmb_report_sections(struct vmb_doc *d, const struct vmb_model *m,
                    const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    for (size_t i = 0; i < VMB_NELEMS(section_builders); i++) {
        const struct section_builder *b = &section_builders[i];
        if (b->write != NULL)
            b->write(d, m, cs, warnings);
        for (size_t p = 0; b->write_phase != NULL && p < m->nphases; p++)
            b->write_phase(d, m, p, cs);
    }
}

static int
write_docs(const struct vmb_model *m, const struct vmb_charts *cs,
           const char *dir, const struct vmb_buf *warnings, size_t *written,
           struct vmb_error **err)
{
    struct vmb_doc d;
    autofree char *title = vmb_xasprintf("vmbench report: %s", m->res->name);
    vmb_doc_begin(&d, dir, title);
    vmb_report_sections(&d, m, cs, warnings);
    vmb_doc_end(&d);
    autofree char *md = vmb_xasprintf("%s/%s", dir, vmb_report_files[1]);
    autofree char *html = vmb_xasprintf("%s/%s", dir, vmb_report_files[2]);
    int rc = vmb_doc_write(&d, md, html, written, err);
    vmb_doc_free(&d);
    return rc;
}

int
vmb_report_write(const char *dir, const struct vmb_report_opts *opts,
                 struct vmb_buf *warnings, struct vmb_error **err)
{
    size_t written = 0;
    if (opts != NULL && opts->written != NULL)
        *opts->written = 0;
    struct vmb_results *res = NULL;
    if (vmb_results_load(dir, &res, err) < 0)
        return -1;
    struct vmb_buf notes = {0};
    for (size_t i = 0; i < res->nwarnings; i++)
        vmb_buf_printf(&notes, "%s\n", res->warnings[i]);
    struct vmb_model m;
    vmb_model_build(&m, res);

    struct vmb_charts cs;
    vmb_charts_init(&cs, opts == NULL || opts->charts);
    vmb_report_charts(&cs, &m, res->dir, &notes);

    int rc = vmb_summary_csv_write(&m, res->dir, err);
    if (rc == 0) {
        written = 1;
        rc = write_docs(&m, &cs, res->dir, &notes, &written, err);
    }
    if (opts != NULL && opts->written != NULL)
        *opts->written = written;
    if (rc == 0 && cs.first_error != NULL) {
        struct vmb_error *e = steal(&cs.first_error);
        vmb_error_prefix(&e, "summary.csv, report.md and report.html were "
                             "written without charts");
        if (err != NULL)
            *err = e;
        else
            vmb_error_free(e);
        rc = -1;
    }
    if (warnings != NULL && notes.len > 0)
        vmb_buf_append(warnings, notes.data, notes.len);
    vmb_buf_free(&notes);
    vmb_charts_free(&cs);
    vmb_model_free(&m);
    vmb_results_free(res);
    return rc;
}
