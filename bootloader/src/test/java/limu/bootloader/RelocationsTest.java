// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Position-independent kernels: relocations applied byte by byte, the slide, and what is refused. */
class RelocationsTest {
    static final long HH = KernelImage.HIGHER_HALF_KERNEL;
    static final long ALIGN = 0x20_0000;
    static final long[] EXECUTABLE_ADDRESS = TestKernel.EXECUTABLE_ADDRESS;
    static final long DATA = 0x20_0000;
    static final long SYMBOL = 0x40;

    /**
     * A static PIE laid out from {@code base}: text (R-X, entry at +0x10) and data (RW-) at +{@link #DATA}. The data
     * holds three relocated slots at +0, +8, +16 (RELATIVE with addend 0x1234, R_X86_64_64 against symbol 1 with
     * addend 8, GLOB_DAT against symbol 1), an executable address request at +0x40, the RELA table at +0x100, the
     * dynamic symbol table at +0x200 (symbol 1 = {@code base + 0x40}, defined in section 1) and the dynamic
     * array at +0x300, which PT_DYNAMIC also covers.
     */
    static final class Pie {
        final long base;
        long relaAddress;
        long relaSize = 3 * 24;
        long[][] relocations;
        boolean dynamicSegment = true;
        long dataAddress;
        long textAddress;

        Pie(long base) {
            this.base = base;
            this.textAddress = base;
            this.dataAddress = base + DATA;
            this.relaAddress = dataAddress + 0x100;
            this.relocations = new long[][]{
                {dataAddress, Relocations.R_X86_64_RELATIVE, 0, 0x1234},
                {dataAddress + 8, Relocations.R_X86_64_64, 1, 8},
                {dataAddress + 16, Relocations.R_X86_64_GLOB_DAT, 1, 0},
            };
        }

        long request() {
            return dataAddress + 0x40;
        }

        byte[] dynamic() {
            long[][] tags = {
                {Relocations.DT_RELA, relaAddress}, {Relocations.DT_RELASZ, relaSize},
                {Relocations.DT_RELAENT, 24}, {Relocations.DT_SYMTAB, dataAddress + 0x200},
                {Relocations.DT_SYMENT, 24}, {Relocations.DT_NULL, 0}};
            byte[] d = new byte[16 * tags.length];
            for (int i = 0; i < tags.length; i++) {
                LittleEndian.putU64(d, 16 * i, tags[i][0]);
                LittleEndian.putU64(d, 16 * i + 8, tags[i][1]);
            }
            return d;
        }

        ElfBuilder builder() {
            byte[] text = new byte[0x100];
            text[0x10] = (byte) 0xF4;
            byte[] data = new byte[0x400];
            long[] request = {Limine.COMMON_MAGIC_0, Limine.COMMON_MAGIC_1, EXECUTABLE_ADDRESS[0],
                EXECUTABLE_ADDRESS[1], 0, 0};
            for (int i = 0; i < request.length; i++) {
                LittleEndian.putU64(data, 0x40 + 8 * i, request[i]);
            }
            for (int i = 0; i < relocations.length; i++) {
                long[] r = relocations[i];
                LittleEndian.putU64(data, 0x100 + 24 * i, r[0]);
                LittleEndian.putU64(data, 0x100 + 24 * i + 8, r[2] << 32 | r[1]);
                LittleEndian.putU64(data, 0x100 + 24 * i + 16, r[3]);
            }
            // Symbol 1: st_info GLOBAL FUNC, st_shndx 1, st_value.
            data[0x218 + 4] = 0x12;
            data[0x218 + 6] = 1;
            LittleEndian.putU64(data, 0x218 + 8, base + SYMBOL);
            byte[] dyn = dynamic();
            System.arraycopy(dyn, 0, data, 0x300, dyn.length);
            ElfBuilder b = new ElfBuilder().type(ElfFile.ET_DYN).entry(textAddress + 0x10)
                    .load(textAddress, "RX", text, text.length, ALIGN)
                    .load(dataAddress, "RW", data, data.length + 0x1000, ALIGN)
                    .func("kernel_main", base + SYMBOL, 0x20)
                    .object("SLOTS", dataAddress, 24);
            if (dynamicSegment) {
                b.segment(new ElfBuilder.Segment(ElfFile.PT_DYNAMIC, dataAddress + 0x300, ElfBuilder.flagBits("RW"),
                        dyn, dyn.length, 8));
            }
            return b;
        }

        byte[] build() {
            return builder().build();
        }
    }

    private static Booted boot(byte[] elf, OptionalLong kaslr) throws BootException {
        return Booted.boot(elf, Booted.config(64 * MIB).kaslrSeed(kaslr));
    }

    private static void assertRelocated(Booted b, Pie pie, long slide) {
        long data = pie.dataAddress + slide;
        assertEquals(slide + 0x1234, b.u64AtVirtual(data), "R_X86_64_RELATIVE = B + A");
        assertEquals(pie.base + SYMBOL + slide + 8, b.u64AtVirtual(data + 8), "R_X86_64_64 = S + B + A");
        assertEquals(pie.base + SYMBOL + slide, b.u64AtVirtual(data + 16), "R_X86_64_GLOB_DAT = S + B");
        long response = b.response(pie.request() + slide);
        assertTrue(response > 0, "executable address answered");
        assertEquals(b.plan().kernelPhysicalBase(), b.ram().u64(response + 8), "physical base");
        assertEquals(pie.base + slide, b.ram().u64(response + 16), "virtual base");
    }

    @Test
    void aPieLinkedInTheTopTwoGibRunsAtItsLinkAddressByDefault() throws Exception {
        Pie pie = new Pie(HH);
        Booted b = boot(pie.build(), OptionalLong.empty());
        assertTrue(b.plan().kernelRelocatable());
        assertEquals(0, b.plan().kernelSlide());
        assertEquals(3, b.plan().relocations());
        assertEquals(HH + 0x10, b.plan().bsp().rip());
        assertRelocated(b, pie, 0);
    }

    @Test
    void aPieLinkedLowIsSlidIntoTheTopTwoGib() throws Exception {
        Pie pie = new Pie(0);
        Booted b = boot(pie.build(), OptionalLong.empty());
        assertEquals(HH, b.plan().kernelSlide());
        assertEquals(HH, b.plan().kernelVirtualBase());
        assertEquals(HH + 0x10, b.plan().bsp().rip());
        assertRelocated(b, pie, HH);
    }

    @Test
    void kaslrSlidesByAMultipleOfTheAlignmentAndEverythingFollows() throws Exception {
        Pie pie = new Pie(HH);
        byte[] elf = pie.build();
        Set<Long> slides = new HashSet<>();
        for (long seed = 1; seed <= 8; seed++) {
            Booted b = boot(elf, OptionalLong.of(seed));
            long slide = b.plan().kernelSlide();
            slides.add(slide);
            assertEquals(0, slide % ALIGN, "a multiple of the largest p_align");
            assertTrue(slide >= 0 && slide < (1L << 31), "below 2 GiB, keeping the image below 2^64");
            assertRelocated(b, pie, slide);
            assertEquals(HH + 0x10 + slide, b.plan().bsp().rip(), "entry point moved");
            ElfFile kernel = b.plan().kernel();
            assertEquals(slide, kernel.slide());
            assertEquals(HH + SYMBOL + slide, kernel.symbol("kernel_main").orElseThrow().value());
            assertEquals("kernel_main+0x4", kernel.symbolize(HH + SYMBOL + slide + 4).orElseThrow());
            assertTrue(kernel.symbolize(HH + SYMBOL + 4).isEmpty() || slide == 0, "the link address is not code");
            assertEquals(slide + 0x1234, boot(elf, OptionalLong.of(seed)).u64AtVirtual(pie.dataAddress + slide),
                    "the same seed gives the same slide");
            // The kernel's pages are mapped at the slid addresses.
            assertEquals(b.plan().kernelPhysicalBase(), b.walker().physical(HH + slide));
        }
        assertTrue(slides.size() >= 6, "different seeds give different slides: " + slides);
    }

    @Test
    void kaslrLeavesAStaticKernelAlone() throws Exception {
        Booted b = boot(new TestKernel().build(), OptionalLong.of(7));
        assertFalse(b.plan().kernelRelocatable());
        assertEquals(0, b.plan().kernelSlide());
        assertEquals(TestKernel.ENTRY, b.plan().bsp().rip());
    }

    @Test
    void relaSectionsApplyWhereThereIsNoDynamicSegment() throws Exception {
        Pie pie = new Pie(HH);
        pie.dynamicSegment = false;
        pie.relocations = new long[][]{{pie.dataAddress, Relocations.R_X86_64_RELATIVE, 0, 0x55}};
        ElfBuilder builder = pie.builder();
        builder.sections.add(new ElfBuilder.Section(".rela.dyn", ElfFile.SHT_RELA, ElfFile.SHF_ALLOC,
                pie.dataAddress + 0x100, 24));
        Booted b = boot(builder.build(), OptionalLong.of(3));
        long slide = b.plan().kernelSlide();
        assertNotEquals(0, slide);
        assertEquals(1, b.plan().relocations());
        assertEquals(slide + 0x55, b.u64AtVirtual(pie.dataAddress + slide));
    }

    @Test
    void packedRelativeEntriesAddTheSlide() throws Exception {
        // A DT_RELR table: one address word (slot at +0), then a bitmap word marking the qwords at +8 and +16.
        Pie pie = new Pie(HH);
        pie.relocations = new long[0][];
        pie.relaSize = 0;
        ElfBuilder b = pie.builder();
        byte[] data = b.segments.get(1).data();
        LittleEndian.putU64(data, 0, 0x1000);
        LittleEndian.putU64(data, 8, 0x2000);
        LittleEndian.putU64(data, 16, 0x3000);
        LittleEndian.putU64(data, 0x180, pie.dataAddress);
        LittleEndian.putU64(data, 0x188, 0b111);
        long[][] tags = {{Relocations.DT_RELR, pie.dataAddress + 0x180}, {Relocations.DT_RELRSZ, 16},
            {Relocations.DT_RELRENT, 8}, {Relocations.DT_NULL, 0}};
        byte[] dyn = new byte[16 * tags.length];
        for (int i = 0; i < tags.length; i++) {
            LittleEndian.putU64(dyn, 16 * i, tags[i][0]);
            LittleEndian.putU64(dyn, 16 * i + 8, tags[i][1]);
        }
        b.segments.set(2, new ElfBuilder.Segment(ElfFile.PT_DYNAMIC, pie.dataAddress + 0x300, 6, dyn, dyn.length,
                8));
        Booted booted = boot(b.build(), OptionalLong.of(5));
        long slide = booted.plan().kernelSlide();
        assertEquals(3, booted.plan().relocations());
        for (int i = 0; i < 3; i++) {
            assertEquals(0x1000L * (i + 1) + slide, booted.u64AtVirtual(pie.dataAddress + slide + 8L * i));
        }
    }

    private static String refusal(byte[] elf) {
        return assertThrows(BootException.class, () -> boot(elf, OptionalLong.of(1))).getMessage();
    }

    @Test
    void anUnsupportedRelocationIsRefusedWithItsNameAndOffset() {
        Pie pie = new Pie(HH);
        pie.relocations[1] = new long[]{pie.dataAddress + 8, 2, 1, 0};
        assertEquals("kernel.elf: unsupported relocation R_X86_64_PC32 at 0xffffffff80200008 (DT_RELA entry 1);"
                + " limu applies R_X86_64_RELATIVE, R_X86_64_64, R_X86_64_GLOB_DAT and R_X86_64_JUMP_SLOT, as Limine"
                + " does; link the kernel as a static PIE (or with relocation-model=static)", refusal(pie.build()));
        pie.relocations[1] = new long[]{pie.dataAddress + 8, 99, 0, 0};
        assertTrue(refusal(pie.build()).contains("unsupported relocation relocation type 99 at 0xffffffff80200008"));
    }

    @Test
    void aRelocationOutsideTheImageIsRefused() {
        Pie pie = new Pie(HH);
        pie.relocations[2] = new long[]{HH + 0x10_0000, Relocations.R_X86_64_RELATIVE, 0, 0};
        assertEquals("kernel.elf: relocation outside the image: DT_RELA entry 2 (R_X86_64_RELATIVE at"
                + " 0xffffffff80100000) does not lie in a loaded segment", refusal(pie.build()));
        // Straddling the end of the data segment's memory.
        pie.relocations[2] = new long[]{pie.dataAddress + 0x1400 - 4, Relocations.R_X86_64_RELATIVE, 0, 0};
        assertTrue(refusal(pie.build()).startsWith("kernel.elf: relocation outside the image: DT_RELA entry 2"));
    }

    @Test
    void aRelaTableOutsideTheFileIsRefused() {
        Pie pie = new Pie(HH);
        pie.relaAddress = HH + 0x50_0000;
        assertEquals("kernel.elf: the DT_RELA table at 0xffffffff80500000 (0x48 bytes) lies outside the file data of"
                + " the kernel's segments", refusal(pie.build()));
        Pie tooLong = new Pie(HH);
        tooLong.relaSize = 24 * 1000;
        assertTrue(refusal(tooLong.build()).startsWith("kernel.elf: the DT_RELA table at 0xffffffff80200100"));
    }

    @Test
    void anUndefinedSymbolIsRefused() {
        Pie pie = new Pie(HH);
        pie.relocations[1] = new long[]{pie.dataAddress + 8, Relocations.R_X86_64_64, 0, 0};
        assertTrue(refusal(pie.build()).contains("refers to symbol 0, which the kernel does not define"));
    }

    @Test
    void overlappingSegmentsAreRefusedAfterTheSlide() {
        Pie pie = new Pie(HH);
        ElfBuilder b = pie.builder();
        b.load(pie.dataAddress + 0x800, "R", new byte[16], 16, 0x1000);
        String m = refusal(b.build());
        assertTrue(m.startsWith("kernel.elf: segments 1 and 3 overlap"), m);
    }

    @Test
    void segmentsInBothHalvesAreRefused() {
        Pie pie = new Pie(0);
        ElfBuilder b = pie.builder();
        b.load(HH + 0x40_0000, "R", new byte[16], 16, 0x1000);
        assertEquals("kernel.elf: relocatable kernel with segments both below and in the top 2 GiB; Limine refuses"
                + " such a mix", refusal(b.build()));
    }

    @Test
    void theSlideDependsOnlyOnTheSeedAndTheLayout() throws Exception {
        ElfFile elf = ElfFile.parse(new Pie(HH).build(), "k");
        List<Long> first = new java.util.ArrayList<>();
        for (long seed = 0; seed < 4; seed++) {
            first.add(KaslrSlide.choose(elf, OptionalLong.of(seed)));
        }
        for (long seed = 0; seed < 4; seed++) {
            assertEquals(first.get((int) seed), KaslrSlide.choose(elf, OptionalLong.of(seed)));
        }
        assertEquals(0, KaslrSlide.choose(elf, OptionalLong.empty()));
    }
}
