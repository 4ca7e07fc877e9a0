/*
 * One fio phase of a run (database.engine: fio): the job file made from
 * the phase (config/fio_phase.h), fio run by the runtime on node 1, its
 * json+ read into the per-phase result the load generator writes
 * (results/fio_json.h), so everything after reads it alike.
 */
#ifndef VMB_RUN_FIO_H
#define VMB_RUN_FIO_H

#include <stddef.h>

#include "base/error.h"
#include "run/run_load.h"
#include "runtime/runtime.h"

/*
 * Runs phase index of rt's cell with fio: a user's job file is read from
 * beside matrix_path (the results directory's copy of the matrix) and
 * checked again. Writes into dir the job fio ran and its JSON
 * (fio-<index>-<op>.job, .json) and what vmb_run_phase_record writes,
 * and fills out. Fails with fio's words when it fails, and when its
 * output is not its JSON.
 */
int vmb_run_fio_phase(struct vmb_runtime *rt, const char *matrix_path,
                      size_t index, const char *dir,
                      struct vmb_run_phase_out *out, struct vmb_error **err);

/*
 * Copies the job files of cfg's fio-job phases from beside matrix_from
 * to beside matrix_to (the results directory's matrix.yaml), each read
 * with the checker's size limit.
 */
int vmb_run_fio_copy_jobs(const struct vmb_config *cfg, const char *matrix_from,
                          const char *matrix_to, struct vmb_error **err);

#endif
