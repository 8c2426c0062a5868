// SPDX-License-Identifier: GPL-2.0-or-later
//! The global allocator: talc behind a spin lock, backed by 4 MiB of the
//! first USABLE memory-map entry that is at least that long, reached through
//! the HHDM.

use core::mem::MaybeUninit;
use core::slice;

use limine::memory_map::EntryType;
use limine::response::MemoryMapResponse;
use talc::{ErrOnOom, Talc, Talck};

// This tells Rust that global allocations will use this static variable's
// allocation functions.
#[global_allocator]
static GLOBAL_ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talck::new(Talc::new(ErrOnOom));

/// # Safety
/// Call once, before the first allocation.
pub unsafe fn init(memory_map: &'static MemoryMapResponse, hhdm_offset: u64) {
    // 4 MiB
    let global_allocator_size = 4 * 0x400 * 0x400;
    let global_allocator_physical_start = memory_map
        .entries()
        .iter()
        .find(|entry| entry.entry_type == EntryType::USABLE && entry.length >= global_allocator_size)
        .unwrap()
        .base;
    let virtual_start = hhdm_offset + global_allocator_physical_start;
    // Safety: the memory is usable (nobody else uses it) and offset mapped.
    let global_allocator_mem = unsafe {
        slice::from_raw_parts_mut::<MaybeUninit<u8>>(virtual_start as *mut _, global_allocator_size as usize)
    };
    let mut talc = GLOBAL_ALLOCATOR.lock();
    let span = global_allocator_mem.into();
    // Safety: we got the span from valid memory.
    unsafe { talc.claim(span) }.unwrap();
    drop(talc);
    log::info!(
        "Global allocator: 4 MiB at physical {:#x} (virtual {:#x})",
        global_allocator_physical_start,
        virtual_start
    );
}
