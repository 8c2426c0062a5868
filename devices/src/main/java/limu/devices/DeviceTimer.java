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
