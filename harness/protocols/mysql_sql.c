/*
 * The statements and transactions of the MySQL protocol. sysbench's OLTP
 * scripts (/usr/share/sysbench/oltp_*.lua, 1.0.20) are written here as
 * the same prepared statements per table, run in the same order, one per
 * round trip, so the figures compare with sysbench's: oltp_read_write is
 * BEGIN, 10 point selects, the four range queries, an index update, a
 * non-index update, a delete and the insert of the same id, COMMIT.
 */
#include "protocols/mysql_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "load/load.h"

const struct vmb_my_stmt_def vmb_my_stmts[VMB_MY_NKINDS] = {
    [VMB_MY_KV_WRITE] = {"INSERT INTO vmb_kv (k, v) VALUES (?, ?) ON "
                         "DUPLICATE KEY UPDATE v = VALUES(v)",
                         VMB_MY_P_KEY_VALUE, false},
    [VMB_MY_KV_READ] = {"SELECT v FROM vmb_kv WHERE k = ?", VMB_MY_P_KEY, true},
    [VMB_MY_BEGIN] = {"BEGIN", VMB_MY_P_NONE, false},
    [VMB_MY_COMMIT] = {"COMMIT", VMB_MY_P_NONE, false},
    [VMB_MY_POINT] = {"SELECT c FROM sbtest%d WHERE id=?", VMB_MY_P_ID, true},
    [VMB_MY_SIMPLE_RANGE] = {"SELECT c FROM sbtest%d WHERE id BETWEEN ? AND ?",
                             VMB_MY_P_RANGE, false},
    [VMB_MY_SUM_RANGE] = {"SELECT SUM(k) FROM sbtest%d WHERE id BETWEEN ? "
                          "AND ?",
                          VMB_MY_P_RANGE, false},
    [VMB_MY_ORDER_RANGE] = {"SELECT c FROM sbtest%d WHERE id BETWEEN ? AND ? "
                            "ORDER BY c",
                            VMB_MY_P_RANGE, false},
    [VMB_MY_DISTINCT_RANGE] = {"SELECT DISTINCT c FROM sbtest%d WHERE id "
                               "BETWEEN ? AND ? ORDER BY c",
                               VMB_MY_P_RANGE, false},
    [VMB_MY_INDEX_UPDATE] = {"UPDATE sbtest%d SET k=k+1 WHERE id=?",
                             VMB_MY_P_ID, false},
    [VMB_MY_NON_INDEX_UPDATE] = {"UPDATE sbtest%d SET c=? WHERE id=?",
                                 VMB_MY_P_C_ID, false},
    [VMB_MY_DELETE] = {"DELETE FROM sbtest%d WHERE id=?", VMB_MY_P_ID, false},
    [VMB_MY_INSERT] = {"INSERT INTO sbtest%d (id, k, c, pad) VALUES "
                       "(?, ?, ?, ?)",
                       VMB_MY_P_ROW, false},
    [VMB_MY_INSERT_AUTO] = {"INSERT INTO sbtest%d (k, c, pad) VALUES (?, ?, ?)",
                            VMB_MY_P_ROW_AUTO, false},
};

#define P VMB_MY_POINT
static const struct vmb_my_txn kv_write = {1, {VMB_MY_KV_WRITE}, false};
static const struct vmb_my_txn kv_read = {1, {VMB_MY_KV_READ}, false};
static const struct vmb_my_txn point_select = {1, {P}, false};
static const struct vmb_my_txn read_only = {
    14,
    {P, P, P, P, P, P, P, P, P, P, VMB_MY_SIMPLE_RANGE, VMB_MY_SUM_RANGE,
     VMB_MY_ORDER_RANGE, VMB_MY_DISTINCT_RANGE},
    true};
static const struct vmb_my_txn read_write = {
    18,
    {P, P, P, P, P, P, P, P, P, P, VMB_MY_SIMPLE_RANGE, VMB_MY_SUM_RANGE,
     VMB_MY_ORDER_RANGE, VMB_MY_DISTINCT_RANGE, VMB_MY_INDEX_UPDATE,
     VMB_MY_NON_INDEX_UPDATE, VMB_MY_DELETE, VMB_MY_INSERT},
    true};
static const struct vmb_my_txn write_only = {4,
                                             {VMB_MY_INDEX_UPDATE,
                                              VMB_MY_NON_INDEX_UPDATE,
                                              VMB_MY_DELETE, VMB_MY_INSERT},
                                             true};
static const struct vmb_my_txn update_index = {1, {VMB_MY_INDEX_UPDATE}, false};
static const struct vmb_my_txn update_non_index = {
    1, {VMB_MY_NON_INDEX_UPDATE}, false};
static const struct vmb_my_txn insert = {1, {VMB_MY_INSERT_AUTO}, false};
#undef P

const struct vmb_my_txn *
vmb_my_txn_of(int op, int kind)
{
    switch (op) {
    case VMB_OP_WRITE:
    case VMB_OP_READ:
    case VMB_OP_MIXED:
        return kind == 0 ? &kv_write : &kv_read;
    case VMB_OP_OLTP_POINT_SELECT:
        return &point_select;
    case VMB_OP_OLTP_READ_ONLY:
        return &read_only;
    case VMB_OP_OLTP_READ_WRITE:
        return &read_write;
    case VMB_OP_OLTP_WRITE_ONLY:
        return &write_only;
    case VMB_OP_OLTP_UPDATE_INDEX:
        return &update_index;
    case VMB_OP_OLTP_UPDATE_NON_INDEX:
        return &update_non_index;
    case VMB_OP_OLTP_INSERT:
        return &insert;
    default:
        return NULL;
    }
}

static int32_t
draw_id(struct vmb_rng *rng, int64_t table_size)
{
    return (int32_t)(1 + vmb_rng_below(rng, (uint64_t)table_size));
}

/* sysbench's templates: groups of eleven random digits joined by '-'. */
static void
digits(struct vmb_rng *rng, char *out, size_t len)
{
    uint64_t r = 0;
    int left = 0;
    for (size_t i = 0; i < len; i++) {
        if ((i + 1) % 12 == 0) {
            out[i] = '-';
            continue;
        }
        if (left == 0) {
            r = vmb_rng_next(rng);
            left = 19;
        }
        out[i] = (char)('0' + r % 10);
        r /= 10;
        left--;
    }
    out[len] = '\0';
}

void
vmb_my_draw(int s, int64_t table_size, uint64_t key, size_t vmin, size_t vmax,
            struct vmb_rng *rng, struct vmb_my_vars *v)
{
    v->key = (int64_t)key;
    switch (vmb_my_stmts[s].params) {
    case VMB_MY_P_KEY_VALUE:
        v->value_len = vmin;
        if (vmax > vmin)
            v->value_len = vmin + vmb_rng_below(rng, vmax - vmin + 1);
        break;
    case VMB_MY_P_ID:
        /* The delete's id stays for the insert after it. */
        v->id = draw_id(rng, table_size);
        break;
    case VMB_MY_P_RANGE:
        v->id = draw_id(rng, table_size);
        v->id2 = v->id + VMB_MY_RANGE_SIZE - 1;
        break;
    case VMB_MY_P_C_ID:
        digits(rng, v->c, VMB_MY_C_LEN);
        v->id = draw_id(rng, table_size);
        break;
    case VMB_MY_P_ROW:
    case VMB_MY_P_ROW_AUTO:
        v->k = draw_id(rng, table_size);
        digits(rng, v->c, VMB_MY_C_LEN);
        digits(rng, v->pad, VMB_MY_PAD_LEN);
        break;
    default:
        break;
    }
}

void
vmb_my_sbtest_create(int table, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "CREATE TABLE sbtest%d (id INTEGER NOT NULL AUTO_INCREMENT, "
             "k INTEGER DEFAULT '0' NOT NULL, c CHAR(120) DEFAULT '' NOT "
             "NULL, pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id)) "
             "ENGINE = InnoDB",
             table);
}

void
vmb_my_sbtest_index(int table, char *buf, size_t cap)
{
    snprintf(buf, cap, "CREATE INDEX k_%d ON sbtest%d(k)", table, table);
}

size_t
vmb_my_sbtest_row(int64_t id, int64_t table_size, struct vmb_rng *rng,
                  char *buf, size_t cap)
{
    char c[VMB_MY_C_LEN + 1], pad[VMB_MY_PAD_LEN + 1];
    digits(rng, c, VMB_MY_C_LEN);
    digits(rng, pad, VMB_MY_PAD_LEN);
    int n = snprintf(buf, cap, "(%" PRId64 ",%" PRId32 ",'%s','%s')", id,
                     draw_id(rng, table_size), c, pad);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
