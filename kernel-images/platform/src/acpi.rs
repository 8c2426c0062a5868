// SPDX-License-Identifier: GPL-2.0-or-later
//! RSDP -> XSDT -> FADT (+DSDT), MADT, HPET, SPCR, read through the HHDM
//! (base revision 4 maps ACPI_RECLAIMABLE, ACPI_NVS and RESERVED_MAPPED
//! memory, and the RSDP response is an HHDM address). Checks signatures,
//! checksums and the fields the rest of the kernel needs.

use core::ptr::read_unaligned;

use crate::Checks;

fn r8(va: u64) -> u8 {
    unsafe { read_unaligned(va as *const u8) }
}
fn r16(va: u64) -> u16 {
    unsafe { read_unaligned(va as *const u16) }
}
fn r32(va: u64) -> u32 {
    unsafe { read_unaligned(va as *const u32) }
}
fn r64(va: u64) -> u64 {
    unsafe { read_unaligned(va as *const u64) }
}
fn bytes<const N: usize>(va: u64) -> [u8; N] {
    unsafe { read_unaligned(va as *const [u8; N]) }
}
fn sum(va: u64, len: u64) -> u8 {
    (0..len).fold(0u8, |s, i| s.wrapping_add(r8(va + i)))
}

/// What the tables say about the machine.
#[derive(Default)]
pub struct Platform {
    pub lapic_address: u64,
    pub cpus: u32,
    pub ioapic_address: u64,
    pub ioapic_gsi_base: u32,
    /// GSI of ISA IRQ 0 (after interrupt source overrides).
    pub irq0_gsi: u32,
    pub hpet_address: u64,
    pub pm_timer_port: u16,
    pub century_register: u8,
}

/// A table found through the XSDT: HHDM address and length.
#[derive(Clone, Copy)]
struct Table {
    va: u64,
    len: u64,
}

pub fn parse(c: &mut Checks, hhdm: u64, rsdp_va: u64) -> Option<Platform> {
    let mut p = Platform::default();
    println!("  rsdp: address {:#x}", rsdp_va);
    if !c.check("RSDP is an HHDM address (base revision 4)", rsdp_va > hhdm, format_args!("{:#x}", rsdp_va)) {
        return None;
    }
    let sig: [u8; 8] = bytes(rsdp_va);
    c.check("RSDP signature", &sig == b"RSD PTR ", format_args!("{}", crate::io::Escaped(&sig)));
    c.check("RSDP checksum (20 bytes)", sum(rsdp_va, 20) == 0, format_args!("sum {:#x}", sum(rsdp_va, 20)));
    let revision = r8(rsdp_va + 15);
    let length = r32(rsdp_va + 20) as u64;
    if !c.check("RSDP revision 2 (XSDT)", revision >= 2, format_args!("revision {}", revision)) {
        return None;
    }
    c.check(
        "RSDP extended checksum",
        length >= 36 && sum(rsdp_va, length) == 0,
        format_args!("length {} sum {:#x}", length, sum(rsdp_va, length.max(36))),
    );
    let xsdt_phys = r64(rsdp_va + 24);
    let xsdt = hhdm + xsdt_phys;
    let xsig: [u8; 4] = bytes(xsdt);
    let xlen = r32(xsdt + 4) as u64;
    if !c.check(
        "XSDT signature and length",
        &xsig == b"XSDT" && (36..0x10000).contains(&xlen),
        format_args!("\"{}\" length {}", crate::io::Escaped(&xsig), xlen),
    ) {
        return None;
    }
    c.check("XSDT checksum", sum(xsdt, xlen) == 0, format_args!("sum {:#x}", sum(xsdt, xlen)));

    let mut fadt = None;
    let mut madt = None;
    let mut hpet = None;
    let mut spcr = None;
    let mut order = [[0u8; 4]; 4];
    let n = (xlen - 36) / 8;
    let mut bad = 0;
    print!("  xsdt:");
    for i in 0..n {
        let phys = r64(xsdt + 36 + i * 8);
        let va = hhdm + phys;
        let s: [u8; 4] = bytes(va);
        let len = r32(va + 4) as u64;
        print!(" {}@{:#x}", crate::io::Escaped(&s), phys);
        if (i as usize) < order.len() {
            order[i as usize] = s;
        }
        if !(36..0x100000).contains(&len) || sum(va, len) != 0 {
            bad += 1;
            continue;
        }
        let t = Some(Table { va, len });
        match &s {
            b"FACP" => fadt = t,
            b"APIC" => madt = t,
            b"HPET" => hpet = t,
            b"SPCR" => spcr = t,
            _ => {}
        }
    }
    println!();
    c.check("every XSDT table's checksum", bad == 0, format_args!("{} bad", bad));
    // QEMU's pc machine with SeaBIOS: FACP, APIC, HPET, WAET, in this order (an SPCR may follow).
    c.check(
        "XSDT lists FACP, APIC, HPET, WAET first, as QEMU",
        &order == &[*b"FACP", *b"APIC", *b"HPET", *b"WAET"] && fadt.is_some() && madt.is_some() && hpet.is_some(),
        format_args!(
            "{} {} {} {}",
            crate::io::Escaped(&order[0]),
            crate::io::Escaped(&order[1]),
            crate::io::Escaped(&order[2]),
            crate::io::Escaped(&order[3])
        ),
    );
    if spcr.is_none() {
        println!("  no SPCR (as on QEMU)");
    }

    // FADT: DSDT, PM timer block, century register.
    if let Some(f) = fadt {
        let dsdt32 = r32(f.va + 40) as u64;
        let x_dsdt = if f.len >= 148 { r64(f.va + 140) } else { 0 };
        let dsdt_phys = if x_dsdt != 0 { x_dsdt } else { dsdt32 };
        let d = hhdm + dsdt_phys;
        let dsig: [u8; 4] = bytes(d);
        let dlen = r32(d + 4) as u64;
        c.check(
            "FADT's DSDT signature and checksum",
            dsdt_phys != 0 && &dsig == b"DSDT" && dlen >= 36 && dlen < 0x100000 && sum(d, dlen) == 0,
            format_args!("at {:#x} \"{}\" length {}", dsdt_phys, crate::io::Escaped(&dsig), dlen),
        );
        let pm32 = r32(f.va + 76);
        let pm_len = r8(f.va + 91);
        // X_PM_TMR_BLK (GAS at 208) wins when present and in system I/O space.
        let (x_space, x_addr) = if f.len >= 220 { (r8(f.va + 208), r64(f.va + 212)) } else { (0xff, 0) };
        let port = if x_addr != 0 && x_space == 1 { x_addr } else { pm32 as u64 };
        p.pm_timer_port = port as u16;
        p.century_register = r8(f.va + 108);
        let flags = r32(f.va + 112);
        println!(
            "  fadt: revision {} length {} PM_TMR_BLK {:#x} (len {}) X_PM_TMR_BLK space {} {:#x} century {:#x} flags {:#x}",
            r8(f.va + 8),
            f.len,
            pm32,
            pm_len,
            x_space,
            x_addr,
            p.century_register,
            flags
        );
        c.check(
            "FADT PM timer block (4 bytes of I/O)",
            port != 0 && port < 0x10000 && pm_len == 4,
            format_args!("port {:#x} length {}", port, pm_len),
        );
    }

    // MADT: LAPIC address (maybe overridden), CPUs, I/O APIC, overrides, NMI.
    if let Some(m) = madt {
        p.lapic_address = r32(m.va + 36) as u64;
        p.irq0_gsi = 0;
        let mut off = 44;
        let mut well_formed = true;
        let mut ioapics = 0;
        let mut overrides = 0;
        let mut nmis = 0;
        while off + 2 <= m.len {
            let typ = r8(m.va + off);
            let len = r8(m.va + off + 1) as u64;
            if len < 2 || off + len > m.len {
                well_formed = false;
                break;
            }
            let e = m.va + off;
            match typ {
                0 if len == 8 => {
                    println!("  madt: local APIC uid {} id {} flags {:#x}", r8(e + 2), r8(e + 3), r32(e + 4));
                    if r32(e + 4) & 1 != 0 {
                        p.cpus += 1;
                    }
                }
                1 if len == 12 => {
                    println!("  madt: I/O APIC id {} address {:#x} GSI base {}", r8(e + 2), r32(e + 4), r32(e + 8));
                    if ioapics == 0 {
                        p.ioapic_address = r32(e + 4) as u64;
                        p.ioapic_gsi_base = r32(e + 8);
                    }
                    ioapics += 1;
                }
                2 if len == 10 => {
                    println!(
                        "  madt: override bus {} IRQ {} -> GSI {} flags {:#x}",
                        r8(e + 2),
                        r8(e + 3),
                        r32(e + 4),
                        r16(e + 8)
                    );
                    if r8(e + 3) == 0 {
                        p.irq0_gsi = r32(e + 4);
                    }
                    overrides += 1;
                }
                4 if len == 6 => {
                    println!("  madt: local APIC NMI uid {:#x} flags {:#x} LINT{}", r8(e + 2), r16(e + 3), r8(e + 5));
                    nmis += 1;
                }
                5 if len == 12 => {
                    p.lapic_address = r64(e + 4);
                    println!("  madt: local APIC address override {:#x}", p.lapic_address);
                }
                _ => println!("  madt: entry type {} length {}", typ, len),
            }
            off += len;
        }
        println!("  madt: local APIC address {:#x}, {} enabled CPUs", p.lapic_address, p.cpus);
        c.check("MADT entries well-formed", well_formed && off == m.len, format_args!("stopped at {}", off));
        c.check(
            "MADT: LAPIC address, CPUs, one I/O APIC, overrides, LAPIC NMI",
            p.lapic_address != 0 && p.cpus >= 1 && ioapics == 1 && overrides >= 1 && nmis >= 1,
            format_args!(
                "lapic {:#x} cpus {} ioapics {} overrides {} nmis {}",
                p.lapic_address, p.cpus, ioapics, overrides, nmis
            ),
        );
        c.check("MADT: ISA IRQ 0 -> GSI 2", p.irq0_gsi == 2, format_args!("GSI {}", p.irq0_gsi));
    }

    // HPET: GAS at 40 (system memory).
    if let Some(h) = hpet {
        let space = r8(h.va + 40);
        p.hpet_address = r64(h.va + 44);
        println!(
            "  hpet table: block id {:#x} space {} address {:#x} number {} min tick {}",
            r32(h.va + 36),
            space,
            p.hpet_address,
            r8(h.va + 52),
            r16(h.va + 53)
        );
        c.check(
            "HPET table: system-memory base address",
            space == 0 && p.hpet_address != 0,
            format_args!("space {} address {:#x}", space, p.hpet_address),
        );
    }

    // SPCR: COM1.
    if let Some(s) = spcr {
        let itype = r8(s.va + 36);
        let space = r8(s.va + 40);
        let width = r8(s.va + 41);
        let addr = r64(s.va + 44);
        println!(
            "  spcr: revision {} interface {} space {} width {} address {:#x} irq {} baud {}",
            r8(s.va + 8),
            itype,
            space,
            width,
            addr,
            r8(s.va + 53),
            r8(s.va + 58)
        );
        c.check(
            "SPCR: 16550 at I/O port 0x3f8",
            itype == 0 && space == 1 && addr == 0x3f8,
            format_args!("interface {} space {} address {:#x}", itype, space, addr),
        );
    }

    let complete = p.lapic_address != 0 && p.ioapic_address != 0 && p.hpet_address != 0;
    complete.then_some(p)
}
