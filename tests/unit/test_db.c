/*
 * Database drivers: the Redis configuration file written from the
 * database options (and read back by a real redis-server), and the log
 * tail that error messages carry.
 */
#include <sys/stat.h>

#include "config/config.h"
#include "db/db.h"
#include "load_test_helpers.h"

static char *
render(const struct vmb_config *cfg, const struct vmb_db_node *node)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_REDIS);
    cr_assert_not_null(drv);
    struct vmb_buf b = {0};
    drv->render_config(&cfg->database, node, &b);
    return vmb_buf_steal(&b);
}

Test(db, redis_primary_config_follows_the_options)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.appendonly = false;
    cfg.database.appendfsync = VMB_FSYNC_ALWAYS;
    free(cfg.database.save);
    cfg.database.save = vmb_xstrdup("900 1 300 10");
    struct vmb_db_node n1 = {.index = 1,
                             .host = "10.0.0.2",
                             .port = 7000,
                             .listen = "0.0.0.0",
                             .data_dir = "/data"};
    autofree char *c = render(&cfg, &n1);
    cr_assert(strstr(c, "\nport 7000\n"));
    cr_assert(strstr(c, "\nbind 0.0.0.0\n"));
    cr_assert(strstr(c, "\ndir /data\n"));
    cr_assert(strstr(c, "\nappendonly no\n"));
    cr_assert(strstr(c, "\nappendfsync always\n"));
    cr_assert(strstr(c, "\nsave 900 1 300 10\n"));
    cr_assert_null(strstr(c, "replicaof"), "the primary replicates nothing");
    vmb_config_free(&cfg);
}

Test(db, redis_replica_follows_node_1_and_empty_save_disables_rdb)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    struct vmb_db_node n2 = {.index = 2,
                             .host = "127.0.0.1",
                             .port = 6380,
                             .listen = "127.0.0.1",
                             .data_dir = "/w/node2",
                             .primary_host = "127.0.0.1",
                             .primary_port = 6379};
    autofree char *c = render(&cfg, &n2);
    cr_assert(strstr(c, "\nreplicaof 127.0.0.1 6379\n"), "%s", c);
    cr_assert(strstr(c, "\nsave \"\"\n"), "%s", c);
    cr_assert(strstr(c, "\nappendonly yes\n"), "%s", c);
    cr_assert(strstr(c, "\nappendfsync everysec\n"), "%s", c);
    vmb_config_free(&cfg);
}

Test(db, a_save_line_cannot_add_directives)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    free(cfg.database.save);
    cfg.database.save = vmb_xstrdup("60 1\nreplicaof evil 1");
    struct vmb_db_node n1 = {
        .index = 1, .host = "h", .port = 1, .listen = "l", .data_dir = "/d"};
    autofree char *c = render(&cfg, &n1);
    cr_assert_null(strstr(c, "\nreplicaof"), "%s", c);
    vmb_config_free(&cfg);
}

Test(db, log_tail_keeps_the_last_non_empty_lines)
{
    autofree char *t = vmb_db_log_tail("a\nb\n\nc\r\nd\n\n", 3);
    cr_assert_str_eq(t, "b | c | d");
    autofree char *e = vmb_db_log_tail("", 3);
    cr_assert_str_eq(e, "(empty)");
    autofree char *n = vmb_db_log_tail(NULL, 3);
    cr_assert_str_eq(n, "(empty)");
    autofree char *one = vmb_db_log_tail("only", 5);
    cr_assert_str_eq(one, "only");
}

/*
 * A data directory whose path has a space, quotes, a backslash and a
 * newline followed by a directive: a real redis-server started with the
 * rendered file reads the path back byte for byte and takes no password.
 */
Test(db, redis_reads_back_a_hostile_data_dir, .timeout = 30)
{
    char base[] = "/tmp/vmb-db-XXXXXX";
    cr_assert_not_null(mkdtemp(base));
    autofree char *data =
        vmb_xasprintf("%s/da ta \"q\" \\\nrequirepass sekrit", base);
    cr_assert_eq(mkdir(data, 0700), 0);
    int port = th_free_port();
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.appendonly = false;
    struct vmb_db_node n1 = {
        .index = 1, .port = port, .listen = "127.0.0.1", .data_dir = data};
    autofree char *conf = render(&cfg, &n1);
    autofree char *path = vmb_xasprintf("%s/redis.conf", base);
    cr_assert_eq(vmb_write_file_atomic(path, conf, strlen(conf), NULL), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("redis-server", "redis-server", path, (char *)NULL);
        _exit(127);
    }
    const char *pong = NULL;
    for (int i = 0; i < 500; i++) {
        pong = th_command(port, "PING");
        if (pong && strcmp(pong, "+PONG") == 0)
            break;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_str_eq(pong ? pong : "", "+PONG", "config:\n%s", conf);
    autofree char *cmd =
        vmb_xasprintf("redis-cli -p %d --raw CONFIG GET dir", port);
    FILE *f = popen(cmd, "r");
    char out[1024];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    autofree char *want = vmb_xasprintf("dir\n%s\n", data);
    cr_assert_str_eq(out, want, "config:\n%s", conf);
    vmb_config_free(&cfg);
    vmb_rm_rf(base, NULL);
}
