// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Guest memory at each history snapshot, kept as differences: a snapshot holds only the 4 KiB pages that
 * changed since the snapshot before it, and a shadow copy holds the memory of the snapshot the machine was last
 * captured at or restored to, so finding the changed pages is one comparison of memory with the shadow, page by page,
 * over the pages resident in host memory (pages the guest never touched are skipped without being read). Restoring
 * writes only the pages that differ.
 * Blocks of host memory (RAM, the framebuffer) are numbered in the order {@link #blocks} lists them.
 */
final class HistoryMemory implements AutoCloseable {
    static final int PAGE = 4096;
    private static final byte[] ZERO = new byte[PAGE];

    /** The memory as the run loop sees it: {@link ByteBuffer}s of at most 1 GiB over the host blocks. */
    private final List<ByteBuffer> blocks;
    /** For each buffer: its host block and offset there (residency). */
    private final List<limu.emulator.unicorn.HostMemory> hosts = new ArrayList<>();
    private final List<Long> offsets = new ArrayList<>();
    private final List<ByteBuffer> shadow;
    private final List<limu.emulator.unicorn.HostMemory> shadowMemory;
    /** Per snapshot (oldest first): page key -> the page's bytes at that snapshot, for pages changed since the one before. */
    private final List<Map<Long, byte[]>> deltas = new ArrayList<>();
    /** The snapshot the shadow holds. */
    private int shadowAt = -1;
    private long deltaBytes;
    private final BitSet[] shadowTouched;

    /** Follows {@code memory}: its shadow blocks are allocated (lazily backed) beside it. */
    HistoryMemory(List<limu.emulator.unicorn.HostMemory> memory, limu.emulator.unicorn.UnicornLibrary library) {
        this.shadowMemory = new ArrayList<>();
        List<ByteBuffer> live = new ArrayList<>();
        this.shadow = new ArrayList<>();
        try {
            for (limu.emulator.unicorn.HostMemory m : memory) {
                limu.emulator.unicorn.HostMemory copy = new limu.emulator.unicorn.HostMemory(library, m.size());
                shadowMemory.add(copy);
                List<ByteBuffer> b = buffers(m);
                for (int i = 0; i < b.size(); i++) {
                    hosts.add(m);
                    offsets.add((long) i << 30);
                }
                live.addAll(b);
                shadow.addAll(buffers(copy));
            }
        } catch (RuntimeException | Error e) {
            shadowMemory.forEach(limu.emulator.unicorn.HostMemory::close);
            throw e;
        }
        this.blocks = List.copyOf(live);
        this.shadowTouched = new BitSet[blocks.size()];
        for (int i = 0; i < blocks.size(); i++) {
            shadowTouched[i] = new BitSet();
        }
    }

    /** A host block as buffers of at most 1 GiB (a buffer's size is an int). */
    private static List<ByteBuffer> buffers(limu.emulator.unicorn.HostMemory m) {
        List<ByteBuffer> list = new ArrayList<>();
        com.sun.jna.Pointer p = new com.sun.jna.Pointer(m.address());
        for (long off = 0; off < m.size(); off += 1 << 30) {
            list.add(p.getByteBuffer(off, Math.min(1L << 30, m.size() - off)));
        }
        return list;
    }

    private static long key(int block, int page) {
        return ((long) block << 32) | page;
    }

    /** Adds a snapshot of the memory as it is now (after the last one; the shadow holds the last one). */
    void capture() {
        if (shadowAt != deltas.size() - 1) {
            throw new IllegalStateException("history memory: capture after a restore without truncation");
        }
        Map<Long, byte[]> delta = new HashMap<>();
        for (int b = 0; b < blocks.size(); b++) {
            ByteBuffer now = blocks.get(b);
            ByteBuffer old = shadow.get(b);
            BitSet candidates = candidates(b);
            for (int p = candidates.nextSetBit(0); p >= 0; p = candidates.nextSetBit(p + 1)) {
                ByteBuffer np = now.slice(p * PAGE, PAGE);
                ByteBuffer op = old.slice(p * PAGE, PAGE);
                if (np.mismatch(op) >= 0) {
                    byte[] page = new byte[PAGE];
                    np.get(0, page);
                    op.put(0, page);
                    shadowTouched[b].set(p);
                    delta.put(key(b, p), page);
                }
            }
        }
        deltas.add(delta);
        deltaBytes += (long) delta.size() * PAGE;
        shadowAt = deltas.size() - 1;
    }

    /**
     * The pages of buffer {@code b} that may differ from the shadow: those resident in host memory (a page the
     * guest never touched is not, and is never read here, so it stays unmapped) and those the shadow holds.
     */
    private BitSet candidates(int b) {
        int pages = blocks.get(b).capacity() / PAGE;
        byte[] vec = new byte[pages];
        BitSet c = (BitSet) shadowTouched[b].clone();
        if (!hosts.get(b).residentPages(offsets.get(b), (long) pages * PAGE, vec)) {
            c.set(0, pages);   // the host cannot say: every page
            return c;
        }
        for (int p = 0; p < pages; p++) {
            if ((vec[p] & 1) != 0) {
                c.set(p);
            }
        }
        return c;
    }

    /** Snapshots held. */
    int count() {
        return deltas.size();
    }

    /** Bytes held: the changed pages of every snapshot and the pages of the shadow copy the guest ever wrote. */
    long bytes() {
        long shadowPages = 0;
        for (BitSet t : shadowTouched) {
            shadowPages += t.cardinality();
        }
        return deltaBytes + shadowPages * PAGE;
    }

    /** Puts memory back as it was at snapshot {@code index}; returns the pages written. */
    int restore(int index) {
        if (index < 0 || index >= deltas.size()) {
            throw new IndexOutOfBoundsException("no history snapshot " + index);
        }
        TreeSet<Long> changed = new TreeSet<>();
        for (int b = 0; b < blocks.size(); b++) {   // changed since the shadow's snapshot
            ByteBuffer now = blocks.get(b);
            ByteBuffer old = shadow.get(b);
            BitSet candidates = candidates(b);
            for (int p = candidates.nextSetBit(0); p >= 0; p = candidates.nextSetBit(p + 1)) {
                if (now.slice(p * PAGE, PAGE).mismatch(old.slice(p * PAGE, PAGE)) >= 0) {
                    changed.add(key(b, p));
                }
            }
        }
        for (int i = Math.min(shadowAt, index) + 1; i <= Math.max(shadowAt, index); i++) {
            changed.addAll(deltas.get(i).keySet());
        }
        int written = 0;
        for (long k : changed) {
            int b = (int) (k >>> 32);
            int p = (int) k;
            byte[] page = pageAt(k, index);
            ByteBuffer now = blocks.get(b).slice(p * PAGE, PAGE);
            if (now.mismatch(ByteBuffer.wrap(page)) >= 0) {
                now.put(0, page);
                written++;
            }
            shadow.get(b).slice(p * PAGE, PAGE).put(0, page);
        }
        shadowAt = index;
        return written;
    }

    private byte[] pageAt(long key, int index) {
        for (int i = index; i >= 0; i--) {
            byte[] page = deltas.get(i).get(key);
            if (page != null) {
                return page;
            }
        }
        return ZERO;
    }

    /** Forgets every snapshot after {@code index} (the machine went back to it and runs a new future). */
    void truncateAfter(int index) {
        if (shadowAt != index) {
            restoreShadowOnly(index);
        }
        while (deltas.size() > index + 1) {
            deltaBytes -= (long) deltas.remove(deltas.size() - 1).size() * PAGE;
        }
    }

    /** The shadow as at {@code index}, memory left alone. */
    private void restoreShadowOnly(int index) {
        TreeSet<Long> changed = new TreeSet<>();
        for (int i = Math.min(shadowAt, index) + 1; i <= Math.max(shadowAt, index); i++) {
            changed.addAll(deltas.get(i).keySet());
        }
        for (long k : changed) {
            shadow.get((int) (k >>> 32)).slice((int) k * PAGE, PAGE).put(0, pageAt(k, index));
        }
        shadowAt = index;
    }

    /** Drops the oldest snapshot: its pages that the next one did not change move into the next one. */
    void dropOldest() {
        if (deltas.size() < 2) {
            throw new IllegalStateException("history memory: the only snapshot cannot go");
        }
        Map<Long, byte[]> oldest = deltas.remove(0);
        Map<Long, byte[]> next = deltas.get(0);
        deltaBytes -= (long) oldest.size() * PAGE;
        for (Map.Entry<Long, byte[]> e : oldest.entrySet()) {
            if (next.putIfAbsent(e.getKey(), e.getValue()) != null) {
                deltaBytes -= PAGE;   // the newer page replaces it: one page fewer held
            }
        }
        deltaBytes += (long) oldest.size() * PAGE;
        shadowAt--;
    }

    @Override
    public void close() {
        shadowMemory.forEach(limu.emulator.unicorn.HostMemory::close);
    }
}
