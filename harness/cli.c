#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "run/run.h"

/*
 * Listed in the order `vmbench --help` shows them; only built commands.
 * The usage texts live beside their parsers in cmd/.
 */
const struct vmb_command vmb_commands[] = {
    {"plan", vmb_cmd_plan, "validate a matrix file and list what would run",
     vmb_usage_plan, NULL},
    {"options", vmb_cmd_options, "list every matrix option with its default",
     vmb_usage_options, NULL},
    {"run", vmb_cmd_run,
     "run a matrix: VMs and bare metal, into a results directory",
     vmb_usage_run, NULL},
    {"stress", vmb_cmd_stress,
     "run the load generator alone against a Redis server", vmb_usage_stress,
     NULL},
    {"doctor", vmb_cmd_doctor, "host checks: libvirt, KVM really works, tuning",
     vmb_usage_doctor, NULL},
    {"merge", vmb_cmd_merge,
     "shard results directories from many hosts into one", vmb_usage_merge,
     NULL},
    {"report", vmb_cmd_report,
     "statistics, charts and a report of a results directory", vmb_usage_report,
     NULL},
    {"tune", vmb_cmd_tune, "race the cells of a matrix for the best one", NULL,
     vmb_usage_tune},
    {"compare", vmb_cmd_compare,
     "A/B verdicts of two results directories; exit 1 on a regression", NULL,
     vmb_usage_compare},
    {"kata-config", vmb_cmd_kata_config,
     "the Kata configuration.toml settings of a cell", vmb_usage_kata_config,
     NULL},
    {"kata-diff", vmb_cmd_kata_diff,
     "a cell's QEMU against a real Kata sandbox's, device by device; exit 1 "
     "on a performance-relevant difference",
     vmb_usage_kata_diff, NULL},
    {"image", vmb_cmd_image, "build or show the cached guest image",
     vmb_usage_image, NULL},
    {NULL, NULL, NULL, NULL, NULL},
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
    if (cmd->print_usage != NULL)
        cmd->print_usage(stdout);
    else
        fputs(cmd->usage, stdout);
}

/*
 * getopt_long only says '?' or ':'; the word it stopped at tells which
 * option and why, in our words rather than its own.
 */
static int
option_error(const struct vmb_cli_parse *p, int c, const char *word,
             struct vmb_error **err)
{
    bool is_long = strncmp(word, "--", 2) == 0;
    autofree char *name = is_long ? vmb_xstrndup(word, strcspn(word, "="))
                                  : vmb_xasprintf("-%c", optopt);
    if (c == ':')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" needs a value", name);
    /* Besides unknown, a long option can be abbreviated too far or given
     * a value it does not take. */
    size_t len = is_long ? strlen(name) - 2 : 0, matches = 0;
    const struct option *match = NULL;
    for (const struct option *o = p->longopts; len > 0 && o->name; o++) {
        if (strncmp(o->name, name + 2, len) != 0)
            continue;
        match = o;
        if (strlen(o->name) == len) {
            matches = 1;
            break;
        }
        matches++;
    }
    if (matches > 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"%s\" is ambiguous; see `vmbench %s "
                             "--help`",
                             name, p->cmd);
    if (matches == 1 && match->has_arg == no_argument &&
        strchr(word, '=') != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"--%s\" takes no value", match->name);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "unknown option \"%s\"; see `vmbench %s --help`", name,
                         p->cmd);
}

int
vmb_cli_next(struct vmb_cli_parse *p, int argc, char **argv,
             struct vmb_error **err)
{
    if (!p->started) {
        p->started = true;
        optind = 0;
        opterr = 0;
    }
    p->arg = NULL;
    if (p->rest) {
        if (optind >= argc)
            return 0;
        p->arg = argv[optind++];
        return VMB_CLI_WORD;
    }
    /* "-": words come in order, positional ones as 1 whatever
     * POSIXLY_CORRECT says, so argv[at] is the word a '?' is about;
     * ":": a missing value is ':', not '?'. */
    autofree char *optstring =
        vmb_xasprintf("-:%s", p->shortopts ? p->shortopts : "");
    int at = optind > 0 ? optind : 1;
    int c = getopt_long(argc, argv, optstring, p->longopts, NULL);
    if (c == -1) {
        /* Stopped at "--" (or the end): the rest is positional. */
        p->rest = true;
        return vmb_cli_next(p, argc, argv, err);
    }
    if (c == '?' || c == ':')
        return option_error(p, c, at < argc ? argv[at] : "", err);
    p->arg = optarg;
    return c;
}

int
vmb_cli_dir(const struct vmb_cli_parse *p, const char *opt, const char **dir,
            struct vmb_error **err)
{
    if (p->arg[0] == '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "option \"--%s\" needs a directory, got \"\"",
                             opt);
    *dir = p->arg;
    return 0;
}

int
vmb_cli_only(const struct vmb_cli_parse *p, int *only, struct vmb_error **err)
{
    if (strcmp(p->arg, "vm") == 0)
        *only = VMB_RUN_ONLY_VM;
    else if (strcmp(p->arg, "baremetal") == 0 || strcmp(p->arg, "control") == 0)
        *only = VMB_RUN_ONLY_BAREMETAL;
    else
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--only takes vm, baremetal or control, got "
                             "\"%s\"; see `vmbench %s --help`",
                             p->arg, p->cmd);
    return 0;
}
