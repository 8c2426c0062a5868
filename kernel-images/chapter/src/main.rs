// SPDX-License-Identifier: GPL-2.0-or-later
//! `chapter`: a kernel shaped like the Rust Limine tutorial up to its
//! global-allocator chapter (crates.io: limine 0.5, uart_16550 0.3, x86_64
//! 0.15, spin, talc 4.4, log, embedded-graphics 0.8).
//!
//! A `log` logger writes every record to COM1 (level coloured with ANSI
//! escapes, lines ending in "\n") and, in white on black with
//! embedded-graphics' 10x20 font, to framebuffer 0. The kernel logs
//!
//! ```text
//! INFO  Hello World!
//! INFO  HHDM offset: 0xffff800000000000
//! INFO  Memory map entries: <n>
//! INFO  Global allocator: 4 MiB at physical 0x... (virtual 0x...)
//! INFO  Vec: 0x.....0x.... Contents: [ ...one "Box pointer: 0x.... Contents: i" line per Box... ]
//! INFO  Box: 0x... contains 42
//! INFO  CPU Count: <n>
//! INFO  Hello from CPU <id>        (one line per AP, in the order they get the logger's lock)
//! INFO  All <n> CPUs said hello
//! ```
//!
//! then halts in a `hlt` loop (interrupts are off: no exit-port write).
//! Like the tutorial, it writes `goto_address` of every CPU, the BSP's
//! included. A panic logs `ERROR panicked at ...` and halts.

#![no_std]
#![no_main]

extern crate alloc;

mod frame_buffer_embedded_graphics;
mod hlt_loop;
mod limine_requests;
mod logger;
mod memory;
mod panic_handler;

use core::sync::atomic::{AtomicUsize, Ordering};

use alloc::boxed::Box;
use alloc::vec::Vec;

use hlt_loop::hlt_loop;
use limine_requests::*;

/// APs that have logged their hello.
static APS_SAID_HELLO: AtomicUsize = AtomicUsize::new(0);

#[unsafe(no_mangle)]
unsafe extern "C" fn entry_point_from_limine() -> ! {
    // All limine requests must also be referenced in a called function,
    // otherwise they may be removed by the linker.
    let frame_buffer_response = FRAME_BUFFER_REQUEST.get_response();
    logger::init(frame_buffer_response).unwrap();
    // After the logger, so that a failure is reported.
    assert!(BASE_REVISION.is_supported());
    log::info!("Hello World!");

    let hhdm_offset = HHDM_REQUEST.get_response().unwrap().offset();
    log::info!("HHDM offset: {:#x}", hhdm_offset);

    let memory_map = MEMORY_MAP_REQUEST.get_response().unwrap();
    log::info!("Memory map entries: {}", memory_map.entries().len());

    // Safety: we are initializing this for the first time
    unsafe { memory::init(memory_map, hhdm_offset) };

    let v = (0..5).map(Box::new).collect::<Vec<_>>();
    let v_ptr_range = v.as_ptr_range();
    let contents = v
        .iter()
        .map(|b| {
            let b_ptr = &**b;
            alloc::format!("Box pointer: {b_ptr:p}. Contents: {b}")
        })
        .collect::<Vec<_>>();
    log::info!("Vec: {v_ptr_range:?}. Contents: {contents:#?}");
    let the_answer = Box::new(42u64);
    log::info!("Box: {:p} contains {}", the_answer, the_answer);

    let mp_response = MP_REQUEST.get_response().unwrap();
    let cpu_count = mp_response.cpus().len();
    log::info!("CPU Count: {cpu_count}");
    for cpu in mp_response.cpus() {
        // Writing the BSP's own goto_address does nothing.
        cpu.goto_address.write(entry_point_from_limine_mp);
    }
    while APS_SAID_HELLO.load(Ordering::SeqCst) < cpu_count - 1 {
        core::hint::spin_loop();
    }
    log::info!("All {cpu_count} CPUs said hello");

    hlt_loop();
}

unsafe extern "C" fn entry_point_from_limine_mp(cpu: &limine::mp::Cpu) -> ! {
    let cpu_id = cpu.id;
    log::info!("Hello from CPU {cpu_id}");
    APS_SAID_HELLO.fetch_add(1, Ordering::SeqCst);
    hlt_loop()
}
