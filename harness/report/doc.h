/*
 * The report document, private to report/: one description written once,
 * Markdown and HTML out. Each call appends the same piece of structure to
 * both buffers. Text arguments are plain text, escaped here for each
 * format (this is the only place that escapes for Markdown or HTML), so
 * user text (labels, names, error messages) shows as written and never
 * as markup.
 *
 * Structure calls come in pairs (begin/end) and nest as in HTML: a
 * paragraph, note or list item holds text calls; a table holds rows.
 */
#ifndef VMB_REPORT_DOC_H
#define VMB_REPORT_DOC_H

#include <stddef.h>

#include "base/error.h"
#include "base/util.h"

struct vmb_doc {
    struct vmb_buf md, html;
    const char *dir; /* the results directory, where plots/ is */
};

/*
 * Starts a document titled title, whose charts are under dir/plots (dir
 * is borrowed): the HTML head and style, and the title as a level-1
 * heading. vmb_doc_end closes the HTML.
 */
void vmb_doc_begin(struct vmb_doc *d, const char *dir, const char *title);
void vmb_doc_end(struct vmb_doc *d);

/* Writes the Markdown to md_path, then the HTML to html_path (atomic);
 * *nwritten (when not NULL) grows by one per file written. */
int vmb_doc_write(const struct vmb_doc *d, const char *md_path,
                  const char *html_path, size_t *nwritten,
                  struct vmb_error **err);
void vmb_doc_free(struct vmb_doc *d);

/* A heading of level 1 to 6. */
void vmb_doc_h(struct vmb_doc *d, int level, const char *text);

void vmb_doc_p_begin(struct vmb_doc *d);
void vmb_doc_p_end(struct vmb_doc *d);

/* Inline text: plain, printf-formatted, bold, code, a link to href. */
void vmb_doc_text(struct vmb_doc *d, const char *s);
void vmb_doc_textf(struct vmb_doc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vmb_doc_strong(struct vmb_doc *d, const char *s);
void vmb_doc_code(struct vmb_doc *d, const char *s);
void vmb_doc_link(struct vmb_doc *d, const char *text, const char *href);

/* A warning set apart from the text (a block quote). */
void vmb_doc_note_begin(struct vmb_doc *d);
void vmb_doc_note_end(struct vmb_doc *d);

/* A bulleted list of items. */
void vmb_doc_list_begin(struct vmb_doc *d);
void vmb_doc_item_begin(struct vmb_doc *d);
void vmb_doc_item_end(struct vmb_doc *d);
void vmb_doc_list_end(struct vmb_doc *d);

/* A table with n columns: the header row, then rows of n cells. */
void vmb_doc_table_begin(struct vmb_doc *d, const char *const *head, size_t n);
void vmb_doc_row(struct vmb_doc *d, const char *const *cells, size_t n);
void vmb_doc_table_end(struct vmb_doc *d);

/*
 * Chart plots/<base>: in Markdown the PNG with links to the SVG and the
 * gnuplot script; in HTML the SVG inline (read from dir/plots/<base>.svg)
 * with links to all three. title is the alt text. When error is not NULL
 * the chart is missing and a sentence says why instead. base is a file
 * name the report chose, not user text.
 */
void vmb_doc_chart(struct vmb_doc *d, const char *base, const char *title,
                   const char *error);

#endif
