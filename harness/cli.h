/*
 * The subcommand table (crun's shape). main() only dispatches; each
 * subcommand lives in its own file and is listed in cli.c.
 *
 * A subcommand returns the exit status (0 success, 1 a run failed) or -1
 * with *err set; main prints the error and exits 1 or 2 by its kind.
 * Subcommands print their own --help text from their entry's `usage`.
 */
#ifndef VMB_CLI_H
#define VMB_CLI_H

#include <stddef.h>

#include "base/error.h"

struct vmb_command {
    const char *name;
    int (*fn)(int argc, char **argv, struct vmb_error **err);
    const char *summary; /* one line for `vmbench --help` */
    const char *usage;   /* full text for `vmbench NAME --help` */
};

extern const struct vmb_command vmb_commands[];
extern const size_t vmb_ncommands;

const struct vmb_command *vmb_command_find(const char *name);

/* True when argv holds -h or --help (before a "--"). */
int vmb_cli_wants_help(int argc, char **argv);

/* Prints the command's usage to stdout. */
void vmb_cli_print_usage(const struct vmb_command *cmd);

/* Entry points, one per subcommand file. */
int vmb_cmd_plan(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_options(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_stress(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_run(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_report(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_image(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_doctor(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_kata_config(int argc, char **argv, struct vmb_error **err);

#endif
