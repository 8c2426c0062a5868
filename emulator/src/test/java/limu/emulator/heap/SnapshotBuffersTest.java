// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** The reused arrays for realloc contents: sizes, reuse, and what is not taken back. */
class SnapshotBuffersTest {
    @Test
    void arraysComeInPowerOfTwoSizesAndAreHandedOutAgain() {
        SnapshotBuffers buffers = new SnapshotBuffers();
        assertEquals(64, buffers.take(0).length);
        assertEquals(64, buffers.take(64).length);
        assertEquals(128, buffers.take(65).length);
        assertEquals(1 << 20, buffers.take(1 << 20).length);
        byte[] a = buffers.take(1000);
        assertEquals(1024, a.length);
        buffers.give(a);
        assertSame(a, buffers.take(513), "the same size class reuses it");
        assertNotSame(a, buffers.take(1000), "handed out once, not twice");
    }

    @Test
    void keepsAFewOfEachSizeAndIgnoresForeignArrays() {
        SnapshotBuffers buffers = new SnapshotBuffers();
        byte[][] many = new byte[6][];
        for (int i = 0; i < many.length; i++) {
            many[i] = buffers.take(100);
        }
        for (byte[] b : many) {
            buffers.give(b);
        }
        buffers.give(new byte[100]);   // not a power of two: dropped
        buffers.give(new byte[32]);    // below the smallest size: dropped
        int reused = 0;
        for (int i = 0; i < many.length; i++) {
            byte[] b = buffers.take(100);
            for (byte[] m : many) {
                reused += b == m ? 1 : 0;
            }
        }
        assertEquals(4, reused);
    }
}
