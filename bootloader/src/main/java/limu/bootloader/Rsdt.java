// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;

/** Root System Description Table (ACPI 6.5 §5.2.7): the header and 32-bit table addresses, for ACPI 1.0 readers. */
final class Rsdt {
    static final int REVISION = 1;

    private Rsdt() {
    }

    static byte[] bytes(List<Long> tables) {
        AcpiTable t = new AcpiTable("RSDT", REVISION);
        for (long address : tables) {
            if (address >>> 32 != 0) {
                throw new IllegalArgumentException("table above 4 GiB in the RSDT");
            }
            t.u32(address);
        }
        return t.bytes();
    }
}
