#include "runtime/hostmem.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void
vmb_mem_node_init(struct vmb_mem_node *n)
{
    *n = (struct vmb_mem_node){NAN, NAN, 0, 0, NAN, NAN, NAN};
}

/* The kB value of the line "key: N kB" in text; -1 when absent. */
static double
kb_field(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, key, klen) != 0 || p[klen] != ':')
            continue;
        char *end = NULL;
        double v = strtod(p + klen + 1, &end);
        if (end == p + klen + 1 || !(v >= 0))
            return -1;
        return v * 1024;
    }
    return -1;
}

int
vmb_mem_parse_rollup(const char *text, double *rss, double *pss)
{
    double r = kb_field(text, "Rss"), p = kb_field(text, "Pss");
    if (r < 0 || p < 0)
        return -1;
    *rss = r;
    *pss = p;
    return 0;
}

int
vmb_mem_read_process(const char *proc, int pid, double *rss, double *pss)
{
    if (pid <= 0)
        return -1;
    autofree char *path = vmb_xasprintf("%s/%d/smaps_rollup", proc, pid);
    autofree char *text = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(path, &text, NULL, &e) < 0)
        return -1;
    return vmb_mem_parse_rollup(text, rss, pss);
}

static bool
is_pid(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whether process dir is virtiofsd serving tag (its socket's path). */
static bool
virtiofsd_of(const char *dir, const char *tag)
{
    autofree char *cpath = vmb_xasprintf("%s/comm", dir);
    autofree char *comm = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file(cpath, &comm, NULL, &e) < 0 ||
        strncmp(comm, "virtiofsd", 9) != 0)
        return false;
    autofree char *lpath = vmb_xasprintf("%s/cmdline", dir);
    autofree char *line = NULL;
    size_t len = 0;
    if (vmb_read_file(lpath, &line, &len, &e) < 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\0')
            line[i] = ' ';
    return strstr(line, tag) != NULL;
}

void
vmb_mem_read_virtiofsd(const char *proc, const char *tag, double *rss,
                       double *pss)
{
    *rss = *pss = 0;
    DIR *d = opendir(proc);
    if (d == NULL || tag == NULL || tag[0] == '\0') {
        if (d != NULL)
            closedir(d);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_pid(de->d_name))
            continue;
        autofree char *dir = vmb_xasprintf("%s/%s", proc, de->d_name);
        double r, p;
        if (virtiofsd_of(dir, tag) &&
            vmb_mem_read_process(proc, atoi(de->d_name), &r, &p) == 0) {
            *rss += r;
            *pss += p;
        }
    }
    closedir(d);
}

int
vmb_mem_parse_meminfo(const char *text, struct vmb_mem_node *n)
{
    double total = kb_field(text, "MemTotal"), free = kb_field(text, "MemFree");
    if (total < 0 || free < 0)
        return -1;
    double buffers = fmax(kb_field(text, "Buffers"), 0);
    double cached = fmax(kb_field(text, "Cached"), 0);
    double srecl = fmax(kb_field(text, "SReclaimable"), 0);
    n->guest_total = total;
    n->guest_cache = buffers + cached;
    n->guest_used = fmax(total - free - buffers - cached - srecl, 0);
    return 0;
}
