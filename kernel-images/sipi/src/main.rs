// SPDX-License-Identifier: GPL-2.0-or-later
//! `sipi`: starts the application processors itself, as kernels that do not
//! use Limine's MP request do: no MP request (so the APs wait for a start-up
//! IPI), a 16-bit -> 32-bit -> 64-bit trampoline copied to a usable page below
//! 1 MiB, then for each AP (APIC IDs 1..n-1, n from the cmdline `cpus=N`):
//! INIT, 10 ms, SIPI, 200 us, SIPI (delays from the TSC, whose rate CPUID 0x15
//! gives), and a wait until the AP has printed and counted itself. Output:
//!
//! ```text
//! sipi: trampoline at 0x8000 (vector 0x8), 4 CPUs
//! sipi: CPU <id> started          (one per AP, printed by the AP under a spinlock)
//! sipi: <n-1> APs started
//! ```
//!
//! and exits through isa-debug-exit with 0x10 (all APs counted) or 0x11.
//!
//! The trampoline switches to long mode on its own page tables: a copy of the
//! kernel's PML4 (so the kernel and the HHDM stay mapped) whose entry 0
//! identity-maps the first 2 MiB (so the instruction after CR0.PG is mapped).
//! The 64-bit Rust entry then loads the kernel's CR3. Base revision 2: the
//! HHDM covers 0-4 GiB, so low memory and the local APIC at 0xFEE00000 are
//! reached through it.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::arch::{asm, global_asm};
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use io::EXIT_FAILURE;
use limine::*;

kernel_support::limine_requests! {
    base_revision: 2;
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
}

const MAX_CPUS: usize = 16;
const AP_STACK: usize = 16 * 1024;
const PAGE: u64 = 4096;
const LAPIC: u64 = 0xFEE0_0000;
const LAPIC_ID: u64 = 0x20;
const LAPIC_SVR: u64 = 0xF0;
const LAPIC_ICR_LOW: u64 = 0x300;
const LAPIC_ICR_HIGH: u64 = 0x310;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;

#[repr(C, align(16))]
struct Stacks([[u8; AP_STACK]; MAX_CPUS]);
static mut STACKS: Stacks = Stacks([[0; AP_STACK]; MAX_CPUS]);

static STARTED: AtomicU32 = AtomicU32::new(0);
static PRINT_LOCK: AtomicBool = AtomicBool::new(false);
static mut KERNEL_CR3: u64 = 0;
static mut HHDM_OFFSET: u64 = 0;

// The trampoline, assembled into .text and copied to a page T below 1 MiB. It
// runs at CS:IP = (T >> 4):0, so every address in it is T + (label - start):
// EBX/RBX holds T from the first instructions on. The BSP fills the fields
// after the GDT before each start-up IPI.
global_asm!(
    r#"
    .section .text.sipi_trampoline, "ax"
    .global sipi_tramp_start
    .global sipi_tramp_end
    .code16
sipi_tramp_start:
    cli
    cld
    xorl %ebx, %ebx
    movw %cs, %bx
    movw %bx, %ds
    shll $4, %ebx
    lgdtl (sipi_gdtr32 - sipi_tramp_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl *(sipi_pm32_ptr - sipi_tramp_start)
    .code32
sipi_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4
    movl (sipi_cr3 - sipi_tramp_start)(%ebx), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $0x900, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax
    movl %eax, %cr0
    ljmpl *(sipi_lm64_ptr - sipi_tramp_start)(%ebx)
    .code64
sipi_lm64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    lgdt (sipi_gdtr64 - sipi_tramp_start)(%rbx)
    movq (sipi_stack - sipi_tramp_start)(%rbx), %rsp
    movq (sipi_kcr3 - sipi_tramp_start)(%rbx), %rdi
    movq (sipi_entry - sipi_tramp_start)(%rbx), %rax
    jmpq *%rax
    .balign 8
sipi_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
    .global sipi_gdtr32, sipi_gdtr64, sipi_pm32_ptr, sipi_lm64_ptr, sipi_cr3, sipi_stack, sipi_entry, sipi_kcr3
    .global sipi_gdt, sipi_pm32, sipi_lm64
sipi_gdtr32:
    .word 31
    .long 0
sipi_gdtr64:
    .word 31
    .quad 0
sipi_pm32_ptr:
    .long 0
    .word 0x08
sipi_lm64_ptr:
    .long 0
    .word 0x18
sipi_cr3:
    .long 0
    .balign 8
sipi_stack:
    .quad 0
sipi_entry:
    .quad 0
sipi_kcr3:
    .quad 0
sipi_tramp_end:
    .text
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    static sipi_tramp_start: u8;
    static sipi_tramp_end: u8;
    static sipi_gdt: u8;
    static sipi_pm32: u8;
    static sipi_lm64: u8;
    static sipi_gdtr32: u8;
    static sipi_gdtr64: u8;
    static sipi_pm32_ptr: u8;
    static sipi_lm64_ptr: u8;
    static sipi_cr3: u8;
    static sipi_stack: u8;
    static sipi_entry: u8;
    static sipi_kcr3: u8;
}

/// Offset of a trampoline label from its start.
fn off(label: *const u8) -> u64 {
    label as u64 - (&raw const sipi_tramp_start) as u64
}

fn hhdm(physical: u64) -> u64 {
    unsafe { HHDM_OFFSET + physical }
}

fn lapic_read(reg: u64) -> u32 {
    unsafe { read_volatile(hhdm(LAPIC + reg) as *const u32) }
}

fn lapic_write(reg: u64, value: u32) {
    unsafe { write_volatile(hhdm(LAPIC + reg) as *mut u32, value) }
}

fn send_ipi(apic_id: u32, low: u32) {
    lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, low);
    while lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
}

fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

/// TSC ticks per microsecond, from CPUID 0x15 (crystal x ratio), else 0x16, else 1 GHz.
fn tsc_per_us() -> u64 {
    let max = core::arch::x86_64::__cpuid(0).eax;
    if max >= 0x15 {
        let r = core::arch::x86_64::__cpuid(0x15);
        if r.eax != 0 && r.ebx != 0 && r.ecx != 0 {
            return (r.ecx as u64 * r.ebx as u64 / r.eax as u64) / 1_000_000;
        }
    }
    if max >= 0x16 {
        let r = core::arch::x86_64::__cpuid(0x16);
        if r.eax != 0 {
            return r.eax as u64;
        }
    }
    1000
}

fn delay_us(us: u64, per_us: u64) {
    let end = rdtsc() + us * per_us;
    while rdtsc() < end {
        core::hint::spin_loop();
    }
}

fn lock() {
    while PRINT_LOCK.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        core::hint::spin_loop();
    }
}

fn unlock() {
    PRINT_LOCK.store(false, Ordering::Release);
}

fn cmdline() -> &'static [u8] {
    unsafe { response(&raw const EXECUTABLE_CMDLINE) }
        .map(|r| unsafe { c_str(r.cmdline, 256) })
        .unwrap_or(&[])
}

fn cmdline_cpus() -> Option<u64> {
    cmdline().split(|&b| b == b' ').find_map(|w| {
        let v = w.strip_prefix(b"cpus=")?;
        let mut n = 0u64;
        for &d in v {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + (d - b'0') as u64;
        }
        Some(n)
    })
}

/// A page-aligned T in [0x1000, 1 MiB) with T..T+4 pages usable (trampoline + 3 page tables).
fn low_pages() -> Option<u64> {
    let map = unsafe { response(&raw const MEMMAP) }?;
    let mut best: Option<u64> = None;
    for i in 0..map.entry_count as usize {
        let e = unsafe { map.entry(i) };
        if e.entry_type != MEMMAP_USABLE {
            continue;
        }
        let start = ((e.base + PAGE - 1) & !(PAGE - 1)).max(0x8000);
        let end = (e.base + e.length).min(0x10_0000);
        if start + 4 * PAGE <= end && best.is_none_or(|b| start < b) {
            best = Some(start);
        }
    }
    best
}

fn fail(what: core::fmt::Arguments<'_>) -> ! {
    lock();
    println!("FAIL: {}", what);
    unlock();
    io::exit(EXIT_FAILURE)
}

/// Where the trampoline jumps, on the AP's own stack, still on the trampoline's page tables.
extern "C" fn ap_entry(kernel_cr3: u64) -> ! {
    unsafe { asm!("mov cr3, {}", in(reg) kernel_cr3, options(nostack)) };
    let id = lapic_read(LAPIC_ID) >> 24;
    lock();
    println!("sipi: CPU {} started", id);
    unlock();
    STARTED.fetch_add(1, Ordering::SeqCst);
    io::halt_forever()
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let rev = unsafe { read_volatile(&raw const BASE_REVISION) };
    if rev[2] != 0 {
        fail(format_args!("base revision 2 not supported"));
    }
    let Some(h) = (unsafe { response(&raw const HHDM) }) else {
        fail(format_args!("no HHDM response"));
    };
    unsafe { HHDM_OFFSET = h.offset };
    let cpus = cmdline_cpus().unwrap_or(1);
    if cpus == 0 || cpus as usize > MAX_CPUS {
        fail(format_args!("cpus={} (1..{})", cpus, MAX_CPUS));
    }
    let cpuid1 = core::arch::x86_64::__cpuid(1);
    let logical = (cpuid1.ebx >> 16) & 0xff;
    if logical as u64 != cpus {
        fail(format_args!("CPUID.1:EBX says {} logical CPUs, cmdline cpus={}", logical, cpus));
    }
    let Some(t) = low_pages() else {
        fail(format_args!("no usable 16 KiB below 1 MiB for the trampoline"));
    };
    let bsp = lapic_read(LAPIC_ID) >> 24;
    if bsp != 0 {
        fail(format_args!("BSP APIC ID {}", bsp));
    }
    lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1FF);

    // Page tables for the switch: PML4 copy at T+1p, PDPT T+2p, PD T+3p (0-2 MiB identity, 2 MiB page).
    let kcr3: u64;
    unsafe { asm!("mov {}, cr3", out(reg) kcr3, options(nomem, nostack)) };
    unsafe { KERNEL_CR3 = kcr3 };
    let (pml4, pdpt, pd) = (t + PAGE, t + 2 * PAGE, t + 3 * PAGE);
    unsafe {
        let kernel_pml4 = hhdm(kcr3 & 0x000f_ffff_ffff_f000) as *const u64;
        for i in 0..512 {
            write_volatile((hhdm(pml4) as *mut u64).add(i), read_volatile(kernel_pml4.add(i)));
            write_volatile((hhdm(pdpt) as *mut u64).add(i), 0);
            write_volatile((hhdm(pd) as *mut u64).add(i), 0);
        }
        write_volatile(hhdm(pml4) as *mut u64, pdpt | 3);
        write_volatile(hhdm(pdpt) as *mut u64, pd | 3);
        write_volatile(hhdm(pd) as *mut u64, 0x83);
    }

    // Copy the trampoline and fill in its fields.
    let start = &raw const sipi_tramp_start;
    let len = off(&raw const sipi_tramp_end) as usize;
    if len as u64 > PAGE {
        fail(format_args!("trampoline is {} bytes", len));
    }
    let dst = hhdm(t) as *mut u8;
    unsafe {
        for i in 0..len {
            write_volatile(dst.add(i), read_volatile(start.add(i)));
        }
        let field = |label: *const u8| dst.add(off(label) as usize);
        let gdt = t + off(&raw const sipi_gdt);
        (field(&raw const sipi_gdtr32).add(2) as *mut u32).write_unaligned(gdt as u32);
        (field(&raw const sipi_gdtr64).add(2) as *mut u64).write_unaligned(hhdm(gdt));
        (field(&raw const sipi_pm32_ptr) as *mut u32).write_unaligned((t + off(&raw const sipi_pm32)) as u32);
        (field(&raw const sipi_lm64_ptr) as *mut u32).write_unaligned((t + off(&raw const sipi_lm64)) as u32);
        (field(&raw const sipi_cr3) as *mut u32).write_unaligned(pml4 as u32);
        (field(&raw const sipi_kcr3) as *mut u64).write_unaligned(kcr3);
        (field(&raw const sipi_entry) as *mut u64).write_unaligned(ap_entry as *const () as usize as u64);
    }
    println!("sipi: trampoline at {:#x} (vector {:#x}), {} CPUs", t, t >> 12, cpus);

    let per_us = tsc_per_us();
    let vector = (t >> 12) as u32;
    for id in 1..cpus as u32 {
        unsafe {
            let top = (&raw mut STACKS.0[id as usize]) as u64 + AP_STACK as u64;
            let field = dst.add(off(&raw const sipi_stack) as usize) as *mut u64;
            field.write_unaligned(top - 8);
        }
        let before = STARTED.load(Ordering::SeqCst);
        send_ipi(id, 0x0000_4500); // INIT, level assert
        delay_us(10_000, per_us);
        send_ipi(id, 0x0000_4600 | vector); // start-up
        delay_us(200, per_us);
        send_ipi(id, 0x0000_4600 | vector); // the second SIPI: ignored by a CPU already running
        let deadline = rdtsc() + 1_000_000 * per_us;
        while STARTED.load(Ordering::SeqCst) == before {
            if rdtsc() > deadline {
                fail(format_args!("CPU {} did not start within 1 s", id));
            }
            core::hint::spin_loop();
        }
    }
    let n = STARTED.load(Ordering::SeqCst);
    lock();
    println!("sipi: {} APs started", n);
    unlock();
    io::exit_pass_fail(n as u64 == cpus - 1)
}

kernel_support::report_panics!();
