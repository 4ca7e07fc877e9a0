/*
 * The Redis driver on the bare-metal runtime, with real redis-server
 * processes: two nodes come up replicating, replication lag is measured,
 * a configuration Redis rejects fails with Redis's own message, the
 * control's CPU pinning and memory cap are applied and recorded, and
 * nothing is left running afterwards.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/util.h"
#include "config/matrix.h"
#include "db/db.h"
#include "db/redis_ctl.h"
#include "results/result_json.h"
#include "runtime/runtime.h"

static int
test_port(void)
{
    /* Away from 6379 and from other tests running on the same host. */
    return 21000 + (int)(getpid() % 2000) * 2;
}

static void
make_cell(struct vmb_cell *cell, const char *save)
{
    memset(cell, 0, sizeof(*cell));
    cell->kind = VMB_CELL_CONTROL;
    strcpy(cell->id, "0123456789ab");
    cell->label = "test";
    vmb_config_defaults(&cell->cfg);
    cell->cfg.database.port = test_port();
    cell->cfg.database.ready_timeout_us = 20000000;
    cell->cfg.guest.vcpus = 1;
    cell->cfg.guest.memory_mib = 256;
    free(cell->cfg.database.save);
    cell->cfg.database.save = vmb_xstrdup(save);
}

static char *
work_dir(void)
{
    return vmb_xasprintf("/tmp/vmb-test-db-%ld", (long)getpid());
}

static pid_t
pid_on_port(int port)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ss -Hltnp 'sport = :%d' 2>/dev/null", port);
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    pid_t pid = 0;
    if (p != NULL && fgets(line, sizeof(line), p) != NULL) {
        const char *s = strstr(line, "pid=");
        if (s)
            pid = (pid_t)atol(s + 4);
    }
    if (p)
        pclose(p);
    return pid;
}

static int
start(struct vmb_runtime *rt, const struct vmb_db_driver *drv,
      struct vmb_error **err)
{
    struct vmb_db_watch watch;
    vmb_runtime_watch(rt, &watch);
    if (rt->ops->up(rt, err) < 0)
        return -1;
    for (int i = 1; i <= 2; i++) {
        struct vmb_buf conf = {0};
        drv->render_config(&rt->cfg->database, &rt->nodes[i - 1], &conf);
        int r = rt->ops->start_db(rt, i, drv, conf.data, err);
        vmb_buf_free(&conf);
        if (r < 0)
            return -1;
        if (drv->wait_up(&rt->nodes[i - 1], 20000000, &watch, err) < 0)
            return -1;
    }
    return drv->wait_replicating(&rt->nodes[0], &rt->nodes[1], 20000000, &watch,
                                 err);
}

Test(db_redis, two_nodes_replicate_and_leave_nothing_behind, .timeout = 120)
{
    struct vmb_cell cell;
    make_cell(&cell, "");
    cell.cfg.control.match_resources = true;
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_REDIS);
    cr_assert_not_null(drv);
    autofree char *wd = work_dir();
    struct vmb_runtime *rt = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_runtime_new(&vmb_runtime_baremetal, NULL, &cell, 1, wd, &rt, &err),
        0);
    int r = start(rt, drv, &err);
    cr_assert_eq(r, 0, "start: %s", err ? err->msg : "?");

    /* The replica serves what the primary was given. */
    struct vmb_redis_ctl_conn *p = NULL, *q = NULL;
    cr_assert_eq(
        vmb_redis_ctl_connect("127.0.0.1", test_port(), 2000, &p, &err), 0);
    cr_assert_eq(
        vmb_redis_ctl_connect("127.0.0.1", test_port() + 1, 2000, &q, &err), 0);
    for (int i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%d", i);
        const char *set[] = {"SET", key, "value"};
        struct vmb_redis_ctl_reply rep;
        cr_assert_eq(vmb_redis_ctl_command(p, 2000, &rep, &err, 3, set), 0);
        cr_assert_eq(rep.type, VMB_REDIS_CTL_STATUS);
        vmb_redis_ctl_reply_clear(&rep);
    }
    struct vmb_db_lag lag = {-1, -2};
    r = drv->replication_lag(&rt->nodes[0], &rt->nodes[1], 10000000, &lag,
                             &err);
    cr_assert_eq(r, 0, "lag: %s", err ? err->msg : "?");
    cr_assert(lag.s >= 0 && lag.s < 10, "lag %f", lag.s);
    /* Behind by at most the 200 SETs just sent, each well under 100 bytes. */
    cr_assert(lag.bytes >= 0 && lag.bytes < 200 * 100, "lag %lld bytes",
              (long long)lag.bytes);
    const char *get[] = {"GET", "k199"};
    struct vmb_redis_ctl_reply rep;
    cr_assert_eq(vmb_redis_ctl_command(q, 2000, &rep, &err, 2, get), 0);
    cr_assert_eq(rep.type, VMB_REDIS_CTL_BULK);
    cr_assert_str_eq(rep.str, "value");
    vmb_redis_ctl_reply_clear(&rep);
    vmb_redis_ctl_close(p);
    vmb_redis_ctl_close(q);

    pid_t p1 = pid_on_port(test_port()), p2 = pid_on_port(test_port() + 1);
    cr_assert(p1 > 0 && p2 > 0);
    /* Pinned to one CPU each, as the cell has one vCPU. */
    cpu_set_t set;
    cr_assert_eq(sched_getaffinity(p1, sizeof(set), &set), 0);
    cr_assert_eq(CPU_COUNT(&set), 1);

    rt->ops->window_begin(rt);
    rt->ops->window_end(rt);
    struct vmb_runtime_record rec;
    rt->ops->record(rt, &rec);
    struct vmb_result_doc doc = {.runtimes = &rec, .ntenants = 1};
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_result_json_write(&w, &doc);
    autofree char *json = vmb_jw_steal(&w);
    if (getenv("VMB_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", json);
    cr_assert(strstr(json, "\"control_applied\":{\"cpus\":\"0\"") != NULL, "%s",
              json);
    /* This host lets root make a memory cgroup: the cap must be there. */
    cr_assert(strstr(json, "\"memory_max_bytes\":268435456") != NULL, "%s",
              json);

    autofree char *keep = vmb_xasprintf("%s-keep", wd);
    cr_assert_eq(vmb_mkdir_p(keep, &err), 0);
    cr_assert_eq(rt->ops->collect(rt, keep, &err), 0);
    vmb_runtime_free(rt);

    cr_assert_eq(kill(p1, 0), -1, "node 1 still running");
    cr_assert_eq(kill(p2, 0), -1, "node 2 still running");
    struct stat st;
    cr_assert_eq(stat(wd, &st), -1, "work directory left behind");
    autofree char *log1 = vmb_xasprintf("%s/node1.db.log", keep);
    autofree char *log = NULL;
    cr_assert_eq(vmb_read_file(log1, &log, NULL, &err), 0);
    cr_assert(strstr(log, "Ready to accept connections") != NULL);
    vmb_rm_rf(keep, &err);
    vmb_config_free(&cell.cfg);
}

Test(db_redis, rejected_option_fails_with_redis_message, .timeout = 60)
{
    struct vmb_cell cell;
    make_cell(&cell, "bogus");
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_REDIS);
    autofree char *wd = work_dir();
    struct vmb_runtime *rt = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_runtime_new(&vmb_runtime_baremetal, NULL, &cell, 1, wd, &rt, &err),
        0);
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(start(rt, drv, &err), -1);
    /* Redis exits at once; the wait must notice rather than time out. */
    cr_assert_lt(vmb_now_ns() - t0, 10000000000ull);
    cr_assert(strstr(err->msg, "Invalid save parameters") != NULL, "%s",
              err->msg);
    cr_assert(strstr(err->msg, "node 1") != NULL, "%s", err->msg);
    vmb_error_free(err);
    vmb_runtime_free(rt);
    vmb_config_free(&cell.cfg);
}

Test(db_redis, wait_times_out_with_the_log_tail, .timeout = 60)
{
    struct vmb_db_node node = {
        .index = 1, .host = "127.0.0.1", .port = test_port() + 1000};
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_REDIS);
    struct vmb_error *err = NULL;
    cr_assert_eq(drv->wait_up(&node, 300000, NULL, &err), -1);
    cr_assert(strstr(err->msg, "did not answer within 300ms") != NULL, "%s",
              err->msg);
    cr_assert(strstr(err->msg, "Connection refused") != NULL, "%s", err->msg);
    vmb_error_free(err);
}
