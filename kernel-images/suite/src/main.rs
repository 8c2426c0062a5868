// SPDX-License-Identifier: GPL-2.0-or-later
//! `suite`: a kernel whose tests share one boot, for limu's snapshots.
//!
//! 1. A deliberately slow boot: fills a 4 MiB table with 24 passes of a
//!    pseudo-random mix (tens of millions of translation blocks, hundreds of
//!    milliseconds of limu's virtual time), prints `suite: booted, table sum <hex>`.
//! 2. Writes the limu snapshot marker port (0x5C4): `limu` (`Machine.runToMarker`)
//!    can stop and snapshot the machine here.
//! 3. Reads a line from COM1 (polling LSR bit 0): a test number 0-19, or `fail`.
//! 4. Runs that test over the table (a sum of every entry whose index is
//!    congruent to the number, mod 20), prints `test <n>: sum <hex> tsc <n>`
//!    and exits through isa-debug-exit with 0x10 (status 33). `fail` prints
//!    `test fail: panicked at nothing` and exits with 0x11.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::io;

use io::{EXIT_FAILURE, EXIT_SUCCESS, inb, outb};

const SNAPSHOT_MARKER_PORT: u16 = 0x5C4;
const ENTRIES: usize = 1 << 20;
const PASSES: u32 = 24;
const TESTS: usize = 20;

kernel_support::limine_requests! {
    base_revision: 3;
}

static mut TABLE: [u32; ENTRIES] = [0; ENTRIES];

fn rdtsc() -> u64 {
    let lo: u32;
    let hi: u32;
    unsafe {
        core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack));
    }
    (hi as u64) << 32 | lo as u64
}

/// The slow boot phase: every pass mixes every entry with its neighbour.
fn initialise_tables() -> u64 {
    let table = unsafe { &mut *(&raw mut TABLE) };
    let mut x: u32 = 0x1234_5678;
    for pass in 0..PASSES {
        for i in 0..ENTRIES {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let prev = table[(i + ENTRIES - 1) % ENTRIES];
            table[i] = table[i].wrapping_add(x ^ prev.rotate_left(pass));
        }
    }
    table.iter().map(|&v| v as u64).sum()
}

fn read_line(buf: &mut [u8]) -> usize {
    let mut n = 0;
    loop {
        let b = unsafe {
            while inb(io::COM1 + 5) & 1 == 0 {
                core::hint::spin_loop();
            }
            inb(io::COM1)
        };
        if b == b'\n' || b == b'\r' {
            return n;
        }
        if n < buf.len() {
            buf[n] = b;
            n += 1;
        }
    }
}

fn parse(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 3 {
        return None;
    }
    let mut v = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as usize;
    }
    Some(v)
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    println!("suite: booting");
    let sum = initialise_tables();
    println!("suite: booted, table sum {:#x}", sum);
    unsafe { outb(SNAPSHOT_MARKER_PORT, 1) };
    println!("suite: waiting for a test on COM1");
    let mut buf = [0u8; 16];
    let n = read_line(&mut buf);
    let name = &buf[..n];
    if name == b"fail" {
        println!("test fail: panicked at nothing");
        io::exit(EXIT_FAILURE);
    }
    let Some(t) = parse(name).filter(|&t| t < TESTS) else {
        println!("suite: no such test \"{}\"", io::Escaped(name));
        io::exit(EXIT_FAILURE)
    };
    let table = unsafe { &mut *(&raw mut TABLE) };
    let mut s: u64 = 0;
    for i in (t..ENTRIES).step_by(TESTS) {
        s = s.wrapping_mul(31).wrapping_add(table[i] as u64);
        table[i] = 0; // the test changes memory: a restore must undo it
    }
    println!("test {}: sum {:#x} tsc {}", t, s, rdtsc());
    io::exit(EXIT_SUCCESS)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("suite: panicked at {}", info);
    io::exit(EXIT_FAILURE)
}
