// SPDX-License-Identifier: GPL-2.0-or-later
//! Passes the workspace's shared linker script (absolute path, so the build
//! works from any working directory).
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let script = dir.join("..").join("linker.ld");
    let script = script.canonicalize().expect("kernel-images/linker.ld not found");
    println!("cargo:rustc-link-arg=-T{}", script.display());
    println!("cargo:rerun-if-changed={}", script.display());
}
