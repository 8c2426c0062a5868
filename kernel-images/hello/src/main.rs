// SPDX-License-Identifier: GPL-2.0-or-later
//! `hello`: a crate-free Limine-protocol kernel that checks what the loader
//! gave it and reports over COM1, one line per check:
//!
//! ```text
//! ok: <what>
//! FAIL: <what> (<details>)
//! hello: N checks, M failed
//! ```
//!
//! then exits through isa-debug-exit (0x10 all passed, 0x11 otherwise).
//! The executable cmdline selects other modes: `spin`, `fault`,
//! `compute [iterations]`, `memory [iterations]` (see `hello_main`).

#![no_std]
#![no_main]

mod entry;
#[macro_use]
extern crate kernel_support;

use kernel_support::checks::{parse_u64, trim, Checks, Memmap, KERNEL_REGION_START, MAX_MEMMAP};
use kernel_support::{io, limine};

use core::fmt;
use core::ptr::{read_volatile, write_volatile};

use entry::EntryState;
use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::*;

// ---------------------------------------------------------------------------
// Limine requests. The loader finds them by scanning the loaded image between
// the start and end markers; it writes the response pointers (and the base
// revision words) before jumping to `_start`.

const REQUESTED_STACK_SIZE: u64 = 128 * 1024;

kernel_support::limine_requests! {
    base_revision: 3;
    BOOTLOADER_INFO: Request<BootloaderInfoResponse> = Request::new(BOOTLOADER_INFO_ID, 0, ());
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    FIRMWARE_TYPE: Request<FirmwareTypeResponse> = Request::new(FIRMWARE_TYPE_ID, 0, ());
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    /// Revision 1: mode = max = min = 4-level.
    PAGING_MODE: Request<PagingModeResponse, PagingModeRequestExtra> =
        Request::new(PAGING_MODE_ID, 1, PAGING_4LVL_ONLY);
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
    EXECUTABLE_ADDRESS: Request<ExecutableAddressResponse> = Request::new(EXECUTABLE_ADDRESS_ID, 0, ());
    DATE_AT_BOOT: Request<DateAtBootResponse> = Request::new(DATE_AT_BOOT_ID, 0, ());
    STACK_SIZE: Request<StackSizeResponse, StackSizeRequestExtra> = Request::new(
        STACK_SIZE_ID,
        0,
        StackSizeRequestExtra {
            stack_size: REQUESTED_STACK_SIZE,
        },
    );
}

// ---------------------------------------------------------------------------
// Symbols and data used by the checks.

unsafe extern "C" {
    /// First byte of the image (linker script).
    static __kernel_start: u8;
    /// End of the image, page aligned (linker script).
    static __kernel_end: u8;
}

const fn pattern<const N: usize>(seed: u8) -> [u8; N] {
    let mut a = [0u8; N];
    let mut i = 0;
    while i < N {
        a[i] = seed ^ (i as u8).wrapping_mul(37);
        i += 1;
    }
    a
}

/// Known bytes in .rodata.
static RODATA_PATTERN: [u8; 64] = pattern(0x5a);
/// Known bytes in .data.
static mut DATA_PATTERN: [u8; 64] = pattern(0xc3);
/// Must be all zero at entry (.bss; larger than a page so it reaches past
/// the file-backed part of the data segment).
static mut BSS_ARRAY: [u64; 2048] = [0; 2048];

const EXPECTED_HHDM: u64 = 0xffff_8000_0000_0000;
const PAGE: u64 = 4096;

// ---------------------------------------------------------------------------

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const EXECUTABLE_CMDLINE) }
}

/// Called by the entry stub in `entry.rs` with a 16-byte aligned stack.
#[unsafe(no_mangle)]
pub extern "C" fn hello_main() -> ! {
    io::Serial::new(io::COM1).init();

    let cmd = trim(cmdline());
    if cmd == b"spin" {
        println!("hello: spinning");
        loop {
            core::hint::spin_loop();
        }
    }
    if cmd == b"fault" {
        println!("hello: faulting");
        // Canonical, but far beyond the (small) RAM's HHDM: not mapped. No IDT
        // is installed, so this page fault cannot be handled.
        unsafe { write_volatile(0xffff_9000_0000_0000 as *mut u64, 0xdead_beef) };
        println!("FAIL: fault (the write to 0xffff900000000000 did not fault)");
        io::exit(EXIT_FAILURE);
    }
    if cmd == b"compute" || cmd.starts_with(b"compute ") {
        let iterations = parse_u64(trim(&cmd[b"compute".len()..])).unwrap_or(200_000_000);
        println!("hello: compute {} iterations", iterations);
        let checksum = compute(iterations);
        println!("hello: compute done {:#018x}", checksum);
        io::exit(EXIT_SUCCESS);
    }
    if cmd == b"memory" || cmd.starts_with(b"memory ") {
        let iterations = parse_u64(trim(&cmd[b"memory".len()..])).unwrap_or(20_000_000);
        println!("hello: memory {} iterations", iterations);
        let checksum = memory(iterations);
        println!("hello: memory done {:#018x}", checksum);
        io::exit(EXIT_SUCCESS);
    }

    let mut c = Checks::new();
    run_checks(&mut c);
    println!("hello: {} checks, {} failed", c.total, c.failed);
    io::exit_pass_fail(c.failed == 0)
}

/// Deterministic integer work: `iterations` rounds of xorshift64, each
/// stored to a volatile sink so that no optimiser can skip them.
fn compute(iterations: u64) -> u64 {
    static mut SINK: u64 = 0;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut i: u64 = 0;
    while i < iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsafe { write_volatile(&raw mut SINK, x) };
        i += 1;
    }
    x
}

/// Memory-bound work: `iterations` rounds of xorshift64 whose values go
/// through a 4 KiB table on the stack. The boot stack is reached through
/// the HHDM, which Limine maps read-write-execute, so every round stores to
/// (and loads from) a page whose mapping allows execution.
fn memory(iterations: u64) -> u64 {
    let mut table = [0u64; 512];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut i: u64 = 0;
    while i < iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let slot = (x as usize) & 511;
        unsafe {
            let p = table.as_mut_ptr();
            write_volatile(p.add(slot), x);
            write_volatile(p.add((slot + 1) & 511), i);
            x ^= read_volatile(p.add((slot + 257) & 511));
        }
        i += 1;
    }
    x
}

fn run_checks(c: &mut Checks) {
    let st: EntryState = entry::entry_state();

    // --- base revision --------------------------------------------------------
    let tag = unsafe { read_volatile(&raw const BASE_REVISION) };
    c.check(
        "base revision 3 supported",
        tag[2] == 0 && tag[1] == 3,
        format_args!("tag[1]={:#x} (want 3), tag[2]={:#x} (want 0)", tag[1], tag[2]),
    );

    // --- bootloader info ------------------------------------------------------
    match unsafe { response(&raw const BOOTLOADER_INFO) } {
        Some(r) => {
            let name = unsafe { c_str(r.name, 256) };
            let version = unsafe { c_str(r.version, 256) };
            println!(
                "  bootloader: name=\"{}\" version=\"{}\"",
                io::Escaped(name),
                io::Escaped(version)
            );
            c.check(
                "bootloader info",
                name == b"limu" && !version.is_empty(),
                format_args!("name=\"{}\" version=\"{}\"", io::Escaped(name), io::Escaped(version)),
            );
        }
        None => {
            c.check("bootloader info", false, format_args!("no response"));
        }
    }

    // --- firmware type --------------------------------------------------------
    match unsafe { response(&raw const FIRMWARE_TYPE) } {
        Some(r) => {
            let t = r.firmware_type;
            let name = match t {
                FIRMWARE_X86_BIOS => "x86 BIOS",
                FIRMWARE_EFI32 => "EFI32",
                FIRMWARE_EFI64 => "EFI64",
                FIRMWARE_SBI => "SBI",
                _ => "unknown",
            };
            println!("  firmware type: {} ({})", t, name);
            c.check("firmware type", true, format_args!(""));
        }
        None => {
            c.check("firmware type", false, format_args!("no response"));
        }
    }

    // --- HHDM -----------------------------------------------------------------
    let hhdm = unsafe { response(&raw const HHDM) }.map(|r| r.offset);
    match hhdm {
        Some(off) => {
            println!("  hhdm offset: {:#x}", off);
            c.check(
                "hhdm offset",
                off == EXPECTED_HHDM,
                format_args!("offset={:#x}, want {:#x}", off, EXPECTED_HHDM),
            );
        }
        None => {
            c.check("hhdm offset", false, format_args!("no response"));
        }
    }

    // --- paging mode ----------------------------------------------------------
    match unsafe { response(&raw const PAGING_MODE) } {
        Some(r) => {
            c.check(
                "paging mode 4-level",
                r.mode == PAGING_MODE_4LVL,
                format_args!("mode={}", r.mode),
            );
        }
        None => {
            c.check("paging mode 4-level", false, format_args!("no response"));
        }
    }

    // --- memory map -----------------------------------------------------------
    let mut map = Memmap::empty();
    let memmap = unsafe { response(&raw const MEMMAP) };
    c.check("memory map present", memmap.is_some(), format_args!("no response"));
    if let Some(r) = memmap {
        let count = r.entry_count;
        c.check(
            "memory map entry count",
            count > 0 && count <= MAX_MEMMAP as u64,
            format_args!("entry_count={} (want 1..={})", count, MAX_MEMMAP),
        );
        map.len = (count as usize).min(MAX_MEMMAP);
        for i in 0..map.len {
            map.entries[i] = unsafe { r.entry(i) };
        }
    }
    println!("  memmap: {} entries", map.len);
    for e in map.iter() {
        let name = memmap_type_name(e.entry_type);
        if name == "UNKNOWN" {
            println!(
                "  memmap: base={:#x} len={:#x} type=UNKNOWN({})",
                e.base, e.length, e.entry_type
            );
        } else {
            println!("  memmap: base={:#x} len={:#x} type={}", e.base, e.length, name);
        }
    }
    if memmap.is_some() {
        let unsorted = (1..map.len).find(|&i| map.entries[i].base < map.entries[i - 1].base);
        let ui = unsorted.unwrap_or(0);
        c.check(
            "memory map sorted by base",
            unsorted.is_none(),
            format_args!(
                "entry {} base {:#x} below the previous entry's",
                ui, map.entries[ui].base
            ),
        );

        let unknown = map.iter().position(|e| e.entry_type > MEMMAP_RESERVED_MAPPED);
        c.check(
            "memory map types known",
            unknown.is_none(),
            format_args!(
                "entry {} has type {}",
                unknown.unwrap_or(0),
                map.entries[unknown.unwrap_or(0)].entry_type
            ),
        );

        let strict = |t: u64| t == MEMMAP_USABLE || t == MEMMAP_BOOTLOADER_RECLAIMABLE;
        let misaligned = map
            .iter()
            .position(|e| strict(e.entry_type) && (e.base % PAGE != 0 || e.length % PAGE != 0 || e.length == 0));
        let m = map.entries[misaligned.unwrap_or(0)];
        c.check(
            "memory map USABLE/BOOTLOADER_RECLAIMABLE 4 KiB aligned",
            misaligned.is_none(),
            format_args!(
                "entry {} base={:#x} len={:#x}",
                misaligned.unwrap_or(0),
                m.base,
                m.length
            ),
        );

        let mut overlap: Option<(usize, usize)> = None;
        'outer: for i in 0..map.len {
            if !strict(map.entries[i].entry_type) {
                continue;
            }
            let a = map.entries[i];
            for j in 0..map.len {
                if i == j {
                    continue;
                }
                let b = map.entries[j];
                if a.base < b.base.saturating_add(b.length) && b.base < a.base.saturating_add(a.length) {
                    overlap = Some((i, j));
                    break 'outer;
                }
            }
        }
        let (oi, oj) = overlap.unwrap_or((0, 0));
        c.check(
            "memory map USABLE/BOOTLOADER_RECLAIMABLE not overlapping",
            overlap.is_none(),
            format_args!("entry {} overlaps entry {}", oi, oj),
        );

        c.check(
            "memory map has USABLE memory",
            map.iter().any(|e| e.entry_type == MEMMAP_USABLE && e.length > 0),
            format_args!("no USABLE entry"),
        );
    }

    // --- executable address ---------------------------------------------------
    let kernel_start = (&raw const __kernel_start) as u64;
    let kernel_end = (&raw const __kernel_end) as u64;
    let exec = unsafe { response(&raw const EXECUTABLE_ADDRESS) };
    c.check(
        "executable address present",
        exec.is_some(),
        format_args!("no response"),
    );
    if let Some(r) = exec {
        let (phys, virt) = (r.physical_base, r.virtual_base);
        println!(
            "  executable: physical_base={:#x} virtual_base={:#x} size={:#x}",
            phys,
            virt,
            kernel_end - kernel_start
        );
        c.check(
            "executable virtual_base == __kernel_start",
            virt == kernel_start,
            format_args!("virtual_base={:#x}, __kernel_start={:#x}", virt, kernel_start),
        );
        c.check(
            "executable physical_base 4 KiB aligned",
            phys % PAGE == 0,
            format_args!("physical_base={:#x}", phys),
        );
        let region = map.region_of(phys);
        c.check(
            "executable physical_base in EXECUTABLE_AND_MODULES region",
            region.map(|e| e.entry_type) == Some(MEMMAP_EXECUTABLE_AND_MODULES),
            format_args!(
                "region type {}",
                region.map_or("none", |e| memmap_type_name(e.entry_type))
            ),
        );
        let image_size = kernel_end - kernel_start;
        let image_covered = map.covered(phys, phys.saturating_add(image_size), |t| {
            t == MEMMAP_EXECUTABLE_AND_MODULES
        });
        c.check(
            "executable image inside EXECUTABLE_AND_MODULES memory",
            image_covered,
            format_args!("[{:#x}, {:#x}) not covered", phys, phys.saturating_add(image_size)),
        );

        // The image read through the HHDM must equal the image at its link
        // address, in every segment.
        match hhdm {
            Some(off) if map.hhdm_mapped(phys, phys.saturating_add(image_size)) => {
                let alias = |addr: u64| (off.wrapping_add(phys).wrapping_add(addr.wrapping_sub(virt))) as *const u8;
                let same = |what: &str, c: &mut Checks, addr: u64, len: usize| {
                    let mut bad = None;
                    for i in 0..len {
                        let a = unsafe { read_volatile((addr as *const u8).add(i)) };
                        let b = unsafe { read_volatile(alias(addr).add(i)) };
                        if a != b {
                            bad = Some((i, a, b));
                            break;
                        }
                    }
                    let (i, a, b) = bad.unwrap_or((0, 0, 0));
                    c.check(
                        what,
                        bad.is_none(),
                        format_args!(
                            "byte {} at {:#x}: {:#04x} via link address, {:#04x} via HHDM",
                            i,
                            addr + i as u64,
                            a,
                            b
                        ),
                    );
                };
                same("kernel .text readable through HHDM", c, kernel_start, 64);
                same(
                    "kernel .rodata readable through HHDM",
                    c,
                    (&raw const RODATA_PATTERN) as u64,
                    64,
                );
                same(
                    "kernel .data readable through HHDM",
                    c,
                    (&raw const DATA_PATTERN) as u64,
                    64,
                );
                let expect: [u8; 64] = pattern(0x5a);
                let rodata = unsafe { read_volatile(&raw const RODATA_PATTERN) };
                c.check(
                    "kernel .rodata contents",
                    rodata == expect,
                    format_args!("pattern differs"),
                );

                // A write through the HHDM alias must be seen at the link address.
                let p = alias((&raw const DATA_PATTERN) as u64) as *mut u8;
                unsafe { write_volatile(p.add(7), 0x77) };
                let seen = unsafe { read_volatile((&raw const DATA_PATTERN as *const u8).add(7)) };
                c.check(
                    "HHDM alias of .data is the same memory",
                    seen == 0x77,
                    format_args!("wrote 0x77 via HHDM, read {:#04x} at link address", seen),
                );
            }
            _ => {
                c.check(
                    "kernel image readable through HHDM",
                    false,
                    format_args!("no HHDM response, or the image is not in HHDM-mapped memory"),
                );
            }
        }
    }

    // --- writable USABLE memory above 1 MiB ----------------------------------
    let page = map.iter().filter(|e| e.entry_type == MEMMAP_USABLE).find_map(|e| {
        let start = e.base.max(0x10_0000).next_multiple_of(PAGE);
        (start.saturating_add(PAGE) <= e.base.saturating_add(e.length)).then_some(start)
    });
    match (page, hhdm) {
        (Some(phys), Some(off)) => {
            let p = (off + phys) as *mut u64;
            let word = |i: u64| (phys + i * 8) ^ 0xa5a5_5a5a_f00d_cafe;
            for i in 0..(PAGE / 8) {
                unsafe { write_volatile(p.add(i as usize), word(i)) };
            }
            let bad = (0..(PAGE / 8)).find(|&i| unsafe { read_volatile(p.add(i as usize)) } != word(i));
            c.check(
                "USABLE page above 1 MiB writable through HHDM",
                bad.is_none(),
                format_args!("phys {:#x}: word {} differs", phys, bad.unwrap_or(0)),
            );
            println!("  usable page: phys={:#x} virt={:#x}", phys, off + phys);
        }
        _ => {
            c.check(
                "USABLE page above 1 MiB writable through HHDM",
                false,
                format_args!("no HHDM response or no USABLE page above 1 MiB"),
            );
        }
    }

    // --- date at boot -------------------------------------------------------
    match unsafe { response(&raw const DATE_AT_BOOT) } {
        Some(r) => {
            println!("  date at boot: {}", r.timestamp);
            c.check(
                "date at boot",
                r.timestamp > 1_600_000_000,
                format_args!("timestamp={}", r.timestamp),
            );
        }
        None => {
            c.check("date at boot", false, format_args!("no response"));
        }
    }

    // --- executable cmdline ---------------------------------------------------
    let cmdline_resp = unsafe { response(&raw const EXECUTABLE_CMDLINE) };
    println!("  cmdline: \"{}\"", io::Escaped(cmdline()));
    c.check(
        "executable cmdline present",
        cmdline_resp.is_some(),
        format_args!("no response"),
    );

    // --- stack ------------------------------------------------------------------
    c.check(
        "stack size response present",
        unsafe { response(&raw const STACK_SIZE) }.is_some(),
        format_args!("no response"),
    );
    let rsp = st.rsp;
    match hhdm {
        Some(off) => {
            let is_hhdm = rsp > off && rsp < KERNEL_REGION_START;
            c.check("entry RSP is an HHDM address", is_hhdm, format_args!("rsp={:#x}", rsp));
            if is_hhdm {
                let top = rsp - off + 8; // RSP points at the pushed 0
                println!("  stack: rsp={:#x} phys top={:#x}", rsp, top);
                c.check(
                    "stack in BOOTLOADER_RECLAIMABLE memory",
                    map.covered(top - 8, top, |t| t == MEMMAP_BOOTLOADER_RECLAIMABLE),
                    format_args!(
                        "phys {:#x} is in {}",
                        top - 8,
                        map.region_of(top - 8)
                            .map_or("no region", |e| memmap_type_name(e.entry_type))
                    ),
                );
                c.check(
                    "stack has the requested 128 KiB",
                    top >= REQUESTED_STACK_SIZE
                        && map.covered(top - REQUESTED_STACK_SIZE, top, |t| t == MEMMAP_BOOTLOADER_RECLAIMABLE),
                    format_args!(
                        "[{:#x}, {:#x}) not all BOOTLOADER_RECLAIMABLE",
                        top.saturating_sub(REQUESTED_STACK_SIZE),
                        top
                    ),
                );
            }
        }
        None => {
            c.check("entry RSP is an HHDM address", false, format_args!("no HHDM response"));
        }
    }

    // --- machine state at entry ----------------------------------------------
    println!(
        "  entry: rsp={:#x} [rsp]={:#x} rflags={:#x} cs={:#x} ds={:#x} es={:#x} fs={:#x} gs={:#x} ss={:#x}",
        st.rsp, st.stack_top_qword, st.rflags, st.cs, st.ds, st.es, st.fs, st.gs, st.ss
    );
    println!(
        "  entry: cr0={:#x} cr2={:#x} cr3={:#x} cr4={:#x} efer={:#x} pat={:#018x}",
        st.cr0, st.cr2, st.cr3, st.cr4, st.efer, st.pat
    );
    let (gdt_limit, gdt_base) = EntryState::table_register(st.gdtr);
    let (idt_limit, idt_base) = EntryState::table_register(st.idtr);
    println!(
        "  entry: gdtr base={:#x} limit={:#x} idtr base={:#x} limit={:#x}",
        gdt_base, gdt_limit, idt_base, idt_limit
    );
    c.check("entry CS == 0x28", st.cs == 0x28, format_args!("cs={:#x}", st.cs));
    c.check(
        "entry DS == SS == 0x30",
        st.ds == 0x30 && st.ss == 0x30,
        format_args!("ds={:#x} ss={:#x}", st.ds, st.ss),
    );
    c.check(
        "entry ES == FS == GS == 0x30",
        st.es == 0x30 && st.fs == 0x30 && st.gs == 0x30,
        format_args!("es={:#x} fs={:#x} gs={:#x}", st.es, st.fs, st.gs),
    );
    c.check(
        "entry RFLAGS IF, DF, VM clear",
        st.rflags & ((1 << 9) | (1 << 10) | (1 << 17)) == 0,
        format_args!("rflags={:#x}", st.rflags),
    );
    c.check(
        "entry CR0 == 0x80010011",
        st.cr0 == 0x8001_0011,
        format_args!("cr0={:#x}", st.cr0),
    );
    c.check(
        "entry CR4.PAE set",
        st.cr4 & 0x20 != 0,
        format_args!("cr4={:#x}", st.cr4),
    );
    c.check(
        "entry EFER == 0xd00",
        st.efer == 0xd00,
        format_args!("efer={:#x}", st.efer),
    );
    c.check(
        "entry PAT == 0x0000010500070406",
        st.pat == 0x0000_0105_0007_0406,
        format_args!("pat={:#018x}", st.pat),
    );
    c.check(
        "entry GDTR limit == 0x37",
        gdt_limit == 0x37,
        format_args!("limit={:#x}", gdt_limit),
    );
    match hhdm {
        Some(off) if gdt_base >= off && gdt_base < KERNEL_REGION_START => {
            let phys = gdt_base - off;
            let in_blr = map.covered(phys, phys + 0x38, |t| t == MEMMAP_BOOTLOADER_RECLAIMABLE);
            c.check(
                "GDT in BOOTLOADER_RECLAIMABLE memory",
                in_blr,
                format_args!("phys {:#x}", phys),
            );
            if in_blr && gdt_limit >= 0x37 {
                let gdt = gdt_base as *const u64;
                let code = unsafe { read_volatile(gdt.add(5)) };
                let data = unsafe { read_volatile(gdt.add(6)) };
                println!("  gdt: [0x28]={:#018x} [0x30]={:#018x}", code, data);
                // present, S, code, L=1, D=0
                let code_ok = code & (1 << 47) != 0
                    && code & (1 << 44) != 0
                    && code & (1 << 43) != 0
                    && code & (1 << 53) != 0
                    && code & (1 << 54) == 0;
                // present, S, data, writable
                let data_ok =
                    data & (1 << 47) != 0 && data & (1 << 44) != 0 && data & (1 << 43) == 0 && data & (1 << 41) != 0;
                c.check(
                    "GDT 0x28 is 64-bit code, 0x30 is writable data",
                    code_ok && data_ok,
                    format_args!("[0x28]={:#018x} [0x30]={:#018x}", code, data),
                );
            }
        }
        _ => {
            c.check(
                "GDT in BOOTLOADER_RECLAIMABLE memory",
                false,
                format_args!("gdtr base={:#x} is not an HHDM address", gdt_base),
            );
        }
    }
    c.check(
        "entry RSP % 16 == 8",
        st.rsp % 16 == 8,
        format_args!("rsp={:#x}", st.rsp),
    );
    c.check(
        "entry [RSP] == 0",
        st.stack_top_qword == 0,
        format_args!("[rsp]={:#x}", st.stack_top_qword),
    );
    let gprs = st.gprs();
    let nonzero = gprs.iter().find(|(_, v)| *v != 0);
    let (reg, val) = nonzero.copied().unwrap_or(("", 0));
    c.check(
        "entry GPRs rax..r15 zero",
        nonzero.is_none(),
        format_args!(
            "{}={:#x} ({} non-zero)",
            reg,
            val,
            gprs.iter().filter(|(_, v)| *v != 0).count()
        ),
    );

    // --- .bss -----------------------------------------------------------------
    let bss = &raw const BSS_ARRAY;
    let dirty = (0..2048).find(|&i| unsafe { read_volatile((bss as *const u64).add(i)) } != 0);
    c.check(
        ".bss zeroed",
        dirty.is_none(),
        format_args!("word {} = {:#x}", dirty.unwrap_or(0), unsafe {
            read_volatile((bss as *const u64).add(dirty.unwrap_or(0)))
        }),
    );
}

kernel_support::report_panics!();
