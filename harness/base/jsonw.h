/*
 * A small streaming JSON writer into a vmb_buf. Commas and escaping are
 * handled here; callers say what goes where. Used for every JSON file
 * vmbench writes (reading JSON back is the results module's job).
 */
#ifndef VMB_JSONW_H
#define VMB_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

struct vmb_jw {
    struct vmb_buf buf;
    int depth;
    bool need_comma[64];
    bool after_key;
    bool pretty;
};

void vmb_jw_init(struct vmb_jw *w, bool pretty);
void vmb_jw_free(struct vmb_jw *w);
/* Returns the document (caller frees) and resets the writer. */
char *vmb_jw_steal(struct vmb_jw *w);

/*
 * Streams a long document: writes what is buffered to f and empties the
 * buffer, keeping the writer's place in the document. With end set, the
 * document is complete (a pretty one gets its final newline) and the
 * writer is reset. Returns 0, or -1 with errno set when f failed.
 */
int vmb_jw_flush(struct vmb_jw *w, FILE *f, bool end);

void vmb_jw_obj_begin(struct vmb_jw *w);
void vmb_jw_obj_end(struct vmb_jw *w);
void vmb_jw_arr_begin(struct vmb_jw *w);
void vmb_jw_arr_end(struct vmb_jw *w);
void vmb_jw_key(struct vmb_jw *w, const char *key);

void vmb_jw_str(struct vmb_jw *w, const char *s); /* NULL -> null */
void vmb_jw_int(struct vmb_jw *w, int64_t v);
void vmb_jw_uint(struct vmb_jw *w, uint64_t v);
void vmb_jw_double(struct vmb_jw *w, double v); /* NaN/inf -> null */
void vmb_jw_bool(struct vmb_jw *w, bool v);
void vmb_jw_null(struct vmb_jw *w);
/* Inserts already-serialised JSON text as a value. */
void vmb_jw_raw(struct vmb_jw *w, const char *json);

/* key + value shorthands */
void vmb_jw_kstr(struct vmb_jw *w, const char *k, const char *s);
void vmb_jw_kint(struct vmb_jw *w, const char *k, int64_t v);
void vmb_jw_kuint(struct vmb_jw *w, const char *k, uint64_t v);
void vmb_jw_kdouble(struct vmb_jw *w, const char *k, double v);
void vmb_jw_kbool(struct vmb_jw *w, const char *k, bool v);

/* Formats v with the fewest digits (15 to 17) that read back exactly. */
const char *vmb_json_double_text(double v, char *buf, size_t len);

/* Appends s as a JSON string literal (with quotes) to b. */
void vmb_json_escape(struct vmb_buf *b, const char *s);

#endif
