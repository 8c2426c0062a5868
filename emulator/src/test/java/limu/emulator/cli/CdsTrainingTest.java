// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import org.junit.jupiter.api.Test;

/** The class-data-sharing training boots a real kernel: its tiny kernel prints and exits as it says. */
class CdsTrainingTest {
    @Test
    void tinyKernelPrintsOkAndExitsThroughTheDebugExitPort() throws Exception {
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        try (Machine m = Machine.boot(MachineConfig.defaults(serial), CdsTraining.tinyKernel(), "tiny.elf")) {
            assertEquals(CdsTraining.KERNEL_BASE, m.plan().bsp().rip());
            StopReason r = m.run();
            m.flushSerial();
            StopReason.GuestExit exit = assertInstanceOf(StopReason.GuestExit.class, r, r.message());
            assertEquals(0x10, exit.value());
            assertEquals(CdsTraining.TINY_KERNEL_EXIT, exit.status());
        }
        assertEquals("ok\n", serial.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void runTimingsNameEveryPhaseInOrderAndReadBack() throws Exception {
        java.nio.file.Path kernel = java.nio.file.Files.createTempFile("tiny", ".elf");
        java.io.PrintStream stdout = System.out;
        java.io.PrintStream stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            java.nio.file.Files.write(kernel, CdsTraining.tinyKernel());
            System.setOut(new java.io.PrintStream(new ByteArrayOutputStream(), true));
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute("run", kernel.toString(), "--timings");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
            java.nio.file.Files.deleteIfExists(kernel);
        }
        assertEquals(CdsTraining.TINY_KERNEL_EXIT, code, err.toString(StandardCharsets.UTF_8));
        java.util.List<StartupTimings.Phase> phases = err.toString(StandardCharsets.UTF_8).lines()
                .map(StartupTimings::parse).flatMap(java.util.Optional::stream).toList();
        assertEquals(java.util.List.of("process start to main (launcher, JVM)", "option parsing", "Unicorn load",
                "ELF parse + boot plan", "machine set-up", "other set-up", "process start to first guest instruction",
                "run", "exit (verdict, reports, machine closed)"),
                phases.stream().map(StartupTimings.Phase::name).toList());
        double toFirst = phases.get(6).millis();
        double parts = phases.subList(0, 6).stream().mapToDouble(StartupTimings.Phase::millis).sum();
        // the phases before the first instruction add up to it (each printed to 0.01 ms)
        assertEquals(parts, toFirst, 0.1);
        for (StartupTimings.Phase p : phases) {
            org.junit.jupiter.api.Assertions.assertTrue(p.millis() >= 0, p.toString());
        }
    }
}
