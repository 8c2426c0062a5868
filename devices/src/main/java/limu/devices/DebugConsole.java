// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * The Bochs "port 0xE9 hack", QEMU's {@code isa-debugcon}: each byte written to
 * the port goes to the output as is. Reading the port returns 0xE9 (QEMU's
 * default {@code readback}), which is how a guest tells the console is there:
 * an empty port would read 0xFF.
 * <p>
 * Bytes reach the stream in blocks; call {@link #flush()}, or construct with
 * {@code flushEachLine} for an interactive terminal. Not thread-safe.
 */
public final class DebugConsole implements Device {
    public static final int DEFAULT_PORT = 0xE9;
    public static final int DEFAULT_READBACK = 0xE9;

    private final int port;
    private final int readback;
    private final ByteOutput output;

    /** At port 0xE9, flushing only when told to. */
    public DebugConsole(OutputStream output) {
        this(DEFAULT_PORT, DEFAULT_READBACK, output, false);
    }

    public DebugConsole(OutputStream output, boolean flushEachLine) {
        this(DEFAULT_PORT, DEFAULT_READBACK, output, flushEachLine);
    }

    public DebugConsole(int port, int readback, OutputStream output, boolean flushEachLine) {
        new PortRange(port, 1); // validates the port
        if ((readback & ~0xFF) != 0) {
            throw new IllegalArgumentException("readback must be a byte: " + readback);
        }
        this.port = port;
        this.readback = readback;
        this.output = new ByteOutput(output, flushEachLine);
    }

    @Override
    public String name() {
        return "debugcon";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(port, 1));
    }

    @Override
    public int portRead(int port, int size) {
        return readback;
    }

    /** Only the low byte is output, whatever the access size (as in QEMU). */
    @Override
    public void portWrite(int port, int size, int value) {
        output.write(value);
    }

    /** Nothing to reset: the console has no state the guest can change. */
    @Override
    public void reset() {
    }

    /** Hands every byte written so far to the output stream and flushes it. */
    public void flush() {
        output.flush();
    }

    /** The first error the output stream threw; bytes are discarded from then on. */
    public Optional<IOException> outputError() {
        return output.error();
    }
}
