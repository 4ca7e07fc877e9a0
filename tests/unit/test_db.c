/*
 * Database drivers: the Redis configuration file written from the
 * database options (and read back by a real redis-server), and the log
 * tail that error messages carry.
 */
#include <sys/stat.h>

#include "config/config.h"
#include "db/db.h"
#include "load/proto.h"
#include "load_test_helpers.h"
#include "protocols/protocols.h"

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

static char *
render_pg(const struct vmb_config *cfg, const struct vmb_db_node *node)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_POSTGRES);
    cr_assert_not_null(drv);
    struct vmb_buf b = {0};
    drv->render_config(&cfg->database, node, &b);
    return vmb_buf_steal(&b);
}

static const struct vmb_db_node pg_n1 = {.index = 1,
                                         .host = "10.0.0.2",
                                         .port = 7000,
                                         .listen = "0.0.0.0",
                                         .data_dir = "/data"};
static const struct vmb_db_node pg_n2 = {.index = 2,
                                         .host = "10.0.0.3",
                                         .port = 7000,
                                         .listen = "0.0.0.0",
                                         .data_dir = "/data",
                                         .primary_host = "10.0.0.2",
                                         .primary_port = 7000};

Test(db, postgres_primary_config_follows_the_options)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.engine = VMB_ENGINE_POSTGRES;
    cfg.database.sync_replica = true;
    free(cfg.database.shared_buffers);
    cfg.database.shared_buffers = vmb_xstrdup("2GB");
    free(cfg.database.wal_sync_method);
    cfg.database.wal_sync_method = vmb_xstrdup("open_datasync");
    autofree char *c = render_pg(&cfg, &pg_n1);
    cr_assert(strstr(c, "\nport = 7000\n"), "%s", c);
    cr_assert(strstr(c, "\nlisten_addresses = '0.0.0.0'\n"), "%s", c);
    cr_assert(strstr(c, "\ndata_directory = '/data/pgdata'\n"), "%s", c);
    cr_assert(strstr(c, "\nhba_file = '/data/pgdata/pg_hba.conf'\n"), "%s", c);
    cr_assert(strstr(c, "\nshared_buffers = '2GB'\n"), "%s", c);
    cr_assert(strstr(c, "\nwal_sync_method = 'open_datasync'\n"), "%s", c);
    cr_assert(strstr(c, "\nfsync = 'on'\n"), "%s", c);
    cr_assert(strstr(c, "\nsynchronous_standby_names = 'node2'\n"), "%s", c);
    cr_assert_null(strstr(c, "primary_conninfo"), "the primary follows none");
    cfg.database.sync_replica = false;
    autofree char *a = render_pg(&cfg, &pg_n1);
    cr_assert(strstr(a, "\nsynchronous_standby_names = ''\n"), "%s", a);
    vmb_config_free(&cfg);
}

Test(db, postgres_replica_streams_from_node_1_through_its_slot)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.sync_replica = true;
    autofree char *c = render_pg(&cfg, &pg_n2);
    cr_assert(strstr(c, "\nprimary_conninfo = 'host=''10.0.0.2'' port=7000 "
                        "user=postgres application_name=node2'\n"),
              "%s", c);
    cr_assert(strstr(c, "\nprimary_slot_name = 'vmb_node2'\n"), "%s", c);
    /* Only the primary names its synchronous standby. */
    cr_assert_null(strstr(c, "synchronous_standby_names"), "%s", c);
    vmb_config_free(&cfg);
}

/* A value reaches PostgreSQL as written: quotes doubled, backslashes
 * escaped, nothing after it on the line to start a setting of its own. */
Test(db, postgres_values_are_quoted_for_its_parser)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    free(cfg.database.checkpoint_timeout);
    cfg.database.checkpoint_timeout = vmb_xstrdup("5min' fsync = 'off");
    free(cfg.database.max_wal_size);
    cfg.database.max_wal_size = vmb_xstrdup("1\\GB");
    autofree char *c = render_pg(&cfg, &pg_n1);
    cr_assert(strstr(c, "\ncheckpoint_timeout = '5min'' fsync = ''off'\n"),
              "%s", c);
    cr_assert(strstr(c, "\nmax_wal_size = '1\\\\GB'\n"), "%s", c);
    cr_assert(strstr(c, "\nfsync = 'on'\n"), "%s", c);
    vmb_config_free(&cfg);
}

Test(db, postgres_argv_and_init_steps)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_POSTGRES);
    cr_assert_not_null(drv);
    cr_assert_str_eq(drv->conf_name, "postgresql.conf");
    cr_assert_str_eq(drv->user, "postgres");
    char **argv = drv->argv("/w/node1/postgresql.conf");
    cr_assert(vmb_str_has_suffix(argv[0], "postgres"), "%s", argv[0]);
    cr_assert_str_eq(argv[1], "-c");
    cr_assert_str_eq(argv[2], "config_file=/w/node1/postgresql.conf");
    /* The log's language and SQLSTATE column hold before the file is read
     * (a rejected setting in it is what the log is read for). */
    cr_assert_str_eq(argv[4], "lc_messages=C");
    cr_assert_str_eq(argv[6], "log_line_prefix=%m [%p] %e ");
    cr_assert_null(argv[7]);
    vmb_db_argv_free(argv);

    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    /* Node 1: initdb of <data>/pgdata; each path its own argument. */
    char **a1 = drv->init_argv(&cfg.database, &pg_n1);
    cr_assert_str_eq(a1[0], "sh");
    cr_assert_str_eq(a1[1], "-c");
    cr_assert(strstr(a1[2], "--auth=trust") != NULL, "%s", a1[2]);
    cr_assert(vmb_str_has_suffix(a1[4], "/initdb"), "%s", a1[4]);
    cr_assert_str_eq(a1[5], "/data/pgdata");
    cr_assert_null(a1[6]);
    vmb_db_argv_free(a1);
    /* Node 2: a base backup of node 1, made a standby. */
    char **a2 = drv->init_argv(&cfg.database, &pg_n2);
    cr_assert(vmb_str_has_suffix(a2[4], "/pg_basebackup"), "%s", a2[4]);
    cr_assert(strstr(a2[2], "standby.signal") != NULL, "%s", a2[2]);
    cr_assert(strstr(a2[2], "-S vmb_node2") != NULL, "%s", a2[2]);
    cr_assert_str_eq(a2[5], "/data/pgdata");
    cr_assert_str_eq(a2[6], "10.0.0.2");
    cr_assert_str_eq(a2[7], "7000");
    cr_assert_null(a2[8]);
    vmb_db_argv_free(a2);
    vmb_config_free(&cfg);
    /* The load generator reaches a node as the superuser the init made. */
    autofree char *url = drv->load_url(&pg_n1);
    cr_assert_str_eq(url, "postgres://postgres@10.0.0.2:7000/postgres");
    struct vmb_db_node v6 = pg_n1;
    v6.host = "fd00::2";
    autofree char *url6 = drv->load_url(&v6);
    cr_assert_str_eq(url6, "postgres://postgres@[fd00::2]:7000/postgres");
}

static char *
render_my(const struct vmb_config *cfg, const struct vmb_db_node *node)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_MARIADB);
    cr_assert_not_null(drv);
    struct vmb_buf b = {0};
    drv->render_config(&cfg->database, node, &b);
    return vmb_buf_steal(&b);
}

/* Node 1 logs binary, node 2 does not; the InnoDB settings are passed as
 * written, quoted so that a '#' is no comment; semi-sync on both sides
 * for sync_replica. */
Test(db, mariadb_config_follows_the_options)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.engine = VMB_ENGINE_MARIADB;
    cfg.database.sync_replica = true;
    free(cfg.database.innodb_flush_method);
    cfg.database.innodb_flush_method = vmb_xstrdup("O_DSYNC");
    free(cfg.database.innodb_buffer_pool_size);
    cfg.database.innodb_buffer_pool_size = vmb_xstrdup("1G # \"x\\");
    autofree char *c = render_my(&cfg, &pg_n1);
    cr_assert(strstr(c, "\n[mariadbd]\n"), "%s", c);
    cr_assert(strstr(c, "\nport = 7000\n"), "%s", c);
    cr_assert(strstr(c, "\nbind-address = \"0.0.0.0\"\n"), "%s", c);
    cr_assert(strstr(c, "\ndatadir = \"/data/mariadb\"\n"), "%s", c);
    cr_assert(strstr(c, "\nserver-id = 1\n"), "%s", c);
    cr_assert(strstr(c, "\nlog-bin = \"mariadb-bin\"\n"), "%s", c);
    cr_assert(strstr(c, "\ninnodb_flush_method = \"O_DSYNC\"\n"), "%s", c);
    cr_assert(strstr(c, "\ninnodb_buffer_pool_size = \"1G # \\\"x\\\\\"\n"),
              "%s", c);
    cr_assert(strstr(c, "\ninnodb_doublewrite = \"ON\"\n"), "%s", c);
    cr_assert(strstr(c, "\nrpl_semi_sync_master_enabled = \"ON\"\n"), "%s", c);
    autofree char *r = render_my(&cfg, &pg_n2);
    cr_assert(strstr(r, "\nserver-id = 2\n"), "%s", r);
    cr_assert_null(strstr(r, "log-bin"), "%s", r);
    cr_assert(strstr(r, "\nrpl_semi_sync_slave_enabled = \"ON\"\n"), "%s", r);
    cfg.database.sync_replica = false;
    autofree char *a = render_my(&cfg, &pg_n1);
    cr_assert_null(strstr(a, "semi_sync"), "%s", a);
    vmb_config_free(&cfg);
}

Test(db, mariadb_argv_init_and_url)
{
    const struct vmb_db_driver *drv = vmb_db_driver_find(VMB_ENGINE_MARIADB);
    cr_assert_str_eq(drv->name, "mariadb");
    cr_assert_str_eq(drv->user, "mysql");
    char **argv = drv->argv("/w/node1/my.cnf");
    cr_assert(vmb_str_has_suffix(argv[0], "mariadbd"), "%s", argv[0]);
    cr_assert_str_eq(argv[1], "--defaults-file=/w/node1/my.cnf");
    cr_assert_null(argv[2]);
    vmb_db_argv_free(argv);
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    char **a = drv->init_argv(&cfg.database, &pg_n2);
    cr_assert(vmb_str_has_suffix(a[4], "mariadb-install-db"), "%s", a[4]);
    cr_assert_str_eq(a[5], "/data/mariadb");
    cr_assert(strstr(a[2], "sql_log_bin = 0") != NULL, "%s", a[2]);
    vmb_db_argv_free(a);
    vmb_config_free(&cfg);
    autofree char *url = drv->load_url(&pg_n1);
    cr_assert_str_eq(url, "mysql://vmbench@10.0.0.2:7000/vmbench");
    struct vmb_load_target t;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_protocols_target_parse(url, &t, &err), 0);
    cr_assert_str_eq(t.proto->name, "mysql");
}

/* Settings text as the MariaDB driver writes it from SHOW GLOBAL
 * VARIABLES (a trimmed copy of a real node's). */
static const char my_settings_text[] = "name\tsetting\n"
                                       "innodb_doublewrite\tON\n"
                                       "innodb_flush_method\t%s\n"
                                       "innodb_log_file_buffering\t%s\n"
                                       "version_comment\tDebian\\tn\\\\12\n";

static size_t
ignored_for(int engine, int storage, const char *extra, const char *flush,
            const char *logbuf, int placement_override,
            struct vmb_db_ignored **out)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.engine = engine;
    cfg.guest.storage = storage;
    free(cfg.guest.virtio_fs_extra_args);
    cfg.guest.virtio_fs_extra_args = vmb_xstrdup(extra);
    autofree char *text = vmb_xasprintf(my_settings_text, flush, logbuf);
    int placement = placement_override != 0 ? placement_override
                                            : vmb_config_placement(&cfg);
    size_t n = vmb_db_ignored_settings(&cfg, placement, text, out);
    vmb_config_free(&cfg);
    return n;
}

Test(db, o_direct_on_9p_is_reported_as_ignored)
{
    struct vmb_db_ignored *v = NULL;
    size_t n = ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_9P, "",
                           "O_DIRECT_NO_FSYNC", "ON", 0, &v);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].setting, "innodb_flush_method");
    cr_assert_str_eq(v[0].value, "O_DIRECT_NO_FSYNC");
    cr_assert(strstr(v[0].why, "9p") != NULL, "%s", v[0].why);
    vmb_db_ignored_free(v, n);
    /* The redo log's O_DIRECT (innodb_log_file_buffering OFF) too. */
    n = ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_SHARED, "", "fsync", "OFF",
                    VMB_STORAGE_9P, &v);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].setting, "innodb_log_file_buffering");
    cr_assert_str_eq(v[0].value, "OFF");
    vmb_db_ignored_free(v, n);
}

Test(db, o_direct_on_virtio_fs_depends_on_allow_direct_io)
{
    struct vmb_db_ignored *v = NULL;
    size_t n = ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_VIRTIOFS,
                           "--thread-pool-size=1 --announce-submounts",
                           "O_DIRECT", "OFF", 0, &v);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].setting, "innodb_flush_method");
    cr_assert_str_eq(v[0].value, "O_DIRECT");
    cr_assert(strstr(v[0].why, "--allow-direct-io") != NULL, "%s", v[0].why);
    cr_assert_str_eq(v[1].setting, "innodb_log_file_buffering");
    vmb_db_ignored_free(v, n);
    n = ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_VIRTIOFS,
                    "--thread-pool-size=1 --allow-direct-io", "O_DIRECT", "OFF",
                    0, &v);
    cr_assert_eq(n, 0);
    cr_assert_null(v);
    /* A word that only starts like it is another word. */
    n = ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_VIRTIOFS,
                    "--allow-direct-iox", "O_DIRECT", "ON", 0, &v);
    cr_assert_eq(n, 1);
    vmb_db_ignored_free(v, n);
}

Test(db, settings_a_placement_honours_are_not_reported)
{
    struct vmb_db_ignored *v = NULL;
    /* A block device passes O_DIRECT to the guest's block layer. */
    cr_assert_eq(ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_VIRTIO_BLK, "",
                             "O_DIRECT", "OFF", 0, &v),
                 0);
    /* O_DSYNC and fsync reach the host through 9p. */
    cr_assert_eq(ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_9P, "", "O_DSYNC",
                             "ON", 0, &v),
                 0);
    cr_assert_eq(ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_9P, "", "fsync",
                             "ON", 0, &v),
                 0);
    /* Bare metal: the host's own filesystem. */
    cr_assert_eq(ignored_for(VMB_ENGINE_MARIADB, VMB_STORAGE_9P, "", "O_DIRECT",
                             "OFF", -1, &v),
                 0);
    /* Another engine's server has no such setting to drop. */
    cr_assert_eq(ignored_for(VMB_ENGINE_POSTGRES, VMB_STORAGE_9P, "",
                             "O_DIRECT", "OFF", 0, &v),
                 0);
    cr_assert_null(v);
    /* No line for the setting: nothing is guessed. */
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.engine = VMB_ENGINE_MARIADB;
    cr_assert_eq(vmb_db_ignored_settings(&cfg, VMB_STORAGE_9P,
                                         "name\tsetting\n"
                                         "innodb_flush_method_x\tO_DIRECT\n",
                                         &v),
                 0);
    vmb_config_free(&cfg);
}
