/*
 * result.json's per-phase resource records, written: each phase's
 * PHASE_RESOURCES and GUEST objects of docs/results-format.md from the
 * struct the reader fills (struct vmb_res_resources, results.h). The
 * writer sits beside the reader in results/results_res.c, and the two
 * share one spelling of every key; the run layer turns its sampler's
 * figures into the struct (run/resources.c).
 *
 * A figure that is NAN was not measured: it is left out of its object,
 * or written as null where the format keeps the key (loadgen_cpu_us,
 * cpus), and an object none of whose figures were measured is null.
 */
#ifndef VMB_RESULTS_RESOURCES_H
#define VMB_RESULTS_RESOURCES_H

#include <stddef.h>

#include "base/jsonw.h"
#include "results/results.h"

/* Every figure NAN, net_source VMB_RES_NET_NONE: nothing measured. */
void vmb_res_resources_clear(struct vmb_res_resources *r);

/* One phase's PHASE_RESOURCES object (window_s measured). */
void vmb_res_phase_resources_json(struct vmb_jw *w,
                                  const struct vmb_res_resources *r);
/* One phase's GUEST object (guest_window_s measured). */
void vmb_res_guest_json(struct vmb_jw *w, const struct vmb_res_resources *r);

/*
 * Writes the "phase_resources" and "guest_resources" members into an open
 * object: each phase under its name, in the first when its window was
 * measured (window_s), in the second when the guests' was
 * (guest_window_s and the guests' CPU).
 */
void vmb_res_resources_write(struct vmb_jw *w, const char *const *names,
                             const struct vmb_res_resources *res, size_t n);

/*
 * Writes the "probe" member: null when the cell did not ask for the probe
 * (probed false); else the error of a failed probe or its figures, then
 * the round trips (a NAN is null).
 */
void vmb_res_probe_write(struct vmb_jw *w, bool probed, const char *error,
                         const struct vmb_res_probe *p);

/* Writes the "sampling" member: null when nothing was sampled; else the
 * interval, the number of samples and the samplers' CPU share. */
void vmb_res_sampling_write(struct vmb_jw *w, bool sampled, uint64_t samples,
                            double cpu_share);

#endif
