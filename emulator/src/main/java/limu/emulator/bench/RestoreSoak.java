// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import limu.bootloader.BootException;
import limu.emulator.MachineConfig;
import limu.emulator.harness.KernelRun;
import limu.emulator.harness.SharedBoot;
import limu.emulator.harness.TestSpec;

/**
 * A long run of snapshot restores in one JVM: the suite kernel booted once to its snapshot marker,
 * then restored {@code count} times, each restore running one of its 20 tests to the end. One line
 * per restore ({@code restore N: passed}) so that a watcher outside the JVM ({@code scripts/soak.sh})
 * can pair its samples of the process's memory, file descriptors and threads with the count done.
 */
public final class RestoreSoak {
    private RestoreSoak() {
    }

    /** Runs the soak; returns how many restores failed. */
    public static int run(Path suiteKernel, int count, PrintStream out) throws BootException {
        MachineConfig config = KernelRun.testConfig(Duration.ofSeconds(120)).memoryBytes(64L << 20).build();
        TestSpec spec = TestSpec.NONE.withSuccessExitCode(33);
        int failed = 0;
        try (SharedBoot shared = SharedBoot.boot(suiteKernel, config, spec)) {
            out.printf("restore soak: %s booted to its snapshot marker in %.2f s%n", suiteKernel,
                    shared.bootSeconds());
            for (int i = 1; i <= count; i++) {
                KernelRun r = shared.restoreAndRun((i % 20) + "\n");
                if (!r.passed()) {
                    failed++;
                }
                out.printf("restore %d: %s%n", i, r.passed() ? "passed" : "FAILED " + r.verdict().message());
                out.flush();
            }
        }
        out.printf("restore soak: %d restores, %d failed%n", count, failed);
        return failed;
    }
}
