#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# README command 1: set up, build the bundled kernels, and boot the hello kernel; its serial report on stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/kernel-images/build.sh" >&2
echo "[limu] ./limu run kernel-images/out/hello.elf --timeout 10s" >&2
exec "$ROOT/limu" run "$ROOT/kernel-images/out/hello.elf" --timeout 10s
