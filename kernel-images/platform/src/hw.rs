// SPDX-License-Identifier: GPL-2.0-or-later
//! CPU helpers (MSRs, CPUID, TSC, 32-bit port I/O), an uncached window for
//! the device MMIO pages (the HHDM maps RAM and ACPI memory only), and the
//! local APIC, I/O APIC and HPET register accessors.

#![allow(dead_code)]

use core::arch::asm;
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

pub fn wrmsr(msr: u32, v: u64) {
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack)) };
}

pub fn cpuid(leaf: u32, sub: u32) -> [u32; 4] {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    [r.eax, r.ebx, r.ecx, r.edx]
}

pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

pub fn inl(port: u16) -> u32 {
    let v: u32;
    unsafe { asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

pub fn read_cr3() -> u64 {
    let v: u64;
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

pub fn write_cr3(v: u64) {
    unsafe { asm!("mov cr3, {}", in(reg) v, options(nostack, preserves_flags)) };
}

pub fn cli() {
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// `sti; hlt; cli`: sleeps until an interrupt (STI's shadow keeps the
/// wake-up from being lost) and returns with interrupts off again.
pub fn sti_hlt_cli() {
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// `sti; nop; cli`: lets pending interrupts in.
pub fn interrupt_window() {
    unsafe { asm!("sti", "nop", "nop", "cli", options(nomem, nostack)) };
}

// ---------------------------------------------------------------------------
// Uncached MMIO window: a free higher-half PML4 slot with three page tables
// from .bss (PDPT -> PD -> PT), 512 4 KiB slots, PCD|PWT (PAT entry 3 = UC).

const PAGE: u64 = 4096;
const PRESENT: u64 = 1;
const WRITABLE: u64 = 1 << 1;
const PWT: u64 = 1 << 3;
const PCD: u64 = 1 << 4;
const NO_EXECUTE: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

#[repr(C, align(4096))]
struct PageTable([u64; 512]);

static mut WINDOW_PDPT: PageTable = PageTable([0; 512]);
static mut WINDOW_PD: PageTable = PageTable([0; 512]);
static mut WINDOW_PT: PageTable = PageTable([0; 512]);
static WINDOW_BASE: AtomicU64 = AtomicU64::new(0);
static WINDOW_NEXT: AtomicU64 = AtomicU64::new(0);

fn flush_tlb() {
    write_cr3(read_cr3());
}

/// `kernel_phys`/`kernel_virt`: the executable address response (to find
/// the physical addresses of the .bss page tables).
pub fn mmio_init(hhdm: u64, kernel_phys: u64, kernel_virt: u64) -> Result<usize, &'static str> {
    let to_phys = |va: u64| va - kernel_virt + kernel_phys;
    let pml4 = (hhdm + (read_cr3() & ADDR_MASK)) as *mut u64;
    let index = (256..511)
        .rev()
        .find(|&i| unsafe { read_volatile(pml4.add(i)) } & PRESENT == 0)
        .ok_or("no free PML4 slot")?;
    let pdpt = &raw mut WINDOW_PDPT as u64;
    let pd = &raw mut WINDOW_PD as u64;
    let pt = &raw mut WINDOW_PT as u64;
    unsafe {
        write_volatile((pdpt as *mut u64).add(0), to_phys(pd) | PRESENT | WRITABLE);
        write_volatile((pd as *mut u64).add(0), to_phys(pt) | PRESENT | WRITABLE);
        write_volatile(pml4.add(index), to_phys(pdpt) | PRESENT | WRITABLE);
    }
    flush_tlb();
    WINDOW_BASE.store(0xffff_0000_0000_0000 | ((index as u64) << 39), Ordering::SeqCst);
    Ok(index)
}

/// Maps [phys, phys + len) uncached, read/write, no-execute; returns the
/// virtual address of `phys`.
pub fn mmio_map(phys: u64, len: u64) -> Option<u64> {
    let first = phys & !(PAGE - 1);
    let end = (phys + len.max(1) + PAGE - 1) & !(PAGE - 1);
    let pages = (end - first) / PAGE;
    let slot = WINDOW_NEXT.load(Ordering::SeqCst);
    if slot + pages > 512 {
        return None;
    }
    let pt = &raw mut WINDOW_PT as *mut u64;
    for i in 0..pages {
        let entry = (first + i * PAGE) | PRESENT | WRITABLE | PCD | PWT | NO_EXECUTE;
        unsafe { write_volatile(pt.add((slot + i) as usize), entry) };
    }
    WINDOW_NEXT.store(slot + pages, Ordering::SeqCst);
    flush_tlb();
    Some(WINDOW_BASE.load(Ordering::SeqCst) + slot * PAGE + (phys - first))
}

// ---------------------------------------------------------------------------
// Local APIC (xAPIC MMIO or x2APIC MSRs, the same on every CPU)

pub const APIC_ID: u32 = 0x20;
pub const APIC_VERSION: u32 = 0x30;
pub const APIC_TPR: u32 = 0x80;
pub const APIC_EOI: u32 = 0xB0;
pub const APIC_SVR: u32 = 0xF0;
pub const APIC_ESR: u32 = 0x280;
pub const APIC_ICR_LOW: u32 = 0x300;
pub const APIC_ICR_HIGH: u32 = 0x310;
pub const APIC_LVT_TIMER: u32 = 0x320;
pub const APIC_LVT_ERROR: u32 = 0x370;
pub const APIC_TIMER_INITIAL: u32 = 0x380;
pub const APIC_TIMER_CURRENT: u32 = 0x390;
pub const APIC_TIMER_DIVIDE: u32 = 0x3E0;
pub const LVT_MASKED: u32 = 1 << 16;
pub const TIMER_PERIODIC: u32 = 1 << 17;
pub const TIMER_TSC_DEADLINE: u32 = 2 << 17;
pub const ICR_PENDING: u32 = 1 << 12;
pub const ICR_ASSERT: u32 = 1 << 14;
pub const ICR_SELF: u32 = 1 << 18;
pub const ICR_ALL: u32 = 2 << 18;
pub const ICR_ALL_BUT_SELF: u32 = 3 << 18;
pub const IA32_APIC_BASE: u32 = 0x1B;
pub const IA32_TSC_DEADLINE: u32 = 0x6E0;
pub const X2APIC_SELF_IPI: u32 = 0x83F;

static X2APIC: AtomicBool = AtomicBool::new(false);
static LAPIC_VA: AtomicU64 = AtomicU64::new(0);

pub fn apic_use_x2apic(on: bool) {
    X2APIC.store(on, Ordering::SeqCst);
}

pub fn apic_x2apic() -> bool {
    X2APIC.load(Ordering::Relaxed)
}

pub fn apic_set_mmio(va: u64) {
    LAPIC_VA.store(va, Ordering::SeqCst);
}

pub fn apic_read(off: u32) -> u32 {
    if apic_x2apic() {
        rdmsr(0x800 + (off >> 4)) as u32
    } else {
        unsafe { read_volatile((LAPIC_VA.load(Ordering::Relaxed) + off as u64) as *const u32) }
    }
}

pub fn apic_write(off: u32, v: u32) {
    if apic_x2apic() {
        wrmsr(0x800 + (off >> 4), v as u64);
    } else {
        unsafe { write_volatile((LAPIC_VA.load(Ordering::Relaxed) + off as u64) as *mut u32, v) };
    }
}

/// This CPU's APIC ID (xAPIC: bits 24-31 of the ID register).
pub fn apic_id() -> u32 {
    if apic_x2apic() { apic_read(APIC_ID) } else { apic_read(APIC_ID) >> 24 }
}

pub fn apic_eoi() {
    apic_write(APIC_EOI, 0);
}

/// Sends an IPI (`low` = vector | mode | shorthand) to `dest` and, in xAPIC
/// mode, waits until the delivery status reads idle. Returns false if it
/// never did.
pub fn apic_send_ipi(dest: u32, low: u32) -> bool {
    if apic_x2apic() {
        wrmsr(0x830, ((dest as u64) << 32) | low as u64);
        true
    } else {
        apic_write(APIC_ICR_HIGH, dest << 24);
        apic_write(APIC_ICR_LOW, low);
        for _ in 0..1_000_000 {
            if apic_read(APIC_ICR_LOW) & ICR_PENDING == 0 {
                return true;
            }
            core::hint::spin_loop();
        }
        false
    }
}

/// Puts this CPU's APIC in the selected mode (IA32_APIC_BASE EN, and EXTD
/// for x2APIC) and software-enables it: spurious vector 0xFF, error vector
/// `error_vector`, TPR 0, ESR cleared.
pub fn apic_enable_here(error_vector: u8) {
    let base = rdmsr(IA32_APIC_BASE);
    if apic_x2apic() {
        wrmsr(IA32_APIC_BASE, base | (1 << 11) | (1 << 10));
    } else if base & (1 << 11) == 0 {
        wrmsr(IA32_APIC_BASE, base | (1 << 11));
    }
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_ERROR, error_vector as u32);
    apic_write(APIC_SVR, 0x100 | 0xFF);
    apic_write(APIC_ESR, 0);
}

// ---------------------------------------------------------------------------
// I/O APIC

static IOAPIC_VA: AtomicU64 = AtomicU64::new(0);

pub fn ioapic_set_mmio(va: u64) {
    IOAPIC_VA.store(va, Ordering::SeqCst);
}

pub fn ioapic_read(reg: u32) -> u32 {
    let base = IOAPIC_VA.load(Ordering::Relaxed);
    unsafe {
        write_volatile(base as *mut u32, reg);
        read_volatile((base + 0x10) as *const u32)
    }
}

pub fn ioapic_write(reg: u32, v: u32) {
    let base = IOAPIC_VA.load(Ordering::Relaxed);
    unsafe {
        write_volatile(base as *mut u32, reg);
        write_volatile((base + 0x10) as *mut u32, v);
    }
}

/// Redirection entry `pin`: high half (destination) first, then the low
/// half (vector, mode, mask).
pub fn ioapic_route(pin: u32, low: u32, dest_apic_id: u32) {
    ioapic_write(0x11 + 2 * pin, dest_apic_id << 24);
    ioapic_write(0x10 + 2 * pin, low);
}

pub fn ioapic_mask(pin: u32) {
    let low = ioapic_read(0x10 + 2 * pin);
    ioapic_write(0x10 + 2 * pin, low | (1 << 16));
}

// ---------------------------------------------------------------------------
// HPET

pub const HPET_CAP: u64 = 0x000;
pub const HPET_CONFIG: u64 = 0x010;
pub const HPET_STATUS: u64 = 0x020;
pub const HPET_COUNTER: u64 = 0x0F0;
pub const HPET_ENABLE: u64 = 1;
pub const HPET_LEGACY: u64 = 2;
pub const TN_INT_ENB: u64 = 1 << 2;
pub const TN_PERIODIC: u64 = 1 << 3;
pub const TN_PERIODIC_CAP: u64 = 1 << 4;
pub const TN_VAL_SET: u64 = 1 << 6;

pub const fn hpet_timer_config(n: u64) -> u64 {
    0x100 + 0x20 * n
}

pub const fn hpet_timer_comparator(n: u64) -> u64 {
    0x108 + 0x20 * n
}

static HPET_VA: AtomicU64 = AtomicU64::new(0);
static HPET_PERIOD_FS: AtomicU64 = AtomicU64::new(10_000_000);

pub fn hpet_set_mmio(va: u64, period_fs: u64) {
    HPET_VA.store(va, Ordering::SeqCst);
    HPET_PERIOD_FS.store(period_fs.max(1), Ordering::SeqCst);
}

pub fn hpet_read(off: u64) -> u64 {
    unsafe { read_volatile((HPET_VA.load(Ordering::Relaxed) + off) as *const u64) }
}

pub fn hpet_write(off: u64, v: u64) {
    unsafe { write_volatile((HPET_VA.load(Ordering::Relaxed) + off) as *mut u64, v) };
}

pub fn hpet_now() -> u64 {
    hpet_read(HPET_COUNTER)
}

/// HPET ticks in `ns` nanoseconds.
pub fn hpet_ticks(ns: u64) -> u64 {
    (ns as u128 * 1_000_000 / HPET_PERIOD_FS.load(Ordering::Relaxed) as u128) as u64
}

/// Nanoseconds in `ticks` HPET ticks.
pub fn hpet_ns(ticks: u64) -> u64 {
    (ticks as u128 * HPET_PERIOD_FS.load(Ordering::Relaxed) as u128 / 1_000_000) as u64
}
