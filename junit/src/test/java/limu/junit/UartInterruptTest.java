// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static limu.junit.LimuAssertions.assertPassed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import limu.emulator.harness.KernelRun;
import limu.emulator.harness.SharedBoot;
import org.junit.jupiter.api.Test;

/**
 * The uart-irq kernel receives and sends only from its COM1 interrupt handler (IRQ 4 through the 8259): input
 * handed to the machine through the API reaches it by interrupt, and its echo leaves by THR-empty interrupts.
 */
class UartInterruptTest {
    private static final Pattern COUNTS = Pattern.compile("irqs: (\\d+) rx (\\d+) tx (\\d+)");

    private static LimuMachine uartIrq() {
        return LimuMachine.kernel(HarnessApiTest.kernel("uart-irq.elf")).memory("64M").successExitCode(33)
                .failOn("FAIL");
    }

    @Test
    void inputSentAtTheMarkerIsReceivedAndEchoedByInterrupts() throws Exception {
        try (SharedBoot boot = uartIrq().bootOnce()) {
            assertEquals("uart-irq: ready\n", boot.bootLog());
            for (String word : new String[] {"hi", "second"}) {
                KernelRun r = boot.restoreAndRun(word + "\nquit\n");
                assertPassed(r);
                assertTrue(r.serial().startsWith("echo: " + word + "\necho: quit\nirqs: "), r.serial());
                Matcher m = COUNTS.matcher(r.serial());
                assertTrue(m.find(), r.serial());
                long irqs = Long.parseLong(m.group(1)); // handler entries; an edge latched while in service may find nothing left
                long rx = Long.parseLong(m.group(2));
                long tx = Long.parseLong(m.group(3));
                assertTrue(rx >= 1, "the input arrived by interrupt: " + r.serial());
                // "echo: hi\necho: quit\n" and the ready line: more than one FIFO's worth
                assertTrue(tx >= 3, "output left by THR-empty interrupts: " + r.serial());
                assertTrue(irqs >= 2, r.serial());
            }
        }
    }

    @Test
    void withoutInputTheKernelWaitsHaltedAndTheRunEndsHalted() throws Exception {
        KernelRun r = uartIrq().haltIsSuccess().run();
        assertPassed(r);
        assertEquals("uart-irq: ready\n", r.serial(), "nothing echoed, no count: no byte came by polling");
    }
}
