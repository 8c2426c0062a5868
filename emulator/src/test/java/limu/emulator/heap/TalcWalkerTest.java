// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.cli.CdsTraining;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The deep heap check's walk of talc 4.4's metadata over hand-made arenas in a real machine's RAM: a
 * consistent one, and the two corruptions the TalcArena fuzz target's properties describe (free chunks
 * that overlap, a size word that wraps around the address space).
 */
class TalcWalkerTest {
    private static final long ARENA = 0x20_0000;
    private static final int LENGTH = 0x4000;
    private static Machine machine;
    private static long hhdm;

    @BeforeAll
    static void boot() throws Exception {
        machine = Machine.boot(MachineConfig.defaults(OutputStream.nullOutputStream()).toBuilder()
                .memoryBytes(32L << 20).build(), CdsTraining.tinyKernel(), "tiny.elf");
        hhdm = machine.plan().hhdmOffset();
    }

    @AfterAll
    static void close() {
        machine.close();
    }

    /** The arena: base tag 1, 128 empty bins, the bins chunk's tag; words set by offset from the span start. */
    private static ByteBuffer arena() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        long start = hhdm + ARENA;
        b.putLong(0, 1);
        b.putLong(0x408, start | 1);
        return b;
    }

    /** A free chunk at offset {@code at} of {@code size} bytes in {@code bin}, with its tag below. */
    private static void free(ByteBuffer b, int at, long size, int bin) {
        long start = hhdm + ARENA;
        b.putLong(8 + 8 * bin, start + at);            // the bin's head
        b.putLong(at, 0);                              // next
        b.putLong(at + 8, start + 8 + 8L * bin);       // next_of_prev: the bin's slot
        b.putLong(at + 16, size);
        b.putLong((int) (at + size - 8), size);
        b.putLong(at - 8, 3);                          // ALLOCATED | IS_ABOVE_FREE below it
    }

    private static TalcWalker walk(ByteBuffer b, List<TalcWalker.Gap> gaps) {
        machine.memory().write(ARENA, b.array(), 0, LENGTH);
        TalcWalker w = new TalcWalker(machine.memory(), hhdm, machine.plan().kernel());
        String problem = w.walk(machine.engine(0), List.of(new long[] {hhdm + ARENA, hhdm + ARENA + LENGTH}), null);
        if (gaps != null) {
            assertNull(problem);
            assertEquals(gaps, w.gaps);
        }
        return w;
    }

    @Test
    void consistentArenaHasItsFreeChunks() {
        ByteBuffer b = arena();
        free(b, 0x1000, 64, TalcWalker.binOfSize(64));
        walk(b, List.of(new TalcWalker.Gap(hhdm + ARENA + 0x1000, 64)));
    }

    @Test
    void overlappingFreeChunksAreCorruption() {
        ByteBuffer b = arena();
        free(b, 0x1000, 64, TalcWalker.binOfSize(64));
        free(b, 0x1020, 48, TalcWalker.binOfSize(48));   // starts inside the first
        machine.memory().write(ARENA, b.array(), 0, LENGTH);
        TalcWalker w = new TalcWalker(machine.memory(), hhdm, machine.plan().kernel());
        String problem = w.walk(machine.engine(0), List.of(new long[] {hhdm + ARENA, hhdm + ARENA + LENGTH}), null);
        assertEquals(String.format("free chunk at 0x%x (64 bytes) overlaps free chunk at 0x%x (48 bytes)",
                hhdm + ARENA + 0x1000, hhdm + ARENA + 0x1020), problem);
    }

    @Test
    void aSizeThatWrapsAroundIsNotInTheSpan() {
        ByteBuffer b = arena();
        long size = 0x7fff_ffff_ffff_fff0L;             // from the HHDM, chunk + size wraps past 2^64
        int at = 0x1000;
        long start = hhdm + ARENA;
        b.putLong(8 + 8 * 127, start + at);
        b.putLong(at, 0);
        b.putLong(at + 8, start + 8 + 8L * 127);
        b.putLong(at + 16, size);
        b.putLong(at - 8, 3);
        assertEquals(127, TalcWalker.binOfSize(size));
        machine.memory().write(ARENA, b.array(), 0, LENGTH);
        TalcWalker w = new TalcWalker(machine.memory(), hhdm, machine.plan().kernel());
        String problem = w.walk(machine.engine(0), List.of(new long[] {start, start + LENGTH}), null);
        assertTrue(problem != null && problem.contains("size word at 0x" + Long.toHexString(start + at + 16)
                + " is 0x7ffffffffffffff0 (not a free chunk size in the span)"), problem);
    }
}
