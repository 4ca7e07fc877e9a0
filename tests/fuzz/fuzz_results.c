/*
 * libFuzzer target over the results-directory reader. The input is split
 * on lines "--vmb--" into the files of one small results directory (a
 * cell and its control, ids as in tests/data/results-fixture):
 *
 *   1. result.json of the cell's and of the control's first run
 *   2. run.json
 *   3. the cell's timeseries.csv
 *   4. plan.json
 *
 * (a part not given is a fixed valid file, or no file). The directory,
 * private to this process under /tmp and removed at exit, is loaded, the
 * report model built, the charts' data read and the report's document
 * written in memory. Whatever the input, loading succeeds (a damaged file
 * is a warning, never a failure of the whole directory), and nothing
 * crashes or leaks (run under ASan and UBSan).
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "report/report_priv.h"
#include "results/metric.h"

#define CELL "b8b8545289cd"
#define CONTROL "d9f3062dce9a"
#define SEP "\n--vmb--\n"

static char top[] = "/tmp/vmb-fuzz-results-XXXXXX";
static char *dir; /* top/run */

static const char default_run[] =
    "{\"schema\": 1, \"name\": \"fuzz\", \"seed\": 1, \"accel\": "
    "{\"requested\": \"auto\", \"used\": \"kvm\"}}\n";
static const char default_plan[] =
    "{\"schema\": 1, \"name\": \"fuzz\", \"repetitions\": 1, \"seed\": 1,\n"
    "\"cells\": [{\"id\": \"" CELL "\", \"kind\": \"vm\", \"label\": \"c\", "
    "\"control\": \"" CONTROL "\"}],\n"
    "\"controls\": [{\"id\": \"" CONTROL "\", \"kind\": \"baremetal\", "
    "\"label\": \"bare\"}],\n"
    "\"runs\": [{\"kind\": \"vm\", \"id\": \"" CELL "\", \"rep\": 1}]}\n";
static const char config[] =
    "{\"schema\": 1, \"config\": {\"guest\": {\"storage\": \"9p\"}}}\n";

static void
cleanup(void)
{
    vmb_rm_rf(top, NULL);
}

static void
put(const char *rel, const char *data, size_t len)
{
    char *p = vmb_xasprintf("%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len))
        abort();
    fclose(f);
    free(p);
}

static void
drop(const char *rel)
{
    char *p = vmb_xasprintf("%s/%s", dir, rel);
    unlink(p);
    free(p);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (mkdtemp(top) == NULL)
        abort();
    atexit(cleanup);
    dir = vmb_xasprintf("%s/run", top);
    char *p = vmb_xasprintf("%s/cells/" CELL "/rep1", dir);
    char *q = vmb_xasprintf("%s/control/" CONTROL "/rep1", dir);
    if (vmb_mkdir_p(p, NULL) < 0 || vmb_mkdir_p(q, NULL) < 0)
        abort();
    free(p);
    free(q);
    put("cells/" CELL "/config.json", config, strlen(config));
    return 0;
}

/* The next part of [*at, end) up to a separator; false when none is left. */
static bool
next_part(const char **at, const char *end, const char **part, size_t *len)
{
    if (*at == NULL)
        return false;
    const char *s = memmem(*at, (size_t)(end - *at), SEP, strlen(SEP));
    *part = *at;
    *len = s ? (size_t)(s - *at) : (size_t)(end - *at);
    *at = s ? s + strlen(SEP) : NULL;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *at = (const char *)data, *end = at + size;
    const char *part;
    size_t len;
    next_part(&at, end, &part, &len);
    put("cells/" CELL "/rep1/result.json", part, len);
    put("control/" CONTROL "/rep1/result.json", part, len);
    if (next_part(&at, end, &part, &len))
        put("run.json", part, len);
    else
        put("run.json", default_run, strlen(default_run));
    if (next_part(&at, end, &part, &len))
        put("cells/" CELL "/rep1/timeseries.csv", part, len);
    else
        drop("cells/" CELL "/rep1/timeseries.csv");
    if (next_part(&at, end, &part, &len))
        put("plan.json", part, len);
    else
        put("plan.json", default_plan, strlen(default_plan));

    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    if (vmb_results_load(dir, &r, &err) < 0)
        abort(); /* one bad file must not make the directory unreadable */
    struct vmb_model m;
    vmb_model_build(&m, r);
    struct vmb_charts cs;
    vmb_charts_init(&cs, false);
    struct vmb_buf notes = {0};
    vmb_report_charts(&cs, &m, r->dir, &notes);
    struct vmb_doc d;
    vmb_doc_begin(&d, r->dir, r->name);
    vmb_report_sections(&d, &m, &cs, &notes);
    vmb_doc_end(&d);
    vmb_doc_free(&d);
    const struct vmb_res_cell *best = NULL;
    double median = NAN;
    if (vmb_results_best_cell(r, "write.op_rate", &best, &median, &err) < 0) {
        vmb_error_free(err);
        err = NULL;
    }
    vmb_buf_free(&notes);
    vmb_charts_free(&cs);
    vmb_model_free(&m);
    vmb_results_free(r);
    return 0;
}
