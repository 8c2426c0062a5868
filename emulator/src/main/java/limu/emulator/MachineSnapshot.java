package limu.emulator;

import java.util.List;
import limu.devices.DeviceTimer;
import limu.devices.SerialState;
import limu.emulator.cpu.IdtDelivery;
import limu.emulator.cpu.MsrFile;
import limu.emulator.unicorn.HostMemory;

/**
 * The whole state of one {@link Machine} between slices (issue 8, part 5): every
 * CPU (Unicorn's CPU state, limu's MSRs and exception state, run state), the
 * parked APs and pending INIT/SIPIs, guest RAM and the framebuffer, every
 * device, the armed timers, the virtual clock and the machine's counters.
 * {@link Machine#restore} puts the machine back exactly, so that what runs
 * after a restore behaves as it did after the snapshot (same serial output,
 * same block and instruction counts, same virtual time). It belongs to the
 * machine that took it; {@link #close()} frees its copy of guest memory
 * (hundreds of MiB: close snapshots you no longer need).
 */
public final class MachineSnapshot implements AutoCloseable {
    /** One CPU: the engine's opaque context and what limu keeps beside it. */
    record Cpu(Object engine, Vcpu.State state, MsrFile.State msrs, IdtDelivery.State delivery) {
    }

    /** An armed timer and its deadline. */
    record Armed(DeviceTimer timer, long deadline) {
    }

    final Machine machine;
    final List<Cpu> cpus;
    final List<int[]> initAndStartup;
    final List<HostMemory> memory;
    final List<Record> devices;
    final SerialState com1;
    final List<Armed> timers;
    final long clockBlocks;
    final long clockSkipped;
    final long blocks;
    final long instructions;
    final int idleSkips;
    final int turn;
    private boolean closed;

    MachineSnapshot(Machine machine, List<Cpu> cpus, List<int[]> initAndStartup, List<HostMemory> memory,
                    List<Record> devices, SerialState com1, List<Armed> timers, long clockBlocks, long clockSkipped,
                    long blocks, long instructions, int idleSkips, int turn) {
        this.machine = machine;
        this.cpus = List.copyOf(cpus);
        this.initAndStartup = initAndStartup.stream().map(int[]::clone).toList();
        this.memory = List.copyOf(memory);
        this.devices = List.copyOf(devices);
        this.com1 = com1;
        this.timers = List.copyOf(timers);
        this.clockBlocks = clockBlocks;
        this.clockSkipped = clockSkipped;
        this.blocks = blocks;
        this.instructions = instructions;
        this.idleSkips = idleSkips;
        this.turn = turn;
    }

    /** Translation blocks the machine had executed when the snapshot was taken. */
    public long blocks() {
        return blocks;
    }

    /** Guest instructions executed at the snapshot (when counted). */
    public long instructions() {
        return instructions;
    }

    /** The machine's virtual time at the snapshot, in nanoseconds. */
    public long virtualNanos() {
        return clockBlocks * VirtualClock.NANOS_PER_BLOCK + clockSkipped;
    }

    /** Bytes of host memory the snapshot holds (guest RAM and framebuffer). */
    public long memoryBytes() {
        return memory.stream().mapToLong(HostMemory::size).sum();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.forEach(HostMemory::close);
        }
    }
}
