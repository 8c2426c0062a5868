// SPDX-License-Identifier: GPL-2.0-or-later
//! `serial-echo`: a serial console's other end. Every byte COM1 receives is
//! sent back unchanged, so what a terminal, a pipe or a network client sends
//! comes back byte for byte. Input is taken by interrupt: COM1's IRQ 4
//! through the 8259 (vector 0x24, only IRQ 4 unmasked) and the local APIC's
//! LINT0 in ExtINT mode, as firmware leaves it; FIFOs on with trigger level
//! 8, IER = RX data + line status, MCR = DTR + RTS + OUT2.
//!
//! The handler moves received bytes into a ring; when the ring is nearly full
//! it drops RTS and the RX interrupt (RTS/CTS flow control) until the main
//! loop has made room. The main loop, waiting in `sti; hlt` when there is
//! nothing to do, echoes the ring's bytes, up to a FIFO's worth (16) each
//! time LSR says the transmitter is empty, and then looks for two commands,
//! each a whole line ended by CR or LF (the rest of the bytes taken with the
//! command line have been echoed by then):
//!
//! - `quit`: prints `serial-echo: quit after <n> bytes, <i> interrupts` and
//!   exits through isa-debug-exit with 0x10 (status 33);
//! - `crash`: loads an empty IDT and executes `int3`, which no IDT can
//!   deliver: a triple fault.
//!
//! Its only other output is its first line, `serial-echo: ready`. When input
//! stops coming it waits in `hlt` for more, for ever.

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
const IER_LINE_STATUS: u8 = 0x04;
const MCR_DTR: u8 = 0x01;
const MCR_RTS: u8 = 0x02;
const MCR_OUT2: u8 = 0x08;
const IIR_NONE: u8 = 0x01;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;
const LSR_TRANSMITTER_EMPTY: u8 = 0x40;
const FIFO_DEPTH: usize = 16;

// 8259 pair: ports, OCW2 non-specific EOI, vector base after remapping.
const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xA0;
const PIC2_DATA: u16 = 0xA1;
const PIC_EOI: u8 = 0x20;
const PIC1_VECTOR_BASE: u8 = 0x20;
const COM1_IRQ: u8 = 4;
const COM1_VECTOR: usize = PIC1_VECTOR_BASE as usize + COM1_IRQ as usize;

const RING_SIZE: usize = 4096;

/// Received bytes on their way from the handler to the main loop, which touches it only with interrupts off
/// (`cli`/`sti`/`hlt` are `asm!` without `nomem`: compiler barriers too).
struct Ring {
    bytes: [u8; RING_SIZE],
    head: usize,
    len: usize,
}

static mut RX: Ring = Ring { bytes: [0; RING_SIZE], head: 0, len: 0 };
static mut IRQS: u64 = 0;
/// IER as last written: the handler turns the RX interrupt off, the main loop back on.
static mut IER_VALUE: u8 = 0;

/// An interrupt gate (Intel SDM vol. 3, 6.14.1).
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

#[repr(C, packed)]
struct Idtr {
    limit: u16,
    base: u64,
}

extern "x86-interrupt" fn com1_interrupt(_frame: InterruptFrame) {
    unsafe {
        IRQS += 1;
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
                    let rx = &mut *addr_of_mut!(RX);
                    while rx.len < RING_SIZE && inb(io::COM1 + LSR) & LSR_DATA_READY != 0 {
                        rx.bytes[(rx.head + rx.len) % RING_SIZE] = inb(io::COM1 + RBR_THR);
                        rx.len += 1;
                    }
                    if RING_SIZE - rx.len < FIFO_DEPTH {
                        // Flow control: the sender holds its bytes while RTS is off; the RX interrupt stays off too
                        // (the FIFO's bytes would raise it again at once) until the main loop has made room.
                        IER_VALUE &= !IER_RX;
                        outb(io::COM1 + IER, IER_VALUE);
                        outb(io::COM1 + MCR, MCR_DTR | MCR_OUT2);
                        break;
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

fn init_uart() {
    unsafe {
        outb(io::COM1 + IER, 0x00);
        outb(io::COM1 + LCR, 0x80); // DLAB
        outb(io::COM1 + RBR_THR, 0x01); // 115200 baud
        outb(io::COM1 + IER, 0x00);
        outb(io::COM1 + LCR, 0x03); // 8N1
        outb(io::COM1 + IIR_FCR, 0x87); // FIFOs on and cleared, RX trigger level 8
        outb(io::COM1 + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
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
        outb(PIC1_DATA, 1 << 2);
        outb(PIC2_DATA, 2);
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
        let idtr = Idtr { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

/// Sends `bytes` a FIFO's worth at a time, each time the transmitter has said it is empty.
fn send(bytes: &[u8]) {
    for chunk in bytes.chunks(FIFO_DEPTH) {
        unsafe {
            while inb(io::COM1 + LSR) & LSR_THR_EMPTY == 0 {
                core::hint::spin_loop();
            }
            for &b in chunk {
                outb(io::COM1 + RBR_THR, b);
            }
        }
    }
}

/// Up to `into.len()` received bytes, oldest first; 0 when none is waiting, and then interrupts stay off, so the
/// caller's `sti; hlt` cannot miss the interrupt that brings the next ones.
fn take(into: &mut [u8]) -> usize {
    unsafe {
        asm!("cli", options(nostack));
        let rx = &mut *addr_of_mut!(RX);
        let n = rx.len.min(into.len());
        for (i, slot) in into.iter_mut().enumerate().take(n) {
            *slot = rx.bytes[(rx.head + i) % RING_SIZE];
        }
        rx.head = (rx.head + n) % RING_SIZE;
        rx.len -= n;
        if IER_VALUE & IER_RX == 0 && rx.len <= RING_SIZE / 2 {
            // room again: input (RTS) and its interrupt back on
            IER_VALUE |= IER_RX;
            outb(io::COM1 + IER, IER_VALUE);
            outb(io::COM1 + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
        }
        if n > 0 {
            asm!("sti", options(nostack));
        }
        n
    }
}

/// The current line's first bytes (enough to tell a command), and how long it is.
struct Line {
    start: [u8; 8],
    len: usize,
}

impl Line {
    /// Adds a byte; at a line end returns the command the finished line was, if any.
    fn push(&mut self, b: u8) -> Option<&'static str> {
        if b == b'\r' || b == b'\n' {
            let text = &self.start[..self.len.min(self.start.len())];
            let command = if self.len == 4 && text == b"quit" {
                Some("quit")
            } else if self.len == 5 && text == b"crash" {
                Some("crash")
            } else {
                None
            };
            self.len = 0;
            return command;
        }
        if self.len < self.start.len() {
            self.start[self.len] = b;
        }
        self.len += 1;
        None
    }
}

fn triple_fault() -> ! {
    let empty = Idtr { limit: 0, base: 0 };
    unsafe {
        asm!("lidt [{}]", "int3", in(reg) &empty, options(readonly, nostack));
    }
    io::halt_forever()
}

/// `format_args!` into a small stack buffer, then out through [`send`].
fn say(args: core::fmt::Arguments<'_>) {
    struct Buffer {
        bytes: [u8; 128],
        len: usize,
    }
    impl core::fmt::Write for Buffer {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let n = s.len().min(self.bytes.len() - self.len);
            self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
            self.len += n;
            Ok(())
        }
    }
    let mut b = Buffer { bytes: [0; 128], len: 0 };
    let _ = core::fmt::write(&mut b, args);
    send(&b.bytes[..b.len]);
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    init_idt();
    init_pic();
    init_uart();
    send(b"serial-echo: ready\n");
    unsafe { asm!("sti", options(nostack)) };
    let mut line = Line { start: [0; 8], len: 0 };
    let mut total: u64 = 0;
    let mut chunk = [0u8; 256];
    loop {
        let n = take(&mut chunk);
        if n == 0 {
            // sti's one-instruction shadow: no interrupt slips in between take()'s check and the hlt
            unsafe { asm!("sti", "hlt", options(nostack)) };
            continue;
        }
        send(&chunk[..n]);
        total += n as u64;
        for &b in &chunk[..n] {
            match line.push(b) {
                Some("quit") => {
                    let irqs = unsafe { *addr_of!(IRQS) };
                    say(format_args!("\nserial-echo: quit after {} bytes, {} interrupts\n", total, irqs));
                    unsafe {
                        // the last bytes leave the shift register before the machine goes
                        while inb(io::COM1 + LSR) & LSR_TRANSMITTER_EMPTY == 0 {
                            core::hint::spin_loop();
                        }
                    }
                    io::exit(io::EXIT_SUCCESS)
                }
                Some(_) => triple_fault(),
                None => {}
            }
        }
    }
}

kernel_support::report_panics!();
