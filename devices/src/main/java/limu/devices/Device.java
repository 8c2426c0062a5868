package limu.devices;

import java.util.List;

/**
 * A device on the machine's bus. Devices know nothing of Unicorn: the emulator
 * routes guest port (and later MMIO) accesses to them and reads their state back.
 * Accesses from the guest arrive on the single run-loop thread.
 */
public interface Device {
    /** Short name for messages and listings, e.g. {@code "com1"}. */
    String name();

    /** The I/O port ranges this device decodes. */
    List<PortRange> ports();

    /**
     * A guest IN from {@code port}, {@code size} bytes (1, 2 or 4).
     * The result's low {@code size} bytes are returned to the guest.
     */
    int portRead(int port, int size);

    /** A guest OUT of the low {@code size} bytes of {@code value} to {@code port}. */
    void portWrite(int port, int size, int value);

    /** Back to the power-on state. */
    void reset();
}
