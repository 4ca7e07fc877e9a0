#include "run/run_info.h"

#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/util.h"
#include "db/db.h"

char *
vmb_run_info_command_line(const char *cmd)
{
    autofree char *full = vmb_xasprintf("%s 2>/dev/null", cmd);
    FILE *p = popen(full, "r");
    if (p == NULL)
        return NULL;
    char line[512];
    char *out = NULL;
    if (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        out = vmb_xstrdup(line);
    }
    /* Drain, so the command does not die of SIGPIPE mid-write. */
    while (fgets(line, sizeof(line), p) != NULL)
        ;
    pclose(p);
    return out;
}

static char *
cpu_model(void)
{
    autofree char *info = NULL;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_read_file("/proc/cpuinfo", &info, NULL, &e) < 0)
        return NULL;
    const char *m = strstr(info, "model name");
    if (m == NULL)
        return NULL;
    m = strchr(m, ':');
    if (m == NULL)
        return NULL;
    m++;
    while (*m == ' ' || *m == '\t')
        m++;
    return vmb_xstrndup(m, strcspn(m, "\n"));
}

/* The version word after a prefix: "QEMU emulator version 7.2.19 (...)". */
static char *
version_after(const char *line, const char *prefix)
{
    const char *p = line ? strstr(line, prefix) : NULL;
    if (p == NULL)
        return line ? vmb_xstrdup(line) : NULL;
    p += strlen(prefix);
    return vmb_xstrndup(p, strcspn(p, " \n"));
}

void
vmb_run_info_host(struct vmb_jw *w, const struct vmb_config *cfg)
{
    struct utsname u;
    uname(&u);
    struct sysinfo si;
    sysinfo(&si);
    vmb_jw_key(w, "host");
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, "hostname", u.nodename);
    autofree char *cpu = cpu_model();
    vmb_jw_kstr(w, "cpu", cpu);
    vmb_jw_kint(w, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
    vmb_jw_kuint(w, "memory_bytes", (uint64_t)si.totalram * si.mem_unit);
    vmb_jw_kstr(w, "kernel", u.release);
    autofree char *gov = vmb_read_first_line(
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    vmb_jw_kstr(w, "cpufreq_governor", gov);
    autofree char *thp =
        vmb_read_sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled");
    vmb_jw_kstr(w, "thp", thp);
    vmb_jw_obj_end(w);

    vmb_jw_key(w, "versions");
    vmb_jw_obj_begin(w);
    autofree char *qcmd =
        vmb_xasprintf("'%s' --version", cfg->hypervisor.emulator);
    autofree char *qline = strchr(cfg->hypervisor.emulator, '\'')
                               ? NULL
                               : vmb_run_info_command_line(qcmd);
    autofree char *qemu = version_after(qline, "version ");
    vmb_jw_kstr(w, "qemu", qemu);
    autofree char *lline = vmb_run_info_command_line("libvirtd --version");
    autofree char *libvirt = version_after(lline, "(libvirt) ");
    vmb_jw_kstr(w, "libvirt", libvirt);
    const struct vmb_db_driver *drv = vmb_db_driver_find(cfg->database.engine);
    autofree char *db = drv ? drv->version() : NULL;
    vmb_jw_kstr(w, drv ? drv->name : "database", db);
    vmb_jw_obj_end(w);
}
