// SPDX-License-Identifier: GPL-2.0-or-later
//! `scratch`: drives the example plug-in device of limu's `example-device`
//! module, attached with `--device scratch` (MMIO at 0xFEBF0000). It asks for
//! base revision 2, whose HHDM maps all of 0-4 GiB, so the device's window is
//! reachable at HHDM + 0xFEBF0000 without page-table work. Prints `ok:`/`FAIL:`
//! lines and `scratch: N checks, M failed`, then exits through isa-debug-exit
//! with 0x10 when every check passed, 0x11 otherwise. No crates.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::ptr::{read_volatile, write_volatile};

use io::EXIT_FAILURE;
use limine::*;

const BASE: u64 = 0xFEBF_0000;
const ID: u64 = 0x00;
const VERSION: u64 = 0x04;
const SCRATCH: u64 = 0x08;
const COUNTER: u64 = 0x10;
const ADD: u64 = 0x18;
const TIME: u64 = 0x20;
const RAM: u64 = 0x100;

kernel_support::limine_requests! {
    base_revision: 2;
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
}

static mut CHECKS: (u32, u32) = (0, 0);

fn check(ok: bool, what: &str, got: u64) {
    unsafe {
        CHECKS.0 += 1;
        if ok {
            println!("ok: {}", what);
        } else {
            CHECKS.1 += 1;
            println!("FAIL: {} (got {:#x})", what, got);
        }
    }
}

fn reg32(hhdm: u64, off: u64) -> *mut u32 {
    (hhdm + BASE + off) as *mut u32
}

fn reg64(hhdm: u64, off: u64) -> *mut u64 {
    (hhdm + BASE + off) as *mut u64
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let Some(h) = (unsafe { response(&raw const HHDM) }) else {
        println!("FAIL: no HHDM response");
        io::exit(EXIT_FAILURE)
    };
    let hhdm = h.offset;
    unsafe {
        let id = read_volatile(reg32(hhdm, ID));
        check(id == 0x5343_5254, "ID register reads 0x53435254", id as u64);
        let version = read_volatile(reg32(hhdm, VERSION));
        check(version == 1, "VERSION register reads 1", version as u64);
        write_volatile(reg32(hhdm, SCRATCH), 0xC0FF_EE42);
        let back = read_volatile(reg32(hhdm, SCRATCH));
        check(back == 0xC0FF_EE42, "SCRATCH keeps what was written", back as u64);
        write_volatile(reg64(hhdm, COUNTER), 1000);
        for i in 1..=10u64 {
            write_volatile(reg64(hhdm, ADD), i);
        }
        let counter = read_volatile(reg64(hhdm, COUNTER));
        check(counter == 1055, "COUNTER = 1000 + 1 + ... + 10", counter);
        let t0 = read_volatile(reg64(hhdm, TIME));
        let mut sink = 0u64;
        for i in 0..100_000u64 {
            sink = sink.wrapping_add(i);
        }
        let t1 = read_volatile(reg64(hhdm, TIME));
        check(t1 > t0, "TIME advances with guest work", t1.wrapping_sub(t0) ^ (sink & 0));
        for i in 0..16u64 {
            write_volatile((hhdm + BASE + RAM + i) as *mut u8, (i * 7) as u8);
        }
        let mut good = true;
        for i in 0..16u64 {
            good &= read_volatile((hhdm + BASE + RAM + i) as *const u8) == (i * 7) as u8;
        }
        check(good, "device RAM keeps bytes", 0);
        let (n, failed) = CHECKS;
        println!("scratch: {} checks, {} failed", n, failed);
        io::exit_pass_fail(failed == 0)
    }
}

kernel_support::report_panics!();
