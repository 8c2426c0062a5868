// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The load-time relocations of a position-independent kernel (ELF {@code ET_DYN}), read and applied the way
 * Limine's {@code elf64_apply_relocations} does (see docs/relocatable-kernels.md).
 * <p>
 * Where they come from: the {@code PT_DYNAMIC} segment's {@code DT_RELA}/{@code DT_RELASZ}/{@code DT_RELAENT}
 * table, its {@code DT_JMPREL} table ({@code DT_PLTREL} must be {@code DT_RELA}) and its packed
 * {@code DT_RELR} table; for a file without a dynamic segment, its allocated {@code SHT_RELA} sections called
 * {@code .rela*}. Addresses in the dynamic section are link-time virtual addresses and are found in the file
 * through the {@code PT_LOAD} segment whose file data holds them.
 * <p>
 * What is applied (System V x86-64 psABI §4.4, with S the symbol's link address, A the addend, B the slide):
 * {@code R_X86_64_RELATIVE} = B + A; {@code R_X86_64_64} = B + S + A; {@code R_X86_64_GLOB_DAT} and
 * {@code R_X86_64_JUMP_SLOT} = B + S; a packed relative entry adds B to the qword already there;
 * {@code R_X86_64_NONE} does nothing. The symbol must be defined in the image (an undefined weak one gives 0). Any
 * other type, a target outside the loaded segments, a table outside the file or an undefined symbol is refused
 * with a {@link BootException} naming the entry.
 */
final class Relocations {
    static final int R_X86_64_NONE = 0;
    static final int R_X86_64_64 = 1;
    static final int R_X86_64_GLOB_DAT = 6;
    static final int R_X86_64_JUMP_SLOT = 7;
    static final int R_X86_64_RELATIVE = 8;
    /** limu's own marker for an entry of a {@code DT_RELR} table (no such type exists in the psABI). */
    static final int PACKED_RELATIVE = -1;

    static final long DT_NULL = 0;
    static final long DT_NEEDED = 1;
    static final long DT_PLTRELSZ = 2;
    static final long DT_SYMTAB = 6;
    static final long DT_RELA = 7;
    static final long DT_RELASZ = 8;
    static final long DT_RELAENT = 9;
    static final long DT_SYMENT = 11;
    static final long DT_REL = 17;
    static final long DT_PLTREL = 20;
    static final long DT_JMPREL = 23;
    static final long DT_RELRSZ = 35;
    static final long DT_RELR = 36;
    static final long DT_RELRENT = 37;

    static final int RELA_SIZE = 24;
    static final int SYM_SIZE = 24;
    private static final int DYN_SIZE = 16;
    private static final int STB_WEAK = 2;

    /** Names of the psABI's x86-64 relocation types, for refusals. */
    private static final Map<Integer, String> TYPE_NAMES = Map.ofEntries(
            Map.entry(0, "R_X86_64_NONE"), Map.entry(1, "R_X86_64_64"), Map.entry(2, "R_X86_64_PC32"),
            Map.entry(3, "R_X86_64_GOT32"), Map.entry(4, "R_X86_64_PLT32"), Map.entry(5, "R_X86_64_COPY"),
            Map.entry(6, "R_X86_64_GLOB_DAT"), Map.entry(7, "R_X86_64_JUMP_SLOT"),
            Map.entry(8, "R_X86_64_RELATIVE"), Map.entry(9, "R_X86_64_GOTPCREL"), Map.entry(10, "R_X86_64_32"),
            Map.entry(11, "R_X86_64_32S"), Map.entry(12, "R_X86_64_16"), Map.entry(13, "R_X86_64_PC16"),
            Map.entry(14, "R_X86_64_8"), Map.entry(15, "R_X86_64_PC8"), Map.entry(16, "R_X86_64_DTPMOD64"),
            Map.entry(17, "R_X86_64_DTPOFF64"), Map.entry(18, "R_X86_64_TPOFF64"), Map.entry(19, "R_X86_64_TLSGD"),
            Map.entry(20, "R_X86_64_TLSLD"), Map.entry(21, "R_X86_64_DTPOFF32"),
            Map.entry(22, "R_X86_64_GOTTPOFF"), Map.entry(23, "R_X86_64_TPOFF32"), Map.entry(24, "R_X86_64_PC64"),
            Map.entry(25, "R_X86_64_GOTOFF64"), Map.entry(26, "R_X86_64_GOTPC32"), Map.entry(27, "R_X86_64_GOT64"),
            Map.entry(28, "R_X86_64_GOTPCREL64"), Map.entry(29, "R_X86_64_GOTPC64"),
            Map.entry(30, "R_X86_64_GOTPLT64"), Map.entry(31, "R_X86_64_PLTOFF64"), Map.entry(32, "R_X86_64_SIZE32"),
            Map.entry(33, "R_X86_64_SIZE64"), Map.entry(34, "R_X86_64_GOTPC32_TLSDESC"),
            Map.entry(35, "R_X86_64_TLSDESC_CALL"), Map.entry(36, "R_X86_64_TLSDESC"),
            Map.entry(37, "R_X86_64_IRELATIVE"), Map.entry(38, "R_X86_64_RELATIVE64"),
            Map.entry(41, "R_X86_64_GOTPCRELX"), Map.entry(42, "R_X86_64_REX_GOTPCRELX"));

    /**
     * One relocation entry: where (link-time virtual address), of which type, against which symbol (index into
     * {@code symbols}, 0 for none) with which addend; {@code table} names where it was read, for messages.
     */
    record Entry(long offset, int type, int symbol, long addend, String table, int index) {
        String describe() {
            return table + " entry " + index + " (" + typeName(type) + " at " + hex(offset) + ")";
        }
    }

    /** The symbol table the entries refer to: its file offset and entry size, or offset -1 for none. */
    private record SymbolTable(long fileOffset, long entrySize, String name) {
    }

    private final ElfFile elf;
    private final List<Entry> entries;
    private final SymbolTable symbols;

    private Relocations(ElfFile elf, List<Entry> entries, SymbolTable symbols) {
        this.elf = elf;
        this.entries = List.copyOf(entries);
        this.symbols = symbols;
    }

    static String typeName(int type) {
        if (type == PACKED_RELATIVE) {
            return "packed relative (DT_RELR)";
        }
        String n = TYPE_NAMES.get(type);
        return n != null ? n : "relocation type " + type;
    }

    /** Every entry, in table order (RELR first, then RELA, then the PLT's, as Limine orders them). */
    List<Entry> entries() {
        return entries;
    }

    /**
     * Reads the relocations of {@code elf} (as linked, not slid). A file that is not {@code ET_DYN} has none.
     *
     * @throws BootException if a table lies outside the file or the dynamic section asks for something a kernel
     *                       cannot have (a shared library, REL-format entries)
     */
    static Relocations of(ElfFile elf) throws BootException {
        if (elf.type() != ElfFile.ET_DYN) {
            return new Relocations(elf, List.of(), new SymbolTable(-1, 0, ""));
        }
        ElfFile.Segment dynamic = null;
        for (ElfFile.Segment s : elf.segments()) {
            if (s.type() == ElfFile.PT_DYNAMIC) {
                dynamic = s;
                break;
            }
        }
        return dynamic != null && dynamic.fileSize() > 0 ? fromDynamic(elf, dynamic) : fromSections(elf);
    }

    private static Relocations fromDynamic(ElfFile elf, ElfFile.Segment dynamic) throws BootException {
        String name = elf.name();
        byte[] b = elf.bytes();
        if (!inFile(b, dynamic.offset(), dynamic.fileSize())) {
            throw new BootException(name + ": the dynamic segment (" + hex(dynamic.offset()) + ", "
                    + hex(dynamic.fileSize()) + " bytes) lies outside the file (" + hex(b.length) + " bytes)");
        }
        long rela = 0;
        long relaSize = 0;
        long relaEnt = RELA_SIZE;
        long jmprel = 0;
        long pltrelSize = 0;
        long pltrel = DT_RELA;
        long relr = 0;
        long relrSize = 0;
        long relrEnt = 8;
        long symtab = 0;
        long syment = SYM_SIZE;
        long count = dynamic.fileSize() / DYN_SIZE;
        for (long i = 0; i < count; i++) {
            int p = (int) (dynamic.offset() + i * DYN_SIZE);
            long tag = LittleEndian.u64(b, p);
            long value = LittleEndian.u64(b, p + 8);
            if (tag == DT_NULL) {
                break;
            }
            if (tag == DT_RELA) {
                rela = value;
            } else if (tag == DT_RELASZ) {
                relaSize = value;
            } else if (tag == DT_RELAENT) {
                relaEnt = value;
            } else if (tag == DT_JMPREL) {
                jmprel = value;
            } else if (tag == DT_PLTRELSZ) {
                pltrelSize = value;
            } else if (tag == DT_PLTREL) {
                pltrel = value;
            } else if (tag == DT_RELR) {
                relr = value;
            } else if (tag == DT_RELRSZ) {
                relrSize = value;
            } else if (tag == DT_RELRENT) {
                relrEnt = value;
            } else if (tag == DT_SYMTAB) {
                symtab = value;
            } else if (tag == DT_SYMENT) {
                syment = value;
            } else if (tag == DT_NEEDED) {
                throw new BootException(name + ": the kernel needs a shared library (DT_NEEDED); a kernel must be"
                        + " linked statically (static-pie)");
            } else if (tag == DT_REL) {
                throw new BootException(name + ": REL-format relocations (DT_REL) are not used on x86-64; limu"
                        + " applies RELA tables only");
            }
        }
        if (relaSize != 0 && relaEnt < RELA_SIZE) {
            throw new BootException(name + ": DT_RELAENT " + relaEnt + " is smaller than " + RELA_SIZE);
        }
        if (pltrelSize != 0 && pltrel != DT_RELA) {
            throw new BootException(name + ": DT_PLTREL " + pltrel + " is not DT_RELA (7)");
        }
        if (relrSize != 0 && relrEnt != 8) {
            throw new BootException(name + ": DT_RELRENT " + relrEnt + " is not 8");
        }
        if (syment < SYM_SIZE) {
            throw new BootException(name + ": DT_SYMENT " + syment + " is smaller than " + SYM_SIZE);
        }
        List<Entry> entries = new ArrayList<>();
        if (relrSize != 0) {
            long off = fileOffset(elf, relr, relrSize, "the DT_RELR table");
            readRelr(b, off, relrSize, entries);
        }
        if (relaSize != 0) {
            long off = fileOffset(elf, rela, relaSize, "the DT_RELA table");
            readRela(b, off, relaSize, relaEnt, "DT_RELA", entries);
        }
        if (pltrelSize != 0) {
            long off = fileOffset(elf, jmprel, pltrelSize, "the DT_JMPREL table");
            readRela(b, off, pltrelSize, relaEnt, "DT_JMPREL", entries);
        }
        long symtabOffset = -1;
        if (symtab != 0) {
            symtabOffset = fileOffset(elf, symtab, syment, "the DT_SYMTAB table");
        }
        return new Relocations(elf, entries, new SymbolTable(symtabOffset, syment, "DT_SYMTAB"));
    }

    /** No dynamic segment: the allocated {@code .rela*} sections, each against the symbol table it links to. */
    private static Relocations fromSections(ElfFile elf) throws BootException {
        byte[] b = elf.bytes();
        List<Entry> entries = new ArrayList<>();
        SymbolTable symbols = new SymbolTable(-1, 0, "");
        for (ElfFile.Section s : elf.sections()) {
            if (s.type() != ElfFile.SHT_RELA || !s.name().startsWith(".rela")
                    || (s.flags() & ElfFile.SHF_ALLOC) == 0) {
                continue;
            }
            if (!inFile(b, s.offset(), s.size())) {
                throw new BootException(elf.name() + ": section " + s.name() + " (" + hex(s.offset()) + ", "
                        + hex(s.size()) + " bytes) lies outside the file (" + hex(b.length) + " bytes)");
            }
            long ent = s.entrySize() == 0 ? RELA_SIZE : s.entrySize();
            if (ent < RELA_SIZE) {
                throw new BootException(elf.name() + ": section " + s.name() + " has entries of " + ent
                        + " bytes, smaller than " + RELA_SIZE);
            }
            readRela(b, s.offset(), s.size(), ent, s.name(), entries);
            if (s.link() > 0 && s.link() < elf.sections().size()) {
                ElfFile.Section table = elf.sections().get(s.link());
                if (inFile(b, table.offset(), table.size())) {
                    symbols = new SymbolTable(table.offset(), table.entrySize() < SYM_SIZE ? SYM_SIZE
                            : table.entrySize(), table.name());
                }
            }
        }
        return new Relocations(elf, entries, symbols);
    }

    private static void readRela(byte[] b, long off, long size, long ent, String table, List<Entry> out) {
        for (long i = 0; i + RELA_SIZE <= size; i += ent) {
            int p = (int) (off + i);
            long info = LittleEndian.u64(b, p + 8);
            out.add(new Entry(LittleEndian.u64(b, p), (int) info, (int) (info >>> 32), LittleEndian.u64(b, p + 16),
                    table, (int) (i / ent)));
        }
    }

    /** A RELR table: an even word is an address, an odd word a bitmap of the 63 qwords after the last address. */
    private static void readRelr(byte[] b, long off, long size, List<Entry> out) {
        long where = 0;
        for (long i = 0; i + 8 <= size; i += 8) {
            long word = LittleEndian.u64(b, (int) (off + i));
            int index = (int) (i / 8);
            if ((word & 1) == 0) {
                where = word;
                out.add(new Entry(where, PACKED_RELATIVE, 0, 0, "DT_RELR", index));
                where += 8;
            } else {
                long bits = word >>> 1;
                for (int j = 0; bits != 0; j++, bits >>>= 1) {
                    if ((bits & 1) != 0) {
                        out.add(new Entry(where + 8L * j, PACKED_RELATIVE, 0, 0, "DT_RELR", index));
                    }
                }
                where += 63 * 8;
            }
        }
    }

    /** The file offset of link address {@code vaddr}, whose {@code size} bytes must lie in one segment's file data. */
    private static long fileOffset(ElfFile elf, long vaddr, long size, String what) throws BootException {
        for (ElfFile.Segment s : elf.segments()) {
            if (!s.isLoad()) {
                continue;
            }
            long into = vaddr - s.vaddr();
            if (Long.compareUnsigned(into, s.fileSize()) < 0) {
                if (Long.compareUnsigned(size, s.fileSize() - into) > 0
                        || !inFile(elf.bytes(), s.offset() + into, size)) {
                    break;
                }
                return s.offset() + into;
            }
        }
        throw new BootException(elf.name() + ": " + what + " at " + hex(vaddr) + " (" + hex(size) + " bytes) lies"
                + " outside the file data of the kernel's segments");
    }

    private static boolean inFile(byte[] b, long off, long len) {
        return Long.compareUnsigned(off, b.length) <= 0 && Long.compareUnsigned(len, b.length - off) <= 0;
    }

    /**
     * Writes every relocated qword into the loaded image (guest RAM and the image's view of it), for the kernel
     * slid {@code slide} bytes above its link addresses.
     *
     * @throws BootException for an entry limu does not apply, one whose target lies outside the loaded segments,
     *                       or one against an undefined symbol
     */
    void apply(KernelImage image, PhysicalMemory ram, long slide) throws BootException {
        String name = elf.name();
        for (Entry e : entries) {
            if (e.type() == R_X86_64_NONE) {
                continue;
            }
            long target = e.offset() + slide;
            if (!image.contains(target) || !image.contains(target + 7) || Long.compareUnsigned(target + 7, target) < 0) {
                throw new BootException(name + ": relocation outside the image: " + e.describe() + " does not lie"
                        + " in a loaded segment");
            }
            long value = switch (e.type()) {
                case R_X86_64_RELATIVE -> slide + e.addend();
                case PACKED_RELATIVE -> image.u64AtVirtual(target) + slide;
                case R_X86_64_64 -> symbolValue(e, slide) + e.addend();
                case R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT -> symbolValue(e, slide);
                default -> throw new BootException(name + ": unsupported relocation " + typeName(e.type()) + " at "
                        + hex(e.offset()) + " (" + e.table() + " entry " + e.index() + "); limu applies"
                        + " R_X86_64_RELATIVE, R_X86_64_64, R_X86_64_GLOB_DAT and R_X86_64_JUMP_SLOT, as Limine does;"
                        + " link the kernel as a static PIE (or with relocation-model=static)");
            };
            image.relocate(target, value, ram);
        }
    }

    /** S + B for a symbol the image defines; 0 for an undefined weak one. */
    private long symbolValue(Entry e, long slide) throws BootException {
        String name = elf.name();
        if (symbols.fileOffset() < 0) {
            throw new BootException(name + ": " + e.describe() + " refers to symbol " + e.symbol()
                    + " but the kernel has no symbol table for its relocations");
        }
        long p = symbols.fileOffset() + (long) e.symbol() * symbols.entrySize();
        byte[] b = elf.bytes();
        if (e.symbol() < 0 || !inFile(b, p, SYM_SIZE)) {
            throw new BootException(name + ": " + e.describe() + " refers to symbol " + (e.symbol() & 0xFFFFFFFFL)
                    + ", past the end of the file");
        }
        int info = LittleEndian.u8(b, (int) p + 4);
        int shndx = LittleEndian.u16(b, (int) p + 6);
        long value = LittleEndian.u64(b, (int) p + 8);
        if (shndx == ElfFile.SHN_UNDEF) {
            if ((info >>> 4) == STB_WEAK) {
                return 0;
            }
            throw new BootException(name + ": " + e.describe() + " refers to symbol " + e.symbol()
                    + ", which the kernel does not define (a kernel is loaded alone: nothing else can define it)");
        }
        return shndx == ElfFile.SHN_ABS ? value : value + slide;
    }
}
