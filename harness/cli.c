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
    {"run", vmb_cmd_run, "run a matrix: VMs and bare metal, into a results directory",
     "usage: vmbench run MATRIX.yaml [--out DIR] [--dry-run] [--only vm|baremetal]\n"
     "       vmbench run --resume DIR [--only vm|baremetal]\n\n"
     "Runs every cell of the matrix and its bare-metal control, each\n"
     "`repetitions` times in the planned order. A run starts the two database\n"
     "nodes (in two container VMs, or as host processes for the control),\n"
     "waits until node 2 replicates node 1, drives the load phases, collects\n"
     "logs and figures and tears everything down. Results go into a new\n"
     "directory (docs/results-format.md); `vmbench report` is run on it at\n"
     "the end.\n\n"
     "  --out DIR     results directory to create (default\n"
     "                results/<name>-<UTC time>); an existing one is never\n"
     "                overwritten\n"
     "  --resume DIR  continue an interrupted run: runs whose result.json\n"
     "                exists are kept, the others are done\n"
     "  --dry-run     print the runs and the directory, start nothing\n"
     "  --only KIND   run only the VM cells or only the bare-metal controls;\n"
     "                the others are left for a later --resume\n"
     "  --no-report   do not generate the report at the end\n\n"
     "A failing run is recorded as failed (error and logs in its result.json\n"
     "and directory) and the others go on. Ctrl-C stops after tearing down\n"
     "the current run; finished runs are kept.\n\n"
     "exit status: 0 every run succeeded, 1 some failed or interrupted,\n"
     "2 bad input (matrix file, directory).\n"},
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
    {"doctor", vmb_cmd_doctor, "host checks: libvirt, KVM really works, tuning",
     "usage: vmbench doctor [--json] [--connect URI] [--emulator PATH]\n"
     "                      [--kernel PATH] [--results DIR] [--no-kvm-probe]\n\n"
     "Checks the host: libvirtd reachable (and how to start it), QEMU and\n"
     "libvirt versions, whether KVM really runs a guest (a probe guest must\n"
     "print its first line within 6 s; nested setups often hang), virtiofsd,\n"
     "vhost-net and vhost-vsock, cgroup version and controllers, CPU frequency\n"
     "governor, transparent huge pages, swap, free memory, and free disk for\n"
     "the results directory. Each line is ok, warn or fail; a line that is not\n"
     "ok is followed by a one-line fix.\n\n"
     "  --json           print the checks as a JSON array\n"
     "  --connect URI    libvirt URI (default qemu:///system)\n"
     "  --emulator PATH  QEMU binary (default /usr/bin/qemu-system-x86_64)\n"
     "  --kernel PATH    guest kernel for the KVM probe (default: newest\n"
     "                   /boot/vmlinuz-*)\n"
     "  --results DIR    where results will go (default results)\n"
     "  --no-kvm-probe   skip the probe boot\n\n"
     "exit status: 0 no check failed (warnings allowed), 1 a check failed.\n"},
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
    {"image", vmb_cmd_image, "build or show the cached guest image",
     "usage: vmbench image build [--force] [--cache DIR]\n"
     "       vmbench image show [--cache DIR]\n\n"
     "The container VMs boot a root disk made from this host's database\n"
     "binaries (redis-server, redis-cli), a few tools (sh, cat, ls, sleep,\n"
     "sync) and every shared library they load, plus a minimal /etc. It is\n"
     "built once with libguestfs (an appliance under TCG: about a minute)\n"
     "and cached under DIR/<key>/ (root.qcow2, manifest.json), the key a\n"
     "hash of everything that went in: when the host's packages change, the\n"
     "next build makes a new image. VMs get copy-on-write overlays of it.\n\n"
     "  build          build the image unless the cache has it; says which\n"
     "  show           print the key and path, and whether it is built\n"
     "  --force        rebuild even when cached, replacing it\n"
     "  --cache DIR    cache directory (default /var/cache/vmbench/images)\n"},
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
