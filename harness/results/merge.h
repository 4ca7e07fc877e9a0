/*
 * `vmbench merge`: shard results directories (run with `run --shard K/N`
 * on many hosts) into one new results directory, which `report`,
 * `compare` and `kata-config` read as any other (docs/scale-out.md).
 *
 * Shards are results directories from other machines: everything is
 * checked before OUT is created, and a refusal writes nothing.
 */
#ifndef VMB_MERGE_H
#define VMB_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct vmb_merge_opts {
    const char *out;         /* the directory to create */
    const char *const *dirs; /* the shards */
    size_t ndirs;
    bool partial; /* merge what is there when shards are missing */
};

struct vmb_merge_summary {
    size_t count;  /* N: the shards the matrix was split into */
    size_t merged; /* the shards merged */
    char *missing; /* "1, 3": the indexes not given, or NULL; caller frees */
    size_t ncells; /* cell and control directories merged */
    size_t nhosts; /* distinct host names */
};

/*
 * Checks every shard and writes OUT. Refuses (VMB_ERR_INPUT, OUT not
 * created) a directory that is not a results directory of a shard, one
 * the results reader warns about, shards of different plans or vmbench
 * versions, two copies of one shard, a cell in two shards or in a shard
 * that does not own it, a symlink or anything but a directory or a
 * regular file inside a shard's cells, an OUT that exists, and missing
 * shards unless opts->partial. In OUT: the matrix, the whole plan (the
 * first shard's seed), each cell's and control's directory from the
 * shard that owns it, every shard's run.json and plan.json and its
 * calibration copy under hosts/shard-K/, and run.json with a "merged"
 * member (docs/results-format.md). A failure while writing removes OUT.
 */
int vmb_results_merge(const struct vmb_merge_opts *o,
                      struct vmb_merge_summary *sum, struct vmb_error **err);

#endif
