// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --heap-check} on the heap-talc and heap-bugs kernels. */
class HeapCheckTest {
    private static final int HEAP_VIOLATION = 18;
    private static final int GUEST_SUCCESS = 33;

    private static Limu.Result run(String kernel, String... extra) {
        String[] args = new String[extra.length + 5];
        args[0] = "run";
        args[1] = Limu.kernel(kernel).toString();
        args[2] = "--framebuffer=none";
        args[3] = "--timeout=120s";
        args[4] = "--heap-check";
        System.arraycopy(extra, 0, args, 5, extra.length);
        return Limu.run(args);
    }

    @Test
    void healthyTalcKernelOnTwoCpusHasNoViolationAndCountsLikeTalc() {
        Limu.Result r = run("heap-talc.elf", "--cpus=2");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        Matcher talc = Pattern.compile("talc counters: live (\\d+) blocks, (\\d+) bytes").matcher(r.stdout());
        assertTrue(talc.find(), r.toString());
        Matcher limu = Pattern.compile("heap: live at exit: (\\d+) blocks, (\\d+) bytes").matcher(r.stderr());
        assertTrue(limu.find(), r.toString());
        assertEquals(talc.group(1), limu.group(1), r.toString());
        assertEquals(talc.group(2), limu.group(2), r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
        assertTrue(r.stderr().contains("heap_talc::work"), "live blocks grouped by call site:\n" + r);
        assertTrue(Pattern.compile("heap: [1-9]\\d* alloc, [1-9]\\d* alloc_zeroed, [1-9]\\d* realloc, [1-9]\\d* dealloc")
                .matcher(r.stderr()).find(), r.toString());
    }

    @Test
    void releaseBuildRunsCleanAndSaysWhatItCannotSee() {
        Limu.Result r = run("heap-talc-release.elf", "--cpus=2");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
        assertTrue(r.stderr().contains("inlined"), r.toString());
    }

    @ParameterizedTest
    @CsvSource({
        "double-free,        1, double free,        heap_bugs::double_free",
        "invalid-free,       1, invalid free,       heap_bugs::invalid_free",
        "realloc-wrong-size, 1, wrong layout,       heap_bugs::realloc_wrong_size",
        "overlap,            1, overlapping blocks, heap_bugs::overlap_victim",
        "outside,            1, block outside usable memory, heap_bugs::outside_user",
        "race,               2, race: two CPUs in the allocator at once, heap_bugs::race_worker",
    })
    void eachBrokenKernelIsCaughtWithItsKindAndFunction(String mode, int cpus, String kind, String function) {
        Limu.Result r = run("heap-bugs.elf", "--cpus=" + cpus, "--cmdline=" + mode);
        assertEquals(HEAP_VIOLATION, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        assertTrue(r.stderr().contains("limu: heap check: " + kind), r.toString());
        String first = r.stderr().lines().filter(l -> l.startsWith("limu: heap check:")).findFirst().orElseThrow();
        assertTrue(first.contains(" in " + function + "+0x"), "location in the summary line:\n" + r);
        assertTrue(r.stderr().contains("backtrace"), r.toString());
        assertTrue(r.stderr().contains(function), r.toString());
    }

    /**
     * The release build: the shims and talc's methods are inlined, so the GlobalAlloc methods left as functions
     * are watched (Dispatch::alloc, Talck's alloc and dealloc).
     */
    @ParameterizedTest
    @CsvSource({
        "double-free,        1, double free,        heap_bugs::double_free",
        "invalid-free,       1, invalid free,       heap_bugs::invalid_free",
        "realloc-wrong-size, 1, wrong layout,       heap_bugs::realloc_wrong_size",
        "overlap,            1, overlapping blocks, heap_bugs::overlap_victim",
        "outside,            1, block outside usable memory, heap_bugs::outside_user",
        "race,               2, race: two CPUs in the allocator at once, heap_bugs::race_worker",
    })
    void releaseBuildCatchesEachBugThroughTheGlobalAllocMethods(String mode, int cpus, String kind,
                                                                String function) {
        Limu.Result r = run("heap-bugs-release.elf", "--cpus=" + cpus, "--cmdline=" + mode);
        assertEquals(HEAP_VIOLATION, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        assertTrue(r.stderr().contains("watching the GlobalAlloc"), r.toString());
        String first = r.stderr().lines().filter(l -> l.startsWith("limu: heap check:")).findFirst().orElseThrow();
        assertTrue(first.contains("heap check: " + kind), r.toString());
        assertTrue(first.contains(" in " + function + "+0x"), "location in the summary line:\n" + r);
        assertTrue(Pattern.compile("#0 0x[0-9a-f]{16} " + Pattern.quote(function) + "\\+0x[0-9a-f]+ \\(")
                .matcher(r.stderr()).find(), "the function in the backtrace:\n" + r);
        // the allocator call is inlined into the kernel's function: its chain ends at the line in the kernel's source
        assertTrue(Pattern.compile("(?m)^\\s+inlined into " + Pattern.quote(function)
                + " \\(\\S*heap-bugs/src/main\\.rs:\\d+\\)$").matcher(r.stderr()).find(),
                "the kernel's own line in an inlined-into line:\n" + r);
    }

    @Test
    void releaseBuildWithoutBugRunsClean() {
        Limu.Result r = run("heap-bugs-release.elf", "--cmdline=ok");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
    }

    /** The backtrace's file:line comes from .debug_line: the second free's line, as the source and addr2line say. */
    @Test
    void doubleFreeBacktraceNamesTheLineOfTheSecondFree() throws Exception {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=double-free");
        assertEquals(HEAP_VIOLATION, r.exitCode(), r.toString());
        java.util.List<String> source = Files.readAllLines(Limu.kernel("heap-bugs.elf").getParent().getParent()
                .resolve("heap-bugs/src/main.rs"));
        int marker = 0;
        for (int i = 0; i < source.size(); i++) {
            if (source.get(i).contains("// the second free (HeapCheckTest")) {
                marker = i + 1;
            }
        }
        assertTrue(marker > 0, "the marker comment in heap-bugs/src/main.rs");
        Matcher frame = Pattern.compile("#\\d+ 0x([0-9a-f]{16}) heap_bugs::double_free\\+0x[0-9a-f]+ "
                + "\\(heap-bugs/src/main\\.rs:(\\d+)\\)").matcher(r.stderr());
        assertTrue(frame.find(), "a double_free frame with file:line:\n" + r);
        assertEquals(marker, Integer.parseInt(frame.group(2)), r.toString());
        // binutils, where installed: addr2line on the call (the byte before the return address) agrees
        long call = Long.parseUnsignedLong(frame.group(1), 16) - 1;
        Process p;
        try {
            p = new ProcessBuilder("addr2line", "-e", Limu.kernel("heap-bugs.elf").toString(),
                    Long.toHexString(call)).redirectErrorStream(true).start();
        } catch (java.io.IOException noBinutils) {
            return;
        }
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        assertTrue(out.matches(".*heap-bugs/src/main\\.rs:" + marker + "( .*)?"), out);
    }

    @Test
    void sameKernelWithoutBugRunsClean() {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=ok");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
    }

    @Test
    void doubleFreeShowsTheBlocksHistory() {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=double-free");
        assertTrue(r.stderr().contains("allocated by call #2 on CPU 0 at heap_bugs::double_free+0x"), r.toString());
        assertTrue(r.stderr().contains("freed by call #3 on CPU 0 at heap_bugs::double_free+0x"), r.toString());
    }

    @Test
    void continueReportsAndRunsOn(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("heap.json");
        Limu.Result r = run("heap-bugs.elf", "--cmdline=overlap", "--heap-check-continue", "--heap-report=" + json);
        assertFalse(r.exitCode() == HEAP_VIOLATION, r.toString());
        assertTrue(r.stdout().contains("heap-bugs: overlap done"), r.toString());
        assertTrue(r.stderr().contains("heap check: overlapping blocks"), r.toString());
        assertTrue(r.stderr().contains("heap: 2 violations"), r.toString());   // and the drop: an invalid free
        String text = Files.readString(json);
        assertTrue(text.contains("\"kind\": \"OVERLAP\""), text);
        assertTrue(text.contains("\"kind\": \"INVALID_FREE\""), text);
    }

    @Test
    void withoutTheOptionNothingIsChecked() {
        Limu.Result r = Limu.run("run", Limu.kernel("heap-bugs.elf").toString(), "--framebuffer=none",
                "--timeout=60s", "--cmdline=double-free");
        assertFalse(r.stderr().contains("heap"), r.toString());
    }

    @Test
    void heapReportNeedsHeapCheck() {
        Limu.Result r = Limu.run("run", Limu.kernel("heap-talc.elf").toString(), "--heap-report=x.json");
        assertEquals(2, r.exitCode(), r.toString());
    }
}
