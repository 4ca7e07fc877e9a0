#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Listed in the order `vmbench --help` shows them; only built commands. */
const struct vmb_command vmb_commands[] = {
    {"stress", vmb_cmd_stress,
     "run the load generator alone against a Redis server",
     "usage: vmbench stress URL PHASE [key=value ...] [flags]\n"
     "\n"
     "Runs one phase of Redis requests against URL and prints a summary\n"
     "like cassandra-stress's: op rate, latency mean, median, p95, p99,\n"
     "p99.9, max, total operations, errors by class, operation time.\n"
     "\n"
     "  URL    redis://HOST[:PORT] or unix:///PATH/TO/redis.sock\n"
     "  PHASE  write (SET), read (GET) or mixed (ratio=write:1,read:3)\n"
     "\n"
     "key=value options are the matrix's `load:` and phase options\n"
     "(`vmbench options` lists them), for example:\n"
     "  n=1000000 | duration=30s   length of the phase (one is required)\n"
     "  warmup=5s                  time left out of the results\n"
     "  connections=200 threads=2 pipeline=16\n"
     "  keys=1000000 key_dist=uniform|sequential|zipfian|gaussian zipf_skew=0.99\n"
     "  value_size=256 value_size_max=1k   fixed size, or a range\n"
     "  rate=50k                   open loop at 50k ops/s; latency from the\n"
     "                             intended send time, uncorrected kept too\n"
     "  connect_timeout=5s request_timeout=10s key_prefix=key:\n"
     "\n"
     "flags:\n"
     "  --json FILE     the phase's numbers and full percentile distribution\n"
     "  --csv FILE      per-second ops/s, p50 and p99 per op kind\n"
     "  --hgrm FILE     HdrHistogram percentile text (microseconds)\n"
     "  --replica URL   reads go here too, per read_from=replica|both\n"
     "  --no-latency    do not record latencies (to measure their cost)\n"
     "  -q, --quiet     no summary, no progress line\n"
     "\n"
     "A read of a key never written counts as a miss, not an error.\n"
     "exit status: 0 done without errors, 1 errors were counted or the run\n"
     "was interrupted, 2 bad URL or option.\n"},
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
