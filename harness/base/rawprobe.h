/*
 * The raw limits of a data directory's storage, probed before a database
 * uses it, and a small compute loop for the emulation factor of a guest.
 * Plain libc only: the guest agent (guest/) compiles this file into its
 * static binary and runs the same code inside the VM as the host runs on
 * the bare-metal control's directory.
 *
 * Each probe runs for a bounded time on one scratch file in the directory
 * (removed afterwards): 4 KiB writes each followed by fdatasync (what an
 * append-only file or a write-ahead log needs), sequential 1 MiB writes
 * and a closing fdatasync, then 4 KiB reads at random aligned offsets,
 * with O_DIRECT where the filesystem accepts it.
 */
#ifndef VMB_BASE_RAWPROBE_H
#define VMB_BASE_RAWPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The tool name results record for figures this file measured, with
 * vmbench's version after it (result.json "probe"."tool"): figures of
 * another tool, or of another version of this one, are not comparable.
 */
#define VMB_RAWPROBE_TOOL "vmbench-rawprobe"

struct vmb_rawprobe_opts {
    uint64_t each_us;    /* time each of the three probes runs */
    uint64_t file_bytes; /* the most the sequential writes write */
};

struct vmb_rawprobe_result {
    double fsync_write_rate;   /* per second */
    double fsync_write_p99_us; /* one write + fdatasync */
    double seqwrite_mb_s;      /* 10^6 bytes per second */
    double randread_iops;
    bool randread_direct; /* the reads bypassed the page cache */
};

/*
 * Runs the probes in dir. Returns 0, or -1 with errno and a sentence in
 * why (e.g. "create \"/data/.vmb-probe\": No space left on device").
 */
int vmb_rawprobe_run(const char *dir, const struct vmb_rawprobe_opts *o,
                     struct vmb_rawprobe_result *r, char *why, size_t len);

/*
 * Sets the field of r that key names ("fsync_write_rate", ...,
 * "randread_direct") from its text. Returns 1 when set, 0 for a key that
 * is not a field (ignored), -1 for a value that is not a finite number
 * of 0 or more (or 0/1 for randread_direct).
 */
int vmb_rawprobe_set(struct vmb_rawprobe_result *r, const char *key,
                     const char *val);

/* The field names, and r's fields as text, in the same order. */
#define VMB_RAWPROBE_NFIELDS 5
extern const char *const vmb_rawprobe_fields[VMB_RAWPROBE_NFIELDS];
void vmb_rawprobe_format(const struct vmb_rawprobe_result *r, int field,
                         char *buf, size_t len);

/*
 * The compute loop of the emulation factor (spin.c): iters rounds of
 * CPU-bound work in a 64 KiB table (integer mixing, loads and stores,
 * branches, a byte compare, an indirect call each). Returns the
 * nanoseconds it took on CLOCK_MONOTONIC, 0 when it could not allocate.
 * The same iters on two machines compare their CPU speed.
 */
uint64_t vmb_rawprobe_spin(uint64_t iters);

#endif
