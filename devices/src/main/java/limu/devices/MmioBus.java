// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The machine-wide MMIO windows of guest-physical address space (I/O APIC,
 * HPET, plug-in devices), each owned by one device. The emulator sends a guest
 * load or store here when it falls outside RAM.
 * <p>
 * An access goes to the device owning its first byte, with the offset from the
 * base of that device's first window (see {@link Device#mmioRead}). Addresses
 * nobody owns behave like an empty bus: loads return all ones for the access
 * size, stores vanish; both are counted per address for diagnostics (up to
 * {@link #MAX_TRACKED_ADDRESSES} distinct addresses, the rest together).
 * <p>
 * The local APICs are not attached here: every CPU sees its own APIC in the
 * window its IA32_APIC_BASE names, so the emulator asks the current CPU's
 * {@link LocalApic#decodes} before this bus.
 * <p>
 * Not thread-safe: attach devices before the guest runs.
 */
public final class MmioBus {
    public static final int MAX_TRACKED_ADDRESSES = 1024;

    private record Window(MmioRange range, Device device, long origin) {
    }

    private final TreeMap<Long, Window> windows = new TreeMap<>();
    private final List<Device> devices = new ArrayList<>();
    private final TreeMap<Long, Long> unclaimed = new TreeMap<>();
    private long unclaimedElsewhere;

    /**
     * Gives {@code device} the windows it lists.
     *
     * @throws IllegalArgumentException if one overlaps a window already attached or
     *                                  another of its own (nothing is attached then)
     */
    public void attach(Device device) {
        if (devices.contains(device)) {
            throw new IllegalArgumentException("device " + device.name() + " is already attached");
        }
        List<MmioRange> ranges = device.mmio();
        for (int i = 0; i < ranges.size(); i++) {
            MmioRange range = ranges.get(i);
            for (Window w : windows.values()) {
                if (w.range.overlaps(range)) {
                    throw new IllegalArgumentException(String.format(
                            "cannot attach %s at %s: it overlaps %s of %s",
                            device.name(), range, w.range, w.device.name()));
                }
            }
            for (int j = 0; j < i; j++) {
                if (ranges.get(j).overlaps(range)) {
                    throw new IllegalArgumentException(String.format(
                            "cannot attach %s: its MMIO ranges %s and %s overlap", device.name(), ranges.get(j), range));
                }
            }
        }
        if (!ranges.isEmpty()) {
            long origin = ranges.get(0).base();
            for (MmioRange range : ranges) {
                windows.put(range.base(), new Window(range, device, origin));
            }
        }
        devices.add(device);
    }

    /** Frees the windows of {@code device}; false if it was not attached. */
    public boolean detach(Device device) {
        if (!devices.remove(device)) {
            return false;
        }
        windows.values().removeIf(w -> w.device == device);
        return true;
    }

    /** The attached devices, in attachment order. */
    public List<Device> devices() {
        return Collections.unmodifiableList(new ArrayList<>(devices));
    }

    public Optional<Device> deviceAt(long address) {
        Window w = window(address);
        return w == null ? Optional.empty() : Optional.of(w.device);
    }

    /** True if some device owns {@code address}: the emulator's test before it treats an access as MMIO. */
    public boolean claims(long address) {
        return window(address) != null;
    }

    /** A guest load of {@code size} bytes (1, 2, 4 or 8) at {@code address}; the result is zero-extended. */
    public long read(long address, int size) {
        long mask = AccessSize.mmioMask(size);
        Window w = window(address);
        if (w == null) {
            countUnclaimed(address);
            return mask;
        }
        return w.device.mmioRead(address - w.origin, size) & mask;
    }

    /** A guest store of the low {@code size} bytes (1, 2, 4 or 8) of {@code value} at {@code address}. */
    public void write(long address, int size, long value) {
        long mask = AccessSize.mmioMask(size);
        Window w = window(address);
        if (w == null) {
            countUnclaimed(address);
            return;
        }
        w.device.mmioWrite(address - w.origin, size, value & mask);
    }

    /** Resets every attached device, in attachment order. */
    public void resetDevices() {
        for (Device device : devices) {
            device.reset();
        }
    }

    /** For each address no device owns but the guest accessed: how many loads and stores it made. */
    public SortedMap<Long, Long> unclaimedAccesses() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(unclaimed));
    }

    /** Unclaimed accesses to addresses beyond the first {@link #MAX_TRACKED_ADDRESSES} distinct ones. */
    public long untrackedUnclaimedAccesses() {
        return unclaimedElsewhere;
    }

    private Window window(long address) {
        Map.Entry<Long, Window> e = windows.floorEntry(address);
        return e != null && e.getValue().range.contains(address) ? e.getValue() : null;
    }

    private void countUnclaimed(long address) {
        Long count = unclaimed.get(address);
        if (count != null) {
            unclaimed.put(address, count + 1);
        } else if (unclaimed.size() < MAX_TRACKED_ADDRESSES) {
            unclaimed.put(address, 1L);
        } else {
            unclaimedElsewhere++;
        }
    }
}
