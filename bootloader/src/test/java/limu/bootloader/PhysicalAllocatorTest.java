// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PhysicalAllocatorTest {
    private static PhysicalAllocator allocator(long memory) throws BootException {
        return new PhysicalAllocator("kernel.elf", RamLayout.forSize(memory));
    }

    @Test
    void allocatesTopDownWithTypesAndAlignment() throws Exception {
        PhysicalAllocator a = allocator(64 * MIB);
        long kernel = a.allocatePages(0x3000, 2 * MIB, MemoryType.EXECUTABLE_AND_MODULES, "kernel");
        assertEquals(62 * MIB, kernel);
        long acpi = a.allocatePages(0x1800, 0x1000, MemoryType.ACPI_RECLAIMABLE, "ACPI tables");
        assertEquals(62 * MIB - 0x2000, acpi);
        long small = a.allocateBytes(24, 16, "response");
        long next = a.allocateBytes(10, 16, "response");
        assertEquals(small + 32, next, "small objects share a page");
        long congruent = a.allocatePages(0x1000, 2 * MIB, 0x5000, MemoryType.BOOTLOADER_RECLAIMABLE, "x");
        assertEquals(0x5000, congruent % (2 * MIB));
        List<MemoryMapEntry> map = a.memoryMap();
        LimineBootTest.checkWellFormed(map);
        // The slack above the 2 MiB-aligned block stays usable.
        assertEquals(new MemoryMapEntry(62 * MIB + 0x3000, 2 * MIB - 0x3000, MemoryType.USABLE), map.get(map.size() - 1));
        assertEquals(new MemoryMapEntry(62 * MIB, 0x3000, MemoryType.EXECUTABLE_AND_MODULES), map.get(map.size() - 2));
        assertEquals(new MemoryMapEntry(62 * MIB - 0x2000, 0x2000, MemoryType.ACPI_RECLAIMABLE), map.get(map.size() - 3));
    }

    @Test
    void fixedClaimsAppearInTheMapEvenOutsideRam() throws Exception {
        PhysicalAllocator a = allocator(4 * GIB);
        a.claim(0xfd00_0000L, 0x3e8000, MemoryType.FRAMEBUFFER);
        List<MemoryMapEntry> map = a.memoryMap();
        assertTrue(map.contains(new MemoryMapEntry(0xfd00_0000L, 0x3e8000, MemoryType.FRAMEBUFFER)), map.toString());
        assertEquals(new MemoryMapEntry(4 * GIB, 1 * GIB, MemoryType.USABLE), map.get(map.size() - 1));
        assertThrows(IllegalArgumentException.class, () -> a.claim(0xfd10_0000L, 0x1000, MemoryType.RESERVED));
        // Every HHDM maps the framebuffer, on its own (write-combining) and not among the write-back regions.
        List<long[]> regions = BootAddressSpace.framebufferRegions(map);
        assertTrue(regions.stream().anyMatch(r -> r[0] == 0xfd00_0000L && r[1] == 0xfd3e_8000L));
        assertTrue(BootAddressSpace.directMapRegions(3, map).stream().noneMatch(r -> r[1] > 0xfd00_0000L
                && r[0] < 0xfd3e_8000L));
    }

    @Test
    void runningOutIsAClearError() throws Exception {
        PhysicalAllocator a = allocator(32 * MIB);
        BootException e = assertThrows(BootException.class,
                () -> a.allocatePages(32 * MIB, 0x1000, MemoryType.BOOTLOADER_RECLAIMABLE, "the stack"));
        assertEquals("kernel.elf: out of memory placing the stack (0x2000000 bytes; 0x1f00000 bytes left between 1 MiB"
                + " and 0x2000000); give the machine more memory", e.getMessage());
        a.allocatePages(31 * MIB, 0x1000, MemoryType.BOOTLOADER_RECLAIMABLE, "all of it");
        assertThrows(BootException.class, () -> a.allocateBytes(8, 8, "one more"));
    }
}
