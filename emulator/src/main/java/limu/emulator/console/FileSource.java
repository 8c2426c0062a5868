// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import limu.emulator.SerialSource;

/**
 * Serial input from a regular file, read on the run loop's thread as COM1 takes it. A file's next bytes are always
 * there, so when each one reaches the guest depends only on the guest's work: the same file gives the same run.
 * A read error ends the input (the message says so).
 */
final class FileSource implements SerialSource {
    private final InputStream in;
    private final String name;
    private long delivered;
    private IOException error;

    FileSource(InputStream in, String name) {
        this.in = new BufferedInputStream(in, 64 * 1024);
        this.name = name;
    }

    @Override
    public int take(byte[] into, int offset, int max) {
        if (error != null) {
            return END;
        }
        try {
            int n = in.read(into, offset, max);
            if (n < 0) {
                return END;
            }
            delivered += n;
            return n;
        } catch (IOException e) {
            error = e;
            return END;
        }
    }

    long delivered() {
        return delivered;
    }

    /** How the input ended, for the end-of-input note. */
    String ending() {
        return error == null ? name + " ended" : name + ": read failed: " + error.getMessage();
    }
}
