/*
 * The guest kernel lookup and the initramfs: what the guest gets to boot
 * with, checked against the host's real kernel and modules.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/util.h"
#include "vm/initramfs.h"

static char *
kernel_modules(void)
{
    char *k = NULL, *m = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_guest_kernel_find("auto", &k, &m, &err);
    cr_assert_eq(rc, 0, "kernel auto: %s", err ? err->msg : "");
    free(k);
    return m;
}

/* "auto" is the newest /boot/vmlinuz-*, with its modules directory. */
Test(initramfs, kernel_auto_finds_boot_kernel)
{
    char *k = NULL, *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_find("auto", &k, &m, &err), 0);
    cr_assert(vmb_str_has_prefix(k, "/boot/vmlinuz-"), "%s", k);
    char *rel = NULL;
    cr_assert_eq(vmb_guest_kernel_release(k, &rel, &err), 0);
    cr_assert_str_eq(k + strlen("/boot/vmlinuz-"), rel);
    char *want = vmb_xasprintf("/lib/modules/%s", rel);
    cr_assert_str_eq(m, want);
    free(want);
    free(rel);
    free(k);
    free(m);
}

/* A missing kernel is bad input, named in the message. */
Test(initramfs, kernel_missing_is_input_error)
{
    char *k = NULL, *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_find("/nonexistent/vmlinuz", &k, &m, &err),
                 -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_str_eq(err->msg, "guest kernel \"/nonexistent/vmlinuz\": No "
                               "such file or directory");
    vmb_error_free(err);
}

/* Something that is not a bzImage is refused as such. */
Test(initramfs, kernel_not_bzimage)
{
    char *k = NULL, *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_find("/etc/hostname", &k, &m, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, "is not a bzImage kernel"), "%s", err->msg);
    vmb_error_free(err);
}

static const char *
line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    cr_assert_not_null(p, "\"%s\" missing from:\n%s", needle, text);
    return p;
}

/*
 * Dependencies come before the modules needing them; ext4's soft
 * dependency on crc32c is there, optional; storage groups and the
 * agent's vsock group are separate.
 */
Test(initramfs, module_list_in_load_order)
{
    char *m = kernel_modules();
    char *text = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_initramfs_module_list(m, &text, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert(line_of(text, "base req /lib/modules/virtio.ko\n") <
              line_of(text, "base req /lib/modules/virtio_pci.ko\n"));
    cr_assert(line_of(text, "base req /lib/modules/jbd2.ko\n") <
              line_of(text, "base req /lib/modules/ext4.ko\n"));
    cr_assert(line_of(text, "base opt /lib/modules/crc32c_generic.ko\n") <
              line_of(text, "base req /lib/modules/ext4.ko\n"));
    line_of(text, "base req /lib/modules/virtio_console.ko\n");
    line_of(text, "base req /lib/modules/virtio_net.ko\n");
    line_of(text, "base req /lib/modules/virtio_blk.ko\n");
    cr_assert(line_of(text, "9p req /lib/modules/9pnet.ko\n") <
              line_of(text, "9p req /lib/modules/9p.ko\n"));
    line_of(text, "9p req /lib/modules/9pnet_virtio.ko\n");
    line_of(text, "virtio-fs req /lib/modules/virtiofs.ko\n");
    /* The agent's vsock transport, for cells whose agent is on vsock. */
    cr_assert(line_of(text, "vsock opt /lib/modules/vsock.ko\n") <
              line_of(text, "vsock opt /lib/modules/"
                            "vmw_vsock_virtio_transport_common.ko\n"));
    cr_assert(
        line_of(text, "vsock opt /lib/modules/"
                      "vmw_vsock_virtio_transport_common.ko\n") <
        line_of(text,
                "vsock opt /lib/modules/vmw_vsock_virtio_transport.ko\n"));
    /* virtio is loaded once, in base, not again for 9p. */
    cr_assert_null(strstr(text, "9p req /lib/modules/virtio.ko"));
    free(text);
    free(m);
}

/* Walks a newc archive; returns the entry's mode or 0, its size in *size. */
static unsigned
cpio_find(const char *a, size_t len, const char *name, size_t *size,
          unsigned *rdev_major)
{
    size_t off = 0;
    while (off + 110 <= len) {
        cr_assert_eq(memcmp(a + off, "070701", 6), 0, "bad magic at %zu", off);
        unsigned f[13];
        for (int i = 0; i < 13; i++) {
            char h[9];
            memcpy(h, a + off + 6 + i * 8, 8);
            h[8] = '\0';
            f[i] = (unsigned)strtoul(h, NULL, 16);
        }
        const char *n = a + off + 110;
        size_t data = (off + 110 + f[11] + 3) & ~(size_t)3;
        size_t next = (data + f[6] + 3) & ~(size_t)3;
        if (strcmp(n, "TRAILER!!!") == 0)
            return 0;
        if (strcmp(n, name) == 0) {
            *size = f[6];
            if (rdev_major)
                *rdev_major = f[9];
            return f[1];
        }
        off = next;
    }
    cr_assert_fail("archive has no trailer");
    return 0;
}

/* The archive carries /init (executable), a console node, the modules. */
Test(initramfs, archive_has_init_console_and_modules)
{
    char *m = kernel_modules();
    const char *init = "/bin/true";
    struct stat st;
    cr_assert_eq(stat(init, &st), 0);
    char *a = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_initramfs_build(init, m, &a, &len, &err), 0, "%s",
                 err ? err->msg : "");
    size_t size = 0;
    unsigned rmaj = 0;
    unsigned mode = cpio_find(a, len, "init", &size, NULL);
    cr_assert_eq(mode, S_IFREG | 0755);
    cr_assert_eq(size, (size_t)st.st_size);
    mode = cpio_find(a, len, "dev/console", &size, &rmaj);
    cr_assert(S_ISCHR(mode));
    cr_assert_eq(rmaj, 5);
    cr_assert(S_ISREG(cpio_find(a, len, "lib/modules/ext4.ko", &size, NULL)));
    cr_assert_gt(size, 100000);
    cr_assert(S_ISREG(cpio_find(a, len, "etc/vmb-modules", &size, NULL)));
    cr_assert(S_ISDIR(cpio_find(a, len, "container/data", &size, NULL)));
    free(a);
    free(m);
}

/* The cache is keyed by content: same inputs, same file, built once. */
Test(initramfs, ensure_caches_by_content)
{
    char dir[] = "/tmp/vmb-initramfs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_initramfs_ensure("/bin/true", NULL, dir, &p1, &err), 0);
    struct stat s1, s2;
    cr_assert_eq(stat(p1, &s1), 0);
    cr_assert_eq(vmb_initramfs_ensure("/bin/true", NULL, dir, &p2, &err), 0);
    cr_assert_str_eq(p1, p2);
    cr_assert_eq(stat(p2, &s2), 0);
    cr_assert_eq(s1.st_ino, s2.st_ino, "rewritten although cached");
    cr_assert_eq(vmb_initramfs_ensure("/bin/false", NULL, dir, &p3, &err), 0);
    cr_assert_str_neq(p1, p3);
    free(p1);
    free(p2);
    free(p3);
    vmb_rm_rf(dir, &err);
}

static void
put(const char *dir, const char *name, const char *text)
{
    char *p = vmb_xasprintf("%s/%s", dir, name);
    char *d = vmb_xstrdup(p);
    *strrchr(d, '/') = '\0';
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_mkdir_p(d, &err), 0);
    cr_assert_eq(vmb_write_file_atomic(p, text, strlen(text), &err), 0);
    free(d);
    free(p);
}

static void
compress(const char *dir, const char *name, const char *tool)
{
    char *p = vmb_xasprintf("%s/%s", dir, name);
    const char *argv[] = {tool, "-q", p, NULL};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(argv, NULL, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(p);
}

/*
 * A made-up kernel: virtio_pci built in, modules compressed with xz and
 * zstd, a soft dependency through an alias. The archive carries each
 * module decompressed, built-ins not at all, dependencies first.
 */
Test(initramfs, compressed_builtin_softdep)
{
    char dir[] = "/tmp/vmb-kmods-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    put(dir, "modules.dep",
        "kernel/virtio.ko.xz:\n"
        "kernel/virtio_blk.ko.xz: kernel/virtio.ko.xz\n"
        "kernel/virtio_net.ko.zst: kernel/virtio.ko.xz\n"
        "kernel/virtio_console.ko: kernel/virtio.ko.xz\n"
        "kernel/jbd2.ko:\n"
        "kernel/ext4.ko: kernel/jbd2.ko\n"
        "kernel/crc32c-generic.ko:\n"
        "kernel/9pnet.ko:\n"
        "kernel/9p.ko: kernel/9pnet.ko\n"
        "kernel/9pnet_virtio.ko: kernel/9pnet.ko kernel/virtio.ko.xz\n"
        "kernel/fuse.ko:\n"
        "kernel/virtiofs.ko: kernel/fuse.ko kernel/virtio.ko.xz\n");
    put(dir, "modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\n");
    put(dir, "modules.softdep", "softdep ext4 pre: crypto-crc32c\n");
    put(dir, "modules.alias", "alias crypto-crc32c crc32c_generic\n");
    const char *names[] = {"virtio",         "virtio_blk", "virtio_net",
                           "virtio_console", "jbd2",       "ext4",
                           "crc32c-generic", "9pnet",      "9p",
                           "9pnet_virtio",   "fuse",       "virtiofs"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *f = vmb_xasprintf("kernel/%s.ko", names[i]);
        char *body = vmb_xasprintf("module %s\n", names[i]);
        put(dir, f, body);
        free(f);
        free(body);
    }
    compress(dir, "kernel/virtio.ko", "xz");
    compress(dir, "kernel/virtio_blk.ko", "xz");
    compress(dir, "kernel/virtio_net.ko", "zstd");
    char *zst = vmb_xasprintf("%s/kernel/virtio_net.ko", dir);
    unlink(zst); /* zstd keeps its input */
    free(zst);

    char *text = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_initramfs_module_list(dir, &text, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_null(strstr(text, "virtio_pci"), "built-in listed:\n%s", text);
    cr_assert(line_of(text, "base req /lib/modules/virtio.ko\n") <
              line_of(text, "base req /lib/modules/virtio_blk.ko\n"));
    cr_assert(line_of(text, "base opt /lib/modules/crc32c_generic.ko\n") <
              line_of(text, "base req /lib/modules/ext4.ko\n"));
    free(text);

    char *a = NULL;
    size_t len = 0, size = 0;
    cr_assert_eq(vmb_initramfs_build("/bin/true", dir, &a, &len, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert(S_ISREG(cpio_find(a, len, "lib/modules/virtio.ko", &size, NULL)));
    cr_assert_eq(size, strlen("module virtio\n"), "not decompressed");
    cr_assert(
        S_ISREG(cpio_find(a, len, "lib/modules/virtio_net.ko", &size, NULL)));
    cr_assert_eq(size, strlen("module virtio_net\n"), "not decompressed");
    free(a);
    vmb_rm_rf(dir, &err);
}

/* A module the kernel lacks is named, with where it was looked for. */
Test(initramfs, missing_module_is_named)
{
    char dir[] = "/tmp/vmb-kmods-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    put(dir, "modules.dep", "kernel/virtio.ko:\n");
    char *text = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_initramfs_module_list(dir, &text, &err), -1);
    char *want = vmb_xasprintf("module \"virtio_pci\" is neither in "
                               "\"%s/modules.dep\" nor built in",
                               dir);
    cr_assert_str_eq(err->msg, want);
    free(want);
    vmb_error_free(err);
    vmb_rm_rf(dir, &err);
}
