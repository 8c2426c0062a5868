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
import limu.bootloader.BootConfig;
import limu.bootloader.BootException;
import limu.bootloader.BootPlan;
import limu.bootloader.LimineBoot;
import limu.bootloader.ModuleFile;
import limu.bootloader.ModuleResolver;
import limu.bootloader.RamLayout;
import limu.devices.DebugConsole;
import limu.devices.DebugExit;
import limu.devices.PortBus;
import limu.devices.Serial16550;
import limu.emulator.cpu.CpuCore;
import limu.emulator.cpu.CpuModel;
import limu.emulator.cpu.X2ApicMsrs;
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

    private final MachineConfig config;
    private final UnicornLibrary library;
    private final GuestMemory memory;
    private final PortBus bus = new PortBus();
    private final Serial16550 com1;
    private final DebugExit debugExit;
    private final DebugConsole debugcon;
    private final List<Vcpu> cpus = new ArrayList<>();
    private final List<ParkedAp> parked = new ArrayList<>();
    private final VirtualClock clock = new VirtualClock();
    private Framebuffer framebuffer;
    private final BootPlan plan;
    private final Symbols symbols;
    private long blocks;
    private long instructions;

    private Machine(MachineConfig config, byte[] elf, String name, Path kernelDirectory) throws BootException {
        this.config = config;
        this.library = UnicornLibrary.load(config.unicornLibrary());
        BootConfig boot = bootConfig(config, name, kernelDirectory);
        this.memory = new GuestMemory(library, RamLayout.forSize(config.memoryBytes()));
        try {
            this.plan = LimineBoot.load(elf, name, boot, memory);
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
            CpuModel model = new CpuModel(config.cpus(), VirtualClock.TSC_HZ);
            for (int i = 0; i < config.cpus(); i++) {
                CpuCore core = new CpuCore(i, new PortHooks(), model, clock, X2ApicMsrs.NONE, CrashReport::registers);
                Vcpu cpu = new Vcpu(i, new UnicornEngine(library, core, config.countInstructions()),
                        i == 0 ? Vcpu.State.RUNNING : Vcpu.State.PARKED, core);
                cpus.add(cpu);
                memory.mapInto(cpu.engine);
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

    /** What the bootloader needs from the machine's configuration; module files are read here. */
    private static BootConfig bootConfig(MachineConfig config, String name, Path kernelDirectory)
            throws BootException {
        List<ModuleFile> modules = new ArrayList<>();
        for (MachineConfig.Module m : config.modules()) {
            try {
                modules.add(new ModuleFile(m.path().toString(), Files.readAllBytes(m.path()), m.cmdline()));
            } catch (NoSuchFileException e) {
                throw new BootException("module " + m.path() + ": no such file");
            } catch (IOException | OutOfMemoryError e) {
                throw new BootException("module " + m.path() + ": cannot read: " + e.getMessage());
            }
        }
        ModuleResolver resolver = kernelDirectory == null ? null : path -> {
            Path file = kernelDirectory.resolve(path.replaceFirst("^/+", ""));
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        };
        return new BootConfig(config.memoryBytes(), config.cmdline(), config.bootEpochSeconds(),
                config.fiveLevelPaging())
                .withCpus(config.cpus())
                .withFramebuffer(config.framebuffer().map(r -> new limu.bootloader.Framebuffer(r.width(), r.height())))
                .withModules(modules)
                .withModuleResolver(resolver);
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

    /** Ends a running {@link #run()} from another thread (Ctrl-C). */
    public void requestStop() {
        for (Vcpu cpu : cpus) {
            cpu.engine.requestStop();
        }
    }

    /**
     * Runs until the guest exits, halts, crashes, or the timeout passes. All
     * CPUs take turns on this one thread, each for a slice of blocks, in CPU
     * order: the same kernel gives the same interleaving, so the same output.
     */
    public StopReason run() {
        long deadline = config.timeout().map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        int turn = 0;
        try {
            while (true) {
                startParkedCpus();
                Vcpu cpu = nextRunnable(turn);
                if (cpu == null) {
                    return new StopReason.Halted(cpus.stream().anyMatch(c -> c.state == Vcpu.State.HALTED
                            && c.interruptsEnabled()));
                }
                turn = cpu.index + 1;
                if (System.nanoTime() - deadline > 0) {
                    long rip = cpu.engine.read(Register.RIP);
                    return new StopReason.Timeout(config.timeout().orElseThrow(), cpu.index, rip, symbols.at(rip));
                }
                Slice slice = cpu.engine.run(sliceBlocks());
                blocks += slice.blocks();
                clock.advance(slice.blocks());
                instructions += slice.instructions();
                switch (slice.exit()) {
                    case BUDGET:
                        continue;
                    case REQUESTED:
                        return new StopReason.Interrupted();
                    case PORT_STOP:
                        return new StopReason.GuestExit(debugExit.requestedValue().orElseThrow(),
                                debugExit.requestedStatus().orElseThrow());
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

    /** An AP starts once the kernel has written its goto_address (Limine's parking protocol). */
    private void startParkedCpus() {
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
        @Override
        public int portIn(int port, int size) {
            return bus.read(port, size);
        }

        @Override
        public boolean portOut(int port, int size, int value) {
            bus.write(port, size, value);
            return debugExit.requestedStatus().isPresent();
        }
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
