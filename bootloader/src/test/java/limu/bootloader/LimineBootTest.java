// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LimineBootTest {
    private static final long PAGE = 4096;

    @Test
    void segmentsLandContiguouslyWithBssZeroed() throws Exception {
        TestKernel k = new TestKernel().bss(0x5000);
        long word = k.inData(0x1122334455667788L);
        Booted b = Booted.boot(k.build());
        BootPlan plan = b.plan();
        assertEquals(TestKernel.BASE, plan.kernelVirtualBase());
        assertEquals(0, plan.kernelPhysicalBase() % PAGE);
        // Top-down from the end of RAM: the kernel is the first allocation.
        assertTrue(plan.kernelPhysicalBase() > 32 * MIB, "kernel high in RAM");
        assertEquals(0xF4, b.ram().bytes(b.phys(TestKernel.ENTRY), 1)[0] & 0xFF);
        for (int i = 0; i < 0x40; i++) {
            assertEquals(i + 1, b.ram().bytes(b.phys(TestKernel.RODATA + i), 1)[0]);
        }
        assertEquals(0x1122334455667788L, b.u64AtVirtual(k.dataAddress(word)));
        // Padding after text/rodata and the BSS read zero although the RAM was filled with 0xAA.
        assertArrayEquals(new byte[(int) PAGE - 0x100], b.ram().bytes(b.phys(TestKernel.TEXT + 0x100), (int) PAGE - 0x100));
        long dataEnd = k.dataAddress(8);
        assertArrayEquals(new byte[0x5000], b.ram().bytes(b.phys(dataEnd), 0x5000));
        // The whole image is EXECUTABLE_AND_MODULES.
        for (long v = TestKernel.BASE; v < dataEnd + 0x5000; v += PAGE) {
            assertEquals(MemoryType.EXECUTABLE_AND_MODULES, b.typeAt(b.phys(v)));
        }
    }

    @Test
    void largeAlignmentIsHonouredPhysically() throws Exception {
        byte[] text = new byte[16];
        text[0] = (byte) 0xF4;
        byte[] elf = new ElfBuilder().entry(TestKernel.BASE + 0x200000)
                .load(TestKernel.BASE + 0x200000, "RX", text, 16, 0x200000)
                .load(TestKernel.BASE + 0x400000, "RW", new byte[8], 0x1000, 0x1000)
                .build();
        Booted b = Booted.boot(elf);
        assertEquals(0, b.plan().kernelPhysicalBase() % (2 * MIB));
        assertEquals(TestKernel.BASE + 0x200000, b.plan().kernelVirtualBase());
        assertEquals(0xF4, b.ram().bytes(b.plan().kernelPhysicalBase(), 1)[0] & 0xFF);
    }

    @Test
    void entryStateMatchesLimine() throws Exception {
        Booted b = Booted.boot(new TestKernel().build());
        CpuEntryState s = b.plan().bsp();
        long hhdm = 0xffff_8000_0000_0000L;
        assertEquals(hhdm, b.plan().hhdmOffset());
        assertEquals(TestKernel.ENTRY, s.rip());
        assertEquals(0, s.rdi());
        assertEquals(0x2, s.rflags());
        assertEquals(0x80010011L, s.control().cr0());
        assertEquals(0x20, s.control().cr4());
        assertEquals(0xd00, s.control().efer());
        assertEquals(0x0000010500070406L, s.control().pat());
        CpuEntryState.Segments seg = s.segments();
        assertEquals(0x28, seg.cs());
        for (int sel : new int[]{seg.ds(), seg.es(), seg.fs(), seg.gs(), seg.ss()}) {
            assertEquals(0x30, sel);
        }
        assertEquals(0, seg.fsBase());
        assertEquals(0, seg.gsBase());
        assertEquals(0, s.idtr().base());
        assertEquals(0, s.idtr().limit());
        assertEquals(0x37, s.gdtr().limit());
        long gdt = b.fromHhdm(s.gdtr().base());
        long[] expected = {0, 0x00009b000000ffffL, 0x000093000000ffffL, 0x00cf9b000000ffffL, 0x00cf93000000ffffL,
            0x00209b0000000000L, 0x0000930000000000L};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], b.ram().u64(gdt + 8L * i), "GDT entry " + i);
        }
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(gdt));
        // RSP: HHDM address of the stack top minus 8, a zero return address there, 8 mod 16 like after a call.
        assertEquals(8, s.rsp() & 15);
        long rsp = b.fromHhdm(s.rsp());
        assertEquals(0, b.ram().u64(rsp));
        long top = rsp + 8;
        for (long a = top - 64 * 1024; a < top; a += PAGE) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(a), "stack page 0x" + Long.toHexString(a));
        }
        // The GDT and the stack are reachable through the page tables the CPU starts with.
        PageWalker w = b.walker();
        assertEquals(gdt, w.physical(s.gdtr().base()));
        assertEquals(rsp, w.physical(s.rsp()));
        assertTrue(w.translate(s.rsp()).get().writable());
        assertEquals(b.phys(TestKernel.ENTRY), w.physical(s.rip()));
        assertEquals(0, s.control().cr3() % PAGE);
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(s.control().cr3()));
    }

    @Test
    void stackSizeRequestGrowsTheStackOnly() throws Exception {
        TestKernel big = new TestKernel();
        long bigReq = big.request(TestKernel.STACK_SIZE, 0, 256 * 1024);
        Booted b = Booted.boot(big.build());
        long top = b.fromHhdm(b.plan().bsp().rsp()) + 8;
        for (long a = top - 256 * 1024; a < top; a += PAGE) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(a));
        }
        long response = b.response(bigReq);
        assertEquals(0, b.ram().u64(response));
        assertTrue(b.plan().answeredRequests().contains("stack size"));

        TestKernel small = new TestKernel();
        small.request(TestKernel.STACK_SIZE, 0, 4096);
        Booted s = Booted.boot(small.build());
        long smallTop = s.fromHhdm(s.plan().bsp().rsp()) + 8;
        for (long a = smallTop - 64 * 1024; a < smallTop; a += PAGE) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, s.typeAt(a));
        }
    }

    @Test
    void absurdStackSizeIsAClearError() {
        TestKernel k = new TestKernel();
        k.request(TestKernel.STACK_SIZE, 0, 1L << 40);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(k.build()));
        assertTrue(e.getMessage().startsWith("kernel.elf: out of memory placing the stack"), e.getMessage());
    }

    @Test
    void memoryMapIsSortedAlignedAndDescribesEverything() throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        long memmapReq = k.request(TestKernel.MEMMAP, 0);
        long hhdmReq = k.request(TestKernel.HHDM, 0);
        long infoReq = k.request(TestKernel.BOOTLOADER_INFO, 0);
        Booted b = Booted.boot(k.build());
        List<MemoryMapEntry> map = b.plan().memoryMap();
        checkWellFormed(map);
        // Low memory as a BIOS PC reports it.
        assertEquals(new MemoryMapEntry(0x1000, 0x9e000, MemoryType.USABLE), map.get(0));
        assertEquals(new MemoryMapEntry(0x9fc00, 0x400, MemoryType.RESERVED), map.get(1));
        assertEquals(new MemoryMapEntry(0xf0000, 0x10000, MemoryType.RESERVED), map.get(2));
        // The first usable region of at least 4 MiB starts at 1 MiB (where the tutorial puts its heap).
        MemoryMapEntry firstBig = map.stream().filter(e -> e.type() == MemoryType.USABLE && e.length() >= 4 * MIB)
                .findFirst().orElseThrow();
        assertEquals(0x100000, firstBig.base());
        // Beyond the end of RAM only the framebuffer; everything above 1 MiB accounted for.
        MemoryMapEntry last = map.get(map.size() - 1);
        assertEquals(new MemoryMapEntry(0xfd00_0000L, 0x3e8000, MemoryType.FRAMEBUFFER), last);
        assertEquals(64 * MIB, map.get(map.size() - 2).end());
        long covered = 0;
        for (MemoryMapEntry e : map) {
            if (e.base() >= 0x100000 && e.type() != MemoryType.FRAMEBUFFER) {
                covered += e.length();
            }
        }
        assertEquals(63 * MIB, covered);
        // Page tables (every table reachable from CR3), responses and strings are BOOTLOADER_RECLAIMABLE.
        for (long table : tablesReachable(b)) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(table), "table 0x" + Long.toHexString(table));
        }
        for (long req : new long[]{memmapReq, hhdmReq, infoReq}) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(b.response(req)));
        }
        long info = b.response(infoReq);
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(b.fromHhdm(b.ram().u64(info + 8))));
        // The memory map response equals the plan's map and its storage is inside the map as BLR.
        long resp = b.response(memmapReq);
        assertEquals(0, b.ram().u64(resp));
        long count = b.ram().u64(resp + 8);
        assertEquals(map.size(), count);
        long pointers = b.fromHhdm(b.ram().u64(resp + 16));
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(pointers));
        for (int i = 0; i < count; i++) {
            long entry = b.fromHhdm(b.ram().u64(pointers + 8L * i));
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(entry));
            assertEquals(map.get(i).base(), b.ram().u64(entry));
            assertEquals(map.get(i).length(), b.ram().u64(entry + 8));
            assertEquals(map.get(i).type().value(), b.ram().u64(entry + 16));
        }
        // Everything placed sits just below the end of RAM: kernel first, then the ACPI tables, the FACS and
        // bootloader data.
        MemoryMapEntry kernel = map.stream().filter(e -> e.type() == MemoryType.EXECUTABLE_AND_MODULES)
                .findFirst().orElseThrow();
        assertEquals(b.plan().kernelPhysicalBase(), kernel.base());
        assertEquals(64 * MIB, kernel.end());
        assertEquals(new MemoryMapEntry(kernel.base() - PAGE, PAGE, MemoryType.ACPI_RECLAIMABLE),
                map.get(map.size() - 3));
        assertEquals(new MemoryMapEntry(kernel.base() - 2 * PAGE, PAGE, MemoryType.ACPI_NVS), map.get(map.size() - 4));
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, map.get(map.size() - 5).type());
        assertEquals(kernel.base() - 2 * PAGE, map.get(map.size() - 5).end());
    }

    @Test
    void memoryAboveThreeGibContinuesAtFourGib() throws Exception {
        TestKernel k = new TestKernel();
        k.request(TestKernel.MEMMAP, 0);
        Booted b = Booted.boot(k.build(), Booted.config(6 * GIB));
        List<MemoryMapEntry> map = b.plan().memoryMap();
        checkWellFormed(map);
        assertEquals(new MemoryMapEntry(4 * GIB, 3 * GIB, MemoryType.USABLE), map.get(map.size() - 1));
        assertEquals(new MemoryMapEntry(0xfd00_0000L, 0x3e8000, MemoryType.FRAMEBUFFER), map.get(map.size() - 2));
        MemoryMapEntry kernel = map.stream().filter(e -> e.type() == MemoryType.EXECUTABLE_AND_MODULES)
                .findFirst().orElseThrow();
        assertEquals(3 * GIB, kernel.end());
        for (MemoryMapEntry e : map) {
            if (e.type() != MemoryType.FRAMEBUFFER) {
                assertFalse(e.base() < 4 * GIB && e.end() > 3 * GIB, "only the framebuffer in the PCI hole: " + e);
            }
        }
    }

    @Test
    void everyResponseHasTheRightBytes() throws Exception {
        TestKernel k = new TestKernel();
        long info = k.request(TestKernel.BOOTLOADER_INFO, 0);
        long firmware = k.request(TestKernel.FIRMWARE_TYPE, 0);
        long hhdm = k.request(TestKernel.HHDM, 0);
        long paging = k.request(TestKernel.PAGING_MODE, 0, 0);
        long address = k.request(TestKernel.EXECUTABLE_ADDRESS, 0);
        long date = k.request(TestKernel.DATE_AT_BOOT, 0);
        long cmdline = k.request(TestKernel.EXECUTABLE_CMDLINE, 0);
        long efi = k.request(new long[]{0x5ceba5163eaaf6d6L, 0x0a6981610cf65fccL}, 0);
        long flanterm = k.request(new long[]{0x3259399fe7c5f126L, 0xe01c1c8c5db9d1a9L}, 0);
        long unknown = k.request(new long[]{0x1234, 0x5678}, 0);
        TestMachine cfg = new TestMachine(64 * MIB).cmdline("console=ttyS0 héllo").bootEpochSeconds(1_234_567_890L);
        Booted b = Booted.boot(k.build(), cfg);
        SparseMemory ram = b.ram();

        long r = b.response(info);
        assertEquals(0, ram.u64(r));
        assertEquals("limu", ram.cString(b.fromHhdm(ram.u64(r + 8))));
        assertEquals(LimineBoot.VERSION, ram.cString(b.fromHhdm(ram.u64(r + 16))));

        r = b.response(firmware);
        assertEquals(0, ram.u64(r));
        assertEquals(0, ram.u64(r + 8), "X86BIOS");

        r = b.response(hhdm);
        assertEquals(0xffff_8000_0000_0000L, ram.u64(r + 8));

        r = b.response(paging);
        assertEquals(0, ram.u64(r + 8), "4-level");

        r = b.response(address);
        assertEquals(b.plan().kernelPhysicalBase(), ram.u64(r + 8));
        assertEquals(TestKernel.BASE, ram.u64(r + 16));

        r = b.response(date);
        assertEquals(1_234_567_890L, ram.u64(r + 8));

        r = b.response(cmdline);
        assertEquals("console=ttyS0 héllo", ram.cString(b.fromHhdm(ram.u64(r + 8))));

        assertEquals(-1, b.response(efi));
        assertEquals(-1, b.response(flanterm));
        assertEquals(-1, b.response(unknown));
        assertEquals(List.of("paging mode", "bootloader info", "executable cmdline", "firmware type",
                "executable address", "HHDM", "date at boot"), b.plan().answeredRequests());
        List<String> ignored = b.plan().ignoredRequests();
        assertEquals(3, ignored.size());
        assertEquals("flanterm framebuffer parameters request at 0x" + Long.toHexString(flanterm)
                + " (not supported yet)", ignored.get(0));
        assertEquals("unknown request (id 0x1234, 0x5678) at 0x" + Long.toHexString(unknown), ignored.get(1));
        assertEquals("EFI system table request at 0x" + Long.toHexString(efi)
                + " (limu boots the kernel as a BIOS PC: there is no EFI)", ignored.get(2));
        // Every pointer in a response is reachable through the initial page tables.
        PageWalker w = b.walker();
        long infoResp = b.response(info);
        assertEquals(infoResp, w.physical(ram.u64(b.phys(info + 40))));
    }

    @Test
    void emptyCmdlineIsAnEmptyString() throws Exception {
        TestKernel k = new TestKernel();
        long cmdline = k.request(TestKernel.EXECUTABLE_CMDLINE, 0);
        Booted b = Booted.boot(k.build(), new TestMachine(64 * MIB));
        assertEquals("", b.ram().cString(b.fromHhdm(b.ram().u64(b.response(cmdline) + 8))));
    }

    @Test
    void pagingModeFollowsKernelAndMachine() throws Exception {
        // Asks 5-level, machine offers it: 5-level with the 5-level HHDM and LA57.
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.PAGING_MODE, 1, 1, 1, 0);
        long hhdm = k.request(TestKernel.HHDM, 0);
        Booted b = Booted.boot(k.build(), new TestMachine(64 * MIB).fiveLevelPaging(true));
        assertEquals(5, b.plan().pagingLevels());
        assertEquals(0xff00_0000_0000_0000L, b.plan().hhdmOffset());
        assertEquals(0x20 | 0x1000, b.plan().bsp().control().cr4());
        assertEquals(1, b.ram().u64(b.response(req) + 8));
        assertEquals(0xff00_0000_0000_0000L, b.ram().u64(b.response(hhdm) + 8));
        PageWalker w = b.walker();
        assertEquals(b.phys(TestKernel.ENTRY), w.physical(TestKernel.ENTRY));
        assertEquals(0x100000, w.physical(0xff00_0000_0010_0000L));

        // Same kernel, machine without LA57: 4-level.
        Booted four = Booted.boot(k.build(), new TestMachine(64 * MIB));
        assertEquals(4, four.plan().pagingLevels());
        assertEquals(0, four.ram().u64(four.response(req) + 8));
        assertEquals(0x20, four.plan().bsp().control().cr4());

        // Revision 0 request asking 5-level: max is the asked mode.
        TestKernel r0 = new TestKernel();
        r0.request(TestKernel.PAGING_MODE, 0, 1);
        assertEquals(5, Booted.boot(r0.build(), new TestMachine(64 * MIB).fiveLevelPaging(true)).plan().pagingLevels());

        // No request: 4-level even if 5-level is available.
        assertEquals(4, Booted.boot(new TestKernel().build(), new TestMachine(64 * MIB).fiveLevelPaging(true))
                .plan().pagingLevels());

        // Kernel insists on 5-level (min_mode 1) on a 4-level machine.
        TestKernel needs5 = new TestKernel();
        needs5.request(TestKernel.PAGING_MODE, 1, 1, 1, 1);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(needs5.build()));
        assertEquals("kernel.elf: paging mode request: the kernel needs 5-level paging (min_mode 1) but the machine"
                + " offers at most 4-level paging (enable 5-level paging)", e.getMessage());

        TestKernel inverted = new TestKernel();
        inverted.request(TestKernel.PAGING_MODE, 1, 0, 0, 1);
        e = assertThrows(BootException.class, () -> Booted.boot(inverted.build()));
        assertEquals("kernel.elf: paging mode request: max_mode 0 is lower than min_mode 1", e.getMessage());
    }

    @Test
    void imageLargerThanRamIsRejected() {
        byte[] elf = new ElfBuilder().entry(TestKernel.BASE)
                .load(TestKernel.BASE, "RX", new byte[16], 100 * MIB).build();
        BootException e = assertThrows(BootException.class, () -> Booted.boot(elf));
        assertTrue(e.getMessage().startsWith("kernel.elf: the kernel image spans 0x6400000 bytes"), e.getMessage());
        assertTrue(e.getMessage().endsWith("give the machine more memory"), e.getMessage());
    }

    @Test
    void badMemorySizesAreRejected() {
        BootException e = assertThrows(BootException.class,
                () -> LimineBoot.load(new TestKernel().build(), "kernel.elf", Booted.config(16 * MIB), BootVolume.NONE,
                        new SparseMemory(List.of(new RamRegion(0, 16 * MIB)), 0)));
        assertEquals("memory size 16 MiB is too small: limu needs at least 32 MiB", e.getMessage());
    }

    /** Sorted, non-overlapping, USABLE and BLR page-aligned, no zero-length entries, adjacent same types merged. */
    static void checkWellFormed(List<MemoryMapEntry> map) {
        assertFalse(map.isEmpty());
        for (int i = 0; i < map.size(); i++) {
            MemoryMapEntry e = map.get(i);
            assertTrue(e.length() > 0, e.toString());
            if (e.type() == MemoryType.USABLE || e.type() == MemoryType.BOOTLOADER_RECLAIMABLE) {
                assertEquals(0, e.base() % PAGE, e.toString());
                assertEquals(0, e.length() % PAGE, e.toString());
            }
            if (i > 0) {
                MemoryMapEntry prev = map.get(i - 1);
                assertTrue(prev.end() <= e.base(), prev + " overlaps " + e);
                assertFalse(prev.end() == e.base() && prev.type() == e.type(), "unmerged " + prev + " " + e);
            }
        }
    }

    /** Physical addresses of every page table reachable from CR3. */
    static List<Long> tablesReachable(Booted b) {
        List<Long> out = new ArrayList<>();
        collect(b.ram(), b.plan().bsp().control().cr3() & PageTables.ADDRESS_MASK, b.plan().pagingLevels(), out);
        return out;
    }

    private static void collect(SparseMemory ram, long table, int level, List<Long> out) {
        out.add(table);
        if (level == 1) {
            return;
        }
        for (int i = 0; i < 512; i++) {
            long e = ram.u64(table + 8L * i);
            if ((e & PageTables.PRESENT) != 0 && (e & PageTables.HUGE) == 0) {
                collect(ram, e & PageTables.ADDRESS_MASK, level - 1, out);
            }
        }
    }
}
