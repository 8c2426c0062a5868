// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** One {@code limine_memmap_entry}: {@code [base, base + length)} of {@code type}. */
public record MemoryMapEntry(long base, long length, MemoryType type) {
    public long end() {
        return base + length;
    }

    @Override
    public String toString() {
        return String.format("0x%016x+0x%x %s", base, length, type);
    }
}
