/*
 * The report of a results directory: statistics per cell and phase,
 * summary.csv, the charts (through the plot module), report.md and
 * report.html (the same content, SVG charts inline).
 */
#ifndef VMB_REPORT_H
#define VMB_REPORT_H

#include <stdbool.h>

#include "base/error.h"
#include "base/util.h"
#include "results/results.h"

/* The files a report writes besides plots/, in the order it writes them. */
extern const char *const vmb_report_files[];
#define VMB_REPORT_NFILES 3

struct vmb_report_opts {
    bool charts; /* draw the charts (needs gnuplot) */
    bool quiet;  /* do not print what was written */
    /* When not NULL: set to how many of vmb_report_files, from the first,
     * this call wrote. */
    size_t *written;
};

/*
 * Reads the results directory dir and writes into it summary.csv,
 * plots/ (PNG, SVG and gnuplot script of each chart), report.md and report.html
 * (each atomically). Things worth a user's attention that did not stop the
 * report (files left out, gnuplot warnings) are appended, one line each, to
 * *warnings when not NULL.
 *
 * Fails with nothing written when the directory cannot be read. When
 * gnuplot is missing or fails, summary.csv, report.md and report.html are
 * still written (saying which charts are missing) and the call fails with
 * gnuplot's error.
 */
int vmb_report_write(const char *dir, const struct vmb_report_opts *opts,
                     struct vmb_buf *warnings, struct vmb_error **err);

#endif
