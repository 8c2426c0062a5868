// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code limu test --heap-check}: the double-free kernel (dev and release builds), which passes a plain
 * {@code limu test}, fails with exit code 18 on its line and a JUnit XML failure carrying the whole
 * report; a healthy heap kernel passes beside it, each with its JSON report.
 */
class HeapTestCommandTest {
    private static final List<String> PASSING_SPEC = List.of("--success-exit-code", "33", "--halt-is-success",
            "--cmdline", "double-free", "--framebuffer", "none", "--timeout", "120s", "-j", "2");

    private static Limu.Result test(Path dir, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("test"));
        args.addAll(PASSING_SPEC);
        args.addAll(List.of("--log-dir", dir.resolve("logs").toString()));
        args.addAll(List.of(extra));
        args.add(Limu.kernel("heap-bugs.elf").toString());
        args.add(Limu.kernel("heap-bugs-release.elf").toString());
        args.add(Limu.kernel("heap-talc.elf").toString());
        return Limu.run(args.toArray(String[]::new));
    }

    @Test
    void aDoubleFreeFailsItsKernelWithExit18AndAJUnitFailureHoldingTheReport(@TempDir Path dir) throws IOException {
        Limu.Result unchecked = test(dir);
        // the release build has no debug assertions in talc: nothing notices the second free
        assertTrue(unchecked.stdout().matches("(?s).*PASS .*heap-bugs-release\\.elf .*passed: guest exit status 33.*"),
                "without --heap-check the double free goes unnoticed\n" + unchecked);

        Path xml = dir.resolve("report.xml");
        Path json = dir.resolve("heap");
        Limu.Result r = test(dir, "--heap-check", "--junit-xml", xml.toString(), "--heap-report-dir", json.toString());
        assertEquals(28, r.exitCode(), r.toString());
        for (String kernel : new String[] {"heap-bugs", "heap-bugs-release"}) {
            assertTrue(r.stdout().matches("(?s).*FAIL .*" + kernel + "\\.elf .*exit 18: FAILED: heap check: double free"
                    + " on CPU 0 in heap_bugs::double_free\\+0x.*"), r.toString());
        }
        assertTrue(r.stdout().matches("(?s).*PASS .*heap-talc\\.elf .*"), r.toString());
        assertTrue(r.stdout().contains("limu test: 1 passed, 2 failed, 3 kernels"), r.toString());

        String report = Files.readString(xml);
        assertTrue(report.contains("tests=\"3\" failures=\"2\""), report);
        for (String kernel : new String[] {"heap-bugs", "heap-bugs-release"}) {
            Matcher failure = Pattern.compile("classname=\"limu\\.test\\." + kernel + "\" [^>]*>\\s*<failure message=\""
                    + "([^\"]*)\" type=\"exit 18\">([^<]*)</failure>", Pattern.DOTALL).matcher(report);
            assertTrue(failure.find(), kernel + "\n" + report);
            assertTrue(failure.group(1).startsWith("heap check: double free on CPU 0 in heap_bugs::double_free+0x"),
                    "the message is the violation's first line: " + failure.group(1));
            String text = failure.group(2);
            assertTrue(text.startsWith(failure.group(1) + "\n"), text);
            assertTrue(text.contains("the block was already freed"), text);
            assertTrue(text.contains("freed by call #"), text);
            assertTrue(text.contains("backtrace"), text);
            if (kernel.endsWith("release")) {
                // the frees inlined into the kernel's function: the chain ends at the line in its own source
                assertTrue(Pattern.compile("(?m)^\\s+inlined into heap_bugs::double_free \\(\\S*heap-bugs/src/main\\.rs:"
                        + "\\d+\\)$").matcher(text).find(), text);
            } else {
                assertTrue(Pattern.compile("(?m)^\\s+#\\d+ 0x\\p{XDigit}+ heap_bugs::double_free\\+0x\\p{XDigit}+ "
                        + "\\(\\S*heap-bugs/src/main\\.rs:\\d+\\)$").matcher(text).find(), text);
            }
        }

        String bugs = Files.readString(json.resolve("heap-bugs.json"));
        assertTrue(bugs.contains("\"kind\": \"DOUBLE_FREE\""), bugs);
        String talc = Files.readString(json.resolve("heap-talc.json"));
        assertTrue(talc.contains("\"violations\": []"), talc);
        assertTrue(Pattern.compile("\"__rust_alloc\": [1-9]").matcher(talc).find(), talc);
    }

    @Test
    void aReportDirectoryNeedsHeapChecking(@TempDir Path dir) {
        Limu.Result r = test(dir, "--heap-report-dir", dir.resolve("heap").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("--heap-report-dir needs --heap-check"), r.toString());
    }

    @Test
    void aKernelRightAfterABareHeapCheckIsTheKernelNotItsMode() {
        // cargo's runner appends the kernel: a runner ending in --heap-check must still name it
        Limu.Result r = Limu.run("run", "--framebuffer", "none", "--cmdline", "double-free", "--heap-check",
                Limu.kernel("heap-bugs-release.elf").toString());
        assertEquals(18, r.exitCode(), r.toString());
        Limu.Result bad = Limu.run("run", "--heap-check", "bogus", Limu.kernel("heap-bugs-release.elf").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("--heap-check=bogus: expected on, deep or strict"), bad.toString());
    }
}
