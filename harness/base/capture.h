/*
 * Runs a host program (no shell) and captures its standard output, for
 * the few host tools vmbench drives: ldd, qemu-img, mke2fs, xz.
 */
#ifndef VMB_CAPTURE_H
#define VMB_CAPTURE_H

#include <stddef.h>

#include "base/error.h"

/*
 * Runs argv[0] (searched in PATH) with argv, stdin /dev/null, and waits.
 * On success *out (NUL-terminated, caller frees; out may be NULL to
 * discard) holds its stdout and *len (may be NULL) its length. Fails
 * when it cannot start or exits non-zero; the message names the program
 * and carries the last line of its stderr.
 */
int vmb_capture_run(const char *const argv[], char **out, size_t *len,
                    struct vmb_error **err);

#endif
