// SPDX-License-Identifier: GPL-2.0-or-later
//! Check counting (`ok:` / `FAIL:` lines), a copied-out memory map, and
//! executable-cmdline parsing (`key=value` words).

use core::fmt;

use crate::limine::*;

/// Counts and prints checks: `ok: <what>` or `FAIL: <what> (<details>)`.
pub struct Checks {
    pub total: u32,
    pub failed: u32,
}

impl Checks {
    pub const fn new() -> Self {
        Checks { total: 0, failed: 0 }
    }

    pub fn check(&mut self, what: impl fmt::Display, ok: bool, details: fmt::Arguments<'_>) -> bool {
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

pub const MAX_MEMMAP: usize = 256;

/// The memory map, copied out of the response.
pub struct Memmap {
    pub entries: [MemmapEntry; MAX_MEMMAP],
    pub len: usize,
}

impl Memmap {
    pub const fn empty() -> Self {
        Memmap {
            entries: [MemmapEntry {
                base: 0,
                length: 0,
                entry_type: 0,
            }; MAX_MEMMAP],
            len: 0,
        }
    }

    /// Copies (at most MAX_MEMMAP) entries out of the response.
    pub fn from_response(r: &MemmapResponse) -> Self {
        let mut map = Memmap::empty();
        map.len = (r.entry_count as usize).min(MAX_MEMMAP);
        for i in 0..map.len {
            map.entries[i] = unsafe { r.entry(i) };
        }
        map
    }

    pub fn iter(&self) -> impl Iterator<Item = &MemmapEntry> {
        self.entries[..self.len].iter()
    }

    /// The first entry containing `addr`.
    pub fn region_of(&self, addr: u64) -> Option<MemmapEntry> {
        self.iter()
            .find(|e| e.base <= addr && addr < e.base.saturating_add(e.length))
            .copied()
    }

    /// Whether [lo, hi) is covered by (possibly several adjacent) entries
    /// whose type satisfies `pred`.
    pub fn covered(&self, lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> bool {
        let mut cursor = lo;
        while cursor < hi {
            let next = self
                .iter()
                .filter(|e| pred(e.entry_type) && e.base <= cursor)
                .map(|e| e.base.saturating_add(e.length))
                .filter(|&end| end > cursor)
                .max();
            match next {
                Some(end) => cursor = end,
                None => return false,
            }
        }
        true
    }

    /// Whether [lo, hi) is mapped in the HHDM under base revision 3 and later
    /// (USABLE, BOOTLOADER_RECLAIMABLE, EXECUTABLE_AND_MODULES, FRAMEBUFFER).
    pub fn hhdm_mapped(&self, lo: u64, hi: u64) -> bool {
        self.covered(lo, hi, |t| {
            matches!(
                t,
                MEMMAP_USABLE | MEMMAP_BOOTLOADER_RECLAIMABLE | MEMMAP_EXECUTABLE_AND_MODULES | MEMMAP_FRAMEBUFFER
            )
        })
    }

    /// Type name of the entry containing `addr` ("NONE" if none does).
    pub fn type_name_at(&self, addr: u64) -> &'static str {
        self.region_of(addr).map_or("NONE", |e| memmap_type_name(e.entry_type))
    }

    /// Prints every entry as `  memmap: base=0x... len=0x... type=<NAME>`.
    pub fn print(&self) {
        for e in self.iter() {
            println!(
                "  memmap: base={:#x} len={:#x} type={}",
                e.base,
                e.length,
                memmap_type_name(e.entry_type)
            );
        }
    }
}

/// Start of the top 2 GiB, where the kernel is linked.
pub const KERNEL_REGION_START: u64 = 0xffff_ffff_8000_0000;

/// Whether `p` is an HHDM pointer (at or above the offset, below the
/// kernel's region), returning its physical address.
pub fn hhdm_phys(p: u64, hhdm: u64) -> Option<u64> {
    if p >= hhdm && p < KERNEL_REGION_START {
        Some(p - hhdm)
    } else {
        None
    }
}

pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &s[start..end]
}

/// The value of the first `key=value` word of a whitespace-separated
/// cmdline, if any.
pub fn cmdline_value<'a>(cmdline: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    cmdline
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            let eq = w.iter().position(|&b| b == b'=')?;
            if &w[..eq] == key { Some(&w[eq + 1..]) } else { None }
        })
}

/// Decimal (or `0x` hexadecimal) u64.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(hex) = s.strip_prefix(b"0x") {
        return parse_hex(hex);
    }
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

/// Hexadecimal u64 without prefix (either case).
pub fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | d as u64;
    }
    Some(v)
}

/// Sum of bytes modulo 256 (ACPI and SMBIOS checksums sum to 0).
///
/// # Safety
/// `p` must be readable for `len` bytes.
pub unsafe fn byte_sum(p: *const u8, len: usize) -> u8 {
    let mut s: u8 = 0;
    for i in 0..len {
        s = s.wrapping_add(unsafe { core::ptr::read_volatile(p.add(i)) });
    }
    s
}
