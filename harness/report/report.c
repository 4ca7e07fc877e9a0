#include "report/report.h"

#include <stdlib.h>

#include "report/report_priv.h"

const char *const vmb_report_files[VMB_REPORT_NFILES] = {
    "summary.csv", "report.md", "report.html"};

static int
write_docs(const struct vmb_model *m, const struct vmb_charts *cs,
           const char *dir, const struct vmb_buf *warnings, size_t *written,
           struct vmb_error **err)
{
    struct vmb_doc d;
    autofree char *title = vmb_xasprintf("vmbench report: %s", m->res->name);
    vmb_doc_begin(&d, dir, title);
    vmb_sections_write(&d, m, cs, warnings);
    vmb_tune_section(&d, dir);
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
    vmb_charts_draw(&cs, &m, res->dir, &notes);

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
