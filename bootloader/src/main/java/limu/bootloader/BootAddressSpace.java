// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * What Limine maps before jumping to the kernel (its {@code build_pagemap}; the protocol's "Memory Layout at
 * Entry"; docs/limine-notes.md, "Base revisions" and "Address space at entry"):
 * <ul>
 * <li>the kernel's PT_LOAD segments at their link addresses, 4 KiB pages, present, writable iff
 * PF_W, no-execute iff not PF_X, supervisor; all of it under the top-level entry 511;</li>
 * <li>base revision 0: an identity map of 0x1000–4 GiB;</li>
 * <li>revisions 0–2: the HHDM over all of 0–4 GiB (MMIO included);</li>
 * <li>memory-map regions: revision 0 all of them (identity and HHDM), revisions 1–2 all but
 * RESERVED and BAD_MEMORY, both only above 4 GiB; revision 3 only USABLE,
 * BOOTLOADER_RECLAIMABLE, EXECUTABLE_AND_MODULES and FRAMEBUFFER regions, at any address,
 * rounded out to 4 KiB; revision 4 and later also ACPI_RECLAIMABLE, ACPI_NVS and RESERVED_MAPPED.</li>
 * </ul>
 * HHDM and identity pages are supervisor, writable and executable (as Limine's) and write-back, except
 * FRAMEBUFFER regions, mapped write-combining (PAT entry 5) wherever they are mapped; contiguous regions are
 * coalesced so 2 MiB pages can be used. Nothing else is mapped.
 */
final class BootAddressSpace {
    static final long FOUR_GIB = 1L << 32;
    private static final long PAGE = PageTables.PAGE;
    private static final Set<MemoryType> REVISION_3_HHDM = Set.of(MemoryType.USABLE,
            MemoryType.BOOTLOADER_RECLAIMABLE, MemoryType.EXECUTABLE_AND_MODULES, MemoryType.FRAMEBUFFER);
    private static final Set<MemoryType> REVISION_4_HHDM = Set.of(MemoryType.USABLE,
            MemoryType.BOOTLOADER_RECLAIMABLE, MemoryType.EXECUTABLE_AND_MODULES, MemoryType.FRAMEBUFFER,
            MemoryType.ACPI_RECLAIMABLE, MemoryType.ACPI_NVS, MemoryType.RESERVED_MAPPED);

    private BootAddressSpace() {
    }

    /**
     * Builds the tables; {@code memoryMap} must already show every region that will exist (allocating table pages
     * from USABLE memory does not change what gets mapped, as USABLE and BOOTLOADER_RECLAIMABLE are mapped alike).
     */
    static PageTables build(int levels, PageTables.TableSource source, KernelImage image, int baseRevision,
                            long hhdmOffset, List<MemoryMapEntry> memoryMap) throws BootException {
        PageTables tables = new PageTables(levels, source);
        for (ElfFile.Segment s : image.loads()) {
            long flags = (s.writable() ? PageTables.WRITABLE : 0) | (s.executable() ? 0 : PageTables.NO_EXECUTE);
            long start = s.vaddr() & -PAGE;
            long end = (s.vend() + PAGE - 1) & -PAGE;
            for (long va = start; va != end; va += PAGE) {
                tables.mapPageMerging(va, image.physical(va), flags);
            }
        }
        List<long[]> framebuffers = framebufferRegions(memoryMap);
        if (baseRevision == 0) {
            mapAround(tables, 0, PAGE, FOUR_GIB, framebuffers);
        }
        if (baseRevision < 3) {
            mapAround(tables, hhdmOffset, 0, FOUR_GIB, framebuffers);
        }
        for (long[] r : directMapRegions(baseRevision, memoryMap)) {
            if (baseRevision == 0) {
                tables.map(r[0], r[0], r[1] - r[0], PageTables.WRITABLE);
            }
            tables.map(hhdmOffset + r[0], r[0], r[1] - r[0], PageTables.WRITABLE);
        }
        for (long[] fb : framebuffers) {
            if (baseRevision == 0) {
                tables.mapWriteCombining(fb[0], fb[0], fb[1] - fb[0], PageTables.WRITABLE);
            }
            tables.mapWriteCombining(hhdmOffset + fb[0], fb[0], fb[1] - fb[0], PageTables.WRITABLE);
        }
        return tables;
    }

    /** Maps physical {@code [start, end)} at {@code offset + pa}, write-back, leaving out {@code holes}. */
    private static void mapAround(PageTables tables, long offset, long start, long end, List<long[]> holes)
            throws BootException {
        long next = start;
        for (long[] hole : holes) {
            if (hole[1] <= next || hole[0] >= end) {
                continue;
            }
            if (hole[0] > next) {
                tables.map(offset + next, next, hole[0] - next, PageTables.WRITABLE);
            }
            next = hole[1];
        }
        if (next < end) {
            tables.map(offset + next, next, end - next, PageTables.WRITABLE);
        }
    }

    /** FRAMEBUFFER regions rounded out to pages, sorted and coalesced: mapped write-combining in every revision. */
    static List<long[]> framebufferRegions(List<MemoryMapEntry> memoryMap) {
        List<long[]> ranges = new ArrayList<>();
        for (MemoryMapEntry e : memoryMap) {
            if (e.type() == MemoryType.FRAMEBUFFER) {
                ranges.add(new long[]{e.base() & -PAGE, (e.end() + PAGE - 1) & -PAGE});
            }
        }
        return coalesce(ranges);
    }

    /**
     * Physical {@code [start, end)} ranges the HHDM covers beyond the fixed 0–4 GiB, framebuffers excepted,
     * coalesced and page-rounded.
     */
    static List<long[]> directMapRegions(int baseRevision, List<MemoryMapEntry> memoryMap) {
        List<long[]> ranges = new ArrayList<>();
        for (MemoryMapEntry e : memoryMap) {
            if (e.type() == MemoryType.FRAMEBUFFER) {
                continue;
            }
            if (baseRevision == 3 && !REVISION_3_HHDM.contains(e.type())) {
                continue;
            }
            if (baseRevision >= 4 && !REVISION_4_HHDM.contains(e.type())) {
                continue;
            }
            if (baseRevision >= 1 && baseRevision < 3
                    && (e.type() == MemoryType.RESERVED || e.type() == MemoryType.BAD_MEMORY)) {
                continue;
            }
            long base = e.base();
            long end = e.end();
            if (baseRevision < 3 && base < FOUR_GIB) {
                base = FOUR_GIB;
            }
            if (base >= end) {
                continue;
            }
            ranges.add(new long[]{base & -PAGE, (end + PAGE - 1) & -PAGE});
        }
        return coalesce(ranges);
    }

    private static List<long[]> coalesce(List<long[]> ranges) {
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r[0] <= last[1]) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(r.clone());
            }
        }
        return merged;
    }
}
