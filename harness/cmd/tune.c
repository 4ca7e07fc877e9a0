/* `vmbench tune`: arguments to struct vmb_tune_opts. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli.h"
#include "cmd/run_opts.h"
#include "results/metric.h"
#include "run/run.h"
#include "run/tune.h"

/* clang-format would split the text's lines around the shared options'. */
/* clang-format off */
static const char usage_text[] =
    "usage: vmbench tune MATRIX.yaml --objective PHASE.METRIC\n"
    "                    [--limit PHASE.METRIC=VALUE] [--first N]\n"
    "                    [--budget RUNS] [--out DIR] [--kata FILE]\n"
    "                    [--dry-run] [--only vm|baremetal]\n"
    "       vmbench tune --resume DIR\n\n"
    "Races the cells of the matrix for the best value of the objective\n"
    "instead of running every repetition of every cell. Every cell runs a\n"
    "first round (--first, default 3 repetitions, interleaved); after each\n"
    "round a cell leaves the race when it is clearly worse than the current\n"
    "best: its 95% bootstrap interval of the median lies entirely on the\n"
    "worse side of the best's, or its bootstrap probability of being the\n"
    "best is under 5%. The cells still racing get one more repetition a\n"
    "round. The race stops when one cell is left, when the matrix's\n"
    "`repetitions` is reached, or when --budget would be passed.\n\n"
    "  --objective P.M  the phase (write, read, 0-write) and a metric\n"
    "                   listed below to win, in its better direction\n"
    "  --limit P.M=V    only cells whose latency P.M stays at or under V\n"
    "                   (2ms, 500us) can win; a cell whose interval is\n"
    "                   entirely over it is dropped\n"
    "  --first N        repetitions of the first round (default 3, at\n"
    "                   least 3: no cell leaves the race before it and the\n"
    "                   best have 3 successful runs, because a median's\n"
    "                   95% bootstrap interval from 3 or fewer runs is\n"
    "                   their range, and two cells alike have disjoint\n"
    "                   ranges 1 time in 2 at 1 run, 1 in 6 at 2, 1 in 20\n"
    "                   at 3; a smaller N is refused rather than raised,\n"
    "                   so the runs are the ones asked for)\n"
    "  --budget RUNS    run at most this many runs in all\n"
    "  --out DIR        results directory to create (an ordinary one, plus\n"
    "                   tune.json with every round's decisions)\n"
    "  --resume DIR     continue an interrupted tune, on the Kata base it\n"
    "                   started from; it ends as an uninterrupted one\n"
    "                   would\n"
    "  --only KIND      vm: race the VM cells without their controls;\n"
    "                   baremetal: race the bare-metal controls (no VM).\n"
    "                   By default the VM cells race and their controls run\n"
    "                   the first round\n"
    VMB_RUN_USAGE_KATA("      ", "                   ")
    "  --dry-run        print the first round's runs, start nothing\n"
    "  (--shard K/N is refused: a race needs all its cells in one place)\n"
    VMB_RUN_USAGE_NO_REPORT("      ") "\n"
    "At the end it prints the winner, the runs the race took against the\n"
    "full factorial, and the `vmbench kata-config` command that writes the\n"
    "winner's Kata settings.\n\n"
    "exit status: 0 a winner, 1 no cell had a value (within the limit) or\n"
    "interrupted, 2 bad input.\n\n"
    "The metrics of a phase (capacity: of capacity phases only):\n";
/* clang-format on */

/* Composed when printed: the metrics come from their table. */
void
vmb_usage_tune(FILE *out)
{
    fputs(usage_text, out);
    autofree char *table = vmb_metric_help(VMB_IN_PHASES);
    fputs(table, out);
}

enum {
    OPT_OBJECTIVE = VMB_RUN_OPT_NEXT,
    OPT_LIMIT,
    OPT_FIRST,
    OPT_BUDGET,
};

static const struct option longopts[] = {
    VMB_RUN_LONGOPTS,
    {"objective", required_argument, NULL, OPT_OBJECTIVE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"first", required_argument, NULL, OPT_FIRST},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {NULL, 0, NULL, 0},
};

static int
count_arg(const char *name, const char *text, int64_t *out,
          struct vmb_error **err)
{
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || v < 1 || v > 1000000)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--%s takes a whole number from 1 to 1000000, "
                             "got \"%s\"",
                             name, text);
    *out = v;
    return 0;
}

int
vmb_cmd_tune(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_tune_opts o = {
        .run = {.only = VMB_RUN_ALL, .report = vmb_cmd_report_after}};
    struct vmb_cli_parse args = {.cmd = "tune", .longopts = longopts};
    bool only_given = false;
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        int shared = vmb_run_opt_parse(&args, opt, &o.run, err);
        if (shared < 0)
            return -1;
        only_given |= opt == VMB_RUN_OPT_ONLY;
        if (shared > 0)
            continue;
        switch (opt) {
        case OPT_OBJECTIVE:
            o.objective = args.arg;
            break;
        case OPT_LIMIT:
            o.limit = args.arg;
            break;
        case OPT_FIRST:
            if (count_arg("first", args.arg, &o.first, err) < 0)
                return -1;
            break;
        case OPT_BUDGET:
            if (count_arg("budget", args.arg, &o.budget, err) < 0)
                return -1;
            break;
        case VMB_CLI_WORD:
            if (o.run.matrix != NULL)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "unexpected argument \"%s\"; see "
                                     "`vmbench tune --help`",
                                     args.arg);
            o.run.matrix = args.arg;
            break;
        }
    }
    if (opt < 0)
        return -1;
    /* Before anything else: the reason holds whatever else was given. */
    if (o.run.nshards > 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "tune cannot run a shard: a race compares every "
                             "cell after each round, so all its cells must "
                             "run in one place; run the matrix whole, or "
                             "shard it with `vmbench run --shard`");
    if (vmb_run_opt_check(&args, &o.run, err) < 0)
        return -1;
    if (o.run.resume != NULL) {
        if (o.run.matrix || o.run.out || o.objective || o.limit || o.first ||
            o.budget || only_given)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "--resume takes the tune's settings from "
                                 "its tune.json; give it alone");
        o.run.only = VMB_RUN_ALL; /* replaced by tune.json's */
        return vmb_tune(&o, err);
    }
    if (o.objective == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--objective PHASE.METRIC is needed (for "
                             "example write.op_rate); see `vmbench tune "
                             "--help`");
    return vmb_tune(&o, err);
}
