#include "runtime/runtime_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/util.h"

/* Is word one of the tokens of list, separated by any of seps? */
static bool
has_token(const char *list, const char *word, const char *seps)
{
    size_t wl = strlen(word);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, seps);
        if (n == wl && strncmp(p, word, wl) == 0)
            return true;
        p += n;
        if (*p)
            p++;
    }
    return false;
}

static int
write_small(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return w < 0 ? -1 : 0;
}

/*
 * This process's group directory for controller: the v2 hierarchy when it
 * offers the controller, else the v1 hierarchy that has it mounted.
 */
static char *
own_group_dir(const char *controller, int *version)
{
    autofree char *mountinfo = NULL;
    autofree char *self = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file("/proc/self/mountinfo", &mountinfo, NULL, &e) < 0 ||
        vmb_read_file("/proc/self/cgroup", &self, NULL, &e) < 0)
        return NULL;
    char *v1_dir = NULL, *v2_dir = NULL;
    char *save = NULL;
    for (char *line = strtok_r(mountinfo, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char root[512], mnt[512], fstype[64], super[512];
        /* id parent dev root mountpoint opts [optional...] - fstype src super
         */
        const char *dash = strstr(line, " - ");
        if (dash == NULL ||
            sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
            sscanf(dash + 3, "%63s %*s %511s", fstype, super) != 2)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        if (v2 && v2_dir == NULL) {
            autofree char *cpath = vmb_xasprintf("%s/cgroup.controllers", mnt);
            autofree char *ctrls = vmb_read_first_line(cpath);
            if (ctrls != NULL && has_token(ctrls, controller, " "))
                v2_dir = vmb_xstrdup(mnt);
        } else if (!v2 && strcmp(fstype, "cgroup") == 0 && v1_dir == NULL &&
                   has_token(super, controller, ",")) {
            v1_dir = vmb_xstrdup(mnt);
        }
    }
    char *mount = v2_dir ? v2_dir : v1_dir;
    *version = v2_dir ? 2 : v1_dir ? 1 : 0;
    if (mount == NULL)
        return NULL;
    if (v2_dir)
        free(v1_dir);
    else
        free(v2_dir);
    /* Our path in that hierarchy: "0::/p" (v2) or "N:a,b:/p" (v1). */
    const char *path = NULL;
    char *save2 = NULL;
    for (char *line = strtok_r(self, "\n", &save2); line != NULL;
         line = strtok_r(NULL, "\n", &save2)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        bool match =
            *version == 2 ? c1[1] == '\0' : has_token(c1 + 1, controller, ",");
        if (match) {
            path = c2 + 1;
            break;
        }
    }
    char *dir = vmb_xasprintf("%s%s", mount,
                              path && strcmp(path, "/") != 0 ? path : "");
    free(mount);
    return dir;
}

/* Removes groups left by vmbench processes that no longer exist. */
static void
remove_stale(const char *parent)
{
    DIR *d = opendir(parent);
    if (d == NULL)
        return;
    unsigned long long own_ns = vmb_proc_pid_ns();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid = 0;
        unsigned long long ns = 0;
        if (sscanf(de->d_name, "vmbench-%ld-ns%llu-", &pid, &ns) != 2 ||
            pid <= 0)
            continue;
        /* Another pid namespace's pid says nothing here: a vmbench in a
         * container beside this one may be making that group now. */
        if (ns != own_ns || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        autofree char *p = vmb_xasprintf("%s/%s", parent, de->d_name);
        rmdir(p);
    }
    closedir(d);
}

static void
note(struct vmb_buf *b, const char *what, int e)
{
    if (b->len > 0)
        vmb_buf_puts(b, "; ");
    vmb_buf_puts(b, what);
    if (e != 0)
        vmb_buf_printf(b, ": %s", strerror(e));
}

/* Makes <own group>/vmbench-<pid>-ns<pid namespace>-<tag> for controller;
 * NULL on failure. */
static char *
make_group(const char *controller, const char *tag, int *version,
           struct vmb_buf *notes)
{
    autofree char *parent = own_group_dir(controller, version);
    if (parent == NULL) {
        autofree char *what = vmb_xasprintf(
            "no cgroup hierarchy offers the %s controller", controller);
        note(notes, what, 0);
        return NULL;
    }
    remove_stale(parent);
    if (*version == 2) {
        /* v2 children only get a controller the parent hands down. */
        autofree char *sub = vmb_xasprintf("%s/cgroup.subtree_control", parent);
        autofree char *plus = vmb_xasprintf("+%s", controller);
        write_small(sub, plus);
    }
    char *dir = vmb_xasprintf("%s/vmbench-%ld-ns%llu-%s", parent,
                              (long)getpid(), vmb_proc_pid_ns(), tag);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        autofree char *what = vmb_xasprintf("create cgroup \"%s\"", dir);
        note(notes, what, errno);
        free(dir);
        return NULL;
    }
    return dir;
}

void
vmb_cgroup_create(const char *tag, const char *cpus, uint64_t memory_bytes,
                  struct vmb_cgroup *cg)
{
    memset(cg, 0, sizeof(*cg));
    struct vmb_buf notes = {0};
    if (cpus != NULL) {
        int v = 0;
        char *dir = make_group("cpuset", tag, &v, &notes);
        if (dir != NULL) {
            autofree char *pmems = NULL;
            if (v == 1) {
                /* v1 cpusets start empty and refuse tasks until filled. */
                autofree char *pm = vmb_xasprintf("%s/../cpuset.mems", dir);
                pmems = vmb_read_first_line(pm);
            }
            autofree char *cf = vmb_xasprintf("%s/cpuset.cpus", dir);
            autofree char *mf = vmb_xasprintf("%s/cpuset.mems", dir);
            if ((pmems != NULL && write_small(mf, pmems) < 0) ||
                write_small(cf, cpus) < 0) {
                autofree char *what =
                    vmb_xasprintf("set cpuset.cpus of \"%s\"", dir);
                note(&notes, what, errno);
                rmdir(dir);
                free(dir);
            } else {
                cg->cpuset_dir = dir;
                cg->cpuset_version = v;
            }
        }
    }
    if (memory_bytes > 0) {
        int v = 0;
        char *dir = make_group("memory", tag, &v, &notes);
        if (dir != NULL) {
            autofree char *f = vmb_xasprintf(
                "%s/%s", dir, v == 2 ? "memory.max" : "memory.limit_in_bytes");
            char val[32];
            snprintf(val, sizeof(val), "%" PRIu64, memory_bytes);
            if (write_small(f, val) < 0) {
                autofree char *what = vmb_xasprintf("write \"%s\"", f);
                note(&notes, what, errno);
                rmdir(dir);
                free(dir);
            } else {
                if (v == 2) {
                    /* Swap would let a capped node exceed what a VM has. */
                    autofree char *sw =
                        vmb_xasprintf("%s/memory.swap.max", dir);
                    write_small(sw, "0");
                }
                autofree char *back = vmb_read_first_line(f);
                cg->memory_max_bytes =
                    back ? strtoull(back, NULL, 10) : memory_bytes;
                cg->memory_dir = dir;
                cg->memory_version = v;
            }
        }
    }
    cg->notes = notes.len > 0 ? vmb_buf_steal(&notes) : NULL;
    vmb_buf_free(&notes);
}

static int
enter(const char *dir, const char *pid)
{
    char path[4096];
    size_t dl = strlen(dir);
    static const char procs[] = "/cgroup.procs";
    if (dl + sizeof(procs) > sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(path, dir, dl);
    memcpy(path + dl, procs, sizeof(procs));
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, pid, strlen(pid));
    int e = errno;
    close(fd);
    errno = e;
    return w < 0 ? -1 : 0;
}

int
vmb_cgroup_enter_self(const struct vmb_cgroup *cg)
{
    char pid[24];
    char rev[24];
    int n = 0;
    long p = (long)getpid();
    do {
        rev[n++] = (char)('0' + p % 10);
        p /= 10;
    } while (p > 0);
    for (int i = 0; i < n; i++)
        pid[i] = rev[n - 1 - i];
    pid[n] = '\0';
    if (cg->cpuset_dir != NULL && enter(cg->cpuset_dir, pid) < 0)
        return -1;
    if (cg->memory_dir != NULL && enter(cg->memory_dir, pid) < 0)
        return -1;
    return 0;
}

void
vmb_cgroup_remove(const struct vmb_cgroup *cg)
{
    if (cg->cpuset_dir != NULL)
        rmdir(cg->cpuset_dir);
    if (cg->memory_dir != NULL)
        rmdir(cg->memory_dir);
}

void
vmb_cgroup_destroy(struct vmb_cgroup *cg)
{
    vmb_cgroup_remove(cg);
    free(cg->cpuset_dir);
    free(cg->memory_dir);
    free(cg->notes);
    memset(cg, 0, sizeof(*cg));
}

const char *
vmb_cgroup_kind(const struct vmb_cgroup *cg)
{
    int a = cg->cpuset_version, b = cg->memory_version;
    if (a == 0 && b == 0)
        return "none";
    if ((a | b) == 3)
        return "v1+v2";
    return (a | b) == 2 ? "v2" : "v1";
}
