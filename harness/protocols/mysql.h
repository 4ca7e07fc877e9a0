/*
 * MySQL (MariaDB) over MariaDB Connector/C, the one module of the tree
 * that includes it: the load protocol (mysql://) and a small blocking
 * client with deadlines for the control plane (db/mariadb.c) and the
 * untimed prepare step (mysql_prepare.c), which never see the library.
 */
#ifndef VMB_PROTOCOLS_MYSQL_H
#define VMB_PROTOCOLS_MYSQL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/load.h"
#include "load/proto.h"

extern const struct vmb_load_proto vmb_mysql_proto;

/*
 * Parses "mysql://[USER[:PASSWORD]@]HOST[:PORT][/DB]" (user root, port
 * 3306, no database by default; HOST a name, an IPv4 address or a
 * bracketed IPv6 address; %XX escapes in user and password) into a
 * target of this protocol. Fails with VMB_ERR_INPUT naming the bad part.
 */
int vmb_mysql_target_parse(const char *url, struct vmb_load_target *t,
                           struct vmb_error **err);

struct vmb_mysql_client;

/*
 * Connects to host:port as user (password NULL: none) to database db
 * (NULL: none) within timeout_us. Fails with the server's or the
 * library's error and its number: `connect to "h:3306": 1045 (28000):
 * Access denied for user ...`.
 */
int vmb_mysql_client_connect(const char *host, int port, const char *user,
                             const char *password, const char *db,
                             uint64_t timeout_us, struct vmb_mysql_client **out,
                             struct vmb_error **err);
/* NULL-safe. */
void vmb_mysql_client_close(struct vmb_mysql_client *c);

/* Rows of a result: column names and text values, NULL for SQL NULL. */
struct vmb_mysql_rows {
    size_t nrows, ncols;
    char **names; /* ncols */
    char **v;     /* nrows * ncols, row-major; owned */
};

void vmb_mysql_rows_clear(struct vmb_mysql_rows *r);

/* The value at row of the column named col; NULL when out of range, not
 * a column, or SQL NULL. */
const char *vmb_mysql_rows_get(const struct vmb_mysql_rows *r, size_t row,
                               const char *col);
const char *vmb_mysql_rows_value(const struct vmb_mysql_rows *r, size_t row,
                                 size_t col);

/*
 * Runs one statement and reads its rows (out may be NULL) within
 * timeout_us (whole seconds, at least one: the library's unit). A
 * server error fails with its number, SQLSTATE and text.
 */
int vmb_mysql_client_query(struct vmb_mysql_client *c, const char *sql,
                           uint64_t timeout_us, struct vmb_mysql_rows *out,
                           struct vmb_error **err);

/* Connects by a mysql:// URL, within connect_us, each statement then
 * within rw_us; fails like vmb_mysql_client_connect, or on a bad URL
 * (VMB_ERR_INPUT). */
int vmb_mysql_client_connect_url(const char *url, uint64_t connect_us,
                                 uint64_t rw_us, struct vmb_mysql_client **out,
                                 struct vmb_error **err);

/* The protocol's prepare step (struct vmb_load_proto's, see
 * vmb_load_prepare), in mysql_prepare.c. */
int vmb_mysql_prepare(const struct vmb_load_target *t,
                      const struct vmb_load_opts *o,
                      const struct vmb_phase *phases, size_t nphases,
                      struct vmb_load_prepared *out, struct vmb_error **err);

#endif
