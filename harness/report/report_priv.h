/*
 * The parts vmb_report_write puts together, private to report/. Two kits
 * at the bottom: the chart kit (chart_kit.c: the chart list, drawing one,
 * titles and row labels) and the section kit (section_kit.c: numbers and
 * charts in the document). Above them the builders, which use a kit and
 * never each other: the charts (charts.c, charts_resources.c) and the
 * sections (sections.c, resources_section.c, tune_section.c), each listed
 * in a table in report.c; and summary.csv (summary_csv.c). Each reads the
 * model (model.h); the sections write through the document writer
 * (doc.h).
 */
#ifndef VMB_REPORT_PRIV_H
#define VMB_REPORT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/util.h"
#include "report/doc.h"
#include "report/model.h"

/* ---- chart_kit.c ---- */

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

/* The chart named base, or NULL when it was not listed. */
const struct vmb_chart *vmb_charts_find(const struct vmb_charts *cs,
                                        const char *base);
void vmb_charts_free(struct vmb_charts *cs);

/*
 * Lists a chart and draws it through gnuplot from the template tmpl into
 * plots/<base>.{png,svg,gp} when gnuplot is there; when it is not, or
 * drawing fails, the chart is listed with the reason (the first failure
 * is kept in cs->first_error). Notes from gnuplot go to warnings.
 */
struct vmb_plot;
void vmb_charts_add(struct vmb_charts *cs, struct vmb_plot *p, const char *tmpl,
                    const char *plots, const char *base, const char *title,
                    struct vmb_buf *warnings);
/* Lists a chart without data, with why; it is never drawn. */
void vmb_charts_add_left_out(struct vmb_charts *cs, const char *base,
                             const char *title, const char *why);
/* The title and subtitle (results name, accelerator, what) every chart
 * has. */
void vmb_charts_titles(struct vmb_plot *p, const struct vmb_model *m,
                       const char *title, const char *what);
/* The labels of the model's rows rows[0..n) under the x axis, one word a
 * line. */
void vmb_charts_row_labels(struct vmb_plot *p, const struct vmb_model *m,
                           const size_t *rows, size_t n);

/* ---- the chart builders, listed in report.c ----
 *
 * charts.c and charts_resources.c. Each lists its charts in cs and draws them
 * into plots (the directory plots/ of the results) as vmb_charts_add does;
 * notes go to warnings.
 */

/* The op rate of every cell relative to bare metal ("ratio"). */
void vmb_charts_ratio(struct vmb_charts *cs, const struct vmb_model *m,
                      const char *plots, struct vmb_buf *warnings);
/* Phase p's op rate, latency percentiles, HDR curves, time series and
 * capacity steps. */
void vmb_charts_phase(struct vmb_charts *cs, const struct vmb_model *m,
                      size_t p, const char *plots, struct vmb_buf *warnings);
/* The boot stages per storage backend ("boot"). */
void vmb_charts_boot(struct vmb_charts *cs, const struct vmb_model *m,
                     const char *plots, struct vmb_buf *warnings);
/*
 * The charts of "Where the time goes" for phase p: host CPU per op by
 * thread class (cpu-<phase>), and per row the op rate over time with the
 * disk's I/Os and the host CPU under it (resources-<phase>-<row>).
 */
void vmb_charts_resources(struct vmb_charts *cs, const struct vmb_model *m,
                          size_t p, const char *plots,
                          struct vmb_buf *warnings);

/*
 * The charts of runs with several tenants for phase p: the aggregate op
 * rate against tenants with the linear line from tenants: 1, every
 * family of otherwise equal cells and controls a curve
 * (scaling-<phase>), and each tenant's op rate in each row with several
 * (tenants-<phase>-<id>). Nothing when no row has several tenants.
 */
void vmb_charts_tenants(struct vmb_charts *cs, const struct vmb_model *m,
                        size_t p, const char *plots, struct vmb_buf *warnings);

/* ---- summary_csv.c ---- */

/* tenants_section.c: runs with several tenants (nothing without). */
void vmb_sections_tenants(struct vmb_doc *d, const struct vmb_model *m,
                          const struct vmb_charts *cs,
                          const struct vmb_buf *warnings);

/*
 * Writes dir/summary.csv (atomically, RFC 4180): a row per row of the
 * model, phase and metric with a value, then the boot stages of the VM
 * cells; every config option any cell has as a column.
 */
int vmb_summary_csv_write(const struct vmb_model *m, const char *dir,
                          struct vmb_error **err);

/* ---- section_kit.c ---- */

/* Three significant digits, no exponent for the sizes we meet; "–" for
 * no number. Caller frees. */
char *vmb_report_fmt3(double v);

/* Every chart of the report, in the order of report.c's table, into
 * dir/plots (nothing drawn when cs was made not to draw). */
void vmb_report_charts(struct vmb_charts *cs, const struct vmb_model *m,
                       const char *dir, struct vmb_buf *warnings);

/* Every section of the report into d, in the order of report.c's table. */
void vmb_report_sections(struct vmb_doc *d, const struct vmb_model *m,
                         const struct vmb_charts *cs,
                         const struct vmb_buf *warnings);

/* The chart base of cs in d, the reason it is missing, or (one line) why
 * it has no data; nothing when it was never listed. */
void vmb_report_chart(struct vmb_doc *d, const struct vmb_charts *cs,
                      const char *base);

/* ---- the section builders, listed in report.c ----
 *
 * Each appends its section to d, or nothing when the results have nothing
 * for it; warnings (lines, may be NULL) are the notes from reading the
 * results.
 */
/* The warning when the VMs ran under TCG */
void vmb_sections_tcg(struct vmb_doc *d, const struct vmb_model *m,
                      const struct vmb_charts *cs,
                      const struct vmb_buf *warnings);
/* The note when vhost-net was turned off */
void vmb_sections_placement(struct vmb_doc *d, const struct vmb_model *m,
                            const struct vmb_charts *cs,
                            const struct vmb_buf *warnings);
void vmb_sections_vhost(struct vmb_doc *d, const struct vmb_model *m,
                        const struct vmb_charts *cs,
                        const struct vmb_buf *warnings);
/* Each cell's op rate against bare metal */
void vmb_sections_ignored(struct vmb_doc *d, const struct vmb_model *m,
                          const struct vmb_charts *cs,
                          const struct vmb_buf *warnings);
void vmb_sections_headline(struct vmb_doc *d, const struct vmb_model *m,
                           const struct vmb_charts *cs,
                           const struct vmb_buf *warnings);
/* What ran */
void vmb_sections_what(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings);
/* The host */
void vmb_sections_host(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings);
/* The hosts of a merged directory (hosts_section.c) */
void vmb_sections_hosts(struct vmb_doc *d, const struct vmb_model *m,
                        const struct vmb_charts *cs,
                        const struct vmb_buf *warnings);
/* The boot stages */
void vmb_sections_boot(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings);
/* The flagged cells */
void vmb_sections_flags(struct vmb_doc *d, const struct vmb_model *m,
                        const struct vmb_charts *cs,
                        const struct vmb_buf *warnings);
/* The failed runs */
void vmb_sections_failures(struct vmb_doc *d, const struct vmb_model *m,
                           const struct vmb_charts *cs,
                           const struct vmb_buf *warnings);
/* The method */
void vmb_sections_method(struct vmb_doc *d, const struct vmb_model *m,
                         const struct vmb_charts *cs,
                         const struct vmb_buf *warnings);
/* Provenance, with warnings as notes */
void vmb_sections_provenance(struct vmb_doc *d, const struct vmb_model *m,
                             const struct vmb_charts *cs,
                             const struct vmb_buf *warnings);
/* "Where the time goes" (resources_section.c) */
void vmb_sections_resources(struct vmb_doc *d, const struct vmb_model *m,
                            const struct vmb_charts *cs,
                            const struct vmb_buf *warnings);
/* The tune, from tune.json (tune_section.c) */
void vmb_sections_tune(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings);

/* The results of phase p. */
void vmb_sections_phase(struct vmb_doc *d, const struct vmb_model *m, size_t p,
                        const struct vmb_charts *cs);

#endif
