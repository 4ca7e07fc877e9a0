#include "vm/initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/paths.h"
#include "base/util.h"
#include "vm/agent_wire.h"
#include "vm/kernel.h"

/* ---- kernel ---- */

int
vmb_guest_kernel_release(const char *kernel_path, char **release,
                         struct vmb_error **err)
{
    struct vmb_kernel_info ki;
    if (vmb_kernel_inspect(kernel_path, NULL, &ki, err) < 0)
        return -1;
    *release = vmb_xstrdup(ki.release);
    return 0;
}

int
vmb_guest_kernel_path(const char *setting, const char *root, char **out,
                      struct vmb_error **err)
{
    if (setting && strcmp(setting, "auto") != 0) {
        *out = vmb_xstrdup(setting);
        return 0;
    }
    autofree char *boot = vmb_xasprintf("%s/boot", root ? root : "");
    DIR *d = opendir(boot);
    if (!d)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "guest kernel \"auto\": open \"%s\"", boot);
    struct dirent *e;
    autofree char *best = NULL;
    while ((e = readdir(d))) {
        if (!vmb_str_has_prefix(e->d_name, "vmlinuz-"))
            continue;
        if (!best || strverscmp(e->d_name + 8, best) > 0) {
            free(best);
            best = vmb_xstrdup(e->d_name + 8);
        }
    }
    closedir(d);
    if (!best)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "guest kernel \"auto\": no \"%s/vmlinuz-*\"; "
                             "install linux-image-amd64 or set "
                             "guest.kernel to a path",
                             boot);
    *out = vmb_xasprintf("%s/vmlinuz-%s", boot, best);
    return 0;
}

int
vmb_guest_kernel_find(const char *setting, char **kernel_path,
                      char **modules_dir, struct vmb_error **err)
{
    autofree char *path = NULL;
    if (vmb_guest_kernel_path(setting, NULL, &path, err) < 0)
        return -1;
    struct stat st;
    if (stat(path, &st) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno, "guest kernel \"%s\"",
                             path);
    if (!S_ISREG(st.st_mode))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "guest kernel \"%s\" is not a file", path);
    struct vmb_kernel_info ki;
    if (vmb_kernel_inspect(path, NULL, &ki, err) < 0)
        return vmb_error_prefix(err, "guest kernel");
    /* A kernel (Kata's vmlinux, a bzImage whose payload vmbench reads)
     * may have everything built in and no modules: the initramfs then
     * loads none, and the preflight says which driver a cell lacks. A
     * bzImage compressed otherwise says nothing of itself. */
    if (!ki.modules_dir[0] && ki.drv[0] == VMB_KDRV_UNKNOWN)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "guest kernel \"%s\" (release \"%s\") has no "
                             "modules at \"/lib/modules/%s\", and its "
                             "payload is compressed with \"%s\", which "
                             "vmbench does not read",
                             path, ki.release, ki.release, ki.payload);
    *modules_dir = ki.modules_dir[0] ? vmb_xstrdup(ki.modules_dir) : NULL;
    *kernel_path = steal(&path);
    return 0;
}

char *
vmb_guest_program(const char *name)
{
    autofree char *dir =
        vmb_shipped_dir("VMB_GUEST_DIR", VMB_GUEST_REL, VMB_GUEST_BUILD);
    return vmb_xasprintf("%s/%s", dir, name);
}

/* ---- modules ---- */

struct kmod {
    char *name; /* normalised: '-' -> '_' */
    char *path; /* relative to the modules dir */
    char **deps;
    size_t ndeps;
};

struct kdb {
    char *dir;
    struct kmod *mods;
    size_t n;
    char *builtin; /* modules.builtin text */
    char *softdep; /* modules.softdep text */
    char *alias;   /* modules.alias text */
};

struct entry {
    const char *group;
    bool opt;
    const struct kmod *mod;
};

struct plan {
    struct entry *e;
    size_t n, cap;
};

static void
normalise(char *s)
{
    for (; *s; s++)
        if (*s == '-')
            *s = '_';
}

/* "kernel/fs/ext4/ext4.ko.xz" -> "ext4" */
static char *
name_of(const char *path, size_t len)
{
    const char *b = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            b = path + i + 1;
    size_t n = (size_t)(path + len - b);
    const char *dot = memchr(b, '.', n);
    if (dot)
        n = (size_t)(dot - b);
    char *s = vmb_xasprintf("%.*s", (int)n, b);
    normalise(s);
    return s;
}

static void
kdb_free(struct kdb *db)
{
    for (size_t i = 0; i < db->n; i++) {
        free(db->mods[i].name);
        free(db->mods[i].path);
        for (size_t j = 0; j < db->mods[i].ndeps; j++)
            free(db->mods[i].deps[j]);
        free(db->mods[i].deps);
    }
    free(db->mods);
    free(db->dir);
    free(db->builtin);
    free(db->softdep);
    free(db->alias);
}

static int
kdb_load(const char *dir, struct kdb *db, struct vmb_error **err)
{
    memset(db, 0, sizeof(*db));
    db->dir = vmb_xstrdup(dir);
    autofree char *depf = vmb_xasprintf("%s/modules.dep", dir);
    autofree char *text = NULL;
    if (vmb_read_file(depf, &text, NULL, err) < 0)
        return -1;
    size_t cap = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        if (db->n == cap) {
            cap = cap ? cap * 2 : 1024;
            db->mods = vmb_xrealloc(db->mods, cap * sizeof(*db->mods));
        }
        struct kmod *m = &db->mods[db->n++];
        memset(m, 0, sizeof(*m));
        m->path = vmb_xasprintf("%.*s", (int)(colon - line), line);
        m->name = name_of(line, (size_t)(colon - line));
        char *save2 = NULL;
        for (char *d = strtok_r(colon + 1, " ", &save2); d;
             d = strtok_r(NULL, " ", &save2)) {
            m->deps = vmb_xrealloc(m->deps, (m->ndeps + 1) * sizeof(char *));
            m->deps[m->ndeps++] = name_of(d, strlen(d));
        }
    }
    /* Optional files: a kernel may lack them. */
    autofree char *bf = vmb_xasprintf("%s/modules.builtin", dir);
    autofree char *sf = vmb_xasprintf("%s/modules.softdep", dir);
    autofree char *af = vmb_xasprintf("%s/modules.alias", dir);
    vmb_autoerr struct vmb_error *ignore = NULL;
    if (vmb_read_file(bf, &db->builtin, NULL, &ignore) < 0)
        db->builtin = vmb_xstrdup("");
    vmb_error_freep(&ignore);
    if (vmb_read_file(sf, &db->softdep, NULL, &ignore) < 0)
        db->softdep = vmb_xstrdup("");
    vmb_error_freep(&ignore);
    if (vmb_read_file(af, &db->alias, NULL, &ignore) < 0)
        db->alias = vmb_xstrdup("");
    return 0;
}

static const struct kmod *
kdb_find(const struct kdb *db, const char *name)
{
    for (size_t i = 0; i < db->n; i++)
        if (strcmp(db->mods[i].name, name) == 0)
            return &db->mods[i];
    return NULL;
}

static bool
kdb_builtin(const struct kdb *db, const char *name)
{
    const char *p = db->builtin;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        autofree char *n = name_of(p, len);
        if (strcmp(n, name) == 0)
            return true;
        p += len + (nl ? 1 : 0);
    }
    return false;
}

/*
 * Calls fn for each word after `field` in lines "<kind> <key> ..." of
 * text whose key is `key` ("softdep ext4 pre: a b", "alias x mod").
 */
static void
each_word(const char *text, const char *kind, const char *key,
          const char *field, void (*fn)(const char *w, void *arg), void *arg)
{
    size_t kl = strlen(kind), keyl = strlen(key);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > kl + keyl + 1 && strncmp(p, kind, kl) == 0 && p[kl] == ' ' &&
            strncmp(p + kl + 1, key, keyl) == 0 && p[kl + 1 + keyl] == ' ') {
            autofree char *line = vmb_xasprintf("%.*s", (int)len, p);
            char *save = NULL;
            strtok_r(line, " ", &save); /* kind */
            strtok_r(NULL, " ", &save); /* key */
            bool on = field == NULL;
            for (char *w = strtok_r(NULL, " ", &save); w;
                 w = strtok_r(NULL, " ", &save)) {
                if (vmb_str_has_suffix(w, ":")) {
                    on = field && strcmp(w, field) == 0;
                    continue;
                }
                if (on)
                    fn(w, arg);
            }
        }
        p += len + (nl ? 1 : 0);
    }
}

static void
collect_word(const char *w, void *arg)
{
    struct vmb_buf *b = arg;
    vmb_buf_puts(b, w);
    vmb_buf_puts(b, " ");
}

static bool
plan_has(const struct plan *p, const struct kmod *m)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->e[i].mod == m)
            return true;
    return false;
}

static int plan_add(struct plan *p, const struct kdb *db, const char *name,
                    const char *group, bool opt, int depth,
                    struct vmb_error **err);

/* A soft dependency may name an alias ("crypto-crc32c"): every module
 * providing it goes in, as optional. */
static void
plan_add_soft(struct plan *p, const struct kdb *db, const char *word,
              const char *group, int depth)
{
    autofree char *name = vmb_xstrdup(word);
    normalise(name);
    vmb_autoerr struct vmb_error *ignore = NULL;
    if (kdb_find(db, name) || kdb_builtin(db, name)) {
        plan_add(p, db, name, group, true, depth + 1, &ignore);
        return;
    }
    struct vmb_buf mods = {0};
    each_word(db->alias, "alias", word, NULL, collect_word, &mods);
    autofree char *list = vmb_buf_steal(&mods);
    char *save = NULL;
    for (char *w = strtok_r(list, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        vmb_error_freep(&ignore);
        plan_add(p, db, w, group, true, depth + 1, &ignore);
    }
}

static int
plan_add(struct plan *p, const struct kdb *db, const char *name,
         const char *group, bool opt, int depth, struct vmb_error **err)
{
    if (depth > 32)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "module \"%s\": dependencies nest too deep", name);
    const struct kmod *m = kdb_find(db, name);
    if (!m) {
        if (kdb_builtin(db, name))
            return 0;
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "module \"%s\" is neither in \"%s/modules.dep\" "
                             "nor built in",
                             name, db->dir);
    }
    if (plan_has(p, m))
        return 0;
    struct vmb_buf pre = {0};
    each_word(db->softdep, "softdep", name, "pre:", collect_word, &pre);
    autofree char *prelist = vmb_buf_steal(&pre);
    char *save = NULL;
    for (char *w = strtok_r(prelist, " ", &save); w;
         w = strtok_r(NULL, " ", &save))
        plan_add_soft(p, db, w, group, depth);
    for (size_t i = 0; i < m->ndeps; i++)
        if (plan_add(p, db, m->deps[i], group, opt, depth + 1, err) < 0)
            return vmb_error_prefix(err, "module \"%s\"", name);
    if (plan_has(p, m)) /* a soft dependency pulled it in already */
        return 0;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->e = vmb_xrealloc(p->e, p->cap * sizeof(*p->e));
    }
    p->e[p->n++] = (struct entry){.group = group, .opt = opt, .mod = m};
    return 0;
}

static const struct {
    const char *group;
    const char *modules[6];
    bool opt; /* a kernel without them still boots the other cells */
} groups[] = {
    {"base",
     {"virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "ext4", NULL},
     false},
    {"9p", {"9p", "9pnet_virtio", NULL}, false},
    {"virtio-fs", {"virtiofs", NULL}, false},
    /* the block data disk on virtio-scsi, Kata's default driver */
    {"virtio-blk", {"virtio_scsi", "sd_mod", NULL}, true},
    /* the agent's channel on vsock, as Kata's (vmb.agent=vsock) */
    {"vsock",
     {"vsock", "vmw_vsock_virtio_transport_common",
      "vmw_vsock_virtio_transport", NULL},
     true},
};

static int
plan_build(const struct kdb *db, struct plan *p, struct vmb_error **err)
{
    memset(p, 0, sizeof(*p));
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (size_t i = 0; groups[g].modules[i]; i++) {
            vmb_autoerr struct vmb_error *ignore = NULL;
            bool opt = groups[g].opt;
            if (plan_add(p, db, groups[g].modules[i], groups[g].group, opt, 0,
                         opt ? &ignore : err) < 0 &&
                !opt) {
                free(p->e);
                p->e = NULL;
                return -1;
            }
        }
    return 0;
}

static char *
guest_module_path(const struct kmod *m)
{
    return vmb_xasprintf("/lib/modules/%s.ko", m->name);
}

static char *
plan_text(const struct plan *p)
{
    struct vmb_buf b = {0};
    for (size_t i = 0; i < p->n; i++) {
        autofree char *gp = guest_module_path(p->e[i].mod);
        vmb_buf_printf(&b, "%s %s %s\n", p->e[i].group,
                       p->e[i].opt ? "opt" : "req", gp);
    }
    return vmb_buf_steal(&b);
}

int
vmb_initramfs_module_list(const char *modules_dir, char **text,
                          struct vmb_error **err)
{
    struct kdb db;
    if (kdb_load(modules_dir, &db, err) < 0) {
        kdb_free(&db);
        return vmb_error_prefix(err, "kernel modules");
    }
    struct plan p;
    int rc = plan_build(&db, &p, err);
    if (rc == 0)
        *text = plan_text(&p);
    free(p.e);
    kdb_free(&db);
    return rc;
}

/* Modules may ship compressed; the initramfs carries them plain. */
static int
read_module(const char *path, char **data, size_t *len, struct vmb_error **err)
{
    const char *tool = NULL;
    if (vmb_str_has_suffix(path, ".xz"))
        tool = "xz";
    else if (vmb_str_has_suffix(path, ".zst"))
        tool = "zstd";
    else if (vmb_str_has_suffix(path, ".gz"))
        tool = "gzip";
    if (!tool)
        return vmb_read_file(path, data, len, err);
    const char *argv[] = {tool, "-dc", path, NULL};
    if (vmb_capture_run(argv, data, len, err) < 0)
        return vmb_error_prefix(err, "decompress module \"%s\"", path);
    return 0;
}

/* ---- cpio "newc" ---- */

static void
cpio_entry(struct vmb_buf *b, unsigned ino, const char *name, unsigned mode,
           unsigned rmaj, unsigned rmin, const void *data, size_t len)
{
    size_t namesize = strlen(name) + 1;
    /* mtime 0 and fixed inode numbers: the same inputs give the same
     * bytes, so the cache can be keyed by them. */
    vmb_buf_printf(b,
                   "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
                   "%08X",
                   ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u,
                   (unsigned)len, 0u, 0u, rmaj, rmin, (unsigned)namesize, 0u);
    vmb_buf_append(b, name, namesize);
    static const char zeros[4] = {0};
    vmb_buf_append(b, zeros, (4 - (110 + namesize) % 4) % 4);
    if (len) {
        vmb_buf_append(b, data, len);
        vmb_buf_append(b, zeros, (4 - len % 4) % 4);
    }
}

int
vmb_initramfs_build(const char *init_path, const char *modules_dir, char **out,
                    size_t *len, struct vmb_error **err)
{
    autofree char *init = NULL;
    size_t init_len = 0;
    if (vmb_read_file(init_path, &init, &init_len, err) < 0)
        return vmb_error_prefix(err, "initramfs: init program");
    struct vmb_buf b = {0};
    unsigned ino = 1;
    static const char *const dirs[] = {"dev",       "proc",           "sys",
                                       "container", "container/data", "etc",
                                       "lib",       "lib/modules"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        cpio_entry(&b, ino++, dirs[i], S_IFDIR | 0755, 0, 0, NULL, 0);
    /* The kernel opens /dev/console for init before anything mounts. */
    cpio_entry(&b, ino++, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
    cpio_entry(&b, ino++, "init", S_IFREG | 0755, 0, 0, init, init_len);

    if (modules_dir) {
        struct kdb db;
        if (kdb_load(modules_dir, &db, err) < 0) {
            kdb_free(&db);
            vmb_buf_free(&b);
            return vmb_error_prefix(err, "initramfs: kernel modules");
        }
        struct plan p;
        if (plan_build(&db, &p, err) < 0) {
            kdb_free(&db);
            vmb_buf_free(&b);
            return vmb_error_prefix(err, "initramfs");
        }
        int rc = 0;
        for (size_t i = 0; i < p.n && rc == 0; i++) {
            autofree char *src =
                vmb_xasprintf("%s/%s", modules_dir, p.e[i].mod->path);
            autofree char *data = NULL;
            size_t dlen = 0;
            /* Listed once even when two groups need it. */
            bool seen = false;
            for (size_t j = 0; j < i; j++)
                seen |= p.e[j].mod == p.e[i].mod;
            if (seen)
                continue;
            rc = read_module(src, &data, &dlen, err);
            if (rc == 0) {
                autofree char *gp = guest_module_path(p.e[i].mod);
                cpio_entry(&b, ino++, gp + 1, S_IFREG | 0644, 0, 0, data, dlen);
            }
        }
        if (rc == 0) {
            autofree char *list = plan_text(&p);
            /* cpio names have no leading '/' */
            cpio_entry(&b, ino++, &VMB_AGENT_MODULES_LIST[1], S_IFREG | 0644, 0,
                       0, list, strlen(list));
        }
        free(p.e);
        kdb_free(&db);
        if (rc < 0) {
            vmb_buf_free(&b);
            return vmb_error_prefix(err, "initramfs");
        }
    }
    cpio_entry(&b, 0, "TRAILER!!!", 0, 0, 0, NULL, 0);
    *len = b.len;
    *out = vmb_buf_steal(&b);
    return 0;
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

int
vmb_initramfs_ensure(const char *init_path, const char *modules_dir,
                     const char *cache_dir, char **path, struct vmb_error **err)
{
    if (!cache_dir)
        cache_dir = VMB_INITRAMFS_CACHE;
    autofree char *data = NULL;
    size_t len = 0;
    if (vmb_initramfs_build(init_path, modules_dir, &data, &len, err) < 0)
        return -1;
    uint64_t h = fnv1a64(data, len, 0xcbf29ce484222325ull);
    autofree char *file =
        vmb_xasprintf("%s/initramfs-%016" PRIx64 ".cpio", cache_dir, h);
    if (access(file, R_OK) == 0) {
        *path = steal(&file);
        return 0;
    }
    if (vmb_mkdir_p(cache_dir, err) < 0 ||
        vmb_write_file_atomic(file, data, len, err) < 0)
        return vmb_error_prefix(err, "initramfs cache");
    *path = steal(&file);
    return 0;
}
