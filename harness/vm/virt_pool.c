/*
 * vmbench's storage pools on a libvirt host (virt.h, "storage pools"):
 * a dir pool per run whose volumes are filled over the connection with
 * libvirt's upload (virStorageVolUpload over a virStream), so the files
 * reach a remote host without any agent or copy tool of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base/proc.h"
#include "base/util.h"
#include "vm/virt.h"
#include "vm/virt_priv.h"

#define POOL_PREFIX "vmbench-"
#define POOL_PARENT "/var/lib/libvirt/images"

struct vmb_virt_pool {
    struct vmb_virt *v;
    virStoragePoolPtr pool;
    char *name, *dir;
};

/* The first 8 hex digits of this host's boot id; "" when unreadable. */
static void
boot_id8(char out[9])
{
    out[0] = '\0';
    autofree char *text = NULL;
    if (vmb_read_file("/proc/sys/kernel/random/boot_id", &text, NULL, NULL) < 0)
        return;
    size_t n = 0;
    for (const char *c = text; *c && n < 8; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))
            out[n++] = *c;
    out[n] = '\0';
}

void
vmb_virt_pool_name(char *buf, size_t len)
{
    char boot[9];
    boot_id8(boot);
    pid_t pid = getpid();
    snprintf(buf, len, POOL_PREFIX "%s-%llu-%d-%llu", boot, vmb_proc_pid_ns(),
             (int)pid, vmb_proc_start(pid));
}

/*
 * Whether a pool named by vmb_virt_pool_name belongs to a process of this
 * host's boot and pid namespace that is gone. A pool of another boot,
 * another pid namespace or another host's vmbench is never judged dead:
 * its process may live where this one cannot see it.
 */
static bool
pool_of_dead_run(const char *name)
{
    char boot[9];
    boot_id8(boot);
    if (!vmb_str_has_prefix(name, POOL_PREFIX) || boot[0] == '\0')
        return false;
    const char *p = name + strlen(POOL_PREFIX);
    if (strncmp(p, boot, 8) != 0 || p[8] != '-')
        return false;
    char *end = NULL;
    unsigned long long ns = strtoull(p + 9, &end, 10);
    if (end == p + 9 || *end != '-' || ns != vmb_proc_pid_ns())
        return false;
    const char *at = end + 1;
    long pid = strtol(at, &end, 10);
    if (end == at || *end != '-' || pid <= 0)
        return false;
    unsigned long long start = strtoull(end + 1, &end, 10);
    if (*end != '\0')
        return false;
    return !vmb_proc_alive((pid_t)pid, start);
}

/* Deletes every volume of an active pool, then the pool: stopped, its
 * directory removed, forgotten. Returns the first error. */
static int
pool_remove(virStoragePoolPtr pool, struct vmb_error **err)
{
    int rc = 0;
    int active = virStoragePoolIsActive(pool);
    if (active == 0 && virStoragePoolCreate(pool, 0) == 0)
        active = 1;
    virStorageVolPtr *vols = NULL;
    int n = active == 1 ? virStoragePoolListAllVolumes(pool, &vols, 0) : 0;
    for (int i = 0; i < n; i++) {
        if (virStorageVolDelete(vols[i], 0) < 0 && rc == 0)
            rc = vmb_virt_fail(err, "delete a volume of vmbench's pool");
        virStorageVolFree(vols[i]);
    }
    free(vols);
    if (active == 1 && virStoragePoolDestroy(pool) < 0 && rc == 0)
        rc = vmb_virt_fail(err, "stop vmbench's storage pool");
    if (rc == 0 && virStoragePoolDelete(pool, 0) < 0)
        rc = vmb_virt_fail(err, "remove vmbench's storage pool's directory");
    /* Undefined, a pool whose files remain is out of every later sweep's
     * sight: keep it defined until they are gone. */
    if (rc == 0 && virStoragePoolUndefine(pool) < 0)
        rc = vmb_virt_fail(err, "undefine vmbench's storage pool");
    virResetLastError();
    return rc;
}

int
vmb_virt_pool_sweep(struct vmb_virt *v, struct vmb_error **err)
{
    virStoragePoolPtr *pools = NULL;
    int n = virConnectListAllStoragePools(v->conn, &pools, 0);
    if (n < 0)
        return vmb_virt_fail(err, "list the storage pools");
    int removed = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = virStoragePoolGetName(pools[i]);
        if (rc == 0 && name != NULL && pool_of_dead_run(name)) {
            rc = pool_remove(pools[i], err);
            if (rc == 0)
                removed++;
        }
        virStoragePoolFree(pools[i]);
    }
    free(pools);
    return rc < 0 ? rc : removed;
}

int
vmb_virt_pool_create(struct vmb_virt *v, const char *name,
                     struct vmb_virt_pool **out, struct vmb_error **err)
{
    /* This process's own pool of an earlier cell whose teardown failed
     * (a lost connection): the sweep leaves it, as its process lives. */
    virStoragePoolPtr old = virStoragePoolLookupByName(v->conn, name);
    virResetLastError();
    if (old != NULL) {
        int gone = pool_remove(old, err);
        virStoragePoolFree(old);
        if (gone < 0)
            return vmb_error_prefix(err,
                                    "storage pool \"%s\" of an "
                                    "earlier cell",
                                    name);
    }
    autofree char *dir = vmb_xasprintf(POOL_PARENT "/%s", name);
    autofree char *xml = vmb_xasprintf(
        "<pool type='dir'><name>%s</name><target><path>%s</path>"
        "<permissions><mode>0711</mode></permissions></target></pool>",
        name, dir);
    /* Defined rather than transient: only an inactive pool's directory
     * can be removed (virStoragePoolDelete). */
    virStoragePoolPtr pool = virStoragePoolDefineXML(v->conn, xml, 0);
    if (pool == NULL)
        return vmb_virt_fail(err, "define a storage pool");
    if (virStoragePoolBuild(pool, 0) < 0 || virStoragePoolCreate(pool, 0) < 0) {
        int rc = vmb_virt_fail(err, "build and start a storage pool");
        pool_remove(pool, NULL);
        virStoragePoolFree(pool);
        return rc;
    }
    struct vmb_virt_pool *p = vmb_xcalloc(1, sizeof(*p));
    p->v = v;
    p->pool = pool;
    p->name = vmb_xstrdup(name);
    p->dir = steal(&dir);
    *out = p;
    return 0;
}

const char *
vmb_virt_pool_dir(const struct vmb_virt_pool *p)
{
    return p->dir;
}

/* Sends the open file's len bytes into the stream; 0 or -1 with *err. */
static int
send_file(virStreamPtr st, int fd, uint64_t len, const char *file,
          struct vmb_error **err)
{
    char buf[256 * 1024];
    uint64_t sent = 0;
    while (sent < len) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vmb_error_set(err, VMB_ERR_RUN, n < 0 ? errno : 0,
                                 "read \"%s\" to upload it", file);
        for (ssize_t off = 0; off < n;) {
            int w = virStreamSend(st, buf + off, (size_t)(n - off));
            if (w < 0)
                return vmb_virt_fail(err, "upload");
            off += w;
        }
        sent += (uint64_t)n;
    }
    return 0;
}

/* The sparse stream's view of the file: its data read, its holes told. */
struct sparse_src {
    int fd;
    int err; /* the errno of a callback's failure; libvirt keeps none */
};

static int
sparse_fail(struct sparse_src *src)
{
    src->err = errno ? errno : EIO;
    return -1;
}

static int
sparse_read(virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
    (void)st;
    struct sparse_src *src = opaque;
    ssize_t n;
    do {
        n = read(src->fd, data, nbytes);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? sparse_fail(src) : (int)n;
}

/* Whether the file at its offset is in data or in a hole, and for how
 * long; at the end, a hole of length 0 (libvirt's convention). */
static int
sparse_hole(virStreamPtr st, int *in_data, long long *length, void *opaque)
{
    (void)st;
    struct sparse_src *src = opaque;
    off_t cur = lseek(src->fd, 0, SEEK_CUR);
    off_t end = lseek(src->fd, 0, SEEK_END);
    if (cur < 0 || end < 0 || lseek(src->fd, cur, SEEK_SET) < 0)
        return sparse_fail(src);
    if (cur >= end) {
        *in_data = 0;
        *length = 0;
        return 0;
    }
    off_t data = lseek(src->fd, cur, SEEK_DATA);
    if (data < 0 && errno != ENXIO)
        return sparse_fail(src);
    if (data != cur) {
        /* In a hole up to the next data, or to the end. */
        *in_data = 0;
        *length = (data < 0 ? end : data) - cur;
    } else {
        off_t hole = lseek(src->fd, cur, SEEK_HOLE);
        if (hole < 0)
            return sparse_fail(src);
        *in_data = 1;
        *length = hole - cur;
    }
    return lseek(src->fd, cur, SEEK_SET) < 0 ? sparse_fail(src) : 0;
}

static int
sparse_skip(virStreamPtr st, long long length, void *opaque)
{
    (void)st;
    struct sparse_src *src = opaque;
    return lseek(src->fd, (off_t)length, SEEK_CUR) < 0 ? sparse_fail(src) : 0;
}

int
vmb_virt_pool_upload(struct vmb_virt_pool *p, const char *name,
                     const char *file, char **path, struct vmb_error **err)
{
    autoclose int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return vmb_error_set(err, VMB_ERR_RUN, errno,
                             "open \"%s\" to upload it", file);
    uint64_t len = (uint64_t)st.st_size;
    /* A file with holes (a data volume: a file system on a sparse file)
     * goes as a sparse stream: its holes cross as lengths, not zeros. */
    bool sparse = (uint64_t)st.st_blocks * 512 < len;
    /* Raw: the volume holds the file's bytes as they are, a qcow2
     * image's included; the domain XML says their format. */
    autofree char *xml = vmb_xasprintf(
        "<volume><name>%s</name><capacity unit='bytes'>%" PRIu64
        "</capacity>%s<target><format type='raw'/></target></volume>",
        name, len, sparse ? "<allocation>0</allocation>" : "");
    virStorageVolPtr vol = virStorageVolCreateXML(p->pool, xml, 0);
    if (vol == NULL)
        return vmb_virt_fail(err, "create a volume");
    virStreamPtr s = virStreamNew(p->v->conn, 0);
    int rc = s == NULL ? vmb_virt_fail(err, "open a stream") : 0;
    struct sparse_src src = {fd, 0};
    /* A failed virStreamSparseSendAll has aborted the stream itself. */
    bool aborted = false;
    if (rc == 0 && virStorageVolUpload(
                       vol, s, 0, len,
                       sparse ? VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM : 0) < 0) {
        rc = vmb_virt_fail(err, "start the upload");
    } else if (rc == 0 && sparse &&
               virStreamSparseSendAll(s, sparse_read, sparse_hole, sparse_skip,
                                      &src) < 0) {
        aborted = true;
        rc = src.err ? vmb_error_set(err, VMB_ERR_RUN, src.err,
                                     "read \"%s\" to upload it", file)
                     : vmb_virt_fail(err, "upload");
    } else if (rc == 0 && !sparse) {
        rc = send_file(s, fd, len, file, err);
    }
    if (rc == 0 && virStreamFinish(s) < 0)
        rc = vmb_virt_fail(err, "finish the upload");
    else if (rc < 0 && s != NULL && !aborted)
        virStreamAbort(s);
    if (s != NULL)
        virStreamFree(s);
    char *where = rc == 0 ? virStorageVolGetPath(vol) : NULL;
    if (rc == 0 && where == NULL)
        rc = vmb_virt_fail(err, "the uploaded volume's path");
    if (rc < 0) {
        virStorageVolDelete(vol, 0);
        virResetLastError();
        vmb_error_prefix(err, "volume \"%s\" from \"%s\"", name, file);
    } else {
        *path = vmb_xstrdup(where);
    }
    free(where);
    virStorageVolFree(vol);
    return rc;
}

int
vmb_virt_pool_overlay(struct vmb_virt_pool *p, const char *name,
                      const char *backing, uint64_t size, char **path,
                      struct vmb_error **err)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "<volume><name>");
    vmb_buf_markup(&b, name);
    vmb_buf_printf(&b,
                   "</name><capacity unit='bytes'>%" PRIu64 "</capacity>"
                   "<target><format type='qcow2'/></target>"
                   "<backingStore><path>",
                   size);
    vmb_buf_markup(&b, backing);
    vmb_buf_puts(&b, "</path><format type='qcow2'/></backingStore></volume>");
    autofree char *xml = vmb_buf_steal(&b);
    virStorageVolPtr vol = virStorageVolCreateXML(p->pool, xml, 0);
    if (vol == NULL) {
        vmb_virt_fail(err, "create a volume");
        return vmb_error_prefix(err, "overlay \"%s\" over \"%s\"", name,
                                backing);
    }
    char *where = virStorageVolGetPath(vol);
    int rc = 0;
    if (where == NULL) {
        rc = vmb_virt_fail(err, "the overlay's path");
        virStorageVolDelete(vol, 0);
        virResetLastError();
    } else {
        *path = vmb_xstrdup(where);
    }
    free(where);
    virStorageVolFree(vol);
    return rc;
}

int
vmb_virt_pool_read(struct vmb_virt_pool *p, const char *name, char *buf,
                   size_t len, struct vmb_error **err)
{
    virStorageVolPtr vol = virStorageVolLookupByName(p->pool, name);
    if (vol == NULL)
        return vmb_virt_fail(err, "look up a volume");
    virStreamPtr s = virStreamNew(p->v->conn, 0);
    int rc = s == NULL ? vmb_virt_fail(err, "open a stream") : 0;
    if (rc == 0 && virStorageVolDownload(vol, s, 0, len, 0) < 0)
        rc = vmb_virt_fail(err, "start the download");
    size_t got = 0;
    while (rc == 0) {
        int n = virStreamRecv(s, buf + got, len - got);
        if (n < 0)
            rc = vmb_virt_fail(err, "download");
        else if (n == 0 || (got += (size_t)n) == len)
            break;
    }
    if (rc == 0 && virStreamFinish(s) < 0)
        rc = vmb_virt_fail(err, "finish the download");
    else if (rc < 0 && s != NULL)
        virStreamAbort(s);
    if (s != NULL)
        virStreamFree(s);
    virStorageVolFree(vol);
    if (rc == 0 && got != len)
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "volume \"%s\" gave %zu of %zu bytes", name, got,
                           len);
    return rc;
}

int
vmb_virt_pool_remove(struct vmb_virt_pool *p, struct vmb_error **err)
{
    if (p == NULL)
        return 0;
    int rc = pool_remove(p->pool, err);
    if (rc < 0)
        vmb_error_prefix(err, "storage pool \"%s\"", p->name);
    virStoragePoolFree(p->pool);
    free(p->name);
    free(p->dir);
    free(p);
    return rc;
}
