// SPDX-License-Identifier: GPL-2.0-or-later
//! Passes this crate's own linker script (absolute path, so the build works
//! from any working directory).
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let script = dir.join("linker.ld");
    println!("cargo:rustc-link-arg=-T{}", script.display());
    println!("cargo:rerun-if-changed={}", script.display());
}
