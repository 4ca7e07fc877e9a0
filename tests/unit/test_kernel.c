/*
 * The guest kernel reader (vm/kernel.h) on real kernels: the host's
 * Debian bzImage with its modules, and the uncompressed ELF vmlinux
 * inside it (tests/vmlinux-from-bzimage.sh), which stands for a Kata
 * guest kernel: a vmlinux with no modules directory. Then the same
 * reader on truncated and hostile copies of them.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/capture.h"
#include "base/util.h"
#include "vm/initramfs.h"
#include "vm/kernel.h"

static char dir[] = "/tmp/vmb-test-kernel-XXXXXX";
static char *bzimage, *modules, *vmlinux, *noroot;

static void
setup(void)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_find("auto", &bzimage, &modules, &err), 0,
                 "%s", err ? err->msg : "");
    cr_assert_not_null(mkdtemp(dir));
    vmlinux = vmb_xasprintf("%s/vmlinux", dir);
    noroot = vmb_xasprintf("%s/root", dir);
    cr_assert_eq(vmb_mkdir_p(noroot, &err), 0);
    const char *argv[] = {"bash", VMB_TEST_DATA "/vmlinux-from-bzimage.sh",
                          bzimage, vmlinux, NULL};
    char *out = NULL;
    cr_assert_eq(vmb_capture_run(argv, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(out);
}

static void
teardown(void)
{
    vmb_rm_rf(dir, NULL);
    free(bzimage);
    free(modules);
    free(vmlinux);
    free(noroot);
}

TestSuite(kernel, .init = setup, .fini = teardown, .timeout = 60);

/* Debian's bzImage: its release, and its virtio drivers as modules. */
Test(kernel, bzimage_with_modules)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kernel_inspect(bzimage, NULL, &ki, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(ki.format, VMB_KERNEL_BZIMAGE);
    cr_assert_str_eq(bzimage + strlen("/boot/vmlinuz-"), ki.release);
    cr_assert_str_eq(ki.modules_dir, modules);
    for (int k = 0; k < VMB_KDRV_N; k++)
        cr_assert_neq(ki.drv[k], VMB_KDRV_MISSING, "%s", vmb_kdrv_name(k));
    cr_assert_eq(ki.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_MODULE);
}

/*
 * The vmlinux inside it, where no modules directory exists: the release
 * from linux_banner, the PVH note QEMU boots it by, and every virtio
 * driver missing, since Debian builds them as modules.
 */
Test(kernel, vmlinux_without_modules)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kernel_inspect(vmlinux, noroot, &ki, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(ki.format, VMB_KERNEL_ELF);
    cr_assert(ki.pvh);
    cr_assert_str_eq(bzimage + strlen("/boot/vmlinuz-"), ki.release);
    cr_assert_str_eq(ki.modules_dir, "");
    cr_assert_eq(ki.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_MISSING);
    cr_assert_eq(ki.drv[VMB_KDRV_9P], VMB_KDRV_MISSING);
    cr_assert_eq(ki.drv[VMB_KDRV_VSOCK], VMB_KDRV_MISSING);
}

/* With the host's modules directory, the same vmlinux has modules. */
Test(kernel, vmlinux_with_modules)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kernel_inspect(vmlinux, NULL, &ki, &err), 0);
    cr_assert_str_eq(ki.modules_dir, modules);
    cr_assert_eq(ki.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_MODULE);
}

static char *
module_text(const char *mod)
{
    char path[512];
    snprintf(path, sizeof(path), "find %s -name '%s.ko*' | head -1", modules,
             mod);
    const char *find[] = {"sh", "-c", path, NULL};
    char *file = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(find, &file, NULL, &err), 0);
    file[strcspn(file, "\n")] = '\0';
    cr_assert(file[0], "no module \"%s\" in \"%s\"", mod, modules);
    const char *tool = vmb_str_has_suffix(file, ".xz")    ? "xz"
                       : vmb_str_has_suffix(file, ".zst") ? "zstd"
                                                          : "cat";
    const char *cat[] = {tool, strcmp(tool, "cat") ? "-dc" : "--", file, NULL};
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(vmb_capture_run(cat, &data, &len, &err), 0);
    free(file);
    /* the test looks for NUL-terminated strings: make them text-safe */
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\0')
            data[i] = '\n';
    return data;
}

/*
 * The evidence of a built-in driver holds: each marker string is in one
 * of the driver's own module files, and not in a vmlinux where the
 * driver is a module (or its evidence would be worth nothing).
 */
Test(kernel, markers_come_from_the_driver)
{
    char *v = NULL;
    size_t vlen = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(vmlinux, &v, &vlen, &err), 0);
    for (int k = 0; k < VMB_KDRV_N; k++) {
        autofree char *mods = vmb_xstrdup(vmb_kdrv_modules(k));
        autofree char *texts = vmb_xstrdup("");
        char *save = NULL;
        for (char *m = strtok_r(mods, " ", &save); m;
             m = strtok_r(NULL, " ", &save)) {
            autofree char *t = module_text(m);
            char *joined = vmb_xasprintf("%s%s", texts, t);
            free(texts);
            texts = joined;
        }
        for (const char *const *mk = vmb_kdrv_markers(k); *mk; mk++) {
            autofree char *line = vmb_xasprintf("\n%s\n", *mk);
            cr_assert(strstr(texts, line + 1) != NULL,
                      "marker \"%s\" of %s is not in its module", *mk,
                      vmb_kdrv_name(k));
            cr_assert_null(memmem(v, vlen, *mk, strlen(*mk) + 1),
                           "marker \"%s\" is in a kernel without %s", *mk,
                           vmb_kdrv_name(k));
        }
    }
    free(v);
}

static void
inspect_fails(const void *d, size_t len, const char *want)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kernel_inspect_mem(d, len, &ki, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, want), "\"%s\" lacks \"%s\"", err->msg, want);
    vmb_error_free(err);
}

/*
 * The bzImage with no modules directory: its xz payload decompressed, the
 * drivers read from the ELF inside it reach the verdicts the ELF path
 * reaches on the same ELF extracted by tests/vmlinux-from-bzimage.sh.
 */
Test(kernel, bzimage_payload_without_modules)
{
    struct vmb_kernel_info bz, elf;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_kernel_inspect(bzimage, noroot, &bz, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(vmb_kernel_inspect(vmlinux, noroot, &elf, &err), 0);
    cr_assert_eq(bz.format, VMB_KERNEL_BZIMAGE);
    cr_assert_str_eq(bz.modules_dir, "");
    cr_assert_str_eq(bz.payload, "xz"); /* Debian 12's compression */
    cr_assert_str_eq(elf.payload, "");
    for (int k = 0; k < VMB_KDRV_N; k++) {
        cr_assert_neq(bz.drv[k], VMB_KDRV_UNKNOWN, "%s", vmb_kdrv_name(k));
        cr_assert_eq(bz.drv[k], elf.drv[k], "%s", vmb_kdrv_name(k));
    }
    cr_assert_eq(bz.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_MISSING);
}

/* The offset and length of the payload in the setup header. */
#define PAYLOAD_OFFSET 0x248
#define PAYLOAD_LENGTH 0x24c

static void
put_le32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/*
 * A zstd frame (RFC 8878) built by hand, no library: a 128 KiB window,
 * no checksum, blocks of at most 128 KiB, Raw (type 0: the bytes of raw)
 * or, where raw is NULL, RLE (type 1: n copies of byte c).
 */
static size_t
zstd_frame(struct vmb_buf *b, const void *raw, size_t n, char c)
{
    size_t start = b->len;
    vmb_buf_append(b, "\x28\xb5\x2f\xfd\x00\x38", 6);
    size_t done = 0;
    do {
        size_t blk = n - done > (128u << 10) ? 128u << 10 : n - done;
        bool last = done + blk == n;
        uint32_t h = (uint32_t)blk << 3 | (raw ? 0u : 1u) << 1 | last;
        char hb[3] = {(char)h, (char)(h >> 8), (char)(h >> 16)};
        vmb_buf_append(b, hb, 3);
        if (raw)
            vmb_buf_append(b, (const char *)raw + done, blk);
        else
            vmb_buf_append(b, &c, 1);
        done += blk;
    } while (done < n);
    return b->len - start;
}

/* The bzImage's setup (its header, 512 * (setup_sects + 1) bytes) with
 * payload after it, payload_offset 0. */
static char *
with_payload(const char *bz, const struct vmb_buf *payload, size_t *len)
{
    size_t setup = 512 * ((size_t)(unsigned char)bz[0x1f1] + 1);
    char *d = vmb_xmalloc(setup + payload->len);
    memcpy(d, bz, setup);
    memcpy(d + setup, payload->data, payload->len);
    put_le32(d + PAYLOAD_OFFSET, 0);
    put_le32(d + PAYLOAD_LENGTH, (uint32_t)payload->len);
    *len = setup + payload->len;
    return d;
}

static void inspect_fails(const void *d, size_t len, const char *want);

/*
 * A payload's ELF is scanned as a vmlinux is: the marker strings of
 * virtio-fs in a tiny x86-64 ELF, wrapped in zstd, read as built in; a
 * payload that is no ELF is refused.
 */
Test(kernel, bzimage_payload_zstd)
{
    char *bz = NULL;
    size_t bzlen = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(bzimage, &bz, &bzlen, &err), 0);
    char elf[64 + 16] = "\177ELF\2\1\1";
    elf[0x12] = 62; /* EM_X86_64 */
    memcpy(elf + 64, "virtiofs", 9);
    struct vmb_buf p = {0};
    zstd_frame(&p, elf, sizeof(elf), 0);
    size_t len = 0;
    char *d = with_payload(bz, &p, &len);
    struct vmb_kernel_info ki;
    cr_assert_eq(vmb_kernel_inspect_mem(d, len, &ki, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(ki.payload, "zstd");
    cr_assert_eq(ki.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_BUILTIN);
    cr_assert_eq(ki.drv[VMB_KDRV_9P], VMB_KDRV_MISSING);
    free(d);
    vmb_buf_free(&p);
    p = (struct vmb_buf){0};
    zstd_frame(&p, NULL, 100, 'A');
    d = with_payload(bz, &p, &len);
    inspect_fails(d, len, "zstd payload is not an x86-64 ELF kernel");
    free(d);
    vmb_buf_free(&p);
    free(bz);
}

/*
 * A zip bomb: 8 KiB of zstd that would give 257 MiB is refused once it
 * passes 256 MiB, the cap, without going on to its end.
 */
Test(kernel, bzimage_payload_bomb)
{
    char *bz = NULL;
    size_t bzlen = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(bzimage, &bz, &bzlen, &err), 0);
    struct vmb_buf p = {0};
    zstd_frame(&p, NULL, (size_t)VMB_KERNEL_ELF_MAX_BYTES + (1u << 20), 0);
    cr_assert_lt(p.len, 16384);
    size_t len = 0;
    char *d = with_payload(bz, &p, &len);
    inspect_fails(d, len, "decompresses to more than 256 MiB");
    free(d);
    vmb_buf_free(&p);
    free(bz);
}

/*
 * Each compression vmbench reads, written by another implementation
 * (Python's gzip and lzma, the zstd tool: tests/fuzz/kernel_seeds.py):
 * the tiny ELF inside each payload has virtio-fs's marker, and not 9p's.
 */
Test(kernel, bzimage_payload_each_compression)
{
    autofree char *seeds = vmb_xasprintf("%s/seeds", dir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_mkdir_p(seeds, &err), 0);
    autofree char *cmd = vmb_xasprintf(
        "cd %s && python3 %s/fuzz/kernel_seeds.py", seeds, VMB_TEST_DATA);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    char *out = NULL;
    cr_assert_eq(vmb_capture_run(argv, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(out);
    const char *kinds[] = {"gzip", "xz", "lzma", "zstd"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        autofree char *f = vmb_xasprintf("%s/bz-%s", seeds, kinds[i]);
        struct vmb_kernel_info ki;
        cr_assert_eq(vmb_kernel_inspect(f, noroot, &ki, &err), 0, "%s: %s",
                     kinds[i], err ? err->msg : "");
        cr_assert_str_eq(ki.payload, kinds[i]);
        cr_assert_str_eq(ki.release, "6.1.0-fuzz");
        cr_assert_eq(ki.drv[VMB_KDRV_VIRTIO_FS], VMB_KDRV_BUILTIN, "%s",
                     kinds[i]);
        cr_assert_eq(ki.drv[VMB_KDRV_9P], VMB_KDRV_MISSING, "%s", kinds[i]);
    }
}

/* Compressions vmbench does not read leave the drivers unknown, named. */
Test(kernel, bzimage_payload_unread)
{
    char *bz = NULL;
    size_t bzlen = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(bzimage, &bz, &bzlen, &err), 0);
    static const struct {
        const char magic[10], *name;
    } kinds[] = {{"\x02\x21\x4c\x18", "lz4"},
                 {"BZh9", "bzip2"},
                 {"\x89LZO\0\r\n\x1a\n", "lzo"},
                 {"\x00\x00\x00\x00", "unknown"}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct vmb_buf p = {0};
        vmb_buf_append(&p, kinds[i].magic, 9);
        size_t len = 0;
        char *d = with_payload(bz, &p, &len);
        struct vmb_kernel_info ki;
        cr_assert_eq(vmb_kernel_inspect_mem(d, len, &ki, &err), 0, "%s",
                     err ? err->msg : "");
        cr_assert_str_eq(ki.payload, kinds[i].name);
        for (int k = 0; k < VMB_KDRV_N; k++)
            cr_assert_eq(ki.drv[k], VMB_KDRV_UNKNOWN);
        free(d);
        vmb_buf_free(&p);
    }
    free(bz);
}

/* A setup header that points the payload outside the file, or at
 * nothing, and an xz stream cut short, are refused. */
Test(kernel, hostile_bzimage_payload)
{
    char *d = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(bzimage, &d, &len, &err), 0);
    char saved[8];
    memcpy(saved, d + PAYLOAD_OFFSET, 8);
    put_le32(d + PAYLOAD_LENGTH, (uint32_t)len);
    inspect_fails(d, len, "runs past the end of the file");
    memcpy(d + PAYLOAD_OFFSET, saved, 8);
    put_le32(d + PAYLOAD_OFFSET, 0xfffffff0u);
    inspect_fails(d, len, "runs past the end of the file");
    memcpy(d + PAYLOAD_OFFSET, saved, 8);
    put_le32(d + PAYLOAD_LENGTH, 0);
    inspect_fails(d, len, "the bzImage's payload is empty");
    memcpy(d + PAYLOAD_OFFSET, saved, 8);
    /* the file cut inside its payload */
    inspect_fails(d, len / 2, "runs past the end of the file");
    /* the payload's own length cut: the xz stream ends early */
    uint32_t plen = (unsigned char)saved[4] | (unsigned char)saved[5] << 8 |
                    (unsigned char)saved[6] << 16 |
                    (uint32_t)(unsigned char)saved[7] << 24;
    put_le32(d + PAYLOAD_LENGTH, plen / 2);
    inspect_fails(d, len, "the xz stream ends before it is complete");
    memcpy(d + PAYLOAD_OFFSET, saved, 8);
    /* a boot protocol before 2.08 has no payload fields */
    d[0x206] = 0x06;
    d[0x207] = 0x02;
    inspect_fails(d, len, "boot protocol 2.06 is older than 2.08");
    free(d);
}

/* Truncated and altered copies are refused, never read out of bounds. */
Test(kernel, hostile_bzimage)
{
    char *d = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(bzimage, &d, &len, &err), 0);
    for (size_t cut = 0; cut < 0x400; cut += 7)
        inspect_fails(d, cut,
                      cut < 0x210 ? "is not a bzImage kernel"
                                  : "does not say its version");
    /* the version offset beyond the end */
    d[0x20e] = (char)0xff;
    d[0x20f] = (char)0xff;
    inspect_fails(d, 0x10000, "does not say its version");
    /* a release that would climb out of /lib/modules */
    unsigned off = 0x200 + 0x300;
    d[0x20e] = 0x00;
    d[0x20f] = 0x03;
    memcpy(d + off, "../../etc x", 12);
    inspect_fails(d, len, "does not say its version");
    free(d);
}

Test(kernel, hostile_vmlinux)
{
    char *d = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(vmlinux, &d, &len, &err), 0);
    inspect_fails(d, 63, "not a 64-bit x86-64 kernel");
    /* the banner cut off: no release */
    inspect_fails(d, 4096, "no \"Linux version\" banner");
    struct vmb_kernel_info ki;
    /* program headers claimed past the end: no PVH note found */
    char *copy = vmb_xmalloc(len);
    memcpy(copy, d, len);
    copy[0x39] = 0x7f; /* e_phnum, far past the end */
    inspect_fails(copy, len, "no PVH entry note");
    /* a note whose name size runs past its segment */
    memcpy(copy, d, len);
    cr_assert_eq(vmb_kernel_inspect_mem(copy, len, &ki, &err), 0);
    for (size_t i = 0; i + 16 < len; i++)
        if (memcmp(copy + i, "\x04\0\0\0\x08\0\0\0\x12\0\0\0Xen", 16) == 0) {
            memcpy(copy + i, "\xff\xff\xff\x7f", 4);
            break;
        }
    inspect_fails(copy, len, "no PVH entry note");
    free(copy);
    free(d);
}

/* What guest.kernel accepts: a vmlinux, with or without modules. */
Test(kernel, guest_kernel_find_takes_vmlinux)
{
    char *k = NULL, *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_find(vmlinux, &k, &m, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(k, vmlinux);
    cr_assert_str_eq(m, modules);
    free(k);
    free(m);
}

/* A FIFO or a device is refused before a read could block or not end. */
Test(kernel, not_a_regular_file)
{
    struct vmb_kernel_info ki;
    struct vmb_error *err = NULL;
    char *fifo = vmb_xasprintf("%s/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {fifo, "/dev/zero"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(vmb_kernel_inspect(paths[i], NULL, &ki, &err), -1);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        cr_assert(strstr(err->msg, "is not a regular file"), "%s", err->msg);
        vmb_error_free(err);
        err = NULL;
    }
    free(fifo);
}
