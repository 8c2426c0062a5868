// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Pic8259Test {
    private final HpetTest.Line intr = new HpetTest.Line();
    private final Pic8259 pic = new Pic8259(intr);

    private void out(int port, int value) {
        pic.portWrite(port, 1, value);
    }

    private int in(int port) {
        return pic.portRead(port, 1);
    }

    /** The remap sequence kernels use (the pic8259 crate, OSDev wiki): 0x11, 0x20/0x28, 4/2, 1. */
    private void remap() {
        out(0x20, 0x11);
        out(0xA0, 0x11);
        out(0x21, 0x20);
        out(0xA1, 0x28);
        out(0x21, 0x04);
        out(0xA1, 0x02);
        out(0x21, 0x01);
        out(0xA1, 0x01);
    }

    @Test
    void remapThenMaskEverything() {
        remap();
        assertEquals(0x20, pic.vectorBase(false));
        assertEquals(0x28, pic.vectorBase(true));
        assertEquals(0, in(0x21), "ICW1 clears the mask");
        out(0x21, 0xFF);
        out(0xA1, 0xFF);
        assertEquals(0xFF, in(0x21));
        assertEquals(0xFF, in(0xA1));
        InterruptLines.pulse(pic.irq(0));
        InterruptLines.pulse(pic.irq(12));
        assertFalse(intr.level, "everything masked: no INT");
        out(0x20, 0x0A);
        assertEquals(0x01, in(0x20), "the request waits in IRR");
        out(0x21, 0xFE);
        assertTrue(intr.level);
    }

    @Test
    void acknowledgePrioritiesAndEoi() {
        remap();
        InterruptLines.pulse(pic.irq(4));
        InterruptLines.pulse(pic.irq(1));
        assertTrue(intr.level);
        assertEquals(0x21, pic.acknowledge(), "IRQ1 before IRQ4");
        assertFalse(intr.level, "IRQ4 waits behind IRQ1 in service");
        out(0x20, 0x0B);
        assertEquals(0x02, in(0x20), "ISR via OCW3");
        InterruptLines.pulse(pic.irq(0));
        assertTrue(intr.level, "IRQ0 outranks the IRQ1 in service");
        assertEquals(0x20, pic.acknowledge());
        out(0x20, 0x20); // non-specific EOI: IRQ0
        assertEquals(0x02, in(0x20));
        out(0x20, 0x61); // specific EOI for IRQ1
        assertEquals(0, in(0x20));
        assertEquals(0x24, pic.acknowledge());
        out(0x20, 0x20);
        assertEquals(0x27, pic.acknowledge(), "nothing pending: spurious IRQ7");
        assertEquals(0, in(0x20), "a spurious IRQ7 is not in service");
    }

    @Test
    void slaveInterruptsCascadeThroughIrq2() {
        remap();
        InterruptLines.pulse(pic.irq(8 + 4)); // IRQ12
        assertTrue(intr.level);
        assertEquals(0x2C, pic.acknowledge());
        out(0xA0, 0x0B);
        assertEquals(0x10, in(0xA0));
        out(0x20, 0x0B);
        assertEquals(0x04, in(0x20), "master has the cascade in service");
        out(0xA0, 0x20);
        out(0x20, 0x20);
        assertEquals(0, in(0x20));
        assertEquals(0, in(0xA0));
    }

    @Test
    void autoEoiAndLevelMode() {
        out(0x20, 0x11);
        out(0x21, 0x08);
        out(0x21, 0x04);
        out(0x21, 0x03); // 8086, auto-EOI
        out(0xA0, 0x11);
        out(0xA1, 0x70);
        out(0xA1, 0x02);
        out(0xA1, 0x01);
        InterruptLines.pulse(pic.irq(3));
        assertEquals(0x0B, pic.acknowledge());
        out(0x20, 0x0B);
        assertEquals(0, in(0x20), "auto-EOI leaves ISR clear");

        pic.portWrite(0x4D1, 1, 0x02); // IRQ9 level-triggered (the SCI)
        assertEquals(0x02, pic.portRead(0x4D1, 1));
        pic.irq(9).set(true);
        assertEquals(0x71, pic.acknowledge());
        out(0xA0, 0x20);
        out(0x20, 0x20);
        assertTrue(intr.level, "a level input still asserted requests again");
        pic.irq(9).set(false);
        assertFalse(intr.level);
    }

    @Test
    void pollAndRotation() {
        remap();
        InterruptLines.pulse(pic.irq(5));
        out(0x20, 0x0C);
        assertEquals(0x85, in(0x20), "poll: request, IRQ5, acknowledged");
        out(0x20, 0xA0); // rotate on non-specific EOI: IRQ5 becomes lowest
        InterruptLines.pulse(pic.irq(5));
        InterruptLines.pulse(pic.irq(6));
        assertEquals(0x26, pic.acknowledge(), "after rotation IRQ6 outranks IRQ5");
    }

    @Test
    void firmwareStateAndSnapshots() {
        pic.initialiseLikeFirmware();
        assertEquals(0xFF, in(0x21));
        assertEquals(0x08, pic.vectorBase(false));
        assertEquals(0x70, pic.vectorBase(true));
        Pic8259.State s = pic.state();
        Pic8259 other = new Pic8259(InterruptLine.DISCONNECTED);
        other.restore(s);
        assertEquals(s, other.state());
        assertEquals(0xFF00, pic.portRead(0x20, 2), "a word read is split: IRR at 0x20, IMR at 0x21");
    }
}
