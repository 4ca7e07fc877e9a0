/*
 * Requests that measure the guest: the raw limits of the data directory
 * (base/rawprobe.c, the same code the host runs for the bare-metal
 * control), the compute loop of the emulation factor, and the guest's
 * own CPU and data-device counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/rawprobe.h"
#include "guest.h"

/* The most a probe may run, whatever the host asks. */
#define MAX_EACH_MS 60000
#define MAX_FILE_BYTES (1024ull * 1024 * 1024)

void
vmb_guest_req_probe(const char *id, const struct vmb_wire_msg *m)
{
    uint64_t each_ms = 1000, file_bytes = 64ull << 20;
    vmb_wire_get_u64(m, "each_ms", &each_ms);
    vmb_wire_get_u64(m, "file_bytes", &file_bytes);
    if (each_ms == 0 || each_ms > MAX_EACH_MS || file_bytes > MAX_FILE_BYTES) {
        vmb_guest_reply_err(id,
                            "probe needs each_ms from 1 to %d and "
                            "file_bytes up to 1 GiB",
                            MAX_EACH_MS);
        return;
    }
    struct vmb_rawprobe_opts o = {.each_us = each_ms * 1000,
                                  .file_bytes = file_bytes};
    struct vmb_rawprobe_result r;
    char why[512];
    if (vmb_rawprobe_run(VMB_GUEST_DATA, &o, &r, why, sizeof(why)) < 0) {
        vmb_guest_reply_err(id, "%s", why);
        return;
    }
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    for (int i = 0; i < VMB_RAWPROBE_NFIELDS; i++) {
        char v[64];
        vmb_rawprobe_format(&r, i, v, sizeof(v));
        vmb_wire_adds(&l, vmb_rawprobe_fields[i], v);
    }
    vmb_guest_send_line(&l);
}

void
vmb_guest_req_spin(const char *id, const struct vmb_wire_msg *m)
{
    uint64_t iters = 0;
    /* About a minute of TCG at most. */
    if (vmb_wire_get_u64(m, "iters", &iters) < 0 || iters == 0 ||
        iters > 4000000000ull) {
        vmb_guest_reply_err(id, "spin needs iters from 1 to 4e9");
        return;
    }
    uint64_t ns = vmb_rawprobe_spin(iters);
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addu(&l, "ns", ns);
    vmb_guest_send_line(&l);
}

/* The "cpu " line of /proc/stat: user nice system idle iowait irq
 * softirq steal, in USER_HZ ticks. */
static void
add_cpu(struct vmb_wire_line *l)
{
    char text[4096];
    if (vmb_guest_read_small("/proc/stat", text, sizeof(text)) < 0)
        return;
    unsigned long long u, n, s, idle, io, irq, sirq, steal;
    if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s,
               &idle, &io, &irq, &sirq, &steal) != 8)
        return;
    vmb_wire_addu(l, "user", u + n);
    vmb_wire_addu(l, "system", s + irq + sirq);
    vmb_wire_addu(l, "idle", idle);
    vmb_wire_addu(l, "iowait", io);
    vmb_wire_addu(l, "steal", steal);
    /* The CPUs: one "cpuN" line each after the total. */
    uint64_t cpus = 0;
    for (const char *p = strstr(text, "\ncpu"); p != NULL;
         p = strstr(p + 1, "\ncpu"))
        cpus += p[4] >= '0' && p[4] <= '9';
    if (cpus > 0)
        vmb_wire_addu(l, "cpus", cpus);
}

/* The data directory's block device in /proc/diskstats; nothing for a
 * filesystem without one (9p, virtio-fs, tmpfs). */
static void
add_disk(struct vmb_wire_line *l)
{
    struct stat st;
    if (stat(VMB_GUEST_DATA, &st) < 0 || major(st.st_dev) == 0)
        return;
    static char text[65536];
    if (vmb_guest_read_small("/proc/diskstats", text, sizeof(text)) < 0)
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned a, b;
        unsigned long long rd, rs, wr, ws;
        if (sscanf(line, " %u %u %*s %llu %*u %llu %*u %llu %*u %llu", &a, &b,
                   &rd, &rs, &wr, &ws) == 6 &&
            a == major(st.st_dev) && b == minor(st.st_dev)) {
            vmb_wire_addu(l, "disk_read_ops", rd);
            vmb_wire_addu(l, "disk_read_bytes", rs * 512);
            vmb_wire_addu(l, "disk_write_ops", wr);
            vmb_wire_addu(l, "disk_write_bytes", ws * 512);
            return;
        }
    }
}

void
vmb_guest_req_counters(const char *id)
{
    struct vmb_wire_line l;
    vmb_guest_reply_begin(&l, id);
    vmb_wire_addu(&l, "hz", 100);
    add_cpu(&l);
    add_disk(&l);
    vmb_guest_send_line(&l);
}
