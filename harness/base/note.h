/*
 * Notes: one-line messages for the user from code below the command layer
 * (a runtime falling back to TCG, a cgroup that could not be capped, a
 * teardown that failed). They go to whoever shows the session's progress,
 * which clears its live line first, so a note never lands on the end of
 * a progress line.
 */
#ifndef VMB_NOTE_H
#define VMB_NOTE_H

struct vmb_notes {
    /* Prints msg (one line, no newline) for the user. */
    void (*fn)(void *ctx, const char *msg);
    void *ctx;
};

/*
 * Formats a note and hands it to notes; with notes NULL (or its fn NULL)
 * it goes to stderr as "vmbench: MSG".
 */
void vmb_note(const struct vmb_notes *notes, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
