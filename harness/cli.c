#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Listed in the order `vmbench --help` shows them; only built commands. */
const struct vmb_command vmb_commands[] = {
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
