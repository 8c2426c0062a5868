// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RSDP, SMBIOS, Entry Point, Bootloader Performance, Keep IOMMU and the requests a BIOS PC cannot answer. */
class FirmwareRequestsTest {
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void rsdpIsPhysicalInRevisionThreeOnly(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        long req = k.request(TestKernel.RSDP, 0);
        Booted b = Booted.boot(k.build());
        long address = b.ram().u64(b.response(req) + 8);
        long expected = revision == 3 ? 0xF0000 : b.plan().hhdmOffset() + 0xF0000;
        assertEquals(expected, address);
        if (revision != 3) {
            assertEquals(0xF0000, b.walker().physical(address), "the HHDM reaches it");
        }
        AcpiReader.checkRsdp(b.ram().bytes(0xF0000, 36));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void smbiosIsPhysicalInRevisionsThreeAndFour(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        long req = k.request(TestKernel.SMBIOS, 0);
        Booted b = Booted.boot(k.build());
        long r = b.response(req);
        long e32 = b.ram().u64(r + 8);
        long e64 = b.ram().u64(r + 16);
        boolean physical = revision == 3 || revision == 4;
        long hhdm = physical ? 0 : b.plan().hhdmOffset();
        assertEquals(hhdm + 0xF0040, e32);
        assertEquals(hhdm + 0xF0060, e64);
        if (!physical) {
            PageWalker w = b.walker();
            assertEquals(0xF0040, w.physical(e32));
            long table = LittleEndian.u32(b.ram().bytes(0xF0040 + 0x18, 4), 0);
            assertEquals(table, w.physical(hhdm + table), "the structure table too");
        }
        if (revision >= 5) {
            assertEquals(MemoryType.RESERVED_MAPPED, b.typeAt(0xF0040));
            assertEquals(MemoryType.RESERVED_MAPPED, b.typeAt(0xF0080));
        }
    }

    @Test
    void entryPointRequestMovesTheBsp() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.ENTRY_POINT, 0, TestKernel.TEXT + 0x40);
        Booted b = Booted.boot(k.build());
        assertEquals(TestKernel.TEXT + 0x40, b.plan().bsp().rip());
        assertEquals(0, b.ram().u64(b.response(req)));

        TestKernel bad = new TestKernel();
        long badReq = bad.request(TestKernel.ENTRY_POINT, 0, TestKernel.RODATA);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(bad.build()));
        assertEquals("kernel.elf: entry point request at 0x" + Long.toHexString(badReq) + " asks to start at 0x"
                + Long.toHexString(TestKernel.RODATA) + ", which is not in an executable segment of the kernel",
                e.getMessage());
        TestKernel nul = new TestKernel();
        nul.request(TestKernel.ENTRY_POINT, 0, 0);
        assertThrows(BootException.class, () -> Booted.boot(nul.build()));
    }

    @Test
    void bootloaderPerformanceReportsTheConfiguredTimes() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.BOOTLOADER_PERFORMANCE, 0);
        Booted b = Booted.boot(k.build(), Booted.config(64 * MIB).bootloaderTimes(new BootloaderTimes(5, 70, 900)));
        long r = b.response(req);
        assertEquals(0, b.ram().u64(r));
        assertEquals(5, b.ram().u64(r + 8));
        assertEquals(70, b.ram().u64(r + 16));
        assertEquals(900, b.ram().u64(r + 24));
        Booted d = Booted.boot(k.build());
        assertEquals(100_000, d.ram().u64(d.response(req) + 16), "default init_usec");
    }

    @Test
    void efiAndDeviceTreeStayUnansweredKeepIommuIsHonoured() throws Exception {
        TestKernel k = new TestKernel();
        long st = k.request(TestKernel.EFI_SYSTEM_TABLE, 0);
        long mm = k.request(TestKernel.EFI_MEMMAP, 0);
        long dtb = k.request(TestKernel.DTB, 0);
        long iommu = k.request(TestKernel.KEEP_IOMMU, 0);
        Booted b = Booted.boot(k.build());
        assertEquals(-1, b.response(st));
        assertEquals(-1, b.response(mm));
        assertEquals(-1, b.response(dtb));
        assertEquals(0, b.ram().u64(b.response(iommu)));
        assertEquals(List.of("keep IOMMU"), b.plan().answeredRequests());
        assertEquals(List.of(
                "EFI system table request at 0x" + Long.toHexString(st)
                        + " (limu boots the kernel as a BIOS PC: there is no EFI)",
                "EFI memory map request at 0x" + Long.toHexString(mm)
                        + " (limu boots the kernel as a BIOS PC: there is no EFI)",
                "device tree blob request at 0x" + Long.toHexString(dtb) + " (x86 PCs have no device tree)"),
                b.plan().ignoredRequests());
    }

    @Test
    void firmwareTypeStaysBios() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.FIRMWARE_TYPE, 0);
        Booted b = Booted.boot(k.build());
        assertEquals(0, b.ram().u64(b.response(req) + 8));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 4, 5, 6})
    void lapicInitialisationFromRevisionFive(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        BootPlan plan = Booted.boot(k.build()).plan();
        assertEquals(revision >= 5, plan.initialiseLapic());
        assertEquals(0x2, plan.bsp().rflags());
        assertEquals(0x80010011L, plan.bsp().control().cr0());
        assertEquals(0, plan.bsp().idtr().base());
        assertEquals(0, plan.bsp().idtr().limit());
        assertEquals(DeviceAddresses.DEFAULT, plan.devices());
    }

    @Test
    void everyDefinedRequestIsKnownOnce() {
        long distinct = Requests.ALL.stream().map(r -> r.id2() + ":" + r.id3()).distinct().count();
        assertEquals(Requests.ALL.size(), distinct);
        assertEquals(25, Requests.ALL.size(), "26 features in the protocol, 1 not answered yet");
        assertFalse(Requests.definedButNotAnswered(TestKernel.MP[0], TestKernel.MP[1]));
        assertFalse(Requests.definedButNotAnswered(0x10f2ee1d87d195e4L, 0xf747a2b78f6ddb31L));
        assertTrue(Requests.definedButNotAnswered(0x3259399fe7c5f126L, 0xe01c1c8c5db9d1a9L));
    }

    @Test
    void exactlyOneHundredTwentyEightRequestsAreAccepted() throws Exception {
        TestKernel k = new TestKernel();
        for (int i = 0; i < 128; i++) {
            k.request(new long[]{i, i}, 0);
        }
        assertEquals(128, Booted.boot(k.build()).plan().ignoredRequests().size());
    }
}
