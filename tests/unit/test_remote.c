/*
 * The ssh command lines of runtime/remote.h: every connection in batch
 * mode with strict host key checking and a connect deadline, the host
 * after "--", and the remote command a POSIX shell reads back into the
 * very words it was given, whatever they hold.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/capture.h"
#include "base/util.h"
#include "runtime/remote.h"

static size_t
index_of(char **argv, const char *word)
{
    for (size_t i = 0; argv[i] != NULL; i++)
        if (strcmp(argv[i], word) == 0)
            return i;
    return (size_t)-1;
}

Test(remote, ssh_refuses_unknown_keys_and_prompts)
{
    struct vmb_remote r;
    cr_assert_eq(vmb_remote_init(&r, "ssh://bench@replica:2222", 3000000, NULL),
                 0);
    char **argv = vmb_remote_argv(&r, "true", NULL);
    cr_assert_str_eq(argv[0], "ssh");
    cr_assert_neq(index_of(argv, "BatchMode=yes"), (size_t)-1);
    cr_assert_neq(index_of(argv, "StrictHostKeyChecking=yes"), (size_t)-1);
    cr_assert_neq(index_of(argv, "ConnectTimeout=3"), (size_t)-1);
    size_t p = index_of(argv, "-p"), l = index_of(argv, "-l");
    cr_assert_str_eq(argv[p + 1], "2222");
    cr_assert_str_eq(argv[l + 1], "bench");
    /* Nothing after "--" is an option: the host, then the command. */
    size_t dd = index_of(argv, "--");
    cr_assert_str_eq(argv[dd + 1], "replica");
    cr_assert_not_null(argv[dd + 2]);
    cr_assert_null(argv[dd + 3]);
    vmb_db_argv_free(argv);
}

Test(remote, bad_destinations_are_input_errors)
{
    struct vmb_remote r;
    const char *bad[] = {"", "replica", "ssh://-oProxyCommand=x", "ssh://a;b",
                         "ssh://h:99999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_remote_init(&r, bad[i], 1000000, &err), 0, "%s",
                     bad[i]);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        vmb_error_free(err);
    }
}

/* The remote command, run by a local sh, prints back every argument. */
Test(remote, arguments_survive_the_remote_shell)
{
    struct vmb_remote r;
    cr_assert_eq(vmb_remote_init(&r, "ssh://h", 1000000, NULL), 0);
    const char *args[] = {"plain", "two words", "it's", "$HOME", "`id`",
                          "a\"b",  "",          "*",    NULL};
    char **argv =
        vmb_remote_argv(&r, "for a; do printf '[%s]' \"$a\"; done", args);
    size_t dd = index_of(argv, "--");
    const char *sh[] = {"sh", "-c", argv[dd + 2], NULL};
    char *out = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(sh, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(out, "[plain][two words][it's][$HOME][`id`][a\"b][][*]");
    free(out);
    vmb_db_argv_free(argv);
}

/* doctor --host takes libvirt URIs too: a host name libvirt's own ssh
 * transport could read as an option is refused, and so is a port that
 * is not one (input, exit 2, not a failed check). */
Test(remote, libvirt_uris_are_checked)
{
    const char *good[] = {"qemu:///system",
                          "qemu+ssh://bench@replica/system",
                          "qemu+tcp://10.0.0.2:16509/system",
                          "qemu+ssh://replica/system?keyfile=/k",
                          "qemu+ssh://r/system?socket=/s&keyfile=/k",
                          "qemu+ssh://replica:65535/system"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *why = NULL;
        cr_assert_eq(vmb_libvirt_uri_check(good[i], &why), 0, "%s: %s", good[i],
                     why);
    }
    const char *bad[] = {"",
                         "replica",
                         "xen://host/",
                         "qemu+ssh://-oProxyCommand=x/system",
                         "qemu+ssh://-l@host/system",
                         "qemu+ssh://host",
                         "qemu+ssh://ho st/system",
                         "qemu+ssh://host/system?x='a'",
                         "qemu+ssh://host/system?no_verify=1",
                         "qemu+ssh://host/system?keyfile=/k&no_tty=0",
                         "qemu+ssh://host/system?command=/bin/x",
                         "qemu+ssh://host/system?socket=/s;netcat=x",
                         "qemu+ssh://host:-oProxyCommand=x/system",
                         "qemu+ssh://host:0/system",
                         "qemu+ssh://host:65536/system",
                         "qemu+tcp://host:99999999999999999999/system"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *why = NULL;
        cr_assert_lt(vmb_libvirt_uri_check(bad[i], &why), 0, "%s", bad[i]);
        cr_assert(vmb_str_has_prefix(why, "expected a libvirt URI"), "%s", why);
        free(why);
    }
}

/* A VM node 2's share is made over the ssh that its qemu+ssh:// URI
 * names: the same user, host, port and keyfile as libvirt's transport;
 * another transport, or a keyfile ssh would not read as written, is an
 * input error. */
Test(remote, libvirt_uris_give_their_ssh_destination)
{
    struct vmb_remote r;
    cr_assert_eq(vmb_remote_init_libvirt(
                     &r, "qemu+ssh://bench@replica:2222/system?keyfile=/k/id",
                     3000000, NULL),
                 0);
    char **argv = vmb_remote_argv(&r, "true", NULL);
    size_t p = index_of(argv, "-p"), l = index_of(argv, "-l"),
           i = index_of(argv, "-i"), dd = index_of(argv, "--");
    cr_assert_str_eq(argv[p + 1], "2222");
    cr_assert_str_eq(argv[l + 1], "bench");
    cr_assert_str_eq(argv[i + 1], "/k/id");
    cr_assert_str_eq(argv[dd + 1], "replica");
    cr_assert_neq(index_of(argv, "StrictHostKeyChecking=yes"), (size_t)-1);
    vmb_db_argv_free(argv);
    cr_assert_eq(
        vmb_remote_init_libvirt(&r, "qemu+ssh://replica/system", 3000000, NULL),
        0);
    argv = vmb_remote_argv(&r, "true", NULL);
    cr_assert_eq(index_of(argv, "-i"), (size_t)-1);
    cr_assert_eq(index_of(argv, "-l"), (size_t)-1);
    vmb_db_argv_free(argv);
    const char *bad[] = {"qemu+tcp://replica/system", "qemu:///system",
                         "qemu+ssh:///system",
                         "qemu+ssh://replica/system?keyfile=",
                         "qemu+ssh://replica/system?keyfile=%2Fk"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_remote_init_libvirt(&r, bad[k], 1000000, &err), 0,
                     "%s", bad[k]);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        vmb_error_free(err);
    }
}

/* The probe names every program of an engine the other host lacks; the
 * list reaches its shell as one word, so that no name in it runs. */
Test(remote, probe_names_each_missing_program_and_runs_none)
{
    static const char *const progs[] = {"sh", "vmb-no-such-program",
                                        "vmb-nor-this-one", NULL};
    struct vmb_db_driver drv = {.name = "x", .host_programs = progs};
    autofree char *script = vmb_remote_probe_script(&drv);
    setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22", 1);
    const char *sh[] = {"sh", "-c", script, "sh", "", NULL};
    char *out = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(sh, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert(vmb_str_has_prefix(out, "10.0.0.1|10.0.0.2|"), "%s", out);
    cr_assert_not_null(
        strstr(out, "|\"vmb-no-such-program\" \"vmb-nor-this-one\" \n"), "%s",
        out);
    free(out);
}

/* The probe's reply comes from the other host: its addresses become the
 * nodes' listen and connect addresses, its CPU count a pinning, and its
 * names reach the terminal and the results. */
Test(remote, hostile_probe_replies_are_refused_or_defanged)
{
    struct vmb_remote_facts f;
    vmb_autoerr struct vmb_error *e = NULL;
    cr_assert_eq(vmb_remote_facts_parse(
                     "ssh://h", "10.0.0.1|10.0.0.2|8|1|db2|6.1.0|\n", &f, &e),
                 0);
    cr_assert_str_eq(f.there, "10.0.0.2");
    cr_assert(f.taskset);
    cr_assert_eq(
        vmb_remote_facts_parse("ssh://h", "::1|fe80::2|2|0|h|k|\n", &f, NULL),
        0);
    const char *bad[] = {
        "-oProxyCommand=x|10.0.0.2|8|1|h|k|\n",
        "10.0.0.1|10.0.0.2 --protected-mode no|8|1|h|k|\n",
        "10.0.0.1|\x1b]0;owned\x07|8|1|h|k|\n",
        "10.0.0.1|10.0.0.2|-3|1|h|k|\n",
        "10.0.0.1|10.0.0.2|99999999999999999999|1|h|k|\n",
        "10.0.0.1|10.0.0.2|8x|1|h|k|\n",
        "10.0.0.1|10.0.0.2||1|h|k|\n",
    };
    for (size_t i = 0; i < VMB_NELEMS(bad); i++) {
        vmb_autoerr struct vmb_error *err = NULL;
        cr_assert_lt(vmb_remote_facts_parse("ssh://h", bad[i], &f, &err), 0,
                     "%s", bad[i]);
        cr_assert_null(strchr(err->msg, 0x1b), "%s", err->msg);
    }
    cr_assert_eq(vmb_remote_facts_parse(
                     "ssh://h",
                     "10.0.0.1|10.0.0.2|8|1|\x1b[2Jh\r|6.1\x1b]8;;x\x07|"
                     "\"a\x1b\" \n",
                     &f, NULL),
                 0);
    cr_assert_str_eq(f.hostname, "?[2Jh?");
    cr_assert_str_eq(f.kernel, "6.1?]8;;x?");
    cr_assert_str_eq(f.missing, "\"a?\"");
}
