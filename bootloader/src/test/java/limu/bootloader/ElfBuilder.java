// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds ELF64 files in memory: program headers, allocated sections inside segments, a symbol table. */
final class ElfBuilder {
    static final long BASE = 0xffff_ffff_8000_0000L;

    record Segment(int type, long vaddr, int flags, byte[] data, long memSize, long align) {
    }

    record Section(String name, int type, long flags, long addr, long size) {
    }

    record Sym(String name, long value, long size, int type, int bind) {
    }

    int type = ElfFile.ET_EXEC;
    int machine = ElfFile.EM_X86_64;
    long entry = BASE;
    boolean sectionHeaders = true;
    final List<Segment> segments = new ArrayList<>();
    final List<Section> sections = new ArrayList<>();
    final List<Sym> symbols = new ArrayList<>();
    final List<java.util.Map.Entry<String, byte[]>> unallocated = new ArrayList<>();

    ElfBuilder entry(long entry) {
        this.entry = entry;
        return this;
    }

    ElfBuilder type(int type) {
        this.type = type;
        return this;
    }

    ElfBuilder load(long vaddr, String flags, byte[] data, long memSize) {
        return load(vaddr, flags, data, memSize, 0x1000);
    }

    ElfBuilder load(long vaddr, String flags, byte[] data, long memSize, long align) {
        segments.add(new Segment(ElfFile.PT_LOAD, vaddr, flagBits(flags), data, memSize, align));
        return this;
    }

    ElfBuilder segment(Segment s) {
        segments.add(s);
        return this;
    }

    /** An allocated PROGBITS section over {@code [addr, addr + size)}, which must lie in a segment's file data. */
    ElfBuilder section(String name, long addr, long size) {
        sections.add(new Section(name, 1, 2, addr, size));
        return this;
    }

    /** A non-allocated PROGBITS section holding {@code data} ({@code .debug_line}, say), after the symbol table. */
    ElfBuilder unallocated(String name, byte[] data) {
        unallocated.add(java.util.Map.entry(name, data));
        return this;
    }

    ElfBuilder func(String name, long value, long size) {
        symbols.add(new Sym(name, value, size, ElfFile.STT_FUNC, 1));
        return this;
    }

    ElfBuilder object(String name, long value, long size) {
        symbols.add(new Sym(name, value, size, ElfFile.STT_OBJECT, 1));
        return this;
    }

    static int flagBits(String rwx) {
        return (rwx.contains("R") ? ElfFile.PF_R : 0) | (rwx.contains("W") ? ElfFile.PF_W : 0)
                | (rwx.contains("X") ? ElfFile.PF_X : 0);
    }

    byte[] build() {
        Out out = new Out();
        out.pad(64 + 56 * segments.size());
        long[] offsets = new long[segments.size()];
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            long off = (out.size() + 0xFFF) & ~0xFFFL;
            off += s.vaddr() & 0xFFF;
            out.pad(off - out.size());
            offsets[i] = off;
            out.bytes(s.data());
        }
        // String tables and the symbol table.
        ByteArrayOutputStream shstr = new ByteArrayOutputStream();
        shstr.write(0);
        ByteArrayOutputStream str = new ByteArrayOutputStream();
        str.write(0);
        Out symtab = new Out();
        symtab.pad(24);
        for (Sym s : symbols) {
            symtab.u32(str.size());
            str.writeBytes(s.name().getBytes(StandardCharsets.UTF_8));
            str.write(0);
            symtab.u8(s.bind() << 4 | s.type());
            symtab.u8(0);
            symtab.u16(1);
            symtab.u64(s.value());
            symtab.u64(s.size());
        }
        List<long[]> headers = new ArrayList<>();
        headers.add(new long[10]);
        for (Section sec : sections) {
            long off = 0;
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                if (sec.addr() >= s.vaddr() && sec.addr() < s.vaddr() + Math.max(1, s.data().length)) {
                    off = offsets[i] + (sec.addr() - s.vaddr());
                }
            }
            headers.add(new long[]{name(shstr, sec.name()), sec.type(), sec.flags(), sec.addr(), off, sec.size(), 0,
                    0, 8, 0});
        }
        out.pad(((out.size() + 7) & ~7L) - out.size());
        long symOff = out.size();
        out.bytes(symtab.toByteArray());
        long strOff = out.size();
        out.bytes(str.toByteArray());
        int symIndex = headers.size();
        headers.add(new long[]{name(shstr, ".symtab"), ElfFile.SHT_SYMTAB, 0, 0, symOff, symtab.size(), symIndex + 1,
                1, 8, 24});
        headers.add(new long[]{name(shstr, ".strtab"), 3, 0, 0, strOff, str.size(), 0, 0, 1, 0});
        for (java.util.Map.Entry<String, byte[]> u : unallocated) {
            long off = out.size();
            out.bytes(u.getValue());
            headers.add(new long[]{name(shstr, u.getKey()), 1, 0, 0, off, u.getValue().length, 0, 0, 1, 0});
        }
        int shstrIndex = headers.size();
        long shstrNameOff = name(shstr, ".shstrtab");
        long shstrOff = out.size();
        byte[] shstrBytes = shstr.toByteArray();
        out.bytes(shstrBytes);
        headers.add(new long[]{shstrNameOff, 3, 0, 0, shstrOff, shstrBytes.length, 0, 0, 1, 0});
        out.pad(((out.size() + 7) & ~7L) - out.size());
        long shoff = out.size();
        for (long[] h : headers) {
            out.u32(h[0]);
            out.u32(h[1]);
            out.u64(h[2]);
            out.u64(h[3]);
            out.u64(h[4]);
            out.u64(h[5]);
            out.u32(h[6]);
            out.u32(h[7]);
            out.u64(h[8]);
            out.u64(h[9]);
        }
        byte[] file = out.toByteArray();
        // Header and program headers.
        Out head = new Out();
        head.bytes(new byte[]{0x7F, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        head.u16(type);
        head.u16(machine);
        head.u32(1);
        head.u64(entry);
        head.u64(64);
        head.u64(sectionHeaders ? shoff : 0);
        head.u32(0);
        head.u16(64);
        head.u16(56);
        head.u16(segments.size());
        head.u16(64);
        head.u16(sectionHeaders ? headers.size() : 0);
        head.u16(sectionHeaders ? shstrIndex : 0);
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            head.u32(s.type());
            head.u32(s.flags());
            head.u64(offsets[i]);
            head.u64(s.vaddr());
            head.u64(s.vaddr());
            head.u64(s.data().length);
            head.u64(s.memSize());
            head.u64(s.align());
        }
        byte[] h = head.toByteArray();
        System.arraycopy(h, 0, file, 0, h.length);
        return file;
    }

    private static long name(ByteArrayOutputStream table, String name) {
        long off = table.size();
        table.writeBytes(name.getBytes(StandardCharsets.UTF_8));
        table.write(0);
        return off;
    }

    /** Little-endian byte sink. */
    static final class Out extends ByteArrayOutputStream {
        void u8(int v) {
            write(v);
        }

        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(long v) {
            u16((int) v);
            u16((int) (v >>> 16));
        }

        void u64(long v) {
            u32(v);
            u32(v >>> 32);
        }

        void bytes(byte[] b) {
            writeBytes(b);
        }

        void pad(long n) {
            for (long i = 0; i < n; i++) {
                write(0);
            }
        }
    }
}
