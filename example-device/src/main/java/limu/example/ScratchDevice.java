// SPDX-License-Identifier: GPL-2.0-or-later
package limu.example;

import limu.devices.*;

import java.util.List;

/**
 * A small MMIO device for tests and as the reference for writing a plug-in
 * device: registers that remember, a counter, the virtual time and an
 * interrupt the guest raises itself. Attach with
 * {@code --device scratch[,base=0xFEBF0000][,irq=5]}.
 * <p>
 * Registers (offsets from the base; little-endian; any access size that stays
 * inside one register reads or writes part of it):
 * <pre>
 *   0x00  ID        RO  32  0x5343_5254 ("TRCS" in memory; 'SCRT' as a number)
 *   0x04  VERSION   RO  32  1
 *   0x08  SCRATCH   RW  32  holds what was written
 *   0x10  COUNTER   RW  64  a write sets it; reading it does not change it
 *   0x18  ADD       WO  64  adds the value written to COUNTER (reads 0)
 *   0x20  TIME      RO  64  virtual nanoseconds now
 *   0x28  IRQ       RW  32  bit 0 drives the interrupt line (1 = asserted)
 *   0x30  ACCESSES  RO  64  guest accesses to the device so far, this one excluded
 *   0x100-0x1FF  RAM  RW  256 bytes of memory
 * </pre>
 * Everything else reads 0 and ignores writes. The window is 4 KiB.
 */
public final class ScratchDevice implements Device, Snapshottable<ScratchDevice.State> {
    public static final long DEFAULT_BASE = 0xFEBF_0000L;
    public static final long WINDOW_SIZE = 0x1000;
    public static final int ID_VALUE = 0x5343_5254;
    public static final int VERSION_VALUE = 1;

    public static final int ID = 0x00, VERSION = 0x04, SCRATCH = 0x08, COUNTER = 0x10, ADD = 0x18, TIME = 0x20,
            IRQ = 0x28, ACCESSES = 0x30, RAM = 0x100, RAM_SIZE = 0x100;

    public record State(int scratch, long counter, boolean irq, long accesses, List<Byte> ram) {
        public State {
            ram = List.copyOf(ram);
        }
    }

    private final String name;
    private final long base;
    private final VirtualTime time;
    private final InterruptLine interrupt;
    private final byte[] ram = new byte[RAM_SIZE];
    private int scratch;
    private long counter;
    private boolean irq;
    private long accesses;

    public ScratchDevice(String name, long base, VirtualTime time, InterruptLine interrupt) {
        if (name == null || time == null || interrupt == null) {
            throw new NullPointerException("scratch device dependencies");
        }
        new MmioRange(base, WINDOW_SIZE);
        this.name = name;
        this.base = base;
        this.time = time;
        this.interrupt = interrupt;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<MmioRange> mmio() {
        return List.of(new MmioRange(base, WINDOW_SIZE));
    }

    @Override
    public long mmioRead(long offset, int size) {
        long counted = accesses++;
        if (offset >= RAM && offset + size <= RAM + RAM_SIZE) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | ram[(int) offset - RAM + i] & 0xFF;
            }
            return v;
        }
        int reg = (int) (offset & ~7L);
        int within = (int) (offset & 7);
        long value = switch (reg) {
            case ID -> ID_VALUE | (long) VERSION_VALUE << 32;
            case SCRATCH -> scratch & 0xFFFF_FFFFL;
            case COUNTER -> counter;
            case TIME -> time.nanos();
            case IRQ -> irq ? 1 : 0;
            case ACCESSES -> counted;
            default -> 0;
        };
        return AccessSize.extract(value, within, Math.min(size, 8 - within));
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        accesses++;
        if (offset >= RAM && offset + size <= RAM + RAM_SIZE) {
            for (int i = 0; i < size; i++) {
                ram[(int) offset - RAM + i] = (byte) (value >>> (8 * i));
            }
            return;
        }
        int reg = (int) (offset & ~7L);
        int within = (int) (offset & 7);
        int width = Math.min(size, 8 - within);
        switch (reg) {
            case SCRATCH -> {
                if (within < 4) {
                    scratch = (int) AccessSize.deposit(scratch & 0xFFFF_FFFFL, within, Math.min(width, 4 - within),
                            value);
                }
            }
            case COUNTER -> counter = AccessSize.deposit(counter, within, width, value);
            case ADD -> counter += AccessSize.deposit(0, within, width, value);
            case IRQ -> {
                if (within == 0) {
                    setIrq((value & 1) != 0);
                }
            }
            default -> {
            }
        }
    }

    private void setIrq(boolean level) {
        if (level != irq) {
            irq = level;
            interrupt.set(level);
        }
    }

    public long counter() {
        return counter;
    }

    @Override
    public void reset() {
        scratch = 0;
        counter = 0;
        accesses = 0;
        java.util.Arrays.fill(ram, (byte) 0);
        setIrq(false);
    }

    @Override
    public State state() {
        Byte[] bytes = new Byte[RAM_SIZE];
        for (int i = 0; i < RAM_SIZE; i++) {
            bytes[i] = ram[i];
        }
        return new State(scratch, counter, irq, accesses, List.of(bytes));
    }

    @Override
    public void restore(State s) {
        scratch = s.scratch();
        counter = s.counter();
        accesses = s.accesses();
        for (int i = 0; i < RAM_SIZE; i++) {
            ram[i] = s.ram().get(i);
        }
        setIrq(s.irq());
    }
}
