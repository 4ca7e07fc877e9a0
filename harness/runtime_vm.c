/*
 * The container-VM runtime: two VMs (vm.h), the server started in each
 * container root by the guest agent.
 */
#include "runtime.h"

static int
vm_up(struct vmb_runtime *rt, struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "this build cannot boot container VMs yet");
}

static int
vm_start_db(struct vmb_runtime *rt, int node, const struct vmb_db_driver *drv,
            const char *conf, struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: no VM", node);
}

static bool
vm_alive(struct vmb_runtime *rt, int node, char **why)
{
    *why = vmb_xstrdup("has no VM");
    return false;
}

static char *
vm_db_log(struct vmb_runtime *rt, int node)
{
    return NULL;
}

static void
vm_nop(struct vmb_runtime *rt)
{
}

static void
vm_result_json(struct vmb_runtime *rt, struct vmb_jw *w)
{
}

static int
vm_collect(struct vmb_runtime *rt, const char *dir, struct vmb_error **err)
{
    return 0;
}

const struct vmb_runtime_ops vmb_runtime_vm = {
    .name = "vm",
    .up = vm_up,
    .start_db = vm_start_db,
    .alive = vm_alive,
    .db_log = vm_db_log,
    .window_begin = vm_nop,
    .window_end = vm_nop,
    .result_json = vm_result_json,
    .collect = vm_collect,
    .stop_db = vm_nop,
    .down = vm_nop,
    .free_priv = vm_nop,
};
