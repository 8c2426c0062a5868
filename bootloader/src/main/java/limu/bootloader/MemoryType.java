// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** Limine memory map entry types, with their wire values (PROTOCOL.md, Memory Map Feature). */
public enum MemoryType {
    USABLE(0),
    RESERVED(1),
    ACPI_RECLAIMABLE(2),
    ACPI_NVS(3),
    BAD_MEMORY(4),
    BOOTLOADER_RECLAIMABLE(5),
    EXECUTABLE_AND_MODULES(6),
    FRAMEBUFFER(7),
    /** Base revision 4 and later; earlier drafts called type 8 ACPI_TABLES. */
    RESERVED_MAPPED(8);

    private final int value;

    MemoryType(int value) {
        this.value = value;
    }

    /** The number the kernel sees in {@code limine_memmap_entry.type}. */
    public int value() {
        return value;
    }
}
