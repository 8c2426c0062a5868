// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;

/**
 * A device on the machine's buses. Devices know nothing of Unicorn: the emulator
 * routes guest port accesses (through {@link PortBus}) and MMIO accesses
 * (through {@link MmioBus}) to them and reads their state back.
 * Accesses from the guest arrive on the single run-loop thread.
 * <p>
 * A device decodes any mix of I/O port ranges and MMIO windows; the methods for
 * the kind it does not decode keep their defaults. Devices whose state can be
 * saved and restored also implement {@link Snapshottable}.
 */
public interface Device {
    /** Short name for messages and listings, e.g. {@code "com1"}. */
    String name();

    /** The I/O port ranges this device decodes; none by default. */
    default List<PortRange> ports() {
        return List.of();
    }

    /**
     * A guest IN from {@code port}, {@code size} bytes (1, 2 or 4).
     * The result's low {@code size} bytes are returned to the guest.
     * By default the device answers like an empty bus: all ones.
     */
    default int portRead(int port, int size) {
        return AccessSize.mask(size);
    }

    /** A guest OUT of the low {@code size} bytes of {@code value} to {@code port}. Ignored by default. */
    default void portWrite(int port, int size, int value) {
    }

    /** The guest-physical MMIO windows this device decodes; none by default. */
    default List<MmioRange> mmio() {
        return List.of();
    }

    /**
     * A guest load of {@code size} bytes (1, 2, 4 or 8) at {@code offset} from the
     * base of the device's first MMIO window ({@code mmio().get(0)}); a device with
     * several windows sees them at their fixed distances from the first.
     * The result's low {@code size} bytes are returned to the guest.
     */
    default long mmioRead(long offset, int size) {
        return AccessSize.mmioMask(size);
    }

    /** A guest store of the low {@code size} bytes of {@code value} at {@code offset} (as for {@link #mmioRead}). */
    default void mmioWrite(long offset, int size, long value) {
    }

    /** Back to the power-on state. */
    void reset();
}
