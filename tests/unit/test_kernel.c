/*
 * The guest kernel reader (vm/kernel.h) on real kernels: the host's
 * Debian bzImage with its modules, and the uncompressed ELF vmlinux
 * inside it (tests/vmlinux-from-bzimage.sh), which stands for a Kata
 * guest kernel: a vmlinux with no modules directory. Then the same
 * reader on truncated and hostile copies of them.
 */
#include <criterion/criterion.h>
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
