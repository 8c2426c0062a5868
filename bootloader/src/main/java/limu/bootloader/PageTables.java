// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * x86-64 4- or 5-level page tables built in Java and then written to guest RAM.
 * Intermediate entries are present, writable, supervisor and executable, so
 * leaf entries alone decide permissions. Leaves are 4 KiB or (where both
 * addresses are aligned and the range allows) 2 MiB pages; never 1 GiB.
 */
final class PageTables {
    static final long PRESENT = 1;
    static final long WRITABLE = 1 << 1;
    static final long USER = 1 << 2;
    static final long WRITE_THROUGH = 1 << 3;
    static final long CACHE_DISABLE = 1 << 4;
    static final long HUGE = 1 << 7;
    /** PAT bit of a 4 KiB page-table entry (the same bit as HUGE one level up). */
    static final long PAT_4K = 1 << 7;
    /** PAT bit of a 2 MiB page-directory entry. */
    static final long PAT_2M = 1 << 12;
    static final long NO_EXECUTE = 1L << 63;
    static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;
    static final long PAGE = 4096;
    static final long LARGE_PAGE = 2L << 20;

    /** Supplies zeroed-on-write 4 KiB pages for tables. */
    interface TableSource {
        long newTable() throws BootException;
    }

    private final int levels;
    private final TableSource source;
    private final Map<Long, long[]> tables = new LinkedHashMap<>();
    private final long root;

    PageTables(int levels, TableSource source) throws BootException {
        if (levels != 4 && levels != 5) {
            throw new IllegalArgumentException("paging levels " + levels);
        }
        this.levels = levels;
        this.source = source;
        this.root = newTable();
    }

    /** Physical address of the top-level table (CR3). */
    long root() {
        return root;
    }

    int tableCount() {
        return tables.size();
    }

    /**
     * Maps {@code [va, va + length)} to {@code [pa, pa + length)} (all page-aligned) with {@code flags} (PRESENT is
     * implied; HUGE is added where 2 MiB pages are used). The range must not already be mapped.
     */
    void map(long va, long pa, long length, long flags) throws BootException {
        map(va, pa, length, flags, false);
    }

    /**
     * {@link #map(long, long, long, long)} with write-combining caching: PWT and the PAT bit set, which selects PAT
     * entry 5 (WC) in the PAT layout Limine guarantees (docs/limine-notes.md). The PAT bit is bit 7 in a 4 KiB entry and bit
     * 12 in a 2 MiB one.
     */
    void mapWriteCombining(long va, long pa, long length, long flags) throws BootException {
        map(va, pa, length, flags, true);
    }

    private void map(long va, long pa, long length, long flags, boolean writeCombining) throws BootException {
        long done = 0;
        while (done < length) {
            long v = va + done;
            long p = pa + done;
            if (((v | p) & (LARGE_PAGE - 1)) == 0 && length - done >= LARGE_PAGE) {
                long[] pd = table(v, 2);
                int i = index(v, 2);
                if (pd[i] != 0) {
                    throw new IllegalStateException("2 MiB page at 0x" + Long.toHexString(v) + " already mapped");
                }
                pd[i] = p | flags | PRESENT | HUGE | (writeCombining ? WRITE_THROUGH | PAT_2M : 0);
                done += LARGE_PAGE;
            } else {
                long[] pt = table(v, 1);
                int i = index(v, 1);
                if (pt[i] != 0) {
                    throw new IllegalStateException("page at 0x" + Long.toHexString(v) + " already mapped");
                }
                pt[i] = p | flags | PRESENT | (writeCombining ? WRITE_THROUGH | PAT_4K : 0);
                done += PAGE;
            }
        }
    }

    /**
     * Maps one 4 KiB page; if the page is already mapped to the same frame (two ELF segments sharing a page), the
     * entry gets the union of both permissions: writable if either is, executable if either is.
     */
    void mapPageMerging(long va, long pa, long flags) throws BootException {
        long[] pt = table(va, 1);
        int i = index(va, 1);
        long old = pt[i];
        if (old == 0) {
            pt[i] = pa | flags | PRESENT;
            return;
        }
        if ((old & ADDRESS_MASK) != pa) {
            throw new IllegalStateException("page at 0x" + Long.toHexString(va) + " already mapped elsewhere");
        }
        long noExecute = old & flags & NO_EXECUTE;
        pt[i] = ((old | flags) & ~NO_EXECUTE) | noExecute;
    }

    /** Writes every table to guest RAM. */
    void writeTo(PhysicalMemory ram) {
        byte[] bytes = new byte[(int) PAGE];
        for (Map.Entry<Long, long[]> e : tables.entrySet()) {
            long[] t = e.getValue();
            for (int i = 0; i < 512; i++) {
                LittleEndian.putU64(bytes, 8 * i, t[i]);
            }
            ram.write(e.getKey(), bytes, 0, bytes.length);
        }
    }

    private long newTable() throws BootException {
        long pa = source.newTable();
        tables.put(pa, new long[512]);
        return pa;
    }

    private static int index(long va, int level) {
        return (int) ((va >>> (12 + 9 * (level - 1))) & 511);
    }

    /** The table at {@code level} (1 = page table, 2 = page directory, ...) covering {@code va}, created if absent. */
    private long[] table(long va, int level) throws BootException {
        long[] t = tables.get(root);
        for (int l = levels; l > level; l--) {
            int i = index(va, l);
            long e = t[i];
            if (e == 0) {
                long pa = newTable();
                t[i] = pa | PRESENT | WRITABLE;
                t = tables.get(pa);
            } else if ((e & HUGE) != 0) {
                throw new IllegalStateException("large page in the way at 0x" + Long.toHexString(va));
            } else {
                t = tables.get(e & ADDRESS_MASK);
            }
        }
        return t;
    }
}
