// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Pit8254Test {
    private final ManualClock clock = new ManualClock();
    private final TimerQueue timers = new TimerQueue();
    private final HpetTest.Line irq0 = new HpetTest.Line();
    private final Pit8254 pit = new Pit8254(clock, timers, irq0);

    private void out(int port, int value) {
        pit.portWrite(port, 1, value);
    }

    private int in(int port) {
        return pit.portRead(port, 1);
    }

    private void advance(long nanos) {
        timers.advance(clock, clock.nanos() + nanos);
    }

    private int latch(int channel) {
        out(0x43, channel << 6);
        return in(0x40 + channel) | in(0x40 + channel) << 8;
    }

    @Test
    void mode2RateGeneratorInterruptsAtTheProgrammedRate() {
        out(0x43, 0x34); // channel 0, lobyte/hibyte, mode 2
        out(0x40, 11931 & 0xFF);
        out(0x40, 11931 >> 8); // 100.007 Hz (11932 would be 99.998 Hz: 99 edges in a second)
        int before = irq0.edges;
        advance(1_000_000_000L);
        assertEquals(100, irq0.edges - before);
        assertTrue(irq0.level, "the line rests high between pulses");
    }

    @Test
    void mode3SquareWaveAndLatchedReads() {
        out(0x43, 0x36);
        out(0x40, 0x00);
        out(0x40, 0x10); // 4096
        advance(1_000_000); // 1193 ticks: counts down by two
        int v = latch(0);
        assertEquals(4096 - (2 * 1193) % 4096, v);
        int before = irq0.edges;
        advance(1_000_000_000L);
        assertEquals(291, irq0.edges - before, "1193182 / 4096 = 291.3 periods");
    }

    @Test
    void mode0InterruptsOnceAtTerminalCount() {
        out(0x43, 0x30);
        assertFalse(irq0.level, "mode 0 OUT starts low");
        int before = irq0.edges;
        out(0x40, 100);
        out(0x40, 0);
        advance(83_000); // 99 ticks
        assertFalse(irq0.level);
        assertEquals(1, latch(0));
        advance(1_000);
        assertTrue(irq0.level);
        advance(10_000_000);
        assertEquals(1, irq0.edges - before);
        int v = latch(0);
        assertTrue(Math.abs(v - (0x10000 - 11932)) <= 2, "the count wraps and keeps going: " + v);
    }

    @Test
    void channel2CalibrationThroughPort61AsLinuxDoesIt() {
        // pit_calibrate_tsc(): gate high, speaker off; channel 2 mode 0 with a 50 ms count; poll OUT2.
        out(0x61, (in(0x61) & ~0x02) | 0x01);
        out(0x43, 0xB0);
        int latch = (int) (Pit8254.FREQUENCY_HZ / 20);
        out(0x42, latch & 0xFF);
        out(0x42, latch >> 8);
        long start = clock.nanos();
        int polls = 0;
        while ((in(0x61) & 0x20) == 0) {
            clock.advance(1000);
            polls++;
        }
        long elapsed = clock.nanos() - start;
        assertTrue(Math.abs(elapsed - 50_000_000) <= 1000, "50 ms of virtual time: " + elapsed);
        assertTrue(polls > 100);
    }

    @Test
    void gateLowHoldsChannel2InMode0() {
        out(0x43, 0xB0);
        out(0x42, 0x10);
        out(0x42, 0x00);
        advance(100_000);
        assertEquals(0x10, latch(2), "gate low at power-on: not counting");
        out(0x61, 0x01);
        advance(5_000); // 5.97 ticks: 5 or 6 whole clock edges
        int counted = latch(2);
        assertTrue(counted == 0x10 - 5 || counted == 0x10 - 6, "counted " + counted);
        out(0x61, 0x00);
        advance(100_000);
        assertEquals(counted, latch(2));
    }

    @Test
    void port61RefreshToggleAndSpeakerBits() {
        int a = in(0x61) & 0x10;
        clock.advance(15_085);
        int b = in(0x61) & 0x10;
        assertTrue(a != b, "bit 4 toggles every 15.085 µs");
        out(0x61, 0x03);
        assertEquals(0x03, in(0x61) & 0x0F);
        assertTrue(pit.speakerEnabled());
    }

    @Test
    void readBackStatusAndAccessModes() {
        out(0x43, 0x74); // channel 1, lobyte/hibyte, mode 2
        out(0x41, 0x34);
        out(0x41, 0x12);
        out(0x43, 0xC4); // read-back: latch count and status of channel 1
        assertEquals(0x80 | 0x34, in(0x41), "status: OUT high, count loaded, rw 3, mode 2");
        assertEquals(0x34, in(0x41));
        assertEquals(0x12, in(0x41));
        out(0x43, 0x54); // channel 1, lobyte only, mode 2
        out(0x41, 0x40);
        assertEquals(0x40, in(0x41));
        out(0x43, 0x65); // channel 1, hibyte only, mode 2, BCD
        out(0x41, 0x10); // count 1000 (BCD 0x1000)
        advance(838 * 2); // 2 ticks
        assertEquals(0x09, in(0x41), "BCD 0998 reads its high byte 0x09");
        out(0x43, 0xE2); // read-back status only, channel 0
        assertEquals(0x36, in(0x40) & 0x3F, "power-on: mode 3, lobyte/hibyte");
    }

    @Test
    void powerOnChannel0TicksAt18Hz() {
        int before = irq0.edges;
        advance(1_000_000_000L);
        assertEquals(18, irq0.edges - before);
        Pit8254.State s = pit.state();
        Pit8254 other = new Pit8254(clock, new TimerQueue(), InterruptLine.DISCONNECTED);
        other.restore(s);
        assertEquals(s, other.state());
    }
}
