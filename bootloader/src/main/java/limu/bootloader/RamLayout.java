// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;

/**
 * Where guest RAM sits in the physical address space: like a PC, the first
 * 3 GiB of RAM start at physical 0 and the rest continues at 4 GiB, leaving
 * 3–4 GiB for MMIO (LAPIC, IOAPIC, HPET, PCI BARs, firmware ROM).
 * <p>
 * Accepted sizes: at least 32 MiB (enough for a small kernel, its page tables and
 * the 4 MiB heap the tutorial carves from the first usable region), a multiple of
 * 2 MiB (so every region ends on a large-page boundary), at most 512 GiB (the
 * top of RAM then stays below 2^40, the smallest MAXPHYADDR of a common
 * x86-64 CPU and QEMU's default).
 */
public final class RamLayout {
    public static final long MIN_BYTES = 32L << 20;
    public static final long MAX_BYTES = 512L << 30;
    public static final long GRANULE = 2L << 20;
    /** RAM below the PCI hole ends here at most. */
    public static final long LOW_RAM_LIMIT = 3L << 30;
    /** RAM beyond {@link #LOW_RAM_LIMIT} continues here. */
    public static final long HIGH_RAM_BASE = 4L << 30;

    private RamLayout() {
    }

    /** The RAM regions of a machine with {@code bytes} of memory, lowest first. */
    public static List<RamRegion> forSize(long bytes) throws BootException {
        if (bytes < MIN_BYTES) {
            throw new BootException("memory size " + describe(bytes) + " is too small: limu needs at least 32 MiB");
        }
        if (bytes > MAX_BYTES) {
            throw new BootException("memory size " + describe(bytes) + " is too large: limu supports at most 512 GiB");
        }
        if (bytes % GRANULE != 0) {
            throw new BootException("memory size " + describe(bytes) + " is not a multiple of 2 MiB");
        }
        if (bytes <= LOW_RAM_LIMIT) {
            return List.of(new RamRegion(0, bytes));
        }
        return List.of(new RamRegion(0, LOW_RAM_LIMIT), new RamRegion(HIGH_RAM_BASE, bytes - LOW_RAM_LIMIT));
    }

    static String describe(long bytes) {
        if (bytes < 0) {
            return "0x" + Long.toHexString(bytes);
        }
        if (bytes % (1L << 30) == 0 && bytes != 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes % (1L << 20) == 0 && bytes != 0) {
            return (bytes >> 20) + " MiB";
        }
        return bytes + " bytes";
    }
}
