/*
 * A run's tenants (top.tenants): each tenant is one runtime (its own
 * pair of VMs or processes, ports, CPUs and data directories, picked by
 * struct vmb_runtime's tenant), brought up together and driven by one
 * load generator (run_load.h). These are the steps run.c takes over all
 * of them, and the session's record of which cells are oversubscribed.
 */
#ifndef VMB_RUN_TENANTS_H
#define VMB_RUN_TENANTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "config/matrix.h"
#include "db/db.h"
#include "results/result_json.h"
#include "results/run_json.h"
#include "runtime/runtime.h"

/* Prefixes *err with "tenant <t+1>" when there are several; returns -1. */
int vmb_run_tenant_prefix(struct vmb_error **err, size_t t, size_t nt);

/*
 * Brings up every tenant's machines at once (one thread each when there
 * are several: the boot storm), *start_ns the vmb_now_ns() just before.
 * Fails with the first tenant's error once every up has returned (the
 * caller takes every runtime down).
 */
int vmb_run_tenants_up(struct vmb_runtime **rts, size_t nt, uint64_t *start_ns,
                       struct vmb_error **err);

/*
 * result.json's "boot_storm" (VM runs of several tenants) into *b: from
 * start_ns (the first VM's start) to the last pair's agents' hello and to
 * the last replica in sync, and each tenant's in agent_s and sync_s (nt
 * each, which b points to); NAN where one was not reached.
 */
void vmb_run_boot_storm(struct vmb_runtime **rts, size_t nt, uint64_t start_ns,
                        double *agent_s, double *sync_s,
                        struct vmb_result_boot_storm *b);
/*
 * The replication lag of every tenant after a phase (or the prepare
 * step): the largest time (the last replica to catch up) and the largest
 * byte count (-1 when no driver says).
 */
int vmb_run_tenants_lag(struct vmb_runtime **rts, size_t nt,
                        const struct vmb_db_driver *drv, struct vmb_db_lag *lag,
                        struct vmb_error **err);

/* What every tenant's nodes cost in memory after each phase. */
struct vmb_run_memory {
    struct vmb_run_memory_phase {
        char name[40]; /* "0-write" */
        size_t ntenants;
        int nnodes;                /* 2, or 1: no node 2 (vmb_config_nodes) */
        struct vmb_mem_node *node; /* [tenant * 2 + node] */
    } * phases;
    size_t nphases;
};

/* Samples each tenant's runtime (its memory op) as phase name's. */
void vmb_run_memory_sample(struct vmb_run_memory *m, const char *name,
                           struct vmb_runtime **rts, size_t nt);

/* result.json's "memory" of m: m->nphases records (malloc'd) that point
 * into m. */
struct vmb_result_mem_phase *vmb_run_memory_doc(const struct vmb_run_memory *m);
void vmb_run_memory_free(struct vmb_run_memory *m);

/* For run.json's "host_cpus" and "oversubscribed": the cells of m whose
 * tenants pin more CPUs than this host has, in *out (malloc'd, *n of
 * them; strings are m's). Returns the host's CPUs. */
int vmb_run_oversubscribed(const struct vmb_matrix *m,
                           struct vmb_run_oversub **out, size_t *n);

#endif
