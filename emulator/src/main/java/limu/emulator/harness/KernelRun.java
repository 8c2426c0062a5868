// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import limu.bootloader.BootException;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapObserver;
import limu.emulator.heap.HeapOptions;
import limu.emulator.heap.HeapSummary;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;

/**
 * One kernel booted and run to its end on the calling thread, judged against
 * a {@link TestSpec}: what {@code limu run} does, as a value. Each run has its
 * own machine, so runs on different threads are independent.
 *
 * @param kernel the kernel file
 * @param verdict pass or fail, the exit code {@code limu run} would give, and why
 * @param serial COM1's output (the first 4 MiB)
 * @param blocks translation blocks executed (all CPUs)
 * @param instructions guest instructions executed, when the config counts them (else 0)
 * @param virtualNanos the machine's virtual time at the end
 * @param screen the framebuffer at the end, when there is one
 * @param wallSeconds the run's wall-clock time, boot included
 * @param recorded line coverage and profile, when the run's {@link Recording} asked for them
 * @param heapSummary what heap checking saw, when it was on
 */
public record KernelRun(Path kernel, Verdicts.Verdict verdict, String serial, long blocks, long instructions,
                        long virtualNanos, Optional<BufferedImage> screen, double wallSeconds,
                        Recording.Results recorded, Optional<HeapSummary> heapSummary) {
    /** What heap checking saw; IllegalStateException when the run had it off. */
    public HeapSummary heap() {
        return heapSummary.orElseThrow(() -> new IllegalStateException(kernel
                + ": heap checking was off for this run (LimuMachine.heapCheck, limu test --heap-check)"));
    }

    /** Whether the run passed (see {@link Verdicts#judge}). */
    public boolean passed() {
        return verdict.passed();
    }

    public int exitCode() {
        return verdict.exitCode();
    }

    public StopReason stopReason() {
        return verdict.reason();
    }

    /** The pixel at (x, y) of the final screen as 0xRRGGBB. */
    public int pixel(int x, int y) {
        BufferedImage img = screen.orElseThrow(() -> new IllegalStateException("the machine had no framebuffer"));
        return img.getRGB(x, y) & 0xffffff;
    }

    /**
     * Boots {@code kernel} with {@code config} (its serial output is replaced by
     * a capture, teed to {@code config.serialOutput()} when {@code tee}) and runs it.
     * {@code beforeRun} sees the booted machine (e.g. to keep it for another thread's requestStop).
     */
    public static KernelRun run(Path kernel, MachineConfig config, TestSpec spec, boolean tee,
                                Consumer<Machine> beforeRun) throws BootException {
        return run(kernel, config, spec, Optional.empty(), tee, beforeRun, Recording.NONE);
    }

    /** {@link #run(Path, MachineConfig, TestSpec, boolean, Consumer)}, recording what {@code recording} asks for. */
    public static KernelRun run(Path kernel, MachineConfig config, TestSpec spec, boolean tee,
                                Consumer<Machine> beforeRun, Recording recording) throws BootException {
        return run(kernel, config, spec, Optional.empty(), tee, beforeRun, recording);
    }

    /**
     * {@link #run(Path, MachineConfig, TestSpec, boolean, Consumer)} with heap checking when {@code heap}
     * is present: a violation stops the run and fails it (exit code 18); {@code heap.reportFile()}, when
     * set, receives the JSON report.
     */
    public static KernelRun run(Path kernel, MachineConfig config, TestSpec spec, Optional<HeapOptions> heap,
                                boolean tee, Consumer<Machine> beforeRun) throws BootException {
        return run(kernel, config, spec, heap, tee, beforeRun, Recording.NONE);
    }

    /** The general form: heap checking when {@code heap} is present, recording what {@code recording} asks for. */
    public static KernelRun run(Path kernel, MachineConfig config, TestSpec spec, Optional<HeapOptions> heap,
                                boolean tee, Consumer<Machine> beforeRun, Recording recording) throws BootException {
        long t0 = System.nanoTime();
        OutputStream downstream = tee ? config.serialOutput() : OutputStream.nullOutputStream();
        SerialWatch watch = new SerialWatch(downstream, spec);
        MachineConfig c = config.toBuilder().serialOutput(watch)
                .debugconOutput(tee ? config.debugconOutput() : OutputStream.nullOutputStream())
                .flushEachLine(true).build();
        try (Machine machine = Machine.boot(c, kernel)) {
            watch.onDecided(machine::requestStop);
            try {
                Optional<HeapChecker> checker = heap.map(h -> HeapObserver.attach(machine, h, text -> { }));
                beforeRun.accept(machine);
                Recording.Recorder recorder = recording.start(machine);
                StopReason reason = machine.run();
                Recording.Results recorded = recorder.finish();
                Verdicts.Verdict verdict = Verdicts.judge(reason, watch, spec);
                Optional<BufferedImage> screen = machine.framebuffer().map(fb -> fb.image());
                return new KernelRun(kernel, verdict, watch.log(), machine.blocks(), machine.instructions(),
                        machine.virtualNanos(), screen, (System.nanoTime() - t0) / 1e9, recorded,
                        heapSummary(checker, heap));
            } finally {
                watch.finish();   // no --fail-on grace stop may reach the machine once it is closed
            }
        }
    }

    /** The checker's summary at the end of a run, its JSON report written where the options say. */
    static Optional<HeapSummary> heapSummary(Optional<HeapChecker> checker, Optional<HeapOptions> options) {
        if (checker.isEmpty()) {
            return Optional.empty();
        }
        Optional<Path> json = options.flatMap(HeapOptions::reportFile);
        if (json.isPresent()) {
            try {
                checker.get().writeReport(json.get());
            } catch (IOException e) {
                throw new UncheckedIOException("heap report " + json.get() + ": " + e.getMessage(), e);
            }
        }
        return Optional.of(checker.get().summaryValue());
    }

    /** {@link #run(Path, MachineConfig, TestSpec, boolean, Consumer)} with output captured only. */
    public static KernelRun run(Path kernel, MachineConfig config, TestSpec spec) throws BootException {
        return run(kernel, config, spec, false, m -> { });
    }

    /** A config for test runs: serial captured, a fixed date, 2026-01-01T00:00:00Z (deterministic output), the given timeout. */
    public static MachineConfig.Builder testConfig(Duration timeout) {
        return MachineConfig.builder(OutputStream.nullOutputStream()).bootEpochSeconds(1767225600L)
                .timeout(Optional.of(timeout));
    }

    /** The run's line coverage; IllegalStateException when its {@link Recording} did not ask for it. */
    public limu.emulator.coverage.LineCoverage coverage() {
        return recorded.coverage().orElseThrow(() -> new IllegalStateException("coverage was not recorded"));
    }

    /** The run's profile; IllegalStateException when its {@link Recording} did not ask for one. */
    public limu.emulator.profile.Profile profile() {
        return recorded.profile().orElseThrow(() -> new IllegalStateException("no profile was recorded"));
    }

    /** Writes the final screen as a PNG. */
    public void writeScreen(Path png) throws IOException {
        javax.imageio.ImageIO.write(screen.orElseThrow(), "png", png.toFile());
    }
}
