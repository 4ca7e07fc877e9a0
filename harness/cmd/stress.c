/*
 * `vmbench stress URL PHASE [key=value ...]`: the load generator alone,
 * against any Redis server. Options are the matrix's `load:` section and
 * phase options, parsed by the same tables.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "load/load.h"
#include "load/proto.h"
#include "protocols/mysql.h"
#include "protocols/pg.h"
#include "protocols/protocols.h"

const char vmb_usage_stress[] =
    "usage: vmbench stress URL PHASE [key=value ...] [flags]\n"
    "\n"
    "Runs one phase of Redis, PostgreSQL or MariaDB requests against URL\n"
    "and prints a summary like cassandra-stress's: op rate, latency mean,\n"
    "median, p95, p99, p99.9, max, total operations, errors by class,\n"
    "operation time.\n"
    "\n"
    "  URL    redis://HOST[:PORT] or unix:///PATH/TO/redis.sock;\n"
    "         postgres://USER[:PASSWORD]@HOST[:PORT]/DB or\n"
    "         postgresql:///DB?host=/SOCKET/DIR (libpq's URLs);\n"
    "         mysql://USER[:PASSWORD]@HOST[:PORT]/DB (MariaDB, pipeline=1)\n"
    "  PHASE  write (SET; SQL: upsert into vmb_kv), read (GET;\n"
    "         a point SELECT), mixed (ratio=write:1,read:3);\n"
    "         PostgreSQL only: tpcb-like, simple-update, select-only\n"
    "         (pgbench's transactions; latency per transaction);\n"
    "         MariaDB only: oltp_point_select, oltp_read_only,\n"
    "         oltp_read_write, oltp_write_only, oltp_update_index,\n"
    "         oltp_update_non_index, oltp_insert (sysbench's, on\n"
    "         tables= sbtest tables of table_size= rows); and\n"
    "         prepare: make the tables (vmb_kv of keys= rows of\n"
    "         value_size=, pgbench's four at scale=, or sbtest), load them\n"
    "         (COPY; MariaDB: multi-row INSERTs); untimed, its duration\n"
    "         printed\n"
    "\n"
    "key=value options are the matrix's `load:` and phase options\n"
    "(`vmbench options` lists them), for example:\n"
    "  n=1000000 | duration=30s   length of the phase (one is required)\n"
    "  warmup=5s                  time left out of the results\n"
    "  connections=200 threads=2 pipeline=16\n"
    "  keys=1000000 key_dist=uniform|sequential|zipfian|gaussian "
    "zipf_skew=0.99\n"
    "  value_size=256 value_size_max=1k   fixed size, or a range\n"
    "  rate=50k                   open loop at 50k ops/s; latency from the\n"
    "                             intended send time, uncorrected kept too\n"
    "  connect_timeout=5s request_timeout=10s key_prefix=key:\n"
    "  scale=10                   pgbench's scale factor (PostgreSQL): of\n"
    "                             prepare's tables; the transactions read\n"
    "                             it from pgbench_branches, as pgbench does,\n"
    "                             and refuse a scale= that differs\n"
    "  phase_timeout=5m           wall-clock limit of the phase; an n phase\n"
    "                             also ends once no connection answers for\n"
    "                             request_timeout (a stall)\n"
    "\n"
    "A capacity phase takes capacity=PERCENTILE:LIMIT instead of a length:\n"
    "  capacity=p99:1ms           the highest open-loop rate whose p50, p95,\n"
    "                             p99 or p99.9 latency stays within LIMIT\n"
    "  step=10s                   each open-loop step runs this long\n"
    "  capacity_start=1k          the first step's rate, doubled until a step\n"
    "                             fails, then bisected; phase_timeout bounds\n"
    "                             the whole search\n"
    "  e.g. vmbench stress redis://127.0.0.1 write capacity=p99:1ms step=2s\n"
    "\n"
    "flags:\n"
    "  --json FILE     the phase's numbers and full percentile distribution\n"
    "  --csv FILE      per-second ops/s, p50 and p99 per op kind\n"
    "  --hgrm FILE     HdrHistogram percentile text (microseconds)\n"
    "  --replica URL   reads go here too, per read_from=replica|both\n"
    "  --no-latency    do not record latencies (to measure their cost)\n"
    "  --prepare       run the prepare step for PHASE first (PostgreSQL,\n"
    "                  MariaDB)\n"
    "  -q, --quiet     no summary, no progress line\n"
    "\n"
    "A read of a key never written counts as a miss, not an error.\n"
    "PostgreSQL: pipeline=1 sends a transaction's statements one at a time\n"
    "in BEGIN ... END, like pgbench -M prepared; pipeline>1 uses libpq's\n"
    "pipeline mode, each transaction its statements and a Sync. A failed\n"
    "transaction is rolled back and counted as a server error by SQLSTATE\n"
    "(40001 serialization and 40P01 deadlock apart), not retried.\n"
    "MariaDB: one statement in flight per connection, a transaction's\n"
    "statements one at a time in BEGIN ... COMMIT as sysbench sends them;\n"
    "a failed one is rolled back and counted by SQLSTATE, not retried.\n"
    "exit status: 0 done without errors, 1 errors were counted, the phase\n"
    "stalled or ended early, the run was interrupted, or no capacity step\n"
    "met its limit, 2 bad URL or option, or the server refused the\n"
    "connection (wrong password, no such database).\n";

enum {
    OPT_JSON = 256,
    OPT_CSV,
    OPT_HGRM,
    OPT_REPLICA,
    OPT_NO_LATENCY,
    OPT_PREPARE,
};

static const struct option longopts[] = {
    {"json", required_argument, NULL, OPT_JSON},
    {"csv", required_argument, NULL, OPT_CSV},
    {"hgrm", required_argument, NULL, OPT_HGRM},
    {"replica", required_argument, NULL, OPT_REPLICA},
    {"no-latency", no_argument, NULL, OPT_NO_LATENCY},
    {"prepare", no_argument, NULL, OPT_PREPARE},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

struct stress_args {
    const char *url;
    const char *replica_url;
    const char *json_path;
    const char *csv_path;
    const char *hgrm_path;
    bool quiet;
    bool prepare;      /* --prepare */
    bool prepare_only; /* PHASE prepare */
    bool no_latency;
    bool scale_given; /* scale= */
};

static int
apply_word(const char *word, struct vmb_load_opts *opts,
           struct vmb_phase *phase, struct vmb_error **err)
{
    const char *eq = strchr(word, '=');
    if (eq == NULL || eq == word)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected key=value, got \"%s\"", word);
    autofree char *key = vmb_xstrndup(word, (size_t)(eq - word));
    const char *value = eq + 1;
    if (strcmp(key, "capacity") == 0)
        return vmb_load_capacity_parse(phase, value, err);
    const struct vmb_section *load = vmb_section_find("load");
    const struct vmb_option *opt =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, key);
    void *base = phase;
    if (opt == NULL) {
        opt = vmb_option_find(load->options, load->noptions, key);
        base = opts;
    }
    if (opt == NULL) {
        const char *hint =
            vmb_option_suggest(load->options, load->noptions, key);
        if (hint == NULL)
            hint =
                vmb_option_suggest(vmb_phase_options, vmb_nphase_options, key);
        if (hint)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unknown option \"%s\"; did you mean "
                                 "\"%s\"?",
                                 key, hint);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "unknown option \"%s\"; see `vmbench stress "
                             "--help`",
                             key);
    }
    if (vmb_option_parse(opt, value, base, err) < 0)
        return vmb_error_prefix(err, "option \"%s\"", key);
    return 0;
}

/* An output file must be writable where it is named before the phase
 * runs, not found unwritable after it. */
static int
check_output(const char *path, struct vmb_error **err)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? vmb_error_set(err, VMB_ERR_INPUT, 0,
                                   "output \"%s\" is a directory", path)
                   : 0;
    autofree char *dir = vmb_xstrdup(path);
    char *slash = strrchr(dir, '/');
    const char *parent = slash == NULL ? "." : slash == dir ? "/" : dir;
    if (slash != NULL && slash != dir)
        *slash = '\0';
    if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "output \"%s\": directory \"%s\" does not "
                             "exist",
                             path, parent);
    return 0;
}

static int
parse_args(int argc, char **argv, struct stress_args *a,
           struct vmb_load_opts *opts, struct vmb_phase *phase,
           struct vmb_error **err)
{
    int positional = 0;
    bool have_count = false, have_duration = false, have_capacity = false;
    struct vmb_cli_parse args = {
        .cmd = "stress", .shortopts = "q", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_JSON:
            a->json_path = args.arg;
            break;
        case OPT_CSV:
            a->csv_path = args.arg;
            break;
        case OPT_HGRM:
            a->hgrm_path = args.arg;
            break;
        case OPT_REPLICA:
            a->replica_url = args.arg;
            break;
        case OPT_NO_LATENCY:
            a->no_latency = true;
            break;
        case OPT_PREPARE:
            a->prepare = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case VMB_CLI_WORD:
            if (positional == 0) {
                a->url = args.arg;
            } else if (positional == 1 && strcmp(args.arg, "prepare") == 0) {
                a->prepare_only = true;
            } else if (positional == 1) {
                const struct vmb_option *op = vmb_option_find(
                    vmb_phase_options, vmb_nphase_options, "op");
                if (vmb_option_parse(op, args.arg, phase, err) < 0)
                    return vmb_error_prefix(err, "phase \"%s\"", args.arg);
            } else {
                if (apply_word(args.arg, opts, phase, err) < 0)
                    return -1;
                if (vmb_str_has_prefix(args.arg, "n="))
                    have_count = true;
                if (vmb_str_has_prefix(args.arg, "duration="))
                    have_duration = true;
                if (vmb_str_has_prefix(args.arg, "capacity="))
                    have_capacity = true;
                if (vmb_str_has_prefix(args.arg, "scale="))
                    a->scale_given = true;
            }
            positional++;
            break;
        }
    }
    if (opt < 0)
        return -1;
    if (positional < 2)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected URL and PHASE; see `vmbench stress "
                             "--help`");
    if (a->prepare_only)
        return 0;
    if (have_capacity && (have_count || have_duration))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a capacity phase runs steps of step=TIME; "
                             "give it no n or duration");
    if (have_capacity && opts->rate_per_s > 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a capacity phase sets its own rate; give no "
                             "rate=");
    if (have_count && have_duration)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "give the phase n=COUNT or duration=TIME, "
                             "not both");
    if (!have_capacity && ((!have_count && !have_duration) ||
                           (phase->n == 0 && phase->duration_us == 0)))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "give the phase a length: n=COUNT or "
                             "duration=TIME (or capacity=p99:1ms)");
    if (opts->read_from != VMB_READ_PRIMARY && a->replica_url == NULL)
        return vmb_error_set(
            err, VMB_ERR_INPUT, 0, "read_from=%s needs --replica URL",
            opts->read_from == VMB_READ_REPLICA ? "replica" : "both");
    const char *outs[] = {a->json_path, a->csv_path, a->hgrm_path};
    for (size_t i = 0; i < 3; i++)
        if (outs[i] != NULL && check_output(outs[i], err) < 0)
            return -1;
    return 0;
}

static void
on_progress(void *ctx, const struct vmb_load_progress *p)
{
    (void)ctx;
    char line[160];
    snprintf(line, sizeof(line),
             "\r%s %6.0fs %s %12llu ops %10.0f op/s %8llu errors",
             vmb_op_name(p->op), p->elapsed_s, p->warmup ? "warmup " : "",
             (unsigned long long)p->ops, p->ops_per_s,
             (unsigned long long)p->errors);
    fputs(line, stderr);
    fflush(stderr);
}

/*
 * pgbench's transactions run at the scale of the tables they find, read
 * as pgbench reads it; a scale= that says otherwise is refused, as it
 * would draw from the wrong branches (scale 1 on tables of scale 10 is
 * one contended branch row, another workload).
 */
static int
settle_scale(const struct stress_args *a, const struct vmb_load_target *t,
             struct vmb_load_opts *opts, const struct vmb_phase *phase,
             struct vmb_error **err)
{
    if (t->proto != &vmb_pg_proto ||
        (phase->op != VMB_OP_TPCB_LIKE && phase->op != VMB_OP_SIMPLE_UPDATE &&
         phase->op != VMB_OP_SELECT_ONLY))
        return 0;
    int64_t scale = 0;
    if (vmb_pg_bench_scale(t, opts, &scale, err) < 0)
        return -1;
    if (a->scale_given && scale != opts->scale)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "scale \"%" PRId64 "\" contradicts the pgbench "
                             "tables on \"%s\", which are of scale %" PRId64
                             " (rows of pgbench_branches); give scale=%" PRId64
                             " or none",
                             opts->scale, t->name, scale, scale);
    opts->scale = scale;
    return 0;
}

static int
write_buf(const char *path, struct vmb_buf *b, struct vmb_error **err)
{
    autofree char *data = vmb_buf_steal(b);
    if (vmb_write_output(path, data, strlen(data), err) < 0)
        return vmb_error_prefix(err, "write \"%s\"", path);
    return 0;
}

int
vmb_cmd_stress(int argc, char **argv, struct vmb_error **err)
{
    const struct vmb_section *load = vmb_section_find("load");
    struct vmb_load_opts opts;
    struct vmb_phase phase;
    struct stress_args a = {0};
    struct vmb_load_target primary, replica;
    struct vmb_load_result *res = NULL;
    int rc = -1;

    memset(&opts, 0, sizeof(opts));
    memset(&phase, 0, sizeof(phase));
    vmb_options_defaults(load->options, load->noptions, &opts);
    vmb_options_defaults(vmb_phase_options, vmb_nphase_options, &phase);
    if (parse_args(argc, argv, &a, &opts, &phase, err) < 0)
        goto out;
    if (vmb_protocols_target_parse(a.url, &primary, err) < 0)
        goto out;
    if (a.replica_url &&
        vmb_protocols_target_parse(a.replica_url, &replica, err) < 0)
        goto out;

    if ((a.prepare || a.prepare_only) &&
        vmb_load_target_proto(&primary)->prepare == NULL) {
        vmb_error_set(err, VMB_ERR_INPUT, 0,
                      "the %s protocol has no prepare step (it has no "
                      "tables to make); see `vmbench stress --help`",
                      vmb_load_target_proto(&primary)->name);
        goto out;
    }
    vmb_signals_install();
    if (a.prepare || a.prepare_only) {
        /* PHASE prepare makes every table a phase may use. */
        struct vmb_phase both[2] = {phase, phase};
        both[0].op = VMB_OP_WRITE;
        both[1].op = vmb_load_target_proto(&primary) == &vmb_mysql_proto
                         ? VMB_OP_OLTP_READ_WRITE
                         : VMB_OP_TPCB_LIKE;
        struct vmb_load_prepared prep;
        if (vmb_load_prepare(&primary, &opts, a.prepare_only ? both : &phase,
                             a.prepare_only ? 2 : 1, &prep, err) < 0)
            goto out;
        if (!a.quiet && prep.seconds > 0)
            printf("prepared %s on \"%s\": %llu rows in %.3f s\n", prep.what,
                   primary.name, (unsigned long long)prep.rows, prep.seconds);
        if (a.prepare_only) {
            rc = 0;
            goto out;
        }
    }
    if (settle_scale(&a, &primary, &opts, &phase, err) < 0)
        goto out;
    bool tty = !a.quiet && isatty(STDERR_FILENO);
    struct vmb_load_run run = {
        .opts = &opts,
        .phase = &phase,
        .primary = &primary,
        .replica = a.replica_url ? &replica : NULL,
        .no_latency = a.no_latency,
        .progress = tty ? on_progress : NULL,
    };
    if (vmb_load_run_phase(&run, &res, err) < 0) {
        if (tty)
            fputs("\n", stderr);
        vmb_error_prefix(err, "%s against \"%s\"", vmb_op_name(phase.op),
                         primary.name);
        goto out;
    }
    if (tty)
        fputs("\n", stderr);

    struct vmb_buf b = {0};
    if (!a.quiet) {
        vmb_load_result_summary(&b, res);
        fputs(b.data, stdout);
        vmb_buf_free(&b);
    }
    if (a.json_path) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_load_result_to_json(&w, res);
        vmb_buf_append(&w.buf, "\n", 1);
        if (write_buf(a.json_path, &w.buf, err) < 0)
            goto out;
        vmb_jw_free(&w);
    }
    if (a.csv_path) {
        vmb_load_csv_header(&b);
        vmb_load_result_to_csv(&b, res);
        if (write_buf(a.csv_path, &b, err) < 0)
            goto out;
    }
    if (a.hgrm_path) {
        vmb_load_result_to_hgrm(&b, res);
        if (write_buf(a.hgrm_path, &b, err) < 0)
            goto out;
    }
    /* A phase cut short is a failure even where it counted no error; the
     * summary and the files above still show what it did. */
    int end = vmb_load_result_ended_by(res);
    if (end == VMB_LOAD_END_DEADLINE || end == VMB_LOAD_END_STALL ||
        end == VMB_LOAD_END_UNREACHABLE) {
        rc = vmb_error_set(err, VMB_ERR_RUN, 0, "%s against \"%s\": %s",
                           vmb_op_name(phase.op), primary.name,
                           vmb_load_result_end_text(res));
        goto out;
    }
    rc = vmb_load_result_interrupted(res) || vmb_load_result_errors(res) > 0
             ? 1
             : 0;
    /* No rate met the limit: there is no capacity to report. */
    if (vmb_load_result_is_capacity(res) && vmb_load_result_capacity(res) <= 0)
        rc = 1;
out:
    vmb_load_result_free(res);
    vmb_options_free(load->options, load->noptions, &opts);
    vmb_options_free(vmb_phase_options, vmb_nphase_options, &phase);
    return rc;
}
