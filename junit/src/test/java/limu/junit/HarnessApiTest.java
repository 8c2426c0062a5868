// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static limu.junit.LimuAssertions.assertExitCode;
import static limu.junit.LimuAssertions.assertPassed;
import static limu.junit.LimuAssertions.assertPixel;
import static limu.junit.LimuAssertions.assertSerialContains;
import static limu.junit.LimuAssertions.assertSerialMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import limu.emulator.harness.KernelRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.opentest4j.AssertionFailedError;

/** The JUnit API: kernels booted in-process, assertions on serial, exit status and pixels, parallel machines. */
class HarnessApiTest {
    static final Path OUT = Path.of(System.getProperty("limu.home", "..")).resolve("kernel-images/out");

    static Path kernel(String name) {
        return OUT.resolve(name);
    }

    @Test
    void aKernelPassesAndItsSerialOutputIsThere() throws Exception {
        KernelRun r = LimuMachine.kernel(kernel("hello.elf")).successExitCode(33).failOn("^FAIL").run();
        assertPassed(r);
        assertExitCode(0, r);
        assertSerialContains(r, "bootloader: name=\"limu\"");
        assertSerialMatches(r, "^hello: \\d+ checks, 0 failed$");
        assertTrue(r.blocks() > 0 && r.virtualNanos() > 0, r.toString());
    }

    @Test
    void aFailingRunSaysWhyWithTheSerialTail() throws Exception {
        KernelRun r = LimuMachine.kernel(kernel("hello.elf")).successExitCode(35).run();
        assertFalse(r.passed());
        assertExitCode(20, r);
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> assertPassed(r));
        assertTrue(e.getMessage().contains("guest exit status 33, not the success status 35"), e.getMessage());
        assertTrue(e.getMessage().contains("hello: 44 checks, 0 failed"), e.getMessage());
    }

    @Test
    void framebufferPixels() throws Exception {
        KernelRun r = LimuMachine.kernel(kernel("framebuffer.elf")).framebuffer("640x480").successExitCode(33).run();
        assertPassed(r);
        assertPixel(r, 0, 0, 0xffffff);               // the white border
        int x = 100, y = 50;                           // R = x*255/(W-1), G = y*255/(H-1), B = (x^y)&0xff
        assertPixel(r, x, y, (x * 255 / 639) << 16 | (y * 255 / 479) << 8 | (x ^ y) & 0xff);
        assertThrows(AssertionFailedError.class, () -> assertPixel(r, 0, 0, 0));
    }

    @ParameterizedTest
    @KernelFiles(dir = "kernel-images/out", glob = "{hello,modules,idt-checks,smp,gdb-target}{,-release}.elf")
    void everyKernelOfAGlobPasses(Path kernel) throws Exception {
        assertPassed(LimuMachine.kernel(kernel).cpus(2).successExitCode(33).failOn("FAIL").run());
    }

    @Test
    void machinesRunInParallelThreadsAndGiveTheSameResultsAsAlone() throws Exception {
        List<String> names = List.of("hello.elf", "smp.elf", "idt-checks.elf", "modules.elf", "hello-release.elf",
                "smp-release.elf", "platform.elf", "acpi-x2apic.elf");
        List<KernelRun> alone = new ArrayList<>();
        for (String n : names) {
            alone.add(LimuMachine.kernel(kernel(n)).cpus(2).successExitCode(33).run());
        }
        ExecutorService pool = Executors.newFixedThreadPool(names.size());
        try {
            List<Future<KernelRun>> together = new ArrayList<>();
            for (String n : names) {
                together.add(pool.submit(() -> LimuMachine.kernel(kernel(n)).cpus(2).successExitCode(33).run()));
            }
            for (int i = 0; i < names.size(); i++) {
                KernelRun a = alone.get(i);
                KernelRun t = together.get(i).get();
                assertPassed(a);
                assertPassed(t);
                assertEquals(a.serial(), t.serial(), names.get(i));
                assertEquals(a.blocks(), t.blocks(), names.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
