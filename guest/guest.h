/*
 * What the files of the guest agent share; not used outside guest/.
 *
 *   agent.c     main: boot in order, then serve the host (the protocol
 *               loop, dispatch of requests); uses all below
 *   requests.c  one function per request verb; uses reply.c, proc.c,
 *               boot.c's state, util.c
 *   reply.c     writing lines to the host: replies and the hello; uses
 *               boot.c's state
 *   proc.c      processes: start one chrooted in the container, reap,
 *               remember the status of those spawned
 *   boot.c      the state, the kernel command line, modules, network,
 *               mounts, and power off; uses util.c
 *   probe.c     measuring the guest: raw limits (base/rawprobe.c), the
 *               compute loop, CPU and disk counters; uses reply.c, util.c
 *   util.c      the console log, clocks, small files
 *
 * No two files depend on each other both ways.
 */
#ifndef VMB_GUEST_H
#define VMB_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vm/agent_wire.h"

/* The container root and its data directory, as the agent sees them. */
/* A test of the request handlers serves a directory of its own. */
#ifndef VMB_GUEST_ROOT
#define VMB_GUEST_ROOT "/container"
#endif
#define VMB_GUEST_DATA VMB_GUEST_ROOT VMB_AGENT_DATA_DIR
/* Where the share is mounted when the container root comes from it. */
#define VMB_GUEST_SHARE "/shared"
#define VMB_GUEST_DEFAULT_PATH                                                 \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What booting found and did, written while booting (main sets port
 * and sigfd), read when serving. Defined in boot.c. */
struct vmb_guest_state {
    /* from the kernel command line */
    char name[64];
    char ip[40];
    char gw[16]; /* default route's gateway; "": none */
    char storage[16];
    char root[16]; /* "" (the root disk), "9p" or "virtio-fs" */
    uint64_t msize;
    uint64_t tmpfs_size;
    char fs_cache[16];
    char agent[16]; /* the agent's transport: "vsock", else virtio-serial */
    /* milestones, in microseconds of CLOCK_BOOTTIME */
    uint64_t t_start, t_modules, t_net, t_mounts;
    /* the first failure while booting, "" when none */
    char boot_error[512];
    /* the agent channel and the SIGCHLD signalfd */
    int port;
    int sigfd;
};

extern struct vmb_guest_state vmb_guest;

/* util.c */

/* One line on the console ("vmb-agent: ..."), the serial log the host
 * keeps; best effort. */
void vmb_guest_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t vmb_guest_boot_us(void); /* CLOCK_BOOTTIME */
uint64_t vmb_guest_mono_us(void); /* CLOCK_MONOTONIC */
void vmb_guest_sleep_us(uint64_t us);
/* Reads a small file into buf, NUL-terminated, trailing newlines and
 * spaces cut; -1 with errno. */
ssize_t vmb_guest_read_small(const char *path, char *buf, size_t len);

/* boot.c */

/* Says the message and keeps it as the boot error if it is the first. */
void vmb_guest_boot_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Creates dst and mounts; a failure is a boot error. */
void vmb_guest_mount_or_fail(const char *src, const char *dst, const char *type,
                             unsigned long flags, const char *opts);
void vmb_guest_parse_cmdline(void);
void vmb_guest_load_modules(void);
void vmb_guest_setup_network(void);
void vmb_guest_setup_mounts(void);
/* The /dev path of the virtio-serial port named name, waiting for it to
 * appear; false when it did not. */
bool vmb_guest_find_channel(const char *name, char *out, size_t len);
/* TERM to every process, KILL after a grace period, sync, unmount,
 * power off. Does not return. */
void vmb_guest_power_off(void) __attribute__((noreturn));

/* proc.c */

struct vmb_guest_proc {
    pid_t pid;
    int state; /* 0 running, 1 exited, 2 signaled */
    int code;
};

struct vmb_wire_msg;

/* A process spawned earlier, or NULL. */
struct vmb_guest_proc *vmb_guest_proc_find(pid_t pid);
/* Remembers pid as spawned, to answer status and kill. */
void vmb_guest_proc_add(pid_t pid);
/* Reaps every exited child, keeping the status of those spawned. */
void vmb_guest_reap(void);
/*
 * Forks a process chrooted in the container from a spawn or exec request
 * (argv, env, cwd, log). out_fd: where stdout and stderr go (-1: log, or
 * /dev/null). Returns its pid, or -1 with what went wrong in why.
 */
pid_t vmb_guest_start_process(const struct vmb_wire_msg *m, int out_fd,
                              char *why, size_t why_len);

/* reply.c */

struct vmb_wire_line;

/* Ends l, sends it to the host and frees it. */
void vmb_guest_send_line(struct vmb_wire_line *l);
/* Begins "ok id=ID". */
void vmb_guest_reply_begin(struct vmb_wire_line *l, const char *id);
/* Sends "err id=ID msg=...". */
void vmb_guest_reply_err(const char *id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sends the hello: name, kernel, boot milestones, the boot error. */
void vmb_guest_send_hello(void);

/* requests.c: each answers one request with id. */

void vmb_guest_req_facts(const char *id);
void vmb_guest_req_spawn(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_status(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_kill(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_exec(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_fetch(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_write(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_tcpcheck(const char *id, const struct vmb_wire_msg *m);

/* probe.c: the raw limits of the data directory, the compute loop, and
 * the guest's CPU and data-device counters. */
void vmb_guest_req_probe(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_spin(const char *id, const struct vmb_wire_msg *m);
void vmb_guest_req_counters(const char *id);

#endif
