#include "runtime/hostcpu.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

const char *const vmb_cpu_class_name[VMB_CPU_NCLASS] = {VMB_CPU_CLASS_NAMES};

enum vmb_cpu_class
vmb_cpu_classify_thread(const char *comm, bool main_thread)
{
    if (main_thread)
        return VMB_CPU_QEMU_MAIN;
    if (strncmp(comm, "CPU ", 4) == 0 || strncmp(comm, "ALL CPUs/", 9) == 0)
        return VMB_CPU_VCPU;
    /* QEMU names IOThreads "IO <id>"; its own monitor thread is "IO
     * mon_iothread", which serves no device. */
    if (strncmp(comm, "IO ", 3) == 0 && strcmp(comm, "IO mon_iothread") != 0)
        return VMB_CPU_IOTHREADS;
    if (strncmp(comm, "vhost-", 6) == 0)
        return VMB_CPU_VHOST;
    return VMB_CPU_QEMU_OTHER;
}

int
vmb_cpu_parse_stat(const char *text, char *comm, size_t size, bool children,
                   uint64_t *ticks)
{
    /* The name may hold spaces and parentheses: it ends at the last ')'. */
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (open == NULL || close == NULL || close < open || close[1] != ' ')
        return -1;
    if (comm != NULL && size > 0) {
        size_t n = (size_t)(close - open - 1);
        if (n >= size)
            n = size - 1;
        memcpy(comm, open + 1, n);
        comm[n] = '\0';
    }
    unsigned long long ut, st, cut, cst;
    /* Fields 3.. after the name: state ppid pgrp session tty tpgid flags
     * minflt cminflt majflt cmajflt utime stime cutime cstime. */
    if (sscanf(close + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu "
               "%llu",
               &ut, &st, &cut, &cst) != 4)
        return -1;
    *ticks = ut + st + (children ? cut + cst : 0);
    return 0;
}

static uint64_t
ticks_us(uint64_t ticks)
{
    static long hz;
    if (hz <= 0)
        hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    return ticks * 1000000ull / (uint64_t)hz;
}

/* Reads <path>/stat; -1 when gone or malformed. */
static int
read_stat(const char *path, char *comm, size_t size, bool children,
          uint64_t *ticks)
{
    autofree char *file = vmb_xasprintf("%s/stat", path);
    autofree char *text = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(file, &text, NULL, &e) < 0)
        return -1;
    return vmb_cpu_parse_stat(text, comm, size, children, ticks);
}

static bool
all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whether the NUL-separated command line of process dir holds tag. */
static bool
cmdline_has(const char *dir, const char *tag)
{
    autofree char *file = vmb_xasprintf("%s/cmdline", dir);
    autofree char *text = NULL;
    size_t len = 0;
    vmb_autoerr struct vmb_error *e = NULL;
    if (tag == NULL || tag[0] == '\0' ||
        vmb_read_file(file, &text, &len, &e) < 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    return strstr(text, tag) != NULL;
}

int
vmb_cpu_read_qemu(const char *proc, int pid, const char *tag,
                  struct vmb_cpu_split *out)
{
    autofree char *tasks = vmb_xasprintf("%s/%d/task", proc, pid);
    DIR *d = opendir(tasks);
    if (d == NULL)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!all_digits(de->d_name))
            continue;
        autofree char *path = vmb_xasprintf("%s/%s", tasks, de->d_name);
        char comm[64];
        uint64_t ticks;
        if (read_stat(path, comm, sizeof(comm), false, &ticks) < 0)
            continue;
        enum vmb_cpu_class c =
            vmb_cpu_classify_thread(comm, atoi(de->d_name) == pid);
        out->us[c] += ticks_us(ticks);
        out->threads[c]++;
    }
    closedir(d);
    /* Helpers outside the process: vhost kernel threads, virtiofsd. */
    char vhost[32];
    snprintf(vhost, sizeof(vhost), "vhost-%d", pid);
    d = opendir(proc);
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (!all_digits(de->d_name) || atoi(de->d_name) == pid)
            continue;
        autofree char *path = vmb_xasprintf("%s/%s", proc, de->d_name);
        char comm[64];
        uint64_t ticks;
        if (read_stat(path, comm, sizeof(comm), false, &ticks) < 0)
            continue;
        enum vmb_cpu_class c;
        if (strcmp(comm, vhost) == 0)
            c = VMB_CPU_VHOST;
        else if (strcmp(comm, "virtiofsd") == 0 && cmdline_has(path, tag))
            c = VMB_CPU_VIRTIOFSD;
        else
            continue;
        /* virtiofsd's own threads are in its process figure. */
        if (c == VMB_CPU_VIRTIOFSD &&
            read_stat(path, NULL, 0, true, &ticks) < 0)
            continue;
        out->us[c] += ticks_us(ticks);
        out->threads[c]++;
    }
    closedir(d);
    return 0;
}

/* The parent of process dir (its stat's fourth field); -1 if unknown. */
static int
read_ppid(const char *dir)
{
    autofree char *file = vmb_xasprintf("%s/stat", dir);
    autofree char *text = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(file, &text, NULL, &e) < 0)
        return -1;
    const char *p = strrchr(text, ')');
    if (p == NULL || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
        return -1;
    return atoi(p + 4);
}

int
vmb_cpu_read_virtiofsd(const char *proc, int pid, struct vmb_cpu_split *out)
{
    autofree char *self = vmb_xasprintf("%s/%d", proc, pid);
    uint64_t ticks;
    if (read_stat(self, NULL, 0, true, &ticks) < 0)
        return -1;
    out->us[VMB_CPU_VIRTIOFSD] += ticks_us(ticks);
    out->threads[VMB_CPU_VIRTIOFSD]++;
    DIR *d = opendir(proc);
    if (d == NULL)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!all_digits(de->d_name) || atoi(de->d_name) == pid)
            continue;
        autofree char *path = vmb_xasprintf("%s/%s", proc, de->d_name);
        if (read_ppid(path) != pid ||
            read_stat(path, NULL, 0, true, &ticks) < 0)
            continue;
        out->us[VMB_CPU_VIRTIOFSD] += ticks_us(ticks);
        out->threads[VMB_CPU_VIRTIOFSD]++;
    }
    closedir(d);
    return 0;
}

int
vmb_cpu_read_process(const char *proc, int pid, uint64_t *us)
{
    autofree char *path = vmb_xasprintf("%s/%d", proc, pid);
    uint64_t ticks;
    if (read_stat(path, NULL, 0, true, &ticks) < 0)
        return -1;
    *us = ticks_us(ticks);
    return 0;
}
