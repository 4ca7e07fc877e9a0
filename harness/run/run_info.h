/*
 * Provenance of a results directory (run.json): the host, the versions of
 * what ran, and a few helpers `vmbench run` shares between its files.
 */
#ifndef VMB_RUN_INFO_H
#define VMB_RUN_INFO_H

#include "base/jsonw.h"
#include "config/config.h"

/*
 * Writes the "host" and "versions" members of run.json into the open
 * object: hostname, CPU model, CPUs, memory, kernel, cpufreq governor,
 * THP; QEMU (emulator from cfg), libvirt, the database server. Facts that
 * cannot be read are null, never an error.
 */
void vmb_run_info_host(struct vmb_jw *w, const struct vmb_config *cfg);

/* First line of a command's output (stderr dropped), malloc'd; NULL if none. */
char *vmb_run_info_command_line(const char *cmd);

#endif
