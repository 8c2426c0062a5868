// SPDX-License-Identifier: GPL-2.0-or-later
//! `gdb-target`: a small crate-free kernel for limu's GDB stub tests. Its
//! names, lines and values are what the tests set breakpoints on and print:
//! a call chain `kmain -> outer -> middle -> leaf` (so `bt` shows several
//! frames), a local `local_sum` in `leaf`, a static struct `STATS`, a static
//! counter `COUNTER` that `leaf` increments (a watchpoint target), and an
//! `int3` the kernel handles itself through its own IDT. Output:
//! ```text
//! gdb-target: start
//! gdb-target: int3 handled
//! gdb-target: total 98 counter 4
//! ```
//!
//! then exits through isa-debug-exit with 0x10 (exit status 33).
//! Keep the line layout of `leaf` stable: the tests name its lines.

#![no_std]
#![no_main]
#![allow(dead_code)]

// The GDB tests name lines of `leaf` below: keep the line count above it.
#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::arch::{asm, global_asm};

use limine::*;

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static mut REQUESTS_START: [u64; 4] = REQUESTS_START_MARKER;

#[used]
#[unsafe(link_section = ".requests")]
static mut BASE_REVISION: [u64; 3] = base_revision_tag(3);

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static mut REQUESTS_END: [u64; 2] = REQUESTS_END_MARKER;

#[derive(Clone, Copy)]
#[repr(C)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

#[repr(C)]
pub struct Stats {
    pub calls: u64,
    pub last: Point,
    pub magic: u32,
}

#[unsafe(no_mangle)]
pub static mut STATS: Stats = Stats { calls: 0, last: Point { x: 0, y: 0 }, magic: 0x5a5a };

#[unsafe(no_mangle)]
pub static mut COUNTER: u64 = 0;

static mut BREAKPOINTS_SEEN: u64 = 0;

#[inline(never)]
fn leaf(depth: u64, p: Point) -> i64 {
    let local_sum = p.x * 10 + p.y + depth as i64;
    unsafe { COUNTER += 1 };
    let doubled = local_sum * 2;
    doubled / 2
}

#[inline(never)]
fn middle(depth: u64) -> i64 {
    let p = Point { x: depth as i64, y: 7 };
    let r = leaf(depth, p);
    r + 1
}

#[inline(never)]
fn outer(n: u64) -> i64 {
    let mut total = 0;
    for i in 0..n {
        total += middle(i);
    }
    total
}

// An IDT with one gate, vector 3, to an assembly stub that counts and returns.
#[repr(C, align(16))]
struct Idt([u64; 2 * 4]);

static mut IDT: Idt = Idt([0; 8]);

global_asm!(
    ".global int3_stub",
    "int3_stub:",
    "    lock inc qword ptr [rip + {seen}]",
    "    iretq",
    seen = sym BREAKPOINTS_SEEN,
);

unsafe extern "C" {
    fn int3_stub();
}

#[inline(never)]
fn install_idt() {
    let handler = int3_stub as *const () as usize as u64;
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs);
        let gate_lo = (handler & 0xffff) | ((cs as u64) << 16) | (0x8e_u64 << 40) | ((handler & 0xffff_0000) << 32);
        let gate_hi = handler >> 32;
        IDT.0[6] = gate_lo;
        IDT.0[7] = gate_hi;
        let idtr: [u16; 5] = {
            let base = (&raw const IDT) as u64;
            [
                (8 * 8 - 1) as u16,
                base as u16,
                (base >> 16) as u16,
                (base >> 32) as u16,
                (base >> 48) as u16,
            ]
        };
        asm!("lidt [{0}]", in(reg) &idtr, options(readonly, nostack));
    }
}

#[inline(never)]
fn breakpoint_instruction() {
    unsafe { asm!("int3") };
}

#[unsafe(no_mangle)]
pub extern "C" fn kmain() -> ! {
    io::Serial::new(io::COM1).init();
    println!("gdb-target: start");
    install_idt();
    breakpoint_instruction();
    let seen = unsafe { core::ptr::read_volatile(&raw const BREAKPOINTS_SEEN) };
    if seen == 1 {
        println!("gdb-target: int3 handled");
    }
    let total = outer(4);
    unsafe {
        STATS.calls = 4;
        STATS.last = Point { x: total, y: -1 };
    }
    let counter = unsafe { core::ptr::read_volatile(&raw const COUNTER) };
    println!("gdb-target: total {} counter {}", total, counter);
    io::exit(if seen == 1 && counter == 4 { io::EXIT_SUCCESS } else { io::EXIT_FAILURE });
}

global_asm!(
    ".global _start",
    "_start:",
    "    call kmain",
    "    ud2",
);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("gdb-target: panic: {}", info);
    io::exit(io::EXIT_FAILURE);
}
