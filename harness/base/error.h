/*
 * Errors on the control plane (crun's shape).
 *
 * A fallible function returns 0 on success and < 0 on failure, and sets
 * *err exactly when it fails. Each layer adds one phrase of context with
 * vmb_error_prefix() on the way up; only main prints and picks the exit
 * code. Messages are lower case, values quoted, one sentence.
 */
#ifndef VMB_ERROR_H
#define VMB_ERROR_H

#include <stdarg.h>

/* Kinds of failure, mapped to exit codes by main. */
enum vmb_error_kind {
    VMB_ERR_RUN = 1,   /* something failed while running: exit 1 */
    VMB_ERR_INPUT = 2, /* bad input: usage, matrix file, URL: exit 2 */
};

struct vmb_error {
    enum vmb_error_kind kind;
    int errno_value; /* 0 when no system call is involved */
    char *msg;
};

/*
 * Sets *err (when err is not NULL) to a new error and returns -1, so a
 * failing path reads `return vmb_error_set(err, VMB_ERR_RUN, 0, "...")`.
 * When errno_value is non-zero, ": strerror(errno_value)" is appended.
 */
int vmb_error_set(struct vmb_error **err, enum vmb_error_kind kind,
                  int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same as vmb_error_set with kind VMB_ERR_RUN and errno_value errno. */
int vmb_error_sys(struct vmb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Prepends "<context>: " to the message of *err (if set) and returns -1.
 * Used as `return vmb_error_prefix(err, "start domain \"%s\"", name)`.
 */
int vmb_error_prefix(struct vmb_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* NULL-safe. */
void vmb_error_free(struct vmb_error *err);

/*
 * For a sequence of steps that all run, each failure kept only if it is
 * the first: moves *e into *first when first is not NULL and holds no
 * error yet, else frees it; *e becomes NULL. Returns -1. Used as
 * `if (step(&e) < 0) rc = vmb_error_keep_first(err, &e);`.
 */
int vmb_error_keep_first(struct vmb_error **first, struct vmb_error **e);

/* Frees *err and sets it to NULL; for __attribute__((cleanup)). */
void vmb_error_freep(struct vmb_error **err);
#define vmb_autoerr __attribute__((cleanup(vmb_error_freep)))

#endif
