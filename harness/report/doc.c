#include "report/doc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- escaping: the only place text becomes Markdown or HTML ---- */

/* Control characters (line breaks too) are no text: each becomes a space. */
static bool
is_control(char c)
{
    return (unsigned char)c < 0x20 || c == 0x7f;
}

static void
md_escape(struct vmb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        /* "]" alone makes no link: leaving it keeps "[lo, hi]" readable. */
        if (strchr("\\`*_[<>|~#&", *s) != NULL) {
            vmb_buf_puts(b, "\\");
            vmb_buf_append(b, s, 1);
        } else if (is_control(*s)) {
            vmb_buf_puts(b, " ");
        } else {
            vmb_buf_append(b, s, 1);
        }
    }
}

/*
 * A relative URL for a Markdown link destination: anything but letters,
 * digits and "-_./" percent-encoded, so no parenthesis, space or angle
 * bracket ends it early.
 */
static void
md_url(struct vmb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-_./", c) != NULL)
            vmb_buf_append(b, s, 1);
        else
            vmb_buf_printf(b, "%%%02X", c);
    }
}

/* ---- the document ---- */

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "\n<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:.92em}\n"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}\nth{background:#f3f3f3}\n"
    "figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}\n"
    "figcaption{font-size:.85em;color:#555}\n"
    "blockquote.warn{border-left:6px solid #d55e00;background:#fff4ec;"
    "margin:1em 0;padding:.5em 1em}\n"
    "code{background:#f3f3f3;padding:0 .2em}\n"
    "</style>\n</head>\n<body>\n";

void
vmb_doc_begin(struct vmb_doc *d, const char *dir, const char *title)
{
    memset(d, 0, sizeof(*d));
    d->dir = dir;
    vmb_buf_puts(&d->html, html_head);
    vmb_buf_markup(&d->html, title);
    vmb_buf_puts(&d->html, html_style);
    vmb_doc_h(d, 1, title);
}

void
vmb_doc_end(struct vmb_doc *d)
{
    vmb_buf_puts(&d->html, "</body>\n</html>\n");
}

int
vmb_doc_write(const struct vmb_doc *d, const char *md_path,
              const char *html_path, size_t *nwritten, struct vmb_error **err)
{
    size_t n = 0;
    int rc = vmb_write_file_atomic(md_path, d->md.data, d->md.len, err);
    if (rc == 0) {
        n++;
        rc = vmb_write_file_atomic(html_path, d->html.data, d->html.len, err);
        n += rc == 0;
    }
    if (nwritten != NULL)
        *nwritten += n;
    return rc;
}

void
vmb_doc_free(struct vmb_doc *d)
{
    vmb_buf_free(&d->md);
    vmb_buf_free(&d->html);
}

/* Appends the markdown and the HTML form of one piece of structure. */
static void
doc_raw(struct vmb_doc *d, const char *md, const char *html)
{
    vmb_buf_puts(&d->md, md);
    vmb_buf_puts(&d->html, html);
}

void
vmb_doc_h(struct vmb_doc *d, int level, const char *text)
{
    for (int i = 0; i < level; i++)
        vmb_buf_puts(&d->md, "#");
    vmb_buf_puts(&d->md, " ");
    md_escape(&d->md, text);
    vmb_buf_puts(&d->md, "\n\n");
    vmb_buf_printf(&d->html, "<h%d>", level);
    vmb_buf_markup(&d->html, text);
    vmb_buf_printf(&d->html, "</h%d>\n", level);
}

void
vmb_doc_p_begin(struct vmb_doc *d)
{
    doc_raw(d, "", "<p>");
}

void
vmb_doc_p_end(struct vmb_doc *d)
{
    doc_raw(d, "\n\n", "</p>\n");
}

void
vmb_doc_text(struct vmb_doc *d, const char *s)
{
    md_escape(&d->md, s);
    vmb_buf_markup(&d->html, s);
}

void
vmb_doc_textf(struct vmb_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *s = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    vmb_doc_text(d, s);
}

void
vmb_doc_strong(struct vmb_doc *d, const char *s)
{
    vmb_buf_puts(&d->md, "**");
    md_escape(&d->md, s);
    vmb_buf_puts(&d->md, "**");
    vmb_buf_puts(&d->html, "<strong>");
    vmb_buf_markup(&d->html, s);
    vmb_buf_puts(&d->html, "</strong>");
}

void
vmb_doc_code(struct vmb_doc *d, const char *s)
{
    /* A code span can hold anything but its own fence: pick a longer one. */
    size_t run = 0, longest = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    for (size_t i = 0; i <= longest; i++)
        vmb_buf_puts(&d->md, "`");
    vmb_buf_puts(&d->md, " ");
    for (const char *p = s; *p; p++)
        vmb_buf_append(&d->md, is_control(*p) ? " " : p, 1);
    vmb_buf_puts(&d->md, " ");
    for (size_t i = 0; i <= longest; i++)
        vmb_buf_puts(&d->md, "`");
    vmb_buf_puts(&d->html, "<code>");
    vmb_buf_markup(&d->html, s);
    vmb_buf_puts(&d->html, "</code>");
}

void
vmb_doc_link(struct vmb_doc *d, const char *text, const char *href)
{
    vmb_buf_puts(&d->md, "[");
    md_escape(&d->md, text);
    vmb_buf_puts(&d->md, "](");
    md_url(&d->md, href);
    vmb_buf_puts(&d->md, ")");
    vmb_buf_puts(&d->html, "<a href=\"");
    vmb_buf_markup(&d->html, href);
    vmb_buf_puts(&d->html, "\">");
    vmb_buf_markup(&d->html, text);
    vmb_buf_puts(&d->html, "</a>");
}

void
vmb_doc_note_begin(struct vmb_doc *d)
{
    doc_raw(d, "> ", "<blockquote class=\"warn\"><p>");
}

void
vmb_doc_note_end(struct vmb_doc *d)
{
    doc_raw(d, "\n\n", "</p></blockquote>\n");
}

void
vmb_doc_list_begin(struct vmb_doc *d)
{
    doc_raw(d, "", "<ul>\n");
}

void
vmb_doc_item_begin(struct vmb_doc *d)
{
    doc_raw(d, "- ", "<li>");
}

void
vmb_doc_item_end(struct vmb_doc *d)
{
    doc_raw(d, "\n", "</li>\n");
}

void
vmb_doc_list_end(struct vmb_doc *d)
{
    doc_raw(d, "\n", "</ul>\n");
}

void
vmb_doc_table_begin(struct vmb_doc *d, const char *const *head, size_t n)
{
    vmb_buf_puts(&d->md, "|");
    vmb_buf_puts(&d->html, "<table>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        vmb_buf_puts(&d->md, " ");
        md_escape(&d->md, head[i]);
        vmb_buf_puts(&d->md, " |");
        vmb_buf_puts(&d->html, "<th>");
        vmb_buf_markup(&d->html, head[i]);
        vmb_buf_puts(&d->html, "</th>");
    }
    vmb_buf_puts(&d->md, "\n|");
    for (size_t i = 0; i < n; i++)
        vmb_buf_puts(&d->md, " --- |");
    vmb_buf_puts(&d->md, "\n");
    vmb_buf_puts(&d->html, "</tr></thead>\n<tbody>\n");
}

void
vmb_doc_row(struct vmb_doc *d, const char *const *cells, size_t n)
{
    vmb_buf_puts(&d->md, "|");
    vmb_buf_puts(&d->html, "<tr>");
    for (size_t i = 0; i < n; i++) {
        vmb_buf_puts(&d->md, " ");
        md_escape(&d->md, cells[i]);
        vmb_buf_puts(&d->md, " |");
        vmb_buf_puts(&d->html, "<td>");
        vmb_buf_markup(&d->html, cells[i]);
        vmb_buf_puts(&d->html, "</td>");
    }
    vmb_buf_puts(&d->md, "\n");
    vmb_buf_puts(&d->html, "</tr>\n");
}

void
vmb_doc_table_end(struct vmb_doc *d)
{
    doc_raw(d, "\n", "</tbody>\n</table>\n");
}

/*
 * Inline SVG: the document from its <svg> element on. Only a regular
 * file is read: the chart was just renamed into place by the report.
 */
static void
html_svg(struct vmb_doc *d, const char *base)
{
    autofree char *path = vmb_xasprintf("%s/plots/%s.svg", d->dir, base);
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    autofree char *text = NULL;
    size_t len;
    if (vmb_read_file(path, &text, &len, NULL) < 0)
        return;
    const char *svg = strstr(text, "<svg");
    if (svg == NULL)
        return;
    vmb_buf_puts(&d->html, svg);
}

/* plots/<base>.<ext> as a link destination, in Markdown or HTML alike. */
static void
chart_href(struct vmb_buf *b, const char *base, const char *ext)
{
    autofree char *href = vmb_xasprintf("plots/%s.%s", base, ext);
    md_url(b, href);
}

void
vmb_doc_chart(struct vmb_doc *d, const char *base, const char *title,
              const char *error)
{
    if (error != NULL) {
        autofree char *msg =
            vmb_xasprintf("Chart \"%s\" is missing: %s.", title, error);
        vmb_doc_p_begin(d);
        vmb_doc_text(d, msg);
        vmb_doc_p_end(d);
        return;
    }
    vmb_buf_puts(&d->md, "![");
    md_escape(&d->md, title);
    vmb_buf_puts(&d->md, "](");
    chart_href(&d->md, base, "png");
    vmb_buf_puts(&d->md, ")\n\n[SVG](");
    chart_href(&d->md, base, "svg");
    vmb_buf_puts(&d->md, ") · [gnuplot script](");
    chart_href(&d->md, base, "gp");
    vmb_buf_puts(&d->md, ")\n\n");
    vmb_buf_puts(&d->html, "<figure>\n");
    html_svg(d, base);
    static const char *const links[][2] = {
        {"png", "PNG"}, {"svg", "SVG"}, {"gp", "gnuplot script"}};
    vmb_buf_puts(&d->html, "\n<figcaption>");
    for (size_t i = 0; i < 3; i++) {
        vmb_buf_puts(&d->html, i ? " · <a href=\"" : "<a href=\"");
        chart_href(&d->html, base, links[i][0]);
        vmb_buf_printf(&d->html, "\">%s</a>", links[i][1]);
    }
    vmb_buf_puts(&d->html, "</figcaption>\n</figure>\n");
}
