// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PageTablesTest {
    private static final long HHDM = 0xffff_8000_0000_0000L;
    private static final long LAPIC = 0xfee0_0000L;

    private static Booted bootRevision(int revision, long memory) throws BootException {
        TestKernel k = new TestKernel().bss(0x2000);
        k.baseRevision(revision);
        k.request(TestKernel.MEMMAP, 0);
        return Booted.boot(k.build(), Booted.config(memory));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void kernelSegmentsHaveTheirPermissions(int revision) throws Exception {
        Booted b = bootRevision(revision, 64 * MIB);
        assertEquals(revision, b.plan().baseRevision());
        PageWalker w = b.walker();
        PageWalker.Translation text = w.translate(TestKernel.TEXT).orElseThrow();
        assertEquals(b.phys(TestKernel.TEXT), text.physical());
        assertFalse(text.writable());
        assertTrue(text.executable());
        assertFalse(text.user());
        assertEquals(4096, text.pageSize());

        PageWalker.Translation rodata = w.translate(TestKernel.RODATA + 0x10).orElseThrow();
        assertEquals(b.phys(TestKernel.RODATA + 0x10), rodata.physical());
        assertFalse(rodata.writable());
        assertFalse(rodata.executable());

        for (long v = TestKernel.DATA; v < TestKernel.DATA + 0x3000; v += 0x1000) {
            PageWalker.Translation data = w.translate(v).orElseThrow();
            assertEquals(b.phys(v), data.physical());
            assertTrue(data.writable());
            assertFalse(data.executable());
            assertFalse(data.user());
        }
        // Nothing past the image; the whole kernel lives under top-level entry 511.
        assertFalse(w.mapped(TestKernel.DATA + 0x3000));
        assertFalse(w.mapped(TestKernel.BASE - 0x1000));
        for (int i = 257; i < 511; i++) {
            assertEquals(0, w.topLevelEntry(i), "top-level entry " + i);
        }
    }

    @Test
    void revision0IdentityMapsLowFourGibAndHhdmEverything() throws Exception {
        Booted b = bootRevision(0, 6 * GIB);
        PageWalker w = b.walker();
        assertFalse(w.mapped(0), "page 0 is not identity mapped");
        assertEquals(0x1000, w.physical(0x1000));
        PageWalker.Translation low = w.translate(0x1000).orElseThrow();
        assertTrue(low.writable());
        assertTrue(low.executable());
        assertEquals(4096, low.pageSize());
        assertEquals(LAPIC, w.physical(LAPIC));
        assertEquals(2 * MIB, w.translate(LAPIC).orElseThrow().pageSize());
        assertEquals(4 * GIB - 8, w.physical(4 * GIB - 8));
        assertEquals(5 * GIB, w.physical(5 * GIB), "memory map regions above 4 GiB identity mapped too");
        assertFalse(w.mapped(7 * GIB));
        assertEquals(0, w.physical(HHDM));
        assertEquals(LAPIC, w.physical(HHDM + LAPIC));
        assertEquals(7 * GIB - 1, w.physical(HHDM + 7 * GIB - 1));
        assertFalse(w.mapped(HHDM + 7 * GIB));
        assertFalse(w.mapped(8 * GIB));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void revisions1And2MapFourGibAndRamAboveThroughHhdmOnly(int revision) throws Exception {
        Booted b = bootRevision(revision, 6 * GIB);
        PageWalker w = b.walker();
        for (int i = 0; i < 256; i++) {
            assertEquals(0, w.topLevelEntry(i), "lower half entry " + i);
        }
        assertEquals(0, w.physical(HHDM));
        assertEquals(0x9fc00, w.physical(HHDM + 0x9fc00), "RESERVED below 4 GiB is in the fixed 4 GiB map");
        assertEquals(LAPIC, w.physical(HHDM + LAPIC));
        PageWalker.Translation t = w.translate(HHDM + LAPIC).orElseThrow();
        assertTrue(t.writable());
        assertTrue(t.executable());
        assertFalse(t.user());
        assertEquals(2 * MIB, t.pageSize());
        assertEquals(4 * GIB + 123, w.physical(HHDM + 4 * GIB + 123));
        assertEquals(7 * GIB - 8, w.physical(HHDM + 7 * GIB - 8));
        assertFalse(w.mapped(HHDM + 7 * GIB));
    }

    @Test
    void revision3MapsOnlyUsableReclaimableKernelAndFramebuffer() throws Exception {
        Booted b = bootRevision(3, 6 * GIB);
        PageWalker w = b.walker();
        for (int i = 0; i < 256; i++) {
            assertEquals(0, w.topLevelEntry(i), "lower half entry " + i);
        }
        assertFalse(w.mapped(HHDM), "page 0 is not in the memory map");
        assertEquals(0x1000, w.physical(HHDM + 0x1000));
        assertEquals(0x9e000, w.physical(HHDM + 0x9e000));
        assertFalse(w.mapped(HHDM + 0x9f000), "not in the memory map");
        assertFalse(w.mapped(HHDM + 0x9fc00), "RESERVED");
        assertFalse(w.mapped(HHDM + 0xa0000), "VGA hole");
        assertFalse(w.mapped(HHDM + 0xf0000), "RESERVED");
        assertEquals(0x100000, w.physical(HHDM + 0x100000));
        assertEquals(2 * MIB, w.translate(HHDM + 2 * MIB).orElseThrow().pageSize());
        assertEquals(b.plan().kernelPhysicalBase(), w.physical(HHDM + b.plan().kernelPhysicalBase()));
        assertEquals(3 * GIB - 8, w.physical(HHDM + 3 * GIB - 8));
        assertFalse(w.mapped(HHDM + 3 * GIB), "PCI hole");
        assertFalse(w.mapped(HHDM + LAPIC), "MMIO is not in the rev-3 HHDM");
        assertEquals(4 * GIB, w.physical(HHDM + 4 * GIB));
        assertEquals(7 * GIB - 1, w.physical(HHDM + 7 * GIB - 1));
        assertFalse(w.mapped(HHDM + 7 * GIB));
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5})
    void revisions4And5AlsoMapAcpiAndReservedMapped(int revision) throws Exception {
        Booted b = bootRevision(revision, 6 * GIB);
        PageWalker w = b.walker();
        for (int i = 0; i < 256; i++) {
            assertEquals(0, w.topLevelEntry(i), "lower half entry " + i);
        }
        int acpi = 0;
        for (MemoryMapEntry e : b.plan().memoryMap()) {
            boolean mapped = switch (e.type()) {
                case USABLE, BOOTLOADER_RECLAIMABLE, EXECUTABLE_AND_MODULES, FRAMEBUFFER, ACPI_RECLAIMABLE, ACPI_NVS,
                    RESERVED_MAPPED -> true;
                default -> false;
            };
            for (long a : new long[]{e.base(), e.end() - 1}) {
                assertEquals(mapped, w.mapped(HHDM + a), e.toString());
                if (mapped) {
                    assertEquals(a, w.physical(HHDM + a));
                }
            }
            if (e.type() == MemoryType.ACPI_RECLAIMABLE || e.type() == MemoryType.ACPI_NVS
                    || e.type() == MemoryType.RESERVED_MAPPED) {
                acpi++;
                assertEquals(0, w.translate(HHDM + e.base()).orElseThrow().patIndex(), "write-back");
            }
        }
        assertEquals(3, acpi, "ACPI tables, FACS, BIOS-area page");
        assertEquals(new MemoryMapEntry(0xf0000, 0x1000, MemoryType.RESERVED_MAPPED),
                b.plan().memoryMap().stream().filter(e -> e.base() == 0xf0000).findFirst().orElseThrow());
        assertEquals(new MemoryMapEntry(0xf1000, 0xf000, MemoryType.RESERVED),
                b.plan().memoryMap().stream().filter(e -> e.base() == 0xf1000).findFirst().orElseThrow());
        assertFalse(w.mapped(HHDM + 0x9fc00), "RESERVED");
        assertFalse(w.mapped(HHDM + 0xf1000), "RESERVED");
        assertFalse(w.mapped(HHDM + LAPIC), "MMIO");
        assertEquals(7 * GIB - 1, w.physical(HHDM + 7 * GIB - 1));
        LimineBootTest.checkWellFormed(b.plan().memoryMap());
    }

    @Test
    void revision3DoesNotMapAcpiMemory() throws Exception {
        Booted b = bootRevision(3, 64 * MIB);
        PageWalker w = b.walker();
        for (MemoryMapEntry e : b.plan().memoryMap()) {
            if (e.type() == MemoryType.ACPI_RECLAIMABLE || e.type() == MemoryType.ACPI_NVS) {
                assertFalse(w.mapped(HHDM + e.base()), e.toString());
            }
            assertTrue(e.type() != MemoryType.RESERVED_MAPPED, "no type 8 before revision 4");
        }
    }

    @Test
    void revision3MapsRegionsRoundedOutToPages() {
        var regions = BootAddressSpace.directMapRegions(3, java.util.List.of(
                new MemoryMapEntry(0x1000, 0x9e000, MemoryType.USABLE),
                new MemoryMapEntry(0x9fc00, 0x400, MemoryType.RESERVED),
                new MemoryMapEntry(0xe0000800L, 0x1000, MemoryType.FRAMEBUFFER),
                new MemoryMapEntry(0xf0000000L, 0x1000, MemoryType.ACPI_RECLAIMABLE)));
        assertEquals(1, regions.size());
        assertEquals(0x1000, regions.get(0)[0]);
        assertEquals(0x9f000, regions.get(0)[1]);
        var framebuffers = BootAddressSpace.framebufferRegions(java.util.List.of(
                new MemoryMapEntry(0xe0000800L, 0x1000, MemoryType.FRAMEBUFFER)));
        assertEquals(1, framebuffers.size());
        assertEquals(0xe0000000L, framebuffers.get(0)[0]);
        assertEquals(0xe0002000L, framebuffers.get(0)[1]);
    }

    @Test
    void revisions1And2SkipReservedAndBadMemoryAboveFourGib() {
        var map = java.util.List.of(
                new MemoryMapEntry(0x100000, 0x100000, MemoryType.USABLE),
                new MemoryMapEntry(5 * GIB, 0x1000, MemoryType.RESERVED),
                new MemoryMapEntry(6 * GIB, 0x1000, MemoryType.BAD_MEMORY),
                new MemoryMapEntry(7 * GIB, 0x1000, MemoryType.ACPI_NVS));
        for (int revision : new int[]{1, 2}) {
            var regions = BootAddressSpace.directMapRegions(revision, map);
            assertEquals(1, regions.size());
            assertEquals(7 * GIB, regions.get(0)[0]);
        }
        assertEquals(3, BootAddressSpace.directMapRegions(0, map).size());
    }

    @Test
    void sharedPageGetsTheUnionOfPermissions() throws Exception {
        byte[] code = new byte[0x10];
        code[0] = (byte) 0xF4;
        byte[] elf = new ElfBuilder().entry(TestKernel.BASE)
                .load(TestKernel.BASE, "RX", code, 0x10)
                .load(TestKernel.BASE + 0x800, "RW", new byte[8], 8)
                .build();
        Booted b = Booted.boot(elf);
        Optional<PageWalker.Translation> t = b.walker().translate(TestKernel.BASE);
        assertTrue(t.orElseThrow().writable());
        assertTrue(t.orElseThrow().executable());
    }

    @Test
    void largestMachineIsMappedToTheTop() throws Exception {
        Booted b = bootRevision(1, 512 * GIB);
        PageWalker w = b.walker();
        assertEquals(513 * GIB - 8, w.physical(HHDM + 513 * GIB - 8));
        assertFalse(w.mapped(HHDM + 513 * GIB));
        LimineBootTest.checkWellFormed(b.plan().memoryMap());
        for (long table : LimineBootTest.tablesReachable(b)) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(table));
            assertTrue(w.mapped(HHDM + table), "tables are HHDM-reachable");
        }
    }

    @Test
    void fiveLevelRevision3() throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        k.request(TestKernel.PAGING_MODE, 1, 1, 1, 0);
        Booted b = Booted.boot(k.build(), new TestMachine(6 * GIB).fiveLevelPaging(true));
        assertEquals(5, b.plan().pagingLevels());
        long hhdm = 0xff00_0000_0000_0000L;
        PageWalker w = b.walker();
        for (int i = 0; i < 256; i++) {
            assertEquals(0, w.topLevelEntry(i), "lower half entry " + i);
        }
        assertEquals(b.phys(TestKernel.ENTRY), w.physical(TestKernel.ENTRY));
        assertTrue(w.translate(TestKernel.ENTRY).orElseThrow().executable());
        assertEquals(0x100000, w.physical(hhdm + 0x100000));
        assertEquals(6 * GIB, w.physical(hhdm + 6 * GIB));
        assertFalse(w.mapped(hhdm + LAPIC));
        assertFalse(w.mapped(HHDM), "no 4-level HHDM");
        for (long table : LimineBootTest.tablesReachable(b)) {
            assertTrue(w.mapped(hhdm + table), "tables are HHDM-reachable");
        }
    }
}
