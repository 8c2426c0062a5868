// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;

/**
 * The PC's pair of Intel 8259A programmable interrupt controllers: master at
 * ports 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15) cascaded on the
 * master's IRQ2, plus the edge/level control registers (ELCR) at 0x4D0/0x4D1 as
 * on PIIX chipsets. The master's INT output goes to {@code output}: on a PC,
 * every CPU's LAPIC LINT0 (ExtINT); the CPU fetches the vector with
 * {@link #acknowledge()} (the INTA cycle).
 * <p>
 * Implemented from the 8259A datasheet: ICW1-ICW4 (cascade, edge or level
 * mode, auto-EOI, special fully nested), OCW1 (IMR), OCW2 (non-specific,
 * specific and rotating EOIs, set priority), OCW3 (read IRR/ISR, poll,
 * special mask mode). 8086 mode is assumed (ICW4 µPM); MCS-80 call sequences
 * and buffered mode are stored but have no effect. Edge-triggered requests are
 * latched in IRR on the rising edge and stay until acknowledged (as QEMU); in
 * level mode (ICW1 LTIM, or an ELCR bit) IRR follows the input.
 * <p>
 * Wider port accesses are split into byte accesses to consecutive ports.
 */
public final class Pic8259 implements Device, Snapshottable<Pic8259.State> {
    public static final int MASTER_COMMAND = 0x20, MASTER_DATA = 0x21;
    public static final int SLAVE_COMMAND = 0xA0, SLAVE_DATA = 0xA1;
    public static final int ELCR_MASTER = 0x4D0, ELCR_SLAVE = 0x4D1;
    /** The master input the slave's INT is wired to. */
    public static final int CASCADE_IRQ = 2;

    // ICW1 / OCW2 / OCW3 bits.
    static final int ICW1 = 0x10;
    static final int ICW1_IC4 = 0x01;
    static final int ICW1_SINGLE = 0x02;
    static final int ICW1_LTIM = 0x08;
    static final int OCW3 = 0x08;
    static final int OCW3_READ_REGISTER = 0x02;
    static final int OCW3_READ_ISR = 0x01;
    static final int OCW3_POLL = 0x04;
    static final int OCW3_SET_SPECIAL_MASK = 0x40;
    static final int OCW3_SPECIAL_MASK = 0x20;
    static final int ICW4_AUTO_EOI = 0x02;
    static final int ICW4_SFNM = 0x10;

    /** The bits each ELCR may set: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered. */
    static final int ELCR_MASTER_WRITABLE = 0xF8, ELCR_SLAVE_WRITABLE = 0xDE;

    /**
     * One chip's registers.
     *
     * @param initStep     0 when initialised; 2, 3 or 4 while waiting for that ICW
     * @param priorityBase the IRQ with the highest priority (after rotation)
     * @param inputs       the current levels of the eight inputs
     */
    public record ChipState(int irr, int isr, int imr, int vectorBase, int icw1, int icw3, int icw4, int initStep,
                            int priorityBase, boolean readIsr, boolean poll, boolean specialMask,
                            boolean rotateOnAutoEoi, int elcr, int inputs) {
    }

    public record State(ChipState master, ChipState slave) {
    }

    private final class Chip {
        final boolean isMaster;
        final int elcrWritable;
        int irr, isr, imr, vectorBase, icw1, icw3, icw4, initStep, priorityBase, elcr, inputs;
        boolean readIsr, poll, specialMask, rotateOnAutoEoi;

        Chip(boolean isMaster) {
            this.isMaster = isMaster;
            this.elcrWritable = isMaster ? ELCR_MASTER_WRITABLE : ELCR_SLAVE_WRITABLE;
        }

        boolean levelTriggered(int irq) {
            // The cascade input follows the slave's INT, so it acts level-triggered whatever the mode.
            return (icw1 & ICW1_LTIM) != 0 || (elcr & 1 << irq) != 0 || isMaster && irq == CASCADE_IRQ;
        }

        void setInput(int irq, boolean high) {
            int bit = 1 << irq;
            boolean was = (inputs & bit) != 0;
            inputs = high ? inputs | bit : inputs & ~bit;
            if (levelTriggered(irq)) {
                irr = high ? irr | bit : irr & ~bit;
            } else if (high && !was) {
                irr |= bit;
            }
            update();
        }

        /** Priority rank of {@code irq}: 0 is highest. */
        int rank(int irq) {
            return (irq - priorityBase) & 7;
        }

        /** The highest-priority IRQ set in {@code bits}, or -1. */
        int highest(int bits) {
            for (int r = 0; r < 8; r++) {
                int irq = (priorityBase + r) & 7;
                if ((bits & 1 << irq) != 0) {
                    return irq;
                }
            }
            return -1;
        }

        /** The IRQ this chip would raise INT for, or -1 (datasheet: priority resolver and special mask mode). */
        int requested() {
            int candidate = highest(irr & ~imr);
            if (candidate < 0) {
                return -1;
            }
            int inService = isr;
            if (specialMask) {
                inService &= ~imr;
            }
            if (isMaster && (icw4 & ICW4_SFNM) != 0) {
                inService &= ~(1 << CASCADE_IRQ); // a higher slave request may nest
            }
            int current = highest(inService);
            if (current >= 0 && rank(current) <= rank(candidate)) {
                return -1;
            }
            return candidate;
        }

        /** The INTA cycle: the IRQ granted (IRR → ISR unless auto-EOI); 7 (spurious) if none. */
        int acknowledgeIrq() {
            int irq = requested();
            if (irq < 0) {
                return 7; // spurious: IR7's vector, ISR untouched
            }
            int bit = 1 << irq;
            if (!levelTriggered(irq)) {
                irr &= ~bit;
            }
            if ((icw4 & ICW4_AUTO_EOI) != 0) {
                if (rotateOnAutoEoi) {
                    priorityBase = (irq + 1) & 7;
                }
            } else {
                isr |= bit;
            }
            return irq;
        }

        int readCommand() {
            if (poll) {
                poll = false;
                int irq = requested();
                if (irq < 0) {
                    return 0;
                }
                if (isMaster && irq == CASCADE_IRQ) {
                    int slaveIrq = slave.acknowledgeIrq();
                    acknowledgeIrq();
                    update();
                    return 0x80 | slaveIrq;
                }
                acknowledgeIrq();
                update();
                return 0x80 | irq;
            }
            return readIsr ? isr : irr;
        }

        void writeCommand(int v) {
            if ((v & ICW1) != 0) {
                icw1 = v;
                imr = 0;
                isr = 0;
                irr = 0;
                priorityBase = 0;
                specialMask = false;
                readIsr = false;
                poll = false;
                rotateOnAutoEoi = false;
                if ((v & ICW1_IC4) == 0) {
                    icw4 = 0;
                }
                initStep = 2;
                // Level-mode inputs that are asserted request again at once.
                for (int irq = 0; irq < 8; irq++) {
                    if (levelTriggered(irq) && (inputs & 1 << irq) != 0) {
                        irr |= 1 << irq;
                    }
                }
            } else if ((v & OCW3) != 0) {
                if ((v & OCW3_READ_REGISTER) != 0) {
                    readIsr = (v & OCW3_READ_ISR) != 0;
                }
                poll = (v & OCW3_POLL) != 0;
                if ((v & OCW3_SET_SPECIAL_MASK) != 0) {
                    specialMask = (v & OCW3_SPECIAL_MASK) != 0;
                }
            } else {
                writeOcw2(v);
            }
            update();
        }

        void writeOcw2(int v) {
            int level = v & 7;
            switch (v >>> 5) {
                case 0b001 -> eoi(highest(isr), false); // non-specific EOI
                case 0b011 -> eoi(level, false); // specific EOI
                case 0b101 -> eoi(highest(isr), true); // rotate on non-specific EOI
                case 0b111 -> eoi(level, true); // rotate on specific EOI
                case 0b100 -> rotateOnAutoEoi = true;
                case 0b000 -> rotateOnAutoEoi = false;
                case 0b110 -> priorityBase = (level + 1) & 7; // set priority: level becomes lowest
                default -> {
                }
            }
        }

        void eoi(int irq, boolean rotate) {
            if (irq < 0) {
                return;
            }
            isr &= ~(1 << irq);
            if (rotate) {
                priorityBase = (irq + 1) & 7;
            }
        }

        void writeData(int v) {
            switch (initStep) {
                case 2 -> {
                    vectorBase = v & 0xF8;
                    initStep = (icw1 & ICW1_SINGLE) != 0 ? ((icw1 & ICW1_IC4) != 0 ? 4 : 0) : 3;
                }
                case 3 -> {
                    icw3 = v;
                    initStep = (icw1 & ICW1_IC4) != 0 ? 4 : 0;
                }
                case 4 -> {
                    icw4 = v & 0x1F;
                    initStep = 0;
                }
                default -> imr = v;
            }
            update();
        }

        void reset() {
            irr = isr = imr = vectorBase = icw1 = icw3 = icw4 = initStep = priorityBase = elcr = 0;
            readIsr = poll = specialMask = rotateOnAutoEoi = false;
        }

        ChipState state() {
            return new ChipState(irr, isr, imr, vectorBase, icw1, icw3, icw4, initStep, priorityBase, readIsr, poll,
                    specialMask, rotateOnAutoEoi, elcr, inputs);
        }

        void restore(ChipState s) {
            irr = s.irr();
            isr = s.isr();
            imr = s.imr();
            vectorBase = s.vectorBase();
            icw1 = s.icw1();
            icw3 = s.icw3();
            icw4 = s.icw4();
            initStep = s.initStep();
            priorityBase = s.priorityBase();
            readIsr = s.readIsr();
            poll = s.poll();
            specialMask = s.specialMask();
            rotateOnAutoEoi = s.rotateOnAutoEoi();
            elcr = s.elcr();
            inputs = s.inputs();
        }
    }

    private final Chip master = new Chip(true);
    private final Chip slave = new Chip(false);
    private final InterruptLine output;
    private final InterruptLine[] irqs = new InterruptLine[16];
    private boolean slaveOutput;
    private boolean outputLevel;

    /** @param output the master's INT pin (to LAPIC LINT0 of every CPU) */
    public Pic8259(InterruptLine output) {
        if (output == null) {
            throw new NullPointerException("output line");
        }
        this.output = output;
        for (int i = 0; i < 16; i++) {
            int irq = i;
            irqs[i] = level -> (irq < 8 ? master : slave).setInput(irq & 7, level);
        }
    }

    @Override
    public String name() {
        return "pic";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(MASTER_COMMAND, 2), new PortRange(SLAVE_COMMAND, 2), new PortRange(ELCR_MASTER, 2));
    }

    /** ISA IRQ {@code n} (0-15); IRQ2 is the cascade and has no ISA device. */
    public InterruptLine irq(int n) {
        if (n < 0 || n > 15) {
            throw new IllegalArgumentException("8259 IRQ " + n);
        }
        return irqs[n];
    }

    @Override
    public int portRead(int port, int size) {
        return AccessSize.readBytes(port, size, this::readByte);
    }

    @Override
    public void portWrite(int port, int size, int value) {
        AccessSize.writeBytes(port, size, value, this::writeByte);
    }

    private int readByte(int port) {
        return switch (port) {
            case MASTER_COMMAND -> master.readCommand();
            case MASTER_DATA -> master.imr;
            case SLAVE_COMMAND -> slave.readCommand();
            case SLAVE_DATA -> slave.imr;
            case ELCR_MASTER -> master.elcr;
            case ELCR_SLAVE -> slave.elcr;
            default -> 0xFF;
        };
    }

    private void writeByte(int port, int value) {
        switch (port) {
            case MASTER_COMMAND -> master.writeCommand(value);
            case MASTER_DATA -> master.writeData(value);
            case SLAVE_COMMAND -> slave.writeCommand(value);
            case SLAVE_DATA -> slave.writeData(value);
            case ELCR_MASTER -> {
                master.elcr = value & ELCR_MASTER_WRITABLE;
                update();
            }
            case ELCR_SLAVE -> {
                slave.elcr = value & ELCR_SLAVE_WRITABLE;
                update();
            }
            default -> {
            }
        }
    }

    /**
     * The INTA cycle: the vector of the highest-priority request, with the IRQ
     * moved to ISR (unless auto-EOI). With nothing requested the answer is the
     * spurious IRQ7 (or IRQ15 through the slave) vector, as on real chips.
     */
    public int acknowledge() {
        int irq = master.acknowledgeIrq();
        int vector;
        if (irq == CASCADE_IRQ && (master.icw1 & ICW1_SINGLE) == 0) {
            vector = slave.vectorBase + slave.acknowledgeIrq();
        } else {
            vector = master.vectorBase + irq;
        }
        update();
        return vector;
    }

    /** The master's INT output. */
    public boolean outputLevel() {
        return outputLevel;
    }

    public int imr(boolean ofSlave) {
        return (ofSlave ? slave : master).imr;
    }

    public int vectorBase(boolean ofSlave) {
        return (ofSlave ? slave : master).vectorBase;
    }

    private void update() {
        boolean s = slave.requested() >= 0;
        if (s != slaveOutput) {
            slaveOutput = s;
            master.setInput(CASCADE_IRQ, s); // calls update() again with the new master input
            return;
        }
        boolean m = master.requested() >= 0;
        if (m != outputLevel) {
            outputLevel = m;
            output.set(m);
        }
    }

    /**
     * What the firmware and Limine leave behind: both chips initialised (ICW1 0x11,
     * vector bases 0x08 and 0x70, cascade on IRQ2, 8086 mode) and every input masked.
     */
    public void initialiseLikeFirmware() {
        int[][] sequence = {
            {MASTER_COMMAND, 0x11}, {MASTER_DATA, 0x08}, {MASTER_DATA, 0x04}, {MASTER_DATA, 0x01},
            {SLAVE_COMMAND, 0x11}, {SLAVE_DATA, 0x70}, {SLAVE_DATA, 0x02}, {SLAVE_DATA, 0x01},
            {MASTER_DATA, 0xFF}, {SLAVE_DATA, 0xFF},
        };
        for (int[] write : sequence) {
            writeByte(write[0], write[1]);
        }
    }

    /** Both chips uninitialised with nothing masked (the datasheet's power-on state is undefined; this is QEMU's). */
    @Override
    public void reset() {
        master.reset();
        slave.reset();
        slaveOutput = false;
        master.inputs &= ~(1 << CASCADE_IRQ);
        update();
    }

    @Override
    public State state() {
        return new State(master.state(), slave.state());
    }

    @Override
    public void restore(State s) {
        master.restore(s.master());
        slave.restore(s.slave());
        slaveOutput = (master.inputs & 1 << CASCADE_IRQ) != 0;
        boolean m = master.requested() >= 0;
        if (m != outputLevel) {
            outputLevel = m;
            output.set(m);
        }
    }
}
