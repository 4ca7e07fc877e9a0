/* The options `run` and `tune` share (run_opts.h). */
#include "cmd/run_opts.h"

#include "config/shard.h"

int
vmb_run_opt_parse(const struct vmb_cli_parse *p, int opt,
                  struct vmb_run_opts *o, struct vmb_error **err)
{
    switch (opt) {
    case VMB_RUN_OPT_OUT:
        return vmb_cli_dir(p, "out", &o->out, err) < 0 ? -1 : 1;
    case VMB_RUN_OPT_RESUME:
        return vmb_cli_dir(p, "resume", &o->resume, err) < 0 ? -1 : 1;
    case VMB_RUN_OPT_ONLY:
        return vmb_cli_only(p, &o->only, err) < 0 ? -1 : 1;
    case VMB_RUN_OPT_DRY_RUN:
        o->dry_run = true;
        return 1;
    case VMB_RUN_OPT_NO_REPORT:
        o->report = NULL;
        return 1;
    case VMB_RUN_OPT_KATA:
        o->kata = p->arg;
        return 1;
    case VMB_RUN_OPT_SHARD:
        if (o->nshards > 0)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "--shard is given twice");
        return vmb_shard_parse(p->arg, &o->shard, &o->nshards, err) < 0 ? -1
                                                                        : 1;
    }
    return 0;
}

int
vmb_run_opt_check(const struct vmb_cli_parse *p, const struct vmb_run_opts *o,
                  struct vmb_error **err)
{
    if (o->matrix == NULL && o->resume == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a matrix file is needed; see `vmbench %s "
                             "--help`",
                             p->cmd);
    if (o->resume != NULL && o->kata != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--kata and --resume cannot be used together");
    if (o->resume != NULL && o->nshards > 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--shard and --resume cannot be used together "
                             "(a resumed run keeps the shard its plan.json "
                             "names)");
    return 0;
}
