// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Ps2ControllerTest {
    static final class Power implements PowerListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void resetRequested(String reason) {
            events.add("reset: " + reason);
        }

        @Override
        public void powerOffRequested(String reason) {
            events.add("off: " + reason);
        }
    }

    /** IRQ 1 as the 8259 sees it: the level and the rising edges. */
    static final class Irq implements InterruptLine {
        boolean level;
        int edges;

        @Override
        public void set(boolean l) {
            if (l && !level) {
                edges++;
            }
            level = l;
        }
    }

    private final Power power = new Power();
    private final Irq irq = new Irq();
    private final Ps2Controller kbc = new Ps2Controller(power, irq);

    private int status() {
        return kbc.portRead(0x64, 1);
    }

    /** Every byte the output buffer holds now, read as a polling driver reads them. */
    private List<Integer> drain() {
        List<Integer> bytes = new ArrayList<>();
        while ((status() & 0x01) != 0) {
            bytes.add(kbc.portRead(0x60, 1));
        }
        return bytes;
    }

    private void configure(int config) {
        kbc.portWrite(0x64, 1, 0x60);
        kbc.portWrite(0x60, 1, config);
    }

    @Test
    void statusAtPowerOnSaysNoDataAndInputBufferEmpty() {
        int status = status();
        assertEquals(0, status & 0x03, "OBF and IBF clear: a probing loop ends at once");
        assertEquals(0x04, status & 0x04, "system flag: self-test passed");
        assertFalse(irq.level);
    }

    @Test
    void controllerCommands() {
        kbc.portWrite(0x64, 1, 0xAA);
        assertEquals(0x01, status() & 0x01);
        assertEquals(0x08, status() & 0x08, "last write was a command");
        assertEquals(0x55, kbc.portRead(0x60, 1));
        assertEquals(0, status() & 0x01);
        kbc.portWrite(0x64, 1, 0xAB);
        assertEquals(0x00, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0x20);
        int config = kbc.portRead(0x60, 1);
        assertEquals(Ps2Controller.DEFAULT_CONFIG, config);
        configure(config & ~0x43);
        kbc.portWrite(0x64, 1, 0x20);
        assertEquals(config & ~0x43, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0xD0);
        assertEquals(0x03, kbc.portRead(0x60, 1));
        kbc.portWrite(0x64, 1, 0xD2);
        kbc.portWrite(0x60, 1, 0x9C);
        assertEquals(List.of(0x9C), drain(), "0xD2 hands the byte back as if from the keyboard, untranslated");
        kbc.portWrite(0x64, 1, 0xFE);
        assertEquals(List.of("reset: 8042 command 0xfe"), power.events);
    }

    @Test
    void readingAnEmptyOutputBufferReturnsTheLastByteAgain() {
        kbc.portWrite(0x64, 1, 0xAA);
        assertEquals(0x55, kbc.portRead(0x60, 1));
        assertEquals(0x55, kbc.portRead(0x60, 1));
    }

    @Test
    void keyboardCommandsAnswerAsAnMf2KeyboardThroughTranslation() {
        kbc.portWrite(0x60, 1, 0xFF);
        assertEquals(List.of(0xFA, 0xAA), drain(), "reset: ACK, self-test passed");
        kbc.portWrite(0x60, 1, 0xEE);
        assertEquals(List.of(0xEE), drain(), "echo");
        kbc.portWrite(0x60, 1, 0xF2);
        assertEquals(List.of(0xFA, 0xAB, 0x41), drain(), "identify: 0xAB 0x83, the 0x83 translated");
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x00);
        assertEquals(List.of(0xFA, 0xFA, 0x41), drain(), "scancode set 2, translated to 0x41");
        kbc.portWrite(0x60, 1, 0xED);
        assertEquals(List.of(0xFA), drain());
        kbc.portWrite(0x60, 1, 0x05);
        assertEquals(List.of(0xFA), drain());
        assertEquals(0x05, kbc.keyboard().leds());
        kbc.portWrite(0x60, 1, 0xF3);
        kbc.portWrite(0x60, 1, 0x20);
        assertEquals(List.of(0xFA, 0xFA), drain());
        assertEquals(0x20, kbc.keyboard().typematic());
        kbc.portWrite(0x60, 1, 0x12);
        assertEquals(List.of(0xFE), drain(), "not a command: resend");
    }

    @Test
    void withoutTranslationTheRepliesAreRaw() {
        configure(0x25);
        kbc.portWrite(0x60, 1, 0xF2);
        assertEquals(List.of(0xFA, 0xAB, 0x83), drain());
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x00);
        assertEquals(List.of(0xFA, 0xFA, 0x02), drain());
    }

    @Test
    void keysArriveAsSet1MakeAndBreakCodesWithTranslationOn() {
        kbc.press(Ps2Key.A);
        kbc.release(Ps2Key.A);
        kbc.press(Ps2Key.ESCAPE);
        kbc.release(Ps2Key.ESCAPE);
        kbc.press(Ps2Key.F7);
        kbc.release(Ps2Key.F7);
        assertEquals(List.of(0x1E, 0x9E, 0x01, 0x81, 0x41, 0xC1), drain());
    }

    @Test
    void extendedKeysKeepTheirE0Prefix() {
        kbc.press(Ps2Key.UP);
        kbc.release(Ps2Key.UP);
        kbc.press(Ps2Key.RIGHT_CTRL);
        kbc.release(Ps2Key.RIGHT_CTRL);
        assertEquals(List.of(0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0x1D, 0xE0, 0x9D), drain());
    }

    @Test
    void withoutTranslationTheGuestSeesSet2() {
        configure(0x25);
        kbc.press(Ps2Key.A);
        kbc.release(Ps2Key.A);
        kbc.press(Ps2Key.LEFT);
        kbc.release(Ps2Key.LEFT);
        assertEquals(List.of(0x1C, 0xF0, 0x1C, 0xE0, 0x6B, 0xE0, 0xF0, 0x6B), drain());
    }

    @Test
    void setOneSelectedTheKeyboardSendsSet1Itself() {
        configure(0x25);
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x01);
        assertEquals(List.of(0xFA, 0xFA), drain());
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x00);
        assertEquals(List.of(0xFA, 0xFA, 0x01), drain());
        kbc.press(Ps2Key.DELETE);
        kbc.release(Ps2Key.DELETE);
        assertEquals(List.of(0xE0, 0x53, 0xE0, 0xD3), drain());
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x03);
        assertEquals(List.of(0xFA, 0xFE), drain(), "set 3 is not offered");
    }

    @Test
    void noTypematicRepeatAndNoBreakForAKeyNotDown() {
        kbc.press(Ps2Key.B);
        kbc.press(Ps2Key.B);
        kbc.press(Ps2Key.B);
        kbc.release(Ps2Key.B);
        kbc.release(Ps2Key.B);
        assertEquals(List.of(0x30, 0xB0), drain());
    }

    @Test
    void disabledScanningSendsNothingAndF4EnablesIt() {
        kbc.portWrite(0x60, 1, 0xF5);
        assertEquals(List.of(0xFA), drain());
        kbc.press(Ps2Key.C);
        kbc.release(Ps2Key.C);
        assertEquals(List.of(), drain());
        kbc.portWrite(0x60, 1, 0xF4);
        assertEquals(List.of(0xFA), drain());
        kbc.press(Ps2Key.C);
        assertEquals(List.of(0x2E), drain());
    }

    @Test
    void eachByteIsOneIrq1EdgeWhenConfigurationBit0IsSet() {
        kbc.press(Ps2Key.D);
        assertTrue(irq.level, "OBF with configuration bit 0 raises IRQ 1");
        assertEquals(1, irq.edges);
        kbc.release(Ps2Key.D);
        assertEquals(1, irq.edges, "the break code waits behind the unread make code");
        assertEquals(0x20, kbc.portRead(0x60, 1));
        assertEquals(2, irq.edges, "reading it lets the next byte in: a new edge");
        assertEquals(0xA0, kbc.portRead(0x60, 1));
        assertFalse(irq.level);
        configure(0x64);
        kbc.press(Ps2Key.D);
        assertFalse(irq.level, "bit 0 clear: no interrupt, only OBF");
        assertEquals(0x01, status() & 0x01);
    }

    @Test
    void aDisabledPortHoldsKeysBackUntilEnabled() {
        kbc.portWrite(0x64, 1, 0xAD);
        kbc.press(Ps2Key.E);
        assertEquals(0, status() & 0x01);
        kbc.portWrite(0x64, 1, 0xAE);
        assertEquals(List.of(0x12), drain());
    }

    @Test
    void aCommandClearsQueuedKeysAndResetRestoresDefaults() {
        configure(0x25);
        kbc.portWrite(0x60, 1, 0xF0);
        kbc.portWrite(0x60, 1, 0x01);
        drain();
        kbc.portWrite(0x64, 1, 0xAD);
        kbc.press(Ps2Key.F);
        kbc.portWrite(0x60, 1, 0xFF);
        kbc.portWrite(0x64, 1, 0xAE);
        assertEquals(List.of(0xFA, 0xAA), drain(), "the queued key is gone");
        assertEquals(2, kbc.keyboard().scancodeSet());
        assertTrue(kbc.keyboard().scanning());
    }

    @Test
    void resendRepeatsTheLastByte() {
        kbc.portWrite(0x60, 1, 0xEE);
        drain();
        kbc.portWrite(0x60, 1, 0xFE);
        assertEquals(List.of(0xEE), drain());
    }

    @Test
    void aFullBufferEndsInOneOverrunCode() {
        kbc.portWrite(0x64, 1, 0xAD);
        Ps2Key[] keys = {Ps2Key.Q, Ps2Key.W, Ps2Key.E, Ps2Key.R, Ps2Key.T, Ps2Key.Y, Ps2Key.U, Ps2Key.I};
        for (Ps2Key k : keys) {
            kbc.press(k);
            kbc.release(k);   // 3 bytes a key in set 2
        }
        kbc.portWrite(0x64, 1, 0xAE);
        List<Integer> got = drain();
        assertEquals(List.of(0x10, 0x90, 0x11, 0x91, 0x12, 0x92, 0x13, 0x93, 0x14, 0x94, 0x15, 0xFF), got,
                "16 bytes fit (five keys and Y's make), then one overrun code (set 2's 0x00, translated)");
    }

    @Test
    void snapshotRestoresOutputKeyboardAndTranslationState() {
        kbc.press(Ps2Key.G);
        kbc.release(Ps2Key.G);
        kbc.press(Ps2Key.H);
        Ps2Controller.State s = kbc.state();
        List<Integer> expected = drain();
        Ps2Controller other = new Ps2Controller(power, new Irq());
        other.restore(s);
        List<Integer> got = new ArrayList<>();
        while ((other.portRead(0x64, 1) & 1) != 0) {
            got.add(other.portRead(0x60, 1));
        }
        assertEquals(expected, got);
        other.release(Ps2Key.H);
        assertEquals(0xA3, other.portRead(0x60, 1), "H was still down in the snapshot");
    }
}
