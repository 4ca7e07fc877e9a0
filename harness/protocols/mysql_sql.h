/*
 * The statements and transactions of the MySQL protocol, no client
 * library: the key/value table of write/read/mixed, and sysbench
 * 1.0.20's OLTP workloads (oltp_common.lua and the scripts beside it)
 * written as the same prepared statements on the same tables sbtest1..N,
 * the same statement mix per transaction, BEGIN and COMMIT prepared as
 * sysbench prepares them.
 */
#ifndef VMB_PROTOCOLS_MYSQL_SQL_H
#define VMB_PROTOCOLS_MYSQL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/keys.h"

/* Statements: the first VMB_MY_NGLOBAL are one per connection, the
 * others one per table. */
enum vmb_my_stmt {
    VMB_MY_KV_WRITE,
    VMB_MY_KV_READ,
    VMB_MY_BEGIN,
    VMB_MY_COMMIT,
    VMB_MY_NGLOBAL,
    VMB_MY_POINT = VMB_MY_NGLOBAL,
    VMB_MY_SIMPLE_RANGE,
    VMB_MY_SUM_RANGE,
    VMB_MY_ORDER_RANGE,
    VMB_MY_DISTINCT_RANGE,
    VMB_MY_INDEX_UPDATE,
    VMB_MY_NON_INDEX_UPDATE,
    VMB_MY_DELETE,
    VMB_MY_INSERT,
    VMB_MY_INSERT_AUTO,
    VMB_MY_NKINDS,
};
#define VMB_MY_NTABLE_KINDS (VMB_MY_NKINDS - VMB_MY_NGLOBAL)

/* How a statement's parameters are drawn (vmb_my_draw). */
enum vmb_my_params {
    VMB_MY_P_NONE,
    VMB_MY_P_KEY,       /* key */
    VMB_MY_P_KEY_VALUE, /* key, value */
    VMB_MY_P_ID,        /* id */
    VMB_MY_P_RANGE,     /* id, id + range_size - 1 */
    VMB_MY_P_C_ID,      /* c, id */
    VMB_MY_P_ROW,       /* id, k, c, pad */
    VMB_MY_P_ROW_AUTO,  /* k, c, pad */
};

struct vmb_my_stmt_def {
    const char *sql; /* "%d" where the table's number goes */
    int params;      /* enum vmb_my_params */
    bool reads;      /* an empty result is a miss */
};

extern const struct vmb_my_stmt_def vmb_my_stmts[VMB_MY_NKINDS];

/* A transaction: its statements in order, and whether they run between
 * BEGIN and COMMIT. A delete is followed by the insert of the same id. */
#define VMB_MY_MAX_STEPS 24
struct vmb_my_txn {
    int nsteps;
    unsigned char steps[VMB_MY_MAX_STEPS]; /* enum vmb_my_stmt */
    bool block;
};

/* The transaction of op (enum vmb_op) for kind 0 (write) or 1 (read);
 * NULL when the protocol does not run op. */
const struct vmb_my_txn *vmb_my_txn_of(int op, int kind);

/* sysbench's range_size and the lengths of its c and pad templates. */
#define VMB_MY_RANGE_SIZE 100
#define VMB_MY_C_LEN 119
#define VMB_MY_PAD_LEN 59

/* One statement's parameters as drawn. */
struct vmb_my_vars {
    int32_t id, id2, k;
    int64_t key;
    char c[VMB_MY_C_LEN + 1];
    char pad[VMB_MY_PAD_LEN + 1];
    size_t value_len;
};

/*
 * Draws what statement s needs: ids uniform in [1, table_size] (sysbench
 * --rand-type=uniform), c and pad from sysbench's templates (groups of
 * eleven digits joined by '-'), a value length in [vmin, vmax]; key is
 * the engine's draw. The delete's id is kept for its insert.
 */
void vmb_my_draw(int s, int64_t table_size, uint64_t key, size_t vmin,
                 size_t vmax, struct vmb_rng *rng, struct vmb_my_vars *v);

/* sysbench's table and its secondary index. */
void vmb_my_sbtest_create(int table, char *buf, size_t cap);
void vmb_my_sbtest_index(int table, char *buf, size_t cap);

/* One row (id, k, c, pad) of sysbench's initial data, as SQL values
 * "(1,517,'...','...')" appended at buf; returns the length written. */
size_t vmb_my_sbtest_row(int64_t id, int64_t table_size, struct vmb_rng *rng,
                         char *buf, size_t cap);

#endif
