/*
 * CPU and memory limits for the bare-metal control nodes: a cpuset and a
 * memory cgroup per node, in whichever hierarchy this host makes usable
 * (cgroup v2 where it has the controller, else v1; hosts can mix the two,
 * e.g. v1 controllers with an empty v2 hierarchy beside them).
 *
 * Groups are named vmbench-<pid>-<tag>, so groups left by a vmbench that
 * was killed are recognised and removed by the next one.
 */
#ifndef VMB_RUNTIME_CGROUP_H
#define VMB_RUNTIME_CGROUP_H

#include <stdint.h>

#include "base/error.h"

struct vmb_cgroup {
    char *cpuset_dir;          /* NULL when no cpuset group was made */
    int cpuset_version;        /* 1 or 2; 0 when none */
    char *memory_dir;          /* NULL when no memory group was made */
    int memory_version;        /* 1 or 2; 0 when none */
    uint64_t memory_max_bytes; /* the limit as read back; 0 when none */
    char *notes;               /* what could not be applied and why; or NULL */
};

/*
 * Makes the groups for tag: a cpuset of cpus (a list like "0-1,3"; NULL
 * for none) and a memory limit of memory_bytes (0 for none). What cannot
 * be made is described in cg->notes rather than failing: the run goes on
 * with what the host allows, and the result records it.
 */
void vmb_cgroup_create(const char *tag, const char *cpus, uint64_t memory_bytes,
                       struct vmb_cgroup *cg);

/*
 * Moves the calling process into cg's groups. Async-signal-safe (called
 * between fork and exec); returns -1 with errno on failure.
 */
int vmb_cgroup_enter_self(const struct vmb_cgroup *cg);

/*
 * Removes the groups (their processes must have exited); cg keeps its
 * description for the results. Idempotent.
 */
void vmb_cgroup_remove(const struct vmb_cgroup *cg);

/* Removes the groups and frees what cg holds. */
void vmb_cgroup_destroy(struct vmb_cgroup *cg);

/* "v1", "v2", "v1+v2" or "none": the hierarchies cg uses. */
const char *vmb_cgroup_kind(const struct vmb_cgroup *cg);

#endif
