#!/usr/bin/env python3
"""Seeds for fuzz_kernel: tiny bzImages whose payload is a small x86-64
ELF holding driver marker strings, one per compression vmbench reads
(gzip, xz, lzma; zstd where the zstd tool is installed) and one lz4-named
payload it does not read. Writes them into the current directory."""
import gzip
import lzma
import shutil
import struct
import subprocess

ELF = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HH", 2, 62)
ELF = ELF.ljust(64, b"\0") + b"virtiofs\0v9fs_inode_cache\0"


def bzimage(payload):
    # setup_sects 1: the boot sector and one setup sector, then the
    # protected-mode code, where payload_offset 0 puts the payload.
    setup = bytearray(1024)
    setup[0x1F1] = 1
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020F)
    struct.pack_into("<H", setup, 0x20E, 0x100)
    version = b"6.1.0-fuzz (fuzz@example) #1\0"
    setup[0x300 : 0x300 + len(version)] = version
    struct.pack_into("<II", setup, 0x248, 0, len(payload))
    return bytes(setup) + payload


payloads = {
    "gzip": gzip.compress(ELF),
    "xz": lzma.compress(ELF, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32),
    "lzma": lzma.compress(ELF, format=lzma.FORMAT_ALONE),
    "lz4": b"\x02\x21\x4c\x18" + bytes(16),
}
if shutil.which("zstd"):
    payloads["zstd"] = subprocess.run(
        ["zstd", "-q", "-c"], input=ELF, stdout=subprocess.PIPE, check=True
    ).stdout
for name, payload in payloads.items():
    # the kernel's build appends the uncompressed size after the stream
    with open("bz-" + name, "wb") as f:
        f.write(bzimage(payload + struct.pack("<I", len(ELF))))
