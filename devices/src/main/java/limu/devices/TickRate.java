// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * A clock of {@code hz} ticks per second counted from virtual time 0: the
 * conversion between nanoseconds and a device's ticks, exact in 64-bit
 * arithmetic (no floating point, no drift).
 *
 * @param hz ticks per second, 1 .. 4 GHz
 */
public record TickRate(long hz) {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long MAX_HZ = 4_000_000_000L;

    public TickRate {
        if (hz <= 0 || hz > MAX_HZ) {
            throw new IllegalArgumentException("tick rate " + hz + " Hz outside 1 Hz .. 4 GHz");
        }
    }

    /** Whole ticks elapsed in {@code nanos} (≥ 0) nanoseconds: floor(nanos · hz / 10^9). */
    public long ticks(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("negative time " + nanos);
        }
        return nanos / NANOS_PER_SECOND * hz + nanos % NANOS_PER_SECOND * hz / NANOS_PER_SECOND;
    }

    /**
     * The fewest nanoseconds in which {@code ticks} (≥ 0) ticks elapse:
     * ceil(ticks · 10^9 / hz), saturating at {@link Long#MAX_VALUE}.
     */
    public long nanos(long ticks) {
        if (ticks < 0) {
            throw new IllegalArgumentException("negative tick count " + ticks);
        }
        long whole = ticks / hz;
        long rest = ticks % hz;
        if (whole > Long.MAX_VALUE / NANOS_PER_SECOND - 1) {
            return Long.MAX_VALUE;
        }
        return whole * NANOS_PER_SECOND + (rest * NANOS_PER_SECOND + hz - 1) / hz;
    }
}
