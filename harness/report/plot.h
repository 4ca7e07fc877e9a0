/*
 * Charts through gnuplot (the only module that speaks to it).
 *
 * A chart is a template from plots/ (plots/<template>.gp, after
 * plots/common.gp) plus what the caller gives it: variables, string
 * arrays and inline data blocks. User text (cell labels, the run's name)
 * only ever reaches gnuplot as a quoted string literal built by
 * vmb_plot_quote, so quotes, backslashes, newlines, backquotes or
 * `system(...)` in a name show as text and run nothing. Data blocks hold
 * numbers only.
 *
 * vmb_plot_render pipes the script to one gnuplot process per chart, which
 * writes <outdir>/<base>.png (pngcairo) and <outdir>/<base>.svg; the
 * script itself is kept as <outdir>/<base>.gp so a chart can be restyled
 * and redrawn with `gnuplot <base>.gp` from that directory.
 */
#ifndef VMB_PLOT_H
#define VMB_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/util.h"

/* Chart size in pixels (PNG) and points (SVG): reads well at blog width. */
#define VMB_PLOT_WIDTH 1000
#define VMB_PLOT_HEIGHT 600

struct vmb_plot {
    struct vmb_buf vars; /* assignments */
    struct vmb_buf data; /* $name << EOD ... EOD */
    int in_block;
    size_t block_rows, block_cols; /* of the block being written */
    uint64_t block_seen;           /* its columns with a number */
    char *bad;         /* why the data must not reach gnuplot, or NULL */
    int width, height; /* pixels; 0: VMB_PLOT_WIDTH, VMB_PLOT_HEIGHT */
};

void vmb_plot_init(struct vmb_plot *p);
void vmb_plot_free(struct vmb_plot *p);

/*
 * Sets a gnuplot variable. var must be a plain identifier chosen by the
 * caller (it is not escaped); text may be anything.
 */
void vmb_plot_str(struct vmb_plot *p, const char *var, const char *text);
void vmb_plot_num(struct vmb_plot *p, const char *var, double v);
/* An array var[1..n] of strings (gnuplot arrays are 1-based). */
void vmb_plot_strs(struct vmb_plot *p, const char *var,
                   const char *const *texts, size_t n);
/* An array var[1..n] of numbers. */
void vmb_plot_nums(struct vmb_plot *p, const char *var, const double *v,
                   size_t n);

/*
 * The same for labels under the x axis, and <var>_lines, the most lines
 * any of them has (for the bottom margin). Templates place them with
 * `set label`, not as tick labels: gnuplot reads a tick label as a format
 * and cuts it at 50 bytes.
 */
void vmb_plot_axis_labels(struct vmb_plot *p, const char *var,
                          const char *const *texts, size_t n);

/*
 * Data block $name: rows of numbers; NAN (or an infinity) is written as
 * "NaN", which gnuplot skips. vmb_plot_block_gap starts the next `index`
 * of the block (two blank lines). A block without rows, or with a column
 * that has no number in any row, is never given to gnuplot (5.4 crashes
 * on `with labels` over such a column): vmb_plot_render then fails.
 */
void vmb_plot_block_begin(struct vmb_plot *p, const char *name);
void vmb_plot_row(struct vmb_plot *p, const double *v, size_t n);
void vmb_plot_block_gap(struct vmb_plot *p);
void vmb_plot_block_end(struct vmb_plot *p);

/*
 * A gnuplot string expression (caller frees) whose value is exactly text:
 * single-quoted runs (no backslash escapes, no backquote or macro
 * substitution inside them) joined with . to "\047" for each quote and
 * "\n" for each newline, so no newline reaches the script and every
 * quote character in it opens or closes a run. Other control characters
 * become spaces.
 */
char *vmb_plot_quote(const char *text);

/*
 * Finds the gnuplot binary: $VMB_GNUPLOT, else "gnuplot" on $PATH. On
 * failure *err says how to install it. *path is malloc'd.
 */
int vmb_plot_find_gnuplot(char **path, struct vmb_error **err);

/*
 * The directory plots (a results directory's plots/), made when missing;
 * anything else there than a directory (a symlink above all, which would
 * lead the charts elsewhere) is refused (VMB_ERR_INPUT).
 */
int vmb_plot_dir(const char *plots, struct vmb_error **err);

/*
 * The template directory: $VMB_PLOTS_DIR, else share/vmbench/plots of an
 * installed vmbench, else the source tree's plots/ (base/paths.h).
 * Caller frees.
 */
char *vmb_plot_templates_dir(void);

/*
 * Draws chart p with template tmpl into outdir/base.{png,svg} (and keeps
 * base.gp). base is a file name the caller made (letters, digits, "-",
 * "_", "."; anything else is refused). gnuplot writes into a private
 * temporary directory under outdir, and its files are renamed into
 * place; a symlink or other non-regular file at outdir/base.* is left as
 * it is and the chart fails. Fails when gnuplot is missing, exits
 * non-zero (the message carries gnuplot's error line), runs for more
 * than 60 s, or leaves an empty output, or when the data is refused
 * (see vmb_plot_block_end). gnuplot's stderr from a successful run
 * ("warning: ...") is appended, one line each and made safe for a
 * terminal, to *warnings (a vmb_buf) when not NULL.
 */
int vmb_plot_render(const struct vmb_plot *p, const char *gnuplot,
                    const char *tmpl, const char *outdir, const char *base,
                    struct vmb_buf *warnings, struct vmb_error **err);

#endif
