// SPDX-License-Identifier: GPL-2.0-or-later
//! `module-paths`: asks for internal modules by path, as a kernel in a cargo
//! workspace asks for its sibling binaries (the tutorial's user-mode program
//! chapter), through the module request revision 1:
//!
//! ```text
//! beside.txt         relative: looked up next to the kernel
//! boot():/rooted.txt Limine's URI for the kernel's own volume
//! from-dir.txt       found only in a --module-dir
//! missing.txt        nowhere
//! ../escape.txt      climbs out of the kernel's folder
//! ```
//!
//! all optional. For every module in the response it prints
//! `module <path> size <n> text "<contents>"` (contents escaped, at most 64
//! bytes), then `module-paths: <n> modules` and exits with 0x10. Which
//! modules arrive is for the test to judge.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use io::EXIT_SUCCESS;
use limine::*;

/// `limine_internal_module`: path, string, flags (bit 0 REQUIRED, bit 1 COMPRESSED).
#[repr(C)]
struct InternalModule {
    path: *const u8,
    string: *const u8,
    flags: u64,
}

/// The request's extras from revision 1: how many internal modules and where their pointers are.
#[repr(C)]
struct InternalModules {
    count: u64,
    list: *const *const InternalModule,
}

/// Pointers into the kernel's read-only data, never written: safe to share.
#[repr(transparent)]
struct Shared<T>(T);
unsafe impl<T> Sync for Shared<T> {}

const fn optional(path: &'static [u8], string: &'static [u8]) -> InternalModule {
    InternalModule {
        path: path.as_ptr(),
        string: string.as_ptr(),
        flags: 0,
    }
}

static BESIDE: Shared<InternalModule> = Shared(optional(b"beside.txt\0", b"next to the kernel\0"));
static ROOTED: Shared<InternalModule> = Shared(optional(b"boot():/rooted.txt\0", b"boot volume URI\0"));
static FROM_DIR: Shared<InternalModule> = Shared(optional(b"from-dir.txt\0", b"module dir\0"));
static MISSING: Shared<InternalModule> = Shared(optional(b"missing.txt\0", b"\0"));
static ESCAPE: Shared<InternalModule> = Shared(optional(b"../escape.txt\0", b"\0"));

static LIST: Shared<[*const InternalModule; 5]> = Shared([
    &BESIDE.0 as *const InternalModule,
    &ROOTED.0 as *const InternalModule,
    &FROM_DIR.0 as *const InternalModule,
    &MISSING.0 as *const InternalModule,
    &ESCAPE.0 as *const InternalModule,
]);

kernel_support::limine_requests! {
    base_revision: 3;
    MODULE: Request<ModuleResponse, InternalModules> = Request::new(
        MODULE_ID,
        1,
        InternalModules {
            count: 5,
            list: &LIST.0 as *const [*const InternalModule; 5] as *const *const InternalModule,
        },
    );
}

/// The NUL-terminated string at `p`, at most `max` bytes.
unsafe fn c_str(p: *const u8, max: usize) -> &'static [u8] {
    if p.is_null() {
        return &[];
    }
    let mut n = 0;
    while n < max && unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    unsafe { core::slice::from_raw_parts(p, n) }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let count = match unsafe { response(&raw const MODULE) } {
        None => 0,
        Some(r) => {
            for i in 0..r.module_count as usize {
                let m = unsafe { r.module(i) };
                let path = unsafe { c_str(m.path, 4096) };
                let shown = (m.size as usize).min(64);
                let text = unsafe { core::slice::from_raw_parts(m.address, shown) };
                println!("module {} size {} text \"{}\"", io::Escaped(path), m.size, io::Escaped(text));
            }
            r.module_count
        }
    };
    println!("module-paths: {} modules", count);
    io::exit(EXIT_SUCCESS)
}

kernel_support::report_panics!();
