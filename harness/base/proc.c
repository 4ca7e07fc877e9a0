#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "base/util.h"

/* State, parent and start time of /proc/<pid>/stat; -1 when unreadable. */
static int
read_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    autofree char *text = NULL;
    if (vmb_read_file(path, &text, NULL, NULL) < 0)
        return -1;
    /* The name may hold spaces and parentheses: fields follow the last
     * ')'. */
    const char *p = strrchr(text, ')');
    if (p == NULL || p[1] != ' ')
        return -1;
    p += 2;
    *state = *p;
    /* Fields 3 (state) to 22 (starttime): 19 spaces on. */
    const char *f = p;
    for (int i = 0; i < 19 && f; i++) {
        f = strchr(f, ' ');
        if (f)
            f++;
        if (i == 0 && f)
            *ppid = (pid_t)strtol(f, NULL, 10);
    }
    if (f == NULL)
        return -1;
    *start = strtoull(f, NULL, 10);
    return 0;
}

unsigned long long
vmb_proc_start(pid_t pid)
{
    char state = 0;
    pid_t ppid = 0;
    unsigned long long start = 0;
    if (pid <= 0 || read_stat(pid, &state, &ppid, &start) < 0 || state == 'Z' ||
        state == 'X')
        return 0;
    return start;
}

bool
vmb_proc_alive(pid_t pid, unsigned long long start)
{
    return start != 0 && vmb_proc_start(pid) == start;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to ms for pid to be gone (reaping it if it is our child). */
static bool
gone_within(pid_t pid, unsigned long long start, int ms)
{
    for (int waited = 0;; waited += 10) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || !vmb_proc_alive(pid, start))
            return true;
        if (waited >= ms)
            return false;
        sleep_ms(10);
    }
}

bool
vmb_proc_wait_or_kill(pid_t pid, uint64_t timeout_us, int *status)
{
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000ull;
    while (!vmb_interrupted && vmb_now_ns() < deadline) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        sleep_ms(20);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, status, 0);
    return false;
}

#define MAX_KIDS 16

int
vmb_proc_stop(pid_t pid, unsigned long long start, int grace_ms)
{
    if (!vmb_proc_alive(pid, start)) {
        waitpid(pid, NULL, WNOHANG);
        return 0;
    }
    /* A sandboxing daemon's worker is its child (virtiofsd's namespace
     * sandbox): noted now, while it still has its parent. */
    pid_t kids[MAX_KIDS];
    unsigned long long kid_start[MAX_KIDS];
    size_t nkids = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && nkids < MAX_KIDS && (e = readdir(d)) != NULL) {
        char *end = NULL;
        long k = strtol(e->d_name, &end, 10);
        char state;
        pid_t ppid = 0;
        unsigned long long ks;
        if (k <= 0 || *end != '\0' ||
            read_stat((pid_t)k, &state, &ppid, &ks) < 0 || ppid != pid)
            continue;
        kids[nkids] = (pid_t)k;
        kid_start[nkids++] = ks;
    }
    if (d)
        closedir(d);
    kill(pid, SIGTERM);
    if (!gone_within(pid, start, grace_ms)) {
        kill(pid, SIGKILL);
        gone_within(pid, start, 1000);
    }
    int rc = vmb_proc_alive(pid, start) ? -1 : 0;
    for (size_t i = 0; i < nkids; i++) {
        if (!vmb_proc_alive(kids[i], kid_start[i]))
            continue;
        kill(kids[i], SIGKILL);
        for (int waited = 0;
             waited < 1000 && vmb_proc_alive(kids[i], kid_start[i]);
             waited += 10)
            sleep_ms(10);
        if (vmb_proc_alive(kids[i], kid_start[i]))
            rc = -1;
    }
    return rc;
}

unsigned long long
vmb_proc_pid_ns(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino
                                               : 0;
}

int
vmb_proc_each_pidfile(const char *root, const char *suffix, bool first_only,
                      int (*fn)(const char *dir, const char *path, void *ctx),
                      void *ctx)
{
    DIR *top = opendir(root);
    if (top == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(top)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        autofree char *dir = vmb_xasprintf("%s/%s", root, e->d_name);
        DIR *d = opendir(dir);
        if (d == NULL)
            continue;
        struct dirent *f;
        while ((f = readdir(d)) != NULL) {
            if (!vmb_str_has_suffix(f->d_name, suffix))
                continue;
            autofree char *path = vmb_xasprintf("%s/%s", dir, f->d_name);
            int k = fn(dir, path, ctx);
            n += k;
            if (k != 0 && first_only)
                break;
        }
        closedir(d);
    }
    closedir(top);
    return n;
}
