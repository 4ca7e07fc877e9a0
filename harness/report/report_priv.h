/*
 * The parts vmb_report_write puts together, private to report/: the
 * charts (charts.c), summary.csv (summary_csv.c) and the sections of
 * report.md and report.html (sections.c). Each reads the model
 * (model.h); the sections write through the document writer (doc.h).
 */
#ifndef VMB_REPORT_PRIV_H
#define VMB_REPORT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/util.h"
#include "report/doc.h"
#include "report/model.h"

/* ---- charts.c ---- */

struct vmb_chart {
    char *base;     /* "oprate-0-write": plots/<base>.{png,svg,gp} */
    char *title;    /* alt text and heading */
    char *error;    /* why drawing it failed, or NULL */
    char *left_out; /* why it has no data and was not drawn, or NULL */
};

struct vmb_charts {
    struct vmb_chart *c;
    size_t n;
    char *gnuplot;                 /* NULL: charts not drawn */
    char *skip_reason;             /* why none were drawn */
    struct vmb_error *first_error; /* of the first chart that failed */
};

/*
 * Prepares cs (zeroed here): when draw, finds gnuplot; when not, or when
 * gnuplot is missing, every chart will be missing, and first_error says
 * why in the second case.
 */
void vmb_charts_init(struct vmb_charts *cs, bool draw);

/*
 * Draws every chart of the model into dir/plots (created; refused when it
 * is a symlink or anything but a directory) and lists them in cs: a
 * chart without data is left out (left_out says why, and it is no
 * failure); one that could not be drawn has the reason in error (the
 * first failure is kept in cs->first_error). Notes worth a user's
 * attention (unreadable files, gnuplot warnings) are appended to
 * warnings, one line each.
 */
void vmb_charts_draw(struct vmb_charts *cs, const struct vmb_model *m,
                     const char *dir, struct vmb_buf *warnings);

/* The chart named base, or NULL when it was not listed. */
const struct vmb_chart *vmb_charts_find(const struct vmb_charts *cs,
                                        const char *base);
void vmb_charts_free(struct vmb_charts *cs);

/* For charts drawn in other files (charts_time.c): list and draw a chart
 * as vmb_charts_draw does, list one left out, set the title and subtitle
 * every chart has, and the rows' labels under the x axis. */
struct vmb_plot;
void vmb_charts_add(struct vmb_charts *cs, struct vmb_plot *p, const char *tmpl,
                    const char *plots, const char *base, const char *title,
                    struct vmb_buf *warnings);
void vmb_charts_add_left_out(struct vmb_charts *cs, const char *base,
                             const char *title, const char *why);
void vmb_charts_titles(struct vmb_plot *p, const struct vmb_model *m,
                       const char *title, const char *what);
void vmb_charts_row_labels(struct vmb_plot *p, const struct vmb_model *m,
                           const size_t *rows, size_t n);

/* ---- charts_time.c ---- */

/*
 * The charts of "Where the time goes": per phase, host CPU per op by
 * thread class (cpu-<phase>), and per row the op rate over time with the
 * disk's I/Os and the host CPU under it (resources-<phase>-<row>).
 */
void vmb_charts_time(struct vmb_charts *cs, const struct vmb_model *m,
                     const char *plots, struct vmb_buf *warnings);

/* ---- time_section.c ---- */

/* The section "Where the time goes"; nothing when no run measured it. */
void vmb_time_section(struct vmb_doc *d, const struct vmb_model *m,
                      const struct vmb_charts *cs);

/* ---- summary_csv.c ---- */

/*
 * Writes dir/summary.csv (atomically, RFC 4180): a row per row of the
 * model, phase and metric with a value, then the boot stages of the VM
 * cells; every config option any cell has as a column.
 */
int vmb_summary_csv_write(const struct vmb_model *m, const char *dir,
                          struct vmb_error **err);

/* ---- sections.c ---- */

/* Three significant digits, no exponent for the sizes we meet; "–" for
 * no number. Caller frees. */
char *vmb_report_fmt3(double v);

/* The chart base of cs in d, the reason it is missing, or (one line) why
 * it has no data; nothing when it was never listed. */
void vmb_report_chart(struct vmb_doc *d, const struct vmb_charts *cs,
                      const char *base);

/*
 * Appends every section of the report to d, in order, after the title:
 * the TCG warning, headline, what ran, host, per-phase results, boot,
 * flags, failed runs, method, and provenance with warnings (lines, may
 * be NULL) as notes.
 */
void vmb_sections_write(struct vmb_doc *d, const struct vmb_model *m,
                        const struct vmb_charts *cs,
                        const struct vmb_buf *warnings);

/* ---- tune_section.c ---- */

/* Appends the tune's section (tune.json) to d; nothing when not a tune. */
void vmb_tune_section(struct vmb_doc *d, const char *dir);

#endif
