// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Guest-physical bytes {@code base} .. {@code base + size - 1}. */
public record MmioRange(long base, long size) {
    public MmioRange {
        if (base < 0 || size <= 0 || base + size < base) {
            throw new IllegalArgumentException(String.format("bad MMIO range 0x%x+0x%x", base, size));
        }
    }

    /** The last byte of the range. */
    public long last() {
        return base + size - 1;
    }

    public boolean contains(long address) {
        return address >= base && address - base < size;
    }

    public boolean overlaps(MmioRange other) {
        return base <= other.last() && other.base <= last();
    }

    @Override
    public String toString() {
        return String.format("0x%x-0x%x", base, last());
    }
}
