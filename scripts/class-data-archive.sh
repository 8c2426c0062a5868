# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by limu's launchers (./limu and the distribution's bin/limu); docs/speed.md says why.
# limu_class_data_archive ARCHIVE JAVA CLASSPATH JAR... sets the array cds_opts to the JVM options
# that map ARCHIVE, a class-data-sharing archive of the classes limu loads at start-up. When ARCHIVE
# is missing, older than one of the JARs or than the Java runtime, or not the size it had when it
# was made, it is made again first (a few seconds, once): a training run of limu.emulator.cli.
# CdsTraining lists the classes it loads, a second JVM dumps them into an archive next to ARCHIVE,
# a third must map it (-Xshare:on), and only then is it renamed into place, so a launcher never
# hands a JVM a half-written archive (HotSpot 17 crashes on a truncated one). When the archive cannot be made (read-only folder), cds_opts stays empty.
# -Xshare:auto lets a JVM that still cannot map it run without it, and -Xlog:cds=off keeps its
# warning off stdout, which is the guest's serial output. LIMU_CDS=off turns all this off, and so
# does an archive option in LIMU_JAVA_OPTS.
# The training run's stdin is /dev/null: its limu run would otherwise take the input piped to the
# launcher as COM1's, and the real run would get none of it.
# The array training_props, when the caller sets it, holds -D options the training run needs too.
limu_class_data_archive() {
    local archive="$1" java="$2" classpath="$3"
    shift 3
    cds_opts=()
    [ "${LIMU_CDS:-on}" = off ] && return 0
    # options that choose or make an archive themselves get the JVM to themselves
    case "${LIMU_JAVA_OPTS:-}" in *ArchiveClassesAtExit*|*SharedArchiveFile*|*Xshare*) return 0 ;; esac
    [ -n "${training_props+x}" ] || training_props=()
    local quiet=(-Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off)
    if [ -f "$archive" ] && [ -f "$archive.size" ]; then
        local fresh=1 jar made
        for jar in "$@"; do
            [ "$jar" -nt "$archive" ] && fresh=0
        done
        if [ "$fresh" = 1 ]; then
            # one stat for both: the archive's size and age, and the age of the runtime (through its symlinks)
            read -r made < "$archive.size" || made=""
            # shellcheck disable=SC2046 # four numbers: size and mtime of the archive, then of java
            set -- $(stat -L -c '%s %Y' "$archive" "$(command -v "$java")" 2>/dev/null)
            if [ $# = 4 ] && [ "$1" = "$made" ] && [ "$4" -le "$2" ]; then
                cds_opts=(-XX:SharedArchiveFile="$archive" "${quiet[@]}")
                return 0
            fi
        fi
    fi
    local dir tmp
    dir="$(dirname "$archive")"
    mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || return 0
    tmp="$archive.$$.partial"
    echo "[limu] making a class-data-sharing archive of limu's start-up classes (once per build)..." >&2
    # a static archive from the training run's class list, not a dynamic one (-XX:ArchiveClassesAtExit):
    # Java 17 leaves Java 5 class files such as picocli's out of a dynamic archive, not out of a static one
    if "$java" -XX:DumpLoadedClassList="$tmp.classes" -Xshare:auto -Xlog:cds=off -cp "$classpath" \
            "${training_props[@]}" limu.emulator.cli.CdsTraining < /dev/null >/dev/null 2>&1 \
        && "$java" -Xshare:dump -XX:SharedClassListFile="$tmp.classes" -XX:SharedArchiveFile="$tmp" \
            -Xlog:cds=off -cp "$classpath" >/dev/null 2>&1 && chmod 644 "$tmp" \
        && "$java" -XX:SharedArchiveFile="$tmp" -Xshare:on -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$classpath" \
            -version >/dev/null 2>&1 \
        && stat -c %s "$tmp" > "$tmp.size" && mv -f "$tmp" "$archive" && mv -f "$tmp.size" "$archive.size"; then
        cds_opts=(-XX:SharedArchiveFile="$archive" "${quiet[@]}")
    fi
    rm -f "$tmp" "$tmp.size" "$tmp.classes"
}
