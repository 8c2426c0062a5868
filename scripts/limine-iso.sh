#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds a Limine 9.x ISO, bootable by BIOS (El Torito and as a hybrid disk) and by UEFI, around a
# kernel ELF, for QEMU: scripts/limine-iso.sh KERNEL.elf OUT.iso [--cmdline TEXT] [--conf FILE] [--file PATH]...
#   --cmdline TEXT  the kernel's cmdline (limine.conf's cmdline:), default none
#   --conf FILE     use this limine.conf instead of the generated one (the kernel is at boot():/kernel)
#   --file PATH     put PATH at the ISO's root beside the kernel, where Limine finds an internal module named
#                   NAME or /NAME, as limu looks beside the kernel ELF (repeatable)
# Needs xorriso, gcc (for Limine's host tool, compiled once from limine.c into .limu/) and Limine's
# binaries (scripts/limine-binaries.sh says where it looks). Exit 0, 2 on a bad command line, 3 when a
# tool or Limine's binaries are missing (the reason on stderr), 1 when a step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: scripts/limine-iso.sh KERNEL.elf OUT.iso [--cmdline TEXT] [--conf FILE] [--file PATH]..." >&2; exit 2; }
[[ $# -ge 2 ]] || usage
KERNEL="$1"; OUT="$2"; shift 2
CMDLINE=""; CONF=""; FILES=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cmdline) [[ $# -ge 2 ]] || usage; CMDLINE="$2"; shift 2 ;;
        --conf) [[ $# -ge 2 ]] || usage; CONF="$2"; shift 2 ;;
        --file) [[ $# -ge 2 ]] || usage; [[ -f "$2" ]] || { echo "limine-iso: no file $2" >&2; exit 2; }
            FILES+=("$2"); shift 2 ;;
        *) usage ;;
    esac
done
[[ -f "$KERNEL" ]] || { echo "limine-iso: no kernel $KERNEL" >&2; exit 2; }
[[ -z "$CONF" || -f "$CONF" ]] || { echo "limine-iso: no limine.conf $CONF" >&2; exit 2; }
for tool in xorriso gcc; do
    command -v "$tool" >/dev/null || { echo "limine-iso: $tool is not installed (apt-get install $tool)" >&2; exit 3; }
done
LIMINE="$("$ROOT/scripts/limine-binaries.sh")" || exit 3

# Limine's host tool (bios-install writes the BIOS boot code into the ISO's hybrid MBR), once per source
sum="$(cat "$LIMINE/limine.c" "$LIMINE/limine-bios-hdd.h" | sha256sum | cut -c1-16)"
TOOL="$ROOT/.limu/limine-tool/limine-$sum"
if [[ ! -x "$TOOL" ]]; then
    mkdir -p "$ROOT/.limu/limine-tool"
    gcc -std=c99 -O2 -w -I"$LIMINE" "$LIMINE/limine.c" -o "$TOOL.tmp$$" >&2
    mv "$TOOL.tmp$$" "$TOOL"
fi

tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/boot/limine" "$tree/EFI/BOOT"
cp "$KERNEL" "$tree/kernel"
for f in "${FILES[@]}"; do
    cp "$f" "$tree/"
done
if [[ -n "$CONF" ]]; then
    cp "$CONF" "$tree/boot/limine/limine.conf"
else
    {
        echo "timeout: 0"
        echo "/limu"
        echo "    protocol: limine"
        echo "    kernel_path: boot():/kernel"
        [[ -z "$CMDLINE" ]] || echo "    cmdline: $CMDLINE"
    } > "$tree/boot/limine/limine.conf"
fi
cp "$LIMINE/limine-bios.sys" "$LIMINE/limine-bios-cd.bin" "$LIMINE/limine-uefi-cd.bin" "$tree/boot/limine/"
cp "$LIMINE/BOOTX64.EFI" "$tree/EFI/BOOT/"
rm -f "$OUT"
xorriso -as mkisofs -quiet -R -r -J -b boot/limine/limine-bios-cd.bin -no-emul-boot -boot-load-size 4 \
    -boot-info-table -hfsplus -apm-block-size 2048 --efi-boot boot/limine/limine-uefi-cd.bin -efi-boot-part \
    --efi-boot-image --protective-msdos-label "$tree" -o "$OUT" >&2
"$TOOL" bios-install "$OUT" >/dev/null 2>&1 || { "$TOOL" bios-install "$OUT" >&2; exit 1; }
