#include "db/db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/units.h"
#include "base/util.h"

extern const struct vmb_db_driver vmb_db_redis;
extern const struct vmb_db_driver vmb_db_postgres;
extern const struct vmb_db_driver vmb_db_fio;
extern const struct vmb_db_driver vmb_db_mariadb;

const struct vmb_db_driver *const vmb_db_drivers[] = {
    &vmb_db_redis, &vmb_db_postgres, &vmb_db_fio, &vmb_db_mariadb, NULL,
};

const struct vmb_db_driver *
vmb_db_driver_find(int engine)
{
    for (size_t i = 0; vmb_db_drivers[i] != NULL; i++)
        if (vmb_db_drivers[i]->engine == engine)
            return vmb_db_drivers[i];
    return NULL;
}

static char *
executable_in(const char *root, const char *dir, size_t dlen, const char *name)
{
    char *p = vmb_xasprintf("%s%.*s/%s", root, (int)dlen, dir, name);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    return NULL;
}

char *
vmb_db_program_find(const struct vmb_db_driver *drv, const char *root,
                    const char *path, const char *name)
{
    if (drv != NULL && drv->program_dir != NULL) {
        autofree char *dir = drv->program_dir(root);
        if (dir != NULL) {
            char *p = executable_in("", dir, strlen(dir), name);
            if (p != NULL)
                return p;
        }
    }
    if (path == NULL)
        path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *d = path;; d++) {
        size_t n = strcspn(d, ":");
        /* An empty entry is the working directory, which a daemon's
         * lookup never uses: skip it. */
        char *p = n > 0 && d[0] == '/' ? executable_in(root, d, n, name) : NULL;
        if (p != NULL)
            return p;
        d += n;
        if (*d == '\0')
            return NULL;
    }
}

void
vmb_db_argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (char **a = argv; *a != NULL; a++)
        free(*a);
    free(argv);
}

char *
vmb_db_log_tail(const char *log, int lines)
{
    if (log == NULL)
        return vmb_xstrdup("(empty)");
    /* Walk back from the end collecting non-empty lines. */
    const char *starts[64];
    size_t lens[64];
    int n = 0;
    if (lines > 64)
        lines = 64;
    const char *end = log + strlen(log);
    while (end > log && n < lines) {
        const char *e = end;
        while (e > log && (e[-1] == '\n' || e[-1] == '\r'))
            e--;
        const char *s = e;
        while (s > log && s[-1] != '\n')
            s--;
        if (e > s) {
            starts[n] = s;
            lens[n] = (size_t)(e - s);
            n++;
        }
        end = s;
    }
    if (n == 0)
        return vmb_xstrdup("(empty)");
    struct vmb_buf b = {0};
    for (int i = n - 1; i >= 0; i--) {
        vmb_buf_append(&b, starts[i], lens[i]);
        if (i > 0)
            vmb_buf_puts(&b, " | ");
    }
    return vmb_buf_steal(&b);
}

int
vmb_db_exited_error(const struct vmb_db_watch *watch, int node,
                    const char *server, const char *why, const char *said,
                    char *(*startup_error)(const char *log),
                    struct vmb_error **err)
{
    autofree char *log = watch->log ? watch->log(watch->ctx, node) : NULL;
    autofree char *msg = startup_error(log);
    if (msg != NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: %s %s: %s%s", node,
                             server, why, said, msg);
    autofree char *tail = vmb_db_log_tail(log, 5);
    return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: %s %s; log: %s", node,
                         server, why, tail);
}

int
vmb_db_fail_timeout(const struct vmb_db_watch *watch, int node,
                    const char *what, uint64_t timeout_us, const char *last,
                    struct vmb_error **err)
{
    autofree char *log =
        watch && watch->log ? watch->log(watch->ctx, node) : NULL;
    autofree char *tail = vmb_db_log_tail(log, 5);
    char d[32];
    vmb_format_duration_us(timeout_us, d, sizeof(d));
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "node %d: %s within %s (%s); log: %s", node, what, d,
                         last ? last : "no answer", tail);
}

void
vmb_db_sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

static int
check_alive(const struct vmb_db_poll *p, int node, struct vmb_error **err)
{
    const struct vmb_db_watch *w = p->watch;
    if (w == NULL || w->alive == NULL)
        return 0;
    autofree char *why = NULL;
    if (w->alive(w->ctx, node, &why))
        return 0;
    return p->exited(w, node, why ? why : "exited", err);
}

int
vmb_db_poll_until(const struct vmb_db_poll *p, struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + p->timeout_us * 1000ull;
    autofree char *last = NULL;
    for (;;) {
        for (size_t i = 0; i < 2 && p->nodes[i] != 0; i++)
            if (check_alive(p, p->nodes[i], err) < 0)
                return -1;
        if (vmb_interrupted)
            return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: interrupted",
                                 p->blame);
        int rc = p->attempt(p->ctx, deadline, &last, err);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
        if (vmb_now_ns() >= deadline)
            return vmb_db_fail_timeout(p->watch, p->blame, p->what,
                                       p->timeout_us, last, err);
        vmb_db_sleep_ns(p->poll_ns);
    }
}
