/*
 * Host CPU time by thread class, read from a /proc tree (the real /proc,
 * or a fixture in the tests): the threads of a QEMU process split into
 * vCPUs, the main loop, IOThreads and the rest; the vhost workers and the
 * virtiofsd processes that serve it; any other process as a whole.
 *
 * A thread's class comes from its name (QEMU names its threads with
 * debug-threads=on, which libvirt sets): "CPU 0/KVM", "CPU 1/TCG" and
 * "ALL CPUs/TCG" are vCPUs, "IO <id>" IOThreads, "vhost-<pid>" vhost
 * workers (user threads of QEMU since Linux 6.4, kernel threads before),
 * the thread whose id is the process id the main loop; anything else is
 * one of QEMU's other threads (I/O workers, RCU, monitor).
 *
 * Times are microseconds of user plus system time, at the resolution of
 * the kernel's clock tick (usually 10 ms).
 */
#ifndef VMB_RUNTIME_HOSTCPU_H
#define VMB_RUNTIME_HOSTCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vmb_cpu_class {
    VMB_CPU_VCPU,
    VMB_CPU_QEMU_MAIN,
    VMB_CPU_IOTHREADS,
    VMB_CPU_QEMU_OTHER,
    VMB_CPU_VIRTIOFSD,
    VMB_CPU_VHOST,
    VMB_CPU_DB, /* a database process of the bare-metal control */
    VMB_CPU_NCLASS
};

/* The names in result.json and summary.csv, as designated initialisers:
 * vmb_cpu_class_name and the sample's counter names (sample.h) share them. */
#define VMB_CPU_CLASS_NAMES                                                    \
    [VMB_CPU_VCPU] = "vcpu", [VMB_CPU_QEMU_MAIN] = "qemu_main",                \
    [VMB_CPU_IOTHREADS] = "iothreads", [VMB_CPU_QEMU_OTHER] = "qemu_other",    \
    [VMB_CPU_VIRTIOFSD] = "virtiofsd", [VMB_CPU_VHOST] = "vhost",              \
    [VMB_CPU_DB] = "db"

extern const char *const vmb_cpu_class_name[VMB_CPU_NCLASS];

/* The class of one thread of a QEMU process from its name (comm). */
enum vmb_cpu_class vmb_cpu_classify_thread(const char *comm, bool main_thread);

struct vmb_cpu_split {
    uint64_t us[VMB_CPU_NCLASS];
    int threads[VMB_CPU_NCLASS]; /* how many threads or processes each */
};

/*
 * Adds the CPU time of QEMU process pid under proc ("/proc"), by class,
 * into *out: its threads, kernel threads named "vhost-<pid>", and
 * processes named "virtiofsd" whose command line holds tag (the domain's
 * name, which is in the socket path of a daemon libvirt started; NULL
 * for none). Threads that exit between
 * the listing and the read are skipped. Returns -1 when the process
 * cannot be read (gone), 0 otherwise.
 */
int vmb_cpu_read_qemu(const char *proc, int pid, const char *tag,
                      struct vmb_cpu_split *out);

/*
 * Adds the CPU time of the virtiofsd vmbench started, process pid under
 * proc, into out's virtiofsd class: its threads and reaped children, and
 * its live children (the worker QEMU's C daemon forks into its namespace
 * sandbox). Returns -1 when pid cannot be read (gone), 0 otherwise.
 */
int vmb_cpu_read_virtiofsd(const char *proc, int pid,
                           struct vmb_cpu_split *out);

/*
 * The CPU time of process pid under proc, its threads and reaped children
 * included, into *us. Returns -1 when it cannot be read.
 */
int vmb_cpu_read_process(const char *proc, int pid, uint64_t *us);

/*
 * Parses the text of a /proc/<pid>/stat file: the name between the
 * parentheses into comm (truncated to size) and utime + stime (+ cutime
 * + cstime when children) in clock ticks into *ticks. Returns -1 when
 * the text is not such a line.
 */
int vmb_cpu_parse_stat(const char *text, char *comm, size_t size, bool children,
                       uint64_t *ticks);

#endif
