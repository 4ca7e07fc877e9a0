/*
 * A small blocking client of PostgreSQL for the control plane: readiness,
 * replication state, LSNs, SHOW ALL. The one file of db/ that includes
 * libpq; it turns libpq's errors into ours. Not for load: the load
 * generator has its own asynchronous protocol code.
 *
 * Every call has a deadline; a server that does not answer in time is an
 * error, never a hang.
 */
#ifndef VMB_POSTGRES_CTL_H
#define VMB_POSTGRES_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct vmb_pgctl_conn;

/*
 * Connects to host:port as user to database dbname within timeout_us.
 * Fails with libpq's message, e.g. `connect to "127.0.0.1:5432":
 * connection refused`, or the server's ("the database system is starting
 * up").
 */
int vmb_pgctl_connect(const char *host, int port, const char *user,
                      const char *dbname, uint64_t timeout_us,
                      struct vmb_pgctl_conn **out, struct vmb_error **err);
void vmb_pgctl_close(struct vmb_pgctl_conn *c);

/* Rows of a query's result: text values, NULL for SQL NULL. */
struct vmb_pgctl_rows {
    size_t nrows, ncols;
    char **v; /* nrows * ncols, row-major; owned */
};

void vmb_pgctl_rows_clear(struct vmb_pgctl_rows *r);

/* The value at row, col; NULL when out of range or SQL NULL. */
const char *vmb_pgctl_value(const struct vmb_pgctl_rows *r, size_t row,
                            size_t col);

/*
 * Runs one SQL statement (no parameters) and reads its rows within
 * timeout_us. A server error fails with the server's message and its
 * SQLSTATE, e.g. `ERROR 42P01: relation "x" does not exist`.
 */
int vmb_pgctl_query(struct vmb_pgctl_conn *c, const char *sql,
                    uint64_t timeout_us, struct vmb_pgctl_rows *out,
                    struct vmb_error **err);

/*
 * Parses a WAL location as PostgreSQL writes it ("16/B374D848") into a
 * byte position; -1 when s is not one.
 */
int vmb_pgctl_parse_lsn(const char *s, uint64_t *out);

#endif
