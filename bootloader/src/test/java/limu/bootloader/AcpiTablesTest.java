// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AcpiTablesTest {
    private static final DeviceAddresses PC = DeviceAddresses.DEFAULT;

    @Test
    void rsdpCarriesBothChecksumsAndBothRootPointers() {
        byte[] b = Rsdp.bytes(0x0fe0_1000L, 0x0fe0_1100L);
        AcpiReader.checkRsdp(b);
        assertEquals(0x0fe0_1000L, LittleEndian.u32(b, 16));
        assertEquals(0x0fe0_1100L, LittleEndian.u64(b, 24));
        assertEquals(0, b[33] | b[34] | b[35], "reserved");
    }

    @Test
    void everyTableHasAValidHeader() {
        AcpiReader.checkSdt(Dsdt.bytes(), "DSDT");
        AcpiReader.checkSdt(Fadt.bytes(0x1000, 0x2000), "FACP");
        AcpiReader.checkSdt(Madt.bytes(4, PC), "APIC");
        AcpiReader.checkSdt(HpetTable.bytes(PC), "HPET");
        AcpiReader.checkSdt(Spcr.bytes(), "SPCR");
        AcpiReader.checkSdt(Waet.bytes(), "WAET");
        AcpiReader.checkSdt(Xsdt.bytes(List.of(1L, 2L)), "XSDT");
        AcpiReader.checkSdt(Rsdt.bytes(List.of(1L, 2L)), "RSDT");
        assertEquals(AcpiTable.HEADER, Dsdt.bytes().length, "an empty definition block");
        assertEquals(2, Dsdt.bytes()[8], "DSDT revision 2: 64-bit AML integers");
    }

    @Test
    void rootTablesListTheirTables() {
        AcpiReader.Table x = new AcpiReader.Table(0, Xsdt.bytes(List.of(0x1000L, 0x2000L, 0x1_0000_0000L)));
        assertEquals(List.of(0x1000L, 0x2000L, 0x1_0000_0000L), AcpiReader.entries(x, 8));
        AcpiReader.Table r = new AcpiReader.Table(0, Rsdt.bytes(List.of(0x1000L, 0x2000L)));
        assertEquals(List.of(0x1000L, 0x2000L), AcpiReader.entries(r, 4));
        assertEquals(AcpiTable.HEADER + 8, r.bytes().length);
    }

    @Test
    void fadtDescribesQemuPiix4FixedHardware() {
        AcpiReader.Table f = new AcpiReader.Table(0, Fadt.bytes(0x0fe0_2000L, 0x0fe0_3000L));
        assertEquals(276, f.bytes().length);
        assertEquals(6, f.revision());
        assertEquals(0x0fe0_3000L, f.u32(36), "FIRMWARE_CTRL");
        assertEquals(0x0fe0_2000L, f.u32(40), "DSDT");
        assertEquals(9, f.u16(46), "SCI_INT");
        assertEquals(0, f.u32(48), "SMI_CMD: always in ACPI mode");
        assertEquals(0xB000, f.u32(56), "PM1a_EVT_BLK");
        assertEquals(0xB004, f.u32(64), "PM1a_CNT_BLK");
        assertEquals(0xB008, f.u32(76), "PM_TMR_BLK");
        assertEquals(0xAFE0, f.u32(80), "GPE0_BLK");
        assertEquals(4, f.u8(88), "PM1_EVT_LEN");
        assertEquals(2, f.u8(89), "PM1_CNT_LEN");
        assertEquals(4, f.u8(91), "PM_TMR_LEN: the acpi crate wants 4");
        assertEquals(0x32, f.u8(108), "CENTURY");
        assertEquals(0x80A5, f.u32(112), "flags");
        assertEquals(4, f.u8(131), "FADT minor version");
        assertEquals(0x0fe0_3000L, f.u64(132), "X_FIRMWARE_CTRL");
        assertEquals(0x0fe0_2000L, f.u64(140), "X_DSDT");
        for (int off = 148; off < 276; off++) {
            assertEquals(0, f.u8(off), "X_ blocks unused at " + off);
        }
    }

    @Test
    void facsIsSixtyFourBytesWithoutChecksum() {
        byte[] b = Facs.bytes();
        assertEquals(64, b.length);
        assertEquals("FACS", new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(64, LittleEndian.u32(b, 4));
        assertEquals(2, b[32]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 64})
    void madtHasOneLocalApicPerCpuBspFirstThenQemusEntries(int cpus) {
        AcpiReader.Table madt = new AcpiReader.Table(0, Madt.bytes(cpus, PC));
        AcpiReader.checkSdt(madt.bytes(), "APIC");
        assertEquals(0xFEE0_0000L, madt.u32(36), "local APIC address");
        assertEquals(1, madt.u32(40), "PCAT_COMPAT");
        List<byte[]> entries = AcpiReader.madtEntries(madt);
        assertEquals(cpus + 1 + 5 + 1, entries.size());
        for (int cpu = 0; cpu < cpus; cpu++) {
            assertArrayEquals(new byte[]{0, 8, (byte) cpu, (byte) cpu, 1, 0, 0, 0}, entries.get(cpu), "CPU " + cpu);
        }
        assertArrayEquals(new byte[]{1, 12, 0, 0, 0, 0, (byte) 0xC0, (byte) 0xFE, 0, 0, 0, 0}, entries.get(cpus),
                "I/O APIC 0 at 0xFEC00000, GSI base 0");
        assertArrayEquals(new byte[]{2, 10, 0, 0, 2, 0, 0, 0, 0, 0}, entries.get(cpus + 1), "IRQ 0 -> GSI 2");
        int[] level = {5, 9, 10, 11};
        for (int i = 0; i < level.length; i++) {
            assertArrayEquals(new byte[]{2, 10, 0, (byte) level[i], (byte) level[i], 0, 0, 0, 0x0D, 0},
                    entries.get(cpus + 2 + i), "IRQ " + level[i] + " level, active high");
        }
        assertArrayEquals(new byte[]{4, 6, (byte) 0xFF, 0, 0, 1}, entries.get(cpus + 6), "NMI on LINT1 of all CPUs");
        assertEquals(44 + 8 * cpus + 12 + 5 * 10 + 6, madt.bytes().length);
    }

    @Test
    void madtFollowsTheDeviceAddresses() {
        DeviceAddresses moved = new DeviceAddresses(0xFEE1_0000L, 0xFEC1_0000L, 0xFED1_0000L);
        AcpiReader.Table madt = new AcpiReader.Table(0, Madt.bytes(1, moved));
        assertEquals(0xFEE1_0000L, madt.u32(36));
        assertEquals(0xFEC1_0000L, LittleEndian.u32(AcpiReader.madtEntries(madt).get(1), 4));
        AcpiReader.Table hpet = new AcpiReader.Table(0, HpetTable.bytes(moved));
        assertEquals(0xFED1_0000L, hpet.u64(44));
    }

    @Test
    void hpetTableIsQemus() {
        AcpiReader.Table h = new AcpiReader.Table(0, HpetTable.bytes(PC));
        assertEquals(56, h.bytes().length);
        assertEquals(1, h.revision());
        assertEquals(0x8086a201L, h.u32(36), "event timer block ID");
        assertEquals(0, h.u8(40), "GAS: system memory (the acpi crate asserts it)");
        assertEquals(0xFED0_0000L, h.u64(44));
        assertEquals(0, h.u8(52), "HPET number");
        assertEquals(0, h.u16(53), "minimum tick");
        assertEquals(0, h.u8(55), "page protection");
    }

    @Test
    void spcrDescribesCom1() {
        AcpiReader.Table s = new AcpiReader.Table(0, Spcr.bytes());
        assertEquals(4, s.revision());
        assertEquals(90, s.bytes().length);
        assertEquals(0, s.u8(36), "full 16550");
        assertArrayEquals(new byte[]{1, 8, 0, 1}, java.util.Arrays.copyOfRange(s.bytes(), 40, 44),
                "GAS: system I/O, 8 bits, offset 0, byte access");
        assertEquals(0x3F8, s.u64(44));
        assertEquals(3, s.u8(52), "8259 and I/O APIC");
        assertEquals(4, s.u8(53), "IRQ");
        assertEquals(4, s.u32(54), "GSI");
        assertEquals(7, s.u8(58), "115200 baud");
        assertEquals(0, s.u8(59), "no parity");
        assertEquals(1, s.u8(60), "1 stop bit");
        assertEquals(0, s.u8(61), "no flow control");
        assertEquals(0, s.u8(62), "VT100");
        assertEquals(0xFFFF, s.u16(64), "not PCI");
        assertEquals(0xFFFF, s.u16(66), "not PCI");
        assertEquals(1_843_200, s.u32(76), "UART clock");
        assertEquals(0, s.u32(80), "precise baud rate unset");
        assertEquals(2, s.u16(84), "namespace string length");
        assertEquals(88, s.u16(86), "namespace string offset");
        assertEquals(".", s.ascii(88, 1));
        assertEquals(0, s.u8(89));
    }

    @Test
    void waetIsQemusFortyBytesWithThePmTimerGoodFlag() {
        AcpiReader.Table w = new AcpiReader.Table(0, Waet.bytes());
        assertEquals(40, Waet.bytes().length);
        assertEquals(40, w.u32(4), "length");
        assertEquals(1, w.u8(8), "revision");
        assertEquals(0x2, w.u32(36), "flags: bit 1 ACPI PM timer good, bit 0 (RTC needs no ack) clear");
    }

    @Test
    void spcrIsListedOnlyWhenAskedForAndLast() throws Exception {
        byte[] elf = new TestKernel().build();
        for (boolean spcr : new boolean[] {false, true}) {
            Booted b = Booted.boot(elf, Booted.config(64 * MIB).extraAcpiTables(spcr ? List.of("SPCR") : List.of()));
            AcpiReader acpi = new AcpiReader(b.ram());
            AcpiReader.Table rsdp = acpi.rsdp(b.plan().rsdpPhysical());
            List<Long> tables = AcpiReader.entries(acpi.sdt(rsdp.u64(24), "XSDT"), 8);
            List<String> signatures = new java.util.ArrayList<>();
            for (long t : tables) {
                signatures.add(new String(b.ram().bytes(t, 4), java.nio.charset.StandardCharsets.US_ASCII));
                acpi.sdt(t, signatures.get(signatures.size() - 1));
            }
            assertEquals(spcr ? List.of("FACP", "APIC", "HPET", "WAET", "SPCR")
                    : List.of("FACP", "APIC", "HPET", "WAET"), signatures);
            assertEquals(signatures.size(), AcpiReader.entries(acpi.sdt(rsdp.u32(16), "RSDT"), 4).size());
        }
    }

    @Test
    void anUnknownOptionalTableIsRefusedByName() {
        BootException e = org.junit.jupiter.api.Assertions.assertThrows(BootException.class, () -> Booted.boot(
                new TestKernel().build(), Booted.config(64 * MIB).extraAcpiTables(List.of("MCFG"))));
        assertEquals("ACPI table 'MCFG' cannot be added; limu's optional tables: spcr", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
    void tablesChainFromTheRsdpInGuestMemory(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        Booted b = Booted.boot(k.build(), Booted.config(64 * MIB).cpus(4));
        AcpiReader acpi = new AcpiReader(b.ram());
        long rsdpAddress = b.plan().rsdpPhysical();
        assertEquals(0xF0000, rsdpAddress);
        assertEquals(0, rsdpAddress % 16, "a BIOS scan steps by 16");
        AcpiReader.Table rsdp = acpi.rsdp(rsdpAddress);
        assertEquals(revision >= 4 ? MemoryType.RESERVED_MAPPED : MemoryType.RESERVED, b.typeAt(rsdpAddress));

        AcpiReader.Table xsdt = acpi.sdt(rsdp.u64(24), "XSDT");
        AcpiReader.Table rsdt = acpi.sdt(rsdp.u32(16), "RSDT");
        List<Long> tables = AcpiReader.entries(xsdt, 8);
        assertEquals(tables, AcpiReader.entries(rsdt, 4));
        String[] order = {"FACP", "APIC", "HPET", "WAET"};
        assertEquals(order.length, tables.size());
        for (int i = 0; i < order.length; i++) {
            acpi.sdt(tables.get(i), order[i]);
            assertEquals(MemoryType.ACPI_RECLAIMABLE, b.typeAt(tables.get(i)), order[i]);
        }
        AcpiReader.Table fadt = acpi.sdt(tables.get(0), "FACP");
        AcpiReader.Table dsdt = acpi.sdt(fadt.u64(140), "DSDT");
        assertEquals(fadt.u32(40), dsdt.address());
        long facs = fadt.u64(132);
        assertEquals(fadt.u32(36), facs);
        assertEquals(0, facs % 64);
        assertEquals("FACS", new String(b.ram().bytes(facs, 4), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(MemoryType.ACPI_NVS, b.typeAt(facs));
        for (long t : new long[]{xsdt.address(), rsdt.address(), dsdt.address()}) {
            assertEquals(MemoryType.ACPI_RECLAIMABLE, b.typeAt(t));
        }
        AcpiReader.Table madt = acpi.sdt(tables.get(1), "APIC");
        assertEquals(4 + 7, AcpiReader.madtEntries(madt).size());

        // Reachable through the HHDM before revision 3 (4 GiB map) and from revision 4 (ACPI + type 8 regions).
        PageWalker w = b.walker();
        long hhdm = b.plan().hhdmOffset();
        for (long t : new long[]{rsdpAddress, xsdt.address(), rsdt.address(), dsdt.address(), facs,
            tables.get(0), tables.get(1), tables.get(2), tables.get(3)}) {
            if (revision == 3) {
                assertFalse(w.mapped(hhdm + t), "revision 3 maps no ACPI memory: 0x" + Long.toHexString(t));
            } else {
                assertEquals(t, w.physical(hhdm + t));
                assertEquals(0, w.translate(hhdm + t).orElseThrow().patIndex(), "write-back");
            }
        }
        LimineBootTest.checkWellFormed(b.plan().memoryMap());
    }
}
