// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Differentiated System Description Table: an empty {@code DefinitionBlock} (header only, no AML objects). Revision
 * 2 means AML integers are 64 bits wide (ACPI 6.5 §5.2.11.1).
 */
final class Dsdt {
    static final int REVISION = 2;

    private Dsdt() {
    }

    static byte[] bytes() {
        return new AcpiTable("DSDT", REVISION).bytes();
    }
}
