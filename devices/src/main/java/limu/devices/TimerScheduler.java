// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * Where a device gets its timers: one {@link DeviceTimer} per thing that can
 * expire (a comparator, a counter reaching zero), created once at construction
 * and re-armed as the guest programs the device. {@link TimerQueue} is the
 * implementation the machine owns.
 */
public interface TimerScheduler {
    /**
     * A new, disarmed timer that calls {@code callback} when virtual time
     * reaches its deadline.
     *
     * @param name for diagnostics, e.g. {@code "hpet.timer0"}
     */
    DeviceTimer newTimer(String name, Runnable callback);
}
