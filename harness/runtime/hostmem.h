/*
 * What a node costs in memory, read from a /proc tree (the real /proc, or
 * a fixture in the tests) and from the guest's own /proc/meminfo: the
 * resident and proportional set size of a process (smaps_rollup; PSS
 * divides each shared page among the processes that map it, so the PSS
 * of every process on a host adds up to what they use together), of the
 * virtiofsd processes that serve a VM, and the guest's view.
 *
 * Every figure is in bytes; NAN where it could not be read.
 */
#ifndef VMB_RUNTIME_HOSTMEM_H
#define VMB_RUNTIME_HOSTMEM_H

#include <stdint.h>

#include "runtime/record.h"

/* All NAN but the helpers (0). */
void vmb_mem_node_init(struct vmb_mem_node *n);

/* Rss and Pss of smaps_rollup text; -1 when either is missing. */
int vmb_mem_parse_rollup(const char *text, double *rss, double *pss);

/* Rss and Pss of process pid under proc; -1 when unreadable. */
int vmb_mem_read_process(const char *proc, int pid, double *rss, double *pss);

/* The sums over the virtiofsd processes under proc whose command line
 * holds tag; 0 and 0 when there is none. */
void vmb_mem_read_virtiofsd(const char *proc, const char *tag, double *rss,
                            double *pss);

/* The guest fields of n from /proc/meminfo text; -1 when MemTotal or
 * MemFree is missing. */
int vmb_mem_parse_meminfo(const char *text, struct vmb_mem_node *n);

#endif
