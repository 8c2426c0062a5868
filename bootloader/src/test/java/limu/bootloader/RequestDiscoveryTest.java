// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestDiscoveryTest {
    @Test
    void withoutSectionTheWholeImageIsScanned() throws Exception {
        TestKernel k = new TestKernel();
        long hhdm = k.request(TestKernel.HHDM, 0);
        long elsewhere = k.inData(Limine.COMMON_MAGIC_0, Limine.COMMON_MAGIC_1, TestKernel.FIRMWARE_TYPE[0],
                TestKernel.FIRMWARE_TYPE[1], 0, 0);
        Booted b = Booted.boot(k.build());
        assertTrue(b.response(hhdm) > 0);
        assertTrue(b.response(k.dataAddress(elsewhere)) > 0);
        assertEquals(List.of("firmware type", "HHDM"), b.plan().answeredRequests());
    }

    @Test
    void requestInRodataIsFoundByTheImageScan() throws Exception {
        // A request may sit anywhere file-backed: put one in the text segment (it's data the scan reads).
        byte[] text = new byte[0x100];
        text[0] = (byte) 0xF4;
        long[] words = {Limine.COMMON_MAGIC_0, Limine.COMMON_MAGIC_1, TestKernel.HHDM[0], TestKernel.HHDM[1], 0, 0};
        for (int i = 0; i < words.length; i++) {
            LittleEndian.putU64(text, 0x40 + 8 * i, words[i]);
        }
        byte[] elf = new ElfBuilder().entry(TestKernel.BASE)
                .load(TestKernel.BASE, "RWX", text, 0x100).build();
        Booted b = Booted.boot(elf);
        assertTrue(b.response(TestKernel.BASE + 0x40) > 0);
    }

    @Test
    void lastStartMarkerWinsAndFirstEndMarkerStops() throws Exception {
        TestKernel k = new TestKernel();
        long before = k.request(TestKernel.HHDM, 0);
        k.startMarker();
        long dropped = k.request(TestKernel.FIRMWARE_TYPE, 0);
        k.startMarker();
        long kept = k.request(TestKernel.DATE_AT_BOOT, 0);
        long keptToo = k.request(TestKernel.HHDM, 0); // no duplicate: the first HHDM request was reset away
        k.endMarker();
        long after = k.request(TestKernel.BOOTLOADER_INFO, 0);
        k.endMarker();
        Booted b = Booted.boot(k.build());
        assertEquals(-1, b.response(before));
        assertEquals(-1, b.response(dropped));
        assertTrue(b.response(kept) > 0);
        assertTrue(b.response(keptToo) > 0);
        assertEquals(-1, b.response(after));
        assertEquals(List.of("HHDM", "date at boot"), b.plan().answeredRequests());
    }

    @Test
    void withRequestsSectionOnlyTheSectionIsScanned() throws Exception {
        TestKernel k = new TestKernel().withRequestsSection();
        k.baseRevision(3);
        long end = k.endMarker(); // markers mean nothing inside the section scan
        long hhdm = k.request(TestKernel.HHDM, 0);
        long outside = k.inData(Limine.COMMON_MAGIC_0, Limine.COMMON_MAGIC_1, TestKernel.FIRMWARE_TYPE[0],
                TestKernel.FIRMWARE_TYPE[1], 0, 0);
        Booted b = Booted.boot(k.build());
        assertTrue(end < hhdm);
        assertTrue(b.response(hhdm) > 0);
        assertEquals(-1, b.response(k.dataAddress(outside)));
        assertEquals(List.of("HHDM"), b.plan().answeredRequests());
        assertEquals(3, b.plan().baseRevision());
    }

    @Test
    void baseRevisionTagOutsideTheRequestsSectionIsStillFound() throws Exception {
        TestKernel k = new TestKernel().withRequestsSection();
        k.request(TestKernel.HHDM, 0);
        long tag = k.inData(Limine.BASE_REVISION_0, Limine.BASE_REVISION_1, 2);
        Booted b = Booted.boot(k.build());
        assertEquals(2, b.plan().baseRevision());
        assertEquals(0, b.u64AtVirtual(k.dataAddress(tag) + 16));
    }

    @Test
    void duplicateRequestIsAnError() {
        TestKernel k = new TestKernel();
        long first = k.request(TestKernel.MEMMAP, 0);
        long second = k.request(TestKernel.MEMMAP, 0);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(k.build()));
        assertEquals("kernel.elf: duplicate Limine request memory map (id 0x67cf3d9d378a806f, 0xe304acdfc50c3c62) at 0x"
                + Long.toHexString(first) + " and 0x" + Long.toHexString(second) + " (Limine refuses to boot this)",
                e.getMessage());
    }

    @Test
    void duplicateInsideRequestsSectionIsAnError() {
        TestKernel k = new TestKernel().withRequestsSection();
        k.request(new long[]{1, 2}, 0);
        k.request(new long[]{1, 2}, 0);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(k.build()));
        assertTrue(e.getMessage().startsWith("kernel.elf: duplicate Limine request unknown (id 0x1, 0x2) at "),
                e.getMessage());
    }

    @Test
    void tooManyRequestsIsAnError() {
        TestKernel k = new TestKernel();
        for (int i = 0; i < 129; i++) {
            k.request(new long[]{i, i}, 0);
        }
        BootException e = assertThrows(BootException.class, () -> Booted.boot(k.build()));
        assertEquals("kernel.elf: more than 128 Limine requests (Limine's limit)", e.getMessage());
    }

    @Test
    void requestRunningIntoBssIsIgnored() throws Exception {
        // The paging mode request's mode word would lie past the file-backed data: Limine skips it.
        TestKernel k = new TestKernel();
        k.inRequests(Limine.COMMON_MAGIC_0, Limine.COMMON_MAGIC_1, TestKernel.PAGING_MODE[0],
                TestKernel.PAGING_MODE[1], 0, 0);
        Booted b = Booted.boot(k.build());
        assertTrue(b.plan().answeredRequests().isEmpty());
        assertEquals(1, b.plan().ignoredRequests().size());
        assertTrue(b.plan().ignoredRequests().get(0).startsWith("paging mode request at "),
                b.plan().ignoredRequests().toString());
    }

    @Test
    void supportedRevisionsAreAcknowledged() throws Exception {
        for (int revision = 0; revision <= 6; revision++) {
            TestKernel k = new TestKernel();
            long tag = k.baseRevision(revision);
            Booted b = Booted.boot(k.build());
            assertEquals(revision, b.plan().requestedBaseRevision());
            assertEquals(revision, b.plan().baseRevision());
            assertTrue(b.plan().baseRevisionSupported());
            assertEquals(Limine.BASE_REVISION_0, b.u64AtVirtual(tag));
            assertEquals(revision, b.u64AtVirtual(tag + 8), "tag[1] = revision used");
            assertEquals(0, b.u64AtVirtual(tag + 16), "tag[2] = 0: supported");
        }
    }

    @Test
    void tooNewRevisionLoadsAsSixAndStaysUnsupported() throws Exception {
        TestKernel k = new TestKernel();
        long tag = k.baseRevision(99);
        Booted b = Booted.boot(k.build());
        assertEquals(99, b.plan().requestedBaseRevision());
        assertEquals(6, b.plan().baseRevision());
        assertFalse(b.plan().baseRevisionSupported());
        assertEquals(6, b.u64AtVirtual(tag + 8));
        assertEquals(99, b.u64AtVirtual(tag + 16), "left as is, so is_supported() is false");
        // The revision right after the newest one known is treated the same way.
        TestKernel seven = new TestKernel();
        long sevenTag = seven.baseRevision(7);
        Booted s = Booted.boot(seven.build());
        assertEquals(6, s.plan().baseRevision());
        assertEquals(7, s.u64AtVirtual(sevenTag + 16));
        // A huge u64 saturates.
        TestKernel huge = new TestKernel();
        huge.baseRevision(-1L);
        assertEquals(Integer.MAX_VALUE, Booted.boot(huge.build()).plan().requestedBaseRevision());
    }

    @Test
    void revisionSixIsRevisionFiveOnX86() throws Exception {
        // Base revision 6 changes only non-x86 machines: every byte the boot writes must be what revision 5 writes,
        // but for the tag's second word (the revision used).
        Booted[] booted = new Booted[2];
        long[] tags = new long[2];
        for (int i = 0; i < 2; i++) {
            TestKernel k = new TestKernel();
            tags[i] = k.baseRevision(5 + i);
            k.request(TestKernel.MEMMAP, 0);
            k.request(TestKernel.HHDM, 0);
            k.request(TestKernel.RSDP, 0);
            k.request(TestKernel.SMBIOS, 0);
            k.request(TestKernel.MP, 0);
            booted[i] = Booted.boot(k.build(), Booted.config(64 * Booted.MIB).cpus(2));
        }
        BootPlan five = booted[0].plan();
        BootPlan six = booted[1].plan();
        assertEquals(6, six.baseRevision());
        assertTrue(six.baseRevisionSupported());
        assertEquals(five.memoryMap(), six.memoryMap());
        assertEquals(five.bsp(), six.bsp());
        assertEquals(five.initialiseLapic(), six.initialiseLapic());
        assertEquals(five.answeredRequests(), six.answeredRequests());
        assertEquals(booted[0].ram().writtenPages(), booted[1].ram().writtenPages());
        long tagPhysical = booted[1].phys(tags[1]);
        for (long page : booted[0].ram().writtenPages()) {
            byte[] a = booted[0].ram().bytes(page, 4096);
            byte[] b = booted[1].ram().bytes(page, 4096);
            if (page == (tagPhysical & -4096L)) {
                int at = (int) (tagPhysical - page) + 8;
                assertEquals(5, a[at]);
                assertEquals(6, b[at]);
                a[at] = b[at];
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, "page 0x" + Long.toHexString(page));
        }
    }

    @Test
    void noTagMeansRevisionZero() throws Exception {
        Booted b = Booted.boot(new TestKernel().build());
        assertEquals(-1, b.plan().requestedBaseRevision());
        assertEquals(0, b.plan().baseRevision());
        assertTrue(b.plan().baseRevisionSupported());
        assertTrue(b.walker().mapped(0x1000), "revision 0 keeps the identity map");
    }

    @Test
    void duplicateBaseRevisionTagIsAnError() {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        k.baseRevision(2);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(k.build()));
        assertTrue(e.getMessage().startsWith("kernel.elf: duplicate base revision tag at 0xffffffff80002000 and "),
                e.getMessage());
    }
}
