#include <criterion/criterion.h>
#include <string.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "base/util.h"

/* Context is prepended layer by layer; the kind survives. */
Test(util, error_prefix_chain)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_error_set(&err, VMB_ERR_INPUT, 0, "bad \"%s\"", "x"), -1);
    vmb_error_prefix(&err, "cell %d", 2);
    cr_assert_str_eq(err->msg, "cell 2: bad \"x\"");
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
}

Test(util, json_writer_escapes_and_commas)
{
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_jw_obj_begin(&w);
    vmb_jw_kstr(&w, "a", "q\"\n");
    vmb_jw_key(&w, "b");
    vmb_jw_arr_begin(&w);
    vmb_jw_int(&w, 1);
    vmb_jw_int(&w, -2);
    vmb_jw_arr_end(&w);
    vmb_jw_obj_end(&w);
    char *s = vmb_jw_steal(&w);
    cr_assert_str_eq(s, "{\"a\":\"q\\\"\\n\",\"b\":[1,-2]}");
    free(s);
}

Test(util, atomic_write_replaces_whole_file)
{
    char dir[] = "/tmp/vmb-util-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = vmb_xasprintf("%s/f", dir);
    cr_assert_eq(vmb_write_file_atomic(path, "one", 3, NULL), 0);
    cr_assert_eq(vmb_write_file_atomic(path, "second", 6, NULL), 0);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(vmb_read_file(path, &data, &len, NULL), 0);
    cr_assert_eq(len, 6);
    cr_assert_str_eq(data, "second");
    free(data);
    free(path);
    cr_assert_eq(vmb_rm_rf(dir, NULL), 0);
}

Test(util, json_doubles_shortest_exact)
{
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_jw_arr_begin(&w);
    vmb_jw_double(&w, 0.1);
    vmb_jw_double(&w, 12.5);
    vmb_jw_double(&w, 1.0 / 3.0);
    vmb_jw_arr_end(&w);
    char *s = vmb_jw_steal(&w);
    cr_assert_str_eq(s, "[0.1,12.5,0.3333333333333333]");
    free(s);
}
