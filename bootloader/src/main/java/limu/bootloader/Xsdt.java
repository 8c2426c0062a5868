// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;

/** Extended System Description Table (ACPI 6.5 §5.2.8): the header and 64-bit table addresses. */
final class Xsdt {
    static final int REVISION = 1;

    private Xsdt() {
    }

    static byte[] bytes(List<Long> tables) {
        AcpiTable t = new AcpiTable("XSDT", REVISION);
        for (long address : tables) {
            t.u64(address);
        }
        return t.bytes();
    }
}
