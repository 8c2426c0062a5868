package limu.bootloader;

/**
 * The machine's linear framebuffer, as a display adapter presents it: 32 bits per pixel, RGB with red in bits
 * 16–23, green in 8–15 and blue in 0–7, rows {@code width * 4} bytes apart. The bootloader places it (see
 * {@link FramebufferPlan}); {@link BootConfig} checks the size against {@link #MIN_WIDTH}..{@link #MAX_HEIGHT}.
 *
 * @param width  pixels per row
 * @param height rows
 */
public record Framebuffer(int width, int height) {
    public static final int MIN_WIDTH = 320;
    public static final int MIN_HEIGHT = 200;
    public static final int MAX_WIDTH = 7680;
    public static final int MAX_HEIGHT = 4320;
    public static final int BITS_PER_PIXEL = 32;
    /** What OVMF and SeaBIOS give a QEMU guest with Limine's default resolution (FACTS 1.6). */
    public static final Framebuffer DEFAULT = new Framebuffer(1280, 800);

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
