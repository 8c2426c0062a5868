// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import java.util.List;
import limu.devices.Device;
import limu.devices.PortRange;

/** A one-port device that counts the writes it gets: the Java end of the port-write benchmark. */
final class PortCounter implements Device {
    private final int port;
    private long writes;

    PortCounter(int port) {
        this.port = port;
    }

    @Override
    public String name() {
        return "port-counter";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(port, 1));
    }

    @Override
    public int portRead(int port, int size) {
        return 0;
    }

    @Override
    public void portWrite(int port, int size, int value) {
        writes++;
    }

    @Override
    public void reset() {
        writes = 0;
    }

    long writes() {
        return writes;
    }
}
