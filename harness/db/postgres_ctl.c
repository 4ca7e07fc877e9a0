#include "db/postgres_ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct vmb_pgctl_conn {
    PGconn *pg;
    char *name; /* "host:port", for messages */
};

/* libpq's notices (WARNING and below) are not ours to print. */
static void
quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* libpq's message on one line: trailing newlines cut, inner ones "; ". */
static char *
one_line(const char *msg)
{
    if (msg == NULL || msg[0] == '\0')
        return vmb_xstrdup("no message");
    struct vmb_buf b = {0};
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n; i++) {
        if (msg[i] == '\n') {
            vmb_buf_puts(&b, "; ");
            while (i + 1 < n && (msg[i + 1] == ' ' || msg[i + 1] == '\t'))
                i++;
        } else {
            vmb_buf_append(&b, &msg[i], 1);
        }
    }
    return vmb_buf_steal(&b);
}

int
vmb_pgctl_connect(const char *host, int port, const char *user,
                  const char *dbname, uint64_t timeout_us,
                  struct vmb_pgctl_conn **out, struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *const keys[] = {
        "host", "port", "user", "dbname", "application_name", NULL};
    const char *const vals[] = {host, portstr, user, dbname, "vmbench", NULL};
    autofree char *name = vmb_xasprintf("%s:%d", host, port);
    PGconn *pg = PQconnectStartParams(keys, vals, 0);
    if (pg == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, ENOMEM,
                             "connect to \"%s\": out of memory", name);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        int r = vmb_wait_fd(PQsocket(pg),
                            st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                            deadline);
        if (r == 0) {
            PQfinish(pg);
            return vmb_error_set(err, VMB_ERR_RUN, ETIMEDOUT,
                                 "connect to \"%s\": no answer in time", name);
        }
        st = PQconnectPoll(pg);
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        autofree char *msg = one_line(PQerrorMessage(pg));
        PQfinish(pg);
        return vmb_error_set(err, VMB_ERR_RUN, 0, "connect to \"%s\": %s", name,
                             msg);
    }
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
    struct vmb_pgctl_conn *c = vmb_xcalloc(1, sizeof(*c));
    c->pg = pg;
    c->name = steal(&name);
    *out = c;
    return 0;
}

void
vmb_pgctl_close(struct vmb_pgctl_conn *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c->name);
    free(c);
}

void
vmb_pgctl_rows_clear(struct vmb_pgctl_rows *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

const char *
vmb_pgctl_value(const struct vmb_pgctl_rows *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->v[row * r->ncols + col];
}

static int
result_error(struct vmb_pgctl_conn *c, PGresult *res, struct vmb_error **err)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (msg == NULL) {
        autofree char *m = one_line(PQresultErrorMessage(res));
        return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                             c->name, m);
    }
    return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s %s: %s",
                         c->name, sev ? sev : "ERROR", code ? code : "?", msg);
}

int
vmb_pgctl_query(struct vmb_pgctl_conn *c, const char *sql, uint64_t timeout_us,
                struct vmb_pgctl_rows *out, struct vmb_error **err)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    memset(out, 0, sizeof(*out));
    if (!PQsendQuery(c->pg, sql)) {
        autofree char *msg = one_line(PQerrorMessage(c->pg));
        return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                             c->name, msg);
    }
    int rc = 0;
    bool have = false;
    for (;;) {
        while (PQisBusy(c->pg)) {
            int r = vmb_wait_fd(PQsocket(c->pg), POLLIN, deadline);
            if (r == 0)
                return vmb_error_set(err, VMB_ERR_RUN, ETIMEDOUT,
                                     "query on \"%s\": no answer in time",
                                     c->name);
            if (!PQconsumeInput(c->pg)) {
                autofree char *msg = one_line(PQerrorMessage(c->pg));
                vmb_pgctl_rows_clear(out);
                return vmb_error_set(err, VMB_ERR_RUN, 0, "query on \"%s\": %s",
                                     c->name, msg);
            }
        }
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL)
            break;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK && !have && rc == 0) {
            have = true;
            out->nrows = (size_t)PQntuples(res);
            out->ncols = (size_t)PQnfields(res);
            out->v = vmb_xcalloc(out->nrows * out->ncols + 1, sizeof(char *));
            for (size_t i = 0; i < out->nrows; i++)
                for (size_t j = 0; j < out->ncols; j++)
                    if (!PQgetisnull(res, (int)i, (int)j))
                        out->v[i * out->ncols + j] =
                            vmb_xstrdup(PQgetvalue(res, (int)i, (int)j));
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && rc == 0) {
            rc = result_error(c, res, err);
        }
        PQclear(res);
    }
    if (rc < 0)
        vmb_pgctl_rows_clear(out);
    return rc;
}

int
vmb_pgctl_parse_lsn(const char *s, uint64_t *out)
{
    if (s == NULL)
        return -1;
    unsigned int hi = 0, lo = 0;
    int n = 0;
    if (sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 || s[n] != '\0')
        return -1;
    *out = ((uint64_t)hi << 32) | lo;
    return 0;
}
