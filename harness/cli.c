#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Listed in the order `vmbench --help` shows them; only built commands. */
const struct vmb_command vmb_commands[] = {
    {"plan", vmb_cmd_plan, "validate a matrix file and list what would run",
     "usage: vmbench plan MATRIX.yaml [--json]\n\n"
     "Validates the matrix file and prints its cells (id, label, the Kata\n"
     "configuration.toml values each corresponds to), the bare-metal control\n"
     "runs, the repetitions, the order the runs would go in and a rough\n"
     "duration. Nothing is started.\n\n"
     "  --json   print the same as JSON\n\n"
     "exit status: 0 valid, 2 the file has an error (file:line:col named).\n"},
    {"options", vmb_cmd_options, "list every matrix option with its default",
     "usage: vmbench options [--json]\n\n"
     "Lists every option a matrix file accepts, by section, with its type,\n"
     "default, range or choices, Kata configuration.toml alias and help.\n\n"
     "  --json   print the same as JSON\n"},
    {"report", vmb_cmd_report, "statistics, charts and a report of a results directory",
     "usage: vmbench report RESULTS_DIR [--no-charts] [--quiet]\n\n"
     "Reads a results directory written by `vmbench run` and writes into it:\n"
     "  summary.csv   one row per cell, phase and metric: median, 95% bootstrap\n"
     "                interval, coefficient of variation, ratio to the bare-metal\n"
     "                control with its interval, flags, and every config option\n"
     "  plots/        PNG and SVG charts (and the gnuplot script of each)\n"
     "  report.md     what ran, host, versions, accelerator, the numbers, the\n"
     "                charts, cells that cannot be told apart, provenance\n"
     "  report.html   the same, charts inline\n\n"
     "Charts need gnuplot (set VMB_GNUPLOT to use another binary, VMB_PLOTS_DIR\n"
     "for other chart templates). Without it the rest is written and the\n"
     "command fails.\n\n"
     "  --no-charts   write summary.csv and the report without charts\n"
     "  --quiet       do not list the files written\n\n"
     "exit status: 0 done, 1 charts failed, 2 not a readable results directory.\n"},
    {"kata-config", vmb_cmd_kata_config, "the Kata configuration.toml settings of a cell",
     "usage: vmbench kata-config RESULTS_DIR (CELL | --best PHASE.METRIC)\n"
     "                           [--base configuration.toml] [--output FILE]\n\n"
     "Prints the Kata Containers [hypervisor.qemu] settings that correspond to\n"
     "a cell of a run: default_vcpus, default_memory, enable_iothreads,\n"
     "shared_fs, virtio_fs_cache, msize_9p, block_device_driver, path, ...\n"
     "CELL is a cell id, a unique id prefix (4+ digits) or its label.\n\n"
     "  --best PHASE.METRIC  pick the cell with the best median, e.g.\n"
     "                       write.op_rate (highest) or read.p99 (lowest)\n"
     "  --base FILE          print a copy of FILE (a configuration.toml) with\n"
     "                       just those keys of [hypervisor.qemu] changed or\n"
     "                       added; comments and everything else stay as they are\n"
     "  --output FILE        write to FILE (atomically) instead of stdout\n\n"
     "exit status: 0 done, 2 unknown cell or metric, or a malformed base file\n"
     "(the message names its line).\n"},
    {NULL, NULL, NULL, NULL},
};
const size_t vmb_ncommands = sizeof(vmb_commands) / sizeof(vmb_commands[0]) - 1;

const struct vmb_command *
vmb_command_find(const char *name)
{
    for (size_t i = 0; i < vmb_ncommands; i++)
        if (strcmp(vmb_commands[i].name, name) == 0)
            return &vmb_commands[i];
    return NULL;
}

int
vmb_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

void
vmb_cli_print_usage(const struct vmb_command *cmd)
{
    fputs(cmd->usage, stdout);
}
