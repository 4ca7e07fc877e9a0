/*
 * The compressed payload of a bzImage: which compression its first bytes
 * name, and the bounded decompression of the ones vmbench reads (zlib,
 * liblzma and libzstd live here alone).
 */
#ifndef VMB_VM_KERNEL_UNPACK_H
#define VMB_VM_KERNEL_UNPACK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

enum vmb_kz {
    VMB_KZ_UNKNOWN,
    VMB_KZ_GZIP,
    VMB_KZ_XZ,
    VMB_KZ_ZSTD,
    VMB_KZ_LZMA,
    VMB_KZ_BZIP2,
    VMB_KZ_LZ4,
    VMB_KZ_LZO,
};

/* The compression whose magic starts p (n bytes), VMB_KZ_UNKNOWN if none
 * of the kernel's. */
int vmb_kz_detect(const unsigned char *p, size_t n);

/* "gzip", "xz", "zstd", "lzma", "bzip2", "lz4", "lzo", "unknown" */
const char *vmb_kz_name(int kz);

/* Whether vmb_kz_unpack reads kz: gzip, xz, lzma and zstd. */
bool vmb_kz_supported(int kz);

/*
 * Decompresses the one stream of compression kz at p, reading no more
 * than its n bytes (what follows the stream is ignored), into *out
 * (malloc'd, caller frees; *outlen bytes). Fails with VMB_ERR_INPUT,
 * *out untouched, when kz is not supported, the stream is corrupt or
 * ends before it is complete, or it would give more than cap bytes.
 */
int vmb_kz_unpack(int kz, const unsigned char *p, size_t n, size_t cap,
                  unsigned char **out, size_t *outlen, struct vmb_error **err);

#endif
