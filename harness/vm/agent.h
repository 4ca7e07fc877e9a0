/*
 * The host side of the guest agent: a client over the agent channel,
 * either the unix socket that the VM's virtio-serial port is exposed as
 * on the host, or a vsock connection to the guest's CID (Kata's agent
 * transport). Both carry the same protocol; only the connect differs.
 * Every request has a timeout; errors name the request.
 *
 * ---- Contract between the host (libvirt side) and the guest agent ----
 *
 * Described here; its names and limits (channel, serials, mount tag,
 * command line keys, module list, exec and fetch limits) are defined once,
 * in agent_wire.h, which the guest agent compiles in too.
 *
 * Kernel command line (read by the agent from /proc/cmdline):
 *   console=ttyS0 quiet       console for the serial log; quiet boots faster
 *   vmb.name=node1            the VM's name, echoed in hello and facts
 *   vmb.ip=A.B.C.D/N          static IPv4 address of eth0 (no gateway)
 *   vmb.gw=A.B.C.D            default route via this gateway (a node whose
 *                             peer is on another host's subnet); absent:
 *                             none
 *   vmb.storage=S             where the data directory lives, S one of
 *                             9p | virtio-fs | virtio-blk | local | tmpfs
 *                             (absent: no root disk expected, /container is
 *                             an empty directory of the initramfs)
 *   vmb.msize=BYTES           9p msize (default 512 KiB)
 *   vmb.tmpfs_size=BYTES      tmpfs size (default: the kernel's, half of RAM)
 *   vmb.fs_cache=C            9p cache mode (none|loose|fscache|mmap);
 *                             default none
 *   vmb.agent=vsock           the agent listens on vsock, not on the
 *                             virtio-serial port (absent: virtio-serial)
 *
 * Devices:
 *   - disks are virtio-blk, found by serial (/sys/block/vd* /serial):
 *     "vmbroot" the container root (ext4, a qcow2 overlay over the cached
 *     base image, read-write) and "vmbdata" the data volume (ext4,
 *     formatted by the host: vmb_image_data_volume_create) for virtio-blk;
 *   - 9p and virtio-fs share the host data directory with mount tag
 *     "vmbdata";
 *   - one virtio-net NIC, eth0 in the guest; lo is brought up too;
 *   - the agent channel is the virtio-serial port named
 *     "org.vmbench.agent.0" (VMB_AGENT_CHANNEL), or, with
 *     vmb.agent=vsock on the command line (VMB_AGENT_ARG_TRANSPORT), a
 *     vsock device: the agent then listens on vsock port 1024
 *     (VMB_AGENT_VSOCK_PORT, Kata's agent port) and serves one
 *     connection at a time, the newest.
 *
 * Guest layout: the container root is mounted at /container; the data
 * directory is /container/data, i.e. /data inside the container (local:
 * the directory of the root disk; tmpfs, 9p, virtio-fs, virtio-blk: the
 * respective mount there). proc, sys and dev are mounted inside the
 * container. Processes started by spawn/exec run chrooted in /container
 * as root; paths in requests are container paths.
 *
 * Protocol (wire format in agent_wire.h: "verb key=value ...", values
 * percent-encoded, one line each way):
 *   - Once booted (modules, network and mounts done, or failed), the
 *     agent sends an unsolicited
 *       hello v=1 name= kernel= agent_start_us= modules_loaded_us=
 *             net_up_us= mounts_done_us= [boot_error=]
 *     (times in microseconds since the guest kernel started,
 *     CLOCK_BOOTTIME) and repeats it every 200 ms, and whenever the host
 *     side (re)connects, until a request arrives. A "hello" request
 *     (which the host client sends every second while it waits) is
 *     answered with the same hello line.
 *   - Every request carries id=N; the agent answers "ok id=N ..." or
 *     "err id=N msg=..." with the same id. Responses to requests the host
 *     gave up on are discarded by id.
 *   - Requests:
 *       facts                 -> nproc mem_total_kib ram_kib dmi_product
 *                                kernel ip name
 *                                storage data_dir data_source data_fstype
 *                                root_source root_fstype
 *                                data_device (maj:min) data_st_dev
 *       spawn argv=.. [argv=..] [env=K=V ..] [cwd=] [log=PATH]
 *             [user=NAME [own=PATH]]
 *                             -> pid  (stdout+stderr appended to log,
 *                                else /dev/null; new session; as user,
 *                                from the container's /etc/passwd, after
 *                                giving it the directory own)
 *       status pid=           -> state=running|exited|signaled [code=]
 *       kill pid= signal=     -> ok
 *       exec argv=.. [env=..] [cwd=] [user= [own=]] timeout_ms=
 *                             -> state=exited|signaled|timeout code=
 *                                out= (stdout+stderr, at most 64 KiB)
 *                                truncated=0|1
 *       fetch path= [max=] [offset=]
 *                             -> size= offset= data= truncated=0|1: at
 *                                most max (<= 1 MiB) bytes from offset
 *                                (default 0); truncated: more follow
 *       write path= data= [mode=octal]
 *                             -> ok (fsynced, replaced atomically)
 *       tcpcheck host= port= timeout_ms= [send=]
 *                             -> connect_us= [reply=] (with send: the
 *                                first bytes that came back within the
 *                                timeout, at most 4 KiB)
 *       probe each_ms= file_bytes=
 *                             -> fsync_write_rate= fsync_write_p99_us=
 *                                seqwrite_mb_s= randread_iops=
 *                                randread_direct=0|1: the raw limits of
 *                                the data directory (base/rawprobe.h),
 *                                each probe each_ms long
 *       spin iters=           -> ns=: the compute loop of
 *                                vmb_rawprobe_spin, timed in the guest
 *       counters              -> hz= user= system= idle= iowait= steal=
 *                                cpus=
 *                                (the guest's /proc/stat, in hz ticks)
 *                                [disk_read_ops= disk_read_bytes=
 *                                disk_write_ops= disk_write_bytes=] (the
 *                                data directory's block device, when it
 *                                has one)
 *       sync                  -> ok
 *       shutdown              -> ok, then: TERM to every process, KILL
 *                                after 2 s, sync, unmount, power off
 *   Requests are served one at a time, in order: an exec holds the
 *   agent until its program ends or its timeout_ms passes. The agent is
 *   PID 1 and reaps every child; it remembers the exit status of
 *   processes it spawned.
 *
 * One client may be used from several threads (the run's and the
 * resource sampler's): its requests take turns, and the wait for another
 * thread's request counts against the caller's timeout.
 */
#ifndef VMB_AGENT_H
#define VMB_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vm/agent_wire.h" /* the contract's names and limits */

struct vmb_agent;

/* Boot milestones from the hello, in microseconds since guest kernel start. */
struct vmb_agent_hello {
    uint64_t agent_start_us;
    uint64_t modules_loaded_us;
    uint64_t net_up_us;
    uint64_t mounts_done_us;
    uint64_t host_ns; /* vmb_now_ns() when the hello arrived */
    char *name;       /* vmb.name */
    char *kernel;     /* uname -r */
    char *boot_error; /* what failed while booting; NULL when nothing */
};

/*
 * Connects to the agent channel's unix socket at sock_path and waits for
 * the hello, retrying the connection until the socket exists and accepts
 * (the VM may still be starting) — all within timeout_us. On success
 * *out owns the connection; free with vmb_agent_free. A hello carrying a
 * boot_error is still a success: the caller decides (it is in
 * vmb_agent_hello_info).
 */
int vmb_agent_connect(const char *sock_path, uint64_t timeout_us,
                      struct vmb_agent **out, struct vmb_error **err);

/*
 * The same over vsock: connects to port on the guest of CID cid, each
 * try non-blocking and bounded by what is left of timeout_us, dialling
 * again while the guest boots (its kernel resets or times out a connect
 * until the agent listens), then waits for the hello. A host whose
 * kernel has no vsock sockets fails at once, saying so.
 */
int vmb_agent_connect_vsock(uint32_t cid, uint32_t port, uint64_t timeout_us,
                            struct vmb_agent **out, struct vmb_error **err);

/*
 * The same over fd, a stream already connected to the agent's channel
 * (one end of a socketpair whose other end carries the channel's
 * libvirt stream); where names it in messages ("the agent channel of
 * domain \"vmb-ab12-2\""). Waits for the hello within timeout_us, asking
 * again every second while the guest has not opened its port yet. fd
 * is the client's from the call on: closed on failure, and by
 * vmb_agent_free.
 */
int vmb_agent_connect_fd(int fd, const char *where, uint64_t timeout_us,
                         struct vmb_agent **out, struct vmb_error **err);

/* The hello received by connect. Owned by a. */
const struct vmb_agent_hello *vmb_agent_hello_info(const struct vmb_agent *a);

/* NULL-safe; closes the connection (the guest keeps running). */
void vmb_agent_free(struct vmb_agent *a);

struct vmb_agent_facts {
    int nproc;              /* CPUs online */
    uint64_t mem_total_kib; /* MemTotal of /proc/meminfo */
    uint64_t ram_kib;       /* "System RAM" of /proc/iomem: what it booted
                               with, before the kernel's reservations */
    char *dmi_product;      /* /sys/class/dmi/id/product_name, "" if none */
    char *kernel;           /* release */
    char *ip;               /* "10.213.0.2/24", "" when none */
    char *name;
    char *storage;        /* vmb.storage, "" when none */
    char *data_dir;       /* container path: "/data" */
    char *data_source;    /* mount source: "vmbdata", "/dev/vdb", ... */
    char *data_fstype;    /* "9p", "virtiofs", "ext4", "tmpfs" */
    char *root_source;    /* the container root's: "vmbdata", "/dev/vda" */
    char *root_fstype;    /* "9p", "virtiofs", "ext4" */
    char *data_device;    /* "maj:min" of the mount */
    uint64_t data_st_dev; /* st_dev of the data directory */
    char *data_options;   /* the mount's superblock options: "msize=8192" */
    char *cmdline;        /* the guest's /proc/cmdline */
    char *scsi_scan;      /* scsi_mod's "scan" parameter: "none", "async";
                             "" where scsi_mod is not loaded */
};
/* Frees the strings of f (NULL-safe) and zeroes it. */
void vmb_agent_facts_clear(struct vmb_agent_facts *f);

int vmb_agent_facts(struct vmb_agent *a, uint64_t timeout_us,
                    struct vmb_agent_facts *out, struct vmb_error **err);

/* A process to run in the container; strings borrowed. */
struct vmb_agent_proc {
    const char *const *argv; /* NULL-terminated, argv[0] a path or name */
    const char *const *env;  /* "K=V", NULL-terminated; NULL: PATH only */
    const char *cwd;         /* NULL: "/" */
    const char *log_path;    /* spawn only: container path; NULL: none */
    /* NULL: root; else the container user it runs as (e.g. "postgres") */
    const char *user;
    /* With user: a container directory given to that user first (the data
     * directory a server must own); NULL: none. */
    const char *own;
};

/* Starts p in the background; *pid is its guest pid. */
int vmb_agent_spawn(struct vmb_agent *a, const struct vmb_agent_proc *p,
                    uint64_t timeout_us, int *pid, struct vmb_error **err);

enum vmb_agent_state {
    VMB_AGENT_RUNNING,
    VMB_AGENT_EXITED,   /* code = exit status */
    VMB_AGENT_SIGNALED, /* code = signal number */
    VMB_AGENT_TIMEOUT,  /* exec only: killed after its run timeout */
};

struct vmb_agent_status {
    enum vmb_agent_state state;
    int code;
};

/* Fails when pid was not spawned by this agent. */
int vmb_agent_status(struct vmb_agent *a, int pid, uint64_t timeout_us,
                     struct vmb_agent_status *out, struct vmb_error **err);

int vmb_agent_kill(struct vmb_agent *a, int pid, int signo, uint64_t timeout_us,
                   struct vmb_error **err);

struct vmb_agent_exec_result {
    struct vmb_agent_status status;
    char *output; /* stdout+stderr, NUL-terminated; caller frees */
    size_t output_len;
    bool truncated; /* more than VMB_AGENT_EXEC_MAX_OUTPUT was written */
};

/*
 * Runs p to completion in the guest, killing it after run_timeout_us
 * (then status.state is VMB_AGENT_TIMEOUT). timeout_us bounds the whole
 * request and should exceed run_timeout_us. A process that ran and failed
 * is a success of this call: look at out->status.
 */
int vmb_agent_exec(struct vmb_agent *a, const struct vmb_agent_proc *p,
                   uint64_t run_timeout_us, uint64_t timeout_us,
                   struct vmb_agent_exec_result *out, struct vmb_error **err);

/*
 * Reads at most max bytes (<= VMB_AGENT_FETCH_MAX) of a container file.
 * *data (NUL-terminated, caller frees) and *len; *truncated when the file
 * is larger (truncated may be NULL).
 */
int vmb_agent_fetch(struct vmb_agent *a, const char *path, size_t max,
                    uint64_t timeout_us, char **data, size_t *len,
                    bool *truncated, struct vmb_error **err);

/*
 * Reads a whole container file of at most cap bytes, in parts of
 * VMB_AGENT_FETCH_MAX (fetch with offset=), every part within timeout_us
 * of the call. *data (NUL-terminated, caller frees) and *len. A file
 * larger than cap fails, naming its size, without the rest being read;
 * so does an agent that does not answer from the offset asked.
 */
int vmb_agent_fetch_all(struct vmb_agent *a, const char *path, size_t cap,
                        uint64_t timeout_us, char **data, size_t *len,
                        struct vmb_error **err);

/* Replaces a container file with data (fsynced), with mode (0644 etc.). */
int vmb_agent_write_file(struct vmb_agent *a, const char *path,
                         const void *data, size_t len, unsigned mode,
                         uint64_t timeout_us, struct vmb_error **err);

/*
 * From inside the guest, opens a TCP connection to host:port (dotted
 * IPv4) within timeout_us. With send not NULL, writes it and returns in
 * *reply (caller frees; reply may be NULL) the first bytes that came
 * back (at most 4 KiB; "" when none did before the timeout). *connect_us (may
 * be NULL): how long the connect took in the guest.
 */
int vmb_agent_tcpcheck(struct vmb_agent *a, const char *host, int port,
                       const char *send, uint64_t timeout_us,
                       uint64_t *connect_us, char **reply,
                       struct vmb_error **err);

/* The raw limits of the guest's data directory (probe). */
struct vmb_rawprobe_result;
int vmb_agent_probe(struct vmb_agent *a, uint64_t each_us, uint64_t file_bytes,
                    struct vmb_rawprobe_result *r, struct vmb_error **err);

/* The compute loop of iters rounds timed in the guest (spin). */
int vmb_agent_spin(struct vmb_agent *a, uint64_t iters, uint64_t timeout_us,
                   uint64_t *ns, struct vmb_error **err);

/* The guest's cumulative CPU and data-device counters (counters). */
struct vmb_agent_counters {
    double user_s, system_s, idle_s, iowait_s, steal_s;
    unsigned cpus; /* the guest's CPUs; 0 when it did not say */
    bool has_disk;
    uint64_t disk_read_ops, disk_read_bytes, disk_write_ops, disk_write_bytes;
};
int vmb_agent_counters(struct vmb_agent *a, uint64_t timeout_us,
                       struct vmb_agent_counters *c, struct vmb_error **err);

/* sync(2) in the guest. */
int vmb_agent_sync(struct vmb_agent *a, uint64_t timeout_us,
                   struct vmb_error **err);

/*
 * Asks the guest to stop its processes, sync, unmount and power off.
 * Returns once the agent acknowledged; the VM goes away shortly after.
 */
int vmb_agent_shutdown(struct vmb_agent *a, uint64_t timeout_us,
                       struct vmb_error **err);

#endif
