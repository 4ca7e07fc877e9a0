#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

const struct vmb_runtime_ops *
vmb_runtime_for(enum vmb_cell_kind kind)
{
    switch (kind) {
    case VMB_CELL_CONTROL:
        return &vmb_runtime_baremetal;
    case VMB_CELL_VM:
        return &vmb_runtime_vm;
    }
    return NULL;
}

int
vmb_runtime_new(const struct vmb_runtime_ops *ops, void *env,
                const struct vmb_cell *cell, int rep, const char *work_dir,
                struct vmb_runtime **out, struct vmb_error **err)
{
    if (vmb_rm_rf(work_dir, err) < 0 || vmb_mkdir_p(work_dir, err) < 0)
        return vmb_error_prefix(err, "prepare the work directory");
    struct vmb_runtime *rt = vmb_xcalloc(1, sizeof(*rt));
    rt->ops = ops;
    rt->env = env;
    rt->cfg = &cell->cfg;
    rt->cell_id = cell->id;
    rt->rep = rep;
    rt->work_dir = vmb_xstrdup(work_dir);
    rt->accel = "none";
    for (int i = 0; i < 2; i++)
        rt->nodes[i].index = i + 1;
    *out = rt;
    return 0;
}

void
vmb_runtime_free(struct vmb_runtime *rt)
{
    if (rt == NULL)
        return;
    rt->ops->down(rt);
    if (rt->ops->free_priv != NULL)
        rt->ops->free_priv(rt);
    vmb_autoerr struct vmb_error *e = NULL;
    vmb_rm_rf(rt->work_dir, &e);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            free(rt->node_strs[i][j]);
    free(rt->work_dir);
    free(rt);
}

void
vmb_runtime_set_node(struct vmb_runtime *rt, int node, const char *host,
                     int port, const char *listen, const char *data_dir)
{
    char **s = rt->node_strs[node - 1];
    for (int j = 0; j < 4; j++)
        free(s[j]);
    s[0] = vmb_xstrdup(host);
    s[1] = vmb_xstrdup(listen);
    s[2] = vmb_xstrdup(data_dir);
    s[3] = NULL;
    struct vmb_db_node *n = &rt->nodes[node - 1];
    n->index = node;
    n->host = s[0];
    n->port = port;
    n->listen = s[1];
    n->data_dir = s[2];
    n->primary_host = NULL;
    n->primary_port = 0;
}

static bool
watch_alive(void *ctx, int node, char **why)
{
    struct vmb_runtime *rt = ctx;
    return rt->ops->alive(rt, node, why);
}

static char *
watch_log(void *ctx, int node)
{
    struct vmb_runtime *rt = ctx;
    return rt->ops->db_log(rt, node);
}

void
vmb_runtime_watch(struct vmb_runtime *rt, struct vmb_db_watch *w)
{
    w->alive = watch_alive;
    w->log = watch_log;
    w->ctx = rt;
}

const char *const *
vmb_runtime_image_packages(int engine)
{
    const struct vmb_db_driver *own = vmb_db_driver_find(engine);
    if (own != NULL && own->tool) {
        static const char *const none[] = {NULL};
        return own->image_packages ? own->image_packages : none;
    }
    static const char *packages[64];
    size_t np = 0;
    for (size_t d = 0; vmb_db_drivers[d] != NULL; d++) {
        if (vmb_db_drivers[d]->tool)
            continue;
        const char *const *pk = vmb_db_drivers[d]->image_packages;
        for (size_t k = 0; pk && pk[k] && np + 1 < 64; k++)
            packages[np++] = pk[k];
    }
    packages[np] = NULL;
    return packages;
}
