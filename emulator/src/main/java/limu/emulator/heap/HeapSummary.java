// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.List;

/**
 * What heap checking saw in one run, as {@code limu run --heap-check} prints it at exit. A run restored
 * from a snapshot counts only what happened after the snapshot: blocks live at the snapshot are not in
 * {@code liveBlocks}, {@code liveBytes} or {@code liveBySite}, and their frees are in {@code deallocCalls}.
 *
 * @param allocCalls          {@code __rust_alloc} calls (or what stands for them in an optimised build)
 * @param allocZeroedCalls    {@code __rust_alloc_zeroed} calls
 * @param reallocCalls        {@code __rust_realloc} calls, talc's grow and shrink included
 * @param deallocCalls        {@code __rust_dealloc} calls
 * @param nullReturns         allocations that returned null
 * @param totalAllocatedBytes bytes of every block the run allocated
 * @param peakLiveBytes       the most bytes the run's own blocks held at once
 * @param lifetimesTracked    false when frees are inlined out of sight: the live figures are then unknown (0)
 * @param liveBlocks          the run's blocks still live at its end
 * @param liveBytes           their bytes
 * @param liveBySite          those blocks grouped by the call site that allocated them, in allocation order
 * @param violations          each violation with its report, in order
 * @param text                the summary as printed ({@code heap: ...} lines)
 */
public record HeapSummary(long allocCalls, long allocZeroedCalls, long reallocCalls, long deallocCalls,
                          long nullReturns, long totalAllocatedBytes, long peakLiveBytes, boolean lifetimesTracked,
                          long liveBlocks, long liveBytes, List<SiteTally> liveBySite,
                          List<HeapChecker.Report> violations, String text) {
    public HeapSummary {
        liveBySite = List.copyOf(liveBySite);
        violations = List.copyOf(violations);
    }

    /** Live blocks allocated at one call site (the first backtrace frame outside the allocator). */
    public record SiteTally(String site, long blocks, long bytes) {
    }

    /** Allocations of every kind, reallocs included. */
    public long calls() {
        return allocCalls + allocZeroedCalls + reallocCalls + deallocCalls;
    }

    public boolean clean() {
        return violations.isEmpty();
    }
}
