/*
 * The host-wide settings a cell may change (the matrix's `host:` section:
 * KSM, transparent huge pages), applied before each of its runs and
 * restored after it, on every path.
 *
 * Safety, one journal per host: before any setting is changed, the
 * host's original values are written (atomically, fsync'ed) to
 * <state>/host-settings.journal, with the results directory and the
 * process that changed them. Restoring writes them back and removes the
 * journal. A process killed with SIGKILL cannot restore: the next
 * `vmbench run`, `tune` or `doctor --restore` finds the journal and
 * restores it. A session that changes settings holds an exclusive lock
 * (flock on <state>/host-settings.lock, close-on-exec so servers it
 * starts do not keep it) for its whole life: a journal whose lock is
 * held belongs to a live vmbench and is left alone, and a second session
 * that would change settings is refused. The lock dies with its process,
 * so a killed holder never blocks the next start.
 *
 * The journal is read as untrusted input: only the settings of the table
 * below are restored, each value checked against what its file accepts.
 */
#ifndef VMB_HOSTSET_H
#define VMB_HOSTSET_H

#include <stdbool.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/note.h"
#include "config/config.h"

/* Where the settings and the journal are: tests point them at a tree. */
struct vmb_hostset_where {
    const char *root;  /* prefix of the /sys paths; NULL or "": this host */
    const char *state; /* the journal's directory; NULL: /var/lib/vmbench */
};

#define VMB_HOSTSET_NKNOBS 4

/* One setting: its name in the `host:` section and its file. */
struct vmb_hostset_knob {
    const char *name; /* "ksm", "ksm_pages_to_scan", ... */
    const char *path; /* "/sys/kernel/mm/ksm/run", ... */
};
extern const struct vmb_hostset_knob vmb_hostset_knobs[VMB_HOSTSET_NKNOBS];

/*
 * The value cfg asks of knob i, as its file takes it ("1", "never"), or
 * NULL when cfg keeps the host's. Static or owned by nobody: a buffer of
 * the caller's (at least 24 bytes) holds numbers.
 */
const char *vmb_hostset_wanted(const struct vmb_config *cfg, size_t i,
                               char buf[24]);

struct vmb_hostset;

/*
 * Opens the host settings for a session: restores what a killed vmbench
 * left in the journal (saying so through notes), and, when need is set,
 * takes the host's lock for the session. Fails (VMB_ERR_INPUT) when need
 * is set and another live vmbench holds the settings (naming its process
 * and results directory), or when a stale journal cannot be restored.
 * results_dir is recorded in journals this session writes. *out is set
 * on success (NULL-safe to free).
 */
int vmb_hostset_open(const struct vmb_hostset_where *where, bool need,
                     const char *results_dir, const struct vmb_notes *notes,
                     struct vmb_hostset **out, struct vmb_error **err);

/*
 * Applies cfg's host: section: the journal first, then each setting.
 * Nothing to do when cfg changes nothing. On failure what was changed is
 * restored. Needs a session opened with need set.
 */
int vmb_hostset_apply(struct vmb_hostset *h, const struct vmb_config *cfg,
                      struct vmb_error **err);

/* Restores what the last apply changed and removes the journal; nothing
 * when nothing is applied. */
int vmb_hostset_restore(struct vmb_hostset *h, struct vmb_error **err);

/*
 * The host's value of knob i now ("0", "madvise"), malloc'd; NULL where
 * its file cannot be read.
 */
char *vmb_hostset_value(const struct vmb_hostset_where *where, size_t i);

/* Whether the host has a journal (a session's, live or killed). */
bool vmb_hostset_journal_exists(const struct vmb_hostset_where *where);

/* Restores anything still applied, releases the lock, frees. */
void vmb_hostset_free(struct vmb_hostset *h);

#endif
