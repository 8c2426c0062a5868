// SPDX-License-Identifier: GPL-2.0-or-later
//! An embedded-graphics `DrawTarget` over a Limine framebuffer (32 bpp).

use core::convert::Infallible;

use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use limine::framebuffer::Framebuffer;

pub struct FrameBufferEmbeddedGraphics<'a> {
    frame_buffer: Framebuffer<'a>,
}

impl<'a> FrameBufferEmbeddedGraphics<'a> {
    pub fn new(frame_buffer: Framebuffer<'a>) -> Self {
        let bits_per_pixel = frame_buffer.bpp();
        if bits_per_pixel == 8 * 4 {
            Self { frame_buffer }
        } else {
            panic!("DrawTarget implemented for RGB888, but bpp doesn't match RGB888");
        }
    }

    fn frame_buffer_mut(&mut self) -> &mut [u8] {
        // Safety: the framebuffer is `pitch * height` bytes, mapped, and only
        // this object (behind the logger's lock) touches it.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.frame_buffer.addr(),
                (self.frame_buffer.pitch() * self.frame_buffer.height()) as usize,
            )
        }
    }

    fn get_pixel(&self, color: Rgb888) -> [u8; 4] {
        PixelFormat::of(&self.frame_buffer).pixel(color)
    }

    /// Moves everything on the screen up, leaving the bottom the same as it
    /// was before.
    pub fn shift_up(&mut self, amount: u32) {
        let pitch = self.frame_buffer.pitch();
        let buffer = self.frame_buffer_mut();
        buffer.copy_within(amount as usize * pitch as usize..buffer.len(), 0);
    }
}

impl Dimensions for FrameBufferEmbeddedGraphics<'_> {
    fn bounding_box(&self) -> Rectangle {
        Rectangle {
            top_left: Point { x: 0, y: 0 },
            size: Size {
                width: self.frame_buffer.width().try_into().unwrap(),
                height: self.frame_buffer.height().try_into().unwrap(),
            },
        }
    }
}

impl DrawTarget for FrameBufferEmbeddedGraphics<'_> {
    type Color = Rgb888;

    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = embedded_graphics::Pixel<Self::Color>>,
    {
        let (width, height, pitch) = (
            self.frame_buffer.width(),
            self.frame_buffer.height(),
            self.frame_buffer.pitch(),
        );
        // Convert each colour once per call, not once per pixel (text is
        // drawn in two colours), and store pixels with plain 4-byte writes:
        // the unoptimised build would otherwise spend most of its time in
        // range, slice and copy helpers.
        let mut cache: Option<(Rgb888, [u8; 4])> = None;
        let format = PixelFormat::of(&self.frame_buffer);
        let base = self.frame_buffer.addr() as usize;
        pixels.into_iter().for_each(|pixel| {
            let point = pixel.0;
            if point.x >= 0 && point.y >= 0 && (point.x as u64) < width && (point.y as u64) < height {
                let color = pixel.1;
                let buffer_position = point.y as usize * pitch as usize + point.x as usize * 4;
                let pixel = match cache {
                    Some((c, p)) if c == color => p,
                    _ => {
                        let p = format.pixel(color);
                        cache = Some((color, p));
                        p
                    }
                };
                // Safety: inside the framebuffer (checked above), which
                // only this object writes.
                unsafe { *((base + buffer_position) as *mut [u8; 4]) = pixel };
            }
        });
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        if area.size.width == 0 || area.size.height == 0 {
            return Ok(());
        }
        let pixel = self.get_pixel(color);
        let bytes_per_pixel = (self.frame_buffer.bpp() / 8) as usize;
        let pitch = self.frame_buffer.pitch() as usize;
        let buffer = self.frame_buffer_mut();
        // Draw to the top row
        for x in area.top_left.x..area.top_left.x + area.size.width as i32 {
            let buffer_position = area.top_left.y as usize * pitch + x as usize * bytes_per_pixel;
            buffer[buffer_position..buffer_position + bytes_per_pixel].copy_from_slice(&pixel);
        }
        // Copy the top row to all other rows
        let top_row_start = area.top_left.y as usize * pitch + area.top_left.x as usize * bytes_per_pixel;
        let top_row = top_row_start..top_row_start + area.size.width as usize * bytes_per_pixel;
        for y in area.top_left.y + 1..area.top_left.y + area.size.height as i32 {
            let row_start = y as usize * pitch + area.top_left.x as usize * bytes_per_pixel;
            buffer.copy_within(top_row.clone(), row_start);
        }
        Ok(())
    }
}

/// The framebuffer's channel layout.
#[derive(Clone, Copy)]
struct PixelFormat {
    sizes: [u8; 3],
    shifts: [u8; 3],
}

impl PixelFormat {
    fn of(frame_buffer: &Framebuffer<'_>) -> Self {
        Self {
            sizes: [
                frame_buffer.red_mask_size(),
                frame_buffer.green_mask_size(),
                frame_buffer.blue_mask_size(),
            ],
            shifts: [
                frame_buffer.red_mask_shift(),
                frame_buffer.green_mask_shift(),
                frame_buffer.blue_mask_shift(),
            ],
        }
    }

    fn pixel(&self, color: Rgb888) -> [u8; 4] {
        let mut n = 0;
        n |= ((color.r() as u32) & ((1 << self.sizes[0]) - 1)) << self.shifts[0];
        n |= ((color.g() as u32) & ((1 << self.sizes[1]) - 1)) << self.shifts[1];
        n |= ((color.b() as u32) & ((1 << self.sizes[2]) - 1)) << self.shifts[2];
        n.to_ne_bytes()
    }
}
