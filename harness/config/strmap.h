/*
 * String keys to indexes, hashed: a lookup in linear time where a scan
 * of a list would make loading a file quadratic in its size. Used by the
 * matrix loader and the Kata TOML reader.
 */
#ifndef VMB_STRMAP_H
#define VMB_STRMAP_H

#include <stddef.h>

struct vmb_strmap {
    char **keys; /* owned copies; NULL = free slot */
    size_t *vals;
    size_t cap, n;
};

/* The value of key, or SIZE_MAX when absent. */
size_t vmb_strmap_get(const struct vmb_strmap *m, const char *key);

/* Adds key (copied) with val unless present; returns the value already
 * there, or SIZE_MAX when it was added. */
size_t vmb_strmap_add(struct vmb_strmap *m, const char *key, size_t val);

/* Frees the keys and empties m; m can be used again. */
void vmb_strmap_free(struct vmb_strmap *m);

#endif
