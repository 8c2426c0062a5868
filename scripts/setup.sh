#!/usr/bin/env bash
# Installs what limu needs on a fresh Debian machine, idempotently, saying what it does:
#   - Java 17 (JDK), Maven, gcc           (apt)   to build limu and its JNI shim
#   - python3 with pip                    (apt)   to fetch Unicorn's wheel
#   - Unicorn 2.1.4: libunicorn.so.2 and headers, unpacked from PyPI's `unicorn` wheel into .limu/unicorn
#   - rustc-web, cargo-web, rust-web-src  (apt)   to build kernel-images/ (skipped with --no-rust)
#   - gdb                                 (apt)   for the debugger tests (skipped with --no-rust)
# Usage: scripts/setup.sh [--no-rust]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UNICORN_VERSION=2.1.4
WANT_RUST=1
[ "${1:-}" = "--no-rust" ] && WANT_RUST=0

say() { echo "[limu setup] $*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
java_ok() {
    have javac || return 1
    local v
    v=$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
    [ -n "$v" ] && [ "$v" -ge 17 ]
}
java_ok || missing+=(openjdk-17-jdk-headless)
have mvn || missing+=(maven)
have gcc || missing+=(gcc libc6-dev)
have python3 || missing+=(python3)
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
if [ "$WANT_RUST" = 1 ]; then
    [ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-list 2>/dev/null | grep -qx x86_64-unknown-none \
        || missing+=(rustc-web)
    [ -x /usr/bin/cargo ] || missing+=(cargo-web)
    [ -d /usr/lib/rustlib/src/rust/library ] || missing+=(rust-web-src)
    have ld || missing+=(binutils)
    have gdb || missing+=(gdb)
fi
if [ ${#missing[@]} -gt 0 ]; then
    say "installing with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q "${missing[@]}" >&2
else
    say "system packages: all present"
fi

UC="$ROOT/.limu/unicorn"
if [ -f "$UC/lib/libunicorn.so.2" ] && [ -f "$UC/include/unicorn/unicorn.h" ] \
    && [ "$(cat "$UC/VERSION" 2>/dev/null)" = "$UNICORN_VERSION" ]; then
    say "Unicorn $UNICORN_VERSION: present in .limu/unicorn"
else
    say "Unicorn $UNICORN_VERSION: fetching PyPI's unicorn wheel and unpacking libunicorn.so.2 and its headers"
    dl="$ROOT/.limu/download.$$"
    new="$ROOT/.limu/unicorn.new.$$"
    rm -rf "$dl" "$new"
    mkdir -p "$dl" "$new"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$dl" "unicorn==$UNICORN_VERSION" >&2
    python3 - "$dl" "$new" <<'PY'
import pathlib, sys, zipfile
dl, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(dl.glob("unicorn-*.whl"))
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith("/"):
            continue
        if name == "unicorn/lib/libunicorn.so.2" or name.startswith("unicorn/include/unicorn/"):
            target = dest / name[len("unicorn/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
    echo "$UNICORN_VERSION" > "$new/VERSION"
    # swap in whole, so a limu running meanwhile never sees half a library
    rm -rf "$UC"
    mv "$new" "$UC"
    rm -rf "$dl"
fi
say "done"
