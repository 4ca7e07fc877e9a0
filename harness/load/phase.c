/*
 * The phase dispatcher, above both ways of running a phase: a capacity
 * search (capacity.c) or one phase as it is (loadgen.c). Neither calls
 * back up here.
 */
#include "load/load_priv.h"

int
vmb_load_run_phase(const struct vmb_load_run *run, struct vmb_load_result **out,
                   struct vmb_error **err)
{
    if (run->phase->capacity_limit_us > 0)
        return vmb_load_run_capacity(run, out, err);
    return vmb_load_run_one(run, out, err);
}
