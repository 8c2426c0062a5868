// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import java.util.function.Consumer;
import limu.devices.Device;
import limu.devices.PortRange;

/**
 * limu's snapshot marker port: a kernel writes it (any value) where its shared boot ends.
 * Every write ends the slice, in every run, so that runs with and without a stop there
 * slice alike; only {@link Machine#runToMarker()} stops. Reads see no device (all ones).
 */
final class SnapshotMarker implements Device {
    static final int PORT = 0x5C4;

    private final Consumer<BoardEvent.Marker> reached;

    SnapshotMarker(Consumer<BoardEvent.Marker> reached) {
        this.reached = reached;
    }

    @Override
    public String name() {
        return "limu-snapshot-marker";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(PORT, 1));
    }

    @Override
    public void portWrite(int port, int size, int value) {
        reached.accept(new BoardEvent.Marker(value));
    }

    @Override
    public void reset() {
    }
}
