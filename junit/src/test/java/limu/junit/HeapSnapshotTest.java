// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static limu.junit.LimuAssertions.assertHeapClean;
import static limu.junit.LimuAssertions.assertNoLeaks;
import static limu.junit.LimuAssertions.assertPassed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import limu.emulator.harness.KernelRun;
import limu.emulator.harness.SharedBoot;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapSummary;
import org.junit.jupiter.api.Test;

/**
 * Heap checking across snapshots: the heap-suite kernel keeps eight blocks live over the
 * marker, then runs the test number it reads from COM1; test 13 alone reads freed memory. Twenty
 * restored runs with strict checking find that bug in test 13 and nowhere else, and each run's
 * summary counts only the calls that run made.
 */
class HeapSnapshotTest {
    private static final int BROKEN_TEST = 13;

    private static LimuMachine tests() {
        return LimuMachine.kernel(HarnessApiTest.kernel("heap-suite.elf")).memory("64M").framebuffer("none")
               .successExitCode(33).failOn("panicked at").heapCheck(HeapCheck.STRICT);
    }

    @Test
    void strictCheckingCatchesTheUseAfterFreeInOneOfTwentyRestoredRunsAndOnlyThere() throws Exception {
        List<Integer> failed = new ArrayList<>();
        try (SharedBoot boot = tests().bootOnce()) {
            for (int t = 0; t < 20; t++) {
                KernelRun r = boot.restoreAndRun(t + "\n");
                HeapSummary heap = r.heap();
                if (t == BROKEN_TEST) {
                    assertEquals(18, r.exitCode(), r.verdict().message());
                    assertEquals(1, heap.violations().size(), heap.text());
                    HeapChecker.Report v = heap.violations().get(0);
                    assertEquals(HeapChecker.Violation.USE_AFTER_FREE, v.kind(), v.text());
                    assertTrue(v.summary().contains("heap_suite::use_after_free"), v.summary());
                    assertTrue(v.text().contains("freed by call #"), v.text());
                    assertThrows(AssertionError.class, () -> assertHeapClean(r));
                } else {
                    assertPassed(r);
                    assertTrue(r.serial().contains("heap-suite: test " + t + " done"), r.serial());
                    assertHeapClean(r);
                    assertNoLeaks(r);
                    // a vector and t + 1 boxes; those freed, and one of the eight blocks kept at boot
                    assertEquals(t + 2, heap.allocCalls(), heap.text());
                    assertEquals(t + 3, heap.deallocCalls(), heap.text());
                    assertEquals(8L * (t + 1) + 8L * (t + 1), heap.totalAllocatedBytes(), heap.text());
                }
                if (!r.passed()) {
                    failed.add(t);
                }
            }
        }
        assertEquals(List.of(BROKEN_TEST), failed);
    }

    @Test
    void aFreshRunCountsTheBootsAllocationsTooAndLeavesTheKeptBlocksLive() throws Exception {
        KernelRun fresh = tests().runWithInputAtMarker("4\n");
        assertPassed(fresh);
        assertHeapClean(fresh);
        HeapSummary heap = fresh.heap();
        // the boot's vector of eight boxes (nine calls) before the test's six
        assertEquals(9 + 6, heap.allocCalls(), heap.text());
        assertEquals(8, heap.liveBlocks(), "the boot's vector and the seven boxes left in it\n" + heap.text());
        AssertionError leak = assertThrows(AssertionError.class, () -> assertNoLeaks(fresh));
        assertTrue(leak.getMessage().contains("heap_suite::kmain"), leak.getMessage());
        assertFalse(heap.liveBySite().isEmpty());
    }

    @Test
    void heapIsRefusedWhenCheckingWasOff() throws Exception {
        KernelRun r = LimuMachine.kernel(HarnessApiTest.kernel("heap-bugs.elf")).memory("64M").framebuffer("none")
                .cmdline("ok").successExitCode(33).run();
        assertPassed(r);
        assertTrue(r.heapSummary().isEmpty());
        assertThrows(IllegalStateException.class, r::heap);
    }
}
