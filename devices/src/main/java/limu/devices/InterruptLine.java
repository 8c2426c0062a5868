// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * The wire from a device's interrupt output to an interrupt controller pin.
 * Devices call {@link #set} only when the level changes, so a receiver that
 * wants edges can treat every {@code set(true)} as a rising edge.
 */
@FunctionalInterface
public interface InterruptLine {
    /** A line connected to nothing. */
    InterruptLine DISCONNECTED = level -> { };

    /** The device's interrupt output is now {@code level} (true = asserted). */
    void set(boolean level);
}
