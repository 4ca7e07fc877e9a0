/*
 * Database drivers without a server: the Redis configuration file written
 * from the database options, and the log tail that error messages carry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config/config.h"
#include "db/db.h"
#include "base/util.h"

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
    struct vmb_db_node n1 = {.index = 1, .host = "10.0.0.2", .port = 7000,
                             .listen = "0.0.0.0", .data_dir = "/data"};
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
    struct vmb_db_node n2 = {.index = 2, .host = "127.0.0.1", .port = 6380,
                             .listen = "127.0.0.1", .data_dir = "/w/node2",
                             .primary_host = "127.0.0.1", .primary_port = 6379};
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
    struct vmb_db_node n1 = {.index = 1, .host = "h", .port = 1,
                             .listen = "l", .data_dir = "/d"};
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
