/*
 * libFuzzer target over the fio job-file checker (vmb_fio_job_parse): any
 * byte string must either be accepted or be refused with an input error
 * naming the file, never crash, leak or read past the input (run under
 * ASan). What is accepted holds no expansion, and every option in it
 * passes the one-option check again, so the file-wide walk and the
 * single-option check (used for matrix axes) agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/fio_job.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint64_t volume = UINT64_C(1) << 30;
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    if (vmb_fio_job_parse("fuzz.fio", (const char *)data, size, volume, &j,
                          &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT ||
            strncmp(err->msg, "fuzz.fio", 8) != 0 || j != NULL)
            abort(); /* a refusal is an input error naming the file */
        vmb_error_free(err);
        return 0;
    }
    if (err != NULL || j->njobs == 0 || j->len != size)
        abort();
    for (size_t i = 0; i < j->nopts; i++) {
        const struct vmb_fio_job_opt *o = &j->opts[i];
        if (vmb_fio_job_check_option(o->key, o->value, volume, &err) < 0)
            abort();
        if (o->value != NULL && strchr(o->value, '$') != NULL)
            abort();
        if (vmb_fio_job_find(j, o->key) == NULL || o->line < 1)
            abort();
    }
    vmb_fio_job_free(j);
    return 0;
}
