/*
 * A run's result.json and a cell's config.json, both ways: the writers
 * take plain data that `run` fills from its runtimes and load phases
 * (struct vmb_result_doc, struct vmb_cell_doc), the readers (results.c's
 * walk) fill the results' vmb_res_rep and vmb_res_cell. Every key of the
 * envelope and of the runtimes' records (runtime/record.h) is spelled in
 * result_json.c alone; a phase's own object is the load generator's
 * (load/result.c), its resources results_res.c's.
 * docs/results-format.md describes the files.
 */
#ifndef VMB_RESULT_JSON_H
#define VMB_RESULT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/jsonw.h"
#include "config/config.h"
#include "results/results.h"
#include "runtime/record.h"

/* A writing phase's replication lag: seconds, and bytes (-1: unknown). */
struct vmb_result_lag {
    const char *phase; /* "0-write" */
    double s;
    int64_t bytes;
};

/* The untimed prepare step and the replicas' catch-up after it. */
struct vmb_result_prepare {
    double seconds;
    uint64_t rows;
    const char *what;
    double lag_s;
    int64_t lag_bytes; /* -1: unknown */
};

/* A VM run of several tenants: seconds from the first VM's start to each
 * tenant's agents and replica in sync, and to the last (NAN: not
 * reached). */
struct vmb_result_boot_storm {
    size_t tenants;
    double last_agent_s, last_sync_s;
    const double *agent_s, *sync_s; /* tenants of them */
};

/* One node's memory after a phase, bytes (NAN: unread). */
/* Every tenant's nodes after phase name. */
struct vmb_result_mem_phase {
    const char *name;
    size_t ntenants;
    const struct vmb_mem_node *node; /* [tenant * 2 + node] */
    int nnodes; /* 2, or 1: no node2 member (fio); 0 reads as 2 */
};

/* Where the time of the phases went: the records of results_res.c. */
struct vmb_result_resources {
    const char **names; /* each phase's name, nphases */
    struct vmb_res_resources *phases;
    size_t nphases;
    bool probed; /* the cell asked for the probe */
    const char *probe_error;
    struct vmb_res_probe probe;
    bool sampled;
    uint64_t samples;
    double cpu_share;
};

/* A server setting the cell's placement silently ignores. */
struct vmb_result_ignored {
    const char *setting, *value, *why;
};

/* A host: setting as the host had it at the end of the run. */
struct vmb_result_host_setting {
    const char *name;  /* "ksm", "thp", ... */
    const char *value; /* NULL: its file could not be read */
};

struct vmb_result_doc {
    const char *kind; /* "vm" or "baremetal" */
    const char *id, *label;
    int rep;
    const char *error; /* NULL: the run is ok */
    const char *started, *finished, *accel;
    const char *const *phases; /* PHASE objects, JSON text */
    size_t nphases;
    const struct vmb_result_lag *lags; /* the first is the headline */
    size_t nlags;
    bool has_prepare;
    struct vmb_result_prepare prepare;
    /* Each tenant's runtime's members; NULL: none was made. */
    const struct vmb_runtime_record *runtimes;
    size_t ntenants;
    const char *const *tenant_dirs; /* tenant t's artefacts, relative */
    bool has_boot_storm;
    struct vmb_result_boot_storm boot_storm;
    const struct vmb_result_ignored *ignored;
    size_t nignored;
    struct vmb_result_resources resources;
    const struct vmb_result_mem_phase *memory;
    size_t nmemory;
    const struct vmb_result_host_setting *host_settings;
    size_t nhost_settings;
    const char *const *artefacts;
    size_t nartefacts;
};

/* Writes result.json's document (one object) into w. */
void vmb_result_json_write(struct vmb_jw *w, const struct vmb_result_doc *d);

/*
 * The artefact files of run directory dir, sorted: every file but
 * result.json, hidden files and temporary ones. *names and its strings
 * are malloc'd (vmb_result_artefacts_free); none when dir is unreadable.
 */
void vmb_result_artefacts(const char *dir, char ***names, size_t *n);
void vmb_result_artefacts_free(char **names, size_t n);

/* A cell's config.json. */
struct vmb_cell_doc {
    const char *id, *label;
    const char *kind; /* "vm" or "baremetal" */
    const struct vmb_config *cfg;
};

/* Writes config.json's document (one object) into w. */
void vmb_cell_json_write(struct vmb_jw *w, const struct vmb_cell_doc *d);

#endif
