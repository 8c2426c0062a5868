// SPDX-License-Identifier: GPL-2.0-or-later
//! `future-revision`: asks for base revision 99, which no loader supports.
//!
//! A conforming loader leaves tag[2] (the requested revision) non-zero,
//! meaning "not supported", and (revision >= 3 loaders) writes the revision
//! it actually used into tag[1]. Prints
//!
//! ```text
//! future-revision: supported=<true|false> loaded=<tag[1]>
//! ```
//!
//! and exits through isa-debug-exit with 0x10 if the loader said
//! "unsupported", 0x11 otherwise. No crates: it shares hello's port I/O and
//! Limine definitions.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::ptr::read_volatile;

use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::*;

const REQUESTED_REVISION: u64 = 99;

kernel_support::limine_requests! {
    base_revision: REQUESTED_REVISION;
    BOOTLOADER_INFO: Request<BootloaderInfoResponse> = Request::new(BOOTLOADER_INFO_ID, 0, ());
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();

    let tag = unsafe { read_volatile(&raw const BASE_REVISION) };
    let supported = tag[2] == 0;
    let loaded = tag[1];
    if let Some(r) = unsafe { response(&raw const BOOTLOADER_INFO) } {
        let name = unsafe { c_str(r.name, 256) };
        println!("  bootloader: name=\"{}\"", io::Escaped(name));
    }
    println!("  base revision tag: [{:#x}, {:#x}, {:#x}]", tag[0], tag[1], tag[2]);
    if loaded == BASE_REVISION_MAGIC1 {
        println!("future-revision: supported={} loaded=none", supported);
    } else {
        println!("future-revision: supported={} loaded={}", supported, loaded);
    }
    io::exit(if supported { EXIT_FAILURE } else { EXIT_SUCCESS })
}

kernel_support::report_panics!();
