/*
 * Provenance of a results directory (run.json): the host, the versions of
 * what ran, gathered here for results/run_json.c to write; and a few
 * helpers `vmbench run` shares between its files.
 */
#ifndef VMB_RUN_INFO_H
#define VMB_RUN_INFO_H

#include "config/config.h"
#include "results/run_json.h"

/*
 * What run.json says of the host and of the versions of what ran:
 * hostname, CPU model, CPUs, memory, kernel, cpufreq governor, THP; QEMU
 * (the emulator of cfg), libvirt, the database server. Facts that cannot
 * be read are NULL, never an error. host and versions point into the
 * strings the struct owns.
 */
struct vmb_run_info {
    char *hostname, *cpu, *kernel, *governor, *thp, *ksm, *qemu, *libvirt, *db;
    long cpus;
    uint64_t memory_bytes;
    struct vmb_run_host host;
    struct vmb_run_version versions[3];
};

void vmb_run_info_gather(struct vmb_run_info *info,
                         const struct vmb_config *cfg);
void vmb_run_info_clear(struct vmb_run_info *info);

/* The doctor's checks as run.json holds them, in *out (malloc'd; the
 * strings are r's); returns how many. */
struct vmb_doctor_report;
size_t vmb_run_info_checks(const struct vmb_doctor_report *r,
                           struct vmb_run_check **out);

/* First line of a command's output (stderr dropped), malloc'd; NULL if none. */
char *vmb_run_info_command_line(const char *cmd);

#endif
