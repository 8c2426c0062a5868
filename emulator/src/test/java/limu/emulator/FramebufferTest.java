// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Optional;
import javax.imageio.ImageIO;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.UnicornLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pixels as the guest writes them (B, G, R, unused per 32-bit word) come out as 0xRRGGBB and in the PNG. */
class FramebufferTest {
    @TempDir
    Path tmp;

    @Test
    void pixelsAndPngFollowTheReportedLayout() throws Exception {
        int w = 320;
        int h = 200;
        int pitch = w * 4 + 64; // a pitch wider than the visible row must be honoured
        try (HostMemory mem = new HostMemory(UnicornLibrary.load(Optional.empty()), 0x100000)) {
            Framebuffer fb = new Framebuffer(mem, 0xFD000000L, w, h, pitch);
            byte[] px = {0x11, 0x22, 0x33, 0};           // blue 0x11, green 0x22, red 0x33
            mem.write((long) 7 * pitch + 5 * 4, px, 0, 4);
            mem.write((long) (h - 1) * pitch + (w - 1) * 4, new byte[] {(byte) 0xff, 0, 0, 0}, 0, 4);
            assertEquals(0x332211, fb.pixel(5, 7));
            assertEquals(0x0000ff, fb.pixel(w - 1, h - 1));
            assertEquals(0, fb.pixel(0, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> fb.pixel(w, 0));
            Path png = tmp.resolve("shot.png");
            fb.writePng(png);
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(w, img.getWidth());
            assertEquals(h, img.getHeight());
            assertEquals(0x332211, img.getRGB(5, 7) & 0xffffff);
            assertEquals(0x0000ff, img.getRGB(w - 1, h - 1) & 0xffffff);
        }
    }
}
