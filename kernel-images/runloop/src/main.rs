// SPDX-License-Identifier: GPL-2.0-or-later
//! `runloop`: what the emulator's run loop must get right, checked from inside.
//!
//! 1. RDMSR/WRMSR in code the kernel writes at run time: machine code copied
//!    into a fresh page of usable memory (reached through the HHDM, which
//!    Limine maps executable) writes and reads back TSC_AUX, reads
//!    IA32_APIC_BASE (must equal the value read from the kernel's own text:
//!    0xfee00000 base, enabled, BSP) and reads an MSR no CPU has, which must
//!    raise #GP(0) (the handler skips the 2-byte RDMSR).
//! 2. A TSC-deadline timer (x2APIC LVT timer in TSC-deadline mode, IA32_TSC_DEADLINE)
//!    armed while the CPU spins without HLT or PAUSE fires within 10 us of its
//!    deadline: the handler reads the TSC. Prints the largest lateness in TSC
//!    ticks (`timer: max lateness <n> ticks`; ns at limu's 1 GHz TSC).
//! 3. Every CPU of the MP response takes a spinlock (compare_exchange, PAUSE
//!    while it is held) SPIN_ROUNDS times and adds 1 to a plain (non-atomic)
//!    counter inside it: the total must be exact.
//!
//! Exits 0x10 when every check passed, else 0x11.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

use core::arch::{asm, global_asm};
use core::hint::spin_loop;
use core::ptr::addr_of;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use checks::Checks;
use io::EXIT_FAILURE;
use limine::*;

kernel_support::report_panics!();

kernel_support::limine_requests! {
    base_revision: 3;
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
}

const IA32_APIC_BASE: u32 = 0x1b;
const IA32_TSC_DEADLINE: u32 = 0x6e0;
const IA32_TSC_AUX: u32 = 0xc000_0103;
/// No processor defines it: RDMSR must fault.
const UNKNOWN_MSR: u32 = 0x0bad_0000;
const X2APIC_EOI: u32 = 0x80b;
const X2APIC_SVR: u32 = 0x80f;
const X2APIC_LVT_TIMER: u32 = 0x832;
const TIMER_VECTOR: u64 = 0x40;
/// LVT timer mode bits 17-18 = 10b (SDM vol. 3A, 11.5.1).
const LVT_TSC_DEADLINE: u64 = 2 << 17;
const MAX_LATENESS_TICKS: u64 = 10_000;
const SPIN_ROUNDS: u64 = 20_000;

fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

fn wrmsr(msr: u32, v: u64) {
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack)) };
}

fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

// ---- a two-gate IDT: #GP (skips a faulting 2-byte RDMSR) and the timer ----

static GP_COUNT: AtomicU64 = AtomicU64::new(0);
static GP_ERROR: AtomicU64 = AtomicU64::new(u64::MAX);
static TIMER_TSC: AtomicU64 = AtomicU64::new(0);

global_asm!(
    ".pushsection .text.runloop_isr, \"ax\", @progbits",
    "runloop_gp:",
    "push rax",
    "mov rax, [rsp + 8]",
    "mov [rip + {gp_error}], rax",
    "lock inc qword ptr [rip + {gp_count}]",
    "add qword ptr [rsp + 16], 2",
    "pop rax",
    "add rsp, 8",
    "iretq",
    "runloop_timer:",
    "push rax", "push rcx", "push rdx",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rip + {timer_tsc}], rax",
    "mov ecx, {eoi}",
    "xor eax, eax",
    "xor edx, edx",
    "wrmsr",
    "pop rdx", "pop rcx", "pop rax",
    "iretq",
    ".popsection",
    gp_error = sym GP_ERROR,
    gp_count = sym GP_COUNT,
    timer_tsc = sym TIMER_TSC,
    eoi = const X2APIC_EOI,
);

unsafe extern "C" {
    fn runloop_gp();
    fn runloop_timer();
}

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

#[repr(C, packed)]
struct TableRegister {
    limit: u16,
    base: u64,
}

fn gate(handler: u64, cs: u16) -> [u64; 2] {
    let lo = (handler & 0xffff) | ((cs as u64) << 16) | (0xe << 40) | (1 << 47) | (((handler >> 16) & 0xffff) << 48);
    [lo, handler >> 32]
}

fn load_idt() {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
        IDT.0[13] = gate(runloop_gp as *const () as u64, cs);
        IDT.0[TIMER_VECTOR as usize] = gate(runloop_timer as *const () as u64, cs);
        let idtr = TableRegister { limit: 256 * 16 - 1, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

// ---- 1: RDMSR/WRMSR in code written at run time ----

/// `mov ecx, imm32; mov eax, edi; mov edx, esi; wrmsr; ret` with the MSR patched in at offset 1.
const WRITE_MSR: [u8; 12] = [0xb9, 0, 0, 0, 0, 0x89, 0xf8, 0x89, 0xf2, 0x0f, 0x30, 0xc3];
/// `mov ecx, imm32; xor eax, eax; xor edx, edx; rdmsr; shl rdx, 32; or rax, rdx; ret`.
const READ_MSR: [u8; 19] = [
    0xb9, 0, 0, 0, 0, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x32, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0xc3,
];

/// Copies `code` to `at` with the MSR number in its immediate; returns it as a function.
unsafe fn place(at: *mut u8, code: &[u8], msr: u32) -> extern "sysv64" fn(u64, u64) -> u64 {
    unsafe {
        for (i, &b) in code.iter().enumerate() {
            core::ptr::write_volatile(at.add(i), b);
        }
        for (i, b) in msr.to_le_bytes().iter().enumerate() {
            core::ptr::write_volatile(at.add(1 + i), *b);
        }
        core::mem::transmute::<*mut u8, extern "sysv64" fn(u64, u64) -> u64>(at)
    }
}

/// A usable page above 1 MiB that the kernel does not otherwise use (the loader never hands it out).
fn fresh_page() -> Option<u64> {
    let m = unsafe { response(&raw const MEMMAP) }?;
    (0..m.entry_count as usize)
        .map(|i| unsafe { m.entry(i) })
        .find(|e| e.entry_type == MEMMAP_USABLE && e.base >= 0x10_0000 && e.length >= 0x2000)
        .map(|e| e.base)
}

fn msrs_in_written_code(c: &mut Checks) {
    let (Some(hhdm), Some(page)) = (unsafe { response(&raw const HHDM) }, fresh_page()) else {
        c.check(format_args!("HHDM and a usable page"), false, format_args!("missing"));
        return;
    };
    let base = (hhdm.offset + page) as *mut u8;
    unsafe {
        let write_aux = place(base, &WRITE_MSR, IA32_TSC_AUX);
        let read_aux = place(base.add(64), &READ_MSR, IA32_TSC_AUX);
        let read_apic_base = place(base.add(128), &READ_MSR, IA32_APIC_BASE);
        let read_unknown = place(base.add(192), &READ_MSR, UNKNOWN_MSR);

        write_aux(0x5a5a_1234, 0);
        let aux = read_aux(0, 0);
        c.check(format_args!("written code: WRMSR then RDMSR TSC_AUX"), aux == 0x5a5a_1234,
                format_args!("read {:#x}", aux));
        let from_text = rdmsr(IA32_TSC_AUX);
        c.check(format_args!("kernel text reads the same TSC_AUX"), from_text == 0x5a5a_1234,
                format_args!("read {:#x}", from_text));

        let apic_base = read_apic_base(0, 0);
        let expected = rdmsr(IA32_APIC_BASE);
        c.check(format_args!("written code: RDMSR IA32_APIC_BASE == {:#x}", expected),
                apic_base == expected && apic_base & 0xffff_f000 == 0xfee0_0000 && apic_base & (1 << 8) != 0,
                format_args!("read {:#x}", apic_base));

        let before = GP_COUNT.load(Ordering::SeqCst);
        let v = read_unknown(0, 0);
        let faults = GP_COUNT.load(Ordering::SeqCst) - before;
        let error = GP_ERROR.load(Ordering::SeqCst);
        c.check(format_args!("written code: RDMSR of an unknown MSR raises #GP(0)"), faults == 1 && error == 0,
                format_args!("{} faults, error code {:#x}, value {:#x}", faults, error, v));
    }
}

// ---- 2: a TSC-deadline timer while spinning ----

fn tsc_deadline_while_spinning(c: &mut Checks) {
    // x2APIC mode (IA32_APIC_BASE bits 10 and 11): the LVT and EOI become MSRs
    wrmsr(IA32_APIC_BASE, rdmsr(IA32_APIC_BASE) | (1 << 10) | (1 << 11));
    wrmsr(X2APIC_SVR, 0x1ff);
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LVT_TSC_DEADLINE);
    unsafe { asm!("sti", options(nomem, nostack)) };
    let mut worst = 0;
    let mut early = 0;
    let mut missed = 0;
    for delay in [1_000u64, 7_000, 50_000, 333_333, 1_000_003] {
        TIMER_TSC.store(0, Ordering::SeqCst);
        let deadline = rdtsc() + delay;
        wrmsr(IA32_TSC_DEADLINE, deadline);
        let give_up = deadline + 10 * delay + 10_000_000;
        let mut fired = 0;
        // spin without HLT or PAUSE: only the slice's end at the deadline can deliver it on time
        while fired == 0 && rdtsc() < give_up {
            fired = TIMER_TSC.load(Ordering::SeqCst);
        }
        if fired == 0 {
            missed += 1;
        } else if fired < deadline {
            early += 1;
        } else {
            worst = worst.max(fired - deadline);
        }
    }
    unsafe { asm!("cli", options(nomem, nostack)) };
    println!("timer: max lateness {} ticks", worst);
    c.check(format_args!("TSC-deadline timer fires every time, never early"), missed == 0 && early == 0,
            format_args!("{} missed, {} early", missed, early));
    c.check(format_args!("TSC-deadline timer lateness below {} ticks", MAX_LATENESS_TICKS),
            worst < MAX_LATENESS_TICKS, format_args!("{} ticks late", worst));
}

// ---- 3: a PAUSE spinlock on every CPU ----

static LOCK: AtomicBool = AtomicBool::new(false);
static mut SHARED: u64 = 0;
static DONE: AtomicUsize = AtomicUsize::new(0);
static CONTENDED: AtomicU64 = AtomicU64::new(0);

fn contend() {
    for _ in 0..SPIN_ROUNDS {
        let mut waited = false;
        while LOCK.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            waited = true;
            while LOCK.load(Ordering::Relaxed) {
                spin_loop();
            }
        }
        unsafe { SHARED = core::ptr::read_volatile(&raw const SHARED) + 1 };
        LOCK.store(false, Ordering::Release);
        if waited {
            CONTENDED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

extern "C" fn ap_entry(_info: *const MpInfo) -> ! {
    contend();
    DONE.fetch_add(1, Ordering::SeqCst);
    io::halt_forever()
}

fn spinlock_on_all_cpus(c: &mut Checks) {
    let Some(r) = (unsafe { response(&raw const MP) }) else {
        c.check(format_args!("MP response"), false, format_args!("missing"));
        return;
    };
    let n = r.cpu_count as usize;
    for i in 0..n {
        let info = unsafe { &*r.cpu(i) };
        if info.lapic_id != r.bsp_lapic_id {
            info.goto_address.store(ap_entry as *const () as u64, Ordering::SeqCst);
        }
    }
    contend();
    while DONE.load(Ordering::SeqCst) < n - 1 {
        spin_loop();
    }
    let total = unsafe { core::ptr::read_volatile(&raw const SHARED) };
    println!("spinlock: {} CPUs, counter {}", n, total);
    c.check(format_args!("spinlock counter == {} CPUs x {}", n, SPIN_ROUNDS), total == n as u64 * SPIN_ROUNDS,
            format_args!("counter {}", total));
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
    load_idt();
    msrs_in_written_code(&mut c);
    tsc_deadline_while_spinning(&mut c);
    spinlock_on_all_cpus(&mut c);
    io::exit_pass_fail(c.failed == 0)
}
