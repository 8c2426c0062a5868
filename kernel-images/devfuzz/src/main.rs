// SPDX-License-Identifier: GPL-2.0-or-later
//! `devfuzz`: guest-side device fuzzing. From the cmdline's `seed=N` (default
//! 1) and `accesses=M` (default 20000) it makes a deterministic random
//! sequence of M port, MMIO and MSR accesses, reads and writes of every width,
//! at the registers of every device limu emulates: COM1 (16550), the PIT and
//! port 0x61, both 8259s and their ELCRs, the RTC/CMOS, the PS/2 8042, the ACPI
//! PM block (PM1 event, control, timer, GPE0), the HPET, the local APIC (xAPIC
//! MMIO, x2APIC MSRs, IA32_APIC_BASE and the TSC deadline), the I/O APIC,
//! the debug console 0xE9, any other port, and with `scratch` on the cmdline the
//! plug-in example device (limu's `--device scratch`). Values are random,
//! nonsense included, with interrupts enabled all the time.
//!
//! Every vector has a handler: an external interrupt is counted, its likely
//! sources are quietened (RTC register C, HPET status, COM1's IIR/LSR/MSR/RBR,
//! the 8042's output buffer, PM1 and GPE0 status, the scratch IRQ), then it
//! EOIs both 8259s and the local APIC in whatever mode it is. A #GP from an
//! RDMSR or WRMSR (an MSR the mode does not have, a reserved bit) is counted
//! and the instruction skipped. An interrupt storm (20000 interrupts without
//! the main loop taking a step) is broken as a kernel would: every source is
//! masked, and counted. Any other exception is a failure.
//!
//! What it leaves out, because it would end the run legitimately or break
//! the kernel itself rather than the emulator:
//! - the isa-debug-exit port 0xF4-0xF7 (written once, at the end), limu's
//!   snapshot marker 0x5C4, the reset control port 0xCF9 and port 0x92;
//! - 8042 commands that pulse the reset line (0xF0-0xFE with bit 0 clear) and
//!   an output-port write (after command 0xD1) with bit 0 (reset) clear;
//! - PM1 control writes with SLP_EN (they would power the machine off);
//! - vectors below 0x20 in the 8259s' ICW2, LVTs, redirection entries, IPIs,
//!   MSI data and the HPET's FSB messages (an external interrupt on an
//!   exception vector would confuse the kernel's own exception handlers), and
//!   the SMI, INIT and SIPI delivery modes (they reset or park the CPU);
//! - moving the local APIC's base (it could cover the kernel's memory).
//!
//! It starts by setting the 8259s up with vectors 0x20-0x2F, as kernels do.
//! At the end it masks every source, sets COM1 up again and prints
//!
//! ```text
//! devfuzz: seed=N accesses=M interrupts=I vectors=V gp=G storms=S
//! ```
//!
//! then exits with 0x10 (status 33).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use core::arch::{asm, global_asm};
use core::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

use kernel_support::checks::{cmdline_value, parse_u64};
use kernel_support::io::{self, inb, outb};
use kernel_support::limine::*;

// Base revision 0: the low 4 GiB are identity-mapped, device windows included.
kernel_support::limine_requests! {
    base_revision: 0;
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
}

const LAPIC: u64 = 0xFEE0_0000;
const IOAPIC: u64 = 0xFEC0_0000;
const HPET: u64 = 0xFED0_0000;
const SCRATCH: u64 = 0xFEBF_0000;
const IA32_APIC_BASE: u32 = 0x1B;
const APIC_BASE_ENABLE: u64 = 1 << 11;
const APIC_BASE_EXTD: u64 = 1 << 10;
const X2APIC_EOI: u32 = 0x80B;
const PM1_STATUS: u16 = 0xB000;
const PM1_CONTROL: u16 = 0xB004;
const GPE0_STATUS: u16 = 0xAFE0;
const SLP_EN: u64 = 1 << 13;
const STORM: u64 = 20_000;

// ---------------------------------------------------------------------------
// Counters (the handlers run with interrupts off; the main loop only reads them at the end)

static mut INTERRUPTS: u64 = 0;
static mut GP_SKIPPED: u64 = 0;
static mut STORMS: u64 = 0;
static mut SINCE_PROGRESS: u64 = 0;
static mut SEEN: [u64; 4] = [0; 4];
static mut SCRATCH_PRESENT: bool = false;

// ---------------------------------------------------------------------------
// Port, MMIO and MSR access

fn out(port: u16, width: u32, v: u64) {
    unsafe {
        match width {
            1 => asm!("out dx, al", in("dx") port, in("al") v as u8, options(nomem, nostack, preserves_flags)),
            2 => asm!("out dx, ax", in("dx") port, in("ax") v as u16, options(nomem, nostack, preserves_flags)),
            _ => asm!("out dx, eax", in("dx") port, in("eax") v as u32, options(nomem, nostack, preserves_flags)),
        }
    }
}

fn inp(port: u16, width: u32) -> u64 {
    unsafe {
        match width {
            1 => {
                let v: u8;
                asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v as u64
            }
            2 => {
                let v: u16;
                asm!("in ax, dx", out("ax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v as u64
            }
            _ => {
                let v: u32;
                asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v as u64
            }
        }
    }
}

fn mmio_write(addr: u64, width: u32, v: u64) {
    unsafe {
        match width {
            1 => write_volatile(addr as *mut u8, v as u8),
            2 => write_volatile(addr as *mut u16, v as u16),
            4 => write_volatile(addr as *mut u32, v as u32),
            _ => write_volatile(addr as *mut u64, v),
        }
    }
}

fn mmio_read(addr: u64, width: u32) -> u64 {
    unsafe {
        match width {
            1 => read_volatile(addr as *const u8) as u64,
            2 => read_volatile(addr as *const u16) as u64,
            4 => read_volatile(addr as *const u32) as u64,
            _ => read_volatile(addr as *const u64),
        }
    }
}

/// RDMSR; a #GP (an MSR this mode lacks) is skipped by the handler and reads as 0.
fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    unsafe {
        asm!("xor eax, eax", "xor edx, edx", "rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi,
             options(nomem, nostack));
    }
    (hi as u64) << 32 | lo as u64
}

/// WRMSR; a #GP (an MSR this mode lacks, a reserved bit, a refused mode change) is skipped by the handler.
fn wrmsr(msr: u32, v: u64) {
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nomem, nostack));
    }
}

// ---------------------------------------------------------------------------
// Random numbers: xorshift64*, seeded from the cmdline

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A value as a fuzzer picks one: often small or all ones, sometimes any bits.
    fn value(&mut self) -> u64 {
        match self.below(8) {
            0 => 0,
            1 => u64::MAX,
            2 => self.below(4),
            3 => 1 << self.below(64),
            4 => self.below(0x100),
            _ => self.next(),
        }
    }

    fn width(&mut self) -> u32 {
        1 << self.below(3)
    }

    fn mmio_width(&mut self) -> u32 {
        1 << self.below(4)
    }
}

// ---------------------------------------------------------------------------
// The exclusions (see the module documentation)

/// An interrupt vector field (bits 0-7) at least 0x20.
fn safe_vector(v: u64) -> u64 {
    if v & 0xFF < 0x20 { v | 0x20 } else { v }
}

/// A delivery-mode field (bits 8-10) without SMI (2), INIT (5), SIPI (6) or reserved (3): fixed instead.
fn safe_delivery(v: u64) -> u64 {
    match (v >> 8) & 7 {
        2 | 3 | 5 | 6 => v & !(7 << 8),
        _ => v,
    }
}

fn safe_interrupt(v: u64) -> u64 {
    safe_delivery(safe_vector(v))
}

static mut PIC_EXPECTS_ICW2: [bool; 2] = [false; 2];
static mut KBC_EXPECTS_OUTPUT_PORT: bool = false;

/// A port write, unless it is one of the excluded ones; keeps the 8259s' and the 8042's state machines honest.
fn port_write(port: u16, width: u32, mut v: u64) {
    match port {
        0xF4..=0xF7 | 0x5C4 | 0xCF9 | 0x92 => return,
        0x20 | 0xA0 if width == 1 => unsafe {
            // ICW1 starts an initialisation; other command writes do not end it (the next data write is ICW2).
            if v & 0x10 != 0 {
                PIC_EXPECTS_ICW2[(port == 0xA0) as usize] = true;
            }
        },
        0x21 | 0xA1 if width == 1 => unsafe {
            let i = (port == 0xA1) as usize;
            if PIC_EXPECTS_ICW2[i] {
                v = if v & 0xF8 < 0x20 { v | 0x20 } else { v };
                PIC_EXPECTS_ICW2[i] = false;
            }
        },
        0x64 => {
            let c = v as u8;
            if c >= 0xF0 && c & 1 == 0 {
                return;
            }
            unsafe { KBC_EXPECTS_OUTPUT_PORT = c == 0xD1 };
        }
        0x60 => unsafe {
            if KBC_EXPECTS_OUTPUT_PORT {
                v |= 1;
                KBC_EXPECTS_OUTPUT_PORT = false;
            }
        },
        _ => {}
    }
    // Wider writes reach the ports above too (a word at 0x63 writes 0x64, a dword at 0xB002 writes 0xB004).
    if port <= 0x64 && port as u32 + width > 0x64 || port <= 0x60 && port as u32 + width > 0x60 {
        if width > 1 {
            return;
        }
    }
    if port <= PM1_CONTROL + 1 && port as u32 + width > PM1_CONTROL as u32 {
        let shift = 8 * (PM1_CONTROL as i32 - port as i32);
        let slp = if shift >= 0 { SLP_EN << shift } else { SLP_EN >> -shift };
        v &= !slp;
    }
    let wide_over = |lo: u32, hi: u32| width > 1 && port as u32 <= hi && port as u32 + width > lo;
    if port <= 0xF7 && port as u32 + width > 0xF4 || wide_over(0x20, 0x21) || wide_over(0xA0, 0xA1) || port <= 0xCF9 && port as u32 + width > 0xCF9
        || port <= 0x5C4 && port as u32 + width > 0x5C4 || port <= 0x92 && port as u32 + width > 0x92
    {
        return;
    }
    out(port, width, v);
}

// ---------------------------------------------------------------------------
// One random access

fn lapic_mode() -> u64 {
    rdmsr(IA32_APIC_BASE) & (APIC_BASE_ENABLE | APIC_BASE_EXTD)
}

fn fuzz_port(r: &mut Rng) {
    const PORTS: &[(u16, u16)] = &[
        (0x3F8, 8),  // COM1
        (0x40, 4),   // PIT
        (0x61, 1),   // port B
        (0x20, 2),   // 8259 master
        (0xA0, 2),   // 8259 slave
        (0x4D0, 2),  // ELCR
        (0x70, 2),   // RTC/CMOS
        (0x60, 1),   // 8042 data
        (0x64, 1),   // 8042 status/command
        (0xB000, 12), // ACPI PM1 event, control, timer
        (0xAFE0, 4), // GPE0
        (0xE9, 1),   // debug console
    ];
    let port = if r.below(16) == 0 {
        r.below(0x10000) as u16
    } else {
        let (base, len) = PORTS[r.below(PORTS.len() as u64) as usize];
        base + r.below(len as u64) as u16
    };
    let width = r.width();
    if r.below(2) == 0 {
        inp(port, width);
    } else {
        let v = r.value();
        port_write(port, width, v);
    }
}

fn fuzz_mmio(r: &mut Rng, base: u64, size: u64) {
    let width = r.mmio_width();
    let offset = if r.below(4) == 0 { r.below(size) } else { r.below(size / 4) * 4 } & !(width as u64 - 1);
    let offset = offset.min(size - width as u64);
    if r.below(2) == 0 {
        mmio_read(base + offset, width);
    } else {
        mmio_write(base + offset, width, r.value());
    }
}

fn fuzz_lapic(r: &mut Rng) {
    let mode = lapic_mode();
    if mode == APIC_BASE_ENABLE && r.below(2) == 0 {
        // xAPIC MMIO
        let reg = r.below(0x40) * 0x10;
        let mut v = r.value();
        match reg {
            0x300 => v = safe_interrupt(v),                        // ICR low sends
            0x320..=0x370 => v = safe_interrupt(v),                // LVTs
            0x380 => v = if r.below(2) == 0 { r.below(64) } else { v }, // tiny timer counts
            _ => {}
        }
        if r.below(3) == 0 {
            mmio_read(LAPIC + reg, 4);
        } else {
            mmio_write(LAPIC + reg, 4, v);
        }
        if r.below(8) == 0 {
            // a read of an odd width or offset (writes of odd widths could carry any vector)
            let width = r.mmio_width();
            mmio_read(LAPIC + (r.below(0x1000) & !(width as u64 - 1)).min(0x1000 - width as u64), width);
        }
    } else if r.below(6) == 0 {
        // mode changes: enable, disable, x2APIC and back (invalid transitions #GP and are skipped)
        let bits = [0, APIC_BASE_ENABLE, APIC_BASE_ENABLE | APIC_BASE_EXTD, APIC_BASE_EXTD][r.below(4) as usize];
        let base = rdmsr(IA32_APIC_BASE) & !(APIC_BASE_ENABLE | APIC_BASE_EXTD);
        wrmsr(IA32_APIC_BASE, base | bits);
    } else {
        // x2APIC MSRs (and the TSC deadline), whatever the mode
        let msr = if r.below(8) == 0 { 0x6E0 } else { 0x800 + r.below(0x40) as u32 };
        let mut v = r.value();
        match msr {
            0x830 | 0x832..=0x837 => v = safe_interrupt(v),
            0x83F => v = safe_vector(v) & 0xFF,
            0x838 => v = if r.below(2) == 0 { r.below(64) } else { v },
            0x6E0 => v = rdmsr(0x10).wrapping_add(r.below(100_000)),
            _ => {}
        }
        if r.below(3) == 0 {
            rdmsr(msr);
        } else {
            wrmsr(msr, v);
        }
    }
}

fn fuzz_ioapic(r: &mut Rng) {
    let index = if r.below(4) == 0 { r.below(0x100) } else { r.below(0x40) };
    mmio_write(IOAPIC, 4, index);
    let mut v = r.value();
    if (0x10..0x40).contains(&index) && index & 1 == 0 {
        v = safe_interrupt(v);
    }
    match r.below(5) {
        0 => {
            mmio_read(IOAPIC + 0x10, 4);
        }
        1 => mmio_write(IOAPIC + 0x40, 4, r.value()), // EOI register
        2 => {
            let width = r.mmio_width();
            mmio_read(IOAPIC + (r.below(0x50) & !(width as u64 - 1)).min(0x50 - width as u64), width);
        }
        _ => mmio_write(IOAPIC + 0x10, 4, v),
    }
}

fn fuzz_hpet(r: &mut Rng) {
    let reg = if r.below(4) == 0 { r.below(0x400) & !7 } else { [0, 0x10, 0x20, 0xF0, 0x100, 0x108, 0x110, 0x120, 0x128, 0x130, 0x140, 0x148, 0x150][r.below(13) as usize] };
    let mut v = r.value();
    if reg & 0x1F == 0x10 && reg >= 0x100 {
        v = safe_interrupt(v); // FSB message data (low half)
    }
    if reg & 0x1F == 0x08 && reg >= 0x100 && r.below(2) == 0 {
        v = r.below(200); // tiny comparators and periods
    }
    let width = if r.below(4) == 0 { 4 } else { 8 };
    if r.below(3) == 0 {
        mmio_read(HPET + reg, width);
    } else if reg & 0x1F == 0x10 && reg >= 0x100 && width == 8 {
        mmio_write(HPET + reg, 4, v);
    } else {
        mmio_write(HPET + reg, width, v);
    }
}

fn fuzz_scratch(r: &mut Rng) {
    fuzz_mmio(r, SCRATCH, 0x200);
}

fn step(r: &mut Rng) {
    match r.below(16) {
        0..=5 => fuzz_port(r),
        6..=8 => fuzz_lapic(r),
        9..=10 => fuzz_ioapic(r),
        11..=13 => fuzz_hpet(r),
        _ => {
            if unsafe { SCRATCH_PRESENT } {
                fuzz_scratch(r);
            } else {
                fuzz_port(r);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Interrupts

/// Quietens every source that holds a line up, then EOIs the 8259s and the local APIC.
fn acknowledge_all() {
    unsafe {
        outb(0x70, 0x0C);
        inb(0x71);
    }
    mmio_write(HPET + 0x20, 8, u64::MAX);
    for reg in [2u16, 5, 6, 0] {
        inp(io::COM1 + reg, 1);
    }
    if inp(0x64, 1) & 1 != 0 {
        inp(0x60, 1);
    }
    out(PM1_STATUS, 2, 0xFFFF);
    out(GPE0_STATUS, 2, 0xFFFF);
    if unsafe { SCRATCH_PRESENT } {
        mmio_write(SCRATCH + 0x28, 4, 0);
    }
    unsafe {
        outb(0xA0, 0x20);
        outb(0x20, 0x20);
    }
    match lapic_mode() {
        m if m == APIC_BASE_ENABLE | APIC_BASE_EXTD => wrmsr(X2APIC_EOI, 0),
        APIC_BASE_ENABLE => mmio_write(LAPIC + 0xB0, 4, 0),
        _ => {}
    }
}

/// Masks every interrupt source: after a storm, and before the report.
fn mask_everything() {
    unsafe {
        outb(0x21, 0xFF);
        outb(0xA1, 0xFF);
        outb(0x70, 0x0B);
        outb(0x71, 0x02);
    }
    out(io::COM1 + 1, 1, 0);
    mmio_write(HPET + 0x10, 8, 0);
    for pin in 0..24u64 {
        mmio_write(IOAPIC, 4, 0x10 + 2 * pin);
        mmio_write(IOAPIC + 0x10, 4, 1 << 16);
    }
    match lapic_mode() {
        m if m == APIC_BASE_ENABLE | APIC_BASE_EXTD => {
            for msr in 0x832..=0x837 {
                wrmsr(msr, 1 << 16);
            }
            wrmsr(0x838, 0);
            wrmsr(0x6E0, 0);
        }
        APIC_BASE_ENABLE => {
            for reg in (0x320..=0x370).step_by(0x10) {
                mmio_write(LAPIC + reg, 4, 1 << 16);
            }
            mmio_write(LAPIC + 0x380, 4, 0);
            wrmsr(0x6E0, 0);
        }
        _ => {}
    }
    out(PM1_STATUS + 2, 2, 0);
    out(GPE0_STATUS + 2, 2, 0);
    if unsafe { SCRATCH_PRESENT } {
        mmio_write(SCRATCH + 0x28, 4, 0);
    }
}

#[repr(C)]
struct Frame {
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

#[unsafe(no_mangle)]
extern "C" fn devfuzz_isr(frame: &mut Frame) {
    let v = frame.vector;
    unsafe {
        SEEN[(v / 64) as usize] |= 1 << (v % 64);
    }
    if v == 13 {
        let op = unsafe { read_volatile(frame.rip as *const [u8; 2]) };
        if op == [0x0F, 0x30] || op == [0x0F, 0x32] {
            unsafe { GP_SKIPPED += 1 };
            frame.rip += 2;
            return;
        }
    }
    if v < 0x20 && v != 2 {
        mask_everything();
        io::Serial::new(io::COM1).init();
        println!();
        println!("FAIL: exception {} (error code {:#x}) at {:#x}", v, frame.error, frame.rip);
        io::exit(io::EXIT_FAILURE);
    }
    unsafe {
        INTERRUPTS += 1;
        SINCE_PROGRESS += 1;
        if SINCE_PROGRESS >= STORM {
            STORMS += 1;
            SINCE_PROGRESS = 0;
            mask_everything();
        }
    }
    acknowledge_all();
}

// Stubs: vectors with an error code push only their number, the rest push 0 first.
global_asm!(
    ".pushsection .text.devfuzz_isr, \"ax\", @progbits",
    ".irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31,32,33,34,35,36,37,38,39,40,41",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255",
    "devfuzz_isr_\\n:", "push 0", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    ".irp n, 8,10,11,12,13,14,17,21,29,30",
    "devfuzz_isr_\\n:", "push \\n", "jmp devfuzz_isr_common",
    ".endr",
    "devfuzz_isr_common:",
    "cld",
    "push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push r8", "push r9", "push r10", "push r11",
    "lea rdi, [rsp + 80]",
    "mov rbx, rsp",
    "and rsp, -16",
    "call devfuzz_isr",
    "mov rsp, rbx",
    "pop r11", "pop r10", "pop r9", "pop r8", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
    "add rsp, 16",
    "iretq",
    ".popsection",
    ".pushsection .rodata.devfuzz_isr_table, \"a\", @progbits",
    ".balign 8",
    "devfuzz_isr_table:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".irp n, 224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255",
    ".quad devfuzz_isr_\\n",
    ".endr",
    ".popsection",
);

unsafe extern "C" {
    static devfuzz_isr_table: [u64; 256];
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
        let table = &*addr_of!(devfuzz_isr_table);
        let idt = &mut *addr_of_mut!(IDT);
        for (v, &h) in table.iter().enumerate() {
            // interrupt gate, DPL 0, present
            idt.0[v] = [(h & 0xFFFF) | (cs as u64) << 16 | 0xE << 40 | 1 << 47 | ((h >> 16) & 0xFFFF) << 48, h >> 32];
        }
        let idtr = TableRegister { limit: 256 * 16 - 1, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

// ---------------------------------------------------------------------------

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const EXECUTABLE_CMDLINE) }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let cmd = cmdline();
    let seed = cmdline_value(cmd, b"seed").and_then(parse_u64).unwrap_or(1);
    let accesses = cmdline_value(cmd, b"accesses").and_then(parse_u64).unwrap_or(20_000);
    unsafe {
        SCRATCH_PRESENT = cmd.split(|b| b.is_ascii_whitespace()).any(|w| w == b"scratch");
    }
    println!("devfuzz: seed={} accesses={}", seed, accesses);
    load_idt();
    // The 8259s as every kernel sets them up first: vectors 0x20-0x2F, all masked (their power-on base 0x08
    // would put IRQ 0 on the double-fault vector).
    for (cmd, data, base, cascade) in [(0x20u16, 0x21u16, 0x20u8, 4u8), (0xA0, 0xA1, 0x28, 2)] {
        unsafe {
            outb(cmd, 0x11);
            outb(data, base);
            outb(data, cascade);
            outb(data, 0x01);
            outb(data, 0xFF);
        }
    }
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    unsafe { asm!("sti", options(nomem, nostack)) };
    for _ in 0..accesses {
        step(&mut r);
        unsafe {
            asm!("cli", options(nomem, nostack));
            SINCE_PROGRESS = 0;
            asm!("sti", options(nomem, nostack));
        }
    }
    unsafe { asm!("cli", options(nomem, nostack)) };
    mask_everything();
    io::Serial::new(io::COM1).init();
    let (interrupts, gp, storms, seen) = unsafe { (INTERRUPTS, GP_SKIPPED, STORMS, SEEN) };
    let vectors: u32 = seen.iter().map(|w| w.count_ones()).sum();
    println!();
    println!("devfuzz: seed={} accesses={} interrupts={} vectors={} gp={} storms={}", seed, accesses, interrupts,
             vectors, gp, storms);
    io::exit(io::EXIT_SUCCESS)
}

kernel_support::report_panics!();
