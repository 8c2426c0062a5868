// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;

/**
 * Root System Description Pointer, ACPI 2.0+ form (ACPI 6.5 §5.2.5.3): 36 bytes, {@code "RSD PTR "}, a checksum
 * over the first 20 bytes (the ACPI 1.0 part) and an extended checksum over all 36.
 */
final class Rsdp {
    static final int SIZE = 36;
    static final int REVISION = 2;
    static final int CHECKSUM = 8;
    static final int OEM_ID = 9;
    static final int REVISION_OFFSET = 15;
    static final int RSDT_ADDRESS = 16;
    static final int LENGTH = 20;
    static final int XSDT_ADDRESS = 24;
    static final int EXTENDED_CHECKSUM = 32;
    static final int V1_SIZE = 20;

    private Rsdp() {
    }

    static byte[] bytes(long rsdt, long xsdt) {
        if (rsdt >>> 32 != 0) {
            throw new IllegalArgumentException("RSDT above 4 GiB");
        }
        byte[] b = new byte[SIZE];
        System.arraycopy("RSD PTR ".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 8);
        System.arraycopy(AcpiTable.OEM_ID.getBytes(StandardCharsets.US_ASCII), 0, b, OEM_ID, 6);
        b[REVISION_OFFSET] = REVISION;
        putU32(b, RSDT_ADDRESS, rsdt);
        putU32(b, LENGTH, SIZE);
        LittleEndian.putU64(b, XSDT_ADDRESS, xsdt);
        b[CHECKSUM] = AcpiTable.checksumByte(b, 0, V1_SIZE);
        b[EXTENDED_CHECKSUM] = AcpiTable.checksumByte(b, 0, SIZE);
        return b;
    }

    private static void putU32(byte[] b, int off, long v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
