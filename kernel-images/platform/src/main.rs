// SPDX-License-Identifier: GPL-2.0-or-later
//! `platform`: a crate-free kernel that finds the PC's devices through ACPI
//! and checks them from the inside (see README.md): ACPI tables and
//! checksums; 10 ms measured with the HPET, the PIT (channel 2 through port
//! 0x61) and the ACPI PM timer, each compared with the TSC; the RTC against
//! the date at boot; the 8259s remapped and masked; the local APIC timer
//! (periodic, 1 kHz from a measured bus clock) and HPET timer 0 (periodic,
//! 100 Hz through the I/O APIC) counted over one virtual second; a one-shot
//! APIC timer and a TSC-deadline timer slept for in `sti; hlt`; fixed IPIs
//! between CPUs, a self IPI and broadcasts. Prints
//!
//! ```text
//! ok: <what>
//! FAIL: <what> (<details>)
//! platform: N checks, M failed
//! ```
//!
//! (measured numbers on lines starting with two spaces), then exits through
//! isa-debug-exit: 0x10 if every check passed, else 0x11.
//!
//! Cmdline words: `cpus=N` (MP cpu_count must be N; IPIs go to every AP),
//! `x2apic` (use the local APICs in x2APIC mode instead of xAPIC MMIO).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

mod acpi;
mod hw;
mod idt;

use core::arch::global_asm;
use core::fmt;
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use hw::*;
use io::{EXIT_FAILURE, inb, outb};
use limine::*;

// ---------------------------------------------------------------------------
// Requests: base revision 4, so the HHDM covers the ACPI tables and the RSDP
// response is an HHDM address.

kernel_support::limine_requests! {
    base_revision: 4;
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    RSDP: Request<RsdpResponse> = Request::new(RSDP_ID, 0, ());
    DATE_AT_BOOT: Request<DateAtBootResponse> = Request::new(DATE_AT_BOOT_ID, 0, ());
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    EXECUTABLE_ADDRESS: Request<ExecutableAddressResponse> = Request::new(EXECUTABLE_ADDRESS_ID, 0, ());
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
}

// ---------------------------------------------------------------------------
// Checks

pub struct Checks {
    total: u32,
    failed: u32,
}

impl Checks {
    pub fn check(&mut self, what: &str, ok: bool, details: fmt::Arguments<'_>) -> bool {
        self.total += 1;
        if ok {
            println!("ok: {}", what);
        } else {
            self.failed += 1;
            println!("FAIL: {} ({})", what, details);
        }
        ok
    }
}

/// |value - want| <= want * permille / 1000
fn within(value: u64, want: u64, permille: u64) -> bool {
    value.abs_diff(want) as u128 * 1000 <= want as u128 * permille as u128
}

// ---------------------------------------------------------------------------
// Interrupt counts: per APIC ID (< MAX_CPUS) and vector.

const MAX_CPUS: usize = 16;
const V_TIMER: usize = 0x40;
const V_HPET: usize = 0x41;
const V_IPI: usize = 0x42;
const V_SELF: usize = 0x43;
const V_ALL_BUT_SELF: usize = 0x44;
const V_ONE_SHOT: usize = 0x45;
const V_DEADLINE: usize = 0x46;
const V_ALL: usize = 0x47;
const V_ERROR: usize = 0xFE;
const V_SPURIOUS: usize = 0xFF;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ROW: [AtomicU64; 256] = [ZERO; 256];
static COUNTS: [[AtomicU64; 256]; MAX_CPUS] = [ROW; MAX_CPUS];
/// Interrupts through the (masked) 8259s.
static PIC_INTERRUPTS: AtomicU64 = AtomicU64::new(0);

fn count(cpu: u32, vector: usize) -> u64 {
    COUNTS[cpu as usize % MAX_CPUS][vector].load(Ordering::SeqCst)
}

fn reset(cpu: u32, vector: usize) {
    COUNTS[cpu as usize % MAX_CPUS][vector].store(0, Ordering::SeqCst);
}

pub extern "C" fn isr(f: &mut idt::Frame) {
    let v = f.vector as usize;
    match v {
        0..=31 => {
            println!(
                "FAIL: exception {} error {:#x} at {:#x} on APIC {}",
                v,
                f.error,
                f.rip,
                apic_id()
            );
            io::exit(EXIT_FAILURE);
        }
        0x20..=0x2F => {
            PIC_INTERRUPTS.fetch_add(1, Ordering::SeqCst);
            unsafe {
                if v >= 0x28 {
                    outb(0xA0, 0x20);
                }
                outb(0x20, 0x20);
            }
        }
        _ => {
            COUNTS[apic_id() as usize % MAX_CPUS][v].fetch_add(1, Ordering::SeqCst);
            if v != V_SPURIOUS {
                apic_eoi();
            }
        }
    }
}

// ---------------------------------------------------------------------------

fn cmdline() -> &'static [u8] {
    unsafe {
        response(&raw const EXECUTABLE_CMDLINE)
            .map(|r| c_str(r.cmdline, 256))
            .unwrap_or(&[])
    }
}

fn cmdline_has(word: &[u8]) -> bool {
    cmdline().split(|&b| b == b' ').any(|w| w == word)
}

fn cmdline_value(key: &[u8]) -> Option<u64> {
    cmdline().split(|&b| b == b' ').find_map(|w| {
        let v = w.strip_prefix(key)?.strip_prefix(b"=")?;
        core::str::from_utf8(v).ok()?.parse().ok()
    })
}

/// Waits `ns` of virtual time, measured with the HPET.
fn hpet_delay(ns: u64) {
    let h0 = hpet_now();
    let t = hpet_ticks(ns);
    while hpet_now().wrapping_sub(h0) < t {
        spin_loop();
    }
}

static TSC_HZ: AtomicU64 = AtomicU64::new(1_000_000_000);

fn tsc_ns(ticks: u64) -> u64 {
    (ticks as u128 * 1_000_000_000 / TSC_HZ.load(Ordering::Relaxed) as u128) as u64
}

fn tsc_ticks(ns: u64) -> u64 {
    (ns as u128 * TSC_HZ.load(Ordering::Relaxed) as u128 / 1_000_000_000) as u64
}

const MS: u64 = 1_000_000;
const SECOND: u64 = 1_000_000_000;

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let mut c = Checks { total: 0, failed: 0 };
    println!("platform: cmdline \"{}\"", io::Escaped(cmdline()));

    let tag = unsafe { core::ptr::read_volatile(&raw const BASE_REVISION) };
    if !c.check(
        "base revision 4 supported",
        tag[2] == 0 && tag[1] == 4,
        format_args!("tag {:#x} {:#x}", tag[1], tag[2]),
    ) {
        finish(&c);
    }
    let Some(hhdm) = (unsafe { response(&raw const HHDM) }).map(|h| h.offset) else {
        c.check("HHDM response", false, format_args!("none"));
        finish(&c);
    };
    let Some(exec) = (unsafe { response(&raw const EXECUTABLE_ADDRESS) }) else {
        c.check("executable address response", false, format_args!("none"));
        finish(&c);
    };
    let Some(rsdp) = (unsafe { response(&raw const RSDP) }) else {
        c.check("RSDP response", false, format_args!("none"));
        finish(&c);
    };

    // --- ACPI ---------------------------------------------------------------
    let Some(plat) = acpi::parse(&mut c, hhdm, rsdp.address) else {
        c.check("LAPIC, I/O APIC and HPET found in ACPI", false, format_args!("missing"));
        finish(&c);
    };
    println!(
        "  platform: LAPIC {:#x} I/O APIC {:#x} (GSI base {}) HPET {:#x} PM timer port {:#x} IRQ0 -> GSI {}",
        plat.lapic_address,
        plat.ioapic_address,
        plat.ioapic_gsi_base,
        plat.hpet_address,
        plat.pm_timer_port,
        plat.irq0_gsi
    );

    match mmio_init(hhdm, exec.physical_base, exec.virtual_base) {
        Ok(slot) => println!("  mmio: uncached window at PML4 slot {}", slot),
        Err(e) => {
            c.check("uncached MMIO window", false, format_args!("{}", e));
            finish(&c);
        }
    }
    let (Some(lapic_va), Some(ioapic_va), Some(hpet_va)) = (
        mmio_map(plat.lapic_address, 4096),
        mmio_map(plat.ioapic_address, 0x20),
        mmio_map(plat.hpet_address, 0x400),
    ) else {
        c.check("map LAPIC, I/O APIC, HPET", false, format_args!("window full"));
        finish(&c);
    };
    apic_set_mmio(lapic_va);
    ioapic_set_mmio(ioapic_va);

    // --- CPUID: TSC frequency ------------------------------------------------
    let max_leaf = cpuid(0, 0)[0];
    let l15 = if max_leaf >= 0x15 { cpuid(0x15, 0) } else { [0; 4] };
    let l16 = if max_leaf >= 0x16 { cpuid(0x16, 0) } else { [0; 4] };
    let tsc_hz = if l15[0] != 0 && l15[1] != 0 && l15[2] != 0 {
        l15[2] as u64 * l15[1] as u64 / l15[0] as u64
    } else if l16[0] != 0 {
        l16[0] as u64 * 1_000_000
    } else {
        1_000_000_000
    };
    TSC_HZ.store(tsc_hz, Ordering::SeqCst);
    println!(
        "  cpuid: leaf 0x15 {:x?} leaf 0x16 {:x?}: TSC {} Hz",
        l15, l16, tsc_hz
    );
    c.check(
        "CPUID 0x15/0x16: TSC 1 GHz",
        tsc_hz == 1_000_000_000 && l16[0] == 1000,
        format_args!("{} Hz, leaf 0x16 base {} MHz", tsc_hz, l16[0]),
    );
    let features = cpuid(1, 0);
    let has_x2apic = features[2] & (1 << 21) != 0;
    let has_deadline = features[2] & (1 << 24) != 0;

    // --- HPET ---------------------------------------------------------------
    let cap = unsafe { core::ptr::read_volatile(hpet_va as *const u64) };
    let period_fs = cap >> 32;
    let timers = ((cap >> 8) & 0x1f) + 1;
    println!(
        "  hpet: capabilities {:#018x}: period {} fs, {} timers, 64-bit {}, legacy {}",
        cap,
        period_fs,
        timers,
        cap & (1 << 13) != 0,
        cap & (1 << 15) != 0
    );
    c.check(
        "HPET: 10 ns period, 3 timers, 64-bit, legacy-replacement capable",
        period_fs == 10_000_000 && timers == 3 && cap & (1 << 13) != 0 && cap & (1 << 15) != 0,
        format_args!("cap {:#018x}", cap),
    );
    if !(100_000..=100_000_000).contains(&period_fs) {
        finish(&c);
    }
    hpet_set_mmio(hpet_va, period_fs);
    hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) & !(HPET_ENABLE | HPET_LEGACY));
    let stopped = hpet_now();
    let a = rdtsc();
    while rdtsc() - a < tsc_ticks(MS) {
        spin_loop();
    }
    c.check(
        "HPET main counter holds while disabled",
        hpet_now() == stopped,
        format_args!("{} then {}", stopped, hpet_now()),
    );
    hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) | HPET_ENABLE);

    // 10 ms by the HPET, against the TSC.
    let t0 = rdtsc();
    let h0 = hpet_now();
    while hpet_now() - h0 < hpet_ticks(10 * MS) {
        spin_loop();
    }
    let t1 = rdtsc();
    let h1 = hpet_now();
    let dt = t1 - t0;
    println!(
        "  hpet: 10 ms = {} HPET ticks, {} TSC ticks ({} ns by the TSC)",
        h1 - h0,
        dt,
        tsc_ns(dt)
    );
    c.check(
        "10 ms by the HPET = 10,000,000 TSC ticks +- 1%",
        within(dt, tsc_ticks(10 * MS), 10),
        format_args!("{} TSC ticks", dt),
    );

    // --- PIT channel 2, mode 0, gate and OUT2 through port 0x61 --------------
    const PIT_HZ: u64 = 1_193_182;
    let pit_count: u64 = (PIT_HZ + 50) / 100; // 11932: 10.00015 ms
    let pit_ns = pit_count * SECOND / PIT_HZ;
    let (t0, h0, t1, h1, timed_out);
    unsafe {
        let port_b = inb(0x61);
        outb(0x61, (port_b & !0x02) | 0x01); // gate 2 high, speaker off
        outb(0x43, 0xB0); // channel 2, lobyte/hibyte, mode 0, binary
        outb(0x42, pit_count as u8);
        outb(0x42, (pit_count >> 8) as u8);
        t0 = rdtsc();
        h0 = hpet_now();
        let mut to = false;
        while inb(0x61) & 0x20 == 0 {
            if hpet_now() - h0 > hpet_ticks(100 * MS) {
                to = true;
                break;
            }
        }
        t1 = rdtsc();
        h1 = hpet_now();
        timed_out = to;
        outb(0x61, port_b & !0x03);
    }
    let dt = t1 - t0;
    println!(
        "  pit: count {} ({} ns): {} TSC ticks, {} ns by the HPET",
        pit_count,
        pit_ns,
        dt,
        hpet_ns(h1 - h0)
    );
    c.check(
        "10 ms by PIT channel 2 (OUT2 in port 0x61) = TSC +- 1%",
        !timed_out && within(dt, tsc_ticks(pit_ns), 10),
        format_args!("{} TSC ticks, timed out {}", dt, timed_out),
    );
    c.check(
        "10 ms by PIT channel 2 = HPET +- 1%",
        !timed_out && within(hpet_ns(h1 - h0), pit_ns, 10),
        format_args!("{} ns by the HPET", hpet_ns(h1 - h0)),
    );

    // --- ACPI PM timer --------------------------------------------------------
    const PM_HZ: u64 = 3_579_545;
    let pm_count: u64 = (PM_HZ + 50) / 100; // 35795: 9.999874 ms
    let pm_ns = pm_count * SECOND / PM_HZ;
    let port = plat.pm_timer_port;
    let t0 = rdtsc();
    let h0 = hpet_now();
    let p0 = inl(port) & 0xFF_FFFF;
    let mut timed_out = false;
    let mut p: u32;
    loop {
        p = inl(port) & 0xFF_FFFF;
        if (p.wrapping_sub(p0) & 0xFF_FFFF) as u64 >= pm_count {
            break;
        }
        if hpet_now() - h0 > hpet_ticks(100 * MS) {
            timed_out = true;
            break;
        }
    }
    let t1 = rdtsc();
    let h1 = hpet_now();
    let dt = t1 - t0;
    println!(
        "  pm timer: port {:#x} read {:#x} then {:#x}, count {} ({} ns): {} TSC ticks, {} ns by the HPET",
        port,
        p0,
        p,
        pm_count,
        pm_ns,
        dt,
        hpet_ns(h1 - h0)
    );
    c.check(
        "10 ms by the ACPI PM timer = TSC +- 1%",
        !timed_out && within(dt, tsc_ticks(pm_ns), 10),
        format_args!("{} TSC ticks, timed out {}", dt, timed_out),
    );

    // --- RTC --------------------------------------------------------------------
    rtc_check(&mut c, plat.century_register);

    // --- IDT, 8259s ----------------------------------------------------------------
    idt::build();
    idt::load();
    unsafe {
        outb(0x20, 0x11); // ICW1: edge, cascade, ICW4
        outb(0xA0, 0x11);
        outb(0x21, 0x20); // ICW2: vector bases
        outb(0xA1, 0x28);
        outb(0x21, 4); // ICW3: slave on IRQ2
        outb(0xA1, 2); // slave identity 2
        outb(0x21, 1); // ICW4: 8086 mode
        outb(0xA1, 1);
        outb(0x21, 0xFF); // OCW1: mask everything
        outb(0xA1, 0xFF);
    }
    let (m1, m2) = unsafe { (inb(0x21), inb(0xA1)) };
    c.check(
        "8259s remapped to 0x20/0x28 and masked (IMR reads 0xFF)",
        m1 == 0xFF && m2 == 0xFF,
        format_args!("IMR {:#04x} {:#04x}", m1, m2),
    );

    // --- Local APIC ------------------------------------------------------------
    let x2 = cmdline_has(b"x2apic");
    if x2 && !c.check("x2APIC in CPUID (cmdline x2apic)", has_x2apic, format_args!("CPUID.1:ECX {:#x}", features[2])) {
        finish(&c);
    }
    let apic_base = rdmsr(IA32_APIC_BASE);
    c.check(
        "IA32_APIC_BASE: enabled, BSP, base == MADT LAPIC address",
        apic_base & (1 << 11) != 0 && apic_base & (1 << 8) != 0 && apic_base & !0xFFF == plat.lapic_address,
        format_args!("{:#x}", apic_base),
    );
    apic_use_x2apic(x2);
    apic_enable_here(V_ERROR as u8);
    let bsp = apic_id();
    let version = apic_read(APIC_VERSION);
    println!(
        "  lapic: mode {}, id {}, version {:#x}, IA32_APIC_BASE {:#x}",
        if x2 { "x2APIC" } else { "xAPIC" },
        bsp,
        version,
        rdmsr(IA32_APIC_BASE)
    );
    c.check(
        "LAPIC version 0x14, 6 LVT entries",
        version & 0xFF == 0x14 && (version >> 16) & 0xFF == 5,
        format_args!("{:#x}", version),
    );
    c.check(
        "LAPIC ID == CPUID initial APIC ID",
        bsp == features[1] >> 24,
        format_args!("id {} cpuid {}", bsp, features[1] >> 24),
    );
    c.check(
        "LAPIC SVR enabled, spurious vector 0xFF",
        apic_read(APIC_SVR) & 0x1FF == 0x1FF,
        format_args!("{:#x}", apic_read(APIC_SVR)),
    );

    // Bus clock: a masked one-shot count down from 0xFFFFFFFF for 10 ms (HPET), divide 16.
    apic_write(APIC_TIMER_DIVIDE, 0x3);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | V_TIMER as u32);
    apic_write(APIC_TIMER_INITIAL, u32::MAX);
    hpet_delay(10 * MS);
    let current = apic_read(APIC_TIMER_CURRENT);
    apic_write(APIC_TIMER_INITIAL, 0);
    let per_10ms = (u32::MAX - current) as u64;
    let bus_hz = per_10ms * 16 * 100;
    let per_ms = per_10ms / 10;
    println!(
        "  lapic: timer counted {} in 10 ms at divide 16: bus clock {} Hz, 1 kHz initial count {}",
        per_10ms, bus_hz, per_ms
    );
    c.check("LAPIC timer counts (bus clock measured)", per_ms > 0, format_args!("{} in 10 ms", per_10ms));

    // Periodic LAPIC timer at 1 kHz over one HPET second, in sti; hlt.
    reset(bsp, V_TIMER);
    apic_write(APIC_LVT_TIMER, TIMER_PERIODIC | V_TIMER as u32);
    apic_write(APIC_TIMER_INITIAL, per_ms.max(1) as u32);
    let h0 = hpet_now();
    let t0 = rdtsc();
    let mut wakes = 0u64;
    while hpet_now() - h0 < hpet_ticks(SECOND) {
        sti_hlt_cli();
        wakes += 1;
    }
    apic_write(APIC_LVT_TIMER, LVT_MASKED | V_TIMER as u32);
    apic_write(APIC_TIMER_INITIAL, 0);
    let ticks = count(bsp, V_TIMER);
    println!(
        "  lapic: periodic 1 kHz: {} interrupts in one HPET second ({} wakes, {} TSC ticks)",
        ticks,
        wakes,
        rdtsc() - t0
    );
    c.check(
        "LAPIC periodic timer: 1000 +- 2 interrupts per virtual second",
        ticks.abs_diff(1000) <= 2,
        format_args!("{}", ticks),
    );

    // --- HPET timer 0, periodic 100 Hz, through the I/O APIC ---------------------
    let ioapic_version = ioapic_read(1);
    let pins = ((ioapic_version >> 16) & 0xFF) + 1;
    println!("  ioapic: version {:#x}, {} pins", ioapic_version, pins);
    c.check("I/O APIC: 24 redirection entries", pins == 24, format_args!("{:#x}", ioapic_version));
    let t0cfg = hpet_read(hpet_timer_config(0));
    let route_cap = (t0cfg >> 32) as u32;
    println!("  hpet: timer 0 config {:#018x}, route capability {:#010x}", t0cfg, route_cap);
    c.check(
        "HPET timer 0: periodic capable, routes to GSI 2 and 20-23",
        t0cfg & TN_PERIODIC_CAP != 0 && route_cap & (1 << 2 | 0xF << 20) == (1 << 2 | 0xF << 20),
        format_args!("{:#018x}", t0cfg),
    );
    // Prefer a GSI the legacy devices do not use (20-23), else any offered.
    let gsi = (20..24)
        .chain(0..32)
        .find(|&g| route_cap & (1 << g) != 0 && g >= plat.ioapic_gsi_base && g - plat.ioapic_gsi_base < pins);
    let Some(gsi) = gsi else {
        c.check("HPET timer 0 routable to an I/O APIC pin", false, format_args!("cap {:#x}", route_cap));
        finish(&c);
    };
    let pin = gsi - plat.ioapic_gsi_base;
    ioapic_route(pin, V_HPET as u32, bsp); // fixed, physical, edge, active high, unmasked
    let period = hpet_ticks(10 * MS);
    hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) & !HPET_ENABLE);
    let h0 = hpet_now();
    hpet_write(
        hpet_timer_config(0),
        ((gsi as u64) << 9) | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET,
    );
    hpet_write(hpet_timer_comparator(0), h0 + period);
    hpet_write(hpet_timer_comparator(0), period);
    hpet_write(HPET_STATUS, 1);
    reset(bsp, V_HPET);
    hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) | HPET_ENABLE);
    let mut wakes = 0u64;
    while hpet_now() - h0 < hpet_ticks(SECOND) {
        sti_hlt_cli();
        wakes += 1;
    }
    hpet_write(hpet_timer_config(0), (gsi as u64) << 9);
    let hpet_irqs = count(bsp, V_HPET);
    println!(
        "  hpet: timer 0 periodic 100 Hz via GSI {}: {} interrupts in one HPET second ({} wakes)",
        gsi, hpet_irqs, wakes
    );
    c.check(
        "HPET periodic timer via the I/O APIC: 100 +- 1 interrupts per virtual second",
        hpet_irqs.abs_diff(100) <= 1,
        format_args!("{}", hpet_irqs),
    );

    // --- Sleeping in hlt for a one-shot timer ---------------------------------
    // HPET timer 0 one-shot at +1 s is the watchdog: it must not fire first.
    let arm_watchdog = || {
        reset(bsp, V_HPET);
        hpet_write(hpet_timer_config(0), ((gsi as u64) << 9) | TN_INT_ENB);
        hpet_write(hpet_timer_comparator(0), hpet_now() + hpet_ticks(SECOND));
    };
    let sleep_until = |vector: usize| -> (u64, u64, u64) {
        let h0 = hpet_now();
        let t0 = rdtsc();
        let mut wakes = 0;
        while count(bsp, vector) == 0 && count(bsp, V_HPET) == 0 {
            sti_hlt_cli();
            wakes += 1;
        }
        (hpet_now() - h0, rdtsc() - t0, wakes)
    };
    arm_watchdog();
    reset(bsp, V_ONE_SHOT);
    apic_write(APIC_TIMER_DIVIDE, 0x3);
    apic_write(APIC_LVT_TIMER, V_ONE_SHOT as u32);
    apic_write(APIC_TIMER_INITIAL, (per_ms * 50) as u32);
    let (dh, dt, wakes) = sleep_until(V_ONE_SHOT);
    println!(
        "  lapic: one-shot 50 ms: woke after {} ns by the HPET, {} TSC ticks, {} wakes",
        hpet_ns(dh),
        dt,
        wakes
    );
    c.check(
        "one-shot LAPIC timer of 50 ms ends sti; hlt, HPET advanced >= 50 ms",
        count(bsp, V_ONE_SHOT) == 1 && count(bsp, V_HPET) == 0 && hpet_ns(dh) >= 50 * MS && hpet_ns(dh) < 51 * MS,
        format_args!(
            "one-shot {} watchdog {} after {} ns",
            count(bsp, V_ONE_SHOT),
            count(bsp, V_HPET),
            hpet_ns(dh)
        ),
    );
    c.check(
        "one-shot: current count 0 after it fired",
        apic_read(APIC_TIMER_CURRENT) == 0,
        format_args!("{}", apic_read(APIC_TIMER_CURRENT)),
    );
    if c.check("CPUID: TSC-deadline timer", has_deadline, format_args!("CPUID.1:ECX {:#x}", features[2])) {
        arm_watchdog();
        reset(bsp, V_DEADLINE);
        apic_write(APIC_LVT_TIMER, TIMER_TSC_DEADLINE | V_DEADLINE as u32);
        wrmsr(IA32_TSC_DEADLINE, rdtsc() + tsc_ticks(50 * MS));
        let (dh, dt, wakes) = sleep_until(V_DEADLINE);
        println!(
            "  lapic: TSC deadline +50 ms: woke after {} ns by the HPET, {} TSC ticks, {} wakes",
            hpet_ns(dh),
            dt,
            wakes
        );
        c.check(
            "TSC-deadline timer of 50 ms ends sti; hlt, HPET advanced >= 50 ms",
            count(bsp, V_DEADLINE) == 1 && count(bsp, V_HPET) == 0 && hpet_ns(dh) >= 50 * MS && hpet_ns(dh) < 51 * MS,
            format_args!(
                "deadline {} watchdog {} after {} ns",
                count(bsp, V_DEADLINE),
                count(bsp, V_HPET),
                hpet_ns(dh)
            ),
        );
        c.check(
            "IA32_TSC_DEADLINE reads 0 after it fired",
            rdmsr(IA32_TSC_DEADLINE) == 0,
            format_args!("{:#x}", rdmsr(IA32_TSC_DEADLINE)),
        );
        apic_write(APIC_LVT_TIMER, LVT_MASKED | V_TIMER as u32);
    }
    hpet_write(hpet_timer_config(0), (gsi as u64) << 9);
    ioapic_mask(pin);

    // --- IPIs -------------------------------------------------------------------
    ipis(&mut c, bsp, plat.cpus);

    apic_write(APIC_ESR, 0);
    let esr = apic_read(APIC_ESR);
    c.check("LAPIC ESR 0, no error interrupts", esr == 0 && count(bsp, V_ERROR) == 0, format_args!("ESR {:#x} errors {}", esr, count(bsp, V_ERROR)));
    c.check(
        "no interrupts through the masked 8259s, no spurious APIC interrupts",
        PIC_INTERRUPTS.load(Ordering::SeqCst) == 0 && count(bsp, V_SPURIOUS) == 0,
        format_args!("8259 {} spurious {}", PIC_INTERRUPTS.load(Ordering::SeqCst), count(bsp, V_SPURIOUS)),
    );
    println!("  time: {} ns by the TSC, HPET counter {}", tsc_ns(rdtsc()), hpet_now());
    finish(&c);
}

fn finish(c: &Checks) -> ! {
    println!("platform: {} checks, {} failed", c.total, c.failed);
    io::exit_pass_fail(c.failed == 0 && c.total > 0)
}

// ---------------------------------------------------------------------------
// RTC

fn cmos(reg: u8) -> u8 {
    unsafe {
        outb(0x70, 0x80 | reg); // NMI stays disabled while we read
        inb(0x71)
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn rtc_check(c: &mut Checks, century_register: u8) {
    let read = || {
        let mut spins = 0u64;
        while cmos(0x0A) & 0x80 != 0 {
            spins += 1;
            if spins > 10_000_000 {
                break;
            }
        }
        [cmos(0), cmos(2), cmos(4), cmos(7), cmos(8), cmos(9), if century_register != 0 { cmos(century_register) } else { 0x20 }]
    };
    // Read until two consecutive readings agree (an update may fall between).
    let mut raw = read();
    for _ in 0..5 {
        let again = read();
        if again == raw {
            break;
        }
        raw = again;
    }
    let tsc_at_read = rdtsc();
    let status_b = cmos(0x0B);
    let binary = status_b & 0x04 != 0;
    let h24 = status_b & 0x02 != 0;
    let conv = |v: u8| if binary { v as i64 } else { ((v >> 4) * 10 + (v & 0xF)) as i64 };
    let sec = conv(raw[0]);
    let min = conv(raw[1]);
    let pm = !h24 && raw[2] & 0x80 != 0;
    let mut hour = conv(raw[2] & 0x7F);
    if !h24 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let day = conv(raw[3]);
    let month = conv(raw[4]);
    let year = conv(raw[6]) * 100 + conv(raw[5]);
    let rtc = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    println!(
        "  rtc: {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC (status B {:#04x}: {}, {}) = {}",
        year,
        month,
        day,
        hour,
        min,
        sec,
        status_b,
        if binary { "binary" } else { "BCD" },
        if h24 { "24-hour" } else { "12-hour" },
        rtc
    );
    match unsafe { response(&raw const DATE_AT_BOOT) } {
        Some(d) => {
            let elapsed = tsc_ns(tsc_at_read) / SECOND;
            let want = d.timestamp + elapsed as i64;
            println!("  rtc: date at boot {} + {} s of virtual time = {}", d.timestamp, elapsed, want);
            c.check(
                "RTC date == date at boot + virtual time +- 2 s",
                (rtc - want).abs() <= 2,
                format_args!("rtc {} want {}", rtc, want),
            );
        }
        None => {
            c.check("date at boot response", false, format_args!("none"));
        }
    }
}

// ---------------------------------------------------------------------------
// Application processors and IPIs

const IPIS_PER_AP: u64 = 1000;
static BSP_CR3: AtomicU64 = AtomicU64::new(0);
static READY: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(u32::MAX) }; MAX_CPUS];
static AP_ID_MISMATCH: AtomicBool = AtomicBool::new(false);

global_asm!(
    ".pushsection .text.platform_ap_entry, \"ax\", @progbits",
    ".global platform_ap_entry",
    "platform_ap_entry:",
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
    fn platform_ap_entry();
}

extern "C" fn ap_main(info: *const MpInfo) -> ! {
    write_cr3(BSP_CR3.load(Ordering::SeqCst)); // the MMIO window lives in the BSP's PML4
    idt::load();
    apic_enable_here(V_ERROR as u8);
    let id = apic_id();
    if id != unsafe { (*info).lapic_id } {
        AP_ID_MISMATCH.store(true, Ordering::SeqCst);
    }
    let index = unsafe { (*info).extra_argument.load(Ordering::SeqCst) } as usize;
    READY[index % MAX_CPUS].store(id, Ordering::SeqCst);
    loop {
        unsafe { core::arch::asm!("sti", "hlt", options(nomem, nostack)) };
    }
}

/// Waits (polling the HPET) until `cond` holds or `ns` pass.
fn wait_for(ns: u64, cond: impl Fn() -> bool) -> bool {
    let h0 = hpet_now();
    loop {
        if cond() {
            return true;
        }
        if hpet_now() - h0 > hpet_ticks(ns) {
            return cond();
        }
        spin_loop();
    }
}

fn ipis(c: &mut Checks, bsp: u32, madt_cpus: u32) {
    let mp = unsafe { response(&raw const MP) };
    let n = mp.map_or(1, |r| r.cpu_count as usize);
    if let Some(want) = cmdline_value(b"cpus") {
        c.check("MP cpu_count == cmdline cpus", n as u64 == want, format_args!("{} CPUs", n));
    }
    c.check("MADT CPUs == MP cpu_count", madt_cpus as usize == n, format_args!("MADT {} MP {}", madt_cpus, n));
    let mut aps: [(usize, u32); MAX_CPUS] = [(0, 0); MAX_CPUS];
    let mut n_aps = 0;
    if let Some(r) = mp
        && n > 1
    {
        BSP_CR3.store(read_cr3(), Ordering::SeqCst);
        for i in 0..n.min(MAX_CPUS) {
            let info = unsafe { &*r.cpu(i) };
            if info.lapic_id == r.bsp_lapic_id {
                continue;
            }
            aps[n_aps] = (i, info.lapic_id);
            n_aps += 1;
            info.extra_argument.store(i as u64, Ordering::SeqCst);
            info.goto_address.store(platform_ap_entry as *const () as u64, Ordering::SeqCst);
        }
        let all_ready = wait_for(SECOND, || aps[..n_aps].iter().all(|&(i, _)| READY[i].load(Ordering::SeqCst) != u32::MAX));
        c.check(
            "every AP started, enabled its LAPIC and reported its APIC ID",
            all_ready && !AP_ID_MISMATCH.load(Ordering::SeqCst),
            format_args!("ready {} id mismatch {}", all_ready, AP_ID_MISMATCH.load(Ordering::SeqCst)),
        );
        if !all_ready {
            return;
        }
    }

    // Fixed IPIs: IPIS_PER_AP to each AP, one at a time.
    for &(i, id) in &aps[..n_aps] {
        let h0 = hpet_now();
        let mut idle = true;
        let mut delivered = true;
        for k in 0..IPIS_PER_AP {
            idle &= apic_send_ipi(id, ICR_ASSERT | V_IPI as u32);
            if !wait_for(100 * MS, || count(id, V_IPI) >= k + 1) {
                delivered = false;
                break;
            }
        }
        let got = count(id, V_IPI);
        println!(
            "  ipi: CPU {} (APIC {}) counted {} fixed IPIs in {} ns",
            i,
            id,
            got,
            hpet_ns(hpet_now() - h0)
        );
        c.check(
            "AP counted exactly 1000 fixed IPIs (delivery status idle after each)",
            delivered && idle && got == IPIS_PER_AP,
            format_args!("CPU {}: {} idle {}", i, got, idle),
        );
    }
    c.check("the BSP got none of the fixed IPIs", count(bsp, V_IPI) == 0, format_args!("{}", count(bsp, V_IPI)));

    // Self IPI (ICR shorthand), and in x2APIC mode the SELF IPI register.
    reset(bsp, V_SELF);
    let idle = apic_send_ipi(0, ICR_ASSERT | ICR_SELF | V_SELF as u32);
    interrupt_window();
    let mut want = 1;
    if apic_x2apic() {
        wrmsr(X2APIC_SELF_IPI, V_SELF as u64);
        interrupt_window();
        want = 2;
    }
    let others: u64 = aps[..n_aps].iter().map(|&(_, id)| count(id, V_SELF)).sum();
    println!("  ipi: self IPIs counted by the BSP: {}", count(bsp, V_SELF));
    c.check(
        "self IPI delivered to the sender only",
        idle && count(bsp, V_SELF) == want && others == 0,
        format_args!("BSP {} want {} others {}", count(bsp, V_SELF), want, others),
    );

    // Broadcasts: all but self, then all including self.
    apic_send_ipi(0, ICR_ASSERT | ICR_ALL_BUT_SELF | V_ALL_BUT_SELF as u32);
    interrupt_window();
    let ok = wait_for(100 * MS, || aps[..n_aps].iter().all(|&(_, id)| count(id, V_ALL_BUT_SELF) == 1));
    hpet_delay(MS);
    let total: u64 = aps[..n_aps].iter().map(|&(_, id)| count(id, V_ALL_BUT_SELF)).sum();
    println!("  ipi: all-but-self broadcast: {} APs counted {}, BSP {}", n_aps, total, count(bsp, V_ALL_BUT_SELF));
    c.check(
        "all-but-self broadcast: each AP once, the BSP never",
        ok && total == n_aps as u64 && count(bsp, V_ALL_BUT_SELF) == 0,
        format_args!("APs {} BSP {}", total, count(bsp, V_ALL_BUT_SELF)),
    );
    apic_send_ipi(0, ICR_ASSERT | ICR_ALL | V_ALL as u32);
    interrupt_window();
    let ok = wait_for(100 * MS, || aps[..n_aps].iter().all(|&(_, id)| count(id, V_ALL) == 1));
    hpet_delay(MS);
    let total: u64 = aps[..n_aps].iter().map(|&(_, id)| count(id, V_ALL)).sum();
    println!("  ipi: all-including-self broadcast: APs counted {}, BSP {}", total, count(bsp, V_ALL));
    c.check(
        "all-including-self broadcast: every CPU once",
        ok && total == n_aps as u64 && count(bsp, V_ALL) == 1,
        format_args!("APs {} BSP {}", total, count(bsp, V_ALL)),
    );
    // Re-check the fixed IPI counts: nothing extra arrived.
    let exact = aps[..n_aps].iter().all(|&(_, id)| count(id, V_IPI) == IPIS_PER_AP);
    c.check("fixed IPI counts still exact after the broadcasts", exact, format_args!("changed"));
}

kernel_support::report_panics!();
