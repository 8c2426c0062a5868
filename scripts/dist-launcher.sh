#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# limu's launcher in the distribution, where it is bin/limu: runs limu from the jars in lib/ with the
# native libraries in lib/native/. It finds its own folder with readlink -f, so it works from any
# directory and through symlinks (e.g. ~/.local/bin/limu -> /opt/limu-VERSION/bin/limu).
# Needs a Java 17 or newer runtime: $JAVA_HOME/bin/java, else java on PATH.
# LIMU_CLASSPATH adds jars (plug-in devices, found with ServiceLoader); LIMU_JAVA_OPTS adds JVM options.
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
jvm=()
# a class-data-sharing archive made for this runtime starts limu faster; a JVM that cannot use it
# (another Java version) goes on without it
if [ -f "$home/lib/limu.jsa" ]; then
    jvm+=("-XX:SharedArchiveFile=$home/lib/limu.jsa")
fi
# shellcheck disable=SC2206 # LIMU_JAVA_OPTS is a list of options, split on spaces like JAVA_OPTS
jvm+=(${LIMU_JAVA_OPTS:-})
exec "$java" "${jvm[@]}" -Dlimu.home="$home" -Dlimu.native.dir="$home/lib/native" \
    -cp "$home/lib/*${LIMU_CLASSPATH:+:$LIMU_CLASSPATH}" limu.emulator.cli.Main "$@"
