// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import limu.bootloader.ApStart;
import limu.bootloader.BootException;
import limu.bootloader.BootPlan;
import limu.bootloader.BootVolume;
import limu.bootloader.LimineBoot;
import limu.bootloader.RamLayout;
import limu.devices.MmioRange;
import limu.emulator.cpu.CpuCore;
import limu.emulator.cpu.CpuModel;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.ExecutedBlock;
import limu.emulator.unicorn.UnicornEngine;
import limu.emulator.unicorn.UnicornLibrary;

/**
 * A PC that boots a Limine kernel: guest RAM with the bootloader's plan applied to it, the
 * {@link Board} and its devices, one engine per CPU, and the {@link RunLoop} that runs them.
 */
public final class Machine implements AutoCloseable {
    /** limu's snapshot marker port: {@link #runToMarker()} stops at a write to it. */
    public static final int SNAPSHOT_MARKER_PORT = SnapshotMarker.PORT;

    private final VirtualClock clock;
    private final GuestMemory memory;
    private final Cpus cpus;
    private final BootPlan plan;
    private final Symbols symbols;
    private final Framebuffer framebuffer;
    private final Board board;
    private final RunLoop loop;
    private final HostInput input = new HostInput();
    private final BootTimes bootTimes;
    private TimeTravel timeTravel;

    private Machine(MachineConfig config, byte[] elf, String name, Path kernelDirectory) throws BootException {
        this.clock = new VirtualClock(config.wallClock());
        this.cpus = new Cpus(clock);
        long started = System.nanoTime();
        UnicornLibrary library = UnicornLibrary.load(config.unicornLibrary());
        this.memory = new GuestMemory(library, RamLayout.forSize(config.memoryBytes()));
        long engineLoaded = System.nanoTime();
        try {
            this.plan = LimineBoot.load(elf, name, config, bootVolume(kernelDirectory, config.moduleDirs()), memory);
            long planned = System.nanoTime();
            this.symbols = new Symbols(plan.kernel());
            this.framebuffer = plan.framebuffer().map(fb -> new Framebuffer(
                    memory.addWindow(fb.physicalAddress(), fb.mappedBytes()), fb.physicalAddress(), fb.width(),
                    fb.height(), fb.pitch())).orElse(null);
            this.board = new Board(config, plan.devices(), cpus::nanos, cpus);
            CpuModel model = new CpuModel(config.cpus(), VirtualClock.TSC_HZ, config.x2apic());
            for (int i = 0; i < config.cpus(); i++) {
                CpuCore core = new CpuCore(i, board.accessFor(i), model, clock, board.apicMsrs(),
                        CrashReport::registers);
                Vcpu cpu = new Vcpu(i, new UnicornEngine(library, core, config.countInstructions()),
                        i == 0 ? Vcpu.State.RUNNING
                                : plan.aps().isEmpty() ? Vcpu.State.WAIT_FOR_SIPI : Vcpu.State.PARKED, core);
                cpus.add(cpu);
                memory.mapInto(cpu.engine);
                for (MmioRange w : board.windows()) {
                    cpu.engine.mapMmio(w.base(), w.size());
                }
            }
            for (int i = 0; i < config.cpus(); i++) {
                board.initialiseLapic(i, plan.initialiseLapic());
            }
            cpus.get(0).enter(plan.bsp());
            Vcpu.interceptMsrs(cpus.all(), plan.kernel());
            List<ParkedAp> parked = new ArrayList<>();
            for (ApStart ap : plan.aps()) {
                parked.add(new ParkedAp(ap.cpuIndex(), ap.gotoAddressPhysical(), ap.entryState()));
            }
            this.loop = new RunLoop(config.timeout(), clock, symbols, memory, cpus, parked, board, input);
            this.bootTimes = new BootTimes(engineLoaded - started, planned - engineLoaded,
                    System.nanoTime() - planned);
        } catch (BootException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The kernel's directory stands for the boot volume, so its internal modules are found beside it (a cargo
     * workspace puts sibling binaries there), then in each module directory; none may be left through a link.
     */
    private static BootVolume bootVolume(Path kernelDirectory, List<Path> moduleDirs) {
        List<Path> folders = new ArrayList<>();
        if (kernelDirectory != null) {
            folders.add(kernelDirectory);
        }
        folders.addAll(moduleDirs);
        return folders.isEmpty() ? BootVolume.NONE : BootVolume.hostFolders(folders);
    }

    /** Loads {@code elf} (named {@code name} in messages) into a new machine, ready to run. */
    public static Machine boot(MachineConfig config, byte[] elf, String name) throws BootException {
        return new Machine(config, elf, name, null);
    }

    /** Loads the kernel file; the kernel's internal modules are looked up beside it. */
    public static Machine boot(MachineConfig config, Path kernel) throws BootException {
        byte[] elf;
        try {
            elf = Files.readAllBytes(kernel);
        } catch (NoSuchFileException e) {
            throw new BootException(kernel + ": no such file");
        } catch (IOException e) {
            throw new BootException(kernel + ": cannot read: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new BootException(kernel + ": too large to be a kernel");
        }
        Path dir = kernel.toAbsolutePath().getParent();
        return new Machine(config, elf, kernel.getFileName().toString(), dir);
    }

    /** How long each step of making this machine took. */
    public BootTimes bootTimes() {
        return bootTimes;
    }

    public BootPlan plan() {
        return plan;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The framebuffer, when the machine has one. */
    public Optional<Framebuffer> framebuffer() {
        return Optional.ofNullable(framebuffer);
    }

    /** Translation blocks executed so far. */
    public long blocks() {
        return loop.progress().blocks();
    }

    /** Guest instructions executed so far, when the config counts them (else 0). */
    public long instructions() {
        return loop.progress().instructions();
    }

    /** The machine's virtual time so far, in nanoseconds. */
    public long virtualNanos() {
        return cpus.nanos();
    }

    /**
     * Attaches a tool that watches the run (before {@link #run}): every CPU reports the
     * addresses and accesses it hooks to it, and the run stops when it says so.
     */
    public void attach(ExecutionObserver tool) {
        for (Vcpu c : cpus.all()) {
            int index = c.index;
            c.core.observeAddresses((address, registers) -> tool.addressHit(index, address, registers));
            c.core.observeHeapAccesses((phys, size, write, rip) -> tool.heapAccess(index, phys, size, write, rip));
        }
        loop.observe(tool);
    }

    /**
     * Counts every translation block each CPU executes from now on (line coverage: {@code
     * limu.emulator.coverage.LineCoverage} maps them to source lines); {@link #executedBlocks()} returns them.
     */
    public void recordExecutedBlocks() {
        for (Vcpu c : cpus.all()) {
            c.engine.recordBlocks(true);
        }
    }

    /** The blocks all CPUs executed since {@link #recordExecutedBlocks()}, one entry per CPU and block. */
    public List<ExecutedBlock> executedBlocks() {
        List<ExecutedBlock> all = new ArrayList<>();
        for (Vcpu c : cpus.all()) {
            all.addAll(c.engine.recordedBlocks());
        }
        return all;
    }

    /** Hands every CPU to {@code sampler} at each of its intervals of virtual time, from now on (before {@link #run}). */
    public void sample(CpuSampler sampler) {
        loop.sample(sampler);
    }

    /** Ends a running {@link #run()} from another thread (Ctrl-C, a display window closed). */
    public void requestStop() {
        for (Vcpu cpu : cpus.all()) {
            cpu.engine.requestStop();
        }
        input.requestStop();
    }

    /**
     * Keys may come from the host (a display window): from now on, when every CPU waits in HLT
     * with interrupts enabled and no timer is armed, {@link #run()} waits for a key (or
     * {@link #requestStop()}) instead of ending as halted. Thread-safe.
     */
    public void acceptKeys(boolean accept) {
        input.attach(accept);
    }

    /** A key went down on the host: the guest's PS/2 keyboard sends its make code. Thread-safe. */
    public void pressKey(limu.devices.Ps2Key key) {
        input.add(new HostInput.KeyChange(key, true));
    }

    /** A key came up on the host: the keyboard sends its break code. Thread-safe. */
    public void releaseKey(limu.devices.Ps2Key key) {
        input.add(new HostInput.KeyChange(key, false));
    }

    /**
     * Virtual time as of the last finished slice, readable from any thread (a display's title):
     * {@link #virtualNanos()} asks the running engine and belongs to the run-loop thread.
     */
    public long virtualNanosSoFar() {
        return clock.nanos(0);
    }

    /** Thread-safe: stops every CPU and hands the machine to {@link #run(Debugger)}'s debugger. */
    public void requestDebugStop() {
        loop.requestDebugStop();
        requestStop();
    }

    /** The CPUs, for the debugger (on the run-loop thread only). */
    public int cpuCount() {
        return cpus.count();
    }

    /** CPU {@code index}'s engine, for the debugger (on the run-loop thread only). */
    public Engine engine(int index) {
        return cpus.get(index).engine;
    }

    /** "running", "halted", "parked" or "wait_for_sipi". */
    public String cpuState(int index) {
        return cpus.get(index).state.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** CPU {@code index}'s local APIC, for `monitor lapic` (on the run-loop thread only). */
    public String describeLapic(int index) {
        return "CPU " + index + " " + board.lapic(index).describe();
    }

    /** Hands buffered serial and debugcon bytes to their streams now (run-loop thread). */
    public void flushSerial() {
        board.flushOutputs();
    }

    /** Bytes arriving on COM1's receive line (what a terminal would type); false when its FIFO is full. */
    public boolean receiveSerial(byte[] bytes) {
        return board.receiveSerial(bytes);
    }

    /**
     * Queues bytes for COM1's receive line (run-loop thread, or before a run): they arrive between slices, as many
     * as its FIFO has room for, so none is lost however long the input; when depends only on the guest's work.
     * A {@link #restore} drops what is still queued.
     */
    public void queueSerialInput(byte[] bytes) {
        board.queueSerialInput(bytes);
    }

    /**
     * COM1's input, after any bytes queued with {@link #queueSerialInput}, comes from {@code source} (before a run):
     * taken between slices as the guest's receive FIFO has room while it asserts RTS. While the source may still
     * send, a machine whose CPUs all wait in HLT for an interrupt the input could raise waits for it instead of
     * ending as halted. A {@link #restore} keeps the source where it is: bytes taken are not taken again.
     */
    public void attachSerialInput(SerialSource source) {
        board.attachSerialSource(source);
        source.onArrival(input::wake);
    }

    /**
     * Every host input delivered from now on (serial bytes COM1 takes, keys) goes to {@code sink} too, on the run-loop
     * thread, with its loop turn and virtual time: what {@code limu run --record} writes (before {@link #run}).
     */
    public void recordInput(java.util.function.Consumer<HostEvent> sink) {
        loop.record(sink);
    }

    /**
     * Host input comes from {@code schedule} instead of the host: each recorded input at its loop turn (before
     * {@link #run}). A replay that stops matching the recording throws {@link ReplayDivergence} from {@link #run}.
     */
    public void replayInput(ReplaySchedule schedule) {
        loop.replay(schedule);
    }

    /** Turns of the run loop so far (counted from boot, as a recording counts them). */
    public long loopTurns() {
        return loop.iterations() - loop.extraTurns();
    }

    /** Turns of the run loop a debugger added by cutting slices short (0: the run is as it would be without it). */
    public long debuggerTurns() {
        return loop.extraTurns();
    }

        /** Runs until the guest exits, halts, crashes, or the timeout passes (see {@link RunLoop}). */
    public StopReason run() {
        return run(Debugger.NONE);
    }

    /**
     * {@link #run()} with a debugger: it gets the machine whenever a breakpoint,
     * watchpoint, single step or {@link #requestDebugStop()} stops a CPU, and
     * says how to go on; the time it holds the machine does not count against the timeout.
     */
    public StopReason run(Debugger debugger) {
        return loop.run(debugger);
    }

    /**
     * Runs like {@link #run()} but returns {@link StopReason.Marker} once the guest writes
     * {@link #SNAPSHOT_MARKER_PORT}; a later {@link #run()} goes on from there as if never stopped.
     */
    public StopReason runToMarker() {
        loop.stopAtMarker(true);
        try {
            return run();
        } finally {
            loop.stopAtMarker(false);
        }
    }

    /**
     * Captures the whole machine (on the run-loop thread, between runs: after {@link #run()} or
     * {@link #runToMarker()} returned), an attached tool's state (heap checking) included.
     * IllegalStateException when it cannot be captured: a tool attached that forbids it, a
     * plug-in device that is not {@link limu.devices.Snapshottable} (named in the message),
     * wall-clock time, or the guest has already exited or powered off.
     */
    public MachineSnapshot snapshot() {
        return MachineSnapshot.capture(this, cpus, board, loop, memory, clock);
    }

    /**
     * Puts the machine back in {@code s} (taken by this machine), on the run-loop thread between
     * runs. The next {@link #run()} behaves exactly as the run that went on from the snapshot
     * would have, given the same input. Serial output already printed stays printed: what
     * comes next is only what the restored run prints. Returns the guest-memory bytes rewritten.
     */
    public long restore(MachineSnapshot s) {
        return s.restore(this, cpus, board, loop, memory, clock);
    }

    /**
     * Keeps a reverse-debugging history from now on (before {@link #run(Debugger)}): a snapshot every
     * {@code intervalNanos} of virtual time, at most {@code capBytes} held (the oldest snapshots go first), and a
     * journal of the run between them; {@link #timeTravel()} then goes back in it. IllegalStateException with
     * wall-clock time (re-execution needs the deterministic clock).
     */
    public void keepHistory(long capBytes, long intervalNanos) {
        if (clock.wall()) {
            throw new IllegalStateException("reverse debugging needs the deterministic clock (not --time wall)");
        }
        if (capBytes <= 0 || intervalNanos <= 0) {
            throw new IllegalArgumentException("history cap and interval must be positive");
        }
        History h = new History(capBytes, intervalNanos, new HistoryMemory(memory.hostBlocks(), memory.library()));
        loop.keepHistory(h, () -> {
            try {
                MachineSnapshot state = MachineSnapshot.capture(this, cpus, board, loop, memory, clock, false);
                RunLoop.Progress p = loop.progress();
                h.add(new History.Checkpoint(p.slices(), p.iterations(), clock.nanos(0), p.instructions(), state));
            } catch (IllegalStateException e) {
                h.disable(e.getMessage());
            }
        });
        timeTravel = new TimeTravel(this, cpus, board, loop, memory, clock, h);
    }

    /** Bytes the guest has written to COM1 and debugcon so far (run-loop thread). */
    long[] outputPositions() {
        return board.outputPositions();
    }

    /** Reverse execution, when {@link #keepHistory} was called. */
    public Optional<TimeTravel> timeTravel() {
        return Optional.ofNullable(timeTravel);
    }

    @Override
    public void close() {
        if (loop != null && loop.history() != null) {
            loop.history().close();
        }
        for (Vcpu cpu : cpus.all()) {
            cpu.engine.close();
        }
        if (memory != null) {
            memory.close();
        }
    }
}
