/*
 * The domain XML of a container VM: every Kata knob a cell sets becomes
 * the libvirt element that asks QEMU for it (docs/kata.md has the table).
 * No libvirt call here: the text is data, checked against libvirt's
 * schema by the unit tests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "vm/agent_wire.h"
#include "vm/virt.h"

#define xml_text vmb_buf_markup

static void
xml_disk(struct vmb_buf *b, const char *path, const char *format,
         const char *dev, const char *bus, const char *serial,
         const char *cache, const char *aio, bool iothread)
{
    vmb_buf_printf(b,
                   "    <disk type='file' device='disk'>\n"
                   "      <driver name='qemu' type='%s'",
                   format);
    if (cache)
        vmb_buf_printf(b, " cache='%s'", cache);
    if (aio)
        vmb_buf_printf(b, " io='%s'", aio);
    if (iothread)
        vmb_buf_puts(b, " iothread='1'");
    vmb_buf_puts(b, " discard='unmap'/>\n      <source file='");
    xml_text(b, path);
    vmb_buf_printf(b,
                   "'/>\n"
                   "      <target dev='%s' bus='%s'/>\n"
                   "      <serial>%s</serial>\n",
                   dev, bus, serial);
    /* The address the agent scans for: the guest does not scan itself. */
    if (strcmp(bus, "scsi") == 0)
        vmb_buf_printf(b,
                       "      <address type='drive' controller='0' bus='0' "
                       "target='%d' unit='%d'/>\n",
                       VMB_AGENT_DATA_SCSI_TARGET, VMB_AGENT_DATA_SCSI_LUN);
    vmb_buf_puts(b, "    </disk>\n");
}

/*
 * One word of cpu_features: pmu=on|off goes to <features>, the others to
 * <cpu> as required or disabled features. Returns false for a word of
 * neither shape (vmb_vm_cell_check refuses those before a start).
 */
static bool
cpu_word(const char *w, size_t n, char *name, size_t len, bool *on)
{
    if (n == 0 || n >= len)
        return false;
    if (w[0] == '+' || w[0] == '-') {
        *on = w[0] == '+';
        memcpy(name, w + 1, n - 1);
        name[n - 1] = '\0';
        return n > 1;
    }
    const char *eq = memchr(w, '=', n);
    if (eq == NULL)
        return false;
    size_t k = (size_t)(eq - w), vl = n - k - 1;
    if (k == 0)
        return false;
    if (vl == 2 && strncmp(eq + 1, "on", 2) == 0)
        *on = true;
    else if (vl == 3 && strncmp(eq + 1, "off", 3) == 0)
        *on = false;
    else
        return false;
    memcpy(name, w, k);
    name[k] = '\0';
    for (size_t i = 0; i < k; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return false;
    }
    return true;
}

bool
vmb_virt_cpu_features_valid(const char *features)
{
    const char *p = features ? features : "";
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        bool on;
        if (n > 0 && !cpu_word(p, n, name, sizeof(name), &on))
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

/* The <feature> lines of a cpu_features list; pmu through *pmu (-1: unset). */
static void
cpu_features(const char *features, int *pmu, struct vmb_buf *cpu)
{
    const char *p = features ? features : "";
    *pmu = -1;
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        bool on;
        if (cpu_word(p, n, name, sizeof(name), &on)) {
            if (strcmp(name, "pmu") == 0)
                *pmu = on;
            else
                vmb_buf_printf(cpu, "    <feature policy='%s' name='%s'/>\n",
                               on ? "require" : "disable", name);
        }
        p += n;
        if (*p == ',')
            p++;
    }
}

static void
xml_cpu(struct vmb_buf *b, const struct vmb_domain_spec *s, const char *feats)
{
    bool numa = s->memory_slots > 0 && s->max_memory_mib > s->memory_mib;
    int maxv = s->max_vcpus > s->vcpus ? s->max_vcpus : s->vcpus;
    if (!s->kvm && !numa && feats[0] == '\0')
        return;
    if (s->kvm)
        vmb_buf_puts(b, "  <cpu mode='host-passthrough'");
    else if (feats[0])
        vmb_buf_puts(b, "  <cpu mode='custom' match='exact'");
    else
        vmb_buf_puts(b, "  <cpu");
    if (!numa && feats[0] == '\0') {
        vmb_buf_puts(b, "/>\n");
        return;
    }
    vmb_buf_puts(b, ">\n");
    /* TCG has no host CPU to pass through: QEMU's default model. */
    if (!s->kvm && feats[0])
        vmb_buf_puts(b, "    <model fallback='allow'>qemu64</model>\n");
    vmb_buf_puts(b, feats);
    /* Memory hotplug needs a NUMA node to plug into. */
    if (numa)
        vmb_buf_printf(b,
                       "    <numa>\n"
                       "      <cell id='0' cpus='0-%d' memory='%" PRIu64
                       "' unit='MiB'/>\n"
                       "    </numa>\n",
                       maxv - 1, s->memory_mib);
    vmb_buf_puts(b, "  </cpu>\n");
}

static void
xml_memory(struct vmb_buf *b, const struct vmb_domain_spec *s)
{
    /* vhost-user (virtiofsd) needs guest memory it can map. */
    bool shared = s->fs == VMB_VIRT_FS_VIRTIOFS;
    if (!shared && !s->hugepages && !s->mem_prealloc)
        return;
    vmb_buf_puts(b, "  <memoryBacking>\n");
    if (s->hugepages)
        vmb_buf_puts(b, "    <hugepages>\n"
                        "      <page size='2048' unit='KiB'/>\n"
                        "    </hugepages>\n");
    /* memfd needs no hugetlbfs mount for huge pages (MFD_HUGETLB). */
    if (shared || s->hugepages)
        vmb_buf_puts(b, "    <source type='memfd'/>\n");
    if (shared)
        vmb_buf_puts(b, "    <access mode='shared'/>\n");
    if (s->mem_prealloc || s->hugepages)
        vmb_buf_puts(b, "    <allocation mode='immediate'/>\n");
    vmb_buf_puts(b, "  </memoryBacking>\n");
}

static void
xml_cputune(struct vmb_buf *b, const struct vmb_domain_spec *s)
{
    if (s->vcpu_pins == NULL)
        return;
    vmb_buf_puts(b, "  <cputune>\n");
    for (int i = 0; i < s->vcpus; i++)
        vmb_buf_printf(b, "    <vcpupin vcpu='%d' cpuset='%d'/>\n", i,
                       s->vcpu_pins[i]);
    if (s->emulator_cpuset) {
        vmb_buf_puts(b, "    <emulatorpin cpuset='");
        xml_text(b, s->emulator_cpuset);
        vmb_buf_puts(b, "'/>\n");
    }
    vmb_buf_puts(b, "  </cputune>\n");
}

/* Kata's layout: the IOThread, where there is one, serves the controller. */
static void
xml_scsi_controller(struct vmb_buf *b, bool iot)
{
    vmb_buf_puts(b, "    <controller type='scsi' index='0' "
                    "model='virtio-scsi'");
    if (iot)
        vmb_buf_puts(b, ">\n      <driver iothread='1'/>\n"
                        "    </controller>\n");
    else
        vmb_buf_puts(b, "/>\n");
}

static void
xml_data_disk(struct vmb_buf *b, const struct vmb_domain_spec *s, bool iot)
{
    static const char *const aio[] = {"threads", "native", "io_uring"};
    const char *fmt = s->data_format ? s->data_format : "raw";
    const char *io = s->blk_aio >= 0 && s->blk_aio < 3 ? aio[s->blk_aio] : NULL;
    if (s->blk_driver == VMB_BLKDRV_VIRTIO_SCSI) {
        xml_scsi_controller(b, iot);
        xml_disk(b, s->data_disk, fmt, "sda", "scsi", VMB_AGENT_DATA_SERIAL,
                 s->blk_cache, io, false);
    } else {
        xml_disk(b, s->data_disk, fmt, "vdb", "virtio", VMB_AGENT_DATA_SERIAL,
                 s->blk_cache, io, iot);
    }
}

/*
 * virtio-fs whose daemon libvirt starts, for a node on another host
 * (where vmbench runs no daemon of its own): Kata's settings as <binary>
 * says them, the rest the daemon's defaults.
 */
static void
xml_virtiofs_libvirt(struct vmb_buf *b, const struct vmb_domain_spec *s)
{
    const struct vmb_virtiofsd_libvirt *lv = s->fs_libvirt;
    vmb_buf_printf(b,
                   "    <filesystem type='mount' accessmode='passthrough'>\n"
                   "      <driver type='virtiofs' queue='%d'/>\n"
                   "      <binary",
                   s->fs_queue > 0 ? s->fs_queue : 1024);
    if (s->fs_daemon != NULL) {
        vmb_buf_puts(b, " path='");
        xml_text(b, s->fs_daemon);
        vmb_buf_puts(b, "'");
    }
    if (lv->xattr)
        vmb_buf_puts(b, " xattr='on'");
    vmb_buf_puts(b, ">\n");
    if (lv->cache != NULL)
        vmb_buf_printf(b, "        <cache mode='%s'/>\n", lv->cache);
    if (lv->sandbox != NULL)
        vmb_buf_printf(b, "        <sandbox mode='%s'/>\n", lv->sandbox);
    if (lv->threads >= 0)
        vmb_buf_printf(b, "        <thread_pool size='%d'/>\n", lv->threads);
    vmb_buf_puts(b, "      </binary>\n      <source dir='");
    xml_text(b, s->fs_dir);
    vmb_buf_puts(b, "'/>\n      <target dir='" VMB_AGENT_FS_TAG "'/>\n"
                    "    </filesystem>\n");
}

static void
xml_filesystem(struct vmb_buf *b, const struct vmb_domain_spec *s)
{
    if (s->fs == VMB_VIRT_FS_9P) {
        /*
         * QEMU may run unprivileged (libvirt-qemu); "mapped" keeps guest
         * ownership in xattrs instead of failing chown on the host. The
         * share holds the container root's overlay, another device than
         * the share's own: QEMU remaps inodes across devices so that no
         * two files share a 9p id (multidevs, QEMU's advice for such a
         * share).
         */
        vmb_buf_puts(b, "    <filesystem type='mount' accessmode='mapped' "
                        "multidevs='remap'>\n"
                        "      <driver type='path' wrpolicy='immediate'/>\n"
                        "      <source dir='");
    } else if (s->fs == VMB_VIRT_FS_VIRTIOFS && s->fs_libvirt != NULL) {
        xml_virtiofs_libvirt(b, s);
        return;
    } else if (s->fs == VMB_VIRT_FS_VIRTIOFS) {
        /* The daemon is vmbench's, as Kata starts its own (libvirt's
         * externally launched form): QEMU connects to its socket. */
        vmb_buf_printf(b,
                       "    <filesystem type='mount'>\n"
                       "      <driver type='virtiofs' queue='%d'/>\n"
                       "      <source socket='",
                       s->fs_queue > 0 ? s->fs_queue : 1024);
        xml_text(b, s->fs_socket ? s->fs_socket : "");
        vmb_buf_puts(b, "'/>\n      <target dir='" VMB_AGENT_FS_TAG "'/>\n"
                        "    </filesystem>\n");
        return;
    } else {
        return;
    }
    xml_text(b, s->fs_dir);
    vmb_buf_puts(b, "'/>\n      <target dir='" VMB_AGENT_FS_TAG "'/>\n"
                    "    </filesystem>\n");
}

static void
xml_interface(struct vmb_buf *b, const struct vmb_domain_spec *s)
{
    if (s->network == NULL)
        return;
    vmb_buf_puts(b, "    <interface type='network'>\n"
                    "      <source network='");
    xml_text(b, s->network);
    vmb_buf_puts(b, "'/>\n");
    if (s->mac) {
        vmb_buf_puts(b, "      <mac address='");
        xml_text(b, s->mac);
        vmb_buf_puts(b, "'/>\n");
    }
    if (s->rx_kib_per_s || s->tx_kib_per_s) {
        /* libvirt names the directions as the guest sees them. */
        vmb_buf_puts(b, "      <bandwidth>\n");
        if (s->rx_kib_per_s)
            vmb_buf_printf(b, "        <inbound average='%" PRIu64 "'/>\n",
                           s->rx_kib_per_s);
        if (s->tx_kib_per_s)
            vmb_buf_printf(b, "        <outbound average='%" PRIu64 "'/>\n",
                           s->tx_kib_per_s);
        vmb_buf_puts(b, "      </bandwidth>\n");
    }
    /* No option ROM: we boot the kernel directly, iPXE only costs time. */
    vmb_buf_printf(b,
                   "      <model type='virtio'/>\n"
                   "      <driver name='%s'/>\n"
                   "      <rom bar='off'/>\n    </interface>\n",
                   s->vhost ? "vhost" : "qemu");
}

char *
vmb_virt_domain_xml(const struct vmb_domain_spec *s)
{
    struct vmb_buf b = {0};
    bool iothread =
        s->data_iothread &&
        (s->data_disk != NULL || s->blk_driver == VMB_BLKDRV_VIRTIO_SCSI);
    struct vmb_buf feats = {0};
    int pmu = -1;
    cpu_features(s->cpu_features, &pmu, &feats);
    autofree char *feat_xml =
        feats.len ? vmb_buf_steal(&feats) : vmb_xstrdup("");

    vmb_buf_printf(&b, "<domain type='%s'>\n  <name>", s->kvm ? "kvm" : "qemu");
    xml_text(&b, s->name);
    vmb_buf_puts(&b, "</name>\n");
    if (s->memory_slots > 0 && s->max_memory_mib > s->memory_mib)
        vmb_buf_printf(
            &b, "  <maxMemory slots='%d' unit='MiB'>%" PRIu64 "</maxMemory>\n",
            s->memory_slots, s->max_memory_mib);
    vmb_buf_printf(&b, "  <memory unit='MiB'>%" PRIu64 "</memory>\n",
                   s->memory_mib);
    xml_memory(&b, s);
    if (s->max_vcpus > s->vcpus)
        vmb_buf_printf(&b,
                       "  <vcpu placement='static' current='%d'>%d</vcpu>\n",
                       s->vcpus, s->max_vcpus);
    else
        vmb_buf_printf(&b, "  <vcpu placement='static'>%d</vcpu>\n", s->vcpus);
    if (iothread)
        vmb_buf_puts(&b, "  <iothreads>1</iothreads>\n");
    xml_cputune(&b, s);
    vmb_buf_puts(&b, "  <os>\n    <type arch='x86_64' machine='");
    xml_text(&b, s->machine);
    vmb_buf_puts(&b, "'>hvm</type>\n    <kernel>");
    xml_text(&b, s->kernel);
    vmb_buf_puts(&b, "</kernel>\n");
    if (s->initrd) {
        vmb_buf_puts(&b, "    <initrd>");
        xml_text(&b, s->initrd);
        vmb_buf_puts(&b, "</initrd>\n");
    }
    vmb_buf_puts(&b, "    <cmdline>");
    xml_text(&b, s->cmdline);
    vmb_buf_puts(&b, "</cmdline>\n  </os>\n  <features>\n    <acpi/>\n");
    if (pmu >= 0)
        vmb_buf_printf(&b, "    <pmu state='%s'/>\n", pmu ? "on" : "off");
    vmb_buf_puts(&b, "  </features>\n");
    xml_cpu(&b, s, feat_xml);
    /* A guest that powers off, reboots or panics is finished. */
    /*
     * Kata's timekeeping: -rtc base=utc,driftfix=slew,clock=host and,
     * under KVM, the in-kernel PIT discarding lost ticks
     * (virtcontainers/qemu.go: RTC and GlobalParam).
     */
    vmb_buf_puts(&b, "  <clock offset='utc'>\n"
                     "    <timer name='rtc' tickpolicy='catchup' "
                     "track='wall'/>\n");
    if (s->kvm)
        vmb_buf_puts(&b, "    <timer name='pit' tickpolicy='discard'/>\n");
    vmb_buf_puts(&b, "  </clock>\n"
                     "  <on_poweroff>destroy</on_poweroff>\n"
                     "  <on_reboot>destroy</on_reboot>\n"
                     "  <on_crash>destroy</on_crash>\n"
                     "  <devices>\n    <emulator>");
    xml_text(&b, s->emulator);
    /* Kata plugs no USB controller and no display (-vga none); libvirt
     * adds a USB controller unless told there is none, and a display only
     * with <graphics> or <video>, which a cell never has. */
    vmb_buf_puts(&b, "</emulator>\n"
                     "    <controller type='usb' model='none'/>\n");

    if (s->root_disk)
        xml_disk(&b, s->root_disk, "qcow2", "vda", "virtio",
                 VMB_AGENT_ROOT_SERIAL, NULL, NULL, false);
    if (s->data_disk)
        xml_data_disk(&b, s, iothread);
    else if (s->blk_driver == VMB_BLKDRV_VIRTIO_SCSI)
        /* Kata plugs the controller at boot for the block volumes it
         * hot-plugs later (virtcontainers/qemu.go, appendSCSIController). */
        xml_scsi_controller(&b, iothread);
    xml_filesystem(&b, s);
    xml_interface(&b, s);
    if (s->chardev_pty)
        vmb_buf_puts(&b, "    <serial type='pty'>\n"
                         "      <target port='0'/>\n"
                         "    </serial>\n");
    else if (s->console_log) {
        vmb_buf_puts(&b, "    <serial type='file'>\n      <source path='");
        xml_text(&b, s->console_log);
        vmb_buf_puts(&b, "'/>\n      <target port='0'/>\n    </serial>\n");
    }
    if (s->agent_vsock)
        /* The agent on vsock as Kata's, a CID libvirt picks (read back
         * from the live XML); the virtio-serial controller stays, as
         * Kata's console keeps its own. */
        vmb_buf_puts(&b, "    <controller type='virtio-serial' index='0'/>\n"
                         "    <vsock model='virtio'>\n"
                         "      <cid auto='yes'/>\n"
                         "    </vsock>\n");
    else if (s->chardev_pty)
        /* libvirt opens a channel's stream on a unix socket only
         * (virDomainOpenChannel), so the channel is one, at a path
         * libvirt picks on its own host. */
        vmb_buf_puts(&b, "    <channel type='unix'>\n"
                         "      <target type='virtio' name='" VMB_AGENT_CHANNEL
                         "'/>\n    </channel>\n");
    else if (s->agent_socket) {
        vmb_buf_puts(&b, "    <channel type='unix'>\n"
                         "      <source mode='bind' path='");
        xml_text(&b, s->agent_socket);
        vmb_buf_puts(&b,
                     "'/>\n      <target type='virtio' name='" VMB_AGENT_CHANNEL
                     "'/>\n    </channel>\n");
    }
    /* entropy_source: Kata's rng-random backend on that device. */
    vmb_buf_puts(&b, "    <rng model='virtio'>\n"
                     "      <backend model='random'>");
    xml_text(&b, s->rng_source ? s->rng_source : "/dev/urandom");
    vmb_buf_puts(&b, "</backend>\n"
                     "    </rng>\n"
                     "    <memballoon model='none'/>\n"
                     "  </devices>\n</domain>\n");
    return vmb_buf_steal(&b);
}

int
vmb_virt_xml_vsock_cid(const char *xml, uint32_t *cid, struct vmb_error **err)
{
    const char *v = strstr(xml, "<vsock");
    const char *end = v ? strstr(v, "</vsock>") : NULL;
    const char *c = v ? strstr(v, "<cid ") : NULL;
    const char *ce = c ? strchr(c, '>') : NULL;
    if (c == NULL || end == NULL || c > end || ce == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "the domain has no vsock device with a cid");
    /* Either quote; the element ends at its '>'. */
    const char *a = NULL;
    for (const char *p = c; p && p < ce; p++)
        if (strncmp(p, " address=", 9) == 0 && (p[9] == '\'' || p[9] == '"')) {
            a = p + 10;
            break;
        }
    char *stop = NULL;
    errno = 0;
    unsigned long long n = a ? strtoull(a, &stop, 10) : 0;
    if (a == NULL || stop == a || (*stop != '\'' && *stop != '"') ||
        errno != 0 || n <= 2 || n >= UINT32_MAX)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "the domain's vsock device has no guest cid "
                             "above 2 (libvirt assigns one at start)");
    *cid = (uint32_t)n;
    return 0;
}
