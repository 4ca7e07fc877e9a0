/*
 * What the tests that start a real database server share: the user the
 * server runs as and a shell command run as that user. Header-only.
 */
#ifndef VMB_SERVER_TEST_HELPERS_H
#define VMB_SERVER_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

/* The user a server runs as: name (postgres, mysql) under root, else
 * ourselves. */
static inline void
th_server_user(const char *name, uid_t *uid, gid_t *gid)
{
    *uid = getuid();
    *gid = getgid();
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(name);
        cr_assert_not_null(pw, "no user %s (scripts/setup.sh)", name);
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    }
}

/* Runs a shell command as the server's user (see th_server_user); its
 * exit status. */
static inline int
th_server_sh(const char *name, const char *cmd)
{
    uid_t uid;
    gid_t gid;
    th_server_user(name, &uid, &gid);
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
            _exit(126);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif
