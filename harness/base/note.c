#include "base/note.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"

void
vmb_note(const struct vmb_notes *notes, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    if (notes != NULL && notes->fn != NULL) {
        notes->fn(notes->ctx, msg);
        return;
    }
    autofree char *safe = vmb_term_safe(msg);
    fprintf(stderr, "vmbench: %s\n", safe);
}
