/*
 * The statements and transactions of the PostgreSQL protocol. pgbench's
 * built-in scripts (its documentation lists them) are written here as
 * prepared statements with the same tables, the same draws and, outside
 * pipeline mode, the same BEGIN ... END block, one statement per round
 * trip, so the figures compare with `pgbench -M prepared`.
 */
#include "protocols/pg_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "load/load.h"

const struct vmb_pg_stmt vmb_pg_stmts[VMB_PG_NSTMT] = {
    [VMB_PG_KV_WRITE] = {"INSERT INTO vmb_kv (key, value) VALUES ($1, $2) "
                         "ON CONFLICT (key) DO UPDATE SET value = "
                         "EXCLUDED.value",
                         2, false},
    [VMB_PG_KV_READ] = {"SELECT value FROM vmb_kv WHERE key = $1", 1, true},
    [VMB_PG_ACC_UPDATE] = {"UPDATE pgbench_accounts SET abalance = abalance "
                           "+ $1 WHERE aid = $2",
                           2, false},
    [VMB_PG_ACC_SELECT] = {"SELECT abalance FROM pgbench_accounts WHERE aid "
                           "= $1",
                           1, true},
    [VMB_PG_TELLER_UPDATE] = {"UPDATE pgbench_tellers SET tbalance = tbalance "
                              "+ $1 WHERE tid = $2",
                              2, false},
    [VMB_PG_BRANCH_UPDATE] = {"UPDATE pgbench_branches SET bbalance = "
                              "bbalance + $1 WHERE bid = $2",
                              2, false},
    [VMB_PG_HISTORY_INSERT] = {"INSERT INTO pgbench_history (tid, bid, aid, "
                               "delta, mtime) VALUES ($1, $2, $3, $4, "
                               "CURRENT_TIMESTAMP)",
                               4, false},
    [VMB_PG_BEGIN] = {"BEGIN", 0, false},
    [VMB_PG_END] = {"END", 0, false},
};

static const struct vmb_pg_txn kv_write = {1, {VMB_PG_KV_WRITE}, false};
static const struct vmb_pg_txn kv_read = {1, {VMB_PG_KV_READ}, false};
static const struct vmb_pg_txn tpcb_like = {
    5,
    {VMB_PG_ACC_UPDATE, VMB_PG_ACC_SELECT, VMB_PG_TELLER_UPDATE,
     VMB_PG_BRANCH_UPDATE, VMB_PG_HISTORY_INSERT},
    true};
static const struct vmb_pg_txn simple_update = {
    3, {VMB_PG_ACC_UPDATE, VMB_PG_ACC_SELECT, VMB_PG_HISTORY_INSERT}, true};
static const struct vmb_pg_txn select_only = {1, {VMB_PG_ACC_SELECT}, false};

const struct vmb_pg_txn *
vmb_pg_txn_of(int op, int kind)
{
    switch (op) {
    case VMB_OP_WRITE:
    case VMB_OP_READ:
    case VMB_OP_MIXED:
        return kind == 0 ? &kv_write : &kv_read;
    case VMB_OP_TPCB_LIKE:
        return &tpcb_like;
    case VMB_OP_SIMPLE_UPDATE:
        return &simple_update;
    case VMB_OP_SELECT_ONLY:
        return &select_only;
    default:
        return NULL;
    }
}

/* Uniform in [lo, hi]. */
static int64_t
draw(struct vmb_rng *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)vmb_rng_below(rng, (uint64_t)(hi - lo + 1));
}

void
vmb_pg_draw(int op, int64_t scale, uint64_t key, size_t vmin, size_t vmax,
            struct vmb_rng *rng, struct vmb_pg_vars *v)
{
    v->key = key;
    v->vlen = vmin;
    if (op == VMB_OP_WRITE || op == VMB_OP_READ || op == VMB_OP_MIXED) {
        if (vmax > vmin)
            v->vlen = vmin + vmb_rng_below(rng, vmax - vmin + 1);
        return;
    }
    v->aid = draw(rng, 1, VMB_PG_ACCOUNTS_PER_SCALE * scale);
    v->bid = draw(rng, 1, scale);
    v->tid = draw(rng, 1, VMB_PG_TELLERS_PER_SCALE * scale);
    v->delta = draw(rng, -5000, 5000);
}

void
vmb_pg_params(int stmt, const struct vmb_pg_vars *v, const char *value,
              size_t vmax, char *buf, const char **params)
{
    char *p = buf;
#define PUT(i, x)                                                              \
    do {                                                                       \
        params[i] = p;                                                         \
        p += sprintf(p, "%" PRId64, (int64_t)(x)) + 1;                         \
    } while (0)
    switch (stmt) {
    case VMB_PG_KV_WRITE:
        PUT(0, v->key);
        params[1] = value + (vmax - v->vlen);
        break;
    case VMB_PG_KV_READ:
        PUT(0, v->key);
        break;
    case VMB_PG_ACC_UPDATE:
        PUT(0, v->delta);
        PUT(1, v->aid);
        break;
    case VMB_PG_ACC_SELECT:
        PUT(0, v->aid);
        break;
    case VMB_PG_TELLER_UPDATE:
        PUT(0, v->delta);
        PUT(1, v->tid);
        break;
    case VMB_PG_BRANCH_UPDATE:
        PUT(0, v->delta);
        PUT(1, v->bid);
        break;
    case VMB_PG_HISTORY_INSERT:
        PUT(0, v->tid);
        PUT(1, v->bid);
        PUT(2, v->aid);
        PUT(3, v->delta);
        break;
    default:
        break;
    }
#undef PUT
}

/* Indexes are made after the load, as pgbench -i does: faster than
 * keeping them up to date row by row. */
const char *const vmb_pg_kv_create[] = {
    "DROP TABLE IF EXISTS vmb_kv",
    "CREATE TABLE vmb_kv (key bigint NOT NULL, value text NOT NULL)",
    NULL,
};
const char *const vmb_pg_kv_finish[] = {
    "ALTER TABLE vmb_kv ADD PRIMARY KEY (key)",
    "VACUUM ANALYZE vmb_kv",
    NULL,
};
const char *const vmb_pg_bench_create[] = {
    "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, "
    "pgbench_history, pgbench_tellers",
    "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, "
    "mtime timestamp, filler char(22))",
    "CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, "
    "filler char(84)) WITH (fillfactor = 100)",
    "CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, "
    "filler char(84)) WITH (fillfactor = 100)",
    "CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, "
    "filler char(88)) WITH (fillfactor = 100)",
    NULL,
};
const char *const vmb_pg_bench_finish[] = {
    "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)",
    "ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)",
    "ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)",
    "VACUUM ANALYZE pgbench_branches",
    "VACUUM ANALYZE pgbench_tellers",
    "VACUUM ANALYZE pgbench_accounts",
    "VACUUM ANALYZE pgbench_history",
    NULL,
};

size_t
vmb_pg_kv_line(uint64_t i, const void *arg, char *buf, size_t cap)
{
    const size_t *vlen = arg;
    int n = snprintf(buf, cap, "%" PRIu64 "\t", i);
    memset(buf + n, 'x', *vlen);
    buf[(size_t)n + *vlen] = '\n';
    return (size_t)n + *vlen + 1;
}

size_t
vmb_pg_account_line(uint64_t i, const void *arg, char *buf, size_t cap)
{
    (void)arg;
    uint64_t aid = i + 1;
    return (size_t)snprintf(buf, cap, "%" PRIu64 "\t%" PRIu64 "\t0\t\n", aid,
                            (aid - 1) / VMB_PG_ACCOUNTS_PER_SCALE + 1);
}

size_t
vmb_pg_teller_line(uint64_t i, const void *arg, char *buf, size_t cap)
{
    (void)arg;
    uint64_t tid = i + 1;
    return (size_t)snprintf(buf, cap, "%" PRIu64 "\t%" PRIu64 "\t0\t\n", tid,
                            (tid - 1) / VMB_PG_TELLERS_PER_SCALE + 1);
}

size_t
vmb_pg_branch_line(uint64_t i, const void *arg, char *buf, size_t cap)
{
    (void)arg;
    return (size_t)snprintf(buf, cap, "%" PRIu64 "\t0\t\n", i + 1);
}
