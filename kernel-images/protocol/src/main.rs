// SPDX-License-Identifier: GPL-2.0-or-later
//! `protocol`: a crate-free kernel that asks for every Limine request of
//! base revision 3 and checks each response from the inside, reporting over
//! COM1 one line per check:
//!
//! ```text
//! ok: <what>
//! FAIL: <what> (<details>)
//! protocol: N checks, M failed
//! ```
//!
//! (info lines start with two spaces), then exits through isa-debug-exit:
//! 0x10 if nothing failed, else 0x11.
//!
//! Requests: bootloader info, executable cmdline, firmware type, stack size
//! (96 KiB), HHDM, framebuffer, paging mode (revision 1, 4-level), MP
//! (flags 0), memory map, entry point, executable file, module (request
//! revision 1, no internal modules), RSDP, SMBIOS, EFI system table, EFI
//! memory map, date at boot, executable address, DTB, bootloader
//! performance.
//!
//! The executable cmdline carries the expectations, `key=value` words
//! separated by spaces, all optional:
//!
//! | key | checks |
//! |---|---|
//! | `cpus=N` | MP cpu_count == N (and N MADT processors) |
//! | `modules=N` | module response count == N (default: any, even none) |
//! | `fb=WxH` | framebuffer 0 is W x H |
//! | `date=N` | date at boot == N (default: > 1600000000) |
//!
//! e.g. `cpus=4 modules=0`. Base revision 3 maps neither ACPI tables nor
//! SMBIOS in the HHDM and passes their addresses physical, so the kernel
//! maps them itself (`paging.rs`).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

mod firmware;
mod paging;

use core::ptr::{null, read_unaligned, read_volatile};
use core::sync::atomic::{AtomicU8, Ordering};

use checks::*;
use limine::*;

// ---------------------------------------------------------------------------
// Requests.

const REQUESTED_STACK_SIZE: u64 = 96 * 1024;

kernel_support::limine_requests! {
    base_revision: 3;
    BOOTLOADER_INFO: Request<BootloaderInfoResponse> = Request::new(BOOTLOADER_INFO_ID, 0, ());
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    FIRMWARE_TYPE: Request<FirmwareTypeResponse> = Request::new(FIRMWARE_TYPE_ID, 0, ());
    STACK_SIZE: Request<StackSizeResponse, StackSizeRequestExtra> = Request::new(
        STACK_SIZE_ID,
        0,
        StackSizeRequestExtra {
            stack_size: REQUESTED_STACK_SIZE,
        },
    );
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    FRAMEBUFFER: Request<FramebufferResponse> = Request::new(FRAMEBUFFER_ID, 0, ());
    PAGING_MODE: Request<PagingModeResponse, PagingModeRequestExtra> =
        Request::new(PAGING_MODE_ID, 1, PAGING_4LVL_ONLY);
    MP: Request<MpResponse, MpRequestExtra> = Request::new(MP_ID, 0, MpRequestExtra { flags: 0 });
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
    ENTRY_POINT: Request<EntryPointResponse, EntryPointRequestExtra> =
        Request::new(ENTRY_POINT_ID, 0, EntryPointRequestExtra { entry: protocol_entry });
    EXECUTABLE_FILE: Request<ExecutableFileResponse> = Request::new(EXECUTABLE_FILE_ID, 0, ());
    /// Request revision 1 with no internal modules.
    MODULE: Request<ModuleResponse, ModuleRequestExtra> = Request::new(
        MODULE_ID,
        1,
        ModuleRequestExtra {
            internal_module_count: 0,
            internal_modules: null(),
        },
    );
    RSDP: Request<RsdpResponse> = Request::new(RSDP_ID, 0, ());
    SMBIOS: Request<SmbiosResponse> = Request::new(SMBIOS_ID, 0, ());
    EFI_SYSTEM_TABLE: Request<EfiSystemTableResponse> = Request::new(EFI_SYSTEM_TABLE_ID, 0, ());
    EFI_MEMMAP: Request<EfiMemmapResponse> = Request::new(EFI_MEMMAP_ID, 0, ());
    DATE_AT_BOOT: Request<DateAtBootResponse> = Request::new(DATE_AT_BOOT_ID, 0, ());
    EXECUTABLE_ADDRESS: Request<ExecutableAddressResponse> = Request::new(EXECUTABLE_ADDRESS_ID, 0, ());
    DTB: Request<DtbResponse> = Request::new(DTB_ID, 0, ());
    BOOTLOADER_PERFORMANCE: Request<BootloaderPerformanceResponse> = Request::new(BOOTLOADER_PERFORMANCE_ID, 0, ());
}

// ---------------------------------------------------------------------------
// Entry points: `_start` is the ELF entry, `protocol_entry` the one named by
// the entry point request. A conforming loader jumps to the latter.

const ENTERED_VIA_ENTRY_POINT: u8 = 1;
const ENTERED_VIA_ELF_ENTRY: u8 = 2;

static ENTERED_VIA: AtomicU8 = AtomicU8::new(0);

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    ENTERED_VIA.store(ENTERED_VIA_ELF_ENTRY, Ordering::SeqCst);
    protocol_main()
}

#[unsafe(no_mangle)]
pub extern "C" fn protocol_entry() -> ! {
    ENTERED_VIA.store(ENTERED_VIA_ENTRY_POINT, Ordering::SeqCst);
    protocol_main()
}

const MAX_CPUS: usize = 256;

/// Facts gathered by the checks and shared between them.
pub struct Expect {
    pub hhdm: u64,
    pub cpu_count: usize,
    pub bsp_lapic_id: u32,
    /// MP (processor_id, lapic_id) per CPU, in response order.
    pub cpus: [(u32, u32); MAX_CPUS],
}

fn protocol_main() -> ! {
    io::Serial::new(io::COM1).init();
    let mut c = Checks::new();
    run_checks(&mut c);
    println!("protocol: {} checks, {} failed", c.total, c.failed);
    io::exit_pass_fail(c.failed == 0)
}

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const EXECUTABLE_CMDLINE) }
}

fn run_checks(c: &mut Checks) {
    // --- entry, base revision, simple responses ---------------------------------
    let via = ENTERED_VIA.load(Ordering::SeqCst);
    c.check(
        format_args!("entered through the entry point request"),
        via == ENTERED_VIA_ENTRY_POINT,
        format_args!("entered through the ELF entry _start"),
    );
    c.check(
        format_args!("entry point response present"),
        unsafe { response(&raw const ENTRY_POINT) }.is_some(),
        format_args!("no response"),
    );

    let tag = unsafe { read_volatile(&raw const BASE_REVISION) };
    c.check(
        format_args!("base revision 3 supported"),
        tag[2] == 0 && tag[1] == 3,
        format_args!("tag[1]={:#x} (want 3), tag[2]={:#x} (want 0)", tag[1], tag[2]),
    );

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
                format_args!("bootloader info name and version non-empty"),
                !name.is_empty() && !version.is_empty(),
                format_args!("name=\"{}\" version=\"{}\"", io::Escaped(name), io::Escaped(version)),
            );
        }
        None => {
            c.check(
                format_args!("bootloader info present"),
                false,
                format_args!("no response"),
            );
        }
    }

    let cmd = cmdline();
    let cmdline_present = unsafe { response(&raw const EXECUTABLE_CMDLINE) }.is_some();
    println!("  cmdline: \"{}\"", io::Escaped(cmd));
    c.check(
        format_args!("executable cmdline present"),
        cmdline_present,
        format_args!("no response"),
    );

    match unsafe { response(&raw const FIRMWARE_TYPE) } {
        Some(r) => {
            c.check(
                format_args!("firmware type 0 (x86 BIOS)"),
                r.firmware_type == FIRMWARE_X86_BIOS,
                format_args!("type={}", r.firmware_type),
            );
        }
        None => {
            c.check(
                format_args!("firmware type present"),
                false,
                format_args!("no response"),
            );
        }
    }

    c.check(
        format_args!("stack size response present"),
        unsafe { response(&raw const STACK_SIZE) }.is_some(),
        format_args!("no response"),
    );

    match unsafe { response(&raw const PAGING_MODE) } {
        Some(r) => {
            c.check(
                format_args!("paging mode 4-level"),
                r.mode == PAGING_MODE_4LVL,
                format_args!("mode={}", r.mode),
            );
        }
        None => {
            c.check(format_args!("paging mode present"), false, format_args!("no response"));
        }
    }

    let hhdm_resp = unsafe { response(&raw const HHDM) };
    c.check(
        format_args!("HHDM present"),
        hhdm_resp.is_some(),
        format_args!("no response"),
    );
    let Some(hhdm) = hhdm_resp.map(|r| r.offset) else {
        println!("FAIL: cannot check further without the HHDM");
        c.failed += 1;
        return;
    };
    println!("  hhdm offset: {:#x}", hhdm);

    let memmap = unsafe { response(&raw const MEMMAP) };
    c.check(
        format_args!("memory map present"),
        memmap.is_some(),
        format_args!("no response"),
    );
    let map = match memmap {
        Some(r) => Memmap::from_response(r),
        None => Memmap::empty(),
    };
    println!("  memmap: {} entries", map.len);
    map.print();

    check_date(c, cmd);
    check_null_responses(c);
    check_performance(c);
    check_framebuffer(c, cmd, hhdm, &map);
    check_executable_file(c, cmd, cmdline_present, hhdm, &map);
    check_modules(c, cmd, hhdm, &map);

    let mut expect = Expect {
        hhdm,
        cpu_count: 0,
        bsp_lapic_id: 0,
        cpus: [(0, 0); MAX_CPUS],
    };
    check_mp(c, cmd, &map, &mut expect);

    // --- firmware tables (ACPI, SMBIOS) through our own mappings ---------------
    let Some(ea) = (unsafe { response(&raw const EXECUTABLE_ADDRESS) }) else {
        c.check(
            format_args!("executable address present"),
            false,
            format_args!("no response (needed to map ACPI/SMBIOS)"),
        );
        return;
    };
    let mut window = match paging::PhysWindow::init(hhdm, ea.physical_base, ea.virtual_base) {
        Ok(w) => w,
        Err(e) => {
            c.check(
                format_args!("map a window for ACPI/SMBIOS"),
                false,
                format_args!("{}", e),
            );
            return;
        }
    };
    println!("  physical window at PML4 slot {}", window.pml4_index);
    firmware::check_acpi(c, &mut window, &map, &expect, unsafe { response(&raw const RSDP) });
    firmware::check_smbios(c, &mut window, &expect, unsafe { response(&raw const SMBIOS) });
}

fn check_date(c: &mut Checks, cmd: &[u8]) {
    let Some(r) = (unsafe { response(&raw const DATE_AT_BOOT) }) else {
        c.check(format_args!("date at boot present"), false, format_args!("no response"));
        return;
    };
    let ts = r.timestamp;
    println!("  date at boot: {}", ts);
    match cmdline_value(cmd, b"date").and_then(parse_u64) {
        Some(want) => {
            c.check(
                format_args!("date at boot == {}", want),
                ts == want as i64,
                format_args!("timestamp={}", ts),
            );
        }
        None => {
            c.check(
                format_args!("date at boot > 1600000000"),
                ts > 1_600_000_000,
                format_args!("timestamp={}", ts),
            );
        }
    }
}

fn check_null_responses(c: &mut Checks) {
    c.check(
        format_args!("EFI system table response NULL"),
        unsafe { response(&raw const EFI_SYSTEM_TABLE) }.is_none(),
        format_args!("answered on a non-EFI machine"),
    );
    c.check(
        format_args!("EFI memory map response NULL"),
        unsafe { response(&raw const EFI_MEMMAP) }.is_none(),
        format_args!("answered on a non-EFI machine"),
    );
    c.check(
        format_args!("DTB response NULL"),
        unsafe { response(&raw const DTB) }.is_none(),
        format_args!("answered on x86"),
    );
}

fn check_performance(c: &mut Checks) {
    match unsafe { response(&raw const BOOTLOADER_PERFORMANCE) } {
        Some(r) => {
            println!(
                "  bootloader performance: reset={}us init={}us exec={}us",
                r.reset_usec, r.init_usec, r.exec_usec
            );
            c.check(format_args!("bootloader performance present"), true, format_args!(""));
        }
        None => {
            c.check(
                format_args!("bootloader performance present"),
                false,
                format_args!("no response"),
            );
        }
    }
}

/// Parses `WxH`.
fn parse_dims(s: &[u8]) -> Option<(u64, u64)> {
    let x = s.iter().position(|&b| b == b'x')?;
    Some((parse_u64(&s[..x])?, parse_u64(&s[x + 1..])?))
}

fn check_framebuffer(c: &mut Checks, cmd: &[u8], hhdm: u64, map: &Memmap) {
    let Some(r) = (unsafe { response(&raw const FRAMEBUFFER) }) else {
        c.check(format_args!("framebuffer present"), false, format_args!("no response"));
        return;
    };
    println!(
        "  framebuffer response: revision {} count {}",
        r.revision, r.framebuffer_count
    );
    if !c.check(
        format_args!("framebuffer count >= 1"),
        r.framebuffer_count >= 1,
        format_args!("count={}", r.framebuffer_count),
    ) {
        return;
    }
    let fb = unsafe { r.framebuffer(0) };
    let addr = fb.address as u64;
    println!(
        "  framebuffer 0: address={:#x} {}x{} pitch {} bpp {} model {} R {}@{} G {}@{} B {}@{} edid {}",
        addr,
        fb.width,
        fb.height,
        fb.pitch,
        fb.bpp,
        fb.memory_model,
        fb.red_mask_size,
        fb.red_mask_shift,
        fb.green_mask_size,
        fb.green_mask_shift,
        fb.blue_mask_size,
        fb.blue_mask_shift,
        fb.edid_size
    );
    let phys = hhdm_phys(addr, hhdm);
    c.check(
        format_args!("framebuffer address is an HHDM pointer"),
        phys.is_some(),
        format_args!("address={:#x}", addr),
    );
    if let Some(dims) = cmdline_value(cmd, b"fb").and_then(parse_dims) {
        c.check(
            format_args!("framebuffer {}x{}", dims.0, dims.1),
            (fb.width, fb.height) == dims,
            format_args!("{}x{}", fb.width, fb.height),
        );
    }
    c.check(
        format_args!("framebuffer 32 bpp RGB"),
        fb.bpp == 32 && fb.memory_model == FRAMEBUFFER_RGB,
        format_args!("bpp={} model={}", fb.bpp, fb.memory_model),
    );
    c.check(
        format_args!("framebuffer pitch >= width * 4"),
        fb.width > 0 && fb.height > 0 && fb.pitch >= fb.width.saturating_mul(4),
        format_args!("width={} height={} pitch={}", fb.width, fb.height, fb.pitch),
    );
    c.check(
        format_args!("framebuffer masks R 8@16 G 8@8 B 8@0"),
        (fb.red_mask_size, fb.red_mask_shift) == (8, 16)
            && (fb.green_mask_size, fb.green_mask_shift) == (8, 8)
            && (fb.blue_mask_size, fb.blue_mask_shift) == (8, 0),
        format_args!(
            "R {}@{} G {}@{} B {}@{}",
            fb.red_mask_size,
            fb.red_mask_shift,
            fb.green_mask_size,
            fb.green_mask_shift,
            fb.blue_mask_size,
            fb.blue_mask_shift
        ),
    );
    if let Some(p) = phys {
        let end = p.saturating_add(fb.pitch.saturating_mul(fb.height));
        c.check(
            format_args!("memory map FRAMEBUFFER entry covers the framebuffer"),
            map.covered(p, end, |t| t == MEMMAP_FRAMEBUFFER),
            format_args!("[{:#x}, {:#x}) is in {}", p, end, map.type_name_at(p)),
        );
    }
    if !c.check(
        format_args!("framebuffer response revision >= 1"),
        r.revision >= 1,
        format_args!("revision={}", r.revision),
    ) {
        return;
    }
    let count = fb.mode_count;
    println!("  framebuffer 0: {} modes", count);
    c.check(
        format_args!("framebuffer mode list non-empty"),
        count >= 1 && !fb.modes.is_null(),
        format_args!("mode_count={} modes={:p}", count, fb.modes),
    );
    let mut found = false;
    for i in 0..(count as usize).min(1024) {
        let m = unsafe { &*read_volatile(fb.modes.add(i)) };
        println!(
            "  mode {}: {}x{} pitch {} bpp {} model {}",
            i, m.width, m.height, m.pitch, m.bpp, m.memory_model
        );
        if m.width == fb.width && m.height == fb.height && m.pitch == fb.pitch && m.bpp == fb.bpp {
            found = true;
        }
    }
    c.check(
        format_args!("framebuffer mode list contains the current mode"),
        found,
        format_args!(
            "{}x{} pitch {} bpp {} not listed",
            fb.width, fb.height, fb.pitch, fb.bpp
        ),
    );
}

unsafe extern "C" {
    static __text_start: u8;
}

fn rd16(p: u64) -> u16 {
    unsafe { read_unaligned(p as *const u16) }
}
fn rd32(p: u64) -> u32 {
    unsafe { read_unaligned(p as *const u32) }
}
fn rd64(p: u64) -> u64 {
    unsafe { read_unaligned(p as *const u64) }
}

fn check_executable_file(c: &mut Checks, cmd: &[u8], cmdline_present: bool, hhdm: u64, map: &Memmap) {
    let Some(r) = (unsafe { response(&raw const EXECUTABLE_FILE) }) else {
        c.check(
            format_args!("executable file present"),
            false,
            format_args!("no response"),
        );
        return;
    };
    let f = unsafe { &*r.executable_file };
    let addr = f.address as u64;
    let path = unsafe { c_str(f.path, 4096) };
    let string = unsafe { c_str(f.string, 4096) };
    println!(
        "  executable file: address={:#x} size={} path=\"{}\" string=\"{}\" media {}",
        addr,
        f.size,
        io::Escaped(path),
        io::Escaped(string),
        f.media_type
    );
    let phys = hhdm_phys(addr, hhdm);
    if !c.check(
        format_args!("executable file address is a 4 KiB aligned HHDM pointer"),
        phys.is_some() && addr % 4096 == 0,
        format_args!("address={:#x}", addr),
    ) {
        return;
    }
    let phys = phys.unwrap_or(0);
    c.check(
        format_args!("executable file in EXECUTABLE_AND_MODULES memory"),
        map.covered(phys, phys.saturating_add(f.size), |t| {
            t == MEMMAP_EXECUTABLE_AND_MODULES
        }),
        format_args!("[{:#x}, +{:#x}) is in {}", phys, f.size, map.type_name_at(phys)),
    );
    c.check(
        format_args!("executable file path non-empty"),
        !path.is_empty(),
        format_args!("empty path"),
    );
    c.check(
        format_args!("executable file string == executable cmdline"),
        cmdline_present && string == cmd,
        format_args!("string=\"{}\" cmdline=\"{}\"", io::Escaped(string), io::Escaped(cmd)),
    );
    if !c.check(
        format_args!("executable file starts with \\x7fELF"),
        f.size >= 64 && rd32(addr) == u32::from_le_bytes(*b"\x7fELF"),
        format_args!(
            "size={} first word={:#x}",
            f.size,
            if f.size >= 4 { rd32(addr) } else { 0 }
        ),
    ) {
        return;
    }
    // GNU ld writes the section header table last: its end is the file size.
    let shoff = rd64(addr + 0x28);
    let shentsize = rd16(addr + 0x3a) as u64;
    let shnum = rd16(addr + 0x3c) as u64;
    let elf_end = shoff.saturating_add(shentsize.saturating_mul(shnum));
    c.check(
        format_args!("executable file size == ELF size (end of the section headers)"),
        f.size == elf_end,
        format_args!("size={} e_shoff+e_shnum*e_shentsize={}", f.size, elf_end),
    );
    let e_entry = rd64(addr + 0x18);
    c.check(
        format_args!("executable file e_entry == _start"),
        e_entry == _start as *const () as u64,
        format_args!("e_entry={:#x} _start={:#x}", e_entry, _start as *const () as u64),
    );
    // The executable PT_LOAD's bytes in the file equal the loaded .text.
    let phoff = rd64(addr + 0x20);
    let phentsize = rd16(addr + 0x36) as u64;
    let phnum = rd16(addr + 0x38) as u64;
    let text = &raw const __text_start as u64;
    let mut compared = false;
    for i in 0..phnum {
        let ph = addr + phoff + i * phentsize;
        let (p_type, p_flags) = (rd32(ph), rd32(ph + 4));
        let (p_offset, p_vaddr, p_filesz) = (rd64(ph + 8), rd64(ph + 16), rd64(ph + 32));
        if p_type == 1 && p_flags & 1 != 0 && p_vaddr <= text && p_offset.saturating_add(p_filesz) <= f.size {
            let same = (0..p_filesz).all(|j| unsafe {
                read_volatile((addr + p_offset + j) as *const u8) == read_volatile((p_vaddr + j) as *const u8)
            });
            c.check(
                format_args!("executable file's text segment == the loaded text"),
                same,
                format_args!("{} bytes at {:#x} differ", p_filesz, p_vaddr),
            );
            compared = true;
            break;
        }
    }
    if !compared {
        c.check(
            format_args!("executable file's text segment == the loaded text"),
            false,
            format_args!("no executable PT_LOAD found in the file"),
        );
    }
}

fn check_modules(c: &mut Checks, cmd: &[u8], hhdm: u64, map: &Memmap) {
    let want = cmdline_value(cmd, b"modules").and_then(parse_u64);
    let r = unsafe { response(&raw const MODULE) };
    let count = r.map_or(0, |r| r.module_count);
    if let Some(r) = r {
        println!("  modules: response revision {} count {}", r.revision, r.module_count);
    } else {
        println!("  modules: no response");
    }
    match want {
        Some(n) => {
            // No modules may be answered with NULL or an empty list.
            c.check(
                format_args!("module count == {}", n),
                count == n && (n == 0 || r.is_some()),
                format_args!("count={}", count),
            );
        }
        None => {
            println!("  modules: no modules=N on the cmdline, count not checked");
        }
    }
    let Some(r) = r else { return };
    for i in 0..(count as usize).min(64) {
        let m = unsafe { r.module(i) };
        let addr = m.address as u64;
        let path = unsafe { c_str(m.path, 4096) };
        let string = unsafe { c_str(m.string, 4096) };
        println!(
            "  module {}: address={:#x} size={} path=\"{}\" string=\"{}\"",
            i,
            addr,
            m.size,
            io::Escaped(path),
            io::Escaped(string)
        );
        let phys = hhdm_phys(addr, hhdm);
        c.check(
            format_args!("module {} address is a 4 KiB aligned HHDM pointer", i),
            phys.is_some() && addr % 4096 == 0,
            format_args!("address={:#x}", addr),
        );
        if let Some(p) = phys {
            c.check(
                format_args!("module {} in EXECUTABLE_AND_MODULES memory", i),
                map.covered(p, p.saturating_add(m.size), |t| t == MEMMAP_EXECUTABLE_AND_MODULES),
                format_args!("[{:#x}, +{:#x}) is in {}", p, m.size, map.type_name_at(p)),
            );
        }
        c.check(
            format_args!("module {} path non-empty", i),
            !path.is_empty(),
            format_args!("empty path"),
        );
    }
}

fn check_mp(c: &mut Checks, cmd: &[u8], map: &Memmap, expect: &mut Expect) {
    let Some(r) = (unsafe { response(&raw const MP) }) else {
        c.check(format_args!("MP present"), false, format_args!("no response"));
        return;
    };
    let n = r.cpu_count as usize;
    println!(
        "  mp: revision {} flags {:#x} bsp_lapic_id {} cpu_count {}",
        r.revision, r.flags, r.bsp_lapic_id, r.cpu_count
    );
    match cmdline_value(cmd, b"cpus").and_then(parse_u64) {
        Some(want) => {
            c.check(
                format_args!("MP cpu_count == {}", want),
                r.cpu_count == want,
                format_args!("cpu_count={}", r.cpu_count),
            );
        }
        None => {
            c.check(
                format_args!("MP cpu_count >= 1"),
                r.cpu_count >= 1,
                format_args!("cpu_count={}", r.cpu_count),
            );
        }
    }
    c.check(
        format_args!("MP flags == 0 (x2APIC not requested)"),
        r.flags == 0,
        format_args!("flags={:#x}", r.flags),
    );
    if n == 0 || n > MAX_CPUS {
        c.check(
            format_args!("MP cpu_count in 1..={}", MAX_CPUS),
            false,
            format_args!("cpu_count={}", n),
        );
        return;
    }
    expect.cpu_count = n;
    expect.bsp_lapic_id = r.bsp_lapic_id;
    let mut goto_ok = true;
    let mut stacks_ok = true;
    let mut ids_unique = true;
    for i in 0..n {
        let info = unsafe { &*r.cpu(i) };
        let goto = info.goto_address.load(Ordering::SeqCst);
        let extra = info.extra_argument.load(Ordering::SeqCst);
        println!(
            "  cpu {}: processor_id {} lapic_id {} reserved {:#x} goto {:#x} extra {:#x}",
            i, info.processor_id, info.lapic_id, info.reserved, goto, extra
        );
        expect.cpus[i] = (info.processor_id, info.lapic_id);
        if goto != 0 {
            goto_ok = false;
        }
        if (0..i).any(|j| expect.cpus[j].1 == info.lapic_id) {
            ids_unique = false;
        }
        if info.lapic_id != r.bsp_lapic_id {
            // An AP's stack top: an HHDM address, the whole stack below it in
            // BOOTLOADER_RECLAIMABLE memory.
            let ok = match hhdm_phys(info.reserved, expect.hhdm) {
                Some(top) => {
                    top >= REQUESTED_STACK_SIZE
                        && map.covered(top - REQUESTED_STACK_SIZE, top, |t| t == MEMMAP_BOOTLOADER_RECLAIMABLE)
                }
                None => false,
            };
            if !ok {
                stacks_ok = false;
                println!(
                    "  cpu {}: stack top {:#x} is not an HHDM address with {} KiB of BOOTLOADER_RECLAIMABLE below it",
                    i,
                    info.reserved,
                    REQUESTED_STACK_SIZE / 1024
                );
            }
        }
    }
    c.check(
        format_args!("MP bsp_lapic_id == cpus[0].lapic_id"),
        expect.cpus[0].1 == r.bsp_lapic_id,
        format_args!("bsp_lapic_id={} cpus[0].lapic_id={}", r.bsp_lapic_id, expect.cpus[0].1),
    );
    c.check(
        format_args!("MP lapic ids unique"),
        ids_unique,
        format_args!("duplicate lapic id"),
    );
    c.check(
        format_args!("MP goto_address 0 on every CPU"),
        goto_ok,
        format_args!("a goto_address is set before the kernel wrote it"),
    );
    c.check(
        format_args!(
            "MP AP stacks (reserved) are HHDM tops of {} KiB BOOTLOADER_RECLAIMABLE stacks",
            REQUESTED_STACK_SIZE / 1024
        ),
        stacks_ok,
        format_args!("see the cpu lines above"),
    );
}

kernel_support::report_panics!();
