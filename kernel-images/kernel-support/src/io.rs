// SPDX-License-Identifier: GPL-2.0-or-later
//! Port I/O, a minimal 16550 UART driver for COM1 and the isa-debug-exit port.

use core::arch::asm;
use core::fmt;

/// `out dx, al`
#[inline(always)]
pub unsafe fn outb(port: u16, value: u8) {
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags));
    }
}

/// `in al, dx`
#[inline(always)]
pub unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    unsafe {
        asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags));
    }
    value
}

/// COM1.
pub const COM1: u16 = 0x3F8;

// Register offsets from the base port.
const THR: u16 = 0; // transmit holding register (write), DLL when LCR.DLAB = 1
const IER: u16 = 1; // interrupt enable, DLM when LCR.DLAB = 1
const FCR: u16 = 2; // FIFO control (write)
const LCR: u16 = 3; // line control
const MCR: u16 = 4; // modem control
const LSR: u16 = 5; // line status
const LSR_THRE: u8 = 1 << 5; // transmit holding register empty

/// A 16550 UART at an I/O port base.
pub struct Serial {
    base: u16,
}

impl Serial {
    pub const fn new(base: u16) -> Self {
        Serial { base }
    }

    /// Same register writes as `uart_16550` 0.3's `SerialPort::init()`
    /// (minus its final IER = 1: this driver never uses interrupts):
    /// 38400 baud (divisor 3), 8N1, FIFOs enabled and cleared, DTR/RTS/OUT2.
    pub fn init(&self) {
        unsafe {
            outb(self.base + IER, 0x00); // no interrupts
            outb(self.base + LCR, 0x80); // DLAB on
            outb(self.base + THR, 0x03); // DLL: divisor 3 (38400 baud)
            outb(self.base + IER, 0x00); // DLM
            outb(self.base + LCR, 0x03); // DLAB off, 8 bits, no parity, 1 stop bit
            outb(self.base + FCR, 0xC7); // enable + clear FIFOs, 14-byte trigger
            outb(self.base + MCR, 0x0B); // DTR, RTS, OUT2
        }
    }

    /// Waits for THRE, then writes the byte.
    pub fn send(&self, byte: u8) {
        unsafe {
            while inb(self.base + LSR) & LSR_THRE == 0 {
                core::hint::spin_loop();
            }
            outb(self.base + THR, byte);
        }
    }
}

impl fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            self.send(b);
        }
        Ok(())
    }
}

/// Formats to COM1 (the port must have been initialised with `Serial::init`).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::io::Serial::new($crate::io::COM1), $($arg)*);
    }};
}

/// Formats a line to COM1, ending it with "\n".
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        $crate::print!($($arg)*);
        $crate::print!("\n");
    }};
}

/// QEMU's isa-debug-exit device (iobase 0xf4): the VM exits with status
/// `(code << 1) | 1`.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
pub const EXIT_SUCCESS: u8 = 0x10;
pub const EXIT_FAILURE: u8 = 0x11;

/// Writes `code` to the isa-debug-exit port, then halts for good
/// (`cli; hlt` loop) in case the write did not stop the machine.
pub fn exit(code: u8) -> ! {
    unsafe {
        outb(DEBUG_EXIT_PORT, code);
    }
    halt_forever()
}

/// Exits with [`EXIT_SUCCESS`] when `passed`, else with [`EXIT_FAILURE`]: how
/// a kernel ends once its checks are done.
pub fn exit_pass_fail(passed: bool) -> ! {
    exit(if passed { EXIT_SUCCESS } else { EXIT_FAILURE })
}

/// `cli; hlt` forever.
pub fn halt_forever() -> ! {
    loop {
        unsafe {
            asm!("cli", "hlt", options(nomem, nostack));
        }
    }
}

/// Prints printable ASCII as is and anything else as `\xNN`.
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                fmt::Write::write_char(f, b as char)?;
            } else {
                write!(f, "\\x{:02x}", b)?;
            }
        }
        Ok(())
    }
}
