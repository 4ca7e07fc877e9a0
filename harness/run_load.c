#include "run_load.h"

#include <stdlib.h>

void
vmb_run_phase_out_free(struct vmb_run_phase_out *out)
{
    free(out->json);
    free(out->csv);
    out->json = out->csv = NULL;
}

int
vmb_run_load_phase(const struct vmb_config *cfg, size_t index,
                   const struct vmb_db_node *primary,
                   const struct vmb_db_node *replica, const char *dir,
                   void (*rate)(void *ctx, double ops_per_s), void *ctx,
                   struct vmb_run_phase_out *out, struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "this build has no load generator");
}
