// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RtcTest {
    /** 2025-03-09 23:59:58 UTC, a Sunday. */
    private static final long BOOT = LocalDateTime.of(2025, 3, 9, 23, 59, 58).toEpochSecond(ZoneOffset.UTC);

    private final ManualClock clock = new ManualClock();
    private final TimerQueue timers = new TimerQueue();
    private final HpetTest.Line irq8 = new HpetTest.Line();
    private final Rtc rtc = new Rtc(BOOT, clock, timers, irq8);

    private int cmos(int index) {
        rtc.portWrite(0x70, 1, index);
        return rtc.portRead(0x71, 1);
    }

    private void cmos(int index, int value) {
        rtc.portWrite(0x70, 1, index);
        rtc.portWrite(0x71, 1, value);
    }

    @Test
    void bcdDateFromTheBootEpochPlusVirtualTime() {
        assertEquals(0x58, cmos(0x00));
        assertEquals(0x59, cmos(0x02));
        assertEquals(0x23, cmos(0x04));
        assertEquals(0x01, cmos(0x06), "Sunday = 1");
        assertEquals(0x09, cmos(0x07));
        assertEquals(0x03, cmos(0x08));
        assertEquals(0x25, cmos(0x09));
        assertEquals(0x20, cmos(0x32));
        clock.advance(2_500_000_000L);
        assertEquals(0x00, cmos(0x00));
        assertEquals(0x00, cmos(0x04));
        assertEquals(0x10, cmos(0x07));
        assertEquals(0x02, cmos(0x06), "Monday");
        assertEquals(0x26, cmos(0x0A));
        assertEquals(0x02, cmos(0x0B));
        assertEquals(0x80, cmos(0x0D), "valid RAM and time");
    }

    @Test
    void binaryAnd12HourModes() {
        cmos(0x0B, 0x04); // binary, 12-hour
        assertEquals(58, cmos(0x00));
        assertEquals(0x80 | 11, cmos(0x04), "11 PM");
        assertEquals(25, cmos(0x09));
        clock.advance(3_000_000_000L);
        assertEquals(12, cmos(0x04), "12 AM");
    }

    @Test
    void updateInProgressJustBeforeEachSecond() {
        assertEquals(0, cmos(0x0A) & 0x80);
        clock.set(999_800_000L);
        assertEquals(0x80, cmos(0x0A) & 0x80);
        assertEquals(0x58, cmos(0x00), "the time still reads the old second");
        clock.set(1_000_000_000L);
        assertEquals(0, cmos(0x0A) & 0x80);
        assertEquals(0x59, cmos(0x00));
    }

    @Test
    void indexBit7MasksNmi() {
        rtc.portWrite(0x70, 1, 0x80 | 0x0B);
        assertTrue(rtc.nmiDisabled());
        assertEquals(0x02, rtc.portRead(0x71, 1), "bit 7 is not part of the index");
        rtc.portWrite(0x70, 1, 0x0B);
        assertFalse(rtc.nmiDisabled());
    }

    @Test
    void guestSetsTheClockAndUsesRam() {
        cmos(0x09, 0x30);
        cmos(0x04, 0x08);
        assertEquals(LocalDateTime.of(2030, 3, 9, 8, 59, 58), rtc.now());
        clock.advance(1_000_000_000L);
        assertEquals(0x59, cmos(0x00));
        cmos(0x40, 0xAB);
        assertEquals(0xAB, cmos(0x40));
        cmos(0x0D, 0);
        assertEquals(0x80, cmos(0x0D));
    }

    @Test
    void periodicAndUpdateInterruptsOnIrq8() {
        cmos(0x0B, 0x02 | 0x40); // PIE at the default 1024 Hz
        timers.advance(clock, 1_000_000L);
        assertTrue(irq8.level);
        assertEquals(0xC0, cmos(0x0C) & 0xC0, "IRQF and PF");
        assertFalse(irq8.level, "reading C clears the IRQ");
        timers.advance(clock, 1_000_000_000L);
        assertEquals(2, irq8.edges, "level held until read: one more edge");
        cmos(0x0B, 0x02 | 0x10); // UIE only
        cmos(0x0C);
        timers.advance(clock, 2_000_000_000L);
        assertEquals(0x90, cmos(0x0C) & 0x90, "IRQF and UF (PF is reported too, without PIE)");
        cmos(0x0B, 0x02);
        clock.advance(3_000_000_000L);
        assertEquals(0x10, cmos(0x0C) & 0xB0, "UF without UIE: flag only, no IRQF");
    }

    @Test
    void stateRoundTrips() {
        cmos(0x50, 7);
        Rtc.State s = rtc.state();
        Rtc other = new Rtc(BOOT, clock, new TimerQueue(), InterruptLine.DISCONNECTED);
        other.restore(s);
        assertEquals(s, other.state());
    }
}
