// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * IA-PC HPET Description Table ({@code HPET}, HPET spec 1.0a §3.2.4), 56 bytes, as QEMU's (docs/limine-notes.md, "ACPI and SMBIOS"): event timer
 * block ID = the capability register's low half (revision 1, 3 timers, 64-bit counter, legacy-route capable,
 * vendor 0x8086), base address in system memory, HPET number 0, minimum tick 0, no page protection.
 */
final class HpetTable {
    static final int REVISION = 1;
    static final int SIZE = 56;
    static final int EVENT_TIMER_BLOCK_ID = 36;
    static final int BASE_ADDRESS = 40;
    static final int HPET_NUMBER = 52;
    static final int MINIMUM_TICK = 53;
    static final int PAGE_PROTECTION = 55;
    static final long BLOCK_ID = 0x8086_a201L;

    private HpetTable() {
    }

    static byte[] bytes(DeviceAddresses devices) {
        return new AcpiTable("HPET", REVISION)
                .u32(BLOCK_ID)
                .gas(AcpiTable.SYSTEM_MEMORY, 0, 0, 0, devices.hpet())
                .u8(0) // HPET number
                .u16(0) // minimum clock tick in periodic mode
                .u8(0) // page protection: none
                .bytes();
    }
}
