/* `vmbench run`: arguments to struct vmb_run_opts. */
#include <string.h>

#include "cli.h"
#include "cmd/run_opts.h"
#include "run/run.h"

/* clang-format would split the text's lines around the shared options'. */
/* clang-format off */
const char vmb_usage_run[] =
    "usage: vmbench run MATRIX.yaml [--out DIR] [--kata FILE] [--dry-run]\n"
    "                   [--only vm|baremetal|control] [--shard K/N]\n"
    "       vmbench run --resume DIR [--only vm|baremetal|control]\n"
    "                   [--retry-failed]\n\n"
    "Runs every cell of the matrix and its bare-metal control, each\n"
    "`repetitions` times in the planned order. A run starts the two database\n"
    "nodes (in two container VMs, or as host processes for the control),\n"
    "waits until node 2 replicates node 1, drives the load phases, collects\n"
    "logs and figures and tears everything down; database.engine fio runs\n"
    "its jobs on node 1 alone (one VM, one host process), node 2 never\n"
    "started. Results go into a new directory (docs/results-format.md);\n"
    "`vmbench report` is run on it at the end.\n\n"
    "  --out DIR     results directory to create (default\n"
    "                results/<name>-<UTC time>, with -shard<K>of<N> for a\n"
    "                shard); an existing one is never overwritten\n"
    VMB_RUN_USAGE_KATA("   ", "                ")
    "  --resume DIR  continue an interrupted run: runs whose result.json\n"
    "                exists are kept, the others are done (a directory\n"
    "                `vmbench merge` made is refused: resume its shards)\n"
    "  --retry-failed  with --resume: the runs recorded as failed are\n"
    "                done again too\n"
    "  --dry-run     print the runs and the directory, start nothing\n"
    "  --only KIND   run only the VM cells (vm) or only the bare-metal\n"
    "                controls (baremetal, or control, the same); the others\n"
    "                are left for a later --resume\n"
    "  --shard K/N   run only shard K (0 to N-1) of N, as a Slurm array\n"
    "                index or Kubernetes' JOB_COMPLETION_INDEX gives it;\n"
    "                `vmbench plan --shards N` shows the partition, and\n"
    "                `vmbench merge` makes one results directory of the\n"
    "                shards (docs/scale-out.md). A resumed shard keeps its\n"
    "                shard\n"
    VMB_RUN_USAGE_NO_REPORT("   ") "\n"
    "A failing run is recorded as failed (error and logs in its result.json\n"
    "and directory) and the others go on. A run that cannot start because\n"
    "its environment is not there (libvirt unreachable, no guest image) is\n"
    "not recorded: --resume does it. Before anything starts, what the\n"
    "selected cells need from this host is checked; every shortfall is\n"
    "listed with its fix and nothing is created (exit 2; --dry-run lists\n"
    "them and exits 0). Ctrl-C stops after tearing down the current run;\n"
    "finished runs are kept.\n\n"
    "exit status: 0 every run succeeded, 1 some failed, could not start\n"
    "or were interrupted, 2 bad input (matrix file, directory) or a host\n"
    "that lacks what the cells need.\n";
/* clang-format on */

enum { OPT_RETRY_FAILED = VMB_RUN_OPT_NEXT };

static const struct option longopts[] = {
    VMB_RUN_LONGOPTS,
    {"retry-failed", no_argument, NULL, OPT_RETRY_FAILED},
    {NULL, 0, NULL, 0},
};

int
vmb_cmd_run(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_run_opts o = {.only = VMB_RUN_ALL,
                             .report = vmb_cmd_report_after};
    struct vmb_cli_parse args = {.cmd = "run", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        int shared = vmb_run_opt_parse(&args, opt, &o, err);
        if (shared < 0)
            return -1;
        if (shared > 0)
            continue;
        if (opt == OPT_RETRY_FAILED) {
            o.retry_failed = true;
            continue;
        }
        /* Otherwise a positional word. */
        if (o.matrix != NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unexpected argument \"%s\"; see "
                                 "`vmbench run --help`",
                                 args.arg);
        o.matrix = args.arg;
    }
    if (opt < 0)
        return -1;
    if (vmb_run_opt_check(&args, &o, err) < 0)
        return -1;
    if (o.retry_failed && o.resume == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--retry-failed needs --resume DIR");
    if (o.resume != NULL && o.out != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--out and --resume cannot be used together");
    return vmb_run(&o, err);
}
