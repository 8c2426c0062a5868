// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.regex.Pattern;
import limu.emulator.harness.KernelRun;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapSummary;

/** JUnit assertions on a finished {@link KernelRun}; failures show the reason and the serial output's tail. */
public final class LimuAssertions {
    private static final int TAIL_LINES = 30;

    private LimuAssertions() {
    }

    /** The run passed its spec (success exit status, expectations, no --fail-on line). */
    public static void assertPassed(KernelRun run) {
        if (!run.passed()) {
            fail(run.kernel() + ": " + run.verdict().message() + " (exit code " + run.exitCode() + ")" + tail(run));
        }
    }

    /** The run ended with this exit code ({@code limu run}'s code: the guest's status, or limu's own). */
    public static void assertExitCode(int expected, KernelRun run) {
        assertEquals(expected, run.exitCode(), () -> run.kernel() + ": " + run.verdict().message() + tail(run));
    }

    public static void assertSerialContains(KernelRun run, String text) {
        if (!run.serial().contains(text)) {
            fail(run.kernel() + ": serial output does not contain '" + text + "'" + tail(run));
        }
    }

    /** A line of the serial output matches {@code regex} (find). */
    public static void assertSerialMatches(KernelRun run, String regex) {
        Pattern p = Pattern.compile(regex);
        if (run.serial().lines().noneMatch(l -> p.matcher(l).find())) {
            fail(run.kernel() + ": no serial line matches /" + regex + "/" + tail(run));
        }
    }

    /** The final framebuffer's pixel at (x, y) is {@code rgb} (0xRRGGBB). */
    public static void assertPixel(KernelRun run, int x, int y, int rgb) {
        int actual = run.pixel(x, y);
        if (actual != rgb) {
            fail(String.format("%s: pixel (%d, %d) is 0x%06x, expected 0x%06x", run.kernel(), x, y, actual, rgb));
        }
    }

    /**
     * Heap checking ({@link LimuMachine#heapCheck}) found nothing wrong in the run; on failure: every
     * violation's report (the call, the block's history, a backtrace).
     */
    public static void assertHeapClean(KernelRun run) {
        HeapSummary heap = run.heap();
        if (!heap.clean()) {
            StringBuilder b = new StringBuilder(run.kernel() + ": " + heap.violations().size() + " heap violation"
                    + (heap.violations().size() == 1 ? "" : "s"));
            for (HeapChecker.Report r : heap.violations()) {
                b.append('\n').append(r.summary()).append('\n').append(r.text().stripTrailing());
            }
            fail(b.toString());
        }
    }

    /**
     * Every block the run allocated was freed by its end (a run restored from a snapshot: every block it
     * allocated itself). On failure: the live blocks by call site. Fails too when frees were not seen.
     */
    public static void assertNoLeaks(KernelRun run) {
        HeapSummary heap = run.heap();
        if (!heap.lifetimesTracked()) {
            fail(run.kernel() + ": the kernel's frees are inlined out of sight, so leaks cannot be told\n"
                    + heap.text());
        }
        if (heap.liveBlocks() != 0) {
            StringBuilder b = new StringBuilder(String.format("%s: %d blocks (%d bytes) still live at the end",
                    run.kernel(), heap.liveBlocks(), heap.liveBytes()));
            for (HeapSummary.SiteTally t : heap.liveBySite()) {
                b.append(String.format("%n  %d blocks, %d bytes, allocated at %s", t.blocks(), t.bytes(), t.site()));
            }
            fail(b.toString());
        }
    }

    private static String tail(KernelRun run) {
        var lines = run.serial().lines().toList();
        int from = Math.max(0, lines.size() - TAIL_LINES);
        return "\n--- serial (last " + (lines.size() - from) + " lines) ---\n"
                + String.join("\n", lines.subList(from, lines.size()));
    }
}
