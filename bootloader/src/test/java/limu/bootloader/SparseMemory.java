// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Guest RAM as a map of 4 KiB pages, so tests can use 4+ GiB machines. Unwritten
 * bytes read as {@code fill} (non-zero fills catch missing zeroing). Every access
 * must lie inside the RAM regions, as the bootloader promises.
 */
final class SparseMemory implements PhysicalMemory {
    private static final int PAGE = 4096;

    private final List<RamRegion> ram;
    private final byte fill;
    private final Map<Long, byte[]> pages = new HashMap<>();

    SparseMemory(List<RamRegion> ram, int fill) {
        this.ram = ram;
        this.fill = (byte) fill;
    }

    static SparseMemory of(long bytes) throws BootException {
        return new SparseMemory(RamLayout.forSize(bytes), 0);
    }

    static SparseMemory filled(long bytes, int fill) throws BootException {
        return new SparseMemory(RamLayout.forSize(bytes), fill);
    }

    private void check(long paddr, int len) {
        for (RamRegion r : ram) {
            if (paddr >= r.base() && paddr + len <= r.end()) {
                return;
            }
        }
        throw new AssertionError("access outside RAM: 0x" + Long.toHexString(paddr) + "+0x" + Integer.toHexString(len));
    }

    @Override
    public void write(long paddr, byte[] src, int off, int len) {
        check(paddr, len);
        for (int i = 0; i < len; ) {
            long a = paddr + i;
            int inPage = (int) (a & (PAGE - 1));
            int n = Math.min(len - i, PAGE - inPage);
            byte[] page = pages.get(a & -PAGE);
            if (page == null) {
                page = new byte[PAGE];
                Arrays.fill(page, fill);
                pages.put(a & -PAGE, page);
            }
            System.arraycopy(src, off + i, page, inPage, n);
            i += n;
        }
    }

    @Override
    public void read(long paddr, byte[] dst, int off, int len) {
        check(paddr, len);
        for (int i = 0; i < len; ) {
            long a = paddr + i;
            int inPage = (int) (a & (PAGE - 1));
            int n = Math.min(len - i, PAGE - inPage);
            byte[] page = pages.get(a & -PAGE);
            if (page == null) {
                Arrays.fill(dst, off + i, off + i + n, fill);
            } else {
                System.arraycopy(page, inPage, dst, off + i, n);
            }
            i += n;
        }
    }

    byte[] bytes(long paddr, int len) {
        byte[] b = new byte[len];
        read(paddr, b, 0, len);
        return b;
    }

    long u64(long paddr) {
        return LittleEndian.u64(bytes(paddr, 8), 0);
    }

    /** The NUL-terminated string at {@code paddr}. */
    String cString(long paddr) {
        StringBuilder sb = new StringBuilder();
        byte[] b = new byte[1];
        for (long a = paddr; ; a++) {
            read(a, b, 0, 1);
            if (b[0] == 0) {
                return new String(sb.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
            sb.append((char) (b[0] & 0xFF));
        }
    }

    /** Physical addresses of the 4 KiB pages written so far, ascending. */
    java.util.List<Long> writtenPages() {
        return pages.keySet().stream().sorted().toList();
    }

    boolean touched(long paddr) {
        return pages.containsKey(paddr & -PAGE);
    }
}
