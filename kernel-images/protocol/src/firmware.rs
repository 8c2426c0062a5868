// SPDX-License-Identifier: GPL-2.0-or-later
//! ACPI and SMBIOS checks. Under base revision 3 the RSDP and the SMBIOS
//! entry points are physical addresses and the HHDM maps none of these
//! tables, so everything is read through `PhysWindow` mappings.

use core::ptr::read_unaligned;

use crate::checks::*;
use crate::limine::*;
use crate::paging::PhysWindow;
use crate::{Expect, io};

const MAX_TABLES: usize = 32;
const EXPECTED_LAPIC_ADDRESS: u32 = 0xFEE0_0000;
const EXPECTED_IOAPIC_ADDRESS: u32 = 0xFEC0_0000;
const EXPECTED_HPET_ADDRESS: u64 = 0xFED0_0000;
const COM1_PORT: u64 = 0x3F8;

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

/// A mapped ACPI table (header + body).
#[derive(Clone, Copy)]
struct Sdt {
    phys: u64,
    va: u64,
    len: u32,
    sig: [u8; 4],
}

/// Maps the table at `phys`: its header first, then its whole length.
fn map_sdt(w: &mut PhysWindow, phys: u64) -> Option<Sdt> {
    let head = w.map(phys, 36)?;
    let len = r32(head + 4);
    if !(36..=0x4_0000).contains(&len) {
        return Some(Sdt {
            phys,
            va: head,
            len: 36,
            sig: bytes(head),
        });
    }
    let va = w.map(phys, len as u64)?;
    Some(Sdt {
        phys,
        va,
        len,
        sig: bytes(va),
    })
}

fn sdt_checksum_ok(t: &Sdt) -> bool {
    unsafe { byte_sum(t.va as *const u8, t.len as usize) == 0 }
}

pub fn check_acpi(c: &mut Checks, w: &mut PhysWindow, map: &Memmap, expect: &Expect, rsdp: Option<&RsdpResponse>) {
    let Some(rsdp) = rsdp else {
        c.check(format_args!("RSDP present"), false, format_args!("no response"));
        return;
    };
    let phys = rsdp.address;
    println!("  rsdp: address {:#x} ({})", phys, map.type_name_at(phys));
    if !c.check(
        format_args!("RSDP address physical (base revision 3)"),
        phys != 0 && phys < expect.hhdm,
        format_args!("address={:#x}", phys),
    ) {
        return;
    }
    c.check(
        format_args!("RSDP in ACPI/reserved memory"),
        map.region_of(phys).is_some_and(|e| {
            matches!(
                e.entry_type,
                MEMMAP_ACPI_RECLAIMABLE | MEMMAP_ACPI_NVS | MEMMAP_RESERVED
            )
        }),
        format_args!("RSDP at {:#x} is in {}", phys, map.type_name_at(phys)),
    );
    let Some(va) = w.map(phys, 36) else {
        c.check(format_args!("map the RSDP"), false, format_args!("window full"));
        return;
    };
    let sig: [u8; 8] = bytes(va);
    let oem: [u8; 6] = bytes(va + 9);
    let revision = r8(va + 15);
    let rsdt = r32(va + 16) as u64;
    let length = r32(va + 20);
    let xsdt = r64(va + 24);
    println!(
        "  rsdp: oem \"{}\" revision {} length {} rsdt {:#x} xsdt {:#x}",
        io::Escaped(&oem),
        revision,
        length,
        rsdt,
        xsdt
    );
    c.check(
        format_args!("RSDP signature \"RSD PTR \""),
        &sig == b"RSD PTR ",
        format_args!("signature \"{}\"", io::Escaped(&sig)),
    );
    c.check(
        format_args!("RSDP checksum (20 bytes)"),
        unsafe { byte_sum(va as *const u8, 20) } == 0,
        format_args!("sum {:#x}", unsafe { byte_sum(va as *const u8, 20) }),
    );
    c.check(
        format_args!("RSDP revision 2"),
        revision == 2,
        format_args!("revision {}", revision),
    );
    if revision < 2 {
        return;
    }
    c.check(
        format_args!("RSDP length 36"),
        length == 36,
        format_args!("length {}", length),
    );
    c.check(
        format_args!("RSDP extended checksum (36 bytes)"),
        unsafe { byte_sum(va as *const u8, 36) } == 0,
        format_args!("sum {:#x}", unsafe { byte_sum(va as *const u8, 36) }),
    );

    // Every table seen, for the memory map check: (phys, len).
    let mut ranges = [(0u64, 0u64); MAX_TABLES + 4];
    let mut nranges = 0;

    if rsdt != 0 {
        match map_sdt(w, rsdt) {
            Some(t) => {
                c.check(
                    format_args!("RSDT signature and checksum"),
                    &t.sig == b"RSDT" && sdt_checksum_ok(&t),
                    format_args!("signature \"{}\" length {}", io::Escaped(&t.sig), t.len),
                );
                ranges[nranges] = (t.phys, t.len as u64);
                nranges += 1;
            }
            None => {
                c.check(format_args!("map the RSDT"), false, format_args!("window full"));
            }
        }
    }

    let Some(x) = map_sdt(w, xsdt) else {
        c.check(format_args!("map the XSDT"), false, format_args!("window full"));
        return;
    };
    ranges[nranges] = (x.phys, x.len as u64);
    nranges += 1;
    if !c.check(
        format_args!("XSDT signature \"XSDT\""),
        &x.sig == b"XSDT",
        format_args!("signature \"{}\"", io::Escaped(&x.sig)),
    ) {
        return;
    }
    c.check(
        format_args!("XSDT checksum"),
        sdt_checksum_ok(&x),
        format_args!("length {}", x.len),
    );
    let count = ((x.len as usize - 36) / 8).min(MAX_TABLES);
    let mut tables = [Sdt {
        phys: 0,
        va: 0,
        len: 0,
        sig: [0; 4],
    }; MAX_TABLES];
    let mut n = 0;
    print!("  xsdt:");
    for i in 0..count {
        let p = r64(x.va + 36 + 8 * i as u64);
        match map_sdt(w, p) {
            Some(t) => {
                print!(" {}@{:#x}", io::Escaped(&t.sig), p);
                tables[n] = t;
                n += 1;
            }
            None => print!(" <unmappable {:#x}>", p),
        }
    }
    println!();
    for t in &tables[..n] {
        c.check(
            format_args!("ACPI {} checksum", io::Escaped(&t.sig)),
            sdt_checksum_ok(t),
            format_args!("length {}", t.len),
        );
        ranges[nranges] = (t.phys, t.len as u64);
        nranges += 1;
    }
    let find = |sig: &[u8; 4]| tables[..n].iter().find(|t| &t.sig == sig).copied();
    // QEMU's pc machine with SeaBIOS lists these first, in this order (an SPCR may follow).
    for (i, sig) in [b"FACP", b"APIC", b"HPET", b"WAET"].into_iter().enumerate() {
        c.check(
            format_args!("XSDT lists {} as entry {}", io::Escaped(sig), i),
            i < n && &tables[i].sig == sig,
            format_args!("missing or out of place"),
        );
    }

    // FADT -> DSDT.
    if let Some(f) = find(b"FACP") {
        let dsdt32 = if f.len >= 44 { r32(f.va + 40) as u64 } else { 0 };
        let xdsdt = if f.len >= 148 { r64(f.va + 140) } else { 0 };
        let dsdt = if xdsdt != 0 { xdsdt } else { dsdt32 };
        println!(
            "  fadt: revision {} length {} dsdt {:#x} x_dsdt {:#x}",
            r8(f.va + 8),
            f.len,
            dsdt32,
            xdsdt
        );
        match if dsdt != 0 { map_sdt(w, dsdt) } else { None } {
            Some(d) => {
                c.check(
                    format_args!("FADT DSDT signature and checksum"),
                    &d.sig == b"DSDT" && sdt_checksum_ok(&d),
                    format_args!("signature \"{}\" length {}", io::Escaped(&d.sig), d.len),
                );
                ranges[nranges] = (d.phys, d.len as u64);
                nranges += 1;
            }
            None => {
                c.check(
                    format_args!("FADT DSDT signature and checksum"),
                    false,
                    format_args!("no DSDT address (or unmappable {:#x})", dsdt),
                );
            }
        }
    }

    let bad = ranges[..nranges]
        .iter()
        .find(|(p, l)| !map.covered(*p, p + l, |t| t == MEMMAP_ACPI_RECLAIMABLE || t == MEMMAP_ACPI_NVS));
    c.check(
        format_args!("ACPI tables in ACPI_RECLAIMABLE/ACPI_NVS memory"),
        bad.is_none(),
        format_args!(
            "table at {:#x} is in {}",
            bad.map_or(0, |b| b.0),
            map.type_name_at(bad.map_or(0, |b| b.0))
        ),
    );

    if let Some(m) = find(b"APIC") {
        check_madt(c, &m, expect);
    }
    if let Some(h) = find(b"HPET") {
        let space = r8(h.va + 40);
        let addr = r64(h.va + 44);
        println!(
            "  hpet: block id {:#x} space {} address {:#x} number {}",
            r32(h.va + 36),
            space,
            addr,
            r8(h.va + 52)
        );
        c.check(
            format_args!("HPET base 0xfed00000 (system memory)"),
            space == 0 && addr == EXPECTED_HPET_ADDRESS,
            format_args!("space {} address {:#x}", space, addr),
        );
    }
    if let Some(s) = find(b"SPCR") {
        let itype = r8(s.va + 36);
        let space = r8(s.va + 40);
        let addr = r64(s.va + 44);
        println!(
            "  spcr: revision {} interface type {} space {} width {} address {:#x} baud {} irq {}",
            r8(s.va + 8),
            itype,
            space,
            r8(s.va + 41),
            addr,
            r8(s.va + 58),
            r8(s.va + 53)
        );
        c.check(
            format_args!("SPCR names COM1 (I/O port 0x3f8)"),
            space == 1 && addr == COM1_PORT,
            format_args!("space {} address {:#x}", space, addr),
        );
    }
}

fn check_madt(c: &mut Checks, m: &Sdt, expect: &Expect) {
    let lapic_addr = r32(m.va + 36);
    let flags = r32(m.va + 40);
    println!("  madt: local apic {:#x} flags {:#x}", lapic_addr, flags);
    c.check(
        format_args!("MADT local APIC address 0xfee00000"),
        lapic_addr == EXPECTED_LAPIC_ADDRESS,
        format_args!("address {:#x}", lapic_addr),
    );
    let mut lapics = 0usize;
    let mut order_ok = true;
    let mut uids_ok = true;
    let mut enabled_ok = true;
    let mut ioapic_ok = false;
    let mut iso_count = 0;
    let mut nmi_count = 0;
    let mut off = 44u64;
    let end = m.len as u64;
    let mut malformed = false;
    while off + 2 <= end {
        let t = r8(m.va + off);
        let l = r8(m.va + off + 1) as u64;
        if l < 2 || off + l > end {
            malformed = true;
            break;
        }
        let e = m.va + off;
        match t {
            0 if l >= 8 => {
                let (uid, id, f) = (r8(e + 2), r8(e + 3), r32(e + 4));
                println!("  madt: lapic uid {} apic id {} flags {:#x}", uid, id, f);
                if lapics < expect.cpu_count {
                    let (pid, lid) = expect.cpus[lapics];
                    if lid != id as u32 {
                        order_ok = false;
                    }
                    if pid != uid as u32 {
                        uids_ok = false;
                    }
                }
                if f & 1 == 0 {
                    enabled_ok = false;
                }
                lapics += 1;
            }
            1 if l >= 12 => {
                let (id, addr, gsi) = (r8(e + 2), r32(e + 4), r32(e + 8));
                println!("  madt: ioapic id {} address {:#x} gsi base {}", id, addr, gsi);
                if addr == EXPECTED_IOAPIC_ADDRESS && gsi == 0 {
                    ioapic_ok = true;
                }
            }
            2 if l >= 10 => {
                println!(
                    "  madt: iso bus {} irq {} gsi {} flags {:#x}",
                    r8(e + 2),
                    r8(e + 3),
                    r32(e + 4),
                    r16(e + 8)
                );
                iso_count += 1;
            }
            4 if l >= 6 => {
                println!(
                    "  madt: lapic nmi uid {:#x} flags {:#x} lint {}",
                    r8(e + 2),
                    r16(e + 3),
                    r8(e + 5)
                );
                nmi_count += 1;
            }
            _ => println!("  madt: entry type {} length {}", t, l),
        }
        off += l;
    }
    c.check(
        format_args!("MADT entries well-formed"),
        !malformed && off == end,
        format_args!("entry at offset {} runs past the table ({} bytes)", off, end),
    );
    c.check(
        format_args!("MADT has one local APIC per MP CPU"),
        lapics == expect.cpu_count,
        format_args!("{} local APIC entries, {} CPUs", lapics, expect.cpu_count),
    );
    c.check(
        format_args!("MADT local APIC ids == MP lapic ids, in order (BSP first)"),
        order_ok && expect.cpu_count > 0 && expect.cpus[0].1 == expect.bsp_lapic_id,
        format_args!("order differs from the MP response"),
    );
    c.check(
        format_args!("MADT processor UIDs == MP processor ids"),
        uids_ok,
        format_args!("differ"),
    );
    c.check(
        format_args!("MADT local APICs enabled"),
        enabled_ok,
        format_args!("a local APIC has flags bit 0 clear"),
    );
    c.check(
        format_args!("MADT I/O APIC at 0xfec00000, GSI base 0"),
        ioapic_ok,
        format_args!("not found"),
    );
    c.check(
        format_args!("MADT has interrupt source overrides"),
        iso_count > 0,
        format_args!("none"),
    );
    c.check(
        format_args!("MADT has a local APIC NMI entry"),
        nmi_count > 0,
        format_args!("none"),
    );
}

/// Walks an SMBIOS structure table; returns (structures, found type 127).
fn walk_smbios(va: u64, max: u64) -> (u32, bool) {
    let mut off = 0u64;
    let mut n = 0;
    while off + 4 <= max {
        let t = r8(va + off);
        let l = r8(va + off + 1) as u64;
        if l < 4 {
            return (n, false);
        }
        n += 1;
        if t == 127 {
            return (n, true);
        }
        // Skip the formatted area, then the strings up to a double NUL.
        let mut p = off + l;
        loop {
            if p + 2 > max {
                return (n, false);
            }
            if r8(va + p) == 0 && r8(va + p + 1) == 0 {
                break;
            }
            p += 1;
        }
        off = p + 2;
    }
    (n, false)
}

pub fn check_smbios(c: &mut Checks, w: &mut PhysWindow, expect: &Expect, r: Option<&SmbiosResponse>) {
    let Some(r) = r else {
        c.check(format_args!("SMBIOS present"), false, format_args!("no response"));
        return;
    };
    println!("  smbios: entry_32 {:#x} entry_64 {:#x}", r.entry_32, r.entry_64);
    c.check(
        format_args!("SMBIOS entry points physical (base revision 3)"),
        r.entry_32 < expect.hhdm && r.entry_64 < expect.hhdm,
        format_args!("entry_32 {:#x} entry_64 {:#x}", r.entry_32, r.entry_64),
    );
    // 32-bit "_SM_" entry point.
    if c.check(
        format_args!("SMBIOS 32-bit entry point present"),
        r.entry_32 != 0 && r.entry_32 < expect.hhdm,
        format_args!("entry_32 {:#x}", r.entry_32),
    ) {
        match w.map(r.entry_32, 0x20) {
            Some(va) => {
                let anchor: [u8; 4] = bytes(va);
                let len = r8(va + 5);
                let dmi: [u8; 5] = bytes(va + 0x10);
                let table_len = r16(va + 0x16) as u64;
                let table = r32(va + 0x18) as u64;
                println!(
                    "  smbios _SM_: version {}.{} length {} table {:#x} ({} bytes, {} structures)",
                    r8(va + 6),
                    r8(va + 7),
                    len,
                    table,
                    table_len,
                    r16(va + 0x1c)
                );
                c.check(
                    format_args!("SMBIOS \"_SM_\" anchor, length 0x1f and checksum"),
                    &anchor == b"_SM_" && len == 0x1f && unsafe { byte_sum(va as *const u8, len as usize) } == 0,
                    format_args!("anchor \"{}\" length {}", io::Escaped(&anchor), len),
                );
                c.check(
                    format_args!("SMBIOS \"_DMI_\" intermediate anchor and checksum"),
                    &dmi == b"_DMI_" && unsafe { byte_sum((va + 0x10) as *const u8, 15) } == 0,
                    format_args!("anchor \"{}\"", io::Escaped(&dmi)),
                );
                match w.map(table, table_len.max(4)) {
                    Some(tva) => {
                        let (n, end) = walk_smbios(tva, table_len);
                        println!("  smbios _SM_ table: {} structures", n);
                        c.check(
                            format_args!("SMBIOS 32-bit structure table ends with type 127"),
                            end,
                            format_args!("{} structures, no end-of-table", n),
                        );
                    }
                    None => {
                        c.check(format_args!("map the SMBIOS table"), false, format_args!("window full"));
                    }
                }
            }
            None => {
                c.check(
                    format_args!("map the SMBIOS 32-bit entry"),
                    false,
                    format_args!("window full"),
                );
            }
        }
    }
    // 64-bit "_SM3_" entry point.
    if c.check(
        format_args!("SMBIOS 64-bit entry point present"),
        r.entry_64 != 0 && r.entry_64 < expect.hhdm,
        format_args!("entry_64 {:#x}", r.entry_64),
    ) {
        match w.map(r.entry_64, 0x18) {
            Some(va) => {
                let anchor: [u8; 5] = bytes(va);
                let len = r8(va + 6);
                let max = r32(va + 0x0c) as u64;
                let table = r64(va + 0x10);
                println!(
                    "  smbios _SM3_: version {}.{}.{} length {} table {:#x} (max {} bytes)",
                    r8(va + 7),
                    r8(va + 8),
                    r8(va + 9),
                    len,
                    table,
                    max
                );
                c.check(
                    format_args!("SMBIOS \"_SM3_\" anchor, length 0x18 and checksum"),
                    &anchor == b"_SM3_" && len == 0x18 && unsafe { byte_sum(va as *const u8, len as usize) } == 0,
                    format_args!("anchor \"{}\" length {}", io::Escaped(&anchor), len),
                );
                match w.map(table, max.clamp(4, 0x1_0000)) {
                    Some(tva) => {
                        let (n, end) = walk_smbios(tva, max);
                        println!("  smbios _SM3_ table: {} structures", n);
                        c.check(
                            format_args!("SMBIOS 64-bit structure table ends with type 127"),
                            end,
                            format_args!("{} structures, no end-of-table", n),
                        );
                    }
                    None => {
                        c.check(format_args!("map the SMBIOS table"), false, format_args!("window full"));
                    }
                }
            }
            None => {
                c.check(
                    format_args!("map the SMBIOS 64-bit entry"),
                    false,
                    format_args!("window full"),
                );
            }
        }
    }
}
