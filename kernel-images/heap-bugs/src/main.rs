// SPDX-License-Identifier: GPL-2.0-or-later
//! `heap-bugs`: deliberately broken heap use, one bug per run, chosen by the
//! first cmdline word, for `limu run --heap-check`. The global allocator
//! dispatches to talc (4 MiB claimed like the tutorial does) or to one of the
//! broken allocators of this file. Each bug is in a function of its own
//! (`#[inline(never)]`) so that limu's backtrace can name it:
//!
//! - `ok`: talc, correct use; exits 0x10.
//! - `double-free`: `double_free` frees a Box's memory twice (talc).
//! - `invalid-free`: `invalid_free` frees a pointer 16 bytes into a live block (talc).
//! - `realloc-wrong-size`: `realloc_wrong_size` reallocs a 32-byte block claiming it had 64 (talc).
//! - `overlap`: `OverlappingAlloc` hands the third allocation 8 bytes into the
//!   second; `overlap_victim` makes those allocations.
//! - `outside`: `OutsideAlloc` hands out memory of a static array in the
//!   kernel image, which the memory map does not call usable; `outside_user` allocates.
//! - `overflow`: `overflow` writes one byte past a `Box<[u8; 24]>` (talc):
//!   that byte is the low byte of the one-word tag talc 4.4 keeps right after
//!   such a block (chunk base | allocated | above-free).
//! - `use-after-free`: `use_after_free` reads a Box's memory after dropping it (talc).
//! - `corrupt`: `corrupt_metadata` makes a stray write over the size word of
//!   the free chunk that follows a fresh block, then allocates again (talc).
//! - `race`: `RacyAlloc`, a bump allocator with no lock (a load, a delay and a
//!   store of the next free address), used by every CPU at once in
//!   `race_worker`: sooner or later two CPUs get the same block.
//!
//! Without --heap-check the bugs go unnoticed (or crash later); the kernel
//! prints `heap-bugs: <mode> done` and exits 0x10 when it survives.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../../heap-talc/src/kio.rs"]
#[macro_use]
mod kio;

use alloc::alloc::{GlobalAlloc, Layout, alloc, dealloc, realloc};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use talc::{ErrOnOom, Talc, Talck};

const TALC: u8 = 0;
const OVERLAP: u8 = 1;
const OUTSIDE: u8 = 2;
const RACE: u8 = 3;

static MODE: AtomicU8 = AtomicU8::new(TALC);
static TALC_HEAP: Talck<spin::Mutex<()>, ErrOnOom> = Talck::new(Talc::new(ErrOnOom));

#[global_allocator]
static ALLOCATOR: Dispatch = Dispatch;

struct Dispatch;

unsafe impl GlobalAlloc for Dispatch {
    // inline(never): in a release build the broken allocators below would otherwise be inlined into every
    // caller, and limu (README "Release builds") watches only allocator methods that are functions
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match MODE.load(Ordering::Relaxed) {
            OVERLAP => unsafe { OverlappingAlloc.alloc(layout) },
            OUTSIDE => unsafe { OutsideAlloc.alloc(layout) },
            RACE => unsafe { RacyAlloc.alloc(layout) },
            _ => unsafe { TALC_HEAP.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if MODE.load(Ordering::Relaxed) == TALC {
            unsafe { TALC_HEAP.dealloc(ptr, layout) }
        }
    }
}

/// A bump allocator over the talc-free part of the heap memory.
static BUMP_NEXT: AtomicUsize = AtomicUsize::new(0);
static BUMP_CALLS: AtomicUsize = AtomicUsize::new(0);

fn bump(layout: Layout) -> *mut u8 {
    let align = layout.align().max(8);
    let start = (BUMP_NEXT.load(Ordering::SeqCst) + align - 1) & !(align - 1);
    BUMP_NEXT.store(start + layout.size(), Ordering::SeqCst);
    start as *mut u8
}

struct OverlappingAlloc;

impl OverlappingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let n = BUMP_CALLS.fetch_add(1, Ordering::SeqCst);
        let p = bump(layout);
        // the bug: the third block starts 8 bytes into the second one
        if n == 2 { unsafe { p.sub(layout.size().max(16) - 8) } } else { p }
    }
}

static mut OUTSIDE_POOL: [u64; 512] = [0; 512];

struct OutsideAlloc;

impl OutsideAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let n = BUMP_CALLS.fetch_add(1, Ordering::SeqCst);
        // the bug: memory of the kernel image, not of the usable memory map
        if layout.size() > 64 {
            return null_mut();
        }
        unsafe { (&raw mut OUTSIDE_POOL as *mut u8).add(64 * (n % 32)) }
    }
}

struct RacyAlloc;

impl RacyAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // the bug: no lock between the load and the store
        let start = BUMP_NEXT.load(Ordering::Relaxed);
        let mut delay = 0usize;
        // black_box(20): a loop even in a release build, where a constant count is unrolled into one basic
        // block that limu never splits between CPUs (the window between the load and the store must span blocks)
        for i in 0..core::hint::black_box(20) {
            delay = core::hint::black_box(delay + i);
        }
        BUMP_NEXT.store(start + ((layout.size() + 15) & !15) + (delay & 0), Ordering::Relaxed);
        start as *mut u8
    }
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

#[unsafe(no_mangle)]
extern "C" fn kmain() -> ! {
    assert!(kio::BASE_REVISION.is_supported());
    let size = 4 * 1024 * 1024;
    let base = kio::heap_memory(size as u64);
    let mode = kio::cmdline().split(' ').next().unwrap_or("");
    if matches!(mode, "overlap" | "outside" | "race") {
        BUMP_NEXT.store(base as usize, Ordering::SeqCst);
    } else {
        unsafe { TALC_HEAP.lock().claim(talc::Span::from(base..base.add(size))) }.unwrap();
    }
    println!("heap-bugs: {}", mode);
    match mode {
        "ok" => correct_use(),
        "double-free" => double_free(),
        "invalid-free" => invalid_free(),
        "realloc-wrong-size" => realloc_wrong_size(),
        "overflow" => overflow(),
        "use-after-free" => use_after_free(),
        "corrupt" => corrupt_metadata(),
        "overlap" => {
            MODE.store(OVERLAP, Ordering::SeqCst);
            overlap_victim();
        }
        "outside" => {
            MODE.store(OUTSIDE, Ordering::SeqCst);
            outside_user();
        }
        "race" => {
            MODE.store(RACE, Ordering::SeqCst);
            let mp = kio::MP.get_response().unwrap();
            for cpu in mp.cpus() {
                cpu.goto_address.write(ap_main);
            }
            race_worker();
            while STARTED.load(Ordering::SeqCst) < mp.cpus().len() {
                core::hint::spin_loop();
            }
        }
        other => {
            println!("heap-bugs: unknown mode '{}'", other);
            kio::exit(0x11)
        }
    }
    println!("heap-bugs: {} done", mode);
    kio::exit(0x10)
}

unsafe extern "C" fn ap_main(_cpu: &limine::mp::Cpu) -> ! {
    race_worker();
    kio::halt()
}

#[inline(never)]
fn correct_use() {
    let v: Vec<Box<u32>> = (0..10).map(Box::new).collect();
    drop(v);
}

#[inline(never)]
fn double_free() {
    let layout = Layout::new::<[u64; 4]>();
    unsafe {
        // black_box: a release build would drop the allocation and both frees otherwise
        let p = core::hint::black_box(alloc(layout));
        dealloc(p, layout);
        dealloc(core::hint::black_box(p), layout); // the second free (HeapCheckTest looks for this line)
    }
}

#[inline(never)]
fn invalid_free() {
    let layout = Layout::new::<[u64; 8]>();
    unsafe {
        let p = core::hint::black_box(alloc(layout));
        dealloc(p.add(16), Layout::new::<[u64; 4]>());
    }
}

#[inline(never)]
fn realloc_wrong_size() {
    unsafe {
        let p = core::hint::black_box(alloc(Layout::from_size_align(32, 8).unwrap()));
        let q = core::hint::black_box(realloc(p, Layout::from_size_align(64, 8).unwrap(), 128));
        dealloc(q, Layout::from_size_align(128, 8).unwrap());
    }
}

#[inline(never)]
fn overflow() {
    let b = core::hint::black_box(Box::new([5u8; 24]));
    let p = Box::into_raw(b) as *mut u8;
    unsafe {
        // the bug: one byte past the end (talc's tag lives there)
        core::ptr::write_volatile(p.add(24), 0x40);
        drop(Box::from_raw(p as *mut [u8; 24]));
    }
}

#[inline(never)]
fn use_after_free() {
    let b = Box::new([9u64; 4]);
    let p = &*b as *const [u64; 4] as *const u64;
    drop(b);
    // the bug: a read of freed memory
    let v = unsafe { core::ptr::read_volatile(p.add(1)) };
    core::hint::black_box(v);
}

#[inline(never)]
fn corrupt_metadata() {
    let a = Box::new([1u64; 4]);
    let p = &*a as *const [u64; 4] as *mut u64;
    unsafe {
        // the bug: a stray write 56 bytes past the block: its chunk is 32 bytes + the tag
        // (0x28), and the free chunk that follows has its size word at +16 (0x38)
        core::ptr::write_volatile(p.add(7), 0x1234_5670);
    }
    let b = Box::new([2u64; 4]);
    core::hint::black_box((&a, &b));
}

#[inline(never)]
fn overlap_victim() {
    let a = Box::new([1u64; 4]);
    let b = Box::new([2u64; 4]);
    let c = Box::new([3u64; 4]);
    core::hint::black_box((&a, &b, &c));
}

#[inline(never)]
fn outside_user() {
    let a = Box::new([7u64; 4]);
    core::hint::black_box(&a);
}

#[inline(never)]
fn race_worker() {
    let mut keep = 0usize;
    for i in 0..20000usize {
        let b = core::hint::black_box(Box::new([i; 2]));
        keep = keep.wrapping_add(b[0]);
        core::mem::forget(b);
    }
    core::hint::black_box(keep);
    STARTED.fetch_add(1, Ordering::SeqCst);
}
