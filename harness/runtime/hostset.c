#include "runtime/hostset.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

#define JOURNAL_MAGIC "vmbench-host-settings 1"
/* A journal is a few short lines; anything larger is not ours. */
#define JOURNAL_MAX 4096

const struct vmb_hostset_knob vmb_hostset_knobs[VMB_HOSTSET_NKNOBS] = {
    {"ksm", "/sys/kernel/mm/ksm/run"},
    {"ksm_pages_to_scan", "/sys/kernel/mm/ksm/pages_to_scan"},
    {"ksm_sleep_millisecs", "/sys/kernel/mm/ksm/sleep_millisecs"},
    {"thp", "/sys/kernel/mm/transparent_hugepage/enabled"},
};

struct vmb_hostset {
    char *root, *state, *results;
    int lock_fd; /* -1: this session does not hold the host's lock */
    /* What the last apply changed: the original values, NULL if kept. */
    char *saved[VMB_HOSTSET_NKNOBS];
    bool applied;
};

static const char *
root_of(const struct vmb_hostset_where *w)
{
    return w != NULL && w->root != NULL ? w->root : "";
}

static const char *
state_of(const struct vmb_hostset_where *w)
{
    return w != NULL && w->state != NULL ? w->state : "/var/lib/vmbench";
}

const char *
vmb_hostset_wanted(const struct vmb_config *cfg, size_t i, char buf[24])
{
    const struct vmb_host_opts *h = &cfg->host;
    switch (i) {
    case 0:
        return h->ksm == VMB_HOST_KSM_KEEP ? NULL
               : h->ksm == VMB_HOST_KSM_ON ? "1"
                                           : "0";
    case 1:
    case 2: {
        int64_t v = i == 1 ? h->ksm_pages_to_scan : h->ksm_sleep_ms;
        if (v == 0)
            return NULL;
        snprintf(buf, 24, "%" PRId64, v);
        return buf;
    }
    default:
        return h->thp == VMB_HOST_THP_ALWAYS    ? "always"
               : h->thp == VMB_HOST_THP_MADVISE ? "madvise"
               : h->thp == VMB_HOST_THP_NEVER   ? "never"
                                                : NULL;
    }
}

/* Whether v is a value knob i's file takes: what a journal may hold. */
static bool
valid_value(size_t i, const char *v)
{
    if (i == 3)
        return strcmp(v, "always") == 0 || strcmp(v, "madvise") == 0 ||
               strcmp(v, "never") == 0;
    size_t n = strlen(v);
    if (n == 0 || n > 10 || strspn(v, "0123456789") != n)
        return false;
    /* KSM's run: 0 stop, 1 run, 2 stop and unmerge everything. */
    return i != 0 || (n == 1 && v[0] <= '2');
}

/* The host's value of knob i now (the selected one of a choice file). */
static char *
read_knob(const char *root, size_t i)
{
    autofree char *p = vmb_xasprintf("%s%s", root, vmb_hostset_knobs[i].path);
    return i == 3 ? vmb_read_sysfs_choice(p) : vmb_read_first_line(p);
}

static int
write_knob(const char *root, size_t i, const char *v, struct vmb_error **err)
{
    autofree char *p = vmb_xasprintf("%s%s", root, vmb_hostset_knobs[i].path);
    /* sysfs takes one write; O_TRUNC so a plain file in a test tree ends
     * up holding the value alone. */
    autoclose int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vmb_error_sys(err, "open \"%s\"", p);
    size_t n = strlen(v);
    ssize_t w = write(fd, v, n);
    if (w != (ssize_t)n)
        return vmb_error_sys(err, "write \"%s\" to \"%s\"", v, p);
    return 0;
}

static char *
journal_path(const char *state)
{
    return vmb_xasprintf("%s/host-settings.journal", state);
}

/*
 * Reads the journal at path into *text. Only a regular file is read: a
 * FIFO there would block the open forever, a symlink would have the
 * journal read (and then removed) elsewhere.
 */
static int
journal_read(const char *path, char **text, struct vmb_error **err)
{
    autoclose int fd =
        open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 && errno != ELOOP)
        return vmb_error_sys(err, "open \"%s\"", path);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "journal \"%s\" is not a regular file", path);
    struct vmb_buf b = {0};
    char chunk[JOURNAL_MAX + 1];
    while (b.len <= JOURNAL_MAX) {
        ssize_t r = read(fd, chunk, JOURNAL_MAX + 1 - b.len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            vmb_buf_free(&b);
            return vmb_error_sys(err, "read \"%s\"", path);
        }
        if (r == 0)
            break;
        vmb_buf_append(&b, chunk, (size_t)r);
    }
    if (b.len > JOURNAL_MAX) {
        vmb_buf_free(&b);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "journal \"%s\" is larger than %d bytes, the "
                             "limit",
                             path, JOURNAL_MAX);
    }
    *text = b.data ? vmb_buf_steal(&b) : vmb_xstrdup("");
    return 0;
}

/* Parses a journal into vals (NULL where it names no value), its pid and
 * results directory; VMB_ERR_INPUT naming the line when it is not one. */
static int
journal_parse(const char *path, const char *text, char **vals, long *pid,
              char **results, struct vmb_error **err)
{
    int line = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        if (nl == NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "journal \"%s\" line %d is cut short", path,
                                 line + 1);
        autofree char *l = vmb_xstrndup(p, (size_t)(nl - p));
        p = nl + 1;
        line++;
        if (line == 1) {
            if (strcmp(l, JOURNAL_MAGIC) != 0)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "\"%s\" is not a vmbench host settings "
                                     "journal",
                                     path);
            continue;
        }
        char *sp = strchr(l, ' ');
        if (sp == NULL)
            goto bad;
        *sp = '\0';
        const char *v = sp + 1;
        if (strcmp(l, "pid") == 0) {
            char *end;
            *pid = strtol(v, &end, 10);
            if (*end != '\0' || *pid <= 0)
                goto bad;
            continue;
        }
        if (strcmp(l, "results") == 0) {
            free(*results);
            *results = vmb_xstrdup(v);
            continue;
        }
        size_t i = 0;
        while (i < VMB_HOSTSET_NKNOBS && strcmp(vmb_hostset_knobs[i].name, l))
            i++;
        if (i == VMB_HOSTSET_NKNOBS || !valid_value(i, v))
            goto bad;
        free(vals[i]);
        vals[i] = vmb_xstrdup(v);
        continue;
    bad:
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "journal \"%s\" line %d is not a setting vmbench "
                             "changes",
                             path, line);
    }
    if (line == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "journal \"%s\" is empty",
                             path);
    return 0;
}

/* Restores a journal left by a process that no longer holds the lock. */
static int
recover(const char *root, const char *state, const struct vmb_notes *notes,
        struct vmb_error **err)
{
    autofree char *path = journal_path(state);
    autofree char *text = NULL;
    struct vmb_error *rerr = NULL;
    if (journal_read(path, &text, &rerr) < 0) {
        if (rerr->errno_value == ENOENT) {
            vmb_error_free(rerr);
            return 0;
        }
        *err = rerr;
        return vmb_error_prefix(err, "read the host settings journal");
    }
    char *vals[VMB_HOSTSET_NKNOBS] = {0};
    autofree char *results = NULL;
    long pid = 0;
    int rc = journal_parse(path, text, vals, &pid, &results, err);
    struct vmb_buf done = {0};
    for (size_t i = 0; rc == 0 && i < VMB_HOSTSET_NKNOBS; i++) {
        if (vals[i] == NULL)
            continue;
        rc = write_knob(root, i, vals[i], err);
        vmb_buf_printf(&done, "%s%s=\"%s\"", done.len ? ", " : "",
                       vmb_hostset_knobs[i].name, vals[i]);
    }
    if (rc == 0 && unlink(path) < 0)
        rc = vmb_error_sys(err, "remove \"%s\"", path);
    /* The journal's words reach the terminal: its escapes must not. */
    autofree char *shown = vmb_term_safe(results ? results : "?");
    if (rc == 0)
        vmb_note(notes,
                 "restored the host settings (%s) that vmbench process %ld, "
                 "killed while running \"%s\", had changed",
                 done.len ? done.data : "none", pid, shown);
    else
        vmb_error_prefix(err,
                         "restore the host settings a killed vmbench left; "
                         "fix the journal's cause or remove it");
    vmb_buf_free(&done);
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++)
        free(vals[i]);
    return rc;
}

/*
 * Who holds the journal now, for the refusal: "process N (results DIR)";
 * *pid is N, 0 when the journal does not say.
 */
static char *
holder(const char *state, long *pid)
{
    autofree char *path = journal_path(state);
    autofree char *text = NULL;
    *pid = 0;
    if (journal_read(path, &text, NULL) < 0)
        return vmb_xstrdup("another vmbench process");
    char *vals[VMB_HOSTSET_NKNOBS] = {0};
    autofree char *results = NULL;
    journal_parse(path, text, vals, pid, &results, NULL);
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++)
        free(vals[i]);
    autofree char *shown = vmb_term_safe(results ? results : "?");
    return vmb_xasprintf("vmbench process %ld (results \"%s\")", *pid, shown);
}

/*
 * Takes the lock on fd. A holder that has died can still hold it for a
 * moment: a child it forked keeps the descriptor until the child's exec
 * or exit (a server's start was under way when the kill came). Then the
 * lock is tried again until it comes free or LOCK_WAIT_MS pass. Returns
 * 0 with the lock, 1 when a live process (or that child) holds it with
 * *who naming the holder, -1 with errno.
 */
#define LOCK_WAIT_MS 3000
static int
take_lock(int fd, const char *state, char **who)
{
    uint64_t deadline = vmb_now_ns() + LOCK_WAIT_MS * 1000000ull;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK)
            return -1;
        long pid = 0;
        char *name = holder(state, &pid);
        bool gone = pid > 0 && pid <= INT_MAX && kill((pid_t)pid, 0) < 0 &&
                    errno == ESRCH;
        if (!gone || vmb_now_ns() >= deadline) {
            *who = name;
            return 1;
        }
        free(name);
        struct timespec step = {0, 20 * 1000000L};
        nanosleep(&step, NULL);
    }
}

int
vmb_hostset_open(const struct vmb_hostset_where *where, bool need,
                 const char *results_dir, const struct vmb_notes *notes,
                 struct vmb_hostset **out, struct vmb_error **err)
{
    const char *root = root_of(where), *state = state_of(where);
    *out = NULL;
    autofree char *lock = vmb_xasprintf("%s/host-settings.lock", state);
    autofree char *journal = journal_path(state);
    /* Nothing to recover and nothing to change: touch nothing. */
    if (!need && access(journal, F_OK) != 0)
        return 0;
    if (vmb_mkdir_p(state, err) < 0)
        return vmb_error_prefix(err, "make the host settings directory");
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return vmb_error_sys(err, "open \"%s\"", lock);
    autofree char *who = NULL;
    int held = take_lock(fd, state, &who);
    if (held != 0) {
        int e = errno;
        close(fd);
        if (held < 0) {
            errno = e;
            return vmb_error_sys(err, "lock \"%s\"", lock);
        }
        /* A live vmbench holds the settings: its journal is its own. */
        if (!need) {
            vmb_note(notes,
                     "the host settings are held by %s, which restores "
                     "them itself; left alone",
                     who);
            return 0;
        }
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the host settings are held by %s; runs that "
                             "change host settings cannot share a host, wait "
                             "for it to finish",
                             who);
    }
    if (recover(root, state, notes, err) < 0) {
        close(fd);
        return -1;
    }
    if (!need) {
        close(fd);
        return 0;
    }
    struct vmb_hostset *h = vmb_xcalloc(1, sizeof(*h));
    h->root = vmb_xstrdup(root);
    h->state = vmb_xstrdup(state);
    autofree char *cwd = getcwd(NULL, 0);
    h->results = results_dir == NULL ? vmb_xstrdup("")
                 : results_dir[0] == '/' || cwd == NULL
                     ? vmb_xstrdup(results_dir)
                     : vmb_xasprintf("%s/%s", cwd, results_dir);
    h->lock_fd = fd;
    *out = h;
    return 0;
}

int
vmb_hostset_apply(struct vmb_hostset *h, const struct vmb_config *cfg,
                  struct vmb_error **err)
{
    if (!vmb_config_changes_host(cfg))
        return 0;
    if (h == NULL || h->lock_fd < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "the host settings were not opened for changes");
    if (vmb_hostset_restore(h, err) < 0)
        return -1;
    struct vmb_buf j = {0};
    /* One line each: a results path with a newline is shown escaped. */
    autofree char *results = vmb_term_safe(h->results);
    vmb_buf_printf(&j, "%s\npid %ld\nresults %s\n", JOURNAL_MAGIC,
                   (long)getpid(), results);
    char buf[24];
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        if (vmb_hostset_wanted(cfg, i, buf) == NULL)
            continue;
        char *v = read_knob(h->root, i);
        if (v == NULL || !valid_value(i, v)) {
            autofree char *shown = vmb_term_safe(v ? v : "");
            free(v);
            vmb_buf_free(&j);
            for (size_t k = 0; k < i; k++) {
                free(h->saved[k]);
                h->saved[k] = NULL;
            }
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "read host setting \"%s%s\": got \"%s\"",
                                 h->root, vmb_hostset_knobs[i].path, shown);
        }
        h->saved[i] = v;
        vmb_buf_printf(&j, "%s %s\n", vmb_hostset_knobs[i].name, v);
    }
    autofree char *path = journal_path(h->state);
    int rc = vmb_write_file_atomic(path, j.data, j.len, err);
    vmb_buf_free(&j);
    if (rc < 0) {
        for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
            free(h->saved[i]);
            h->saved[i] = NULL;
        }
        return vmb_error_prefix(err, "write the host settings journal");
    }
    h->applied = true;
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        const char *v = vmb_hostset_wanted(cfg, i, buf);
        if (v != NULL && write_knob(h->root, i, v, err) < 0) {
            vmb_autoerr struct vmb_error *rerr = NULL;
            vmb_hostset_restore(h, &rerr);
            return vmb_error_prefix(err, "apply host setting %s=\"%s\"",
                                    vmb_hostset_knobs[i].name, v);
        }
    }
    return 0;
}

int
vmb_hostset_restore(struct vmb_hostset *h, struct vmb_error **err)
{
    if (h == NULL || !h->applied)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        if (h->saved[i] == NULL)
            continue;
        /* Every setting is tried; the first failure is the one told. */
        struct vmb_error *e = NULL;
        if (write_knob(h->root, i, h->saved[i], &e) < 0) {
            if (rc == 0)
                *err = e;
            else
                vmb_error_free(e);
            rc = -1;
        }
    }
    if (rc < 0)
        /* The journal stays: the next start tries again. */
        return vmb_error_prefix(err, "restore the host settings");
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        free(h->saved[i]);
        h->saved[i] = NULL;
    }
    h->applied = false;
    autofree char *path = journal_path(h->state);
    if (unlink(path) < 0 && errno != ENOENT)
        return vmb_error_sys(err, "remove \"%s\"", path);
    return 0;
}

char *
vmb_hostset_value(const struct vmb_hostset_where *where, size_t i)
{
    return read_knob(root_of(where), i);
}

bool
vmb_hostset_journal_exists(const struct vmb_hostset_where *where)
{
    autofree char *path = journal_path(state_of(where));
    return access(path, F_OK) == 0;
}

void
vmb_hostset_free(struct vmb_hostset *h)
{
    if (h == NULL)
        return;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_hostset_restore(h, &err) < 0)
        vmb_note(NULL,
                 "%s; the next `vmbench run` or `vmbench doctor --restore` "
                 "tries again",
                 err->msg);
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++)
        free(h->saved[i]);
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    free(h->root);
    free(h->state);
    free(h->results);
    free(h);
}
