/*
 * The options `vmbench run` and `vmbench tune` share (--out, --resume,
 * --only, --dry-run, --no-report, --kata, --shard; tune refuses the
 * last), parsed into the struct
 * vmb_run_opts both hand to the run layer (run/run.h). An option every
 * run should have goes here, once: its enum value, its longopts entry,
 * its arm in vmb_run_opt_parse and, when its help reads the same for
 * both commands, its usage lines.
 */
#ifndef VMB_CMD_RUN_OPTS_H
#define VMB_CMD_RUN_OPTS_H

#include "cli.h"
#include "run/run.h"

enum vmb_run_opt {
    VMB_RUN_OPT_OUT = 256,
    VMB_RUN_OPT_RESUME,
    VMB_RUN_OPT_ONLY,
    VMB_RUN_OPT_DRY_RUN,
    VMB_RUN_OPT_NO_REPORT,
    VMB_RUN_OPT_KATA,
    VMB_RUN_OPT_SHARD,
    VMB_RUN_OPT_NEXT, /* a command's own options start here */
};

/* The longopts entries of the shared options, for a command's table.
 * (clang-format would split the last entry's braces apart.) */
/* clang-format off */
#define VMB_RUN_LONGOPTS                                                       \
    {"out", required_argument, NULL, VMB_RUN_OPT_OUT},                         \
    {"resume", required_argument, NULL, VMB_RUN_OPT_RESUME},                   \
    {"only", required_argument, NULL, VMB_RUN_OPT_ONLY},                       \
    {"dry-run", no_argument, NULL, VMB_RUN_OPT_DRY_RUN},                       \
    {"no-report", no_argument, NULL, VMB_RUN_OPT_NO_REPORT},                   \
    {"kata", required_argument, NULL, VMB_RUN_OPT_KATA},                       \
    {"shard", required_argument, NULL, VMB_RUN_OPT_SHARD}
/* clang-format on */

/*
 * Usage lines of the shared options whose help is the same in both
 * commands; PAD follows the option to the help column, INDENT is that
 * column's indent on the lines after the first.
 */
#define VMB_RUN_USAGE_KATA(PAD, INDENT)                                        \
    "  --kata FILE" PAD "a Kata configuration.toml as the base of every "      \
    "cell,\n" INDENT "in place of the matrix's `kata:` key (run.json\n" INDENT \
    "records it and the keys vmbench does not model)\n"
#define VMB_RUN_USAGE_NO_REPORT(PAD)                                           \
    "  --no-report" PAD "do not generate the report at the end\n"

/*
 * Applies option opt (a vmb_cli_next result, its value at p->arg) to o.
 * Returns 1 when opt is a shared option, 0 when it is not (the command's
 * own), or -1 with *err set for a bad value.
 */
int vmb_run_opt_parse(const struct vmb_cli_parse *p, int opt,
                      struct vmb_run_opts *o, struct vmb_error **err);

/*
 * The checks both commands make once every option is parsed: a matrix
 * file unless resuming, and --kata or --shard not with --resume (a
 * resumed run keeps the Kata base and the shard it started with). Messages name
 * `vmbench CMD
 * --help` by p->cmd. Returns 0, or -1 with *err set (VMB_ERR_INPUT).
 */
int vmb_run_opt_check(const struct vmb_cli_parse *p,
                      const struct vmb_run_opts *o, struct vmb_error **err);

#endif
