// SPDX-License-Identifier: GPL-2.0-or-later
//! The kernel's `log` logger: COM1 (level coloured with ANSI escapes) and
//! the screen (white text on black, embedded-graphics' 10x20 font), behind
//! one spin lock so that CPUs log one record at a time.

use core::fmt::{Display, Write};

use embedded_graphics::mono_font::MonoTextStyleBuilder;
use embedded_graphics::mono_font::iso_8859_16::FONT_10X20;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyleBuilder, Rectangle};
use embedded_graphics::text::{Baseline, Text};
use limine::response::FramebufferResponse;
use log::{Level, LevelFilter, Log};
use uart_16550::SerialPort;

use crate::frame_buffer_embedded_graphics::FrameBufferEmbeddedGraphics;

/// Represents a color in a terminal. The screen always uses white.
enum Color {
    Default,
    BrightRed,
    BrightYellow,
    BrightBlue,
    BrightCyan,
    BrightMagenta,
}

impl Color {
    fn ansi(&self) -> &'static str {
        match self {
            Color::Default => "",
            Color::BrightRed => "\x1b[91m",
            Color::BrightYellow => "\x1b[93m",
            Color::BrightBlue => "\x1b[94m",
            Color::BrightCyan => "\x1b[96m",
            Color::BrightMagenta => "\x1b[95m",
        }
    }
}

struct DisplayData {
    display: FrameBufferEmbeddedGraphics<'static>,
    position: Point,
}

struct Inner {
    serial_port: SerialPort,
    display: Option<DisplayData>,
}

struct Writer<'a> {
    display: &'a mut FrameBufferEmbeddedGraphics<'static>,
    position: &'a mut Point,
    text_color: Rgb888,
}

impl Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let font = FONT_10X20;
        let background_color = Rgb888::BLACK;
        let mut buf = [0u8; 4];
        for c in s.chars() {
            let height_not_seen =
                self.position.y + font.character_size.height as i32 - self.display.bounding_box().size.height as i32;
            if height_not_seen > 0 {
                self.display.shift_up(height_not_seen as u32);
                self.position.y -= height_not_seen;
            }
            match c {
                '\r' => {
                    // We do not handle special cursor movements
                }
                '\n' => {
                    // Fill the remaining space with background color
                    Rectangle::new(
                        *self.position,
                        Size::new(
                            self.display.bounding_box().size.width - self.position.x as u32,
                            font.character_size.height,
                        ),
                    )
                    .into_styled(PrimitiveStyleBuilder::new().fill_color(background_color).build())
                    .draw(self.display)
                    .map_err(|_| core::fmt::Error)?;
                    self.position.y += font.character_size.height as i32;
                    self.position.x = 0;
                }
                c => {
                    let style = MonoTextStyleBuilder::new()
                        .font(&font)
                        .text_color(self.text_color)
                        .background_color(background_color)
                        .build();
                    *self.position = Text::with_baseline(c.encode_utf8(&mut buf), *self.position, style, Baseline::Top)
                        .draw(self.display)
                        .map_err(|_| core::fmt::Error)?;
                    if self.position.x as u32 + font.character_size.width > self.display.bounding_box().size.width {
                        self.position.y += font.character_size.height as i32;
                        self.position.x = 0;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Inner {
    fn write_with_color(&mut self, color: Color, string: impl Display) {
        // Write to serial
        let ansi = color.ansi();
        if ansi.is_empty() {
            write!(self.serial_port, "{string}").unwrap();
        } else {
            write!(self.serial_port, "{ansi}{string}\x1b[0m").unwrap();
        }
        // Write to screen
        if let Some(display_data) = &mut self.display {
            let mut writer = Writer {
                display: &mut display_data.display,
                position: &mut display_data.position,
                text_color: Rgb888::WHITE,
            };
            write!(writer, "{string}").unwrap();
        }
    }
}

struct KernelLogger {
    inner: spin::Mutex<Inner>,
}

impl Log for KernelLogger {
    fn enabled(&self, _metadata: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let mut inner = self.inner.lock();
        let level = record.level();
        inner.write_with_color(
            match level {
                Level::Error => Color::BrightRed,
                Level::Warn => Color::BrightYellow,
                Level::Info => Color::BrightBlue,
                Level::Debug => Color::BrightCyan,
                Level::Trace => Color::BrightMagenta,
            },
            format_args!("{level:5} "),
        );
        inner.write_with_color(Color::Default, record.args());
        inner.write_with_color(Color::Default, "\n");
    }

    fn flush(&self) {}
}

static LOGGER: KernelLogger = KernelLogger {
    inner: spin::Mutex::new(Inner {
        serial_port: unsafe { SerialPort::new(0x3F8) },
        display: None,
    }),
};

pub fn init(frame_buffer: Option<&'static FramebufferResponse>) -> Result<(), log::SetLoggerError> {
    let mut inner = LOGGER.inner.try_lock().unwrap();
    inner.serial_port.init();
    inner.display = frame_buffer
        .and_then(|r| r.framebuffers().next())
        .map(|frame_buffer| DisplayData {
            display: FrameBufferEmbeddedGraphics::new(frame_buffer),
            position: Point::zero(),
        });
    drop(inner);
    log::set_max_level(LevelFilter::max());
    log::set_logger(&LOGGER)
}
