#include "run/run_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/util.h"
#include "db/db.h"
#include "runtime/doctor.h"

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
vmb_run_info_gather(struct vmb_run_info *info, const struct vmb_config *cfg)
{
    memset(info, 0, sizeof(*info));
    struct utsname u;
    uname(&u);
    struct sysinfo si;
    sysinfo(&si);
    info->hostname = vmb_xstrdup(u.nodename);
    info->cpu = cpu_model();
    info->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    info->memory_bytes = (uint64_t)si.totalram * si.mem_unit;
    info->kernel = vmb_xstrdup(u.release);
    info->governor = vmb_read_first_line(
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    info->thp =
        vmb_read_sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled");
    /* The host's own, as the session found it (a cell's host: settings
     * are in each result.json). */
    info->ksm = vmb_read_first_line("/sys/kernel/mm/ksm/run");

    autofree char *qcmd =
        vmb_xasprintf("'%s' --version", cfg->hypervisor.emulator);
    autofree char *qline = strchr(cfg->hypervisor.emulator, '\'')
                               ? NULL
                               : vmb_run_info_command_line(qcmd);
    info->qemu = version_after(qline, "version ");
    autofree char *lline = vmb_run_info_command_line("libvirtd --version");
    info->libvirt = version_after(lline, "(libvirt) ");
    const struct vmb_db_driver *drv = vmb_db_driver_find(cfg->database.engine);
    info->db = drv ? drv->version() : NULL;
    info->versions[0] = (struct vmb_run_version){"qemu", info->qemu};
    info->versions[1] = (struct vmb_run_version){"libvirt", info->libvirt};
    info->versions[2] =
        (struct vmb_run_version){drv ? drv->name : "database", info->db};
    info->host = (struct vmb_run_host){
        .hostname = info->hostname,
        .cpu = info->cpu,
        .kernel = info->kernel,
        .governor = info->governor,
        .thp = info->thp,
        .ksm = info->ksm,
        .cpus = info->cpus,
        .memory_bytes = info->memory_bytes,
    };
}

void
vmb_run_info_clear(struct vmb_run_info *info)
{
    free(info->hostname);
    free(info->cpu);
    free(info->kernel);
    free(info->governor);
    free(info->thp);
    free(info->ksm);
    free(info->qemu);
    free(info->libvirt);
    free(info->db);
    memset(info, 0, sizeof(*info));
}

size_t
vmb_run_info_checks(const struct vmb_doctor_report *r,
                    struct vmb_run_check **out)
{
    *out = vmb_xcalloc(r->n ? r->n : 1, sizeof(**out));
    for (size_t i = 0; i < r->n; i++) {
        const struct vmb_doctor_check *c = &r->checks[i];
        (*out)[i] = (struct vmb_run_check){
            .check = c->check,
            .status = vmb_doctor_status_name(c->status),
            .detail = c->detail,
            .fix = c->fix,
        };
    }
    return r->n;
}
