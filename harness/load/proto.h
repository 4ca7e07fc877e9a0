/*
 * The load generator's protocols: a table of function pointers per wire
 * protocol (RESP here in load/, PostgreSQL in protocols/ above the
 * leaves). The engine owns the connections' bookkeeping (the ring of
 * requests in flight, timing, counting, timeouts, reconnects, epoll); a
 * protocol owns the bytes: connecting, turning an op into a request,
 * sending, and turning what arrives into answers, oldest first.
 *
 * A target names its protocol (struct vmb_load_target's proto); NULL means
 * RESP. Whoever parses a URL picks the protocol: vmb_load_target_parse
 * for redis:// and unix://, a protocol module's own parser for its
 * schemes (protocols/protocols.h has the table of them).
 *
 * Every function but phase_new and conn_new runs on a load thread, on the
 * hot path: no allocation in steady state, no printing, no blocking.
 */
#ifndef VMB_LOAD_PROTO_H
#define VMB_LOAD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/keys.h"
#include "load/load.h"

/* What one completed request (a transaction for multi-statement ops)
 * came to. */
enum {
    VMB_LOAD_ANS_OK,
    VMB_LOAD_ANS_MISS,   /* a read found nothing: counted as a miss */
    VMB_LOAD_ANS_SERVER, /* the server refused it: a server error */
};

struct vmb_load_answer {
    int status;
    /* VMB_LOAD_ANS_SERVER: the server's message (not NUL-terminated)
     * and, where the protocol has one, its SQLSTATE ("40001"); valid
     * during the callback only. */
    const char *text;
    size_t text_len;
    const char *sqlstate; /* NULL: none */
    /* The first answer of what one read of the socket brought: the
     * engine takes the time afresh for it, and reuses it for the rest. */
    bool fresh;
};

/* Why a connection failed: an error class (enum vmb_load_err_class), an
 * errno where there is one, and the server's or library's message. */
struct vmb_load_fault {
    int cls;
    int errnum;
    /* The target refused who we are or what we asked for (wrong
     * password, no such database): bad input, not a fault of the run. */
    bool refused;
    char msg[240];
};

/* connect_poll and open: what the connection waits for next. */
enum {
    VMB_LOAD_POLL_DONE = 0, /* connected and ready for requests */
    VMB_LOAD_POLL_READ = 1,
    VMB_LOAD_POLL_WRITE = 2,
};

/* Called by consume for each completed request, oldest first. Returns 0,
 * or -1 when the answer matches no request (the connection is then
 * dropped as a protocol error). */
typedef int (*vmb_load_answer_fn)(void *ctx, const struct vmb_load_answer *a);

struct vmb_load_proto {
    const char *name; /* "redis", "postgres" */
    /* Edge-triggered: the engine watches EPOLLIN|EPOLLOUT|EPOLLET once
     * and consume reads until the socket is drained. Otherwise level-
     * triggered EPOLLIN, with EPOLLOUT while flush reports output left. */
    bool edge_triggered;
    /* Whether the protocol runs op (enum vmb_op). */
    bool (*runs)(int op);
    /*
     * Phase-wide state from the options (request templates, statement
     * texts), before the clock; *ps is freed with phase_free whether this
     * succeeds or not. Fails with VMB_ERR_INPUT for options it cannot run.
     */
    int (*phase_new)(const struct vmb_load_opts *o, const struct vmb_phase *ph,
                     void **ps, struct vmb_error **err);
    void (*phase_free)(void *ps);
    /* One connection's state, not connected. rbuf is the load thread's
     * scratch buffer of VMB_LOAD_PROTO_RBUF bytes, shared by its
     * connections and valid during every call. */
    void *(*conn_new)(void *ps, char *rbuf);
    void (*conn_free)(void *pc);
    /*
     * Starts connecting pc to t. Returns VMB_LOAD_POLL_* (DONE when the
     * connection is already usable), or -1 with *f filled.
     */
    int (*open)(void *pc, const struct vmb_load_target *t,
                struct vmb_load_fault *f);
    /* Goes on connecting after the socket became ready as asked:
     * VMB_LOAD_POLL_*, or -1 with *f filled. */
    int (*connect_poll)(void *pc, struct vmb_load_fault *f);
    /* The socket to watch, -1 when closed; may change while connecting. */
    int (*fd)(void *pc);
    /*
     * Queues one request of kind (0 write, 1 read) for key index key
     * (the engine's key distribution); rng for the protocol's own
     * draws. May send when its buffer is full. 0, or -1 with *f.
     */
    int (*queue)(void *pc, int kind, uint64_t key, struct vmb_rng *rng,
                 struct vmb_load_fault *f);
    /* Sends what is queued: 0 all sent, 1 output left (wait until
     * writable), -1 with *f. */
    int (*flush)(void *pc, struct vmb_load_fault *f);
    /*
     * Reads what arrived and calls done(ctx, answer) for each completed
     * request, oldest first; may send what a multi-statement request
     * needs next. Returns 0, 1 when output is left to send, or -1 with *f
     * (the server closed, bytes that are not the protocol, done
     * refusing).
     */
    int (*consume)(void *pc, vmb_load_answer_fn done, void *ctx,
                   struct vmb_load_fault *f);
    /* Closes the connection and forgets requests in flight; pc stays
     * usable for open. */
    void (*close)(void *pc);

    /* URL schemes it owns ("postgres", without "://"), NULL-terminated,
     * and their parser; a target it fills names this protocol. */
    const char *const *schemes;
    int (*target_parse)(const char *url, struct vmb_load_target *t,
                        struct vmb_error **err);
    /* The untimed data set the phases need (NULL: none); see
     * vmb_load_prepare. */
    int (*prepare)(const struct vmb_load_target *t,
                   const struct vmb_load_opts *o,
                   const struct vmb_phase *phases, size_t nphases,
                   struct vmb_load_prepared *out, struct vmb_error **err);
};

/* The scratch buffer conn_new gets. */
#define VMB_LOAD_PROTO_RBUF (64 * 1024)

/* The Redis protocol (load/proto_resp.c). */
extern const struct vmb_load_proto vmb_load_proto_resp;

/* t's protocol: t->proto, or RESP. */
const struct vmb_load_proto *
vmb_load_target_proto(const struct vmb_load_target *t);

#endif
