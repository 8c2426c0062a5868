// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds one ACPI system description table: the 36-byte header (ACPI 6.5 §5.2.6), then the body appended
 * little-endian; {@link #bytes()} fills in the length and the checksum (all bytes sum to 0 mod 256).
 */
final class AcpiTable {
    static final int HEADER = 36;
    static final int LENGTH = 4;
    static final int CHECKSUM = 9;
    static final String OEM_ID = "LIMU  ";
    static final String OEM_TABLE_ID = "LIMUPC  ";
    static final int OEM_REVISION = 1;
    static final String CREATOR_ID = "LIMU";
    static final int CREATOR_REVISION = 1;

    /** Generic Address Structure address space IDs (ACPI 6.5 §5.2.3.2). */
    static final int SYSTEM_MEMORY = 0;
    static final int SYSTEM_IO = 1;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    AcpiTable(String signature, int revision) {
        ascii(signature, 4);
        u32(0); // length, patched
        u8(revision);
        u8(0); // checksum, patched
        ascii(OEM_ID, 6);
        ascii(OEM_TABLE_ID, 8);
        u32(OEM_REVISION);
        ascii(CREATOR_ID, 4);
        u32(CREATOR_REVISION);
    }

    /** Bytes so far (the offset the next field gets). */
    int size() {
        return out.size();
    }

    AcpiTable u8(int v) {
        out.write(v);
        return this;
    }

    AcpiTable u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    AcpiTable u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    AcpiTable u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    AcpiTable zeros(int n) {
        out.writeBytes(new byte[n]);
        return this;
    }

    AcpiTable bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** {@code text} as ASCII, exactly {@code length} characters (ACPI IDs come space-padded). */
    AcpiTable ascii(String text, int length) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        if (b.length != length) {
            throw new IllegalArgumentException("'" + text + "' is not " + length + " characters");
        }
        return bytes(b);
    }

    /** A Generic Address Structure (12 bytes). */
    AcpiTable gas(int addressSpace, int bitWidth, int bitOffset, int accessSize, long address) {
        return u8(addressSpace).u8(bitWidth).u8(bitOffset).u8(accessSize).u64(address);
    }

    /** The finished table: length and checksum filled in. */
    byte[] bytes() {
        byte[] b = out.toByteArray();
        b[LENGTH] = (byte) b.length;
        b[LENGTH + 1] = (byte) (b.length >>> 8);
        b[LENGTH + 2] = (byte) (b.length >>> 16);
        b[LENGTH + 3] = (byte) (b.length >>> 24);
        b[CHECKSUM] = 0;
        b[CHECKSUM] = checksumByte(b, 0, b.length);
        return b;
    }

    /** The byte that makes {@code b[off..off+len)} sum to zero if stored in a byte of that range that is now 0. */
    static byte checksumByte(byte[] b, int off, int len) {
        return (byte) -sum(b, off, len);
    }

    /** Sum of {@code b[off..off+len)} modulo 256. */
    static int sum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = off; i < off + len; i++) {
            s += b[i];
        }
        return s & 0xFF;
    }
}
