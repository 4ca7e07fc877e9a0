/*
 * The outputs of `vmbench kata-diff` (analysis/katadiff.h): the terminal
 * listing and JSON.
 */
#ifndef VMB_REPORT_KATADIFF_OUT_H
#define VMB_REPORT_KATADIFF_OUT_H

#include <stdio.h>

#include "analysis/katadiff.h"

/*
 * One line per aspect (differences first, then what is only on one side,
 * then matches), each value made safe for a terminal, and a last line
 * counting the performance-relevant differences. kata and cell name the
 * two sources.
 */
void vmb_kdiff_print(const struct vmb_kdiff *d, const char *kata,
                     const char *cell, FILE *out);

/* The same as JSON (a caller-freed string). */
char *vmb_kdiff_json(const struct vmb_kdiff *d, const char *kata,
                     const char *cell);

#endif
