// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HpetTest {
    /** Counts rising edges and remembers the level of each line. */
    static final class Line implements InterruptLine {
        int edges;
        boolean level;
        final List<Boolean> changes = new ArrayList<>();

        @Override
        public void set(boolean high) {
            if (high && !level) {
                edges++;
            }
            level = high;
            changes.add(high);
        }
    }

    private final ManualClock clock = new ManualClock();
    private final TimerQueue timers = new TimerQueue();
    private final Map<Integer, Line> gsis = new HashMap<>();
    private final Line irq0 = new Line();
    private final Line irq8 = new Line();
    private final Hpet hpet = new Hpet(Hpet.DEFAULT_BASE, clock, timers,
            gsi -> gsis.computeIfAbsent(gsi, g -> new Line()), irq0, irq8);

    private long read(int offset) {
        return hpet.mmioRead(offset, 8);
    }

    private void write(int offset, long value) {
        hpet.mmioWrite(offset, 8, value);
    }

    private static int timer(int n, int register) {
        return Hpet.TIMER_BASE + Hpet.TIMER_STRIDE * n + register;
    }

    private void advance(long nanos) {
        timers.advance(clock, clock.nanos() + nanos);
    }

    @Test
    void powerOnRegistersAsObservedOnQemu() {
        assertEquals(0x0098_9680_8086_A201L, read(Hpet.CAPABILITIES));
        assertEquals(0x8086_A201L, hpet.mmioRead(0, 4));
        assertEquals(10_000_000L, hpet.mmioRead(4, 4), "period in the high half");
        assertEquals(0, read(Hpet.CONFIGURATION));
        assertEquals(0, read(Hpet.MAIN_COUNTER));
        for (int n = 0; n < 3; n++) {
            assertEquals(0x00F0_0004_0000_0030L, read(timer(n, Hpet.TIMER_CONFIG)));
            assertEquals(-1L, read(timer(n, Hpet.TIMER_COMPARATOR)));
        }
        assertEquals(0, hpet.mmioRead(0x800, 4), "beyond the registers");
    }

    @Test
    void counterRunsOnlyWhileEnabledAndIsWritableWhileHalted() {
        advance(1000);
        assertEquals(0, read(Hpet.MAIN_COUNTER));
        write(Hpet.CONFIGURATION, 1);
        advance(10_000_000); // 10 ms
        assertEquals(1_000_000, read(Hpet.MAIN_COUNTER));
        advance(15);
        assertEquals(1_000_001, hpet.mmioRead(Hpet.MAIN_COUNTER, 4));
        write(Hpet.MAIN_COUNTER, 5);
        assertEquals(1_000_001, read(Hpet.MAIN_COUNTER), "ignored while running");
        write(Hpet.CONFIGURATION, 0);
        advance(1000);
        assertEquals(1_000_001, read(Hpet.MAIN_COUNTER));
        hpet.mmioWrite(Hpet.MAIN_COUNTER + 4, 4, 0x1);
        hpet.mmioWrite(Hpet.MAIN_COUNTER, 4, 0xFFFF_FFF0L);
        assertEquals(0x1_FFFF_FFF0L, read(Hpet.MAIN_COUNTER));
        write(Hpet.CONFIGURATION, 1);
        advance(200);
        assertEquals(0x2_0000_0004L, read(Hpet.MAIN_COUNTER));
    }

    @Test
    void oneShotComparatorThroughARoutedIoApicPin() {
        write(timer(2, Hpet.TIMER_CONFIG), 20 << Hpet.TN_ROUTE_SHIFT | Hpet.TN_INT_ENABLE);
        write(timer(2, Hpet.TIMER_COMPARATOR), 1000);
        write(Hpet.CONFIGURATION, 1);
        advance(9_990);
        assertEquals(0, gsis.get(20).edges);
        advance(10);
        assertEquals(1, gsis.get(20).edges);
        assertEquals(List.of(true, false), gsis.get(20).changes, "edge timers pulse");
        advance(1_000_000_000);
        assertEquals(1, gsis.get(20).edges, "a 64-bit one-shot matches once");
        assertEquals(0, read(Hpet.INTERRUPT_STATUS), "edge timers leave status alone");
    }

    @Test
    void periodicWithValSetAsLinuxProgramsIt() {
        write(Hpet.CONFIGURATION, 1);
        advance(5000); // counter 500
        long now = read(Hpet.MAIN_COUNTER);
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_PERIODIC | Hpet.TN_VAL_SET | Hpet.TN_INT_ENABLE
                | 2 << Hpet.TN_ROUTE_SHIFT);
        write(timer(0, Hpet.TIMER_COMPARATOR), now + 100_000);
        assertEquals(0, read(timer(0, Hpet.TIMER_CONFIG)) & Hpet.TN_VAL_SET, "VAL_SET clears itself");
        write(timer(0, Hpet.TIMER_COMPARATOR), 100_000); // sets only the period now
        assertEquals(now + 100_000, read(timer(0, Hpet.TIMER_COMPARATOR)));
        advance(1_000_000_000);
        assertEquals(1000, gsis.get(2).edges, "1 kHz for a virtual second");
        assertEquals(now + 1001 * 100_000L, read(timer(0, Hpet.TIMER_COMPARATOR)), "comparator accumulates");
    }

    /** Unicorn hands a 64-bit store to MMIO as two 32-bit stores, low half first. */
    @Test
    void aSplit64BitComparatorWriteWithValSetSetsTheWholeComparator() {
        write(Hpet.CONFIGURATION, 1);
        advance(5000);
        long target = read(Hpet.MAIN_COUNTER) + 100_000 + (1L << 32);
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_PERIODIC | Hpet.TN_VAL_SET | Hpet.TN_INT_ENABLE
                | 2 << Hpet.TN_ROUTE_SHIFT);
        hpet.mmioWrite(timer(0, Hpet.TIMER_COMPARATOR), 4, target & 0xFFFF_FFFFL);
        hpet.mmioWrite(timer(0, Hpet.TIMER_COMPARATOR) + 4, 4, target >>> 32);
        assertEquals(target, read(timer(0, Hpet.TIMER_COMPARATOR)));
        assertEquals(0, read(timer(0, Hpet.TIMER_CONFIG)) & Hpet.TN_VAL_SET, "VAL_SET cleared after the high half");
        hpet.mmioWrite(timer(0, Hpet.TIMER_COMPARATOR), 4, 100_000);
        hpet.mmioWrite(timer(0, Hpet.TIMER_COMPARATOR) + 4, 4, 0);
        assertEquals(target, read(timer(0, Hpet.TIMER_COMPARATOR)), "without VAL_SET only the period changes");
    }

    @Test
    void periodicCatchesUpWhenTheMachineIsLate() {
        write(timer(1, Hpet.TIMER_CONFIG), Hpet.TN_PERIODIC | Hpet.TN_VAL_SET | Hpet.TN_INT_ENABLE
                | 21 << Hpet.TN_ROUTE_SHIFT);
        write(timer(1, Hpet.TIMER_COMPARATOR), 10_000);
        write(timer(1, Hpet.TIMER_COMPARATOR), 10_000);
        write(Hpet.CONFIGURATION, 1);
        clock.set(550_000); // counter 55,000: matches at 10,000..50,000 are overdue
        timers.runDue(clock.nanos());
        assertEquals(1, gsis.get(21).edges);
        assertEquals(60_000, read(timer(1, Hpet.TIMER_COMPARATOR)));
        assertEquals(600_000, timers.nextDeadline());
    }

    /** A one-tick (10 ns) period interrupts at most every DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS. */
    @Test
    void aTinyPeriodIsMergedIntoTheShortestInterval() {
        write(timer(1, Hpet.TIMER_CONFIG), Hpet.TN_PERIODIC | Hpet.TN_VAL_SET | Hpet.TN_INT_ENABLE
                | 21 << Hpet.TN_ROUTE_SHIFT);
        write(timer(1, Hpet.TIMER_COMPARATOR), 1);
        write(timer(1, Hpet.TIMER_COMPARATOR), 1);
        write(Hpet.CONFIGURATION, 1);
        long last = 0;
        for (int i = 0; i < 100_000; i++) {      // 1 ms in 10 ns steps
            advance(10);
            long next = timers.nextDeadline();
            assertTrue(next == last || next - clock.nanos() >= DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS - Hpet.PERIOD_NS,
                    "next match " + (next - clock.nanos()) + " ns away");
            last = next;
        }
        long most = 1_000_000 / DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS + 1;
        assertTrue(gsis.get(21).edges >= most - 2 && gsis.get(21).edges <= most, gsis.get(21).edges + " edges");
    }

    @Test
    void thirtyTwoBitModeWrapsTheComparator() {
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_32BIT | Hpet.TN_INT_ENABLE | 2 << Hpet.TN_ROUTE_SHIFT);
        assertEquals(0xFFFF_FFFFL, read(timer(0, Hpet.TIMER_COMPARATOR)));
        hpet.mmioWrite(Hpet.MAIN_COUNTER, 8, 0xFFFF_FF00L);
        write(timer(0, Hpet.TIMER_COMPARATOR), 0x1_0000_0010L);
        assertEquals(0x10, read(timer(0, Hpet.TIMER_COMPARATOR)), "upper half dropped");
        write(Hpet.CONFIGURATION, 1);
        advance(0x110 * 10L);
        assertEquals(1, gsis.get(2).edges, "matches when the low 32 bits wrap to 0x10");
        assertEquals(0x1_0000_0010L, read(Hpet.MAIN_COUNTER));
        assertEquals(clock.nanos() + (1L << 32) * 10, timers.nextDeadline(),
                "next match a full 32-bit wrap later");
    }

    @Test
    void levelTimersSetStatusWhichIsWriteOneToClear() {
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_LEVEL | 2 << Hpet.TN_ROUTE_SHIFT);
        write(timer(0, Hpet.TIMER_COMPARATOR), 10);
        write(Hpet.CONFIGURATION, 1);
        advance(100);
        assertEquals(1, read(Hpet.INTERRUPT_STATUS), "status set even with the interrupt disabled");
        assertTrue(gsis.get(2) == null || !gsis.get(2).level, "but the line stays low");
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_LEVEL | Hpet.TN_INT_ENABLE | 2 << Hpet.TN_ROUTE_SHIFT);
        assertTrue(gsis.get(2).level, "enabling the interrupt with status set asserts the line");
        write(Hpet.INTERRUPT_STATUS, 2);
        assertTrue(gsis.get(2).level, "writing 0 bits changes nothing");
        write(Hpet.INTERRUPT_STATUS, 1);
        assertEquals(0, read(Hpet.INTERRUPT_STATUS));
        assertFalse(gsis.get(2).level);
    }

    @Test
    void legacyReplacementRoutesTimers0And1ToIrq0And8AndGatesThePitAndRtc() {
        Line pitIrq0 = new Line();
        InterruptLine pitSide = hpet.legacyGate(0, pitIrq0);
        pitSide.set(true);
        assertTrue(pitIrq0.level);
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_INT_ENABLE);
        write(timer(1, Hpet.TIMER_CONFIG), Hpet.TN_INT_ENABLE);
        write(timer(0, Hpet.TIMER_COMPARATOR), 10);
        write(timer(1, Hpet.TIMER_COMPARATOR), 20);
        write(Hpet.CONFIGURATION, Hpet.CFG_ENABLE | Hpet.CFG_LEGACY);
        assertFalse(pitIrq0.level, "the 8254 is cut off in legacy replacement");
        advance(1000);
        assertEquals(1, irq0.edges);
        assertEquals(1, irq8.edges);
        assertTrue(gsis.isEmpty() || gsis.values().stream().allMatch(l -> l.edges == 0));
        write(Hpet.CONFIGURATION, Hpet.CFG_ENABLE);
        assertTrue(pitIrq0.level);
    }

    @Test
    void disablingStopsTheTimersAndStateRoundTrips() {
        write(timer(0, Hpet.TIMER_CONFIG), Hpet.TN_INT_ENABLE | 2 << Hpet.TN_ROUTE_SHIFT);
        write(timer(0, Hpet.TIMER_COMPARATOR), 1000);
        write(Hpet.CONFIGURATION, 1);
        advance(3000);
        Hpet.State s = hpet.state();
        write(Hpet.CONFIGURATION, 0);
        assertEquals(DeviceTimer.NEVER, timers.nextDeadline());
        hpet.restore(s);
        assertEquals(s, hpet.state());
        assertEquals(10_000, timers.nextDeadline());
        assertEquals(300, read(Hpet.MAIN_COUNTER));
    }
}
