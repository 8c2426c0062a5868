// SPDX-License-Identifier: GPL-2.0-or-later
//! `revision-six`: a kernel on the newest `limine` crate (0.6), whose
//! `BaseRevision::new()` asks for base revision 6, the newest the protocol
//! defines (on x86-64 it changes nothing from 5). Checks and prints:
//!
//! ```text
//! revision-six: base revision 6 supported, loaded revision 6
//! revision-six: TSC frequency <hz> Hz
//! revision-six: entropy <n> values, first 0x...
//! revision-six: XSDT FACP APIC HPET WAET[ SPCR]
//! revision-six: all checks passed
//! ```
//!
//! then exits through isa-debug-exit with 0x10 (limu exit 33), or prints
//! `revision-six: FAILED: ...` and exits with 0x11. The entropy request is
//! not in the crate yet, so it is declared here from the specification.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::io;

use core::cell::UnsafeCell;
use core::ptr::read_volatile;

use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::request::{HhdmRequest, RsdpRequest, TscFrequencyRequest};
use limine::{BaseRevision, RequestsEndMarker, RequestsStartMarker};

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static REQUESTS_START: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::new();

#[used]
#[unsafe(link_section = ".requests")]
static TSC_FREQUENCY: TscFrequencyRequest = TscFrequencyRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static HHDM: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static RSDP: RsdpRequest = RsdpRequest::new();

/// `limine_entropy_request`: id, revision, response, then the number of 64-bit values wanted.
#[repr(C)]
struct EntropyRequest {
    id: [u64; 4],
    revision: u64,
    response: UnsafeCell<*const EntropyResponse>,
    value_count: u64,
}

unsafe impl Sync for EntropyRequest {}

/// `limine_entropy_response`: revision, the number of values given, an HHDM pointer to them.
#[repr(C)]
struct EntropyResponse {
    revision: u64,
    value_count: u64,
    values: *const u64,
}

const ENTROPY_VALUES: u64 = 4;

#[used]
#[unsafe(link_section = ".requests")]
static ENTROPY: EntropyRequest = EntropyRequest {
    id: [0xc7b1dd30df4c8b88, 0x0a82e883a194f07b, 0x65ea80255d5682c5, 0x9117240723f493eb],
    revision: 0,
    response: UnsafeCell::new(core::ptr::null()),
    value_count: ENTROPY_VALUES,
};

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static REQUESTS_END: RequestsEndMarker = RequestsEndMarker::new();

fn fail(what: core::fmt::Arguments) -> ! {
    println!("revision-six: FAILED: {}", what);
    io::exit(EXIT_FAILURE)
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();

    let supported = BASE_REVISION.is_supported();
    let loaded = BASE_REVISION.actual_revision();
    println!(
        "revision-six: base revision {} {}, loaded revision {}",
        BaseRevision::MAX_SUPPORTED,
        if supported { "supported" } else { "NOT supported" },
        loaded.unwrap_or(u64::MAX)
    );
    if BaseRevision::MAX_SUPPORTED != 6 || !supported || loaded != Some(6) {
        fail(format_args!("base revision 6 not granted"));
    }

    let Some(tsc) = TSC_FREQUENCY.response() else { fail(format_args!("no TSC frequency response")) };
    println!("revision-six: TSC frequency {} Hz", tsc.frequency);
    if tsc.frequency == 0 {
        fail(format_args!("TSC frequency 0"));
    }

    let entropy = unsafe { read_volatile(ENTROPY.response.get()) };
    if entropy.is_null() {
        fail(format_args!("no entropy response"));
    }
    let entropy = unsafe { &*entropy };
    if entropy.revision != 0 || entropy.value_count != ENTROPY_VALUES || entropy.values.is_null() {
        fail(format_args!("entropy response: {} values at {:p}", entropy.value_count, entropy.values));
    }
    let values = unsafe { core::slice::from_raw_parts(entropy.values, entropy.value_count as usize) };
    print!("revision-six: entropy {} values:", values.len());
    for v in values {
        print!(" {:#018x}", v);
    }
    println!();
    if values.iter().all(|&v| v == 0) || values.windows(2).any(|w| w[0] == w[1]) {
        fail(format_args!("entropy values are zero or repeat"));
    }

    // Base revision 6 is 5 on x86-64: the HHDM covers the ACPI tables and the RSDP pointer is virtual.
    let hhdm = HHDM.response().unwrap_or_else(|| fail(format_args!("no HHDM response"))).offset;
    let rsdp = RSDP.response().unwrap_or_else(|| fail(format_args!("no RSDP response"))).address as u64;
    if rsdp < hhdm {
        fail(format_args!("RSDP address {:#x} is not an HHDM address", rsdp));
    }
    let xsdt = hhdm + unsafe { read_volatile((rsdp + 24) as *const u64) };
    let length = unsafe { read_volatile((xsdt + 4) as *const u32) } as u64;
    let count = (length - 36) / 8;
    let mut signatures = [[0u8; 4]; 8];
    print!("revision-six: XSDT");
    for i in 0..count.min(8) {
        // XSDT entries start at offset 36: 4-byte aligned only.
        let entry = unsafe { read_volatile((xsdt + 36 + 8 * i) as *const [u8; 8]) };
        let table = hhdm + u64::from_le_bytes(entry);
        signatures[i as usize] = unsafe { read_volatile(table as *const [u8; 4]) };
        print!(" {}", io::Escaped(&signatures[i as usize]));
    }
    println!();
    if signatures[..4] != [*b"FACP", *b"APIC", *b"HPET", *b"WAET"] {
        fail(format_args!("the XSDT does not start with QEMU's FACP, APIC, HPET, WAET"));
    }

    println!("revision-six: all checks passed");
    io::exit(EXIT_SUCCESS)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("revision-six: panicked at {}", info);
    io::exit(EXIT_FAILURE)
}
