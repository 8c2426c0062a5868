#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# limu's launcher in the distribution, where it is bin/limu: runs limu from the jars in lib/ with the
# native libraries in lib/native/. It finds its own folder with readlink -f, so it works from any
# directory and through symlinks (e.g. ~/.local/bin/limu -> /opt/limu-VERSION/bin/limu).
# Needs a Java 17 or newer runtime: $JAVA_HOME/bin/java, else java on PATH.
# LIMU_CLASSPATH adds jars (plug-in devices, found with ServiceLoader); LIMU_JAVA_OPTS adds JVM options.
launched="$EPOCHREALTIME"
set -euo pipefail
home="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
    java="$(command -v java)"
else
    echo "limu: no Java runtime found: install Java 17 or newer, or set JAVA_HOME" >&2
    exit 6
fi
# A runtime's release file states its version, so an old Java is named without starting a JVM
# (which would only say UnsupportedClassVersionError).
release="$(dirname "$(dirname "$(readlink -f "$java")")")/release"
if [ -f "$release" ]; then
    major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
    if [ -n "$major" ] && [ "$major" -lt 17 ]; then
        echo "limu: $java is Java $major; limu needs Java 17 or newer (set JAVA_HOME)" >&2
        exit 6
    fi
fi
jvm=(-XX:TieredStopAtLevel=1)
# A class-data-sharing archive starts limu faster (docs/speed.md). Java 17 maps one only where the
# jars are at the paths they had when it was made, so it is made here, at the first run, in the
# user's cache (one per installed copy), and made again when the jars or the runtime change.
# lib/limu.jsa, when present, is used instead, as it is; a JVM that cannot map it runs without it.
if [ -f "$home/lib/limu.jsa" ]; then
    jvm+=("-XX:SharedArchiveFile=$home/lib/limu.jsa" -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off)
elif [ -n "${HOME:-}${XDG_CACHE_HOME:-}" ]; then
    # shellcheck source=class-data-archive.sh
    . "$home/lib/class-data-archive.sh"
    cache="${XDG_CACHE_HOME:-$HOME/.cache}"
    training_props=("-Dlimu.native.dir=$home/lib/native")
    limu_class_data_archive "$cache/limu/cds/${home//\//_}.jsa" "$java" "$home/lib/*" "$home"/lib/*.jar
    jvm+=("${cds_opts[@]}")
fi
# shellcheck disable=SC2206 # LIMU_JAVA_OPTS is a list of options, split on spaces like JAVA_OPTS
jvm+=(${LIMU_JAVA_OPTS:-})
exec "$java" "${jvm[@]}" -Dlimu.launched="$launched" -Dlimu.home="$home" -Dlimu.native.dir="$home/lib/native" \
    -cp "$home/lib/*${LIMU_CLASSPATH:+:$LIMU_CLASSPATH}" limu.emulator.cli.Main "$@"
