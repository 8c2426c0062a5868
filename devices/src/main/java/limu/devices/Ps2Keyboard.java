// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * An MF2 PC keyboard on the 8042's first port: what it sends when keys go down and up, and how
 * it answers the host's commands (IBM PS/2 Keyboard Technical Reference; OSDev wiki, "PS/2
 * Keyboard"). It speaks scancode set 2 from power-on, as AT keyboards do; set 1 on request. It
 * has no clock of its own: a key pressed sends one make code however long it is held (no
 * typematic repeat; a press of a key already down is dropped) and replies are ready at once.
 * <p>
 * Commands: 0xED set LEDs (+ byte), 0xEE echo (0xEE back, no ACK), 0xF0 get/set scancode set
 * (+ byte: 0 asks, 1 and 2 select; set 3 is not offered and gets 0xFE), 0xF2 identify (ACK,
 * 0xAB 0x83), 0xF3 typematic rate/delay (+ byte, kept), 0xF4 enable scanning, 0xF5 disable
 * scanning and restore defaults, 0xF6 restore defaults, 0xF7-0xFD set-3 key modes (ACK), 0xFE
 * resend the last byte, 0xFF reset (ACK, then 0xAA: self-test passed, scanning on, set 2).
 * Any other byte gets 0xFE (resend). A command clears the keys still queued, as the keyboard
 * does on receiving a command. The buffer holds 16 bytes; a key that does not fit is replaced by
 * the overrun code (0x00 in set 2, 0xFF in set 1).
 */
public final class Ps2Keyboard implements Snapshottable<Ps2Keyboard.State> {
    public static final int ACK = 0xFA;
    public static final int RESEND = 0xFE;
    public static final int ECHO = 0xEE;
    public static final int SELF_TEST_PASSED = 0xAA;
    /** The two identify bytes of an MF2 keyboard. */
    public static final int ID_FIRST = 0xAB, ID_SECOND = 0x83;
    /** Typematic 10.9 characters a second after 500 ms: the power-on value. */
    public static final int DEFAULT_TYPEMATIC = 0x2B;
    static final int BUFFER_BYTES = 16;

    /**
     * @param pendingCommand a command waiting for its data byte (0 if none)
     * @param lastSent       the byte 0xFE would resend
     * @param output         bytes queued for the controller, oldest first
     * @param held           keys down now
     */
    public record State(int scancodeSet, boolean scanning, int leds, int typematic, int pendingCommand,
            int lastSent, List<Integer> output, List<Ps2Key> held) {
        public State {
            output = List.copyOf(output);
            held = List.copyOf(held);
        }
    }

    private final ArrayDeque<Integer> output = new ArrayDeque<>();
    private final Set<Ps2Key> held = EnumSet.noneOf(Ps2Key.class);
    private int scancodeSet;
    private boolean scanning;
    private int leds;
    private int typematic;
    private int pendingCommand;
    private int lastSent;

    public Ps2Keyboard() {
        powerOn();
    }

    private void powerOn() {
        output.clear();
        held.clear();
        defaults();
        scanning = true;
        leds = 0;
        pendingCommand = 0;
        lastSent = 0;
    }

    private void defaults() {
        scancodeSet = 2;
        typematic = DEFAULT_TYPEMATIC;
    }

    /** A byte from the host (the controller passed on a write to port 0x60). */
    public void receive(int value) {
        int v = value & 0xFF;
        int command = pendingCommand;
        pendingCommand = 0;
        if (command != 0) {
            data(command, v);
            return;
        }
        output.clear();
        switch (v) {
            case 0xED, 0xF0, 0xF3 -> {
                pendingCommand = v;
                reply(ACK);
            }
            case 0xEE -> reply(ECHO);
            case 0xF2 -> {
                reply(ACK);
                reply(ID_FIRST);
                reply(ID_SECOND);
            }
            case 0xF4 -> {
                scanning = true;
                reply(ACK);
            }
            case 0xF5 -> {
                defaults();
                scanning = false;
                reply(ACK);
            }
            case 0xF6 -> {
                defaults();
                reply(ACK);
            }
            case 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD -> reply(ACK);
            case 0xFE -> reply(lastSent);
            case 0xFF -> {
                powerOn();
                reply(ACK);
                reply(SELF_TEST_PASSED);
            }
            default -> reply(RESEND);
        }
    }

    private void data(int command, int v) {
        switch (command) {
            case 0xED -> {
                leds = v & 0x07;
                reply(ACK);
            }
            case 0xF3 -> {
                typematic = v & 0x7F;
                reply(ACK);
            }
            default -> { // 0xF0
                if (v == 0) {
                    reply(ACK);
                    reply(scancodeSet);
                } else if (v == 1 || v == 2) {
                    scancodeSet = v;
                    reply(ACK);
                } else {
                    reply(RESEND);
                }
            }
        }
    }

    /** A host key went down: its make code, unless scanning is off or the key is already down. */
    public void press(Ps2Key key) {
        if (held.add(key) && scanning) {
            queueKey(key, false);
        }
    }

    /** A host key came up: its break code, if it was down and scanning is on. */
    public void release(Ps2Key key) {
        if (held.remove(key) && scanning) {
            queueKey(key, true);
        }
    }

    private void queueKey(Ps2Key key, boolean isBreak) {
        List<Integer> bytes = new ArrayList<>(3);
        if (key.extended()) {
            bytes.add(Ps2Key.EXTENDED_PREFIX);
        }
        if (scancodeSet == 1) {
            bytes.add(key.set1() | (isBreak ? 0x80 : 0));
        } else {
            if (isBreak) {
                bytes.add(Ps2Key.SET2_BREAK_PREFIX);
            }
            bytes.add(key.set2());
        }
        if (output.size() + bytes.size() > BUFFER_BYTES) {
            int overrun = scancodeSet == 1 ? 0xFF : 0x00;
            if (output.isEmpty() || output.peekLast() != overrun) {
                output.add(overrun);
            }
            return;
        }
        output.addAll(bytes);
    }

    private void reply(int b) {
        output.add(b);
    }

    /** True when a byte waits for the controller. */
    public boolean hasOutput() {
        return !output.isEmpty();
    }

    /** The next byte for the controller (call only when {@link #hasOutput()}). */
    public int takeOutput() {
        int b = output.remove();
        if (b != RESEND) {
            lastSent = b;
        }
        return b;
    }

    public int scancodeSet() {
        return scancodeSet;
    }

    public boolean scanning() {
        return scanning;
    }

    /** Bit 0 scroll lock, bit 1 num lock, bit 2 caps lock. */
    public int leds() {
        return leds;
    }

    public int typematic() {
        return typematic;
    }

    public void reset() {
        powerOn();
    }

    @Override
    public State state() {
        return new State(scancodeSet, scanning, leds, typematic, pendingCommand, lastSent, List.copyOf(output),
                List.copyOf(held));
    }

    @Override
    public void restore(State s) {
        scancodeSet = s.scancodeSet();
        scanning = s.scanning();
        leds = s.leds();
        typematic = s.typematic();
        pendingCommand = s.pendingCommand();
        lastSent = s.lastSent();
        output.clear();
        output.addAll(s.output());
        held.clear();
        held.addAll(s.held());
    }
}
