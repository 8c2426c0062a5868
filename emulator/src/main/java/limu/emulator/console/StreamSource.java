// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import limu.emulator.SerialSource;

/**
 * Serial input that arrives while the guest runs (a terminal, a pipe, a network client): producer threads
 * {@link #put} bytes, the run loop {@link #take}s them as COM1 has room. The buffer is bounded: a producer that
 * gets ahead of the guest waits, and so does the writer of a pipe behind it, as a sender held off by flow control
 * would. Thread-safe.
 */
final class StreamSource implements SerialSource {
    /** Enough for anything typed or pasted; a faster producer waits for the guest. */
    static final int CAPACITY = 64 * 1024;

    private final byte[] ring;
    private int head;
    private int count;
    private boolean ended;
    private long delivered;
    private Runnable wake = () -> { };

    StreamSource() {
        this(CAPACITY);
    }

    StreamSource(int capacity) {
        ring = new byte[capacity];
    }

    /** Appends {@code len} bytes, waiting while the buffer is full; bytes put after {@link #end()} are dropped. */
    void put(byte[] bytes, int offset, int len) throws InterruptedException {
        Runnable w;
        synchronized (this) {
            for (int i = 0; i < len; ) {
                while (count == ring.length && !ended) {
                    wait();
                }
                if (ended) {
                    return;
                }
                int chunk = Math.min(len - i, ring.length - count);
                for (int j = 0; j < chunk; j++) {
                    ring[(head + count + j) % ring.length] = bytes[offset + i + j];
                }
                count += chunk;
                i += chunk;
                notifyAll();
            }
            w = wake;
        }
        w.run();
    }

    /** No byte comes after those already put: once they are taken, {@link #take} returns {@link #END}. */
    void end() {
        Runnable w;
        synchronized (this) {
            ended = true;
            notifyAll();
            w = wake;
        }
        w.run();
    }

    @Override
    public synchronized int take(byte[] into, int offset, int max) {
        if (count == 0) {
            return ended ? END : 0;
        }
        int n = Math.min(max, count);
        for (int i = 0; i < n; i++) {
            into[offset + i] = ring[(head + i) % ring.length];
        }
        head = (head + n) % ring.length;
        count -= n;
        delivered += n;
        notifyAll();   // room for a waiting producer
        return n;
    }

    @Override
    public synchronized void onArrival(Runnable w) {
        wake = w;
    }

    /** Bytes taken so far. */
    synchronized long delivered() {
        return delivered;
    }
}
