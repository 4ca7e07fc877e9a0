/*
 * A QEMU command line read into its options, from the forms users have at
 * hand: /proc/PID/cmdline (arguments separated by NUL bytes), one argument
 * a line (what vmbench saves as node<i>.qemu.cmdline), `ps -ww -o args`
 * or `ps -ef` output and libvirt's "qemu-argv" (shell-like words), and
 * Kata's debug log ("launching /…/qemu-system-x86_64 with: [-name …]",
 * logfmt or JSON escaped, or runtime-rs's `Command { std: "…" "…" }`).
 * A command line is untrusted input: anything it does not hold is an
 * input error naming the source, never a crash.
 */
#ifndef VMB_QCMD_H
#define VMB_QCMD_H

#include <stddef.h>

#include "base/error.h"

/* The longest command line read, in bytes. */
#define VMB_QCMD_MAX_BYTES (1024 * 1024)

struct vmb_qprop {
    char *key; /* "queue-size", "kvm-pit.lost_tick_policy", "file.filename" */
    char *val; /* "1024"; a bare "x" reads as x=on, "nowait" as wait=off */
};

struct vmb_qopt {
    char *name; /* without its dashes: "device", "m", "append", "nodefaults" */
    char *arg;  /* the raw argument; NULL for a flag such as -nodefaults */
    /* The value QEMU implies for the first bare word (a -device's driver,
     * an -object's qom-type, -machine's type, -cpu's model, -m's size,
     * -smp's cpus, a -netdev's or -chardev's backend), or the "driver" /
     * "qom-type" / "type" member of a JSON argument; NULL if none. */
    char *kind;
    struct vmb_qprop *props; /* key=value pairs, ",," read as a comma */
    size_t nprops;
};

struct vmb_qcmd {
    char *binary; /* the QEMU program as written */
    struct vmb_qopt *opts;
    size_t nopts;
};

/*
 * Reads text (len bytes, need not be NUL-terminated) in whichever of the
 * forms above it is in. `what` names the source in messages ("kata.txt").
 * On success *out owns the result (vmb_qcmd_free). Fails with
 * VMB_ERR_INPUT naming `what` when the text holds no QEMU command line,
 * an unterminated quote, an option without its argument, or a JSON
 * argument that does not parse.
 */
int vmb_qcmd_parse(const char *what, const char *text, size_t len,
                   struct vmb_qcmd **out, struct vmb_error **err);

void vmb_qcmd_free(struct vmb_qcmd *q);

/* The value of key in o, or NULL (the last one when repeated). */
const char *vmb_qopt_get(const struct vmb_qopt *o, const char *key);

/*
 * Reads a QEMU size ("2048M", "2097152k", "2G", "134217728" in bytes, or
 * with default_unit 'M' for -m's bare numbers) into bytes; -1 if it is not
 * one.
 */
long long vmb_qcmd_size(const char *s, char default_unit);

#endif
