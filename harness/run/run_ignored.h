/*
 * The server settings a run's data placement silently ignored
 * (db/db.h's vmb_db_ignored_settings over each node's effective
 * settings): said once on the terminal when found, and kept for
 * result.json's "ignored_settings", so the report does not label the
 * cell with a setting that did not apply.
 */
#ifndef VMB_RUN_IGNORED_H
#define VMB_RUN_IGNORED_H

#include <stddef.h>

#include "config/matrix.h"
#include "db/db.h"
#include "results/result_json.h"
#include "run/progress.h"

struct vmb_run_ignored {
    struct vmb_db_ignored *v;
    size_t n;
};

/*
 * Adds the settings cell's placement ignores in one node's effective
 * settings text, each (setting, value) once, and says each new one
 * through prog.
 */
void vmb_run_ignored_add(struct vmb_run_ignored *ig,
                         const struct vmb_cell *cell, const char *settings,
                         struct vmb_progress *prog);

/* Writes "ignored_settings": [{"setting", "value", "why"}...]. */
/* The settings of ig as result.json's records (borrowing ig's strings;
 * ig->n of them), malloc'd. */
struct vmb_result_ignored *
vmb_run_ignored_doc(const struct vmb_run_ignored *ig);

void vmb_run_ignored_clear(struct vmb_run_ignored *ig);

#endif
