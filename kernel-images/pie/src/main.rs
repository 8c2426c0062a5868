// SPDX-License-Identifier: GPL-2.0-or-later
//! `pie`: a static-PIE kernel (ELF ET_DYN, R_X86_64_RELATIVE relocations)
//! that checks from the inside that the loader relocated it.
//! Code reaches its own statics PC-relatively, so `addr_of!` gives the
//! address the kernel really runs at; every absolute address stored in the
//! image (a pointer in a static, a vtable, a table of function pointers, a
//! string slice) was written by the linker for the link address and is only
//! right at run time if the loader applied the relocations for the slide the
//! kernel was placed at. Prints
//!
//! ```text
//! pie: linked at 0x0, running at 0x..., slide 0x...
//! pie: executable address: virtual 0x... physical 0x...
//! pie: pointer in a static ok
//! pie: vtable call ok
//! pie: function pointer table ok
//! pie: string slice ok
//! pie: all checks passed
//! ```
//!
//! and exits through isa-debug-exit with 0x10 (limu exit 33), or prints
//! `pie: FAILED: ...` and exits with 0x11.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::io;

use core::ptr::addr_of;

use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::request::ExecutableAddressRequest;
use limine::{BaseRevision, RequestsEndMarker, RequestsStartMarker};

/// Where linker.ld puts the image: the loader must move it at least to 0xffffffff80000000.
const LINK_BASE: u64 = 0;

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static REQUESTS_START: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(5);

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_ADDRESS: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static REQUESTS_END: RequestsEndMarker = RequestsEndMarker::new();

unsafe extern "C" {
    /// The first byte of the image and the end of its last page (linker.ld).
    static __kernel_start: u8;
    static __kernel_end: u8;
}

static TARGET: u64 = 0x5eed_cafe;
/// An absolute address in the image: R_X86_64_RELATIVE.
static POINTER: &u64 = &TARGET;

trait Shape {
    fn area(&self) -> u64;
}

struct Square(u64);
struct Rectangle(u64, u64);

impl Shape for Square {
    fn area(&self) -> u64 {
        self.0 * self.0
    }
}

impl Shape for Rectangle {
    fn area(&self) -> u64 {
        self.0 * self.1
    }
}

/// Data pointers and vtable pointers, and in the vtables the method addresses: all relocated.
static SHAPES: [&(dyn Shape + Sync); 2] = [&Square(7), &Rectangle(3, 5)];

fn double(x: u64) -> u64 {
    x * 2
}

fn cube(x: u64) -> u64 {
    x * x * x
}

static OPERATIONS: [fn(u64) -> u64; 2] = [double, cube];

static GREETING: &str = "relocated";

fn fail(what: &str) -> ! {
    println!("pie: FAILED: {}", what);
    io::exit(EXIT_FAILURE)
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    if !BASE_REVISION.is_supported() {
        fail("base revision 5 not supported");
    }
    let running = addr_of!(__kernel_start) as u64;
    let slide = running.wrapping_sub(LINK_BASE);
    if running < 0xffff_ffff_8000_0000 {
        fail("not running in the top 2 GiB");
    }
    println!("pie: linked at {:#x}, running at {:#x}, slide {:#x}", LINK_BASE, running, slide);

    let Some(address) = EXECUTABLE_ADDRESS.response() else { fail("no executable address response") };
    println!("pie: executable address: virtual {:#x} physical {:#x}", address.virtual_base, address.physical_base);
    if address.virtual_base != running {
        fail("executable address virtual base is not where the kernel runs");
    }
    if address.physical_base == 0 || address.physical_base % 4096 != 0 {
        fail("executable address physical base is not a page address");
    }

    // Volatile reads: the values must come from memory as the loader left it, not from constant folding.
    let pointer = unsafe { core::ptr::read_volatile(addr_of!(POINTER)) };
    if pointer as *const u64 != addr_of!(TARGET) || *pointer != 0x5eed_cafe {
        fail("pointer in a static still holds its link address");
    }
    println!("pie: pointer in a static ok");

    let shapes = unsafe { core::ptr::read_volatile(addr_of!(SHAPES)) };
    if shapes[0].area() != 49 || shapes[1].area() != 15 {
        fail("vtable call");
    }
    println!("pie: vtable call ok");

    let operations = unsafe { core::ptr::read_volatile(addr_of!(OPERATIONS)) };
    if operations[0](21) != 42 || operations[1](3) != 27 {
        fail("function pointer table");
    }
    if operations[0] as usize != double as fn(u64) -> u64 as usize {
        fail("function pointer differs from the function's address");
    }
    println!("pie: function pointer table ok");

    let greeting = unsafe { core::ptr::read_volatile(addr_of!(GREETING)) };
    let end = addr_of!(__kernel_end) as u64;
    let at = greeting.as_ptr() as u64;
    if at < running || at >= end || greeting != "relocated" {
        fail("string slice");
    }
    println!("pie: string slice ok");

    println!("pie: all checks passed");
    io::exit(EXIT_SUCCESS)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("pie: panicked at {}", info);
    io::exit(EXIT_FAILURE)
}
