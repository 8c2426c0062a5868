// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Guest RAM as the emulator sees it, addressed by guest-physical address. The
 * bootloader only ever touches the ranges {@link RamLayout#forSize} returns.
 */
public interface PhysicalMemory {
    void write(long paddr, byte[] src, int off, int len);

    void read(long paddr, byte[] dst, int off, int len);
}
