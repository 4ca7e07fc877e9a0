/*
 * What the PostgreSQL protocol sends, without libpq: the prepared
 * statements, the transactions each op runs (pgbench's built-in scripts
 * written as statements), and the tables the prepare step makes.
 */
#ifndef VMB_PG_SQL_H
#define VMB_PG_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/keys.h"

/* Prepared statements, by index; each has the name "vmb<index>". */
enum {
    VMB_PG_KV_WRITE,
    VMB_PG_KV_READ,
    VMB_PG_ACC_UPDATE,
    VMB_PG_ACC_SELECT,
    VMB_PG_TELLER_UPDATE,
    VMB_PG_BRANCH_UPDATE,
    VMB_PG_HISTORY_INSERT,
    VMB_PG_BEGIN,
    VMB_PG_END,
    VMB_PG_NSTMT,
};

/* The values one transaction binds, drawn when it is queued. */
struct vmb_pg_vars {
    uint64_t key; /* key/value: the engine's key index */
    size_t vlen;  /* key/value write: value length */
    int64_t aid, bid, tid, delta;
};

#define VMB_PG_MAX_PARAMS 4
#define VMB_PG_MAX_STMTS 5

struct vmb_pg_stmt {
    const char *sql;
    int nparams;
    bool reads; /* a SELECT whose empty answer is a miss */
};

extern const struct vmb_pg_stmt vmb_pg_stmts[VMB_PG_NSTMT];

/* One op's transaction: its statements in order, and whether it is
 * wrapped in BEGIN ... END (a single statement needs no block). */
struct vmb_pg_txn {
    int nstmts;
    int stmts[VMB_PG_MAX_STMTS];
    bool block;
};

/* The transaction of op (enum vmb_op) for kind (0 write, 1 read); NULL
 * when PostgreSQL does not run it. */
const struct vmb_pg_txn *vmb_pg_txn_of(int op, int kind);

/* Draws what a transaction of op binds, as pgbench's scripts do: aid,
 * bid, tid uniform over the scale's rows, delta in [-5000, 5000]. */
void vmb_pg_draw(int op, int64_t scale, uint64_t key, size_t vmin, size_t vmax,
                 struct vmb_rng *rng, struct vmb_pg_vars *v);

/*
 * Writes statement stmt's parameters from v as text into buf (at least
 * 96 bytes), pointing params[] into it (the value of a key/value write
 * at value, a NUL-terminated run of vmax 'x', from its end).
 */
void vmb_pg_params(int stmt, const struct vmb_pg_vars *v, const char *value,
                   size_t vmax, char *buf, const char **params);

/* Rows of pgbench's tables at scale s. */
#define VMB_PG_ACCOUNTS_PER_SCALE 100000
#define VMB_PG_TELLERS_PER_SCALE 10

/* The DDL the prepare step runs before and after loading each family of
 * tables; NULL-terminated lists of statements. */
extern const char *const vmb_pg_kv_create[];
extern const char *const vmb_pg_kv_finish[];
extern const char *const vmb_pg_bench_create[];
extern const char *const vmb_pg_bench_finish[];

/*
 * The prepare step's rows in COPY's text format: each writes row i
 * (0-based) as one line into buf of cap bytes and returns its length.
 * vmb_pg_kv_line's arg points to the value length (a size_t); the
 * pgbench tables' lines take no arg. A line is at most 64 bytes, a
 * vmb_kv line at most its value length + 32.
 */
size_t vmb_pg_kv_line(uint64_t i, const void *arg, char *buf, size_t cap);
size_t vmb_pg_account_line(uint64_t i, const void *arg, char *buf, size_t cap);
size_t vmb_pg_teller_line(uint64_t i, const void *arg, char *buf, size_t cap);
size_t vmb_pg_branch_line(uint64_t i, const void *arg, char *buf, size_t cap);

#endif
