// SPDX-License-Identifier: GPL-2.0-or-later
//! The entry stub: records the machine state exactly as the loader left it,
//! before any compiled Rust code can touch a register or the stack, then
//! calls `hello_main`.

use core::arch::global_asm;
use core::mem::offset_of;

/// Machine state at the kernel's entry point.
#[repr(C)]
pub struct EntryState {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rsp: u64,
    /// The qword at [RSP] (the spec's pushed 0 "return address").
    pub stack_top_qword: u64,
    pub rflags: u64,
    pub cs: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
    pub ss: u64,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub pat: u64,
    /// `sgdt` image: bytes 0..2 limit, 2..10 base.
    pub gdtr: [u64; 2],
    /// `sidt` image.
    pub idtr: [u64; 2],
}

impl EntryState {
    /// The general-purpose registers other than RSP, with their names.
    pub fn gprs(&self) -> [(&'static str, u64); 15] {
        [
            ("rax", self.rax),
            ("rbx", self.rbx),
            ("rcx", self.rcx),
            ("rdx", self.rdx),
            ("rsi", self.rsi),
            ("rdi", self.rdi),
            ("rbp", self.rbp),
            ("r8", self.r8),
            ("r9", self.r9),
            ("r10", self.r10),
            ("r11", self.r11),
            ("r12", self.r12),
            ("r13", self.r13),
            ("r14", self.r14),
            ("r15", self.r15),
        ]
    }

    /// (limit, base) of a `sgdt`/`sidt` image.
    pub fn table_register(raw: [u64; 2]) -> (u16, u64) {
        ((raw[0] & 0xffff) as u16, (raw[0] >> 16) | (raw[1] << 48))
    }
}

/// Written only by the entry stub. Lives in .bss.
pub static mut ENTRY_STATE: EntryState = EntryState {
    rax: 0,
    rbx: 0,
    rcx: 0,
    rdx: 0,
    rsi: 0,
    rdi: 0,
    rbp: 0,
    r8: 0,
    r9: 0,
    r10: 0,
    r11: 0,
    r12: 0,
    r13: 0,
    r14: 0,
    r15: 0,
    rsp: 0,
    stack_top_qword: 0,
    rflags: 0,
    cs: 0,
    ds: 0,
    es: 0,
    fs: 0,
    gs: 0,
    ss: 0,
    cr0: 0,
    cr2: 0,
    cr3: 0,
    cr4: 0,
    efer: 0,
    pat: 0,
    gdtr: [0; 2],
    idtr: [0; 2],
};

/// A copy of the entry state (volatile: written by assembly).
pub fn entry_state() -> EntryState {
    unsafe { core::ptr::read_volatile(&raw const ENTRY_STATE) }
}

global_asm!(
    ".pushsection .text._start, \"ax\", @progbits",
    ".global _start",
    ".type _start, @function",
    "_start:",
    // General-purpose registers first, untouched.
    "mov qword ptr [rip + {st} + {rax}], rax",
    "mov qword ptr [rip + {st} + {rbx}], rbx",
    "mov qword ptr [rip + {st} + {rcx}], rcx",
    "mov qword ptr [rip + {st} + {rdx}], rdx",
    "mov qword ptr [rip + {st} + {rsi}], rsi",
    "mov qword ptr [rip + {st} + {rdi}], rdi",
    "mov qword ptr [rip + {st} + {rbp}], rbp",
    "mov qword ptr [rip + {st} + {r8}], r8",
    "mov qword ptr [rip + {st} + {r9}], r9",
    "mov qword ptr [rip + {st} + {r10}], r10",
    "mov qword ptr [rip + {st} + {r11}], r11",
    "mov qword ptr [rip + {st} + {r12}], r12",
    "mov qword ptr [rip + {st} + {r13}], r13",
    "mov qword ptr [rip + {st} + {r14}], r14",
    "mov qword ptr [rip + {st} + {r15}], r15",
    "mov qword ptr [rip + {st} + {rsp}], rsp",
    // From here on RAX, RCX, RDX are scratch.
    "mov rax, qword ptr [rsp]",
    "mov qword ptr [rip + {st} + {top}], rax",
    // RFLAGS (pushfq uses the 8 bytes below RSP, which are free stack).
    "pushfq",
    "pop rax",
    "mov qword ptr [rip + {st} + {rflags}], rax",
    // Segment selectors (zero-extended).
    "xor eax, eax",
    "mov ax, cs",
    "mov qword ptr [rip + {st} + {cs}], rax",
    "mov ax, ds",
    "mov qword ptr [rip + {st} + {ds}], rax",
    "mov ax, es",
    "mov qword ptr [rip + {st} + {es}], rax",
    "mov ax, fs",
    "mov qword ptr [rip + {st} + {fs}], rax",
    "mov ax, gs",
    "mov qword ptr [rip + {st} + {gs}], rax",
    "mov ax, ss",
    "mov qword ptr [rip + {st} + {ss}], rax",
    // Control registers.
    "mov rax, cr0",
    "mov qword ptr [rip + {st} + {cr0}], rax",
    "mov rax, cr2",
    "mov qword ptr [rip + {st} + {cr2}], rax",
    "mov rax, cr3",
    "mov qword ptr [rip + {st} + {cr3}], rax",
    "mov rax, cr4",
    "mov qword ptr [rip + {st} + {cr4}], rax",
    // IA32_EFER.
    "mov ecx, 0xC0000080",
    "rdmsr",
    "shl rdx, 32",
    "or rax, rdx",
    "mov qword ptr [rip + {st} + {efer}], rax",
    // IA32_PAT.
    "mov ecx, 0x277",
    "rdmsr",
    "shl rdx, 32",
    "or rax, rdx",
    "mov qword ptr [rip + {st} + {pat}], rax",
    // Descriptor table registers.
    "sgdt [rip + {st} + {gdtr}]",
    "sidt [rip + {st} + {idtr}]",
    // Call into Rust on a 16-byte aligned stack (harmless if the loader
    // already got it right; the check uses the recorded RSP).
    "and rsp, -16",
    "xor eax, eax",
    "xor ecx, ecx",
    "xor edx, edx",
    "call {main}",
    "2:",
    "cli",
    "hlt",
    "jmp 2b",
    ".size _start, . - _start",
    ".popsection",
    st = sym ENTRY_STATE,
    main = sym crate::hello_main,
    rax = const offset_of!(EntryState, rax),
    rbx = const offset_of!(EntryState, rbx),
    rcx = const offset_of!(EntryState, rcx),
    rdx = const offset_of!(EntryState, rdx),
    rsi = const offset_of!(EntryState, rsi),
    rdi = const offset_of!(EntryState, rdi),
    rbp = const offset_of!(EntryState, rbp),
    r8 = const offset_of!(EntryState, r8),
    r9 = const offset_of!(EntryState, r9),
    r10 = const offset_of!(EntryState, r10),
    r11 = const offset_of!(EntryState, r11),
    r12 = const offset_of!(EntryState, r12),
    r13 = const offset_of!(EntryState, r13),
    r14 = const offset_of!(EntryState, r14),
    r15 = const offset_of!(EntryState, r15),
    rsp = const offset_of!(EntryState, rsp),
    top = const offset_of!(EntryState, stack_top_qword),
    rflags = const offset_of!(EntryState, rflags),
    cs = const offset_of!(EntryState, cs),
    ds = const offset_of!(EntryState, ds),
    es = const offset_of!(EntryState, es),
    fs = const offset_of!(EntryState, fs),
    gs = const offset_of!(EntryState, gs),
    ss = const offset_of!(EntryState, ss),
    cr0 = const offset_of!(EntryState, cr0),
    cr2 = const offset_of!(EntryState, cr2),
    cr3 = const offset_of!(EntryState, cr3),
    cr4 = const offset_of!(EntryState, cr4),
    efer = const offset_of!(EntryState, efer),
    pat = const offset_of!(EntryState, pat),
    gdtr = const offset_of!(EntryState, gdtr),
    idtr = const offset_of!(EntryState, idtr),
);
