#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Finds Limine 9.x's binaries (never part of limu) and prints their folder on stdout.
# Looks, in order, in $LIMINE_DIR, in the cache .limu/limine-9 of this clone, and in a clone of
# $LIMINE_GIT (a git URL or folder holding Limine's binary release, e.g. a v9.x-binary branch),
# which it copies into the cache. Exit 0 with the folder, or 3 with the reason on stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.limu/limine-9"
NEEDED=(limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin BOOTX64.EFI limine.c limine-bios-hdd.h)

# the folder has every file and its BIOS stage says 9.x
usable() {
    local dir="$1" f
    [[ -d "$dir" ]] || return 1
    for f in "${NEEDED[@]}"; do
        if [[ ! -f "$dir/$f" ]]; then
            echo "limine-binaries: $dir has no $f" >&2
            return 1
        fi
    done
    local version
    version="$(grep -a -o -m1 -E 'Limine 9\.[0-9]+\.[0-9]+' "$dir/limine-bios.sys" | head -n1 || true)"
    if [[ -z "$version" ]]; then
        echo "limine-binaries: $dir/limine-bios.sys is not Limine 9.x ($(grep -a -o -m1 -E 'Limine [0-9]+\.[0-9.]+' \
            "$dir/limine-bios.sys" | head -n1 || echo 'no version string'))" >&2
        return 1
    fi
    return 0
}

if [[ -n "${LIMINE_DIR:-}" ]]; then
    if usable "$LIMINE_DIR"; then
        (cd "$LIMINE_DIR" && pwd)
        exit 0
    fi
    echo "limine-binaries: LIMINE_DIR=$LIMINE_DIR does not hold Limine 9.x's binaries (${NEEDED[*]})" >&2
    exit 3
fi
if usable "$CACHE" 2>/dev/null; then
    echo "$CACHE"
    exit 0
fi
if [[ -n "${LIMINE_GIT:-}" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    echo "limine-binaries: cloning $LIMINE_GIT" >&2
    if git clone -q --depth 1 "$LIMINE_GIT" "$tmp/limine" >&2 && usable "$tmp/limine"; then
        mkdir -p "$CACHE"
        for f in "${NEEDED[@]}" LICENSE limine.h; do
            [[ -f "$tmp/limine/$f" ]] && cp "$tmp/limine/$f" "$CACHE/"
        done
        echo "$CACHE"
        exit 0
    fi
    echo "limine-binaries: $LIMINE_GIT gave no Limine 9.x binaries" >&2
    exit 3
fi
echo "limine-binaries: Limine 9.x's binaries not found: set LIMINE_DIR to a folder with ${NEEDED[*]}" \
    "(Limine's binary release), put them in $CACHE, or set LIMINE_GIT to a clonable copy" >&2
exit 3
