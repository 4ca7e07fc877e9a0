/*
 * Server settings a data placement silently ignores: the server reports
 * the value it was given, but the placement does not do what the value
 * asks. Decided from the value the server runs with (its settings text)
 * and the cell's placement knobs, one rule per row.
 */
#include <string.h>
#include <strings.h>

#include "db/db.h"

struct rule {
    int engine;    /* enum vmb_engine */
    int placement; /* enum vmb_storage, as vmb_config_placement gives */
    const char *setting;
    /* The effective values that ask for it, NULL-terminated. */
    const char *values[3];
    /* virtio-fs: honoured when virtio_fs_extra_args has
     * --allow-direct-io. */
    bool unless_direct_io;
    const char *why;
};

/* QEMU's 9p server (hw/9pfs) clears O_DIRECT from every open. */
#define WHY_9P                                                                 \
    "QEMU's 9p server opens the host's files without O_DIRECT, so they go "    \
    "through the host's page cache"
/* Both virtiofsd daemons clear it unless told otherwise. */
#define WHY_VIRTIOFS                                                           \
    "virtiofsd opens the host's files without O_DIRECT unless "                \
    "virtio_fs_extra_args has \"--allow-direct-io\", so they go through the "  \
    "host's page cache"
#define WHY_TMPFS                                                              \
    "the data lives in the guest's page cache (tmpfs), so there is no cache "  \
    "to bypass"

/* innodb_flush_method's O_DIRECT values open the data files O_DIRECT;
 * innodb_log_file_buffering OFF opens the redo log so. */
static const struct rule rules[] = {
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_9P,
        .setting = "innodb_flush_method",
        .values = {"O_DIRECT", "O_DIRECT_NO_FSYNC"},
        .why = WHY_9P,
    },
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_9P,
        .setting = "innodb_log_file_buffering",
        .values = {"OFF"},
        .why = WHY_9P,
    },
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_VIRTIOFS,
        .setting = "innodb_flush_method",
        .values = {"O_DIRECT", "O_DIRECT_NO_FSYNC"},
        .unless_direct_io = true,
        .why = WHY_VIRTIOFS,
    },
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_VIRTIOFS,
        .setting = "innodb_log_file_buffering",
        .values = {"OFF"},
        .unless_direct_io = true,
        .why = WHY_VIRTIOFS,
    },
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_TMPFS,
        .setting = "innodb_flush_method",
        .values = {"O_DIRECT", "O_DIRECT_NO_FSYNC"},
        .why = WHY_TMPFS,
    },
    {
        .engine = VMB_ENGINE_MARIADB,
        .placement = VMB_STORAGE_TMPFS,
        .setting = "innodb_log_file_buffering",
        .values = {"OFF"},
        .why = WHY_TMPFS,
    },
};

/* Whether words (whitespace-separated) holds word. */
static bool
has_word(const char *words, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = words ? words : ""; *p;) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/*
 * The value of name in settings text (lines "name<TAB>value", escaped as
 * \t, \n, \\), unescaped and malloc'd; NULL when it has no such line.
 */
static char *
setting_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, "\n");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '\t') {
            struct vmb_buf b = {0};
            for (const char *v = p + n + 1; v < p + len; v++) {
                if (*v == '\\' && v + 1 < p + len) {
                    v++;
                    vmb_buf_puts(&b, *v == 't'   ? "\t"
                                     : *v == 'n' ? "\n"
                                                 : "\\");
                } else {
                    vmb_buf_append(&b, v, 1);
                }
            }
            return vmb_buf_steal(&b);
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return NULL;
}

static bool
asks(const struct rule *r, const char *value)
{
    for (size_t i = 0; r->values[i] != NULL; i++)
        if (strcasecmp(value, r->values[i]) == 0)
            return true;
    return false;
}

size_t
vmb_db_ignored_settings(const struct vmb_config *cfg, int placement,
                        const char *settings, struct vmb_db_ignored **out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (r->engine != cfg->database.engine || r->placement != placement)
            continue;
        if (r->unless_direct_io &&
            has_word(cfg->guest.virtio_fs_extra_args, "--allow-direct-io"))
            continue;
        char *v = setting_value(settings, r->setting);
        if (v == NULL || !asks(r, v)) {
            free(v);
            continue;
        }
        *out = vmb_xrealloc(*out, (n + 1) * sizeof(**out));
        (*out)[n++] = (struct vmb_db_ignored){
            .setting = r->setting, .value = v, .why = r->why};
    }
    return n;
}

void
vmb_db_ignored_free(struct vmb_db_ignored *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i].value);
    free(v);
}
