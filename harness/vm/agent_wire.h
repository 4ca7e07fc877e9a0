/*
 * The agent line protocol's wire format and the contract's names and
 * limits, shared by the host (agent.c, virt.c, vm.c, initramfs.c) and the
 * guest agent (guest/, which compiles agent_wire.c into its static
 * binary). Depends on libc only: no vmb_error, no vmb_buf, allocation
 * failure aborts.
 *
 * A message is one line: words separated by one space, ended by '\n'.
 * The first word is the verb; every other word is key=value, the key
 * plain [a-z0-9_], the value percent-encoded (every byte outside
 * [A-Za-z0-9] and "-._~/:,@+" becomes %XX), so values may hold any
 * bytes, spaces and newlines included. A key may repeat (argv, env);
 * order is kept. See agent.h for the verbs.
 */
#ifndef VMB_AGENT_WIRE_H
#define VMB_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

/*
 * ---- The names and limits of the host<->guest contract ----
 *
 * Defined here only; both sides use these. What each one means, and the
 * rest of the contract, is described in agent.h.
 */

/* The virtio-serial port the agent answers on. */
#define VMB_AGENT_CHANNEL "org.vmbench.agent.0"
/* The vsock port the agent listens on when the transport is vsock:
 * Kata's agent port. */
#define VMB_AGENT_VSOCK_PORT 1024

/* virtio-blk serials: the container root and the data volume. */
#define VMB_AGENT_ROOT_SERIAL "vmbroot"
#define VMB_AGENT_DATA_SERIAL "vmbdata"
/*
 * On virtio-scsi, the data disk's address on the controller's channel 0,
 * Kata's first volume's ("0:0"): the domain XML pins it there, and the
 * agent, with scsi_mod.scan=none, scans each SCSI host for it as Kata's
 * agent scans for a volume ("CHANNEL TARGET LUN" into
 * /sys/class/scsi_host/hostN/scan).
 */
#define VMB_AGENT_DATA_SCSI_TARGET 0
#define VMB_AGENT_DATA_SCSI_LUN 0
/* Mount tag of the host directory shared over 9p or virtio-fs. */
#define VMB_AGENT_FS_TAG "vmbdata"

/* Kernel command line keys; each is followed by its value. */
#define VMB_AGENT_ARG_NAME "vmb.name="
#define VMB_AGENT_ARG_IP "vmb.ip="
/* The default route's gateway; absent: no default route (one subnet). */
#define VMB_AGENT_ARG_GW "vmb.gw="
#define VMB_AGENT_ARG_STORAGE "vmb.storage="
#define VMB_AGENT_ARG_MSIZE "vmb.msize="
#define VMB_AGENT_ARG_TMPFS_SIZE "vmb.tmpfs_size="
#define VMB_AGENT_ARG_FS_CACHE "vmb.fs_cache="
/* "vsock": the agent listens on vsock; absent, on virtio-serial. */
#define VMB_AGENT_ARG_TRANSPORT "vmb.agent="
/* The container root: absent, the disk of serial VMB_AGENT_ROOT_SERIAL;
 * "9p" or "virtio-fs", the directory "rootfs" of the share
 * VMB_AGENT_FS_TAG (the data directory, when shared, is its "data"). */
#define VMB_AGENT_ARG_ROOT "vmb.root="

/* The initramfs file listing the modules to load, "GROUP req|opt PATH"
 * lines in load order. */
#define VMB_AGENT_MODULES_LIST "/etc/vmb-modules"

/* The data directory, as a container path (facts' data_dir). */
#define VMB_AGENT_DATA_DIR "/data"

/* The protocol version the hello carries (v=). */
#define VMB_AGENT_PROTOCOL "1"

/* Most output an exec returns (stdout and stderr together), in bytes. */
#define VMB_AGENT_EXEC_MAX_OUTPUT (64 * 1024)
/* Most of a file a fetch returns, in bytes. */
#define VMB_AGENT_FETCH_MAX (1024 * 1024)
/* Most of a file the host reads in such parts (fio's json+ output of many
 * jobs with their histograms passes 1 MiB), in bytes. */
#define VMB_AGENT_FETCH_ALL_MAX (64 * 1024 * 1024)

struct vmb_wire_kv {
    char *key;
    char *val;      /* decoded, NUL-terminated (may hold NULs inside) */
    size_t val_len; /* decoded length */
};

struct vmb_wire_msg {
    char *verb;
    struct vmb_wire_kv *kv;
    size_t n;
};

/*
 * Parses one line (without or with its '\n'). Returns 0, or -1 when the
 * line is not a message (no verb, a word without '=', a bad %XX); *out
 * is then empty. Free with vmb_wire_msg_free.
 */
int vmb_wire_parse(const char *line, size_t len, struct vmb_wire_msg *out);
void vmb_wire_msg_free(struct vmb_wire_msg *m);

/* The first value of key, or NULL. Borrowed from m. */
const char *vmb_wire_get(const struct vmb_wire_msg *m, const char *key);
/* Same, with its decoded length in *len. */
const char *vmb_wire_get_len(const struct vmb_wire_msg *m, const char *key,
                             size_t *len);
/* Number of values of key. */
size_t vmb_wire_count(const struct vmb_wire_msg *m, const char *key);
/*
 * Fills a new NULL-terminated array with every value of key (borrowed
 * strings; the caller frees the array only).
 */
const char **vmb_wire_get_all(const struct vmb_wire_msg *m, const char *key);
/*
 * Parses the first value of key as a decimal integer. Returns 0, or -1
 * when absent or not a number (*out untouched).
 */
int vmb_wire_get_i64(const struct vmb_wire_msg *m, const char *key,
                     int64_t *out);
int vmb_wire_get_u64(const struct vmb_wire_msg *m, const char *key,
                     uint64_t *out);

/* A message being built: vmb_wire_line_begin, adds, vmb_wire_line_end. */
struct vmb_wire_line {
    char *data;
    size_t len, cap;
};

void vmb_wire_line_begin(struct vmb_wire_line *l, const char *verb);
void vmb_wire_add(struct vmb_wire_line *l, const char *key, const void *val,
                  size_t len);
void vmb_wire_adds(struct vmb_wire_line *l, const char *key, const char *s);
void vmb_wire_addi(struct vmb_wire_line *l, const char *key, int64_t v);
void vmb_wire_addu(struct vmb_wire_line *l, const char *key, uint64_t v);
/*
 * Appends the words of w, a line begun with the empty verb "": lets a
 * caller build arguments before the verb and id are known.
 */
void vmb_wire_line_append(struct vmb_wire_line *l,
                          const struct vmb_wire_line *w);
/* Appends '\n'; data/len are then the line to send. */
void vmb_wire_line_end(struct vmb_wire_line *l);
void vmb_wire_line_free(struct vmb_wire_line *l);

#endif
