// SPDX-License-Identifier: GPL-2.0-or-later
//! `heap-talc`: a healthy kernel for `limu run --heap-check`. talc 4.4 is the
//! `#[global_allocator]` exactly as the Rust Limine tutorial has it
//! (`Talck<spin::Mutex<()>, ErrOnOom>`, 4 MiB claimed from the first USABLE
//! memory-map entry that is big enough, through the HHDM). Every CPU (the
//! BSP and each AP started through the MP request) runs `rounds` (cmdline
//! `rounds=N`, default 20) rounds of Box, Vec growth, String building,
//! explicit realloc and alloc_zeroed, checking the data each time. Each CPU
//! keeps one `Box<[u64; 4]>` alive on purpose (live at exit). Then the BSP
//! prints talc's own counters (feature `counters`) without allocating:
//!
//! ```text
//! heap-talc: cpus <n>, rounds <r>
//! heap-talc: talc counters: live <allocation_count> blocks, <allocated_bytes> bytes; <total_allocation_count> allocations in total
//! ```
//!
//! and exits 0x10 (a failed data check panics: exit 0x11).

#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod kio;

use alloc::alloc::{Layout, alloc, alloc_zeroed, dealloc, realloc};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};

use talc::{ErrOnOom, Talc, Talck};

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talck::new(Talc::new(ErrOnOom));

static DONE: AtomicUsize = AtomicUsize::new(0);
static ROUNDS: AtomicUsize = AtomicUsize::new(20);

#[unsafe(no_mangle)]
extern "C" fn kmain() -> ! {
    assert!(kio::BASE_REVISION.is_supported());
    let size = 4 * 1024 * 1024;
    let base = kio::heap_memory(size as u64);
    unsafe { ALLOCATOR.lock().claim(talc::Span::from(base..unsafe { base.add(size) })) }.unwrap();
    ROUNDS.store(kio::cmdline_number("rounds", 20), Ordering::SeqCst);
    let mp = kio::MP.get_response().unwrap();
    let cpus = mp.cpus().len();
    println!("heap-talc: cpus {}, rounds {}", cpus, ROUNDS.load(Ordering::SeqCst));
    for cpu in mp.cpus() {
        cpu.goto_address.write(ap_main);
    }
    work(0);
    while DONE.load(Ordering::SeqCst) < cpus {
        core::hint::spin_loop();
    }
    let (live, bytes, total) = {
        let t = ALLOCATOR.lock();
        let c = t.get_counters();
        (c.allocation_count, c.allocated_bytes, c.total_allocation_count)
    };
    println!(
        "heap-talc: talc counters: live {} blocks, {} bytes; {} allocations in total",
        live, bytes, total
    );
    kio::exit(0x10)
}

unsafe extern "C" fn ap_main(cpu: &limine::mp::Cpu) -> ! {
    work(cpu.id as usize);
    kio::halt()
}

fn work(cpu: usize) {
    for round in 0..ROUNDS.load(Ordering::SeqCst) {
        boxes(round);
        vec_growth(round);
        strings(cpu, round);
        raw_realloc(round);
        zeroed(round);
    }
    // one block per CPU stays alive until the end, on purpose
    Box::leak(Box::new([cpu as u64; 4]));
    DONE.fetch_add(1, Ordering::SeqCst);
}

#[inline(never)]
fn boxes(round: usize) {
    let v: Vec<Box<usize>> = (0..16).map(|i| Box::new(i * round)).collect();
    for (i, b) in v.iter().enumerate() {
        assert_eq!(**b, i * round);
    }
}

#[inline(never)]
fn vec_growth(round: usize) {
    let mut v = Vec::new();
    for i in 0..(200 + round) as u64 {
        v.push(i * 3);
    }
    assert_eq!(v.iter().sum::<u64>(), 3 * (v.len() as u64 - 1) * v.len() as u64 / 2);
    v.shrink_to_fit();
}

#[inline(never)]
fn strings(cpu: usize, round: usize) {
    let mut s = String::new();
    for i in 0..20 {
        let _ = write!(s, "cpu{}-r{}-{};", cpu, round, i);
    }
    let copy = s.clone();
    assert_eq!(s, copy);
}

#[inline(never)]
fn raw_realloc(round: usize) {
    unsafe {
        let layout = Layout::from_size_align(32, 16).unwrap();
        let p = alloc(layout);
        assert!(!p.is_null());
        for i in 0..32 {
            *p.add(i) = (i + round) as u8;
        }
        let q = realloc(p, layout, 1000);
        for i in 0..32 {
            assert_eq!(*q.add(i), (i + round) as u8);
        }
        let r = realloc(q, Layout::from_size_align(1000, 16).unwrap(), 24);
        for i in 0..24 {
            assert_eq!(*r.add(i), (i + round) as u8);
        }
        dealloc(r, Layout::from_size_align(24, 16).unwrap());
    }
}

#[inline(never)]
fn zeroed(round: usize) {
    unsafe {
        let layout = Layout::from_size_align(512 + round, 8).unwrap();
        let p = alloc_zeroed(layout);
        assert!((0..layout.size()).all(|i| *p.add(i) == 0));
        p.write_bytes(0xa5, layout.size());
        dealloc(p, layout);
    }
}
