// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Where the bootloader put the framebuffer: a window of guest-physical address space in the PCI hole (not RAM) that
 * the emulator backs with host memory. The memory map lists it as FRAMEBUFFER, {@link #mappedBytes()} long, and
 * the HHDM maps it write-combining (PAT entry 5) in every base revision.
 *
 * @param physicalAddress first byte of pixel memory (4 KiB aligned, below 4 GiB)
 * @param width           pixels per row
 * @param height          rows
 * @param pitch           bytes per row
 * @param bpp             bits per pixel (32)
 * @param byteSize        {@code pitch * height}
 */
public record FramebufferPlan(long physicalAddress, int width, int height, int pitch, int bpp, long byteSize) {
    /** {@link #byteSize} rounded up to whole 4 KiB pages: what is mapped and listed in the memory map. */
    public long mappedBytes() {
        return (byteSize + PhysicalAllocator.PAGE - 1) & -PhysicalAllocator.PAGE;
    }
}
