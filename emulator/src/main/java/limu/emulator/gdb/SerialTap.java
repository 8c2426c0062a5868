// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Passes serial output on and keeps its last {@code capacity} bytes for {@code monitor serial}. */
public final class SerialTap extends FilterOutputStream {
    private final byte[] ring;
    private long written;

    public SerialTap(OutputStream out, int capacity) {
        super(out);
        this.ring = new byte[capacity];
    }

    @Override
    public synchronized void write(int b) throws IOException {
        ring[(int) (written++ % ring.length)] = (byte) b;
        out.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            ring[(int) (written++ % ring.length)] = b[i];
        }
        out.write(b, off, len);
    }

    /** What was written so far (the last {@code capacity} bytes of it). */
    public synchronized String text() {
        int n = (int) Math.min(written, ring.length);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = ring[(int) ((written - n + i) % ring.length)];
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}
