/*
 * The host: settings against a fake host: a directory standing for the
 * root (sys/kernel/mm/ksm/..., transparent_hugepage/enabled as a choice
 * file) and a state directory for the journal and lock. Applying writes
 * the journal before any setting; restoring puts the originals back and
 * removes it; a journal left by a killed process is restored by the next
 * open; one whose lock is held is left alone and refuses a second
 * session; a journal that is not ours is refused, nothing written.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "runtime/hostset.h"

static char root[] = "/tmp/vmb-test-hostset-XXXXXX";
static char *state, *journal;
static struct vmb_hostset_where where;

static void
put(const char *rel, const char *text)
{
    char *path = vmb_xasprintf("%s/%s", root, rel);
    char *dir = vmb_xstrdup(path);
    *strrchr(dir, '/') = '\0';
    cr_assert_eq(vmb_mkdir_p(dir, NULL), 0, "%s", dir);
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), NULL), 0);
    free(dir);
    free(path);
}

static char *
get(const char *rel)
{
    char *path = vmb_xasprintf("%s/%s", root, rel);
    char *v = vmb_read_first_line(path);
    free(path);
    cr_assert_not_null(v, "%s", rel);
    return v;
}

static void
assert_value(const char *rel, const char *want)
{
    char *v = get(rel);
    cr_assert_str_eq(v, want, "%s", rel);
    free(v);
}

#define KSM "sys/kernel/mm/ksm/run"
#define SCAN "sys/kernel/mm/ksm/pages_to_scan"
#define THP "sys/kernel/mm/transparent_hugepage/enabled"

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(root));
    put(KSM, "0\n");
    put(SCAN, "100\n");
    put("sys/kernel/mm/ksm/sleep_millisecs", "20\n");
    put(THP, "always [madvise] never\n");
    state = vmb_xasprintf("%s/state", root);
    journal = vmb_xasprintf("%s/host-settings.journal", state);
    where = (struct vmb_hostset_where){.root = root, .state = state};
}

static void
teardown(void)
{
    vmb_rm_rf(root, NULL);
    free(state);
    free(journal);
}

TestSuite(hostset, .init = setup, .fini = teardown, .timeout = 30);

static struct vmb_config
cell(int ksm, int64_t scan, int thp)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.host.ksm = ksm;
    cfg.host.ksm_pages_to_scan = scan;
    cfg.host.thp = thp;
    return cfg;
}

static struct vmb_hostset *
open_ok(bool need)
{
    struct vmb_hostset *h = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_hostset_open(&where, need, "/results/x", NULL, &h, &err);
    cr_assert_eq(r, 0, "%s", err ? err->msg : "");
    return h;
}

Test(hostset, apply_journals_first_and_restore_puts_back)
{
    struct vmb_hostset *h = open_ok(true);
    struct vmb_config cfg = cell(VMB_HOST_KSM_ON, 500, VMB_HOST_THP_NEVER);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_hostset_apply(h, &cfg, &err), 0, "%s",
                 err ? err->msg : "");
    assert_value(KSM, "1");
    assert_value(SCAN, "500");
    assert_value(THP, "never");
    /* The originals, the process and the results directory; the knob
     * the cell keeps (sleep_millisecs) is not in it. */
    char *text = NULL;
    cr_assert_eq(vmb_read_file(journal, &text, NULL, NULL), 0);
    char *want =
        vmb_xasprintf("vmbench-host-settings 1\npid %ld\nresults "
                      "/results/x\nksm 0\nksm_pages_to_scan 100\nthp madvise\n",
                      (long)getpid());
    cr_assert_str_eq(text, want);
    free(want);
    free(text);
    cr_assert_eq(vmb_hostset_restore(h, &err), 0);
    assert_value(KSM, "0");
    assert_value(SCAN, "100");
    assert_value(THP, "madvise");
    cr_assert_neq(access(journal, F_OK), 0, "the journal outlived restore");
    vmb_hostset_free(h);
    vmb_config_free(&cfg);
}

/* What a run that never restores leaves (SIGKILL): free is not called,
 * the journal stays, the lock dies with the descriptor. The next open
 * restores, even one that changes nothing itself. */
Test(hostset, a_killed_holders_journal_is_restored_at_the_next_open)
{
    struct vmb_hostset *h = open_ok(true);
    struct vmb_config cfg = cell(VMB_HOST_KSM_ON, 0, VMB_HOST_THP_ALWAYS);
    cr_assert_eq(vmb_hostset_apply(h, &cfg, NULL), 0);
    assert_value(THP, "always");
    char *lock = vmb_xasprintf("%s/host-settings.lock", state);
    /* Kill: drop the lock as the kernel would, without restoring. */
    int fd = open(lock, O_RDWR);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), -1, "the lock was not held");
    close(fd);
    free(lock);
    cr_assert_eq(access(journal, F_OK), 0);
    /* What free would do, minus the restore: a copy of the journal is
     * put back after free so the state is a killed process's. */
    char *text = NULL;
    cr_assert_eq(vmb_read_file(journal, &text, NULL, NULL), 0);
    vmb_hostset_free(h);
    assert_value(KSM, "0");
    put(KSM, "1\n");
    put(THP, "[always] madvise never\n");
    cr_assert_eq(vmb_write_file_atomic(journal, text, strlen(text), NULL), 0);
    free(text);
    struct vmb_hostset *next = open_ok(false);
    cr_assert_null(next);
    assert_value(KSM, "0");
    assert_value(THP, "madvise");
    cr_assert_neq(access(journal, F_OK), 0);
    vmb_config_free(&cfg);
}

/* A holder killed while it was starting a server: the child it had
 * forked keeps the lock's descriptor until its exec or exit. The next
 * open waits for that moment and restores, rather than calling the dead
 * holder live. */
Test(hostset, a_dead_holders_child_delays_the_restore_but_does_not_stop_it)
{
    pid_t dead = fork();
    cr_assert_geq(dead, 0);
    if (dead == 0)
        _exit(0);
    cr_assert_eq(waitpid(dead, NULL, 0), dead);
    char *text = vmb_xasprintf("vmbench-host-settings 1\npid %ld\n"
                               "results /r\nksm 0\n",
                               (long)dead);
    cr_assert_eq(vmb_mkdir_p(state, NULL), 0);
    put(KSM, "1\n");
    cr_assert_eq(vmb_write_file_atomic(journal, text, strlen(text), NULL), 0);
    free(text);
    char *lock = vmb_xasprintf("%s/host-settings.lock", state);
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    free(lock);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        usleep(300 * 1000);
        _exit(0);
    }
    close(fd);
    struct vmb_hostset *h = open_ok(false);
    cr_assert_null(h);
    assert_value(KSM, "0");
    cr_assert_neq(access(journal, F_OK), 0);
    cr_assert_eq(waitpid(child, NULL, 0), child);
}

/* A journal whose lock is held belongs to a live vmbench: a session
 * that changes nothing leaves it alone, one that would change settings
 * is refused, naming the holder. */
Test(hostset, a_live_holder_is_left_alone_and_refuses_a_second)
{
    struct vmb_hostset *h = open_ok(true);
    struct vmb_config cfg = cell(VMB_HOST_KSM_ON, 0, VMB_HOST_THP_KEEP);
    cr_assert_eq(vmb_hostset_apply(h, &cfg, NULL), 0);
    struct vmb_hostset *other = open_ok(false);
    cr_assert_null(other);
    assert_value(KSM, "1");
    cr_assert_eq(access(journal, F_OK), 0);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_hostset_open(&where, true, "/r2", NULL, &other, &err), 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *pid =
        vmb_xasprintf("process %ld (results \"/results/x\")", (long)getpid());
    cr_assert_not_null(strstr(err->msg, pid), "%s", err->msg);
    free(pid);
    vmb_error_free(err);
    vmb_hostset_free(h);
    assert_value(KSM, "0");
    vmb_config_free(&cfg);
}

/* A journal is untrusted: a path or value outside the table is refused
 * and nothing is written; the journal stays for the user to look at. */
Test(hostset, a_journal_that_is_not_ours_is_refused)
{
    static const char *const bad[] = {
        "vmbench-host-settings 1\npid 1\nresults /r\n"
        "/etc/passwd root\n",
        "vmbench-host-settings 1\npid 1\nresults /r\nthp [always]\n",
        "vmbench-host-settings 1\npid 1\nresults /r\nksm 7\n",
        "vmbench-host-settings 1\npid 1\nksm 0",
        "something else\nksm 0\n",
    };
    cr_assert_eq(vmb_mkdir_p(state, NULL), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put(KSM, "1\n");
        cr_assert_eq(
            vmb_write_file_atomic(journal, bad[i], strlen(bad[i]), NULL), 0);
        struct vmb_hostset *h = NULL;
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_hostset_open(&where, false, NULL, NULL, &h, &err), 0,
                     "journal %zu", i);
        cr_assert_eq(err->kind, VMB_ERR_INPUT, "%s", err->msg);
        cr_assert_not_null(strstr(err->msg, journal), "%s", err->msg);
        vmb_error_free(err);
        assert_value(KSM, "1");
        cr_assert_eq(access(journal, F_OK), 0);
    }
}

/* The journal's place is untrusted too: a FIFO there (whose open would
 * wait for a writer forever), a symlink (to a journal elsewhere, which
 * would be obeyed and then removed) and a file past the size limit are
 * refused at once, nothing written and nothing removed. */
Test(hostset, a_journal_that_is_not_a_small_regular_file_is_refused,
     .timeout = 10)
{
    static const char good[] =
        "vmbench-host-settings 1\npid 1\nresults /r\nksm 0\n";
    char *elsewhere = vmb_xasprintf("%s/elsewhere", root);
    cr_assert_eq(vmb_write_file_atomic(elsewhere, good, strlen(good), NULL), 0);
    char *big = vmb_xcalloc(1, 8192);
    memset(big, '#', 8191);
    memcpy(big, good, strlen(good));
    cr_assert_eq(vmb_mkdir_p(state, NULL), 0);
    for (int i = 0; i < 3; i++) {
        put(KSM, "1\n");
        unlink(journal);
        if (i == 0)
            cr_assert_eq(mkfifo(journal, 0600), 0);
        else if (i == 1)
            cr_assert_eq(symlink(elsewhere, journal), 0);
        else
            cr_assert_eq(vmb_write_file_atomic(journal, big, strlen(big), NULL),
                         0);
        for (int need = 0; need < 2; need++) {
            struct vmb_hostset *h = NULL;
            struct vmb_error *err = NULL;
            cr_assert_lt(vmb_hostset_open(&where, need, "/r2", NULL, &h, &err),
                         0, "case %d", i);
            cr_assert_eq(err->kind, VMB_ERR_INPUT, "%s", err->msg);
            cr_assert_not_null(strstr(err->msg, journal), "%s", err->msg);
            vmb_error_free(err);
            cr_assert_null(h);
        }
        assert_value(KSM, "1");
        struct stat st;
        cr_assert_eq(lstat(journal, &st), 0, "case %d", i);
        cr_assert_eq(access(elsewhere, F_OK), 0);
    }
    free(big);
    free(elsewhere);
}

static void
keep_note(void *ctx, const char *msg)
{
    char **out = ctx;
    free(*out);
    *out = vmb_xstrdup(msg);
}

/* The note that says what a killed run's journal restored names its
 * results directory, from the journal: escape sequences there are shown
 * escaped, not sent to the terminal. */
Test(hostset, a_restored_journals_words_reach_the_terminal_escaped)
{
    static const char text[] = "vmbench-host-settings 1\npid 1\n"
                               "results /r\x1b]0;owned\x07\x1b[2J\nksm 0\n";
    cr_assert_eq(vmb_mkdir_p(state, NULL), 0);
    put(KSM, "1\n");
    cr_assert_eq(vmb_write_file_atomic(journal, text, strlen(text), NULL), 0);
    char *said = NULL;
    struct vmb_notes notes = {keep_note, &said};
    struct vmb_hostset *h = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_hostset_open(&where, false, NULL, &notes, &h, &err), 0,
                 "%s", err ? err->msg : "");
    assert_value(KSM, "0");
    cr_assert_not_null(said);
    cr_assert_null(strchr(said, 0x1b), "%s", said);
    cr_assert_not_null(strstr(said, "\"/r\\x1b]0;owned\\x07"), "%s", said);
    free(said);
}

/* A session without host: settings and no journal touches nothing: not
 * even the state directory is made. */
Test(hostset, nothing_to_do_touches_nothing)
{
    struct vmb_hostset *h = open_ok(false);
    cr_assert_null(h);
    cr_assert_neq(access(state, F_OK), 0);
    struct vmb_config cfg = cell(VMB_HOST_KSM_KEEP, 0, VMB_HOST_THP_KEEP);
    h = open_ok(true);
    cr_assert_eq(vmb_hostset_apply(h, &cfg, NULL), 0);
    cr_assert_neq(access(journal, F_OK), 0);
    vmb_hostset_free(h);
    vmb_config_free(&cfg);
}
