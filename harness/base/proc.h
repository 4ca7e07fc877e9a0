/*
 * Processes by id and start time, for the helpers vmbench starts itself
 * (virtiofsd): a pid alone may name another process once the first has
 * gone, so each is known by its pid and its start time together.
 */
#ifndef VMB_PROC_H
#define VMB_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The start time of process pid (field 22 of /proc/<pid>/stat, clock
 * ticks after boot); 0 when it is gone or a zombie.
 */
unsigned long long vmb_proc_start(pid_t pid);

/* Whether process pid runs and started at start. */
bool vmb_proc_alive(pid_t pid, unsigned long long start);

/*
 * Stops process pid if it is still the one that started at start: its
 * children as they are now are noted, pid gets SIGTERM, then SIGKILL
 * after grace_ms; the children still running after that get SIGKILL.
 * Reaps pid when it is this process's child. Waits at most grace_ms +
 * 2 s in all. Returns 0 when nothing of it runs any more, -1 otherwise.
 */
int vmb_proc_stop(pid_t pid, unsigned long long start, int grace_ms);

/*
 * Waits up to timeout_us for the child pid, leader of its own process
 * group, to exit (an interrupt ends the wait too); else kills its group
 * and reaps it. True when it exited by itself; *status is its wait
 * status.
 */
bool vmb_proc_wait_or_kill(pid_t pid, uint64_t timeout_us, int *status);

/*
 * The pid namespace of this process (its inode), written into pid files
 * so that another namespace's pids are never taken for this one's; 0
 * when it cannot be read.
 */
unsigned long long vmb_proc_pid_ns(void);

/*
 * The pid files a run leaves in its directories: calls fn(dir, path,
 * ctx) for each file whose name ends in suffix in each directory right
 * under root (hidden ones skipped), and returns the sum of what fn
 * returned. With first_only, a directory's walk ends at fn's first
 * nonzero return (fn removed the directory). 0 when root cannot be read.
 */
int vmb_proc_each_pidfile(const char *root, const char *suffix, bool first_only,
                          int (*fn)(const char *dir, const char *path,
                                    void *ctx),
                          void *ctx);

#endif
