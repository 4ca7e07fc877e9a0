#include "vm/vm_kata.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/vm.h"

int
vmb_hugepages_info(uint64_t *free_pages, uint64_t *total_pages,
                   struct vmb_error **err)
{
    autofclose FILE *f = fopen("/proc/meminfo", "re");
    if (f == NULL)
        return vmb_error_sys(err, "read \"/proc/meminfo\"");
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
    uint64_t need = 2 * ((cfg->guest.memory_mib + 1) / 2);
    if (fr >= need)
        return 0;
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "enable_hugepages: both VMs need %" PRIu64
                         " free 2 MiB pages, the host has %" PRIu64
                         " free; reserve them with `echo %" PRIu64
                         " > /proc/sys/vm/nr_hugepages`",
                         need, fr, tot + (need - fr));
}

static int
plan_pins(const struct vmb_config *cfg, struct vmb_vm_kata *k,
          struct vmb_error **err)
{
    if (!cfg->guest.vcpus_pinning)
        return 0;
    int cpus = host_cpus(), v = (int)cfg->guest.vcpus;
    if (2 * v > cpus || cpus > 64)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "enable_vcpus_pinning needs a host CPU for each "
                             "vCPU of both VMs (%d) and at most 64 CPUs; this "
                             "host has %d",
                             2 * v, cpus);
    k->pin = true;
    for (int node = 0; node < 2; node++)
        for (int j = 0; j < v; j++)
            k->pins[node][j] = node * v + j;
    /* The emulator threads go to the CPUs no vCPU of the cell has. */
    if (2 * v < cpus) {
        char *set = vmb_xasprintf("%d-%d", 2 * v, cpus - 1);
        k->emulator_cpuset[0] = set;
        k->emulator_cpuset[1] = vmb_xstrdup(set);
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
    int64_t pool = -1;
    if (vmb_config_blk_cache(cfg, &k->blk_cache, err) < 0 ||
        vmb_config_virtiofsd_args(cfg, &pool, err) < 0)
        return -1;
    k->fs_thread_pool = (int)pool;
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
    s->fs_cache = g->virtio_fs_cache;
    s->fs_queue = (int)g->virtio_fs_queue;
    s->fs_thread_pool = k->fs_thread_pool;
    s->vhost = k->vhost;
    s->rx_kib_per_s = kib_per_s(cfg->network.rx_rate_bits);
    s->tx_kib_per_s = kib_per_s(cfg->network.tx_rate_bits);
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

/* The command line of the virtiofsd serving domain `dom`; NULL if none
 * is found (a remote host, or libvirt's socket path does not name it). */
static char *
virtiofsd_cmdline(const char *dom)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return NULL;
    char *found = NULL;
    struct dirent *e;
    while (found == NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        char *buf = NULL;
        size_t len = 0;
        if (vmb_read_file(path, &buf, &len, NULL) < 0 || len == 0) {
            free(buf);
            continue;
        }
        for (size_t i = 0; i + 1 < len; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        if (strstr(buf, "virtiofsd") && strstr(buf, dom))
            found = buf;
        else
            free(buf);
    }
    closedir(d);
    return found;
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
    const char *aio = vmb_blk_aio_name(g->blk_aio);
    char aio_plain[32], aio_json[32];
    snprintf(aio_plain, sizeof(aio_plain), "aio=%s", aio);
    snprintf(aio_json, sizeof(aio_json), "\"aio\":\"%s\"", aio);
    bool blk = place == VMB_STORAGE_VIRTIO_BLK;
    bool scsi = blk && vmb_config_blk_driver(cfg) == VMB_BLKDRV_VIRTIO_SCSI;
    bool pmu_off = strstr(g->cpu_features, "pmu=off") != NULL;
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
        {blk, aio_plain, aio_json, "block_device_aio"},
        {scsi, "virtio-scsi-pci", NULL, "block_device_driver"},
        {scsi && g->iothreads, "\"iothread\":\"iothread1\"",
         "iothread=iothread1", "enable_iothreads"},
        {place == VMB_STORAGE_VIRTIOFS, queue, queue_json,
         "virtio_fs_queue_size"},
        {k->vhost, "vhost=on", "\"vhost\":true", "disable_vhost_net"},
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

int
vmb_vm_kata_verify(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
                   int node, const char *name, const struct vmb_agent_facts *f,
                   struct vmb_virt_domain *d, struct vmb_error **err)
{
    const struct vmb_guest_opts *g = &cfg->guest;
    int place = vmb_config_placement(cfg);
    /* kernel_params: every word on the guest's own command line. */
    autofree char *params = vmb_xstrdup(g->kernel_params);
    char *save = NULL;
    for (char *w = strtok_r(params, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save))
        if (f->cmdline == NULL || !has_word(f->cmdline, w))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: kernel_params word \"%s\" is not on the "
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
    }
    autofree char *cmd = NULL;
    if (vmb_virt_domain_qemu_cmdline(d, &cmd, err) < 0)
        return vmb_error_prefix(err, "%s", name);
    if (verify_qemu(k, cfg, name, cmd, err) < 0)
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
    if (place == VMB_STORAGE_VIRTIOFS && k->fs_thread_pool >= 0) {
        autofree char *fsd = virtiofsd_cmdline(vmb_virt_domain_name(d));
        char pool[48];
        snprintf(pool, sizeof(pool), "--thread-pool-size=%d",
                 k->fs_thread_pool);
        if (fsd != NULL && strstr(fsd, pool) == NULL)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: virtiofsd runs without \"%s\"", name,
                                 pool);
    }
    return 0;
}
