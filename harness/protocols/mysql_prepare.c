/*
 * The MySQL protocol's untimed prepare step, over the blocking client of
 * protocols/mysql.h (no client library here): the key/value table of
 * write/read/mixed, and sysbench's tables sbtest1..N filled by
 * multi-row INSERTs of about 1 MiB, their secondary index made after,
 * the tables loaded in parallel.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"
#include "load/keys.h"
#include "protocols/mysql.h"
#include "protocols/mysql_sql.h"

static int
client_of_target(const struct vmb_load_target *t, const struct vmb_load_opts *o,
                 struct vmb_mysql_client **c, struct vmb_error **err)
{
    /* The load's statements may take long; each has an hour. */
    return vmb_mysql_client_connect_url(t->spec, o->connect_timeout_us,
                                        3600ull * 1000000ull, c, err);
}

static int
exec(struct vmb_mysql_client *c, const char *sql, struct vmb_error **err)
{
    if (vmb_interrupted)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "interrupted while loading");
    return vmb_mysql_client_query(c, sql, 3600ull * 1000000ull, NULL, err);
}

/* Multi-row INSERTs of about 1 MiB: row(i, buf, cap) writes row i. */
struct bulk {
    struct vmb_mysql_client *c;
    struct vmb_buf b;
    size_t head; /* length of "INSERT INTO ... VALUES " */
    size_t rows;
};

static int
bulk_flush(struct bulk *k, struct vmb_error **err)
{
    if (k->rows == 0)
        return 0;
    int rc = exec(k->c, k->b.data, err);
    k->b.len = k->head;
    k->b.data[k->b.len] = '\0';
    k->rows = 0;
    return rc;
}

static int
bulk_add(struct bulk *k, const char *row, size_t n, struct vmb_error **err)
{
    if (k->rows > 0)
        vmb_buf_puts(&k->b, ",");
    vmb_buf_append(&k->b, row, n);
    k->rows++;
    return k->b.len >= 1024 * 1024 ? bulk_flush(k, err) : 0;
}

static int
load_kv(struct vmb_mysql_client *c, const struct vmb_load_opts *o,
        struct vmb_error **err)
{
    size_t vlen = o->value_size_bytes ? o->value_size_bytes : 1;
    if (exec(c, "DROP TABLE IF EXISTS vmb_kv", err) < 0 ||
        exec(c,
             "CREATE TABLE vmb_kv (k BIGINT NOT NULL PRIMARY KEY, v "
             "LONGBLOB NOT NULL) ENGINE = InnoDB",
             err) < 0)
        return -1;
    struct bulk k = {.c = c};
    vmb_buf_puts(&k.b, "INSERT INTO vmb_kv (k, v) VALUES ");
    k.head = k.b.len;
    autofree char *row = vmb_xmalloc(vlen + 32);
    int rc = 0;
    for (int64_t i = 0; i < o->keys && rc == 0; i++) {
        int n = snprintf(row, vlen + 32, "(%" PRId64 ",'", i);
        memset(row + n, 'x', vlen);
        memcpy(row + n + vlen, "')", 2);
        rc = bulk_add(&k, row, (size_t)n + vlen + 2, err);
    }
    if (rc == 0)
        rc = bulk_flush(&k, err);
    vmb_buf_free(&k.b);
    return rc < 0 ? vmb_error_prefix(err, "load vmb_kv") : 0;
}

static int
load_sbtest(struct vmb_mysql_client *c, const struct vmb_load_opts *o,
            int table, struct vmb_error **err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS sbtest%d", table);
    if (exec(c, sql, err) < 0)
        return -1;
    vmb_my_sbtest_create(table, sql, sizeof(sql));
    if (exec(c, sql, err) < 0)
        return -1;
    struct bulk k = {.c = c};
    vmb_buf_printf(&k.b, "INSERT INTO sbtest%d (id, k, c, pad) VALUES ", table);
    k.head = k.b.len;
    struct vmb_rng rng = {.s = 0x9e3779b97f4a7c15ull * (uint64_t)table + 1};
    int rc = 0;
    for (int64_t id = 1; id <= o->table_size && rc == 0; id++) {
        char row[256];
        size_t n = vmb_my_sbtest_row(id, o->table_size, &rng, row, sizeof(row));
        rc = bulk_add(&k, row, n, err);
    }
    if (rc == 0)
        rc = bulk_flush(&k, err);
    vmb_buf_free(&k.b);
    if (rc == 0) {
        vmb_my_sbtest_index(table, sql, sizeof(sql));
        rc = exec(c, sql, err);
    }
    return rc < 0 ? vmb_error_prefix(err, "load sbtest%d", table) : 0;
}

/* The tables are loaded in parallel: a loader per connection, up to
 * eight, each taking the next table not yet taken. */
#define MY_LOADERS_MAX 8

struct loader_set {
    const struct vmb_load_target *t;
    const struct vmb_load_opts *o;
    pthread_mutex_t lock;
    int64_t next;          /* the next table to take */
    bool failed;           /* a loader failed: the others stop taking tables */
    struct vmb_error *err; /* the first failure */
};

static void *
loader(void *arg)
{
    struct loader_set *ls = arg;
    struct vmb_mysql_client *c = NULL;
    struct vmb_error *e = NULL;
    int rc = client_of_target(ls->t, ls->o, &c, &e);
    for (;;) {
        pthread_mutex_lock(&ls->lock);
        if (rc < 0 && !ls->failed) {
            ls->failed = true;
            ls->err = e;
            e = NULL;
        }
        int64_t tb = ls->failed || ls->next > ls->o->tables ? 0 : ls->next++;
        pthread_mutex_unlock(&ls->lock);
        if (tb == 0)
            break;
        rc = load_sbtest(c, ls->o, (int)tb, &e);
    }
    vmb_error_free(e);
    vmb_mysql_client_close(c);
    return NULL;
}

static int
load_sbtests(const struct vmb_load_target *t, const struct vmb_load_opts *o,
             struct vmb_error **err)
{
    struct loader_set ls = {.t = t, .o = o, .next = 1};
    pthread_mutex_init(&ls.lock, NULL);
    int64_t n = o->tables;
    if (n > o->connections)
        n = o->connections;
    if (n > MY_LOADERS_MAX)
        n = MY_LOADERS_MAX;
    if (n < 1)
        n = 1;
    pthread_t th[MY_LOADERS_MAX];
    int started = 0;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&th[i], NULL, loader, &ls) != 0)
            break;
        started++;
    }
    if (started == 0)
        loader(&ls); /* no thread to be had: this one loads them all */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&ls.lock);
    if (!ls.failed)
        return 0;
    *err = ls.err;
    return -1;
}

int
vmb_mysql_prepare(const struct vmb_load_target *t,
                  const struct vmb_load_opts *o, const struct vmb_phase *phases,
                  size_t nphases, struct vmb_load_prepared *out,
                  struct vmb_error **err)
{
    bool kv = false, sb = false;
    for (size_t i = 0; i < nphases; i++) {
        if (vmb_op_is_sysbench(phases[i].op))
            sb = true;
        else
            kv = true;
    }
    uint64_t t0 = vmb_now_ns();
    struct vmb_mysql_client *c = NULL;
    int rc = client_of_target(t, o, &c, err);
    if (rc == 0 && kv) {
        rc = load_kv(c, o, err);
        out->rows += (uint64_t)o->keys;
    }
    vmb_mysql_client_close(c);
    if (rc == 0 && sb) {
        rc = load_sbtests(t, o, err);
        out->rows += (uint64_t)o->tables * (uint64_t)o->table_size;
    }
    if (rc < 0)
        return vmb_error_prefix(err, "prepare \"%s\"", t->name);
    snprintf(out->what, sizeof(out->what), "%s%s%s", kv ? "vmb_kv" : "",
             kv && sb ? " and " : "", sb ? "sbtest tables" : "");
    out->seconds = (double)(vmb_now_ns() - t0) / 1e9;
    return 0;
}
