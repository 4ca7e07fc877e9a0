/*
 * PostgreSQL over libpq: the one file of the tree that includes libpq,
 * and so the one that connects with a deadline and turns libpq's errors
 * into ours. It holds the load protocol, its untimed prepare step, and a
 * small blocking client for the control plane (db/postgres.c), which
 * uses PostgreSQL through that API and never sees libpq.
 *
 * The load protocol runs over libpq's asynchronous API. A connection is
 * made with PQconnectStart and PQconnectPoll, its statements prepared in
 * one round trip (pipeline mode, one Sync), all before the phase's clock
 * starts. Then:
 *
 *  - pipeline = 1: libpq's ordinary mode. A transaction is its statements
 *    sent one at a time with PQsendQueryPrepared, each after the answer
 *    to the one before, in BEGIN ... END where it has more than one, as
 *    pgbench -M prepared does. A statement that fails ends the
 *    transaction: ROLLBACK, and it counts as one server error.
 *  - pipeline > 1: pipeline mode. A transaction is its statements queued
 *    at once and a PQpipelineSync; the statements between two Syncs are
 *    one implicit transaction, so one that fails rolls back the others
 *    (libpq reports them PGRES_PIPELINE_ABORTED). Up to `pipeline`
 *    transactions are in flight per connection; answers come in order.
 *
 * The socket is watched level-triggered: libpq reads into its own buffer,
 * and PQconsumeInput reads what is there, not necessarily all.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"
#include "load/proto.h"
#include "protocols/pg.h"
#include "protocols/pg_sql.h"

struct pg_phase {
    int op;
    uint32_t pipeline;
    int64_t scale;
    size_t vmin;
    size_t vmax;
    char *value; /* vmax 'x' and a NUL: a value of n bytes is its tail */
    const struct vmb_pg_txn *txn[2];
    bool need[VMB_PG_NSTMT]; /* statements the phase prepares */
    int nprepare;
};

/* One transaction in flight. */
struct pg_tx {
    const struct vmb_pg_txn *txn;
    struct vmb_pg_vars vars;
    int step;   /* statement whose results are being read */
    int nsteps; /* statements it sends, BEGIN and END included */
    bool got;   /* the current statement has had a result */
    bool miss;
    bool failed;
    bool rolling_back;
    char sqlstate[6];
    char msg[160];
};

enum { PG_DOWN, PG_CONNECTING, PG_PREPARING, PG_UP };

struct pg_conn {
    const struct pg_phase *ps;
    PGconn *conn;
    int state;
    int prep_results; /* PREPARING: results seen, NULLs aside */
    bool pipelined;
    uint32_t head;
    uint32_t n;
    struct pg_tx *ring; /* ps->pipeline entries */
};

static void
quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void
fault_set(struct vmb_load_fault *f, int cls, int errnum, const char *msg)
{
    f->cls = cls;
    f->errnum = errnum;
    f->refused = false;
    f->msg[0] = '\0';
    if (msg != NULL) {
        snprintf(f->msg, sizeof(f->msg), "%s", msg);
        /* libpq ends its messages with a newline, sometimes two lines */
        size_t n = strlen(f->msg);
        while (n > 0 && (f->msg[n - 1] == '\n' || f->msg[n - 1] == ' '))
            f->msg[--n] = '\0';
        for (char *p = f->msg; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
    }
}

/*
 * A connection that failed: its message, and whether the server refused who
 * we are or where we asked to go (a bad password or role, a database that
 * does not exist, no right to connect) as opposed to not being there or
 * being too busy. libpq keeps the SQLSTATE of a startup failure to itself;
 * at verbosity VERBOSE it writes it into the message, "SEVERITY:  CODE:
 * text", where the severity may be translated but the code and the
 * separators are not. The message kept is the line that holds the code,
 * the last attempt's; libpq's own failures (no SQLSTATE) keep all of it.
 */
static void
connect_failed(PGconn *conn, struct vmb_load_fault *f, int cls, int errnum)
{
    const char *msg = PQerrorMessage(conn);
    const char *code = NULL, *line = msg;
    for (const char *p = msg; (p = strstr(p, ":  ")) != NULL; p++) {
        const char *q = p + 3;
        size_t n = strspn(q, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (n == 5 && q[5] == ':' && q[6] == ' ')
            code = q;
    }
    char text[sizeof(f->msg)];
    if (code != NULL) {
        for (const char *p = msg; p < code; p++)
            if (*p == '\n')
                line = p + 1;
        snprintf(text, sizeof(text), "%.*s", (int)strcspn(line, "\n"), line);
        msg = text;
    }
    fault_set(f, cls, errnum, msg);
    f->refused = PQconnectionNeedsPassword(conn) ||
                 (code != NULL &&
                  (strncmp(code, "28", 2) == 0 || strncmp(code, "3D", 2) == 0 ||
                   strncmp(code, "42501", 5) == 0));
}

/* libpq's message on one line: trailing newlines cut, inner ones "; ". */
static char *
one_line(const char *msg)
{
    if (msg == NULL || msg[0] == '\0')
        return vmb_xstrdup("no message");
    struct vmb_buf b = {0};
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n; i++) {
        if (msg[i] == '\n') {
            vmb_buf_puts(&b, "; ");
            while (i + 1 < n && (msg[i + 1] == ' ' || msg[i + 1] == '\t'))
                i++;
        } else {
            vmb_buf_append(&b, &msg[i], 1);
        }
    }
    return vmb_buf_steal(&b);
}

/* How connect_deadline words a failure. */
enum {
    /* libpq's whole message on one line; always VMB_ERR_RUN. */
    PG_CONNECT_PLAIN,
    /* The line with the server's SQLSTATE where there is one, and a
     * refusal of who we are or where we asked to go (connect_failed) as
     * VMB_ERR_INPUT: the user's URL is at fault, not the run. */
    PG_CONNECT_CLASSIFY,
};

/*
 * Connects with libpq's keywords and values (expand_dbname as libpq's
 * PQconnectStartParams) before the monotonic deadline_ns, notices
 * silenced. Fails with `connect to "name": ...` in the style asked for
 * (PG_CONNECT_*), ETIMEDOUT when the server did not answer in time.
 */
static int
connect_deadline(const char *const *keys, const char *const *vals,
                 int expand_dbname, const char *name, uint64_t deadline_ns,
                 int style, PGconn **out, struct vmb_error **err)
{
    PGconn *conn = PQconnectStartParams(keys, vals, expand_dbname);
    if (conn == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, ENOMEM, "connect to \"%s\"",
                             name);
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    /* VERBOSE puts the SQLSTATE of a startup failure into the message. */
    if (style == PG_CONNECT_CLASSIFY)
        PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED &&
           PQstatus(conn) != CONNECTION_BAD) {
        if (vmb_wait_fd(PQsocket(conn),
                        st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                        deadline_ns) == 0) {
            PQfinish(conn);
            return vmb_error_set(err, VMB_ERR_RUN, ETIMEDOUT,
                                 "connect to \"%s\": no answer in time", name);
        }
        st = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        int rc;
        if (style == PG_CONNECT_CLASSIFY) {
            struct vmb_load_fault f;
            connect_failed(conn, &f, 0, 0);
            rc = vmb_error_set(err, f.refused ? VMB_ERR_INPUT : VMB_ERR_RUN, 0,
                               "connect to \"%s\": %s", name, f.msg);
        } else {
            autofree char *msg = one_line(PQerrorMessage(conn));
            rc = vmb_error_set(err, VMB_ERR_RUN, 0, "connect to \"%s\": %s",
                               name, msg);
        }
        PQfinish(conn);
        return rc;
    }
    PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    *out = conn;
    return 0;
}

static bool
pg_runs(int op)
{
    return vmb_pg_txn_of(op, 0) != NULL;
}

static void
pg_phase_free(void *p)
{
    struct pg_phase *ps = p;
    if (ps == NULL)
        return;
    free(ps->value);
    free(ps);
}

static int
pg_phase_new(const struct vmb_load_opts *o, const struct vmb_phase *ph,
             void **out, struct vmb_error **err)
{
    struct pg_phase *ps = vmb_xcalloc(1, sizeof(*ps));
    *out = ps;
    ps->op = ph->op;
    ps->pipeline = (uint32_t)o->pipeline;
    ps->scale = o->scale > 0 ? o->scale : 1;
    ps->vmin = o->value_size_bytes ? o->value_size_bytes : 1;
    ps->vmax =
        o->value_size_max_bytes > ps->vmin ? o->value_size_max_bytes : ps->vmin;
    if (ps->vmax > 256 * 1024 * 1024)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "PostgreSQL values are at most 256 MB here; "
                             "value_size \"%zu\" is larger",
                             ps->vmax);
    if ((ph->op == VMB_OP_TPCB_LIKE || ph->op == VMB_OP_SIMPLE_UPDATE ||
         ph->op == VMB_OP_SELECT_ONLY) &&
        ps->scale * VMB_PG_ACCOUNTS_PER_SCALE > INT32_MAX)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "scale \"%" PRId64 "\" makes more accounts than "
                             "pgbench's int columns hold",
                             ps->scale);
    ps->value = vmb_xmalloc(ps->vmax + 1);
    memset(ps->value, 'x', ps->vmax);
    ps->value[ps->vmax] = '\0';
    for (int k = 0; k < 2; k++) {
        ps->txn[k] = vmb_pg_txn_of(ph->op, k);
        for (int i = 0; i < ps->txn[k]->nstmts; i++)
            ps->need[ps->txn[k]->stmts[i]] = true;
        if (ps->txn[k]->block && ps->pipeline == 1)
            ps->need[VMB_PG_BEGIN] = ps->need[VMB_PG_END] = true;
    }
    for (int i = 0; i < VMB_PG_NSTMT; i++)
        ps->nprepare += ps->need[i];
    return 0;
}

static void *
pg_conn_new(void *ps, char *rbuf)
{
    (void)rbuf;
    struct pg_conn *c = vmb_xcalloc(1, sizeof(*c));
    c->ps = ps;
    c->ring = vmb_xcalloc(c->ps->pipeline, sizeof(*c->ring));
    return c;
}

static void
pg_close(void *pc)
{
    struct pg_conn *c = pc;
    if (c->conn != NULL)
        PQfinish(c->conn);
    c->conn = NULL;
    c->state = PG_DOWN;
    c->head = c->n = 0;
}

static void
pg_conn_free(void *pc)
{
    struct pg_conn *c = pc;
    if (c == NULL)
        return;
    pg_close(c);
    free(c->ring);
    free(c);
}

static int
pg_fd(void *pc)
{
    struct pg_conn *c = pc;
    return c->conn ? PQsocket(c->conn) : -1;
}

static int
pg_open(void *pc, const struct vmb_load_target *t, struct vmb_load_fault *f)
{
    struct pg_conn *c = pc;
    pg_close(c);
    c->conn = PQconnectStart(t->spec);
    if (c->conn == NULL) {
        fault_set(f, VMB_LOAD_ERR_CONNECT, ENOMEM, "out of memory");
        return -1;
    }
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        fault_set(f, VMB_LOAD_ERR_CONNECT, 0, PQerrorMessage(c->conn));
        pg_close(c);
        return -1;
    }
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    PQsetErrorVerbosity(c->conn, PQERRORS_VERBOSE);
    c->state = PG_CONNECTING;
    return VMB_LOAD_POLL_WRITE;
}

static void
stmt_name(int i, char *buf)
{
    snprintf(buf, 16, "vmb%d", i);
}

/* Connected: prepares the phase's statements in one round trip. */
static int
start_prepare(struct pg_conn *c, struct vmb_load_fault *f)
{
    PQsetErrorVerbosity(c->conn, PQERRORS_DEFAULT);
    if (PQsetnonblocking(c->conn, 1) != 0 || PQenterPipelineMode(c->conn) != 1)
        goto fail;
    for (int i = 0; i < VMB_PG_NSTMT; i++) {
        if (!c->ps->need[i])
            continue;
        char name[16];
        stmt_name(i, name);
        if (!PQsendPrepare(c->conn, name, vmb_pg_stmts[i].sql,
                           vmb_pg_stmts[i].nparams, NULL))
            goto fail;
    }
    if (!PQpipelineSync(c->conn))
        goto fail;
    c->state = PG_PREPARING;
    c->prep_results = 0;
    int fl = PQflush(c->conn);
    if (fl < 0)
        goto fail;
    return fl ? VMB_LOAD_POLL_WRITE : VMB_LOAD_POLL_READ;
fail:
    fault_set(f, VMB_LOAD_ERR_CONNECT, 0, PQerrorMessage(c->conn));
    return -1;
}

static int
prepare_poll(struct pg_conn *c, struct vmb_load_fault *f)
{
    if (PQflush(c->conn) < 0 || !PQconsumeInput(c->conn)) {
        fault_set(f, VMB_LOAD_ERR_CONNECT, 0, PQerrorMessage(c->conn));
        return -1;
    }
    while (!PQisBusy(c->conn)) {
        PGresult *r = PQgetResult(c->conn);
        if (r == NULL)
            continue;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (c->prep_results != c->ps->nprepare) {
                fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO,
                          "prepared statements went missing");
                return -1;
            }
            if (!c->pipelined && PQexitPipelineMode(c->conn) != 1) {
                fault_set(f, VMB_LOAD_ERR_CONNECT, 0, PQerrorMessage(c->conn));
                return -1;
            }
            c->state = PG_UP;
            return VMB_LOAD_POLL_DONE;
        }
        if (st != PGRES_COMMAND_OK) {
            /* A table the statement needs is missing, most likely:
             * the server's words say which. */
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            char msg[240];
            snprintf(msg, sizeof(msg), "prepare: %s%s", PQresultErrorMessage(r),
                     state && strcmp(state, "42P01") == 0
                         ? " (run the prepare step first)"
                         : "");
            fault_set(f, VMB_LOAD_ERR_SERVER, 0, msg);
            f->refused = true;
            PQclear(r);
            return -1;
        }
        c->prep_results++;
        PQclear(r);
    }
    return VMB_LOAD_POLL_READ;
}

static int
pg_connect_poll(void *pc, struct vmb_load_fault *f)
{
    struct pg_conn *c = pc;
    if (c->state == PG_PREPARING)
        return prepare_poll(c, f);
    switch (PQconnectPoll(c->conn)) {
    case PGRES_POLLING_READING:
        return VMB_LOAD_POLL_READ;
    case PGRES_POLLING_WRITING:
        return VMB_LOAD_POLL_WRITE;
    case PGRES_POLLING_OK:
        c->pipelined = c->ps->pipeline > 1;
        return start_prepare(c, f);
    default:
        connect_failed(c->conn, f, VMB_LOAD_ERR_CONNECT, ECONNREFUSED);
        return -1;
    }
}

/* Statement i of tx's sequence: BEGIN and END around a block outside
 * pipeline mode. */
static int
step_stmt(const struct pg_conn *c, const struct pg_tx *tx, int i)
{
    if (c->pipelined || !tx->txn->block)
        return tx->txn->stmts[i];
    if (i == 0)
        return VMB_PG_BEGIN;
    if (i == tx->nsteps - 1)
        return VMB_PG_END;
    return tx->txn->stmts[i - 1];
}

static int
send_step(struct pg_conn *c, const struct pg_tx *tx, int i)
{
    int s = step_stmt(c, tx, i);
    char name[16], buf[128];
    const char *params[VMB_PG_MAX_PARAMS];
    stmt_name(s, name);
    vmb_pg_params(s, &tx->vars, c->ps->value, c->ps->vmax, buf, params);
    return PQsendQueryPrepared(c->conn, name, vmb_pg_stmts[s].nparams, params,
                               NULL, NULL, 0);
}

static int
pg_queue(void *pc, int kind, uint64_t key, struct vmb_rng *rng,
         struct vmb_load_fault *f)
{
    struct pg_conn *c = pc;
    const struct pg_phase *ps = c->ps;
    struct pg_tx *tx = &c->ring[(c->head + c->n) % ps->pipeline];
    memset(tx, 0, sizeof(*tx));
    tx->txn = ps->txn[kind];
    tx->nsteps = tx->txn->nstmts + (!c->pipelined && tx->txn->block ? 2 : 0);
    vmb_pg_draw(ps->op, ps->scale, key, ps->vmin, ps->vmax, rng, &tx->vars);
    if (c->pipelined) {
        for (int i = 0; i < tx->nsteps; i++)
            if (!send_step(c, tx, i))
                goto fail;
        if (!PQpipelineSync(c->conn))
            goto fail;
    } else if (!send_step(c, tx, 0)) {
        goto fail;
    }
    c->n++;
    return 0;
fail:
    fault_set(f, VMB_LOAD_ERR_IO, EPIPE, PQerrorMessage(c->conn));
    return -1;
}

static int
pg_flush(void *pc, struct vmb_load_fault *f)
{
    struct pg_conn *c = pc;
    int rc = PQflush(c->conn);
    if (rc < 0) {
        fault_set(f, VMB_LOAD_ERR_IO, EPIPE, PQerrorMessage(c->conn));
        return -1;
    }
    return rc;
}

/* The first failure of a transaction: its SQLSTATE and message. */
static void
tx_fail(struct pg_tx *tx, const PGresult *r)
{
    if (tx->failed)
        return;
    tx->failed = true;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    snprintf(tx->sqlstate, sizeof(tx->sqlstate), "%s", state ? state : "");
    snprintf(tx->msg, sizeof(tx->msg), "%s%s%s", state ? state : "",
             state ? ": " : "", msg ? msg : PQresultErrorMessage(r));
}

static void
tx_result(struct pg_conn *c, struct pg_tx *tx, const PGresult *r)
{
    tx->got = true;
    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        if (!tx->rolling_back &&
            vmb_pg_stmts[step_stmt(c, tx, tx->step)].reads && PQntuples(r) == 0)
            tx->miss = true;
        break;
    case PGRES_COMMAND_OK:
    case PGRES_PIPELINE_ABORTED:
        break;
    default:
        tx_fail(tx, r);
        break;
    }
}

static int
tx_done(struct pg_conn *c, vmb_load_answer_fn done, void *ctx, bool *fresh)
{
    struct pg_tx *tx = &c->ring[c->head];
    struct vmb_load_answer a = {.status = VMB_LOAD_ANS_OK, .fresh = *fresh};
    *fresh = false;
    if (tx->failed) {
        a.status = VMB_LOAD_ANS_SERVER;
        a.text = tx->msg;
        a.text_len = strlen(tx->msg);
        a.sqlstate = tx->sqlstate;
    } else if (tx->miss) {
        a.status = VMB_LOAD_ANS_MISS;
    }
    c->head = c->head + 1 == c->ps->pipeline ? 0 : c->head + 1;
    c->n--;
    return done(ctx, &a);
}

/* Outside pipeline mode, the current statement of the oldest transaction
 * has all its results: send the next, ROLLBACK, or finish it. Returns 1
 * when it finished, 0 when a statement went out, -1 when sending failed. */
static int
step_ended(struct pg_conn *c, struct pg_tx *tx)
{
    if (tx->rolling_back)
        return 1;
    if (tx->failed) {
        /* Inside the block the transaction is now aborted: end it. */
        if (tx->txn->block && tx->step > 0 && tx->step < tx->nsteps - 1) {
            tx->rolling_back = true;
            tx->got = false;
            return PQsendQueryParams(c->conn, "ROLLBACK", 0, NULL, NULL, NULL,
                                     NULL, 0)
                       ? 0
                       : -1;
        }
        return 1;
    }
    if (tx->step + 1 >= tx->nsteps)
        return 1;
    tx->step++;
    tx->got = false;
    return send_step(c, tx, tx->step) ? 0 : -1;
}

static int
pg_consume(void *pc, vmb_load_answer_fn done, void *ctx,
           struct vmb_load_fault *f)
{
    struct pg_conn *c = pc;
    bool sent = false, fresh = true;
    if (!PQconsumeInput(c->conn)) {
        fault_set(f, VMB_LOAD_ERR_IO, ECONNRESET, PQerrorMessage(c->conn));
        return -1;
    }
    while (c->n > 0 && !PQisBusy(c->conn)) {
        struct pg_tx *tx = &c->ring[c->head];
        PGresult *r = PQgetResult(c->conn);
        if (c->pipelined) {
            if (r == NULL) {
                /* The end of one statement's results; a NULL before any
                 * result belongs to no statement. */
                if (tx->got && tx->step < tx->nsteps) {
                    tx->step++;
                    tx->got = false;
                }
                continue;
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                if (tx->step != tx->nsteps) {
                    fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO,
                              "a pipeline sync came before its results");
                    return -1;
                }
                if (tx_done(c, done, ctx, &fresh) < 0)
                    goto unexpected;
                continue;
            }
            if (tx->step >= tx->nsteps) {
                PQclear(r);
                fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO,
                          "a result came where a pipeline sync was due");
                return -1;
            }
            tx_result(c, tx, r);
            PQclear(r);
            continue;
        }
        if (r != NULL) {
            tx_result(c, tx, r);
            PQclear(r);
            continue;
        }
        if (!tx->got)
            continue;
        int st = step_ended(c, tx);
        if (st < 0) {
            fault_set(f, VMB_LOAD_ERR_IO, EPIPE, PQerrorMessage(c->conn));
            return -1;
        }
        if (st == 0) {
            sent = true;
            continue;
        }
        if (tx_done(c, done, ctx, &fresh) < 0)
            goto unexpected;
    }
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        fault_set(f, VMB_LOAD_ERR_IO, ECONNRESET, PQerrorMessage(c->conn));
        return -1;
    }
    if (sent) {
        int fl = PQflush(c->conn);
        if (fl < 0) {
            fault_set(f, VMB_LOAD_ERR_IO, EPIPE, PQerrorMessage(c->conn));
            return -1;
        }
        return fl;
    }
    return 0;
unexpected:
    fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO, "an answer to no request");
    return -1;
}

/* ---- targets ---- */

static const char *const pg_schemes[] = {"postgres", "postgresql", NULL};

int
vmb_pg_target_parse(const char *url, struct vmb_load_target *t,
                    struct vmb_error **err)
{
    memset(t, 0, sizeof(*t));
    if (strlen(url) >= sizeof(t->spec))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "URL \"%.60s...\" is too long", url);
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
    if (opts == NULL) {
        struct vmb_load_fault f;
        fault_set(&f, 0, 0, errmsg ? errmsg : "out of memory");
        PQfreemem(errmsg);
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "bad URL \"%s\": %s", url,
                             f.msg);
    }
    const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
    }
    /* Checked here, as the Redis URL's port is: libpq would only say so
     * when connecting, as if the server were at fault. */
    for (const char *p = port; p != NULL && *p;) {
        size_t n = strcspn(p, ",");
        long v = 0;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            ok = p[i] >= '0' && p[i] <= '9';
            v = v * 10 + (p[i] - '0');
            ok = ok && v <= 65535;
        }
        if (!ok || (n > 0 && v == 0)) {
            int rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                                   "bad port \"%.*s\" in URL \"%s\"", (int)n, p,
                                   url);
            PQconninfoFree(opts);
            return rc;
        }
        p += n + (p[n] == ',');
    }
    /* The name in messages: the URL's parts without a password. */
    snprintf(t->name, sizeof(t->name), "postgres://%s%s%s%s%s/%s",
             user ? user : "", user ? "@" : "", host ? host : "",
             port ? ":" : "", port ? port : "", db ? db : "");
    PQconninfoFree(opts);
    snprintf(t->spec, sizeof(t->spec), "%s", url);
    t->proto = &vmb_pg_proto;
    return 0;
}

/* ---- the prepare step ---- */

static int
exec_all(PGconn *conn, const char *const *sqls, const char *name,
         struct vmb_error **err)
{
    for (size_t i = 0; sqls[i]; i++) {
        PGresult *r = PQexec(conn, sqls[i]);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            struct vmb_load_fault f;
            fault_set(&f, 0, 0, PQresultErrorMessage(r));
            PQclear(r);
            return vmb_error_set(err, VMB_ERR_RUN, 0, "%s: \"%s\": %s", name,
                                 sqls[i], f.msg);
        }
        PQclear(r);
    }
    return 0;
}

/* Rows into table through COPY; line(i, buf) writes row i's line. */
static int
copy_rows(PGconn *conn, const char *sql, uint64_t nrows,
          size_t (*line)(uint64_t i, const void *arg, char *buf, size_t cap),
          const void *arg, size_t max_line, struct vmb_error **err)
{
    struct vmb_load_fault f;
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fault_set(&f, 0, 0, PQresultErrorMessage(r));
        PQclear(r);
        return vmb_error_set(err, VMB_ERR_RUN, 0, "\"%s\": %s", sql, f.msg);
    }
    PQclear(r);
    size_t cap = max_line > 256 * 1024 ? max_line : 256 * 1024;
    autofree char *buf = vmb_xmalloc(cap);
    size_t len = 0;
    bool ok = true;
    for (uint64_t i = 0; i < nrows && ok; i++) {
        if (len + max_line > cap) {
            ok = PQputCopyData(conn, buf, (int)len) == 1;
            len = 0;
        }
        len += line(i, arg, buf + len, cap - len);
        if (vmb_interrupted) {
            PQputCopyEnd(conn, "interrupted");
            PQclear(PQgetResult(conn));
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "interrupted while loading");
        }
    }
    if (ok && len > 0)
        ok = PQputCopyData(conn, buf, (int)len) == 1;
    if (ok)
        ok = PQputCopyEnd(conn, NULL) == 1;
    r = PQgetResult(conn);
    if (!ok || PQresultStatus(r) != PGRES_COMMAND_OK) {
        fault_set(&f, 0, 0, r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
        PQclear(r);
        return vmb_error_set(err, VMB_ERR_RUN, 0, "\"%s\": %s", sql, f.msg);
    }
    PQclear(r);
    while ((r = PQgetResult(conn)) != NULL)
        PQclear(r);
    return 0;
}

/*
 * A connection for the untimed work (prepare, reading the scale), made
 * within connect_timeout, its statements within statement_timeout.
 */
static int
connect_wait(const struct vmb_load_target *t, const struct vmb_load_opts *o,
             PGconn **out, struct vmb_error **err)
{
    uint64_t t0 = vmb_now_ns();
    /* Every wait has a limit: libpq's connect_timeout for the connection,
     * statement_timeout for each statement of the load. */
    char timeout[32];
    snprintf(timeout, sizeof(timeout), "%llu",
             (unsigned long long)((o->connect_timeout_us + 999999) / 1000000));
    const char *keys[] = {"dbname", "connect_timeout", "options", NULL};
    const char *vals[] = {t->spec, timeout, "-c statement_timeout=1h", NULL};
    PGconn *conn = NULL;
    if (connect_deadline(keys, vals, 1, t->name,
                         t0 + o->connect_timeout_us * 1000, PG_CONNECT_CLASSIFY,
                         &conn, err) < 0)
        return -1;
    *out = conn;
    return 0;
}

static int
pg_prepare(const struct vmb_load_target *t, const struct vmb_load_opts *o,
           const struct vmb_phase *phases, size_t nphases,
           struct vmb_load_prepared *out, struct vmb_error **err)
{
    bool kv = false, bench = false;
    for (size_t i = 0; i < nphases; i++) {
        int op = phases[i].op;
        if (op == VMB_OP_WRITE || op == VMB_OP_READ || op == VMB_OP_MIXED)
            kv = true;
        else
            bench = true;
    }
    if (!kv && !bench)
        return 0;
    uint64_t t0 = vmb_now_ns();
    PGconn *conn = NULL;
    int rc = -1;
    if (connect_wait(t, o, &conn, err) < 0)
        goto out;
    size_t vlen = o->value_size_bytes ? o->value_size_bytes : 1;
    if (kv) {
        if (exec_all(conn, vmb_pg_kv_create, "create vmb_kv", err) < 0 ||
            copy_rows(conn, "COPY vmb_kv (key, value) FROM STDIN",
                      (uint64_t)o->keys, vmb_pg_kv_line, &vlen, vlen + 32,
                      err) < 0 ||
            exec_all(conn, vmb_pg_kv_finish, "index vmb_kv", err) < 0)
            goto out;
        out->rows += (uint64_t)o->keys;
    }
    if (bench) {
        uint64_t s = (uint64_t)(o->scale > 0 ? o->scale : 1);
        if (exec_all(conn, vmb_pg_bench_create, "create pgbench tables", err) <
                0 ||
            copy_rows(conn,
                      "COPY pgbench_branches (bid, bbalance, filler) FROM "
                      "STDIN",
                      s, vmb_pg_branch_line, NULL, 64, err) < 0 ||
            copy_rows(conn,
                      "COPY pgbench_tellers (tid, bid, tbalance, filler) "
                      "FROM STDIN",
                      s * VMB_PG_TELLERS_PER_SCALE, vmb_pg_teller_line, NULL,
                      64, err) < 0 ||
            copy_rows(conn,
                      "COPY pgbench_accounts (aid, bid, abalance, "
                      "filler) FROM STDIN",
                      s * VMB_PG_ACCOUNTS_PER_SCALE, vmb_pg_account_line, NULL,
                      64, err) < 0 ||
            exec_all(conn, vmb_pg_bench_finish, "index pgbench tables", err) <
                0)
            goto out;
        out->rows +=
            s * (1 + VMB_PG_TELLERS_PER_SCALE + VMB_PG_ACCOUNTS_PER_SCALE);
    }
    snprintf(out->what, sizeof(out->what), "%s%s%s", kv ? "vmb_kv" : "",
             kv && bench ? " and " : "", bench ? "pgbench tables" : "");
    out->seconds = (double)(vmb_now_ns() - t0) / 1e9;
    rc = 0;
out:
    PQfinish(conn);
    if (rc < 0)
        vmb_error_prefix(err, "prepare \"%s\"", t->name);
    return rc;
}

/* ---- a blocking client, for the control plane ---- */

struct vmb_pg_client {
    PGconn *pg;
    char *name; /* "host:port", for messages */
};

int
vmb_pg_client_connect(const char *host, int port, const char *user,
                      const char *dbname, uint64_t timeout_us,
                      struct vmb_pg_client **out, struct vmb_error **err)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *const keys[] = {
        "host", "port", "user", "dbname", "application_name", NULL};
    const char *const vals[] = {host, portstr, user, dbname, "vmbench", NULL};
    autofree char *name = vmb_xasprintf("%s:%d", host, port);
    PGconn *pg = NULL;
    if (connect_deadline(keys, vals, 0, name,
                         vmb_now_ns() + timeout_us * 1000ull, PG_CONNECT_PLAIN,
                         &pg, err) < 0)
        return -1;
    struct vmb_pg_client *c = vmb_xcalloc(1, sizeof(*c));
    c->pg = pg;
    c->name = steal(&name);
    *out = c;
    return 0;
}

void
vmb_pg_client_close(struct vmb_pg_client *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c->name);
    free(c);
}

void
vmb_pg_rows_clear(struct vmb_pg_rows *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

const char *
vmb_pg_rows_value(const struct vmb_pg_rows *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->v[row * r->ncols + col];
}

static int
result_error(struct vmb_pg_client *c, PGresult *res, struct vmb_error **err)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (msg == NULL) {
        autofree char *m = one_line(PQresultErrorMessage(res));
        return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                             c->name, m);
    }
    return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s %s: %s",
                         c->name, sev ? sev : "ERROR", code ? code : "?", msg);
}

int
vmb_pg_client_query(struct vmb_pg_client *c, const char *sql,
                    uint64_t timeout_us, struct vmb_pg_rows *out,
                    struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    memset(out, 0, sizeof(*out));
    if (!PQsendQuery(c->pg, sql)) {
        autofree char *msg = one_line(PQerrorMessage(c->pg));
        return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                             c->name, msg);
    }
    int rc = 0;
    bool have = false;
    for (;;) {
        while (PQisBusy(c->pg)) {
            int r = vmb_wait_fd(PQsocket(c->pg), POLLIN, deadline);
            if (r == 0)
                return vmb_error_set(err, VMB_ERR_RUN, ETIMEDOUT,
                                     "query on \"%s\": no answer in time",
                                     c->name);
            if (!PQconsumeInput(c->pg)) {
                autofree char *msg = one_line(PQerrorMessage(c->pg));
                vmb_pg_rows_clear(out);
                return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                                     c->name, msg);
            }
        }
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL)
            break;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK && !have && rc == 0) {
            have = true;
            out->nrows = (size_t)PQntuples(res);
            out->ncols = (size_t)PQnfields(res);
            out->v = vmb_xcalloc(out->nrows * out->ncols + 1, sizeof(char *));
            for (size_t i = 0; i < out->nrows; i++)
                for (size_t j = 0; j < out->ncols; j++)
                    if (!PQgetisnull(res, (int)i, (int)j))
                        out->v[i * out->ncols + j] =
                            vmb_xstrdup(PQgetvalue(res, (int)i, (int)j));
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && rc == 0) {
            rc = result_error(c, res, err);
        }
        PQclear(res);
    }
    if (rc < 0)
        vmb_pg_rows_clear(out);
    return rc;
}

/* ---- the table ---- */

int
vmb_pg_bench_scale(const struct vmb_load_target *t,
                   const struct vmb_load_opts *o, int64_t *scale,
                   struct vmb_error **err)
{
    PGconn *conn = NULL;
    if (connect_wait(t, o, &conn, err) < 0)
        return vmb_error_prefix(err, "read pgbench's scale");
    PGresult *r = PQexec(conn, "SELECT count(*) FROM pgbench_branches");
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        struct vmb_load_fault f;
        fault_set(&f, 0, 0, PQresultErrorMessage(r));
        /* No such table (SQLSTATE class 42) is the target the user named. */
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bool theirs = state != NULL && strncmp(state, "42", 2) == 0;
        rc = vmb_error_set(err, theirs ? VMB_ERR_INPUT : VMB_ERR_RUN, 0,
                           "read pgbench's scale (the rows of "
                           "pgbench_branches) on \"%s\": %s",
                           t->name, f.msg);
    } else {
        long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        if (n < 1 || n > INT32_MAX)
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "pgbench_branches on \"%s\" has %lld rows, "
                               "not a scale; make the tables with `vmbench "
                               "stress URL prepare scale=N` or pgbench -i",
                               t->name, n);
        else
            *scale = n;
    }
    PQclear(r);
    PQfinish(conn);
    return rc;
}

const struct vmb_load_proto vmb_pg_proto = {
    .name = "postgres",
    .edge_triggered = false,
    .runs = pg_runs,
    .phase_new = pg_phase_new,
    .phase_free = pg_phase_free,
    .conn_new = pg_conn_new,
    .conn_free = pg_conn_free,
    .open = pg_open,
    .connect_poll = pg_connect_poll,
    .fd = pg_fd,
    .queue = pg_queue,
    .flush = pg_flush,
    .consume = pg_consume,
    .close = pg_close,
    .schemes = pg_schemes,
    .target_parse = vmb_pg_target_parse,
    .prepare = pg_prepare,
};
