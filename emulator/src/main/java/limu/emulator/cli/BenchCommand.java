package limu.emulator.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import limu.bootloader.BootException;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import limu.emulator.bench.EngineBench;
import limu.emulator.bench.PagingSpeed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code limu bench}: prints boot latency, guest speed and port-write cost, with references measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure limu on the bundled kernels and print the figures (no pass/fail):",
            "  - process start to first serial byte and to exit, for the hello kernel (fresh JVM each run)",
            "  - boot-to-exit inside a warm JVM",
            "  - guest instructions per second on the hello kernel's compute loop, next to a bare Unicorn loop",
            "  - limu's page walk against Unicorn's own MMU: the hello kernel's register and stack loops,",
            "    the chapter kernel's boot, a bare store loop on an executable page",
            "  - the cost of one guest port write reaching a Java device, next to a write nobody handles in Java",
            "  - the cost of delivering one exception (int3) through the guest's IDT and returning with iretq"})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--kernels", paramLabel = "DIR", defaultValue = "kernel-images/out",
            description = "where the built kernels are (default: ${DEFAULT-VALUE})")
    Path kernels;

    @Option(names = "--runs", defaultValue = "5", description = "repetitions of each timing (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--compute-iterations", defaultValue = "20000000",
            description = "iterations of the hello kernel's compute loop in the release build; the dev build"
                    + " runs a tenth of them (default: ${DEFAULT-VALUE})")
    long iterations;

    @Option(names = "--snapshot-only", description = "only the snapshot suite figure")
    boolean snapshotOnly;

    @Override
    public Integer call() throws Exception {
        if (snapshotOnly) {
            snapshotSuite();
            return 0;
        }
        Path hello = kernels.resolve("hello.elf");
        if (!Files.isRegularFile(hello)) {
            System.err.println("limu: " + hello + " not found: build the kernels with kernel-images/build.sh");
            return 4;
        }
        System.out.printf("limu bench: %d runs each, kernels from %s%n%n", runs, kernels);
        processLatency(hello);
        warmBoot(hello);
        // the dev build runs about 12x more instructions per iteration: a tenth of the loop keeps it short
        computeSpeed(kernels.resolve("hello.elf"), "dev", iterations / 10);
        Path release = kernels.resolve("hello-release.elf");
        if (Files.isRegularFile(release)) {
            computeSpeed(release, "release", iterations);
        }
        new PagingSpeed(kernels, runs, iterations).print();
        virtualSeconds();
        bareLoop();
        portWrites();
        exceptionDelivery();
        snapshotSuite();
        return 0;
    }

    /**
     * Snapshots: the suite kernel's 20 tests run as 20 full boots, then as one boot to the
     * snapshot marker and 20 restores (the boot counted in); prints both and the ratio.
     */
    private void snapshotSuite() throws Exception {
        Path suite = kernels.resolve("suite-release.elf");
        if (!Files.isRegularFile(suite)) {
            System.out.println("\nsnapshot suite: " + suite + " not built, skipped");
            return;
        }
        int tests = 20;
        MachineConfig config = limu.emulator.harness.KernelRun.testConfig(java.time.Duration.ofSeconds(120))
                .memoryBytes(64L << 20).build();
        limu.emulator.harness.TestSpec spec = limu.emulator.harness.TestSpec.NONE.withSuccessExitCode(33);
        limu.emulator.harness.SharedBoot.runFresh(suite, config, spec, "0\n");   // warm-up
        long t0 = System.nanoTime();
        int passed = 0;
        for (int i = 0; i < tests; i++) {
            passed += limu.emulator.harness.SharedBoot.runFresh(suite, config, spec, i + "\n").passed() ? 1 : 0;
        }
        double boots = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        double restoreOnly;
        long rewritten = 0;
        try (limu.emulator.harness.SharedBoot shared = limu.emulator.harness.SharedBoot.boot(suite, config, spec)) {
            long t2 = System.nanoTime();
            for (int i = 0; i < tests; i++) {
                passed += shared.restoreAndRun(i + "\n").passed() ? 1 : 0;
            }
            restoreOnly = (System.nanoTime() - t2) / 1e6 / tests;
        }
        double snap = (System.nanoTime() - t1) / 1e6;
        System.out.printf("%nsnapshot suite (suite kernel, %d tests, 64 MiB RAM, %d/%d passed):%n", tests, passed,
                2 * tests);
        System.out.printf("  %d full boots %.0f ms; one boot + snapshot + %d restores %.0f ms (%.1f ms per"
                + " restore+test) -> %.1fx faster%n", tests, boots, tests, snap, restoreOnly, boots / snap);
    }

    /** Fresh `java ... limu run hello.elf` processes: spawn to first stdout byte, and to exit. */
    private void processLatency(Path hello) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "-Dlimu.home=" + System.getProperty("limu.home", "."),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", hello.toString());
        double[] first = new double[runs];
        double[] exit = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream out = p.getInputStream()) {
                int b = out.read();
                first[i] = ms(System.nanoTime() - t0);
                out.transferTo(OutputStream.nullOutputStream());
                p.waitFor();
                exit[i] = ms(System.nanoTime() - t0);
                if (b < 0 || p.exitValue() != 33) {
                    System.out.println("  (hello did not pass: exit " + p.exitValue() + ")");
                }
            }
        }
        System.out.println("hello kernel, a new JVM per run (process start -> ...):");
        System.out.printf("  first serial byte   median %7.1f ms  min %7.1f ms%n", median(first), min(first));
        System.out.printf("  process exit        median %7.1f ms  min %7.1f ms%n%n", median(exit), min(exit));
    }

    /** Boot and run inside this JVM, after a warm-up: the cost of the machine itself. */
    private void warmBoot(Path hello) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(hello);
        double[] t = new double[runs];
        for (int i = -1; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Machine m = Machine.boot(MachineConfig.defaults(OutputStream.nullOutputStream()), elf, "hello.elf")) {
                m.run();
            }
            if (i >= 0) {
                t[i] = ms(System.nanoTime() - t0);
            }
        }
        System.out.printf("hello kernel, boot to exit in a warm JVM: median %.2f ms  min %.2f ms%n%n", median(t), min(t));
    }

    /** Instructions counted in one run (with the counting hook), time taken in another (without it). */
    private void computeSpeed(Path kernel, String profile, long iterations) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(kernel);
        MachineConfig base = MachineConfig.builder(OutputStream.nullOutputStream()).cmdline("compute " + iterations)
                .build();
        long instructions;
        try (Machine m = Machine.boot(base.toBuilder().countInstructions(true).build(), elf, kernel.toString())) {
            StopReason r = m.run();
            if (!(r instanceof StopReason.GuestExit)) {
                System.out.println("  compute run ended unexpectedly: " + r.message());
                return;
            }
            instructions = m.instructions();
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Machine m = Machine.boot(base, elf, kernel.toString())) {
                m.run();
            }
            t[i] = ms(System.nanoTime() - t0);
        }
        double med = median(t);
        System.out.printf("hello compute loop (%s build, %,d iterations): %,d guest instructions%n", profile,
                iterations, instructions);
        System.out.printf("  boot+run median %.1f ms -> %,.0f million instructions/s%n%n", med,
                instructions / med / 1000.0);
    }

    /**
     * Host time per virtual second: idle (the acpi-x2apic kernel sleeping in hlt
     * between 1 kHz local APIC timer interrupts) and busy (the hello compute loop).
     */
    private void virtualSeconds() throws IOException, BootException {
        System.out.println("host time per virtual second (virtual time: 4 ns per translation block):");
        Path idle = kernels.resolve("acpi-x2apic-release.elf");
        if (Files.isRegularFile(idle)) {
            perVirtualSecond(idle, "", "idle, 1 kHz LAPIC timer, hlt between interrupts");
        }
        Path busy = kernels.resolve("hello-release.elf");
        if (Files.isRegularFile(busy)) {
            perVirtualSecond(busy, "compute " + iterations, "busy, compute loop, no interrupts");
        }
        System.out.println();
    }

    private void perVirtualSecond(Path kernel, String cmdline, String what) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(kernel);
        double[] ratio = new double[runs];
        long virtual = 0;
        for (int i = 0; i < runs; i++) {
            try (Machine m = Machine.boot(MachineConfig.builder(OutputStream.nullOutputStream()).cmdline(cmdline)
                    .build(), elf, kernel.toString())) {
                long t0 = System.nanoTime();
                m.run();
                long host = System.nanoTime() - t0;
                virtual = m.virtualNanos();
                ratio[i] = host / (double) virtual * 1000.0;      // host ms per virtual second
            }
        }
        System.out.printf("  %-48s %8.1f ms host per virtual second (run covers %.3f virtual s)%n", what + ":",
                median(ratio), virtual / 1e9);
    }

    /** Reference: the same engine with no machine around it, `dec ecx; jnz` 100 M times. */
    private void bareLoop() {
        int loops = 100_000_000;
        double med = new EngineBench(runs).bareLoop(loops);
        System.out.printf("reference: bare Unicorn engine, `dec ecx; jnz` x %,d: median %.1f ms -> %,.0f million"
                + " instructions/s%n%n", loops, med, (2L * loops + 2) / med / 1000.0);
    }

    /** A guest loop of OUTs to a Java device, against the same loop of OUTs that the shim alone handles. */
    private void portWrites() {
        EngineBench.Comparison c = new EngineBench(runs).portWrites(2_000_000);
        System.out.printf("guest OUT reaching a Java device through the JNI shim (%,d writes, device saw %,d):%n",
                c.count(), c.seen());
        System.out.printf("  loop with OUT %.1f ms, same loop with NOP %.1f ms -> %.1f ns per port write%n",
                c.withMs(), c.withoutMs(), c.nanosEach());
    }

    /** An int3 delivered through the guest's IDT and back with iretq, against the same loop with NOPs. */
    private void exceptionDelivery() {
        EngineBench.Comparison c = new EngineBench(runs).exceptionDelivery(100_000);
        System.out.printf("%nexception delivered through the guest IDT and back with iretq (%,d int3, %,d delivered in the last run):%n",
                c.count(), c.seen());
        System.out.printf("  loop with INT3 %.1f ms, same loop with NOP %.1f ms -> %.2f us per exception%n",
                c.withMs(), c.withoutMs(), c.nanosEach() / 1e3);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double median(double[] v) {
        return EngineBench.median(v);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
