// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static limu.junit.LimuAssertions.assertPassed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import limu.emulator.harness.KernelRun;
import org.junit.jupiter.api.Test;

/**
 * The same SMP, timer-driven kernel (platform: 4 CPUs, HPET/APIC timers,
 * IPIs, the RTC) run 20 times gives the same serial output and the same
 * final instruction and block counts and virtual time, even with the runs
 * spread over threads of one busy JVM: time is virtual.
 */
class HarnessDeterminismTest {
    static final int RUNS = 20;

    @Test
    void platformWithFourCpusTwentyTimes() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        List<KernelRun> runs = new ArrayList<>();
        try {
            List<Future<KernelRun>> futures = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                futures.add(pool.submit(() -> LimuMachine.kernel(HarnessApiTest.kernel("platform.elf")).cpus(4)
                        .date(1767225600L).countInstructions().successExitCode(33).failOn("^FAIL").run()));
            }
            for (Future<KernelRun> f : futures) {
                runs.add(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        KernelRun first = runs.get(0);
        assertPassed(first);
        assertTrue(first.instructions() > 1_000_000, "instructions counted: " + first.instructions());
        for (int i = 1; i < RUNS; i++) {
            KernelRun r = runs.get(i);
            assertPassed(r);
            assertEquals(first.serial(), r.serial(), "run " + i + ": serial output");
            assertEquals(first.instructions(), r.instructions(), "run " + i + ": instructions");
            assertEquals(first.blocks(), r.blocks(), "run " + i + ": blocks");
            assertEquals(first.virtualNanos(), r.virtualNanos(), "run " + i + ": virtual time");
        }
        System.out.printf("platform --cpus 4 x %d: %d instructions, %d blocks, %d virtual ns each; serial %d bytes%n",
                RUNS, first.instructions(), first.blocks(), first.virtualNanos(), first.serial().length());
    }
}
