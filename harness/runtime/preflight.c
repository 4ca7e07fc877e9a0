#include "runtime/preflight.h"

#include <dirent.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "config/hosts.h"
#include "db/db.h"
#include "runtime/hostset.h"
#include "runtime/runtime.h"
#include "vm/agent_wire.h"
#include "vm/image.h"
#include "vm/virtiofsd.h"
#include "vm/vm.h"
#include "vm/vsock.h"

/* rx (to the guest): an htb root with sfq under it, a fw filter; tx
 * (from the guest): the ingress qdisc, a u32 filter that polices. */
const char *const vmb_preflight_tc_modules[VMB_PREFLIGHT_NMODULES] = {
    "sch_htb", "sch_sfq", "cls_fw", "sch_ingress", "cls_u32", "act_police",
};

#define TC_RX_FIRST 0
#define TC_TX_FIRST 3

/* Findings listed on the terminal show this many cells, then a count. */
#define SHOWN_CELLS 4

/* ---- facts ---- */

static char *
at(const struct vmb_preflight_facts *f, const char *path)
{
    return vmb_xasprintf("%s%s", f->root, path);
}

static void
read_meminfo(struct vmb_preflight_facts *f)
{
    autofree char *path = at(f, "/proc/meminfo");
    autofree char *text = NULL;
    if (vmb_read_file(path, &text, NULL, NULL) < 0)
        return;
    f->have_meminfo = true;
    const char *p = strstr(text, "MemAvailable:");
    uint64_t kib = 0;
    if (p != NULL)
        sscanf(p, "MemAvailable: %" SCNu64, &kib);
    f->avail_mib = kib / 1024;
    /* The huge page figures are vm/'s reading of the same file. */
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_hugepages_info_at(path, &f->hp_free, &f->hp_total, &err) == 0)
        f->hp_size_kib = 2048;
    p = strstr(text, "Hugepagesize:");
    if (p != NULL)
        sscanf(p, "Hugepagesize: %" SCNu64, &f->hp_size_kib);
}

/* Whether the word "/name.ko" (any compression) is in a modules list. */
static bool
listed(const char *text, const char *name)
{
    autofree char *w = vmb_xasprintf("/%s.ko", name);
    return text != NULL && strstr(text, w) != NULL;
}

static void
read_modules(struct vmb_preflight_facts *f)
{
    autofree char *rel_path = at(f, "/proc/sys/kernel/osrelease");
    autofree char *rel = vmb_read_first_line(rel_path);
    if (rel == NULL || rel[0] == '\0' || strchr(rel, '/') != NULL)
        return;
    autofree char *dep_path =
        vmb_xasprintf("%s/lib/modules/%s/modules.dep", f->root, rel);
    autofree char *bin_path =
        vmb_xasprintf("%s/lib/modules/%s/modules.builtin", f->root, rel);
    autofree char *dep = NULL, *builtin = NULL;
    /* Without the running kernel's modules directory, nothing is known
     * to be missing: a kernel with everything built in may have none. */
    if (vmb_read_file(dep_path, &dep, NULL, NULL) < 0)
        return;
    vmb_read_file(bin_path, &builtin, NULL, NULL);
    for (size_t i = 0; i < VMB_PREFLIGHT_NMODULES; i++) {
        const char *m = vmb_preflight_tc_modules[i];
        autofree char *sys = vmb_xasprintf("%s/sys/module/%s", f->root, m);
        f->module_missing[i] =
            access(sys, F_OK) != 0 && !listed(dep, m) && !listed(builtin, m);
    }
    /* overlayfs: registered already, else a module the mount loads. */
    f->overlay_missing = f->overlay_missing && !listed(dep, "overlay");
}

/* Whether this host can mount a container root's overlay (see the facts). */
static void
read_overlay(struct vmb_preflight_facts *f)
{
    autofree char *fs_path = at(f, "/proc/filesystems");
    autofree char *fs = NULL;
    if (vmb_read_file(fs_path, &fs, NULL, NULL) == 0)
        f->overlay_missing = strstr(fs, "\toverlay\n") == NULL;
    autofree char *st_path = at(f, "/proc/self/status");
    autofree char *st = NULL;
    const char *cap = NULL;
    unsigned long long eff = 0;
    if (vmb_read_file(st_path, &st, NULL, NULL) == 0 &&
        (cap = strstr(st, "\nCapEff:")) != NULL &&
        sscanf(cap + 8, "%llx", &eff) == 1)
        f->mount_denied = (eff & (1ULL << 21)) == 0; /* CAP_SYS_ADMIN */
}

/* The first of the paths (under root) that is executable; NULL if none. */
static const char *
first_executable(const struct vmb_preflight_facts *f, const char *const *paths)
{
    for (size_t i = 0; paths[i] != NULL; i++) {
        autofree char *p = at(f, paths[i]);
        if (access(p, X_OK) == 0)
            return paths[i];
    }
    return NULL;
}

/* Whether Debian package pkg is installed under root (its file list). */
static bool
package_installed(const struct vmb_preflight_facts *f, const char *pkg)
{
    autofree char *dir = at(f, "/var/lib/dpkg/info");
    autofree char *list = vmb_xasprintf("%s/%s.list", dir, pkg);
    if (access(list, F_OK) == 0)
        return true;
    /* A package of one architecture: "<pkg>:<arch>.list". */
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    size_t n = strlen(pkg);
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        found = strncmp(e->d_name, pkg, n) == 0 && e->d_name[n] == ':' &&
                len > 5 && strcmp(e->d_name + len - 5, ".list") == 0;
    }
    closedir(d);
    return found;
}

static void
add_missing(char *list, size_t size, const char *what)
{
    size_t len = strlen(list);
    snprintf(list + len, size - len, "%s\"%s\"", len ? ", " : "", what);
}

/* What the image of engine's cells lacks on this host, into list. */
static void
read_one_image(const struct vmb_preflight_facts *f, int engine, char *list,
               size_t size)
{
    for (size_t i = 0; vmb_image_default_programs[i] != NULL; i++) {
        autofree char *p =
            vmb_db_program_find(NULL, f->root, VMB_IMAGE_PROGRAM_DIRS,
                                vmb_image_default_programs[i]);
        if (p == NULL)
            add_missing(list, size, vmb_image_default_programs[i]);
    }
    const char *const *pk = vmb_runtime_image_packages(engine);
    for (size_t i = 0; pk[i] != NULL; i++) {
        autofree char *path = pk[i][0] == '/' ? at(f, pk[i]) : NULL;
        bool have =
            path ? access(path, R_OK) == 0 : package_installed(f, pk[i]);
        if (!have)
            add_missing(list, size, pk[i]);
    }
}

/* The guest images are made from this host's files (vm/image.h): the
 * servers' one, and each tool's own. */
static void
read_image(struct vmb_preflight_facts *f)
{
    read_one_image(f, VMB_ENGINE_REDIS, f->image_missing,
                   sizeof(f->image_missing));
    for (size_t e = 0; e < VMB_PREFLIGHT_MAX_ENGINES && vmb_db_drivers[e]; e++)
        if (vmb_db_drivers[e]->tool)
            read_one_image(f, vmb_db_drivers[e]->engine,
                           f->tool_image_missing[e],
                           sizeof(f->tool_image_missing[e]));
}

void
vmb_preflight_facts_read(const struct vmb_preflight_host *h,
                         struct vmb_preflight_facts *f)
{
    memset(f, 0, sizeof(*f));
    const char *root = h && h->root ? h->root : "";
    const char *path = h ? h->path : NULL;
    snprintf(f->root, sizeof(f->root), "%s", root);
    autofree char *vhost = at(f, "/dev/vhost-net");
    f->vhost_net = access(vhost, R_OK | W_OK) == 0;
    autofree char *vsock = at(f, VMB_VSOCK_DEVICE);
    f->vhost_vsock = vmb_vsock_host_usable(vsock);
    for (int e = 0; e < 3; e++) {
        autofree char *dev = at(f, vmb_entropy_name(e));
        f->entropy[e] = access(dev, R_OK) == 0;
    }
    f->cpus = vmb_preflight_host_cpus();
    read_meminfo(f);
    /* Where vm/ and Debian's packages put it (qemu-system-common, or the
     * virtiofsd package). */
    static const char *const vfsd[] = {"/usr/lib/qemu/virtiofsd",
                                       "/usr/libexec/virtiofsd", NULL};
    f->virtiofsd = first_executable(f, vfsd);
    /* libvirt runs tc by the path it was built with. */
    static const char *const tc[] = {"/usr/sbin/tc", "/sbin/tc", NULL};
    f->tc = first_executable(f, tc) != NULL;
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        autofree char *k = at(f, vmb_hostset_knobs[i].path);
        f->knob_exists[i] = access(k, F_OK) == 0;
        f->knob_writable[i] = access(k, W_OK) == 0;
    }
    read_overlay(f);
    read_modules(f);
    read_image(f);
    for (size_t e = 0; e < VMB_PREFLIGHT_MAX_ENGINES && vmb_db_drivers[e];
         e++) {
        const struct vmb_db_driver *d = vmb_db_drivers[e];
        for (size_t i = 0; d->host_programs && d->host_programs[i] &&
                           i < VMB_PREFLIGHT_MAX_PROGRAMS;
             i++) {
            autofree char *p =
                vmb_db_program_find(d, root, path, d->host_programs[i]);
            f->program[e][i] = p != NULL;
        }
    }
}

/* ---- the needs ---- */

static bool
is_vm(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_VM;
}

static bool
vhost_applies(const struct vmb_cell *c)
{
    return is_vm(c) && !c->cfg.network.disable_vhost_net;
}

static int
vhost_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
            char **detail, char **fix)
{
    if (h->vhost_net)
        return 0;
    if (c->cfg.network.vhost_fallback) {
        *detail = vmb_xstrdup(
            "this host has no /dev/vhost-net: the VMs' NICs run without "
            "vhost (network.vhost_fallback), unlike the cells' Kata setting");
        return VMB_PREFLIGHT_NOTE;
    }
    *detail = vmb_xstrdup("disable_vhost_net is false (Kata's default: the "
                          "NIC on vhost-net) but this host has no usable "
                          "/dev/vhost-net");
    *fix = vmb_xstrdup("load it (`modprobe vhost_net`), set "
                       "disable_vhost_net: true, or set "
                       "network.vhost_fallback: true to run without vhost");
    return VMB_PREFLIGHT_LACK;
}

static bool
vsock_applies(const struct vmb_cell *c)
{
    return is_vm(c) &&
           c->cfg.guest.agent_transport == VMB_AGENT_TRANSPORT_VSOCK;
}

/* auto falls back to virtio-serial by itself (run.json says so); the
 * guest kernel's drivers are the kernel need's (preflight_kernel.c). */
static int
vsock_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
            char **detail, char **fix)
{
    (void)c;
    if (h->vhost_vsock)
        return 0;
    *detail = vmb_xstrdup("agent_transport is \"vsock\" (the agent's "
                          "channel as Kata's) but this host has no "
                          "usable " VMB_VSOCK_DEVICE);
    *fix = vmb_xstrdup("load it (`modprobe vhost_vsock`), or set "
                       "guest.agent_transport: auto, which uses "
                       "virtio-serial where there is no vsock");
    return VMB_PREFLIGHT_LACK;
}

static bool
hugepages_applies(const struct vmb_cell *c)
{
    return is_vm(c) && c->cfg.guest.hugepages;
}

/* Every VM of a run on this host (two per tenant, one for fio or where
 * node 2 runs on another host), each of default_memory in 2 MiB pages. */
static uint64_t
vms_of(const struct vmb_cell *c)
{
    return (uint64_t)vmb_hosts_vm_nodes_here(&c->cfg) *
           (uint64_t)c->cfg.top.tenants;
}

static uint64_t
pages_needed(const struct vmb_cell *c)
{
    return vms_of(c) * ((c->cfg.guest.memory_mib + 1) / 2);
}

static int
hugepages_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
                char **detail, char **fix)
{
    if (!h->have_meminfo)
        return 0;
    if (h->hp_size_kib != 2048) {
        *detail = vmb_xasprintf("enable_hugepages: the host's default huge "
                                "page size is %" PRIu64
                                " KiB; vmbench asks for 2 MiB pages",
                                h->hp_size_kib);
        *fix = vmb_xstrdup("boot with `default_hugepagesz=2M`, or set "
                           "enable_hugepages: false");
        return VMB_PREFLIGHT_LACK;
    }
    uint64_t need = pages_needed(c);
    if (h->hp_free >= need)
        return 0;
    *detail = vmb_xasprintf(
        "enable_hugepages: the %" PRIu64 " VM%s of a run need %" PRIu64
        " free 2 MiB pages, the host has %" PRIu64 " free of %" PRIu64
        " reserved",
        vms_of(c), vms_of(c) == 1 ? "" : "s", need, h->hp_free, h->hp_total);
    *fix = vmb_xasprintf("reserve them: `echo %" PRIu64
                         " > /proc/sys/vm/nr_hugepages`",
                         h->hp_total + (need - h->hp_free));
    return VMB_PREFLIGHT_LACK;
}

/* Hugepage-backed guests take their memory from the reserved pages. */
static bool
memory_applies(const struct vmb_cell *c)
{
    return is_vm(c) && !c->cfg.guest.hugepages;
}

static int
memory_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
             char **detail, char **fix)
{
    /* Guest RAM alone: QEMU's own overhead is left as headroom. */
    uint64_t vms = vms_of(c);
    uint64_t need = vms * c->cfg.guest.memory_mib;
    if (!h->have_meminfo || h->avail_mib >= need)
        return 0;
    if (vms == 1)
        *detail = vmb_xasprintf("the VM of a run needs %" PRIu64
                                " MiB of guest memory, the host has %" PRIu64
                                " MiB available",
                                need, h->avail_mib);
    else if (vms == 2)
        *detail = vmb_xasprintf("the two VMs of a run need %" PRIu64
                                " MiB of guest memory, the host has %" PRIu64
                                " MiB available",
                                need, h->avail_mib);
    else
        *detail = vmb_xasprintf(
            "the %" PRIu64 " VMs of a run (%" PRId64 " tenants) need %" PRIu64
            " MiB of guest memory, the host has %" PRIu64 " MiB available",
            vms, c->cfg.top.tenants, need, h->avail_mib);
    *fix = vmb_xstrdup(vms <= 2 ? "free memory, or set a smaller default_memory"
                                : "free memory, or set a smaller "
                                  "default_memory or fewer tenants");
    return VMB_PREFLIGHT_LACK;
}

static bool
shaping_applies(const struct vmb_cell *c)
{
    return is_vm(c) &&
           (c->cfg.network.rx_rate_bits > 0 || c->cfg.network.tx_rate_bits > 0);
}

static int
shaping_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
              char **detail, char **fix)
{
    if (!h->tc) {
        *detail = vmb_xstrdup("rx/tx_rate_limiter_max_rate: libvirt shapes "
                              "the NIC with tc, which this host lacks");
        *fix = vmb_xstrdup("`apt-get install iproute2`, or set the rate "
                           "limiters to 0");
        return VMB_PREFLIGHT_LACK;
    }
    struct vmb_buf missing = {0};
    for (size_t i = 0; i < VMB_PREFLIGHT_NMODULES; i++) {
        bool rx = i < TC_TX_FIRST;
        int64_t rate =
            rx ? c->cfg.network.rx_rate_bits : c->cfg.network.tx_rate_bits;
        if (rate > 0 && h->module_missing[i])
            vmb_buf_printf(&missing, "%s%s", missing.len ? " " : "",
                           vmb_preflight_tc_modules[i]);
    }
    if (missing.len == 0)
        return 0;
    autofree char *list = vmb_buf_steal(&missing);
    *detail = vmb_xasprintf("rx/tx_rate_limiter_max_rate: the running "
                            "kernel has no \"%s\" for libvirt's traffic "
                            "shaping",
                            list);
    *fix = vmb_xasprintf("install the kernel's modules (`apt-get install "
                         "linux-image-$(uname -r)`) and `modprobe %s`, or set "
                         "the rate limiters to 0",
                         list);
    return VMB_PREFLIGHT_LACK;
}

static bool
rootfs_applies(const struct vmb_cell *c)
{
    return is_vm(c) && vmb_config_root_shared(&c->cfg);
}

static int
rootfs_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
             char **detail, char **fix)
{
    (void)c;
    if (!h->overlay_missing && !h->mount_denied)
        return 0;
    *detail = vmb_xasprintf(
        "disable_block_device_use is true (Kata's default): the container "
        "root is an overlay mount on the host, and %s",
        h->overlay_missing ? "this host's kernel has no overlay filesystem"
                           : "vmbench runs without the right to mount "
                             "(CAP_SYS_ADMIN)");
    *fix = vmb_xstrdup(h->overlay_missing
                           ? "`modprobe overlay`, or set "
                             "disable_block_device_use: false (the container "
                             "root on a block device)"
                           : "run vmbench as root, or set "
                             "disable_block_device_use: false (the container "
                             "root on a block device)");
    return VMB_PREFLIGHT_LACK;
}

static bool
virtiofsd_applies(const struct vmb_cell *c)
{
    return is_vm(c) && vmb_config_share(&c->cfg) == VMB_STORAGE_VIRTIOFS;
}

static int
virtiofsd_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
                char **detail, char **fix)
{
    (void)c;
    if (h->virtiofsd != NULL)
        return 0;
    *detail = vmb_xstrdup("storage virtio-fs needs virtiofsd, which this "
                          "host lacks (/usr/lib/qemu/virtiofsd, "
                          "/usr/libexec/virtiofsd)");
    *fix = vmb_xstrdup("`apt-get install virtiofsd` (or qemu-system-common), "
                       "or choose another storage");
    return VMB_PREFLIGHT_LACK;
}

/*
 * The words of virtio_fs_extra_args the cell's daemon has no equivalent
 * for, in the flavour its --help shows (the matrix refused the words no
 * virtiofsd takes).
 */
static int
fs_args_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
              char **detail, char **fix)
{
    const char *daemon = vmb_virtiofsd_path(&c->cfg, h->root);
    if (daemon == NULL)
        return 0; /* the virtiofsd need says so where it matters */
    /* Every cell asks the same daemon, most often: one --help (up to
     * 5 s) is enough, whatever it said. */
    static char last[256], last_msg[512];
    static enum vmb_virtiofsd_flavour last_fl;
    autofree char *path = at(h, daemon);
    vmb_autoerr struct vmb_error *err = NULL;
    if (strcmp(last, path) != 0) {
        snprintf(last, sizeof(last), "%s", path);
        last_msg[0] = '\0';
        if (vmb_virtiofsd_probe(path, &last_fl, &err) < 0)
            snprintf(last_msg, sizeof(last_msg), "%s", err->msg);
        vmb_error_free(err);
        err = NULL;
    }
    if (last_msg[0] != '\0') {
        *detail = vmb_xstrdup(last_msg);
        *fix = vmb_xstrdup("set virtio_fs_daemon to a virtiofsd (the "
                           "Rust one, or QEMU's C one), or leave it "
                           "empty for vmbench's pick");
        return VMB_PREFLIGHT_LACK;
    }
    enum vmb_virtiofsd_flavour fl = last_fl;
    char **argv = NULL;
    if (vmb_virtiofsd_argv(&c->cfg, fl, daemon, "/", 3, true, &argv, &err) ==
        0) {
        vmb_virtiofsd_argv_free(argv);
        return 0;
    }
    *detail = vmb_xstrdup(err->msg);
    *fix = vmb_xstrdup("remove that word from virtio_fs_extra_args, or set "
                       "virtio_fs_daemon to a Rust virtiofsd");
    return VMB_PREFLIGHT_LACK;
}

static bool
any_cell(const struct vmb_cell *c)
{
    (void)c;
    return true;
}

static int
programs_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
               char **detail, char **fix)
{
    size_t e = 0;
    while (e < VMB_PREFLIGHT_MAX_ENGINES && vmb_db_drivers[e] != NULL &&
           vmb_db_drivers[e]->engine != c->cfg.database.engine)
        e++;
    if (e == VMB_PREFLIGHT_MAX_ENGINES || vmb_db_drivers[e] == NULL)
        return 0;
    const struct vmb_db_driver *d = vmb_db_drivers[e];
    struct vmb_buf missing = {0};
    for (size_t i = 0; d->host_programs && d->host_programs[i] &&
                       i < VMB_PREFLIGHT_MAX_PROGRAMS;
         i++)
        if (!h->program[e][i])
            vmb_buf_printf(&missing, "%s\"%s\"", missing.len ? ", " : "",
                           d->host_programs[i]);
    if (missing.len == 0)
        return 0;
    autofree char *list = vmb_buf_steal(&missing);
    *detail = vmb_xasprintf("database.engine %s needs %s on this host (the "
                            "bare-metal control runs it, the guest image is "
                            "made from it), and none is found",
                            d->name, list);
    *fix = vmb_xasprintf("install it: %s", d->install ? d->install : d->name);
    return VMB_PREFLIGHT_LACK;
}

static int
image_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
            char **detail, char **fix)
{
    /* A tool's cells boot the tool's own image (runtime.h). */
    const char *missing = h->image_missing;
    const char *tool = NULL;
    for (size_t e = 0; e < VMB_PREFLIGHT_MAX_ENGINES && vmb_db_drivers[e]; e++)
        if (vmb_db_drivers[e]->tool &&
            vmb_db_drivers[e]->engine == c->cfg.database.engine) {
            missing = h->tool_image_missing[e];
            tool = vmb_db_drivers[e]->name;
        }
    if (missing[0] == '\0')
        return 0;
    if (tool != NULL)
        *detail = vmb_xasprintf("the guest image of database.engine %s is "
                                "made from this host's files, and the host "
                                "lacks %s",
                                tool, missing);
    else
        *detail = vmb_xasprintf("the guest image is made from this host's "
                                "files, and the host lacks %s",
                                missing);
    *fix = vmb_xstrdup("install them: `scripts/setup.sh` (or `apt-get "
                       "install` the packages named)");
    return VMB_PREFLIGHT_LACK;
}

static bool
entropy_applies(const struct vmb_cell *c)
{
    return is_vm(c) && c->cfg.guest.entropy_source != VMB_ENTROPY_URANDOM;
}

static int
entropy_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
              char **detail, char **fix)
{
    int e = c->cfg.guest.entropy_source;
    if (e < 0 || e > 2 || h->entropy[e])
        return 0;
    *detail = vmb_xasprintf("entropy_source \"%s\" is not a device this "
                            "host can read",
                            vmb_entropy_name(e));
    *fix = vmb_xstrdup("set entropy_source: /dev/urandom (Kata's default), "
                       "or load the hardware RNG's driver for /dev/hwrng");
    return VMB_PREFLIGHT_LACK;
}

int
vmb_preflight_host_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

int64_t
vmb_preflight_cpus_needed(const struct vmb_cell *c)
{
    return c->cfg.top.tenants * vmb_hosts_vm_nodes_here(&c->cfg) *
           c->cfg.guest.vcpus;
}

/* A control pins its nodes only with match_resources; unpinned, they
 * share every CPU and cannot be said to oversubscribe. */
static bool
tenants_applies(const struct vmb_cell *c)
{
    return c->cfg.top.tenants > 1 &&
           (is_vm(c) || c->cfg.control.match_resources);
}

static int
cpus_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
           char **detail, char **fix)
{
    (void)fix;
    int64_t need = vmb_preflight_cpus_needed(c);
    if (need <= h->cpus)
        return 0;
    *detail = vmb_xasprintf(
        "%" PRId64 " tenants x %d node%s x %" PRId64 " vCPUs need %" PRId64
        " CPUs and this host has %d: the run "
        "is oversubscribed, its figures measure contention for CPUs",
        c->cfg.top.tenants, vmb_hosts_vm_nodes_here(&c->cfg),
        vmb_hosts_vm_nodes_here(&c->cfg) == 1 ? "" : "s", c->cfg.guest.vcpus,
        need, h->cpus);
    return VMB_PREFLIGHT_NOTE;
}

/* Disjoint pinning is what enable_vcpus_pinning asks for: where the
 * tenants' vCPUs outnumber the CPUs it cannot be done, and sharing them
 * would measure something else than the user asked; unpinned, the same
 * run is allowed and flagged (cpus_probe). */
static bool
pinning_applies(const struct vmb_cell *c)
{
    return is_vm(c) && c->cfg.guest.vcpus_pinning;
}

static int
pinning_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
              char **detail, char **fix)
{
    int64_t need = vmb_preflight_cpus_needed(c);
    if (need <= h->cpus)
        return 0;
    int here = vmb_hosts_vm_nodes_here(&c->cfg);
    *detail = vmb_xasprintf(
        "enable_vcpus_pinning gives each of %" PRId64 " tenants x %d node%s "
        "here x %" PRId64 " vCPUs a CPU of its own: %" PRId64
        " CPUs, and this host has %d",
        c->cfg.top.tenants, here, here == 1 ? "" : "s", c->cfg.guest.vcpus,
        need, h->cpus);
    *fix = vmb_xasprintf("set enable_vcpus_pinning: false to run the %" PRId64
                         " tenants oversubscribed, or lower tenants or vcpus "
                         "to fit %d CPUs",
                         c->cfg.top.tenants, h->cpus);
    return VMB_PREFLIGHT_LACK;
}

static bool
host_applies(const struct vmb_cell *c)
{
    return vmb_config_changes_host(&c->cfg);
}

static int
host_probe(const struct vmb_preflight_facts *h, const struct vmb_cell *c,
           char **detail, char **fix)
{
    char buf[24];
    for (size_t i = 0; i < VMB_HOSTSET_NKNOBS; i++) {
        const char *v = vmb_hostset_wanted(&c->cfg, i, buf);
        if (v == NULL || h->knob_writable[i])
            continue;
        const char *name = vmb_hostset_knobs[i].name;
        const char *path = vmb_hostset_knobs[i].path;
        if (!h->knob_exists[i]) {
            *detail = vmb_xasprintf("host.%s needs \"%s\", which this "
                                    "kernel does not have",
                                    name, path);
            *fix = vmb_xasprintf(
                "run on a kernel with %s, or leave host.%s "
                "at keep",
                i == 3 ? "CONFIG_TRANSPARENT_HUGEPAGE" : "CONFIG_KSM", name);
        } else {
            *detail = vmb_xasprintf("host.%s writes \"%s\", which this "
                                    "process may not write",
                                    name, path);
            *fix = vmb_xasprintf("run vmbench as root, or leave host.%s at "
                                 "keep",
                                 name);
        }
        return VMB_PREFLIGHT_LACK;
    }
    return 0;
}

const struct vmb_preflight_need vmb_preflight_needs[] = {
    {"vhost-net", "VM cells with disable_vhost_net false", vhost_applies,
     vhost_probe},
    {"vhost-vsock", "VM cells with agent_transport vsock", vsock_applies,
     vsock_probe},
    {"hugepages", "VM cells with enable_hugepages", hugepages_applies,
     hugepages_probe},
    {"memory", "VM cells: every VM of a run at once", memory_applies,
     memory_probe},
    {"cpus", "cells with tenants > 1: tenants x nodes x vCPUs", tenants_applies,
     cpus_probe},
    {"vcpus-pinning", "VM cells with enable_vcpus_pinning", pinning_applies,
     pinning_probe},
    {"host-settings", "cells with host: settings", host_applies, host_probe},
    {"tc", "VM cells with a rate limiter", shaping_applies, shaping_probe},
    {"container-root", "VM cells with disable_block_device_use true",
     rootfs_applies, rootfs_probe},
    {"virtiofsd", "VM cells on virtio-fs", virtiofsd_applies, virtiofsd_probe},
    {"virtio_fs_extra_args", "VM cells", is_vm, fs_args_probe},
    {"entropy_source",
     "VM cells with an entropy_source other than "
     "/dev/urandom",
     entropy_applies, entropy_probe},
    {"engine", "every cell: the server's programs", any_cell, programs_probe},
    {"guest-image", "VM cells: the image is made from the host's files", is_vm,
     image_probe},
    {"guest-kernel", "VM cells: the drivers of their devices in guest.kernel",
     is_vm, vmb_preflight_kernel_probe},
    {"remote-host", "controls with node 2 on another host",
     vmb_preflight_remote_applies, vmb_preflight_remote_probe},
    {"remote-libvirt", "VM cells with node 2 on another libvirt host",
     vmb_preflight_vm_remote_applies, vmb_preflight_vm_remote_probe},
    {"remote-route",
     "VM cells with node 2 on another libvirt host: a route "
     "to its subnet",
     vmb_preflight_vm_remote_applies, vmb_preflight_vm_route_probe},
    {"remote-share",
     "VM cells with node 2 on another libvirt host and a virtio-fs share: "
     "ssh there, tar and a virtiofsd",
     vmb_preflight_vm_share_applies, vmb_preflight_vm_share_probe},
    {"remote-vhost",
     "VM cells with node 2 on another libvirt host and its NIC on "
     "vhost-net",
     vmb_preflight_vm_vhost_applies, vmb_preflight_vm_vhost_probe},
};
const size_t vmb_preflight_nneeds = VMB_NELEMS(vmb_preflight_needs);

/* ---- the check ---- */

static void
add_finding(struct vmb_preflight *p, const char *need, int level, char *detail,
            char *fix, const struct vmb_cell *c)
{
    struct vmb_preflight_finding *f = NULL;
    for (size_t i = 0; i < p->n && f == NULL; i++)
        if (p->findings[i].need == need && p->findings[i].level == level &&
            strcmp(p->findings[i].detail, detail) == 0)
            f = &p->findings[i];
    if (f == NULL) {
        p->findings =
            vmb_xrealloc(p->findings, (p->n + 1) * sizeof(*p->findings));
        f = &p->findings[p->n++];
        *f = (struct vmb_preflight_finding){
            .need = need, .level = level, .detail = detail, .fix = fix};
        if (level == VMB_PREFLIGHT_LACK)
            p->nlacking++;
    } else {
        free(detail);
        free(fix);
    }
    /* Doubling, so a matrix of 10^5 cells stays linear. */
    if ((f->ncells & (f->ncells - 1)) == 0)
        f->cells = vmb_xrealloc(f->cells, (f->ncells ? 2 * f->ncells : 1) *
                                              sizeof(*f->cells));
    f->cells[f->ncells++] = c;
}

static void
check_cell(struct vmb_preflight *p, const struct vmb_preflight_facts *h,
           const struct vmb_cell *c)
{
    bool lacks = false;
    for (size_t i = 0; i < vmb_preflight_nneeds; i++) {
        const struct vmb_preflight_need *n = &vmb_preflight_needs[i];
        if (!n->applies(c))
            continue;
        char *detail = NULL, *fix = NULL;
        int level = n->probe(h, c, &detail, &fix);
        if (detail == NULL) {
            free(fix);
            continue;
        }
        if (level == VMB_PREFLIGHT_LACK)
            lacks = true;
        add_finding(p, n->name, level, detail, fix, c);
    }
    p->cells_checked++;
    if (lacks)
        p->cells_lacking++;
}

struct vmb_preflight *
vmb_preflight_check(const struct vmb_preflight_host *h,
                    const struct vmb_matrix *m,
                    bool (*want)(void *ctx, const struct vmb_cell *c),
                    void *ctx)
{
    struct vmb_preflight_facts facts;
    vmb_preflight_facts_read(h, &facts);
    vmb_preflight_remotes_read(&facts, m, want, ctx);
    struct vmb_preflight *p = vmb_xcalloc(1, sizeof(*p));
    const struct vmb_cell *lists[2] = {m->cells, m->controls};
    const size_t counts[2] = {m->ncells, m->ncontrols};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++)
            if (is_vm(&lists[k][i]) &&
                (want == NULL || want(ctx, &lists[k][i])))
                vmb_preflight_kernel_read(&facts, lists[k][i].cfg.guest.kernel);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++)
            if (want == NULL || want(ctx, &lists[k][i]))
                check_cell(p, &facts, &lists[k][i]);
    for (size_t i = 0; i < m->ncells && p->agent_transport == NULL; i++) {
        const struct vmb_cell *c = &m->cells[i];
        if (!is_vm(c) || (want != NULL && !want(ctx, c)) ||
            c->cfg.guest.agent_transport != VMB_AGENT_TRANSPORT_AUTO)
            continue;
        autofree char *dev = at(&facts, VMB_VSOCK_DEVICE);
        int t = vmb_vsock_transport(
            VMB_AGENT_TRANSPORT_AUTO, dev,
            vmb_preflight_kernel_has(&facts, c, VMB_KDRV_VSOCK),
            &p->agent_transport_why);
        p->agent_transport = vmb_agent_transport_name(t);
    }
    return p;
}

void
vmb_preflight_free(struct vmb_preflight *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->findings[i].detail);
        free(p->findings[i].fix);
        free(p->findings[i].cells);
    }
    free(p->findings);
    free(p);
}

void
vmb_preflight_print_notes(FILE *f, const struct vmb_preflight *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->findings[i].level == VMB_PREFLIGHT_NOTE)
            fprintf(f, "vmbench: note: %s\n", p->findings[i].detail);
}

void
vmb_preflight_print_transport(FILE *f, const struct vmb_preflight *p)
{
    if (p->agent_transport == NULL)
        return;
    if (p->agent_transport_why == NULL)
        fprintf(f, "vmbench: the agents answer on %s, as Kata's\n",
                p->agent_transport);
    else
        fprintf(f, "vmbench: the agents answer on %s: %s\n", p->agent_transport,
                p->agent_transport_why);
}

void
vmb_preflight_print_lacks(FILE *f, const struct vmb_preflight *p)
{
    if (p->nlacking == 0)
        return;
    fprintf(f,
            "vmbench: this host cannot run %zu of the %zu cell%s checked; "
            "%zu shortfall%s:\n",
            p->cells_lacking, p->cells_checked,
            p->cells_checked == 1 ? "" : "s", p->nlacking,
            p->nlacking == 1 ? "" : "s");
    for (size_t i = 0; i < p->n; i++) {
        const struct vmb_preflight_finding *x = &p->findings[i];
        if (x->level != VMB_PREFLIGHT_LACK)
            continue;
        fprintf(f, "  %s: %s\n    cells:", x->need, x->detail);
        for (size_t k = 0; k < x->ncells && k < SHOWN_CELLS; k++)
            fprintf(f, "%s %s (%s)", k ? "," : "", x->cells[k]->id,
                    x->cells[k]->label);
        if (x->ncells > SHOWN_CELLS)
            fprintf(f, " and %zu more", x->ncells - SHOWN_CELLS);
        fprintf(f, "\n    fix: %s\n", x->fix);
    }
}

void
vmb_preflight_to_json(struct vmb_jw *w, const struct vmb_preflight *p)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kbool(w, "ok", p->nlacking == 0);
    vmb_jw_kuint(w, "cells_checked", p->cells_checked);
    vmb_jw_kuint(w, "cells_lacking", p->cells_lacking);
    vmb_jw_key(w, "findings");
    vmb_jw_arr_begin(w);
    for (size_t i = 0; i < p->n; i++) {
        const struct vmb_preflight_finding *x = &p->findings[i];
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, "need", x->need);
        vmb_jw_kstr(w, "level",
                    x->level == VMB_PREFLIGHT_LACK ? "lack" : "note");
        vmb_jw_kstr(w, "detail", x->detail);
        vmb_jw_kstr(w, "fix", x->fix);
        vmb_jw_key(w, "cells");
        vmb_jw_arr_begin(w);
        for (size_t k = 0; k < x->ncells; k++)
            vmb_jw_str(w, x->cells[k]->id);
        vmb_jw_arr_end(w);
        vmb_jw_obj_end(w);
    }
    vmb_jw_arr_end(w);
    if (p->agent_transport != NULL) {
        vmb_jw_key(w, "agent_transport");
        vmb_jw_obj_begin(w);
        vmb_jw_kstr(w, "auto", p->agent_transport);
        vmb_jw_kstr(w, "why", p->agent_transport_why);
        vmb_jw_obj_end(w);
    }
    vmb_jw_obj_end(w);
}

int
vmb_preflight_refuse(const struct vmb_preflight *p, struct vmb_error **err)
{
    if (p->nlacking == 0)
        return 0;
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "this host cannot run %zu of the selected cells "
                         "(the shortfalls and their fixes are listed above); "
                         "nothing was started",
                         p->cells_lacking);
}
