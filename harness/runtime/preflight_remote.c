/*
 * The preflight's need of a control whose node 2 runs on another host
 * (hosts.control_node2): the host answers over ssh within the connect
 * deadline with a known host key, and has the engine's programs.
 */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "config/hosts.h"
#include "db/db.h"
#include "runtime/preflight.h"
#include "runtime/remote.h"

bool
vmb_preflight_remote_applies(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_CONTROL && vmb_hosts_control_remote(&c->cfg);
}

/* Whether an engine has a node 2 to put elsewhere (fio has none). */
static bool
runs_remotely(const struct vmb_db_driver *d)
{
    return d != NULL && !d->tool;
}

static const struct vmb_preflight_remote *
find(const struct vmb_preflight_facts *f, const char *dest, int engine)
{
    for (size_t i = 0; i < f->nremotes; i++)
        if (strcmp(f->remotes[i].dest, dest) == 0 &&
            f->remotes[i].engine == engine)
            return &f->remotes[i];
    return NULL;
}

static void
read_one(struct vmb_preflight_remote *x, const struct vmb_config *cfg)
{
    struct vmb_remote r;
    struct vmb_remote_facts rf;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_remote_init(&r, x->dest, cfg->hosts.connect_timeout_us, &err) < 0 ||
        vmb_remote_probe(&r, vmb_db_driver_find(x->engine), &rf, &err) < 0) {
        snprintf(x->error, sizeof(x->error), "%s", err->msg);
        return;
    }
    snprintf(x->missing, sizeof(x->missing), "%s", rf.missing);
}

void
vmb_preflight_remotes_read(struct vmb_preflight_facts *f,
                           const struct vmb_matrix *m,
                           bool (*want)(void *ctx, const struct vmb_cell *c),
                           void *ctx)
{
    for (size_t i = 0; i < m->ncontrols; i++) {
        const struct vmb_cell *c = &m->controls[i];
        if (!vmb_preflight_remote_applies(c) || (want && !want(ctx, c)) ||
            !runs_remotely(vmb_db_driver_find(c->cfg.database.engine)))
            continue;
        const char *dest = c->cfg.hosts.control_node2;
        int engine = c->cfg.database.engine;
        if (find(f, dest, engine) != NULL ||
            f->nremotes == VMB_PREFLIGHT_MAX_REMOTES)
            continue;
        struct vmb_preflight_remote *x = &f->remotes[f->nremotes++];
        memset(x, 0, sizeof(*x));
        snprintf(x->dest, sizeof(x->dest), "%s", dest);
        x->engine = engine;
        read_one(x, &c->cfg);
    }
}

int
vmb_preflight_remote_probe(const struct vmb_preflight_facts *h,
                           const struct vmb_cell *c, char **detail, char **fix)
{
    const char *dest = c->cfg.hosts.control_node2;
    const struct vmb_db_driver *d = vmb_db_driver_find(c->cfg.database.engine);
    if (!runs_remotely(d)) {
        *detail = vmb_xasprintf("a %s control has no node 2 to run on "
                                "another host",
                                d ? d->name : "?");
        *fix = vmb_xstrdup("leave hosts.control_node2 at \"\" for this "
                           "engine");
        return VMB_PREFLIGHT_LACK;
    }
    const struct vmb_preflight_remote *x =
        find(h, dest, c->cfg.database.engine);
    if (x == NULL) {
        *detail = vmb_xasprintf("host \"%s\" was not checked: a matrix "
                                "names at most %d other hosts",
                                dest, VMB_PREFLIGHT_MAX_REMOTES);
        *fix = vmb_xstrdup("split the matrix by host");
        return VMB_PREFLIGHT_LACK;
    }
    if (x->error[0] != '\0') {
        *detail = vmb_xstrdup(x->error);
        *fix = vmb_xasprintf(
            "make \"ssh -o BatchMode=yes -o StrictHostKeyChecking=yes "
            "HOST true\" work for \"%s\" (its key in your known_hosts, "
            "yours in its authorized_keys; `vmbench doctor --host %s` "
            "checks it)",
            dest, dest);
        return VMB_PREFLIGHT_LACK;
    }
    if (x->missing[0] != '\0') {
        *detail = vmb_xasprintf("host \"%s\" lacks %s of %s", dest, x->missing,
                                d->name);
        *fix = vmb_xasprintf("install them on \"%s\" (%s)", dest,
                             d->install ? d->install : d->name);
        return VMB_PREFLIGHT_LACK;
    }
    return 0;
}
