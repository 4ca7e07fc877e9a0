/*
 * libFuzzer target over the readers of tune.json (`vmbench tune --resume`
 * reads its settings, `vmbench report` its history and draws the tune's
 * section): the input is written as tune.json into a directory private to
 * this process under /tmp (removed at exit). Whatever the input, each
 * reader either reads it or fails with an input error, never crashes or
 * leaks (run under ASan and UBSan); settings that are read are complete,
 * and the section is written in memory from a history that was read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/race.h"
#include "report/doc.h"
#include "report/report_priv.h"
#include "results/tune.h"

static char top[] = "/tmp/vmb-fuzz-tune-XXXXXX";
static bool ready;

static void
cleanup(void)
{
    vmb_rm_rf(top, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        if (mkdtemp(top) == NULL)
            abort();
        atexit(cleanup);
        ready = true;
    }
    char *path = vmb_xasprintf("%s/tune.json", top);
    FILE *f = fopen(path, "w");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
    free(path);

    struct vmb_tune_settings s = {0};
    struct vmb_error *err = NULL;
    if (vmb_tune_settings_read(top, &s, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT)
            abort(); /* a refusal must be an input error */
        vmb_error_free(err);
        err = NULL;
    } else {
        if (s.objective == NULL || s.only == NULL || s.first < 1 ||
            s.budget < 0)
            abort(); /* settings read must be usable */
        vmb_tune_settings_clear(&s);
    }

    struct vmb_tune_history h = {0};
    int rc = vmb_tune_history_read(top, &h, &err);
    if (rc < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT)
            abort();
        vmb_error_free(err);
    } else if (rc == 0) {
        vmb_tune_history_clear(&h);
    }
    /* The report's section reads the file again and must not fail. */
    struct vmb_doc d = {0};
    vmb_doc_begin(&d, top, "fuzz");
    struct vmb_results res = {.dir = top};
    struct vmb_model m = {.res = &res};
    vmb_sections_tune(&d, &m, NULL, NULL);
    vmb_doc_end(&d);
    vmb_doc_free(&d);
    return 0;
}
