// SPDX-License-Identifier: GPL-2.0-or-later
//! `cargo-test`: a kernel crate tested the way kernel developers test with
//! QEMU, but with limu as cargo's runner. `#![feature(custom_test_frameworks)]`
//! collects the `#[test_case]` functions; under `cargo test` the entry point
//! runs them, prints one line per test over COM1 and exits through the
//! isa-debug-exit port: 0x10 (status 33) when all passed, 0x11 (35) after a
//! panic. limu maps 33 to exit 0 (`--success-exit-code 33`) and stops at the
//! first "panicked at" line (`--fail-on`). Written from the Limine
//! specification directly: no crates.
//!
//! The global allocator hands out memory of the first usable memory-map entry
//! through the HHDM, bump-style (a free gives nothing back), so that `limu run
//! --heap-check` has allocator calls to watch. The `double-free` feature adds a
//! test that frees a block twice: it passes, unless limu checks the heap.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(crate::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use alloc::alloc::{GlobalAlloc, Layout};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Base revision 3 (Limine protocol: the request's three u64s, the last one the revision).
#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: [u64; 3] = [0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 3];

/// A Limine request: the common id words, the request's own two, its revision and the response pointer.
#[repr(C)]
struct Request<T> {
    id: [u64; 4],
    revision: u64,
    response: *const T,
}

// SAFETY: the bootloader writes the response pointer before the kernel starts; the kernel only reads it.
unsafe impl<T> Sync for Request<T> {}

const COMMON_MAGIC: [u64; 2] = [0xc7b1dd30df4c8b88, 0x0a82e883a194f07b];

#[repr(C)]
struct HhdmResponse {
    revision: u64,
    offset: u64,
}

#[repr(C)]
struct MemoryMapResponse {
    revision: u64,
    entry_count: u64,
    entries: *const *const MemoryMapEntry,
}

#[repr(C)]
struct MemoryMapEntry {
    base: u64,
    length: u64,
    kind: u64,
}

const MEMMAP_USABLE: u64 = 0;

#[used]
#[unsafe(link_section = ".requests")]
static HHDM: Request<HhdmResponse> = Request {
    id: [COMMON_MAGIC[0], COMMON_MAGIC[1], 0x48dcf1cb8ad2b852, 0x63984e959a98244b],
    revision: 0,
    response: core::ptr::null(),
};

#[used]
#[unsafe(link_section = ".requests")]
static MEMORY_MAP: Request<MemoryMapResponse> = Request {
    id: [COMMON_MAGIC[0], COMMON_MAGIC[1], 0x67cf3d9d378a806f, 0xe304acdfc50c3c62],
    revision: 0,
    response: core::ptr::null(),
};

/// The response the bootloader wrote (read volatile: the compiler saw a null constant).
fn response<T>(request: &Request<T>) -> &'static T {
    let p = unsafe { core::ptr::read_volatile(&request.response) };
    assert!(!p.is_null(), "the bootloader did not answer a request");
    unsafe { &*p }
}

/// Bump allocation over the first usable memory-map entry of at least 1 MiB, through the HHDM.
struct BumpHeap {
    next: AtomicUsize,
    end: AtomicUsize,
}

unsafe impl GlobalAlloc for BumpHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.next.load(Ordering::SeqCst) == 0 {
            let hhdm = response(&HHDM).offset;
            let map = response(&MEMORY_MAP);
            for i in 0..map.entry_count as usize {
                let e = unsafe { &**map.entries.add(i) };
                if e.kind == MEMMAP_USABLE && e.length >= 1 << 20 {
                    self.next.store((hhdm + e.base) as usize, Ordering::SeqCst);
                    self.end.store((hhdm + e.base + e.length) as usize, Ordering::SeqCst);
                    break;
                }
            }
        }
        let start = (self.next.load(Ordering::SeqCst) + layout.align() - 1) & !(layout.align() - 1);
        if start == 0 || start + layout.size() > self.end.load(Ordering::SeqCst) {
            return core::ptr::null_mut();
        }
        self.next.store(start + layout.size(), Ordering::SeqCst);
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static HEAP: BumpHeap = BumpHeap { next: AtomicUsize::new(0), end: AtomicUsize::new(0) };

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

#[test_case]
fn vectors_and_boxes_use_the_heap() {
    let b = Box::new(41u64);
    let v: Vec<u64> = (1..=10).collect();
    assert_eq!(*b + v.iter().sum::<u64>(), 96);
}

#[cfg(feature = "double-free")]
#[test_case]
fn frees_a_block_twice() {
    let layout = Layout::new::<[u64; 4]>();
    unsafe {
        let p = core::hint::black_box(alloc::alloc::alloc(layout));
        alloc::alloc::dealloc(p, layout);
        alloc::alloc::dealloc(core::hint::black_box(p), layout); // the bug: the bump heap does not notice
    }
}
