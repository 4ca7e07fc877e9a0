/*
 * libFuzzer target over the matrix loader: any byte string must either
 * load or fail with an input error, never crash or leak (run under ASan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config/matrix.h"
#include "config/plan.h"
#include "results/plan_json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    if (vmb_matrix_load_buffer("fuzz.yaml", (const char *)data, size, &m,
                               &err) == 0) {
        struct vmb_plan *p = NULL;
        if (m->base.top.repetitions * (int64_t)(m->ncells + m->ncontrols) <
                100000 &&
            vmb_plan_build(m, &p, NULL) == 0) {
            struct vmb_jw w;
            vmb_jw_init(&w, false);
            vmb_plan_to_json(&w, m, p);
            free(vmb_jw_steal(&w));
            vmb_plan_free(p);
        }
        vmb_matrix_free(m);
    } else if (err == NULL || err->kind != VMB_ERR_INPUT) {
        abort(); /* a rejected input must say why, as an input error */
    }
    vmb_error_free(err);
    return 0;
}
