#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds every test kernel of this workspace in the dev and the release
# profile and copies them to out/<name>.elf (dev) and out/<name>-release.elf.
#
# Uses Debian's Rust (rustc-web, cargo-web, rust-web-src): /usr/bin/cargo and
# /usr/bin/rustc, building core/alloc from source for x86_64-unknown-none.
# Idempotent: a second run only re-copies the (unchanged) results.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

CARGO=/usr/bin/cargo
RUSTC=/usr/bin/rustc
TARGET=x86_64-unknown-none
TARGET_DIR="$HERE/target"
OUT_DIR="$HERE/out"
KERNELS=(hello future-revision tutorial protocol framebuffer smp modules chapter idt-checks idt-tutorial gdb-target scratch platform acpi-x2apic heap-talc heap-bugs heap-suite sipi suite revision-six runloop uart-irq module-paths coverage keyboard serial-echo devfuzz reverse confine)
# Kernels in workspaces of their own (their own .cargo/config.toml), built into <dir>/target.
OWN_WORKSPACES=(pie)

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}

[[ -x "$CARGO" ]] || die "$CARGO not found. Install Debian's Rust toolchain: apt-get install -y rustc-web cargo-web rust-web-src"
[[ -x "$RUSTC" ]] || die "$RUSTC not found. Install Debian's Rust toolchain: apt-get install -y rustc-web cargo-web rust-web-src"
[[ -d "$("$RUSTC" --print sysroot)/lib/rustlib/src/rust/library/core" ]] \
    || die "Rust library sources missing (needed by -Zbuild-std). Install: apt-get install -y rust-web-src"
command -v ld >/dev/null || die "GNU ld not found. Install: apt-get install -y binutils"

export RUSTC
export RUSTC_BOOTSTRAP=1
# Ignore rustup's toolchain selection and wrappers that may be set in the
# environment; this build uses Debian's tools only.
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS || true

echo "build.sh: using $("$CARGO" --version), $("$RUSTC" --version)"

mkdir -p "$OUT_DIR"

for profile in dev release; do
    echo "build.sh: building profile '$profile' for $TARGET (target dir: target/)"
    args=(build --locked --profile "$profile" --target "$TARGET" --target-dir "$TARGET_DIR"
          -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features=compiler-builtins-mem)
    for k in "${KERNELS[@]}"; do
        args+=(--bin "$k")
    done
    (set -x; "$CARGO" "${args[@]}")

    case "$profile" in
        dev) dir=debug; suffix="" ;;
        *) dir="$profile"; suffix="-$profile" ;;
    esac
    for k in "${KERNELS[@]}"; do
        src="$TARGET_DIR/$TARGET/$dir/$k"
        dst="$OUT_DIR/$k$suffix.elf"
        [[ -f "$src" ]] || die "expected build output $src is missing"
        cp -f "$src" "$dst"
        echo "build.sh: $dst ($(stat -c %s "$dst") bytes)"
    done
    for k in "${OWN_WORKSPACES[@]}"; do
        (cd "$HERE/$k" && set -x && "$CARGO" build --locked --profile "$profile" --target "$TARGET" \
            --target-dir "$HERE/$k/target" -Zbuild-std=core,alloc,compiler_builtins \
            -Zbuild-std-features=compiler-builtins-mem)
        src="$HERE/$k/target/$TARGET/$dir/$k"
        dst="$OUT_DIR/$k$suffix.elf"
        [[ -f "$src" ]] || die "expected build output $src is missing"
        cp -f "$src" "$dst"
        echo "build.sh: $dst ($(stat -c %s "$dst") bytes)"
    done
done

echo "build.sh: done"
