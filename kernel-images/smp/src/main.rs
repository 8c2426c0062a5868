// SPDX-License-Identifier: GPL-2.0-or-later
//! `smp`: a crate-free kernel that starts every application processor
//! through the Limine MP request and makes all CPUs count together.
//!
//! The BSP prints `hello from CPU <i> (lapic <id>)` for itself, then, for
//! every other CPU i of the MP response (in response order), stores i into
//! `extra_argument` and the AP entry `smp_ap_entry` into `goto_address`
//! (SeqCst). Each AP records its RDI, RSP and [RSP] at entry (in an
//! assembly stub, before any Rust code runs), prints
//! `hello from CPU <i> (lapic <id>)` under a spinlock (an AtomicBool taken
//! with compare_exchange), adds 1 to a shared AtomicU64 1,000,000 times
//! (fetch_add), increments the "done" count and halts (`cli; hlt`). The BSP
//! does the same 1,000,000 additions, waits (`pause`) until every AP is
//! done, then checks, printing `ok: ...` / `FAIL: ...` lines:
//!
//! - each AP's RDI was its own `limine_mp_info` (== cpus[i]) and its
//!   `extra_argument` was i;
//! - each AP's RSP at entry lay inside its stack, whose top is the info's
//!   `reserved` field (top - 64 KiB <= RSP < top), 8 mod 16, [RSP] == 0;
//! - the counter == cpu_count * 1,000,000.
//!
//! and prints `smp: <n> CPUs, counter <total>`, then exits 0x10 if every
//! check passed (else 0x11). Everything printed is independent of timing
//! except the order of the APs' hello lines, which is the order in which
//! they get the lock.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

use core::arch::global_asm;
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use checks::Checks;
use io::EXIT_FAILURE;
use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
}

const ADDS_PER_CPU: u64 = 1_000_000;
const MAX_CPUS: usize = 256;
/// The default AP stack size (no stack size request).
const AP_STACK_SIZE: u64 = 64 * 1024;

static COUNTER: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicUsize = AtomicUsize::new(0);
static PRINT_LOCK: AtomicBool = AtomicBool::new(false);

/// What each AP saw at entry, indexed by its position in the MP response.
struct ApRecord {
    arrived: AtomicBool,
    rdi: AtomicU64,
    rsp: AtomicU64,
    top_qword: AtomicU64,
    extra: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_RECORD: ApRecord = ApRecord {
    arrived: AtomicBool::new(false),
    rdi: AtomicU64::new(0),
    rsp: AtomicU64::new(0),
    top_qword: AtomicU64::new(0),
    extra: AtomicU64::new(0),
};
static RECORDS: [ApRecord; MAX_CPUS] = [EMPTY_RECORD; MAX_CPUS];
/// APs whose RDI matched no cpus[] entry.
static STRAYS: AtomicUsize = AtomicUsize::new(0);

fn lock() {
    while PRINT_LOCK
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        spin_loop();
    }
}

fn unlock() {
    PRINT_LOCK.store(false, Ordering::Release);
}

fn mp() -> Option<&'static MpResponse> {
    unsafe { response(&raw const MP) }
}

fn count() {
    let mut i = 0;
    while i < ADDS_PER_CPU {
        COUNTER.fetch_add(1, Ordering::Relaxed);
        i += 1;
    }
}

// AP entry: RDI = &limine_mp_info, RSP = top of the AP's stack - 8 with a
// zero "return address". Record RSP and [RSP] before anything moves them,
// then call `ap_main(info, rsp, [rsp])` on a 16-byte aligned stack.
global_asm!(
    ".pushsection .text.smp_ap_entry, \"ax\", @progbits",
    ".global smp_ap_entry",
    ".type smp_ap_entry, @function",
    "smp_ap_entry:",
    "mov rsi, rsp",
    "mov rdx, qword ptr [rsp]",
    "and rsp, -16",
    "call {main}",
    "2:",
    "cli",
    "hlt",
    "jmp 2b",
    ".size smp_ap_entry, . - smp_ap_entry",
    ".popsection",
    main = sym ap_main,
);

unsafe extern "C" {
    fn smp_ap_entry();
}

extern "C" fn ap_main(info: *const MpInfo, rsp: u64, top_qword: u64) -> ! {
    let r = mp().expect("AP started without an MP response");
    let n = (r.cpu_count as usize).min(MAX_CPUS);
    let index = (0..n).find(|&i| unsafe { r.cpu(i) } == info);
    let extra = unsafe { (*info).extra_argument.load(Ordering::SeqCst) };
    let lapic = unsafe { (*info).lapic_id };
    match index {
        Some(i) => {
            let rec = &RECORDS[i];
            rec.rdi.store(info as u64, Ordering::Relaxed);
            rec.rsp.store(rsp, Ordering::Relaxed);
            rec.top_qword.store(top_qword, Ordering::Relaxed);
            rec.extra.store(extra, Ordering::Relaxed);
            rec.arrived.store(true, Ordering::Release);
            lock();
            println!("hello from CPU {} (lapic {})", i, lapic);
            unlock();
        }
        None => {
            STRAYS.fetch_add(1, Ordering::SeqCst);
            lock();
            println!("FAIL: an AP entered with RDI {:#x}, not a cpus[] entry", info as u64);
            unlock();
        }
    }
    count();
    DONE.fetch_add(1, Ordering::SeqCst);
    io::halt_forever()
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let mut c = Checks::new();

    let tag = unsafe { core::ptr::read_volatile(&raw const BASE_REVISION) };
    if tag[2] != 0 {
        println!("FAIL: base revision 3 not supported");
        io::exit(EXIT_FAILURE);
    }
    let Some(r) = mp() else {
        println!("FAIL: no MP response");
        io::exit(EXIT_FAILURE);
    };
    let n = r.cpu_count as usize;
    if n == 0 || n > MAX_CPUS {
        println!("FAIL: MP cpu_count {} not in 1..={}", n, MAX_CPUS);
        io::exit(EXIT_FAILURE);
    }
    let bsp = (0..n).find(|&i| unsafe { (*r.cpu(i)).lapic_id } == r.bsp_lapic_id);
    let Some(bsp) = bsp else {
        println!("FAIL: no cpus[] entry has the BSP's lapic id {}", r.bsp_lapic_id);
        io::exit(EXIT_FAILURE);
    };

    lock();
    println!("hello from CPU {} (lapic {})", bsp, r.bsp_lapic_id);
    unlock();

    let entry = smp_ap_entry as *const () as u64;
    for i in (0..n).filter(|&i| i != bsp) {
        let info = unsafe { &*r.cpu(i) };
        info.extra_argument.store(i as u64, Ordering::SeqCst);
        info.goto_address.store(entry, Ordering::SeqCst);
    }

    count();

    let aps = n - 1;
    while DONE.load(Ordering::SeqCst) < aps {
        spin_loop();
    }

    for i in (0..n).filter(|&i| i != bsp) {
        let info = unsafe { r.cpu(i) };
        let rec = &RECORDS[i];
        if !c.check(
            format_args!("CPU {} entered", i),
            rec.arrived.load(Ordering::Acquire),
            format_args!("never arrived with RDI == cpus[{}]", i),
        ) {
            continue;
        }
        let rdi = rec.rdi.load(Ordering::Relaxed);
        c.check(
            format_args!("CPU {} RDI == cpus[{}]", i, i),
            rdi == info as u64,
            format_args!("rdi={:#x} cpus[{}]={:#x}", rdi, i, info as u64),
        );
        let extra = rec.extra.load(Ordering::Relaxed);
        c.check(
            format_args!("CPU {} extra_argument == {}", i, i),
            extra == i as u64,
            format_args!("extra_argument={:#x}", extra),
        );
        let top = unsafe { (*info).reserved };
        let rsp = rec.rsp.load(Ordering::Relaxed);
        c.check(
            format_args!("CPU {} RSP inside its stack (below reserved)", i),
            top >= AP_STACK_SIZE && rsp < top && rsp >= top - AP_STACK_SIZE,
            format_args!("rsp={:#x} reserved={:#x}", rsp, top),
        );
        let q = rec.top_qword.load(Ordering::Relaxed);
        c.check(
            format_args!("CPU {} RSP % 16 == 8 and [RSP] == 0", i),
            rsp % 16 == 8 && q == 0,
            format_args!("rsp={:#x} [rsp]={:#x}", rsp, q),
        );
    }
    let strays = STRAYS.load(Ordering::SeqCst);
    c.check(
        format_args!("no AP entered with a foreign RDI"),
        strays == 0,
        format_args!("{} did", strays),
    );
    let total = COUNTER.load(Ordering::SeqCst);
    let want = n as u64 * ADDS_PER_CPU;
    c.check(
        format_args!("counter == {} CPUs * {}", n, ADDS_PER_CPU),
        total == want,
        format_args!("counter={} want {}", total, want),
    );
    println!("smp: {} CPUs, counter {}", n, total);
    io::exit_pass_fail(c.failed == 0)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // Another CPU may hold the lock (or this one, if it panicked while
    // printing): take it over.
    PRINT_LOCK.store(true, Ordering::SeqCst);
    println!("FAIL: panic ({})", info);
    io::exit(EXIT_FAILURE)
}
