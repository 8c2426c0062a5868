// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Where the platform devices sit in guest-physical address space, so that the ACPI tables the bootloader writes
 * and the devices the emulator attaches agree. All three must lie in the PCI hole (3–4 GiB), be 4 KiB aligned and
 * not overlap (checked when the boot starts); the defaults are a PC's and QEMU's.
 *
 * @param localApic base of every CPU's xAPIC window (MADT local APIC address; IA32_APIC_BASE)
 * @param ioApic    base of the I/O APIC (MADT I/O APIC entry, GSI base 0)
 * @param hpet      base of the HPET register block (ACPI HPET table)
 */
public record DeviceAddresses(long localApic, long ioApic, long hpet) {
    public static final DeviceAddresses DEFAULT = new DeviceAddresses(0xFEE0_0000L, 0xFEC0_0000L, 0xFED0_0000L);
    /** Bytes of address space each device decodes, rounded to a page. */
    public static final long WINDOW = 0x1000;
}
