/*
 * libFuzzer target over the reader of fio's json+ output
 * (vmb_fio_out_parse): any byte string must either be read or be refused
 * with a run error naming its source, never crash, leak or loop (run
 * under ASan). What is read becomes a per-phase result whose counts are
 * the reader's: every completion counted once in the histograms.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "results/fio_json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmb_fio_out out;
    struct vmb_error *err = NULL;
    if (vmb_fio_out_parse("fuzz", (const char *)data, size, &out, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_RUN ||
            strncmp(err->msg, "fuzz", 4) != 0)
            abort(); /* a refusal is a run error naming the output */
        vmb_error_free(err);
        vmb_fio_out_fini(&out);
        return 0;
    }
    for (int k = 0; k < 2; k++)
        if (vmb_hist_count(&out.dir[k].clat) != out.dir[k].clat_n)
            abort();
    struct vmb_load_result *r = vmb_fio_out_result(&out, 0, VMB_OP_MIXED, 0);
    if (vmb_load_result_ops(r) != out.dir[0].ios + out.dir[1].ios)
        abort();
    vmb_load_result_free(r);
    vmb_fio_out_fini(&out);
    return 0;
}
