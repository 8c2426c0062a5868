#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs limu's Jazzer fuzz targets for longer than the test run's second each (docs/fuzzing.md), one after
# the other, and prints executions and findings per target.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]     (default: 60 seconds, every target)
#   scripts/fuzz.sh --list
#
# Each target starts from its regression corpus (src/test/resources/.../<Target>Inputs/fuzz) plus what
# earlier runs of this script found interesting (target/fuzz/<Target>/corpus). A finding is written to
# target/fuzz/<Target>/findings/ (crash-*, timeout-*, oom-*, with Jazzer's stack trace in the log
# target/fuzz/<Target>/log); fix it, then copy the input into the target's Inputs folder so every test run
# replays it. Exit status: 0 when no target found anything, 1 when one did, 2 on a bad command line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# target name -> module and class
declare -A MODULE=(
    [BootPlan]=bootloader [DwarfLines]=bootloader [Demangler]=bootloader
    [GdbPacket]=emulator [GdbDispatcher]=emulator [ExpectFile]=emulator [BlockLedger]=emulator
    [TalcArena]=emulator)
declare -A CLASS=(
    [BootPlan]=limu.bootloader.BootPlanFuzzTarget [DwarfLines]=limu.bootloader.DwarfLinesFuzzTarget
    [Demangler]=limu.bootloader.DemanglerFuzzTarget [GdbPacket]=limu.emulator.gdb.GdbPacketFuzzTarget
    [GdbDispatcher]=limu.emulator.gdb.GdbDispatcherFuzzTarget
    [ExpectFile]=limu.emulator.harness.ExpectFileFuzzTarget [BlockLedger]=limu.emulator.heap.BlockLedgerFuzzTarget
    [TalcArena]=limu.emulator.heap.TalcArenaFuzzTarget)
ORDER=(BootPlan DwarfLines Demangler GdbPacket GdbDispatcher ExpectFile BlockLedger TalcArena)

usage() {
    sed -n '3,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

seconds=60
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }
                   seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#*=}"; [[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }; shift ;;
        --list) printf '%s\n' "${ORDER[@]}"; exit 0 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) [[ -n "${CLASS[$1]:-}" ]] || { echo "fuzz.sh: no target '$1'; targets: ${ORDER[*]}" >&2; exit 2; }
           targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${ORDER[@]}")

"$ROOT/scripts/setup.sh" >/dev/null
echo "fuzz.sh: compiling the targets" >&2
mvn -B -o -q -pl emulator -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2

found_any=0
printf '%-12s %12s %10s %9s\n' target executions exec/s findings
for t in "${targets[@]}"; do
    m="${MODULE[$t]}"
    class="${CLASS[$t]}"
    work="$ROOT/$m/target/fuzz/$t"
    mkdir -p "$work/corpus" "$work/findings"
    inputs="$ROOT/$m/src/test/resources/$(dirname "${class//.//}")/${class##*.}Inputs/fuzz"
    cp="$m/target/test-classes:$m/target/classes:$(cat "$m/target/test.classpath")"
    touch "$work/started"
    before=$(find "$work/findings" -type f | wc -l)
    # libFuzzer's own limits: 10 s per input is a hang; the JVM's heap bounds memory.
    java -Xmx2g -cp "$cp" com.code_intelligence.jazzer.Jazzer --target_class="$class" --target_method=fuzz \
        --keep_going=20 -max_total_time="$seconds" -timeout=10 -artifact_prefix="$work/findings/" \
        "$work/corpus" "$inputs" >"$work/log" 2>&1 || true
    runs=$(grep -o 'Done [0-9]* runs' "$work/log" | tail -1 | grep -o '[0-9]*' || true)
    runs=${runs:-0}
    after=$(find "$work/findings" -type f | wc -l)
    new=$((after - before))
    [[ $new -eq 0 ]] || found_any=1
    printf '%-12s %12s %10s %9s\n' "$t" "$runs" "$((runs / seconds))" "$new"
    if [[ $new -gt 0 ]]; then
        find "$work/findings" -type f -newer "$work/started" -printf '             %p\n' 2>/dev/null || true
        echo "             (stack traces: $work/log)"
    fi
done
exit $found_any
