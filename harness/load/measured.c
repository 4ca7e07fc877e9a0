/*
 * Results of phases that another tool measured (fio): the same struct as
 * the load generator's, filled from its figures.
 */
#include "load/load_priv.h"

struct vmb_load_result *
vmb_load_result_measured(const struct vmb_load_measured *m)
{
    struct vmb_load_result *r = vmb_load_result_new(m->index, m->op);
    r->duration_s = m->duration_s;
    r->measure_start_ns = m->measure_start_ns;
    r->ended_by = VMB_LOAD_END_DONE;
    /* VMB_OP_WRITE and VMB_OP_READ are the kinds' indexes too. */
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!m->has[k])
            continue;
        r->has_kind[k] = true;
        r->ops_kind[k] = m->ops[k];
        if (m->lat[k] == NULL)
            continue;
        vmb_hist_merge(&r->lat[k], m->lat[k]);
        vmb_hist_merge(&r->unc[k], m->lat[k]);
        vmb_hist_merge(&r->lat_all, m->lat[k]);
        vmb_hist_merge(&r->unc_all, m->lat[k]);
    }
    r->errors[VMB_LOAD_ERR_IO] = m->io_errors;
    r->first_errno[VMB_LOAD_ERR_IO] = m->first_errno;
    return r;
}
