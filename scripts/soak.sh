#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# limu's soak runs, not part of the normal test run: 10,000 boots with `limu test`, 1,000 snapshot
# restores, 10,000 gdb attach/detach cycles, each in one JVM, with a curve of its resident memory,
# open file descriptors and threads, and a flat-or-not verdict per run (the rule: scripts/soak.py).
# Usage: scripts/soak.sh [boots|restores|gdb ...] [--boots N] [--restores N] [--gdb-cycles N]
#                        [--every N] [--heap SIZE] [--quick]
# Exit 0 when every run stayed flat. Figures measured here: docs/confinement-and-soak.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >&2
[ -f "$ROOT/kernel-images/out/suite-release.elf" ] || "$ROOT/kernel-images/build.sh" >&2
exec python3 "$ROOT/scripts/soak.py" "$@"
