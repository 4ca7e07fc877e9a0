/*
 * The load generator's internals, shared by its files; not part of the
 * public API. Who uses what, with no file depending on another both ways:
 *
 *   phase.c    vmb_load_run_phase: a capacity search or one phase;
 *              uses capacity.c and loadgen.c
 *   capacity.c the capacity search, a phase per step; uses loadgen.c
 *   loadgen.c  one phase: threads, the epoll loop, the open-loop
 *              schedule, progress; uses all below
 *   engine.c   setup and teardown: options into an engine, workers,
 *              connections made before the clock starts; uses conn.c
 *   conn.c     one connection: connect, write requests, read answers,
 *              timeouts and reconnects; uses merge.c
 *   merge.c    seconds handed from workers to the main thread, and the
 *              totals folded into the result after join
 *   result.c   the result: accessors, JSON, CSV, hgrm, summary
 */
#ifndef VMB_LOAD_PRIV_H
#define VMB_LOAD_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "load/hist.h"
#include "load/keys.h"
#include "load/load.h"
#include "load/proto.h"

#define VMB_LOAD_NKIND 2 /* 0 write (SET), 1 read (GET) */

/* Server errors by SQLSTATE: "40001" and "40P01" by code, the others by
 * class; the last slot takes what does not fit ("other"). */
#define VMB_LOAD_NSQLSTATE 16
struct vmb_load_sqlstate {
    char code[6];
    uint64_t n;
};
void vmb_load_sqlstate_count(struct vmb_load_sqlstate *tab,
                             const char *sqlstate, uint64_t n);

/* Histograms cover 1 ns .. 1 h at 3 significant figures. */
#define VMB_LOAD_HIST_LOWEST 1
#define VMB_LOAD_HIST_HIGHEST 3600000000000LL
#define VMB_LOAD_HIST_SIGFIGS 3

#define VMB_LOAD_NS_PER_S 1000000000ULL
/* Bytes one recv() takes; a shorter read means the socket is drained. */
#define VMB_LOAD_RBUF_SIZE VMB_LOAD_PROTO_RBUF
/* Seconds a worker may run ahead of the main thread's collection. */
#define VMB_LOAD_NSLOTS 4

struct vmb_load_sec {
    int64_t second; /* 1-based, as in timeseries.csv */
    int kind;
    uint64_t ops;
    double ops_per_s;
    int64_t p50_ns;
    int64_t p99_ns;
};

struct vmb_load_result {
    int index;
    int op; /* enum vmb_op */
    char name[32];
    bool open_loop;
    bool interrupted;
    int ended_by;       /* enum vmb_load_end */
    char end_text[160]; /* why it ended early; "" when done */
    bool has_kind[VMB_LOAD_NKIND];
    uint64_t ops_kind[VMB_LOAD_NKIND];
    uint64_t misses;
    uint64_t errors[VMB_LOAD_NERR];
    int first_errno[VMB_LOAD_NERR];
    char *server_error;
    struct vmb_load_sqlstate sqlstates[VMB_LOAD_NSQLSTATE];
    double duration_s;
    uint64_t measure_start_ns; /* vmb_now_ns() the measurement began */
    struct vmb_hist lat[VMB_LOAD_NKIND]; /* corrected (from intended) */
    struct vmb_hist lat_all;
    struct vmb_hist unc[VMB_LOAD_NKIND]; /* from the actual send */
    struct vmb_hist unc_all;
    struct vmb_load_sec *series;
    size_t nseries;
    size_t series_cap;
    /* A capacity phase's search (capacity.c). */
    bool is_capacity;
    double cap_percentile;
    uint64_t cap_limit_us;
    double capacity; /* ops/s; 0: no step passed */
    struct vmb_load_capacity_step cap_steps[VMB_LOAD_CAPACITY_MAX_STEPS];
    size_t cap_nsteps;
    /* Each tenant's part (vmb_load_run's ntenants > 1); owned. */
    struct vmb_load_result **tenant;
    size_t ntenants;
};

/* One phase as it is, not a capacity search (loadgen.c); the capacity
 * search runs its steps through it. */
int vmb_load_run_one(const struct vmb_load_run *run,
                     struct vmb_load_result **out, struct vmb_error **err);

/* The capacity search (capacity.c), same contract as vmb_load_run_phase. */
int vmb_load_run_capacity(const struct vmb_load_run *run,
                          struct vmb_load_result **out, struct vmb_error **err);

/* Allocates a result with empty histograms for the kinds of op. */
struct vmb_load_result *vmb_load_result_new(int index, int op);

/* ---- the engine ---- */

enum { VMB_LOAD_KIND_WRITE, VMB_LOAD_KIND_READ };
enum { VMB_LOAD_ROLE_ANY, VMB_LOAD_ROLE_WRITE, VMB_LOAD_ROLE_READ };
enum {
    VMB_LOAD_CONN_UP,
    VMB_LOAD_CONN_CONNECTING,
    VMB_LOAD_CONN_DOWN,
    VMB_LOAD_CONN_DEAD, /* gave up reconnecting */
};
enum { VMB_LOAD_SLOT_FREE, VMB_LOAD_SLOT_BUSY, VMB_LOAD_SLOT_READY };

struct vmb_load_req {
    uint64_t intended; /* ns; the send time in closed loop */
    uint64_t sent;     /* ns */
    uint8_t kind;
    uint8_t measured;
};

struct vmb_load_conn {
    void *pc; /* the protocol's state; owned */
    int fd;   /* as watched in the worker's epoll set; -1: none */
    uint32_t events;
    bool out_pending; /* the protocol has output left to send */
    uint8_t state;
    uint8_t role;
    bool replica;
    uint32_t tenant; /* whose targets it speaks to */
    uint32_t idx;    /* in its worker */
    uint32_t head;
    uint32_t inflight;
    struct vmb_load_req *ring; /* pipeline entries, in the worker's array */
    uint64_t next_k; /* open loop: this connection's next request number */
    uint64_t retry_at;
    uint64_t connect_started;
    uint64_t down_since; /* start of a run of failures; 0 when healthy */
    bool refill;         /* queued to send once this batch of events is done */
};

/* One second of one worker's completions, handed to the main thread. */
struct vmb_load_slot {
    _Atomic int state;
    int64_t sec; /* 0-based */
    uint64_t ops[VMB_LOAD_NKIND];
    struct vmb_hist h[VMB_LOAD_NKIND];
};

struct vmb_load_engine;

/* One thread: its epoll loop, connections, counters and histograms. */
struct vmb_load_worker {
    struct vmb_load_engine *e;
    int id;
    int tenant; /* whose connections it holds */
    pthread_t tid;
    bool started;
    int ep;
    struct vmb_load_conn *conns;
    uint32_t nconns;
    struct vmb_load_req *reqs;
    struct vmb_load_conn **refill; /* connections to send on after a batch */
    uint32_t nrefill;
    char *rbuf;
    struct vmb_rng rng;
    struct vmb_keygen keygen;
    int64_t quota; /* measured requests to send; -1: no limit */
    int64_t sent_measured;
    uint64_t inflight_total;
    double interval_ns; /* open loop: between two sends of this worker */
    uint64_t j_scan;    /* open loop: next schedule slot to dispatch */
    uint64_t next_check;
    uint64_t next_retry;
    struct vmb_load_slot slots[VMB_LOAD_NSLOTS];
    struct vmb_load_slot *cur;
    int64_t cur_sec;
    uint64_t sec_end;
    _Atomic int64_t published_sec;
    struct vmb_hist unc[VMB_LOAD_NKIND];
    uint64_t ops;
    uint64_t misses;
    uint64_t errors[VMB_LOAD_NERR];
    int first_errno[VMB_LOAD_NERR];
    uint64_t first_errno_ns[VMB_LOAD_NERR];
    char server_error[160];
    uint64_t server_error_ns;
    struct vmb_load_sqlstate sqlstates[VMB_LOAD_NSQLSTATE];
    uint64_t last_done_ns;
    /* Stall watch: the last answer of any kind, and when the oldest
     * request sent after it was sent (0: none waiting). Published for the
     * main thread with the counters. */
    uint64_t last_answer_ns;
    uint64_t wait_since_ns;
    bool gave_up; /* stopped because every connection was given up */
    /* The loop itself failed (epoll_wait): its errno and when, else 0.
     * Read by the main thread after join. */
    int fail_errno;
    uint64_t fail_ns;
    _Atomic uint64_t pub_ops;
    _Atomic uint64_t pub_errors;
    _Atomic uint64_t pub_last_answer;
    _Atomic uint64_t pub_wait_since;
    _Atomic int finished;
};

/* One phase being run: what every worker reads, and the workers. */
struct vmb_load_engine {
    const struct vmb_load_opts *opts;
    const struct vmb_phase *phase;
    /* Tenant 0's targets, and every tenant's (ntenants of each;
     * replicas NULL when there are none). */
    const struct vmb_load_target *primary;
    const struct vmb_load_target *replica;
    const struct vmb_load_target *primaries;
    const struct vmb_load_target *replicas;
    int ntenants;
    const struct vmb_load_proto *proto;
    void *ps; /* the protocol's phase state; owned */
    bool record;
    bool open_loop;
    bool has_kind[VMB_LOAD_NKIND];
    double write_fraction;
    uint32_t pipeline;
    uint64_t t0;
    uint64_t measure_start;
    uint64_t deadline; /* 0: run for n */
    /* The phase's wall-clock limit (t0 + phase_timeout, or derived); no
     * request is sent, and no answer counted as an op, from then on.
     * UINT64_MAX: none. */
    uint64_t hard_deadline;
    uint64_t request_timeout_ns;
    uint64_t connect_timeout_ns;
    int nworkers;
    struct vmb_load_worker *w;
    _Atomic int stop;
    /* Why the phase ended, once something ended it early: enum
     * vmb_load_end, set once (the first reason wins) before stop. */
    _Atomic int end;
};

/* Where connection c of e sends its requests. */
static inline const struct vmb_load_target *
vmb_load_conn_target(const struct vmb_load_engine *e,
                     const struct vmb_load_conn *c)
{
    return c->replica ? &e->replicas[c->tenant] : &e->primaries[c->tenant];
}

/* engine.c */

/*
 * Fills e (opts, phase, targets and record already set) from the options:
 * request templates, workers with their connections, buffers, histograms
 * and epoll instances, and each connection's role and target. Fails with
 * VMB_ERR_INPUT for options the engine cannot run. e is freed with
 * vmb_load_engine_free whether this succeeds or not.
 */
int vmb_load_engine_setup(struct vmb_load_engine *e, struct vmb_error **err);

/*
 * Connects every connection, a bounded number at a time so a listen
 * backlog does not overflow, and fails on the first one that cannot
 * connect within the connect timeout.
 */
int vmb_load_connect_all(struct vmb_load_engine *e, struct vmb_error **err);

/* Closes and frees what setup made; e itself is the caller's. */
void vmb_load_engine_free(struct vmb_load_engine *e);

/* conn.c */

/* The epoll events to watch for a connection of protocol p that waits
 * for want (VMB_LOAD_POLL_*). */
uint32_t vmb_load_conn_events(const struct vmb_load_proto *p, int want);

/* Watches fd for events in ep on behalf of c, adding or modifying as
 * needed; 0, or -1 with errno. */
int vmb_load_conn_watch(int ep, struct vmb_load_conn *c, int fd,
                        uint32_t events);

/*
 * Queues as many requests on c as the pipeline, the schedule and the
 * quota allow, and sends them in one write. A failed write drops c,
 * counted as an io error.
 */
void vmb_load_conn_fill(struct vmb_load_worker *w, struct vmb_load_conn *c,
                        uint64_t now);

/* Measured requests of w still waiting for an answer. */
uint64_t vmb_load_unanswered(const struct vmb_load_worker *w);

/* Counts every measured request of w still waiting as a timeout: the
 * phase ended before its answer came. */
void vmb_load_count_unanswered(struct vmb_load_worker *w, uint64_t now);

/* Handles what epoll reported for c: connect done, answers, writable. */
void vmb_load_conn_event(struct vmb_load_worker *w, struct vmb_load_conn *c,
                         uint32_t events);

/*
 * Request and connect timeouts, reconnects, and connections given up
 * after failing for the connect timeout. Sets w->next_retry. Returns the
 * connections not given up.
 */
uint32_t vmb_load_housekeeping(struct vmb_load_worker *w, uint64_t now);

/* merge.c */

/*
 * Worker side: moves to the second that now falls in, handing the
 * finished one to the main thread. Leaves w->cur NULL when the phase
 * stopped while waiting for a free slot.
 */
void vmb_load_advance_second(struct vmb_load_worker *w, uint64_t now);

/* Main-thread side: the seconds collected so far into res, and each
 * tenant's into res->tenant[t]. */
struct vmb_load_collector {
    int64_t next_sec;
    struct vmb_hist tmp[VMB_LOAD_NKIND];
    struct vmb_hist (*ttmp)[VMB_LOAD_NKIND]; /* per tenant; NULL with one */
    struct vmb_load_result *res;
};

void vmb_load_collector_init(struct vmb_load_collector *col,
                             struct vmb_load_result *res);
void vmb_load_collector_fini(struct vmb_load_collector *col);

/* Folds every second that all workers are done with into col->res. */
void vmb_load_collect_ready(struct vmb_load_engine *e,
                            struct vmb_load_collector *col);

/*
 * After join: the workers' counters, first errors and uncorrected
 * histograms into r, the totals of every kind, and the duration: end_ns,
 * or the deadline or last answer where the phase ran its course, or the
 * hard deadline where that ended it (r->ended_by set before the call).
 * tenant >= 0: only that tenant's workers (its part of the phase); -1:
 * all.
 */
void vmb_load_fill_result(const struct vmb_load_engine *e,
                          struct vmb_load_result *r, uint64_t end_ns,
                          int tenant);

#endif
