/*
 * Shards: a matrix split into N parts that N hosts run, one each, and
 * `vmbench merge` puts back together (docs/scale-out.md).
 *
 * The partition is made from the plan alone (cells, controls, their
 * estimates and the repetitions; never the seed, the host or its
 * verdicts), so every host that plans the same matrix with the same
 * vmbench gets the same shards. It is made of whole control groups (a
 * bare-metal control and the VM cells whose ratios use it; a VM cell
 * without a control is a group of its own), so every ratio to bare metal
 * is made within one host, and groups are given out largest first to
 * the shard with the least estimated time (ties to the lowest index).
 *
 * Calibration: the first control of the matrix runs on every shard,
 * whichever shard owns its group, so that the spread between hosts is
 * measured. Only the owner's copy is the control of VM cells; the other
 * shards' copies are kept per host by merge and compared, never used as
 * a control.
 */
#ifndef VMB_SHARD_H
#define VMB_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "config/matrix.h"
#include "config/plan.h"

/* The most shards a matrix is split into. */
#define VMB_SHARDS_MAX 10000

struct vmb_shards {
    size_t n;
    size_t *cell_shard;    /* per VM cell of the matrix: its shard */
    size_t *control_shard; /* per control: the shard that owns its group */
    double *estimate_s;    /* per shard: its runs' estimate, seconds */
    size_t *nruns;         /* per shard: its runs, calibration included */
};

/*
 * Parses "K/N" (0-based K, as a Slurm array index or Kubernetes'
 * JOB_COMPLETION_INDEX gives it): decimal digits only, 1 <= N <=
 * VMB_SHARDS_MAX, K < N. Fails (VMB_ERR_INPUT) naming the text and
 * what was expected; an empty K (an unset variable) is named as such.
 */
int vmb_shard_parse(const char *text, size_t *k, size_t *n,
                    struct vmb_error **err);

/* Parses the N of `plan --shards N` (1 to VMB_SHARDS_MAX). */
int vmb_shards_parse_count(const char *text, size_t *n, struct vmb_error **err);

/*
 * The partition of m into n shards (1 <= n <= VMB_SHARDS_MAX, else
 * VMB_ERR_INPUT). *out is freed with vmb_shards_free.
 */
int vmb_shards_build(const struct vmb_matrix *m, size_t n,
                     struct vmb_shards **out, struct vmb_error **err);
void vmb_shards_free(struct vmb_shards *s);

/* Whether shard k runs cell c (a VM cell or a control of m). */
bool vmb_shards_runs(const struct vmb_shards *s, const struct vmb_matrix *m,
                     size_t k, const struct vmb_cell *c);

/* Whether c runs on shard k only as the calibration of its host. */
bool vmb_shards_is_calibration(const struct vmb_shards *s,
                               const struct vmb_matrix *m, size_t k,
                               const struct vmb_cell *c);

/*
 * Restricts plan p (of m) to shard k of s: its runs, its estimate, and
 * the cells and controls plan.json lists (s is not kept).
 */
void vmb_plan_restrict(struct vmb_plan *p, const struct vmb_matrix *m,
                       const struct vmb_shards *s, size_t k);

/*
 * The partition as JSON (`plan --shards N --json`): the plan's id, the
 * count, and per shard its index, runs, estimate, controls (the
 * calibration marked) and cells by id.
 */
void vmb_shards_to_json(struct vmb_jw *w, const struct vmb_matrix *m,
                        const struct vmb_plan *p, const struct vmb_shards *s);

#endif
