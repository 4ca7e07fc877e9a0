/*
 * libFuzzer target over the guest kernel reader (vm/kernel.h,
 * vmb_kernel_inspect_mem): any bytes must either read as a kernel with a
 * release that names no other directory, or fail with an input error,
 * never read out of bounds (run under ASan). A bzImage's setup header
 * and payload are read too (the seeds of kernel_seeds.py): its drivers
 * are known exactly when its payload is one vmbench decompresses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/kernel.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    if (vmb_kernel_inspect_mem(data, size, &ki, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT)
            abort(); /* a refusal must be an input error */
        vmb_error_free(err);
        return 0;
    }
    if (err != NULL || ki.release[0] == '\0' || strchr(ki.release, '/') ||
        strcmp(ki.release, "..") == 0 || strcmp(ki.release, ".") == 0)
        abort();
    if (ki.format == VMB_KERNEL_ELF && !ki.pvh)
        abort(); /* QEMU cannot boot it: it must have been refused */
    for (int d = 0; d < VMB_KDRV_N; d++)
        if (ki.drv[d] < VMB_KDRV_MISSING || ki.drv[d] > VMB_KDRV_UNKNOWN)
            abort();
    if (ki.format == VMB_KERNEL_BZIMAGE) {
        static const char *const read[] = {"gzip", "xz", "lzma", "zstd"};
        bool known = false;
        for (size_t i = 0; i < 4; i++)
            known = known || strcmp(ki.payload, read[i]) == 0;
        if (ki.payload[0] == '\0' || known != (ki.drv[0] != VMB_KDRV_UNKNOWN))
            abort();
    }
    return 0;
}
