// SPDX-License-Identifier: GPL-2.0-or-later
//! Serial output (COM1, no allocation), the isa-debug-exit port and the
//! Limine requests both heap kernels use.

use core::fmt::{self, Write};

use limine::BaseRevision;
use limine::request::{
    ExecutableCmdlineRequest, HhdmRequest, MemoryMapRequest, MpRequest, RequestsEndMarker, RequestsStartMarker,
};

#[used]
#[unsafe(link_section = ".requests")]
pub static BASE_REVISION: BaseRevision = BaseRevision::new();
#[used]
#[unsafe(link_section = ".requests")]
pub static HHDM: HhdmRequest = HhdmRequest::new();
#[used]
#[unsafe(link_section = ".requests")]
pub static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();
#[used]
#[unsafe(link_section = ".requests")]
pub static MP: MpRequest = MpRequest::new();
#[used]
#[unsafe(link_section = ".requests")]
pub static CMDLINE: ExecutableCmdlineRequest = ExecutableCmdlineRequest::new();
#[used]
#[unsafe(link_section = ".requests_start_marker")]
static _START_MARKER: RequestsStartMarker = RequestsStartMarker::new();
#[used]
#[unsafe(link_section = ".requests_end_marker")]
static _END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

pub static SERIAL_LOCK: spin::Mutex<()> = spin::Mutex::new(());

pub struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            unsafe { core::arch::asm!("out dx, al", in("dx") 0x3f8u16, in("al") b, options(nomem, nostack)) };
        }
        Ok(())
    }
}

pub fn print(args: fmt::Arguments) {
    let _g = SERIAL_LOCK.lock();
    let _ = Serial.write_fmt(args);
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::kio::print(format_args!("{}\n", format_args!($($arg)*))) };
}

pub fn exit(code: u8) -> ! {
    unsafe { core::arch::asm!("out dx, al", in("dx") 0xf4u16, in("al") code, options(nomem, nostack)) };
    halt()
}

pub fn halt() -> ! {
    loop {
        unsafe { core::arch::asm!("cli; hlt", options(nomem, nostack)) };
    }
}

/// The first USABLE memory-map entry of at least `size` bytes, through the HHDM (as the tutorial does).
pub fn heap_memory(size: u64) -> *mut u8 {
    let hhdm = HHDM.get_response().unwrap().offset();
    let base = MEMORY_MAP
        .get_response()
        .unwrap()
        .entries()
        .iter()
        .find(|e| e.entry_type == limine::memory_map::EntryType::USABLE && e.length >= size)
        .unwrap()
        .base;
    (hhdm + base) as *mut u8
}

/// The executable cmdline as text ("" when absent).
pub fn cmdline() -> &'static str {
    CMDLINE.get_response().and_then(|r| r.cmdline().to_str().ok()).unwrap_or("")
}

/// The value of `key=N` on the cmdline.
pub fn cmdline_number(key: &str, default: usize) -> usize {
    for word in cmdline().split(' ') {
        if let Some(v) = word.strip_prefix(key).and_then(|v| v.strip_prefix('=')) {
            return v.parse().unwrap_or(default);
        }
    }
    default
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = writeln!(Serial, "PANIC: {}", info);
    exit(0x11)
}
