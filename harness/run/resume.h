/*
 * What `run --resume` checks before it runs anything: that the results
 * directory's matrix still plans what its plan.json lists.
 */
#ifndef VMB_RESUME_H
#define VMB_RESUME_H

#include "base/error.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "results/results.h"

/*
 * Compares the plan made now from the directory's matrix (m, p, with
 * the recorded seed) with the one recorded (prev, from plan.json): the
 * name, repetitions, order, and every cell and control id in order.
 * Fails (VMB_ERR_INPUT) naming the first difference: runs of a changed
 * matrix never go beside the recorded ones.
 */
int vmb_resume_check_plan(const struct vmb_results *prev,
                          const struct vmb_matrix *m, const struct vmb_plan *p,
                          struct vmb_error **err);

#endif
