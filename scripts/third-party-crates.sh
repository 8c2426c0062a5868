#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints the crates.io crates the test kernels use (kernel-images/Cargo.lock) with the license each
# declares, as `cargo metadata` reports it: the list in NOTICE. Run it after changing a kernel's
# dependencies and paste its output over NOTICE's list (tests/ checks that NOTICE names every crate).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/kernel-images"
RUSTC=/usr/bin/rustc /usr/bin/cargo metadata --offline --format-version 1 | python3 -c '
import json, sys
m = json.load(sys.stdin)
ours = set(m["workspace_members"])
for p in sorted(m["packages"], key=lambda p: (p["name"], p["version"])):
    if p["id"] not in ours:
        print("  %s %s: %s" % (p["name"], p["version"], p["license"]))
'
