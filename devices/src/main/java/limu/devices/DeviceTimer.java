// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * One device's pending expiry, owned by a {@link TimerQueue}. When the
 * queue runs it, the timer is disarmed first and then its callback called;
 * the callback may arm it again (a periodic timer does). Callbacks run on
 * the machine's thread, from {@link TimerQueue#runDue}.
 */
public final class DeviceTimer {
    /** The deadline of a disarmed timer. */
    public static final long NEVER = Long.MAX_VALUE;
    /**
     * The shortest time between two interrupts of a periodic timer (10 µs, 100 kHz). A period shorter than
     * the guest's interrupt handler would starve it forever (each return from the handler meets the next
     * interrupt) and make the machine stop for every period; like KVM's {@code min_timer_period_us}, limu
     * lets such a timer count at its programmed rate (the current count reads true) but merges the periods
     * that end within this time of the last interrupt into the next one (docs/fuzzing.md).
     * The local APIC's timer and the HPET's comparators follow it.
     */
    public static final long MIN_PERIODIC_INTERVAL_NANOS = 10_000;

    private final TimerQueue queue;
    private final String name;
    private final long order;
    final Runnable callback;
    private long deadline = NEVER;

    DeviceTimer(TimerQueue queue, String name, long order, Runnable callback) {
        if (name == null || callback == null) {
            throw new NullPointerException(name == null ? "timer name" : "timer callback");
        }
        this.queue = queue;
        this.name = name;
        this.order = order;
        this.callback = callback;
    }

    /**
     * Expire at virtual time {@code deadlineNanos} (replacing any earlier deadline).
     * {@link #NEVER} disarms. A deadline already past expires at the next
     * {@link TimerQueue#runDue}.
     */
    public void arm(long deadlineNanos) {
        queue.rearm(this, deadlineNanos);
    }

    public void cancel() {
        queue.rearm(this, NEVER);
    }

    public boolean armed() {
        return deadline != NEVER;
    }

    /** The deadline, or {@link #NEVER} if disarmed. */
    public long deadline() {
        return deadline;
    }

    public String name() {
        return name;
    }

    long order() {
        return order;
    }

    void setDeadline(long deadline) {
        this.deadline = deadline;
    }

    @Override
    public String toString() {
        return armed() ? name + "@" + deadline : name + "(disarmed)";
    }
}
