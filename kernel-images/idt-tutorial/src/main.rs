// SPDX-License-Identifier: GPL-2.0-or-later
//! `idt-tutorial`: the Rust Limine tutorial's breakpoint and page-fault
//! chapters as users write them: an `x86_64::structures::idt::InterruptDescriptorTable`
//! in a `spin::Lazy`, `extern "x86-interrupt"` handlers, `int3` handled and
//! resumed, then a write to an unmapped address whose page-fault handler prints
//! CR2 and the error code and halts. Output (lines end in "\r\n"):
//!
//! ```text
//! Hello World!
//! EXCEPTION: BREAKPOINT
//! InterruptStackFrame { ... }
//! It did not crash!
//! EXCEPTION: PAGE FAULT
//! Accessed Address: Ok(VirtAddr(0xdeadbeef000))
//! Error Code: PageFaultErrorCode(CAUSED_BY_WRITE)
//! InterruptStackFrame { ... }
//! ```
//!
//! then `hlt` forever with interrupts off (limu: exit 0, "halted").

#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]

use core::fmt::Write;

use limine::BaseRevision;
use limine::request::{RequestsEndMarker, RequestsStartMarker};
use spin::{Lazy, Mutex};
use uart_16550::SerialPort;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode};

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::new();

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static _START_MARKER: RequestsStartMarker = RequestsStartMarker::new();
#[used]
#[unsafe(link_section = ".requests_end_marker")]
static _END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

static SERIAL: Mutex<Option<SerialPort>> = Mutex::new(None);

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

static IDT: Lazy<InterruptDescriptorTable> = Lazy::new(|| {
    let mut idt = InterruptDescriptorTable::new();
    idt.breakpoint.set_handler_fn(breakpoint_handler);
    idt.page_fault.set_handler_fn(page_fault_handler);
    idt
});

extern "x86-interrupt" fn breakpoint_handler(stack_frame: InterruptStackFrame) {
    println!("EXCEPTION: BREAKPOINT\r\n{:#?}", stack_frame);
}

extern "x86-interrupt" fn page_fault_handler(stack_frame: InterruptStackFrame, error_code: PageFaultErrorCode) {
    println!("EXCEPTION: PAGE FAULT");
    println!("Accessed Address: {:?}", Cr2::read());
    println!("Error Code: {:?}", error_code);
    println!("{:#?}", stack_frame);
    hlt_loop();
}

fn hlt_loop() -> ! {
    loop {
        x86_64::instructions::hlt();
    }
}

#[unsafe(no_mangle)]
unsafe extern "C" fn entry_point_from_limine() -> ! {
    let mut serial_port = unsafe { SerialPort::new(0x3F8) };
    serial_port.init();
    *SERIAL.lock() = Some(serial_port);
    assert!(BASE_REVISION.is_supported());
    println!("Hello World!");

    IDT.load();
    x86_64::instructions::interrupts::int3();
    println!("It did not crash!");

    unsafe {
        *(0xdeadbeef000 as *mut u8) = 42;
    }
    println!("FAIL: the write to an unmapped address did not fault");
    hlt_loop();
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panicked: {}", info);
    hlt_loop();
}
