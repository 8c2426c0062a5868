// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Our kernels, booted through the command line: what they check from the inside, and how limu ends. */
class BootTest {
    private static final Pattern SUMMARY = Pattern.compile("hello: (\\d+) checks, (\\d+) failed");

    @ParameterizedTest
    @ValueSource(strings = {"hello.elf", "hello-release.elf"})
    void helloPassesEveryCheckAndExitsThroughTheDebugExitPort(String name) {
        Limu.Result r = Limu.run("run", Limu.kernel(name).toString(), "--memory", "256M", "--timeout", "30s",
                "--cmdline", "checks");
        Matcher m = SUMMARY.matcher(r.stdout());
        assertTrue(m.find(), "no summary line\n" + r);
        assertEquals("0", m.group(2), "failed checks\n" + r);
        assertTrue(Integer.parseInt(m.group(1)) >= 20, "expected the full list of checks\n" + r);
        assertFalse(r.stdout().contains("FAIL"), r.toString());
        assertTrue(r.stdout().contains("bootloader: name=\"limu\""), r.toString());
        assertTrue(r.stdout().contains("cmdline: \"checks\""), r.toString());
        assertEquals(33, r.exitCode(), "0x10 -> (0x10 << 1) | 1\n" + r);
        assertTrue(r.stderr().contains("limu: guest wrote 0x10 to the isa-debug-exit port: exit status 33"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void helloPassesWithMoreMemoryThanFitsBelow4GiB() {
        Limu.Result r = Limu.run("run", Limu.kernel("hello.elf").toString(), "--memory", "5G", "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains(", 0 failed"), r.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tutorial.elf", "tutorial-release.elf"})
    void aTutorialStyleKernelBootsUnmodifiedAndHalts(String name) {
        Limu.Result r = Limu.run("run", Limu.kernel(name).toString(), "--timeout", "30s");
        assertTrue(r.stdout().contains("Hello World!"), r.toString());
        assertEquals(0, r.exitCode(), "a hlt loop with interrupts off is a clean halt\n" + r);
        assertTrue(r.stderr().contains("all CPUs halted with interrupts disabled"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void aKernelAskingForANewerBaseRevisionIsToldItIsUnsupported() {
        Limu.Result r = Limu.run("run", Limu.kernel("future-revision.elf").toString(), "--timeout", "30s");
        assertTrue(r.stdout().contains("future-revision: supported=false loaded=6"), r.toString());
        assertEquals(33, r.exitCode(), r.toString());
    }

    @Test
    void aSpinningKernelEndsAtItsTimeout() {
        Limu.Result r = Limu.run("run", Limu.kernel("hello.elf").toString(), "--cmdline", "spin", "--timeout", "1s");
        assertTrue(r.stdout().contains("hello: spinning"), r.toString());
        assertEquals(10, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("limu: timeout after 1s; CPU 0 was at 0x"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void anUnhandledPageFaultIsReportedWithRipSymbolCr2AndRegisters() {
        Limu.Result r = Limu.run("run", Limu.kernel("hello.elf").toString(), "--cmdline", "fault", "--timeout", "30s");
        assertTrue(r.stdout().contains("hello: faulting"), r.toString());
        assertEquals(8, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("unhandled #PF page fault (vector 14) at 0xffffffff8"), r.toString());
        assertTrue(r.stderr().contains("CR2=0xffff900000000000"), r.toString());
        assertTrue(Pattern.compile("at 0xffffffff8[0-9a-f]{7} <.+\\+0x[0-9a-f]+>( \\(.+:\\d+\\))?, CR2").matcher(r.stderr()).find(),
                "the RIP is resolved to a symbol of the kernel\n" + r);
        assertTrue(r.stderr().contains("RAX="), r.toString());
        assertTrue(r.stderr().contains("CR3="), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void verboseListsTheBootPlan() {
        Limu.Result r = Limu.run("run", "-v", Limu.kernel("hello.elf").toString(), "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("limu: base revision 3 requested, 3 used (supported)"), r.toString());
        assertTrue(r.stderr().contains("EXECUTABLE_AND_MODULES"), r.toString());
    }
}
