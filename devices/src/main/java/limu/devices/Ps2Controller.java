// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayDeque;
import java.util.List;

/**
 * An Intel 8042 keyboard controller with nothing plugged into either port, at
 * 0x60 (data) and 0x64 (status/command): just enough that kernels that probe it
 * see a controller and move on instead of spinning. The input buffer is always
 * empty (status bit 1 clear: the guest may write at once); the output buffer
 * holds only replies to controller commands.
 * <p>
 * Commands: 0x20 read / 0x60 write the configuration byte, 0xA7/0xA8 disable/enable
 * port 2, 0xA9 and 0xAB port tests (0x00, passed: the lines are fine, there is
 * just no device), 0xAA self-test (0x55), 0xAD/0xAE disable/enable port 1, 0xD0/0xD1
 * read/write the output port (bit 0 clear resets the system), 0xD2-0xD4 (bytes for
 * the ports, dropped or echoed as the 8042 does), 0xFE and other pulses of output
 * bit 0 (system reset, reported to the {@link PowerListener}). Bytes written to 0x60
 * for a device are dropped with no reply, so a driver's device probe times out, as
 * on a PC with no keyboard.
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
    static final int CONFIG_PORT1_CLOCK_OFF = 0x10, CONFIG_PORT2_CLOCK_OFF = 0x20;
    /** Output port: bit 0 = not in reset, bit 1 = A20 enabled. */
    public static final int DEFAULT_OUTPUT_PORT = 0x03;

    /**
     * @param pendingCommand a command waiting for its data byte (0 if none)
     * @param output         bytes waiting in the output buffer, oldest first
     */
    public record State(int config, int outputPort, int pendingCommand, boolean lastWasCommand, List<Integer> output) {
        public State {
            output = List.copyOf(output);
        }
    }

    private final PowerListener power;
    private final ArrayDeque<Integer> output = new ArrayDeque<>();
    private int config;
    private int outputPort;
    private int pendingCommand;
    private boolean lastWasCommand;

    public Ps2Controller(PowerListener power) {
        if (power == null) {
            throw new NullPointerException("power listener");
        }
        this.power = power;
        powerOn();
    }

    @Override
    public String name() {
        return "i8042";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(DATA_PORT, 1), new PortRange(STATUS_PORT, 1));
    }

    @Override
    public int portRead(int port, int size) {
        if (port == STATUS_PORT) {
            return STATUS_UNLOCKED | STATUS_SYSTEM | (lastWasCommand ? STATUS_COMMAND : 0)
                    | (output.isEmpty() ? 0 : STATUS_OUTPUT_FULL);
        }
        // An empty output buffer reads back its last contents on real chips; 0 is as good.
        return output.isEmpty() ? 0 : output.poll();
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
    }

    private void command(int c) {
        pendingCommand = 0;
        switch (c) {
            case 0x20 -> output.add(config);
            case 0x60, 0xD1, 0xD2, 0xD3, 0xD4 -> pendingCommand = c;
            case 0xA7 -> config |= CONFIG_PORT2_CLOCK_OFF;
            case 0xA8 -> config &= ~CONFIG_PORT2_CLOCK_OFF;
            case 0xA9, 0xAB -> output.add(0x00);
            case 0xAA -> output.add(0x55);
            case 0xAD -> config |= CONFIG_PORT1_CLOCK_OFF;
            case 0xAE -> config &= ~CONFIG_PORT1_CLOCK_OFF;
            case 0xD0 -> output.add(outputPort);
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
            case 0xD2, 0xD3 -> output.add(v); // "as if received from" port 1 / port 2
            default -> {
                // 0xD4 and plain data: for a device that is not there
            }
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
        output.clear();
        config = DEFAULT_CONFIG;
        outputPort = DEFAULT_OUTPUT_PORT;
        pendingCommand = 0;
        lastWasCommand = false;
    }

    @Override
    public State state() {
        return new State(config, outputPort, pendingCommand, lastWasCommand, List.copyOf(output));
    }

    @Override
    public void restore(State s) {
        config = s.config();
        outputPort = s.outputPort();
        pendingCommand = s.pendingCommand();
        lastWasCommand = s.lastWasCommand();
        output.clear();
        output.addAll(s.output());
    }
}
