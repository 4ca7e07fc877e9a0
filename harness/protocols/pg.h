/*
 * PostgreSQL, the one module of the tree over libpq (protocols/pg.c): the
 * load protocol's table and its URL parser, and a small blocking client
 * for the control plane (readiness, replication state, LSNs, SHOW ALL),
 * so that no other file needs libpq. Errors come back as ours.
 */
#ifndef VMB_PG_H
#define VMB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/proto.h"

extern const struct vmb_load_proto vmb_pg_proto;

/*
 * Parses a libpq URL, "postgres://[USER[:PASSWORD]@][HOST][:PORT][/DB]
 * [?PARAM=VALUE...]" or "postgresql://..." ("postgresql:///db?host=/run/
 * postgresql" for a socket directory), into a target of the PostgreSQL
 * protocol. The password, if any, stays out of t->name. Fails with
 * VMB_ERR_INPUT and libpq's words for a URL it cannot read.
 */
int vmb_pg_target_parse(const char *url, struct vmb_load_target *t,
                        struct vmb_error **err);

/* ---- the blocking client; every call has a deadline, so a server that
 * does not answer in time is an error, never a hang ---- */

struct vmb_pg_client;

/*
 * Connects to host:port as user to database dbname within timeout_us.
 * Fails with libpq's message, e.g. `connect to "127.0.0.1:5432":
 * connection refused`, or the server's ("the database system is starting
 * up").
 */
int vmb_pg_client_connect(const char *host, int port, const char *user,
                          const char *dbname, uint64_t timeout_us,
                          struct vmb_pg_client **out, struct vmb_error **err);
/* NULL-safe. */
void vmb_pg_client_close(struct vmb_pg_client *c);

/* Rows of a query's result: text values, NULL for SQL NULL. */
struct vmb_pg_rows {
    size_t nrows, ncols;
    char **v; /* nrows * ncols, row-major; owned */
};

void vmb_pg_rows_clear(struct vmb_pg_rows *r);

/* The value at row, col; NULL when out of range or SQL NULL. */
const char *vmb_pg_rows_value(const struct vmb_pg_rows *r, size_t row,
                              size_t col);

/*
 * Runs one SQL statement (no parameters) and reads its rows within
 * timeout_us. A server error fails with the server's message and its
 * SQLSTATE, e.g. `ERROR 42P01: relation "x" does not exist`.
 */
int vmb_pg_client_query(struct vmb_pg_client *c, const char *sql,
                        uint64_t timeout_us, struct vmb_pg_rows *out,
                        struct vmb_error **err);

/*
 * pgbench's scale of the tables at t, as pgbench reads it before its
 * transactions: the rows of pgbench_branches. Fails (VMB_ERR_INPUT)
 * when the table is missing or empty, with the server's words.
 */
int vmb_pg_bench_scale(const struct vmb_load_target *t,
                       const struct vmb_load_opts *o, int64_t *scale,
                       struct vmb_error **err);

#endif
