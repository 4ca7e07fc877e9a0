/*
 * virtiofsd's command line as Kata builds it, for the Rust daemon (Kata's
 * words as they are) and QEMU's C one (translated, or refused with the
 * word and the reason).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "config/virtiofsd_args.h"

static struct vmb_config cfg;

static void
setup(void)
{
    vmb_config_defaults(&cfg);
}

static void
teardown(void)
{
    vmb_config_free(&cfg);
}

TestSuite(virtiofsd_args, .init = setup, .fini = teardown);

struct xcase {
    char words[96];
    int flavour;
    /* the arguments after Kata's four (daemon, --syslog, cache, dir, fd),
     * or NULL with err, a part of the refusal */
    char want[96];
    char err[96];
};

ParameterizedTestParameters(virtiofsd_args, translate)
{
    static struct xcase cases[] = {
        /* Kata's defaults. */
        {"--thread-pool-size=1 --announce-submounts", VMB_VIRTIOFSD_RUST,
         "--thread-pool-size=1 --announce-submounts", ""},
        {"--thread-pool-size=1 --announce-submounts", VMB_VIRTIOFSD_QEMU,
         "--thread-pool-size=1 -o announce_submounts", ""},
        /* The cell. */
        {"--thread-pool-size=4 --writeback", VMB_VIRTIOFSD_QEMU,
         "--thread-pool-size=4 -o writeback", ""},
        {"--thread-pool-size=4 --writeback", VMB_VIRTIOFSD_RUST,
         "--thread-pool-size=4 --writeback", ""},
        {"--xattr --posix-acl --allow-direct-io --no-readdirplus",
         VMB_VIRTIOFSD_QEMU,
         "-o xattr -o posix_acl -o allow_direct_io -o no_readdirplus", ""},
        {"--sandbox=chroot --log-level=error --modcaps=-chown",
         VMB_VIRTIOFSD_QEMU,
         "-o sandbox=chroot -o log_level=err -o "
         "modcaps=-chown",
         ""},
        {"--rlimit-nofile=4096 --xattrmap=:map::user.v.:", VMB_VIRTIOFSD_QEMU,
         "--rlimit-nofile=4096 -o xattrmap=:map::user.v.:", ""},
        /* What the C daemon always does: the word is left out. */
        {"--seccomp=kill --inode-file-handles=never", VMB_VIRTIOFSD_QEMU, "",
         ""},
        /* The C daemon's spelling, which older Kata files have. */
        {"-o announce_submounts -o log_level=err", VMB_VIRTIOFSD_RUST,
         "--announce-submounts --log-level=error", ""},
        {"-o writeback", VMB_VIRTIOFSD_QEMU, "-o writeback", ""},
        {"", VMB_VIRTIOFSD_QEMU, "", ""},
        /* No equivalent in the C daemon: the word and the reason. */
        {"--sandbox=none", VMB_VIRTIOFSD_QEMU, "",
         "\"--sandbox=none\" has no equivalent in QEMU's C virtiofsd"},
        {"--sandbox=none", VMB_VIRTIOFSD_RUST, "--sandbox=none", ""},
        {"--inode-file-handles", VMB_VIRTIOFSD_QEMU, "",
         "O_PATH descriptor per inode"},
        {"--inode-file-handles=mandatory", VMB_VIRTIOFSD_RUST,
         "--inode-file-handles=mandatory", ""},
        {"--preserve-noatime", VMB_VIRTIOFSD_QEMU, "", "has no such option"},
        {"--seccomp=none", VMB_VIRTIOFSD_QEMU, "", "seccomp filter"},
        {"--log-level=trace", VMB_VIRTIOFSD_QEMU, "",
         "err, warn, info or debug"},
        /* Refused whatever the daemon. */
        {"--thread-pool-size=1 -f", VMB_VIRTIOFSD_RUST, "",
         "\"-f\" is no virtiofsd option vmbench knows"},
        {"-o nosuch", VMB_VIRTIOFSD_QEMU, "", "\"-o nosuch\" is no virtiofsd"},
        {"--cache=always", VMB_VIRTIOFSD_RUST, "",
         "set by vmbench: set virtio_fs_cache instead"},
        {"--shared-dir=/etc", VMB_VIRTIOFSD_QEMU, "", "set by vmbench"},
        {"--fd=0", VMB_VIRTIOFSD_RUST, "", "set by vmbench"},
        {"--thread-pool-size=x", VMB_VIRTIOFSD_RUST, "",
         "needs an integer from 0 to 1024"},
        {"--thread-pool-size=2000", VMB_VIRTIOFSD_QEMU, "",
         "needs an integer from 0 to 1024"},
        {"--writeback=1", VMB_VIRTIOFSD_RUST, "", "takes no value"},
        {"--sandbox=jail", VMB_VIRTIOFSD_RUST, "",
         "needs one of namespace, chroot, none"},
        {"--xattrmap=", VMB_VIRTIOFSD_RUST, "", "needs a value"},
        /* The C daemon splits -o at commas: no option smuggled in. */
        {"--modcaps=+sys_admin,source=/", VMB_VIRTIOFSD_QEMU, "",
         "\"--modcaps=+sys_admin,source=/\" holds a ','"},
        {"-o xattrmap=:a::b:,source=/", VMB_VIRTIOFSD_QEMU, "", "holds a ','"},
        {"--xattrmap=:a::b:,source=/", VMB_VIRTIOFSD_RUST, "", "holds a ','"},
    };
    return cr_make_param_array(struct xcase, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct xcase *c, virtiofsd_args, translate)
{
    free(cfg.guest.virtio_fs_extra_args);
    cfg.guest.virtio_fs_extra_args = vmb_xstrdup(c->words);
    char **argv = NULL;
    struct vmb_error *err = NULL;
    int rc =
        vmb_virtiofsd_argv(&cfg, c->flavour, "/d", "/s", 3, true, &argv, &err);
    if (c->err[0] != '\0') {
        cr_assert_eq(rc, -1, "%s: accepted", c->words);
        cr_assert_null(argv);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        cr_assert_not_null(strstr(err->msg, "virtio_fs_extra_args: "), "%s",
                           err->msg);
        cr_assert_not_null(strstr(err->msg, c->err), "%s", err->msg);
        vmb_error_free(err);
        return;
    }
    cr_assert_eq(rc, 0, "%s: %s", c->words, err ? err->msg : "");
    autofree char *line = vmb_virtiofsd_argv_line(argv);
    const char *head = c->flavour == VMB_VIRTIOFSD_RUST
                           ? "/d --syslog --cache=auto --shared-dir=/s --fd=3"
                           : "/d --syslog -o cache=auto -o source=/s --fd=3";
    autofree char *want =
        vmb_xasprintf("%s%s%s", head, c->want[0] ? " " : "", c->want);
    cr_assert_str_eq(line, want, "%s", c->words);
    vmb_virtiofsd_argv_free(argv);
}

/* Kata's cache names, and the C daemon's for "never". */
Test(virtiofsd_args, cache_modes)
{
    const struct {
        int mode, flavour;
        const char *want;
    } cases[] = {
        {VMB_FSCACHE_NEVER, VMB_VIRTIOFSD_RUST, "--cache=never"},
        {VMB_FSCACHE_NEVER, VMB_VIRTIOFSD_QEMU, "cache=none"},
        {VMB_FSCACHE_ALWAYS, VMB_VIRTIOFSD_QEMU, "cache=always"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg.guest.virtio_fs_cache = cases[i].mode;
        char **argv = NULL;
        cr_assert_eq(vmb_virtiofsd_argv(&cfg, cases[i].flavour, "/d", "/s", 3,
                                        false, &argv, NULL),
                     0);
        autofree char *line = vmb_virtiofsd_argv_line(argv);
        cr_assert_not_null(strstr(line, cases[i].want), "%s", line);
        /* No syslog daemon to log to: the daemon's stderr instead. */
        cr_assert_null(strstr(line, "--syslog"), "%s", line);
        vmb_virtiofsd_argv_free(argv);
    }
}

/* Libvirt's <binary> for a node on another host: Kata's defaults say
 * one thread and the daemon's own cache; a word it cannot say is refused,
 * naming it. */
Test(virtiofsd_args, libvirt_binary)
{
    struct vmb_virtiofsd_libvirt lv;
    cr_assert_eq(vmb_virtiofsd_libvirt(&cfg, &lv, NULL), 0);
    cr_assert_null(lv.cache);
    cr_assert_eq(lv.threads, 1);
    cr_assert_not(lv.xattr);
    cr_assert_null(lv.sandbox);
    cfg.guest.virtio_fs_cache = VMB_FSCACHE_NEVER;
    free(cfg.guest.virtio_fs_extra_args);
    cfg.guest.virtio_fs_extra_args = vmb_xstrdup("-o xattr --sandbox=chroot");
    cr_assert_eq(vmb_virtiofsd_libvirt(&cfg, &lv, NULL), 0);
    cr_assert_str_eq(lv.cache, "none");
    cr_assert_eq(lv.threads, -1);
    cr_assert(lv.xattr);
    cr_assert_str_eq(lv.sandbox, "chroot");
    const char *bad[] = {"--writeback", "--sandbox=none", "--fd=3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        free(cfg.guest.virtio_fs_extra_args);
        cfg.guest.virtio_fs_extra_args = vmb_xstrdup(bad[i]);
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_virtiofsd_libvirt(&cfg, &lv, &err), 0, "%s", bad[i]);
        cr_assert(vmb_str_has_prefix(err->msg, "virtio_fs_extra_args: "), "%s",
                  err->msg);
        cr_assert(strstr(err->msg, bad[i]), "%s", err->msg);
        vmb_error_free(err);
    }
}

Test(virtiofsd_args, flavour_of_help)
{
    cr_assert_eq(vmb_virtiofsd_flavour_of_help(
                     "Usage: virtiofsd [OPTIONS] --shared-dir <SHARED_DIR>"),
                 VMB_VIRTIOFSD_RUST);
    cr_assert_eq(vmb_virtiofsd_flavour_of_help(
                     "    -o source=PATH             shared directory tree"),
                 VMB_VIRTIOFSD_QEMU);
    cr_assert_eq(vmb_virtiofsd_flavour_of_help("usage: cat [FILE]"),
                 VMB_VIRTIOFSD_UNKNOWN);
    cr_assert_eq(vmb_virtiofsd_flavour_of_help(NULL), VMB_VIRTIOFSD_UNKNOWN);
    char **argv = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_virtiofsd_argv(&cfg, VMB_VIRTIOFSD_UNKNOWN, "/bin/cat",
                                    "/s", 3, true, &argv, &err),
                 -1);
    cr_assert_not_null(strstr(err->msg, "\"/bin/cat\" is no virtiofsd"));
    vmb_error_free(err);
}

/* The check the matrix makes whatever the daemon: Kata's words pass,
 * those no virtiofsd takes do not. */
Test(virtiofsd_args, check_is_flavour_free)
{
    cr_assert_eq(vmb_virtiofsd_args_check("--sandbox=none --seccomp=none "
                                          "--inode-file-handles",
                                          NULL),
                 0);
    cr_assert_eq(vmb_virtiofsd_args_check(NULL, NULL), 0);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_virtiofsd_args_check("--writeback --bogus", &err), -1);
    cr_assert_not_null(strstr(err->msg, "\"--bogus\""), "%s", err->msg);
    vmb_error_free(err);
}
