/*
 * `vmbench kata-diff`: a cell's QEMU command line held against a real
 * Kata sandbox's, aspect by aspect.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/katadiff.h"
#include "base/qcmd.h"
#include "base/util.h"
#include "cli.h"
#include "config/matrix.h"
#include "report/katadiff_out.h"
#include "results/results.h"
#include "vm/virt.h"
#include "vm/vm.h"

const char vmb_usage_kata_diff[] =
    "usage: vmbench kata-diff [--json] RESULTS_DIR CELL (KATA_SOURCE | --pid "
    "PID)\n"
    "       vmbench kata-diff [--json] MATRIX CELL_ID (KATA_SOURCE | --pid "
    "PID)\n\n"
    "Holds the QEMU command line a cell ran (what the results directory\n"
    "saved: cells/<id>/rep<k>/node1.qemu.cmdline) against a real Kata\n"
    "sandbox's, aspect by aspect: machine, CPU and memory shape, memory\n"
    "backend, timekeeping (RTC, PIT), each class of device and each kernel\n"
    "parameter. What is only naming (ids, bus addresses, socket paths, fds,\n"
    "versioned machine names, memfd vs a /dev/shm file with share=on, PCI\n"
    "bridges vs root ports) is left out. Each line says match, differs,\n"
    "only-kata or only-cell, the Kata knob responsible where there is one,\n"
    "and whether the difference can change performance.\n"
    "CELL is a cell id or a unique id prefix (4+ characters).\n\n"
    "With a matrix file instead of a results directory, the cell's side is\n"
    "the command line libvirt renders from the domain XML vmbench would\n"
    "give node 1 (virConnectDomainXMLToNative), nothing booted: it needs\n"
    "libvirt running, takes accel auto as KVM where /dev/kvm opens, and\n"
    "refuses what a run of the cell would refuse on this host.\n\n"
    "KATA_SOURCE is a file holding the sandbox's QEMU command line in any\n"
    "form: a copy of /proc/PID/cmdline (NUL-separated), `ps -ww -o args`\n"
    "or `ps -ef` output, or Kata's debug log line (\"launching ... with:\n"
    "[...]\", logfmt or JSON, or runtime-rs's `Command { std: ... }`).\n"
    "docs/kata.md says how to capture one.\n\n"
    "  --pid PID   read /proc/PID/cmdline of a running sandbox's QEMU\n"
    "  --json      print the comparison as JSON\n\n"
    "exit status: 0 no performance-relevant difference, 1 at least one,\n"
    "2 bad input (an unknown cell, a file that holds no QEMU command line,\n"
    "a cell libvirt cannot render).\n";

enum {
    OPT_JSON = 256,
    OPT_PID,
};

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"pid", required_argument, NULL, OPT_PID},
    {NULL, 0, NULL, 0},
};

static int
read_source(const char *path, const char *what, struct vmb_qcmd **q,
            struct vmb_error **err)
{
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_QCMD_MAX_BYTES, &text, &len, err) < 0)
        return vmb_error_prefix(err, "%s", what);
    return vmb_qcmd_parse(what, text, len, q, err);
}

static int
read_pid(const char *arg, struct vmb_qcmd **q, struct vmb_error **err)
{
    char *end = NULL;
    errno = 0;
    long pid = strtol(arg, &end, 10);
    /* strtol takes " 1" and "+1" too: a pid is digits alone. */
    if (errno != 0 || !isdigit((unsigned char)arg[0]) || *end != '\0' ||
        pid <= 0 || pid > 1 << 22)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--pid \"%s\" is not a process id", arg);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    autofree char *text = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_QCMD_MAX_BYTES, &text, &len, NULL) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "no process %ld to read a command line from", pid);
    autofree char *what = vmb_xasprintf("process %ld", pid);
    if (len == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s has no command line (a kernel thread, or it "
                             "exited)",
                             what);
    return vmb_qcmd_parse(what, text, len, q, err);
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const struct vmb_cell *
find_cell(const struct vmb_matrix *m, const char *id, bool *ambiguous)
{
    const struct vmb_cell *found = NULL;
    *ambiguous = false;
    for (size_t i = 0; i < m->ncells; i++) {
        if (strcmp(m->cells[i].id, id) == 0)
            return &m->cells[i];
        if (strlen(id) >= 4 && strncmp(m->cells[i].id, id, strlen(id)) == 0) {
            *ambiguous = found != NULL;
            found = &m->cells[i];
        }
    }
    return *ambiguous ? NULL : found;
}

/* The cell's side from a matrix: libvirt's rendering, nothing booted. */
static int
render_cell(const char *matrix, const char *id, struct vmb_qcmd **q,
            char **what, struct vmb_error **err)
{
    struct vmb_matrix *m = NULL;
    struct vmb_virt *v = NULL;
    char *argv = NULL;
    int rc = -1;
    if (vmb_matrix_load_kata(matrix, NULL, &m, err) < 0)
        goto out;
    bool ambiguous = false;
    const struct vmb_cell *c = find_cell(m, id, &ambiguous);
    if (c == NULL) {
        vmb_error_set(err, VMB_ERR_INPUT, 0,
                      ambiguous ? "cell \"%s\" matches more than one cell of "
                                  "\"%s\"; give more of its id"
                                : "no VM cell \"%s\" in \"%s\"; `vmbench "
                                  "plan` lists them",
                      id, matrix);
        goto out;
    }
    int accel = c->cfg.hypervisor.accel;
    bool kvm = accel == VMB_ACCEL_KVM || (accel == VMB_ACCEL_AUTO &&
                                          access("/dev/kvm", R_OK | W_OK) == 0);
    if (vmb_virt_open(c->cfg.hypervisor.connect, &v, err) < 0 ||
        vmb_vm_render_argv(v, &c->cfg, kvm, &argv, err) < 0) {
        /* Nothing ran: what cannot be rendered here is this input's. */
        (*err)->kind = VMB_ERR_INPUT;
        vmb_error_prefix(err, "cell \"%s\" of \"%s\"", c->id, matrix);
        goto out;
    }
    *what = vmb_xasprintf("%s cell %s (libvirt's qemu-argv)", matrix, c->id);
    rc = vmb_qcmd_parse(*what, argv, strlen(argv), q, err);
out:
    free(argv);
    vmb_virt_close(v);
    vmb_matrix_free(m);
    return rc;
}

/* Prints the comparison; 1 when a difference can change performance. */
static int
show(const struct vmb_qcmd *kq, const struct vmb_qcmd *cq, const char *kname,
     const char *cname, bool json, struct vmb_error **err)
{
    struct vmb_kdiff d;
    vmb_kdiff_compare(kq, cq, &d);
    if (json) {
        char *j = vmb_kdiff_json(&d, kname, cname);
        fputs(j, stdout);
        free(j);
    } else {
        vmb_kdiff_print(&d, kname, cname, stdout);
    }
    int rc = vmb_kdiff_performance_differences(&d) > 0 ? 1 : 0;
    vmb_kdiff_free(&d);
    if (fflush(stdout) != 0)
        return vmb_error_sys(err, "write to standard output");
    return rc;
}

int
vmb_cmd_kata_diff(int argc, char **argv, struct vmb_error **err)
{
    const char *dir = NULL, *cell = NULL, *source = NULL, *pid = NULL;
    bool json = false;
    struct vmb_cli_parse args = {.cmd = "kata-diff", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_JSON:
            json = true;
            break;
        case OPT_PID:
            pid = args.arg;
            break;
        case VMB_CLI_WORD:
            if (dir == NULL)
                dir = args.arg;
            else if (cell == NULL)
                cell = args.arg;
            else if (source == NULL)
                source = args.arg;
            else
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "unexpected argument \"%s\"", args.arg);
            break;
        }
    }
    if (opt < 0)
        return -1;
    if (dir == NULL || cell == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "missing RESULTS_DIR (or MATRIX) or CELL; see "
                             "`vmbench kata-diff --help`");
    if ((source == NULL) == (pid == NULL))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "give one KATA_SOURCE file or --pid PID");

    char *cell_path = NULL, *kname = NULL;
    struct vmb_qcmd *kq = NULL, *cq = NULL;
    int rc = -1;
    if (is_dir(dir)) {
        if (vmb_results_cell_qemu_cmdline(dir, cell, &cell_path, err) < 0 ||
            read_source(cell_path, cell_path, &cq, err) < 0)
            goto out;
    } else if (render_cell(dir, cell, &cq, &cell_path, err) < 0) {
        goto out;
    }
    if (pid ? read_pid(pid, &kq, err) < 0
            : read_source(source, source, &kq, err) < 0)
        goto out;
    kname = pid ? vmb_xasprintf("process %s", pid) : vmb_xstrdup(source);
    rc = show(kq, cq, kname, cell_path, json, err);
out:
    free(cell_path);
    free(kname);
    vmb_qcmd_free(kq);
    vmb_qcmd_free(cq);
    return rc;
}
