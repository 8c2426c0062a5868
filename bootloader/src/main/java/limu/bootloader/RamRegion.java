// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** A guest-physical range backed by RAM: {@code [base, base + length)}. */
public record RamRegion(long base, long length) {
    public RamRegion {
        if (length <= 0 || base < 0 || base + length < base) {
            throw new IllegalArgumentException("bad RAM region 0x" + Long.toHexString(base) + "+0x" + Long.toHexString(length));
        }
    }

    public long end() {
        return base + length;
    }
}
