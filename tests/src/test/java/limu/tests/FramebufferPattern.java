// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

/** The pattern kernel-images/framebuffer draws (its source documents the same formula). */
final class FramebufferPattern {
    static final int BORDER = 10;

    private FramebufferPattern() {
    }

    static int expected(int x, int y, int w, int h) {
        if (x < BORDER || y < BORDER || x >= w - BORDER || y >= h - BORDER) {
            return 0xffffff;
        }
        int r = x * 255 / (w - 1);
        int g = y * 255 / (h - 1);
        int b = (x ^ y) & 0xff;
        return r << 16 | g << 8 | b;
    }
}
