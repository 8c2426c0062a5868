// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import limu.devices.Ps2Key;

/**
 * Host input the run loop delivered at the top of one of its turns: the serial bytes COM1 took and the keys that
 * went down or up, with the loop turn ({@code iteration}, counted from boot) and the virtual time it happened at.
 * What {@code limu run --record} writes and {@code limu replay} delivers again.
 */
public record HostEvent(long iteration, long nanos, byte[] serial, List<Key> keys) {
    /** A key that went down ({@code down}) or up. */
    public record Key(Ps2Key key, boolean down) {
    }

    public HostEvent {
        serial = serial.clone();
        keys = List.copyOf(keys);
    }

    @Override
    public byte[] serial() {
        return serial.clone();
    }
}
