// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Passes COM1's output on and keeps the SHA-256 of every byte, for a recording's end and a replay's check. */
public final class OutputDigest extends OutputStream {
    private final OutputStream out;
    private final MessageDigest digest = sha256();
    private long bytes;

    public OutputDigest(OutputStream out) {
        this.out = out;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** The SHA-256 of {@code data}, lower-case hex. */
    public static String of(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    @Override
    public synchronized void write(int b) throws IOException {
        digest.update((byte) b);
        bytes++;
        out.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        digest.update(b, off, len);
        bytes += len;
        out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** The SHA-256 of the bytes so far, lower-case hex. */
    public synchronized String hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public synchronized long bytes() {
        return bytes;
    }
}
