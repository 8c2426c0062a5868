// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The display the machine offers: its resolution in a linear framebuffer of 32 bits per pixel, RGB with red in
 * bits 16–23, green in 8–15 and blue in 0–7, rows {@code width * 4} bytes apart. The bootloader places the pixel
 * memory (see {@link FramebufferPlan}). Sizes outside {@link #MIN_WIDTH}x{@link #MIN_HEIGHT} to
 * {@link #MAX_WIDTH}x{@link #MAX_HEIGHT} are refused when the value is made.
 *
 * @param width  pixels per row
 * @param height rows
 */
public record FramebufferSize(int width, int height) {
    public static final int MIN_WIDTH = 320;
    public static final int MIN_HEIGHT = 200;
    public static final int MAX_WIDTH = 7680;
    public static final int MAX_HEIGHT = 4320;
    public static final int BITS_PER_PIXEL = 32;
    /** What OVMF and SeaBIOS give a QEMU guest with Limine's default resolution. */
    public static final FramebufferSize DEFAULT = new FramebufferSize(1280, 800);
    private static final Pattern FORM = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    public FramebufferSize {
        if (width < MIN_WIDTH || height < MIN_HEIGHT || width > MAX_WIDTH || height > MAX_HEIGHT) {
            throw new IllegalArgumentException(String.format("framebuffer %dx%d is out of range: %dx%d to %dx%d",
                    width, height, MIN_WIDTH, MIN_HEIGHT, MAX_WIDTH, MAX_HEIGHT));
        }
    }

    /** {@code WIDTHxHEIGHT}, e.g. {@code 1280x800}. */
    public static FramebufferSize parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a resolution (example: 1280x800)");
        }
        return new FramebufferSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** Bytes from one row to the next. */
    public int pitch() {
        return width * (BITS_PER_PIXEL / 8);
    }

    /** Bytes of pixel memory: {@code pitch * height}. */
    public long byteSize() {
        return (long) pitch() * height;
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
