/*
 * libFuzzer target over the kata-config TOML reader (vmb_kata_toml_merge,
 * and the import of `kata:`, vmb_kata_import_text): any byte string must
 * either merge or fail with an input error naming a line, never crash,
 * leak or recurse without bound (run under ASan). A merged file must
 * merge again to itself: the second pass finds every setting in place,
 * which also proves the output scans as TOML; and it must import, since
 * every value in it is one vmbench wrote or the user's file had.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kata.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmb_kata_setting *set;
    static size_t nset;
    if (set == NULL) {
        struct vmb_config cfg;
        vmb_config_defaults(&cfg);
        cfg.guest.storage = VMB_STORAGE_9P;
        nset = vmb_kata_settings(&cfg, &set);
        vmb_config_free(&cfg);
    }
    struct vmb_buf out = {0};
    struct vmb_error *err = NULL;
    if (vmb_kata_toml_merge("fuzz.toml", (const char *)data, size, set, nset,
                            &out, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT ||
            strncmp(err->msg, "fuzz.toml:", 10) != 0)
            abort(); /* a refusal must be an input error with its line */
        vmb_error_free(err);
        vmb_buf_free(&out);
        return 0;
    }
    struct vmb_buf again = {0};
    if (vmb_kata_toml_merge("out.toml", out.data ? out.data : "", out.len, set,
                            nset, &again, &err) < 0)
        abort(); /* our own output must be accepted */
    if (again.len != out.len ||
        (out.len > 0 && memcmp(again.data, out.data, out.len) != 0))
        abort(); /* and already hold every setting */
    /* The import reads what the merge accepted, or names file and line. */
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    char *skipped = NULL;
    if (vmb_kata_import_text("fuzz.toml", (const char *)data, size, &cfg,
                             &skipped, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT ||
            strncmp(err->msg, "fuzz.toml:", 10) != 0)
            abort();
        vmb_error_free(err);
        err = NULL;
    }
    free(skipped);
    vmb_config_free(&cfg);
    vmb_buf_free(&again);
    vmb_buf_free(&out);
    return 0;
}
