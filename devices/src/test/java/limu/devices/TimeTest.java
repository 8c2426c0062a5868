// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeTest {
    private final TimerQueue queue = new TimerQueue();
    private final ManualClock clock = new ManualClock();
    private final List<String> fired = new ArrayList<>();

    @Test
    void timersExpireInDeadlineThenCreationOrder() {
        DeviceTimer a = queue.newTimer("a", () -> fired.add("a@" + clock.nanos()));
        DeviceTimer b = queue.newTimer("b", () -> fired.add("b@" + clock.nanos()));
        DeviceTimer c = queue.newTimer("c", () -> fired.add("c@" + clock.nanos()));
        c.arm(100);
        b.arm(50);
        a.arm(100);
        assertEquals(50, queue.nextDeadline());
        assertEquals(0, queue.runDue(49));
        assertEquals(3, queue.advance(clock, 1000));
        assertEquals(List.of("b@50", "a@100", "c@100"), fired);
        assertEquals(DeviceTimer.NEVER, queue.nextDeadline());
        assertEquals(1000, clock.nanos());
        assertFalse(a.armed());
    }

    @Test
    void rearmingCancelingAndPeriodicCallbacks() {
        DeviceTimer[] self = new DeviceTimer[1];
        self[0] = queue.newTimer("tick", () -> {
            fired.add("tick@" + clock.nanos());
            self[0].arm(clock.nanos() + 30);
        });
        self[0].arm(10);
        DeviceTimer other = queue.newTimer("other", () -> fired.add("other"));
        other.arm(20);
        other.arm(45);
        other.cancel();
        queue.advance(clock, 100);
        assertEquals(List.of("tick@10", "tick@40", "tick@70", "tick@100"), fired);
        assertEquals(130, queue.nextDeadline());
    }

    @Test
    void runDueAtALateTimeRunsEverythingDueInOrder() {
        DeviceTimer[] self = new DeviceTimer[1];
        long[] deadline = {10};
        self[0] = queue.newTimer("p", () -> {
            fired.add("p" + deadline[0]);
            deadline[0] += 10;
            self[0].arm(deadline[0]);
        });
        self[0].arm(10);
        assertEquals(3, queue.runDue(35));
        assertEquals(List.of("p10", "p20", "p30"), fired);
    }

    @Test
    void aTimerRearmedForItsOwnDeadlineIsABug() {
        DeviceTimer[] self = new DeviceTimer[1];
        self[0] = queue.newTimer("stuck", () -> self[0].arm(5));
        self[0].arm(5);
        assertThrows(IllegalStateException.class, () -> queue.runDue(5));
    }

    @Test
    void theSameProgramGivesTheSameSequence() {
        assertEquals(run(), run());
    }

    private List<String> run() {
        TimerQueue q = new TimerQueue();
        ManualClock c = new ManualClock();
        List<String> log = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            DeviceTimer[] t = new DeviceTimer[1];
            t[0] = q.newTimer("t" + n, () -> {
                log.add(n + "@" + c.nanos());
                t[0].arm(c.nanos() + 7 * (n + 1));
            });
            t[0].arm(3);
        }
        q.advance(c, 200);
        return log;
    }

    @Test
    void tickRatesConvertExactly() {
        TickRate pit = new TickRate(1_193_182);
        assertEquals(1_193_182, pit.ticks(1_000_000_000L));
        assertEquals(11_931, pit.ticks(10_000_000L));
        for (long t : new long[] {0, 1, 2, 11_931, 11_932, 1_193_182, 123_456_789}) {
            long n = pit.nanos(t);
            assertTrue(pit.ticks(n) >= t, "ticks(nanos(t)) >= t for " + t);
            assertTrue(n == 0 || pit.ticks(n - 1) < t, "nanos(t) is the first such instant for " + t);
        }
        assertEquals(Long.MAX_VALUE, new TickRate(1).nanos(Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new TickRate(0));
    }

    @Test
    void manualClockOnlyGoesForward() {
        clock.advance(5);
        assertThrows(IllegalArgumentException.class, () -> clock.set(4));
        assertEquals(5, clock.nanos());
    }

    @Test
    void wiredOrAndFanOut() {
        List<Boolean> out = new ArrayList<>();
        WiredOr or = new WiredOr(out::add);
        InterruptLine a = or.newSource();
        InterruptLine b = or.newSource();
        a.set(true);
        b.set(true);
        a.set(false);
        b.set(false);
        assertEquals(List.of(true, false), out);

        List<String> seen = new ArrayList<>();
        InterruptLine both = InterruptLines.fanOut(l -> seen.add("x" + l), l -> seen.add("y" + l));
        InterruptLines.pulse(both);
        assertEquals(List.of("xtrue", "ytrue", "xfalse", "yfalse"), seen);
    }
}
