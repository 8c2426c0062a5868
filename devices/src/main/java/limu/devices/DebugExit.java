// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;
import java.util.Optional;

/**
 * QEMU's {@code isa-debug-exit}: the guest ends the run by writing a value to
 * a port. Set up as QEMU's common {@code -device isa-debug-exit,iobase=0xf4,iosize=0x04}
 * by default.
 * <p>
 * A write of value {@code v} to any of its ports (masked to the access size:
 * 1, 2 or 4 bytes) requests an exit with status {@code (v << 1) | 1}, so
 * 0x10 → 33, 0x11 → 35 and 0 → 1; an even status cannot be produced. Like
 * QEMU, which passes that status to {@code exit()}, the host process keeps only
 * the low 8 bits of it (see {@link #hostExitCode}): a 16-bit write of 0x1234
 * gives status 0x2469 but exit code 0x69.
 * <p>
 * QEMU stops at the first write; here the owner stops the run loop, so only
 * the first request counts until {@link #reset()}. Reads return 0, as in QEMU.
 */
public final class DebugExit implements Device {
    public static final int DEFAULT_BASE = 0xF4;
    public static final int DEFAULT_SIZE = 4;

    private final PortRange range;
    private final ExitListener listener;
    private Integer requestedStatus;
    private Integer requestedValue;

    /** At port 0xF4, 4 ports wide. */
    public DebugExit(ExitListener listener) {
        this(DEFAULT_BASE, DEFAULT_SIZE, listener);
    }

    public DebugExit(int base, int size, ExitListener listener) {
        if (listener == null) {
            throw new NullPointerException("exit listener");
        }
        this.range = new PortRange(base, size);
        this.listener = listener;
    }

    /** The low 8 bits of {@code status}: what a host process exiting with it reports. */
    public static int hostExitCode(int status) {
        return status & 0xFF;
    }

    @Override
    public String name() {
        return "isa-debug-exit";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(range);
    }

    @Override
    public int portRead(int port, int size) {
        return 0;
    }

    @Override
    public void portWrite(int port, int size, int value) {
        if (requestedStatus != null) {
            return;
        }
        int raw = value & AccessSize.mask(size);
        int status = raw << 1 | 1;
        requestedValue = raw;
        requestedStatus = status;
        listener.exitRequested(status, raw);
    }

    /** Forgets any exit request. */
    @Override
    public void reset() {
        requestedStatus = null;
        requestedValue = null;
    }

    /** The status {@code (v << 1) | 1} of the first exit request, if the guest made one. */
    public Optional<Integer> requestedStatus() {
        return Optional.ofNullable(requestedStatus);
    }

    /** The value {@code v} the guest wrote in its first exit request (unsigned). */
    public Optional<Integer> requestedValue() {
        return Optional.ofNullable(requestedValue);
    }
}
