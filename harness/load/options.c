/* The load generator's options: `load:` and each phase of a matrix file,
 * and the key=value words of `vmbench stress`. */
#include <stddef.h>

#include "load/load.h"

static const struct vmb_choice dist_choices[] = {
    {"uniform", VMB_DIST_UNIFORM},
    {"sequential", VMB_DIST_SEQUENTIAL},
    {"zipfian", VMB_DIST_ZIPFIAN},
    {"gaussian", VMB_DIST_GAUSSIAN},
    {NULL, 0},
};
static const struct vmb_choice readfrom_choices[] = {
    {"primary", VMB_READ_PRIMARY},
    {"replica", VMB_READ_REPLICA},
    {"both", VMB_READ_BOTH},
    {NULL, 0},
};
static const struct vmb_choice op_choices[] = {
    {"write", VMB_OP_WRITE},
    {"read", VMB_OP_READ},
    {"mixed", VMB_OP_MIXED},
    {"tpcb-like", VMB_OP_TPCB_LIKE},
    {"simple-update", VMB_OP_SIMPLE_UPDATE},
    {"select-only", VMB_OP_SELECT_ONLY},
    {"randread-4k", VMB_OP_FIO_RANDREAD_4K},
    {"randread-4k-qd16", VMB_OP_FIO_RANDREAD_4K_QD16},
    {"randwrite-4k", VMB_OP_FIO_RANDWRITE_4K},
    {"randwrite-4k-qd16", VMB_OP_FIO_RANDWRITE_4K_QD16},
    {"seqread-1m", VMB_OP_FIO_SEQREAD_1M},
    {"seqwrite-1m", VMB_OP_FIO_SEQWRITE_1M},
    {"fsync-write-4k", VMB_OP_FIO_FSYNC_WRITE_4K},
    {"randrw-70-30", VMB_OP_FIO_RANDRW_70_30},
    {"fio-job", VMB_OP_FIO_JOB},
    {"oltp_point_select", VMB_OP_OLTP_POINT_SELECT},
    {"oltp_read_only", VMB_OP_OLTP_READ_ONLY},
    {"oltp_read_write", VMB_OP_OLTP_READ_WRITE},
    {"oltp_write_only", VMB_OP_OLTP_WRITE_ONLY},
    {"oltp_update_index", VMB_OP_OLTP_UPDATE_INDEX},
    {"oltp_update_non_index", VMB_OP_OLTP_UPDATE_NON_INDEX},
    {"oltp_insert", VMB_OP_OLTP_INSERT},
    {NULL, 0},
};

#define OPT(st, field) offsetof(struct st, field)

const struct vmb_option vmb_load_options[] = {
    {
        .name = "connections",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, connections),
        .def = "50",
        .min = 1,
        .max = 100000,
        .help = "connections over all threads (-rate threads=N)",
    },
    {
        .name = "threads",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, threads),
        .def = "0",
        .min = 0,
        .max = 1024,
        .help = "generator threads; 0 = what the host can spare",
    },
    {
        .name = "pipeline",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, pipeline),
        .def = "1",
        .min = 1,
        .max = 10000,
        .help = "requests in flight per connection",
    },
    {
        .name = "keys",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, keys),
        .def = "100000",
        .min = 1,
        .max = 1e12,
        .help = "key population",
    },
    {
        .name = "key_dist",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_load_opts, key_dist),
        .def = "uniform",
        .choices = dist_choices,
        .help = "key distribution",
    },
    {
        .name = "zipf_skew",
        .type = VMB_OPT_DOUBLE,
        .offset = OPT(vmb_load_opts, zipf_skew),
        .def = "0.99",
        .min = 0.01,
        .max = 5,
        .help = "zipfian skew (theta)",
    },
    {
        .name = "value_size",
        .type = VMB_OPT_SIZE,
        .offset = OPT(vmb_load_opts, value_size_bytes),
        .def = "256",
        .min = 1,
        .max = 536870912,
        .help = "value size, or the low end of a range",
    },
    {
        .name = "value_size_max",
        .type = VMB_OPT_SIZE,
        .offset = OPT(vmb_load_opts, value_size_max_bytes),
        .def = "0",
        .min = 0,
        .max = 536870912,
        .help = "high end of the value size range; 0 = fixed value_size",
    },
    {
        .name = "rate",
        .type = VMB_OPT_RATE,
        .offset = OPT(vmb_load_opts, rate_per_s),
        .def = "0",
        .min = 0,
        .max = 1e9,
        .help = "0 = closed loop; N = open loop at N ops/s, latency corrected",
    },
    {
        .name = "warmup",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_load_opts, warmup_us),
        .def = "0s",
        .min = 0,
        .max = 3600e6,
        .help = "time at the start of each phase left out",
    },
    {
        .name = "read_from",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_load_opts, read_from),
        .def = "primary",
        .choices = readfrom_choices,
        .help = "where reads go: primary, replica or both",
    },
    {
        .name = "connect_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_load_opts, connect_timeout_us),
        .def = "5s",
        .min = 1000,
        .max = 600e6,
        .help = "time allowed to connect",
    },
    {
        .name = "request_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_load_opts, request_timeout_us),
        .def = "10s",
        .min = 1000,
        .max = 3600e6,
        .help = "a request without an answer for this long counts as a timeout",
    },
    {
        .name = "key_prefix",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_load_opts, key_prefix),
        .def = "key:",
        .help = "prefix of every key",
    },
    {
        .name = "scale",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, scale),
        .def = "1",
        .min = 1,
        .max = 100000,
        .help = "pgbench's scale factor: tpcb-like, simple-update and "
                "select-only run on 100000 x scale accounts, scale "
                "branches, 10 x scale tellers",
    },
    {
        .name = "tables",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, tables),
        .def = "1",
        .min = 1,
        .max = 1000,
        .help = "sysbench's tables sbtest1..N the oltp_ operations run on",
        .since = "0.2",
    },
    {
        .name = "table_size",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_load_opts, table_size),
        .def = "10000",
        .min = 1,
        .max = 2e9,
        .help = "rows of each sysbench table",
        .since = "0.2",
    },
};

const struct vmb_option vmb_phase_options[] = {
    {
        .name = "op",
        .type = VMB_OPT_ENUM,
        .offset = OPT(vmb_phase, op),
        .def = "write",
        .choices = op_choices,
        .help = "write (SET, upsert), read (GET, point SELECT), mixed; "
                "PostgreSQL also tpcb-like, simple-update, select-only "
                "(pgbench's transactions); MariaDB also oltp_point_select, "
                "oltp_read_only, oltp_read_write, oltp_write_only, "
                "oltp_update_index, oltp_update_non_index, oltp_insert "
                "(sysbench's); fio (database.engine: fio) "
                "randread-4k, randread-4k-qd16, randwrite-4k, "
                "randwrite-4k-qd16, seqread-1m, seqwrite-1m, fsync-write-4k, "
                "randrw-70-30, and fio-job (the phase's fio: job file)",
    },
    {
        .name = "n",
        .type = VMB_OPT_INT,
        .offset = OPT(vmb_phase, n),
        .def = "0",
        .min = 0,
        .max = 1e12,
        .help = "operations to run; 0 = run for duration",
    },
    {
        .name = "duration",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_phase, duration_us),
        .def = "0s",
        .min = 0,
        .max = 86400e6,
        .help = "time to run when n is 0",
    },
    {
        .name = "ratio",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_phase, ratio),
        .def = "write:1,read:1",
        .help = "mixed: weights of writes and reads",
    },
    {
        .name = "fio",
        .type = VMB_OPT_STRING,
        .offset = OPT(vmb_phase, fio),
        .def = "",
        .since = "0.1.0-fio",
        .help = "a fio job file, relative to the matrix file, checked "
                "against docs/fio.md's list; sets op to fio-job",
    },
    {
        .name = "phase_timeout",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_phase, phase_timeout_us),
        .def = "0s",
        .min = 0,
        .max = 172800e6,
        .help = "wall-clock limit of the phase, warm-up included; 0 = "
                "warmup + duration + request_timeout, none for n (an n "
                "phase also ends once no connection answers for "
                "request_timeout)",
    },
    /* Capacity options from here on: see vmb_nphase_plain_options. */
    {
        .name = "capacity_percentile",
        .type = VMB_OPT_DOUBLE,
        .offset = OPT(vmb_phase, capacity_percentile),
        .def = "0",
        .min = 0,
        .max = 99.9,
        .help = "capacity phase: the latency percentile held under "
                "capacity_limit (a matrix writes capacity: { p99: 1ms })",
    },
    {
        .name = "capacity_limit",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_phase, capacity_limit_us),
        .def = "0s",
        .min = 0,
        .max = 3600e6,
        .help = "capacity phase: the latency limit; 0 = not a capacity "
                "phase",
    },
    {
        .name = "capacity_start",
        .type = VMB_OPT_RATE,
        .offset = OPT(vmb_phase, capacity_start_per_s),
        .def = "1000",
        .min = 1,
        .max = 1e9,
        .help = "capacity phase: the first step's rate, doubled until a "
                "step fails",
    },
    {
        .name = "step",
        .type = VMB_OPT_DURATION,
        .offset = OPT(vmb_phase, step_us),
        .def = "10s",
        .min = 1000000,
        .max = 3600e6,
        .help = "capacity phase: how long each open-loop step runs",
    },
};
const size_t vmb_nphase_options = VMB_NELEMS(vmb_phase_options);
const size_t vmb_nphase_plain_options = VMB_NELEMS(vmb_phase_options) - 4;

const size_t vmb_nload_options = VMB_NELEMS(vmb_load_options);

const char *
vmb_op_name(int op)
{
    return vmb_choice_name(op_choices, op);
}

bool
vmb_op_is_fio(int op)
{
    return op >= VMB_OP_FIO_RANDREAD_4K && op <= VMB_OP_FIO_JOB;
}

bool
vmb_op_is_pgbench(int op)
{
    return op == VMB_OP_TPCB_LIKE || op == VMB_OP_SIMPLE_UPDATE ||
           op == VMB_OP_SELECT_ONLY;
}

bool
vmb_op_is_sysbench(int op)
{
    return op >= VMB_OP_OLTP_POINT_SELECT && op <= VMB_OP_OLTP_INSERT;
}

bool
vmb_op_writes(int op)
{
    return op != VMB_OP_READ && op != VMB_OP_SELECT_ONLY &&
           op != VMB_OP_OLTP_POINT_SELECT && op != VMB_OP_OLTP_READ_ONLY &&
           op != VMB_OP_FIO_RANDREAD_4K && op != VMB_OP_FIO_RANDREAD_4K_QD16 &&
           op != VMB_OP_FIO_SEQREAD_1M;
}

_Static_assert(VMB_NELEMS(vmb_load_options) == VMB_LOAD_NOPTIONS,
               "VMB_LOAD_NOPTIONS must count vmb_load_options");
