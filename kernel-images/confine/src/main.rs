// SPDX-License-Identifier: GPL-2.0-or-later
//! `confine`: what a guest can learn about the host, and how much it can make
//! the host hold. The executable cmdline picks the mode:
//!
//! - `scan` (anything after `scan ` is ignored): reads a needle (one line, at most 255 bytes) from COM1's input,
//!   prints every string the bootloader handed over (bootloader name and
//!   version, cmdline, the executable file's path and string, every module's
//!   path and string; an optional internal module `confine-data.txt` is asked
//!   for), then searches every byte of every memory-map region (usable RAM,
//!   bootloader structures, ACPI tables, the BIOS areas, the kernel and
//!   module files, the framebuffer) through the HHDM for the needle. Each
//!   match outside the kernel's own copy of the needle is printed as
//!   `FOUND host path at 0x<phys> (<type>): "<context>"`. Then
//!   `confine: scanned <n> bytes in <m> regions, <k> matches`, and
//!   `confine: no host path` with exit 0x10, or exit 0x11 after a match.
//! - `flood <MiB> raw|lines`: writes MiB mebibytes to COM1 with `rep outsb`
//!   (`raw`: `x` bytes and no line end at all; `lines`: 63 `x` and a `\n`),
//!   then `confine: flooded <MiB> MiB` and exit 0x10.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use core::arch::asm;
use core::ptr;

use kernel_support::{io, limine};

use io::{EXIT_FAILURE, EXIT_SUCCESS, inb};
use limine::*;

/// Pointers into the kernel's read-only data, never written: safe to share.
#[repr(transparent)]
struct Shared<T>(T);
unsafe impl<T> Sync for Shared<T> {}

static DATA: Shared<InternalModule> = Shared(InternalModule {
    path: b"confine-data.txt\0".as_ptr(),
    string: b"internal module\0".as_ptr(),
    flags: 0,
});
static INTERNAL: Shared<[*const InternalModule; 1]> = Shared([&DATA.0 as *const InternalModule]);

// Revision 2: the HHDM maps all of the low 4 GiB, so ACPI tables and the BIOS areas are readable through it.
kernel_support::limine_requests! {
    base_revision: 2;
    BOOTLOADER_INFO: Request<BootloaderInfoResponse> = Request::new(BOOTLOADER_INFO_ID, 0, ());
    CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
    ADDRESS: Request<ExecutableAddressResponse> = Request::new(EXECUTABLE_ADDRESS_ID, 0, ());
    FILE: Request<ExecutableFileResponse> = Request::new(EXECUTABLE_FILE_ID, 0, ());
    MODULE: Request<ModuleResponse, ModuleRequestExtra> = Request::new(
        MODULE_ID,
        1,
        ModuleRequestExtra {
            internal_module_count: 1,
            internal_modules: &INTERNAL.0 as *const [*const InternalModule; 1] as *const *const InternalModule,
        },
    );
    RSDP: Request<RsdpResponse> = Request::new(RSDP_ID, 0, ());
    SMBIOS: Request<SmbiosResponse> = Request::new(SMBIOS_ID, 0, ());
}

/// The needle, read byte by byte from COM1 straight into this buffer (the one copy the scan skips).
static mut NEEDLE: [u8; 256] = [0; 256];

/// What `flood` writes, 4 KiB at a time.
static mut FLOOD: [u8; 4096] = [0; 4096];

const LSR: u16 = io::COM1 + 5;

fn cmdline() -> &'static [u8] {
    unsafe { executable_cmdline(&raw const CMDLINE) }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let cmd = cmdline();
    if cmd == b"scan" || cmd.starts_with(b"scan ") {
        scan()
    } else if let Some(rest) = cmd.strip_prefix(b"flood ") {
        flood(rest)
    } else {
        println!("confine: unknown cmdline \"{}\" (scan, flood MIB raw|lines)", io::Escaped(cmd));
        io::exit(EXIT_FAILURE)
    }
}

/// Reads one line from COM1 into NEEDLE (polling LSR bit 0); returns its length.
fn read_needle() -> usize {
    let mut n = 0;
    loop {
        while unsafe { inb(LSR) } & 1 == 0 {
            core::hint::spin_loop();
        }
        let b = unsafe { inb(io::COM1) };
        if b == b'\n' || b == b'\r' {
            if n > 0 {
                return n;
            }
            continue;
        }
        if n < 255 {
            unsafe { ptr::write_volatile(&raw mut NEEDLE[n], b) };
            n += 1;
        }
    }
}

fn show(what: &str, p: *const u8) {
    println!("{}: \"{}\"", what, io::Escaped(unsafe { c_str(p, 4096) }));
}

fn scan() -> ! {
    let n = read_needle();
    println!("confine: needle of {} bytes", n);
    if let Some(b) = unsafe { response(&raw const BOOTLOADER_INFO) } {
        show("bootloader name", b.name);
        show("bootloader version", b.version);
    }
    show("cmdline", cmdline().as_ptr());
    if let Some(f) = unsafe { response(&raw const FILE) } {
        let f = unsafe { &*f.executable_file };
        show("executable path", f.path);
        show("executable string", f.string);
    }
    if let Some(m) = unsafe { response(&raw const MODULE) } {
        for i in 0..m.module_count as usize {
            let f = unsafe { m.module(i) };
            show("module path", f.path);
            show("module string", f.string);
        }
    }
    if let Some(r) = unsafe { response(&raw const RSDP) } {
        println!("rsdp at 0x{:x}", r.address);
    }
    if let Some(s) = unsafe { response(&raw const SMBIOS) } {
        println!("smbios entry points 0x{:x} 0x{:x}", s.entry_32, s.entry_64);
    }
    let hhdm = unsafe { response(&raw const HHDM) }.map(|h| h.offset).unwrap_or(0);
    let own = match unsafe { response(&raw const ADDRESS) } {
        Some(a) => (&raw const NEEDLE) as u64 - a.virtual_base + a.physical_base,
        None => 0,
    };
    let needle = unsafe { core::slice::from_raw_parts(&raw const NEEDLE as *const u8, n) };
    let mut scanned = 0u64;
    let mut regions = 0;
    let mut matches = 0;
    if let Some(map) = unsafe { response(&raw const MEMMAP) } {
        for i in 0..map.entry_count as usize {
            let e = unsafe { map.entry(i) };
            regions += 1;
            scanned += e.length;
            matches += scan_region(hhdm, e.base, e.length, needle, own, memmap_type_name(e.entry_type));
        }
    }
    println!("confine: scanned {} bytes in {} regions, {} matches", scanned, regions, matches);
    if matches == 0 {
        println!("confine: no host path");
        io::exit(EXIT_SUCCESS)
    }
    io::exit(EXIT_FAILURE)
}

/// Searches physical [base, base + len) through the HHDM; prints and counts the matches.
fn scan_region(hhdm: u64, base: u64, len: u64, needle: &[u8], own: u64, kind: &str) -> u32 {
    let n = needle.len() as u64;
    if n == 0 || len < n {
        return 0;
    }
    let first = needle[0];
    let mem = (hhdm + base) as *const u8;
    let mut found = 0;
    let mut i = 0u64;
    while i + n <= len {
        if unsafe { ptr::read_volatile(mem.add(i as usize)) } == first {
            let mut k = 1;
            while k < n && unsafe { ptr::read_volatile(mem.add((i + k) as usize)) } == needle[k as usize] {
                k += 1;
            }
            if k == n && base + i != own {
                found += 1;
                let from = i.saturating_sub(24);
                let to = (i + n + 24).min(len);
                let context = unsafe { core::slice::from_raw_parts(mem.add(from as usize), (to - from) as usize) };
                println!("FOUND host path at 0x{:x} ({}): \"{}\"", base + i, kind, io::Escaped(context));
            }
        }
        i += 1;
    }
    found
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v = 0u64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

fn flood(args: &[u8]) -> ! {
    let mut words = args.split(|&c| c == b' ').filter(|w| !w.is_empty());
    let mib = words.next().and_then(parse_u64);
    let lines = match words.next() {
        Some(b"raw") => false,
        Some(b"lines") => true,
        _ => {
            println!("confine: flood MIB raw|lines");
            io::exit(EXIT_FAILURE)
        }
    };
    let Some(mib) = mib else {
        println!("confine: flood MIB raw|lines");
        io::exit(EXIT_FAILURE)
    };
    unsafe {
        for i in 0..4096 {
            let b = if lines && i % 64 == 63 { b'\n' } else { b'x' };
            ptr::write_volatile(&raw mut FLOOD[i], b);
        }
    }
    for _ in 0..mib * 256 {
        unsafe {
            asm!("rep outsb", in("dx") io::COM1, inout("rsi") &raw const FLOOD as *const u8 => _,
                 inout("rcx") 4096u64 => _, options(nostack, preserves_flags));
        }
    }
    println!("confine: flooded {} MiB", mib);
    io::exit(EXIT_SUCCESS)
}

kernel_support::report_panics!();
