// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** A {@link VirtualTime} that moves only when told to: for tests, and for a machine that keeps its own count. */
public final class ManualClock implements VirtualTime {
    private long nanos;

    public ManualClock() {
    }

    public ManualClock(long nanos) {
        set(nanos);
    }

    @Override
    public long nanos() {
        return nanos;
    }

    /** @throws IllegalArgumentException if that would move the clock backwards */
    public void set(long nanos) {
        if (nanos < this.nanos) {
            throw new IllegalArgumentException("time runs forwards: " + nanos + " < " + this.nanos);
        }
        this.nanos = nanos;
    }

    public void advance(long deltaNanos) {
        set(Math.addExact(nanos, deltaNanos));
    }
}
