// SPDX-License-Identifier: GPL-2.0-or-later
//! `uart-irq`: a 16550 driver as an interrupt-driven kernel writes it. COM1's
//! interrupt (ISA IRQ 4) reaches the CPU through the 8259 (remapped to vector
//! 0x20 + IRQ, only IRQ 4 unmasked) and the local APIC's LINT0 in ExtINT
//! mode, as firmware leaves it (base revision 3, so Limine does not touch the
//! local APIC). The UART has its FIFOs on (trigger level 14, so short input
//! arrives through the character-timeout interrupt), IER = RX data + line
//! status, and MCR.OUT2 set, which connects its interrupt to the PC's IRQ line.
//!
//! Only the interrupt handler touches RBR and THR. Received bytes go to a
//! ring buffer (when it is nearly full the handler drops RTS and the RX
//! interrupt, RTS/CTS flow control, until the main loop has made room); output goes to another, and the handler fills the transmit
//! FIFO (16 bytes at a time) whenever the THR-empty interrupt says it is
//! empty, turning that interrupt off when nothing is left to send. The main
//! loop waits in `sti; hlt` for whole lines and echoes each as
//! `echo: <line>`. On the line `quit` it prints
//!
//! ```text
//! irqs: <n> rx <r> tx <t>
//! ```
//!
//! (interrupts taken; of them with received data, with THR empty), waits
//! for the output to drain and exits with 0x10 (status 33). Its first line is
//! `uart-irq: ready`; once it is out, the kernel writes limu's snapshot
//! marker port 0x5C4, so tests can share the boot and send each their input.

#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]

extern crate kernel_support;

use core::arch::asm;
use core::ptr::{addr_of, addr_of_mut};

use kernel_support::io::{self, inb, outb};

kernel_support::limine_requests! {
    base_revision: 3;
}

// 16550 registers (offsets from COM1) and bits, PC16550D datasheet.
const RBR_THR: u16 = 0;
const IER: u16 = 1;
const IIR_FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;
const MSR: u16 = 6;
const IER_RX: u8 = 0x01;
const IER_THRE: u8 = 0x02;
const IER_LINE_STATUS: u8 = 0x04;
const MCR_DTR: u8 = 0x01;
const MCR_RTS: u8 = 0x02;
const MCR_OUT2: u8 = 0x08;
const IIR_NONE: u8 = 0x01;
const LSR_DATA_READY: u8 = 0x01;
const LSR_TRANSMITTER_EMPTY: u8 = 0x40;
const FIFO_DEPTH: usize = 16;
const SNAPSHOT_MARKER_PORT: u16 = 0x5C4;

// 8259 pair (ports, ICWs, OCW2 EOI).
const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xA0;
const PIC2_DATA: u16 = 0xA1;
const PIC_EOI: u8 = 0x20;
const PIC1_VECTOR_BASE: u8 = 0x20;
const COM1_IRQ: u8 = 4;
const COM1_VECTOR: usize = PIC1_VECTOR_BASE as usize + COM1_IRQ as usize;

/// A byte ring; shared between the handler and the main loop, which touches it only with interrupts off. Every
/// `cli`/`sti`/`hlt` below is an `asm!` without `nomem`, so it is also a compiler barrier: values the handler
/// changed are read again after it, not kept in registers from before.
struct Ring<const N: usize> {
    bytes: [u8; N],
    head: usize,
    len: usize,
}

impl<const N: usize> Ring<N> {
    const fn new() -> Self {
        Ring { bytes: [0; N], head: 0, len: 0 }
    }

    fn push(&mut self, b: u8) -> bool {
        if self.len == N {
            return false;
        }
        self.bytes[(self.head + self.len) % N] = b;
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let b = self.bytes[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(b)
    }
}

static mut RX: Ring<512> = Ring::new();
static mut TX: Ring<4096> = Ring::new();
static mut IRQS: u64 = 0;
static mut RX_IRQS: u64 = 0;
static mut TX_IRQS: u64 = 0;
/// IER as last written (the handler and `send` both change the THR-empty bit).
static mut IER_VALUE: u8 = 0;

/// An interrupt or trap gate (Intel SDM vol. 3, 6.14.1).
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const MISSING: Gate = Gate { offset_low: 0, selector: 0, ist: 0, type_attr: 0, offset_mid: 0, offset_high: 0, reserved: 0 };
static mut IDT: [Gate; 256] = [MISSING; 256];

#[repr(C)]
struct InterruptFrame {
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

extern "x86-interrupt" fn com1_interrupt(_frame: InterruptFrame) {
    unsafe {
        IRQS += 1;
        // Serve every source the IIR reports, highest priority first, until none is left.
        loop {
            let iir = inb(io::COM1 + IIR_FCR);
            if iir & IIR_NONE != 0 {
                break;
            }
            match (iir >> 1) & 0x7 {
                0b011 => {
                    inb(io::COM1 + LSR);
                }
                0b010 | 0b110 => {
                    RX_IRQS += 1;
                    let rx = &mut *addr_of_mut!(RX);
                    while rx.len < rx.bytes.len() && inb(io::COM1 + LSR) & LSR_DATA_READY != 0 {
                        rx.push(inb(io::COM1 + RBR_THR));
                    }
                    if rx.bytes.len() - rx.len < FIFO_DEPTH {
                        // Flow control: drop RTS so the other end holds its bytes, and stop the RX interrupt
                        // (what is left in the FIFO would raise it again at once) until the main loop made room.
                        IER_VALUE &= !IER_RX;
                        outb(io::COM1 + IER, IER_VALUE);
                        outb(io::COM1 + MCR, MCR_OUT2 | MCR_DTR);
                    }
                }
                0b001 => {
                    TX_IRQS += 1;
                    let tx = &mut *addr_of_mut!(TX);
                    for _ in 0..FIFO_DEPTH {
                        match tx.pop() {
                            Some(b) => outb(io::COM1 + RBR_THR, b),
                            None => break,
                        }
                    }
                    if tx.len == 0 {
                        IER_VALUE &= !IER_THRE;
                        outb(io::COM1 + IER, IER_VALUE);
                    }
                }
                _ => {
                    inb(io::COM1 + MSR);
                }
            }
        }
        outb(PIC1_COMMAND, PIC_EOI);
    }
}

/// Queues bytes for the transmit interrupt and makes sure it is on; waits (halted) while the ring is full.
fn send(bytes: &[u8]) {
    for &b in bytes {
        loop {
            let queued = unsafe {
                asm!("cli", options(nostack));
                let ok = (*addr_of_mut!(TX)).push(b);
                if ok && IER_VALUE & IER_THRE == 0 {
                    // Enabling the THR-empty interrupt with THR empty raises it at once.
                    IER_VALUE |= IER_THRE;
                    outb(io::COM1 + IER, IER_VALUE);
                }
                ok
            };
            if queued {
                unsafe { asm!("sti", options(nostack)) };
                break;
            }
            unsafe { asm!("sti", "hlt", options(nostack)) };
        }
    }
}

struct Out;

impl core::fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        send(s.as_bytes());
        Ok(())
    }
}

macro_rules! say {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!(Out, $($arg)*);
    }};
}

fn init_uart() {
    unsafe {
        outb(io::COM1 + IER, 0x00);
        outb(io::COM1 + LCR, 0x80); // DLAB
        outb(io::COM1 + RBR_THR, 0x03); // 38400 baud
        outb(io::COM1 + IER, 0x00);
        outb(io::COM1 + LCR, 0x03); // 8N1
        outb(io::COM1 + IIR_FCR, 0xC7); // FIFOs on and cleared, RX trigger level 14
        outb(io::COM1 + MCR, MCR_DTR | MCR_RTS | MCR_OUT2); // OUT2: the interrupt reaches IRQ 4
        IER_VALUE = IER_RX | IER_LINE_STATUS;
        outb(io::COM1 + IER, IER_VALUE);
    }
}

/// ICW1-ICW4 (edge-triggered, cascade, 8086 mode), vectors 0x20 and 0x28; every IRQ masked but COM1's.
fn init_pic() {
    unsafe {
        outb(PIC1_COMMAND, 0x11);
        outb(PIC2_COMMAND, 0x11);
        outb(PIC1_DATA, PIC1_VECTOR_BASE);
        outb(PIC2_DATA, PIC1_VECTOR_BASE + 8);
        outb(PIC1_DATA, 1 << 2); // slave on IRQ 2
        outb(PIC2_DATA, 2); // its cascade identity
        outb(PIC1_DATA, 0x01);
        outb(PIC2_DATA, 0x01);
        outb(PIC1_DATA, !(1u8 << COM1_IRQ));
        outb(PIC2_DATA, 0xFF);
    }
}

fn init_idt() {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
    }
    let handler = com1_interrupt as extern "x86-interrupt" fn(InterruptFrame) as u64;
    unsafe {
        (*addr_of_mut!(IDT))[COM1_VECTOR] = Gate {
            offset_low: handler as u16,
            selector: cs,
            ist: 0,
            type_attr: 0x8E, // present, DPL 0, 64-bit interrupt gate
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        };
        #[repr(C, packed)]
        struct Idtr {
            limit: u16,
            base: u64,
        }
        let idtr = Idtr { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

/// Takes one received line (without its `\n` or `\r`) into `line`; None if none is complete yet, and then
/// interrupts stay off, so the caller's `sti; hlt` cannot miss the interrupt that completes it.
fn take_line(line: &mut [u8; 256]) -> Option<usize> {
    unsafe {
        asm!("cli", options(nostack));
        let rx = &mut *addr_of_mut!(RX);
        let complete = (0..rx.len).any(|i| rx.bytes[(rx.head + i) % rx.bytes.len()] == b'\n');
        let mut n = 0;
        if complete {
            while let Some(b) = rx.pop() {
                if b == b'\n' {
                    break;
                }
                if b != b'\r' && n < line.len() {
                    line[n] = b;
                    n += 1;
                }
            }
        }
        if IER_VALUE & IER_RX == 0 && rx.len <= rx.bytes.len() / 2 {
            // room again: take input (RTS) and its interrupt back
            IER_VALUE |= IER_RX;
            outb(io::COM1 + IER, IER_VALUE);
            outb(io::COM1 + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
        }
        if complete {
            asm!("sti", options(nostack));
            Some(n)
        } else {
            None
        }
    }
}

/// Waits, halted, until the transmit interrupt has taken every queued byte; returns with interrupts on.
fn drain_output() {
    loop {
        unsafe {
            asm!("cli", options(nostack));
            if (*addr_of!(TX)).len == 0 {
                asm!("sti", options(nostack));
                return;
            }
            asm!("sti", "hlt", options(nostack));
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    init_idt();
    init_pic();
    init_uart();
    unsafe { asm!("sti", options(nostack)) };
    say!("uart-irq: ready");
    drain_output();
    // limu's snapshot marker: tests that share this boot take it from here (an unclaimed port elsewhere)
    unsafe { outb(SNAPSHOT_MARKER_PORT, 0) };
    let mut line = [0u8; 256];
    loop {
        match take_line(&mut line) {
            Some(n) => {
                let text = &line[..n];
                say!("echo: {}", io::Escaped(text));
                if text == b"quit" {
                    break;
                }
            }
            // sti's one-instruction shadow: no interrupt slips in between the check and the hlt
            None => unsafe { asm!("sti", "hlt", options(nostack)) },
        }
    }
    unsafe {
        let (irqs, rx, tx) = (*addr_of!(IRQS), *addr_of!(RX_IRQS), *addr_of!(TX_IRQS));
        say!("irqs: {} rx {} tx {}", irqs, rx, tx);
        drain_output();
        // the last bytes leave the shift register before the machine goes
        while inb(io::COM1 + LSR) & LSR_TRANSMITTER_EMPTY == 0 {
            core::hint::spin_loop();
        }
    }
    io::exit(io::EXIT_SUCCESS)
}

kernel_support::report_panics!();
