// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;

/**
 * An Intel 82093AA-style I/O APIC with 24 inputs, at 0xFEC00000 on a PC, as QEMU
 * presents it (version 0x20, which adds the EOI register at 0x40).
 * <p>
 * Registers are reached indirectly: the guest writes a register index to IOREGSEL
 * (offset 0x00) and reads or writes the register through IOWIN (offset 0x10).
 * Index 0 is the ID, 1 the version (0x00170020: 24 entries), 2 the arbitration ID,
 * and 0x10 + 2n / 0x11 + 2n the low and high halves of redirection entry n.
 * <p>
 * Inputs: {@link #pin(int)} gives each input as an {@link InterruptLine} carrying
 * the <em>asserted</em> state. The polarity bit is stored and read back but not
 * applied: every source in this machine reports "asserted" directly (as QEMU's
 * do), so an ISA line programmed active-low still works.
 * <ul>
 *   <li>Edge-triggered entries send a message on each rising edge while unmasked;
 *       an edge on a masked pin is lost (82093AA §3.2.4, mask bit).</li>
 *   <li>Level-triggered entries send a message while the pin is asserted, unmasked
 *       and Remote IRR is clear, and set Remote IRR; an EOI for the entry's vector
 *       (from a local APIC through {@link #endOfInterrupt}, or the EOI register)
 *       clears it, and a pin still asserted sends again.</li>
 * </ul>
 * Messages are delivered at once, so Delivery Status always reads 0 (idle).
 */
public final class IoApic implements Device, Snapshottable<IoApic.State> {
    public static final long DEFAULT_BASE = 0xFEC0_0000L;
    public static final long WINDOW_SIZE = 0x1000;
    public static final int PINS = 24;

    // Memory-mapped registers (offsets from the base).
    public static final int IOREGSEL = 0x00;
    public static final int IOWIN = 0x10;
    /** Directed EOI register (I/O APIC version 0x20 and later): write a vector. */
    public static final int EOI = 0x40;

    // Indirect register indices.
    public static final int IOAPICID = 0x00;
    public static final int IOAPICVER = 0x01;
    public static final int IOAPICARB = 0x02;
    public static final int IOREDTBL = 0x10;

    public static final int VERSION = 0x20 | (PINS - 1) << 16;

    // Redirection entry bits.
    public static final long RTE_VECTOR = 0xFF;
    public static final int RTE_DELIVERY_MODE_SHIFT = 8;
    public static final long RTE_DEST_LOGICAL = 1L << 11;
    public static final long RTE_DELIVERY_STATUS = 1L << 12;
    public static final long RTE_ACTIVE_LOW = 1L << 13;
    public static final long RTE_REMOTE_IRR = 1L << 14;
    public static final long RTE_LEVEL = 1L << 15;
    public static final long RTE_MASKED = 1L << 16;
    public static final int RTE_DESTINATION_SHIFT = 56;
    /** Bits the guest may write: everything but delivery status, remote IRR and the reserved 17-55. */
    static final long RTE_WRITABLE = 0xFFL << RTE_DESTINATION_SHIFT | RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW
            | RTE_DEST_LOGICAL | 7L << RTE_DELIVERY_MODE_SHIFT | RTE_VECTOR;

    /**
     * Everything an I/O APIC needs to resume.
     *
     * @param id          the 4-bit I/O APIC ID (register 0 bits 24-27)
     * @param ioregsel    the selected register index
     * @param redirection the 24 redirection entries, Remote IRR included
     * @param pinLevels   the asserted state of each input
     */
    public record State(int id, int ioregsel, List<Long> redirection, List<Boolean> pinLevels) {
        public State {
            redirection = List.copyOf(redirection);
            pinLevels = List.copyOf(pinLevels);
            if (redirection.size() != PINS || pinLevels.size() != PINS) {
                throw new IllegalArgumentException("an I/O APIC has " + PINS + " pins");
            }
        }
    }

    private final long base;
    private final ApicBus bus;
    private final InterruptLine[] pins = new InterruptLine[PINS];
    private final long[] redirection = new long[PINS];
    private final boolean[] level = new boolean[PINS];
    private int id;
    private int ioregsel;

    public IoApic(ApicBus bus) {
        this(DEFAULT_BASE, 0, bus);
    }

    /**
     * @param base the MMIO base (the MADT I/O APIC entry's address)
     * @param id   the I/O APIC ID the MADT entry gives
     */
    public IoApic(long base, int id, ApicBus bus) {
        if (bus == null) {
            throw new NullPointerException("APIC bus");
        }
        if ((id & ~0xF) != 0) {
            throw new IllegalArgumentException("I/O APIC ID " + id + " is not 4 bits");
        }
        new MmioRange(base, WINDOW_SIZE);
        this.base = base;
        this.bus = bus;
        for (int i = 0; i < PINS; i++) {
            int n = i;
            pins[i] = asserted -> setPin(n, asserted);
        }
        this.id = id;
        resetRegisters();
    }

    @Override
    public String name() {
        return "ioapic";
    }

    @Override
    public List<MmioRange> mmio() {
        return List.of(new MmioRange(base, WINDOW_SIZE));
    }

    /** Input {@code n} (a GSI, as the I/O APIC's GSI base is 0). */
    public InterruptLine pin(int n) {
        if (n < 0 || n >= PINS) {
            throw new IllegalArgumentException("I/O APIC pin " + n + " (0-" + (PINS - 1) + ")");
        }
        return pins[n];
    }

    /**
     * IOREGSEL and IOWIN are 32-bit registers; narrower loads read part of them,
     * the rest of the window reads 0.
     */
    @Override
    public long mmioRead(long offset, int size) {
        int within = (int) (offset & 3);
        long register = switch ((int) (offset & ~3L)) {
            case IOREGSEL -> ioregsel;
            case IOWIN -> readRegister(ioregsel);
            default -> 0;
        };
        return AccessSize.extract(register, within, Math.min(size, 4));
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        int within = (int) (offset & 3);
        switch ((int) (offset & ~3L)) {
            case IOREGSEL -> ioregsel = (int) AccessSize.deposit(ioregsel, within, Math.min(size, 4), value) & 0xFF;
            case IOWIN -> {
                long old = readRegister(ioregsel);
                writeRegister(ioregsel, (int) AccessSize.deposit(old, within, Math.min(size, 4), value));
            }
            case EOI -> endOfInterrupt((int) value & 0xFF);
            default -> {
            }
        }
    }

    /** The 32-bit register at index {@code index}. */
    public int readRegister(int index) {
        if (index == IOAPICID || index == IOAPICARB) {
            return id << 24;
        }
        if (index == IOAPICVER) {
            return VERSION;
        }
        if (index >= IOREDTBL && index < IOREDTBL + 2 * PINS) {
            long entry = redirection[(index - IOREDTBL) >> 1];
            return (int) ((index & 1) == 0 ? entry : entry >>> 32);
        }
        return 0;
    }

    public void writeRegister(int index, int value) {
        if (index == IOAPICID) {
            id = value >>> 24 & 0xF;
        } else if (index >= IOREDTBL && index < IOREDTBL + 2 * PINS) {
            int n = (index - IOREDTBL) >> 1;
            long entry = redirection[n];
            long updated = (index & 1) == 0
                    ? (entry & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL)
                    : (entry & 0xFFFF_FFFFL) | ((long) value << 32);
            writeEntry(n, updated);
        }
    }

    /** Redirection entry {@code n} as 64 bits. */
    public long redirectionEntry(int n) {
        return redirection[n];
    }

    private void writeEntry(int n, long value) {
        long kept = redirection[n] & RTE_REMOTE_IRR;
        if ((value & RTE_LEVEL) == 0) {
            kept = 0; // Remote IRR is undefined for edge-triggered entries; keep it clear
        }
        redirection[n] = value & RTE_WRITABLE | kept;
        if (level[n] && (redirection[n] & RTE_LEVEL) != 0) {
            service(n);
        }
    }

    /**
     * An EOI for {@code vector}: clears Remote IRR of every level-triggered entry
     * with that vector, and re-sends those whose pin is still asserted.
     */
    public void endOfInterrupt(int vector) {
        for (int n = 0; n < PINS; n++) {
            long entry = redirection[n];
            if ((entry & RTE_VECTOR) == vector && (entry & RTE_REMOTE_IRR) != 0) {
                redirection[n] = entry & ~RTE_REMOTE_IRR;
                if (level[n]) {
                    service(n);
                }
            }
        }
    }

    public boolean pinLevel(int n) {
        return level[n];
    }

    private void setPin(int n, boolean asserted) {
        boolean was = level[n];
        level[n] = asserted;
        if (!asserted || was && (redirection[n] & RTE_LEVEL) == 0) {
            return;
        }
        service(n);
    }

    private void service(int n) {
        long entry = redirection[n];
        if ((entry & RTE_MASKED) != 0) {
            return;
        }
        boolean levelTriggered = (entry & RTE_LEVEL) != 0;
        if (levelTriggered && (entry & RTE_REMOTE_IRR) != 0) {
            return;
        }
        DeliveryMode mode = DeliveryMode.of((int) (entry >>> RTE_DELIVERY_MODE_SHIFT));
        if (mode == null || mode == DeliveryMode.STARTUP) {
            return; // reserved encodings send nothing
        }
        if (levelTriggered) {
            redirection[n] = entry | RTE_REMOTE_IRR;
        }
        bus.deliver(InterruptMessage.fromIoApic((int) (entry & RTE_VECTOR), mode,
                (entry & RTE_DEST_LOGICAL) != 0, (int) (entry >>> RTE_DESTINATION_SHIFT), levelTriggered));
    }

    /** All entries masked, everything else 0 (82093AA §3.2.4); the input levels belong to the devices. */
    @Override
    public void reset() {
        resetRegisters();
    }

    private void resetRegisters() {
        ioregsel = 0;
        for (int n = 0; n < PINS; n++) {
            redirection[n] = RTE_MASKED;
        }
    }

    @Override
    public State state() {
        Long[] entries = new Long[PINS];
        Boolean[] levels = new Boolean[PINS];
        for (int n = 0; n < PINS; n++) {
            entries[n] = redirection[n];
            levels[n] = level[n];
        }
        return new State(id, ioregsel, List.of(entries), List.of(levels));
    }

    /** Puts the registers back; sends nothing (a pending level message is in the local APIC's state). */
    @Override
    public void restore(State state) {
        id = state.id() & 0xF;
        ioregsel = state.ioregsel() & 0xFF;
        for (int n = 0; n < PINS; n++) {
            redirection[n] = state.redirection().get(n);
            level[n] = state.pinLevels().get(n);
        }
    }
}
