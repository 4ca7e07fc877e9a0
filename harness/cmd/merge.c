/* `vmbench merge`: arguments to the results layer's merge. */
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "cli.h"
#include "results/merge.h"

const char vmb_usage_merge[] =
    "usage: vmbench merge OUT DIR... [--partial]\n\n"
    "Merges the results directories of the shards of one matrix (each run\n"
    "with `vmbench run MATRIX --shard K/N`, on any host) into the new\n"
    "results directory OUT, which `report`, `compare` and `kata-config`\n"
    "read as a run of the whole matrix on one host: the same cells, ids\n"
    "and repetitions. Every host's provenance is kept "
    "(hosts/shard-K/run.json:\n"
    "host, CPU, kernel, QEMU and libvirt versions, the doctor's checks), and\n"
    "run.json's \"merged\" member says which shard and host ran each cell.\n"
    "The first control also ran on every shard as its host's calibration;\n"
    "those copies are kept under hosts/shard-K/control/ and never used as\n"
    "the control of a VM cell (docs/scale-out.md).\n\n"
    "  --partial  merge the shards given when some are missing (they are\n"
    "             named); without it, missing shards are refused\n\n"
    "Nothing is written, and OUT is not created, when a DIR is not a\n"
    "shard's results directory (or one the results reader finds damaged),\n"
    "when the shards come from different matrices or vmbench versions,\n"
    "when one shard is given twice or two hold the same cell, when a\n"
    "shard holds a symlink or special file, when the shards' fio job\n"
    "files differ, or when OUT exists or lies inside a shard.\n\n"
    "exit status: 0 merged, 2 refused (the reason named).\n";

enum { OPT_PARTIAL = 256 };

static const struct option longopts[] = {
    {"partial", no_argument, NULL, OPT_PARTIAL},
    {NULL, 0, NULL, 0},
};

int
vmb_cmd_merge(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_merge_opts o = {0};
    autofree const char **dirs = vmb_xcalloc((size_t)argc + 1, sizeof(*dirs));
    struct vmb_cli_parse args = {.cmd = "merge", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        if (opt == OPT_PARTIAL)
            o.partial = true;
        else if (o.out == NULL)
            o.out = args.arg;
        else
            dirs[o.ndirs++] = args.arg;
    }
    if (opt < 0)
        return -1;
    if (o.out == NULL || o.ndirs == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "merge needs OUT and at least one shard "
                             "directory; see `vmbench merge --help`");
    if (o.out[0] == '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "OUT is empty; see `vmbench merge --help`");
    o.dirs = dirs;
    struct vmb_merge_summary sum = {0};
    if (vmb_results_merge(&o, &sum, err) < 0)
        return -1;
    if (sum.missing != NULL)
        fprintf(stderr, "vmbench: shards %s of %zu are missing (--partial)\n",
                sum.missing, sum.count);
    autofree char *out = vmb_term_safe(o.out);
    printf("merged %zu of %zu shards (%zu cell and control directories, "
           "%zu host%s) into %s\n",
           sum.merged, sum.count, sum.ncells, sum.nhosts,
           sum.nhosts == 1 ? "" : "s", out);
    free(sum.missing);
    return 0;
}
