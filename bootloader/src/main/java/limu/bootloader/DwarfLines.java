// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The address-to-source-line table of an ELF's DWARF {@code .debug_line} section (versions 2 to 5, 32- and 64-bit
 * DWARF; in version 5 the directory and file tables' entry formats with {@code DW_FORM_string},
 * {@code DW_FORM_line_strp} into {@code .debug_line_str}, {@code DW_FORM_strp} into {@code .debug_str}, the data and
 * block forms, {@code DW_FORM_data16} MD5 sums).
 * <p>
 * Every line-number program is run (standard, special and extended opcodes) and its rows are kept sorted by
 * address; {@link #at} gives the row covering an address. File names are the line table's: a name in the
 * compilation directory as it stands ({@code src/main.rs}), others joined to their directory
 * ({@code heap-bugs/src/main.rs}, {@code /usr/lib/rustlib/src/rust/library/core/src/ptr/mut_ptr.rs}).
 * <p>
 * Lenient: a damaged unit ends the parse and the rows read so far are kept; nothing here throws for any input.
 */
public final class DwarfLines {
    /** A source position; {@code column} is 0 when unknown. */
    public record SourceLine(String file, int line, int column) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    private static final DwarfLines EMPTY = new DwarfLines(new long[0], new int[0], new int[0], new int[0],
            new String[0]);
    /** Line value of a row that ends a sequence (no code from its address on). */
    private static final int END = -1;

    /** Row addresses, biased ({@code ^ Long.MIN_VALUE}) so that signed order is unsigned order. */
    private final long[] keys;
    private final int[] lines;
    private final int[] columns;
    private final int[] files;
    private final String[] names;
    /** Added to every row address: where the code runs relative to where it was linked. */
    private final long slide;

    private DwarfLines(long[] keys, int[] lines, int[] columns, int[] files, String[] names) {
        this(keys, lines, columns, files, names, 0);
    }

    private DwarfLines(long[] keys, int[] lines, int[] columns, int[] files, String[] names, long slide) {
        this.slide = slide;
        this.keys = keys;
        this.lines = lines;
        this.columns = columns;
        this.files = files;
        this.names = names;
    }

    /** The line table of {@code elf}; empty if it has no (readable) {@code .debug_line}. Never throws. */
    public static DwarfLines of(ElfFile elf) {
        try {
            byte[] b = elf.bytes();
            byte[] line = sectionData(elf, b, ".debug_line");
            if (line == null) {
                return EMPTY;
            }
            byte[] lineStr = sectionData(elf, b, ".debug_line_str");
            byte[] str = sectionData(elf, b, ".debug_str");
            return parse(line, lineStr, str);
        } catch (RuntimeException | OutOfMemoryError e) {
            return EMPTY;
        }
    }

    /**
     * Parses the contents of a {@code .debug_line} section; {@code lineStr} and {@code str} are those of
     * {@code .debug_line_str} and {@code .debug_str} (either may be null). Never throws.
     */
    public static DwarfLines parse(byte[] line, byte[] lineStr, byte[] str) {
        try {
            return new Parser(line, lineStr, str).run();
        } catch (RuntimeException | OutOfMemoryError e) {
            return EMPTY;
        }
    }

    /**
     * The file table of the line-number program at {@code offset} of {@code .debug_line}, indexed as that unit's
     * {@code DW_LNS_set_file} and {@code DW_AT_call_file} index it (before version 5 entry 0 is null); empty if the
     * header cannot be read. Never throws.
     */
    static List<String> fileTable(byte[] line, long offset, byte[] lineStr, byte[] str) {
        if (line == null || offset < 0 || offset >= line.length) {
            return List.of();
        }
        try {
            Parser p = new Parser(line, lineStr, str);
            p.headerOnly = true;
            p.unit((int) offset);
            return p.fileTable == null ? List.of() : p.fileTable;
        } catch (RuntimeException | OutOfMemoryError e) {
            return List.of();
        }
    }

    static byte[] sectionData(ElfFile elf, byte[] b, String name) {
        Optional<ElfFile.Section> s = elf.section(name);
        if (s.isEmpty() || s.get().type() == ElfFile.SHT_NOBITS) {
            return null;
        }
        long off = s.get().offset();
        long size = s.get().size();
        if (Long.compareUnsigned(off, b.length) > 0 || Long.compareUnsigned(size, b.length - off) > 0) {
            return null;
        }
        return Arrays.copyOfRange(b, (int) off, (int) (off + size));
    }

    /** The source line of the code at {@code address}; empty where the table has none (or says line 0). */
    public Optional<SourceLine> at(long address) {
        long key = (address - slide) ^ Long.MIN_VALUE;
        int i = Arrays.binarySearch(keys, key);
        if (i >= 0) {
            while (i + 1 < keys.length && keys[i + 1] == key) {
                i++;
            }
        } else {
            i = -i - 2;
        }
        if (i < 0 || lines[i] <= 0 || files[i] < 0) {
            return Optional.empty();
        }
        return Optional.of(new SourceLine(names[files[i]], lines[i], columns[i]));
    }

    /** The same table for code moved {@code by} bytes above its link addresses (a relocated kernel). */
    DwarfLines slid(long by) {
        return by == 0 ? this : new DwarfLines(keys, lines, columns, files, names, slide + by);
    }

    /** The code of one row: run-time addresses {@code [start, end)} come from {@code line}. */
    public record LineRange(long start, long end, SourceLine line) {
    }

    /**
     * Every row's address range in address order, at run-time addresses: from the row to the next row with a
     * higher address. Rows that say line 0 or end a sequence give no range; of rows at one address the last counts,
     * as in {@link #at}.
     */
    public List<LineRange> ranges() {
        List<LineRange> out = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
            int next = i + 1;
            while (next < keys.length && keys[next] == keys[i]) {
                next++;
            }
            if (next > i + 1) {
                i = next - 2;   // the loop's i++ lands on the last row at this address
                continue;
            }
            if (next < keys.length && lines[i] > 0 && files[i] >= 0) {
                long start = (keys[i] ^ Long.MIN_VALUE) + slide;
                long end = (keys[next] ^ Long.MIN_VALUE) + slide;
                out.add(new LineRange(start, end, new SourceLine(names[files[i]], lines[i], columns[i])));
            }
        }
        return out;
    }

    /** The number of rows (sequence ends included). */
    public int rows() {
        return keys.length;
    }

    public boolean isEmpty() {
        return keys.length == 0;
    }

    private static final class Parser extends DwarfCursor {
        private final byte[] lineStr;
        private final byte[] str;
        // rows, appended in program order
        private long[] addr = new long[1024];
        private int[] line = new int[1024];
        private int[] col = new int[1024];
        private int[] file = new int[1024];
        private int n;
        private final List<String> names = new ArrayList<>();
        private final Map<String, Integer> nameIndex = new HashMap<>();
        /** Only read the header of one unit, keeping its file table in {@link #fileTable}. */
        private boolean headerOnly;
        private List<String> fileTable;

        Parser(byte[] line, byte[] lineStr, byte[] str) {
            super(line, 0, 0);
            this.lineStr = lineStr;
            this.str = str;
        }

        DwarfLines run() {
            int unit = 0;
            while (unit + 4 <= b.length) {
                int next;
                int rowsBefore = n;
                try {
                    next = unit(unit);
                } catch (DwarfCursor.Malformed | ArithmeticException e) {
                    n = rowsBefore;   // a unit's rows only when its whole program ran
                    break;
                }
                if (next <= unit) {
                    break;
                }
                unit = next;
            }
            return build();
        }

        private DwarfLines build() {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            // by address; at one address a sequence's end comes before another sequence's rows, else program order
            Arrays.sort(order, (x, y) -> {
                int c = Long.compareUnsigned(addr[x], addr[y]);
                if (c != 0) {
                    return c;
                }
                boolean ex = line[x] == END;
                boolean ey = line[y] == END;
                return ex != ey ? (ex ? -1 : 1) : Integer.compare(x, y);
            });
            long[] k = new long[n];
            int[] l = new int[n];
            int[] c = new int[n];
            int[] f = new int[n];
            for (int i = 0; i < n; i++) {
                int r = order[i];
                k[i] = addr[r] ^ Long.MIN_VALUE;
                l[i] = line[r];
                c[i] = col[r];
                f[i] = file[r];
            }
            return new DwarfLines(k, l, c, f, names.toArray(new String[0]));
        }

        /** Reads the unit at {@code start}; returns where the next one starts. */
        private int unit(int start) {
            pos = start;
            limit = b.length;
            long length = u32();
            int offsetSize = 4;
            if (length == 0xFFFF_FFFFL) {
                length = u64();
                offsetSize = 8;
            } else if (length >= 0xFFFF_FFF0L) {
                throw new DwarfCursor.Malformed();
            }
            if (Long.compareUnsigned(length, b.length - pos) > 0) {
                throw new DwarfCursor.Malformed();
            }
            int end = (int) (pos + length);
            limit = end;
            int version = u16();
            if (version < 2 || version > 5) {
                return end;   // unknown version: skip the unit
            }
            int addressSize = 8;
            if (version >= 5) {
                addressSize = u8();
                u8();   // segment selector size
            }
            long headerLength = offsetSize == 8 ? u64() : u32();
            if (Long.compareUnsigned(headerLength, end - pos) > 0) {
                throw new DwarfCursor.Malformed();
            }
            int program = (int) (pos + headerLength);
            int minInst = u8();
            if (version >= 4) {
                u8();   // maximum operations per instruction: 1 on x86
            }
            boolean defaultIsStmt = u8() != 0;
            int lineBase = (byte) u8();
            int lineRange = u8();
            int opcodeBase = u8();
            if (lineRange == 0) {
                throw new DwarfCursor.Malformed();
            }
            int[] argCounts = new int[Math.max(opcodeBase, 1)];
            for (int i = 1; i < opcodeBase; i++) {
                argCounts[i] = u8();
            }
            List<String> dirs = new ArrayList<>();
            List<String> fileNames = new ArrayList<>();
            if (version >= 5) {
                readEntries5(dirs, null, offsetSize);
                readEntries5(fileNames, dirs, offsetSize);
            } else {
                dirs.add("");   // 0: the compilation directory
                for (String d = cstring(); !d.isEmpty(); d = cstring()) {
                    dirs.add(d);
                }
                fileNames.add(null);   // file 0 is not used before version 5
                for (String f = cstring(); !f.isEmpty(); f = cstring()) {
                    fileNames.add(join(dirs, uleb(), f));
                    uleb();
                    uleb();
                }
            }
            if (headerOnly) {
                fileTable = fileNames;
                return end;
            }
            pos = program;
            runProgram(end, version, addressSize, minInst, defaultIsStmt, lineBase, lineRange, opcodeBase, argCounts,
                    dirs, fileNames);
            return end;
        }

        /** Version 5 directory ({@code dirs == null}) or file name entries, resolved to paths into {@code out}. */
        private void readEntries5(List<String> out, List<String> dirs, int offsetSize) {
            int formatCount = u8();
            long[][] formats = new long[formatCount][];
            for (int i = 0; i < formatCount; i++) {
                formats[i] = new long[]{uleb(), uleb()};
            }
            long count = uleb();
            if (count < 0 || count > limit - pos) {   // every entry takes at least a byte
                throw new DwarfCursor.Malformed();
            }
            for (long e = 0; e < count; e++) {
                int before = pos;
                String path = null;
                long dir = 0;
                for (long[] f : formats) {
                    if (f[0] == 1) {          // DW_LNCT_path
                        path = stringForm((int) f[1], offsetSize);
                    } else if (f[0] == 2) {   // DW_LNCT_directory_index
                        dir = numberForm((int) f[1], offsetSize);
                    } else {
                        skipForm((int) f[1], offsetSize);
                    }
                }
                if (pos == before) {
                    throw new DwarfCursor.Malformed();
                }
                String p = path == null ? "?" : path;
                out.add(dirs == null ? p : dir == 0 ? p : join(dirs, dir, p));
            }
        }

        private static String join(List<String> dirs, long dir, String name) {
            if (name.startsWith("/") || dir <= 0 || dir >= dirs.size()) {
                return name;
            }
            String d = dirs.get((int) dir);
            return d.isEmpty() ? name : d.endsWith("/") ? d + name : d + "/" + name;
        }

        private void runProgram(int end, int version, int addressSize, int minInst, boolean defaultIsStmt,
                                int lineBase, int lineRange, int opcodeBase, int[] argCounts, List<String> dirs,
                                List<String> fileNames) {
            long address = 0;
            long fileNo = 1;
            long lineNo = 1;
            long column = 0;
            while (pos < end) {
                int op = u8();
                if (op >= opcodeBase) {
                    int adjusted = op - opcodeBase;
                    address += (long) minInst * (adjusted / lineRange);
                    lineNo += lineBase + adjusted % lineRange;
                    row(address, lineNo, column, fileNo, fileNames);
                    continue;
                }
                switch (op) {
                    case 0 -> {
                        long len = uleb();
                        if (len <= 0 || len > end - pos) {
                            throw new DwarfCursor.Malformed();
                        }
                        int next = (int) (pos + len);
                        int sub = u8();
                        switch (sub) {
                            case 1 -> {   // DW_LNE_end_sequence
                                rowEnd(address);
                                address = 0;
                                fileNo = 1;
                                lineNo = 1;
                                column = 0;
                            }
                            case 2 -> {   // DW_LNE_set_address
                                int size = (int) len - 1;
                                address = size >= 8 ? u64() : size == 4 ? u32() : size == 2 ? u16() : size == 1 ? u8()
                                        : 0;
                            }
                            case 3 -> {   // DW_LNE_define_file (before version 5)
                                String f = cstring();
                                long d = uleb();
                                if (fileNames.size() > 1 << 20) {
                                    throw new DwarfCursor.Malformed();
                                }
                                fileNames.add(join(dirs, d, f));
                            }
                            default -> {
                                // DW_LNE_set_discriminator and vendor opcodes: skipped
                            }
                        }
                        pos = next;
                    }
                    case 1 -> row(address, lineNo, column, fileNo, fileNames);          // DW_LNS_copy
                    case 2 -> address += (long) minInst * uleb();                       // DW_LNS_advance_pc
                    case 3 -> lineNo += sleb();                                         // DW_LNS_advance_line
                    case 4 -> fileNo = uleb();                                          // DW_LNS_set_file
                    case 5 -> column = uleb();                                          // DW_LNS_set_column
                    case 6, 7, 10, 11 -> {
                        // negate_stmt, set_basic_block, set_prologue_end, set_epilogue_begin: not needed here
                    }
                    case 8 -> address += (long) minInst * ((255 - opcodeBase) / lineRange);   // DW_LNS_const_add_pc
                    case 9 -> address += u16();                                          // DW_LNS_fixed_advance_pc
                    default -> {   // DW_LNS_set_isa (12) and opcodes this reader does not know: skip their arguments
                        for (int i = 0; i < argCounts[op]; i++) {
                            uleb();
                        }
                    }
                }
            }
        }

        private void row(long address, long lineNo, long column, long fileNo, List<String> fileNames) {
            grow();
            addr[n] = address;
            line[n] = lineNo < 0 || lineNo > Integer.MAX_VALUE ? 0 : (int) lineNo;
            col[n] = column < 0 || column > Integer.MAX_VALUE ? 0 : (int) column;
            String name = fileNo >= 0 && fileNo < fileNames.size() ? fileNames.get((int) fileNo) : null;
            file[n] = name == null ? -1 : nameIndex.computeIfAbsent(name, k -> {
                names.add(k);
                return names.size() - 1;
            });
            n++;
        }

        private void rowEnd(long address) {
            grow();
            addr[n] = address;
            line[n] = END;
            col[n] = 0;
            file[n] = -1;
            n++;
        }

        private void grow() {
            if (n == addr.length) {
                int size = addr.length * 2;
                addr = Arrays.copyOf(addr, size);
                line = Arrays.copyOf(line, size);
                col = Arrays.copyOf(col, size);
                file = Arrays.copyOf(file, size);
            }
        }

        private String stringForm(int form, int offsetSize) {
            return switch (form) {
                case 0x08 -> cstring();                                               // DW_FORM_string
                case 0x1f -> stringAt(lineStr, offsetSize == 8 ? u64() : u32());      // DW_FORM_line_strp
                case 0x0e -> stringAt(str, offsetSize == 8 ? u64() : u32());          // DW_FORM_strp
                default -> {
                    skipForm(form, offsetSize);   // strx and friends need .debug_str_offsets: not resolved
                    yield "?";
                }
            };
        }

        private long numberForm(int form, int offsetSize) {
            return switch (form) {
                case 0x0b -> u8();
                case 0x05 -> u16();
                case 0x06 -> u32();
                case 0x07 -> u64();
                case 0x0f -> uleb();
                case 0x0d -> sleb();
                default -> {
                    skipForm(form, offsetSize);
                    yield 0;
                }
            };
        }

        private void skipForm(int form, int offsetSize) {
            switch (form) {
                case 0x08 -> cstring();
                case 0x0b, 0x0c, 0x11, 0x25 -> skip(1);      // data1, flag, ref1, strx1
                case 0x05, 0x26 -> skip(2);                  // data2, strx2
                case 0x27 -> skip(3);                        // strx3
                case 0x06, 0x28 -> skip(4);                  // data4, strx4
                case 0x07 -> skip(8);                        // data8
                case 0x1e -> skip(16);                       // data16 (MD5)
                case 0x0f, 0x0d, 0x1a -> uleb();             // udata, sdata, strx
                case 0x1f, 0x0e, 0x1d, 0x17 -> skip(offsetSize);   // line_strp, strp, strp_sup, sec_offset
                case 0x09 -> skipLong(uleb());               // block
                case 0x0a -> skip(u8());                     // block1
                case 0x03 -> skip(u16());                    // block2
                case 0x04 -> skipLong(u32());                // block4
                default -> throw new DwarfCursor.Malformed();
            }
        }

        private static String stringAt(byte[] table, long offset) {
            if (table == null || offset < 0 || offset >= table.length) {
                return "?";
            }
            int start = (int) offset;
            int end = start;
            while (end < table.length && table[end] != 0) {
                end++;
            }
            return new String(table, start, end - start, StandardCharsets.UTF_8);
        }
    }
}
