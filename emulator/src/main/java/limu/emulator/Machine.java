package limu.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import limu.bootloader.ApStart;
import limu.bootloader.BootException;
import limu.bootloader.BootPlan;
import limu.bootloader.BootVolume;
import limu.bootloader.LimineBoot;
import limu.bootloader.RamLayout;
import limu.devices.DebugConsole;
import limu.devices.DebugExit;
import limu.devices.Device;
import limu.devices.DeviceProviders;
import limu.devices.IpiSink;
import limu.devices.MmioRange;
import limu.devices.PortBus;
import limu.devices.Serial16550;
import limu.emulator.cpu.CpuCore;
import limu.emulator.cpu.CpuModel;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.Slice;
import limu.emulator.unicorn.UnicornEngine;
import limu.emulator.unicorn.UnicornLibrary;

/**
 * A PC that boots a Limine kernel: guest RAM, the bootloader's plan applied to
 * it, the devices on the port bus, one engine per CPU, and the run loop.
 */
public final class Machine implements AutoCloseable {
    /** Blocks per slice: short enough to notice a timeout or a stop request within milliseconds. */
    static final long SLICE_BLOCKS = 200_000;
    /** Blocks per slice while several CPUs run: fine interleaving for spinlocks and shared counters. */
    static final long SMP_SLICE_BLOCKS = 5_000;
    /** Blocks per slice while an interrupt waits for RFLAGS.IF: soon after an STI it is taken. */
    static final long MASKED_INTERRUPT_RETRY_BLOCKS = 1_000;
    /**
     * Halted with interrupts enabled, limu skips to timer deadlines; this many in
     * a row that wake no CPU (a periodic timer whose interrupt is masked) means
     * nothing ever will, and the run ends as halted.
     */
    static final int MAX_IDLE_SKIPS = 10_000;
    /**
     * "limu snapshot marker": a write here ends the slice (in every run, so that runs with and
     * without a stop there slice alike) and makes {@link #runToMarker()} return (snapshots).
     */
    public static final int SNAPSHOT_MARKER_PORT = 0x5C4;

    private final MachineConfig config;
    private final UnicornLibrary library;
    private final GuestMemory memory;
    private final PortBus bus = new PortBus();
    private final Serial16550 com1;
    private final DebugExit debugExit;
    private final DebugConsole debugcon;
    private final List<Vcpu> cpus = new ArrayList<>();
    private final List<ParkedAp> parked = new ArrayList<>();
    private final VirtualClock clock;
    private Platform platform;
    /** The CPU whose slice is running (its work so far counts in the virtual time), or null. */
    private Vcpu running;
    /** Set by the ACPI PM block or the 8042 when the guest powers off or resets. */
    private StopReason powerEvent;
    /** Timer deadlines skipped to in a row without waking any CPU. */
    private int idleSkips;
    private Framebuffer framebuffer;
    private final BootPlan plan;
    private final Symbols symbols;
    private long blocks;
    private long instructions;
    /** --heap-check (issue 6): watches the kernel's allocator; null when off (then it costs nothing). */
    private limu.emulator.heap.HeapChecker heapChecker;

    private Machine(MachineConfig config, byte[] elf, String name, Path kernelDirectory) throws BootException {
        this.config = config;
        this.clock = new VirtualClock(config.wallClock());
        this.library = UnicornLibrary.load(config.unicornLibrary());
        this.memory = new GuestMemory(library, RamLayout.forSize(config.memoryBytes()));
        try {
            this.plan = LimineBoot.load(elf, name, config, bootVolume(kernelDirectory), memory);
            this.symbols = new Symbols(plan.kernel());
            this.com1 = new Serial16550(Serial16550.COM1, config.serialOutput(), level -> { },
                    config.flushEachLine());
            this.debugExit = new DebugExit((status, value) -> { });
            this.debugcon = new DebugConsole(config.debugconOutput(), config.flushEachLine());
            bus.attach(com1);
            bus.attach(debugExit);
            bus.attach(debugcon);
            plan.framebuffer().ifPresent(fb -> framebuffer = new Framebuffer(
                    memory.addWindow(fb.physicalAddress(), fb.mappedBytes()), fb.physicalAddress(), fb.width(),
                    fb.height(), fb.pitch()));
            platform = new Platform(config.cpus(), config.x2apic(), plan.devices(), config.bootEpochSeconds(), this::nanos,
                    new Ipis(), new PowerEvents());
            platform.portDevices().forEach(bus::attach);
            DeviceProviders providers = DeviceProviders.load(Machine.class.getClassLoader());
            for (MachineConfig.DeviceSpec spec : config.devices()) {
                Device d = platform.attachPlugin(providers, spec, config.serialOutput(), new PowerEvents());
                if (!d.ports().isEmpty()) {
                    bus.attach(d);
                }
            }
            CpuModel model = new CpuModel(config.cpus(), VirtualClock.TSC_HZ, config.x2apic());
            for (int i = 0; i < config.cpus(); i++) {
                CpuCore core = new CpuCore(i, new PortHooks(i), model, clock, platform.apicMsrs(),
                        CrashReport::registers);
                Vcpu cpu = new Vcpu(i, new UnicornEngine(library, core, config.countInstructions()),
                        i == 0 ? Vcpu.State.RUNNING
                                : plan.aps().isEmpty() ? Vcpu.State.WAIT_FOR_SIPI : Vcpu.State.PARKED, core);
                cpus.add(cpu);
                memory.mapInto(cpu.engine);
                for (MmioRange w : platform.windows()) {
                    cpu.engine.mapMmio(w.base(), w.size());
                }
            }
            for (int i = 0; i < config.cpus(); i++) {
                platform.initialiseLapic(i, plan.initialiseLapic());
            }
            cpus.get(0).enter(plan.bsp());
            Vcpu.interceptMsrs(cpus, plan.kernel());
            for (ApStart ap : plan.aps()) {
                parked.add(new ParkedAp(ap.cpuIndex(), ap.gotoAddressPhysical(), ap.entryState()));
            }
        } catch (BootException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The kernel's directory stands for the boot volume, so its internal modules are found beside it. */
    private static BootVolume bootVolume(Path kernelDirectory) {
        return kernelDirectory == null ? BootVolume.NONE : BootVolume.hostDirectory(kernelDirectory);
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

    public UnicornLibrary library() {
        return library;
    }

    /** Translation blocks executed so far. */
    public long blocks() {
        return blocks;
    }

    /** Guest instructions executed so far, when the config counts them (else 0). */
    public long instructions() {
        return instructions;
    }

    /**
     * Turns on heap checking (limu.emulator.heap) before {@link #run}: hooks the kernel's allocator
     * shims on every CPU. {@code log} gets the violations {@code keepGoing} lets pass.
     */
    public limu.emulator.heap.HeapChecker enableHeapCheck(limu.emulator.heap.HeapOptions options,
                                                          java.util.function.Consumer<String> log) {
        List<limu.emulator.unicorn.Engine> engines = cpus.stream().map(c -> c.engine).toList();
        limu.emulator.heap.HeapChecker checker = new limu.emulator.heap.HeapChecker(options, plan, memory, engines,
                log);
        for (Vcpu c : cpus) {
            int index = c.index;
            c.core.observeAddresses(address -> checker.hit(index, address));
            c.core.observeHeapAccesses((phys, size, write, rip) -> checker.access(index, phys, size, write, rip));
        }
        checker.install();
        heapChecker = checker;
        return checker;
    }

    /** Ends a running {@link #run()} from another thread (Ctrl-C). */
    public void requestStop() {
        for (Vcpu cpu : cpus) {
            cpu.engine.requestStop();
        }
    }

    private volatile boolean debugStopRequested;

    /** Thread-safe: stops every CPU and hands the machine to {@link #run(Debugger)}'s debugger. */
    public void requestDebugStop() {
        debugStopRequested = true;
        requestStop();
    }

    /** The CPUs, for the debugger (on the run-loop thread only). */
    public int cpuCount() {
        return cpus.size();
    }

    /** CPU {@code index}'s engine, for the debugger (on the run-loop thread only). */
    public limu.emulator.unicorn.Engine engine(int index) {
        return cpus.get(index).engine;
    }

    /** Hands buffered serial and debugcon bytes to their streams now (run-loop thread). */
    public void flushSerial() {
        flushOutputs();
    }

    /** "running", "halted", "parked" or "wait_for_sipi". */
    public String cpuState(int index) {
        return cpus.get(index).state.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Runs until the guest exits, halts, crashes, or the timeout passes. All
     * CPUs take turns on this one thread, each for a slice of blocks, in CPU
     * order: the same kernel gives the same interleaving, so the same output.
     */
    public StopReason run() {
        return run(Debugger.NONE);
    }

    /**
     * {@link #run()} with a debugger: it gets the machine whenever a breakpoint,
     * watchpoint, single step or {@link #requestDebugStop()} stops a CPU, and
     * says how to go on; the time it holds the machine does not count against the timeout.
     */
    public StopReason run(Debugger debugger) {
        long deadline = config.timeout().map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        int turn = resumeTurn;
        Debugger.Stop stop = debugger.stopAtEntry() ? Debugger.Stop.simple(Debugger.Stop.Kind.ENTRY, 0) : null;
        Vcpu stepping = null;   // the CPU the debugger steps by one instruction; the others wait
        try {
            while (true) {
                if (debugStopRequested) {
                    debugStopRequested = false;
                    cpus.forEach(c -> c.engine.clearStopRequest());
                    stop = Debugger.Stop.simple(Debugger.Stop.Kind.INTERRUPTED, Math.max(0, turn - 1) % cpus.size());
                }
                if (stop != null) {
                    long t0 = System.nanoTime();
                    Debugger.Resume resume = debugger.stopped(stop);
                    deadline = deadline == Long.MAX_VALUE ? deadline : deadline + System.nanoTime() - t0;
                    stop = null;
                    if (resume.kill()) {
                        return new StopReason.Interrupted();
                    }
                    stepping = resume.stepCpu() < 0 ? null : cpus.get(resume.stepCpu());
                    if (stepping != null && stepping.state != Vcpu.State.RUNNING) {
                        stepping = null;   // a halted or parked CPU steps when it runs again: let the others run
                    }
                }
                startParkedCpus();
                platform.timers().runDue(nanos());
                if (wakeInterruptedCpus()) {
                    idleSkips = 0;
                }
                Vcpu cpu = stepping != null ? stepping : nextRunnable(turn);
                if (cpu == null) {
                    if (System.nanoTime() - deadline > 0) {
                        long rip = cpus.get(0).engine.read(Register.RIP);
                        return new StopReason.Timeout(config.timeout().orElseThrow(), 0, rip, symbols.at(rip));
                    }
                    if (waitForNextTimer()) {
                        continue;
                    }
                    return new StopReason.Halted(cpus.stream().anyMatch(c -> c.state == Vcpu.State.HALTED
                            && c.interruptsEnabled()));
                }
                turn = cpu.index + 1;
                resumeTurn = turn;
                if (System.nanoTime() - deadline > 0) {
                    long rip = cpu.engine.read(Register.RIP);
                    return new StopReason.Timeout(config.timeout().orElseThrow(), cpu.index, rip, symbols.at(rip));
                }
                // a debugger's single step runs exactly the next instruction, no interrupt first (QEMU's NOIRQ)
                long budget = stepping != null ? 1 : injectInterrupt(cpu);
                if (cpu.core.shutdown() != null) {
                    return CrashReport.tripleFault(cpu.core.shutdown(), symbols);
                }
                running = cpu;
                Slice slice;
                try {
                    slice = stepping != null ? cpu.engine.step()
                            : debugger.attached() ? cpu.engine.runDebug(budget) : cpu.engine.run(budget);
                } finally {
                    running = null;
                }
                if (stepping != null) {
                    stepping = null;
                    stop = Debugger.Stop.simple(Debugger.Stop.Kind.STEPPED, cpu.index);
                }
                blocks += slice.blocks();
                clock.advance(slice.blocks());
                instructions += slice.instructions();
                if (heapChecker != null && heapChecker.stop() != null) {
                    return heapChecker.stop();
                }
                switch (slice.exit()) {
                    case BUDGET:
                    case INTERRUPT_WINDOW:
                    case ADDRESS_HOOK:
                        continue;
                    case REQUESTED:
                        if (debugStopRequested) {
                            continue;
                        }
                        return new StopReason.Interrupted();
                    case BREAKPOINT:
                    case WATCHPOINT:
                    case STEPPED:
                        stop = Debugger.Stop.of(cpu.index, slice);
                        continue;
                    case PORT_STOP:
                        if (debugExit.requestedStatus().isPresent()) {
                            return new StopReason.GuestExit(debugExit.requestedValue().orElseThrow(),
                                    debugExit.requestedStatus().orElseThrow());
                        }
                        if (powerEvent != null) {
                            return powerEvent;
                        }
                        if (markerReached) {
                            markerReached = false;
                            if (stopAtMarker) {
                                return new StopReason.Marker(markerValue);
                            }
                        }
                        continue;   // a device wants an interrupt looked at now
                    case RETURNED:
                        if (!cpu.stoppedOnHlt()) {
                            return CrashReport.unexplainedStop(cpu, symbols);
                        }
                        cpu.state = Vcpu.State.HALTED;
                        continue;
                    default:
                        if (cpu.core.shutdown() != null) {
                            return CrashReport.tripleFault(cpu.core.shutdown(), symbols);
                        }
                        return CrashReport.of(cpu, slice, symbols);
                }
            }
        } finally {
            flushOutputs();
        }
    }

    /** CPU {@code index}'s local APIC, for `monitor lapic` (on the run-loop thread only). */
    public String describeLapic(int index) {
        var apic = platform.lapic(index);
        java.util.function.IntUnaryOperator reg = off -> apic.x2apicMode()
                ? (int) apic.readMsr(0x800 + (off >> 4)).orElse(0) : (int) apic.mmioRead(off, 4);
        StringBuilder b = new StringBuilder();
        b.append(String.format("CPU %d local APIC: id %d, %s, %s, IA32_APIC_BASE %#x%n", index, apic.apicId(),
                apic.x2apicMode() ? "x2APIC" : apic.xapicMode() ? "xAPIC" : "disabled",
                apic.softwareEnabled() ? "software-enabled" : "software-disabled", apic.apicBase()));
        b.append(String.format("  SVR %#x TPR %#x PPR %#x ESR %#x%n", reg.applyAsInt(0xF0), reg.applyAsInt(0x80),
                apic.processorPriority(), reg.applyAsInt(0x280)));
        b.append(String.format("  LVT timer %#x LINT0 %#x LINT1 %#x error %#x%n", reg.applyAsInt(0x320),
                reg.applyAsInt(0x350), reg.applyAsInt(0x360), reg.applyAsInt(0x370)));
        b.append(String.format("  timer initial %d current %d divide %#x%n", reg.applyAsInt(0x380) & 0xffffffffL,
                reg.applyAsInt(0x390) & 0xffffffffL, reg.applyAsInt(0x3E0)));
        b.append("  IRR ").append(java.util.stream.IntStream.range(16, 256).filter(apic::irrSet).boxed().toList())
                .append(" ISR ").append(java.util.stream.IntStream.range(16, 256).filter(apic::isrSet).boxed().toList())
                .append('\n');
        return b.toString();
    }

    /** The machine's virtual time so far, in nanoseconds. */
    public long virtualNanos() {
        return nanos();
    }

    /** Virtual nanoseconds now, counting the work of the slice that is running. */
    private long nanos() {
        Vcpu r = running;
        return clock.nanos(r == null ? 0 : r.engine.sliceBlocks());
    }

    /** A halted CPU that can take a pending interrupt runs again (its RIP is already past the HLT). */
    private boolean wakeInterruptedCpus() {
        boolean woke = false;
        for (Vcpu c : cpus) {
            if (c.state == Vcpu.State.HALTED) {
                var apic = platform.lapic(c.index);
                if (apic.nmiPending() || c.interruptsEnabled()
                        && (apic.extIntPending() || apic.nextDeliverable() >= 0)) {
                    c.state = Vcpu.State.RUNNING;
                    woke = true;
                }
            }
        }
        return woke;
    }

    /**
     * Every CPU is halted: let virtual time jump to the next timer deadline (in
     * wall-clock mode, sleep until then). False when no timer is armed: nothing
     * can ever wake the machine.
     */
    private boolean waitForNextTimer() {
        long next = platform.timers().nextDeadline();
        boolean wakeable = cpus.stream().anyMatch(c -> c.state == Vcpu.State.HALTED && c.interruptsEnabled());
        if (next == limu.devices.DeviceTimer.NEVER || !wakeable || ++idleSkips > MAX_IDLE_SKIPS) {
            return false;   // nothing can wake a CPU: timers may tick, but their interrupts reach no one
        }
        try {
            clock.skipTo(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    /**
     * Delivers the highest-priority interrupt {@code cpu} can take now through
     * its IDT (NMI first, then the 8259's ExtINT, then the local APIC's IRR) and
     * returns the block budget of its next slice: short when an interrupt waits
     * for IF, never past the next timer deadline.
     */
    private long injectInterrupt(Vcpu cpu) {
        var apic = platform.lapic(cpu.index);
        if (apic.takeNmi()) {
            cpu.core.deliverNmi();
        } else if (cpu.core.acceptsInterrupts()) {
            if (apic.extIntPending()) {
                int vector = platform.pic().acknowledge();
                apic.acknowledgeExtInt();
                cpu.core.deliverExternal(vector);
            } else {
                int vector = apic.nextDeliverable();
                if (vector >= 0) {
                    apic.acknowledge(vector);
                    cpu.core.deliverExternal(vector);
                }
            }
        }
        long budget = sliceBlocks();
        boolean waiting = apic.extIntPending() || apic.nextDeliverable() >= 0;
        cpu.engine.setInterruptPending(waiting);
        if (waiting) {
            budget = Math.min(budget, MASKED_INTERRUPT_RETRY_BLOCKS);
        }
        long next = platform.timers().nextDeadline();
        if (next != limu.devices.DeviceTimer.NEVER && !clock.wall()) {
            budget = Math.min(budget, clock.blocksUntil(next, 0));
        }
        return budget;
    }

    /** One CPU running alone gets long slices; several get short ones so they interleave finely. */
    private long sliceBlocks() {
        long running = cpus.stream().filter(c -> c.state == Vcpu.State.RUNNING).count();
        return running > 1 ? SMP_SLICE_BLOCKS : SLICE_BLOCKS;
    }

    private Vcpu nextRunnable(int from) {
        int n = cpus.size();
        for (int i = 0; i < n; i++) {
            Vcpu c = cpus.get((from + i) % n);
            if (c.state == Vcpu.State.RUNNING) {
                return c;
            }
        }
        return null;
    }

    /**
     * An AP starts once the kernel has written its goto_address (Limine's parking protocol),
     * or through INIT and start-up IPIs.
     */
    private void startParkedCpus() {
        applyInitAndStartup();
        for (ParkedAp ap : parked) {
            Vcpu cpu = cpus.get(ap.cpu());
            if (cpu.state != Vcpu.State.PARKED) {
                continue;
            }
            long target = memory.readLong(ap.gotoAddressPhysical());
            if (target != 0) {
                cpu.enter(ap.enteringAt(target));
                cpu.state = Vcpu.State.RUNNING;
            }
        }
    }

    private void flushOutputs() {
        com1.flush();
        debugcon.flush();
        try {
            config.serialOutput().flush();
        } catch (IOException e) {
            // the run's outcome matters more than a closed stdout
        }
    }

    /** The port bus seen from the engines; a write to the exit port stops the machine. */
    private final class PortHooks implements CpuHooks {
        private final int cpu;

        PortHooks(int cpu) {
            this.cpu = cpu;
        }

        @Override
        public int portIn(int port, int size) {
            return bus.read(port, size);
        }

        /**
         * Stops the machine for the snapshot marker, the exit port or a power event (the
         * rest of the block's port writes are then dropped). An 8259 write that makes an
         * interrupt deliverable needs nothing here: the 8259's output reaches LINT0, and the
         * local APIC reports it through {@link Ipis#interruptPending}.
         */
        @Override
        public boolean portOut(int port, int size, int value) {
            if (port == SNAPSHOT_MARKER_PORT) {
                markerReached = true;
                markerValue = value;
                return true;
            }
            bus.write(port, size, value);
            return debugExit.requestedStatus().isPresent() || powerEvent != null;
        }

        @Override
        public long mmioRead(long address, int size) {
            return platform.mmioRead(cpu, address, size);
        }

        @Override
        public boolean mmioWrite(long address, int size, long value) {
            return platform.mmioWrite(cpu, address, size, value);
        }
    }

    /** INIT (vector -1) and start-up IPIs (vector 0-255) sent during a slice, by CPU index, in order. */
    private final java.util.ArrayDeque<int[]> initAndStartup = new java.util.ArrayDeque<>();

    /**
     * Applies the INITs and start-up IPIs of the last slice (between slices: no engine runs).
     * INIT puts an AP, whatever it was doing (parked by Limine, running, halted), into
     * wait-for-SIPI; a start-up IPI starts an AP waiting for one in real mode at
     * vector * 0x1000 ({@link limu.emulator.unicorn.Engine#enterRealMode}); any other CPU
     * ignores it (the second SIPI of the INIT-SIPI-SIPI sequence). INIT to the BSP is
     * ignored: limu has no firmware to reset into (QEMU would reboot the machine).
     */
    private void applyInitAndStartup() {
        for (int[] e; (e = initAndStartup.poll()) != null; ) {
            Vcpu cpu = cpus.get(e[0]);
            if (e[1] < 0) {
                if (cpu.index != 0) {
                    cpu.state = Vcpu.State.WAIT_FOR_SIPI;
                }
            } else if (cpu.state == Vcpu.State.WAIT_FOR_SIPI) {
                cpu.engine.enterRealMode(e[1], CpuModel.SIGNATURE);
                cpu.state = Vcpu.State.RUNNING;
            }
        }
    }

    /**
     * What local APICs ask of the CPUs. A newly pending interrupt marks the
     * CPU's engine, so a running slice ends where IF lets it in (a self-IPI
     * followed by STI is taken right after the STI shadow). INIT and start-up
     * IPIs are queued and applied between slices ({@link #applyInitAndStartup}).
     */
    private final class Ipis implements IpiSink {
        @Override
        public void init(int apicId) {
            if (apicId >= 0 && apicId < cpus.size()) {
                initAndStartup.add(new int[] {apicId, -1});
            }
        }

        @Override
        public void startup(int apicId, int vector) {
            if (apicId >= 0 && apicId < cpus.size()) {
                initAndStartup.add(new int[] {apicId, vector & 0xff});
            }
        }

        @Override
        public void interruptPending(int apicId) {
            if (apicId >= 0 && apicId < cpus.size()) {
                cpus.get(apicId).engine.setInterruptPending(true);
                Vcpu sender = running;
                if (sender != null && sender.index != apicId) {
                    sender.engine.yieldSlice();   // an IPI: let the target take it soon
                }
            }
        }
    }

    /** ACPI S5 power-off and 8042/PM resets end the run, as QEMU does with -no-reboot. */
    private final class PowerEvents implements limu.devices.PowerListener {
        @Override
        public void resetRequested(String reason) {
            if (powerEvent == null) {
                powerEvent = new StopReason.Reset(reason);
            }
        }

        @Override
        public void powerOffRequested(String reason) {
            if (powerEvent == null) {
                powerEvent = new StopReason.PowerOff(reason);
            }
        }
    }

    // ---- snapshots (issue 8, part 5) ----

    /** The CPU whose next turn it is (kept across run() calls, so a restored run slices as the original). */
    private int resumeTurn;
    /** A write to {@link #SNAPSHOT_MARKER_PORT} ended the last slice. */
    private boolean markerReached;
    private int markerValue;
    /** {@link #runToMarker()} is running. */
    private boolean stopAtMarker;

    /**
     * Runs like {@link #run()} but returns {@link StopReason.Marker} once the guest writes
     * {@link #SNAPSHOT_MARKER_PORT}; a later {@link #run()} goes on from there as if never stopped.
     */
    public StopReason runToMarker() {
        stopAtMarker = true;
        try {
            return run();
        } finally {
            stopAtMarker = false;
        }
    }

    /** Bytes arriving on COM1's receive line (what a terminal would type); false when its FIFO is full. */
    public boolean receiveSerial(byte[] bytes) {
        if (bytes.length > com1.receiveCapacity()) {
            return false;
        }
        com1.receive(bytes);
        return true;
    }

    /**
     * Captures the whole machine (on the run-loop thread, between runs: after {@link #run()} or
     * {@link #runToMarker()} returned). IllegalStateException when it cannot be captured: heap
     * checking on, a plug-in device without snapshot support, wall-clock time, or the guest
     * has already exited or powered off.
     */
    public MachineSnapshot snapshot() {
        if (heapChecker != null) {
            throw new IllegalStateException("snapshots are not supported with --heap-check");
        }
        if (clock.wall()) {
            throw new IllegalStateException("snapshots need the deterministic clock (not --time wall)");
        }
        if (!config.devices().isEmpty()) {
            throw new IllegalStateException("snapshots do not support --device plug-ins");
        }
        if (debugExit.requestedStatus().isPresent() || powerEvent != null || running != null) {
            throw new IllegalStateException("the machine has stopped for good or is running: no snapshot");
        }
        flushOutputs();
        List<MachineSnapshot.Cpu> cs = new ArrayList<>();
        for (Vcpu c : cpus) {
            cs.add(new MachineSnapshot.Cpu(c.engine.saveContext(), c.state, c.core.msrs().state(),
                    c.core.delivery().state()));
        }
        List<Record> devices = new ArrayList<>();
        for (limu.devices.Snapshottable<?> d : platform.snapshottables()) {
            devices.add(d.state());
        }
        List<MachineSnapshot.Armed> armed = platform.timers().armedTimers().stream()
                .map(t -> new MachineSnapshot.Armed(t, t.deadline())).toList();
        return new MachineSnapshot(this, cs, List.copyOf(initAndStartup), memory.copyAll(), devices, com1.state(),
                armed, clock.blocks(), clock.skipped(), blocks, instructions, idleSkips, resumeTurn);
    }

    /**
     * Puts the machine back in {@code s} (taken by this machine), on the run-loop thread between
     * runs. The next {@link #run()} behaves exactly as the run that went on from the snapshot
     * would have, given the same input. Serial output already printed stays printed: what
     * comes next is only what the restored run prints. Returns the guest-memory bytes rewritten.
     */
    public long restore(MachineSnapshot s) {
        if (s.machine != this || s.closed()) {
            throw new IllegalArgumentException("a snapshot of another machine, or closed");
        }
        flushOutputs();
        clock.restore(s.clockBlocks, s.clockSkipped);
        long written = memory.restoreAll(s.memory);
        for (int i = 0; i < cpus.size(); i++) {
            Vcpu c = cpus.get(i);
            MachineSnapshot.Cpu sc = s.cpus.get(i);
            c.engine.clearStopRequest();
            c.engine.restoreContext(sc.engine());
            c.state = sc.state();
            c.core.msrs().restore(sc.msrs());
            c.core.delivery().restore(sc.delivery());
        }
        initAndStartup.clear();
        s.initAndStartup.forEach(e -> initAndStartup.add(e.clone()));
        List<limu.devices.Snapshottable<?>> devices = platform.snapshottables();
        for (int i = 0; i < devices.size(); i++) {
            restoreDevice(devices.get(i), s.devices.get(i));
        }
        com1.restore(s.com1);
        // the timer queue exactly as it was (devices re-armed theirs above; this makes it exact)
        for (limu.devices.DeviceTimer t : platform.timers().armedTimers()) {
            t.cancel();
        }
        for (MachineSnapshot.Armed a : s.timers) {
            a.timer().arm(a.deadline());
        }
        debugExit.reset();
        powerEvent = null;
        markerReached = false;
        debugStopRequested = false;
        blocks = s.blocks;
        instructions = s.instructions;
        idleSkips = s.idleSkips;
        resumeTurn = s.turn;
        return written;
    }

    @SuppressWarnings("unchecked")
    private static <S extends Record> void restoreDevice(limu.devices.Snapshottable<S> device, Record state) {
        device.restore((S) state);
    }

    @Override
    public void close() {
        for (Vcpu cpu : cpus) {
            cpu.engine.close();
        }
        if (memory != null) {
            memory.close();
        }
    }

    /** Where output goes; exposed for the CLI's final flush. */
    OutputStream serialOutput() {
        return config.serialOutput();
    }
}
