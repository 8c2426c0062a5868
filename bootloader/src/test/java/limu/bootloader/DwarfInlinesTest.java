// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import limu.bootloader.DwarfLinesTest.Bytes;
import org.junit.jupiter.api.Test;

/**
 * {@link DwarfInlines} on hand-assembled {@code .debug_info}: a DWARF 4 unit (32- and 64-bit DWARF) with
 * {@code .debug_ranges}, names through abstract origins and specifications, a lexical block; a DWARF 5 unit with
 * {@code strx}, {@code addrx}, {@code rnglistx}, implicit constants; damaged and random input.
 */
class DwarfInlinesTest {
    private static final long BASE = ElfBuilder.BASE;

    // DWARF 5, 7.5: tags, attributes, forms used below
    private static final int COMPILE_UNIT = 0x11;
    private static final int SUBPROGRAM = 0x2e;
    private static final int INLINED = 0x1d;
    private static final int LEXICAL_BLOCK = 0x0b;
    private static final int NAME = 0x03;
    private static final int STMT_LIST = 0x10;
    private static final int LOW_PC = 0x11;
    private static final int HIGH_PC = 0x12;
    private static final int ABSTRACT_ORIGIN = 0x31;
    private static final int DECLARATION = 0x3c;
    private static final int SPECIFICATION = 0x47;
    private static final int RANGES = 0x55;
    private static final int CALL_COLUMN = 0x57;
    private static final int CALL_FILE = 0x58;
    private static final int CALL_LINE = 0x59;
    private static final int LINKAGE_NAME = 0x6e;
    private static final int STR_OFFSETS_BASE = 0x72;
    private static final int ADDR_BASE = 0x73;
    private static final int RNGLISTS_BASE = 0x74;
    private static final int ADDR = 0x01;
    private static final int DATA1 = 0x0b;
    private static final int DATA2 = 0x05;
    private static final int DATA4 = 0x06;
    private static final int STRING = 0x08;
    private static final int STRP = 0x0e;
    private static final int UDATA = 0x0f;
    private static final int REF_ADDR = 0x10;
    private static final int REF4 = 0x13;
    private static final int REF_UDATA = 0x15;
    private static final int SEC_OFFSET = 0x17;
    private static final int FLAG_PRESENT = 0x19;
    private static final int STRX = 0x1a;
    private static final int ADDRX = 0x1b;
    private static final int IMPLICIT_CONST = 0x21;
    private static final int RNGLISTX = 0x23;
    private static final int STRX1 = 0x25;
    private static final int STRX4 = 0x28;
    private static final int ADDRX1 = 0x29;

    /** One abbreviation: code, tag, children, then (attribute, form) pairs; an implicit constant follows its form. */
    private static void abbrev(Bytes out, int code, int tag, boolean children, long... spec) {
        out.uleb(code).uleb(tag).u8(children ? 1 : 0);
        for (int i = 0; i < spec.length; i += 2) {
            out.uleb(spec[i]).uleb(spec[i + 1]);
            if (spec[i + 1] == IMPLICIT_CONST) {
                out.sleb(spec[i + 2]);
                i++;
            }
        }
        out.u8(0, 0);
    }

    /** Sections of the test: strings in {@code .debug_str} at known offsets. */
    private static final String[] STRINGS = {"heap-bugs", "_ZN6kernel8heap_bug17h0123456789abcdefE", "lib_fn",
        "build.rs", "_RNvCs1234_5build4main", "helper"};

    private static byte[] str() {
        Bytes b = new Bytes();
        for (String s : STRINGS) {
            b.str(s);
        }
        return b.toByteArray();
    }

    private static long strOffset(int i) {
        long off = 0;
        for (int k = 0; k < i; k++) {
            off += STRINGS[k].length() + 1;
        }
        return off;
    }

    private static final int ABBREV5 = 0x100;   // the DWARF 5 unit's abbreviation table

    private static byte[] abbrevs() {
        Bytes a = new Bytes();
        abbrev(a, 1, COMPILE_UNIT, true, NAME, STRP, STMT_LIST, SEC_OFFSET, LOW_PC, ADDR, HIGH_PC, DATA4);
        abbrev(a, 2, SUBPROGRAM, false, LINKAGE_NAME, STRING, NAME, STRING, DECLARATION, FLAG_PRESENT);
        abbrev(a, 3, SUBPROGRAM, false, SPECIFICATION, REF_ADDR, 0x20, DATA1);   // DW_AT_inline
        abbrev(a, 4, SUBPROGRAM, false, NAME, STRING);
        abbrev(a, 5, SUBPROGRAM, true, LINKAGE_NAME, STRP, NAME, STRING, LOW_PC, ADDR, HIGH_PC, DATA4);
        abbrev(a, 6, LEXICAL_BLOCK, true, LOW_PC, ADDR, HIGH_PC, DATA4);
        abbrev(a, 7, INLINED, true, ABSTRACT_ORIGIN, REF4, LOW_PC, ADDR, HIGH_PC, DATA4, CALL_FILE, DATA1,
                CALL_LINE, DATA2, CALL_COLUMN, DATA1);
        abbrev(a, 8, INLINED, false, ABSTRACT_ORIGIN, REF4, RANGES, SEC_OFFSET, CALL_FILE, UDATA, CALL_LINE, UDATA);
        abbrev(a, 9, SUBPROGRAM, false, NAME, STRP, LOW_PC, ADDR, HIGH_PC, ADDR);
        a.u8(0);
        byte[] v4 = a.toByteArray();
        Bytes b = new Bytes().bytes(v4).bytes(new byte[ABBREV5 - v4.length]);
        abbrev(b, 1, COMPILE_UNIT, true, NAME, STRX1, STR_OFFSETS_BASE, SEC_OFFSET, ADDR_BASE, SEC_OFFSET,
                RNGLISTS_BASE, SEC_OFFSET, LOW_PC, ADDRX, STMT_LIST, SEC_OFFSET);
        abbrev(b, 2, SUBPROGRAM, true, LINKAGE_NAME, STRX, LOW_PC, ADDRX1, HIGH_PC, DATA2);
        abbrev(b, 3, INLINED, false, ABSTRACT_ORIGIN, REF_UDATA, RANGES, RNGLISTX, CALL_FILE, IMPLICIT_CONST, 1,
                CALL_LINE, DATA1, CALL_COLUMN, DATA1);
        abbrev(b, 4, SUBPROGRAM, false, NAME, STRX4);
        b.u8(0);
        return b.toByteArray();
    }

    /** A unit: the header after the length, then the entries, framed with the unit length. */
    private static byte[] frame(boolean dwarf64, byte[] body) {
        Bytes u = new Bytes();
        if (dwarf64) {
            u.u32(0xFFFF_FFFFL).u64(body.length);
        } else {
            u.u32(body.length);
        }
        return u.bytes(body).toByteArray();
    }

    private static Bytes offset(Bytes b, boolean dwarf64, long v) {
        return dwarf64 ? b.u64(v) : b.u32(v);
    }

    /**
     * DWARF 4 at {@code unitStart} of {@code .debug_info}: {@code kernel::heap_bug} at 0x100-0x130 inlines
     * {@code core::ptr::write} (0x110-0x120, called at main.rs:42) inside a lexical block, which inlines {@code add}
     * at 0x114-0x118 and 0x11c-0x120 (a {@code .debug_ranges} list with a base address entry; called at
     * ptr.rs:900); {@code lib_fn} at 0x200-0x220 (high_pc as an address).
     */
    private static byte[] version4(boolean dwarf64, long unitStart) {
        int header = dwarf64 ? 12 + 2 + 8 + 1 : 4 + 2 + 4 + 1;
        Bytes d = new Bytes();
        d.uleb(1);
        offset(d, dwarf64, strOffset(0));
        offset(d, dwarf64, 0).u64(BASE).u32(0x1000);                           // stmt_list 0, low, length
        long declaration = header + d.size();
        d.uleb(2).str("_ZN4core3ptr5write17h0123456789abcdefE").str("write");
        long write = header + d.size();
        d.uleb(3);
        offset(d, dwarf64, unitStart + declaration).u8(1);                    // specification (ref_addr), inline
        long add = header + d.size();
        d.uleb(4).str("add");
        d.uleb(5);
        offset(d, dwarf64, strOffset(1)).str("heap_bug").u64(BASE + 0x100).u32(0x30);
        d.uleb(6).u64(BASE + 0x100).u32(0x30);
        d.uleb(7).u32(write).u64(BASE + 0x110).u32(0x10).u8(1).u16(42).u8(9);
        d.uleb(8).u32(add);
        offset(d, dwarf64, 0).uleb(2).uleb(900);                               // .debug_ranges at 0
        d.u8(0, 0, 0);                                                         // ends: write, block, heap_bug
        d.uleb(9);
        offset(d, dwarf64, strOffset(2)).u64(BASE + 0x200).u64(BASE + 0x220);
        d.u8(0, 0);                                                            // ends the unit, padding
        Bytes h = new Bytes().u16(4);
        offset(h, dwarf64, 0).u8(8);
        return frame(dwarf64, h.bytes(d.toByteArray()).toByteArray());
    }

    /** {@code .debug_ranges}: 0x114-0x118 relative to the unit's base, then 0x11c-0x120 after a base selection. */
    private static byte[] ranges() {
        return new Bytes().u64(0x114).u64(0x118).u64(-1).u64(BASE + 0x100).u64(0x1c).u64(0x20).u64(0).u64(0)
                .toByteArray();
    }

    /**
     * DWARF 5: {@code build::main} at 0x400-0x40a inlines {@code helper} at 0x402-0x408 (a range list reached
     * through {@code rnglistx}, made of a base_addressx and an offset_pair), called at build.rs:7:3.
     */
    private static byte[] version5(long lineOffset) {
        int header = 4 + 2 + 1 + 1 + 4;
        Bytes d = new Bytes();
        d.uleb(1).u8(0).u32(8).u32(8).u32(12).uleb(0).u32(lineOffset);
        d.uleb(2).uleb(1).u8(1).u16(0x0a);
        long helperAt = header + d.size() + 1 + 1 + 1 + 1 + 1 + 1;
        d.uleb(3).uleb(helperAt).uleb(0).u8(7).u8(3);
        d.u8(0);
        d.uleb(4).u32(2);
        d.u8(0);
        Bytes h = new Bytes().u16(5).u8(1, 8).u32(ABBREV5);
        return frame(false, h.bytes(d.toByteArray()).toByteArray());
    }

    private static byte[] strOffsets() {
        return new Bytes().u32(4 + 12).u16(5).u16(0).u32(strOffset(3)).u32(strOffset(4)).u32(strOffset(5))
                .toByteArray();
    }

    private static byte[] addr() {
        return new Bytes().u32(4 + 16).u16(5).u8(8, 0).u64(BASE).u64(BASE + 0x400).toByteArray();
    }

    private static byte[] rnglists() {
        Bytes lists = new Bytes().u8(1).uleb(1).u8(4).uleb(2).uleb(8).u8(0);
        return new Bytes().u32(2 + 1 + 1 + 4 + 4 + lists.size()).u16(5).u8(8, 0).u32(1).u32(4)
                .bytes(lists.toByteArray()).toByteArray();
    }

    private static DwarfInlines.Sections sections(boolean dwarf64) {
        byte[] v4 = version4(dwarf64, 0);
        byte[] lines4 = DwarfLinesTest.version4(false);
        byte[] info = new Bytes().bytes(v4).bytes(version5(lines4.length)).toByteArray();
        byte[] line = new Bytes().bytes(lines4).bytes(DwarfLinesTest.version5()).toByteArray();
        return new DwarfInlines.Sections(info, abbrevs(), str(), DwarfLinesTest.lineStr(), strOffsets(), addr(),
                ranges(), rnglists(), line);
    }

    private static DwarfInlines inlines(DwarfInlines.Sections s) {
        return DwarfInlines.of(s, DwarfLines.parse(s.line(), s.lineStr(), s.str()));
    }

    private static String chain(DwarfInlines d, long offset) {
        List<String> out = new ArrayList<>();
        for (DwarfInlines.Frame f : d.framesAt(BASE + offset)) {
            out.add(f.toString());
        }
        return String.join(" | ", out);
    }

    private static void checkVersion4(DwarfInlines d) {
        assertEquals("", chain(d, 0xff));
        assertEquals("kernel::heap_bug (heap-bugs/src/main.rs:100)", chain(d, 0x100));
        assertEquals("kernel::heap_bug (heap-bugs/src/main.rs:102)", chain(d, 0x10f));
        assertEquals("core::ptr::write (heap-bugs/src/main.rs:102) | kernel::heap_bug (heap-bugs/src/main.rs:42)",
                chain(d, 0x110));
        assertEquals("add (/rust/core/src/ptr.rs:52) | core::ptr::write (/rust/core/src/ptr.rs:900)"
                + " | kernel::heap_bug (heap-bugs/src/main.rs:42)", chain(d, 0x114));
        assertEquals("core::ptr::write (/rust/core/src/ptr.rs:52) | kernel::heap_bug (heap-bugs/src/main.rs:42)",
                chain(d, 0x118));
        assertEquals("add (/rust/core/src/ptr.rs:52) | core::ptr::write (/rust/core/src/ptr.rs:900)"
                + " | kernel::heap_bug (heap-bugs/src/main.rs:42)", chain(d, 0x11f));
        assertEquals("core::ptr::write (/rust/core/src/ptr.rs:52) | kernel::heap_bug (heap-bugs/src/main.rs:42)",
                chain(d, 0x11b));
        assertEquals("kernel::heap_bug (/rust/core/src/ptr.rs:52)", chain(d, 0x120));
        assertEquals("kernel::heap_bug (heap-bugs/src/main.rs:252)", chain(d, 0x12f));
        assertEquals("", chain(d, 0x130));
        assertEquals("lib_fn (lib.rs:7)", chain(d, 0x200));
        assertEquals("lib_fn", chain(d, 0x210));   // line 0 in the line table: no line
        assertEquals(9, d.framesAt(BASE + 0x110).get(1).line().orElseThrow().column());
    }

    @Test
    void readsDwarf4Chains() {
        checkVersion4(inlines(sections(false)));
    }

    @Test
    void readsDwarf4With64BitOffsets() {
        checkVersion4(inlines(sections(true)));
    }

    @Test
    void readsDwarf5StrxAddrxAndRangeLists() {
        DwarfInlines d = inlines(sections(false));
        assertEquals("build::main (build.rs:42)", chain(d, 0x400));
        assertEquals("build::main (build.rs:42)", chain(d, 0x401));
        assertEquals("helper (build.rs:43) | build::main (build.rs:7)", chain(d, 0x402));
        assertEquals("helper (src/main.rs:43) | build::main (build.rs:7)", chain(d, 0x407));
        assertEquals("build::main (src/main.rs:43)", chain(d, 0x408));
        assertEquals("", chain(d, 0x40a));
        assertEquals(3, d.framesAt(BASE + 0x402).get(1).line().orElseThrow().column());
    }

    @Test
    void readsTheSectionsOfAnElf() throws BootException {
        DwarfInlines.Sections s = sections(false);
        byte[] elf = new ElfBuilder().load(BASE, "RX", new byte[0x1000], 0x1000)
                .unallocated(".debug_info", s.info()).unallocated(".debug_abbrev", s.abbrev())
                .unallocated(".debug_str", s.str()).unallocated(".debug_line_str", s.lineStr())
                .unallocated(".debug_str_offsets", s.strOffsets()).unallocated(".debug_addr", s.addr())
                .unallocated(".debug_ranges", s.ranges()).unallocated(".debug_rnglists", s.rnglists())
                .unallocated(".debug_line", s.line()).build();
        ElfFile parsed = ElfFile.parse(elf, "k.elf");
        assertEquals("[add (/rust/core/src/ptr.rs:52), core::ptr::write (/rust/core/src/ptr.rs:900),"
                + " kernel::heap_bug (heap-bugs/src/main.rs:42)]", parsed.inlines().at(BASE + 0x114).toString());
        assertEquals("[helper (build.rs:43), build::main (build.rs:7)]", parsed.inlines().at(BASE + 0x402).toString());
    }

    @Test
    void noDebugInfoGivesNoFrames() throws BootException {
        byte[] elf = new ElfBuilder().load(BASE, "RX", new byte[0x1000], 0x1000).build();
        assertEquals(List.of(), ElfFile.parse(elf, "k.elf").inlines().at(BASE));
    }

    @Test
    void aDamagedUnitKeepsTheOthers() {
        DwarfInlines.Sections s = sections(false);
        byte[] info = s.info().clone();
        info[4] = 9;   // the DWARF 4 unit claims version 9: skipped
        DwarfInlines d = inlines(new DwarfInlines.Sections(info, s.abbrev(), s.str(), s.lineStr(), s.strOffsets(),
                s.addr(), s.ranges(), s.rnglists(), s.line()));
        assertEquals("", chain(d, 0x110));
        assertEquals("helper (build.rs:43) | build::main (build.rs:7)", chain(d, 0x402));
    }

    private static void mustNotThrow(DwarfInlines.Sections s) {
        try {
            DwarfInlines d = inlines(s);
            for (long a : new long[]{0, 0x100, 0x110, 0x114, 0x11c, 0x200, 0x400, 0x402, 0x408, -BASE - 1}) {
                d.framesAt(BASE + a).forEach(Object::toString);
            }
        } catch (Throwable t) {
            throw new AssertionError("DwarfInlines threw " + t, t);
        }
    }

    private static DwarfInlines.Sections with(DwarfInlines.Sections s, int which, byte[] bytes) {
        byte[][] all = {s.info(), s.abbrev(), s.str(), s.lineStr(), s.strOffsets(), s.addr(), s.ranges(),
            s.rnglists(), s.line()};
        all[which] = bytes;
        return new DwarfInlines.Sections(all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7], all[8]);
    }

    @Test
    void damagedAndRandomSectionsNeverThrow() {
        DwarfInlines.Sections seed = sections(false);
        byte[][] parts = {seed.info(), seed.abbrev(), seed.str(), seed.lineStr(), seed.strOffsets(), seed.addr(),
            seed.ranges(), seed.rnglists(), seed.line()};
        for (int which = 0; which < parts.length; which++) {
            byte[] p = parts[which];
            for (int len = 0; len <= p.length; len += which <= 1 ? 1 : 7) {
                mustNotThrow(with(seed, which, Arrays.copyOf(p, len)));
            }
            mustNotThrow(with(seed, which, null));
        }
        int[] nasty = {0, 1, 0x7F, 0x80, 0xFF, 0x16, 0x21, 0x10};
        for (int which = 0; which < 2; which++) {
            for (int i = 0; i < parts[which].length; i++) {
                for (int v : nasty) {
                    byte[] m = parts[which].clone();
                    m[i] = (byte) v;
                    mustNotThrow(with(seed, which, m));
                }
            }
        }
        Random r = new Random(7);
        for (int k = 0; k < 2000; k++) {
            int which = r.nextInt(parts.length);
            byte[] m = parts[which].clone();
            for (int j = r.nextInt(8); j >= 0 && m.length > 0; j--) {
                m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            }
            mustNotThrow(with(seed, which, m));
            byte[] junk = new byte[r.nextInt(300)];
            r.nextBytes(junk);
            mustNotThrow(with(seed, r.nextInt(2), junk));
        }
        assertTrue(inlines(new DwarfInlines.Sections(null, null, null, null, null, null, null, null, null))
                .framesAt(BASE).isEmpty());
    }
}
