// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.MemoryType;
import limu.emulator.heap.HeapChecker.Violation;
import org.junit.jupiter.api.Test;

/** The shadow heap's rules, block by block, without a machine. */
class BlockLedgerTest {
    private static final long HHDM = 0xffff_8000_0000_0000L;
    private static final long IMAGE = 0xffff_ffff_8000_0000L;
    /** Usable RAM at physical 1 MiB..5 MiB, reserved above. */
    private static final List<MemoryMapEntry> MAP = List.of(
            new MemoryMapEntry(0x10_0000, 0x40_0000, MemoryType.USABLE),
            new MemoryMapEntry(0x50_0000, 0x1000, MemoryType.RESERVED));
    private static final long HEAP = HHDM + 0x10_0000;
    private static final long[] NO_FRAMES = new long[0];

    private long seq;

    private static BlockLedger ledger(boolean tracksLifetimes) {
        return new BlockLedger(HHDM, MAP, a -> Long.compareUnsigned(a, IMAGE) >= 0 && Long.compareUnsigned(a, IMAGE + 0x10_0000) < 0,
                a -> Optional.of("kernel::STATIC+0x" + Long.toHexString(a - IMAGE)), tracksLifetimes);
    }

    /** A block returned by a call that entered and returned on {@code cpu} just now. */
    private Block block(long ptr, long size, long align, int cpu) {
        long entry = ++seq;
        return Block.allocated(ptr, size, align, cpu, entry, NO_FRAMES, entry, ++seq);
    }

    @Test
    void aSoundBlockIsLiveUntilFreedAndASecondFreeIsADoubleFree() {
        BlockLedger l = ledger(true);
        Block b = block(HEAP + 0x410, 24, 8, 0);
        assertNull(l.allocate(b));
        assertSame(b, l.live(HEAP + 0x410));
        assertEquals(24, l.liveBytes());
        assertNull(l.checkRelease(HEAP + 0x410, 24, 8));
        l.free(b, 1, 7, NO_FRAMES);
        assertNull(l.live(HEAP + 0x410));
        assertEquals(0, l.liveBytes());
        assertEquals(24, l.peakLiveBytes());
        assertEquals(24, l.totalAllocatedBytes());
        Finding again = l.checkRelease(HEAP + 0x410, 24, 8);
        assertEquals(Violation.DOUBLE_FREE, again.kind());
        assertEquals(7, again.block().freeCall());
        assertEquals(1, again.block().freeCpu());
    }

    @Test
    void freesThatNameNoLiveBlockOrAnotherLayoutAreReported() {
        BlockLedger l = ledger(true);
        assertNull(l.allocate(block(HEAP + 0x400, 32, 16, 0)));
        Finding layout = l.checkRelease(HEAP + 0x400, 24, 16);
        assertEquals(Violation.WRONG_LAYOUT, layout.kind());
        assertEquals("allocated with size 32, align 16", layout.detail());
        Finding inside = l.checkRelease(HEAP + 0x408, 24, 8);
        assertEquals(Violation.INVALID_FREE, inside.kind());
        assertEquals("the pointer is 8 bytes into a live block", inside.detail());
        Finding never = l.checkRelease(HEAP + 0x2000, 8, 8);
        assertEquals(Violation.INVALID_FREE, never.kind());
        assertNull(never.block());
    }

    @Test
    void aBlockMustBeAlignedAndInUsableMemoryInsideTheClaimedSpans() {
        BlockLedger l = ledger(true);
        assertEquals(Violation.MISALIGNED, l.allocate(block(HEAP + 0x408, 16, 16, 0)).kind());
        Finding low = l.allocate(block(0x10_0000, 8, 8, 0));
        assertEquals(Violation.OUTSIDE_USABLE, low.kind());
        assertTrue(low.detail().contains("not in the higher-half direct map"), low.detail());
        Finding reserved = l.allocate(block(HHDM + 0x50_0010, 8, 8, 0));
        assertEquals("physical 0x500010 is RESERVED memory (not RAM the kernel may allocate from)",
                reserved.detail());
        Finding past = l.allocate(block(HHDM + 0x4f_fff8, 16, 8, 0));
        assertTrue(past.detail().contains("runs past the end of the usable entry"), past.detail());
        Finding image = l.allocate(block(IMAGE + 0x40, 8, 8, 0));
        assertEquals("0xffffffff80000040 is in the kernel image (kernel::STATIC+0x40), not in usable memory",
                image.detail());
        l.addSpan(HEAP, HEAP + 0x1000);
        Finding outside = l.allocate(block(HEAP + 0x1000, 8, 8, 0));
        assertEquals(Violation.OUTSIDE_HEAP, outside.kind());
        assertEquals("the allocator was given 0xffff800000100000-0xffff800000101000", outside.detail());
        assertEquals(0, l.liveBlocks().size());
    }

    @Test
    void anOverlapWithABlockReturnedWhileThisCallWasInsideIsARace() {
        BlockLedger l = ledger(true);
        long entryOfSlowCall = ++seq;   // CPU 1 enters the allocator first ...
        Block first = block(HEAP + 0x400, 64, 8, 0);   // ... CPU 0 gets a block and returns meanwhile
        assertNull(l.allocate(first));
        Block racing = Block.allocated(HEAP + 0x420, 32, 8, 1, 2, NO_FRAMES, entryOfSlowCall, ++seq);
        Finding race = l.allocate(racing);
        assertEquals(Violation.RACE, race.kind());
        assertSame(first, race.block());
        Finding later = l.allocate(block(HEAP + 0x420, 32, 8, 1));
        assertEquals(Violation.OVERLAP, later.kind());
        Finding sameCpu = l.allocate(Block.allocated(HEAP + 0x3f8, 16, 8, 0, 9, NO_FRAMES, entryOfSlowCall, ++seq));
        assertEquals(Violation.OVERLAP, sameCpu.kind());
    }

    @Test
    void strayAccessesAreUseAfterFreeOverflowOrWild() {
        BlockLedger l = ledger(true);
        Block kept = block(HEAP + 0x400, 13, 8, 0);
        Block gone = block(HEAP + 0x800, 32, 8, 0);
        assertNull(l.allocate(kept));
        assertNull(l.allocate(gone));
        l.free(gone, 0, 3, NO_FRAMES);
        assertNull(l.strayAccess(HEAP + 0x408, 4));
        Finding uaf = l.strayAccess(HEAP + 0x810, 8);
        assertEquals(Violation.USE_AFTER_FREE, uaf.kind());
        assertEquals("the address is 16 bytes into a freed block", uaf.detail());
        Finding pad = l.strayAccess(HEAP + 0x40d, 1);   // 13 bytes rounded up to 16, then the tag word
        assertEquals(Violation.OVERFLOW, pad.kind());
        assertEquals("the access starts 0 bytes past the end of a live block (in talc's chunk padding or tag)",
                pad.detail());
        Finding across = l.strayAccess(HEAP + 0x40c, 2);
        assertEquals(Violation.OVERFLOW, across.kind());
        assertTrue(across.detail().endsWith("(and runs past it)"), across.detail());
        Finding wild = l.strayAccess(HEAP + 0x600, 8);
        assertEquals(Violation.WILD_ACCESS, wild.kind());
        assertSame(kept, wild.block());
        assertNull(l.allocate(block(HEAP + 0x800, 32, 8, 0)));
        assertNull(l.strayAccess(HEAP + 0x810, 8), "a block allocated again is no longer freed");
    }

    @Test
    void aMovedReallocFreesTheOldBlockAndAnInPlaceOneDoesNot() {
        BlockLedger l = ledger(true);
        Block old = block(HEAP + 0x400, 16, 8, 0);
        assertNull(l.allocate(old));
        l.reallocated(old, HEAP + 0x400, 0, 2, NO_FRAMES);
        assertEquals(Violation.INVALID_FREE, l.checkRelease(HEAP + 0x400, 16, 8).kind());
        Block moved = block(HEAP + 0x800, 16, 8, 0);
        assertNull(l.allocate(moved));
        l.reallocated(moved, HEAP + 0xc00, 0, 4, NO_FRAMES);
        assertEquals(Violation.DOUBLE_FREE, l.checkRelease(HEAP + 0x800, 16, 8).kind());
    }

    @Test
    void withoutLifetimesBlocksAreCheckedButNotKept() {
        BlockLedger l = ledger(false);
        assertNull(l.allocate(block(HEAP + 0x400, 16, 8, 0)));
        assertEquals(0, l.liveBlocks().size());
        assertEquals(16, l.totalAllocatedBytes());
        assertEquals(Violation.MISALIGNED, l.allocate(block(HEAP + 0x404, 16, 8, 0)).kind());
    }

    @Test
    void talcsGrowAndShrinkCountAsRealloc() {
        BlockLedger l = ledger(true);
        l.countCall(AllocatorEntryPoints.Kind.TALC_GROW);
        l.countCall(AllocatorEntryPoints.Kind.TALC_SHRINK);
        l.countCall(AllocatorEntryPoints.Kind.ALLOC);
        assertEquals(2, l.calls(AllocatorEntryPoints.Kind.REALLOC));
        assertEquals(1, l.calls(AllocatorEntryPoints.Kind.ALLOC));
    }

    @Test
    void aRestoredLedgerIsTheSnapshotsAndItsTalliesCountOnlyTheNewRun() {
        BlockLedger l = ledger(true);
        Block kept = block(HEAP + 0x410, 32, 8, 0);
        Block freedEarly = block(HEAP + 0x440, 16, 8, 0);
        assertNull(l.allocate(kept));
        assertNull(l.allocate(freedEarly));
        l.free(freedEarly, 0, 3, NO_FRAMES);
        l.addSpan(HEAP, HEAP + 0x10_0000);
        BlockLedger.State marker = l.save();

        // the first run after the marker frees the kept block and allocates one of its own
        Block own = Block.allocated(HEAP + 0x800, 64, 8, 0, 10, NO_FRAMES, ++seq, ++seq);
        l.restore(marker, 10);
        l.free(kept, 0, 11, NO_FRAMES);
        assertNull(l.allocate(own));
        assertEquals(List.of(own), l.runLiveBlocks());
        assertEquals(64, l.runLiveBytes());
        assertEquals(64, l.liveBytes());

        // the second run starts from the marker again: the kept block is live, the first run's block never was
        l.restore(marker, 10);
        assertSame(kept, l.live(HEAP + 0x410));
        assertNull(l.live(HEAP + 0x800));
        assertEquals(32, l.liveBytes());
        assertEquals(0, l.runLiveBytes());
        assertEquals(0, l.peakLiveBytes());
        assertEquals(0, l.totalAllocatedBytes());
        assertTrue(l.runLiveBlocks().isEmpty(), "blocks live at the snapshot are not the run's own");
        assertEquals(Violation.INVALID_FREE, l.checkRelease(HEAP + 0x800, 64, 8).kind());
        assertEquals(Violation.DOUBLE_FREE, l.checkRelease(HEAP + 0x440, 16, 8).kind(), "freed before the marker");
        assertEquals(Violation.USE_AFTER_FREE, l.strayAccess(HEAP + 0x448, 8).kind());
        assertNull(l.checkRelease(HEAP + 0x410, 32, 8));
        assertEquals(1, l.spans().size());
        Block again = Block.allocated(HEAP + 0x900, 8, 8, 0, 12, NO_FRAMES, ++seq, ++seq);
        assertNull(l.allocate(again));
        assertEquals(8, l.peakLiveBytes());
    }
}
