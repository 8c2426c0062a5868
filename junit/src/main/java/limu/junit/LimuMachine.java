// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import limu.bootloader.BootException;
import limu.bootloader.FramebufferSize;
import limu.bootloader.ModuleFile;
import limu.emulator.MachineConfig;
import limu.emulator.Sizes;
import limu.emulator.coverage.PathMap;
import limu.emulator.harness.ExpectFile;
import limu.emulator.harness.KernelRun;
import limu.emulator.harness.Recording;
import limu.emulator.harness.SharedBoot;
import limu.emulator.harness.TestSpec;
import limu.emulator.heap.HeapOptions;

/**
 * A kernel to boot in-process, with its options: build one, {@link #run()} it,
 * assert on the {@link KernelRun} with {@link LimuAssertions}. Each run boots a
 * fresh, independent machine on the calling thread, so tests may run in parallel.
 *
 * <pre>{@code
 * KernelRun r = LimuMachine.kernel(Path.of("kernel.elf")).cpus(4).successExitCode(33).run();
 * LimuAssertions.assertPassed(r);
 * LimuAssertions.assertSerialContains(r, "all tests passed");
 * }</pre>
 */
public final class LimuMachine {
    private final Path kernel;
    private MachineConfig.Builder config = KernelRun.testConfig(Duration.ofSeconds(60));
    private TestSpec spec = TestSpec.NONE;
    private Optional<HeapOptions> heap = Optional.empty();
    private OutputStream echo;
    private Recording recording = Recording.NONE;

    private LimuMachine(Path kernel) {
        this.kernel = kernel;
    }

    public static LimuMachine kernel(Path elf) {
        return new LimuMachine(elf);
    }

    public static LimuMachine kernel(String elf) {
        return new LimuMachine(Path.of(elf));
    }

    /** Guest RAM, e.g. "256M" (default 256M). */
    public LimuMachine memory(String size) {
        config.memoryBytes(Sizes.parse(size));
        return this;
    }

    public LimuMachine cpus(int n) {
        config.cpus(n);
        return this;
    }

    /** The date at boot (default 2026-01-01T00:00:00Z, so runs are reproducible). */
    public LimuMachine date(long unixSeconds) {
        config.bootEpochSeconds(unixSeconds);
        return this;
    }

    /** Wall-clock limit (default 60 s). */
    public LimuMachine timeout(Duration limit) {
        config.timeout(Optional.of(limit));
        return this;
    }

    public LimuMachine cmdline(String text) {
        config.cmdline(text);
        return this;
    }

    /** The framebuffer's size, e.g. "640x480", or "none". */
    public LimuMachine framebuffer(String size) {
        config.framebuffer(size.equals("none") ? Optional.empty()
                : Optional.of(FramebufferSize.parse(size)));
        return this;
    }

    public LimuMachine module(Path file, String cmdline) {
        var list = new java.util.ArrayList<>(config.build().modules());
        list.add(new ModuleFile(file, cmdline));
        config.modules(list);
        return this;
    }

    /** Counts every guest instruction (slower), for {@link KernelRun#instructions()}. */
    public LimuMachine countInstructions() {
        config.countInstructions(true);
        return this;
    }

    /** The guest exit status that means success (e.g. 33); another end fails the run. */
    public LimuMachine successExitCode(int status) {
        spec = spec.withSuccessExitCode(status);
        return this;
    }

    public LimuMachine haltIsSuccess() {
        spec = spec.withHaltIsSuccess(true);
        return this;
    }

    /** A serial line must match (in order with the other expects). */
    public LimuMachine expect(String regex) {
        spec = spec.withExpect(regex);
        return this;
    }

    /** The serial output must match this text line by line ({hex}, {num}, {any}, {...} placeholders). */
    public LimuMachine expectOutput(String expected) {
        spec = spec.withExpectFile(ExpectFile.parse("expected output", expected));
        return this;
    }

    /** Fails (and stops) the run when a serial line matches. */
    public LimuMachine failOn(String regex) {
        spec = spec.withFailOn(regex);
        return this;
    }

    /**
     * Records line coverage of the kernel's code on every CPU: {@link KernelRun#coverage()} then says which lines
     * and functions ran ({@code executed("crate::function")}) and writes an lcov tracefile.
     */
    public LimuMachine coverage() {
        recording = recording.withCoverage(PathMap.NONE);
        return this;
    }

    /** Samples every CPU's call stack each {@code interval} of virtual time: {@link KernelRun#profile()}. */
    public LimuMachine profile(Duration interval) {
        recording = recording.withProfile(interval);
        return this;
    }

    /** {@link #profile(Duration)} every 100 virtual microseconds. */
    public LimuMachine profile() {
        return profile(Recording.DEFAULT_PROFILE_INTERVAL);
    }

    /**
     * Checks the kernel's global allocator during the run (and in every restored run of
     * {@link #bootOnce()}); {@link KernelRun#heap()} then gives the summary, and
     * {@link LimuAssertions#assertHeapClean} / {@link LimuAssertions#assertNoLeaks} judge it.
     */
    public LimuMachine heapCheck(HeapCheck level) {
        heap = Optional.of(new HeapOptions(level.mode, false, Optional.empty(), Optional.empty()));
        return this;
    }

    /** Also copies serial output to {@code out} as it comes (e.g. System.out). */
    public LimuMachine echoSerial(OutputStream out) {
        this.echo = out;
        return this;
    }

    /**
     * Boots the kernel once, runs it to the limu snapshot marker (a write to port 0x5C4) and
     * snapshots the whole machine there; each {@link SharedBoot#restoreAndRun(String)} then
     * restores it, feeds COM1 the test's input and runs to the end (judged by this builder's
     * expectations), at a fraction of a boot's cost. With {@link #heapCheck}, the allocations of the
     * boot are in the snapshot and each restored run's {@link KernelRun#heap()} shows only its own.
     * Close it when done.
     */
    public SharedBoot bootOnce() throws BootException {
        return SharedBoot.boot(kernel, config.build(), spec, heap);
    }

    /** The uninterrupted reference of {@link SharedBoot#restoreAndRun}: a fresh boot given {@code input} at the marker. */
    public KernelRun runWithInputAtMarker(String input) throws BootException {
        return SharedBoot.runFresh(kernel, config.build(), spec, heap, input);
    }

    /** Boots the kernel and runs it to its end on this thread. */
    public KernelRun run() throws BootException {
        MachineConfig c = echo == null ? config.build() : config.serialOutput(echo).debugconOutput(echo).build();
        return KernelRun.run(kernel, c, spec, heap, echo != null, m -> { }, recording);
    }
}
