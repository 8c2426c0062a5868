#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what limu needs on a fresh Debian machine, idempotently, saying what it does:
#   - Java 17 (JDK), Maven, gcc           (apt)   to build limu and its JNI shim
#   - python3 with pip                    (apt)   to fetch Unicorn's wheel
#   - Unicorn 2.1.4: libunicorn.so.2 and headers, unpacked from PyPI's `unicorn` wheel into .limu/unicorn,
#     and its license texts from PyPI's `unicorn` source distribution into .limu/unicorn/licenses
#   - rustc-web, cargo-web, rust-web-src  (apt)   to build kernel-images/ (skipped with --no-rust)
#   - gdb                                 (apt)   for the debugger tests (skipped with --no-rust)
#   - xvfb, xdotool, imagemagick, x11-utils (apt) for the display-window tests (skipped with --no-rust);
#     the JDK's AWT window toolkit comes with the full (not headless) JDK
#   - lcov                                (apt)   genhtml, which the coverage tests run on limu's tracefiles
#   - junitparser 5.0.3 (PyPI) into .limu/python: the sharding test merges per-shard JUnit XML with it
#     (`PYTHONPATH=.limu/python python3 -m junitparser merge ...`)
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
have genhtml || missing+=(lcov)
if [ "$WANT_RUST" = 1 ]; then
    [ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-list 2>/dev/null | grep -qx x86_64-unknown-none \
        || missing+=(rustc-web)
    [ -x /usr/bin/cargo ] || missing+=(cargo-web)
    [ -d /usr/lib/rustlib/src/rust/library ] || missing+=(rust-web-src)
    have ld || missing+=(binutils)
    have gdb || missing+=(gdb)
    have Xvfb || missing+=(xvfb)
    have xdotool || missing+=(xdotool)
    have import || missing+=(imagemagick)
    have xdpyinfo || missing+=(x11-utils)
    java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /usr/bin/javac)")")")"
    [ -f "$java_home/lib/libawt_xawt.so" ] || missing+=(openjdk-17-jdk)
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
# The wheel carries no license file; Unicorn's source distribution on PyPI does (GPL-2.0, with QEMU's
# notes on its parts). scripts/dist.sh puts them in the distribution next to the library they cover.
if [ -f "$UC/licenses/COPYING" ] && [ -f "$UC/licenses/LICENSE" ] && [ -f "$UC/licenses/CREDITS.TXT" ]; then
    say "Unicorn $UNICORN_VERSION: license texts present in .limu/unicorn/licenses"
else
    say "Unicorn $UNICORN_VERSION: fetching PyPI's unicorn source distribution for its license texts"
    dl="$ROOT/.limu/download.$$"
    new="$UC/licenses.new.$$"
    rm -rf "$dl" "$new"
    mkdir -p "$dl" "$new"
    python3 -m pip download --quiet --no-deps --no-binary=:all: --dest "$dl" "unicorn==$UNICORN_VERSION" >&2
    python3 - "$dl" "$new" "$UNICORN_VERSION" <<'PY'
import pathlib, sys, tarfile
dl, dest, version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
wanted = {f"unicorn-{version}/src/qemu/COPYING": "COPYING",
          f"unicorn-{version}/src/qemu/LICENSE": "LICENSE",
          f"unicorn-{version}/src/CREDITS.TXT": "CREDITS.TXT"}
with tarfile.open(next(dl.glob("unicorn-*.tar.gz"))) as t:
    for member, name in wanted.items():
        (dest / name).write_bytes(t.extractfile(member).read())
PY
    rm -rf "$UC/licenses"
    mv "$new" "$UC/licenses"
    rm -rf "$dl"
fi
JUNITPARSER_VERSION=5.0.3
PY_LIB="$ROOT/.limu/python"
if [ "$(cat "$PY_LIB/VERSION" 2>/dev/null)" = "junitparser $JUNITPARSER_VERSION" ]; then
    say "junitparser $JUNITPARSER_VERSION: present in .limu/python"
else
    say "junitparser $JUNITPARSER_VERSION: installing from PyPI into .limu/python"
    new="$ROOT/.limu/python.new.$$"
    rm -rf "$new"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$new" \
        "junitparser==$JUNITPARSER_VERSION" >&2
    echo "junitparser $JUNITPARSER_VERSION" > "$new/VERSION"
    rm -rf "$PY_LIB"
    mv "$new" "$PY_LIB"
fi
say "done"
