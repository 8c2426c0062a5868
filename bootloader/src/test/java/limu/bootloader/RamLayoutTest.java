// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RamLayoutTest {
    @Test
    void lowMemoryOnly() throws Exception {
        assertEquals(List.of(new RamRegion(0, 64 * MIB)), RamLayout.forSize(64 * MIB));
        assertEquals(List.of(new RamRegion(0, 32 * MIB)), RamLayout.forSize(32 * MIB));
        assertEquals(List.of(new RamRegion(0, 3 * GIB)), RamLayout.forSize(3 * GIB));
    }

    @Test
    void beyondThreeGibContinuesAtFourGib() throws Exception {
        assertEquals(List.of(new RamRegion(0, 3 * GIB), new RamRegion(4 * GIB, 2 * MIB)),
                RamLayout.forSize(3 * GIB + 2 * MIB));
        assertEquals(List.of(new RamRegion(0, 3 * GIB), new RamRegion(4 * GIB, 5 * GIB)),
                RamLayout.forSize(8 * GIB));
        assertEquals(List.of(new RamRegion(0, 3 * GIB), new RamRegion(4 * GIB, 509 * GIB)),
                RamLayout.forSize(512 * GIB));
    }

    @Test
    void badSizes() {
        assertEquals("memory size 30 MiB is too small: limu needs at least 32 MiB",
                assertThrows(BootException.class, () -> RamLayout.forSize(30 * MIB)).getMessage());
        assertEquals("memory size 33 MiB is not a multiple of 2 MiB",
                assertThrows(BootException.class, () -> RamLayout.forSize(33 * MIB)).getMessage());
        assertEquals("memory size 1024 GiB is too large: limu supports at most 512 GiB",
                assertThrows(BootException.class, () -> RamLayout.forSize(1024 * GIB)).getMessage());
        assertEquals("memory size 0x8000000000000000 is too small: limu needs at least 32 MiB",
                assertThrows(BootException.class, () -> RamLayout.forSize(Long.MIN_VALUE)).getMessage());
        assertEquals("memory size 33554433 bytes is not a multiple of 2 MiB",
                assertThrows(BootException.class, () -> RamLayout.forSize(32 * MIB + 1)).getMessage());
    }
}
