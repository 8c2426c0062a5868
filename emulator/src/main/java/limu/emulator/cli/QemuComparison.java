// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import limu.bootloader.BootException;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import limu.emulator.bench.EngineBench;

/**
 * The project benchmark's side-by-side section: limu next to QEMU (TCG, SeaBIOS, Limine 9.x from an
 * ISO built in its set-up) on the same kernels, 256 MiB and 1 CPU on both sides, each a new process
 * per run timed from outside on its serial lines. The hello kernel's {@code compute} loop in guest
 * instructions per second between its two lines (dev and release builds), and the chapter kernel's
 * boot from process start to its last line. Without QEMU or Limine's binaries it says so.
 */
final class QemuComparison {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final Pattern COMPUTE_START = Pattern.compile("^hello: compute \\d+ iterations");
    private static final Pattern COMPUTE_DONE = Pattern.compile("^hello: compute done");
    private static final String MEMORY = "256M";

    private final Path kernels;
    private final int runs;
    private final long iterations;

    QemuComparison(Path kernels, int runs, long iterations) {
        this.kernels = kernels;
        this.runs = runs;
        this.iterations = iterations;
    }

    /** Prints the section; returns false when QEMU or Limine is missing (the reason printed). */
    boolean print() throws IOException, InterruptedException, BootException {
        Optional<Path> qemu = QemuMachine.qemu();
        if (qemu.isEmpty()) {
            System.out.println("limu next to QEMU: qemu-system-x86_64 is not on PATH (Debian: apt-get install"
                    + " qemu-system-x86 xorriso): limu's figures alone\n");
            return false;
        }
        QemuMachine.Limine limine = QemuMachine.limine();
        if (!limine.found()) {
            System.out.println("limu next to QEMU: no Limine 9.x binaries, so no ISO for QEMU: limu's figures alone\n  "
                    + limine.problem().replace("\n", "\n  ") + "\n");
            return false;
        }
        Path dir = Files.createTempDirectory("limu-bench-iso");
        try {
            System.out.printf("limu next to %s + SeaBIOS + Limine %s (qemu-system-x86_64 -M pc -accel tcg, ISOs built"
                    + " now), %s, 1 CPU, a new process per run, timed on the serial lines:%n",
                    QemuMachine.qemuVersion(qemu.get()), limine.version(), MEMORY);
            // the dev build runs about 12x more instructions per iteration: a tenth of the loop keeps it short
            compute(qemu.get(), dir, kernels.resolve("hello.elf"), "dev", iterations / 10);
            compute(qemu.get(), dir, kernels.resolve("hello-release.elf"), "release", iterations);
            boot(qemu.get(), dir, kernels.resolve("chapter.elf"));
            System.out.println();
            return true;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The compute loop between "hello: compute N iterations" and "hello: compute done" on both sides. */
    private void compute(Path qemu, Path dir, Path kernel, String profile, long n)
            throws IOException, InterruptedException, BootException {
        if (!Files.isRegularFile(kernel)) {
            System.out.println("  hello compute loop (" + profile + "): " + kernel + " not built, skipped");
            return;
        }
        String cmdline = "compute " + n;
        long loop = instructions(kernel, cmdline) - instructions(kernel, "compute 0");
        Path iso = QemuMachine.buildIso(kernel, cmdline, dir.resolve(profile + "-compute.iso"));
        List<String> limu = limu(kernel, "--cmdline", cmdline);
        List<String> q = QemuMachine.command(qemu, iso, QemuMachine.Firmware.bios, null, MEMORY, 1);
        double[] ours = between(limu);
        double[] theirs = between(q);
        System.out.printf("  hello compute loop, %s build, %,d iterations: %,d guest instructions between its two"
                + " lines%n", profile, n, loop);
        System.out.printf("    limu  %s%s%n", figures(ours), speed(loop, ours));
        System.out.printf("    qemu  %s%s%n", figures(theirs), speed(loop, theirs));
        System.out.printf("    limu / qemu, time: best %.2f  median %.2f%n", min(ours) / min(theirs),
                median(ours) / median(theirs));
    }

    /**
     * The chapter kernel (dev build, 1 CPU) as the seed's boot figure: process start to its last serial
     * line, which a limu run finds (the kernel then halts), and QEMU is timed to the same line.
     */
    private void boot(Path qemu, Path dir, Path chapter) throws IOException, InterruptedException {
        if (!Files.isRegularFile(chapter)) {
            System.out.println("  boot: " + chapter + " not built, skipped");
            return;
        }
        ProcessTimings.Timing probe = ProcessTimings.time(limu(chapter), null, LIMIT);
        String last = probe.lastLine();
        if (last.isBlank()) {
            System.out.println("  boot: the chapter kernel printed nothing under limu (exit " + probe.exitCode()
                    + "), skipped");
            return;
        }
        Pattern line = Pattern.compile(Pattern.quote(last));
        Path iso = QemuMachine.buildIso(chapter, null, dir.resolve("chapter.iso"));
        double[] ours = untilLine(limu(chapter), line);
        double[] theirs = untilLine(QemuMachine.command(qemu, iso, QemuMachine.Firmware.bios, null, MEMORY, 1), line);
        System.out.printf("  boot: chapter kernel (dev build), 1 CPU, process start to its last serial line (\"%s\"):%n",
                last.replaceAll("\u001b\\[[0-9;]*m", ""));
        System.out.printf("    limu  %s%n", figures(ours));
        System.out.printf("    qemu  %s   (SeaBIOS, Limine's menu with timeout 0, the kernel)%n", figures(theirs));
        System.out.printf("    limu / qemu, time: best %.2f  median %.2f%n", min(ours) / min(theirs),
                median(ours) / median(theirs));
    }

    private List<String> limu(Path kernel, String... options) {
        List<String> cmd = new ArrayList<>(ProcessTimings.limuCommand());
        cmd.addAll(List.of("run", kernel.toString(), "--memory", MEMORY, "--cpus", "1", "--timeout", "120s"));
        cmd.addAll(List.of(options));
        return cmd;
    }

    /** Guest instructions of a whole run of {@code kernel} with {@code cmdline}, counted in this JVM. */
    private static long instructions(Path kernel, String cmdline) throws IOException, BootException {
        MachineConfig config = MachineConfig.builder(OutputStream.nullOutputStream()).cmdline(cmdline)
                .countInstructions(true).build();
        try (Machine m = Machine.boot(config, Files.readAllBytes(kernel), kernel.toString())) {
            StopReason r = m.run();
            if (!(r instanceof StopReason.GuestExit)) {
                throw new IOException(kernel + " " + cmdline + " ended unexpectedly: " + r.message());
            }
            return m.instructions();
        }
    }

    private double[] between(List<String> cmd) throws IOException, InterruptedException {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            t[i] = ProcessTimings.time(cmd, COMPUTE_START, COMPUTE_DONE, LIMIT).betweenMs();
        }
        return t;
    }

    private double[] untilLine(List<String> cmd, Pattern line) throws IOException, InterruptedException {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            t[i] = ProcessTimings.time(cmd, line, LIMIT).untilMatchMs();
        }
        return t;
    }

    /** "best X ms  median Y ms (N runs)", or what went wrong when a run never printed the line. */
    static String figures(double[] t) {
        long missed = Arrays.stream(t).filter(Double::isNaN).count();
        if (missed > 0) {
            return String.format("the line never came in %d of %d runs (within %d s)", missed, t.length,
                    LIMIT.toSeconds());
        }
        return String.format("best %8.1f ms  median %8.1f ms (%d runs)", min(t), median(t), t.length);
    }

    private static String speed(long instructions, double[] t) {
        return Arrays.stream(t).anyMatch(Double::isNaN) ? "" : String.format("  -> best %,.0f  median %,.0f"
                + " million instructions/s", instructions / min(t) / 1000.0, instructions / median(t) / 1000.0);
    }

    static double median(double[] v) {
        return Arrays.stream(v).anyMatch(Double::isNaN) ? Double.NaN : EngineBench.median(v);
    }

    static double min(double[] v) {
        return Arrays.stream(v).anyMatch(Double::isNaN) ? Double.NaN : Arrays.stream(v).min().orElse(Double.NaN);
    }
}
