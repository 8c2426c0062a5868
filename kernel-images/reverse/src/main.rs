// SPDX-License-Identifier: GPL-2.0-or-later
//! `reverse`: a kernel with two deliberate mysteries for reverse debugging,
//! which limu's gdb tests solve with a watchpoint and `reverse-continue`.
//!
//! 1. `configure` sets `CONFIG.limit` to 42; later `clear_table`, meant to
//!    zero the four entries of `CONFIG.table`, zeroes five: the fifth write
//!    lands on `limit` (the wrong code path that overwrites a value).
//! 2. With a second CPU, that CPU enables its x2APIC, loads the IDT and
//!    waits in `hlt`; CPU 0 sends it a fixed IPI (vector 0x50), and its
//!    handler `reverse_ipi` writes 0x1234 to `SHARED`, which CPU 0 then
//!    reads (the write happened on another CPU).
//!
//! The kernel checks that both happened as designed and reports over COM1:
//! ```text
//! reverse: start, 2 CPUs
//! reverse: limit 0 (configure set 42; clear_table wrote past its table)
//! reverse: shared 0x1234 (written by CPU 1's IPI handler)
//! reverse: ok
//! ```
//! then exits through isa-debug-exit with 0x10 (status 33). With the cmdline
//! `crash` it divides by the overwritten limit instead and panics (status 35).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU64, Ordering};

use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
}

kernel_support::report_panics!();

/// A table and the limit right after it: a write one past the table lands on the limit.
#[repr(C)]
pub struct Config {
    pub table: [u64; 4],
    pub limit: u64,
}

#[unsafe(no_mangle)]
pub static mut CONFIG: Config = Config { table: [0; 4], limit: 0 };

/// Written by CPU 1's IPI handler.
#[unsafe(no_mangle)]
pub static SHARED: AtomicU64 = AtomicU64::new(0);

/// CPU 1 is ready for the IPI (x2APIC on, IDT loaded, interrupts enabled).
static AP_READY: AtomicU64 = AtomicU64::new(0);

const IPI_VECTOR: u64 = 0x50;
const IA32_APIC_BASE: u32 = 0x1b;
const X2APIC_SVR: u32 = 0x80f;
const X2APIC_ICR: u32 = 0x830;
const X2APIC_EOI: u32 = 0x80b;

fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

fn wrmsr(msr: u32, v: u64) {
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack)) };
}

#[inline(never)]
fn configure() {
    unsafe {
        CONFIG.table = [1, 2, 3, 4];
        CONFIG.limit = 42;
    }
}

/// Some work between the set-up and the bug, so history has something to step through.
#[inline(never)]
fn compute(rounds: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..rounds {
        acc = acc.wrapping_mul(31).wrapping_add(i);
    }
    acc
}

/// The bug: `<=` where `<` was meant, so the fifth write lands on `CONFIG.limit`.
#[inline(never)]
fn clear_table() {
    let p = unsafe { (&raw mut CONFIG.table) as *mut u64 };
    let mut i = 0;
    while i <= 4 {
        unsafe { p.add(i).write_volatile(0) };
        i += 1;
    }
}

#[inline(never)]
fn divide_by_limit(n: u64) -> u64 {
    let limit = unsafe { core::ptr::read_volatile(&raw const CONFIG.limit) };
    n / limit
}

// ---- the IDT: one gate, the IPI's vector, to a stub that writes SHARED ----

global_asm!(
    ".pushsection .text.reverse_ipi, \"ax\", @progbits",
    ".global reverse_ipi",
    "reverse_ipi:",
    "push rax", "push rcx", "push rdx",
    "mov qword ptr [rip + {shared}], 0x1234",
    "mov ecx, {eoi}",
    "xor eax, eax",
    "xor edx, edx",
    "wrmsr",
    "pop rdx", "pop rcx", "pop rax",
    "iretq",
    ".popsection",
    shared = sym SHARED,
    eoi = const X2APIC_EOI,
);

unsafe extern "C" {
    fn reverse_ipi();
}

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

#[repr(C, packed)]
struct TableRegister {
    limit: u16,
    base: u64,
}

fn load_idt() {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
        let h = reverse_ipi as *const () as u64;
        let lo = (h & 0xffff) | ((cs as u64) << 16) | (0xe << 40) | (1 << 47) | (((h >> 16) & 0xffff) << 48);
        IDT.0[IPI_VECTOR as usize] = [lo, h >> 32];
        let idtr = TableRegister { limit: 256 * 16 - 1, base: (&raw const IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

/// This CPU's local APIC in x2APIC mode, software-enabled (spurious vector 0xFF).
fn enable_x2apic() {
    wrmsr(IA32_APIC_BASE, rdmsr(IA32_APIC_BASE) | (1 << 11) | (1 << 10));
    wrmsr(X2APIC_SVR, 0x1ff);
}

global_asm!(
    ".pushsection .text.reverse_ap_entry, \"ax\", @progbits",
    ".global reverse_ap_entry",
    "reverse_ap_entry:",
    "and rsp, -16",
    "call {main}",
    "2:",
    "cli",
    "hlt",
    "jmp 2b",
    ".popsection",
    main = sym ap_main,
);

unsafe extern "C" {
    fn reverse_ap_entry();
}

extern "C" fn ap_main() {
    enable_x2apic();
    load_idt();
    AP_READY.store(1, Ordering::SeqCst);
    loop {
        unsafe { asm!("sti", "hlt", options(nomem, nostack)) };
    }
}

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const EXECUTABLE_CMDLINE) }
}

/// Starts CPU 1, sends it the IPI and waits for its handler's write; false when there is no second CPU.
fn ipi_to_second_cpu() -> bool {
    let Some(r) = (unsafe { response(&raw const MP) }) else {
        return false;
    };
    let Some(ap) = (0..r.cpu_count as usize).map(|i| unsafe { &*r.cpu(i) }).find(|c| c.lapic_id != r.bsp_lapic_id)
    else {
        return false;
    };
    ap.goto_address.store(reverse_ap_entry as *const () as u64, Ordering::SeqCst);
    while AP_READY.load(Ordering::SeqCst) == 0 {
        core::hint::spin_loop();
    }
    enable_x2apic();
    wrmsr(X2APIC_ICR, ((ap.lapic_id as u64) << 32) | IPI_VECTOR);
    while SHARED.load(Ordering::SeqCst) == 0 {
        core::hint::spin_loop();
    }
    true
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let cpus = unsafe { response(&raw const MP) }.map(|r| r.cpu_count).unwrap_or(1);
    println!("reverse: start, {} CPUs", cpus);
    configure();
    let acc = compute(1000);
    clear_table();
    if checks::trim(cmdline()) == b"crash" {
        println!("reverse: {}", divide_by_limit(acc));
    }
    let limit = unsafe { core::ptr::read_volatile(&raw const CONFIG.limit) };
    println!("reverse: limit {} (configure set 42; clear_table wrote past its table)", limit);
    let mut ok = limit == 0;
    if ipi_to_second_cpu() {
        let shared = SHARED.load(Ordering::SeqCst);
        println!("reverse: shared {:#x} (written by CPU 1's IPI handler)", shared);
        ok &= shared == 0x1234;
    } else {
        println!("reverse: one CPU, no IPI");
    }
    println!("reverse: {}", if ok { "ok" } else { "FAIL" });
    io::exit_pass_fail(ok)
}
