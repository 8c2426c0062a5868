// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Encodings of the remote protocol: hex, little-endian register values, binary escapes, packet frames. */
final class Rsp {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Rsp() {
    }

    static byte[] frame(String payload) {
        byte[] p = payload.getBytes(StandardCharsets.ISO_8859_1);
        int sum = 0;
        for (byte b : p) {
            sum += b & 0xff;
        }
        String s = "$" + payload + "#" + HEX[(sum >> 4) & 0xf] + HEX[sum & 0xf];
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String hex(byte[] b, int offset, int length) {
        StringBuilder s = new StringBuilder(length * 2);
        for (int i = offset; i < offset + length; i++) {
            s.append(HEX[(b[i] >> 4) & 0xf]).append(HEX[b[i] & 0xf]);
        }
        return s.toString();
    }

    static String hex(byte[] b) {
        return hex(b, 0, b.length);
    }

    static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Hex digits to bytes; throws IllegalArgumentException on an odd length or a non-hex digit. */
    static byte[] unhex(String s) {
        if ((s.length() & 1) != 0) {
            throw new IllegalArgumentException("odd hex length");
        }
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = PacketReader.hex(s.charAt(2 * i)), lo = PacketReader.hex(s.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not hex");
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    /** A hex number (gdb's addresses and lengths); throws IllegalArgumentException when malformed or too long. */
    static long number(String s) {
        if (s.isEmpty() || s.length() > 16) {
            throw new IllegalArgumentException("bad number");
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            int d = PacketReader.hex(s.charAt(i));
            if (d < 0) {
                throw new IllegalArgumentException("bad number");
            }
            v = v << 4 | d;
        }
        return v;
    }

    /** {@code value}'s low {@code bytes} bytes, little-endian, as hex (a register in g/p). */
    static String le(long value, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes && i < 8; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return hex(b);
    }

    static long le(byte[] b, int offset, int length) {
        long v = 0;
        for (int i = Math.min(length, 8) - 1; i >= 0; i--) {
            v = v << 8 | (b[offset + i] & 0xff);
        }
        return v;
    }

    /** Decodes the binary data of an X packet: {@code }} escapes the next byte XOR 0x20. */
    static byte[] unescape(byte[] p, int offset) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = offset; i < p.length; i++) {
            if (p[i] == '}' && i + 1 < p.length) {
                out.write((p[++i] & 0xff) ^ 0x20);
            } else {
                out.write(p[i]);
            }
        }
        return out.toByteArray();
    }
}
