// SPDX-License-Identifier: GPL-2.0-or-later
//! Like the tutorial's build.rs: pass the linker script to the linker. The
//! script is the workspace's shared one; the entry symbol is the tutorial's.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let script = dir.join("..").join("linker.ld");
    let script = script.canonicalize().expect("kernel-images/linker.ld not found");
    println!("cargo:rustc-link-arg=-T{}", script.display());
    println!("cargo:rustc-link-arg=--entry=entry_point_from_limine");
    println!("cargo:rerun-if-changed={}", script.display());
}
