// SPDX-License-Identifier: GPL-2.0-or-later
//! A crate-free IDT (as in ../idt-checks): stubs push (error code or 0) and
//! the vector, save the GPRs and call `crate::isr(&mut Frame)`. Gates use
//! the loader's code selector (no GDT of our own); the same IDT is loaded
//! on every CPU.
//!
//! Vectors with stubs: 0-31 (exceptions), 0x20-0x2F (the remapped 8259s,
//! which must stay silent), 0x40-0x4F (APIC sources) and 0xFE/0xFF.

use core::arch::{asm, global_asm};
use core::ptr::addr_of;

#[repr(C)]
pub struct Frame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

global_asm!(
    ".pushsection .text.platform_isr, \"ax\", @progbits",
    ".irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,254,255",
    "platform_isr_\\n:",
    "push 0",
    "push \\n",
    "jmp platform_isr_common",
    ".endr",
    ".irp n, 8,10,11,12,13,14,17,21,29,30",
    "platform_isr_\\n:",
    "push \\n",
    "jmp platform_isr_common",
    ".endr",
    "platform_isr_common:",
    "cld",
    "push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
    "push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
    "mov rdi, rsp",
    "mov rbp, rsp",
    "and rsp, -16",
    "call {isr}",
    "mov rsp, rbp",
    "pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
    "pop rbp", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
    "add rsp, 16",
    "iretq",
    ".popsection",
    ".pushsection .rodata.platform_isr_table, \"a\", @progbits",
    ".balign 8",
    "platform_isr_low:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47",
    ".quad platform_isr_\\n",
    ".endr",
    "platform_isr_apic:",
    ".irp n, 64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79",
    ".quad platform_isr_\\n",
    ".endr",
    "platform_isr_top:",
    ".quad platform_isr_254",
    ".quad platform_isr_255",
    ".popsection",
    isr = sym crate::isr,
);

unsafe extern "C" {
    static platform_isr_low: [u64; 48];
    static platform_isr_apic: [u64; 16];
    static platform_isr_top: [u64; 2];
}

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

#[repr(C, packed)]
struct TableRegister {
    limit: u16,
    base: u64,
}

/// An interrupt gate (type 0xE), DPL 0, no IST.
fn gate(handler: u64, cs: u16) -> [u64; 2] {
    let lo = (handler & 0xffff)
        | ((cs as u64) << 16)
        | (0xe << 40)
        | (1 << 47)
        | (((handler >> 16) & 0xffff) << 48);
    [lo, handler >> 32]
}

/// Fills the IDT (BSP, once).
pub fn build() {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
        let low = &*addr_of!(platform_isr_low);
        for (v, &h) in low.iter().enumerate() {
            IDT.0[v] = gate(h, cs);
        }
        let apic = &*addr_of!(platform_isr_apic);
        for (i, &h) in apic.iter().enumerate() {
            IDT.0[0x40 + i] = gate(h, cs);
        }
        let top = &*addr_of!(platform_isr_top);
        IDT.0[0xFE] = gate(top[0], cs);
        IDT.0[0xFF] = gate(top[1], cs);
    }
}

/// Loads the IDT on this CPU.
pub fn load() {
    let idtr = TableRegister {
        limit: 256 * 16 - 1,
        base: addr_of!(IDT) as u64,
    };
    unsafe { asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags)) };
}
