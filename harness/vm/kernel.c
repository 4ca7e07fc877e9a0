#include "vm/kernel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/kernel_unpack.h"

/* modules.dep and modules.builtin of a distribution kernel are under
 * 1 MiB; anything far larger is not a modules directory to trust. */
#define MODULES_TEXT_MAX (64u << 20)

/* XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry point QEMU's -kernel
 * looks for in an ELF (hw/i386/x86.c, load_elfboot). */
#define PVH_NOTE_TYPE 18
#define ELF_MAX_PHDRS 128

static const struct {
    const char *name;
    const char *modules;
    const char *config; /* what a kernel build enables for it */
    const char *markers[3];
} drivers[VMB_KDRV_N] = {
    /* Each marker is a string of the driver's own source (a driver,
     * filesystem or slab cache name) that Debian's module file holds and
     * its vmlinux, which has the driver as a module, does not
     * (tests/unit/test_kernel.c checks both on the host's kernel). */
    [VMB_KDRV_VIRTIO_PCI] = {"virtio-pci",
                             "virtio_pci",
                             "CONFIG_VIRTIO_PCI=y",
                             {"virtio-pci"}},
    [VMB_KDRV_VIRTIO_BLK] = {"virtio-blk",
                             "virtio_blk",
                             "CONFIG_VIRTIO_BLK=y",
                             {"virtblk"}},
    [VMB_KDRV_VIRTIO_NET] = {"virtio-net",
                             "virtio_net",
                             "CONFIG_VIRTIO_NET=y",
                             {"virtio_net"}},
    [VMB_KDRV_VIRTIO_CONSOLE] = {"virtio-console",
                                 "virtio_console",
                                 "CONFIG_VIRTIO_CONSOLE=y",
                                 {"virtio_console"}},
    [VMB_KDRV_EXT4] = {"ext4",
                       "ext4",
                       "CONFIG_EXT4_FS=y",
                       {"ext4_inode_cache"}},
    [VMB_KDRV_VIRTIO_FS] = {"virtio-fs",
                            "virtiofs",
                            "CONFIG_VIRTIO_FS=y",
                            {"virtiofs"}},
    [VMB_KDRV_9P] = {"9p",
                     "9p 9pnet_virtio",
                     "CONFIG_9P_FS=y, CONFIG_NET_9P_VIRTIO=y",
                     {"v9fs_inode_cache", "9pnet_virtio"}},
    [VMB_KDRV_VIRTIO_SCSI] = {"virtio-scsi",
                              "virtio_scsi sd_mod",
                              "CONFIG_SCSI_VIRTIO=y, CONFIG_BLK_DEV_SD=y",
                              {"Virtio SCSI HBA"}},
    [VMB_KDRV_VSOCK] = {"vsock",
                        "vmw_vsock_virtio_transport",
                        "CONFIG_VIRTIO_VSOCKETS=y",
                        {"vmw_vsock_virtio_transport"}},
};

const char *
vmb_kdrv_name(int drv)
{
    return drv >= 0 && drv < VMB_KDRV_N ? drivers[drv].name : "?";
}

const char *
vmb_kdrv_modules(int drv)
{
    return drv >= 0 && drv < VMB_KDRV_N ? drivers[drv].modules : "";
}

const char *
vmb_kdrv_config(int drv)
{
    return drv >= 0 && drv < VMB_KDRV_N ? drivers[drv].config : "";
}

const char *const *
vmb_kdrv_markers(int drv)
{
    return drv >= 0 && drv < VMB_KDRV_N ? drivers[drv].markers : NULL;
}

const char *
vmb_kdrv_state_name(int state)
{
    switch (state) {
    case VMB_KDRV_BUILTIN:
        return "built in";
    case VMB_KDRV_MODULE:
        return "module";
    case VMB_KDRV_MISSING:
        return "missing";
    default:
        return "unknown";
    }
}

/* ---- the image ---- */

static uint16_t
le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool
release_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
           c == '+' || c == '~';
}

/*
 * The release at p (at most n bytes), ended by a space or NUL, into out;
 * its length, 0 when there is none or it could name another directory
 * ("..", anything with '/').
 */
static size_t
take_release(const unsigned char *p, size_t n, char *out, size_t outlen)
{
    size_t i = 0;
    while (i < n && i + 1 < outlen && release_char(p[i]))
        i++;
    if (i == 0 || i + 1 >= outlen || (i < n && p[i] != ' ' && p[i] != '\0'))
        return 0;
    size_t dots = 0;
    while (dots < i && p[dots] == '.')
        dots++;
    if (dots == i)
        return 0;
    memcpy(out, p, i);
    out[i] = '\0';
    return i;
}

static int
bzimage(const unsigned char *d, size_t len, struct vmb_kernel_info *ki,
        struct vmb_error **err)
{
    ki->format = VMB_KERNEL_BZIMAGE;
    /* The setup header: at 0x20e the offset (minus 0x200) of the
     * version string, which starts with the release. */
    size_t off = (size_t)le16(d + 0x20e) + 0x200;
    if (le16(d + 0x20e) == 0 || off >= len ||
        !take_release(d + off, len - off, ki->release, sizeof(ki->release)))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the bzImage does not say its version");
    return 0;
}

/* Whether a PT_NOTE segment holds Xen's PVH entry note. */
static bool
notes_have_pvh(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 12) {
        uint32_t namesz = le32(p + i), descsz = le32(p + i + 4);
        uint32_t type = le32(p + i + 8);
        size_t name_end = (size_t)namesz + 3 - ((size_t)namesz + 3) % 4;
        size_t desc_len = (size_t)descsz + 3 - ((size_t)descsz + 3) % 4;
        i += 12;
        if (name_end > n - i)
            return false;
        bool xen = namesz == 4 && memcmp(p + i, "Xen", 4) == 0;
        i += name_end;
        if (desc_len > n - i)
            return false;
        if (xen && type == PVH_NOTE_TYPE && descsz >= 4)
            return true;
        i += desc_len;
    }
    return false;
}

static bool
elf_has_pvh(const unsigned char *d, size_t len)
{
    uint64_t phoff = le64(d + 0x20);
    uint16_t phentsize = le16(d + 0x36), phnum = le16(d + 0x38);
    if (phentsize != 56 || phnum > ELF_MAX_PHDRS || phoff > len ||
        (uint64_t)phnum * 56 > len - phoff)
        return false;
    for (uint16_t i = 0; i < phnum; i++) {
        const unsigned char *ph = d + phoff + (uint64_t)i * 56;
        if (le32(ph) != 4) /* PT_NOTE */
            continue;
        uint64_t off = le64(ph + 8), size = le64(ph + 32);
        if (off > len || size > len - off)
            continue;
        if (notes_have_pvh(d + off, (size_t)size))
            return true;
    }
    return false;
}

/* Whether s, with its terminating NUL, occurs in d. */
static bool
has_cstring(const unsigned char *d, size_t len, const char *s)
{
    return memmem(d, len, s, strlen(s) + 1) != NULL;
}

/* Each driver built in where the image holds all its markers. */
static void
scan_drivers(const unsigned char *d, size_t len, struct vmb_kernel_info *ki)
{
    for (int k = 0; k < VMB_KDRV_N; k++) {
        bool all = true;
        for (size_t m = 0; m < 3 && drivers[k].markers[m]; m++)
            all = all && has_cstring(d, len, drivers[k].markers[m]);
        ki->drv[k] = all ? VMB_KDRV_BUILTIN : VMB_KDRV_MISSING;
    }
}

static bool
elf_x86_64(const unsigned char *d, size_t len)
{
    return len >= 64 && memcmp(d, "\177ELF", 4) == 0 && d[4] == 2 &&
           d[5] == 1 && le16(d + 0x12) == 62;
}

/*
 * The built-in drivers of a bzImage, from the ELF vmlinux its payload
 * holds. The setup header (boot protocol 2.08 and later) says where:
 * payload_offset (0x248) counts from the protected-mode code, which
 * follows the boot sector and setup_sects (0x1f1; 0 means 4) sectors of
 * setup; payload_length (0x24c) how long it is. A compression vmbench
 * does not read leaves the drivers unknown, the payload named.
 */
static int
bz_payload(const unsigned char *d, size_t len, struct vmb_kernel_info *ki,
           struct vmb_error **err)
{
    uint16_t proto = le16(d + 0x206);
    if (len < 0x250 || proto < 0x0208)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the bzImage's boot protocol %u.%02u is older "
                             "than 2.08 and does not say where its payload "
                             "is",
                             (unsigned)(proto >> 8), (unsigned)(proto & 0xff));
    uint64_t sects = d[0x1f1] ? d[0x1f1] : 4;
    uint64_t start = (sects + 1) * 512 + le32(d + 0x248);
    uint64_t plen = le32(d + 0x24c);
    if (plen == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the bzImage's payload is empty");
    if (start > len || plen > len - start)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the bzImage's payload (%" PRIu64 " bytes at "
                             "offset %" PRIu64 ") runs past the end of the "
                             "file (%zu bytes)",
                             plen, start, len);
    int kz = vmb_kz_detect(d + start, (size_t)plen);
    snprintf(ki->payload, sizeof(ki->payload), "%s", vmb_kz_name(kz));
    if (!vmb_kz_supported(kz))
        return 0;
    unsigned char *elf_data = NULL;
    size_t elf_len = 0;
    if (vmb_kz_unpack(kz, d + start, (size_t)plen, VMB_KERNEL_ELF_MAX_BYTES,
                      &elf_data, &elf_len, err) < 0)
        return vmb_error_prefix(err, "the bzImage's payload");
    int rc = 0;
    if (!elf_x86_64(elf_data, elf_len))
        rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                           "the bzImage's %s payload is not an x86-64 ELF "
                           "kernel",
                           ki->payload);
    else
        scan_drivers(elf_data, elf_len, ki);
    free(elf_data);
    return rc;
}

static int
elf(const unsigned char *d, size_t len, struct vmb_kernel_info *ki,
    struct vmb_error **err)
{
    ki->format = VMB_KERNEL_ELF;
    if (!elf_x86_64(d, len))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the ELF file is not a 64-bit x86-64 kernel");
    /* linux_banner: "Linux version RELEASE (builder) ..." */
    static const char banner[] = "Linux version ";
    const size_t bl = sizeof(banner) - 1;
    const unsigned char *p = d;
    bool found = false;
    while (!found && (p = memmem(p, len - (size_t)(p - d), banner, bl))) {
        p += bl;
        size_t n = take_release(p, len - (size_t)(p - d), ki->release,
                                sizeof(ki->release));
        found = n > 0 && (size_t)(p - d) + n < len && p[n] == ' ';
    }
    if (!found)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the ELF file has no \"Linux version\" banner");
    ki->pvh = elf_has_pvh(d, len);
    if (!ki->pvh)
        return vmb_error_set(
            err, VMB_ERR_INPUT, 0,
            "the ELF kernel has no PVH entry note (CONFIG_PVH), and QEMU "
            "boots an ELF -kernel only through it");
    scan_drivers(d, len, ki);
    return 0;
}

static int
inspect(const unsigned char *d, size_t len, struct vmb_kernel_info *ki,
        struct vmb_error **err)
{
    memset(ki, 0, sizeof(*ki));
    for (int k = 0; k < VMB_KDRV_N; k++)
        ki->drv[k] = VMB_KDRV_UNKNOWN;
    if (len > VMB_KERNEL_MAX_BYTES)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the file is larger than %u MiB",
                             VMB_KERNEL_MAX_BYTES >> 20);
    if (len >= 0x210 && memcmp(d + 0x202, "HdrS", 4) == 0)
        return bzimage(d, len, ki, err);
    if (len >= 4 && memcmp(d, "\177ELF", 4) == 0)
        return elf(d, len, ki, err);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "it is not a bzImage kernel or an ELF vmlinux");
}

int
vmb_kernel_inspect_mem(const void *data, size_t len, struct vmb_kernel_info *ki,
                       struct vmb_error **err)
{
    const unsigned char *d = data;
    if (inspect(d, len, ki, err) < 0)
        return -1;
    return ki->format == VMB_KERNEL_BZIMAGE ? bz_payload(d, len, ki, err) : 0;
}

/* ---- the modules directory ---- */

/*
 * Whether a line of text (modules.dep or modules.builtin) names module
 * name ("kernel/fs/fuse/virtiofs.ko.xz" for "virtiofs"; '-' and '_' are
 * the same). The path, up to ':', goes to path.
 */
static bool
find_module(const char *text, const char *name, char *path, size_t plen)
{
    size_t nl = strlen(name);
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t pl = colon ? (size_t)(colon - p) : len;
        const char *base = p;
        for (size_t i = 0; i < pl; i++)
            if (p[i] == '/')
                base = p + i + 1;
        size_t bl = (size_t)(p + pl - base);
        bool same = bl > nl && base[nl] == '.';
        for (size_t i = 0; same && i < nl; i++) {
            char a = base[i] == '-' ? '_' : base[i];
            char b = name[i] == '-' ? '_' : name[i];
            same = a == b;
        }
        if (same) {
            snprintf(path, plen, "%.*s", (int)pl, p);
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

static int
module_state(const char *dir, const char *dep, const char *builtin,
             const char *name)
{
    char path[256];
    if (builtin && find_module(builtin, name, path, sizeof(path)))
        return VMB_KDRV_BUILTIN;
    if (!find_module(dep, name, path, sizeof(path)) || strstr(path, ".."))
        return VMB_KDRV_MISSING;
    autofree char *file = vmb_xasprintf("%s/%s", dir, path);
    return access(file, R_OK) == 0 ? VMB_KDRV_MODULE : VMB_KDRV_MISSING;
}

static void
read_modules_dir(const char *root, struct vmb_kernel_info *ki)
{
    autofree char *dir = vmb_xasprintf("%s/lib/modules/%s", root, ki->release);
    autofree char *depf = vmb_xasprintf("%s/modules.dep", dir);
    autofree char *binf = vmb_xasprintf("%s/modules.builtin", dir);
    autofree char *dep = NULL, *builtin = NULL;
    if (vmb_read_file_max(depf, MODULES_TEXT_MAX, &dep, NULL, NULL) < 0)
        return;
    if (strlen(dir) >= sizeof(ki->modules_dir))
        return;
    snprintf(ki->modules_dir, sizeof(ki->modules_dir), "%s", dir);
    vmb_read_file_max(binf, MODULES_TEXT_MAX, &builtin, NULL, NULL);
    for (int k = 0; k < VMB_KDRV_N; k++) {
        if (ki->drv[k] == VMB_KDRV_BUILTIN)
            continue; /* the image's own strings said so */
        autofree char *mods = vmb_xstrdup(drivers[k].modules);
        int state = VMB_KDRV_BUILTIN;
        char *save = NULL;
        for (char *m = strtok_r(mods, " ", &save); m;
             m = strtok_r(NULL, " ", &save)) {
            int s = module_state(dir, dep, builtin, m);
            if (s == VMB_KDRV_MISSING)
                state = VMB_KDRV_MISSING;
            else if (s == VMB_KDRV_MODULE && state == VMB_KDRV_BUILTIN)
                state = VMB_KDRV_MODULE;
        }
        ki->drv[k] = state;
    }
}

int
vmb_kernel_inspect(const char *path, const char *root,
                   struct vmb_kernel_info *ki, struct vmb_error **err)
{
    /* A FIFO would block the read and a device never end it. */
    struct stat st;
    if (stat(path, &st) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno, "kernel \"%s\"", path);
    if (!S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "kernel \"%s\" is not a regular file", path);
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_read_file_max(path, VMB_KERNEL_MAX_BYTES, &data, &len, err) < 0)
        return vmb_error_prefix(err, "kernel \"%s\"", path);
    const unsigned char *d = (const unsigned char *)data;
    if (inspect(d, len, ki, err) < 0)
        return vmb_error_prefix(err, "kernel \"%s\"", path);
    read_modules_dir(root ? root : "", ki);
    /* Decompressing costs a second or so: only where no modules
     * directory says what the kernel has. */
    if (ki->format == VMB_KERNEL_BZIMAGE && ki->modules_dir[0] == '\0' &&
        bz_payload(d, len, ki, err) < 0)
        return vmb_error_prefix(err, "kernel \"%s\"", path);
    return 0;
}
