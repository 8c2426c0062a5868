// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayList;
import java.util.List;
import limu.devices.DeviceTimer;
import limu.devices.SerialState;
import limu.devices.Snapshottable;
import limu.emulator.cpu.IdtDelivery;
import limu.emulator.cpu.MsrFile;
import limu.emulator.unicorn.HostMemory;

/**
 * The whole state of one {@link Machine} between slices: every CPU (Unicorn's CPU state,
 * limu's MSRs and exception state, run state), the pending INIT/SIPIs, guest RAM and the
 * framebuffer, every device, the armed timers, the virtual clock, the run loop's counters and
 * the state of an attached {@link ExecutionObserver} (the heap checker's ledger).
 * {@link #restore} puts the machine back exactly, so that what runs after a restore behaves
 * as it did after the snapshot (same serial output, same block and instruction counts, same
 * virtual time). It belongs to the machine that took it; {@link #close()} frees its copy of
 * guest memory (hundreds of MiB: close snapshots you no longer need).
 */
public final class MachineSnapshot implements AutoCloseable {
    /** One CPU: the engine's opaque context and what limu keeps beside it. */
    private record Cpu(Object engine, Vcpu.State state, MsrFile.State msrs, IdtDelivery.State delivery) {
    }

    /** An armed timer and its deadline. */
    private record Armed(DeviceTimer timer, long deadline) {
    }

    private final Machine machine;
    private final List<Cpu> cpus;
    private final List<Cpus.StartupSignal> signals;
    private final List<HostMemory> memory;
    private final List<Record> devices;
    private final SerialState com1;
    private final List<Armed> timers;
    private final long clockBlocks;
    private final long clockSkipped;
    private final RunLoop.Progress progress;
    private final ExecutionObserver.State observer;
    /** Bytes written to COM1 and debugcon when taken ({@link Board#outputPositions()}). */
    private final long[] outputPositions;
    private boolean closed;

    private MachineSnapshot(Machine machine, List<Cpu> cpus, List<Cpus.StartupSignal> signals,
                            List<HostMemory> memory, List<Record> devices, SerialState com1, List<Armed> timers,
                            long clockBlocks, long clockSkipped, RunLoop.Progress progress,
                            ExecutionObserver.State observer) {
        this.machine = machine;
        this.cpus = List.copyOf(cpus);
        this.signals = List.copyOf(signals);
        this.memory = List.copyOf(memory);
        this.devices = List.copyOf(devices);
        this.com1 = com1;
        this.timers = List.copyOf(timers);
        this.clockBlocks = clockBlocks;
        this.clockSkipped = clockSkipped;
        this.progress = progress;
        this.observer = observer;
        this.outputPositions = machine.outputPositions();
    }

    /** Bytes the guest had written to COM1 and debugcon when this was taken. */
    long[] outputPositions() {
        return outputPositions.clone();
    }

    /**
     * Captures {@code machine} (on the run-loop thread, between runs). IllegalStateException when
     * it cannot be captured: a tool attached that forbids it, a plug-in device that is not
     * {@link Snapshottable}, wall-clock time, or the guest has already exited or powered off.
     */
    static MachineSnapshot capture(Machine machine, Cpus cpus, Board board, RunLoop loop, GuestMemory memory,
                                   VirtualClock clock) {
        return capture(machine, cpus, board, loop, memory, clock, true);
    }

    /**
     * {@code withMemory} false: everything but guest memory, which the caller keeps itself (the reverse-debugging
     * history keeps only changed pages); {@link #restore} then leaves memory alone.
     */
    static MachineSnapshot capture(Machine machine, Cpus cpus, Board board, RunLoop loop, GuestMemory memory,
                                   VirtualClock clock, boolean withMemory) {
        loop.observer().snapshotRefusal().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        if (clock.wall()) {
            throw new IllegalStateException("snapshots need the deterministic clock (not --time wall)");
        }
        board.snapshotRefusal().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        if (board.ended() || cpus.running() != null) {
            throw new IllegalStateException("the machine has stopped for good or is running: no snapshot");
        }
        board.flushOutputs();
        List<Cpu> cs = new ArrayList<>();
        for (Vcpu c : cpus.all()) {
            cs.add(new Cpu(c.engine.saveContext(), c.state, c.core.msrs().state(), c.core.delivery().state()));
        }
        List<Record> devices = new ArrayList<>();
        for (Snapshottable<?> d : board.snapshottables()) {
            devices.add(d.state());
        }
        List<Armed> armed = board.timers().armedTimers().stream().map(t -> new Armed(t, t.deadline())).toList();
        return new MachineSnapshot(machine, cs, cpus.pendingSignals(), withMemory ? memory.copyAll() : List.of(), devices, board.serialState(),
                armed, clock.blocks(), clock.skipped(), loop.progress(), loop.observer().saveState());
    }

    /**
     * Puts the machine back (on the run-loop thread, between runs). Serial output already
     * printed stays printed. Returns the guest-memory bytes rewritten.
     */
    long restore(Machine target, Cpus cpus, Board board, RunLoop loop, GuestMemory guestMemory, VirtualClock clock) {
        if (machine != target || closed) {
            throw new IllegalArgumentException("a snapshot of another machine, or closed");
        }
        board.flushOutputs();
        clock.restore(clockBlocks, clockSkipped);
        long written = memory.isEmpty() ? 0 : guestMemory.restoreAll(memory);
        for (int i = 0; i < cpus.count(); i++) {
            Vcpu c = cpus.get(i);
            Cpu sc = this.cpus.get(i);
            c.engine.clearStopRequest();
            c.engine.restoreContext(sc.engine());
            c.state = sc.state();
            c.core.msrs().restore(sc.msrs());
            c.core.delivery().restore(sc.delivery());
        }
        cpus.restoreSignals(signals);
        // COM1 drives ISA IRQ 4: restored with the other line sources, before the interrupt controllers
        board.restoreSerial(com1);
        List<Snapshottable<?>> snapshottables = board.snapshottables();
        for (int i = 0; i < snapshottables.size(); i++) {
            restoreDevice(snapshottables.get(i), devices.get(i));
        }
        // the timer queue exactly as it was (devices re-armed theirs above; this makes it exact)
        for (DeviceTimer t : board.timers().armedTimers()) {
            t.cancel();
        }
        for (Armed a : timers) {
            a.timer().arm(a.deadline());
        }
        board.forgetEvents();
        board.dropSerialInput();
        loop.restore(progress);
        loop.observer().restoreState(observer);
        return written;
    }

    @SuppressWarnings("unchecked")
    private static <S extends Record> void restoreDevice(Snapshottable<S> device, Record state) {
        device.restore((S) state);
    }

    /** Translation blocks the machine had executed when the snapshot was taken. */
    public long blocks() {
        return progress.blocks();
    }

    /** Guest instructions executed at the snapshot (when counted). */
    public long instructions() {
        return progress.instructions();
    }

    /** The machine's virtual time at the snapshot, in nanoseconds. */
    public long virtualNanos() {
        return clockBlocks * VirtualClock.NANOS_PER_BLOCK + clockSkipped;
    }

    /** Bytes of host memory the snapshot holds (guest RAM and framebuffer). */
    public long memoryBytes() {
        return memory.stream().mapToLong(HostMemory::size).sum();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.forEach(HostMemory::close);
        }
    }
}
