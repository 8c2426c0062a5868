// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import limu.emulator.SerialSource;
import org.junit.jupiter.api.Test;

class StreamSourceTest {
    @Test
    void takesWhatWasPutInOrderThenEnds() throws Exception {
        StreamSource s = new StreamSource(8);
        AtomicInteger wakes = new AtomicInteger();
        s.onArrival(wakes::incrementAndGet);
        byte[] into = new byte[16];
        assertEquals(0, s.take(into, 0, 16), "nothing yet, not ended");
        s.put(new byte[] {1, 2, 3, 4, 5}, 1, 3);
        assertEquals(1, wakes.get());
        assertEquals(2, s.take(into, 4, 2));
        assertArrayEquals(new byte[] {2, 3}, Arrays.copyOfRange(into, 4, 6));
        s.end();
        assertEquals(2, wakes.get(), "the end wakes a waiting machine too");
        assertEquals(1, s.take(into, 0, 16), "bytes put before the end still come");
        assertEquals(4, into[0]);
        assertEquals(SerialSource.END, s.take(into, 0, 16));
        assertEquals(3, s.delivered());
    }

    @Test
    void aProducerAheadOfTheGuestWaitsForRoomAndNothingIsLost() throws Exception {
        StreamSource s = new StreamSource(4);
        byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                s.put(data, 0, data.length);
                s.end();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertFalse(producer.isDone(), "100 bytes do not fit in 4");
        byte[] got = new byte[100];
        int n = 0;
        byte[] chunk = new byte[3];
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            int k = s.take(chunk, 0, 3);
            if (k == SerialSource.END) {
                break;
            }
            System.arraycopy(chunk, 0, got, n, k);
            n += k;
            assertTrue(System.nanoTime() < end, "stuck at " + n);
        }
        producer.get(30, TimeUnit.SECONDS);
        assertArrayEquals(data, got);
    }

    @Test
    void aFileSourceReadsAsAskedAndEnds() {
        FileSource f = new FileSource(new ByteArrayInputStream("abcdef".getBytes()), "test");
        byte[] into = new byte[10];
        assertEquals(4, f.take(into, 2, 4));
        assertEquals("abcd", new String(into, 2, 4));
        assertEquals(2, f.take(into, 0, 10));
        assertEquals(SerialSource.END, f.take(into, 0, 10));
        assertEquals(6, f.delivered());
        assertEquals("test ended", f.ending());
    }

    @Test
    void aFileReadErrorEndsTheInputAndSaysSo() {
        FileSource f = new FileSource(new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk gone");
            }
        }, "in.bin");
        assertEquals(SerialSource.END, f.take(new byte[4], 0, 4));
        assertEquals(SerialSource.END, f.take(new byte[4], 0, 4));
        assertEquals("in.bin: read failed: disk gone", f.ending());
    }
}
