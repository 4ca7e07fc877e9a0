/*
 * plan.json both ways (plan_json.c): what `vmbench run` writes into a
 * results directory and `vmbench plan --json` prints, and its reader.
 */
#ifndef VMB_PLAN_JSON_H
#define VMB_PLAN_JSON_H

#include <stdio.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "config/matrix.h"
#include "config/plan.h"

/* The whole plan as JSON (plan.json). */
void vmb_plan_to_json(struct vmb_jw *w, const struct vmb_matrix *m,
                      const struct vmb_plan *p);

/* Writes members of its own at the end of the plan's object. */
typedef void (*vmb_plan_json_extra)(struct vmb_jw *w, const void *ctx);

/*
 * The same text written to f as it is made (`vmbench plan --json`), in
 * memory bounded by a buffer, not by the plan's size, with extra's
 * members (when not NULL) after the plan's own. Fails when f does.
 */
int vmb_plan_write_json(FILE *f, const struct vmb_matrix *m,
                        const struct vmb_plan *p, vmb_plan_json_extra extra,
                        const void *ctx, struct vmb_error **err);

#endif
