// SPDX-License-Identifier: GPL-2.0-or-later
//! `modules`: a crate-free kernel that reads the Limine module response and
//! checks it against expectations given on the executable cmdline:
//!
//! ```text
//! expect=<name>:<crc32 hex>,<name>:<crc32 hex>,...
//! ```
//!
//! (one whitespace-separated word; `expect=` with nothing after it expects
//! no modules; other words are ignored). For every module, in response
//! order, it prints
//!
//! ```text
//! module <path> size <n> crc <8 lowercase hex digits> cmdline "<string>"
//! ```
//!
//! (the CRC is CRC-32/IEEE, as zlib's `crc32` and Java's
//! `java.util.zip.CRC32`; the string is printed with non-printable bytes,
//! `"` and `\` as `\xNN`), then one `ok: ...` / `FAIL: ...` line per check:
//! each module's address is a 4 KiB aligned HHDM pointer inside
//! EXECUTABLE_AND_MODULES memory and its path is non-empty; with `expect=`:
//! the module count equals the number of expectations, every expectation
//! matches exactly one module whose path ends with `<name>`, with that CRC,
//! and every module is expected. Last line `modules: N checks, M failed`,
//! then exit 0x10 if none failed, else 0x11.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{checks, io, limine};

use core::ptr::read_volatile;

use checks::*;
use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    MEMMAP: Request<MemmapResponse> = Request::new(MEMMAP_ID, 0, ());
    MODULE: Request<ModuleResponse> = Request::new(MODULE_ID, 0, ());
}

const MAX_MODULES: usize = 64;

/// CRC-32/IEEE (reflected polynomial 0xEDB88320) lookup table.
static CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32/IEEE of `len` bytes at `p` (init and final xor 0xFFFFFFFF).
/// Plain loops, so that the unoptimised build stays quick.
fn crc32(p: *const u8, len: u64) -> u32 {
    let mut c: u32 = 0xFFFF_FFFF;
    let base = p as u64;
    let mut i = 0;
    while i < len {
        let b = unsafe { *((base + i) as *const u8) };
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
        i += 1;
    }
    !c
}

struct Expectation<'a> {
    name: &'a [u8],
    crc: Option<u32>,
    matches: usize,
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let mut c = Checks::new();
    run(&mut c);
    println!("modules: {} checks, {} failed", c.total, c.failed);
    io::exit_pass_fail(c.failed == 0)
}

fn run(c: &mut Checks) {
    let tag = unsafe { read_volatile(&raw const BASE_REVISION) };
    c.check(
        format_args!("base revision 3 supported"),
        tag[2] == 0 && tag[1] == 3,
        format_args!("tag[1]={:#x} tag[2]={:#x}", tag[1], tag[2]),
    );
    let cmd = match unsafe { response(&raw const EXECUTABLE_CMDLINE) } {
        Some(r) => unsafe { c_str(r.cmdline, 4096) },
        None => &[],
    };
    println!("  cmdline: \"{}\"", io::Escaped(cmd));

    // Expectations.
    let spec = cmdline_value(cmd, b"expect");
    let mut expect: [Expectation; MAX_MODULES] = core::array::from_fn(|_| Expectation {
        name: &[],
        crc: None,
        matches: 0,
    });
    let mut n_expect = 0;
    if let Some(spec) = spec {
        for item in spec.split(|&b| b == b',').filter(|s| !s.is_empty()) {
            if n_expect == MAX_MODULES {
                break;
            }
            let colon = item.iter().rposition(|&b| b == b':');
            let (name, crc) = match colon {
                Some(k) => (&item[..k], parse_hex(&item[k + 1..]).map(|v| v as u32)),
                None => (item, None),
            };
            c.check(
                format_args!("expectation \"{}\" well-formed", io::Escaped(item)),
                !name.is_empty() && crc.is_some(),
                format_args!("want <name>:<crc32 hex>"),
            );
            expect[n_expect] = Expectation { name, crc, matches: 0 };
            n_expect += 1;
        }
    } else {
        println!("  no expect= on the cmdline: modules are listed, not compared");
    }

    let Some(hhdm) = (unsafe { response(&raw const HHDM) }).map(|r| r.offset) else {
        c.check(format_args!("HHDM present"), false, format_args!("no response"));
        return;
    };
    let map = match unsafe { response(&raw const MEMMAP) } {
        Some(r) => Memmap::from_response(r),
        None => {
            c.check(format_args!("memory map present"), false, format_args!("no response"));
            Memmap::empty()
        }
    };

    let r = unsafe { response(&raw const MODULE) };
    let count = r.map_or(0, |r| r.module_count) as usize;
    match r {
        Some(r) => println!("  module response: revision {} count {}", r.revision, r.module_count),
        None => println!("  module response: none"),
    }
    if spec.is_some() {
        c.check(
            format_args!("module count == {}", n_expect),
            count == n_expect && (n_expect == 0 || r.is_some()),
            format_args!("count={}", count),
        );
    }
    let Some(r) = r else { return };

    for i in 0..count.min(MAX_MODULES) {
        let m = unsafe { r.module(i) };
        let addr = m.address as u64;
        let path = unsafe { c_str(m.path, 4096) };
        let string = unsafe { c_str(m.string, 4096) };
        let phys = hhdm_phys(addr, hhdm);
        let placed = phys.is_some() && addr % 4096 == 0;
        let crc = if placed { Some(crc32(m.address, m.size)) } else { None };
        match crc {
            Some(crc) => println!(
                "module {} size {} crc {:08x} cmdline \"{}\"",
                io::Escaped(path),
                m.size,
                crc,
                io::Escaped(string)
            ),
            None => println!(
                "module {} size {} crc none cmdline \"{}\"",
                io::Escaped(path),
                m.size,
                io::Escaped(string)
            ),
        }
        c.check(
            format_args!("module {} address is a 4 KiB aligned HHDM pointer", i),
            placed,
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
        if spec.is_none() {
            continue;
        }
        let mut expected = false;
        for e in expect[..n_expect].iter_mut() {
            if !e.name.is_empty() && path.ends_with(e.name) {
                expected = true;
                e.matches += 1;
                c.check(
                    format_args!("module {} crc == {:08x}", io::Escaped(e.name), e.crc.unwrap_or(0)),
                    crc.is_some() && crc == e.crc,
                    format_args!("crc {:08x}", crc.unwrap_or(0)),
                );
            }
        }
        c.check(
            format_args!("module {} expected", i),
            expected,
            format_args!("\"{}\" matches no expect= name", io::Escaped(path)),
        );
    }
    for e in &expect[..n_expect] {
        if e.name.is_empty() {
            continue;
        }
        c.check(
            format_args!("expectation \"{}\" matched by exactly one module", io::Escaped(e.name)),
            e.matches == 1,
            format_args!("{} modules match", e.matches),
        );
    }
}

kernel_support::report_panics!();
