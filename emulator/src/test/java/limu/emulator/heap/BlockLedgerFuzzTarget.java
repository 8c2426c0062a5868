// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.Optional;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.MemoryType;

/**
 * Jazzer target: the heap checker's shadow heap fed any sequence of allocator calls and stray accesses, as a
 * broken or hostile kernel's allocator could report them: pointers and sizes anywhere in the 64-bit space
 * (sizes near 2^64 included), frees of anything, reallocations, snapshots taken and restored. Every call must
 * return a finding or null and keep the tallies consistent; nothing may throw.
 */
class BlockLedgerFuzzTarget {
    private static final long HHDM = 0xffff_8000_0000_0000L;
    private static final long IMAGE = 0xffff_ffff_8000_0000L;
    private static final List<MemoryMapEntry> MAP = List.of(
            new MemoryMapEntry(0x1000, 0x9_F000, MemoryType.USABLE),
            new MemoryMapEntry(0x10_0000, 0x40_0000, MemoryType.USABLE),
            new MemoryMapEntry(0x50_0000, 0x1000, MemoryType.BOOTLOADER_RECLAIMABLE),
            new MemoryMapEntry(0xFFFF_FFFF_F000L, 0x1000, MemoryType.USABLE));
    private static final long[] NO_FRAMES = new long[0];

    /** Heap-like addresses most of the time, any value sometimes. */
    private static long pointer(FuzzedDataProvider d) {
        return switch (d.consumeInt(0, 3)) {
            case 0 -> d.consumeLong();
            case 1 -> HHDM + 0xFFFF_FFFF_F000L + d.consumeLong(0, 0x2000);
            default -> HHDM + 0x10_0000 + d.consumeLong(0, 0x40_0000) * 8;
        };
    }

    private static long size(FuzzedDataProvider d) {
        return switch (d.consumeInt(0, 3)) {
            case 0 -> d.consumeLong();
            case 1 -> -d.consumeLong(0, 0x1000);
            default -> d.consumeLong(0, 0x1000);
        };
    }

    @FuzzTest(maxDuration = "1s")
    void fuzz(FuzzedDataProvider d) {
        BlockLedger l = new BlockLedger(HHDM, MAP,
                a -> Long.compareUnsigned(a, IMAGE) >= 0 && Long.compareUnsigned(a, IMAGE + 0x10_0000) < 0,
                a -> Optional.of("kernel::STATIC"), d.consumeBoolean());
        if (d.consumeBoolean()) {
            long start = pointer(d);
            l.addSpan(start, start + size(d));
        }
        BlockLedger.State saved = null;
        long seq = 0;
        for (int op = 0; op < 64 && d.remainingBytes() > 0; op++) {
            switch (d.consumeInt(0, 6)) {
                case 0, 1 -> {
                    long entry = ++seq;
                    l.allocate(Block.allocated(pointer(d), size(d), 1L << d.consumeInt(0, 63), d.consumeInt(0, 3),
                            entry, NO_FRAMES, entry, ++seq));
                }
                case 2 -> {
                    long ptr = pointer(d);
                    long size = size(d);
                    long align = 1L << d.consumeInt(0, 63);
                    if (l.checkRelease(ptr, size, align) == null) {
                        l.free(l.live(ptr), d.consumeInt(0, 3), ++seq, NO_FRAMES);
                    }
                }
                case 3 -> {
                    Block old = l.liveByAddress().isEmpty() ? null : l.liveByAddress().firstEntry().getValue();
                    if (old != null) {
                        l.reallocated(old, pointer(d), 0, ++seq, NO_FRAMES);
                    }
                }
                case 4 -> l.strayAccess(pointer(d), d.consumeInt(1, 16));
                case 5 -> saved = l.save();
                default -> {
                    if (saved != null) {
                        l.restore(saved, seq);
                    }
                }
            }
            long sum = 0;
            for (Block b : l.liveBlocks()) {
                sum += b.size();
            }
            if (l.tracksLifetimes() && sum != l.liveBytes()) {
                throw new IllegalStateException("live bytes " + l.liveBytes() + " but the live blocks hold " + sum);
            }
        }
        l.runLiveBlocks();
        l.peakLiveBytes();
    }
}
