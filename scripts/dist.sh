#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds limu's distribution, limu-VERSION-linux-x86_64.tar.gz (docs/distribution.md): bin/limu, the
# jars, the JNI shim and Unicorn 2.1.4's libunicorn.so.2, README, LICENSE, NOTICE and the third-party
# license texts. Prints the tarball's path on stdout.
# Usage: scripts/dist.sh [--no-build] [--out DIR]
#   --no-build  take the jars packaged already (emulator/target) instead of running Maven first
#   --out DIR   where the tarball goes (default: target/dist)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/dist"
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) BUILD=0 ;;
        --out) OUT="$2"; shift ;;
        *) echo "usage: scripts/dist.sh [--no-build] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done
say() { echo "[limu dist] $*" >&2; }

# Unicorn's license texts come with it (.limu/unicorn/licenses)
"$ROOT/scripts/setup.sh" --no-rust
if [ "$BUILD" = 1 ]; then
    say "building limu (mvn package, tests skipped)"
    (cd "$ROOT" && mvn -B -q -DskipTests -pl emulator -am package) >&2
fi
JAR="$ROOT/emulator/target/limu-emulator.jar"
LIB="$ROOT/emulator/target/lib"
[ -f "$JAR" ] || { echo "limu dist: $JAR is missing: run without --no-build" >&2; exit 1; }
version="$(unzip -p "$JAR" limu/emulator/cli/build.properties | sed -n 's/^version=//p')"
name="limu-$version"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
stage="$(mktemp -d "$OUT/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
d="$stage/$name"
mkdir -p "$d/bin" "$d/lib/native" "$d/licenses/unicorn" "$d/licenses/jna" "$d/licenses/picocli"

install -m 755 "$ROOT/scripts/dist-launcher.sh" "$d/bin/limu"
# bin/limu makes its class-data-sharing archive with this at the first run, where the tarball was
# unpacked: an archive made here would not map elsewhere (Java 17 checks the jars' paths)
install -m 644 "$ROOT/scripts/class-data-archive.sh" "$d/lib/class-data-archive.sh"
cp "$JAR" "$d/lib/"
# limu-native's jar is unpacked into lib/native instead: the launcher loads the libraries from there,
# so an installed limu never writes to a cache (and the tarball does not carry Unicorn twice)
native_jar=""
for j in "$LIB"/*.jar; do
    case "$(basename "$j")" in
        limu-native-*.jar) native_jar="$j" ;;
        *) cp "$j" "$d/lib/" ;;
    esac
done
[ -n "$native_jar" ] || { echo "limu dist: no limu-native jar in $LIB" >&2; exit 1; }
unzip -q -j "$native_jar" 'limu/native/linux-x86_64/*' -d "$d/lib/native"
(cd "$d/lib/native" && sha256sum --check --quiet SHA256SUMS)
# JNA's native part beside them, so JNA loads it from there instead of writing it to a temporary file at
# every start (docs/speed.md)
unzip -q -j "$LIB"/jna-*.jar 'com/sun/jna/linux-x86-64/libjnidispatch.so' -d "$d/lib/native"

cp "$ROOT/README.md" "$ROOT/LICENSE" "$ROOT/NOTICE" "$d/"
cp "$ROOT/.limu/unicorn/licenses/COPYING" "$ROOT/.limu/unicorn/licenses/LICENSE" \
    "$ROOT/.limu/unicorn/licenses/CREDITS.TXT" "$d/licenses/unicorn/"
jna_jar="$(ls "$LIB"/jna-*.jar)"
unzip -q -j "$jna_jar" META-INF/LICENSE META-INF/AL2.0 META-INF/LGPL2.1 -d "$d/licenses/jna"
# picocli's jar carries no license file; its POM declares Apache-2.0, whose text JNA's jar has
unzip -p "$jna_jar" META-INF/AL2.0 > "$d/licenses/picocli/LICENSE"

tarball="$OUT/$name-linux-x86_64.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$tarball.partial" "$name"
mv "$tarball.partial" "$tarball"
say "built $tarball"
echo "$tarball"
