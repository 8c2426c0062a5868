// SPDX-License-Identifier: GPL-2.0-or-later
//! `framebuffer`: a crate-free kernel that fills framebuffer 0 with a known
//! pattern, so that a screenshot can be compared with the formula.
//!
//! For every pixel (x, y) of a W x H framebuffer (integer arithmetic,
//! divisions truncate):
//!
//! ```text
//! if x < 10 || y < 10 || x >= W - 10 || y >= H - 10:   (10-pixel border)
//!     (R, G, B) = (255, 255, 255)
//! else:
//!     R = x * 255 / (W - 1)
//!     G = y * 255 / (H - 1)
//!     B = (x ^ y) & 0xff
//! ```
//!
//! i.e. the 32-bit pixel value `(R << 16) | (G << 8) | B` for the standard
//! R 8@16 / G 8@8 / B 8@0 layout (the kernel places each channel at the
//! response's mask shifts; the unused top byte is written 0). Pixel (x, y)
//! is the 32-bit word at byte offset `y * pitch + x * 4`.
//!
//! Prints `framebuffer: WxH pitch P drawn` and exits 0x10 through
//! isa-debug-exit. Without a usable framebuffer (no response, count 0,
//! not 32 bpp RGB with 8-bit channels, W or H < 21) it prints
//! `FAIL: <why>` and exits 0x11.

#![no_std]
#![no_main]

#[macro_use]
extern crate kernel_support;

use kernel_support::{io, limine};

use core::arch::asm;
use core::ptr::read_volatile;

use io::{EXIT_FAILURE, EXIT_SUCCESS};
use limine::*;

kernel_support::limine_requests! {
    base_revision: 3;
    FRAMEBUFFER: Request<FramebufferResponse> = Request::new(FRAMEBUFFER_ID, 0, ());
}

/// Width of the white border, in pixels.
pub const BORDER: u64 = 10;

/// The pattern's colour at (x, y) as (R, G, B).
pub fn pattern(x: u64, y: u64, w: u64, h: u64) -> (u32, u32, u32) {
    if x < BORDER || y < BORDER || x >= w - BORDER || y >= h - BORDER {
        (255, 255, 255)
    } else {
        (
            (x * 255 / (w - 1)) as u32,
            (y * 255 / (h - 1)) as u32,
            ((x ^ y) & 0xff) as u32,
        )
    }
}

fn fail(why: core::fmt::Arguments<'_>) -> ! {
    println!("FAIL: {}", why);
    io::exit(EXIT_FAILURE)
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    io::Serial::new(io::COM1).init();

    let tag = unsafe { read_volatile(&raw const BASE_REVISION) };
    if tag[2] != 0 {
        fail(format_args!("base revision 3 not supported"));
    }
    let Some(r) = (unsafe { response(&raw const FRAMEBUFFER) }) else {
        fail(format_args!("no framebuffer response"));
    };
    if r.framebuffer_count == 0 {
        fail(format_args!("framebuffer count 0"));
    }
    let fb = unsafe { r.framebuffer(0) };
    let (w, h, pitch) = (fb.width, fb.height, fb.pitch);
    let channels_ok = [fb.red_mask_size, fb.green_mask_size, fb.blue_mask_size] == [8, 8, 8]
        && fb.red_mask_shift <= 24
        && fb.green_mask_shift <= 24
        && fb.blue_mask_shift <= 24;
    if fb.bpp != 32 || fb.memory_model != FRAMEBUFFER_RGB || !channels_ok {
        fail(format_args!(
            "framebuffer not 32 bpp RGB with 8-bit channels (bpp {} model {})",
            fb.bpp, fb.memory_model
        ));
    }
    if w <= 2 * BORDER || h <= 2 * BORDER || pitch < w * 4 {
        fail(format_args!("framebuffer {}x{} pitch {} too small", w, h, pitch));
    }
    let (rs, gs, bs) = (fb.red_mask_shift, fb.green_mask_shift, fb.blue_mask_shift);
    let base = fb.address;
    let white = (255 << rs) | (255 << gs) | (255 << bs);
    // The same formula as `pattern`, written with plain loops and stores so
    // that the unoptimised (dev) build does not make a function call per
    // pixel.
    let mut y = 0;
    while y < h {
        let row = base as u64 + y * pitch;
        let border_row = y < BORDER || y >= h - BORDER;
        let green = (y * 255 / (h - 1)) as u32;
        let mut x = 0;
        while x < w {
            let px = if border_row || x < BORDER || x >= w - BORDER {
                white
            } else {
                (((x * 255 / (w - 1)) as u32) << rs) | (green << gs) | ((((x ^ y) & 0xff) as u32) << bs)
            };
            unsafe { *((row + x * 4) as *mut u32) = px };
            x += 1;
        }
        y += 1;
    }
    // The framebuffer is observed from outside: keep every store.
    unsafe { asm!("", options(nostack, preserves_flags)) };
    // Read back a few pixels.
    for (x, y) in [
        (0, 0),
        (w / 2, h / 2),
        (w - 1, h - 1),
        (BORDER, BORDER),
        (w - BORDER - 1, h - BORDER - 1),
    ] {
        let (red, green, blue) = pattern(x, y, w, h);
        let want = (red << rs) | (green << gs) | (blue << bs);
        let got = unsafe { read_volatile((base.add((y * pitch) as usize) as *const u32).add(x as usize)) };
        if got != want {
            fail(format_args!(
                "pixel ({}, {}) reads {:#010x}, wrote {:#010x}",
                x, y, got, want
            ));
        }
    }
    println!("framebuffer: {}x{} pitch {} drawn", w, h, pitch);
    io::exit(EXIT_SUCCESS)
}

kernel_support::report_panics!();
