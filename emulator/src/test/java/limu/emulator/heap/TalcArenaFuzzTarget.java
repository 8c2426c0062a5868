// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.cli.CdsTraining;

/**
 * Jazzer target: {@code --heap-check=deep}'s walk of talc's metadata over any bytes, as a kernel that
 * corrupted its heap (or a hostile one) leaves them: a fuzzed talc arena image written into a real
 * machine's RAM, walked as one or two claimed spans (base alignment fuzzed too), with or without live
 * blocks, then the exit summary the heap report prints from the walk. The walk must answer "consistent" or
 * say what is not, never throw; when it says consistent, every free chunk it found lies inside a span
 * without wrapping around, is at least 24 bytes, no two overlap, and the summary's free bytes are their sum.
 */
class TalcArenaFuzzTarget {
    private static final long ARENA = 0x20_0000;          // physical, in the tiny machine's usable RAM
    private static final int MAX_IMAGE = 64 << 10;
    private static final Pattern FREE = Pattern.compile("talc free chunks: (\\d+), (\\d+) bytes");
    private static Machine machine;
    private static HeapReports reports;
    private static long hhdm;

    private static synchronized void setUp() throws Exception {
        if (machine != null) {
            return;
        }
        machine = Machine.boot(MachineConfig.defaults(OutputStream.nullOutputStream()).toBuilder()
                .memoryBytes(32L << 20).build(), CdsTraining.tinyKernel(), "tiny.elf");
        hhdm = machine.plan().hhdmOffset();
        StackUnwinder unwinder = new StackUnwinder(machine.plan().kernel(), machine.engine(0));
        BlockLedger ledger = new BlockLedger(hhdm, machine.plan().memoryMap(), unwinder::inImage, a -> Optional.empty(),
                true);
        reports = new HeapReports(new HeapOptions(HeapOptions.Mode.DEEP, false, Optional.empty(), Optional.empty()),
                AllocatorEntryPoints.find(machine.plan().kernel()), ledger, unwinder, s -> { });
    }

    @FuzzTest(maxDuration = "1s")
    void fuzz(FuzzedDataProvider d) throws Exception {
        setUp();
        int misalign = d.consumeInt(0, 7);
        boolean twoSpans = d.consumeBoolean();
        int liveCount = d.consumeInt(0, 4);
        TreeMap<Long, Block> live = new TreeMap<>();
        for (int i = 0; i < liveCount; i++) {
            long ptr = hhdm + ARENA + d.consumeLong(0, MAX_IMAGE);
            long size = d.consumeLong(0, 4096);
            live.put(ptr, Block.allocated(ptr, size, 8, 0, i, new long[0], i, i));
        }
        byte[] image = d.consumeRemainingAsBytes();
        if (image.length > MAX_IMAGE) {
            image = java.util.Arrays.copyOf(image, MAX_IMAGE);
        }
        byte[] clean = new byte[MAX_IMAGE + 64];
        machine.memory().write(ARENA, clean, 0, clean.length);
        machine.memory().write(ARENA + misalign, image, 0, image.length);
        long start = hhdm + ARENA + misalign;
        List<long[]> spans = new ArrayList<>();
        if (twoSpans && image.length > 64) {
            long middle = start + (image.length / 2 & ~7L);
            spans.add(new long[] {start, middle});
            spans.add(new long[] {middle + 8, start + image.length});
        } else {
            spans.add(new long[] {start, start + Math.max(image.length, 8)});
        }

        TalcWalker walker = new TalcWalker(machine.memory(), hhdm, machine.plan().kernel());
        String problem = walker.walk(machine.engine(0), spans, liveCount == 0 ? null : live);
        String summary = reports.summary(walker.gaps, 1, walker.availabilityFound());
        if (problem != null) {
            return;
        }
        long free = 0;
        List<TalcWalker.Gap> sorted = new ArrayList<>(walker.gaps);
        sorted.sort((x, y) -> Long.compareUnsigned(x.base(), y.base()));
        for (int i = 0; i < sorted.size(); i++) {
            TalcWalker.Gap g = sorted.get(i);
            assertTrue(g.size() >= 24, "free chunk smaller than talc's minimum: " + g);
            assertTrue(spans.stream().anyMatch(s -> Long.compareUnsigned(g.base(), s[0]) >= 0
                    && Long.compareUnsigned(g.size(), s[1] - g.base()) <= 0), "free chunk outside the spans: " + g);
            if (i > 0) {
                TalcWalker.Gap before = sorted.get(i - 1);
                assertTrue(Long.compareUnsigned(before.base() + before.size(), g.base()) <= 0,
                        "free chunks overlap: " + before + " and " + g);
            }
            free += g.size();
        }
        Matcher m = FREE.matcher(summary);
        assertTrue(m.find(), summary);
        assertEquals(walker.gaps.size(), Integer.parseInt(m.group(1)), summary);
        assertEquals(Long.toString(free), m.group(2), summary);
    }
}
