// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.Optional;

/** Walks x86-64 page tables in guest RAM the way the MMU does (supervisor view; permissions ANDed down the walk). */
final class PageWalker {
    /** {@code patIndex}: the leaf's PAT/PCD/PWT bits as an index into IA32_PAT (0 = WB, 5 = WC with Limine's PAT). */
    record Translation(long physical, boolean writable, boolean executable, boolean user, long pageSize,
                       int patIndex) {
    }

    private final SparseMemory ram;
    private final long cr3;
    private final int levels;

    PageWalker(SparseMemory ram, long cr3, int levels) {
        this.ram = ram;
        this.cr3 = cr3;
        this.levels = levels;
    }

    Optional<Translation> translate(long va) {
        long table = cr3 & PageTables.ADDRESS_MASK;
        boolean writable = true;
        boolean executable = true;
        boolean user = true;
        for (int level = levels; level >= 1; level--) {
            int index = (int) ((va >>> (12 + 9 * (level - 1))) & 511);
            long e = ram.u64(table + 8L * index);
            if ((e & PageTables.PRESENT) == 0) {
                return Optional.empty();
            }
            writable &= (e & PageTables.WRITABLE) != 0;
            executable &= (e & PageTables.NO_EXECUTE) == 0;
            user &= (e & PageTables.USER) != 0;
            boolean leaf = level == 1 || (e & PageTables.HUGE) != 0;
            if (leaf) {
                if (level > 2) {
                    throw new AssertionError("1 GiB or larger page at level " + level + " for 0x" + Long.toHexString(va));
                }
                long size = 1L << (12 + 9 * (level - 1));
                long frame = e & PageTables.ADDRESS_MASK & -size;
                long patBit = level == 1 ? PageTables.PAT_4K : PageTables.PAT_2M;
                int pat = ((e & patBit) != 0 ? 4 : 0) | ((e & PageTables.CACHE_DISABLE) != 0 ? 2 : 0)
                        | ((e & PageTables.WRITE_THROUGH) != 0 ? 1 : 0);
                return Optional.of(new Translation(frame + (va & (size - 1)), writable, executable, user, size, pat));
            }
            table = e & PageTables.ADDRESS_MASK;
        }
        throw new AssertionError("unreachable");
    }

    boolean mapped(long va) {
        return translate(va).isPresent();
    }

    long physical(long va) {
        return translate(va).orElseThrow(() -> new AssertionError("not mapped: 0x" + Long.toHexString(va))).physical();
    }

    /** Entry {@code index} of the top-level table. */
    long topLevelEntry(int index) {
        return ram.u64((cr3 & PageTables.ADDRESS_MASK) + 8L * index);
    }
}
