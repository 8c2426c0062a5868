// SPDX-License-Identifier: GPL-2.0-or-later
//! `keyboard`: a crate-free kernel that drives the PS/2 keyboard the way a
//! PC driver does, takes its interrupts on IRQ 1 through the 8259s, echoes
//! every byte it reads to serial and draws typed keys on the framebuffer.
//!
//! Start-up, each step reported as an `ok:`/`FAIL:` line: the 8259s remapped
//! to vectors 0x20/0x28; the 8042 set up as OSDev's "PS/2 controller" page
//! describes (ports disabled, output flushed, configuration byte read and
//! written with IRQs off, self-test 0x55, port 1 enabled); then keyboard
//! commands and their replies with the controller's translation on: reset
//! 0xFF (0xFA 0xAA), echo 0xEE (0xEE), identify 0xF2 (0xFA 0xAB 0x41: the
//! MF2 id 0x83 translated), get scancode set 0xF0 0x00 (0xFA 0xFA 0x41: set 2
//! translated), LEDs 0xED (0xFA 0xFA), enable scanning 0xF4 (0xFA). Then IRQ 1
//! is unmasked (configuration bit 0 and the master 8259's mask), the screen
//! is drawn (three colour bars on the top quarter, the title below) and it
//! prints `keyboard: ready`.
//!
//! From then on every byte the interrupt handler reads from port 0x60 is
//! printed as `scancode 0xNN` (scancode set 1, as the controller translates
//! it); a make code of a letter, digit, `-`, `.` or space also prints
//! `key C` and draws C on the screen (Enter starts a new line, Backspace
//! erases). Escape (make code 0x01) prints `keyboard: escape` and exits
//! with 0x10 (status 33).

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::arch::{asm, global_asm};
use core::ptr::addr_of;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use io::{EXIT_FAILURE, EXIT_SUCCESS, inb, outb};
use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    FRAMEBUFFER: Request<FramebufferResponse> = Request::new(FRAMEBUFFER_ID, 0, ());
}

const KBC_DATA: u16 = 0x60;
const KBC_STATUS: u16 = 0x64;
const STATUS_OUTPUT_FULL: u8 = 1;
const STATUS_INPUT_FULL: u8 = 2;
const CONFIG_PORT1_IRQ: u8 = 1;
const CONFIG_TRANSLATION: u8 = 0x40;

const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xA0;
const PIC2_DATA: u16 = 0xA1;
const PIC_EOI: u8 = 0x20;
const VECTOR_IRQ1: usize = 0x21;
const VECTOR_SPURIOUS_MASTER: usize = 0x27;

// --- interrupt handling ------------------------------------------------------------------
//
// The stubs save the registers the SysV ABI lets a callee clobber; at entry RSP is 8 mod 16
// (the CPU aligns it before its 5-word frame, SDM vol. 3 6.14.2), nine pushes make it 0 mod
// 16 again for the call.
global_asm!(
    ".pushsection .text.keyboard_isr, \"ax\", @progbits",
    "keyboard_isr_irq1:",
    "push rax", "push rcx", "push rdx", "push rsi", "push rdi",
    "push r8", "push r9", "push r10", "push r11",
    "cld",
    "call {irq1}",
    "pop r11", "pop r10", "pop r9", "pop r8",
    "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rax",
    "iretq",
    // IRQ 7's spurious interrupt: the 8259 wants no EOI for it (8259A datasheet, "spurious").
    "keyboard_isr_spurious:",
    "iretq",
    ".popsection",
    irq1 = sym irq1,
);

unsafe extern "C" {
    fn keyboard_isr_irq1();
    fn keyboard_isr_spurious();
}

/// Bytes read by the interrupt handler, consumed by the main loop (one producer, one consumer).
static RING: [AtomicU8; 256] = [const { AtomicU8::new(0) }; 256];
static HEAD: AtomicUsize = AtomicUsize::new(0);
static TAIL: AtomicUsize = AtomicUsize::new(0);

extern "C" fn irq1() {
    // An edge the 8259 latched while IRQ 1 was masked (a controller reply during set-up) arrives
    // with the byte long read: only a full output buffer holds a new one.
    if unsafe { inb(KBC_STATUS) } & STATUS_OUTPUT_FULL == 0 {
        unsafe { outb(PIC1_COMMAND, PIC_EOI) };
        return;
    }
    let byte = unsafe { inb(KBC_DATA) };
    let head = HEAD.load(Ordering::Relaxed);
    if head.wrapping_sub(TAIL.load(Ordering::Acquire)) < RING.len() {
        RING[head % RING.len()].store(byte, Ordering::Relaxed);
        HEAD.store(head.wrapping_add(1), Ordering::Release);
    }
    unsafe { outb(PIC1_COMMAND, PIC_EOI) };
}

fn pop() -> Option<u8> {
    let tail = TAIL.load(Ordering::Relaxed);
    if tail == HEAD.load(Ordering::Acquire) {
        return None;
    }
    let b = RING[tail % RING.len()].load(Ordering::Relaxed);
    TAIL.store(tail.wrapping_add(1), Ordering::Release);
    Some(b)
}

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

#[repr(C, packed)]
struct TableRegister {
    limit: u16,
    base: u64,
}

/// A 64-bit interrupt gate (type 0xE), present, DPL 0 (SDM vol. 3 6.14.1).
fn gate(handler: u64, cs: u16) -> [u64; 2] {
    let lo = (handler & 0xffff) | ((cs as u64) << 16) | (0xe << 40) | (1 << 47) | (((handler >> 16) & 0xffff) << 48);
    [lo, handler >> 32]
}

fn load_idt() {
    let cs: u16;
    unsafe {
        asm!("mov {0:x}, cs", out(reg) cs, options(nomem, nostack, preserves_flags));
        IDT.0[VECTOR_IRQ1] = gate(keyboard_isr_irq1 as *const () as u64, cs);
        IDT.0[VECTOR_SPURIOUS_MASTER] = gate(keyboard_isr_spurious as *const () as u64, cs);
        let idtr = TableRegister { limit: 256 * 16 - 1, base: addr_of!(IDT) as u64 };
        asm!("lidt [{}]", in(reg) &idtr, options(readonly, nostack, preserves_flags));
    }
}

/// ICW1-ICW4 as every PC kernel writes them: vectors 0x20 and 0x28, the slave on IRQ 2,
/// 8086 mode; then everything masked.
fn remap_pics() {
    unsafe {
        outb(PIC1_COMMAND, 0x11);
        outb(PIC2_COMMAND, 0x11);
        outb(PIC1_DATA, 0x20);
        outb(PIC2_DATA, 0x28);
        outb(PIC1_DATA, 4);
        outb(PIC2_DATA, 2);
        outb(PIC1_DATA, 1);
        outb(PIC2_DATA, 1);
        outb(PIC1_DATA, 0xFF);
        outb(PIC2_DATA, 0xFF);
    }
}

// --- the 8042 ------------------------------------------------------------------------------

struct Checks {
    failed: u32,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool, got: &[u8]) {
        if ok {
            println!("ok: {} {:02x?}", what, got);
        } else {
            println!("FAIL: {} {:02x?}", what, got);
            self.failed += 1;
        }
    }
}

fn write_command(c: u8) {
    unsafe {
        while inb(KBC_STATUS) & STATUS_INPUT_FULL != 0 {}
        outb(KBC_STATUS, c);
    }
}

fn write_data(d: u8) {
    unsafe {
        while inb(KBC_STATUS) & STATUS_INPUT_FULL != 0 {}
        outb(KBC_DATA, d);
    }
}

/// The next byte of the output buffer, or None after a bounded wait (a device that does not answer).
fn read_data() -> Option<u8> {
    for _ in 0..1_000_000 {
        unsafe {
            if inb(KBC_STATUS) & STATUS_OUTPUT_FULL != 0 {
                return Some(inb(KBC_DATA));
            }
        }
    }
    None
}

/// Sends `bytes` to the keyboard and collects `n` reply bytes (0 for a missing one).
fn exchange<const N: usize>(bytes: &[u8]) -> [u8; N] {
    for &b in bytes {
        write_data(b);
    }
    let mut reply = [0u8; N];
    for r in reply.iter_mut() {
        *r = read_data().unwrap_or(0);
    }
    reply
}

fn init_keyboard(c: &mut Checks) {
    write_command(0xAD); // disable port 1
    write_command(0xA7); // disable port 2
    unsafe {
        while inb(KBC_STATUS) & STATUS_OUTPUT_FULL != 0 {
            inb(KBC_DATA);
        }
    }
    write_command(0x20);
    let config = read_data().unwrap_or(0);
    c.check("configuration byte has translation on", config & CONFIG_TRANSLATION != 0, &[config]);
    write_command(0x60);
    write_data(config & !CONFIG_PORT1_IRQ & !0x02);
    write_command(0xAA);
    let selftest = read_data().unwrap_or(0);
    c.check("controller self-test", selftest == 0x55, &[selftest]);
    write_command(0xAB);
    let port = read_data().unwrap_or(0xff);
    c.check("port 1 test", port == 0x00, &[port]);
    write_command(0xAE); // enable port 1

    let r: [u8; 2] = exchange(&[0xFF]);
    c.check("keyboard reset", r == [0xFA, 0xAA], &r);
    let r: [u8; 1] = exchange(&[0xEE]);
    c.check("keyboard echo", r == [0xEE], &r);
    let r: [u8; 3] = exchange(&[0xF2]);
    c.check("keyboard identify (MF2, translated)", r == [0xFA, 0xAB, 0x41], &r);
    let r: [u8; 3] = exchange(&[0xF0, 0x00]);
    c.check("scancode set query (set 2, translated)", r == [0xFA, 0xFA, 0x41], &r);
    let r: [u8; 2] = exchange(&[0xED, 0x02]);
    c.check("LEDs set (num lock)", r == [0xFA, 0xFA], &r);
    let r: [u8; 1] = exchange(&[0xF4]);
    c.check("scanning enabled", r == [0xFA], &r);

    // With bit 0 set, every byte the controller puts out raises IRQ 1, its own replies too, and
    // the 8259 latches the edge even while the line is masked: no command after this one.
    write_command(0x20);
    let config = read_data().unwrap_or(0);
    write_command(0x60);
    write_data(config | CONFIG_PORT1_IRQ);
}

// --- the screen ----------------------------------------------------------------------------

struct Screen {
    base: *mut u8,
    width: u64,
    height: u64,
    pitch: u64,
    shifts: (u32, u32, u32),
    /// Where the next typed glyph goes, in glyph cells.
    column: u64,
    line: u64,
}

const SCALE: u64 = 4;
const CELL_W: u64 = 6 * SCALE;
const CELL_H: u64 = 9 * SCALE;
const BACKGROUND: (u32, u32, u32) = (0x20, 0x20, 0x40);
const INK: (u32, u32, u32) = (0xF0, 0xF0, 0xF0);
/// The colour bars on the top quarter, left to right.
const BARS: [(u32, u32, u32); 3] = [(0xC8, 0x28, 0x28), (0x28, 0xC8, 0x28), (0x28, 0x28, 0xC8)];

impl Screen {
    fn colour(&self, (r, g, b): (u32, u32, u32)) -> u32 {
        (r << self.shifts.0) | (g << self.shifts.1) | (b << self.shifts.2)
    }

    fn fill(&self, x0: u64, y0: u64, w: u64, h: u64, rgb: (u32, u32, u32)) {
        if x0 >= self.width || y0 >= self.height {
            return;
        }
        let px = self.colour(rgb);
        let count = w.min(self.width - x0);
        for y in y0..(y0 + h).min(self.height) {
            let row = unsafe { self.base.add((y * self.pitch + x0 * 4) as usize) };
            // one string store a row: the unoptimised build would otherwise make several calls a pixel
            unsafe {
                asm!("rep stosd", inout("rdi") row => _, inout("rcx") count => _, in("eax") px,
                     options(nostack, preserves_flags));
            }
        }
    }

    fn glyph(&self, x0: u64, y0: u64, ch: u8) {
        let rows = font(ch);
        for (r, bits) in rows.iter().enumerate() {
            for col in 0..5u64 {
                let on = bits & (0x10 >> col) != 0;
                self.fill(x0 + col * SCALE, y0 + r as u64 * SCALE, SCALE, SCALE, if on { INK } else { BACKGROUND });
            }
        }
    }

    fn text_top(&self) -> u64 {
        self.height / 4 + CELL_H * 2
    }

    fn draw_initial(&self) {
        self.fill(0, 0, self.width, self.height, BACKGROUND);
        let bar = self.width / 3;
        for (i, &c) in BARS.iter().enumerate() {
            self.fill(i as u64 * bar, 0, bar, self.height / 4, c);
        }
        for (i, &ch) in b"LIMU KEYBOARD - ESC ENDS".iter().enumerate() {
            self.glyph(SCALE * 4 + i as u64 * CELL_W, self.height / 4 + SCALE * 4, ch);
        }
    }

    fn typed(&mut self, ch: u8) {
        let columns = (self.width - 2 * SCALE * 4) / CELL_W;
        match ch {
            b'\n' => {
                self.column = 0;
                self.line += 1;
            }
            8 => {
                if self.column > 0 {
                    self.column -= 1;
                    self.glyph(SCALE * 4 + self.column * CELL_W, self.text_top() + self.line * CELL_H, b' ');
                }
            }
            _ => {
                if self.column == columns {
                    self.column = 0;
                    self.line += 1;
                }
                self.glyph(SCALE * 4 + self.column * CELL_W, self.text_top() + self.line * CELL_H, ch);
                self.column += 1;
            }
        }
        if self.text_top() + (self.line + 1) * CELL_H > self.height {
            self.line = 0;
            self.fill(0, self.text_top(), self.width, self.height - self.text_top(), BACKGROUND);
        }
    }
}

/// A 5x7 font: one byte a row, top row first, bit 4 the leftmost pixel.
fn font(ch: u8) -> [u8; 7] {
    match ch {
        b'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        b'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        b'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        b'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        b'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        b'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        b'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        b'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        b'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        b'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        b'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        b'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        b'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        b'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        b'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        b'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        b'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        b'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        b'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        b'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        b'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        b'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        b'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        b'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        b'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        b'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        b'0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        b'1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        b'2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        b'3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        b'4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        b'5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        b'6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        b'7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        b'8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        b'9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        b'.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        b'-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        b' ' => [0x00; 7],
        _ => [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F],
    }
}

/// The character a set-1 make code (no E0 prefix) stands for, US layout, unshifted.
fn character(make: u8) -> Option<u8> {
    const DIGITS: &[u8] = b"1234567890-";
    const ROW_Q: &[u8] = b"QWERTYUIOP";
    const ROW_A: &[u8] = b"ASDFGHJKL";
    const ROW_Z: &[u8] = b"ZXCVBNM";
    match make {
        0x02..=0x0C => Some(DIGITS[(make - 0x02) as usize]),
        0x10..=0x19 => Some(ROW_Q[(make - 0x10) as usize]),
        0x1E..=0x26 => Some(ROW_A[(make - 0x1E) as usize]),
        0x2C..=0x32 => Some(ROW_Z[(make - 0x2C) as usize]),
        0x34 => Some(b'.'),
        0x39 => Some(b' '),
        0x1C => Some(b'\n'),
        0x0E => Some(8),
        _ => None,
    }
}

fn fail(why: &str) -> ! {
    println!("FAIL: {}", why);
    io::exit(EXIT_FAILURE)
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();
    let tag = unsafe { core::ptr::read_volatile(&raw const BASE_REVISION) };
    if tag[2] != 0 {
        fail("base revision 3 not supported");
    }
    let Some(r) = (unsafe { response(&raw const FRAMEBUFFER) }) else {
        fail("no framebuffer response");
    };
    if r.framebuffer_count == 0 {
        fail("framebuffer count 0");
    }
    let fb = unsafe { r.framebuffer(0) };
    if fb.bpp != 32 || fb.memory_model != FRAMEBUFFER_RGB || fb.width < 320 || fb.height < 200 {
        fail("framebuffer not 32 bpp RGB, at least 320x200");
    }
    let mut screen = Screen {
        base: fb.address,
        width: fb.width,
        height: fb.height,
        pitch: fb.pitch,
        shifts: (fb.red_mask_shift as u32, fb.green_mask_shift as u32, fb.blue_mask_shift as u32),
        column: 0,
        line: 0,
    };

    remap_pics();
    load_idt();
    let mut c = Checks { failed: 0 };
    init_keyboard(&mut c);
    if c.failed != 0 {
        fail("keyboard set-up");
    }
    screen.draw_initial();
    unsafe { outb(PIC1_DATA, 0xFD) }; // IRQ 1 only
    println!("keyboard: ready");

    let mut extended = false;
    loop {
        unsafe { asm!("cli", options(nomem, nostack)) };
        let Some(byte) = pop() else {
            // STI's one-instruction shadow makes "sti; hlt" wait without missing an interrupt
            // that arrives between the check and the halt.
            unsafe { asm!("sti", "hlt", options(nomem, nostack)) };
            continue;
        };
        unsafe { asm!("sti", options(nomem, nostack)) };
        println!("scancode {:#04x}", byte);
        if byte == 0xE0 {
            extended = true;
            continue;
        }
        let was_extended = core::mem::replace(&mut extended, false);
        if was_extended || byte & 0x80 != 0 {
            continue;
        }
        if byte == 0x01 {
            println!("keyboard: escape");
            io::exit(EXIT_SUCCESS);
        }
        if let Some(ch) = character(byte) {
            match ch {
                b'\n' => println!("key Enter"),
                8 => println!("key Backspace"),
                _ => println!("key {}", ch as char),
            }
            screen.typed(ch);
        }
    }
}

kernel_support::report_panics!();
