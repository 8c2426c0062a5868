// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Multiple APIC Description Table ({@code APIC}, ACPI 6.5 §5.2.12), laid out like QEMU's for {@code -M pc}
 * (docs/limine-notes.md, "ACPI and SMBIOS") with one Processor Local APIC entry per CPU, the BSP first (the
 * acpi crate takes the first as the BSP):
 * <ol>
 * <li>local APIC address, flags PCAT_COMPAT (dual 8259s present);</li>
 * <li>per CPU {@code i}: Processor Local APIC, ACPI UID {@code i}, APIC ID {@code i}, enabled;</li>
 * <li>I/O APIC ID {@value #IO_APIC_ID} (as QEMU, also with several CPUs: xAPIC I/O APIC IDs are a separate
 * namespace), GSI base 0;</li>
 * <li>Interrupt Source Overrides: IRQ 0 → GSI 2 (conforming), IRQ 5, 9, 10, 11 → same GSI, active-high level;</li>
 * <li>Local APIC NMI: all processors (UID 0xFF), LINT1, conforming.</li>
 * </ol>
 */
final class Madt {
    static final int REVISION = 5;
    static final int LOCAL_APIC_ADDRESS = 36;
    static final int FLAGS = 40;
    static final int ENTRIES = 44;
    static final int PCAT_COMPAT = 1;

    static final int TYPE_LOCAL_APIC = 0;
    static final int TYPE_IO_APIC = 1;
    static final int TYPE_INTERRUPT_SOURCE_OVERRIDE = 2;
    static final int TYPE_LOCAL_APIC_NMI = 4;
    static final int LOCAL_APIC_ENTRY = 8;
    static final int IO_APIC_ENTRY = 12;
    static final int OVERRIDE_ENTRY = 10;
    static final int LOCAL_APIC_NMI_ENTRY = 6;

    static final int IO_APIC_ID = 0;
    static final int ENABLED = 1;
    /** MPS INTI flags: polarity active-high (01), trigger level (11). */
    static final int ACTIVE_HIGH_LEVEL = 0x000D;
    static final int ALL_PROCESSORS = 0xFF;
    static final int LINT1 = 1;
    /** ISA IRQs the PIIX routes as PCI interrupts (level, active high), as QEMU reports them. */
    static final int[] LEVEL_IRQS = {5, 9, 10, 11};

    private Madt() {
    }

    static byte[] bytes(int cpus, DeviceAddresses devices) {
        AcpiTable t = new AcpiTable("APIC", REVISION);
        t.u32(devices.localApic());
        t.u32(PCAT_COMPAT);
        for (int cpu = 0; cpu < cpus; cpu++) {
            t.u8(TYPE_LOCAL_APIC).u8(LOCAL_APIC_ENTRY).u8(cpu).u8(cpu).u32(ENABLED);
        }
        t.u8(TYPE_IO_APIC).u8(IO_APIC_ENTRY).u8(IO_APIC_ID).u8(0).u32(devices.ioApic()).u32(0);
        override(t, 0, 2, 0);
        for (int irq : LEVEL_IRQS) {
            override(t, irq, irq, ACTIVE_HIGH_LEVEL);
        }
        t.u8(TYPE_LOCAL_APIC_NMI).u8(LOCAL_APIC_NMI_ENTRY).u8(ALL_PROCESSORS).u16(0).u8(LINT1);
        return t.bytes();
    }

    private static void override(AcpiTable t, int irq, int gsi, int flags) {
        t.u8(TYPE_INTERRUPT_SOURCE_OVERRIDE).u8(OVERRIDE_ENTRY).u8(0).u8(irq).u32(gsi).u16(flags);
    }
}
