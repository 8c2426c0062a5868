#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cargo test` of this kernel crate with Debian's toolchain (as
# kernel-images/build.sh uses it): each test binary is
# handed to limu by the runner in .cargo/config.toml. Extra arguments go to
# cargo, e.g. `./test.sh --features fail-one` (one test fails: cargo test fails).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS || true
exec /usr/bin/cargo test --target x86_64-unknown-none \
    -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features=compiler-builtins-mem "$@"
