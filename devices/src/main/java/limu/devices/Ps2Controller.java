// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayDeque;
import java.util.List;

/**
 * An Intel 8042 keyboard controller at 0x60 (data) and 0x64 (status/command) with a
 * {@link Ps2Keyboard} on its first port and nothing on the second (Intel 8042 / IBM PS/2
 * keyboard-controller documentation; OSDev wiki, "8042 PS/2 Controller").
 * <p>
 * One output register: a byte in it sets status bit 0 and, with configuration bit 0, raises
 * IRQ 1 until the guest reads it; only then does the next byte move in, so each byte is one
 * rising edge for the 8259 and the I/O APIC. Controller replies come first, then the keyboard's
 * bytes, which wait in the keyboard while its clock is off (configuration bit 4, commands
 * 0xAD/0xAE). With configuration bit 6 (on from power-on, as PC firmware leaves it) the
 * controller translates the keyboard's set-2 bytes to set 1: a code through the translation
 * table, and 0xF0 swallowed and turned into bit 7 of the next byte. The table is the inverse of
 * {@link Ps2Key}'s set-2 codes, plus the 8042's 0x02 to 0x41 and 0x00 to 0xFF; the other bytes
 * (0xE0, 0xFA, 0xAA, 0xEE, 0xFE, ...) pass unchanged.
 * <p>
 * Commands: 0x20 read / 0x60 write the configuration byte, 0xA7/0xA8 disable/enable port 2,
 * 0xA9 and 0xAB port tests (0x00, passed: the lines are fine, port 2 has just no device), 0xAA
 * self-test (0x55), 0xAD/0xAE disable/enable port 1, 0xD0/0xD1 read/write the output port
 * (bit 0 clear resets the system), 0xD2/0xD3 (the next byte back as if from port 1 / port 2),
 * 0xD4 (the next byte for port 2: dropped, nothing answers), 0xFE and other pulses of output bit
 * 0 (system reset, reported to the {@link PowerListener}). Other bytes written to 0x60 go to the
 * keyboard.
 */
public final class Ps2Controller implements Device, Snapshottable<Ps2Controller.State> {
    public static final int DATA_PORT = 0x60, STATUS_PORT = 0x64;

    public static final int STATUS_OUTPUT_FULL = 0x01;
    public static final int STATUS_INPUT_FULL = 0x02;
    public static final int STATUS_SYSTEM = 0x04;
    public static final int STATUS_COMMAND = 0x08;
    public static final int STATUS_UNLOCKED = 0x10;

    /** Configuration: port 1 interrupt, system flag, port 2 clock off, translation. */
    public static final int DEFAULT_CONFIG = 0x65;
    static final int CONFIG_PORT1_INTERRUPT = 0x01;
    static final int CONFIG_PORT1_CLOCK_OFF = 0x10, CONFIG_PORT2_CLOCK_OFF = 0x20;
    static final int CONFIG_TRANSLATION = 0x40;
    /** Output port: bit 0 = not in reset, bit 1 = A20 enabled. */
    public static final int DEFAULT_OUTPUT_PORT = 0x03;

    private static final int[] SET2_TO_SET1 = translationTable();

    /**
     * @param pendingCommand a command waiting for its data byte (0 if none)
     * @param replies        controller replies waiting for the output register, oldest first
     * @param outputFull     the output register holds {@code outputByte}
     * @param lastRead       what a read of 0x60 with nothing new returns
     * @param breakPending   translation saw 0xF0: the next byte gets bit 7
     */
    public record State(int config, int outputPort, int pendingCommand, boolean lastWasCommand, List<Integer> replies,
            boolean outputFull, int outputByte, int lastRead, boolean breakPending, Ps2Keyboard.State keyboard) {
        public State {
            replies = List.copyOf(replies);
        }
    }

    private final PowerListener power;
    private final InterruptLine irq1;
    private final Ps2Keyboard keyboard = new Ps2Keyboard();
    private final ArrayDeque<Integer> replies = new ArrayDeque<>();
    private int config;
    private int outputPort;
    private int pendingCommand;
    private boolean lastWasCommand;
    private boolean outputFull;
    private int outputByte;
    private int lastRead;
    private boolean breakPending;
    private boolean irqLevel;

    public Ps2Controller(PowerListener power, InterruptLine irq1) {
        if (power == null || irq1 == null) {
            throw new NullPointerException(power == null ? "power listener" : "IRQ 1 line");
        }
        this.power = power;
        this.irq1 = irq1;
        powerOn();
    }

    private static int[] translationTable() {
        int[] t = new int[256];
        for (int i = 0; i < t.length; i++) {
            t[i] = i;
        }
        for (Ps2Key k : Ps2Key.values()) {
            t[k.set2()] = k.set1();
        }
        t[0x02] = 0x41;
        t[0x00] = 0xFF;
        return t;
    }

    @Override
    public String name() {
        return "i8042";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(DATA_PORT, 1), new PortRange(STATUS_PORT, 1));
    }

    /** The keyboard on port 1. */
    public Ps2Keyboard keyboard() {
        return keyboard;
    }

    /** A host key went down on the keyboard. */
    public void press(Ps2Key key) {
        keyboard.press(key);
        fillOutput();
    }

    /** A host key came up on the keyboard. */
    public void release(Ps2Key key) {
        keyboard.release(key);
        fillOutput();
    }

    @Override
    public int portRead(int port, int size) {
        if (port == STATUS_PORT) {
            return STATUS_UNLOCKED | STATUS_SYSTEM | (lastWasCommand ? STATUS_COMMAND : 0)
                    | (outputFull ? STATUS_OUTPUT_FULL : 0);
        }
        if (outputFull) {
            lastRead = outputByte;
            outputFull = false;
            updateIrq();
            fillOutput();
        }
        return lastRead;
    }

    @Override
    public void portWrite(int port, int size, int value) {
        int v = value & 0xFF;
        if (port == STATUS_PORT) {
            lastWasCommand = true;
            command(v);
        } else {
            lastWasCommand = false;
            data(v);
        }
        fillOutput();
        updateIrq();
    }

    private void command(int c) {
        pendingCommand = 0;
        switch (c) {
            case 0x20 -> replies.add(config);
            case 0x60, 0xD1, 0xD2, 0xD3, 0xD4 -> pendingCommand = c;
            case 0xA7 -> config |= CONFIG_PORT2_CLOCK_OFF;
            case 0xA8 -> config &= ~CONFIG_PORT2_CLOCK_OFF;
            case 0xA9, 0xAB -> replies.add(0x00);
            case 0xAA -> replies.add(0x55);
            case 0xAD -> config |= CONFIG_PORT1_CLOCK_OFF;
            case 0xAE -> config &= ~CONFIG_PORT1_CLOCK_OFF;
            case 0xD0 -> replies.add(outputPort);
            default -> {
                if (c >= 0xF0 && (c & 1) == 0) {
                    power.resetRequested(String.format("8042 command 0x%02x", c));
                }
            }
        }
    }

    private void data(int v) {
        int c = pendingCommand;
        pendingCommand = 0;
        switch (c) {
            case 0x60 -> config = v;
            case 0xD1 -> {
                outputPort = v;
                if ((v & 1) == 0) {
                    power.resetRequested("8042 output port bit 0 cleared");
                }
            }
            case 0xD2, 0xD3 -> replies.add(v);
            case 0xD4 -> {
                // for port 2, where nothing is plugged in
            }
            default -> keyboard.receive(v);
        }
    }

    /** Moves the next byte into an empty output register: a controller reply, else a keyboard byte. */
    private void fillOutput() {
        while (!outputFull) {
            if (!replies.isEmpty()) {
                load(replies.remove());
            } else if ((config & CONFIG_PORT1_CLOCK_OFF) == 0 && keyboard.hasOutput()) {
                int b = keyboard.takeOutput();
                if ((config & CONFIG_TRANSLATION) == 0) {
                    load(b);
                } else if (b == Ps2Key.SET2_BREAK_PREFIX) {
                    breakPending = true;
                } else {
                    load(SET2_TO_SET1[b] | (breakPending ? 0x80 : 0));
                    breakPending = false;
                }
            } else {
                break;
            }
        }
        updateIrq();
    }

    private void load(int b) {
        outputByte = b;
        outputFull = true;
    }

    private void updateIrq() {
        boolean level = outputFull && (config & CONFIG_PORT1_INTERRUPT) != 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq1.set(level);
        }
    }

    /** The A20 gate as the output port says (always on in limu's memory; reported for completeness). */
    public boolean a20() {
        return (outputPort & 2) != 0;
    }

    @Override
    public void reset() {
        powerOn();
    }

    private void powerOn() {
        replies.clear();
        keyboard.reset();
        config = DEFAULT_CONFIG;
        outputPort = DEFAULT_OUTPUT_PORT;
        pendingCommand = 0;
        lastWasCommand = false;
        outputFull = false;
        outputByte = 0;
        lastRead = 0;
        breakPending = false;
        updateIrq();
    }

    @Override
    public State state() {
        return new State(config, outputPort, pendingCommand, lastWasCommand, List.copyOf(replies), outputFull,
                outputByte, lastRead, breakPending, keyboard.state());
    }

    @Override
    public void restore(State s) {
        config = s.config();
        outputPort = s.outputPort();
        pendingCommand = s.pendingCommand();
        lastWasCommand = s.lastWasCommand();
        replies.clear();
        replies.addAll(s.replies());
        outputFull = s.outputFull();
        outputByte = s.outputByte();
        lastRead = s.lastRead();
        breakPending = s.breakPending();
        keyboard.restore(s.keyboard());
        updateIrq();
    }
}
