/*
 * fio job files, checked before anything runs them (a job file is code).
 *
 * fio can run shell commands (exec_prerun), load shared objects
 * (ioengine=external:...) and write to any path or raw device
 * (filename=/dev/sda, directory=, write_*_log=). vmbench runs a job only
 * inside the data directory it sets up, so it accepts a job file only
 * when every option is on its own list (the I/O pattern, sizes, engines
 * that need no external object, queue depths, rates, sync and direct
 * flags, ...) with a value of the expected shape, and refuses everything
 * else with the file, the line and the option: options that name a file,
 * device, directory, command or library, options not on the list,
 * `include` directives, `$` expansions (`${VAR}`, `$mb_memory`), sizes
 * larger than the data volume, files over VMB_FIO_JOB_MAX_BYTES.
 *
 * The accepted text is kept as it was read: vmbench hands fio that text
 * after a [global] section of its own (the directory, the phase's
 * runtime), never a rewritten one.
 */
#ifndef VMB_FIO_JOB_H
#define VMB_FIO_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The largest job file read; a real one is a few hundred bytes. */
#define VMB_FIO_JOB_MAX_BYTES (64 * 1024)
/* The most sections ([global] included) and the most numjobs of one. */
#define VMB_FIO_JOB_MAX_SECTIONS 64
#define VMB_FIO_JOB_MAX_NUMJOBS 64

/* One accepted `key` or `key=value` line. */
struct vmb_fio_job_opt {
    char *section; /* "global" or the job's name */
    char *key;     /* the name as written (an alias stays an alias) */
    char *value;   /* NULL for a bare flag */
    int line;      /* 1-based */
};

struct vmb_fio_job {
    char *name; /* the file name used in messages */
    char *text; /* the text as read, NUL-terminated */
    size_t len;
    size_t nsections; /* [global] sections included */
    size_t njobs;     /* sections other than [global] */
    struct vmb_fio_job_opt *opts;
    size_t nopts;
};

/*
 * Checks len bytes of text (a job file called name in messages) against
 * the list; data_bytes bounds size, filesize and offset (0: no bound).
 * On success *out is a new job the caller frees with vmb_fio_job_free.
 * Fails with VMB_ERR_INPUT and a message "NAME:LINE: ..." naming the
 * option (or "NAME: ..." for the file as a whole).
 */
int vmb_fio_job_parse(const char *name, const char *text, size_t len,
                      uint64_t data_bytes, struct vmb_fio_job **out,
                      struct vmb_error **err);

/* Reads path (at most VMB_FIO_JOB_MAX_BYTES) and checks it as above. */
int vmb_fio_job_load(const char *path, uint64_t data_bytes,
                     struct vmb_fio_job **out, struct vmb_error **err);

/*
 * Checks one option given outside a job file (a matrix's fio.bs, a
 * built-in job's parameter) as the file's options are checked. Fails
 * with VMB_ERR_INPUT naming the option and value; the caller adds where
 * it came from.
 */
int vmb_fio_job_check_option(const char *key, const char *value,
                             uint64_t data_bytes, struct vmb_error **err);

/*
 * The first option of the job named key, or of an alias of it (runtime
 * and timeout are one option): NULL when the file sets none.
 */
const struct vmb_fio_job_opt *vmb_fio_job_find(const struct vmb_fio_job *j,
                                               const char *key);

/* NULL-safe. */
void vmb_fio_job_free(struct vmb_fio_job *j);

#endif
