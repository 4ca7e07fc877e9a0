#include "analysis/katadiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* ---- reading one side ---- */

static const struct vmb_qopt *
first_opt(const struct vmb_qcmd *q, const char *name)
{
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, name) == 0)
            return &q->opts[i];
    return NULL;
}

static bool
has_opt(const struct vmb_qcmd *q, const char *name)
{
    return first_opt(q, name) != NULL;
}

/* The -object (or -blockdev/-netdev/-drive, by `idkey`) whose id is id. */
static const struct vmb_qopt *
by_id(const struct vmb_qcmd *q, const char *name, const char *idkey,
      const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < q->nopts; i++) {
        const struct vmb_qopt *o = &q->opts[i];
        const char *v = vmb_qopt_get(o, idkey);
        if (strcmp(o->name, name) == 0 && v && strcmp(v, id) == 0)
            return o;
    }
    return NULL;
}

static char *
machine_type(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *m = first_opt(q, "machine");
    if (m == NULL)
        m = first_opt(q, "M");
    if (m == NULL || m->kind == NULL)
        return vmb_xstrdup("pc");
    /* libvirt's versioned names are only naming: pc-q35-8.2 is q35. */
    if (vmb_str_has_prefix(m->kind, "pc-q35"))
        return vmb_xstrdup("q35");
    if (vmb_str_has_prefix(m->kind, "pc-i440fx"))
        return vmb_xstrdup("pc");
    return vmb_xstrdup(m->kind);
}

static char *
accelerator(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *m = first_opt(q, "machine");
    const char *a = m ? vmb_qopt_get(m, "accel") : NULL;
    const struct vmb_qopt *ac = first_opt(q, "accel");
    if (ac && ac->kind)
        a = ac->kind;
    if (a == NULL && has_opt(q, "enable-kvm"))
        a = "kvm";
    return vmb_xstrdup(a ? a : "tcg");
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "k=v" of o's props, but those in skip, joined by sep. */
static char *
props_text(const struct vmb_qopt *o, const char *const *skip, const char *sep)
{
    char **v = vmb_xcalloc(o->nprops + 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < o->nprops; i++) {
        bool skipped = false;
        for (size_t k = 0; skip && skip[k]; k++)
            if (strcmp(o->props[i].key, skip[k]) == 0)
                skipped = true;
        if (!skipped)
            v[n++] = vmb_xasprintf("%s=%s", o->props[i].key, o->props[i].val);
    }
    qsort(v, n, sizeof(*v), cmp_str);
    struct vmb_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vmb_buf_puts(&b, sep);
        vmb_buf_puts(&b, v[i]);
        free(v[i]);
    }
    free(v);
    return b.data ? vmb_buf_steal(&b) : NULL;
}

static char *
cpu_model(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *c = first_opt(q, "cpu");
    return vmb_xstrdup(c && c->kind ? c->kind : "qemu64");
}

static char *
cpu_features(const struct vmb_qcmd *q)
{
    static const char *const skip[] = {"migratable", NULL};
    const struct vmb_qopt *c = first_opt(q, "cpu");
    return c ? props_text(c, skip, ",") : NULL;
}

static char *
smp_value(const struct vmb_qcmd *q, const char *key)
{
    const struct vmb_qopt *s = first_opt(q, "smp");
    if (s == NULL)
        return NULL;
    const char *v = key ? vmb_qopt_get(s, key) : s->kind;
    return v ? vmb_xstrdup(v) : NULL;
}

static char *
mib_text(const char *s, char unit)
{
    long long b = vmb_qcmd_size(s, unit);
    if (b < 0)
        return s ? vmb_xstrdup(s) : NULL;
    return vmb_xasprintf("%lld MiB", b >> 20);
}

static char *
memory_value(const struct vmb_qcmd *q, const char *key)
{
    const struct vmb_qopt *m = first_opt(q, "m");
    if (m == NULL)
        return NULL;
    if (key == NULL)
        return mib_text(m->kind, 'M');
    const char *v = vmb_qopt_get(m, key);
    if (v == NULL)
        return NULL;
    return strcmp(key, "maxmem") == 0 ? mib_text(v, 'M') : vmb_xstrdup(v);
}

/* The backend of guest RAM: the NUMA node's, or -machine memory-backend. */
static const struct vmb_qopt *
ram_backend(const struct vmb_qcmd *q)
{
    const char *id = NULL;
    for (size_t i = 0; i < q->nopts && id == NULL; i++)
        if (strcmp(q->opts[i].name, "numa") == 0)
            id = vmb_qopt_get(&q->opts[i], "memdev");
    const struct vmb_qopt *m = first_opt(q, "machine");
    if (id == NULL && m)
        id = vmb_qopt_get(m, "memory-backend");
    return by_id(q, "object", "id", id);
}

static bool
on(const char *v)
{
    return v && (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 ||
                 strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* A memfd with share=on and a /dev/shm file with share=on are the same
 * shared memory; the backend's type and path are only naming. */
static char *
memory_backend(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *b = ram_backend(q);
    if (b == NULL || b->kind == NULL)
        return NULL; /* plain -m memory, or a line that breaks off */
    const char *path = vmb_qopt_get(b, "mem-path");
    bool huge = on(vmb_qopt_get(b, "hugetlb")) ||
                (path && strstr(path, "huge") != NULL);
    bool shared = on(vmb_qopt_get(b, "share"));
    if (strcmp(b->kind, "memory-backend-ram") == 0)
        shared = false;
    return vmb_xasprintf("%s%s", shared ? "shared" : "private",
                         huge ? ", huge pages" : "");
}

static char *
prealloc(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *b = ram_backend(q);
    bool p =
        has_opt(q, "mem-prealloc") || (b && on(vmb_qopt_get(b, "prealloc")));
    return vmb_xstrdup(p ? "on" : "off");
}

static char *
numa_nodes(const struct vmb_qcmd *q)
{
    int n = 0;
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, "numa") == 0 && q->opts[i].kind &&
            strcmp(q->opts[i].kind, "node") == 0)
            n++;
    return n ? vmb_xasprintf("%d", n) : NULL;
}

/* QEMU's defaults filled in: an absent -rtc is base=utc,clock=host. */
static char *
rtc(const struct vmb_qcmd *q)
{
    const struct vmb_qopt *r = first_opt(q, "rtc");
    const char *base = r ? vmb_qopt_get(r, "base") : NULL;
    const char *clock = r ? vmb_qopt_get(r, "clock") : NULL;
    const char *drift = r ? vmb_qopt_get(r, "driftfix") : NULL;
    return vmb_xasprintf("base=%s,clock=%s,driftfix=%s", base ? base : "utc",
                         clock ? clock : "host", drift ? drift : "none");
}

static const char *
global(const struct vmb_qcmd *q, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, "global") == 0 &&
            vmb_qopt_get(&q->opts[i], key))
            v = vmb_qopt_get(&q->opts[i], key);
    return v;
}

static char *
pit_policy(const struct vmb_qcmd *q)
{
    const char *v = global(q, "kvm-pit.lost_tick_policy");
    return vmb_xstrdup(v ? v : "delay");
}

static char *
iothreads(const struct vmb_qcmd *q)
{
    int n = 0;
    for (size_t i = 0; i < q->nopts; i++)
        if (strcmp(q->opts[i].name, "object") == 0 && q->opts[i].kind &&
            strcmp(q->opts[i].kind, "iothread") == 0)
            n++;
    return n ? vmb_xasprintf("%d", n) : NULL;
}

/* ---- the result ---- */

static void
add(struct vmb_kdiff *d, const char *aspect, char *kata, char *cell,
    const char *knob, bool perf, const char *note)
{
    if (kata == NULL && cell == NULL)
        return; /* on neither side */
    d->items = vmb_xrealloc(d->items, (d->n + 1) * sizeof(*d->items));
    struct vmb_kdiff_item *it = &d->items[d->n++];
    it->aspect = vmb_xstrdup(aspect);
    it->kata = kata;
    it->cell = cell;
    it->knob = knob;
    it->performance = perf;
    it->note = note;
    if (kata && cell)
        it->status =
            strcmp(kata, cell) == 0 ? VMB_KDIFF_MATCH : VMB_KDIFF_DIFFERS;
    else if (kata)
        it->status = VMB_KDIFF_ONLY_KATA;
    else
        it->status = VMB_KDIFF_ONLY_CELL;
}

struct scalar {
    const char *aspect;
    char *(*get)(const struct vmb_qcmd *q);
    const char *knob;
    bool perf;
    const char *note;
    const char *opt; /* the option it comes from, where it is one */
};

static char *
vcpus(const struct vmb_qcmd *q)
{
    return smp_value(q, NULL);
}
static char *
maxcpus(const struct vmb_qcmd *q)
{
    return smp_value(q, "maxcpus");
}
static char *
memory(const struct vmb_qcmd *q)
{
    return memory_value(q, NULL);
}
static char *
slots(const struct vmb_qcmd *q)
{
    return memory_value(q, "slots");
}
static char *
maxmem(const struct vmb_qcmd *q)
{
    return memory_value(q, "maxmem");
}

static const struct scalar scalars[] = {
    {"machine type", machine_type, "machine_type", true, "chipset", "machine"},
    {"accelerator", accelerator, NULL, true,
     "KVM where the host has it; TCG emulates every instruction", NULL},
    {"cpu model", cpu_model, NULL, true,
     "Kata passes the host CPU through; TCG has its own models", "cpu"},
    {"cpu features", cpu_features, "cpu_features", true, "CPU shape", "cpu"},
    {"vcpus", vcpus, "default_vcpus", true, "CPU shape", "smp"},
    {"max vcpus", maxcpus, "default_maxvcpus", false,
     "hotplug headroom; Kata defaults it to the host's CPUs", "smp"},
    {"memory", memory, "default_memory", true, "memory shape", "m"},
    {"memory slots", slots, "memory_slots", false, "hotplug headroom", "m"},
    {"max memory", maxmem, NULL, false,
     "hotplug headroom; Kata derives it from the host's memory", "m"},
    {"memory backend", memory_backend, "shared_fs, enable_hugepages", true,
     "memory shape; virtio-fs needs it shared", "numa"},
    {"memory preallocation", prealloc, "enable_mem_prealloc", true,
     "memory shape", "numa"},
    {"numa nodes", numa_nodes, NULL, false, "one node either way", "numa"},
    {"iothreads", iothreads, "enable_iothreads", true, "I/O on its own thread",
     NULL},
    {"rtc", rtc, NULL, true, "timekeeping", "rtc"},
    {"pit lost-tick policy", pit_policy, NULL, true,
     "timekeeping under KVM (kvm-pit)", "global"},
};

/* ---- devices ---- */

struct dev_class {
    const char *drivers; /* normalised driver names, space separated */
    const char *aspect;  /* NULL: only naming, left out */
    const char *knob;
    bool perf;
    const char *note;
};

static const struct dev_class classes[] = {
    {"pci-bridge pcie-root-port pcie-pci-bridge dmi-to-pci-bridge "
     "i82801b11-bridge pxb pxb-pcie",
     NULL, NULL, false, NULL},
    {"vhost-user-fs", "device vhost-user-fs (virtio-fs)",
     "shared_fs, virtio_fs_queue_size, virtio_fs_cache_size", true,
     "the shared filesystem's data path"},
    {"virtio-9p", "device virtio-9p", "shared_fs", true,
     "the shared filesystem's data path"},
    {"virtio-scsi", "device virtio-scsi controller",
     "block_device_driver, enable_iothreads", true, "block data path"},
    {"virtio-blk", "device virtio-blk", "block_device_driver", true,
     "block data path"},
    {"scsi-hd scsi-block scsi-disk scsi-generic", "device scsi disk",
     "block_device_driver", true, "block data path"},
    {"virtio-net", "device virtio-net", NULL, true, "network data path"},
    {"virtio-rng", "device virtio-rng", "entropy_source", false,
     "entropy for the guest"},
    {"vhost-vsock", "device vhost-vsock", NULL, false,
     "the agent's transport; a cell's agent is on vsock where the host has "
     "/dev/vhost-vsock, else on virtio-serial (guest.agent_transport, "
     "run.json's agent_transport)"},
    {"virtio-serial", "device virtio-serial controller", NULL, false,
     "consoles and the agent's channel"},
    {"virtconsole", "device virtio console", NULL, false, "console"},
    {"virtserialport", "device virtio-serial port", NULL, false,
     "the agent's channel"},
    {"isa-serial", "device serial port", NULL, false, "console"},
    {"virtio-balloon", "device virtio-balloon", NULL, false,
     "idle unless inflated"},
    {"VGA cirrus-vga qxl qxl-vga virtio-vga virtio-gpu bochs-display ramfb "
     "vmware-svga",
     "device display", NULL, false, "nothing draws on it"},
};

/* Kata's guest image (an nvdimm, or a virtio-blk disk on an "image-"
 * drive) and a cell's root disk (serial "vmbroot") play one part. */
static const struct dev_class image_class = {
    NULL, "guest image (root filesystem)", "disable_image_nvdimm", true,
    "where the guest's root filesystem lives"};
/* A cell whose container root is on the shared filesystem has no root
 * disk: its guest's own OS is the initramfs, where Kata's is its image. */
static const struct dev_class initrd_class = {
    NULL, "guest image (root filesystem)", "disable_image_nvdimm", false,
    "the guest's own OS (Kata's image, vmbench's initramfs); the container "
    "root is on the shared filesystem on both sides"};
static const struct dev_class usb_class = {NULL, "device usb", NULL, false,
                                           "an idle bus with nothing on it"};
static const struct dev_class other_class = {
    NULL, NULL, NULL, true, "a device kata-diff does not know"};

static char *
norm_driver(const char *d)
{
    static const char *const suffixes[] = {"-pci-non-transitional",
                                           "-pci-transitional",
                                           "-non-transitional",
                                           "-transitional",
                                           "-pci",
                                           "-device",
                                           NULL};
    char *s = vmb_xstrdup(d ? d : "?");
    for (size_t i = 0; suffixes[i]; i++)
        if (vmb_str_has_suffix(s, suffixes[i]) &&
            strlen(s) > strlen(suffixes[i])) {
            s[strlen(s) - strlen(suffixes[i])] = '\0';
            break;
        }
    return s;
}

static bool
word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static bool
starts(const char *s, const char *prefix)
{
    return s != NULL && vmb_str_has_prefix(s, prefix);
}

static const struct dev_class *
class_of(const struct vmb_qopt *o, const char *drv)
{
    if (strcmp(drv, "nvdimm") == 0 ||
        (strcmp(drv, "virtio-blk") == 0 &&
         (starts(vmb_qopt_get(o, "drive"), "image-") ||
          starts(vmb_qopt_get(o, "serial"), "vmbroot"))))
        return &image_class;
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (word_in(classes[i].drivers, drv))
            return &classes[i];
    if (strstr(drv, "usb") || strstr(drv, "xhci") || strstr(drv, "uhci") ||
        strstr(drv, "ehci"))
        return &usb_class;
    return &other_class;
}

/* What of one device can change performance, naming left out. */
static char *
device_summary(const struct vmb_qcmd *q, const struct vmb_qopt *o,
               const char *drv)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, drv);
    static const char *const keep[] = {"queue-size", "cache-size", "num_queues",
                                       "num-queues", "config-wce", "mq",
                                       NULL};
    for (size_t k = 0; keep[k]; k++) {
        const char *v = vmb_qopt_get(o, keep[k]);
        if (v)
            vmb_buf_printf(&b, " %s=%s", keep[k], v);
    }
    if (vmb_qopt_get(o, "iothread"))
        vmb_buf_puts(&b, " iothread");
    const char *drive = vmb_qopt_get(o, "drive");
    const struct vmb_qopt *dr = by_id(q, "drive", "id", drive);
    if (dr == NULL)
        dr = by_id(q, "blockdev", "node-name", drive);
    if (dr && vmb_qopt_get(dr, "aio"))
        vmb_buf_printf(&b, " aio=%s", vmb_qopt_get(dr, "aio"));
    const char *netdev = vmb_qopt_get(o, "netdev");
    const struct vmb_qopt *nd = by_id(q, "netdev", "id", netdev);
    if (nd)
        vmb_buf_printf(&b, " vhost=%s",
                       on(vmb_qopt_get(nd, "vhost")) ? "on" : "off");
    const struct vmb_qopt *rng =
        by_id(q, "object", "id", vmb_qopt_get(o, "rng"));
    if (rng && vmb_qopt_get(rng, "filename"))
        vmb_buf_printf(&b, " source=%s", vmb_qopt_get(rng, "filename"));
    return vmb_buf_steal(&b);
}

struct dev_set {
    const struct dev_class *cls[64];
    char *name[64]; /* the aspect (other devices: "device <driver>") */
    struct vmb_buf val[64];
    size_t n;
};

static void
dev_add(struct dev_set *s, const struct dev_class *c, const char *name,
        char *summary)
{
    size_t i = 0;
    while (i < s->n && strcmp(s->name[i], name) != 0)
        i++;
    if (i == s->n) {
        if (s->n == 64) {
            free(summary);
            return;
        }
        s->cls[i] = c;
        s->name[i] = vmb_xstrdup(name);
        s->val[i] = (struct vmb_buf){0};
        s->n++;
    } else {
        vmb_buf_puts(&s->val[i], "; ");
    }
    vmb_buf_puts(&s->val[i], summary);
    free(summary);
}

static void
collect_devices(const struct vmb_qcmd *q, struct dev_set *s)
{
    for (size_t i = 0; i < q->nopts; i++) {
        const struct vmb_qopt *o = &q->opts[i];
        if (strcmp(o->name, "device") != 0)
            continue;
        autofree char *drv = norm_driver(o->kind);
        const struct dev_class *c = class_of(o, drv);
        if (c->aspect == NULL && c != &other_class)
            continue;
        autofree char *name = c->aspect ? vmb_xstrdup(c->aspect)
                                        : vmb_xasprintf("device %s", drv);
        dev_add(s, c, name, device_summary(q, o, drv));
    }
    /* No root disk but an initramfs: the guest's OS is in memory. */
    bool image = false;
    for (size_t i = 0; i < s->n; i++)
        image |= s->cls[i] == &image_class;
    const struct vmb_qopt *initrd = first_opt(q, "initrd");
    if (!image && initrd != NULL)
        dev_add(s, &initrd_class, initrd_class.aspect,
                vmb_xstrdup("initramfs"));
    /* -vga std and the like; QEMU's implicit VGA is not inferred, since a
     * posted command line that breaks off lacks Kata's "-vga none". */
    const struct vmb_qopt *vga = first_opt(q, "vga");
    if (vga && vga->arg && strcmp(vga->arg, "none") != 0)
        dev_add(s, &classes[sizeof(classes) / sizeof(classes[0]) - 1],
                "device display", vmb_xstrdup(vga->arg));
}

static void
dev_set_free(struct dev_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->name[i]);
        vmb_buf_free(&s->val[i]);
    }
}

static void
compare_devices(const struct vmb_qcmd *kata, const struct vmb_qcmd *cell,
                struct vmb_kdiff *d)
{
    struct dev_set *k = vmb_xcalloc(1, sizeof(*k));
    struct dev_set *c = vmb_xcalloc(1, sizeof(*c));
    collect_devices(kata, k);
    collect_devices(cell, c);
    for (size_t i = 0; i < k->n; i++) {
        char *cv = NULL;
        const struct dev_class *cls = k->cls[i];
        for (size_t j = 0; j < c->n; j++)
            if (strcmp(c->name[j], k->name[i]) == 0) {
                cv = vmb_xstrdup(c->val[j].data);
                /* The side that makes it no matter of performance says
                 * why. */
                if (!c->cls[j]->perf)
                    cls = c->cls[j];
            }
        add(d, k->name[i], vmb_xstrdup(k->val[i].data), cv, cls->knob,
            cls->perf, cls->note);
    }
    for (size_t j = 0; j < c->n; j++) {
        bool seen = false;
        for (size_t i = 0; i < k->n; i++)
            if (strcmp(c->name[j], k->name[i]) == 0)
                seen = true;
        if (!seen)
            add(d, c->name[j], NULL, vmb_xstrdup(c->val[j].data),
                c->cls[j]->knob, c->cls[j]->perf, c->cls[j]->note);
    }
    dev_set_free(k);
    dev_set_free(c);
    free(k);
    free(c);
}

/* ---- the kernel command line ---- */

/* What only says where the console, the root or vmbench's plumbing is. */
static bool
kparam_plumbing(const char *key)
{
    static const char *const keys[] = {
        "console", "root",  "rootflags", "rootfstype",  "init",  "rw", "ro",
        "quiet",   "debug", "ip",        "earlyprintk", "panic", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return vmb_str_has_prefix(key, "systemd.") ||
           vmb_str_has_prefix(key, "agent.") || vmb_str_has_prefix(key, "vmb.");
}

/* Parameters that change timekeeping or scheduling. */
static bool
kparam_perf(const char *key)
{
    static const char *const keys[] = {"tsc",
                                       "no_timer_check",
                                       "rcupdate.rcu_expedited",
                                       "rcu_nocbs",
                                       "noreplace-smp",
                                       "clocksource",
                                       "nohz",
                                       "nohz_full",
                                       "isolcpus",
                                       "mitigations",
                                       "nopti",
                                       "pti",
                                       "spectre_v2",
                                       "idle",
                                       "intel_idle.max_cstate",
                                       "processor.max_cstate",
                                       "transparent_hugepage",
                                       "hugepages",
                                       "hugepagesz",
                                       "default_hugepagesz",
                                       "notsc",
                                       "lpj",
                                       "nosmt",
                                       "threadirqs",
                                       "preempt",
                                       "elevator",
                                       NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* The parameters Kata's runtime adds for QEMU on x86_64 itself. */
static bool
kparam_kata_fixed(const char *key)
{
    static const char *const keys[] = {"tsc",
                                       "no_timer_check",
                                       "rcupdate.rcu_expedited",
                                       "noreplace-smp",
                                       "reboot",
                                       "cryptomgr.notests",
                                       "net.ifnames",
                                       "pci",
                                       "iommu",
                                       "scsi_mod.scan",
                                       "nr_cpus",
                                       NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return vmb_str_has_prefix(key, "i8042.");
}

struct kparams {
    char **key, **val;
    size_t n;
};

static void
kparams_of(const struct vmb_qcmd *q, struct kparams *p)
{
    const struct vmb_qopt *a = first_opt(q, "append");
    if (a == NULL || a->arg == NULL)
        return;
    autofree char *s = vmb_xstrdup(a->arg);
    for (char *save = NULL, *t = strtok_r(s, " \t", &save); t;
         t = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(t, '=');
        autofree char *key =
            eq ? vmb_xstrndup(t, (size_t)(eq - t)) : vmb_xstrdup(t);
        if (kparam_plumbing(key))
            continue;
        size_t i = 0;
        while (i < p->n && strcmp(p->key[i], key) != 0)
            i++;
        if (i == p->n) {
            p->key = vmb_xrealloc(p->key, (p->n + 1) * sizeof(char *));
            p->val = vmb_xrealloc(p->val, (p->n + 1) * sizeof(char *));
            p->key[i] = steal(&key);
            p->val[i] = NULL;
            p->n++;
        }
        free(p->val[i]);
        p->val[i] = vmb_xstrdup(t);
    }
}

static void
compare_kernel(const struct vmb_qcmd *kata, const struct vmb_qcmd *cell,
               struct vmb_kdiff *d)
{
    struct kparams k = {0}, c = {0};
    kparams_of(kata, &k);
    kparams_of(cell, &c);
    for (int side = 0; side < 2; side++) {
        struct kparams *a = side == 0 ? &k : &c, *b = side == 0 ? &c : &k;
        for (size_t i = 0; i < a->n; i++) {
            char *other = NULL;
            bool in_b = false;
            for (size_t j = 0; j < b->n; j++)
                if (strcmp(b->key[j], a->key[i]) == 0) {
                    other = vmb_xstrdup(b->val[j]);
                    in_b = true;
                }
            if (side == 1 && in_b) {
                free(other);
                continue; /* seen from the Kata side */
            }
            autofree char *aspect = vmb_xasprintf("kernel %s", a->key[i]);
            bool fixed = kparam_kata_fixed(a->key[i]);
            char *av = vmb_xstrdup(a->val[i]);
            add(d, aspect, side == 0 ? av : other, side == 0 ? other : av,
                fixed ? NULL : "kernel_params", kparam_perf(a->key[i]),
                fixed ? "added by Kata's runtime for QEMU"
                      : (kparam_perf(a->key[i]) ? "timekeeping or scheduling"
                                                : "boot behaviour"));
        }
    }
    for (size_t i = 0; i < k.n; i++) {
        free(k.key[i]);
        free(k.val[i]);
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.key[i]);
        free(c.val[i]);
    }
    free(k.key);
    free(k.val);
    free(c.key);
    free(c.val);
}

/* Options every Kata command line has; a line without one is cut off
 * (a post that breaks off, a log line wrapped). */
static char *
kata_missing(const struct vmb_qcmd *kata)
{
    static const char *const always[] = {"smp", "rtc", "append", NULL};
    struct vmb_buf b = {0};
    for (size_t i = 0; always[i]; i++)
        if (!has_opt(kata, always[i]))
            vmb_buf_printf(&b, "%s-%s", b.len ? ", " : "", always[i]);
    return b.data ? vmb_buf_steal(&b) : NULL;
}

void
vmb_kdiff_compare(const struct vmb_qcmd *kata, const struct vmb_qcmd *cell,
                  struct vmb_kdiff *out)
{
    *out = (struct vmb_kdiff){0};
    out->kata_missing = kata_missing(kata);
    bool cut = out->kata_missing != NULL;
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        const struct scalar *s = &scalars[i];
        size_t before = out->n;
        add(out, s->aspect, s->get(kata), s->get(cell), s->knob, s->perf,
            s->note);
        /* A default filled in for what a cut-off line does not show. */
        if (cut && out->n > before && s->opt && !has_opt(kata, s->opt))
            out->items[before].status = VMB_KDIFF_NOT_SHOWN;
    }
    compare_devices(kata, cell, out);
    compare_kernel(kata, cell, out);
    /* What only the cell has may sit in the part of the line cut off. */
    for (size_t i = 0; cut && i < out->n; i++)
        if (out->items[i].status == VMB_KDIFF_ONLY_CELL)
            out->items[i].status = VMB_KDIFF_NOT_SHOWN;
}

size_t
vmb_kdiff_performance_differences(const struct vmb_kdiff *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].performance && d->items[i].status != VMB_KDIFF_MATCH &&
            d->items[i].status != VMB_KDIFF_NOT_SHOWN)
            n++;
    return n;
}

const char *
vmb_kdiff_status_name(enum vmb_kdiff_status s)
{
    switch (s) {
    case VMB_KDIFF_MATCH:
        return "match";
    case VMB_KDIFF_DIFFERS:
        return "differs";
    case VMB_KDIFF_ONLY_KATA:
        return "only-kata";
    case VMB_KDIFF_ONLY_CELL:
        return "only-cell";
    case VMB_KDIFF_NOT_SHOWN:
        return "not-shown";
    }
    return "?";
}

void
vmb_kdiff_free(struct vmb_kdiff *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].aspect);
        free(d->items[i].kata);
        free(d->items[i].cell);
    }
    free(d->items);
    free(d->kata_missing);
    *d = (struct vmb_kdiff){0};
}
