#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# README command 2 (what .ci/run calls): set up, build the kernels, and run every test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
echo "[limu test] building kernel-images (dev and release)" >&2
"$ROOT/kernel-images/build.sh" >&2
echo "[limu test] mvn verify: unit tests of every module, then end-to-end tests in tests/" >&2
cd "$ROOT"
mvn -B verify
