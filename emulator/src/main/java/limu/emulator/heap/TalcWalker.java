// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import limu.bootloader.ElfFile;
import limu.emulator.GuestMemory;
import limu.emulator.unicorn.Engine;

/**
 * {@code --heap-check=deep}: walks talc's metadata in guest memory (talc <b>4.4.x</b> layout only, as
 * docs/heap-checking.md describes it; other versions or allocators are reported as inconsistent, not
 * understood).
 *
 * <p>The bins array is at B+8 of the first claimed span (B = its base, word aligned); the
 * {@code Talc} struct is found by looking for the word B+8 (its {@code bins} field) in the
 * kernel's writable segments, and its availability bitmaps among the words next to it (the
 * pair that matches the bins at the first walk; rustc picks the field order).
 *
 * <p>Per bin: each free node lies in a span (its size not wrapping around the address space), no two free
 * chunks overlap, {@code next_of_prev} points back to the slot that
 * points at it, size &ge; 24 and a multiple of 8, both size copies equal, {@code bin_of_size(size)}
 * is the bin, its availability bit is set (and clear for an empty bin), the tag below the gap has
 * ALLOCATED and IS_ABOVE_FREE, no live block overlaps the gap. Per live block: the tag at its
 * computed position has ALLOCATED and a base at or below the pointer.
 */
final class TalcWalker {
    static final int BIN_COUNT = 128;

    record Gap(long base, long size) {
    }

    private final GuestMemory memory;
    private final long hhdm;
    private final ElfFile kernel;
    private long talcStruct;            // virtual address of Talc.bins in the kernel image, 0: not found
    private int availOffset;            // of availability_low relative to the bins field; high is +8
    private boolean availKnown, searched;
    final List<Gap> gaps = new ArrayList<>();

    TalcWalker(GuestMemory memory, long hhdm, ElfFile kernel) {
        this.memory = memory;
        this.hhdm = hhdm;
        this.kernel = kernel;
    }

    static int binOfSize(long size) {
        if (size < 256) {
            return (int) ((size - 24) / 8);
        }
        if (size < 512) {
            return (int) (29 + (size - 256) / 16);
        }
        int log = 63 - Long.numberOfLeadingZeros(size);        // >= 9
        int quarter = (int) ((size >>> (log - 2)) & 3);
        return (int) Math.min(127, 45 + (log - 9) * 4L + quarter);
    }

    private long word(long v) {
        return memory.readLong(v - hhdm);
    }

    /** Whether [a, a + len) lies in one span; a length that would wrap around the address space does not. */
    private static boolean inSpans(List<long[]> spans, long a, long len) {
        for (long[] s : spans) {
            if (Long.compareUnsigned(a, s[0]) >= 0 && Long.compareUnsigned(a, s[1]) <= 0
                    && Long.compareUnsigned(len, s[1] - a) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** Null when consistent, else what is not. {@code live}: null when lifetimes are not tracked. */
    String walk(Engine e, List<long[]> spans, NavigableMap<Long, Block> live) {
        gaps.clear();
        long b = (spans.get(0)[0] + 7) & ~7L;
        long bins = b + 8;
        try {
            long base = word(b);
            if (base != 1) {
                return String.format("the first heap's base tag at 0x%x is 0x%x, expected 0x1", b, base);
            }
            long metaTag = word(b + 0x408);
            if ((metaTag & ~7L) != b || (metaTag & 1) == 0) {
                return String.format("the tag of talc's bins chunk at 0x%x is 0x%x, expected 0x%x | ALLOCATED",
                        b + 0x408, metaTag, b);
            }
            long lo = 0, hi = 0;
            long[] heads = new long[BIN_COUNT];
            for (int i = 0; i < BIN_COUNT; i++) {
                heads[i] = word(bins + 8L * i);
            }
            for (int bin = 0; bin < BIN_COUNT; bin++) {
                long slot = bins + 8L * bin;
                long node = heads[bin];
                int n = 0;
                if (node != 0) {
                    if (bin < 64) {
                        lo |= 1L << bin;
                    } else {
                        hi |= 1L << (bin - 64);
                    }
                }
                while (node != 0) {
                    String at = String.format("bin %d, free chunk #%d at 0x%x", bin, n, node);
                    if ((node & 7) != 0 || !inSpans(spans, node, 24)) {
                        return String.format("%s: the node lies outside the claimed spans (list pointer read at 0x%x)",
                                at, slot);
                    }
                    long next = word(node), nop = word(node + 8), size = word(node + 16);
                    if (nop != slot) {
                        return String.format("%s: next_of_prev is 0x%x, expected 0x%x (the slot that points to it)",
                                at, nop, slot);
                    }
                    if (size < 24 || (size & 7) != 0 || !inSpans(spans, node, size)) {
                        return String.format("%s: size word at 0x%x is 0x%x (not a free chunk size in the span)", at,
                                node + 16, size);
                    }
                    long high = word(node + size - 8);
                    if (high != size) {
                        return String.format("%s: low size 0x%x at 0x%x and high size 0x%x at 0x%x differ", at, size,
                                node + 16, high, node + size - 8);
                    }
                    if (binOfSize(size) != bin) {
                        return String.format("%s: size %d belongs in bin %d", at, size, binOfSize(size));
                    }
                    long below = word(node - 8);
                    if ((below & 3) != 3) {
                        return String.format("%s: the tag below it at 0x%x is 0x%x: ALLOCATED and IS_ABOVE_FREE"
                                + " expected", at, node - 8, below);
                    }
                    if (live != null) {
                        Map.Entry<Long, Block> l = live.floorEntry(node + size - 1);
                        if (l != null && l.getValue().end() > node) {
                            Block x = l.getValue();
                            return String.format("%s (%d bytes): overlaps live block 0x%x-0x%x", at, size, x.ptr(),
                                    x.end());
                        }
                    }
                    gaps.add(new Gap(node, size));
                    slot = node;
                    node = next;
                    if (++n > 1_000_000) {
                        return String.format("bin %d: the free list loops", bin);
                    }
                }
            }
            String overlap = overlappingGaps();
            if (overlap != null) {
                return overlap;
            }
            String a = checkAvailability(e, bins, lo, hi);
            if (a != null) {
                return a;
            }
            if (live != null) {
                for (Block x : live.values()) {
                    if (!inSpans(spans, x.ptr(), Math.max(1, x.size()))) {
                        continue;
                    }
                    String t = checkTag(x);
                    if (t != null) {
                        return t;
                    }
                }
            }
        } catch (RuntimeException ex) {
            return "cannot read talc's metadata: " + ex.getMessage();
        }
        return null;
    }

    /** Free chunks never share a byte: two lists (or one list twice) reaching the same memory is corruption. */
    private String overlappingGaps() {
        List<Gap> sorted = new ArrayList<>(gaps);
        sorted.sort((x, y) -> Long.compareUnsigned(x.base(), y.base()));
        for (int i = 1; i < sorted.size(); i++) {
            Gap a = sorted.get(i - 1), b = sorted.get(i);
            if (Long.compareUnsigned(b.base() - a.base(), a.size()) < 0) {
                return String.format("free chunk at 0x%x (%d bytes) overlaps free chunk at 0x%x (%d bytes)", a.base(),
                        a.size(), b.base(), b.size());
            }
        }
        return null;
    }

    private String checkTag(Block x) {
        long post = (x.ptr() + x.size() + 7) & ~7L;
        long w = word(post);
        long tagAt = post;
        if ((w & 1) == 0 && Long.compareUnsigned(w, post) > 0 && w - post <= 64 && (w & 7) == 0) {
            tagAt = w;      // the tag is further up; the word at post points to it
        }
        long tag = word(tagAt);
        long base = tag & ~7L;
        if ((tag & 1) == 0 || Long.compareUnsigned(base, x.ptr()) > 0 || x.ptr() - base > Math.max(64, x.align())
                || tagAt < base + 16) {
            return String.format("the tag of live block 0x%x-0x%x (%d bytes) at 0x%x is 0x%x: expected its chunk"
                    + " base (<= 0x%x) | ALLOCATED — a write past the block's end?", x.ptr(), x.ptr() + x.size(),
                    x.size(), tagAt, tag, x.ptr());
        }
        return null;
    }

    private String checkAvailability(Engine e, long bins, long lo, long hi) {
        if (!searched) {
            searched = true;
            for (ElfFile.Segment s : kernel.segments()) {
                if (!s.isLoad() || s.executable() || s.memSize() > (64 << 20) || talcStruct != 0) {
                    continue;
                }
                byte[] data = new byte[(int) s.memSize()];
                if (!e.readVirtual(s.vaddr(), data)) {
                    continue;
                }
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int off = 0; off + 8 <= data.length; off += 8) {
                    if (bb.getLong(off) != bins) {
                        continue;
                    }
                    for (int d : new int[] {-16, 8, -24, 16, -32, 24}) {
                        int p = off + d;
                        if (p >= 0 && p + 16 <= data.length && bb.getLong(p) == lo && bb.getLong(p + 8) == hi) {
                            talcStruct = s.vaddr() + off;
                            availOffset = d;
                            availKnown = true;
                            break;
                        }
                    }
                    if (availKnown) {
                        break;
                    }
                }
            }
        }
        if (!availKnown) {
            return null;
        }
        byte[] w = new byte[16];
        if (!e.readVirtual(talcStruct + availOffset, w)) {
            return null;
        }
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(w).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long gotLo = bb.getLong(0), gotHi = bb.getLong(8);
        if (gotLo != lo || gotHi != hi) {
            return String.format("availability bitmaps (at 0x%x) are 0x%016x/0x%016x but the non-empty bins give"
                    + " 0x%016x/0x%016x", talcStruct + availOffset, gotLo, gotHi, lo, hi);
        }
        return null;
    }

    boolean availabilityFound() {
        return availKnown;
    }

    long largestGap() {
        return gaps.stream().mapToLong(Gap::size).max().orElse(0);
    }
}
