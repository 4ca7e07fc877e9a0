/*
 * The fio job a phase of a `database.engine: fio` cell runs: a built-in
 * job (op randread-4k, ...) or the user's job file (op fio-job, the
 * phase's fio:), with the phase's duration, n and the load's warmup as
 * fio's runtime + time_based, number_ios and ramp_time, and the cell's
 * `fio:` options (bs, iodepth, direct, ioengine) over every job section.
 */
#ifndef VMB_FIO_PHASE_H
#define VMB_FIO_PHASE_H

#include <stddef.h>

#include "base/error.h"
#include "config/config.h"
#include "config/fio_job.h"

/* The job file of a fio-job phase: rel (the phase's fio:) next to the
 * matrix file at matrix_path. Caller frees. */
char *vmb_fio_phase_path(const char *matrix_path, const char *rel);

/*
 * Checks phase index of cfg as a fio phase: its op is one of fio's jobs,
 * the cell's fio: options pass fio_job.h's checks, and a user's job
 * (job, read and checked already; NULL for a built-in) sets no runtime,
 * number_ios or ramp_time that the phase sets otherwise. Fails with
 * VMB_ERR_INPUT naming the option.
 */
int vmb_fio_phase_check(const struct vmb_config *cfg, size_t index,
                        const struct vmb_fio_job *job, struct vmb_error **err);

/*
 * The job file fio runs for phase index: a [global] section of vmbench's
 * (directory dir, the phase's time), then the built-in job or the user's
 * text (job) with the cell's fio: options at the end of each job
 * section. Checked with vmb_fio_phase_check first. Caller frees.
 */
char *vmb_fio_phase_text(const struct vmb_config *cfg, size_t index,
                         const struct vmb_fio_job *job, const char *dir);

#endif
