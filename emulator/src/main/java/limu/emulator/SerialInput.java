// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayDeque;
import java.util.Arrays;
import limu.devices.Serial16550;

/**
 * Everything on its way to COM1's receive line: bytes queued through {@link Machine#queueSerialInput}, then an
 * attached {@link SerialSource}. Bytes move only as a terminal with RTS/CTS flow control would send them: while
 * the guest asserts RTS, and no more than its receive FIFO has room for, so a line is never overrun. The run loop
 * calls {@link #feed} between slices, so with a queue or a file as the source, when each byte arrives depends only
 * on the guest's work. Run-loop thread only.
 */
final class SerialInput {
    private final ArrayDeque<Byte> queued = new ArrayDeque<>();
    private final byte[] chunk = new byte[Serial16550.FIFO_SIZE];
    private SerialSource source;
    private boolean sourceEnded;

    void queue(byte[] bytes) {
        for (byte b : bytes) {
            queued.addLast(b);
        }
    }

    /** From now on the bytes after the queued ones come from {@code s}. */
    void attach(SerialSource s) {
        source = s;
        sourceEnded = false;
    }

    /** Moves what {@code uart} can take now into its receive FIFO: queued bytes first. True if any moved. */
    boolean feed(Serial16550 uart) {
        return feedBytes(uart) != null;
    }

    /** {@link #feed}, returning the bytes moved, or null when none did. */
    byte[] feedBytes(Serial16550 uart) {
        int room = uart.readyToReceive() ? Math.min(uart.receiveCapacity(), chunk.length) : 0;
        int n = 0;
        while (n < room && !queued.isEmpty()) {
            chunk[n++] = queued.removeFirst();
        }
        if (n < room && source != null && !sourceEnded) {
            int got = source.take(chunk, n, room - n);
            if (got == SerialSource.END) {
                sourceEnded = true;
            } else {
                n += got;
            }
        }
        if (n == 0) {
            return null;
        }
        byte[] moved = Arrays.copyOf(chunk, n);
        uart.receive(moved);
        return moved;
    }

    /** The queued bytes, which leave the queue (a restore is about to drop them; {@link #queueFirst} puts them back). */
    byte[] takeQueued() {
        byte[] b = new byte[queued.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = queued.removeFirst();
        }
        return b;
    }

    /** Puts {@code bytes} ahead of whatever is queued. */
    void queueFirst(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            queued.addFirst(bytes[i]);
        }
    }

    /**
     * True when only the source's next bytes could wake a guest waiting in HLT: the source has not ended, nothing
     * queued is held back, and {@code uart} would take a byte now and interrupt the CPU with it.
     */
    boolean awaitsSource(Serial16550 uart) {
        return source != null && !sourceEnded && queued.isEmpty() && uart.readyToReceive()
                && uart.receiveCapacity() > 0 && uart.receiveInterruptEnabled();
    }

    /** True while queued bytes wait for room in the FIFO. */
    boolean queuedPending() {
        return !queued.isEmpty();
    }

    /** A restored machine has not been sent the bytes queued after its snapshot (an attached source goes on). */
    void dropQueued() {
        queued.clear();
    }
}
