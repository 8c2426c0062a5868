// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads ACPI tables back the way the acpi crate 5.x validates them: RSDP signature, UTF-8 OEM ID, checksum over 20
 * bytes (revision 0) or {@code length} bytes; every SDT's signature, UTF-8 OEM and table IDs and checksum.
 */
final class AcpiReader {
    /** A table's bytes and where it was. */
    record Table(long address, byte[] bytes) {
        String signature() {
            return new String(bytes, 0, 4, StandardCharsets.US_ASCII);
        }

        int revision() {
            return u8(8);
        }

        int u8(int off) {
            return bytes[off] & 0xFF;
        }

        int u16(int off) {
            return LittleEndian.u16(bytes, off);
        }

        long u32(int off) {
            return LittleEndian.u32(bytes, off);
        }

        long u64(int off) {
            return LittleEndian.u64(bytes, off);
        }

        String ascii(int off, int len) {
            return new String(bytes, off, len, StandardCharsets.US_ASCII);
        }
    }

    private final SparseMemory ram;

    AcpiReader(SparseMemory ram) {
        this.ram = ram;
    }

    Table rsdp(long address) {
        byte[] b = ram.bytes(address, Rsdp.SIZE);
        checkRsdp(b);
        return new Table(address, b);
    }

    static void checkRsdp(byte[] b) {
        assertEquals("RSD PTR ", new String(b, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(0, AcpiTable.sum(b, 0, 20), "RSDP checksum over the first 20 bytes");
        assertEquals(2, b[15], "revision");
        assertEquals(36, LittleEndian.u32(b, 20), "length");
        assertEquals(0, AcpiTable.sum(b, 0, 36), "RSDP extended checksum");
        assertEquals("LIMU  ", new String(b, 9, 6, StandardCharsets.US_ASCII));
    }

    /** The SDT at {@code address}, checked to carry {@code signature}. */
    Table sdt(long address, String signature) {
        long length = LittleEndian.u32(ram.bytes(address, 8), 4);
        assertTrue(length >= AcpiTable.HEADER && length < 0x10000, signature + " length " + length);
        byte[] b = ram.bytes(address, (int) length);
        checkSdt(b, signature);
        return new Table(address, b);
    }

    static void checkSdt(byte[] b, String signature) {
        assertEquals(signature, new String(b, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(b.length, LittleEndian.u32(b, 4), signature + " length field");
        assertEquals(0, AcpiTable.sum(b, 0, b.length), signature + " checksum");
        assertEquals("LIMU  ", new String(b, 10, 6, StandardCharsets.US_ASCII), signature + " OEM ID");
        assertEquals("LIMUPC  ", new String(b, 16, 8, StandardCharsets.US_ASCII), signature + " OEM table ID");
        assertEquals(1, LittleEndian.u32(b, 24), signature + " OEM revision");
        assertEquals("LIMU", new String(b, 28, 4, StandardCharsets.US_ASCII), signature + " creator ID");
    }

    /** The XSDT's (8-byte) or RSDT's (4-byte) table addresses. */
    static List<Long> entries(Table root, int size) {
        List<Long> out = new ArrayList<>();
        for (int off = AcpiTable.HEADER; off < root.bytes().length; off += size) {
            out.add(size == 8 ? root.u64(off) : root.u32(off));
        }
        return out;
    }

    /** MADT entries as {type, length, then the entry's remaining bytes}. */
    static List<byte[]> madtEntries(Table madt) {
        List<byte[]> out = new ArrayList<>();
        int off = Madt.ENTRIES;
        while (off < madt.bytes().length) {
            int length = madt.u8(off + 1);
            assertTrue(length >= 2, "MADT entry length");
            byte[] e = new byte[length];
            System.arraycopy(madt.bytes(), off, e, 0, length);
            out.add(e);
            off += length;
        }
        assertEquals(madt.bytes().length, off, "MADT entries end with the table");
        return out;
    }
}
