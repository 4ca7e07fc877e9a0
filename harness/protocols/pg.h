/*
 * The PostgreSQL load protocol (libpq): the table the engine runs it
 * through, and its URL parser.
 */
#ifndef VMB_PG_H
#define VMB_PG_H

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

/*
 * pgbench's scale of the tables at t, as pgbench reads it before its
 * transactions: the rows of pgbench_branches. Fails (VMB_ERR_INPUT)
 * when the table is missing or empty, with the server's words.
 */
int vmb_pg_bench_scale(const struct vmb_load_target *t,
                       const struct vmb_load_opts *o, int64_t *scale,
                       struct vmb_error **err);

#endif
