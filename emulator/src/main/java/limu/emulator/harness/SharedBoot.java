// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import limu.bootloader.BootException;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.MachineSnapshot;
import limu.emulator.StopReason;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapObserver;
import limu.emulator.heap.HeapOptions;

/**
 * One boot shared by many tests: the kernel is booted once
 * and run to the limu snapshot marker (a write to port
 * {@link Machine#SNAPSHOT_MARKER_PORT}); the whole machine is captured there.
 * Each {@link #restoreAndRun} puts the machine back, hands the test its input
 * on COM1's receive line (the kernel reads it after the marker) and runs to
 * the end, judged by the {@link TestSpec}. A restored run behaves exactly as a
 * fresh boot given the same input at the marker ({@link #runFresh}): same
 * serial output, blocks, instructions and virtual time. With heap checking, the
 * checker's ledger is part of the snapshot and each restored run's summary
 * counts only what that run did. Not thread-safe: one machine, used on the
 * calling thread.
 */
public final class SharedBoot implements AutoCloseable {
    private final Path kernel;
    private final TestSpec spec;
    private final Redirect serial;
    private final Machine machine;
    private final Optional<HeapChecker> heap;
    private final MachineSnapshot snapshot;
    private final String bootLog;
    private final double bootSeconds;

    private SharedBoot(Path kernel, TestSpec spec, Redirect serial, Machine machine, Optional<HeapChecker> heap,
                       MachineSnapshot snapshot, String bootLog, double bootSeconds) {
        this.kernel = kernel;
        this.spec = spec;
        this.serial = serial;
        this.machine = machine;
        this.heap = heap;
        this.snapshot = snapshot;
        this.bootLog = bootLog;
        this.bootSeconds = bootSeconds;
    }

    /** Where serial output goes now: switched between the boot log and each test's watch. */
    private static final class Redirect extends OutputStream {
        OutputStream target = OutputStream.nullOutputStream();

        @Override
        public void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }
    }

    /** A machine (with its heap checker, when asked for) and the checker. */
    private record Booted(Machine machine, Optional<HeapChecker> heap) {
    }

    /** A booted machine at the marker, its serial so far (in {@code log}). */
    private static Booted bootToMarker(Path kernel, MachineConfig config, Optional<HeapOptions> heapOptions,
                                       Redirect serial, ByteArrayOutputStream log) throws BootException {
        serial.target = log;
        MachineConfig c = config.toBuilder().serialOutput(serial).debugconOutput(OutputStream.nullOutputStream())
                .flushEachLine(true).build();
        Machine m = Machine.boot(c, kernel);
        Optional<HeapChecker> heap = heapOptions.map(h -> HeapObserver.attach(m, h, text -> { }));
        StopReason r = m.runToMarker();
        if (!(r instanceof StopReason.Marker)) {
            m.close();
            throw new IllegalStateException(kernel + " did not reach the snapshot marker (port 0x"
                    + Integer.toHexString(Machine.SNAPSHOT_MARKER_PORT) + "): " + r.message() + "\nserial:\n"
                    + log.toString(StandardCharsets.UTF_8));
        }
        return new Booted(m, heap);
    }

    /**
     * Boots {@code kernel}, runs it to the snapshot marker and snapshots it there.
     * IllegalStateException when the kernel ends before the marker.
     */
    public static SharedBoot boot(Path kernel, MachineConfig config, TestSpec spec) throws BootException {
        return boot(kernel, config, spec, Optional.empty());
    }

    /**
     * {@link #boot(Path, MachineConfig, TestSpec)} with heap checking when {@code heap} is present: the
     * allocations of the boot are in the snapshot, and a restored run's heap summary shows its own.
     */
    public static SharedBoot boot(Path kernel, MachineConfig config, TestSpec spec, Optional<HeapOptions> heap)
            throws BootException {
        long t0 = System.nanoTime();
        Redirect serial = new Redirect();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Booted b = bootToMarker(kernel, config, heap, serial, log);
        Machine m = b.machine();
        try {
            MachineSnapshot s = m.snapshot();
            return new SharedBoot(kernel, spec, serial, m, b.heap(), s, log.toString(StandardCharsets.UTF_8),
                    (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The serial output up to the marker. */
    public String bootLog() {
        return bootLog;
    }

    /** Host seconds the boot to the marker and the snapshot took. */
    public double bootSeconds() {
        return bootSeconds;
    }

    public MachineSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Restores the snapshot, sends {@code input} to COM1 (at most 16 bytes: the receive FIFO)
     * and runs to the end. The run's serial is only what it printed after the marker; its
     * blocks, instructions and virtual time count from power-on, like a fresh boot's.
     */
    public KernelRun restoreAndRun(String input) {
        long t0 = System.nanoTime();
        machine.restore(snapshot);
        return finish(machine, heap, serial, kernel, spec, input, t0);
    }

    /**
     * The reference for {@link #restoreAndRun}: a fresh machine booted to the marker, given
     * {@code input} there and run to the end, without any snapshot (serial: after the marker).
     */
    public static KernelRun runFresh(Path kernel, MachineConfig config, TestSpec spec, String input)
            throws BootException {
        return runFresh(kernel, config, spec, Optional.empty(), input);
    }

    /** {@link #runFresh(Path, MachineConfig, TestSpec, String)} with heap checking when {@code heap} is present. */
    public static KernelRun runFresh(Path kernel, MachineConfig config, TestSpec spec, Optional<HeapOptions> heap,
                                     String input) throws BootException {
        long t0 = System.nanoTime();
        Redirect serial = new Redirect();
        Booted b = bootToMarker(kernel, config, heap, serial, new ByteArrayOutputStream());
        try (Machine m = b.machine()) {
            return finish(m, b.heap(), serial, kernel, spec, input, t0);
        }
    }

    private static KernelRun finish(Machine m, Optional<HeapChecker> heap, Redirect serial, Path kernel,
                                    TestSpec spec, String input, long t0) {
        SerialWatch watch = new SerialWatch(OutputStream.nullOutputStream(), spec);
        serial.target = watch;
        watch.onDecided(m::requestStop);
        try {
            if (!m.receiveSerial(input.getBytes(StandardCharsets.UTF_8))) {
                throw new IllegalArgumentException("input longer than COM1's receive FIFO: " + input);
            }
            StopReason reason = m.run();
            Verdicts.Verdict verdict = Verdicts.judge(reason, watch, spec);
            return new KernelRun(kernel, verdict, watch.log(), m.blocks(), m.instructions(), m.virtualNanos(),
                    m.framebuffer().map(fb -> fb.image()), (System.nanoTime() - t0) / 1e9, Recording.Results.NONE,
                    heap.map(HeapChecker::summaryValue));
        } finally {
            watch.finish();
            serial.target = OutputStream.nullOutputStream();
        }
    }

    @Override
    public void close() {
        snapshot.close();
        machine.close();
    }
}
