/*
 * libFuzzer target over the QEMU command-line reader of `vmbench
 * kata-diff` (vmb_qcmd_parse): any byte string must either read into
 * options or fail with an input error naming its source, never crash,
 * leak or recurse without bound (run under ASan). What it reads must hold
 * a program and options that each have a name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/qcmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmb_qcmd *q = NULL;
    struct vmb_error *err = NULL;
    if (vmb_qcmd_parse("fuzz", (const char *)data, size, &q, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT ||
            strncmp(err->msg, "fuzz:", 5) != 0 || q != NULL)
            abort(); /* a refusal must be an input error naming the source */
        vmb_error_free(err);
        return 0;
    }
    if (q == NULL || q->binary == NULL)
        abort();
    for (size_t i = 0; i < q->nopts; i++) {
        if (q->opts[i].name == NULL || q->opts[i].name[0] == '\0')
            abort();
        for (size_t k = 0; k < q->opts[i].nprops; k++)
            if (q->opts[i].props[k].key == NULL ||
                q->opts[i].props[k].val == NULL)
                abort();
        (void)vmb_qcmd_size(q->opts[i].kind, 'M');
    }
    vmb_qcmd_free(q);
    return 0;
}
