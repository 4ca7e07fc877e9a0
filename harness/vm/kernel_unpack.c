#include "vm/kernel_unpack.h"

#include <limits.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"

/* An x86 kernel's xz stream needs a dictionary of a few MiB; liblzma
 * refuses a stream that asks for more memory than this. */
#define LZMA_MEMLIMIT (256u << 20)

static const struct {
    const char *name;
    const unsigned char *magic;
    size_t len;
} kinds[] = {
    [VMB_KZ_UNKNOWN] = {"unknown", NULL, 0},
    [VMB_KZ_GZIP] = {"gzip", (const unsigned char *)"\x1f\x8b", 2},
    [VMB_KZ_XZ] = {"xz", (const unsigned char *)"\xfd\x37\x7a\x58\x5a\x00", 6},
    [VMB_KZ_ZSTD] = {"zstd", (const unsigned char *)"\x28\xb5\x2f\xfd", 4},
    /* LZMA-alone: the properties byte of lc=3 lp=0 pb=2, then a
     * dictionary size whose two low bytes are zero, as the kernel's */
    [VMB_KZ_LZMA] = {"lzma", (const unsigned char *)"\x5d\0\0", 3},
    [VMB_KZ_BZIP2] = {"bzip2", (const unsigned char *)"BZh", 3},
    /* lz4's legacy frame, which the kernel's build writes */
    [VMB_KZ_LZ4] = {"lz4", (const unsigned char *)"\x02\x21\x4c\x18", 4},
    [VMB_KZ_LZO] = {"lzo", (const unsigned char *)"\x89LZO\0\r\n\x1a\n", 9},
};

int
vmb_kz_detect(const unsigned char *p, size_t n)
{
    for (int k = VMB_KZ_GZIP; k <= VMB_KZ_LZO; k++)
        if (n >= kinds[k].len && memcmp(p, kinds[k].magic, kinds[k].len) == 0)
            return k;
    return VMB_KZ_UNKNOWN;
}

const char *
vmb_kz_name(int kz)
{
    return kz > VMB_KZ_UNKNOWN && kz <= VMB_KZ_LZO ? kinds[kz].name : "unknown";
}

bool
vmb_kz_supported(int kz)
{
    return kz == VMB_KZ_GZIP || kz == VMB_KZ_XZ || kz == VMB_KZ_ZSTD ||
           kz == VMB_KZ_LZMA;
}

/*
 * The output so far: grown by doubling up to cap + 1 bytes, so that a
 * stream giving more than cap is seen without reading it to its end.
 */
struct out {
    unsigned char *buf;
    size_t size, used, cap;
};

/* Room for more output; false when the stream has given more than cap. */
static bool
out_room(struct out *o)
{
    if (o->used < o->size)
        return true;
    if (o->size > o->cap)
        return false;
    size_t want = o->size ? o->size * 2 : (size_t)1 << 20;
    if (want > o->cap + 1 || want < o->size)
        want = o->cap + 1;
    o->buf = vmb_xrealloc(o->buf, want);
    o->size = want;
    return true;
}

static int
over_cap(const struct out *o, int kz, struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "the %s stream decompresses to more than %zu MiB, "
                         "more than a kernel",
                         vmb_kz_name(kz), o->cap >> 20);
}

static int
truncated(int kz, struct vmb_error **err)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "the %s stream ends before it is complete",
                         vmb_kz_name(kz));
}

static int
gunzip(const unsigned char *p, size_t n, struct out *o, struct vmb_error **err)
{
    if (n > UINT_MAX)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "the gzip stream is larger than zlib reads");
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "zlib cannot start");
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    int rc = 0;
    for (;;) {
        if (!out_room(o)) {
            rc = over_cap(o, VMB_KZ_GZIP, err);
            break;
        }
        z.next_out = o->buf + o->used;
        size_t room = o->size - o->used;
        uInt given = room > UINT_MAX ? UINT_MAX : (uInt)room;
        z.avail_out = given;
        int r = inflate(&z, Z_NO_FLUSH);
        o->used += given - z.avail_out;
        if (r == Z_STREAM_END)
            break;
        if (r == Z_OK)
            continue;
        if (r == Z_BUF_ERROR && z.avail_in == 0)
            rc = truncated(VMB_KZ_GZIP, err);
        else
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "the gzip stream is corrupt: %s",
                               z.msg ? z.msg : "inflate failed");
        break;
    }
    inflateEnd(&z);
    return rc;
}

static int
unxz(int kz, const unsigned char *p, size_t n, struct out *o,
     struct vmb_error **err)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r = kz == VMB_KZ_XZ ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0)
                                 : lzma_alone_decoder(&s, LZMA_MEMLIMIT);
    if (r != LZMA_OK)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "liblzma cannot start");
    s.next_in = p;
    s.avail_in = n;
    int rc = 0;
    for (;;) {
        if (!out_room(o)) {
            rc = over_cap(o, kz, err);
            break;
        }
        s.next_out = o->buf + o->used;
        s.avail_out = o->size - o->used;
        r = lzma_code(&s, LZMA_FINISH);
        o->used = o->size - s.avail_out;
        if (r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK)
            continue;
        if (r == LZMA_BUF_ERROR && s.avail_in == 0)
            rc = truncated(kz, err);
        else if (r == LZMA_MEMLIMIT_ERROR)
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "the %s stream needs more than %u MiB of "
                               "memory to decompress",
                               vmb_kz_name(kz), LZMA_MEMLIMIT >> 20);
        else
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "the %s stream is corrupt (liblzma error %d)",
                               vmb_kz_name(kz), (int)r);
        break;
    }
    lzma_end(&s);
    return rc;
}

static int
unzstd(const unsigned char *p, size_t n, struct out *o, struct vmb_error **err)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (ds == NULL || ZSTD_isError(ZSTD_initDStream(ds))) {
        ZSTD_freeDStream(ds);
        return vmb_error_set(err, VMB_ERR_RUN, 0, "libzstd cannot start");
    }
    ZSTD_inBuffer in = {p, n, 0};
    int rc = 0;
    for (;;) {
        if (!out_room(o)) {
            rc = over_cap(o, VMB_KZ_ZSTD, err);
            break;
        }
        ZSTD_outBuffer ob = {o->buf + o->used, o->size - o->used, 0};
        size_t r = ZSTD_decompressStream(ds, &ob, &in);
        o->used += ob.pos;
        if (ZSTD_isError(r)) {
            rc = vmb_error_set(err, VMB_ERR_INPUT, 0,
                               "the zstd stream is corrupt: %s",
                               ZSTD_getErrorName(r));
            break;
        }
        if (r == 0)
            break; /* the frame is complete and flushed */
        if (in.pos == in.size && ob.pos < ob.size) {
            rc = truncated(VMB_KZ_ZSTD, err);
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

int
vmb_kz_unpack(int kz, const unsigned char *p, size_t n, size_t cap,
              unsigned char **out, size_t *outlen, struct vmb_error **err)
{
    struct out o = {.cap = cap};
    int rc;
    switch (kz) {
    case VMB_KZ_GZIP:
        rc = gunzip(p, n, &o, err);
        break;
    case VMB_KZ_XZ:
    case VMB_KZ_LZMA:
        rc = unxz(kz, p, n, &o, err);
        break;
    case VMB_KZ_ZSTD:
        rc = unzstd(p, n, &o, err);
        break;
    default:
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "vmbench does not decompress %s", vmb_kz_name(kz));
    }
    if (rc == 0 && o.used > cap)
        rc = over_cap(&o, kz, err);
    if (rc < 0) {
        free(o.buf);
        return -1;
    }
    *out = o.buf;
    *outlen = o.used;
    return 0;
}
