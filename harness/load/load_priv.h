/*
 * What the engine (loadgen.c) hands to the result code (result.c); not
 * part of the public API.
 */
#ifndef VMB_LOAD_PRIV_H
#define VMB_LOAD_PRIV_H

#include "load/hist.h"
#include "load/load.h"

#define VMB_LOAD_NKIND 2 /* 0 write (SET), 1 read (GET) */

/* Histograms cover 1 ns .. 1 h at 3 significant figures. */
#define VMB_LOAD_HIST_LOWEST 1
#define VMB_LOAD_HIST_HIGHEST 3600000000000LL
#define VMB_LOAD_HIST_SIGFIGS 3

struct vmb_load_sec {
    int64_t second; /* 1-based, as in timeseries.csv */
    int kind;
    uint64_t ops;
    double ops_per_s;
    int64_t p50_ns;
    int64_t p99_ns;
};

struct vmb_load_result {
    int index;
    int op; /* enum vmb_op */
    char name[32];
    bool open_loop;
    bool interrupted;
    bool has_kind[VMB_LOAD_NKIND];
    uint64_t ops_kind[VMB_LOAD_NKIND];
    uint64_t misses;
    uint64_t errors[VMB_LOAD_NERR];
    int first_errno[VMB_LOAD_NERR];
    char *server_error;
    double duration_s;
    struct vmb_hist lat[VMB_LOAD_NKIND]; /* corrected (from intended) */
    struct vmb_hist lat_all;
    struct vmb_hist unc[VMB_LOAD_NKIND]; /* from the actual send */
    struct vmb_hist unc_all;
    struct vmb_load_sec *series;
    size_t nseries;
    size_t series_cap;
};

/* Allocates a result with empty histograms for the kinds of op. */
struct vmb_load_result *vmb_load_result_new(int index, int op);

#endif
