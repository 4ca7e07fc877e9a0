/*
 * fio as the workload of a cell (database.engine: fio): not a server but
 * a tool the runtime runs on node 1 once per phase (docs/fio.md). The
 * driver says what the host needs (the preflight's "engine" need), what
 * its guest image carries, and fio's version for run.json.
 */
#include <stdio.h>
#include <string.h>

#include "base/capture.h"
#include "db/db.h"

static const char *const fio_host_programs[] = {"fio", NULL};
/* fio and every library it links (about 64, librbd and libgfapi among
 * them): an image of its own (runtime.h), not carried by a server's. */
static const char *const fio_image_packages[] = {"fio", NULL};

static char *
fio_version(void)
{
    /* A deadline, as for every wait: coreutils' timeout. */
    const char *argv[] = {"timeout", "-s",        "KILL", "10",
                          "fio",     "--version", NULL};
    char *out = NULL;
    struct vmb_error *err = NULL;
    if (vmb_capture_run(argv, &out, NULL, &err) < 0) {
        vmb_error_free(err);
        return NULL;
    }
    /* "fio-3.33" */
    out[strcspn(out, " \n")] = '\0';
    return out;
}

const struct vmb_db_driver vmb_db_fio = {
    .name = "fio",
    .engine = VMB_ENGINE_FIO,
    .tool = true,
    .binary = "fio",
    .conf_name = "job.fio",
    .stop_signal = 15,
    .stop_grace_s = 5,
    .host_programs = fio_host_programs,
    .install = "apt-get install fio",
    .image_packages = fio_image_packages,
    .version = fio_version,
};
