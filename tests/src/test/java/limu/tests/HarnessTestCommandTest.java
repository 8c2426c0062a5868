// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `limu test`: many kernels in parallel, a line each, a summary, logs and a JUnit XML report. */
class HarnessTestCommandTest {
    @Test
    void aDirectoryOfKernels(@TempDir Path dir) throws IOException {
        for (String k : new String[] {"hello.elf", "smp.elf", "idt-checks.elf", "tutorial.elf"}) {
            Files.copy(Limu.kernel(k), dir.resolve(k));
        }
        Path xml = dir.resolve("report.xml");
        Path logs = dir.resolve("logs");
        Limu.Result r = Limu.run("test", "--success-exit-code", "33", "--cpus", "2", "-j", "4", "--junit-xml",
                xml.toString(), "--log-dir", logs.toString(), dir.resolve("hello.elf").toString(),
                dir.resolve("smp.elf").toString(), dir.resolve("idt-checks.elf").toString(),
                dir.resolve("tutorial.elf").toString());
        assertEquals(28, r.exitCode(), "tutorial halts without the exit port\n" + r);
        assertTrue(r.stdout().matches("(?s).*PASS .*hello\\.elf .*passed: guest exit status 33.*"), r.toString());
        assertTrue(r.stdout().matches("(?s).*PASS .*smp\\.elf .*"), r.toString());
        assertTrue(r.stdout().matches("(?s).*FAIL .*tutorial\\.elf .*exit 22: FAILED: all CPUs halted.*"), r.toString());
        assertTrue(r.stdout().contains("limu test: 3 passed, 1 failed, 4 kernels in"), r.toString());
        assertTrue(Files.readString(logs.resolve("hello.log")).contains("hello: 44 checks, 0 failed"));
        assertTrue(Files.readString(logs.resolve("tutorial.log")).contains("Hello World!"));
        String report = Files.readString(xml);
        assertTrue(report.contains("tests=\"4\" failures=\"1\""), report);
        assertTrue(report.contains("classname=\"limu.test.tutorial\""), report);
        assertTrue(report.contains("<failure message=\"FAILED: all CPUs halted"), report);

        Limu.Result ok = Limu.run("test", "--success-exit-code", "33", "--halt-is-success", "--log-dir",
                logs.toString(), dir.resolve("hello.elf").toString(), dir.resolve("tutorial.elf").toString());
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stdout().contains("limu test: 2 passed, 0 failed"), ok.toString());
    }
}
