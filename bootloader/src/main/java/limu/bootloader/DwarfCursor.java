// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;

/**
 * A read position over one DWARF section's bytes, bounded by {@link #limit} (the end of the unit being
 * read, or of the section): little-endian fixed-size values, LEB128 (DWARF 5, 7.6) and NUL-terminated
 * strings. Reading past the limit throws {@link Malformed}, which the readers catch to drop the unit.
 * The line-table parser and the debugging-information reader extend it; range and abbreviation lists
 * use it directly.
 */
class DwarfCursor {
    /** Malformed input: ends the unit being read. */
    static final class Malformed extends RuntimeException {
        Malformed() {
            super(null, null, false, false);
        }
    }

    final byte[] b;
    int pos;
    int limit;

    DwarfCursor(byte[] bytes, int pos, int limit) {
        this.b = bytes == null ? new byte[0] : bytes;
        this.pos = pos;
        this.limit = limit;
    }

    final void need(int count) {
        if (count < 0 || count > limit - pos) {
            throw new Malformed();
        }
    }

    final void skip(int count) {
        need(count);
        pos += count;
    }

    final void skipLong(long count) {
        if (count < 0 || count > limit - pos) {
            throw new Malformed();
        }
        pos += (int) count;
    }

    final int u8() {
        need(1);
        return b[pos++] & 0xFF;
    }

    final int u16() {
        need(2);
        int v = LittleEndian.u16(b, pos);
        pos += 2;
        return v;
    }

    final long u32() {
        need(4);
        long v = LittleEndian.u32(b, pos);
        pos += 4;
        return v;
    }

    final long u64() {
        need(8);
        long v = LittleEndian.u64(b, pos);
        pos += 8;
        return v;
    }

    /** A little-endian value of {@code size} bytes (1 to 8): addresses, strx1..4, addrx1..4. */
    final long fixed(int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) u8() << (8 * i);
        }
        return v;
    }

    /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF (DWARF 5, 7.4). */
    final long offset(int offsetSize) {
        return offsetSize == 8 ? u64() : u32();
    }

    final long uleb() {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = u8();
            if (shift < 64) {
                v |= (long) (x & 0x7F) << shift;
            }
            shift += 7;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
    }

    final long sleb() {
        long v = 0;
        int shift = 0;
        int x;
        do {
            x = u8();
            if (shift < 64) {
                v |= (long) (x & 0x7F) << shift;
            }
            shift += 7;
        } while ((x & 0x80) != 0);
        if (shift < 64 && (x & 0x40) != 0) {
            v |= -1L << shift;
        }
        return v;
    }

    final String cstring() {
        int start = pos;
        while (true) {
            need(1);
            if (b[pos++] == 0) {
                return new String(b, start, pos - 1 - start, StandardCharsets.UTF_8);
            }
        }
    }
}
