#!/bin/bash
# Writes the uncompressed ELF vmlinux inside an x86 bzImage: the tests'
# stand-in for a Kata guest kernel (an ELF vmlinux, no modules).
#   vmlinux-from-bzimage.sh BZIMAGE OUT
# The setup header says where the compressed payload starts (setup_sects
# at 0x1f1, payload_offset at 0x248) and how long it is (0x24c); its
# first bytes say how it was compressed.
set -euo pipefail
in=$1 out=$2

u8() { od -An -tu1 -j "$1" -N1 "$in" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 --endian=little "$in" | tr -d ' '; }

[ "$(od -An -c -j 514 -N4 "$in" | tr -d ' ')" = HdrS ] ||
    { echo "$in: not a bzImage" >&2; exit 1; }
sects=$(u8 497)
[ "$sects" -eq 0 ] && sects=4
start=$(( (sects + 1) * 512 + $(u32 584) ))
len=$(u32 588)
magic=$(od -An -tx1 -j "$start" -N6 "$in" | tr -d ' ')
case $magic in
fd377a585a00) tool=(xz -dc) ;;
1f8b*) tool=(gzip -dc) ;;
28b52ffd*) tool=(zstd -dc) ;;
02214c18*) tool=(lz4 -dc) ;;
425a68*) tool=(bzip2 -dc) ;;
5d0000*) tool=(xz --format=lzma -dc) ;;
*) echo "$in: unknown payload compression \"$magic\"" >&2; exit 1 ;;
esac
# The payload may be followed by other bytes (zstd and xz complain of
# trailing garbage after a complete stream): cut it to its length.
tail -c +"$((start + 1))" "$in" | head -c "$len" | "${tool[@]}" >"$out.tmp" 2>/dev/null ||
    [ -s "$out.tmp" ]
[ "$(od -An -c -N4 "$out.tmp" | tr -d ' ')" = 177ELF ] ||
    { rm -f "$out.tmp"; echo "$in: payload is not an ELF file" >&2; exit 1; }
mv "$out.tmp" "$out"
