// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.Map;

/**
 * A kind of device a user can attach with {@code --device NAME[,key=value...]}.
 * Implementations are found with {@link java.util.ServiceLoader}: a jar on the
 * class path lists its providers in
 * {@code META-INF/services/limu.devices.DeviceProvider}. See limu.example.ScratchDevice (module example-device)
 * and its provider for a complete example.
 */
public interface DeviceProvider {
    /** The name used on the command line, e.g. {@code "scratch"}. Lower case, no commas or '='. */
    String name();

    /** One line for {@code limu devices}. */
    String description();

    /** The options {@link #create} understands, one {@code key=meaning} per entry, for {@code limu devices}. */
    default Map<String, String> options() {
        return Map.of();
    }

    /**
     * A new device, not yet attached; the machine attaches it to the port and MMIO
     * buses (its {@link Device#ports()} and {@link Device#mmio()}).
     *
     * @param options the {@code key=value} pairs from the command line
     * @throws IllegalArgumentException with a message for the user if an option is
     *                                  unknown or malformed
     */
    Device create(DeviceContext context, Map<String, String> options);
}
