/*
 * libFuzzer target over the reader of `vmbench compare --bounds` files
 * (vmb_bounds_parse): any byte string must either be read or fail with an
 * input error naming a line, never crash or leak (run under ASan); a
 * bound that is read has everything a check needs.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmb_bounds bs;
    struct vmb_error *err = NULL;
    if (vmb_bounds_parse("fuzz.toml", (const char *)data, size, &bs, &err) <
        0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT ||
            strncmp(err->msg, "fuzz.toml", 9) != 0)
            abort(); /* a refusal must be an input error naming the file */
        vmb_error_free(err);
        return 0;
    }
    for (size_t i = 0; i < bs.n; i++) {
        const struct vmb_bound *b = &bs.b[i];
        if ((b->cell == NULL && b->label == NULL) || b->phase == NULL ||
            b->metric == NULL || !isfinite(b->median) ||
            !isfinite(b->tolerance) || b->median < 0 || b->tolerance < 0)
            abort(); /* a bound read must be complete */
    }
    vmb_bounds_free(&bs);
    return 0;
}
