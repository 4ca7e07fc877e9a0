/*
 * The Redis driver: redis.conf from the database options, two nodes with
 * node 2 a `replicaof` node 1, readiness and replication checks over RESP.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/units.h"
#include "base/util.h"
#include "db/db.h"
#include "db/redis_ctl.h"

#define POLL_NS (50ull * 1000000ull)

static const char *const fsync_names[] = {"always", "everysec", "no"};

/*
 * One argument of a redis.conf directive, in the form Redis's own parser
 * (sdssplitargs) reads back as exactly these bytes: bare when it is
 * plainly safe, otherwise double-quoted with \\, \" and \xHH escapes. A
 * newline can never start a directive of its own, a space never split
 * the argument.
 */
static void
put_arg(struct vmb_buf *out, const char *v)
{
    bool bare = v[0] != '\0';
    for (const char *p = v; *p && bare; p++)
        bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (*p >= '0' && *p <= '9') || strchr("/._:-+,@", *p) != NULL;
    if (bare) {
        vmb_buf_puts(out, v);
        return;
    }
    vmb_buf_puts(out, "\"");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '\\' || *p == '"')
            vmb_buf_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            vmb_buf_printf(out, "\\x%02x", *p);
        else
            vmb_buf_append(out, (const char *)p, 1);
    }
    vmb_buf_puts(out, "\"");
}

/* The words of a space-separated value (save's pairs), each an argument. */
static void
put_words(struct vmb_buf *out, const char *v)
{
    const char *p = v;
    bool first = true;
    while (*p) {
        size_t gap = strspn(p, " \t");
        p += gap;
        size_t n = strcspn(p, " \t");
        if (n == 0)
            break;
        autofree char *w = vmb_xstrndup(p, n);
        if (!first)
            vmb_buf_puts(out, " ");
        put_arg(out, w);
        first = false;
        p += n;
    }
}

static void
redis_render_config(const struct vmb_database_opts *db,
                    const struct vmb_db_node *node, struct vmb_buf *out)
{
    vmb_buf_printf(out, "# redis.conf of node %d, written by vmbench\n",
                   node->index);
    vmb_buf_printf(out, "port %d\n", node->port);
    vmb_buf_puts(out, "bind ");
    put_arg(out, node->listen);
    vmb_buf_puts(out, "\n");
    vmb_buf_puts(out, "protected-mode no\n");
    vmb_buf_puts(out, "daemonize no\n");
    /* The runtime captures stdout and stderr as the node's database log. */
    vmb_buf_puts(out, "logfile \"\"\n");
    vmb_buf_puts(out, "dir ");
    put_arg(out, node->data_dir);
    vmb_buf_puts(out, "\n");
    vmb_buf_printf(out, "appendonly %s\n", db->appendonly ? "yes" : "no");
    int f = db->appendfsync;
    vmb_buf_printf(out, "appendfsync %s\n",
                   f >= 0 && f <= 2 ? fsync_names[f] : "everysec");
    vmb_buf_puts(out, "save ");
    if (db->save == NULL || db->save[0] == '\0')
        vmb_buf_puts(out, "\"\"");
    else
        put_words(out, db->save);
    vmb_buf_puts(out, "\n");
    /*
     * Redis 7 waits 5 s before a diskless full sync in case more replicas
     * arrive; there is only ever one, so readiness need not wait for it.
     */
    vmb_buf_puts(out, "repl-diskless-sync-delay 0\n");
    if (node->primary_host != NULL) {
        vmb_buf_puts(out, "replicaof ");
        put_arg(out, node->primary_host);
        vmb_buf_printf(out, " %d\n", node->primary_port);
    }
}

static char **
redis_argv(const char *conf_path)
{
    char **argv = vmb_xcalloc(3, sizeof(char *));
    argv[0] = vmb_xstrdup("redis-server");
    argv[1] = vmb_xstrdup(conf_path);
    return argv;
}

/*
 * Redis prints a rejected configuration line as
 *   >>> 'save "bogus"'
 *   Invalid save parameters
 * and exits; that pair is its own message, the one a user needs.
 */
static char *
startup_error(const char *log)
{
    const char *fatal = log ? strstr(log, "FATAL CONFIG FILE ERROR") : NULL;
    if (fatal != NULL) {
        const char *at = strstr(fatal, ">>> ");
        if (at != NULL) {
            at += 4;
            size_t n1 = strcspn(at, "\r\n");
            const char *msg = at + n1;
            while (*msg == '\r' || *msg == '\n')
                msg++;
            size_t n2 = strcspn(msg, "\r\n");
            return vmb_xasprintf("redis rejected %.*s: %.*s", (int)n1, at,
                                 (int)n2, msg);
        }
    }
    return NULL;
}

static int
fail_exited(const struct vmb_db_watch *watch, int node, const char *why,
            struct vmb_error **err)
{
    return vmb_db_exited_error(watch, node, "redis-server", why, "",
                               startup_error, err);
}

static int
ms_left(uint64_t deadline)
{
    uint64_t now = vmb_now_ns();
    if (now >= deadline)
        return 1;
    uint64_t ms = (deadline - now) / 1000000ull;
    return ms < 1 ? 1 : ms > 2000 ? 2000 : (int)ms;
}

/* One command on a fresh or kept connection; drops it on error. */
static int
command(struct vmb_redis_ctl_conn **c, const struct vmb_db_node *node,
        uint64_t deadline, struct vmb_redis_ctl_reply *reply, char **last,
        int argc, const char *const *argv)
{
    vmb_autoerr struct vmb_error *e = NULL;
    bool ok =
        *c != NULL || vmb_redis_ctl_connect(node->host, node->port,
                                            ms_left(deadline), c, &e) >= 0;
    if (ok && vmb_redis_ctl_command(*c, ms_left(deadline), reply, &e, argc,
                                    argv) < 0) {
        vmb_redis_ctl_close(*c);
        *c = NULL;
        ok = false;
    }
    if (ok)
        return 0;
    free(*last);
    *last = vmb_xstrdup(e->msg);
    return -1;
}

struct up_wait {
    const struct vmb_db_node *node;
    struct vmb_redis_ctl_conn *c;
};

static int
attempt_up(void *ctx, uint64_t deadline, char **last, struct vmb_error **err)
{
    (void)err;
    struct up_wait *w = ctx;
    static const char *const ping[] = {"PING"};
    struct vmb_redis_ctl_reply r = {0};
    if (command(&w->c, w->node, deadline, &r, last, 1, ping) < 0)
        return 0;
    bool pong = r.type == VMB_REDIS_CTL_STATUS && strcmp(r.str, "PONG") == 0;
    if (!pong) {
        free(*last);
        *last = vmb_xasprintf("PING answered \"%s\"", r.str ? r.str : "?");
    }
    vmb_redis_ctl_reply_clear(&r);
    return pong;
}

static int
redis_wait_up(const struct vmb_db_node *node, uint64_t timeout_us,
              const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct up_wait w = {.node = node};
    struct vmb_db_poll p = {
        .watch = watch,
        .exited = fail_exited,
        .nodes = {node->index},
        .blame = node->index,
        .what = "redis-server did not answer",
        .timeout_us = timeout_us,
        .poll_ns = POLL_NS,
        .attempt = attempt_up,
        .ctx = &w,
    };
    int rc = vmb_db_poll_until(&p, err);
    vmb_redis_ctl_close(w.c);
    return rc;
}

/* INFO <section> of a node; *info malloc'd. */
static int
info_section(struct vmb_redis_ctl_conn **c, const struct vmb_db_node *node,
             const char *section, uint64_t deadline, char **info, char **last)
{
    const char *const cmd[] = {"INFO", section};
    struct vmb_redis_ctl_reply r = {0};
    if (command(c, node, deadline, &r, last, 2, cmd) < 0)
        return -1;
    if (r.type != VMB_REDIS_CTL_BULK) {
        free(*last);
        *last = vmb_xasprintf("INFO answered \"%s\"", r.str ? r.str : "?");
        vmb_redis_ctl_reply_clear(&r);
        return -1;
    }
    *info = r.str;
    r.str = NULL;
    vmb_redis_ctl_reply_clear(&r);
    return 0;
}

static int
info_replication(struct vmb_redis_ctl_conn **c, const struct vmb_db_node *node,
                 uint64_t deadline, char **info, char **last)
{
    return info_section(c, node, "replication", deadline, info, last);
}

/*
 * A node is settled once no background save or AOF rewrite runs: a fresh
 * replica rewrites its AOF right after the sync, and load must not start
 * on top of that (Redis also refuses to shut down while it runs).
 */
static bool
settled(const char *pers, int node, char **last)
{
    static const char *const busy[] = {"loading", "rdb_bgsave_in_progress",
                                       "aof_rewrite_in_progress",
                                       "aof_rewrite_scheduled"};
    for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++) {
        autofree char *v = vmb_redis_ctl_info_field(pers, busy[i]);
        if (v != NULL && strcmp(v, "0") != 0) {
            free(*last);
            *last = vmb_xasprintf("node %d %s:%s", node, busy[i], v);
            return false;
        }
    }
    return true;
}

static bool
replica_in_sync(const char *rinfo, const char *pinfo, char **last)
{
    autofree char *link = vmb_redis_ctl_info_field(rinfo, "master_link_status");
    autofree char *syncing =
        vmb_redis_ctl_info_field(rinfo, "master_sync_in_progress");
    autofree char *slave0 = vmb_redis_ctl_info_field(pinfo, "slave0");
    bool ok = link && strcmp(link, "up") == 0 && syncing &&
              strcmp(syncing, "0") == 0 && slave0 &&
              strstr(slave0, "state=online") != NULL;
    free(*last);
    *last = vmb_xasprintf("master_link_status:%s master_sync_in_progress:%s "
                          "primary slave0:%s",
                          link ? link : "?", syncing ? syncing : "?",
                          slave0 ? slave0 : "none");
    return ok;
}

struct pair_wait {
    const struct vmb_db_node *primary, *replica;
    struct vmb_redis_ctl_conn *pc, *rc;
    int64_t target; /* the primary's offset the replica must reach */
    uint64_t t0;
    struct vmb_db_lag *lag;
};

static int
attempt_in_sync(void *ctx, uint64_t deadline, char **last,
                struct vmb_error **err)
{
    (void)err;
    struct pair_wait *w = ctx;
    autofree char *rinfo = NULL;
    autofree char *pinfo = NULL;
    autofree char *rpers = NULL;
    autofree char *ppers = NULL;
    return info_replication(&w->rc, w->replica, deadline, &rinfo, last) == 0 &&
           info_replication(&w->pc, w->primary, deadline, &pinfo, last) == 0 &&
           replica_in_sync(rinfo, pinfo, last) &&
           info_section(&w->rc, w->replica, "persistence", deadline, &rpers,
                        last) == 0 &&
           info_section(&w->pc, w->primary, "persistence", deadline, &ppers,
                        last) == 0 &&
           settled(rpers, w->replica->index, last) &&
           settled(ppers, w->primary->index, last);
}

static int
redis_wait_replicating(const struct vmb_db_node *primary,
                       const struct vmb_db_node *replica, uint64_t timeout_us,
                       const struct vmb_db_watch *watch, struct vmb_error **err)
{
    struct pair_wait w = {.primary = primary, .replica = replica};
    struct vmb_db_poll p = {
        .watch = watch,
        .exited = fail_exited,
        .nodes = {primary->index, replica->index},
        .blame = replica->index,
        .what = "replica did not reach sync with node 1",
        .timeout_us = timeout_us,
        .poll_ns = POLL_NS,
        .attempt = attempt_in_sync,
        .ctx = &w,
    };
    int rc = vmb_db_poll_until(&p, err);
    vmb_redis_ctl_close(w.pc);
    vmb_redis_ctl_close(w.rc);
    return rc;
}

static int
offset_of(const char *info, const char *field, int64_t *out)
{
    autofree char *v = vmb_redis_ctl_info_field(info, field);
    if (v == NULL)
        return -1;
    *out = strtoll(v, NULL, 10);
    return 0;
}

static int
attempt_caught_up(void *ctx, uint64_t deadline, char **last,
                  struct vmb_error **err)
{
    (void)err;
    struct pair_wait *w = ctx;
    autofree char *rinfo = NULL;
    int64_t off = -1;
    if (info_replication(&w->rc, w->replica, deadline, &rinfo, last) < 0 ||
        offset_of(rinfo, "slave_repl_offset", &off) < 0)
        return 0;
    if (w->lag->bytes < 0)
        w->lag->bytes = off < w->target ? w->target - off : 0;
    if (off >= w->target) {
        w->lag->s = (double)(vmb_now_ns() - w->t0) / 1e9;
        return 1;
    }
    free(*last);
    *last = vmb_xasprintf("replica at offset %" PRId64 " of %" PRId64, off,
                          w->target);
    return 0;
}

static int
redis_replication_lag(const struct vmb_db_node *primary,
                      const struct vmb_db_node *replica, uint64_t timeout_us,
                      struct vmb_db_lag *lag, struct vmb_error **err)
{
    struct pair_wait w = {
        .primary = primary, .replica = replica, .t0 = vmb_now_ns(), .lag = lag};
    uint64_t deadline = w.t0 + timeout_us * 1000ull;
    autofree char *last = NULL;
    autofree char *pinfo = NULL;
    int rc = -1;
    if (info_replication(&w.pc, primary, deadline, &pinfo, &last) < 0 ||
        offset_of(pinfo, "master_repl_offset", &w.target) < 0) {
        vmb_error_set(err, VMB_ERR_RUN, 0,
                      "node 1: read the replication offset: %s",
                      last ? last : "no master_repl_offset in INFO");
    } else {
        lag->bytes = -1;
        /* Lag is usually milliseconds: poll tightly but do not spin. */
        struct vmb_db_poll p = {
            .blame = replica->index,
            .what = "replica did not catch up with node 1",
            .timeout_us = timeout_us,
            .poll_ns = 200000ull,
            .attempt = attempt_caught_up,
            .ctx = &w,
        };
        rc = vmb_db_poll_until(&p, err);
    }
    vmb_redis_ctl_close(w.pc);
    vmb_redis_ctl_close(w.rc);
    return rc;
}

static char *
redis_version(void)
{
    FILE *p = popen("redis-server --version 2>/dev/null", "r");
    if (p == NULL)
        return NULL;
    char line[256] = "";
    if (fgets(line, sizeof(line), p) == NULL)
        line[0] = '\0';
    pclose(p);
    const char *v = strstr(line, "v=");
    if (v == NULL)
        return NULL;
    v += 2;
    return vmb_xstrndup(v, strcspn(v, " \n"));
}

static const char *const host_programs[] = {"redis-server", NULL};

const struct vmb_db_driver vmb_db_redis = {
    .name = "redis",
    .engine = VMB_ENGINE_REDIS,
    .binary = "redis-server",
    .conf_name = "redis.conf",
    .stop_signal = SIGTERM,
    .stop_grace_s = 10,
    .host_programs = host_programs,
    .install = "`apt-get install redis-server`",
    .render_config = redis_render_config,
    .argv = redis_argv,
    .wait_up = redis_wait_up,
    .wait_replicating = redis_wait_replicating,
    .replication_lag = redis_replication_lag,
    .version = redis_version,
};
