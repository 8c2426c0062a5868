// SPDX-License-Identifier: GPL-2.0-or-later
//! `coverage`: a crate-free kernel whose executed lines and hot spots are
//! known in advance, so that limu's line coverage and profiles can be
//! checked against it line by line.
//!
//! The executable cmdline chooses what runs:
//!
//! - `left`: [`left_branch`] runs, [`right_branch`] does not;
//! - `right`: the other way round;
//! - `hot`: [`hot_loop`] spins for a long time, called from [`warm_caller`],
//!   so a profile's top frame is `hot_loop`;
//! - `smp`: every application processor runs [`ap_work`] (and only they do),
//!   the BSP waits for them.
//!
//! Each mode prints `coverage: <mode> done` and exits through isa-debug-exit
//! with 0x10; an unknown mode prints `FAIL: unknown mode` and exits with 0x11.
//! Lines the tests look for carry a `// mark:<name>` comment.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

use core::hint::{black_box, spin_loop};
use core::sync::atomic::{AtomicU64, Ordering};

use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::*;

kernel_support::report_panics!();

kernel_support::limine_requests! {
    base_revision: 3;
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
}

/// Iterations of the hot loop: long enough for many profile samples.
const HOT_ITERATIONS: u64 = 3_000_000;

static AP_DONE: AtomicU64 = AtomicU64::new(0);
static AP_SUM: AtomicU64 = AtomicU64::new(0);

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const EXECUTABLE_CMDLINE) }
}

#[inline(never)]
fn left_branch(x: u64) -> u64 {
    let doubled = x * 2; // mark:left-body
    println!("coverage: left {}", doubled); // mark:left-print
    doubled
}

#[inline(never)]
fn right_branch(x: u64) -> u64 {
    let tripled = x * 3; // mark:right-body
    println!("coverage: right {}", tripled); // mark:right-print
    tripled
}

#[inline(never)]
fn hot_loop(n: u64) -> u64 {
    let mut acc = 0u64;
    let mut i = 0;
    while i < n {
        acc = black_box(acc.wrapping_mul(31).wrapping_add(i)); // mark:hot-body
        i += 1;
    }
    acc
}

#[inline(never)]
fn warm_caller() -> u64 {
    hot_loop(black_box(HOT_ITERATIONS)) // mark:hot-call
}

/// Runs on every AP (Limine jumps here with RDI = its `limine_mp_info`).
extern "C" fn ap_entry(_info: *const MpInfo) -> ! {
    let mut sum = 0u64;
    for i in 0..1000u64 {
        sum = black_box(sum + i); // mark:ap-body
    }
    AP_SUM.fetch_add(sum, Ordering::SeqCst);
    AP_DONE.fetch_add(1, Ordering::SeqCst);
    io::halt_forever()
}

#[inline(never)]
fn ap_work() -> u64 {
    let Some(r) = (unsafe { response(&raw const MP) }) else {
        println!("FAIL: no MP response");
        io::exit(EXIT_FAILURE);
    };
    let n = r.cpu_count as usize;
    let mut started = 0;
    for i in 0..n {
        let info = unsafe { &*r.cpu(i) };
        if info.lapic_id != r.bsp_lapic_id {
            info.goto_address.store(ap_entry as *const () as u64, Ordering::SeqCst); // mark:ap-start
            started += 1;
        }
    }
    while AP_DONE.load(Ordering::SeqCst) < started {
        spin_loop();
    }
    println!("coverage: {} APs summed {}", started, AP_SUM.load(Ordering::SeqCst));
    started
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let mode = checks::trim(cmdline());
    match mode {
        b"left" => {
            left_branch(black_box(21));
        }
        b"right" => {
            right_branch(black_box(14));
        }
        b"hot" => {
            let v = warm_caller();
            println!("coverage: hot {:#x}", v);
        }
        b"smp" => {
            ap_work();
        }
        _ => {
            println!("FAIL: unknown mode \"{}\"", io::Escaped(mode));
            io::exit(EXIT_FAILURE);
        }
    }
    println!("coverage: {} done", io::Escaped(mode));
    io::exit(EXIT_SUCCESS)
}
