#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "version.h"

static void
print_help(FILE *out)
{
    fprintf(out, "usage: vmbench [--version] [--help] COMMAND [ARGS...]\n\n"
                 "Benchmarks a two-node database in container VMs against bare "
                 "metal.\n\ncommands:\n");
    for (size_t i = 0; i < vmb_ncommands; i++)
        fprintf(out, "  %-12s %s\n", vmb_commands[i].name,
                vmb_commands[i].summary);
    fprintf(out, "\n`vmbench COMMAND --help` describes one command.\n"
                 "exit status: 0 success, 1 a run failed, 2 bad input.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vmbench %s (git %s)\n", VMB_VERSION, VMB_GIT_REV);
        return 0;
    }
    const struct vmb_command *cmd = vmb_command_find(argv[1]);
    if (cmd == NULL) {
        char *name = vmb_term_safe(argv[1]);
        fprintf(stderr,
                "vmbench: unknown command \"%s\"; see `vmbench --help`\n",
                name);
        free(name);
        return 2;
    }
    if (vmb_cli_wants_help(argc - 1, argv + 1)) {
        vmb_cli_print_usage(cmd);
        return 0;
    }
    struct vmb_error *err = NULL;
    int rc = cmd->fn(argc - 1, argv + 1, &err);
    if (rc < 0) {
        char *msg = vmb_term_safe(err && err->msg ? err->msg : "failed");
        fprintf(stderr, "vmbench %s: %s\n", cmd->name, msg);
        free(msg);
        rc = err ? (int)err->kind : 1;
        vmb_error_free(err);
    }
    return rc;
}
