/*
 * The outputs of a comparison (analysis/compare.h): the terminal table,
 * JSON, the chart and the compare report.
 */
#ifndef VMB_REPORT_COMPARE_OUT_H
#define VMB_REPORT_COMPARE_OUT_H

#include <stdio.h>

#include "analysis/compare.h"
#include "base/error.h"

/* The terminal table and the rule, every results string made safe. */
void vmb_compare_print(const struct vmb_compare *c, FILE *out);
/* The comparison as JSON (a caller-freed string). */
char *vmb_compare_json(const struct vmb_compare *c);
/*
 * dir/plots/compare.{png,svg,gp}: each row's ratio with its interval
 * against the threshold band, the 40 worst rows at most. Fails when no
 * row has a ratio, gnuplot is missing or fails, or dir/plots is not a
 * directory of ours.
 */
int vmb_compare_chart(const struct vmb_compare *c, const char *dir,
                      struct vmb_error **err);
/* dir/compare.md and dir/compare.html (dir created), with the chart or
 * the reason it is missing. */
int vmb_compare_write_report(const struct vmb_compare *c, const char *dir,
                             struct vmb_error **err);

#endif
