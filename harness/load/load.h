/*
 * The embedded load generator: runs one phase (write = SET, read = GET,
 * mixed) of Redis requests against a primary and optionally a replica,
 * and reports op rate, latency distribution, errors and a per-second
 * series.
 *
 * One epoll loop per thread; each thread owns its connections, counters
 * and histograms, which are merged (never averaged) once a second and at
 * the end. Closed loop by default; with opts->rate_per_s the load is open
 * loop and latency is measured from each request's intended send time
 * (coordinated omission corrected), the uncorrected figure kept as well.
 *
 * A leaf module: it depends on base/ only (util, error, jsonw and the
 * option engine), so it is usable and testable alone (`vmbench stress`).
 */
#ifndef VMB_LOAD_H
#define VMB_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/option.h"
#include "base/util.h"
#include "load/hist.h"

enum vmb_key_dist {
    VMB_DIST_UNIFORM,
    VMB_DIST_SEQUENTIAL,
    VMB_DIST_ZIPFIAN,
    VMB_DIST_GAUSSIAN,
};
enum vmb_read_from { VMB_READ_PRIMARY, VMB_READ_REPLICA, VMB_READ_BOTH };
/* write, read, mixed: a key/value store (Redis's SET/GET, PostgreSQL's
 * and MariaDB's upsert and point SELECT); tpcb-like, simple-update and
 * select-only are pgbench's built-in transactions, PostgreSQL only; the
 * oltp_ ones are sysbench's OLTP workloads, MariaDB only. */
enum vmb_op {
    VMB_OP_WRITE,
    VMB_OP_READ,
    VMB_OP_MIXED,
    VMB_OP_TPCB_LIKE,
    VMB_OP_SIMPLE_UPDATE,
    VMB_OP_SELECT_ONLY,
    /* fio's jobs (database.engine: fio; docs/fio.md lists their
     * parameters): the built-in ones, then a user's job file (the
     * phase's fio:). No load protocol runs them. */
    VMB_OP_FIO_RANDREAD_4K,
    VMB_OP_FIO_RANDREAD_4K_QD16,
    VMB_OP_FIO_RANDWRITE_4K,
    VMB_OP_FIO_RANDWRITE_4K_QD16,
    VMB_OP_FIO_SEQREAD_1M,
    VMB_OP_FIO_SEQWRITE_1M,
    VMB_OP_FIO_FSYNC_WRITE_4K,
    VMB_OP_FIO_RANDRW_70_30,
    VMB_OP_FIO_JOB,
    VMB_OP_OLTP_POINT_SELECT,
    VMB_OP_OLTP_READ_ONLY,
    VMB_OP_OLTP_READ_WRITE,
    VMB_OP_OLTP_WRITE_ONLY,
    VMB_OP_OLTP_UPDATE_INDEX,
    VMB_OP_OLTP_UPDATE_NON_INDEX,
    VMB_OP_OLTP_INSERT,
    VMB_NOPS,
};

/* The `load:` section of a matrix file (vmb_load_options describes it). */
struct vmb_load_opts {
    int64_t connections; /* over all threads */
    int64_t threads;     /* 0: what the host can spare */
    int64_t pipeline;    /* requests in flight per connection */
    int64_t keys;        /* key population */
    int key_dist;        /* enum vmb_key_dist */
    double zipf_skew;
    uint64_t value_size_bytes;
    uint64_t value_size_max_bytes; /* 0: fixed size value_size */
    uint64_t rate_per_s;           /* 0: closed loop */
    uint64_t warmup_us;
    int read_from; /* enum vmb_read_from */
    uint64_t connect_timeout_us;
    uint64_t request_timeout_us;
    char *key_prefix;
    int64_t scale;      /* pgbench's scale factor for its transactions */
    int64_t tables;     /* sysbench's tables sbtest1..N */
    int64_t table_size; /* rows of each */
};

/* One phase of the load (vmb_phase_options describes it). */
struct vmb_phase {
    int op;    /* enum vmb_op */
    int64_t n; /* 0: run for duration */
    uint64_t duration_us;
    char *ratio; /* mixed: "write:1,read:3" */
    char *fio;   /* fio-job: the job file, relative to the matrix file */
    /* Wall-clock limit of the phase, warm-up included; 0: derived (see
     * vmb_load_run_phase). */
    uint64_t phase_timeout_us;
    /* A capacity phase (capacity_limit_us > 0): the highest open-loop
     * rate whose latency at capacity_percentile (50, 95, 99 or 99.9)
     * stays within capacity_limit_us; see vmb_load_run_phase. n and
     * duration are not used; each step runs step_us. */
    double capacity_percentile;
    uint64_t capacity_limit_us;
    uint64_t capacity_start_per_s; /* the first step's rate */
    uint64_t step_us;
};

/* The option tables of the two structs above (load/options.c). */
extern const struct vmb_option vmb_load_options[];
extern const size_t vmb_nload_options;
extern const struct vmb_option vmb_phase_options[];
extern const size_t vmb_nphase_options;
/* The leading entries of vmb_phase_options that every phase uses; the
 * capacity options follow them, so a config without a capacity phase
 * writes (and hashes into cell ids) what it did before they existed. */
extern const size_t vmb_nphase_plain_options;
/* Every vmb_load_options entry, for static tables that embed it. */
#define VMB_LOAD_NOPTIONS 17

/*
 * Sets a phase's capacity limit from a percentile name ("p50", "p95",
 * "p99", "p99.9") and a duration ("1ms", "500us"). Fails with
 * VMB_ERR_INPUT for another percentile or a limit that is not positive.
 */
int vmb_load_capacity_set(struct vmb_phase *phase, const char *percentile,
                          const char *limit, struct vmb_error **err);

/* Same, from the word "p99:1ms" (stress's capacity=p99:1ms). */
int vmb_load_capacity_parse(struct vmb_phase *phase, const char *text,
                            struct vmb_error **err);

/* "write", "read", "mixed", "tpcb-like", "simple-update", "select-only",
 * then fio's jobs ("randread-4k", ..., "fio-job"), then sysbench's
 * ("oltp_point_select", ...). */
const char *vmb_op_name(int op);

/* Whether op is one of fio's jobs (VMB_OP_FIO_RANDREAD_4K on). */
bool vmb_op_is_fio(int op);

/* Whether op is pgbench's (PostgreSQL only) or sysbench's (MariaDB only). */
bool vmb_op_is_pgbench(int op);
bool vmb_op_is_sysbench(int op);

/* Whether op changes data (its requests count as writes, go to the
 * primary): write, and every transaction and fio job but the read-only
 * ones. */
bool vmb_op_writes(int op);

struct vmb_load_proto;

/* Where requests go: a TCP address or a unix socket path, and the
 * protocol spoken there (load/proto.h). */
struct vmb_load_target {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char name[280]; /* "127.0.0.1:6379" or the socket path, for messages */
    const struct vmb_load_proto *proto; /* NULL: RESP */
    /* The protocol's own address where a sockaddr does not say it all
     * (libpq's connection string); "" for RESP. */
    char spec[1024];
};

/*
 * Parses "redis://HOST[:PORT]" (port 6379 by default; HOST a name, an
 * IPv4 address or a bracketed IPv6 address) or "unix:///PATH" into a RESP
 * target (proto NULL). A bad URL fails with VMB_ERR_INPUT naming the
 * offending text.
 */
int vmb_load_target_parse(const char *url, struct vmb_load_target *t,
                          struct vmb_error **err);

/* The RESP target host:port over TCP (host a name or numeric address). */
int vmb_load_target_from_host(const char *host, int port,
                              struct vmb_load_target *t,
                              struct vmb_error **err);

/* What vmb_load_prepare made. */
struct vmb_load_prepared {
    double seconds; /* wall-clock time it took; 0 when nothing to do */
    uint64_t rows;  /* rows loaded over all tables */
    char what[160]; /* "vmb_kv: 100000 keys of 256 bytes; pgbench scale 10" */
};

/*
 * The untimed step before the first measured phase: makes the data set
 * the phases need on the target, sized by opts (keys and value_size for
 * write/read/mixed, scale for pgbench's transactions), and says how long
 * it took. Tables the phases need are dropped and made anew. A protocol
 * with nothing to prepare (RESP) succeeds at once with seconds 0. Fails
 * with the server's message.
 */
int vmb_load_prepare(const struct vmb_load_target *t,
                     const struct vmb_load_opts *opts,
                     const struct vmb_phase *phases, size_t nphases,
                     struct vmb_load_prepared *out, struct vmb_error **err);

/* Passed to the progress callback about once per second. */
struct vmb_load_progress {
    int phase_index;
    int op;           /* enum vmb_op */
    bool warmup;      /* still in the warm-up; ops are not counted yet */
    double elapsed_s; /* since the phase started, warm-up included */
    uint64_t ops;     /* measured operations so far */
    double ops_per_s; /* over the last interval */
    uint64_t errors;  /* measured errors so far */
};

/* Error classes, in the order results list them. */
enum vmb_load_err_class {
    VMB_LOAD_ERR_CONNECT,  /* connect refused, unreachable, timed out */
    VMB_LOAD_ERR_IO,       /* read/write failed, server closed */
    VMB_LOAD_ERR_TIMEOUT,  /* no answer within request_timeout */
    VMB_LOAD_ERR_SERVER,   /* an error reply: -ERR, -OOM, ... */
    VMB_LOAD_ERR_PROTOCOL, /* an answer that is not RESP */
    VMB_LOAD_NERR,
};
/* "connect", "io", "timeout", "server", "protocol"; "?" out of range. */
const char *vmb_load_err_class_name(int cls);

/* How a phase ended, in result.json's "ended_by". */
enum vmb_load_end {
    VMB_LOAD_END_DONE,        /* n requests made, or duration elapsed */
    VMB_LOAD_END_INTERRUPTED, /* vmb_interrupted (Ctrl-C) */
    VMB_LOAD_END_DEADLINE,    /* the phase's wall-clock limit passed */
    VMB_LOAD_END_STALL,       /* no connection had an answer for
                                 request_timeout */
    VMB_LOAD_END_UNREACHABLE, /* a thread's connections all gave up
                                 reconnecting */
    VMB_LOAD_NEND,
};
/* "done", "interrupted", "deadline", "stall", "unreachable"; "?" out of
 * range. */
const char *vmb_load_end_name(int end);

struct vmb_load_result;

/*
 * One phase to run, as the caller describes it (wrk's `thread`, fio's
 * `thread_data`): the engine reads it and never changes it. opts, phase
 * and primary are required; the rest may be left zero.
 */
struct vmb_load_run {
    const struct vmb_load_opts *opts;
    const struct vmb_phase *phase;
    int phase_index; /* the phase's number in its result ("0-write") */
    const struct vmb_load_target *primary;
    const struct vmb_load_target *replica; /* NULL: all to the primary */
    /*
     * Several independent databases driven at once (a run's tenants):
     * with ntenants > 1, tenant t's targets are primaries[t] and, when
     * replicas is not NULL, replicas[t]; primary and replica are not
     * used. Each tenant gets the phase as written (its connections, its
     * rate, its n) on threads of its own (opts->threads spread over the
     * tenants, at least one each), all measured over one window. 0 or 1:
     * one database, primary and replica.
     */
    size_t ntenants;
    const struct vmb_load_target *primaries;
    const struct vmb_load_target *replicas;
    bool no_latency; /* skip histogram recording (to measure its cost) */
    /* Called from the calling thread about once per second; may be NULL. */
    void (*progress)(void *ctx, const struct vmb_load_progress *p);
    void *ctx;
};

/*
 * Runs one phase, run->phase with run->opts. Writes go to the primary;
 * reads go to primary, replica or both (alternating connections) per
 * opts->read_from; with no replica everything goes to the primary. A
 * mixed phase reading from the replica splits its connections into
 * writing and reading ones in the ratio (at least one of each), so closed
 * loop the mix also depends on how fast each node answers; otherwise each
 * request picks its kind.
 *
 * Connections are made before the phase starts: a target that cannot be
 * reached within opts->connect_timeout_us fails the call. Faults during
 * the phase (closed connections, stalls, error replies) do not fail it:
 * they are counted by class in the result and connections are re-made.
 *
 * Every phase ends by a deadline, whatever the server does. A phase ends
 * when phase->phase_timeout_us has passed since it started (warm-up
 * included); with 0 that limit is warmup + duration + request_timeout for
 * a duration phase (which ends at warmup + duration anyway) and none for
 * an n phase. An n phase also ends when no connection has had an answer
 * for opts->request_timeout_us while requests were waiting (a stall), so
 * a server that accepts and never answers costs about one
 * request_timeout, not n of them. Either way the call succeeds with what
 * completed, the requests still unanswered count as timeouts, and
 * vmb_load_result_ended_by() says why (VMB_LOAD_END_DEADLINE or
 * VMB_LOAD_END_STALL). Connections that cannot reconnect within
 * opts->connect_timeout_us are given up; a thread left with none stops
 * early and the result says VMB_LOAD_END_UNREACHABLE.
 *
 * vmb_interrupted stops the phase early; the result then covers what
 * completed and vmb_load_result_interrupted() says so. A load thread
 * whose epoll_wait fails cannot go on: its requests in flight count as io
 * errors (at least one, with the first errno), every thread stops, and the
 * call fails with a message naming the thread, the counts so far,
 * epoll_wait and strerror.
 *
 * A capacity phase (phase->capacity_limit_us > 0) is a search: open-loop
 * steps of phase->step_us (after opts->warmup_us each), first at
 * capacity_start_per_s doubling until a step fails, then bisecting
 * between the highest rate that passed and the lowest that failed until
 * they are within VMB_LOAD_CAPACITY_PRECISION of each other, at most
 * VMB_LOAD_CAPACITY_MAX_STEPS steps and, when phase_timeout_us is set,
 * no step started that would end past it (each step then also ends by
 * it). opts->rate_per_s is not used. A step passes when it ran its
 * course without errors, its corrected latency at the percentile is
 * within the limit and it achieved at least VMB_LOAD_CAPACITY_ACHIEVED
 * of the offered rate. The result is the step at the capacity (the last
 * step when none passed) with the capacity and every step attached
 * (vmb_load_result_capacity, vmb_load_result_capacity_step). An
 * unreachable or interrupted step ends the search with what it has.
 *
 * On success *out is a new result the caller frees with
 * vmb_load_result_free. Fails with VMB_ERR_INPUT for option combinations
 * the engine cannot run (a bad mixed ratio), VMB_ERR_RUN otherwise.
 */
int vmb_load_run_phase(const struct vmb_load_run *run,
                       struct vmb_load_result **out, struct vmb_error **err);

/*
 * Parses a mixed ratio "write:1,read:3" (either order, non-negative
 * weights, not both zero) into the fraction of writes.
 */
int vmb_load_parse_ratio(const char *text, double *write_fraction,
                         struct vmb_error **err);

/* Threads used when opts->threads is 0: usable CPUs minus one, >= 1. */
int vmb_load_default_threads(void);

/* Accessors. */
uint64_t vmb_load_result_ops(const struct vmb_load_result *r);
double vmb_load_result_op_rate(const struct vmb_load_result *r); /* ops/s */
/* Operations of one kind: VMB_OP_WRITE or VMB_OP_READ. */
uint64_t vmb_load_result_ops_of(const struct vmb_load_result *r, int op);
double vmb_load_result_duration_s(const struct vmb_load_result *r);
/* vmb_now_ns() when the measured part began (after the warm-up); the
 * measurement window is duration_s from there. */
uint64_t vmb_load_result_measure_start_ns(const struct vmb_load_result *r);
uint64_t vmb_load_result_errors(const struct vmb_load_result *r);
uint64_t vmb_load_result_errors_by_class(const struct vmb_load_result *r,
                                         int cls);
int vmb_load_result_first_errno(const struct vmb_load_result *r, int cls);
/* The first error reply's text ("OOM command not allowed ..."), or NULL. */
const char *vmb_load_result_server_error(const struct vmb_load_result *r);
/* Server errors with the SQLSTATE sqlstate: "40001" (serialization
 * failure) and "40P01" (deadlock) by their code, the others by their
 * two-character class ("23" integrity, "57" operator intervention). */
uint64_t vmb_load_result_sqlstate_errors(const struct vmb_load_result *r,
                                         const char *sqlstate);
uint64_t vmb_load_result_misses(const struct vmb_load_result *r);
bool vmb_load_result_interrupted(const struct vmb_load_result *r);
/* How the phase ended: enum vmb_load_end. */
int vmb_load_result_ended_by(const struct vmb_load_result *r);
/*
 * Why a phase ended early, as a clause for a message: `the phase stalled:
 * no connection had an answer for "500ms"`; NULL when it ended by
 * running its course (VMB_LOAD_END_DONE). Static storage in r.
 */
const char *vmb_load_result_end_text(const struct vmb_load_result *r);
/* Latency in microseconds at percentile p (100 = max) over all kinds;
 * uncorrected = true for the send-to-answer figure (open loop only,
 * otherwise the same as corrected). */
double vmb_load_result_latency_us(const struct vmb_load_result *r, double p,
                                  bool uncorrected);
/* Per-second rows; each row's ops for one op kind. */
size_t vmb_load_result_nseconds(const struct vmb_load_result *r);
uint64_t vmb_load_result_second_ops(const struct vmb_load_result *r, size_t i);
/* Capacity phases: the capacity found in ops/s, 0 when no step passed
 * (or not a capacity phase); the steps in the order run. */
#define VMB_LOAD_CAPACITY_MAX_STEPS 24
#define VMB_LOAD_CAPACITY_PRECISION 0.03
#define VMB_LOAD_CAPACITY_ACHIEVED 0.95
/* Why a capacity step failed: any of these, or none when it passed. */
enum {
    VMB_LOAD_CAP_LATENCY = 1 << 0, /* latency at the percentile over the
                                      limit */
    VMB_LOAD_CAP_RATE = 1 << 1,    /* achieved under VMB_LOAD_CAPACITY_ACHIEVED
                                      of the offered rate */
    VMB_LOAD_CAP_ERRORS = 1 << 2,  /* a request failed */
    VMB_LOAD_CAP_CUT = 1 << 3,     /* not run to its end (interrupted, a
                                      deadline, a stall, unreachable), or no
                                      request answered */
};
#define VMB_LOAD_CAP_NREASONS 4
struct vmb_load_capacity_step {
    double rate_per_s;     /* offered */
    double achieved_per_s; /* measured */
    double latency_us;     /* corrected, at the phase's percentile */
    bool ok;
    unsigned failed_by; /* VMB_LOAD_CAP_* bits; 0 when ok */
};
/*
 * The name of reason bit i (0 to VMB_LOAD_CAP_NREASONS - 1) in
 * result.json's "failed_by": "latency", "rate", "errors", "cut"; and as
 * the terminal says it: "latency over the limit", "achieved rate short
 * of the offered", "errors", "cut short".
 */
const char *vmb_load_cap_reason_name(int i);
const char *vmb_load_cap_reason_text(int i);
bool vmb_load_result_is_capacity(const struct vmb_load_result *r);
double vmb_load_result_capacity(const struct vmb_load_result *r);
size_t vmb_load_result_capacity_nsteps(const struct vmb_load_result *r);
const struct vmb_load_capacity_step *
vmb_load_result_capacity_step(const struct vmb_load_result *r, size_t i);

/*
 * Tenants (vmb_load_run's ntenants > 1): how many, and tenant t's own
 * result (0-based; its ops, rate, errors and latency over the same
 * window; no series, no tenants of its own). 0 and NULL with one.
 */
size_t vmb_load_result_ntenants(const struct vmb_load_result *r);
const struct vmb_load_result *
vmb_load_result_tenant(const struct vmb_load_result *r, size_t t);

/*
 * Jain's fairness index of n shares (the tenants' op rates): (sum x)^2 /
 * (n * sum x^2), 1 when all are equal, 1/n when one has everything. NAN
 * for n = 0 or when every share is 0.
 */
double vmb_load_jain(const double *x, size_t n);

/* "0-write": the phase name used in file names and the CSV. */
const char *vmb_load_result_phase_name(const struct vmb_load_result *r);

/* The PHASE object of docs/results-format.md. */
void vmb_load_result_to_json(struct vmb_jw *w, const struct vmb_load_result *r);

/* timeseries.csv: the header line, and this phase's rows. */
void vmb_load_csv_header(struct vmb_buf *b);
void vmb_load_result_to_csv(struct vmb_buf *b, const struct vmb_load_result *r);

/* latency-<phase>.hgrm: HdrHistogram's percentile text, microseconds. */
void vmb_load_result_to_hgrm(struct vmb_buf *b,
                             const struct vmb_load_result *r);

/* The cassandra-stress-like summary, for a terminal. */
void vmb_load_result_summary(struct vmb_buf *b,
                             const struct vmb_load_result *r);

/*
 * A phase measured by another tool (fio), as the load generator's result
 * of the same phase, so that everything reading results reads it alike.
 * Arrays are indexed by VMB_OP_WRITE and VMB_OP_READ; a kind is in the
 * result when has[kind] is set, with ops[kind] operations and the
 * latencies (nanoseconds) in lat[kind], which are copied. The run is
 * closed loop (no uncorrected figures), has no per-second rows and ended
 * by running its course. io_errors count in the "io" class.
 */
struct vmb_load_measured {
    int index;
    int op; /* enum vmb_op, for the phase's name */
    double duration_s;
    uint64_t measure_start_ns; /* vmb_now_ns() when measuring began */
    bool has[2];
    uint64_t ops[2];
    const struct vmb_hist *lat[2];
    uint64_t io_errors;
    int first_errno;
};
struct vmb_load_result *
vmb_load_result_measured(const struct vmb_load_measured *m);

/* NULL-safe. */
void vmb_load_result_free(struct vmb_load_result *r);

#endif
