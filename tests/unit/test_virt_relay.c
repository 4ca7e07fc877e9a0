/*
 * The relays of vm/virt_relay.h where they cannot start: a libvirt host
 * that cannot be reached fails naming it and leaves no descriptor open
 * and no console file made; a console file that is a symbolic link is
 * refused. A relay that runs, against a real domain, is in
 * tests/integration/test_vm_relay.sh.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/agent_wire.h"
#include "vm/virt_relay.h"

/* A libvirt socket that does not exist: the connect fails at once. */
#define NOWHERE "qemu+unix:///system?socket=/nonexistent/vmb-relay.sock"

static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void
fail_channel(struct vmb_error **err)
{
    int fd = -1;
    struct vmb_virt_relay *r = NULL;
    cr_assert_eq(vmb_virt_relay_channel(NOWHERE, "vmb-x-2", VMB_AGENT_CHANNEL,
                                        &fd, &r, err),
                 -1);
    cr_assert_eq(fd, -1);
    cr_assert_null(r);
}

Test(virt_relay, unreachable_host_fails_naming_it_and_holds_nothing,
     .timeout = 20)
{
    struct vmb_error *err = NULL;
    /* The first relay starts what lives as long as the process (the
     * event loop's thread and pipe, the guard process's pipe). */
    fail_channel(&err);
    vmb_error_free(err);
    err = NULL;
    int before = open_fds();
    fail_channel(&err);
    cr_assert(strstr(err->msg, "relay channel \"" VMB_AGENT_CHANNEL
                               "\" of domain \"vmb-x-2\": connect to libvirt "
                               "at \"" NOWHERE "\""),
              "%s", err->msg);
    vmb_error_free(err);
    cr_assert_eq(open_fds(), before);
}

Test(virt_relay, console_file_made_for_a_failed_relay_is_removed, .timeout = 20)
{
    char dir[] = "/tmp/vmb-relay-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *file = vmb_xasprintf("%s/console.log", dir);
    struct vmb_virt_relay *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_virt_relay_console(NOWHERE, "vmb-x-2", file, &r, &err),
                 -1);
    cr_assert(strstr(err->msg, "relay the console of domain \"vmb-x-2\": "),
              "%s", err->msg);
    vmb_error_free(err);
    cr_assert_null(r);
    cr_assert_neq(access(file, F_OK), 0, "the console file was left");
    rmdir(dir);
}

Test(virt_relay, console_file_through_a_link_is_refused, .timeout = 20)
{
    char dir[] = "/tmp/vmb-relay-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *file = vmb_xasprintf("%s/console.log", dir);
    autofree char *target = vmb_xasprintf("%s/elsewhere", dir);
    cr_assert_eq(symlink(target, file), 0);
    struct vmb_virt_relay *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_virt_relay_console(NOWHERE, "vmb-x-2", file, &r, &err),
                 -1);
    autofree char *want = vmb_xasprintf(
        "relay the console of domain \"vmb-x-2\" to \"%s\": ", file);
    cr_assert(strstr(err->msg, want), "%s", err->msg);
    vmb_error_free(err);
    cr_assert_neq(access(target, F_OK), 0, "the link was followed");
    unlink(file);
    rmdir(dir);
}
