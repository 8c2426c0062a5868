// SPDX-License-Identifier: GPL-2.0-or-later
//! `heap-suite`: heap tests that share one boot, for limu's snapshots with
//! `--heap-check`. The global allocator is talc (4 MiB claimed as the tutorial
//! does).
//!
//! 1. The boot keeps eight boxes in a vector, live to the end.
//! 2. Writes limu's snapshot marker port (0x5C4).
//! 3. Reads a test number 0-19 from COM1 (polling LSR bit 0).
//! 4. Every test allocates a vector of `n + 1` boxes, sums and drops it, and
//!    frees one of the boot's boxes (`heap_test`); test 13 alone then reads a
//!    box's memory after dropping it (`use_after_free`).
//! 5. Prints `heap-suite: test <n> done` and exits 0x10 (status 33); an
//!    unknown test exits 0x11.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../../heap-talc/src/kio.rs"]
#[macro_use]
#[allow(dead_code)] // the cmdline helpers are heap-talc's
mod kio;

use alloc::boxed::Box;
use alloc::vec::Vec;

use talc::{ErrOnOom, Talc, Talck};

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talck::new(Talc::new(ErrOnOom));

const SNAPSHOT_MARKER_PORT: u16 = 0x5C4;
const COM1: u16 = 0x3F8;
const TESTS: usize = 20;
/// The one test with a heap bug.
const BROKEN_TEST: usize = 13;

fn outb(port: u16, value: u8) {
    unsafe { core::arch::asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack)) };
}

fn inb(port: u16) -> u8 {
    let v: u8;
    unsafe { core::arch::asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack)) };
    v
}

/// A decimal number on a line of COM1 input (LSR bit 0: a byte is waiting).
fn read_test_number() -> usize {
    let mut n = 0usize;
    loop {
        while inb(COM1 + 5) & 1 == 0 {
            core::hint::spin_loop();
        }
        match inb(COM1) {
            b'\n' | b'\r' => return n,
            d @ b'0'..=b'9' => n = n * 10 + (d - b'0') as usize,
            _ => {}
        }
    }
}

#[unsafe(no_mangle)]
extern "C" fn kmain() -> ! {
    assert!(kio::BASE_REVISION.is_supported());
    let size = 4 * 1024 * 1024;
    let base = kio::heap_memory(size as u64);
    unsafe { ALLOCATOR.lock().claim(talc::Span::from(base..base.add(size))) }.unwrap();
    // FCR: FIFOs on and cleared (16550 datasheet), so the test's whole input line is received
    outb(COM1 + 2, 0xC7);
    let mut kept: Vec<Box<[u64; 4]>> = (0..8u64).map(|i| Box::new([i; 4])).collect();
    println!("heap-suite: booted, {} boxes kept", kept.len());
    outb(SNAPSHOT_MARKER_PORT, 1);
    let t = read_test_number();
    if t >= TESTS {
        println!("heap-suite: no such test {}", t);
        kio::exit(0x11)
    }
    heap_test(t, &mut kept);
    if t == BROKEN_TEST {
        use_after_free();
    }
    // still live at the end, as a kernel's long-lived state is
    core::mem::forget(kept);
    println!("heap-suite: test {} done", t);
    kio::exit(0x10)
}

/// Test `t`: a vector of `t + 1` boxes, summed and dropped, and one of the boot's boxes freed.
#[inline(never)]
fn heap_test(t: usize, kept: &mut Vec<Box<[u64; 4]>>) {
    let v: Vec<Box<usize>> = (0..=t).map(Box::new).collect();
    let sum: usize = v.iter().map(|b| **b).sum();
    core::hint::black_box(sum);
    drop(v);
    drop(kept.swap_remove(t % 8));
}

#[inline(never)]
fn use_after_free() {
    let b = Box::new([9u64; 4]);
    let p = &*b as *const [u64; 4] as *const u64;
    drop(b);
    // the bug: a read of freed memory
    let v = unsafe { core::ptr::read_volatile(p.add(1)) };
    core::hint::black_box(v);
}
