#include "vm/vm_kata.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/hosts.h"
#include "config/virtiofsd_args.h"
#include "vm/vm.h"

int
vmb_hugepages_info(uint64_t *free_pages, uint64_t *total_pages,
                   struct vmb_error **err)
{
    return vmb_hugepages_info_at("/proc/meminfo", free_pages, total_pages, err);
}

int
vmb_hugepages_info_at(const char *meminfo, uint64_t *free_pages,
                      uint64_t *total_pages, struct vmb_error **err)
{
    autofclose FILE *f = fopen(meminfo, "re");
    if (f == NULL)
        return vmb_error_sys(err, "read \"%s\"", meminfo);
    char line[128];
    uint64_t fr = 0, tot = 0, size_kib = 0;
    while (fgets(line, sizeof(line), f)) {
        sscanf(line, "HugePages_Total: %" SCNu64, &tot);
        sscanf(line, "HugePages_Free: %" SCNu64, &fr);
        sscanf(line, "Hugepagesize: %" SCNu64, &size_kib);
    }
    if (size_kib != 2048)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "the host's default huge page size is %" PRIu64
                             " KiB; vmbench asks for 2 MiB pages",
                             size_kib);
    *free_pages = fr;
    *total_pages = tot;
    return 0;
}

static int
host_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static uint64_t
host_memory_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 0;
    return (uint64_t)pages * (uint64_t)size / (1024 * 1024);
}

/* Kata's rule for both maxima: 0 or more than the host means the host. */
static void
resolve_maxima(const struct vmb_config *cfg, struct vmb_vm_kata *k)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    int cpus = host_cpus();
    int64_t maxv = g->maxvcpus == 0 || g->maxvcpus > cpus ? cpus : g->maxvcpus;
    if (maxv > VMB_VM_KATA_MAX_VCPUS)
        maxv = VMB_VM_KATA_MAX_VCPUS;
    k->max_vcpus = maxv < g->vcpus ? (int)g->vcpus : (int)maxv;
    uint64_t mem = host_memory_mib();
    uint64_t maxm = g->maxmemory_mib;
    if (maxm == 0 || (mem > 0 && maxm > mem))
        maxm = mem;
    k->max_memory_mib = g->memory_slots > 0 && maxm > g->memory_mib ? maxm : 0;
}

static int
check_vhost(const struct vmb_config *cfg, struct vmb_vm_kata *k,
            struct vmb_error **err)
{
    k->vhost = !cfg->network.disable_vhost_net;
    if (!k->vhost || access("/dev/vhost-net", R_OK | W_OK) == 0)
        return 0;
    if (!cfg->network.vhost_fallback)
        return vmb_error_set(
            err, VMB_ERR_INPUT, 0,
            "disable_vhost_net is false (Kata's default: the NIC on "
            "vhost-net) but this host has no usable /dev/vhost-net; load "
            "it (`modprobe vhost_net`), set disable_vhost_net: true, or "
            "set network.vhost_fallback: true to run without vhost");
    k->vhost = false;
    k->vhost_fallback = true;
    return 0;
}

static int
check_hugepages(const struct vmb_config *cfg, struct vmb_error **err)
{
    if (!cfg->guest.hugepages)
        return 0;
    uint64_t fr = 0, tot = 0;
    if (vmb_hugepages_info(&fr, &tot, err) < 0)
        return vmb_error_prefix(err, "enable_hugepages");
    int nodes = vmb_hosts_vm_nodes_here(cfg);
    uint64_t need = (uint64_t)nodes * ((cfg->guest.memory_mib + 1) / 2);
    if (fr >= need)
        return 0;
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "enable_hugepages: %s %" PRIu64
                         " free 2 MiB pages, the host has %" PRIu64
                         " free; reserve them with `echo %" PRIu64
                         " > /proc/sys/vm/nr_hugepages`",
                         nodes == 2 ? "both VMs need" : "its one VM needs",
                         need, fr, tot + (need - fr));
}

static int
plan_pins(const struct vmb_config *cfg, struct vmb_vm_kata *k,
          struct vmb_error **err)
{
    if (!cfg->guest.vcpus_pinning)
        return 0;
    /* A one-node cell (fio) has one VM: it reserves no CPUs for a
     * second; nor does a cell whose node 2 runs on another host (its
     * CPUs there: vmb_vm_kata_pin_there). */
    int cpus = host_cpus(), v = (int)cfg->guest.vcpus;
    int nodes = vmb_hosts_vm_nodes_here(cfg);
    if (nodes * v > cpus || cpus > 64)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "enable_vcpus_pinning needs a host CPU for each "
                             "vCPU of the cell's VMs (%d) and at most 64 "
                             "CPUs; this host has %d",
                             nodes * v, cpus);
    k->pin = true;
    for (int node = 1; node <= nodes; node++)
        for (int j = 0; j < v; j++)
            k->pins[node - 1][j] = vmb_config_node_slot(cfg, 0, node) * v + j;
    /* The emulator threads go to the CPUs no vCPU of the cell has. */
    if (nodes * v < cpus)
        for (int node = 0; node < nodes; node++)
            k->emulator_cpuset[node] =
                vmb_xasprintf("%d-%d", nodes * v, cpus - 1);
    return 0;
}

int
vmb_vm_kata_pin_there(struct vmb_vm_kata *k, const struct vmb_config *cfg,
                      int cpus, uint64_t online, struct vmb_error **err)
{
    if (!k->pin)
        return 0;
    int v = (int)cfg->guest.vcpus;
    int have = __builtin_popcountll(online);
    if (v > have || cpus > 64)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "enable_vcpus_pinning needs an online CPU on "
                             "node 2's host for each of its %d vCPUs and at "
                             "most 64 CPUs; that host has %d online",
                             v, cpus);
    /* The vCPUs take the first online CPUs, the emulator the rest. */
    struct vmb_buf rest = {0};
    for (int i = 0, j = 0; i < 64; i++) {
        if (!(online & (1ull << i)))
            continue;
        if (j < v)
            k->pins[1][j++] = i;
        else
            vmb_buf_printf(&rest, "%s%d", rest.len ? "," : "", i);
    }
    free(k->emulator_cpuset[1]);
    k->emulator_cpuset[1] = rest.len ? vmb_buf_steal(&rest) : NULL;
    vmb_buf_free(&rest);
    return 0;
}

int
vmb_vm_kata_pin_tenant(struct vmb_vm_kata *k, const struct vmb_config *cfg,
                       int tenant, struct vmb_error **err)
{
    if (!k->pin || cfg->top.tenants <= 1)
        return 0;
    int cpus = host_cpus(), v = (int)cfg->guest.vcpus;
    int nodes = vmb_config_nodes(cfg);
    int all = (int)cfg->top.tenants * nodes * v;
    if (all > cpus)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "enable_vcpus_pinning needs a host CPU for each "
                             "vCPU of every tenant's VMs (%d); this host has "
                             "%d",
                             all, cpus);
    for (int node = 1; node <= nodes; node++)
        for (int j = 0; j < v; j++)
            k->pins[node - 1][j] =
                vmb_config_node_slot(cfg, tenant, node) * v + j;
    /* The emulator threads go to the CPUs no tenant's vCPU has. */
    for (int node = 0; node < nodes; node++) {
        free(k->emulator_cpuset[node]);
        k->emulator_cpuset[node] =
            all < cpus ? vmb_xasprintf("%d-%d", all, cpus - 1) : NULL;
    }
    return 0;
}

int
vmb_vm_kata_prepare(const struct vmb_config *cfg, struct vmb_vm_kata *k,
                    struct vmb_error **err)
{
    memset(k, 0, sizeof(*k));
    const struct vmb_guest_opts *g = &cfg->guest;
    resolve_maxima(cfg, k);
    if (g->maxvcpus > 0 && g->maxvcpus < g->vcpus)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "default_maxvcpus %" PRId64
                             " is below default_vcpus %" PRId64,
                             g->maxvcpus, g->vcpus);
    if (vmb_config_blk_cache(cfg, &k->blk_cache, err) < 0 ||
        vmb_virtiofsd_args_check(g->virtio_fs_extra_args, err) < 0)
        return -1;
    int64_t q = g->virtio_fs_queue;
    if (q & (q - 1))
        return vmb_error_set(
            err, VMB_ERR_INPUT, 0,
            "virtio_fs_queue_size %" PRId64 " is not a power of two", q);
    if (!vmb_virt_cpu_features_valid(g->cpu_features)) {
        autofree char *shown = vmb_option_shown(g->cpu_features);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "cpu_features \"%s\": expected comma-separated "
                             "pmu=on|off, NAME=on|off, +NAME or -NAME",
                             shown);
    }
    if (vmb_config_placement(cfg) == VMB_STORAGE_VIRTIO_BLK &&
        g->blk_aio == VMB_BLKAIO_NATIVE &&
        (k->blk_cache == NULL || strcmp(k->blk_cache, "none") != 0))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "block_device_aio \"native\" needs O_DIRECT: "
                             "block_device_cache_set and "
                             "block_device_cache_direct true");
    if (check_vhost(cfg, k, err) < 0 || check_hugepages(cfg, err) < 0 ||
        plan_pins(cfg, k, err) < 0) {
        vmb_vm_kata_free(k);
        return -1;
    }
    return 0;
}

void
vmb_vm_kata_free(struct vmb_vm_kata *k)
{
    free(k->emulator_cpuset[0]);
    free(k->emulator_cpuset[1]);
    k->emulator_cpuset[0] = k->emulator_cpuset[1] = NULL;
}

/* Kata's rate limiters count bits per second, libvirt KiB per second. */
static uint64_t
kib_per_s(int64_t bits)
{
    if (bits <= 0)
        return 0;
    uint64_t k = (uint64_t)bits / 8 / 1024;
    return k > 0 ? k : 1;
}

void
vmb_vm_kata_spec(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
                 int node, struct vmb_domain_spec *s)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    s->max_vcpus = k->max_vcpus;
    s->memory_slots = (int)g->memory_slots;
    s->max_memory_mib = k->max_memory_mib;
    s->hugepages = g->hugepages;
    s->mem_prealloc = g->mem_prealloc;
    s->cpu_features = g->cpu_features;
    s->vcpu_pins = k->pin ? k->pins[node] : NULL;
    s->emulator_cpuset = k->pin ? k->emulator_cpuset[node] : NULL;
    s->blk_driver = vmb_config_blk_driver(cfg);
    s->blk_cache = k->blk_cache;
    s->blk_aio = g->blk_aio;
    s->rng_source = vmb_entropy_name(g->entropy_source);
    s->fs_queue = (int)g->virtio_fs_queue;
    s->vhost = k->vhost;
    s->rx_kib_per_s = kib_per_s(cfg->network.rx_rate_bits);
    s->tx_kib_per_s = kib_per_s(cfg->network.tx_rate_bits);
}

bool
vmb_vm_kata_memory_matches(uint64_t want_mib, uint64_t ram_kib,
                           uint64_t mem_total_kib)
{
    uint64_t want_kib = want_mib * 1024;
    uint64_t holes_kib = VMB_VM_KATA_FIRMWARE_HOLES_KIB + want_kib / 64;
    return ram_kib <= want_kib && ram_kib + holes_kib >= want_kib &&
           mem_total_kib > 0 && mem_total_kib <= ram_kib;
}

/* Whether the word w is one of the space-separated words of line. */
static bool
has_word(const char *line, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = line; (p = strstr(p, w)) != NULL; p++)
        if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* libvirt writes some arguments as key=value, others as JSON. */
static bool
has_arg(const char *cmd, const char *plain, const char *json)
{
    return (plain && strstr(cmd, plain)) || (json && strstr(cmd, json));
}

/* The value of attribute attr of the first element `<elem ` in xml. */
static char *
xml_attr(const char *xml, const char *elem, const char *attr)
{
    autofree char *open = vmb_xasprintf("<%s ", elem);
    autofree char *key = vmb_xasprintf(" %s='", attr);
    const char *p = xml ? strstr(xml, open) : NULL;
    if (p == NULL)
        return NULL;
    const char *end = strchr(p, '>');
    const char *a = strstr(p, key);
    if (end == NULL || a == NULL || a > end)
        return NULL;
    a += strlen(key);
    const char *q = strchr(a, '\'');
    return q ? vmb_xstrndup(a, (size_t)(q - a)) : NULL;
}

/* The argument of cmd (one per line, or space-separated) holding what. */
static char *
cmdline_arg(const char *cmd, const char *what)
{
    const char *p = what ? strstr(cmd, what) : NULL;
    if (p == NULL)
        return NULL;
    const char *a = p, *b = p;
    while (a > cmd && a[-1] != '\n' && a[-1] != ' ')
        a--;
    while (*b && *b != '\n' && *b != ' ')
        b++;
    return vmb_xstrndup(a, (size_t)(b - a));
}

bool
vmb_vm_kata_machine_is(const char *want, const char *live)
{
    if (want == NULL || live == NULL)
        return false;
    if (strcmp(want, live) == 0)
        return true;
    /* libvirt pins an alias to QEMU's newest version of it. */
    const char *family = strcmp(want, "pc") == 0 ? "i440fx" : want;
    size_t n = strlen(family);
    return strncmp(live, "pc-", 3) == 0 && strncmp(live + 3, family, n) == 0 &&
           live[3 + n] == '-' && live[4 + n] != '\0';
}

/*
 * machine_type: the machine libvirt resolved in the live XML is the
 * cell's, QEMU runs it, and the guest's firmware names its chipset.
 */
static int
verify_machine(const struct vmb_config *cfg, const char *name, const char *xml,
               const char *cmd, const struct vmb_agent_facts *f,
               struct vmb_error **err)
{
    const char *want = cfg->hypervisor.machine;
    autofree char *live = xml_attr(xml, "type", "machine");
    if (!vmb_vm_kata_machine_is(want, live))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: libvirt runs machine \"%s\", the cell's "
                             "machine_type is \"%s\"",
                             name, live ? live : "", want);
    autofree char *arg = cmdline_arg(cmd, live);
    if (arg == NULL || strncmp(arg, live, strlen(live)) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: QEMU's command line lacks machine \"%s\"",
                             name, live);
    const char *chipset = strstr(live, "q35")      ? "Q35"
                          : strstr(live, "i440fx") ? "i440FX"
                                                   : NULL;
    if (chipset &&
        (f->dmi_product == NULL || strstr(f->dmi_product, chipset) == NULL))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: the guest's firmware says \"%s\", not a %s "
                             "machine (machine_type \"%s\")",
                             name, f->dmi_product ? f->dmi_product : "",
                             chipset, want);
    return 0;
}

/*
 * block_device_cache_* and block_device_aio on the data disk's own
 * -blockdev: the cache mode as QEMU's two flags (Kata sets the same
 * two), the aio engine by name.
 */
static int
verify_data_disk(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
                 const char *name, const char *disk, const char *cmd,
                 struct vmb_error **err)
{
    autofree char *arg = cmdline_arg(cmd, disk);
    if (arg == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: QEMU's command line lacks the data disk "
                             "\"%s\"",
                             name, disk);
    const char *aio = vmb_blk_aio_name(cfg->guest.blk_aio);
    autofree char *aio_json = vmb_xasprintf("\"aio\":\"%s\"", aio);
    autofree char *aio_plain = vmb_xasprintf("aio=%s", aio);
    if (!has_arg(arg, aio_plain, aio_json))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: the data disk's aio is not \"%s\", which "
                             "the cell's block_device_aio asks for (QEMU: %s)",
                             name, aio, arg);
    const char *mode = k->blk_cache;
    bool direct = mode && strcmp(mode, "none") == 0;
    bool noflush = mode && strcmp(mode, "unsafe") == 0;
    bool has_direct = has_arg(arg, "cache.direct=on", "\"direct\":true") ||
                      has_arg(arg, "cache=none", "cache=directsync");
    bool has_noflush = has_arg(arg, "cache.no-flush=on", "\"no-flush\":true") ||
                       has_arg(arg, "cache=unsafe", NULL);
    if (has_direct != direct || has_noflush != noflush)
        return vmb_error_set(
            err, VMB_ERR_RUN, 0,
            "%s: the data disk has cache direct=%s no-flush=%s, the cell's "
            "block_device_cache_* ask for cache \"%s\" (direct=%s "
            "no-flush=%s)",
            name, has_direct ? "on" : "off", has_noflush ? "on" : "off",
            mode ? mode : "(QEMU's default)", direct ? "on" : "off",
            noflush ? "on" : "off");
    return 0;
}

/*
 * rx/tx_rate_limiter_max_rate: what libvirt applies to the live
 * interface, found by the MAC address of the live XML.
 */
static int
verify_bandwidth(const struct vmb_config *cfg, const char *name,
                 const char *xml, struct vmb_virt_domain *d,
                 struct vmb_error **err)
{
    autofree char *mac = xml_attr(xml, "mac", "address");
    if (mac == NULL)
        return 0; /* no NIC: nothing to limit */
    uint64_t in = 0, out = 0;
    if (vmb_virt_domain_bandwidth(d, mac, &in, &out, err) < 0)
        return vmb_error_prefix(err, "%s", name);
    uint64_t want_in = kib_per_s(cfg->network.rx_rate_bits);
    uint64_t want_out = kib_per_s(cfg->network.tx_rate_bits);
    if (in != want_in || out != want_out)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: libvirt limits the NIC to inbound %" PRIu64
                             " and outbound %" PRIu64
                             " KiB/s, the cell's rx/tx_rate_limiter_max_rate "
                             "ask for %" PRIu64 " and %" PRIu64 " (0: none)",
                             name, in, out, want_in, want_out);
    return 0;
}

static int
verify_qemu(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
            const char *name, const char *cmd, struct vmb_error **err)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    int place = vmb_config_placement(cfg);
    char maxcpus[32], slots[32], queue[48], queue_json[48];
    snprintf(maxcpus, sizeof(maxcpus), "maxcpus=%d", k->max_vcpus);
    snprintf(slots, sizeof(slots), "slots=%" PRId64, g->memory_slots);
    snprintf(queue, sizeof(queue), "queue-size=%" PRId64, g->virtio_fs_queue);
    snprintf(queue_json, sizeof(queue_json), "\"queue-size\":%" PRId64,
             g->virtio_fs_queue);
    bool blk = place == VMB_STORAGE_VIRTIO_BLK;
    bool scsi = blk && vmb_config_blk_driver(cfg) == VMB_BLKDRV_VIRTIO_SCSI;
    /* Kata plugs the controller whenever the driver is virtio-scsi. */
    bool scsi_ctl = vmb_config_blk_driver(cfg) == VMB_BLKDRV_VIRTIO_SCSI;
    bool pmu_off = strstr(g->cpu_features, "pmu=off") != NULL;
    char rng[64], rng_json[64];
    snprintf(rng, sizeof(rng), "filename=%s",
             vmb_entropy_name(g->entropy_source));
    snprintf(rng_json, sizeof(rng_json), "\"filename\":\"%s\"",
             vmb_entropy_name(g->entropy_source));
    const struct {
        bool when;
        const char *plain, *json, *knob;
    } want[] = {
        {k->max_vcpus > g->vcpus, maxcpus, NULL, "default_maxvcpus"},
        {k->max_memory_mib > 0, slots, NULL, "memory_slots"},
        {g->hugepages, "hugepages", "\"hugetlb\":true", "enable_hugepages"},
        {g->mem_prealloc || g->hugepages, "prealloc=on", "\"prealloc\":true",
         "enable_mem_prealloc"},
        {pmu_off, "pmu=off", NULL, "cpu_features"},
        {scsi_ctl, "virtio-scsi-pci", NULL, "block_device_driver"},
        {scsi && g->iothreads, "\"iothread\":\"iothread1\"",
         "iothread=iothread1", "enable_iothreads"},
        {vmb_config_share(cfg) == VMB_STORAGE_VIRTIOFS, queue, queue_json,
         "virtio_fs_queue_size"},
        {k->vhost, "vhost=on", "\"vhost\":true", "disable_vhost_net"},
        {true, rng, rng_json, "entropy_source"},
        {true, "driftfix=slew", NULL, "Kata RTC (driftfix=slew)"},
    };
    for (size_t i = 0; i < VMB_NELEMS(want); i++) {
        if (!want[i].when)
            continue;
        if (!has_arg(cmd, want[i].plain, want[i].json))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: QEMU's command line lacks \"%s\", which "
                                 "the cell's %s asks for",
                                 name, want[i].plain, want[i].knob);
    }
    if (!k->vhost && has_arg(cmd, "vhost=on", "\"vhost\":true"))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: QEMU uses vhost-net, the cell says "
                             "disable_vhost_net or runs without it",
                             name);
    return 0;
}

/* scsi_mod's scan as the kernel command line sets it: Kata's "none",
 * unless kernel_params, which come last, say otherwise. */
static const char *
scsi_scan_param(const char *kernel_params, char *last, size_t len)
{
    const char *key = "scsi_mod.scan=";
    snprintf(last, len, "%s", strchr(VMB_VM_KATA_SCSI_PARAM, '=') + 1);
    for (const char *p = kernel_params; p && (p = strstr(p, key)) != NULL;
         p += strlen(key)) {
        if (p != kernel_params && p[-1] != ' ' && p[-1] != '\t')
            continue;
        const char *v = p + strlen(key);
        snprintf(last, len, "%.*s", (int)strcspn(v, " \t"), v);
    }
    return last;
}

int
vmb_vm_kata_verify(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
                   int node, const char *name, const char *data_disk,
                   const struct vmb_agent_facts *f, struct vmb_virt_domain *d,
                   struct vmb_error **err)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    int place = vmb_config_placement(cfg);
    /* Kata's own kernel parameters, then kernel_params: every word on the
     * guest's own command line. */
    autofree char *params = vmb_xasprintf(
        "%s %s %s", VMB_VM_KATA_KERNEL_PARAMS, VMB_VM_KATA_SCSI_PARAM,
        g->kernel_params ? g->kernel_params : "");
    char *save = NULL;
    for (char *w = strtok_r(params, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save))
        if (f->cmdline == NULL || !has_word(f->cmdline, w))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: kernel parameter \"%s\" is not on the "
                                 "guest's /proc/cmdline",
                                 name, w);
    if (place == VMB_STORAGE_9P) {
        char msize[40];
        snprintf(msize, sizeof(msize), "msize=%" PRIu64, g->msize_9p_bytes);
        if (f->data_options == NULL || strstr(f->data_options, msize) == NULL)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: the 9p mount has options \"%s\", the "
                                 "cell says msize_9p %" PRIu64,
                                 name, f->data_options ? f->data_options : "",
                                 g->msize_9p_bytes);
    }
    if (place == VMB_STORAGE_VIRTIO_BLK) {
        bool scsi = vmb_config_blk_driver(cfg) == VMB_BLKDRV_VIRTIO_SCSI;
        const char *want = scsi ? "/dev/sd" : "/dev/vd";
        if (f->data_source == NULL ||
            strncmp(f->data_source, want, strlen(want)) != 0)
            return vmb_error_set(
                err, VMB_ERR_RUN, 0,
                "%s: data directory is on \"%s\", not a "
                "%s disk",
                name, f->data_source ? f->data_source : "",
                vmb_blk_driver_name(vmb_config_blk_driver(cfg)));
        char scan_buf[32];
        const char *scan =
            scsi_scan_param(g->kernel_params, scan_buf, sizeof(scan_buf));
        if (scsi && (f->scsi_scan == NULL || strcmp(f->scsi_scan, scan) != 0))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: the guest's SCSI hosts scan \"%s\", "
                                 "the kernel command line says \"%s\"",
                                 name, f->scsi_scan ? f->scsi_scan : "", scan);
    }
    /* local without disable_block_device_use: the container root's own
     * disk, which is on virtio-blk whatever block_device_driver says. */
    if (place == VMB_STORAGE_LOCAL &&
        (f->data_source == NULL || strncmp(f->data_source, "/dev/vd", 7) != 0))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: data directory is on \"%s\", not the "
                             "container root's disk (disable_block_device_use "
                             "is false)",
                             name, f->data_source ? f->data_source : "");
    autofree char *cmd = NULL;
    if (vmb_virt_domain_qemu_cmdline(d, &cmd, err) < 0)
        return vmb_error_prefix(err, "%s", name);
    if (verify_qemu(k, cfg, name, cmd, err) < 0)
        return -1;
    autofree char *xml = NULL;
    if (vmb_virt_domain_live_xml(d, &xml, err) < 0)
        return vmb_error_prefix(err, "%s", name);
    if (verify_machine(cfg, name, xml, cmd, f, err) < 0 ||
        verify_bandwidth(cfg, name, xml, d, err) < 0)
        return -1;
    if (place == VMB_STORAGE_VIRTIO_BLK && data_disk != NULL &&
        verify_data_disk(k, cfg, name, data_disk, cmd, err) < 0)
        return -1;
    if (k->pin) {
        uint64_t masks[VMB_VM_KATA_MAX_VCPUS];
        int n = vmb_virt_domain_vcpu_pins(d, masks, (int)g->vcpus, err);
        if (n < 0)
            return vmb_error_prefix(err, "%s", name);
        for (int j = 0; j < g->vcpus; j++)
            if (j >= n || masks[j] != 1ULL << k->pins[node][j])
                return vmb_error_set(err, VMB_ERR_RUN, 0,
                                     "%s: vCPU %d is not pinned to host CPU %d "
                                     "alone (libvirt's pin info)",
                                     name, j, k->pins[node][j]);
    }
    return 0;
}
