// SPDX-License-Identifier: GPL-2.0-or-later
//! A small window of 4 KiB mappings for physical memory that the HHDM does
//! not cover (base revision 3 maps neither ACPI tables nor SMBIOS).
//!
//! `PhysWindow::init` walks CR3 through the HHDM (the loader's page tables
//! live in BOOTLOADER_RECLAIMABLE memory, which the HHDM maps), takes a free
//! PML4 slot in the higher half and hangs three page tables from the
//! kernel's .bss under it (PDPT -> PD -> PT), giving 512 4 KiB slots.
//! `map` hands out consecutive slots and reloads CR3.

use core::arch::asm;
use core::ptr::{read_volatile, write_volatile};

const PAGE: u64 = 4096;
const PRESENT: u64 = 1;
const WRITABLE: u64 = 1 << 1;
const NO_EXECUTE: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

#[repr(C, align(4096))]
struct PageTable([u64; 512]);

static mut WINDOW_PDPT: PageTable = PageTable([0; 512]);
static mut WINDOW_PD: PageTable = PageTable([0; 512]);
static mut WINDOW_PT: PageTable = PageTable([0; 512]);

pub struct PhysWindow {
    /// Virtual address of slot 0.
    base: u64,
    next_slot: usize,
    /// The PML4 index used.
    pub pml4_index: usize,
}

fn read_cr3() -> u64 {
    let v: u64;
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

fn flush_tlb() {
    unsafe { asm!("mov {0}, cr3", "mov cr3, {0}", out(reg) _, options(nostack, preserves_flags)) };
}

impl PhysWindow {
    /// `kernel_phys`/`kernel_virt`: the executable address response, used to
    /// find the physical addresses of the .bss page tables.
    pub fn init(hhdm: u64, kernel_phys: u64, kernel_virt: u64) -> Result<PhysWindow, &'static str> {
        let to_phys = |va: u64| va - kernel_virt + kernel_phys;
        let pml4 = (hhdm + (read_cr3() & ADDR_MASK)) as *mut u64;
        // The highest free higher-half slot below the kernel's (511).
        let index = (256..511)
            .rev()
            .find(|&i| unsafe { read_volatile(pml4.add(i)) } & PRESENT == 0)
            .ok_or("no free PML4 slot")?;
        let pdpt = &raw mut WINDOW_PDPT as u64;
        let pd = &raw mut WINDOW_PD as u64;
        let pt = &raw mut WINDOW_PT as u64;
        unsafe {
            write_volatile((pdpt as *mut u64).add(0), to_phys(pd) | PRESENT | WRITABLE);
            write_volatile((pd as *mut u64).add(0), to_phys(pt) | PRESENT | WRITABLE);
            write_volatile(pml4.add(index), to_phys(pdpt) | PRESENT | WRITABLE);
        }
        flush_tlb();
        let base = 0xffff_0000_0000_0000 | ((index as u64) << 39);
        Ok(PhysWindow {
            base,
            next_slot: 0,
            pml4_index: index,
        })
    }

    /// Maps [phys, phys + len) read/write, no-execute, and returns the
    /// virtual address of `phys`, or None when the window is full.
    pub fn map(&mut self, phys: u64, len: u64) -> Option<u64> {
        let first = phys & !(PAGE - 1);
        let end = phys.checked_add(len.max(1))?.checked_add(PAGE - 1)? & !(PAGE - 1);
        let pages = ((end - first) / PAGE) as usize;
        if self.next_slot + pages > 512 {
            return None;
        }
        let pt = &raw mut WINDOW_PT as *mut u64;
        for i in 0..pages {
            let entry = (first + i as u64 * PAGE) | PRESENT | WRITABLE | NO_EXECUTE;
            unsafe { write_volatile(pt.add(self.next_slot + i), entry) };
        }
        let va = self.base + self.next_slot as u64 * PAGE + (phys - first);
        self.next_slot += pages;
        flush_tlb();
        Some(va)
    }
}
