//! `cargo-test`: a kernel crate tested the way kernel developers test with
//! QEMU, but with limu as cargo's runner. `#![feature(custom_test_frameworks)]`
//! collects the `#[test_case]` functions; under `cargo test` the entry point
//! runs them, prints one line per test over COM1 and exits through the
//! isa-debug-exit port: 0x10 (status 33) when all passed, 0x11 (35) after a
//! panic. limu maps 33 to exit 0 (`--success-exit-code 33`) and stops at the
//! first "panicked at" line (`--fail-on`). Written from the Limine
//! specification directly: no crates.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(crate::run_tests)]
#![reexport_test_harness_main = "test_main"]

use core::fmt::Write;

/// Base revision 3 (Limine protocol: the request's three u64s, the last one the revision).
#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: [u64; 3] = [0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 3];

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static START_MARKER: [u64; 4] = [0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9];

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static END_MARKER: [u64; 2] = [0xadc0e0531bb10d03, 0x9572709f31764c62];

const COM1: u16 = 0x3F8;
const DEBUG_EXIT: u16 = 0xF4;

unsafe fn outb(port: u16, value: u8) {
    unsafe { core::arch::asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack)) };
}

unsafe fn inb(port: u16) -> u8 {
    let v: u8;
    unsafe { core::arch::asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack)) };
    v
}

struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            // wait for THR empty (LSR bit 5)
            while unsafe { inb(COM1 + 5) } & 0x20 == 0 {}
            unsafe { outb(COM1, b) };
        }
        Ok(())
    }
}

macro_rules! println {
    ($($arg:tt)*) => {{
        let _ = writeln!(Serial, $($arg)*);
    }};
}

/// QEMU's isa-debug-exit: the process status is (code << 1) | 1.
fn exit(code: u8) -> ! {
    unsafe { outb(DEBUG_EXIT, code) };
    loop {
        unsafe { core::arch::asm!("cli; hlt") };
    }
}

#[unsafe(no_mangle)]
extern "C" fn _start() -> ! {
    #[cfg(test)]
    test_main();
    #[cfg(not(test))]
    {
        println!("cargo-test kernel: run `cargo test` (test.sh) to run its tests");
        exit(0x10);
    }
    #[allow(unreachable_code)]
    exit(0x10)
}

/// A named test: its function's path is printed before it runs.
pub trait Testable {
    fn run(&self);
}

impl<T: Fn()> Testable for T {
    fn run(&self) {
        let _ = write!(Serial, "test {} ... ", core::any::type_name::<T>());
        self();
        println!("ok");
    }
}

pub fn run_tests(tests: &[&dyn Testable]) {
    println!("running {} tests", tests.len());
    for t in tests {
        t.run();
    }
    println!("test result: ok. {} passed", tests.len());
    exit(0x10);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("FAILED");
    println!("{}", info); // "panicked at FILE:LINE:COL:" and the message on the next lines
    exit(0x11);
}

#[test_case]
fn arithmetic() {
    assert_eq!(2 + 2, 4);
}

#[test_case]
fn base_revision_was_accepted() {
    // Limine zeroes the revision once it accepts it.
    let revision = unsafe { core::ptr::read_volatile(&BASE_REVISION[2]) };
    assert_eq!(revision, 0);
}

#[test_case]
fn serial_line_status_reports_an_empty_transmitter() {
    assert_ne!(unsafe { inb(COM1 + 5) } & 0x40, 0);
}

#[test_case]
fn maybe_failing() {
    let expected = if cfg!(feature = "fail-one") { 5 } else { 4 };
    assert_eq!(2 + 2, expected, "the fail-one feature makes this test fail");
}
