// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `limu run` as a test: exit semantics, --expect, --expect-file, --fail-on and --junit-xml. */
class HarnessCliTest {
    private static String hello() {
        return Limu.kernel("hello.elf").toString();
    }

    @Test
    void theSuccessStatusExitsZeroAndAnyOtherStatusTwenty() {
        Limu.Result ok = Limu.run("run", hello(), "--success-exit-code", "33", "--timeout", "30s");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stderr().contains("limu: passed: guest exit status 33"), ok.toString());
        Limu.Result wrong = Limu.run("run", hello(), "--success-exit-code", "35", "--timeout", "30s");
        assertEquals(20, wrong.exitCode(), wrong.toString());
        assertTrue(wrong.stderr().contains("FAILED: guest exit status 33, not the success status 35"), wrong.toString());
        wrong.assertNoStackTrace();
    }

    @Test
    void aHaltWithoutTheExitPortFailsUnlessHaltIsSuccess() {
        String tutorial = Limu.kernel("tutorial.elf").toString();
        Limu.Result halted = Limu.run("run", tutorial, "--success-exit-code", "33", "--timeout", "30s");
        assertEquals(22, halted.exitCode(), halted.toString());
        assertTrue(halted.stderr().contains("without writing the isa-debug-exit port"), halted.toString());
        Limu.Result ok = Limu.run("run", tutorial, "--success-exit-code", "33", "--halt-is-success", "--timeout", "30s");
        assertEquals(0, ok.exitCode(), ok.toString());
    }

    @Test
    void aTimeoutKeepsItsCodeAndSaysWhatWasAwaited() {
        Limu.Result r = Limu.run("run", Limu.kernel("smp.elf").toString(), "--cpus", "4", "--success-exit-code",
                "33", "--expect", "never printed", "--timeout", "300ms");
        assertEquals(10, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("still waiting for --expect 'never printed'"), r.toString());
    }

    @Test
    void expectationsMustMatchInOrderAndStopTheRunOnceMet() {
        Limu.Result ok = Limu.run("run", hello(), "--expect", "bootloader info", "--expect", "hhdm offset",
                "--timeout", "30s");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stderr().contains("passed: every --expect matched"), ok.toString());
        assertFalse(ok.stdout().contains("checks, 0 failed"), "stopped as soon as the outcome was known\n" + ok);
        Limu.Result reversed = Limu.run("run", hello(), "--expect", "hhdm offset", "--expect", "bootloader info",
                "--timeout", "30s");
        assertEquals(24, reversed.exitCode(), reversed.toString());
        assertTrue(reversed.stderr().contains("before --expect 'bootloader info' (2 of 2)"), reversed.toString());
    }

    @Test
    void aFailOnLineFailsAndStopsAtOnce() {
        Limu.Result r = Limu.run("run", hello(), "--success-exit-code", "33", "--fail-on", "^ok: hhdm", "--timeout",
                "30s");
        assertEquals(26, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("matches --fail-on '^ok: hhdm': ok: hhdm offset"), r.toString());
        // it runs on for at most 10 lines (a panic message's own lines), not to the end
        long after = r.stdout().lines().dropWhile(l -> !l.equals("ok: hhdm offset")).count() - 1;
        assertTrue(after >= 0 && after <= 10, after + " lines after the failing one\n" + r);
        assertFalse(r.stdout().contains("checks, 0 failed"), r.toString());
    }

    @Test
    void anExpectFileWithPlaceholders(@TempDir Path dir) throws IOException {
        Limu.Result plain = Limu.run("run", hello(), "--date", "1700000000", "--timeout", "30s");
        Path file = dir.resolve("hello.expected");
        Files.writeString(file, plain.stdout().replaceAll("0x[0-9a-f]+", "{hex}").replace("1700000000", "{num}"));
        Limu.Result ok = Limu.run("run", hello(), "--success-exit-code", "33", "--expect-file", file.toString(),
                "--timeout", "30s");
        assertEquals(0, ok.exitCode(), ok.toString());
        Files.writeString(file, "ok: base revision {num} supported\n{...}\nhello: {num} checks, 0 failed\n");
        ok = Limu.run("run", hello(), "--success-exit-code", "33", "--expect-file", file.toString());
        assertEquals(0, ok.exitCode(), ok.toString());
        Files.writeString(file, "ok: base revision {num} supported\nok: something else\n{...}\n");
        Limu.Result bad = Limu.run("run", hello(), "--success-exit-code", "33", "--expect-file", file.toString());
        assertEquals(24, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("line 2: expected 'ok: something else', serial line 2 was"), bad.toString());
    }

    @Test
    void aJUnitReportForOneRun(@TempDir Path dir) throws IOException {
        Path xml = dir.resolve("report.xml");
        Limu.Result r = Limu.run("run", hello(), "--success-exit-code", "35", "--junit-xml", xml.toString());
        assertEquals(20, r.exitCode(), r.toString());
        String text = Files.readString(xml);
        assertTrue(text.contains("<testsuite name=\"limu\" tests=\"1\" failures=\"1\""), text);
        assertTrue(text.contains("<testcase name=\"hello.elf\""), text);
        assertTrue(text.contains("<failure message=\"FAILED: guest exit status 33"), text);
        assertTrue(text.contains("<system-out>ok: base revision"), text);
    }
}
