/*
 * fio's JSON output (`--output-format=json+`), read as untrusted input
 * into the figures of one phase.
 *
 * It lives in the results layer because json-c does (one module per
 * library); the run layer above hands it what fio printed and gets the
 * same per-phase result as the load generator's (vmb_fio_out_result), so
 * the report, compare and tune read a fio phase like any other.
 *
 * Reads and writes are kept apart, summed over fio's jobs: operations,
 * bytes, fio's own IOPS and bandwidth, and the completion latencies of
 * `clat_ns.bins` (json+ only) counted into a vmbench histogram in
 * nanoseconds, each bin at its value.
 */
#ifndef VMB_FIO_JSON_H
#define VMB_FIO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/hist.h"
#include "load/load.h"

/* The most jobs and latency bins per direction read; fio 3.33 writes at
 * most 1856 bins (FIO_IO_U_PLAT_NR). */
#define VMB_FIO_MAX_JOBS 4096
#define VMB_FIO_MAX_BINS 4096

/* One direction, summed over the jobs. */
struct vmb_fio_dir {
    bool present; /* some job did I/O this way */
    uint64_t ios;
    uint64_t bytes;
    double iops;           /* fio's figure, summed over jobs */
    double bw_bytes_per_s; /* likewise */
    double runtime_s;      /* the longest job's, ramp time left out */
    struct vmb_hist clat;  /* completion latency, ns */
    uint64_t clat_n;       /* fio's clat_ns.N, summed */
};

struct vmb_fio_out {
    char *version; /* "fio-3.33" */
    size_t njobs;
    struct vmb_fio_dir dir[2]; /* indexed by VMB_OP_WRITE, VMB_OP_READ */
    uint64_t errors;           /* total_err (continue_on_error) */
    int first_errno;           /* first_error of the first job with one */
    char *notes;               /* what fio printed before its JSON, or NULL */
};

/*
 * Reads len bytes that fio printed (name for messages: "fio output of
 * phase 0") into *out, which the caller finishes with vmb_fio_out_fini
 * (also after a failure). Lines fio printed before its JSON are kept in
 * notes. Fails with VMB_ERR_RUN when there is no JSON (the message
 * quotes fio's first words), when a job reports an error (its name and
 * fio's errno) or when a value is missing or out of range (the JSON path
 * named), and when the bins do not add up to fio's count.
 */
int vmb_fio_out_parse(const char *name, const char *text, size_t len,
                      struct vmb_fio_out *out, struct vmb_error **err);

/* NULL-safe; leaves out zeroed. */
void vmb_fio_out_fini(struct vmb_fio_out *out);

/*
 * The per-phase result of what fio measured, for phase index and op (the
 * phase's: its name is "<index>-<op>"), measured from measure_start_ns:
 * the kinds (read, write) fio did I/O of. The caller frees it with
 * vmb_load_result_free.
 */
struct vmb_load_result *vmb_fio_out_result(const struct vmb_fio_out *out,
                                           int index, int op,
                                           uint64_t measure_start_ns);

#endif
