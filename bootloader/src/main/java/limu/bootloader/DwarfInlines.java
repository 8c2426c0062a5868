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
 * The chain of inlined calls at a code address, from an ELF's DWARF {@code .debug_info} (versions 2 to 5, 32- and
 * 64-bit DWARF): the function whose code it is ({@code DW_TAG_subprogram}) and the {@code DW_TAG_inlined_subroutine}
 * entries nested in it whose address ranges cover the address.
 * <p>
 * {@link #at} gives the frames innermost first, as {@code addr2line -f -i} prints them: each frame names a function
 * (its {@code DW_AT_linkage_name}, else {@code DW_AT_name}, followed through {@code DW_AT_abstract_origin} and
 * {@code DW_AT_specification}, demangled) and a source line: the innermost frame's is the line table's line at the
 * address; each outer frame's is where it calls the frame inside it ({@code DW_AT_call_file},
 * {@code DW_AT_call_line} of the inner inlined subroutine), with the file named by the unit's line-program header.
 * <p>
 * Address ranges come from {@code DW_AT_low_pc}/{@code DW_AT_high_pc} (address or length form) or
 * {@code DW_AT_ranges} into {@code .debug_ranges} (before version 5) or {@code .debug_rnglists} (version 5, also
 * through {@code DW_FORM_rnglistx}); strings from {@code .debug_str}, {@code .debug_line_str} and, for the
 * {@code DW_FORM_strx} forms, {@code .debug_str_offsets}; {@code DW_FORM_addrx} addresses from {@code .debug_addr}.
 * <p>
 * The entry tree is read once, on the first {@link #at}; names are read only for the frames asked for. Lenient: a
 * damaged unit is skipped (the others are kept), and nothing here throws for any input.
 */
public final class DwarfInlines {
    /** One frame of a chain: a function and the source line in it; {@code line} is empty when unknown. */
    public record Frame(String function, Optional<DwarfLines.SourceLine> line) {
        @Override
        public String toString() {
            return function + line.map(l -> " (" + l + ")").orElse("");
        }
    }

    /** The DWARF sections this reader uses (any may be null when the file has none). */
    record Sections(byte[] info, byte[] abbrev, byte[] str, byte[] lineStr, byte[] strOffsets, byte[] addr,
                    byte[] ranges, byte[] rnglists, byte[] line) {
    }

    private static final int MAX_DEPTH = 256;

    private final Sections sections;
    private final DwarfLines lines;
    /** How far the running kernel is moved from its link addresses (the tree speaks of link addresses). */
    private final long slide;
    private Index index;

    private DwarfInlines(Sections sections, DwarfLines lines, long slide) {
        this.sections = sections;
        this.lines = lines;
        this.slide = slide;
    }

    /** The inline chains of {@code elf}, read on first use; innermost lines come from {@code elf.lines()}. */
    static DwarfInlines of(ElfFile elf) {
        try {
            byte[] b = elf.bytes();
            Sections s = new Sections(DwarfLines.sectionData(elf, b, ".debug_info"),
                    DwarfLines.sectionData(elf, b, ".debug_abbrev"), DwarfLines.sectionData(elf, b, ".debug_str"),
                    DwarfLines.sectionData(elf, b, ".debug_line_str"),
                    DwarfLines.sectionData(elf, b, ".debug_str_offsets"),
                    DwarfLines.sectionData(elf, b, ".debug_addr"), DwarfLines.sectionData(elf, b, ".debug_ranges"),
                    DwarfLines.sectionData(elf, b, ".debug_rnglists"), DwarfLines.sectionData(elf, b, ".debug_line"));
            return new DwarfInlines(s, elf.lines().slid(-elf.slide()), elf.slide());
        } catch (RuntimeException | OutOfMemoryError e) {
            return new DwarfInlines(new Sections(null, null, null, null, null, null, null, null, null),
                    DwarfLines.parse(null, null, null), 0);
        }
    }

    /** Over raw section contents; {@code lines} gives the innermost frame's line. */
    static DwarfInlines of(Sections sections, DwarfLines lines) {
        return new DwarfInlines(sections, lines, 0);
    }

    /**
     * The frames at {@code address}, innermost first (the last is the function the code belongs to); empty when no
     * {@code DW_TAG_subprogram} covers it. Never throws.
     */
    public List<Frame> at(long address) {
        try {
            return framesAt(address - slide);
        } catch (RuntimeException | OutOfMemoryError e) {
            return List.of();   // the reader bounds every read itself; this is a last line of defence
        }
    }

    /** {@link #at} without its last line of defence, so that tests see any exception the reader lets out. */
    synchronized List<Frame> framesAt(long address) {
        if (index == null) {
            index = new Reader(sections).readTree();
        }
        return index.frames(address, lines);
    }

    /** A unit's header fields that reading its entries needs. */
    private record Unit(int start, int end, int dieStart, int version, int offsetSize, int addressSize,
                        long abbrevOffset, long baseAddress, long strOffsetsBase, long addrBase, long rnglistsBase,
                        long stmtList) {
    }

    /** One abbreviation: tag, children flag and (attribute, form, implicit constant) triples. */
    private record Abbrev(int tag, boolean children, int[] attributes, int[] forms, long[] constants) {
    }

    /** The subprogram and inlined-subroutine entries with code, as a forest; roots indexed by address. */
    private static final class Index {
        final Reader reader;
        final List<Unit> units;
        // per entry
        final int[] dieOffset;
        final int[] unit;
        final int[] parent;
        final int[] firstChild;
        final int[] nextSibling;
        final long[][] ranges;
        final long[] callFile;
        final long[] callLine;
        final long[] callColumn;
        // root ranges sorted by start (biased so signed order is unsigned order), with the running maximum end
        final long[] rootStart;
        final long[] rootEnd;
        final long[] rootMaxEnd;
        final int[] rootEntry;
        final Map<Integer, String> names = new HashMap<>();
        final Map<Integer, List<String>> fileTables = new HashMap<>();

        Index(Reader reader, List<Unit> units, Entries e) {
            this.reader = reader;
            this.units = units;
            int n = e.n;
            dieOffset = Arrays.copyOf(e.dieOffset, n);
            unit = Arrays.copyOf(e.unit, n);
            parent = Arrays.copyOf(e.parent, n);
            ranges = Arrays.copyOf(e.ranges, n);
            callFile = Arrays.copyOf(e.callFile, n);
            callLine = Arrays.copyOf(e.callLine, n);
            callColumn = Arrays.copyOf(e.callColumn, n);
            firstChild = new int[n];
            nextSibling = new int[n];
            Arrays.fill(firstChild, -1);
            Arrays.fill(nextSibling, -1);
            int rootRanges = 0;
            for (int i = n - 1; i >= 0; i--) {   // backwards, so children stay in entry order
                if (parent[i] >= 0) {
                    nextSibling[i] = firstChild[parent[i]];
                    firstChild[parent[i]] = i;
                } else {
                    rootRanges += ranges[i].length / 2;
                }
            }
            long[][] rows = new long[rootRanges][];
            int r = 0;
            for (int i = 0; i < n; i++) {
                if (parent[i] < 0) {
                    for (int k = 0; k < ranges[i].length; k += 2) {
                        rows[r++] = new long[]{ranges[i][k] ^ Long.MIN_VALUE, ranges[i][k + 1] ^ Long.MIN_VALUE, i};
                    }
                }
            }
            Arrays.sort(rows, (x, y) -> Long.compare(x[0], y[0]));
            rootStart = new long[r];
            rootEnd = new long[r];
            rootMaxEnd = new long[r];
            rootEntry = new int[r];
            long max = Long.MIN_VALUE;
            for (int i = 0; i < r; i++) {
                rootStart[i] = rows[i][0];
                rootEnd[i] = rows[i][1];
                max = Math.max(max, rows[i][1]);
                rootMaxEnd[i] = max;
                rootEntry[i] = (int) rows[i][2];
            }
        }

        List<Frame> frames(long address, DwarfLines lines) {
            long key = address ^ Long.MIN_VALUE;
            int i = Arrays.binarySearch(rootStart, key);
            if (i >= 0) {
                while (i + 1 < rootStart.length && rootStart[i + 1] == key) {
                    i++;
                }
            } else {
                i = -i - 2;
            }
            // the smallest covering range, as addr2line picks among overlapping functions
            int best = -1;
            long bestLength = 0;
            for (; i >= 0 && rootMaxEnd[i] > key; i--) {
                if (rootEnd[i] > key) {
                    long length = rootEnd[i] - rootStart[i];
                    if (best < 0 || Long.compareUnsigned(length, bestLength) < 0
                            || (length == bestLength && rootEntry[i] > best)) {
                        best = rootEntry[i];
                        bestLength = length;
                    }
                }
            }
            if (best < 0) {
                return List.of();
            }
            List<Integer> chain = new ArrayList<>();
            for (int e = best; e >= 0 && chain.size() < MAX_DEPTH; e = innermostChild(e, address)) {
                chain.add(e);
            }
            List<Frame> out = new ArrayList<>(chain.size());
            for (int k = chain.size() - 1; k >= 0; k--) {
                int e = chain.get(k);
                Optional<DwarfLines.SourceLine> line;
                if (k == chain.size() - 1) {
                    line = lines.at(address);
                } else {
                    int inner = chain.get(k + 1);
                    line = callSite(inner);
                }
                out.add(new Frame(name(e), line));
            }
            return out;
        }

        /** The child of {@code e} covering {@code address} (the smallest range, the later entry on a tie), or -1. */
        private int innermostChild(int e, long address) {
            int best = -1;
            long bestLength = 0;
            for (int c = firstChild[e]; c >= 0; c = nextSibling[c]) {
                long[] r = ranges[c];
                for (int k = 0; k < r.length; k += 2) {
                    if (Long.compareUnsigned(address, r[k]) >= 0 && Long.compareUnsigned(address, r[k + 1]) < 0) {
                        long length = r[k + 1] - r[k];
                        if (best < 0 || Long.compareUnsigned(length, bestLength) <= 0) {
                            best = c;
                            bestLength = length;
                        }
                    }
                }
            }
            return best;
        }

        private Optional<DwarfLines.SourceLine> callSite(int inlined) {
            long line = callLine[inlined];
            if (line <= 0 || line > Integer.MAX_VALUE) {
                return Optional.empty();
            }
            List<String> files = fileTables.computeIfAbsent(unit[inlined], u -> reader.fileTable(units.get(u)));
            long f = callFile[inlined];
            String file = f >= 0 && f < files.size() ? files.get((int) f) : null;
            long column = callColumn[inlined];
            return Optional.of(new DwarfLines.SourceLine(file == null ? "??" : file, (int) line,
                    column < 0 || column > Integer.MAX_VALUE ? 0 : (int) column));
        }

        private String name(int e) {
            return names.computeIfAbsent(e, k -> {
                String raw = reader.functionName(units, dieOffset[k]);
                return raw == null ? "??" : RustDemangler.demangle(raw);
            });
        }
    }

    /** Entries collected while reading, in .debug_info order. */
    private static final class Entries {
        int n;
        int[] dieOffset = new int[1024];
        int[] unit = new int[1024];
        int[] parent = new int[1024];
        long[][] ranges = new long[1024][];
        long[] callFile = new long[1024];
        long[] callLine = new long[1024];
        long[] callColumn = new long[1024];

        void add(int offset, int unitIndex, int parentEntry, long[] r, long file, long line, long column) {
            if (n == dieOffset.length) {
                int size = n * 2;
                dieOffset = Arrays.copyOf(dieOffset, size);
                unit = Arrays.copyOf(unit, size);
                parent = Arrays.copyOf(parent, size);
                ranges = Arrays.copyOf(ranges, size);
                callFile = Arrays.copyOf(callFile, size);
                callLine = Arrays.copyOf(callLine, size);
                callColumn = Arrays.copyOf(callColumn, size);
            }
            dieOffset[n] = offset;
            unit[n] = unitIndex;
            parent[n] = parentEntry;
            ranges[n] = r;
            callFile[n] = file;
            callLine[n] = line;
            callColumn[n] = column;
            n++;
        }
    }

    // DWARF 5 section 7.5: tags, attributes and forms
    private static final int TAG_COMPILE_UNIT = 0x11;
    private static final int TAG_PARTIAL_UNIT = 0x3c;
    private static final int TAG_SKELETON_UNIT = 0x4a;
    private static final int TAG_SUBPROGRAM = 0x2e;
    private static final int TAG_INLINED_SUBROUTINE = 0x1d;
    private static final int AT_NAME = 0x03;
    private static final int AT_STMT_LIST = 0x10;
    private static final int AT_LOW_PC = 0x11;
    private static final int AT_HIGH_PC = 0x12;
    private static final int AT_ABSTRACT_ORIGIN = 0x31;
    private static final int AT_SPECIFICATION = 0x47;
    private static final int AT_RANGES = 0x55;
    private static final int AT_CALL_COLUMN = 0x57;
    private static final int AT_CALL_FILE = 0x58;
    private static final int AT_CALL_LINE = 0x59;
    private static final int AT_LINKAGE_NAME = 0x6e;
    private static final int AT_STR_OFFSETS_BASE = 0x72;
    private static final int AT_ADDR_BASE = 0x73;
    private static final int AT_RNGLISTS_BASE = 0x74;
    private static final int AT_MIPS_LINKAGE_NAME = 0x2007;
    private static final int FORM_ADDR = 0x01;
    private static final int FORM_STRING = 0x08;
    private static final int FORM_STRP = 0x0e;
    private static final int FORM_REF_ADDR = 0x10;
    private static final int FORM_REF1 = 0x11;
    private static final int FORM_REF2 = 0x12;
    private static final int FORM_REF4 = 0x13;
    private static final int FORM_REF8 = 0x14;
    private static final int FORM_REF_UDATA = 0x15;
    private static final int FORM_INDIRECT = 0x16;
    private static final int FORM_SEC_OFFSET = 0x17;
    private static final int FORM_STRX = 0x1a;
    private static final int FORM_ADDRX = 0x1b;
    private static final int FORM_LINE_STRP = 0x1f;
    private static final int FORM_IMPLICIT_CONST = 0x21;
    private static final int FORM_RNGLISTX = 0x23;
    private static final int FORM_STRX1 = 0x25;
    private static final int FORM_STRX4 = 0x28;
    private static final int FORM_ADDRX1 = 0x29;
    private static final int FORM_ADDRX4 = 0x2c;
    private static final int FORM_GNU_ADDR_INDEX = 0x1f01;
    private static final int FORM_GNU_STR_INDEX = 0x1f02;

    /** Value kinds an attribute read leaves in {@link Reader#kind}. */
    private static final int V_NONE = 0;
    private static final int V_CONSTANT = 1;
    private static final int V_ADDRESS = 2;
    private static final int V_ADDRESS_INDEX = 3;
    private static final int V_STRING = 4;        // value: offset in .debug_str
    private static final int V_LINE_STRING = 5;   // value: offset in .debug_line_str
    private static final int V_STRING_INDEX = 6;  // value: index into .debug_str_offsets
    private static final int V_INLINE_STRING = 7; // value: offset in .debug_info
    private static final int V_UNIT_REF = 8;      // value: offset from the unit's start
    private static final int V_INFO_REF = 9;      // value: offset in .debug_info
    private static final int V_SECTION_OFFSET = 10;
    private static final int V_RANGE_INDEX = 11;

    /** Reads .debug_info: every unit once for the tree, then single entries for names. */
    private static final class Reader extends DwarfCursor {
        private final Sections s;
        private final Map<Long, Map<Integer, Abbrev>> abbrevTables = new HashMap<>();
        // the last attribute value read
        private int kind;
        private long value;

        Reader(Sections sections) {
            super(sections.info(), 0, 0);
            this.s = sections;
        }

        Index readTree() {
            List<Unit> units = new ArrayList<>();
            Entries entries = new Entries();
            int start = 0;
            while (start + 4 <= b.length) {
                int next;
                int before = entries.n;
                try {
                    next = unitEnd(start);
                } catch (DwarfCursor.Malformed | ArithmeticException e) {
                    break;   // no length to skip by
                }
                try {
                    Unit u = header(start);
                    if (u != null) {
                        units.add(u);
                        try {
                            readEntries(u, units.size() - 1, entries);
                        } catch (DwarfCursor.Malformed | ArithmeticException e) {
                            entries.n = before;   // a unit's entries only when all of it could be read
                        }
                    }
                } catch (DwarfCursor.Malformed | ArithmeticException e) {
                    entries.n = before;
                }
                if (next <= start) {
                    break;
                }
                start = next;
            }
            return new Index(this, units, entries);
        }

        private int unitEnd(int start) {
            pos = start;
            limit = b.length;
            long length = u32();
            if (length == 0xFFFF_FFFFL) {
                length = u64();
            } else if (length >= 0xFFFF_FFF0L) {
                throw new DwarfCursor.Malformed();
            }
            if (Long.compareUnsigned(length, b.length - pos) > 0) {
                throw new DwarfCursor.Malformed();
            }
            return (int) (pos + length);
        }

        /** The unit at {@code start} with its unit DIE's bases read, or null for a kind of unit not read here. */
        private Unit header(int start) {
            int end = unitEnd(start);
            int offsetSize = LittleEndian.u32(b, start) == 0xFFFF_FFFFL ? 8 : 4;
            limit = end;
            int version = u16();
            if (version < 2 || version > 5) {
                return null;
            }
            long abbrevOffset;
            int addressSize;
            if (version >= 5) {
                int unitType = u8();
                addressSize = u8();
                abbrevOffset = offset(offsetSize);
                switch (unitType) {
                    case 1, 3 -> {
                        // DW_UT_compile, DW_UT_partial
                    }
                    case 4, 5 -> skip(8);                   // DW_UT_skeleton, DW_UT_split_compile: dwo_id
                    default -> {
                        return null;                        // type units hold no code
                    }
                }
            } else {
                abbrevOffset = offset(offsetSize);
                addressSize = u8();
            }
            if (addressSize != 8 && addressSize != 4) {
                throw new DwarfCursor.Malformed();
            }
            Unit u = new Unit(start, end, pos, version, offsetSize, addressSize, abbrevOffset, 0, -1, -1, -1, -1);
            Map<Integer, Abbrev> table = abbrevs(abbrevOffset);
            long code = uleb();
            Abbrev a = table.get((int) code);
            if (code == 0 || a == null) {
                throw new DwarfCursor.Malformed();
            }
            if (a.tag() != TAG_COMPILE_UNIT && a.tag() != TAG_PARTIAL_UNIT && a.tag() != TAG_SKELETON_UNIT) {
                return u;
            }
            long lowPc = 0;
            int lowKind = V_NONE;
            long strBase = -1;
            long addrBase = -1;
            long rngBase = -1;
            long stmt = -1;
            for (int i = 0; i < a.attributes().length; i++) {
                read(a.forms()[i], a.constants()[i], u);
                switch (a.attributes()[i]) {
                    case AT_LOW_PC -> {
                        lowPc = value;
                        lowKind = kind;
                    }
                    case AT_STR_OFFSETS_BASE -> strBase = value;
                    case AT_ADDR_BASE -> addrBase = value;
                    case AT_RNGLISTS_BASE -> rngBase = value;
                    case AT_STMT_LIST -> stmt = value;
                    default -> {
                    }
                }
            }
            // without the base attributes, a unit's entries follow the table's header (DWARF 5, 7.27, 7.26, 7.28)
            int header = offsetSize == 8 ? 16 : 8;
            u = new Unit(start, end, u.dieStart(), version, offsetSize, addressSize, abbrevOffset, 0,
                    strBase >= 0 ? strBase : header, addrBase >= 0 ? addrBase : header,
                    rngBase >= 0 ? rngBase : header + 4, stmt);
            long base = lowKind == V_ADDRESS ? lowPc : lowKind == V_ADDRESS_INDEX ? address(u, lowPc) : 0;
            return new Unit(start, end, u.dieStart(), version, offsetSize, addressSize, abbrevOffset, base,
                    u.strOffsetsBase(), u.addrBase(), u.rnglistsBase(), stmt);
        }

        /** Walks the unit's entries, adding every subprogram and inlined subroutine that has code. */
        private void readEntries(Unit u, int unitIndex, Entries out) {
            Map<Integer, Abbrev> table = abbrevs(u.abbrevOffset());
            pos = u.dieStart();
            limit = u.end();
            // per nesting level: the entry index of the nearest enclosing kept entry (-1 for none)
            int[] enclosing = new int[64];
            int depth = 0;
            enclosing[0] = -1;
            while (pos < limit) {
                int offset = pos;
                long code = uleb();
                if (code == 0) {
                    if (--depth < 0) {
                        depth = 0;   // padding after the unit DIE's children
                    }
                    continue;
                }
                Abbrev a = table.get((int) code);
                if (a == null || code > Integer.MAX_VALUE) {
                    throw new DwarfCursor.Malformed();
                }
                int tag = a.tag();
                boolean wanted = tag == TAG_SUBPROGRAM || tag == TAG_INLINED_SUBROUTINE;
                long low = 0;
                int lowKind = V_NONE;
                long high = 0;
                int highKind = V_NONE;
                long rangesValue = 0;
                int rangesKind = V_NONE;
                long file = 0;
                long line = 0;
                long column = 0;
                for (int i = 0; i < a.attributes().length; i++) {
                    read(a.forms()[i], a.constants()[i], u);
                    if (!wanted) {
                        continue;
                    }
                    switch (a.attributes()[i]) {
                        case AT_LOW_PC -> {
                            low = value;
                            lowKind = kind;
                        }
                        case AT_HIGH_PC -> {
                            high = value;
                            highKind = kind;
                        }
                        case AT_RANGES -> {
                            rangesValue = value;
                            rangesKind = kind;
                        }
                        case AT_CALL_FILE -> file = kind == V_CONSTANT ? value : 0;
                        case AT_CALL_LINE -> line = kind == V_CONSTANT ? value : 0;
                        case AT_CALL_COLUMN -> column = kind == V_CONSTANT ? value : 0;
                        default -> {
                        }
                    }
                }
                int keptAs = -1;
                if (wanted) {
                    int end = pos;
                    long[] r = ranges(u, low, lowKind, high, highKind, rangesValue, rangesKind);
                    pos = end;
                    limit = u.end();
                    if (r.length > 0) {
                        int parentEntry = tag == TAG_SUBPROGRAM ? -1 : enclosing[depth];
                        keptAs = out.n;
                        out.add(offset, unitIndex, parentEntry, r, file, line, column);
                    }
                }
                if (a.children()) {
                    if (++depth >= MAX_DEPTH) {
                        throw new DwarfCursor.Malformed();
                    }
                    if (depth == enclosing.length) {
                        enclosing = Arrays.copyOf(enclosing, depth * 2);
                    }
                    enclosing[depth] = keptAs >= 0 ? keptAs : enclosing[depth - 1];
                }
            }
        }

        /** The entry's address ranges as (start, end) pairs, empty ranges left out. */
        private long[] ranges(Unit u, long low, int lowKind, long high, int highKind, long rv, int rk) {
            if (rk == V_SECTION_OFFSET || rk == V_RANGE_INDEX || rk == V_CONSTANT) {
                return u.version() >= 5 ? rangeList5(u, rv, rk == V_RANGE_INDEX) : rangeList4(u, rv);
            }
            if (lowKind != V_ADDRESS && lowKind != V_ADDRESS_INDEX) {
                return new long[0];
            }
            long start = lowKind == V_ADDRESS ? low : address(u, low);
            long end;
            if (highKind == V_ADDRESS) {
                end = high;
            } else if (highKind == V_ADDRESS_INDEX) {
                end = address(u, high);
            } else if (highKind == V_CONSTANT) {
                end = start + high;   // DWARF 4 and later: a length
            } else {
                return new long[0];
            }
            return start != 0 && Long.compareUnsigned(end, start) > 0 ? new long[]{start, end} : new long[0];
        }

        /** A {@code .debug_ranges} list (DWARF 2-4, 2.17.3): pairs relative to the unit's base address. */
        private long[] rangeList4(Unit u, long offset) {
            byte[] r = s.ranges();
            if (r == null || offset < 0 || offset >= r.length) {
                return new long[0];
            }
            int size = u.addressSize();
            long baseSelect = size == 8 ? -1L : 0xFFFF_FFFFL;
            long base = u.baseAddress();
            List<Long> out = new ArrayList<>();
            for (long p = offset; p + 2L * size <= r.length; p += 2L * size) {
                long start = size == 8 ? LittleEndian.u64(r, (int) p) : LittleEndian.u32(r, (int) p);
                long end = size == 8 ? LittleEndian.u64(r, (int) p + size) : LittleEndian.u32(r, (int) p + size);
                if (start == 0 && end == 0) {
                    break;
                }
                if (start == baseSelect) {
                    base = end;
                    continue;
                }
                addRange(out, base + start, base + end);
            }
            return toArray(out);
        }

        /** A {@code .debug_rnglists} list (DWARF 5, 2.17.3 and 7.25). */
        private long[] rangeList5(Unit u, long value, boolean isIndex) {
            byte[] r = s.rnglists();
            if (r == null) {
                return new long[0];
            }
            long offset = value;
            if (isIndex) {
                long at = u.rnglistsBase() + value * u.offsetSize();
                if (value < 0 || at < 0 || at + u.offsetSize() > r.length) {
                    return new long[0];
                }
                long rel = u.offsetSize() == 8 ? LittleEndian.u64(r, (int) at) : LittleEndian.u32(r, (int) at);
                offset = u.rnglistsBase() + rel;
            }
            if (offset < 0 || offset >= r.length) {
                return new long[0];
            }
            List<Long> out = new ArrayList<>();
            DwarfCursor c = new DwarfCursor(r, (int) offset, r.length);
            int addressSize = u.addressSize();
            long base = u.baseAddress();
            for (int guard = 0; guard < 1 << 20; guard++) {
                int op = c.u8();
                switch (op) {
                    case 0 -> {             // DW_RLE_end_of_list
                        return toArray(out);
                    }
                    case 1 -> base = address(u, c.uleb());                        // base_addressx
                    case 2 -> {                                                   // startx_endx
                        long a = address(u, c.uleb());
                        addRange(out, a, address(u, c.uleb()));
                    }
                    case 3 -> {                                                   // startx_length
                        long a = address(u, c.uleb());
                        addRange(out, a, a + c.uleb());
                    }
                    case 4 -> {                                                   // offset_pair
                        long a = c.uleb();
                        addRange(out, base + a, base + c.uleb());
                    }
                    case 5 -> base = c.fixed(addressSize);                                    // base_address
                    case 6 -> {                                                   // start_end
                        long a = c.fixed(addressSize);
                        addRange(out, a, c.fixed(addressSize));
                    }
                    case 7 -> {                                                   // start_length
                        long a = c.fixed(addressSize);
                        addRange(out, a, a + c.uleb());
                    }
                    default -> throw new DwarfCursor.Malformed();
                }
            }
            return toArray(out);
        }

        /** Adds a non-empty range; one starting at 0 is code the linker discarded (its relocation resolved to 0). */
        private static void addRange(List<Long> out, long start, long end) {
            if (start != 0 && Long.compareUnsigned(end, start) > 0 && out.size() < 1 << 16) {
                out.add(start);
                out.add(end);
            }
        }

        private static long[] toArray(List<Long> list) {
            long[] a = new long[list.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = list.get(i);
            }
            return a;
        }

        /** Entry {@code index} of the unit's {@code .debug_addr} table. */
        private long address(Unit u, long index) {
            byte[] a = s.addr();
            long at = u.addrBase() + index * u.addressSize();
            if (a == null || index < 0 || at < 0 || at + u.addressSize() > a.length) {
                throw new DwarfCursor.Malformed();
            }
            return u.addressSize() == 8 ? LittleEndian.u64(a, (int) at) : LittleEndian.u32(a, (int) at);
        }

        /** The file table of the unit's line program. */
        List<String> fileTable(Unit u) {
            return u.stmtList() < 0 ? List.of() : DwarfLines.fileTable(s.line(), u.stmtList(), s.lineStr(), s.str());
        }

        /**
         * The linkage name (else the name) of the entry at {@code dieOffset}, following its abstract origin and
         * specification; null when there is none.
         */
        String functionName(List<Unit> units, int dieOffset) {
            try {
                String fallback = null;
                int at = dieOffset;
                for (int hops = 0; hops < 16 && at >= 0; hops++) {
                    Unit u = unitAt(units, at);
                    if (u == null) {
                        break;
                    }
                    pos = at;
                    limit = u.end();
                    Abbrev a = abbrevs(u.abbrevOffset()).get((int) uleb());
                    if (a == null) {
                        break;
                    }
                    String name = null;
                    String linkage = null;
                    int next = -1;
                    for (int i = 0; i < a.attributes().length; i++) {
                        read(a.forms()[i], a.constants()[i], u);
                        int attribute = a.attributes()[i];
                        if (attribute == AT_NAME) {
                            name = string(u);
                        } else if (attribute == AT_LINKAGE_NAME || attribute == AT_MIPS_LINKAGE_NAME) {
                            linkage = string(u);
                        } else if ((attribute == AT_ABSTRACT_ORIGIN || attribute == AT_SPECIFICATION) && next < 0) {
                            long target = kind == V_UNIT_REF ? u.start() + value : kind == V_INFO_REF ? value : -1;
                            next = target >= 0 && target < b.length ? (int) target : -1;
                        }
                    }
                    if (linkage != null) {
                        return linkage;
                    }
                    if (fallback == null) {
                        fallback = name;
                    }
                    at = next;
                }
                return fallback;
            } catch (DwarfCursor.Malformed | ArithmeticException e) {
                return null;
            }
        }

        private static Unit unitAt(List<Unit> units, int offset) {
            int lo = 0;
            int hi = units.size() - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                Unit u = units.get(mid);
                if (offset < u.dieStart()) {
                    hi = mid - 1;
                } else if (offset >= u.end()) {
                    lo = mid + 1;
                } else {
                    return u;
                }
            }
            return null;
        }

        /** The string the last attribute read names, or null if it was no string. */
        private String string(Unit u) {
            return switch (kind) {
                case V_STRING -> stringAt(s.str(), value);
                case V_LINE_STRING -> stringAt(s.lineStr(), value);
                case V_INLINE_STRING -> stringAt(b, value);
                case V_STRING_INDEX -> {
                    byte[] offsets = s.strOffsets();
                    long at = u.strOffsetsBase() + value * u.offsetSize();
                    if (offsets == null || value < 0 || at < 0 || at + u.offsetSize() > offsets.length) {
                        yield null;
                    }
                    yield stringAt(s.str(), u.offsetSize() == 8 ? LittleEndian.u64(offsets, (int) at)
                            : LittleEndian.u32(offsets, (int) at));
                }
                default -> null;
            };
        }

        private static String stringAt(byte[] table, long offset) {
            if (table == null || offset < 0 || offset >= table.length) {
                return null;
            }
            int start = (int) offset;
            int end = start;
            while (end < table.length && table[end] != 0) {
                end++;
            }
            return new String(table, start, end - start, StandardCharsets.UTF_8);
        }

        private Map<Integer, Abbrev> abbrevs(long offset) {
            Map<Integer, Abbrev> t = abbrevTables.get(offset);
            if (t == null) {
                t = readAbbrevs(offset);
                abbrevTables.put(offset, t);
            }
            return t;
        }

        /** The abbreviation table at {@code offset} of {@code .debug_abbrev} (DWARF 5, 7.5.3). */
        private Map<Integer, Abbrev> readAbbrevs(long offset) {
            byte[] ab = s.abbrev();
            if (ab == null || offset < 0 || offset >= ab.length) {
                throw new DwarfCursor.Malformed();
            }
            DwarfCursor c = new DwarfCursor(ab, (int) offset, ab.length);
            Map<Integer, Abbrev> table = new HashMap<>();
            while (true) {
                long code = c.uleb();
                if (code == 0) {
                    return table;
                }
                long tag = c.uleb();
                boolean children = c.u8() != 0;
                List<long[]> specs = new ArrayList<>();
                while (true) {
                    long attribute = c.uleb();
                    long form = c.uleb();
                    if (attribute == 0 && form == 0) {
                        break;
                    }
                    long constant = form == FORM_IMPLICIT_CONST ? c.sleb() : 0;
                    specs.add(new long[]{attribute, form, constant});
                    if (specs.size() > 4096) {
                        throw new DwarfCursor.Malformed();
                    }
                }
                int[] attributes = new int[specs.size()];
                int[] forms = new int[specs.size()];
                long[] constants = new long[specs.size()];
                for (int i = 0; i < attributes.length; i++) {
                    attributes[i] = (int) specs.get(i)[0];
                    forms[i] = (int) specs.get(i)[1];
                    constants[i] = specs.get(i)[2];
                }
                if (code <= Integer.MAX_VALUE) {
                    table.putIfAbsent((int) code, new Abbrev((int) tag, children, attributes, forms, constants));
                }
            }
        }

        /** Reads one attribute value of {@code form} into {@link #kind} and {@link #value} (DWARF 5, 7.5.5). */
        private void read(int form, long implicitConstant, Unit u) {
            kind = V_CONSTANT;
            switch (form) {
                case FORM_ADDR -> {
                    kind = V_ADDRESS;
                    value = u.addressSize() == 8 ? u64() : u32();
                }
                case 0x0b, 0x0c, 0x11 -> value = u8();                 // data1, flag, ref1
                case 0x05, 0x12 -> value = u16();                      // data2, ref2
                case 0x06, 0x13 -> value = u32();                      // data4, ref4
                case 0x07, 0x14 -> value = u64();                      // data8, ref8
                case 0x0d -> value = sleb();                           // sdata
                case 0x0f, 0x15 -> value = uleb();                     // udata, ref_udata
                case 0x19 -> value = 1;                                // flag_present
                case FORM_IMPLICIT_CONST -> value = implicitConstant;
                case FORM_STRING -> {
                    kind = V_INLINE_STRING;
                    value = pos;
                    while (u8() != 0) {
                        // to the terminating NUL
                    }
                }
                case FORM_STRP -> {
                    kind = V_STRING;
                    value = offset(u.offsetSize());
                }
                case FORM_LINE_STRP -> {
                    kind = V_LINE_STRING;
                    value = offset(u.offsetSize());
                }
                case FORM_STRX, FORM_GNU_STR_INDEX -> {
                    kind = V_STRING_INDEX;
                    value = uleb();
                }
                case FORM_STRX1, 0x26, 0x27, FORM_STRX4 -> {
                    kind = V_STRING_INDEX;
                    value = fixed(form - FORM_STRX1 + 1);
                }
                case FORM_ADDRX, FORM_GNU_ADDR_INDEX -> {
                    kind = V_ADDRESS_INDEX;
                    value = uleb();
                }
                case FORM_ADDRX1, 0x2a, 0x2b, FORM_ADDRX4 -> {
                    kind = V_ADDRESS_INDEX;
                    value = fixed(form - FORM_ADDRX1 + 1);
                }
                case FORM_REF_ADDR -> {
                    kind = V_INFO_REF;
                    value = u.version() <= 2 ? (u.addressSize() == 8 ? u64() : u32()) : offset(u.offsetSize());
                }
                case FORM_SEC_OFFSET -> {
                    kind = V_SECTION_OFFSET;
                    value = offset(u.offsetSize());
                }
                case 0x22 -> value = uleb();                                       // loclistx
                case FORM_RNGLISTX -> {
                    kind = V_RANGE_INDEX;
                    value = uleb();
                }
                case 0x1d, 0x1f20, 0x1f21 -> {                                     // strp_sup, GNU alt forms
                    kind = V_NONE;
                    value = offset(u.offsetSize());
                }
                case 0x1c -> {                                                     // ref_sup4
                    kind = V_NONE;
                    value = u32();
                }
                case 0x20, 0x24 -> {                                               // ref_sig8, ref_sup8
                    kind = V_NONE;
                    value = u64();
                }
                case 0x1e -> {                                                     // data16
                    kind = V_NONE;
                    skip(16);
                }
                case 0x09, 0x18 -> {                                               // block, exprloc
                    kind = V_NONE;
                    skipLong(uleb());
                }
                case 0x0a -> {                                                     // block1
                    kind = V_NONE;
                    skip(u8());
                }
                case 0x03 -> {                                                     // block2
                    kind = V_NONE;
                    skip(u16());
                }
                case 0x04 -> {                                                     // block4
                    kind = V_NONE;
                    skipLong(u32());
                }
                case FORM_INDIRECT -> {
                    long f = uleb();
                    if (f == FORM_INDIRECT || f == FORM_IMPLICIT_CONST || f > 0xffff) {
                        throw new DwarfCursor.Malformed();
                    }
                    read((int) f, 0, u);
                }
                default -> throw new DwarfCursor.Malformed();
            }
            if (form == FORM_REF1 || form == FORM_REF2 || form == FORM_REF4 || form == FORM_REF8
                    || form == FORM_REF_UDATA) {
                kind = V_UNIT_REF;
            }
        }
    }
}
