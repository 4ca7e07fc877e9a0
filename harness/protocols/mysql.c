/*
 * MySQL (MariaDB) over MariaDB Connector/C: the one file of the tree that
 * includes it, and so the one that turns its errors into ours. It holds
 * the load protocol and a blocking client for the control plane
 * (db/mariadb.c) and the prepare step (mysql_prepare.c).
 *
 * The load protocol runs over Connector/C's non-blocking API: every call
 * that would wait (connecting, preparing, executing a statement, reading
 * its rows) is a _start that returns what it waits for (MYSQL_WAIT_READ,
 * _WRITE) and a _cont called once the socket is ready, on the engine's
 * epoll loop, many connections per thread. A connection prepares the
 * phase's statements (the binary protocol, as sysbench's) before the
 * clock starts; then a transaction is its statements executed one at a
 * time, each after the answer to the one before, in BEGIN ... COMMIT
 * where it has more than one. The protocol has no pipelining: one
 * statement in flight per connection, and `pipeline` > 1 is refused. A
 * statement the server refuses ends the transaction (ROLLBACK) and
 * counts as one server error, its text "1213 (40001): Deadlock ...".
 *
 * The library runs each non-blocking call on a stack of its own and
 * switches back to ours when it would wait; none of our code runs on
 * that stack (no callbacks), so the sanitizers see only the system
 * library's frames come and go. What the switching asks of us: what a
 * _start is given (the connection's host, user, password) is read again
 * by each _cont, so it lives in the connection, not on our stack; and a
 * call left in progress is finished, blocking and without a deadline, by
 * the library's own cleanup, so a busy connection's socket is shut down
 * before it is closed. What it costs: a _start that sends a statement
 * reads the socket at once, before it yields, so every statement makes
 * one recv that finds nothing (EAGAIN), a system call that sysbench's
 * blocking client, which sleeps in its recv, does not make.
 */
#include "protocols/mysql.h"

#include <errmsg.h>
#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/units.h"
#include "base/util.h"
#include "protocols/mysql_sql.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* mysql_init initialises the library on first use, which is not
 * thread-safe: done once, before any thread needs it. */
static void
lib_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

/* ---- URLs ---- */

struct my_url {
    char user[128];
    char pass[128];
    char host[256];
    char db[128];
    unsigned port;
};

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s[0..n) with %XX decoded into out; false on a bad escape, a control
 * character or no room. */
static bool
decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static int
url_parse(const char *url, struct my_url *u, struct vmb_error **err)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->user, sizeof(u->user), "root");
    u->port = 3306;
    if (strncmp(url, "mysql://", 8) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%.300s\": expected mysql://"
                             "USER:PASSWORD@HOST:PORT/DB",
                             url);
    const char *p = url + 8;
    const char *end = p + strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *ue = colon ? colon : at;
        if (!decode(p, (size_t)(ue - p), u->user, sizeof(u->user)) ||
            (colon && !decode(colon + 1, (size_t)(at - colon - 1), u->pass,
                              sizeof(u->pass))))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad user or password in URL \"%.300s\"", url);
        p = at + 1;
    }
    const char *hend;
    if (*p == '[') {
        hend = memchr(p, ']', (size_t)(end - p));
        if (hend == NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%.300s\": unclosed '['", url);
        if ((size_t)(hend - p - 1) >= sizeof(u->host))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "host in URL \"%.300s\" is too long", url);
        memcpy(u->host, p + 1, (size_t)(hend - p - 1));
        hend++;
    } else {
        hend = p;
        while (hend < end && *hend != ':')
            hend++;
        if ((size_t)(hend - p) >= sizeof(u->host))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "host in URL \"%.300s\" is too long", url);
        memcpy(u->host, p, (size_t)(hend - p));
    }
    if (u->host[0] == '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%.300s\": no host", url);
    for (const char *h = u->host; *h; h++)
        if ((unsigned char)*h <= 0x20 || *h == 0x7f || *h == '@')
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad host in URL \"%.300s\"", url);
    if (hend < end) {
        if (*hend != ':')
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%.300s\": text after the host",
                                 url);
        unsigned long v = 0;
        const char *q = hend + 1;
        for (; q < end && v <= 65535; q++) {
            if (*q < '0' || *q > '9')
                break;
            v = v * 10 + (unsigned long)(*q - '0');
        }
        if (q != end || q == hend + 1 || v == 0 || v > 65535)
            return vmb_error_set(
                err, VMB_ERR_INPUT, 0, "bad port \"%.*s\" in URL \"%.300s\"",
                (int)(end - hend - 1 > 20 ? 20 : end - hend - 1), hend + 1,
                url);
        u->port = (unsigned)v;
    }
    if (*end == '/') {
        const char *db = end + 1;
        size_t n = strcspn(db, "?#");
        if (!decode(db, n, u->db, sizeof(u->db)))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad database name in URL \"%.300s\"", url);
        end = db + n;
    }
    if (*end != '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "URL \"%.300s\" takes no parameters", url);
    return 0;
}

static const char *const my_schemes[] = {"mysql", NULL};

int
vmb_mysql_target_parse(const char *url, struct vmb_load_target *t,
                       struct vmb_error **err)
{
    memset(t, 0, sizeof(*t));
    if (strlen(url) >= sizeof(t->spec))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "URL \"%.60s...\" is too long", url);
    struct my_url u;
    if (url_parse(url, &u, err) < 0)
        return -1;
    bool v6 = strchr(u.host, ':') != NULL;
    /* The name in messages: the URL's parts without a password. */
    snprintf(t->name, sizeof(t->name), "mysql://%.100s@%s%.120s%s:%u/%.40s",
             u.user, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, u.db);
    snprintf(t->spec, sizeof(t->spec), "%s", url);
    t->proto = &vmb_mysql_proto;
    return 0;
}

/* ---- errors ---- */

static void
fault_set(struct vmb_load_fault *f, int cls, int errnum, const char *msg)
{
    f->cls = cls;
    f->errnum = errnum;
    f->refused = false;
    snprintf(f->msg, sizeof(f->msg), "%s", msg ? msg : "");
    for (char *p = f->msg; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '\r')
            *p = ' ';
}

/* Who we are or where we asked to go, refused: the URL is at fault. */
static bool
refusal(unsigned e)
{
    return e == ER_ACCESS_DENIED_ERROR || e == ER_BAD_DB_ERROR ||
           e == ER_DBACCESS_DENIED_ERROR || e == ER_HOST_NOT_PRIVILEGED;
}

static void
lib_fault(MYSQL *my, struct vmb_load_fault *f, int cls, int errnum)
{
    unsigned e = mysql_errno(my);
    char msg[sizeof(f->msg)];
    snprintf(msg, sizeof(msg), "%u (%s): %s", e, mysql_sqlstate(my),
             mysql_error(my));
    if (e == CR_CONN_HOST_ERROR || e == CR_CONNECTION_ERROR)
        errnum = ECONNREFUSED;
    fault_set(f, cls, errnum, msg);
    f->refused = refusal(e);
}

/* ---- the load protocol ---- */

struct my_phase {
    int op;
    int tables;
    int64_t table_size;
    size_t vmin, vmax;
    char *value; /* vmax 'x': a value of n bytes is its tail */
    const struct vmb_my_txn *txn[2];
    int nstmts; /* VMB_MY_NGLOBAL + tables * VMB_MY_NTABLE_KINDS */
    bool *need; /* nstmts */
    char **sql; /* nstmts, the texts of those needed */
};

enum {
    MY_DOWN,
    MY_CONNECTING,
    MY_PREPARING,
    MY_IDLE,
    MY_EXEC,
    MY_STORE,
    MY_ROLLBACK
};

struct my_conn {
    const struct my_phase *ps;
    /* What mysql_real_connect_start was given: the library reads it
     * again in each _cont, so it lives as long as the connection. */
    struct my_url url;
    MYSQL *my;
    MYSQL_STMT **stmt;
    int state;
    int wait;   /* what the call in progress waits for: MYSQL_WAIT_* */
    int prep_i; /* MY_PREPARING: the statement being prepared */
    int ret;
    MYSQL *cret;
    /* the transaction in flight */
    bool busy;
    const struct vmb_my_txn *txn;
    int step, nsteps, table, cur;
    bool miss, failed;
    bool kicked; /* flush asked for one more round (my_flush) */
    struct vmb_my_vars vars;
    struct vmb_rng *rng; /* the load thread's, for the later steps' draws */
    /* The lengths the bound string parameters point at, read by each
     * execute: c and pad are fixed, the value's is drawn. */
    unsigned long c_len, pad_len, value_len;
    char sqlstate[6];
    char msg[160];
};

static bool
my_runs(int op)
{
    return vmb_my_txn_of(op, 0) != NULL;
}

static void
my_phase_free(void *p)
{
    struct my_phase *ps = p;
    if (ps == NULL)
        return;
    for (int i = 0; ps->sql && i < ps->nstmts; i++)
        free(ps->sql[i]);
    free(ps->sql);
    free(ps->need);
    free(ps->value);
    free(ps);
}

/* The statement index of kind s on table (1-based). */
static int
stmt_index(int s, int table)
{
    if (s < VMB_MY_NGLOBAL)
        return s;
    return VMB_MY_NGLOBAL + (table - 1) * VMB_MY_NTABLE_KINDS +
           (s - VMB_MY_NGLOBAL);
}

/* A statement's text with its table's number where "%d" stands. */
static char *
sql_for(const char *tmpl, int table)
{
    const char *at = strstr(tmpl, "%d");
    if (at == NULL)
        return vmb_xstrdup(tmpl);
    return vmb_xasprintf("%.*s%d%s", (int)(at - tmpl), tmpl, table, at + 2);
}

static int
my_phase_new(const struct vmb_load_opts *o, const struct vmb_phase *ph,
             void **out, struct vmb_error **err)
{
    pthread_once(&lib_once, lib_init);
    struct my_phase *ps = vmb_xcalloc(1, sizeof(*ps));
    *out = ps;
    if (o->pipeline > 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "pipeline \"%" PRId64 "\": the MySQL protocol "
                             "has one statement in flight per connection; "
                             "give pipeline 1",
                             o->pipeline);
    ps->op = ph->op;
    ps->tables = (int)(o->tables > 0 ? o->tables : 1);
    ps->table_size = o->table_size > 0 ? o->table_size : 1;
    if (ps->table_size > INT32_MAX - VMB_MY_RANGE_SIZE)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "table_size \"%" PRId64 "\" is more rows than "
                             "sysbench's INTEGER ids hold",
                             ps->table_size);
    ps->vmin = o->value_size_bytes ? o->value_size_bytes : 1;
    ps->vmax =
        o->value_size_max_bytes > ps->vmin ? o->value_size_max_bytes : ps->vmin;
    if (ps->vmax > 16 * 1024 * 1024)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "MySQL values are at most 16 MB here; "
                             "value_size \"%zu\" is larger",
                             ps->vmax);
    ps->value = vmb_xmalloc(ps->vmax + 1);
    memset(ps->value, 'x', ps->vmax);
    ps->value[ps->vmax] = '\0';
    ps->nstmts = VMB_MY_NGLOBAL + ps->tables * VMB_MY_NTABLE_KINDS;
    ps->need = vmb_xcalloc((size_t)ps->nstmts, sizeof(bool));
    ps->sql = vmb_xcalloc((size_t)ps->nstmts, sizeof(char *));
    for (int k = 0; k < 2; k++) {
        const struct vmb_my_txn *t = vmb_my_txn_of(ph->op, k);
        ps->txn[k] = t;
        if (t == NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "the MySQL protocol does not run \"%s\"",
                                 vmb_op_name(ph->op));
        if (t->block)
            ps->need[VMB_MY_BEGIN] = ps->need[VMB_MY_COMMIT] = true;
        for (int i = 0; i < t->nsteps; i++)
            for (int tb = 1; tb <= ps->tables; tb++)
                ps->need[stmt_index(t->steps[i], tb)] = true;
    }
    for (int s = 0; s < VMB_MY_NKINDS; s++)
        for (int tb = 1; tb <= (s < VMB_MY_NGLOBAL ? 1 : ps->tables); tb++) {
            int i = stmt_index(s, tb);
            if (ps->need[i])
                ps->sql[i] = sql_for(vmb_my_stmts[s].sql, tb);
        }
    return 0;
}

static void *
my_conn_new(void *ps, char *rbuf)
{
    (void)rbuf;
    struct my_conn *c = vmb_xcalloc(1, sizeof(*c));
    c->ps = ps;
    c->stmt = vmb_xcalloc((size_t)c->ps->nstmts, sizeof(MYSQL_STMT *));
    return c;
}

static void
my_close(void *pc)
{
    struct my_conn *c = pc;
    /* A call in progress would be finished, blocking, by the library's
     * cleanup (the rest of a result read with no deadline): cut the
     * socket first so that every read of it fails at once. */
    if (c->my != NULL && (c->busy || c->wait != 0)) {
        my_socket fd = mysql_get_socket(c->my);
        if (fd != (my_socket)-1)
            shutdown((int)fd, SHUT_RDWR);
    }
    for (int i = 0; i < c->ps->nstmts; i++) {
        /* Closing a statement sends COM_STMT_CLOSE, a write that does
         * not wait for an answer; mysql_close below frees the rest. */
        if (c->stmt[i] != NULL)
            mysql_stmt_close(c->stmt[i]);
        c->stmt[i] = NULL;
    }
    if (c->my != NULL)
        mysql_close(c->my);
    c->my = NULL;
    c->state = MY_DOWN;
    c->wait = 0;
    c->busy = false;
}

static void
my_conn_free(void *pc)
{
    struct my_conn *c = pc;
    if (c == NULL)
        return;
    my_close(c);
    free(c->stmt);
    free(c);
}

static int
my_fd(void *pc)
{
    struct my_conn *c = pc;
    if (c->my == NULL || c->state == MY_DOWN)
        return -1;
    my_socket s = mysql_get_socket(c->my);
    return s == (my_socket)-1 ? -1 : (int)s;
}

/* What a wait status asks of the engine. */
static int
poll_of(int status)
{
    return (status & MYSQL_WAIT_WRITE) ? VMB_LOAD_POLL_WRITE
                                       : VMB_LOAD_POLL_READ;
}

static int prepare_next(struct my_conn *c, struct vmb_load_fault *f);

/* The statement kind of statement index i (stmt_index's inverse). */
static int
stmt_kind(int i)
{
    if (i < VMB_MY_NGLOBAL)
        return i;
    return VMB_MY_NGLOBAL + (i - VMB_MY_NGLOBAL) % VMB_MY_NTABLE_KINDS;
}

static void
bind_int(MYSQL_BIND *b, int32_t *v)
{
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = v;
}

static void
bind_str(MYSQL_BIND *b, char *s, unsigned long *len)
{
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = s;
    b->buffer_length = *len;
    b->length = len;
}

/*
 * Binds statement i's parameters to the connection's draws, once after
 * it is prepared: the library copies the bindings and reads the values
 * they point at on each execute. Binding before every execute would cost
 * a copy and a check of every binding and make the library send the
 * parameters' types with every execute (a binding tells it that they may
 * have changed); sysbench binds once too.
 */
static int
bind_params(struct my_conn *c, int i)
{
    const struct my_phase *ps = c->ps;
    struct vmb_my_vars *v = &c->vars;
    MYSQL_BIND b[4];
    memset(b, 0, sizeof(b));
    c->c_len = VMB_MY_C_LEN;
    c->pad_len = VMB_MY_PAD_LEN;
    int params = vmb_my_stmts[stmt_kind(i)].params;
    switch (params) {
    case VMB_MY_P_KEY:
    case VMB_MY_P_KEY_VALUE:
        b[0].buffer_type = MYSQL_TYPE_LONGLONG;
        b[0].buffer = &v->key;
        /* The value is ps->value's first value_len bytes, all 'x'. */
        b[1].buffer_type = MYSQL_TYPE_BLOB;
        b[1].buffer = ps->value;
        b[1].buffer_length = (unsigned long)ps->vmax;
        b[1].length = &c->value_len;
        break;
    case VMB_MY_P_ID:
        bind_int(&b[0], &v->id);
        break;
    case VMB_MY_P_RANGE:
        bind_int(&b[0], &v->id);
        bind_int(&b[1], &v->id2);
        break;
    case VMB_MY_P_C_ID:
        bind_str(&b[0], v->c, &c->c_len);
        bind_int(&b[1], &v->id);
        break;
    case VMB_MY_P_ROW:
        bind_int(&b[0], &v->id);
        bind_int(&b[1], &v->k);
        bind_str(&b[2], v->c, &c->c_len);
        bind_str(&b[3], v->pad, &c->pad_len);
        break;
    case VMB_MY_P_ROW_AUTO:
        bind_int(&b[0], &v->k);
        bind_str(&b[1], v->c, &c->c_len);
        bind_str(&b[2], v->pad, &c->pad_len);
        break;
    default:
        return 0;
    }
    return mysql_stmt_bind_param(c->stmt[i], b) ? -1 : 0;
}

static int
my_open(void *pc, const struct vmb_load_target *t, struct vmb_load_fault *f)
{
    struct my_conn *c = pc;
    my_close(c);
    struct my_url *u = &c->url;
    vmb_autoerr struct vmb_error *e = NULL;
    if (url_parse(t->spec, u, &e) < 0) {
        fault_set(f, VMB_LOAD_ERR_CONNECT, EINVAL, e->msg);
        f->refused = true;
        return -1;
    }
    c->my = mysql_init(NULL);
    if (c->my == NULL) {
        fault_set(f, VMB_LOAD_ERR_CONNECT, ENOMEM, "out of memory");
        return -1;
    }
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_options(c->my, MYSQL_OPT_PROTOCOL, &proto);
    if (mysql_options(c->my, MYSQL_OPT_NONBLOCK, 0) != 0) {
        lib_fault(c->my, f, VMB_LOAD_ERR_CONNECT, ENOMEM);
        my_close(c);
        return -1;
    }
    c->state = MY_CONNECTING;
    c->wait =
        mysql_real_connect_start(&c->cret, c->my, u->host, u->user, u->pass,
                                 u->db[0] ? u->db : NULL, u->port, NULL, 0);
    if (c->wait != 0)
        return poll_of(c->wait);
    if (c->cret == NULL) {
        lib_fault(c->my, f, VMB_LOAD_ERR_CONNECT, 0);
        return -1;
    }
    c->state = MY_PREPARING;
    c->prep_i = -1;
    return prepare_next(c, f);
}

/* Prepares the next statement the phase needs, or finishes. */
static int
prepare_next(struct my_conn *c, struct vmb_load_fault *f)
{
    for (;;) {
        if (c->wait == 0 && c->prep_i >= 0 && c->ret != 0) {
            MYSQL_STMT *st = c->stmt[c->prep_i];
            char msg[sizeof(f->msg)];
            unsigned e = mysql_stmt_errno(st);
            snprintf(msg, sizeof(msg), "prepare: %u (%s): %s%s", e,
                     mysql_stmt_sqlstate(st), mysql_stmt_error(st),
                     e == ER_NO_SUCH_TABLE ? " (run the prepare step first)"
                                           : "");
            fault_set(f,
                      e >= 2000 && e < 3000 ? VMB_LOAD_ERR_IO
                                            : VMB_LOAD_ERR_SERVER,
                      0, msg);
            f->refused = e < 2000 || e >= 3000;
            return -1;
        }
        if (c->wait != 0)
            return poll_of(c->wait);
        if (c->prep_i >= 0 && bind_params(c, c->prep_i) < 0) {
            MYSQL_STMT *st = c->stmt[c->prep_i];
            char msg[sizeof(f->msg)];
            snprintf(msg, sizeof(msg), "bind: %u (%s): %s",
                     mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
                     mysql_stmt_error(st));
            fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO, msg);
            return -1;
        }
        int i = c->prep_i + 1;
        while (i < c->ps->nstmts && !c->ps->need[i])
            i++;
        if (i >= c->ps->nstmts) {
            c->state = MY_IDLE;
            return VMB_LOAD_POLL_DONE;
        }
        c->prep_i = i;
        c->stmt[i] = mysql_stmt_init(c->my);
        if (c->stmt[i] == NULL) {
            lib_fault(c->my, f, VMB_LOAD_ERR_CONNECT, ENOMEM);
            return -1;
        }
        c->wait = mysql_stmt_prepare_start(&c->ret, c->stmt[i], c->ps->sql[i],
                                           strlen(c->ps->sql[i]));
    }
}

static int
my_connect_poll(void *pc, struct vmb_load_fault *f)
{
    struct my_conn *c = pc;
    int ev = c->wait;
    if (c->state == MY_CONNECTING) {
        c->wait = mysql_real_connect_cont(&c->cret, c->my, ev);
        if (c->wait != 0)
            return poll_of(c->wait);
        if (c->cret == NULL) {
            lib_fault(c->my, f, VMB_LOAD_ERR_CONNECT, 0);
            return -1;
        }
        c->state = MY_PREPARING;
        c->prep_i = -1;
        return prepare_next(c, f);
    }
    if (c->state == MY_PREPARING) {
        c->wait = mysql_stmt_prepare_cont(&c->ret, c->stmt[c->prep_i], ev);
        return prepare_next(c, f);
    }
    return VMB_LOAD_POLL_DONE;
}

/* Step i of the transaction: BEGIN and COMMIT around a block. */
static int
step_kind(const struct my_conn *c, int i)
{
    if (!c->txn->block)
        return c->txn->steps[i];
    if (i == 0)
        return VMB_MY_BEGIN;
    if (i == c->nsteps - 1)
        return VMB_MY_COMMIT;
    return c->txn->steps[i - 1];
}

/* Draws step i's parameters, which its statement is bound to, and
 * starts executing it. */
static void
start_step(struct my_conn *c, int i, struct vmb_rng *rng)
{
    const struct my_phase *ps = c->ps;
    int s = step_kind(c, i);
    /* The insert after a delete keeps its table and id. */
    if (s >= VMB_MY_NGLOBAL && s != VMB_MY_INSERT)
        c->table = 1 + (int)vmb_rng_below(rng, (uint64_t)ps->tables);
    vmb_my_draw(s, ps->table_size, (uint64_t)c->vars.key, ps->vmin, ps->vmax,
                rng, &c->vars);
    c->value_len = (unsigned long)c->vars.value_len;
    c->cur = stmt_index(s, c->table);
    c->step = i;
    c->state = MY_EXEC;
    c->wait = mysql_stmt_execute_start(&c->ret, c->stmt[c->cur]);
}

static int
my_queue(void *pc, int kind, uint64_t key, struct vmb_rng *rng,
         struct vmb_load_fault *f)
{
    struct my_conn *c = pc;
    if (c->busy) {
        fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO,
                  "a second statement queued on one connection");
        return -1;
    }
    c->txn = c->ps->txn[kind];
    c->nsteps = c->txn->nsteps + (c->txn->block ? 2 : 0);
    c->miss = c->failed = c->kicked = false;
    c->busy = true;
    c->vars.key = (int64_t)key;
    c->rng = rng;
    start_step(c, 0, rng);
    return 0;
}

/* Goes on with the library call in progress, given the events seen. */
static void
cont(struct my_conn *c, int ev)
{
    switch (c->state) {
    case MY_EXEC:
        c->wait = mysql_stmt_execute_cont(&c->ret, c->stmt[c->cur], ev);
        break;
    case MY_STORE:
        c->wait = mysql_stmt_store_result_cont(&c->ret, c->stmt[c->cur], ev);
        break;
    case MY_ROLLBACK:
        c->wait = mysql_real_query_cont(&c->ret, c->my, ev);
        break;
    default:
        c->wait = 0;
        break;
    }
}

static int
my_flush(void *pc, struct vmb_load_fault *f)
{
    (void)f;
    struct my_conn *c = pc;
    /* The library writes a statement whole when the socket takes it; it
     * asks to wait for writable only when the socket buffer is full. */
    if (c->busy && (c->wait & MYSQL_WAIT_WRITE))
        cont(c, MYSQL_WAIT_WRITE);
    /* A statement whose answer the library read while sending it (a
     * fast server) has ended, and no event will say so: asking to wait
     * for writable, which holds at once, makes the engine flush again
     * and then read, where consume finds it. */
    if (c->busy && c->wait == 0) {
        c->kicked = !c->kicked;
        return c->kicked ? 1 : 0;
    }
    return c->busy && (c->wait & MYSQL_WAIT_WRITE) ? 1 : 0;
}

static int
finish(struct my_conn *c, vmb_load_answer_fn done, void *ctx)
{
    struct vmb_load_answer a = {.status = VMB_LOAD_ANS_OK, .fresh = true};
    c->busy = false;
    c->state = MY_IDLE;
    if (c->failed) {
        a.status = VMB_LOAD_ANS_SERVER;
        a.text = c->msg;
        a.text_len = strlen(c->msg);
        a.sqlstate = c->sqlstate;
    } else if (c->miss) {
        a.status = VMB_LOAD_ANS_MISS;
    }
    return done(ctx, &a);
}

/*
 * The call in progress has ended: reads the rows of a statement that has
 * them, goes on to the next statement, or ends the transaction. Returns
 * 1 when the transaction ended, 0 when another call is in progress, -1
 * with *f when the connection failed.
 */
static int
call_ended(struct my_conn *c, struct vmb_load_fault *f)
{
    MYSQL_STMT *st = c->stmt[c->cur];
    int s = step_kind(c, c->step);
    if (c->state == MY_ROLLBACK)
        return 1;
    if (c->ret != 0) {
        unsigned e = mysql_stmt_errno(st);
        if (e >= 2000 && e < 3000) {
            char msg[sizeof(f->msg)];
            snprintf(msg, sizeof(msg), "%u (%s): %s", e,
                     mysql_stmt_sqlstate(st), mysql_stmt_error(st));
            fault_set(f, VMB_LOAD_ERR_IO, ECONNRESET, msg);
            return -1;
        }
        c->failed = true;
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s",
                 mysql_stmt_sqlstate(st));
        snprintf(c->msg, sizeof(c->msg), "%u (%s): %s", e,
                 mysql_stmt_sqlstate(st), mysql_stmt_error(st));
        if (c->txn->block && c->step > 0 && c->step < c->nsteps - 1) {
            c->state = MY_ROLLBACK;
            c->wait = mysql_real_query_start(&c->ret, c->my, "ROLLBACK", 8);
            return 0;
        }
        return 1;
    }
    if (c->state == MY_EXEC && mysql_stmt_field_count(st) > 0) {
        c->state = MY_STORE;
        c->wait = mysql_stmt_store_result_start(&c->ret, st);
        return 0;
    }
    if (c->state == MY_STORE) {
        if (vmb_my_stmts[s].reads && mysql_stmt_num_rows(st) == 0)
            c->miss = true;
        /* The rows were all read: this frees them, no round trip. */
        mysql_stmt_free_result(st);
    }
    if (c->step + 1 >= c->nsteps)
        return 1;
    start_step(c, c->step + 1, c->rng);
    return 0;
}

static int
my_consume(void *pc, vmb_load_answer_fn done, void *ctx,
           struct vmb_load_fault *f)
{
    struct my_conn *c = pc;
    if (!c->busy) {
        /* Nothing asked: what arrived is the server going away. */
        fault_set(f, VMB_LOAD_ERR_IO, ECONNRESET,
                  "the server sent data no statement asked for, or closed "
                  "the connection");
        return -1;
    }
    if (c->wait != 0)
        cont(c, (c->wait & MYSQL_WAIT_READ) ? MYSQL_WAIT_READ : c->wait);
    while (c->busy && c->wait == 0) {
        int rc = call_ended(c, f);
        if (rc < 0)
            return -1;
        if (rc > 0 && finish(c, done, ctx) < 0) {
            fault_set(f, VMB_LOAD_ERR_PROTOCOL, EPROTO,
                      "an answer to no request");
            return -1;
        }
    }
    return c->busy && (c->wait & MYSQL_WAIT_WRITE) ? 1 : 0;
}

/* ---- a blocking client, for the control plane and the prepare step ---- */

struct vmb_mysql_client {
    MYSQL *my;
    char *name; /* "host:port", for messages */
};

static unsigned
seconds_of(uint64_t us)
{
    uint64_t s = (us + 999999) / 1000000;
    return s < 1 ? 1 : s > 86400 ? 86400 : (unsigned)s;
}

/* A client with the timeouts set; NULL and *err on failure. */
static MYSQL *
client_new(uint64_t connect_us, uint64_t rw_us)
{
    pthread_once(&lib_once, lib_init);
    MYSQL *my = mysql_init(NULL);
    if (my == NULL)
        return NULL;
    unsigned proto = MYSQL_PROTOCOL_TCP;
    unsigned ct = seconds_of(connect_us), rw = seconds_of(rw_us);
    mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rw);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
    return my;
}

static int
client_connect(const char *host, int port, const char *user,
               const char *password, const char *db, uint64_t connect_us,
               uint64_t rw_us, struct vmb_mysql_client **out,
               struct vmb_error **err)
{
    bool v6 = strchr(host, ':') != NULL;
    autofree char *name =
        vmb_xasprintf("%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
    MYSQL *my = client_new(connect_us, rw_us);
    if (my == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, ENOMEM, "connect to \"%s\"",
                             name);
    if (mysql_real_connect(my, host, user, password, db, (unsigned)port, NULL,
                           0) == NULL) {
        unsigned e = mysql_errno(my);
        int rc = vmb_error_set(err, refusal(e) ? VMB_ERR_INPUT : VMB_ERR_RUN, 0,
                               "connect to \"%s\": %u (%s): %s", name, e,
                               mysql_sqlstate(my), mysql_error(my));
        mysql_close(my);
        return rc;
    }
    struct vmb_mysql_client *c = vmb_xcalloc(1, sizeof(*c));
    c->my = my;
    c->name = vmb_xstrdup(name);
    *out = c;
    return 0;
}

int
vmb_mysql_client_connect(const char *host, int port, const char *user,
                         const char *password, const char *db,
                         uint64_t timeout_us, struct vmb_mysql_client **out,
                         struct vmb_error **err)
{
    return client_connect(host, port, user, password, db, timeout_us,
                          timeout_us, out, err);
}

void
vmb_mysql_client_close(struct vmb_mysql_client *c)
{
    if (c == NULL)
        return;
    mysql_close(c->my);
    free(c->name);
    free(c);
}

void
vmb_mysql_rows_clear(struct vmb_mysql_rows *r)
{
    for (size_t i = 0; r->v && i < r->nrows * r->ncols; i++)
        free(r->v[i]);
    for (size_t i = 0; r->names && i < r->ncols; i++)
        free(r->names[i]);
    free(r->v);
    free(r->names);
    memset(r, 0, sizeof(*r));
}

const char *
vmb_mysql_rows_value(const struct vmb_mysql_rows *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->v[row * r->ncols + col];
}

const char *
vmb_mysql_rows_get(const struct vmb_mysql_rows *r, size_t row, const char *col)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->names[i], col) == 0)
            return vmb_mysql_rows_value(r, row, i);
    return NULL;
}

int
vmb_mysql_client_query(struct vmb_mysql_client *c, const char *sql,
                       uint64_t timeout_us, struct vmb_mysql_rows *out,
                       struct vmb_error **err)
{
    unsigned rw = seconds_of(timeout_us);
    mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &rw);
    mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "%s: %u (%s): %s", c->name,
                             mysql_errno(c->my), mysql_sqlstate(c->my),
                             mysql_error(c->my));
    MYSQL_RES *res = mysql_store_result(c->my);
    if (res == NULL) {
        if (mysql_field_count(c->my) != 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0, "%s: %u (%s): %s",
                                 c->name, mysql_errno(c->my),
                                 mysql_sqlstate(c->my), mysql_error(c->my));
        if (out != NULL)
            memset(out, 0, sizeof(*out));
        return 0;
    }
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
        out->ncols = mysql_num_fields(res);
        out->nrows = (size_t)mysql_num_rows(res);
        out->names = vmb_xcalloc(out->ncols ? out->ncols : 1, sizeof(char *));
        MYSQL_FIELD *fields = mysql_fetch_fields(res);
        for (size_t i = 0; i < out->ncols; i++)
            out->names[i] = vmb_xstrdup(fields[i].name);
        out->v = vmb_xcalloc(out->nrows * out->ncols + 1, sizeof(char *));
        MYSQL_ROW row;
        for (size_t r = 0; (row = mysql_fetch_row(res)) != NULL; r++) {
            unsigned long *len = mysql_fetch_lengths(res);
            for (size_t i = 0; i < out->ncols && r < out->nrows; i++)
                out->v[r * out->ncols + i] =
                    row[i] ? vmb_xstrndup(row[i], len[i]) : NULL;
        }
    }
    mysql_free_result(res);
    return 0;
}

int
vmb_mysql_client_connect_url(const char *url, uint64_t connect_us,
                             uint64_t rw_us, struct vmb_mysql_client **out,
                             struct vmb_error **err)
{
    struct my_url u;
    if (url_parse(url, &u, err) < 0)
        return -1;
    return client_connect(u.host, (int)u.port, u.user, u.pass,
                          u.db[0] ? u.db : NULL, connect_us, rw_us, out, err);
}

const struct vmb_load_proto vmb_mysql_proto = {
    .name = "mysql",
    .edge_triggered = false,
    .runs = my_runs,
    .phase_new = my_phase_new,
    .phase_free = my_phase_free,
    .conn_new = my_conn_new,
    .conn_free = my_conn_free,
    .open = my_open,
    .connect_poll = my_connect_poll,
    .fd = my_fd,
    .queue = my_queue,
    .flush = my_flush,
    .consume = my_consume,
    .close = my_close,
    .schemes = my_schemes,
    .target_parse = vmb_mysql_target_parse,
    .prepare = vmb_mysql_prepare,
};
