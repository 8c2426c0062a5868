// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Hands out guest-physical memory for everything the bootloader places, and
 * derives the memory map from what it handed out.
 * <p>
 * Placement: allocations go top-down from the end of RAM below the PCI hole
 * ({@code min(RAM, 3 GiB)}) and never below {@link #FLOOR} (1 MiB), so low
 * memory and the bottom of the 1 MiB+ region stay USABLE: a kernel that takes the
 * first large usable region (the tutorial's 4 MiB heap) gets physical 0x100000,
 * as under real firmware. RAM above 4 GiB is never allocated from.
 * <p>
 * Memory map (as a PC BIOS machine reports it; docs/limine-notes.md, "Memory map"): page 0 is not listed;
 * {@code [0x1000, 0x9f000)} USABLE; {@code [0x9fc00, 0xa0000)} (EBDA) and
 * {@code [0xf0000, 0x100000)} (BIOS ROM) RESERVED; the VGA/option-ROM hole
 * {@code [0xa0000, 0xf0000)} not listed; every allocation with its type; all
 * other RAM USABLE. Entries are sorted, non-overlapping, page-aligned except the
 * two firmware islands, and adjacent entries of one type are merged.
 * <p>
 * Small structures (responses, strings, the GDT) share bootloader-reclaimable
 * pages through {@link #allocateBytes}; memory is not zeroed here (the caller
 * writes every byte it hands to the kernel).
 */
final class PhysicalAllocator {
    static final long PAGE = 4096;
    /** Allocations never go below 1 MiB. */
    static final long FLOOR = 0x100000;

    /** Firmware-owned low-memory ranges as SeaBIOS reports them. */
    private static final List<MemoryMapEntry> FIRMWARE_RESERVED = List.of(
            new MemoryMapEntry(0x9fc00, 0x400, MemoryType.RESERVED),
            new MemoryMapEntry(0xf0000, 0x10000, MemoryType.RESERVED));
    /** RAM never reported: page 0, the sub-page tail below the EBDA, the legacy VGA/ROM hole. */
    private static final long[][] UNLISTED = {{0, 0x1000}, {0x9f000, 0x9fc00}, {0xa0000, 0xf0000}};

    private final String fileName;
    private final List<RamRegion> ram;
    private final List<MemoryMapEntry> claims = new ArrayList<>();
    private long top;
    private long poolNext;
    private long poolEnd;

    PhysicalAllocator(String fileName, List<RamRegion> ram) {
        this.fileName = fileName;
        this.ram = List.copyOf(ram);
        this.top = ram.get(0).end() & -PAGE;
    }

    /** Bytes still free for top-down allocation. */
    long available() {
        return Math.max(0, top - FLOOR);
    }

    /** Allocates {@code size} bytes (rounded up to pages) aligned to {@code align} (a power of two ≥ 4 KiB). */
    long allocatePages(long size, long align, MemoryType type, String what) throws BootException {
        return allocatePages(size, align, 0, type, what);
    }

    /**
     * Allocates {@code size} bytes (rounded up to pages) at the highest address {@code a} with
     * {@code a ≡ residue (mod align)}; {@code residue} is a multiple of 4 KiB below {@code align}.
     */
    long allocatePages(long size, long align, long residue, MemoryType type, String what) throws BootException {
        if (size <= 0 || size > available()) {
            throw outOfMemory(size, what);
        }
        long rounded = (size + PAGE - 1) & -PAGE;
        long base = ((top - rounded - residue) & -align) + residue;
        if (base < FLOOR) {
            throw outOfMemory(size, what);
        }
        top = base;
        claims.add(new MemoryMapEntry(base, rounded, type));
        return base;
    }

    /** Allocates {@code size} bytes of bootloader-reclaimable memory aligned to {@code align} (≤ 4 KiB). */
    long allocateBytes(long size, int align, String what) throws BootException {
        long start = (poolNext + align - 1) & -(long) align;
        if (poolEnd == 0 || start + size > poolEnd || size > PAGE) {
            long pages = Math.max(PAGE, (size + PAGE - 1) & -PAGE);
            long base = allocatePages(pages, PAGE, MemoryType.BOOTLOADER_RECLAIMABLE, what);
            poolNext = base;
            poolEnd = base + pages;
            start = base;
        }
        poolNext = start + size;
        return start;
    }

    /**
     * Records a fixed range owned by something other than the kernel (e.g. a framebuffer or firmware tables at a
     * set address). It must not overlap earlier allocations or claims.
     */
    void claim(long base, long length, MemoryType type) {
        for (MemoryMapEntry c : claims) {
            if (base < c.end() && c.base() < base + length) {
                throw new IllegalArgumentException("claim " + hex(base) + "+" + hex(length) + " overlaps " + c);
            }
        }
        claims.add(new MemoryMapEntry(base, length, type));
    }

    /** The memory map as the kernel will see it if nothing more is allocated. */
    List<MemoryMapEntry> memoryMap() {
        TreeSet<Long> cuts = new TreeSet<>();
        for (RamRegion r : ram) {
            cuts.add(r.base());
            cuts.add(r.end());
        }
        for (MemoryMapEntry e : FIRMWARE_RESERVED) {
            cuts.add(e.base());
            cuts.add(e.end());
        }
        for (long[] u : UNLISTED) {
            cuts.add(u[0]);
            cuts.add(u[1]);
        }
        for (MemoryMapEntry c : claims) {
            cuts.add(c.base());
            cuts.add(c.end());
        }
        List<MemoryMapEntry> out = new ArrayList<>();
        Long previous = null;
        for (long cut : cuts) {
            if (previous != null) {
                MemoryType type = typeAt(previous);
                if (type != null) {
                    add(out, previous, cut - previous, type);
                }
            }
            previous = cut;
        }
        out.sort(Comparator.comparingLong(MemoryMapEntry::base));
        return List.copyOf(out);
    }

    /** The type of the elementary interval starting at {@code address}, or null if it is not listed. */
    private MemoryType typeAt(long address) {
        for (MemoryMapEntry c : claims) {
            if (address >= c.base() && address < c.end()) {
                return c.type();
            }
        }
        for (MemoryMapEntry e : FIRMWARE_RESERVED) {
            if (address >= e.base() && address < e.end()) {
                return e.type();
            }
        }
        for (long[] u : UNLISTED) {
            if (address >= u[0] && address < u[1]) {
                return null;
            }
        }
        for (RamRegion r : ram) {
            if (address >= r.base() && address < r.end()) {
                return MemoryType.USABLE;
            }
        }
        return null;
    }

    private static void add(List<MemoryMapEntry> out, long base, long length, MemoryType type) {
        if (!out.isEmpty()) {
            MemoryMapEntry last = out.get(out.size() - 1);
            if (last.type() == type && last.end() == base) {
                out.set(out.size() - 1, new MemoryMapEntry(last.base(), last.length() + length, type));
                return;
            }
        }
        out.add(new MemoryMapEntry(base, length, type));
    }

    private BootException outOfMemory(long size, String what) {
        return new BootException(fileName + ": out of memory placing " + what + " (" + hex(size) + " bytes; "
                + hex(available()) + " bytes left between 1 MiB and " + hex(ram.get(0).end())
                + "); give the machine more memory");
    }
}
