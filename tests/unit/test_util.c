#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Of steps that all run, the first failure is kept and the later ones
 * freed (ASan sees a leak otherwise); a caller without err loses none. */
Test(util, error_keep_first_keeps_the_first)
{
    struct vmb_error *first = NULL, *e = NULL;
    vmb_error_set(&e, VMB_ERR_RUN, 0, "one");
    cr_assert_eq(vmb_error_keep_first(&first, &e), -1);
    cr_assert_null(e);
    vmb_error_set(&e, VMB_ERR_RUN, 0, "two");
    cr_assert_eq(vmb_error_keep_first(&first, &e), -1);
    cr_assert_null(e);
    cr_assert_str_eq(first->msg, "one");
    vmb_error_set(&e, VMB_ERR_RUN, 0, "three");
    cr_assert_eq(vmb_error_keep_first(NULL, &e), -1);
    cr_assert_null(e);
    vmb_error_free(first);
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

/* Outputs the user names: a FIFO is written through, never replaced; a
 * results file that is a symlink or device is refused and left alone. */
Test(util, outputs_write_through_non_regular_files, .timeout = 10)
{
    char dir[] = "/tmp/vmb-util-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *fifo = vmb_xasprintf("%s/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
    cr_assert_geq(rfd, 0);
    cr_assert_eq(vmb_write_output(fifo, "hello", 5, NULL), 0);
    char got[16] = {0};
    cr_assert_eq(read(rfd, got, sizeof(got) - 1), 5);
    cr_assert_str_eq(got, "hello");
    close(rfd);
    struct stat st;
    cr_assert_eq(lstat(fifo, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");

    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_write_file_atomic(fifo, "x", 1, &err), 0);
    cr_assert_not_null(strstr(err->msg, "not a regular file"), "%s", err->msg);
    vmb_error_free(err);
    err = NULL;
    autofree char *target = vmb_xasprintf("%s/target", dir);
    autofree char *link = vmb_xasprintf("%s/link", dir);
    cr_assert_eq(vmb_write_file_atomic(target, "old", 3, NULL), 0);
    cr_assert_eq(symlink(target, link), 0);
    cr_assert_lt(vmb_write_file_atomic(link, "new", 3, &err), 0);
    vmb_error_free(err);
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the symlink was replaced");
    /* The user's own symlink as an output: its target gets the text. */
    cr_assert_eq(vmb_write_output(link, "new", 3, NULL), 0);
    char *text = NULL;
    size_t len;
    cr_assert_eq(vmb_read_file(target, &text, &len, NULL), 0);
    cr_assert_str_eq(text, "new");
    free(text);
    cr_assert_lt(vmb_write_output(dir, "x", 1, NULL), 0);
    vmb_rm_rf(dir, NULL);
}

/* Control characters never reach a terminal raw. */
Test(util, term_safe_makes_control_characters_visible)
{
    autofree char *a = vmb_term_safe("cell \x1b[31mred\x1b[0m\n\tx\x7f");
    cr_assert_str_eq(a, "cell \\x1b[31mred\\x1b[0m\\n\\tx\\x7f");
    autofree char *b = vmb_term_safe("plain é");
    cr_assert_str_eq(b, "plain é");
}

Test(util, markup_escapes_for_xml_and_html)
{
    struct vmb_buf b = {0};
    vmb_buf_markup(&b, "a&b<c>\"d'e\x01\x1b\x7f\t\nf é");
    vmb_buf_markup(&b, NULL);
    autofree char *s = vmb_buf_steal(&b);
    cr_assert_str_eq(s, "a&amp;b&lt;c&gt;&quot;d&#39;e   \t\nf é");
}
