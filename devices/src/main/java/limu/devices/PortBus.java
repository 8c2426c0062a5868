// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The x86 I/O port space: 65536 ports, each owned by at most one device.
 * Every guest IN and OUT passes through here, so the owner of a port is one
 * array lookup away.
 * <p>
 * An access goes to the device owning its first port, even if it is wider than
 * what remains of that device's range. Ports nobody owns behave as on a PC with
 * nothing there: reads return all ones for the access size, writes vanish;
 * both are counted per port for diagnostics.
 * <p>
 * Not thread-safe: attach devices before the guest runs, and access the bus
 * from the thread that runs the guest.
 */
public final class PortBus {
    private static final int PORT_COUNT = 0x10000;

    private final Device[] owners = new Device[PORT_COUNT];
    private final List<Device> devices = new ArrayList<>();
    private final long[] unclaimed = new long[PORT_COUNT];

    /**
     * Gives {@code device} the ports it lists.
     *
     * @throws IllegalArgumentException if any of them already belongs to a device
     *                                  (nothing is attached then)
     */
    public void attach(Device device) {
        List<PortRange> ranges = device.ports();
        if (devices.contains(device)) {
            throw new IllegalArgumentException("device " + device.name() + " is already attached");
        }
        for (int i = 0; i < ranges.size(); i++) {
            PortRange range = ranges.get(i);
            for (int port = range.first(); port < range.first() + range.count(); port++) {
                Device owner = owners[port];
                if (owner != null) {
                    throw new IllegalArgumentException(String.format(
                            "cannot attach %s at ports %s: port 0x%x already belongs to %s",
                            device.name(), describe(range), port, owner.name()));
                }
                for (int j = 0; j < i; j++) {
                    if (ranges.get(j).contains(port)) {
                        throw new IllegalArgumentException(String.format(
                                "cannot attach %s: its port ranges %s and %s overlap",
                                device.name(), describe(ranges.get(j)), describe(range)));
                    }
                }
            }
        }
        for (PortRange range : ranges) {
            for (int port = range.first(); port < range.first() + range.count(); port++) {
                owners[port] = device;
            }
        }
        devices.add(device);
    }

    /** Frees the ports of {@code device}; false if it was not attached. */
    public boolean detach(Device device) {
        if (!devices.remove(device)) {
            return false;
        }
        for (int port = 0; port < PORT_COUNT; port++) {
            if (owners[port] == device) {
                owners[port] = null;
            }
        }
        return true;
    }

    /** The attached devices, in attachment order. */
    public List<Device> devices() {
        return Collections.unmodifiableList(new ArrayList<>(devices));
    }

    public Optional<Device> deviceAt(int port) {
        return Optional.ofNullable(owners[checkPort(port)]);
    }

    /** A guest IN of {@code size} bytes (1, 2 or 4) from {@code port}; the result is zero-extended. */
    public int read(int port, int size) {
        int mask = AccessSize.mask(size);
        Device owner = owners[checkPort(port)];
        if (owner == null) {
            unclaimed[port]++;
            return mask;
        }
        return owner.portRead(port, size) & mask;
    }

    /** A guest OUT of the low {@code size} bytes (1, 2 or 4) of {@code value} to {@code port}. */
    public void write(int port, int size, int value) {
        int mask = AccessSize.mask(size);
        Device owner = owners[checkPort(port)];
        if (owner == null) {
            unclaimed[port]++;
            return;
        }
        owner.portWrite(port, size, value & mask);
    }

    /** Resets every attached device, in attachment order. */
    public void resetDevices() {
        for (Device device : devices) {
            device.reset();
        }
    }

    /** For each port that no device owns but the guest accessed: how many reads and writes it made. */
    public SortedMap<Integer, Long> unclaimedAccesses() {
        SortedMap<Integer, Long> counts = new TreeMap<>();
        for (int port = 0; port < PORT_COUNT; port++) {
            if (unclaimed[port] != 0) {
                counts.put(port, unclaimed[port]);
            }
        }
        return counts;
    }

    private static int checkPort(int port) {
        if ((port & ~(PORT_COUNT - 1)) != 0) {
            throw new IllegalArgumentException(String.format("port 0x%x outside 0..0xffff", port));
        }
        return port;
    }

    private static String describe(PortRange range) {
        return String.format("0x%x-0x%x", range.first(), range.first() + range.count() - 1);
    }
}
