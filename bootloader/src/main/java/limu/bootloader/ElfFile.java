// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed ELF64 little-endian x86-64 file: header, program headers, section
 * headers and the static symbol table.
 * <p>
 * Parsing is strict about what loading needs (identification, machine, program
 * header table, the file data of PT_LOAD segments) and lenient about sections
 * and symbols, which a loader does not need: a damaged section table or symbol
 * table is dropped and noted in {@link #warnings()}, as Limine would boot such a
 * file. Every offset and size is checked with overflow-safe unsigned arithmetic,
 * so a hostile file can only ever produce a {@link BootException}.
 * <p>
 * The byte array passed to {@link #parse} is kept, not copied; do not modify it.
 */
public final class ElfFile {
    public static final int ET_REL = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int ET_CORE = 4;
    public static final int EM_X86_64 = 62;
    public static final int PT_LOAD = 1;
    public static final int PF_X = 1;
    public static final int PF_W = 2;
    public static final int PF_R = 4;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_RELA = 4;
    public static final int PT_DYNAMIC = 2;
    public static final long SHF_ALLOC = 2;
    public static final int SHN_UNDEF = 0;
    public static final int SHN_ABS = 0xFFF1;
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;

    private static final int EHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;
    private static final int PN_XNUM = 0xFFFF;
    private static final int SHN_XINDEX = 0xFFFF;

    private static final Map<Integer, String> MACHINES = Map.ofEntries(
            Map.entry(0, "no machine"), Map.entry(2, "SPARC"), Map.entry(3, "Intel 80386"), Map.entry(8, "MIPS"),
            Map.entry(20, "PowerPC"), Map.entry(21, "PowerPC64"), Map.entry(22, "IBM S/390"), Map.entry(40, "ARM"),
            Map.entry(43, "SPARC v9"), Map.entry(50, "IA-64"), Map.entry(183, "ARM aarch64"),
            Map.entry(243, "RISC-V"), Map.entry(258, "LoongArch"));

    /** One program header; {@code index} is its position in the program header table. */
    public record Segment(int index, int type, int flags, long offset, long vaddr, long paddr, long fileSize,
                          long memSize, long align) {
        public boolean isLoad() {
            return type == PT_LOAD;
        }

        public boolean executable() {
            return (flags & PF_X) != 0;
        }

        public boolean writable() {
            return (flags & PF_W) != 0;
        }

        /** One past the last virtual address (may wrap to 0 only for a segment ending at 2^64). */
        public long vend() {
            return vaddr + memSize;
        }

        /** {@code R}, {@code W}, {@code X} or {@code -} for each permission, e.g. {@code R-X}. */
        public String flagString() {
            return ((flags & PF_R) != 0 ? "R" : "-") + (writable() ? "W" : "-") + (executable() ? "X" : "-");
        }
    }

    /** One section header with its resolved name. */
    public record Section(int index, String name, int type, long flags, long addr, long offset, long size, int link,
                          int info, long entrySize) {
    }

    /** One {@code .symtab} entry with its raw (mangled) name. */
    public record Symbol(String name, long value, long size, int type, int binding, int sectionIndex) {
        /** The name demangled if it is a Rust (legacy or v0) symbol, else the raw name. */
        public String demangledName() {
            return RustDemangler.demangle(name);
        }
    }

    private final String name;
    private final byte[] bytes;
    private final int type;
    private final long entry;
    private final List<Segment> segments;
    private final List<Section> sections;
    private final List<Symbol> symbols;
    private final List<String> warnings;
    private final long slide;
    private Symbolizer symbolizer;
    private DwarfLines lines;
    private DwarfInlines inlines;

    private ElfFile(String name, byte[] bytes, int type, long entry, List<Segment> segments, List<Section> sections,
                    List<Symbol> symbols, List<String> warnings) {
        this(name, bytes, type, entry, segments, sections, symbols, warnings, 0);
    }

    private ElfFile(String name, byte[] bytes, int type, long entry, List<Segment> segments, List<Section> sections,
                    List<Symbol> symbols, List<String> warnings, long slide) {
        this.slide = slide;
        this.name = name;
        this.bytes = bytes;
        this.type = type;
        this.entry = entry;
        this.segments = segments;
        this.sections = sections;
        this.symbols = symbols;
        this.warnings = warnings;
    }

    /**
     * Parses {@code bytes}; {@code name} prefixes every error message.
     *
     * @throws BootException if this is not an ELF64 little-endian x86-64 file whose program headers and PT_LOAD
     *                       data lie inside it
     */
    public static ElfFile parse(byte[] bytes, String name) throws BootException {
        return new Parser(bytes, name).parse();
    }

    public String name() {
        return name;
    }

    /** {@code e_type}: {@link #ET_EXEC}, {@link #ET_DYN}, ... */
    public int type() {
        return type;
    }

    public long entry() {
        return entry;
    }

    /** All program headers, in table order. */
    public List<Segment> segments() {
        return segments;
    }

    /** All section headers, in table order (empty if the file has none or its table is damaged). */
    public List<Section> sections() {
        return sections;
    }

    /** The first section called {@code sectionName}. */
    public Optional<Section> section(String sectionName) {
        return sections.stream().filter(s -> s.name().equals(sectionName)).findFirst();
    }

    /** The symbols of {@code .symtab}, in table order (index 0, the null symbol, left out). */
    public List<Symbol> symbols() {
        return symbols;
    }

    /** The first symbol whose raw or demangled name is {@code symbolName}. */
    public Optional<Symbol> symbol(String symbolName) {
        for (Symbol s : symbols) {
            if (s.name().equals(symbolName)) {
                return Optional.of(s);
            }
        }
        return symbols.stream().filter(s -> s.demangledName().equals(symbolName)).findFirst();
    }

    /** What the parser dropped as damaged (sections, symbols); empty for a well-formed file. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Names the code or data at {@code vaddr}: {@code kernel::main+0x4f} for an address inside the function or
     * object symbol {@code kernel::main} (the nearest preceding FUNC/OBJECT symbol whose size covers the address),
     * just the name at offset 0; empty if no such symbol covers it.
     */
    public synchronized Optional<String> symbolize(long vaddr) {
        if (symbolizer == null) {
            symbolizer = new Symbolizer(symbols);
        }
        return symbolizer.lookup(vaddr);
    }

    /**
     * Where the symbol {@link #symbolize} would name {@code vaddr} by starts (its value), or 0 when no symbol
     * covers it: the unwinders ask this for every frame, so it builds no name.
     */
    public synchronized long symbolStart(long vaddr) {
        if (symbolizer == null) {
            symbolizer = new Symbolizer(symbols);
        }
        int i = symbolizer.covering(vaddr);
        return i < 0 ? 0 : symbolizer.sorted[i].value();
    }

    /** The DWARF {@code .debug_line} table (empty if the file has none), parsed on first use. */
    public synchronized DwarfLines lines() {
        if (lines == null) {
            lines = DwarfLines.of(this).slid(slide);
        }
        return lines;
    }

    /**
     * How far this view is moved from the addresses the file was linked at: 0 for a file as parsed, else what the
     * loader added to every address when it relocated the kernel (see {@link #slid}).
     */
    public long slide() {
        return slide;
    }

    /**
     * This file as loaded {@code by} bytes above its link addresses, the way a relocatable kernel runs once slid:
     * the entry point, every segment, every allocated section and every symbol defined in a section (not absolute
     * or undefined ones) moved by {@code by}, so symbol lookups, line lookups and the image layout all speak of the
     * addresses the kernel really runs at. File offsets and bytes stay the same.
     */
    public ElfFile slid(long by) {
        if (by == 0) {
            return this;
        }
        List<Segment> movedSegments = new ArrayList<>(segments.size());
        for (Segment s : segments) {
            boolean placed = s.memSize() != 0 || s.vaddr() != 0;
            movedSegments.add(placed ? new Segment(s.index(), s.type(), s.flags(), s.offset(), s.vaddr() + by,
                    s.paddr() + by, s.fileSize(), s.memSize(), s.align()) : s);
        }
        List<Section> movedSections = new ArrayList<>(sections.size());
        for (Section s : sections) {
            movedSections.add((s.flags() & SHF_ALLOC) != 0 && s.addr() != 0
                    ? new Section(s.index(), s.name(), s.type(), s.flags(), s.addr() + by, s.offset(), s.size(),
                        s.link(), s.info(), s.entrySize())
                    : s);
        }
        List<Symbol> movedSymbols = new ArrayList<>(symbols.size());
        for (Symbol s : symbols) {
            boolean inSection = s.sectionIndex() != SHN_UNDEF && s.sectionIndex() != SHN_ABS;
            movedSymbols.add(inSection ? new Symbol(s.name(), s.value() + by, s.size(), s.type(), s.binding(),
                    s.sectionIndex()) : s);
        }
        return new ElfFile(name, bytes, type, entry + by, List.copyOf(movedSegments), List.copyOf(movedSections),
                List.copyOf(movedSymbols), warnings, slide + by);
    }

    /**
     * The DWARF {@code .debug_info} inline chains (empty answers if the file has none); the entry tree is read on
     * the first question.
     */
    public synchronized DwarfInlines inlines() {
        if (inlines == null) {
            inlines = DwarfInlines.of(this);
        }
        return inlines;
    }

    /** The raw file bytes (not a copy). */
    byte[] bytes() {
        return bytes;
    }

    private static final class Parser {
        private final byte[] b;
        private final String name;
        private final List<String> warnings = new ArrayList<>();

        Parser(byte[] bytes, String name) {
            this.b = bytes == null ? new byte[0] : bytes;
            this.name = name;
        }

        private BootException fail(String message) {
            return new BootException(name + ": " + message);
        }

        /** True if {@code [offset, offset + length)} lies inside the file (unsigned, overflow-safe). */
        private boolean inFile(long offset, long length) {
            return Long.compareUnsigned(offset, b.length) <= 0 && Long.compareUnsigned(length, b.length - offset) <= 0;
        }

        ElfFile parse() throws BootException {
            if (b.length < 4 || b[0] != 0x7F || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
                throw fail("not an ELF file");
            }
            if (b.length < 6) {
                throw fail("truncated: the ELF header needs 64 bytes, the file has " + b.length);
            }
            int elfClass = b[4] & 0xFF;
            if (elfClass == 1) {
                throw fail("32-bit ELF (ELFCLASS32); limu boots ELF64 x86_64 kernels");
            }
            if (elfClass != 2) {
                throw fail("unknown ELF class " + elfClass + "; limu boots ELF64 x86_64 kernels");
            }
            int data = b[5] & 0xFF;
            if (data == 2) {
                throw fail("big-endian ELF (ELFDATA2MSB); limu boots little-endian x86_64 kernels");
            }
            if (data != 1) {
                throw fail("unknown ELF data encoding " + data + "; limu boots little-endian x86_64 kernels");
            }
            if (b.length < EHDR_SIZE) {
                throw fail("truncated: the ELF header needs 64 bytes, the file has " + b.length);
            }
            int machine = LittleEndian.u16(b, 18);
            if (machine != EM_X86_64) {
                String m = MACHINES.get(machine);
                throw fail(m != null
                        ? "ELF for " + m + " (e_machine " + machine + "), not x86_64"
                        : "ELF for machine " + machine + " (e_machine), not x86_64 (62)");
            }
            int type = LittleEndian.u16(b, 16);
            long entry = LittleEndian.u64(b, 24);
            long phoff = LittleEndian.u64(b, 32);
            long shoff = LittleEndian.u64(b, 40);
            int phentsize = LittleEndian.u16(b, 54);
            int phnum = LittleEndian.u16(b, 56);
            int shentsize = LittleEndian.u16(b, 58);
            int shnum = LittleEndian.u16(b, 60);
            int shstrndx = LittleEndian.u16(b, 62);

            // Section 0 carries the real counts when they do not fit the header (gABI extended numbering).
            long section0 = -1;
            if (shoff != 0 && shentsize >= SHDR_SIZE && inFile(shoff, SHDR_SIZE)) {
                section0 = shoff;
            }
            long phCount = phnum;
            if (phnum == PN_XNUM) {
                if (section0 < 0) {
                    throw fail("e_phnum is PN_XNUM but there is no section header 0 to hold the real count");
                }
                phCount = LittleEndian.u32(b, (int) section0 + 44);
            }
            List<Segment> segments = parseSegments(phoff, phentsize, phCount);
            List<Section> sections = parseSections(shoff, shentsize, shnum, shstrndx, section0);
            List<Symbol> symbols = parseSymbols(sections);
            return new ElfFile(name, b, type, entry, List.copyOf(segments), List.copyOf(sections),
                    List.copyOf(symbols), List.copyOf(warnings));
        }

        private List<Segment> parseSegments(long phoff, int phentsize, long count) throws BootException {
            if (count == 0) {
                return List.of();
            }
            if (phentsize < PHDR_SIZE) {
                throw fail("program header size " + phentsize + " is smaller than " + PHDR_SIZE);
            }
            if (count > b.length / phentsize || !inFile(phoff, count * phentsize)) {
                throw fail("truncated: program header table at " + hex(phoff) + " (" + count + " x " + phentsize
                        + " bytes) lies past the end of the file (" + hex(b.length) + " bytes)");
            }
            List<Segment> out = new ArrayList<>((int) count);
            for (int i = 0; i < count; i++) {
                int p = (int) (phoff + (long) i * phentsize);
                Segment s = new Segment(i, (int) LittleEndian.u32(b, p), (int) LittleEndian.u32(b, p + 4),
                        LittleEndian.u64(b, p + 8), LittleEndian.u64(b, p + 16), LittleEndian.u64(b, p + 24),
                        LittleEndian.u64(b, p + 32), LittleEndian.u64(b, p + 40), LittleEndian.u64(b, p + 48));
                if (s.isLoad() && s.memSize() != 0) {
                    if (Long.compareUnsigned(s.fileSize(), s.memSize()) > 0) {
                        throw fail("segment " + i + ": p_filesz " + hex(s.fileSize()) + " is larger than p_memsz "
                                + hex(s.memSize()));
                    }
                    if (!inFile(s.offset(), s.fileSize())) {
                        throw fail("truncated: segment " + i + " data at " + hex(s.offset()) + "+" + hex(s.fileSize())
                                + " lies past the end of the file (" + hex(b.length) + " bytes)");
                    }
                }
                out.add(s);
            }
            return out;
        }

        private List<Section> parseSections(long shoff, int shentsize, int shnum, int shstrndx, long section0) {
            if (shoff == 0) {
                return List.of();
            }
            if (shentsize < SHDR_SIZE) {
                warnings.add("section header size " + shentsize + " is smaller than " + SHDR_SIZE
                        + "; sections and symbols ignored");
                return List.of();
            }
            long count = shnum;
            long strIndex = shstrndx;
            if (section0 >= 0) {
                if (shnum == 0) {
                    count = LittleEndian.u64(b, (int) section0 + 32);
                }
                if (shstrndx == SHN_XINDEX) {
                    strIndex = LittleEndian.u32(b, (int) section0 + 40);
                }
            }
            if (count == 0) {
                return List.of();
            }
            if (Long.compareUnsigned(count, b.length / shentsize) > 0 || !inFile(shoff, count * shentsize)) {
                warnings.add("section header table at " + hex(shoff) + " lies past the end of the file;"
                        + " sections and symbols ignored");
                return List.of();
            }
            int n = (int) count;
            long[][] raw = new long[n][];
            for (int i = 0; i < n; i++) {
                int p = (int) (shoff + (long) i * shentsize);
                raw[i] = new long[]{LittleEndian.u32(b, p), LittleEndian.u32(b, p + 4), LittleEndian.u64(b, p + 8),
                        LittleEndian.u64(b, p + 16), LittleEndian.u64(b, p + 24), LittleEndian.u64(b, p + 32),
                        LittleEndian.u32(b, p + 40), LittleEndian.u32(b, p + 44), LittleEndian.u64(b, p + 56)};
            }
            long strOff = -1;
            long strSize = 0;
            if (strIndex > 0 && strIndex < n) {
                long[] st = raw[(int) strIndex];
                if (st[1] != SHT_NOBITS && inFile(st[4], st[5])) {
                    strOff = st[4];
                    strSize = st[5];
                } else {
                    warnings.add("section name table lies past the end of the file; section names ignored");
                }
            }
            List<Section> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long[] r = raw[i];
                String sectionName = strOff >= 0 ? string(strOff, strSize, r[0]) : "";
                out.add(new Section(i, sectionName, (int) r[1], r[2], r[3], r[4], r[5], (int) r[6], (int) r[7],
                        r[8]));
            }
            return out;
        }

        private List<Symbol> parseSymbols(List<Section> sections) {
            Section symtab = null;
            for (Section s : sections) {
                if (s.type() == SHT_SYMTAB) {
                    symtab = s;
                    break;
                }
            }
            if (symtab == null) {
                return List.of();
            }
            long entSize = symtab.entrySize() == 0 ? SYM_SIZE : symtab.entrySize();
            if (Long.compareUnsigned(entSize, SYM_SIZE) < 0 || !inFile(symtab.offset(), symtab.size())) {
                warnings.add(".symtab is damaged (entry size " + entSize + ", data at " + hex(symtab.offset()) + "+"
                        + hex(symtab.size()) + "); symbols ignored");
                return List.of();
            }
            int link = symtab.link();
            if (link <= 0 || link >= sections.size() || sections.get(link).type() == SHT_NOBITS
                    || !inFile(sections.get(link).offset(), sections.get(link).size())) {
                warnings.add("the string table of .symtab is damaged; symbols ignored");
                return List.of();
            }
            Section strtab = sections.get(link);
            long count = Long.divideUnsigned(symtab.size(), entSize);
            List<Symbol> out = new ArrayList<>((int) Math.max(0, count - 1));
            for (long i = 1; i < count; i++) {
                int p = (int) (symtab.offset() + i * entSize);
                long nameOff = LittleEndian.u32(b, p);
                int info = LittleEndian.u8(b, p + 4);
                int shndx = LittleEndian.u16(b, p + 6);
                out.add(new Symbol(string(strtab.offset(), strtab.size(), nameOff), LittleEndian.u64(b, p + 8),
                        LittleEndian.u64(b, p + 16), info & 0xF, info >> 4, shndx));
            }
            return out;
        }

        /** The NUL-terminated string at {@code index} of a string table at {@code [off, off + size)} in the file. */
        private String string(long off, long size, long index) {
            if (Long.compareUnsigned(index, size) >= 0) {
                return "";
            }
            int start = (int) (off + index);
            int end = start;
            int limit = (int) (off + size);
            while (end < limit && b[end] != 0) {
                end++;
            }
            return new String(b, start, end - start, StandardCharsets.UTF_8);
        }
    }

    /** Address-to-symbol lookup over FUNC and OBJECT symbols, keys biased so signed order is unsigned order. */
    private static final class Symbolizer {
        private final Symbol[] sorted;
        private final long[] starts;
        private final long[] maxEnds;
        private final String[] names;

        Symbolizer(List<Symbol> symbols) {
            List<Symbol> candidates = new ArrayList<>();
            for (Symbol s : symbols) {
                if ((s.type() == STT_FUNC || s.type() == STT_OBJECT) && s.sectionIndex() != 0) {
                    candidates.add(s);
                }
            }
            // Among symbols at the same address the preferred one sorts last, since lookup walks backwards.
            Comparator<Symbol> order = Comparator.<Symbol>comparingLong(s -> s.value() ^ Long.MIN_VALUE)
                    .thenComparingInt(s -> s.type() == STT_FUNC ? 1 : 0)
                    .thenComparingInt(s -> s.binding() != 0 ? 1 : 0)
                    .thenComparing(Symbol::name, Comparator.reverseOrder());
            candidates.sort(order);
            sorted = candidates.toArray(new Symbol[0]);
            starts = new long[sorted.length];
            maxEnds = new long[sorted.length];
            names = new String[sorted.length];
            long maxEnd = Long.MIN_VALUE;
            for (int i = 0; i < sorted.length; i++) {
                starts[i] = sorted[i].value() ^ Long.MIN_VALUE;
                long end = sorted[i].value() + sorted[i].size();
                long biasedEnd = Long.compareUnsigned(end, sorted[i].value()) < 0 ? Long.MAX_VALUE : end ^ Long.MIN_VALUE;
                maxEnd = Math.max(maxEnd, biasedEnd);
                maxEnds[i] = maxEnd;
            }
        }

        Optional<String> lookup(long vaddr) {
            int i = covering(vaddr);
            if (i < 0) {
                return Optional.empty();
            }
            long offset = vaddr - sorted[i].value();
            return Optional.of(name(i) + (offset == 0 ? "" : "+0x" + Long.toHexString(offset)));
        }

        /** The index in {@link #sorted} of the symbol naming {@code vaddr}, or -1. */
        int covering(long vaddr) {
            long key = vaddr ^ Long.MIN_VALUE;
            int i = Arrays.binarySearch(starts, key);
            if (i >= 0) {
                while (i + 1 < starts.length && starts[i + 1] == key) {
                    i++;
                }
            } else {
                i = -i - 2;
            }
            for (; i >= 0; i--) {
                Symbol s = sorted[i];
                long offset = vaddr - s.value();
                if (offset == 0 || Long.compareUnsigned(offset, s.size()) < 0) {
                    return i;
                }
                if (i == 0 || (maxEnds[i - 1] <= key && starts[i - 1] != key)) {
                    break;
                }
            }
            return -1;
        }

        private String name(int i) {
            if (names[i] == null) {
                names[i] = sorted[i].demangledName();
            }
            return names[i];
        }
    }

    @Override
    public String toString() {
        return "ElfFile[" + name + ", entry " + hex(entry) + ", " + segments.size() + " program headers, "
                + sections.size() + " sections, " + symbols.size() + " symbols]";
    }
}
