// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The kernel's PT_LOAD segments as one image: validated the way Limine's
 * {@code elf64_load} does (plus an entry-point check), placed as one physically
 * contiguous block with a uniform virtual-to-physical offset, and readable by
 * image offset for the request scans.
 * <p>
 * The image spans {@code [pageBase, pageEnd)}: the lowest PT_LOAD address rounded
 * down and the highest end rounded up to 4 KiB. Its physical block is aligned so
 * that {@code phys ≡ virt (mod alignment)}, alignment being the largest
 * {@code p_align} (at least 4 KiB, at most 2 MiB). Offsets used by the scans are
 * relative to {@link #virtualBase()} (the lowest p_vaddr), as Limine's are
 * relative to its physical base.
 */
final class KernelImage {
    /** Limine's FIXED_HIGHER_HALF_OFFSET_64: kernels live in the top 2 GiB. */
    static final long HIGHER_HALF_KERNEL = 0xffff_ffff_8000_0000L;
    static final long PAGE = 4096;
    static final long MAX_ALIGN = 2L << 20;
    private static final int ZERO_CHUNK = 64 * 1024;

    private final ElfFile elf;
    private final List<ElfFile.Segment> loads;
    private final long virtualBase;
    private final long pageBase;
    private final long pageEnd;
    private final long sizeBeforeBss;
    private final long alignment;
    private long physicalPageBase = -1;
    /** Qwords the relocations rewrote, by virtual address (sorted), so reads see the image as loaded. */
    private long[] relocatedAt = new long[0];
    private long[] relocatedValue = new long[0];
    private int relocatedCount;

    private KernelImage(ElfFile elf, List<ElfFile.Segment> loads, long virtualBase, long virtualEnd,
                        long sizeBeforeBss, long alignment) {
        this.elf = elf;
        this.loads = loads;
        this.virtualBase = virtualBase;
        this.pageBase = virtualBase & -PAGE;
        this.pageEnd = (virtualEnd + PAGE - 1) & -PAGE;
        this.sizeBeforeBss = sizeBeforeBss;
        this.alignment = alignment;
    }

    static KernelImage of(ElfFile elf) throws BootException {
        String name = elf.name();
        switch (elf.type()) {
            case ElfFile.ET_EXEC, ElfFile.ET_DYN -> {
            }
            case ElfFile.ET_REL -> throw new BootException(name + ": relocatable object file (ET_REL), not a"
                    + " linked executable");
            case ElfFile.ET_CORE -> throw new BootException(name + ": core dump (ET_CORE), not a kernel");
            default -> throw new BootException(name + ": ELF type " + elf.type() + " is not an executable (ET_EXEC)");
        }
        List<ElfFile.Segment> loads = new ArrayList<>();
        for (ElfFile.Segment s : elf.segments()) {
            if (!s.isLoad() || s.memSize() == 0) {
                continue;
            }
            if (Long.compareUnsigned(s.vaddr(), HIGHER_HALF_KERNEL) < 0) {
                throw new BootException(name + ": segment " + s.index() + " at " + hex(s.vaddr()) + " is outside the"
                        + " top 2 GiB (Limine kernels must be linked at or above 0xffffffff80000000)");
            }
            // The last page must stay addressable after rounding up, so the image may end at 2^64 - 4 KiB at most.
            if (Long.compareUnsigned(s.memSize(), -PAGE - s.vaddr()) > 0) {
                throw new BootException(name + ": segment " + s.index() + " at " + hex(s.vaddr()) + " ("
                        + hex(s.memSize()) + " bytes) runs past the top of the address space");
            }
            long align = s.align();
            if (align > 1 && Long.bitCount(align) != 1) {
                throw new BootException(name + ": segment " + s.index() + ": p_align " + hex(align)
                        + " is not a power of two");
            }
            loads.add(s);
        }
        if (loads.isEmpty()) {
            throw new BootException(name + ": no PT_LOAD segments");
        }
        // All addresses are in the top 2 GiB, so signed order is address order.
        loads.sort(Comparator.comparingLong(ElfFile.Segment::vaddr));
        for (int i = 1; i < loads.size(); i++) {
            ElfFile.Segment a = loads.get(i - 1);
            ElfFile.Segment b = loads.get(i);
            if (b.vaddr() < a.vend()) {
                ElfFile.Segment first = a.index() < b.index() ? a : b;
                ElfFile.Segment second = first == a ? b : a;
                throw new BootException(name + ": segments " + first.index() + " and " + second.index()
                        + " overlap (" + hex(b.vaddr()) + ".." + hex(Math.min(a.vend(), b.vend())) + ")");
            }
        }
        long entry = elf.entry();
        ElfFile.Segment entrySegment = null;
        for (ElfFile.Segment s : loads) {
            if (entry >= s.vaddr() && entry < s.vend() && Long.compareUnsigned(entry, HIGHER_HALF_KERNEL) >= 0) {
                entrySegment = s;
            }
        }
        if (entrySegment == null) {
            throw new BootException(name + ": entry point " + hex(entry) + " is outside the loaded segments");
        }
        if (!entrySegment.executable()) {
            throw new BootException(name + ": entry point " + hex(entry) + " lies in segment " + entrySegment.index()
                    + ", which is not executable (" + entrySegment.flagString() + ")");
        }
        long alignment = PAGE;
        for (ElfFile.Segment s : loads) {
            if (s.align() > alignment) {
                alignment = Math.min(s.align(), MAX_ALIGN);
            }
        }
        long virtualBase = loads.get(0).vaddr();
        ElfFile.Segment top = loads.get(0);
        for (ElfFile.Segment s : loads) {
            if (s.vend() > top.vend()) {
                top = s;
            }
        }
        // Limine: image size minus the BSS of the segment that ends highest.
        long sizeBeforeBss = top.vend() - virtualBase - (top.memSize() - top.fileSize());
        return new KernelImage(elf, List.copyOf(loads), virtualBase, top.vend(), sizeBeforeBss, alignment);
    }

    ElfFile elf() {
        return elf;
    }

    /** PT_LOAD segments with a non-zero size, by address. */
    List<ElfFile.Segment> loads() {
        return loads;
    }

    /** Lowest PT_LOAD virtual address (the executable address response's virtual_base). */
    long virtualBase() {
        return virtualBase;
    }

    /** Bytes from {@link #virtualBase()} to the end of file-backed data (Limine's image_size_before_bss). */
    long sizeBeforeBss() {
        return sizeBeforeBss;
    }

    /** Bytes of physical memory the image occupies (whole pages). */
    long span() {
        return pageEnd - pageBase;
    }

    long pageBase() {
        return pageBase;
    }

    long alignment() {
        return alignment;
    }

    /** The physical block must sit at this offset modulo {@link #alignment()}. */
    long residue() {
        return pageBase & (alignment - 1);
    }

    /** Physical address of {@code vaddr} once placed. */
    long physical(long vaddr) {
        if (physicalPageBase < 0) {
            throw new IllegalStateException("image not placed yet");
        }
        return physicalPageBase + (vaddr - pageBase);
    }

    long physicalPageBase() {
        return physicalPageBase;
    }

    /** Zeroes the whole block at {@code physicalPageBase} and copies every segment's file data into it. */
    void load(PhysicalMemory ram, long physicalPageBase) {
        this.physicalPageBase = physicalPageBase;
        byte[] zeros = new byte[ZERO_CHUNK];
        for (long done = 0; done < span(); done += ZERO_CHUNK) {
            ram.write(physicalPageBase + done, zeros, 0, (int) Math.min(ZERO_CHUNK, span() - done));
        }
        byte[] file = elf.bytes();
        for (ElfFile.Segment s : loads) {
            if (s.fileSize() > 0) {
                ram.write(physical(s.vaddr()), file, (int) s.offset(), (int) s.fileSize());
            }
        }
    }

    /**
     * Stores a relocated qword at {@code vaddr} (contained, all 8 bytes) in guest RAM and in this image's view.
     * Relocations arrive in table order; a later one at the same address wins, as in memory.
     */
    void relocate(long vaddr, long value, PhysicalMemory ram) {
        ram.write(physical(vaddr), LittleEndian.u64Bytes(value), 0, 8);
        int i = relocatedCount > 0 && relocatedAt[relocatedCount - 1] < vaddr ? -relocatedCount - 1
                : java.util.Arrays.binarySearch(relocatedAt, 0, relocatedCount, vaddr);
        if (i >= 0) {
            relocatedValue[i] = value;
            return;
        }
        i = -i - 1;
        if (relocatedCount == relocatedAt.length) {
            int n = Math.max(16, relocatedCount * 2);
            relocatedAt = java.util.Arrays.copyOf(relocatedAt, n);
            relocatedValue = java.util.Arrays.copyOf(relocatedValue, n);
        }
        System.arraycopy(relocatedAt, i, relocatedAt, i + 1, relocatedCount - i);
        System.arraycopy(relocatedValue, i, relocatedValue, i + 1, relocatedCount - i);
        relocatedAt[i] = vaddr;
        relocatedValue[i] = value;
        relocatedCount++;
    }

    /** Index of the first relocated qword that may overlap {@code [v, v + 8)}, or -1 if none does. */
    private int relocatedNear(long v) {
        if (relocatedCount == 0) {
            return -1;
        }
        // Every address is in the top 2 GiB, so signed order is address order.
        int i = java.util.Arrays.binarySearch(relocatedAt, 0, relocatedCount, v - 7);
        i = i >= 0 ? i : -i - 1;
        return i < relocatedCount && relocatedAt[i] < v + 8 ? i : -1;
    }

    /** The little-endian qword at image offset {@code offset} as loaded (file data, zero elsewhere). */
    long u64(long offset) {
        long v = virtualBase + offset;
        ElfFile.Segment s = segmentAt(v);
        byte[] file = elf.bytes();
        if (relocatedNear(v) >= 0) {
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value |= (long) byteAt(v + i) << (8 * i);
            }
            return value;
        }
        if (s != null && v - s.vaddr() + 8 <= s.fileSize()) {
            return LittleEndian.u64(file, (int) (s.offset() + (v - s.vaddr())));
        }
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value |= (long) byteAt(v + i) << (8 * i);
        }
        return value;
    }

    /** Whether the kernel virtual address {@code vaddr} lies in one of the PT_LOAD segments. */
    boolean contains(long vaddr) {
        return segmentAt(vaddr) != null;
    }

    /** The qword at kernel virtual address {@code vaddr} as loaded; all 8 bytes must be {@link #contains contained}. */
    long u64AtVirtual(long vaddr) {
        return u64(vaddr - virtualBase);
    }

    /** The byte at kernel virtual address {@code vaddr} as loaded (0 in BSS), which must be contained. */
    int byteAtVirtual(long vaddr) {
        return byteAt(vaddr);
    }

    private int byteAt(long v) {
        if (relocatedCount > 0) {
            // Relocated qwords starting in [v - 7, v] cover this byte; overlapping ones are not expected in a
            // linked kernel, and the highest one is taken.
            int i = java.util.Arrays.binarySearch(relocatedAt, 0, relocatedCount, v - 7);
            i = i >= 0 ? i : -i - 1;
            int cover = -1;
            for (; i < relocatedCount && relocatedAt[i] <= v; i++) {
                cover = i;
            }
            if (cover >= 0) {
                return (int) (relocatedValue[cover] >>> (8 * (v - relocatedAt[cover]))) & 0xFF;
            }
        }
        ElfFile.Segment s = segmentAt(v);
        if (s == null || v - s.vaddr() >= s.fileSize()) {
            return 0;
        }
        return elf.bytes()[(int) (s.offset() + (v - s.vaddr()))] & 0xFF;
    }

    private ElfFile.Segment segmentAt(long v) {
        int lo = 0;
        int hi = loads.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            ElfFile.Segment s = loads.get(mid);
            if (v < s.vaddr()) {
                hi = mid - 1;
            } else if (v >= s.vend()) {
                lo = mid + 1;
            } else {
                return s;
            }
        }
        return null;
    }

    /**
     * Image offsets, multiples of 8 in increasing order, where a qword may be non-zero: the starts of the 8-byte
     * steps that fall in some segment's file data. A scan for a pattern whose first qword is non-zero need only
     * look here.
     */
    long[][] fileBackedSteps() {
        long[][] ranges = new long[loads.size()][];
        for (int i = 0; i < loads.size(); i++) {
            ElfFile.Segment s = loads.get(i);
            long start = s.vaddr() - virtualBase;
            long end = start + s.fileSize();
            long first = start & -8L;
            ranges[i] = new long[]{first, end};
        }
        return ranges;
    }
}
