// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * SMBIOS tables (DMTF DSP0134 3.x): a structure table, version 3.0 structures, describing the machine (types 0
 * BIOS, 1 system, 4 processor per CPU, 16 memory array, 17 memory device, 19 memory array mapped address per RAM
 * region, 32 boot information, 127 end of table), and its two entry points: the 2.1-style 32-bit {@code _SM_}
 * (31 bytes, version 2.8, with the {@code _DMI_} intermediate part) and the 3.0 64-bit {@code _SM3_} (24 bytes).
 * Handles follow QEMU's scheme ({@code type << 8 | index}).
 */
final class Smbios {
    static final int ENTRY_32_SIZE = 0x1F;
    static final int ENTRY_64_SIZE = 0x18;
    static final String VENDOR = "limu";
    static final String PRODUCT = "limu PC";
    static final String BIOS_DATE = "01/01/2025";

    /** The structure table, ready to place. */
    record Table(byte[] bytes, int structures, int largestStructure) {
    }

    private Smbios() {
    }

    static Table table(int cpus, List<RamRegion> ram) {
        List<byte[]> structures = new ArrayList<>();
        long memory = 0;
        for (RamRegion r : ram) {
            memory += r.length();
        }
        // Type 0: BIOS Information (2.4+ layout). Characteristics "not supported"; extension bytes: ACPI; VM.
        structures.add(new Structure(0, 0x0000)
                .string(VENDOR).string(LimineBoot.VERSION).u16(0xE800).string(BIOS_DATE).u8(0)
                .u64(1L << 3).u8(1).u8(1 << 4).u8(0).u8(1).u8(0xFF).u8(0xFF)
                .bytes());
        // Type 1: System Information. UUID all zero = not set; wake-up type 6 = power switch.
        structures.add(new Structure(1, 0x0100)
                .string(VENDOR).string(PRODUCT).string(LimineBoot.VERSION).u8(0)
                .zeros(16).u8(6).u8(0).string(PRODUCT)
                .bytes());
        // Type 4: Processor Information per CPU (3.0 layout). Central processor, family "other", 64-bit capable.
        for (int cpu = 0; cpu < cpus; cpu++) {
            structures.add(new Structure(4, 0x0400 + cpu)
                    .string("CPU " + cpu).u8(3).u8(1).string(VENDOR).u64(0).string("limu virtual CPU")
                    .u8(0).u16(0).u16(0).u16(0) // voltage, external clock, max speed, current speed: unknown
                    .u8(0x41).u8(1) // status: socket populated, CPU enabled; upgrade: other
                    .u16(0xFFFF).u16(0xFFFF).u16(0xFFFF) // no cache information
                    .u8(0).u8(0).u8(0) // serial, asset tag, part number
                    .u8(1).u8(1).u8(1) // cores, cores enabled, threads
                    .u16(1 << 2) // characteristics: 64-bit capable
                    .u16(1) // family 2: other
                    .u16(1).u16(1).u16(1)
                    .bytes());
        }
        // Type 16: Physical Memory Array: system board, system memory, no error correction, one device.
        long kib = memory >> 10;
        structures.add(new Structure(16, 0x1000)
                .u8(3).u8(3).u8(3).u32(kib < 0x8000_0000L ? kib : 0x8000_0000L).u16(0xFFFE).u16(1)
                .u64(kib < 0x8000_0000L ? 0 : memory)
                .bytes());
        // Type 17: Memory Device (2.8 layout): one DIMM holding all RAM.
        long mib = memory >> 20;
        structures.add(new Structure(17, 0x1100)
                .u16(0x1000).u16(0xFFFE).u16(64).u16(64)
                .u16(mib < 0x7FFF ? (int) mib : 0x7FFF)
                .u8(0x09).u8(0).string("DIMM 0").u8(0) // form factor DIMM, no device set, locator, no bank
                .u8(0x07).u16(1 << 1) // type RAM, detail "other"
                .u16(0).string(VENDOR).u8(0).u8(0).u8(0) // speed unknown, manufacturer, no serial/asset/part
                .u8(0).u32(mib < 0x7FFF ? 0 : mib) // attributes, extended size
                .u16(0).u16(0).u16(0).u16(0) // configured speed, min/max/configured voltage: unknown
                .bytes());
        // Type 19: Memory Array Mapped Address per RAM region (KiB units; the last KiB is inclusive).
        for (int i = 0; i < ram.size(); i++) {
            RamRegion r = ram.get(i);
            structures.add(new Structure(19, 0x1300 + i)
                    .u32(r.base() >> 10).u32((r.end() >> 10) - 1).u16(0x1000).u8(1).u64(0).u64(0)
                    .bytes());
        }
        // Type 32: System Boot Information: no errors.
        structures.add(new Structure(32, 0x2000).zeros(6).u8(0).bytes());
        // Type 127: End-of-Table.
        structures.add(new Structure(127, 0x7F00).bytes());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int largest = 0;
        for (byte[] s : structures) {
            out.writeBytes(s);
            largest = Math.max(largest, s.length);
        }
        return new Table(out.toByteArray(), structures.size(), largest);
    }

    /** The 32-bit entry point for a table of {@code table} placed at {@code address} (below 4 GiB). */
    static byte[] entry32(Table table, long address) {
        if (address >>> 32 != 0 || table.bytes().length > 0xFFFF) {
            throw new IllegalArgumentException("SMBIOS table out of the 32-bit entry point's reach");
        }
        byte[] b = new byte[ENTRY_32_SIZE];
        ascii(b, 0, "_SM_");
        b[5] = ENTRY_32_SIZE;
        b[6] = 2;
        b[7] = 8;
        putU16(b, 8, table.largestStructure());
        b[10] = 0; // entry point revision
        ascii(b, 0x10, "_DMI_");
        putU16(b, 0x16, table.bytes().length);
        putU16(b, 0x18, (int) address);
        putU16(b, 0x1A, (int) (address >>> 16));
        putU16(b, 0x1C, table.structures());
        b[0x1E] = 0x28; // BCD revision 2.8
        b[0x15] = AcpiTable.checksumByte(b, 0x10, 0x0F);
        b[4] = AcpiTable.checksumByte(b, 0, ENTRY_32_SIZE);
        return b;
    }

    /** The 64-bit (SMBIOS 3.0) entry point for {@code table} placed at {@code address}. */
    static byte[] entry64(Table table, long address) {
        byte[] b = new byte[ENTRY_64_SIZE];
        ascii(b, 0, "_SM3_");
        b[6] = ENTRY_64_SIZE;
        b[7] = 3;
        b[8] = 0;
        b[9] = 0; // docrev
        b[10] = 1; // entry point revision: 3.0
        putU16(b, 0x0C, table.bytes().length);
        putU16(b, 0x0E, table.bytes().length >>> 16);
        LittleEndian.putU64(b, 0x10, address);
        b[5] = AcpiTable.checksumByte(b, 0, ENTRY_64_SIZE);
        return b;
    }

    private static void ascii(byte[] b, int off, String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, off, a.length);
    }

    private static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    /** One structure: formatted area (header + fields) then its string set. */
    private static final class Structure {
        private final ByteArrayOutputStream formatted = new ByteArrayOutputStream();
        private final List<String> strings = new ArrayList<>();

        Structure(int type, int handle) {
            u8(type).u8(0).u16(handle);
        }

        Structure u8(int v) {
            formatted.write(v);
            return this;
        }

        Structure u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Structure u32(long v) {
            return u16((int) v).u16((int) (v >>> 16));
        }

        Structure u64(long v) {
            return u32(v).u32(v >>> 32);
        }

        Structure zeros(int n) {
            formatted.writeBytes(new byte[n]);
            return this;
        }

        /** A string field: its 1-based number in the string set. */
        Structure string(String s) {
            strings.add(s);
            return u8(strings.size());
        }

        byte[] bytes() {
            byte[] head = formatted.toByteArray();
            head[1] = (byte) head.length;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(head);
            for (String s : strings) {
                out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
                out.write(0);
            }
            if (strings.isEmpty()) {
                out.write(0);
            }
            out.write(0);
            return out.toByteArray();
        }
    }
}
