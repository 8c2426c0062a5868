// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interrupt-driven uart-irq kernel through the command line: {@code --serial-input} feeds COM1 as the
 * kernel's receive interrupts empty its FIFO, far more than one FIFO's worth, and none is lost.
 */
class SerialInterruptTest {
    @TempDir
    Path tmp;

    @Test
    void everyLineOfALongInputIsEchoedInOrderByTheInterruptDrivenKernel() throws Exception {
        StringBuilder input = new StringBuilder();
        StringBuilder expected = new StringBuilder("uart-irq: ready\n");
        for (int i = 0; i < 40; i++) {
            input.append("line ").append(i).append(" of the input\n");
            expected.append("echo: line ").append(i).append(" of the input\n");
        }
        input.append("quit\n");
        expected.append("echo: quit\n");
        Path file = Files.writeString(tmp.resolve("input.txt"), input, StandardCharsets.US_ASCII);

        Limu.Result r = Limu.run("run", Limu.kernel("uart-irq.elf").toString(), "--serial-input", file.toString(),
                "--success-exit-code", "33", "--timeout", "60s");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().startsWith(expected.toString()), r.toString());
        Matcher m = Pattern.compile("irqs: (\\d+) rx (\\d+) tx (\\d+)").matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        // 40 lines of ~20 bytes through a 16-byte FIFO: many receive interrupts, never one per byte read by polling
        assertTrue(Long.parseLong(m.group(2)) >= input.length() / 16, r.stdout());
        assertTrue(Long.parseLong(m.group(3)) >= expected.length() / 16, r.stdout());
        r.assertNoStackTrace();
    }

    @Test
    void missingInputFileIsAUsageError() {
        Limu.Result r = Limu.run("run", Limu.kernel("uart-irq.elf").toString(), "--serial-input",
                tmp.resolve("absent.txt").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().startsWith("limu: --serial-input "), r.stderr());
    }
}
