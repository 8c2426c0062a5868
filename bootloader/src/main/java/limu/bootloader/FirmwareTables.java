// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the PC's firmware sets up before the bootloader runs: ACPI tables, SMBIOS tables and the display.
 * <p>
 * Placement:
 * <ul>
 * <li>In the BIOS ROM area, where a legacy scan looks (16-byte aligned, 0xE0000–0xFFFFF for the RSDP,
 * 0xF0000–0xFFFFF for SMBIOS): the RSDP at 0xF0000, the SMBIOS {@code _SM_} entry point at
 * 0xF0040, {@code _SM3_} at 0xF0060 and the SMBIOS structure table from 0xF0080. The memory map keeps this area
 * RESERVED, except that from base revision 4 the pages holding these structures are RESERVED_MAPPED (type 8), so
 * the HHDM covers the RSDP (revision 4) and the SMBIOS tables (revision 5) as the protocol requires.</li>
 * <li>RSDT, XSDT, FADT, DSDT, MADT, HPET, WAET (and, when asked for, SPCR) in ACPI_RECLAIMABLE pages, the FACS in an ACPI_NVS page, both
 * taken top-down like everything the bootloader places (below 3 GiB, so every 32-bit pointer reaches).</li>
 * <li>The framebuffer, if the machine has one, in the PCI hole at 0xFD000000 as with SeaBIOS and QEMU's VGA (at
 * 0xE0000000 if it is too large to end below the first device window), listed as FRAMEBUFFER.</li>
 * </ul>
 */
final class FirmwareTables {
    static final long RSDP_ADDRESS = 0xF0000;
    static final long SMBIOS_32_ADDRESS = 0xF0040;
    static final long SMBIOS_64_ADDRESS = 0xF0060;
    static final long SMBIOS_TABLE_ADDRESS = 0xF0080;
    static final long BIOS_AREA_END = 0x100000;
    /** Framebuffer bases tried in order: SeaBIOS/QEMU stdvga's BAR, then a lower spot for large displays. */
    static final long[] FRAMEBUFFER_BASES = {0xFD00_0000L, 0xE000_0000L};
    private static final int TABLE_ALIGN = 16;
    private static final long PAGE = PhysicalAllocator.PAGE;

    /** Physical addresses of what was placed. */
    record Placed(long rsdp, long rsdt, long xsdt, long facs, long dsdt, Map<String, Long> xsdtEntries,
                  long smbios32, long smbios64, long smbiosTable, int smbiosTableLength,
                  Optional<FramebufferPlan> framebuffer) {
    }

    private FirmwareTables() {
    }

    static Placed install(BootOptions machine, List<RamRegion> ramLayout, PhysicalMemory ram,
                          PhysicalAllocator allocator, int baseRevision) throws BootException {
        Optional<FramebufferPlan> framebuffer = placeFramebuffer(machine, allocator);

        // ACPI: tables built first to learn their sizes; addresses depend only on sizes. The XSDT lists them in
        // the order QEMU's pc machine with SeaBIOS gives (FACP, APIC, HPET, WAET), then the optional ones.
        Map<String, byte[]> described = new LinkedHashMap<>();
        described.put("FACP", new byte[Fadt.SIZE]);
        described.put("APIC", Madt.bytes(machine.cpus(), machine.deviceAddresses()));
        described.put("HPET", HpetTable.bytes(machine.deviceAddresses()));
        described.put("WAET", Waet.bytes());
        if (machine.extraAcpiTables().contains("SPCR")) {
            described.put("SPCR", Spcr.bytes());
        }
        byte[] dsdt = Dsdt.bytes();
        int entries = described.size();
        List<Integer> sizes = new ArrayList<>();
        sizes.add(dsdt.length);
        described.values().forEach(t -> sizes.add(t.length));
        sizes.add(AcpiTable.HEADER + 8 * entries);
        sizes.add(AcpiTable.HEADER + 4 * entries);
        long[] at = new long[sizes.size()];
        long total = 0;
        for (int i = 0; i < sizes.size(); i++) {
            at[i] = total;
            total += (sizes.get(i) + TABLE_ALIGN - 1) & -TABLE_ALIGN;
        }
        long block = allocator.allocatePages(total, PAGE, MemoryType.ACPI_RECLAIMABLE, "the ACPI tables");
        long facs = allocator.allocatePages(Facs.SIZE, PAGE, MemoryType.ACPI_NVS, "the ACPI FACS");
        for (int i = 0; i < at.length; i++) {
            at[i] += block;
        }
        zero(ram, block, (total + PAGE - 1) & -PAGE);
        zero(ram, facs, PAGE);
        described.put("FACP", Fadt.bytes(at[0], facs));
        Map<String, Long> xsdtEntries = new LinkedHashMap<>();
        int index = 1;
        for (Map.Entry<String, byte[]> t : described.entrySet()) {
            xsdtEntries.put(t.getKey(), at[index]);
            write(ram, at[index], t.getValue());
            index++;
        }
        long xsdt = at[index];
        long rsdt = at[index + 1];
        List<Long> pointers = new ArrayList<>(xsdtEntries.values());
        write(ram, at[0], dsdt);
        write(ram, xsdt, Xsdt.bytes(pointers));
        write(ram, rsdt, Rsdt.bytes(pointers));
        write(ram, facs, Facs.bytes());

        // BIOS area: RSDP and SMBIOS.
        Smbios.Table smbios = Smbios.table(machine.cpus(), ramLayout);
        long end = SMBIOS_TABLE_ADDRESS + smbios.bytes().length;
        if (end > BIOS_AREA_END) {
            throw new IllegalStateException("SMBIOS table of " + smbios.bytes().length
                    + " bytes overflows the BIOS area");
        }
        long areaEnd = (end + PAGE - 1) & -PAGE;
        zero(ram, RSDP_ADDRESS, areaEnd - RSDP_ADDRESS);
        write(ram, RSDP_ADDRESS, Rsdp.bytes(rsdt, xsdt));
        write(ram, SMBIOS_32_ADDRESS, Smbios.entry32(smbios, SMBIOS_TABLE_ADDRESS));
        write(ram, SMBIOS_64_ADDRESS, Smbios.entry64(smbios, SMBIOS_TABLE_ADDRESS));
        write(ram, SMBIOS_TABLE_ADDRESS, smbios.bytes());
        if (baseRevision >= 4) {
            allocator.claim(RSDP_ADDRESS, areaEnd - RSDP_ADDRESS, MemoryType.RESERVED_MAPPED);
        }
        return new Placed(RSDP_ADDRESS, rsdt, xsdt, facs, at[0], xsdtEntries, SMBIOS_32_ADDRESS,
                SMBIOS_64_ADDRESS, SMBIOS_TABLE_ADDRESS, smbios.bytes().length, framebuffer);
    }

    private static Optional<FramebufferPlan> placeFramebuffer(BootOptions machine, PhysicalAllocator allocator)
            throws BootException {
        if (machine.framebuffer().isEmpty()) {
            return Optional.empty();
        }
        FramebufferSize fb = machine.framebuffer().get();
        long size = (fb.byteSize() + PAGE - 1) & -PAGE;
        DeviceAddresses d = machine.deviceAddresses();
        long[] devices = {d.localApic(), d.ioApic(), d.hpet()};
        for (long base : FRAMEBUFFER_BASES) {
            boolean clear = base + size <= RamLayout.HIGH_RAM_BASE;
            for (long device : devices) {
                clear &= base + size <= device || device + DeviceAddresses.WINDOW <= base;
            }
            if (clear) {
                allocator.claim(base, size, MemoryType.FRAMEBUFFER);
                return Optional.of(new FramebufferPlan(base, fb.width(), fb.height(), fb.pitch(),
                        FramebufferSize.BITS_PER_PIXEL, fb.byteSize()));
            }
        }
        throw new BootException("framebuffer " + fb + " (" + hex(size) + " bytes) does not fit in the PCI hole"
                + " beside the device windows at " + hex(d.localApic()) + ", " + hex(d.ioApic()) + " and "
                + hex(d.hpet()));
    }

    private static void write(PhysicalMemory ram, long paddr, byte[] bytes) {
        ram.write(paddr, bytes, 0, bytes.length);
    }

    private static void zero(PhysicalMemory ram, long paddr, long length) {
        byte[] zeros = new byte[(int) Math.min(length, 64 * 1024)];
        for (long done = 0; done < length; done += zeros.length) {
            ram.write(paddr + done, zeros, 0, (int) Math.min(zeros.length, length - done));
        }
    }
}
