// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.LongConsumer;

/**
 * Every armed device timer of a machine, ordered by deadline. The machine owns
 * one and hands it to devices as their {@link TimerScheduler}. Its run loop:
 * <pre>{@code
 *   long due = timers.nextDeadline();          // bound the next slice by it
 *   ... run guest until clock >= due, or all CPUs halted ...
 *   if (allHalted) clock.skipTo(due);          // a halted machine costs no host time
 *   timers.runDue(clock.nanos());
 * }</pre>
 * Determinism: timers expire in deadline order; timers with equal deadlines
 * expire in the order they were created. Nothing here reads the host clock.
 * Not thread-safe.
 */
public final class TimerQueue implements TimerScheduler {
    private static final Comparator<DeviceTimer> ORDER =
            Comparator.comparingLong(DeviceTimer::deadline).thenComparingLong(DeviceTimer::order);

    private final TreeSet<DeviceTimer> armed = new TreeSet<>(ORDER);
    private long created;
    private DeviceTimer running;
    private long runningDeadline;
    private LongConsumer earlierDeadline = deadline -> { };

    @Override
    public DeviceTimer newTimer(String name, Runnable callback) {
        return new DeviceTimer(this, name, created++, callback);
    }

    /**
     * {@code listener} hears of every arming that moves {@link #nextDeadline()} earlier, with the
     * new deadline: a run loop ends the running slice there, so the timer fires on time.
     */
    public void onEarlierDeadline(LongConsumer listener) {
        this.earlierDeadline = listener;
    }

    /** The earliest deadline of any armed timer, or {@link DeviceTimer#NEVER}. */
    public long nextDeadline() {
        return armed.isEmpty() ? DeviceTimer.NEVER : armed.first().deadline();
    }

    /**
     * Expires, in order, every timer whose deadline is at or before {@code now},
     * including ones that expiring timers arm for deadlines at or before {@code now}.
     *
     * @return how many callbacks ran
     * @throws IllegalStateException if a callback re-arms its own timer for a
     *                               deadline not after the one that just expired
     *                               (it would expire forever)
     */
    public int runDue(long now) {
        int ran = 0;
        while (!armed.isEmpty() && armed.first().deadline() <= now) {
            DeviceTimer timer = armed.pollFirst();
            long deadline = timer.deadline();
            timer.setDeadline(DeviceTimer.NEVER);
            running = timer;
            runningDeadline = deadline;
            try {
                timer.callback.run();
            } finally {
                running = null;
            }
            ran++;
        }
        return ran;
    }

    /** The armed timers, earliest first (for diagnostics and tests). */
    public List<DeviceTimer> armedTimers() {
        return new ArrayList<>(armed);
    }

    /**
     * For tests and for stepping a {@link ManualClock}: moves {@code clock} to each
     * deadline up to {@code target} in turn, expiring the timers due there, so that
     * every callback sees the time of its own deadline; ends with the clock at
     * {@code target}.
     */
    public int advance(ManualClock clock, long target) {
        int ran = 0;
        while (nextDeadline() <= target) {
            clock.set(Math.max(clock.nanos(), nextDeadline()));
            ran += runDue(clock.nanos());
        }
        clock.set(Math.max(clock.nanos(), target));
        return ran;
    }

    void rearm(DeviceTimer timer, long deadline) {
        if (timer == running && deadline <= runningDeadline) {
            throw new IllegalStateException(String.format(
                    "timer %s re-armed for %d from its own expiry at %d", timer.name(), deadline, runningDeadline));
        }
        long next = nextDeadline();
        if (timer.armed()) {
            armed.remove(timer);
        }
        timer.setDeadline(deadline);
        if (deadline != DeviceTimer.NEVER) {
            armed.add(timer);
            if (deadline < next) {
                earlierDeadline.accept(deadline);
            }
        }
    }
}
