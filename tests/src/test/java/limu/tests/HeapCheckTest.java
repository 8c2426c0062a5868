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

/** {@code --heap-check} (issue 6) on the heap-talc and heap-bugs kernels. */
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
