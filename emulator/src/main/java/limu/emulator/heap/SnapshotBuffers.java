// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayDeque;

/**
 * Byte arrays for the contents a realloc must keep, handed out again once the call has returned: a
 * new array is zeroed by the JVM only for the copy to overwrite it, and a long run reallocs
 * gigabytes. Arrays come in power-of-two sizes (the caller keeps the length it uses); a few of each
 * size are kept. One thread uses an instance.
 */
final class SnapshotBuffers {
    private static final int MIN_SHIFT = 6;
    private static final int KEPT_PER_SIZE = 4;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<byte[]>[] free = new ArrayDeque[32];

    /** An array of at least {@code n} bytes (its contents are left over from earlier use). */
    byte[] take(int n) {
        int shift = shift(n);
        ArrayDeque<byte[]> d = free[shift];
        byte[] b = d == null ? null : d.poll();
        return b != null ? b : new byte[1 << shift];
    }

    /** Gives back an array {@link #take} handed out; nothing may use it afterwards. */
    void give(byte[] b) {
        int shift = Integer.numberOfTrailingZeros(b.length);
        if (b.length != 1 << shift || shift < MIN_SHIFT) {
            return;   // not one of ours
        }
        ArrayDeque<byte[]> d = free[shift] != null ? free[shift] : (free[shift] = new ArrayDeque<>());
        if (d.size() < KEPT_PER_SIZE) {
            d.push(b);
        }
    }

    private static int shift(int n) {
        return Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(Math.max(1, n) - 1));
    }
}
