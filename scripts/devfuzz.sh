#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest-side device fuzzing (docs/fuzzing.md): boots kernel-images' devfuzz kernel once per seed and tallies
# how each run ended. A run must exit 33; 12 (internal error), 10 (timeout) or anything else is a finding.
#
#   scripts/devfuzz.sh [--seeds FIRST-LAST] [--accesses M] [--timeout DURATION]
#                      (defaults: seeds 1-100, 20000 accesses, 60s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
first=1 last=100 accesses=20000 timeout=60s
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seeds) [[ "${2:-}" =~ ^([0-9]+)-([0-9]+)$ ]] || { echo "devfuzz.sh: --seeds FIRST-LAST" >&2; exit 2; }
                 first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}; shift 2 ;;
        --accesses) [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "devfuzz.sh: --accesses M" >&2; exit 2; }; accesses=$2; shift 2 ;;
        --timeout) [[ -n "${2:-}" ]] || { echo "devfuzz.sh: --timeout DURATION" >&2; exit 2; }; timeout=$2; shift 2 ;;
        -h|--help) sed -n '3,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "devfuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
kernel="$ROOT/kernel-images/out/devfuzz.elf"
[[ -f "$kernel" ]] || "$ROOT/kernel-images/build.sh" >&2
out="$ROOT/target/devfuzz"
mkdir -p "$out"
declare -A ends=()
failed=0
for ((s = first; s <= last; s++)); do
    rc=0
    "$ROOT/limu" run "$kernel" --cmdline "seed=$s accesses=$accesses" --timeout "$timeout" \
        >"$out/seed-$s.out" 2>"$out/seed-$s.err" || rc=$?
    ends[$rc]=$(( ${ends[$rc]:-0} + 1 ))
    if [[ $rc -ne 33 ]]; then
        failed=$((failed + 1))
        echo "seed $s: exit $rc ($(grep -a -o 'FAIL.*' "$out/seed-$s.out" | tail -1; tail -1 "$out/seed-$s.err"))"
    fi
done
echo "devfuzz: seeds $first-$last, $accesses accesses each: $((last - first + 1 - failed)) exited 33, $failed did not"
for rc in "${!ends[@]}"; do echo "  exit $rc: ${ends[$rc]} runs"; done
[[ $failed -eq 0 ]]
