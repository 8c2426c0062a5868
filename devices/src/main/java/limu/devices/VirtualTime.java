// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * The machine's clock as devices see it: nanoseconds since the machine was
 * reset. Virtual by default (derived from executed guest work, so every run of
 * the same kernel reads the same values); the emulator may implement it with
 * the host clock for interactive use. Never decreases. Devices read the time
 * only through this interface, never from the host.
 */
@FunctionalInterface
public interface VirtualTime {
    long nanos();
}
