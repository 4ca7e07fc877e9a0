#include "base/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

extern char **environ;

/* The last non-empty line of a tool's stderr says why it failed. */
static char *
last_line(struct vmb_buf *b)
{
    if (!b->data)
        return vmb_xstrdup("");
    size_t end = b->len;
    while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    return vmb_xasprintf("%.*s", (int)(end - start), b->data + start);
}

int
vmb_capture_run(const char *const argv[], char **out, size_t *len,
                struct vmb_error **err)
{
    int op[2] = {-1, -1}, ep[2] = {-1, -1};
    if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
        vmb_error_sys(err, "pipe for \"%s\"", argv[0]);
        goto fail_pipes;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    pid_t pid;
    int rc =
        posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(op[1]);
    close(ep[1]);
    op[1] = ep[1] = -1;
    if (rc != 0) {
        vmb_error_set(err, VMB_ERR_RUN, rc, "run \"%s\"", argv[0]);
        goto fail_pipes;
    }

    struct vmb_buf so = {0}, se = {0};
    struct pollfd p[2] = {{.fd = op[0], .events = POLLIN},
                          {.fd = ep[0], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[65536];
            ssize_t n = read(p[i].fd, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                p[i].fd = -1;
                open_fds--;
                continue;
            }
            vmb_buf_append(i == 0 ? &so : &se, chunk, (size_t)n);
        }
    }
    close(op[0]);
    close(ep[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *why = last_line(&se);
        if (WIFEXITED(st))
            vmb_error_set(err, VMB_ERR_RUN, 0,
                          "\"%s\" exited with status %d: %s", argv[0],
                          WEXITSTATUS(st), why);
        else
            vmb_error_set(err, VMB_ERR_RUN, 0, "\"%s\" died of signal %d",
                          argv[0], WTERMSIG(st));
        free(why);
        vmb_buf_free(&so);
        vmb_buf_free(&se);
        return -1;
    }
    vmb_buf_free(&se);
    if (len)
        *len = so.len;
    if (out)
        *out = vmb_buf_steal(&so);
    else
        vmb_buf_free(&so);
    return 0;

fail_pipes:
    for (int i = 0; i < 2; i++) {
        if (op[i] >= 0)
            close(op[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    return -1;
}
