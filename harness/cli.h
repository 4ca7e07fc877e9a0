/*
 * The subcommand table (crun's shape) and the argument parsing the
 * subcommands share. main() only dispatches.
 *
 * Each subcommand lives in its own file under cmd/: its entry point, its
 * getopt_long options and, beside them, its usage text vmb_usage_NAME: a
 * string, or a function that composes the text when it is printed (lists
 * generated from a table). `run` and `tune` take their shared options
 * from cmd/run_opts.h. cli.c lists them in a table of {name, fn, summary,
 * usage, print_usage} in the order `vmbench --help` shows them.
 *
 * A subcommand returns the exit status (0 success, 1 a run failed) or -1
 * with *err set; main prints the error and exits 1 or 2 by its kind.
 * main prints a subcommand's usage for -h or --help without calling it.
 */
#ifndef VMB_CLI_H
#define VMB_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"

struct vmb_command {
    const char *name;
    int (*fn)(int argc, char **argv, struct vmb_error **err);
    const char *summary; /* one line for `vmbench --help` */
    const char *usage;   /* full text for `vmbench NAME --help`, or NULL */
    void (*print_usage)(FILE *out); /* the text composed, where usage is
                                       NULL */
};

extern const struct vmb_command vmb_commands[];
extern const size_t vmb_ncommands;

const struct vmb_command *vmb_command_find(const char *name);

/* True when argv holds -h or --help (before a "--"). */
int vmb_cli_wants_help(int argc, char **argv);

/* Prints the command's usage to stdout. */
void vmb_cli_print_usage(const struct vmb_command *cmd);

/*
 * One subcommand's parse of its argv (argv[0] the subcommand's name) with
 * getopt_long, word by word in the order given: options and positional
 * words may be mixed (`run MATRIX --out DIR`, `stress URL PHASE k=v
 * --json F`), and every word after "--" is positional. Long options may
 * be abbreviated to a unique prefix and take their value as `--out DIR`
 * or `--out=DIR`.
 *
 *     struct vmb_cli_parse p = {.cmd = "run", .longopts = longopts};
 *     int c;
 *     while ((c = vmb_cli_next(&p, argc, argv, err)) > 0)
 *         switch (c) { case VMB_CLI_WORD: ... p.arg ... }
 *     if (c < 0)
 *         return -1;
 *
 * The first call restarts getopt (optind = 0) and silences its printing
 * (opterr = 0), so one process may parse several times (tests do).
 */
struct vmb_cli_parse {
    const char *cmd;               /* for messages: `vmbench CMD --help` */
    const char *shortopts;         /* getopt's short options ("qo:"), or
                                      NULL; no leading "+", "-" or ":" */
    const struct option *longopts; /* flag NULL, val neither 0 nor 1 */
    const char *arg;               /* the option's value or the word */
    bool started, rest;            /* private */
};

/* What vmb_cli_next returns for a positional word. */
#define VMB_CLI_WORD 1

/*
 * Returns the next option's val (p->arg its value, NULL for an option
 * without one), VMB_CLI_WORD with p->arg the next positional word, 0 when
 * argv is done, or -1 with *err set (VMB_ERR_INPUT) for an unknown or
 * ambiguous option, an option without its value or a value given to an
 * option that takes none, the message naming the option as typed.
 */
int vmb_cli_next(struct vmb_cli_parse *p, int argc, char **argv,
                 struct vmb_error **err);

/*
 * The value of a directory option (--out, --resume) at p->arg into *dir:
 * "" is refused (VMB_ERR_INPUT) rather than taken as the current
 * directory.
 */
int vmb_cli_dir(const struct vmb_cli_parse *p, const char *opt,
                const char **dir, struct vmb_error **err);

/*
 * The value of --only at p->arg into *only (enum vmb_run_only): vm,
 * baremetal or its alias control; anything else is refused naming p->cmd.
 */
int vmb_cli_only(const struct vmb_cli_parse *p, int *only,
                 struct vmb_error **err);

/* Entry points and usage texts, one file under cmd/ each. */
int vmb_cmd_plan(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_options(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_stress(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_run(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_report(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_image(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_doctor(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_kata_config(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_kata_diff(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_compare(int argc, char **argv, struct vmb_error **err);

/* Writes the report of a results directory at the end of `run` and
 * `tune`, its notes and any failure on stderr (cmd/report.c). */
void vmb_cmd_report_after(const char *dir);
int vmb_cmd_tune(int argc, char **argv, struct vmb_error **err);
int vmb_cmd_merge(int argc, char **argv, struct vmb_error **err);

extern const char vmb_usage_plan[];
extern const char vmb_usage_options[];
extern const char vmb_usage_stress[];
extern const char vmb_usage_run[];
extern const char vmb_usage_report[];
extern const char vmb_usage_image[];
extern const char vmb_usage_doctor[];
extern const char vmb_usage_kata_config[];
extern const char vmb_usage_kata_diff[];
extern const char vmb_usage_merge[];
void vmb_usage_compare(FILE *out);
void vmb_usage_tune(FILE *out);

#endif
