#include "vm/image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/jsonw.h"
#include "base/util.h"

/* Bump when the layout of the image changes: it is part of the key. */
#define LAYOUT "vmb-image-v4"
/* One inode per MiB: a container root holds few files, and fewer inode
 * tables make a smaller image that mkfs can initialise eagerly. */
#define BYTES_PER_INODE (1 << 20)

const char *const vmb_image_default_programs[] = {
    "redis-server", "redis-cli", "sh", "cat", "ls", "sleep", "sync", NULL,
};

static const char *const image_dirs[] = {
    "/data", "/tmp", "/proc", "/sys",     "/dev", "/etc",
    "/root", "/run", "/var",  "/var/tmp", NULL,
};

static const struct {
    const char *path;
    const char *text;
} etc_files[] = {
    {"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                    "redis:x:100:100:redis:/data:/bin/false\n"
                    "postgres:x:101:101:PostgreSQL:/data:/bin/false\n"
                    "mysql:x:102:102:MariaDB:/data:/bin/false\n"
                    "nobody:x:65534:65534:nobody:/:/bin/false\n"},
    {"/etc/group", "root:x:0:\nredis:x:100:\npostgres:x:101:\nmysql:x:102:\n"
                   "nogroup:x:65534:\n"},
    {"/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"},
    {"/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n"},
};

struct file {
    char *guest; /* path in the image */
    char *host;  /* where its bytes come from (symlinks followed) */
    uint64_t size;
    unsigned mode;
    uint64_t hash; /* FNV-1a of the content */
};

struct files {
    struct file *f;
    size_t n, cap;
};

static void
files_free(struct files *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->f[i].guest);
        free(fs->f[i].host);
    }
    free(fs->f);
    memset(fs, 0, sizeof(*fs));
}

static uint64_t
fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV_SEED 0xcbf29ce484222325ull

static int
files_add(struct files *fs, const char *guest, struct vmb_error **err)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->f[i].guest, guest) == 0)
            return 0;
    struct stat st;
    if (stat(guest, &st) < 0)
        return vmb_error_sys(err, "stat \"%s\"", guest);
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_read_file(guest, &data, &len, err) < 0)
        return -1;
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 32;
        fs->f = vmb_xrealloc(fs->f, fs->cap * sizeof(*fs->f));
    }
    autofree char *real = realpath(guest, NULL);
    fs->f[fs->n++] = (struct file){
        .guest = vmb_xstrdup(guest),
        .host = vmb_xstrdup(real ? real : guest),
        .size = len,
        .mode = st.st_mode & 0777,
        .hash = fnv1a64(data, len, FNV_SEED),
    };
    return 0;
}

static char *
find_in_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? vmb_xstrdup(name) : NULL;
    /* The system's directories, not the caller's PATH: the image must
     * not change with who builds it. */
    autofree char *path = vmb_xstrdup(VMB_IMAGE_PROGRAM_DIRS);
    char *save = NULL;
    for (char *d = strtok_r(path, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        if (!*d || d[0] != '/')
            continue;
        char *full = vmb_xasprintf("%s/%s", d, name);
        if (access(full, X_OK) == 0)
            return full;
        free(full);
    }
    return NULL;
}

/* The system's x86-64 loader, for objects that name none (libraries). */
#define SYSTEM_LOADER "/lib64/ld-linux-x86-64.so.2"

/*
 * Reads what the dynamic loader needs to know of an ELF file: whether it
 * is a 64-bit x86-64 object with dynamic dependencies (DT_NEEDED), and
 * its interpreter (PT_INTERP) if it names one. A static program, a
 * relocatable object or anything unreadable needs nothing. Bounded reads
 * only: the file is a host file, but not trusted to be well formed.
 */
static bool
elf_needs_libraries(const char *path, char *interp, size_t interp_len)
{
    interp[0] = '\0';
    autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
        (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
        eh.e_phnum > 256)
        return false;
    Elf64_Phdr ph[256];
    size_t phlen = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (pread(fd, ph, phlen, (off_t)eh.e_phoff) != (ssize_t)phlen)
        return false;
    bool needed = false;
    for (size_t i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP && ph[i].p_filesz > 1 &&
            ph[i].p_filesz < interp_len) {
            ssize_t n =
                pread(fd, interp, ph[i].p_filesz, (off_t)ph[i].p_offset);
            interp[n == (ssize_t)ph[i].p_filesz ? n - 1 : 0] = '\0';
        }
        if (ph[i].p_type != PT_DYNAMIC || ph[i].p_filesz > (1u << 20))
            continue;
        autofree Elf64_Dyn *dyn = vmb_xmalloc(ph[i].p_filesz + 1);
        ssize_t n = pread(fd, dyn, ph[i].p_filesz, (off_t)ph[i].p_offset);
        for (ssize_t k = 0; n > 0 && k < n / (ssize_t)sizeof(*dyn); k++) {
            if (dyn[k].d_tag == DT_NULL)
                break;
            needed |= dyn[k].d_tag == DT_NEEDED;
        }
    }
    return needed;
}

/*
 * The shared objects a program loads, as the host's dynamic loader
 * resolves them (run in its list mode, as ldd does, without ldd's shell
 * around it): "name => /path (addr)" and the loader itself as
 * "/path (addr)". Objects with no dependencies (static programs) are
 * never handed to the loader, which cannot list them.
 */
static int
add_libraries(struct files *fs, const char *prog, struct vmb_error **err)
{
    char interp[256];
    if (!elf_needs_libraries(prog, interp, sizeof(interp)))
        return 0;
    const char *loader = interp[0] == '/' ? interp : SYSTEM_LOADER;
    const char *argv[] = {loader, "--list", prog, NULL};
    autofree char *out = NULL;
    if (vmb_capture_run(argv, &out, NULL, err) < 0)
        return vmb_error_prefix(err, "libraries of \"%s\"", prog);
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strstr(line, "not found"))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "\"%s\" needs a library the host lacks: %s",
                                 prog, line);
        char *arrow = strstr(line, "=> ");
        char *path = arrow ? arrow + 3 : line;
        if (path[0] != '/')
            continue; /* linux-vdso.so.1: in the kernel */
        path[strcspn(path, " ")] = '\0';
        if (files_add(fs, path, err) < 0)
            return vmb_error_prefix(err, "libraries of \"%s\"", prog);
    }
    return 0;
}

/* Whether path's package file belongs in a container root. */
static bool
package_file_wanted(const char *path)
{
    static const char *const skip[] = {
        "/usr/share/doc/", "/usr/share/man/", "/usr/share/locale/",
        "/usr/share/lintian/", "/man/",
        /* LLVM JIT: the server runs with jit off, and its library would
         * pull in all of LLVM. */
        "/bitcode/", "/llvmjit"};
    if (path[0] != '/')
        return false;
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strstr(path, skip[i]) != NULL)
            return false;
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The files of an installed Debian package (or one file), resolved. */
static int
add_package(struct files *fs, const char *pkg, struct vmb_error **err)
{
    if (pkg[0] == '/')
        return files_add(fs, pkg, err) < 0 ? -1 : add_libraries(fs, pkg, err);
    const char *argv[] = {"dpkg", "-L", pkg, NULL};
    autofree char *out = NULL;
    vmb_autoerr struct vmb_error *derr = NULL;
    if (vmb_capture_run(argv, &out, NULL, &derr) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "package \"%s\" is not installed on this host "
                             "(scripts/setup.sh installs it): %s",
                             pkg, derr->msg);
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (!package_file_wanted(line))
            continue;
        if (files_add(fs, line, err) < 0)
            return vmb_error_prefix(err, "package \"%s\"", pkg);
        if (add_libraries(fs, line, err) < 0)
            return vmb_error_prefix(err, "package \"%s\"", pkg);
    }
    return 0;
}

static int
cmp_files(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->guest,
                  ((const struct file *)b)->guest);
}

static int
resolve(const struct vmb_image_opts *opts, struct files *fs, uint64_t *key,
        struct vmb_error **err)
{
    const char *const *progs =
        opts->programs ? opts->programs : vmb_image_default_programs;
    memset(fs, 0, sizeof(*fs));
    for (size_t i = 0; progs[i]; i++) {
        autofree char *p = find_in_path(progs[i]);
        if (!p) {
            files_free(fs);
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "program \"%s\" is not installed on this "
                                 "host (scripts/setup.sh installs it)",
                                 progs[i]);
        }
        if (files_add(fs, p, err) < 0 || add_libraries(fs, p, err) < 0) {
            files_free(fs);
            return -1;
        }
    }
    for (size_t i = 0; opts->packages && opts->packages[i]; i++) {
        if (add_package(fs, opts->packages[i], err) < 0) {
            files_free(fs);
            return -1;
        }
    }
    qsort(fs->f, fs->n, sizeof(*fs->f), cmp_files);
    uint64_t h = fnv1a64(LAYOUT, sizeof(LAYOUT), FNV_SEED);
    uint64_t size = VMB_IMAGE_ROOT_SIZE;
    h = fnv1a64(&size, sizeof(size), h);
    for (size_t i = 0; i < fs->n; i++) {
        const struct file *f = &fs->f[i];
        h = fnv1a64(f->guest, strlen(f->guest) + 1, h);
        h = fnv1a64(&f->hash, sizeof(f->hash), h);
        h = fnv1a64(&f->mode, sizeof(f->mode), h);
    }
    for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
        h = fnv1a64(etc_files[i].path, strlen(etc_files[i].path) + 1, h);
        h = fnv1a64(etc_files[i].text, strlen(etc_files[i].text) + 1, h);
    }
    *key = h;
    return 0;
}

void
vmb_image_clear(struct vmb_image *img)
{
    if (!img)
        return;
    free(img->key);
    free(img->dir);
    free(img->path);
    free(img->manifest);
    free(img->tree);
    memset(img, 0, sizeof(*img));
}

static void
fill(struct vmb_image *out, const char *cache, uint64_t key,
     const struct files *fs)
{
    memset(out, 0, sizeof(*out));
    out->key = vmb_xasprintf("%016" PRIx64, key);
    out->dir = vmb_xasprintf("%s/%s", cache, out->key);
    out->path = vmb_xasprintf("%s/root.qcow2", out->dir);
    out->manifest = vmb_xasprintf("%s/manifest.json", out->dir);
    out->tree = vmb_xasprintf("%s/tree", out->dir);
    out->nfiles = fs->n;
    for (size_t i = 0; i < fs->n; i++)
        out->bytes += fs->f[i].size;
}

int
vmb_image_probe(const struct vmb_image_opts *opts, struct vmb_image *out,
                bool *cached, struct vmb_error **err)
{
    const char *cache = opts->cache_dir ? opts->cache_dir : VMB_IMAGE_CACHE;
    struct files fs;
    uint64_t key;
    if (resolve(opts, &fs, &key, err) < 0)
        return vmb_error_prefix(err, "guest image");
    fill(out, cache, key, &fs);
    files_free(&fs);
    *cached = access(out->path, R_OK) == 0 && access(out->manifest, R_OK) == 0;
    return 0;
}

/* ---- the root filesystem, made without booting anything ---- */

static int
copy_into(const char *from, const char *to, unsigned mode,
          struct vmb_error **err)
{
    autoclose int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return vmb_error_sys(err, "open \"%s\"", from);
    autoclose int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return vmb_error_sys(err, "create \"%s\"", to);
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vmb_error_sys(err, "read \"%s\"", from);
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return vmb_error_sys(err, "write \"%s\"", to);
            off += w;
        }
    }
    if (fchmod(out, mode) < 0)
        return vmb_error_sys(err, "chmod \"%s\"", to);
    return 0;
}

static int
mkdir_parents(const char *root, const char *guest, struct vmb_error **err)
{
    autofree char *dir = vmb_xasprintf("%s%s", root, guest);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    return vmb_mkdir_p(dir, err);
}

/*
 * Lays the image's tree out in root (a fresh directory of the build):
 * the directories, the files with their modes, /bin and /etc.
 */
static int
stage_tree(const char *root, const struct files *fs, struct vmb_error **err)
{
    for (size_t i = 0; image_dirs[i]; i++) {
        autofree char *d = vmb_xasprintf("%s%s", root, image_dirs[i]);
        if (vmb_mkdir_p(d, err) < 0)
            return -1;
        chmod(d, 0755);
    }
    const char *sticky[] = {"/tmp", "/var/tmp"};
    for (size_t i = 0; i < 2; i++) {
        autofree char *d = vmb_xasprintf("%s%s", root, sticky[i]);
        if (chmod(d, 01777) < 0)
            return vmb_error_sys(err, "chmod \"%s\"", d);
    }
    for (size_t i = 0; i < fs->n; i++) {
        const struct file *f = &fs->f[i];
        autofree char *to = vmb_xasprintf("%s%s", root, f->guest);
        if (mkdir_parents(root, f->guest, err) < 0 ||
            copy_into(f->host, to, f->mode, err) < 0)
            return -1;
    }
    /* "#!/bin/sh" works as on the host (merged /usr). */
    bool bin_used = false;
    for (size_t i = 0; i < fs->n; i++)
        bin_used |= vmb_str_has_prefix(fs->f[i].guest, "/bin/");
    autofree char *bin = vmb_xasprintf("%s/bin", root);
    if (!bin_used && symlink("usr/bin", bin) < 0)
        return vmb_error_sys(err, "symlink \"%s\"", bin);
    for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
        autofree char *to = vmb_xasprintf("%s%s", root, etc_files[i].path);
        if (vmb_write_file_atomic(to, etc_files[i].text,
                                  strlen(etc_files[i].text), err) < 0)
            return -1;
        chmod(to, 0644);
    }
    return 0;
}

/*
 * The root disk: the staged tree poured into a fresh ext4 by mke2fs -d
 * (no appliance VM to boot, so a build takes seconds), then converted to
 * qcow2 for the overlays; the tree is kept beside it. Owners are the
 * builder's: root under vmbench run.
 */
static int
build_disk(const char *tmp, const char *image, const struct files *fs,
           struct vmb_error **err)
{
    autofree char *root = vmb_xasprintf("%s/tree", tmp);
    autofree char *raw = vmb_xasprintf("%s/root.raw", tmp);
    if (vmb_mkdir_p(root, err) < 0)
        return -1;
    chmod(root, 0755);
    if (stage_tree(root, fs, err) < 0)
        return -1;
    autoclose int fd =
        open(raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vmb_error_sys(err, "create \"%s\"", raw);
    if (ftruncate(fd, (off_t)VMB_IMAGE_ROOT_SIZE) < 0)
        return vmb_error_sys(err, "size \"%s\"", raw);
    close(vmb_steal_fd(&fd));
    autofree char *ratio = vmb_xasprintf("%d", BYTES_PER_INODE);
    const char *mkfs[] = {
        "mke2fs", "-q",      "-F",
        "-t",     "ext4",    "-i",
        ratio,    "-E",      "lazy_itable_init=0,lazy_journal_init=1",
        "-L",     "vmbroot", "-d",
        root,     raw,       NULL};
    if (vmb_capture_run(mkfs, NULL, NULL, err) < 0)
        return vmb_error_prefix(err, "make the root filesystem");
    const char *conv[] = {"qemu-img", "convert", "-q", "-f",  "raw",
                          "-O",       "qcow2",   raw,  image, NULL};
    if (vmb_capture_run(conv, NULL, NULL, err) < 0)
        return vmb_error_prefix(err, "convert the root disk to qcow2");
    /* The tree stays: the lower layer of every container root served
     * over the shared filesystem (rootfs.h). */
    unlink(raw);
    return 0;
}

static char *
manifest_json(const struct vmb_image *img, const struct files *fs,
              const struct vmb_image_opts *opts)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_jw_obj_begin(&w);
    vmb_jw_kstr(&w, "key", img->key);
    vmb_jw_kstr(&w, "layout", LAYOUT);
    char stamp[32];
    vmb_utc_stamp(stamp, sizeof(stamp), vmb_wall_ns());
    vmb_jw_kstr(&w, "built", stamp);
    vmb_jw_kdouble(&w, "build_s", img->build_s);
    vmb_jw_kuint(&w, "root_size_bytes", VMB_IMAGE_ROOT_SIZE);
    vmb_jw_kstr(&w, "format", "qcow2");
    vmb_jw_kstr(&w, "filesystem", "ext4");
    vmb_jw_key(&w, "programs");
    vmb_jw_arr_begin(&w);
    const char *const *progs =
        opts->programs ? opts->programs : vmb_image_default_programs;
    for (size_t i = 0; progs[i]; i++)
        vmb_jw_str(&w, progs[i]);
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "packages");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; opts->packages && opts->packages[i]; i++)
        vmb_jw_str(&w, opts->packages[i]);
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "files");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < fs->n; i++) {
        char hash[17];
        snprintf(hash, sizeof(hash), "%016" PRIx64, fs->f[i].hash);
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, "path", fs->f[i].guest);
        vmb_jw_kstr(&w, "source", fs->f[i].host);
        vmb_jw_kuint(&w, "size", fs->f[i].size);
        vmb_jw_kstr(&w, "fnv1a64", hash);
        vmb_jw_obj_end(&w);
    }
    vmb_jw_arr_end(&w);
    vmb_jw_key(&w, "etc");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++)
        vmb_jw_str(&w, etc_files[i].path);
    vmb_jw_arr_end(&w);
    vmb_jw_obj_end(&w);
    return vmb_jw_steal(&w);
}

/*
 * Builds the image in tmp (a fresh directory) and renames it to img->dir,
 * moving an existing image aside first (force) and back when that fails.
 */
static int
build_and_install(const char *cache, const char *tmp, struct vmb_image *img,
                  const struct files *fs, const struct vmb_image_opts *opts,
                  bool exists, struct vmb_error **err)
{
    autofree char *tmp_image = vmb_xasprintf("%s/root.qcow2", tmp);
    autofree char *tmp_manifest = vmb_xasprintf("%s/manifest.json", tmp);
    autofree char *old =
        vmb_xasprintf("%s/.old-%s-%d", cache, img->key, (int)getpid());
    vmb_autoerr struct vmb_error *ignore = NULL;
    uint64_t t0 = vmb_now_ns();
    vmb_rm_rf(tmp, &ignore);
    if (vmb_mkdir_p(tmp, err) < 0)
        return -1;
    /* libvirt's QEMU user must reach the base image through the cache. */
    chmod(cache, 0755);
    chmod(tmp, 0755);
    if (build_disk(tmp, tmp_image, fs, err) < 0)
        return -1;
    chmod(tmp_image, 0644);
    img->build_s = (double)(vmb_now_ns() - t0) / 1e9;
    img->built = true;
    autofree char *manifest = manifest_json(img, fs, opts);
    if (vmb_write_file_atomic(tmp_manifest, manifest, strlen(manifest), err) <
        0)
        return -1;
    if (exists) {
        if (rename(img->dir, old) < 0)
            return vmb_error_sys(err, "move \"%s\" aside", img->dir);
        img->replaced = true;
    }
    if (rename(tmp, img->dir) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
            vmb_error_sys(err, "rename \"%s\" to \"%s\"", tmp, img->dir);
            if (exists)
                rename(old, img->dir);
            return -1;
        }
        /* Another build of the same key finished first: same bytes in. */
        vmb_rm_rf(tmp, &ignore);
        img->built = false;
    }
    vmb_error_freep(&ignore);
    vmb_rm_rf(old, &ignore);
    return 0;
}

int
vmb_image_ensure(const struct vmb_image_opts *opts, struct vmb_image *out,
                 struct vmb_error **err)
{
    const char *cache = opts->cache_dir ? opts->cache_dir : VMB_IMAGE_CACHE;
    struct files fs;
    uint64_t key;
    if (resolve(opts, &fs, &key, err) < 0)
        return vmb_error_prefix(err, "guest image");
    struct vmb_image img;
    fill(&img, cache, key, &fs);
    bool exists = access(img.path, R_OK) == 0 &&
                  access(img.manifest, R_OK) == 0 &&
                  access(img.tree, X_OK) == 0;
    if (exists && !opts->force) {
        files_free(&fs);
        *out = img;
        return 0;
    }
    autofree char *tmp =
        vmb_xasprintf("%s/.build-%s-%d", cache, img.key, (int)getpid());
    int rc = build_and_install(cache, tmp, &img, &fs, opts, exists, err);
    files_free(&fs);
    if (rc < 0) {
        vmb_autoerr struct vmb_error *ignore = NULL;
        vmb_rm_rf(tmp, &ignore);
        vmb_image_clear(&img);
        return vmb_error_prefix(err, "build guest image");
    }
    *out = img;
    return 0;
}

/* ---- overlays and data volumes ---- */

int
vmb_image_overlay_create(const char *base, const char *path,
                         struct vmb_error **err)
{
    if (base[0] != '/')
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "overlay \"%s\": base \"%s\" is not an absolute "
                             "path",
                             path, base);
    if (access(base, R_OK) < 0)
        return vmb_error_sys(err, "overlay \"%s\": base \"%s\"", path, base);
    unlink(path);
    const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F",
                          "qcow2",    "-b",     base, path, NULL};
    if (vmb_capture_run(argv, NULL, NULL, err) < 0)
        return vmb_error_prefix(err, "create overlay \"%s\"", path);
    return 0;
}

int
vmb_image_data_volume_create(const char *path, uint64_t size_bytes,
                             struct vmb_error **err)
{
    if (size_bytes < (16u << 20))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "data volume \"%s\": %" PRIu64 " bytes is less "
                             "than the 16 MiB minimum",
                             path, size_bytes);
    bool qcow2 = vmb_str_has_suffix(path, ".qcow2");
    autofree char *raw =
        qcow2 ? vmb_xasprintf("%s.raw.tmp", path) : vmb_xstrdup(path);
    int fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vmb_error_sys(err, "create data volume \"%s\"", raw);
    if (ftruncate(fd, (off_t)size_bytes) < 0) {
        vmb_error_sys(err, "size data volume \"%s\"", raw);
        close(fd);
        unlink(raw);
        return -1;
    }
    close(fd);
    autofree char *ratio = vmb_xasprintf("%d", BYTES_PER_INODE / 16);
    const char *mkfs[] = {
        "mke2fs", "-q",      "-F",
        "-t",     "ext4",    "-i",
        ratio,    "-E",      "lazy_itable_init=0,lazy_journal_init=1",
        "-L",     "vmbdata", raw,
        NULL};
    if (vmb_capture_run(mkfs, NULL, NULL, err) < 0) {
        unlink(raw);
        return vmb_error_prefix(err, "format data volume \"%s\"", path);
    }
    if (qcow2) {
        const char *conv[] = {"qemu-img", "convert", "-q", "-f", "raw",
                              "-O",       "qcow2",   raw,  path, NULL};
        int rc = vmb_capture_run(conv, NULL, NULL, err);
        unlink(raw);
        if (rc < 0)
            return vmb_error_prefix(err, "data volume \"%s\"", path);
    }
    chmod(path, 0644);
    return 0;
}
