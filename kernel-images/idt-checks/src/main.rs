// SPDX-License-Identifier: GPL-2.0-or-later
//! `idt-checks`: a crate-free kernel that installs its own GDT, TSS and IDT
//! and checks from the inside that exceptions and interrupts arrive as on an
//! x86_64 CPU (Intel SDM vol. 3, ch. 6): int3 (trap RIP), #DE and #UD (fault
//! RIP), #GP/#NP with selector and IDT error codes, page faults of each kind
//! with CR2 and error code, interrupt vs trap gates, IST stacks, a double
//! fault on its IST stack after a kernel stack overflow, ring 3 entered with
//! iretq and left through syscall/sysretq, int n from ring 3 (stack switch to
//! RSP0), faults in ring 3, CPUID and MSRs (#GP on an unknown MSR). Prints
//!
//! ```text
//! ok: <what>
//! FAIL: <what> (<details>)
//! idt-checks: N checks, M failed
//! ```
//!
//! then exits through isa-debug-exit (0x10 all passed, 0x11 otherwise).
//! Cmdline `triple`: makes the #PF and #DF gates not present, then writes to
//! an unmapped address: #PF -> #NP -> #DF -> #NP -> shutdown (a triple fault).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::arch::{asm, global_asm};
use core::ptr::{addr_of, read_volatile, write_volatile};

use io::EXIT_FAILURE;
use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
    EXECUTABLE_CMDLINE: Request<ExecutableCmdlineResponse> = Request::new(EXECUTABLE_CMDLINE_ID, 0, ());
}

// ---------------------------------------------------------------------------
// Checks

static mut CHECKS: u32 = 0;
static mut FAILED: u32 = 0;

fn check(ok: bool, what: &str, details: core::fmt::Arguments) {
    unsafe {
        CHECKS += 1;
        if ok {
            println!("ok: {}", what);
        } else {
            FAILED += 1;
            println!("FAIL: {} ({})", what, details);
        }
    }
}

macro_rules! check {
    ($ok:expr, $what:expr, $($fmt:tt)*) => { check($ok, $what, format_args!($($fmt)*)) };
}

// ---------------------------------------------------------------------------
// GDT and TSS

const KCODE: u16 = 0x08;
const KDATA: u16 = 0x10;
const UDATA: u16 = 0x18;
const UCODE: u16 = 0x20;
const TSS_SEL: u16 = 0x28;
const ABSENT_DATA: u16 = 0x38;
const ABSENT_CODE: u16 = 0x40;
const GDT_LIMIT: u16 = 0x47;

#[repr(C, align(16))]
struct Gdt([u64; 9]);

static mut GDT: Gdt = Gdt([
    0,
    0x00209a0000000000, // 0x08 kernel code: P, DPL0, code, L
    0x0000920000000000, // 0x10 kernel data
    0x0000f20000000000, // 0x18 user data, DPL3
    0x0020fa0000000000, // 0x20 user code, DPL3, L
    0,                  // 0x28 TSS (filled in)
    0,
    0x0000120000000000, // 0x38 data, not present
    0x00201a0000000000, // 0x40 code, not present
]);

#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

static mut TSS: Tss = Tss {
    reserved0: 0,
    rsp: [0; 3],
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    iomap_base: 104,
};

#[repr(C, align(4096))]
struct Stack([u8; 16384]);

static mut RSP0_STACK: Stack = Stack([0; 16384]);
static mut IST1_STACK: Stack = Stack([0; 16384]);
static mut IST2_STACK: Stack = Stack([0; 16384]);
static mut SYSCALL_STACK: Stack = Stack([0; 16384]);

#[repr(C, align(4096))]
struct Page([u8; 4096]);

/// [guard page][stack page]: the stack-overflow test unmaps the first.
static mut SMALL_STACK: [Page; 2] = [Page([0; 4096]), Page([0; 4096])];
static mut SCRATCH: Page = Page([0; 4096]);
static mut USER_CODE: Page = Page([0; 4096]);
static mut USER_STACK: Page = Page([0; 4096]);
static RODATA_BYTES: [u8; 16] = [0xc3; 16];

fn stack_range(s: *const Stack) -> (u64, u64) {
    (s as u64, s as u64 + 16384)
}

#[repr(C, packed)]
struct TableRegister {
    limit: u16,
    base: u64,
}

fn load_gdt_and_tss() {
    unsafe {
        let tss = addr_of!(TSS) as u64;
        let limit = 103u64;
        GDT.0[5] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89u64 << 40) | (((tss >> 24) & 0xff) << 56);
        GDT.0[6] = tss >> 32;
        TSS.rsp[0] = stack_range(addr_of!(RSP0_STACK)).1;
        TSS.ist[0] = stack_range(addr_of!(IST1_STACK)).1;
        TSS.ist[1] = stack_range(addr_of!(IST2_STACK)).1 - 8; // misaligned on purpose: the CPU aligns to 16
        let gdtr = TableRegister { limit: GDT_LIMIT, base: addr_of!(GDT) as u64 };
        asm!(
            "lgdt [{g}]",
            "push {cs}",
            "lea rax, [rip + 2f]",
            "push rax",
            "retfq",
            "2:",
            "mov ax, {ds}",
            "mov ds, ax",
            "mov es, ax",
            "mov ss, ax",
            "mov ax, {tss}",
            "ltr ax",
            g = in(reg) &gdtr,
            cs = const KCODE as u64,
            ds = const KDATA,
            tss = const TSS_SEL,
            out("rax") _,
        );
    }
}

// ---------------------------------------------------------------------------
// IDT: stubs push (error code or 0) and the vector, save the GPRs, call isr().

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Frame {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    rdx: u64,
    rcx: u64,
    rbx: u64,
    rax: u64,
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

global_asm!(
    ".pushsection .text.isr, \"ax\", @progbits",
    ".irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,29,30,31,128,129,130,131,132,133,134",
    "isr_\\n:",
    "push 0",
    "push \\n",
    "jmp isr_common",
    ".endr",
    ".irp n, 8,10,11,12,13,14,17,21",
    "isr_\\n:",
    "push \\n",
    "jmp isr_common",
    ".endr",
    "isr_common:",
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
    ".pushsection .rodata.isr_table, \"a\", @progbits",
    ".balign 8",
    ".global isr_table",
    "isr_table:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    ".quad isr_\\n",
    ".endr",
    ".global isr_table_high",
    "isr_table_high:",
    ".irp n, 128,129,130,131,132,133,134",
    ".quad isr_\\n",
    ".endr",
    ".popsection",
    isr = sym isr,
);

unsafe extern "C" {
    static isr_table: [u64; 32];
    static isr_table_high: [u64; 7];
}

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

/// type 0xE interrupt gate, 0xF trap gate.
fn gate(handler: u64, dpl: u64, ist: u64, typ: u64, present: bool) -> [u64; 2] {
    let lo = (handler & 0xffff)
        | ((KCODE as u64) << 16)
        | (ist << 32)
        | (typ << 40)
        | (dpl << 45)
        | ((present as u64) << 47)
        | (((handler >> 16) & 0xffff) << 48);
    [lo, handler >> 32]
}

fn load_idt() {
    unsafe {
        let table = &*addr_of!(isr_table);
        for v in 0..32 {
            IDT.0[v] = gate(table[v], 0, 0, 0xe, true);
        }
        IDT.0[3] = gate(table[3], 3, 0, 0xe, true); // int3 allowed from ring 3
        IDT.0[8] = gate(table[8], 0, 1, 0xe, true); // #DF on IST1
        let high = &*addr_of!(isr_table_high);
        IDT.0[0x80] = gate(high[0], 3, 0, 0xe, true); // user-callable
        IDT.0[0x81] = gate(high[1], 0, 0, 0xe, true); // kernel only: #GP from ring 3
        IDT.0[0x82] = gate(high[2], 0, 0, 0xf, true); // trap gate: IF kept
        IDT.0[0x83] = gate(high[3], 0, 0, 0xe, true); // interrupt gate: IF cleared
        IDT.0[0x84] = gate(high[4], 0, 2, 0xe, true); // IST2
        IDT.0[0x85] = gate(high[5], 0, 0, 0xe, false); // not present: #NP
        let idtr = TableRegister { limit: 256 * 16 - 1, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr);
    }
}

/// What the last handler saw.
#[derive(Clone, Copy, Default)]
struct Event {
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    ss: u64,
    rflags: u64,
    rsp: u64,
    cr2: u64,
    handler_rsp: u64,
    count: u64,
}

static mut LAST: Event = Event {
    vector: 0,
    error: 0,
    rip: 0,
    cs: 0,
    ss: 0,
    rflags: 0,
    rsp: 0,
    cr2: 0,
    handler_rsp: 0,
    count: 0,
};
static mut EVENTS: [Event; 16] = [Event {
    vector: 0,
    error: 0,
    rip: 0,
    cs: 0,
    ss: 0,
    rflags: 0,
    rsp: 0,
    cr2: 0,
    handler_rsp: 0,
    count: 0,
}; 16];
static mut N_EVENTS: usize = 0;

/// Where a kernel-mode fault resumes (set by `expect_fault!` right before it).
static mut RECOVER: u64 = 0;
static mut RECOVER_RSP: u64 = 0;
/// The guard page's PTE and its value, restored by the #DF handler.
static mut GUARD_PTE: *mut u64 = core::ptr::null_mut();
static mut GUARD_VALUE: u64 = 0;

fn cr2() -> u64 {
    let v: u64;
    unsafe { asm!("mov {}, cr2", out(reg) v) };
    v
}

extern "C" fn isr(f: &mut Frame) {
    let e = Event {
        vector: f.vector,
        error: f.error,
        rip: f.rip,
        cs: f.cs,
        ss: f.ss,
        rflags: f.rflags,
        rsp: f.rsp,
        cr2: cr2(),
        handler_rsp: f as *const Frame as u64,
        count: unsafe { LAST.count } + 1,
    };
    unsafe {
        LAST = e;
        if f.cs & 3 == 3 {
            if N_EVENTS < 16 {
                EVENTS[N_EVENTS] = e;
                N_EVENTS += 1;
            }
            // ring 3 convention: r15 holds the length of the faulting instruction (0 for int n)
            f.rip += f.r15;
            f.r15 = 0;
            return;
        }
        if f.vector == 8 && !GUARD_PTE.is_null() {
            write_volatile(GUARD_PTE, GUARD_VALUE);
            asm!("mov rax, cr3", "mov cr3, rax", out("rax") _);
            GUARD_PTE = core::ptr::null_mut();
        }
        if f.vector == 0x82 || f.vector == 0x83 {
            let fl: u64;
            asm!("pushfq", "pop {}", out(reg) fl);
            HANDLER_IF = if fl & 0x200 != 0 { 2 } else { 1 };
        }
        if f.vector == 3 || f.vector >= 0x80 && f.vector != 0x85 {
            return; // traps and int n: resume after the instruction
        }
        if RECOVER != 0 {
            f.rip = RECOVER;
            f.rsp = RECOVER_RSP;
            RECOVER = 0;
            return;
        }
    }
    println!("FAIL: unexpected exception {} error {:#x} at {:#x} (CR2 {:#x})", f.vector, f.error, f.rip, cr2());
    io::exit(EXIT_FAILURE);
}

/// Runs the instructions in `$asm`, which must fault; execution resumes after them.
macro_rules! expect_fault {
    ($($asm:literal),+ $(; $($op:tt)*)?) => {
        #[allow(unused_unsafe)]
        let () = unsafe {
            asm!(
                "lea rax, [rip + 2f]",
                "mov [rip + {rec}], rax",
                "mov [rip + {rrsp}], rsp",
                $($asm,)+
                "2:",
                rec = sym RECOVER,
                rrsp = sym RECOVER_RSP,
                out("rax") _,
                $($($op)*)?
            )
        };
    };
}

fn last() -> Event {
    unsafe { read_volatile(addr_of!(LAST)) }
}

// ---------------------------------------------------------------------------
// Paging helpers (the loader's tables, through the HHDM)

static mut HHDM_OFFSET: u64 = 0;

/// The level-1 entry mapping `va`, or None if a large page or no table maps it.
fn pte(va: u64, user_path: bool) -> Option<*mut u64> {
    unsafe {
        let cr3: u64;
        asm!("mov {}, cr3", out(reg) cr3);
        let mut table = cr3 & 0x000f_ffff_ffff_f000;
        for level in (1..=4).rev() {
            let index = (va >> (12 + 9 * (level - 1))) & 0x1ff;
            let entry = (HHDM_OFFSET + table + index * 8) as *mut u64;
            let v = read_volatile(entry);
            if v & 1 == 0 {
                return None;
            }
            if level == 1 {
                return Some(entry);
            }
            if v & 0x80 != 0 {
                return None;
            }
            if user_path {
                write_volatile(entry, (v | 4) & !(1 << 63)); // U on the path; NX only decided by the leaf
            }
            table = v & 0x000f_ffff_ffff_f000;
        }
        None
    }
}

fn invlpg(va: u64) {
    unsafe { asm!("invlpg [{}]", in(reg) va) };
}

// ---------------------------------------------------------------------------
// MSRs and CPUID

fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi) };
    ((hi as u64) << 32) | lo as u64
}

fn wrmsr(msr: u32, v: u64) {
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32) };
}

fn cpuid(leaf: u32, sub: u32) -> [u32; 4] {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    [r.eax, r.ebx, r.ecx, r.edx]
}

fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi) };
    ((hi as u64) << 32) | lo as u64
}

// ---------------------------------------------------------------------------
// Ring 3: entered with iretq, left with `syscall` number 99.

static mut KERNEL_RSP: u64 = 0;
static mut USER_RSP_SAVE: u64 = 0;
static mut SYSCALL_RSP: u64 = 0;
static mut SYSCALLS: [[u64; 4]; 8] = [[0; 4]; 8];
static mut N_SYSCALLS: usize = 0;

global_asm!(
    ".pushsection .text.user, \"ax\", @progbits",
    ".global enter_user",
    // enter_user(rip = rdi, rsp = rsi, probe = rdx): returns when ring 3 makes syscall 99
    "enter_user:",
    "push rbp", "push rbx", "push r12", "push r13", "push r14", "push r15",
    "mov [rip + {krsp}], rsp",
    "mov rbx, rdx",               // the probe address survives syscalls in RBX
    "push {uds}",
    "push rsi",
    "push 0x202",
    "push {ucs}",
    "push rdi",
    "iretq",
    ".global syscall_entry",
    "syscall_entry:",
    "cmp rax, 99",
    "je 3f",
    "mov [rip + {ursp}], rsp",
    "mov rsp, [rip + {srsp}]",
    "push rcx",
    "push r11",
    "mov rdx, r11",
    "mov rsi, rdi",
    "mov rdi, rax",
    "call {dispatch}",
    "pop r11",
    "pop rcx",
    "mov rsp, [rip + {ursp}]",
    "sysretq",
    "3:",
    "mov rsp, [rip + {krsp}]",
    "pop r15", "pop r14", "pop r13", "pop r12", "pop rbx", "pop rbp",
    "ret",
    // The ring-3 program, copied to USER_CODE. r15 = length of the next faulting instruction.
    ".global user_program",
    "user_program:",
    "mov rax, 1",
    "mov rdi, 0x1234",
    "syscall",                    // -> rax = 0x1235
    "mov rdi, rax",
    "mov rax, 2",
    "syscall",                    // reports 0x1235 back
    "xor r15, r15",
    "int 0x80",                   // DPL 3 gate: allowed, stack switch to RSP0
    "mov r15, 2",
    "int 0x81",                   // DPL 0 gate: #GP(0x81 * 8 + 2)
    "mov r15, 2",
    "mov al, [rbx]",              // 8a 03: read a supervisor page: #PF 0x5
    "mov r15, 3",
    "mov byte ptr [rbx], 1",      // c6 03 01: write it: #PF 0x7
    "mov r15, 1",
    "hlt",                        // privileged: #GP(0)
    "mov r15, 2",
    "ud2",                        // #UD
    "mov rax, 99",
    "syscall",
    ".global user_program_end",
    "user_program_end:",
    ".popsection",
    krsp = sym KERNEL_RSP,
    ursp = sym USER_RSP_SAVE,
    srsp = sym SYSCALL_RSP,
    dispatch = sym syscall_dispatch,
    uds = const (UDATA | 3) as u64,
    ucs = const (UCODE | 3) as u64,
);

unsafe extern "C" {
    fn enter_user(rip: u64, rsp: u64, probe: u64);
    fn syscall_entry();
    static user_program: u8;
    static user_program_end: u8;
}

extern "C" fn syscall_dispatch(nr: u64, arg: u64, user_rflags: u64) -> u64 {
    let cs: u64;
    let rflags: u64;
    unsafe {
        asm!("mov {0:e}, cs", "pushfq", "pop {1}", out(reg) cs, out(reg) rflags);
        if N_SYSCALLS < 8 {
            SYSCALLS[N_SYSCALLS] = [nr, arg, cs | (rflags & 0x200) << 32, user_rflags];
            N_SYSCALLS += 1;
        }
    }
    arg + 1
}

// ---------------------------------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    unsafe {
        HHDM_OFFSET = response(&raw const HHDM).map(|h| h.offset).unwrap_or(0);
    }
    let cmdline = unsafe { response(&raw const EXECUTABLE_CMDLINE).map(|r| c_str(r.cmdline, 256)).unwrap_or(&[]) };
    load_gdt_and_tss();
    load_idt();
    if cmdline.trim_ascii() == b"triple" {
        triple_fault();
    }
    exceptions();
    page_faults();
    double_fault();
    cpu_model();
    user_mode();
    let (checks, failed) = unsafe { (CHECKS, FAILED) };
    println!("idt-checks: {} checks, {} failed", checks, failed);
    io::exit_pass_fail(failed == 0);
}

fn triple_fault() -> ! {
    println!("idt-checks: triple fault ahead");
    unsafe {
        IDT.0[14][0] &= !(1 << 47);
        IDT.0[8][0] &= !(1 << 47);
        write_volatile(0xffff_9000_0000_0000 as *mut u64, 1);
    }
    println!("FAIL: still running after a triple fault");
    io::exit(EXIT_FAILURE);
}

fn exceptions() {
    // int3: a trap, RIP after the instruction, frame at CPL 0
    let after: u64;
    unsafe { asm!("int3", "2:", "lea {}, [rip + 2b]", out(reg) after) };
    let e = last();
    check!(e.vector == 3 && e.rip == after, "int3 handled and resumed after it", "vector {} rip {:#x} want {:#x}", e.vector, e.rip, after);
    check!(e.cs == KCODE as u64 && e.ss == KDATA as u64, "int3 frame: CS and SS of the kernel", "cs {:#x} ss {:#x}", e.cs, e.ss);
    // #DE: a fault, RIP at the div
    let at: u64;
    expect_fault!("xor edx, edx", "xor ecx, ecx", "lea {at}, [rip + 3f]", "3:", "div ecx"; at = out(reg) at, out("rdx") _, out("rcx") _);
    let e = last();
    check!(e.vector == 0 && e.rip == at, "#DE at the div", "vector {} rip {:#x} want {:#x}", e.vector, e.rip, at);
    // #UD
    let at: u64;
    expect_fault!("lea {at}, [rip + 3f]", "3:", "ud2"; at = out(reg) at);
    let e = last();
    check!(e.vector == 6 && e.rip == at, "#UD at the ud2", "vector {} rip {:#x} want {:#x}", e.vector, e.rip, at);
    // #GP with selector error codes
    expect_fault!("mov ax, 0x48", "mov ds, ax");
    let e = last();
    check!(e.vector == 13 && e.error == 0x48, "#GP(0x48): selector beyond the GDT limit", "vector {} error {:#x}", e.vector, e.error);
    expect_fault!("mov ax, {s}", "mov es, ax"; s = const ABSENT_DATA);
    let e = last();
    check!(e.vector == 11 && e.error == ABSENT_DATA as u64, "#NP(0x38): data segment not present", "vector {} error {:#x}", e.vector, e.error);
    let far_null: [u64; 2] = [0x1000, 0];
    expect_fault!("lea rax, [{m}]", ".byte 0x48, 0xff, 0x28"; m = in(reg) &far_null);
    let e = last();
    check!(e.vector == 13 && e.error == 0, "#GP(0): far jump to the null selector", "vector {} error {:#x}", e.vector, e.error);
    let far_absent: [u64; 2] = [0x1000, ABSENT_CODE as u64];
    expect_fault!("lea rax, [{m}]", ".byte 0x48, 0xff, 0x28"; m = in(reg) &far_absent);
    let e = last();
    check!(e.vector == 11 && e.error == ABSENT_CODE as u64, "#NP(0x40): far jump to a code segment not present", "vector {} error {:#x}", e.vector, e.error);
    expect_fault!("int 0x85");
    let e = last();
    check!(e.vector == 11 && e.error == 0x85 * 8 + 2, "#NP(0x42a): int through a gate not present", "vector {} error {:#x}", e.vector, e.error);
    // non-canonical access: #GP(0)
    expect_fault!("mov rax, 0x0000800000000000", "mov rax, [rax]");
    let e = last();
    check!(e.vector == 13 && e.error == 0, "#GP(0): non-canonical address", "vector {} error {:#x}", e.vector, e.error);
    // trap gate keeps IF, interrupt gate clears it
    unsafe { asm!("sti", "int 0x82", "int 0x83", "cli") };
    let e = last();
    check!(e.vector == 0x83 && e.rflags & 0x200 != 0, "frame RFLAGS has IF of the interrupted code", "rflags {:#x}", e.rflags);
    let (trap_if, int_if);
    unsafe {
        HANDLER_IF = 0;
        asm!("sti", "int 0x82", "cli");
        trap_if = HANDLER_IF;
        asm!("sti", "int 0x83", "cli");
        int_if = HANDLER_IF;
    }
    check!(trap_if == 2 && int_if == 1, "IF kept by a trap gate, cleared by an interrupt gate", "trap {} interrupt {}", trap_if, int_if);
    // IST2: stack switch, aligned down to 16 (TSS.IST2 is 8 mod 16)
    unsafe { asm!("int 0x84") };
    let e = last();
    let (lo, hi) = stack_range(addr_of!(IST2_STACK));
    check!(e.handler_rsp > lo && e.handler_rsp < hi, "IST2 gate runs on the IST2 stack", "handler rsp {:#x}", e.handler_rsp);
    // frame top = aligned IST2 top: SS at hi-16-8 .. the frame's SS slot is at (hi - 8) & !15 - 8
    let ss_slot = ((hi - 8) & !15) - 8;
    check!(e.handler_rsp + 21 * 8 == ss_slot, "IST stack aligned to 16 before the frame is pushed", "frame at {:#x}, SS slot {:#x}", e.handler_rsp, ss_slot);
}

/// Set by the handlers of 0x82/0x83: 1 = ran with IF clear, 2 = ran with IF set.
static mut HANDLER_IF: u64 = 0;

fn page_faults() {
    let unmapped = 0xffff_9000_0000_0000u64;
    expect_fault!("mov rax, [{a}]"; a = in(reg) unmapped);
    let e = last();
    check!(e.vector == 14 && e.error == 0 && e.cr2 == unmapped, "#PF read of a page not present: error 0x0, CR2", "error {:#x} cr2 {:#x}", e.error, e.cr2);
    expect_fault!("mov qword ptr [{a}], 1"; a = in(reg) unmapped + 8);
    let e = last();
    check!(e.vector == 14 && e.error == 2 && e.cr2 == unmapped + 8, "#PF write to a page not present: error 0x2", "error {:#x} cr2 {:#x}", e.error, e.cr2);
    let ro = addr_of!(RODATA_BYTES) as u64;
    expect_fault!("mov byte ptr [{a}], 1"; a = in(reg) ro);
    let e = last();
    check!(e.vector == 14 && e.error == 3 && e.cr2 == ro, "#PF write to a read-only page: error 0x3", "error {:#x} cr2 {:#x}", e.error, e.cr2);
    expect_fault!("call {a}"; a = in(reg) ro);
    let e = last();
    check!(e.vector == 14 && e.error == 0x11 && e.cr2 == ro && e.rip == ro, "#PF fetch from an NX page: error 0x11", "error {:#x} cr2 {:#x} rip {:#x}", e.error, e.cr2, e.rip);
    // reserved bit: bit 51 is reserved with MAXPHYADDR 40
    let scratch = addr_of!(SCRATCH) as u64;
    match pte(scratch, false) {
        Some(p) => unsafe {
            let old = read_volatile(p);
            write_volatile(p, old | (1 << 51));
            invlpg(scratch);
            expect_fault!("mov rax, [{a}]"; a = in(reg) scratch);
            write_volatile(p, old);
            invlpg(scratch);
            let e = last();
            check!(e.vector == 14 && e.error == 9 && e.cr2 == scratch, "#PF reserved bit set: error 0x9", "error {:#x} cr2 {:#x}", e.error, e.cr2);
        },
        None => check!(false, "#PF reserved bit set: error 0x9", "no 4 KiB page maps .bss"),
    }
    let maxphys = cpuid(0x80000008, 0)[0] & 0xff;
    check!(maxphys == 40, "CPUID MAXPHYADDR 40 (reserved bits 40-51)", "{}", maxphys);
}

fn double_fault() {
    unsafe {
        let guard = addr_of!(SMALL_STACK) as u64;
        let Some(p) = pte(guard, false) else {
            check!(false, "#DF on IST1 after a stack overflow", "no 4 KiB page maps .bss");
            return;
        };
        GUARD_VALUE = read_volatile(p);
        GUARD_PTE = p;
        write_volatile(p, GUARD_VALUE & !1);
        invlpg(guard);
        let top = guard + 8192;
        expect_fault!("mov rsp, {t}", "3:", "push rax", "jmp 3b"; t = in(reg) top);
        let e = last();
        let (lo, hi) = stack_range(addr_of!(IST1_STACK));
        check!(e.vector == 8 && e.error == 0, "#DF after the #PF handler could not push its frame", "vector {} error {:#x}", e.vector, e.error);
        check!(e.handler_rsp > lo && e.handler_rsp < hi, "#DF handler on its IST1 stack", "rsp {:#x} IST1 {:#x}..{:#x}", e.handler_rsp, lo, hi);
        check!(e.cr2 >= guard && e.cr2 < guard + 4096, "CR2 in the guard page", "cr2 {:#x}", e.cr2);
        check!(e.rsp == guard + 4096, "#DF frame: RSP at the bottom of the overflowed stack", "rsp {:#x}", e.rsp);
        check!(GUARD_PTE.is_null(), "guard page restored by the #DF handler", "");
    }
}

fn cpu_model() {
    let v = cpuid(0, 0);
    let mut vendor = [0u8; 12];
    vendor[0..4].copy_from_slice(&v[1].to_le_bytes());
    vendor[4..8].copy_from_slice(&v[3].to_le_bytes());
    vendor[8..12].copy_from_slice(&v[2].to_le_bytes());
    check!(&vendor == b"GenuineIntel" && v[0] >= 0xb, "CPUID vendor GenuineIntel, leaf 0xB present", "{} max {:#x}", io::Escaped(&vendor), v[0]);
    let f = cpuid(1, 0);
    check!(f[3] & (1 << 9 | 1 << 4 | 1 << 5 | 1 << 6) == (1 << 9 | 1 << 4 | 1 << 5 | 1 << 6), "CPUID.1 EDX: APIC, TSC, MSR, PAE", "edx {:#x}", f[3]);
    check!(f[2] & (1 << 21 | 1 << 24) != 0 && f[2] & (1 << 28 | 1 << 31) == 0, "CPUID.1 ECX: x2APIC, TSC-deadline; no AVX, no hypervisor", "ecx {:#x}", f[2]);
    check!(f[1] >> 24 == 0, "CPUID.1 EBX: initial APIC ID 0 on the BSP", "ebx {:#x}", f[1]);
    let x = cpuid(0x80000001, 0);
    let want = 1 << 11 | 1 << 20 | 1 << 26 | 1 << 27 | 1 << 29;
    check!(x[3] & want == want, "CPUID.80000001 EDX: SYSCALL, NX, 1 GiB pages, RDTSCP, LM", "edx {:#x}", x[3]);
    check!(cpuid(0x80000007, 0)[3] & (1 << 8) != 0, "CPUID.80000007: invariant TSC", "");
    let t = cpuid(0xb, 0);
    let c = cpuid(0xb, 1);
    check!(t[3] == 0 && (t[2] >> 8) & 0xff == 1 && c[1] >= 1 && (c[2] >> 8) & 0xff == 2, "CPUID.0xB topology: SMT then core level, x2APIC ID 0", "{:x?} {:x?}", t, c);
    let tsc = cpuid(0x15, 0);
    check!(tsc[0] != 0 && tsc[1] != 0 && tsc[2] != 0, "CPUID.15: TSC frequency", "{:x?}", tsc);

    check!(rdmsr(0x1b) == 0xfee00900, "IA32_APIC_BASE 0xfee00900 (BSP, enabled)", "{:#x}", rdmsr(0x1b));
    check!(rdmsr(0x277) == 0x0000010500070406, "IA32_PAT is Limine's", "{:#x}", rdmsr(0x277));
    check!(rdmsr(0xc0000080) & 0xd00 == 0xd00, "EFER: LME, LMA, NXE", "{:#x}", rdmsr(0xc0000080));
    check!(rdmsr(0xfe) & 0xff == 8, "MTRRcap: 8 variable ranges", "{:#x}", rdmsr(0xfe));
    wrmsr(0xc0000101, 0x1111_0000);
    wrmsr(0xc0000102, 0x2222_0000);
    unsafe { asm!("swapgs") };
    let gs = rdmsr(0xc0000101);
    let kgs = rdmsr(0xc0000102);
    unsafe { asm!("swapgs") };
    check!(gs == 0x2222_0000 && kgs == 0x1111_0000, "swapgs exchanges GS_BASE and KERNEL_GS_BASE", "gs {:#x} kgs {:#x}", gs, kgs);
    wrmsr(0xc0000101, 0);
    // SDM 10.5.4.1: outside TSC-deadline timer mode, writes to IA32_TSC_DEADLINE are
    // ignored and reads return 0 (the LVT timer is masked one-shot after reset)
    wrmsr(0x6e0, 12345);
    check!(rdmsr(0x6e0) == 0, "IA32_TSC_DEADLINE ignores writes outside TSC-deadline mode", "{}", rdmsr(0x6e0));
    expect_fault!("mov ecx, 0x12345678", "rdmsr"; out("rcx") _, out("rdx") _);
    let e = last();
    check!(e.vector == 13 && e.error == 0, "#GP(0) on RDMSR of an unknown MSR", "vector {} error {:#x}", e.vector, e.error);
    expect_fault!("mov ecx, 0xfe", "xor edx, edx", "wrmsr"; out("rcx") _, out("rdx") _);
    let e = last();
    check!(e.vector == 13 && e.error == 0 && e.count > 0, "#GP(0) on WRMSR to the read-only MTRRcap", "vector {} error {:#x}", e.vector, e.error);
    let a = rdtsc();
    let b = rdtsc();
    let m = rdmsr(0x10);
    check!(b > a && m > b, "RDTSC and IA32_TSC increase", "{} {} {}", a, b, m);
    wrmsr(0xc0000103, 7);
    let aux: u32;
    unsafe { asm!("rdtscp", out("ecx") aux, out("eax") _, out("edx") _) };
    check!(aux == 7, "RDTSCP returns TSC_AUX in ECX", "{}", aux);
}

fn user_mode() {
    unsafe {
        let code = addr_of!(USER_CODE) as u64;
        let stack = addr_of!(USER_STACK) as u64;
        let (Some(pc), Some(ps)) = (pte(code, true), pte(stack, true)) else {
            check!(false, "ring 3", "no 4 KiB pages map .bss");
            return;
        };
        write_volatile(pc, (read_volatile(pc) | 4) & !(1 << 63));
        write_volatile(ps, read_volatile(ps) | 4);
        asm!("mov rax, cr3", "mov cr3, rax", out("rax") _);
        let start = addr_of!(user_program) as u64;
        let len = addr_of!(user_program_end) as u64 - start;
        core::ptr::copy_nonoverlapping(start as *const u8, code as *mut u8, len as usize);
        // SYSCALL: EFER.SCE, STAR (kernel CS 0x08 / SS 0x10, user base 0x10 -> SS 0x1b, CS 0x23), LSTAR, SFMASK (IF, TF)
        wrmsr(0xc0000080, rdmsr(0xc0000080) | 1);
        wrmsr(0xc0000081, ((0x10u64 | 3) << 48) | ((KCODE as u64) << 32));
        wrmsr(0xc0000082, syscall_entry as *const () as u64);
        wrmsr(0xc0000084, 0x300);
        SYSCALL_RSP = stack_range(addr_of!(SYSCALL_STACK)).1;
        let probe = addr_of!(SCRATCH) as u64;
        enter_user(code, stack + 4096, probe);

        let calls = &*addr_of!(SYSCALLS);
        let n = N_SYSCALLS;
        check!(n == 2 && calls[0][0] == 1 && calls[0][1] == 0x1234, "syscall from ring 3 reaches LSTAR with RAX/RDI", "{} calls, first {:x?}", n, calls[0]);
        check!(calls[0][2] & 0xffff == KCODE as u64 && calls[0][2] >> 32 == 0, "syscall: CS from STAR, IF masked by SFMASK", "{:#x}", calls[0][2]);
        check!(calls[0][3] & 0x200 != 0, "syscall: R11 holds the user RFLAGS", "{:#x}", calls[0][3]);
        check!(calls[1][0] == 2 && calls[1][1] == 0x1235, "sysretq back to ring 3 with the result in RAX", "{:x?}", calls[1]);
        let ev = &*addr_of!(EVENTS);
        let n = N_EVENTS;
        let (lo, hi) = stack_range(addr_of!(RSP0_STACK));
        let e = ev[0];
        check!(n >= 1 && e.vector == 0x80 && e.cs == (UCODE | 3) as u64 && e.ss == (UDATA | 3) as u64, "int 0x80 from ring 3: frame CS 0x23, SS 0x1b", "n {} vector {:#x} cs {:#x} ss {:#x}", n, e.vector, e.cs, e.ss);
        check!(e.handler_rsp > lo && e.handler_rsp < hi && e.rsp > stack && e.rsp <= stack + 4096, "ring 3 -> 0: stack switch to TSS.RSP0, user RSP in the frame", "handler {:#x} user rsp {:#x}", e.handler_rsp, e.rsp);
        let e = ev[1];
        check!(e.vector == 13 && e.error == 0x81 * 8 + 2, "int 0x81 (gate DPL 0) from ring 3: #GP(0x40a)", "vector {} error {:#x}", e.vector, e.error);
        let e = ev[2];
        check!(e.vector == 14 && e.error == 5 && e.cr2 == probe, "ring 3 read of a supervisor page: #PF 0x5", "vector {} error {:#x} cr2 {:#x}", e.vector, e.error, e.cr2);
        let e = ev[3];
        check!(e.vector == 14 && e.error == 7 && e.cr2 == probe, "ring 3 write to a supervisor page: #PF 0x7", "vector {} error {:#x} cr2 {:#x}", e.vector, e.error, e.cr2);
        let e = ev[4];
        check!(e.vector == 13 && e.error == 0, "hlt in ring 3: #GP(0)", "vector {} error {:#x}", e.vector, e.error);
        let e = ev[5];
        check!(e.vector == 6 && e.cs & 3 == 3, "ud2 in ring 3: #UD", "vector {} cs {:#x}", e.vector, e.cs);
        check!(n == 6, "six events from ring 3", "{}", n);
        let cs: u64;
        asm!("mov {0:e}, cs", out(reg) cs);
        check!(cs == KCODE as u64, "back in ring 0 after syscall 99", "cs {:#x}", cs);
    }
}

kernel_support::report_panics!();
