// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import limu.emulator.unicorn.HostMemory;

/**
 * The linear framebuffer: 32 bpp, red in bits 16-23, green 8-15, blue 0-7
 * (what the framebuffer response reports), backed by host memory that the
 * host reads at any time, also while the guest runs.
 */
public final class Framebuffer {
    private final HostMemory memory;
    private final long physicalAddress;
    private final int width;
    private final int height;
    private final int pitch;

    Framebuffer(HostMemory memory, long physicalAddress, int width, int height, int pitch) {
        this.memory = memory;
        this.physicalAddress = physicalAddress;
        this.width = width;
        this.height = height;
        this.pitch = pitch;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Bytes from one row to the next. */
    public int pitch() {
        return pitch;
    }

    /** Bytes of guest memory the screen spans: {@code pitch * height}. */
    public int byteSize() {
        return pitch * height;
    }

    /** Copies the screen's bytes as they are now into {@code into} (at least {@link #byteSize()} long). */
    public void readRaw(byte[] into) {
        memory.read(0, into, 0, byteSize());
    }

    /** Pixel values 0xRRGGBB of row {@code y} of raw bytes from {@link #readRaw}, into {@code rgb}. */
    public void rowToRgb(byte[] raw, int y, int[] rgb, int offset) {
        int base = y * pitch;
        for (int x = 0; x < width; x++) {
            int i = base + x * 4;
            rgb[offset + x] = (raw[i] & 0xff) | (raw[i + 1] & 0xff) << 8 | (raw[i + 2] & 0xff) << 16;
        }
    }

    public long physicalAddress() {
        return physicalAddress;
    }

    /** The pixel at (x, y) as 0xRRGGBB. */
    public int pixel(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("pixel (" + x + ", " + y + ") outside " + width + "x" + height);
        }
        byte[] b = new byte[4];
        memory.read((long) y * pitch + x * 4L, b, 0, 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16;
    }

    /** A copy of the screen as it is now. */
    public BufferedImage image() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        byte[] row = new byte[width * 4];
        int[] rgb = new int[width];
        for (int y = 0; y < height; y++) {
            memory.read((long) y * pitch, row, 0, row.length);
            for (int x = 0; x < width; x++) {
                int i = x * 4;
                rgb[x] = (row[i] & 0xff) | (row[i + 1] & 0xff) << 8 | (row[i + 2] & 0xff) << 16;
            }
            img.setRGB(0, y, width, 1, rgb, 0, width);
        }
        return img;
    }

    /** Writes the screen as a PNG. */
    public void writePng(Path file) throws IOException {
        if (!ImageIO.write(image(), "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }
}
