// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A line without end from the guest: judged by its first 64 KiB, all of it passed on, none of the rest kept. */
class SerialWatchTest {
    /** Counts what reaches the other end. */
    private static final class Counting extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    @Test
    void aHugeLineIsJudgedByItsFirst64KiB() throws IOException {
        Counting down = new Counting();
        SerialWatch w = new SerialWatch(down, TestSpec.NONE.withExpect("^x{65536}$").withExpect("^after$"));
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 64; i++) {
            w.write(chunk, 0, chunk.length);   // 64 MiB in one line
        }
        assertFalse(w.expectationsMet());
        w.write("\nafter\n".getBytes());
        w.finish();
        assertTrue(w.expectationsMet(), "the long line matched on its first 64 KiB, then 'after'");
        assertEquals(64L * (1 << 20) + 7, down.bytes, "every byte went downstream");
        assertEquals(4 << 20, w.log().length(), "the kept log stops at 4 MiB");
    }

    @Test
    void failOnAfterAHugeLineStillFires() throws IOException {
        SerialWatch w = new SerialWatch(OutputStream.nullOutputStream(), TestSpec.NONE.withFailOn("panicked at"));
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'y');
        for (int i = 0; i < 8; i++) {
            w.write(chunk, 0, chunk.length);
        }
        w.write("\npanicked at src/main.rs:1\n".getBytes());
        w.finish();
        assertTrue(w.failure().contains("serial line 2 matches --fail-on 'panicked at'"), w.failure());
    }
}
