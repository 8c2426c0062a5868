// SPDX-License-Identifier: GPL-2.0-or-later
//! What limu's crate-free test kernels share: the Limine protocol's request
//! and response structures (`limine`), port I/O with a COM1 16550 driver, the
//! isa-debug-exit port and the halt loop (`io`), `ok:`/`FAIL:` check counting
//! (`checks`), and the panic report every such kernel ends with.
//!
//! A kernel pulls in the `print!`/`println!` macros with
//! `#[macro_use] extern crate kernel_support;` and declares its request
//! statics with [`limine_requests!`]: they must be the kernel's own, in its
//! `.requests` section between its markers, where the loader's scan finds
//! them.

#![no_std]

#[macro_use]
pub mod io;
pub mod checks;
pub mod limine;

/// Reports a panic on COM1 as `FAIL: panic (<info>)`, the line the kernels'
/// checks print on failure, and exits through the isa-debug-exit port with
/// [`io::EXIT_FAILURE`].
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("FAIL: panic ({})", info);
    io::exit(io::EXIT_FAILURE)
}

/// Defines the kernel's `#[panic_handler]` as [`report_panic`].
#[macro_export]
macro_rules! report_panics {
    () => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::report_panic(info)
        }
    };
}
