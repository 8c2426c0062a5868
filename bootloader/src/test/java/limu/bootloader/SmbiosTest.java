// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmbiosTest {
    /** A structure as read back: type, formatted length, handle, formatted bytes, strings. */
    record Structure(int type, int length, int handle, byte[] formatted, List<String> strings) {
        int u8(int off) {
            return formatted[off] & 0xFF;
        }

        String string(int off) {
            int n = u8(off);
            return n == 0 ? null : strings.get(n - 1);
        }
    }

    /** Walks a structure table the way dmidecode does, checking each string set ends in a double NUL. */
    static List<Structure> parse(byte[] table) {
        List<Structure> out = new ArrayList<>();
        int off = 0;
        while (off < table.length) {
            int type = table[off] & 0xFF;
            int length = table[off + 1] & 0xFF;
            assertTrue(length >= 4, "structure length");
            byte[] formatted = java.util.Arrays.copyOfRange(table, off, off + length);
            int p = off + length;
            List<String> strings = new ArrayList<>();
            if (table[p] == 0) {
                assertEquals(0, table[p + 1], "empty string set is two NULs");
                p += 2;
            } else {
                while (table[p] != 0) {
                    int start = p;
                    while (table[p] != 0) {
                        p++;
                    }
                    strings.add(new String(table, start, p - start, StandardCharsets.US_ASCII));
                    p++;
                }
                p++;
            }
            out.add(new Structure(type, length, LittleEndian.u16(table, off + 2), formatted, strings));
            off = p;
            if (type == 127) {
                break;
            }
        }
        assertEquals(table.length, off, "the table ends with the end-of-table structure");
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 64})
    void entryPointsAndTableAreConsistent(int cpus) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        Booted b = Booted.boot(k.build(), Booted.config(6 * GIB).cpus(cpus));
        SparseMemory ram = b.ram();

        byte[] e32 = ram.bytes(0xF0040, 0x1F);
        assertEquals("_SM_", new String(e32, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(e32, 0, 0x1F), "entry point checksum");
        assertEquals(0x1F, e32[5]);
        assertEquals(2, e32[6]);
        assertEquals(8, e32[7]);
        assertEquals("_DMI_", new String(e32, 0x10, 5, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(e32, 0x10, 0x0F), "intermediate checksum");
        int tableLength = LittleEndian.u16(e32, 0x16);
        long tableAddress = LittleEndian.u32(e32, 0x18);
        int count = LittleEndian.u16(e32, 0x1C);
        assertEquals(0x28, e32[0x1E]);

        byte[] e64 = ram.bytes(0xF0060, 0x18);
        assertEquals("_SM3_", new String(e64, 0, 5, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(e64, 0, 0x18), "3.0 entry point checksum");
        assertEquals(0x18, e64[6]);
        assertEquals(3, e64[7]);
        assertEquals(1, e64[10], "entry point revision");
        assertEquals(tableLength, LittleEndian.u32(e64, 0x0C));
        assertEquals(tableAddress, LittleEndian.u64(e64, 0x10));

        List<Structure> structures = parse(ram.bytes(tableAddress, tableLength));
        assertEquals(count, structures.size());
        int largest = 0;
        byte[] table = ram.bytes(tableAddress, tableLength);
        int off = 0;
        for (Structure s : structures) {
            int size = s.length();
            int p = off + size;
            while (table[p] != 0 || table[p + 1] != 0) {
                p++;
            }
            largest = Math.max(largest, p + 2 - off);
            off = p + 2;
        }
        assertEquals(largest, LittleEndian.u16(e32, 8), "maximum structure size");

        List<Integer> types = structures.stream().map(Structure::type).toList();
        List<Integer> expected = new ArrayList<>(List.of(0, 1));
        for (int i = 0; i < cpus; i++) {
            expected.add(4);
        }
        expected.addAll(List.of(16, 17, 19, 19, 32, 127));
        assertEquals(expected, types);
        Structure bios = structures.get(0);
        assertEquals(0x18, bios.length());
        assertEquals("limu", bios.string(4));
        assertEquals(LimineBoot.VERSION, bios.string(5));
        Structure system = structures.get(1);
        assertEquals(0x1B, system.length());
        assertEquals("limu PC", system.string(5));
        for (int i = 0; i < cpus; i++) {
            Structure cpu = structures.get(2 + i);
            assertEquals(0x30, cpu.length());
            assertEquals(0x0400 + i, cpu.handle());
            assertEquals("CPU " + i, cpu.string(4));
            assertEquals(3, cpu.u8(5), "central processor");
            assertEquals(0x41, cpu.u8(0x18), "populated, enabled");
        }
        Structure device = structures.get(3 + cpus);
        assertEquals(0x28, device.length());
        assertEquals(6 * 1024, LittleEndian.u16(device.formatted(), 0x0C), "6 GiB in MiB");
        Structure low = structures.get(4 + cpus);
        Structure high = structures.get(5 + cpus);
        assertEquals(0, LittleEndian.u32(low.formatted(), 4));
        assertEquals((3 * GIB >> 10) - 1, LittleEndian.u32(low.formatted(), 8));
        assertEquals(4 * GIB >> 10, LittleEndian.u32(high.formatted(), 4));
        assertEquals((7 * GIB >> 10) - 1, LittleEndian.u32(high.formatted(), 8));
        assertEquals(new Structure(127, 4, 0x7F00, structures.get(structures.size() - 1).formatted(), List.of()),
                structures.get(structures.size() - 1));
        // The whole BIOS-area block is firmware memory; the table follows the entry points.
        assertEquals(0xF0080, tableAddress);
        assertEquals(MemoryType.RESERVED, b.typeAt(tableAddress + tableLength - 1));
        assertFalse(b.walker().mapped(b.plan().hhdmOffset() + 0xF0040), "revision 3 leaves it unmapped");
        assertTrue(Booted.boot(k.build(), Booted.config(64 * MIB)).plan().memoryMap().stream()
                .noneMatch(e -> e.type() == MemoryType.RESERVED_MAPPED), "type 8 only from revision 4");
    }
}
