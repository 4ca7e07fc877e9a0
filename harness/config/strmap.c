/* String keys to indexes (open addressing, FNV-1a). */
#include "config/strmap.h"

#include <stdint.h>
#include <string.h>

#include "base/util.h"

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 31);
}

static size_t
slot_of(const struct vmb_strmap *m, const char *key)
{
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

size_t
vmb_strmap_get(const struct vmb_strmap *m, const char *key)
{
    if (m->cap == 0)
        return SIZE_MAX;
    size_t i = slot_of(m, key);
    return m->keys[i] != NULL ? m->vals[i] : SIZE_MAX;
}

static void
grow(struct vmb_strmap *m)
{
    struct vmb_strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->keys = vmb_xcalloc(m->cap, sizeof(*m->keys));
    m->vals = vmb_xcalloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] == NULL)
            continue;
        size_t j = slot_of(m, old.keys[i]);
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
    }
    free(old.keys);
    free(old.vals);
}

size_t
vmb_strmap_add(struct vmb_strmap *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    size_t i = slot_of(m, key);
    if (m->keys[i] != NULL)
        return m->vals[i];
    m->keys[i] = vmb_xstrdup(key);
    m->vals[i] = val;
    m->n++;
    return SIZE_MAX;
}

void
vmb_strmap_free(struct vmb_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    *m = (struct vmb_strmap){0};
}
