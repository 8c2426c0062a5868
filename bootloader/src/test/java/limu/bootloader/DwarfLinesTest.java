// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link DwarfLines} on hand-assembled DWARF 4 and 5 line-number programs, and on damaged ones. */
class DwarfLinesTest {
    private static final long BASE = ElfBuilder.BASE;
    private static final int[] STD_LENGTHS = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};

    /** Little-endian bytes with LEB128. */
    static final class Bytes extends ByteArrayOutputStream {
        Bytes u8(int... v) {
            for (int x : v) {
                write(x);
            }
            return this;
        }

        Bytes u16(int v) {
            return u8(v & 0xFF, (v >>> 8) & 0xFF);
        }

        Bytes u32(long v) {
            return u16((int) v).u16((int) (v >>> 16));
        }

        Bytes u64(long v) {
            return u32(v).u32(v >>> 32);
        }

        Bytes uleb(long v) {
            do {
                int x = (int) (v & 0x7F);
                v >>>= 7;
                write(v != 0 ? x | 0x80 : x);
            } while (v != 0);
            return this;
        }

        Bytes sleb(long v) {
            while (true) {
                int x = (int) (v & 0x7F);
                v >>= 7;
                boolean done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
                write(done ? x : x | 0x80);
                if (done) {
                    return this;
                }
            }
        }

        Bytes str(String s) {
            writeBytes(s.getBytes(StandardCharsets.UTF_8));
            return u8(0);
        }

        Bytes bytes(byte[] b) {
            writeBytes(b);
            return this;
        }
    }

    /** One unit: the header fields from version on ({@code header}), the program, framed with the two lengths. */
    private static byte[] unit(int version, boolean dwarf64, byte[] afterHeaderLength, byte[] program) {
        Bytes head = new Bytes().u16(version);
        if (version >= 5) {
            head.u8(8, 0);
        }
        Bytes rest = new Bytes();
        if (dwarf64) {
            rest.u64(afterHeaderLength.length);
        } else {
            rest.u32(afterHeaderLength.length);
        }
        rest.bytes(afterHeaderLength).bytes(program);
        byte[] body = new Bytes().bytes(head.toByteArray()).bytes(rest.toByteArray()).toByteArray();
        Bytes u = new Bytes();
        if (dwarf64) {
            u.u32(0xFFFF_FFFFL).u64(body.length);
        } else {
            u.u32(body.length);
        }
        return u.bytes(body).toByteArray();
    }

    private static Bytes commonFields() {
        Bytes h = new Bytes().u8(1, 1, 1, -5 & 0xFF, 14, 13);   // min inst, max ops, is_stmt, line base/range, base
        for (int l : STD_LENGTHS) {
            h.u8(l);
        }
        return h;
    }

    private static Bytes setAddress(Bytes p, long a) {
        return p.u8(0, 9, 2).u64(a);
    }

    private static Bytes endSequence(Bytes p) {
        return p.u8(0, 1, 1);
    }

    /** DWARF 4: two sequences, every standard opcode, a special opcode, skipped extended opcodes. */
    static byte[] version4(boolean dwarf64) {
        Bytes h = commonFields();
        h.str("heap-bugs/src").str("/rust/core/src").u8(0);
        h.str("main.rs").uleb(1).uleb(0).uleb(0);
        h.str("ptr.rs").uleb(2).uleb(0).uleb(0);
        h.str("lib.rs").uleb(0).uleb(0).uleb(0);
        h.u8(0);
        Bytes p = new Bytes();
        setAddress(p, BASE + 0x100);
        p.u8(3).sleb(99).u8(1);                   // line 100, copy: 0x100 main.rs:100
        p.u8(5).uleb(17).u8(6, 7, 10, 11);        // column, negate_stmt, basic_block, prologue_end, epilogue_begin
        p.u8(12).uleb(5);                         // set_isa
        p.u8(0, 2, 4, 1);                         // set_discriminator
        p.u8(0, 3, 0x80, 1, 2);                   // a vendor extended opcode: skipped
        p.u8((2 + 5) + 14 * 4 + 13);              // special: address +4, line +2: 0x104 main.rs:102
        p.u8(4).uleb(2).u8(2).uleb(0x10);         // file 2, address +0x10
        p.u8(3).sleb(-50).u8(1);                  // line 52, copy: 0x114 ptr.rs:52
        p.u8(8);                                  // const_add_pc: +17 = 0x125
        p.u8(4).uleb(1).u8(9).u16(3);             // file 1, fixed_advance_pc 3 = 0x128
        p.u8(3).sleb(200).u8(1);                  // 0x128 main.rs:252
        p.u8(2).uleb(8);
        endSequence(p);                           // ends at 0x130
        setAddress(p, BASE + 0x200);
        p.u8(4).uleb(3).u8(3).sleb(6).u8(1);      // 0x200 lib.rs:7
        p.u8(2).uleb(0x10).u8(3).sleb(-7).u8(1);  // 0x210 line 0: no source line
        p.u8(2).uleb(0x10);
        endSequence(p);                           // ends at 0x220
        return unit(4, dwarf64, h.toByteArray(), p.toByteArray());
    }

    /** .debug_line_str of {@link #version5}. */
    static byte[] lineStr() {
        return new Bytes().u8(0).str("/opt/kernels").str("src").str("main.rs").str("build.rs").toByteArray();
    }

    /** DWARF 5: entry formats with line_strp, udata, data4 and data16 (MD5); 0-based file numbers. */
    static byte[] version5() {
        Bytes h = commonFields();
        h.u8(1).uleb(1).uleb(0x1f);                               // directories: path as line_strp
        h.uleb(2).u32(1).u32(14);                                 // "/opt/kernels", "src"
        h.u8(4).uleb(1).uleb(0x1f).uleb(2).uleb(0x0f).uleb(3).uleb(0x06).uleb(5).uleb(0x1e);
        h.uleb(2);
        h.u32(18).uleb(1).u32(0).bytes(new byte[16]);             // main.rs in src
        h.u32(26).uleb(0).u32(0).bytes(new byte[16]);             // build.rs in the compilation directory
        Bytes p = new Bytes();
        setAddress(p, BASE + 0x400);
        p.u8(3).sleb(41).u8(1);                                   // 0x400 build.rs:42 (file register 1)
        p.u8((1 + 5) + 14 * 2 + 13);                              // 0x402 line 43
        p.u8(4).uleb(0).u8(2).uleb(4).u8(1);                      // 0x406 src/main.rs:43 (file 0)
        p.u8(2).uleb(4);
        endSequence(p);
        return unit(5, false, h.toByteArray(), p.toByteArray());
    }

    private static byte[] debugLine() {
        return new Bytes().bytes(version4(false)).bytes(version5()).bytes(version4(true)).toByteArray();
    }

    private static String at(DwarfLines d, long offset) {
        return d.at(BASE + offset).map(Object::toString).orElse("-");
    }

    @Test
    void readsVersion4And5UnitsFromTheElf() throws BootException {
        byte[] elf = new ElfBuilder().load(BASE, "RX", new byte[0x1000], 0x1000)
                .unallocated(".debug_line", debugLine()).unallocated(".debug_line_str", lineStr()).build();
        DwarfLines d = ElfFile.parse(elf, "k.elf").lines();
        assertEquals("-", at(d, 0xff));
        assertEquals("heap-bugs/src/main.rs:100", at(d, 0x100));
        assertEquals("heap-bugs/src/main.rs:100", at(d, 0x103));
        assertEquals("heap-bugs/src/main.rs:102", at(d, 0x104));
        assertEquals("heap-bugs/src/main.rs:102", at(d, 0x113));
        assertEquals("/rust/core/src/ptr.rs:52", at(d, 0x114));
        assertEquals("/rust/core/src/ptr.rs:52", at(d, 0x127));
        assertEquals("heap-bugs/src/main.rs:252", at(d, 0x128));
        assertEquals("heap-bugs/src/main.rs:252", at(d, 0x12f));
        assertEquals("-", at(d, 0x130));
        assertEquals("-", at(d, 0x1ff));
        assertEquals("lib.rs:7", at(d, 0x200));
        assertEquals("lib.rs:7", at(d, 0x20f));
        assertEquals("-", at(d, 0x210));
        assertEquals("-", at(d, 0x220));
        assertEquals("build.rs:42", at(d, 0x400));
        assertEquals("build.rs:43", at(d, 0x405));
        assertEquals("src/main.rs:43", at(d, 0x406));
        assertEquals("-", at(d, 0x40a));
        assertEquals("-", at(d, -BASE));
        assertEquals(17, d.at(BASE + 0x104).orElseThrow().column());
    }

    @Test
    void noDebugInfoIsAnEmptyTable() throws BootException {
        byte[] elf = new ElfBuilder().load(BASE, "RX", new byte[0x1000], 0x1000).build();
        DwarfLines d = ElfFile.parse(elf, "k.elf").lines();
        assertTrue(d.isEmpty());
        assertEquals(Optional.empty(), d.at(BASE));
    }

    @Test
    void aDamagedUnitKeepsTheUnitsBeforeIt() {
        byte[] good = version4(false);
        byte[] bad = version5();
        bad[4] = 9;   // version 9: skipped
        byte[] line = new Bytes().bytes(good).bytes(bad).bytes(new byte[]{1, 2, 3}).toByteArray();
        DwarfLines d = DwarfLines.parse(line, lineStr(), null);
        assertEquals("heap-bugs/src/main.rs:100", at(d, 0x100));
        assertEquals("-", at(d, 0x400));
        // v5 strings without .debug_line_str
        d = DwarfLines.parse(version5(), null, null);
        assertTrue(at(d, 0x400).endsWith(":42"), at(d, 0x400));
    }

    private static void mustNotThrow(byte[] line, byte[] lineStr) {
        try {
            DwarfLines d = DwarfLines.parse(line, lineStr, lineStr);
            for (long a : new long[]{0, BASE, BASE + 0x100, BASE + 0x128, BASE + 0x400, -1}) {
                d.at(a).ifPresent(Object::toString);
            }
        } catch (Throwable t) {
            throw new AssertionError("DwarfLines threw " + t + " for " + Arrays.toString(line), t);
        }
    }

    @Test
    void fuzzedProgramsNeverThrow() {
        byte[] seed = debugLine();
        byte[] str = lineStr();
        for (int len = 0; len <= seed.length; len++) {
            mustNotThrow(Arrays.copyOf(seed, len), str);
        }
        int[] nasty = {0, 1, 0x7F, 0x80, 0xFF, 0xFE, 13, 14};
        for (int i = 0; i < seed.length; i++) {
            for (int v : nasty) {
                byte[] m = seed.clone();
                m[i] = (byte) v;
                mustNotThrow(m, str);
            }
        }
        Random r = new Random(6);
        for (int k = 0; k < 3000; k++) {
            byte[] m = seed.clone();
            for (int j = r.nextInt(8); j >= 0; j--) {
                m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            }
            mustNotThrow(m, r.nextBoolean() ? str : new byte[0]);
            byte[] junk = new byte[r.nextInt(200)];
            r.nextBytes(junk);
            mustNotThrow(junk, null);
        }
        mustNotThrow(null, null);
    }

    @Test
    void aSectionPastTheEndOfTheFileIsIgnored() throws BootException {
        byte[] elf = new ElfBuilder().load(BASE, "RX", new byte[0x1000], 0x1000)
                .unallocated(".debug_line", debugLine()).build();
        ElfFile parsed = ElfFile.parse(elf, "k.elf");
        long shoff = LittleEndian.u64(elf, 40);
        int index = parsed.section(".debug_line").orElseThrow().index();
        LittleEndian.putU64(elf, (int) (shoff + 64L * index + 32), 0x7FFF_FFFF_0000L);   // sh_size
        assertTrue(ElfFile.parse(elf, "k.elf").lines().isEmpty());
    }
}
