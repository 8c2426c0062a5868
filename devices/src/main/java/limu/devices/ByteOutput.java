// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Where a character device's bytes go. Guests emit output one byte per port
 * write, and one write (let alone one flush) per byte on a file or terminal is
 * a system call per byte; so bytes collect here and reach the stream in blocks:
 * when the buffer fills, on {@link #flush()}, and, if asked, at each line end.
 * <p>
 * A failing stream (say, a closed pipe) must not stop the guest: the first
 * {@link IOException} is kept for the owner to report and later bytes are dropped.
 */
final class ByteOutput {
    private static final int CAPACITY = 4096;

    private final OutputStream stream;
    private final boolean flushEachLine;
    private final byte[] buffer = new byte[CAPACITY];
    private int length;
    private IOException error;

    ByteOutput(OutputStream stream, boolean flushEachLine) {
        if (stream == null) {
            throw new NullPointerException("output stream");
        }
        this.stream = stream;
        this.flushEachLine = flushEachLine;
    }

    void write(int b) {
        if (error != null) {
            return;
        }
        buffer[length++] = (byte) b;
        boolean lineEnd = flushEachLine && (b & 0xFF) == '\n';
        if (lineEnd || length == CAPACITY) {
            drain(lineEnd);
        }
    }

    /** Hands everything written so far to the stream and flushes it. */
    void flush() {
        if (error == null) {
            drain(true);
        }
    }

    Optional<IOException> error() {
        return Optional.ofNullable(error);
    }

    private void drain(boolean flushStream) {
        try {
            if (length > 0) {
                stream.write(buffer, 0, length);
            }
            length = 0;
            if (flushStream) {
                stream.flush();
            }
        } catch (IOException e) {
            error = e;
            length = 0;
        }
    }
}
