package limu.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import limu.bootloader.BootConfig;
import limu.bootloader.BootException;
import limu.bootloader.BootPlan;
import limu.bootloader.LimineBoot;
import limu.bootloader.RamLayout;
import limu.devices.DebugConsole;
import limu.devices.DebugExit;
import limu.devices.PortBus;
import limu.devices.Serial16550;
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

    private final MachineConfig config;
    private final UnicornLibrary library;
    private final GuestMemory memory;
    private final PortBus bus = new PortBus();
    private final Serial16550 com1;
    private final DebugExit debugExit;
    private final DebugConsole debugcon;
    private final List<Vcpu> cpus = new ArrayList<>();
    private final BootPlan plan;
    private final Symbols symbols;
    private long blocks;
    private long instructions;

    private Machine(MachineConfig config, byte[] elf, String name) throws BootException {
        this.config = config;
        this.library = UnicornLibrary.load(config.unicornLibrary());
        this.memory = new GuestMemory(library, RamLayout.forSize(config.memoryBytes()));
        try {
            this.plan = LimineBoot.load(elf, name, new BootConfig(config.memoryBytes(), config.cmdline(),
                    config.bootEpochSeconds(), config.fiveLevelPaging()), memory);
        } catch (BootException | RuntimeException e) {
            memory.close();
            throw e;
        }
        this.symbols = new Symbols(plan.kernel());
        this.com1 = new Serial16550(Serial16550.COM1, config.serialOutput(), level -> { },
                config.flushEachLine());
        this.debugExit = new DebugExit((status, value) -> { });
        this.debugcon = new DebugConsole(config.debugconOutput(), config.flushEachLine());
        bus.attach(com1);
        bus.attach(debugExit);
        bus.attach(debugcon);
        Vcpu bsp = new Vcpu(0, new UnicornEngine(library, new PortHooks(), config.countInstructions()));
        cpus.add(bsp);
        memory.mapInto(bsp.engine);
        bsp.enter(plan.bsp());
    }

    /** Loads {@code elf} (named {@code name} in messages) into a new machine, ready to run. */
    public static Machine boot(MachineConfig config, byte[] elf, String name) throws BootException {
        return new Machine(config, elf, name);
    }

    public BootPlan plan() {
        return plan;
    }

    public GuestMemory memory() {
        return memory;
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

    /** Runs until the guest exits, halts, crashes, or the timeout passes. */
    public StopReason run() {
        long deadline = config.timeout().map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        Vcpu cpu = cpus.get(0);
        try {
            while (true) {
                if (System.nanoTime() - deadline > 0) {
                    long rip = cpu.engine.read(Register.RIP);
                    return new StopReason.Timeout(config.timeout().orElseThrow(), rip, symbols.at(rip));
                }
                Slice slice = cpu.engine.run(SLICE_BLOCKS);
                blocks += slice.blocks();
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
                        cpu.halted = true;
                        if (cpus.stream().allMatch(c -> c.halted)) {
                            return new StopReason.Halted(cpu.interruptsEnabled());
                        }
                        continue;
                    default:
                        return CrashReport.of(cpu, slice, symbols);
                }
            }
        } finally {
            flushOutputs();
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
        memory.close();
    }

    /** Where output goes; exposed for the CLI's final flush. */
    OutputStream serialOutput() {
        return config.serialOutput();
    }
}
