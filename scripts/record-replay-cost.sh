#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What --record and limu replay cost (docs/record-replay.md): the serial-echo kernel echoes BYTES piped into
# it (text lines, ended by quit), once as a plain run, once recorded, once replayed; prints each one's wall
# and CPU time and peak memory, the recording's size and inputs, and whether the replay printed the same bytes.
#
#   scripts/record-replay-cost.sh [--bytes N] [--runs R]      (defaults: 1048576 bytes, 2 runs each)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bytes=1048576 runs=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bytes) [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "record-replay-cost.sh: --bytes N" >&2; exit 2; }; bytes=$2; shift 2 ;;
        --runs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "record-replay-cost.sh: --runs R" >&2; exit 2; }; runs=$2; shift 2 ;;
        -h|--help) sed -n '3,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "record-replay-cost.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -x /usr/bin/time ]] || { echo "record-replay-cost.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
kernel="$ROOT/kernel-images/out/serial-echo-release.elf"
[[ -f "$kernel" ]] || { echo "record-replay-cost.sh: $kernel missing: run kernel-images/build.sh" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{ (set +o pipefail; yes 'the quick brown fox jumps over the lazy dog' | head -c "$bytes"); printf '\nquit\n'; } > "$work/input"
"$ROOT/limu" --version < /dev/null > /dev/null   # builds limu (and its start-up archive) before anything is timed
measure() {   # NAME COMMAND...: one line of figures; stdin from the input file for run and record
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$name.out" 2> "$work/$name.err" < "$work/input" || true
    read -r wall user sys rss < <(tail -1 "$work/time")
    printf '%-7s %6.2f s wall  %6.2f s user+sys  %7d KB peak RSS\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$rss"
}
echo "serial-echo, $bytes bytes piped in, $runs run(s) each"
for ((i = 1; i <= runs; i++)); do
    measure plain "$ROOT/limu" run "$kernel"
    measure record "$ROOT/limu" run "$kernel" --record "$work/run.rec"
    measure replay "$ROOT/limu" replay "$work/run.rec"
done
echo "recording: $(stat -c %s "$work/run.rec") bytes, $(grep -c '^in ' "$work/run.rec") inputs"
if cmp -s "$work/record.out" "$work/replay.out"; then
    echo "replay output: the same $(stat -c %s "$work/replay.out") bytes as the recorded run's"
else
    echo "replay output: DIFFERENT from the recorded run's"
fi
grep -h 'limu: replay' "$work/replay.err" || true
