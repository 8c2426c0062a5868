// SPDX-License-Identifier: GPL-2.0-or-later
//! `tutorial`: a kernel written the way users of the Rust Limine tutorial
//! write their early chapters: the `limine` crate's request statics,
//! `uart_16550` behind a `spin::Mutex`, a `println!` macro over core::fmt,
//! and a final `hlt` loop (interrupts are off at entry, so it halts for good).
//!
//! Prints over COM1 (lines end in "\r\n", like the tutorial):
//!
//! ```text
//! Hello World!
//! HHDM offset: 0xffff800000000000
//! Memory map entries: <n>
//! ```
//!
//! On a panic (e.g. the base revision is not supported) it prints
//! `panicked: <info>` and halts.

#![no_std]
#![no_main]

use core::fmt::Write;

use limine::BaseRevision;
use limine::request::{HhdmRequest, MemoryMapRequest, RequestsEndMarker, RequestsStartMarker};
use spin::Mutex;
use uart_16550::SerialPort;

/// Sets the base revision to the latest revision supported by the crate.
/// Be sure to mark all limine requests with #[used], otherwise they may be
/// removed by the compiler.
#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::new();

#[used]
#[unsafe(link_section = ".requests")]
static HHDM_REQUEST: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static MEMORY_MAP_REQUEST: MemoryMapRequest = MemoryMapRequest::new();

/// Define the start and end markers for Limine requests.
#[used]
#[unsafe(link_section = ".requests_start_marker")]
static _START_MARKER: RequestsStartMarker = RequestsStartMarker::new();
#[used]
#[unsafe(link_section = ".requests_end_marker")]
static _END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

static SERIAL: Mutex<Option<SerialPort>> = Mutex::new(None);

fn init_serial() {
    let mut serial_port = unsafe { SerialPort::new(0x3F8) };
    serial_port.init();
    *SERIAL.lock() = Some(serial_port);
}

#[doc(hidden)]
pub fn _print(args: core::fmt::Arguments) {
    if let Some(serial_port) = SERIAL.lock().as_mut() {
        serial_port.write_fmt(args).unwrap();
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::_print(format_args!($($arg)*))
    };
}

#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\r\n")
    };
    ($($arg:tt)*) => {
        $crate::print!("{}\r\n", format_args!($($arg)*))
    };
}

#[unsafe(no_mangle)]
unsafe extern "C" fn entry_point_from_limine() -> ! {
    // All limine requests must also be referenced in a called function,
    // otherwise they may be removed by the linker.
    init_serial();
    assert!(BASE_REVISION.is_supported());

    println!("Hello World!");

    let hhdm_offset = HHDM_REQUEST.get_response().unwrap().offset();
    println!("HHDM offset: {:#x}", hhdm_offset);

    let memory_map = MEMORY_MAP_REQUEST.get_response().unwrap();
    println!("Memory map entries: {}", memory_map.entries().len());

    hlt_loop();
}

fn hlt_loop() -> ! {
    loop {
        x86_64::instructions::hlt();
    }
}

#[panic_handler]
fn rust_panic(info: &core::panic::PanicInfo) -> ! {
    // The lock may be held if the panic happened while printing.
    unsafe { SERIAL.force_unlock() };
    println!("panicked: {}", info);
    hlt_loop();
}
