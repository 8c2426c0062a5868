// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Exceptions and interrupts through the guest's own IDT, checked from inside the idt-* kernels. */
class IdtTest {
    private static final Pattern SUMMARY = Pattern.compile("idt-checks: (\\d+) checks, (\\d+) failed");

    @ParameterizedTest
    @ValueSource(strings = {"idt-checks.elf", "idt-checks-release.elf"})
    void everyDeliveryCheckPassesFromInsideTheGuest(String name) {
        Limu.Result r = Limu.run("run", Limu.kernel(name).toString(), "--timeout", "30s");
        Matcher m = SUMMARY.matcher(r.stdout());
        assertTrue(m.find(), "no summary line\n" + r);
        assertEquals("0", m.group(2), "failed checks\n" + r);
        assertTrue(Integer.parseInt(m.group(1)) >= 50, r.toString());
        assertFalse(r.stdout().contains("FAIL"), r.toString());
        for (String check : new String[] {"int3 handled and resumed after it", "#PF reserved bit set: error 0x9",
            "#DF handler on its IST1 stack", "ring 3 -> 0: stack switch to TSS.RSP0, user RSP in the frame",
            "sysretq back to ring 3 with the result in RAX", "#GP(0) on RDMSR of an unknown MSR"}) {
            assertTrue(r.stdout().contains("ok: " + check), check + "\n" + r);
        }
        assertEquals(33, r.exitCode(), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void aTripleFaultStopsTheMachineWithTheExceptionChain() {
        Limu.Result r = Limu.run("run", Limu.kernel("idt-checks.elf").toString(), "--cmdline", "triple",
                "--timeout", "30s");
        assertTrue(r.stdout().contains("idt-checks: triple fault ahead"), r.toString());
        assertFalse(r.stdout().contains("still running"), r.toString());
        assertEquals(8, r.exitCode(), "a triple fault is a guest crash\n" + r);
        assertTrue(r.stderr().contains("limu: CPU 0: triple fault after unhandled #PF page fault (vector 14) at 0xffffffff8"),
                r.toString());
        assertTrue(r.stderr().contains("(#PF -> #NP -> #DF -> #NP -> shutdown)"), r.toString());
        assertTrue(r.stderr().contains("CR2=0xffff900000000000, error code 0x2 (not present, write, supervisor)"),
                r.toString());
        assertTrue(r.stderr().contains("not delivered: IDT entry 14 is not present"), r.toString());
        assertTrue(r.stderr().contains("error code 0x73 (IDT vector 0xe, external)"), r.toString());
        assertTrue(r.stderr().contains("not delivered: IDT entry 8 is not present"), r.toString());
        assertTrue(Pattern.compile("at 0xffffffff8[0-9a-f]{7} <.+\\+0x[0-9a-f]+>").matcher(r.stderr()).find(),
                "RIP resolved to a kernel symbol\n" + r);
        assertTrue(r.stderr().contains("registers at the first exception:"), r.toString());
        assertTrue(r.stderr().contains("IDT=ffffffff8"), "the kernel's own IDT in the dump\n" + r);
        r.assertNoStackTrace();
    }

    @ParameterizedTest
    @ValueSource(strings = {"idt-tutorial.elf", "idt-tutorial-release.elf"})
    void aTutorialStyleKernelHandlesItsBreakpointAndReportsItsPageFault(String name) {
        Limu.Result r = Limu.run("run", Limu.kernel(name).toString(), "--timeout", "30s");
        String out = r.stdout();
        assertTrue(out.contains("EXCEPTION: BREAKPOINT\r\nInterruptStackFrame {"), r.toString());
        assertTrue(out.contains("It did not crash!\r\n"), r.toString());
        assertTrue(out.contains("EXCEPTION: PAGE FAULT\r\nAccessed Address: Ok(VirtAddr(0xdeadbeef000))\r\n"
                + "Error Code: PageFaultErrorCode(CAUSED_BY_WRITE)\r\n"), r.toString());
        assertFalse(out.contains("FAIL"), r.toString());
        assertEquals(0, r.exitCode(), "the page-fault handler halts with interrupts off\n" + r);
        r.assertNoStackTrace();
    }
}
