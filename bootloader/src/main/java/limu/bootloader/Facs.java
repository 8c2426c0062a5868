// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;

/**
 * Firmware ACPI Control Structure (ACPI 6.5 §5.2.10): 64 bytes, 64-byte aligned, in ACPI NVS memory, no checksum.
 * All zero but its signature, length and version: no waking vector, no global lock owner, no S4BIOS.
 */
final class Facs {
    static final int SIZE = 64;
    static final int VERSION = 2;
    static final int VERSION_OFFSET = 32;

    private Facs() {
    }

    static byte[] bytes() {
        byte[] b = new byte[SIZE];
        System.arraycopy("FACS".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 4);
        b[4] = SIZE;
        b[VERSION_OFFSET] = VERSION;
        return b;
    }
}
