// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ElfFileTest {
    private static final long BASE = ElfBuilder.BASE;

    private static String rejection(byte[] elf) {
        return assertThrows(BootException.class, () -> Booted.boot(elf)).getMessage();
    }

    private static byte[] kernel() {
        return new TestKernel().build();
    }

    private static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    private static final int PHDR = 64;

    @Test
    void notAnElf() {
        assertEquals("kernel.elf: not an ELF file", rejection(new byte[0]));
        assertEquals("kernel.elf: not an ELF file", rejection("#!/bin/sh\necho hi\n".getBytes()));
        assertEquals("kernel.elf: not an ELF file", rejection(new byte[]{0x7F, 'E', 'L'}));
    }

    @Test
    void wrongClassEncodingOrMachine() {
        byte[] elf = kernel();
        elf[4] = 1;
        assertEquals("kernel.elf: 32-bit ELF (ELFCLASS32); limu boots ELF64 x86_64 kernels", rejection(elf));
        elf = kernel();
        elf[5] = 2;
        assertEquals("kernel.elf: big-endian ELF (ELFDATA2MSB); limu boots little-endian x86_64 kernels",
                rejection(elf));
        elf = kernel();
        putU16(elf, 18, 183);
        assertEquals("kernel.elf: ELF for ARM aarch64 (e_machine 183), not x86_64", rejection(elf));
        putU16(elf, 18, 3);
        assertEquals("kernel.elf: ELF for Intel 80386 (e_machine 3), not x86_64", rejection(elf));
        putU16(elf, 18, 4321);
        assertEquals("kernel.elf: ELF for machine 4321 (e_machine), not x86_64 (62)", rejection(elf));
    }

    @Test
    void wrongType() {
        assertEquals("kernel.elf: relocatable object file (ET_REL), not a linked executable",
                rejection(new TestKernel().builder().type(ElfFile.ET_REL).build()));
    }

    @Test
    void truncatedFiles() {
        assertEquals("kernel.elf: truncated: the ELF header needs 64 bytes, the file has 40",
                rejection(Arrays.copyOf(kernel(), 40)));
        assertEquals("kernel.elf: truncated: program header table at 0x40 (3 x 56 bytes) lies past the end of the"
                + " file (0x64 bytes)", rejection(Arrays.copyOf(kernel(), 100)));
        // Segment 2 claims 0x5000 bytes at 0x1000 of a 0x3000-byte file.
        byte[] elf = kernel();
        LittleEndian.putU64(elf, PHDR + 2 * 56 + 8, 0x1000);
        LittleEndian.putU64(elf, PHDR + 2 * 56 + 32, 0x5000);
        LittleEndian.putU64(elf, PHDR + 2 * 56 + 40, 0x6000);
        assertEquals("kernel.elf: truncated: segment 2 data at 0x1000+0x5000 lies past the end of the file"
                + " (0x3000 bytes)", rejection(Arrays.copyOf(elf, 0x3000)));
        // offset + size overflowing 64 bits
        elf = kernel();
        LittleEndian.putU64(elf, PHDR + 8, -0x10L);
        assertTrue(rejection(elf).startsWith("kernel.elf: truncated: segment 0 data at 0xfffffffffffffff0+"));
    }

    @Test
    void segmentProblems() {
        byte[] low = new ElfBuilder().entry(0x400000).load(0x400000, "RX", new byte[16], 16).build();
        assertEquals("kernel.elf: segment 0 at 0x400000 is outside the top 2 GiB (Limine kernels must be linked at or"
                + " above 0xffffffff80000000)", rejection(low));

        byte[] overlap = new ElfBuilder().entry(BASE)
                .load(BASE, "RX", new byte[16], 16)
                .load(BASE + 0x1000, "R", new byte[16], 0x1000)
                .load(BASE + 0x1800, "RW", new byte[16], 0x1000)
                .build();
        assertEquals("kernel.elf: segments 1 and 2 overlap (0xffffffff80001800..0xffffffff80002000)",
                rejection(overlap));

        byte[] none = new ElfBuilder().entry(BASE).build();
        assertEquals("kernel.elf: no PT_LOAD segments", rejection(none));
        byte[] onlyEmpty = new ElfBuilder().entry(BASE).load(BASE, "RX", new byte[0], 0).build();
        assertEquals("kernel.elf: no PT_LOAD segments", rejection(onlyEmpty));

        byte[] biggerFile = kernel();
        LittleEndian.putU64(biggerFile, PHDR + 32, 0x200);
        LittleEndian.putU64(biggerFile, PHDR + 40, 0x100);
        assertEquals("kernel.elf: segment 0: p_filesz 0x200 is larger than p_memsz 0x100", rejection(biggerFile));

        byte[] wraps = new ElfBuilder().entry(BASE).load(BASE, "RX", new byte[16], 16)
                .load(-0x1000L, "RW", new byte[0], 0x2000).build();
        assertEquals("kernel.elf: segment 1 at 0xfffffffffffff000 (0x2000 bytes) runs past the top of the address"
                + " space", rejection(wraps));

        byte[] oddAlign = new ElfBuilder().entry(BASE).load(BASE, "RX", new byte[16], 16, 0x3000).build();
        assertEquals("kernel.elf: segment 0: p_align 0x3000 is not a power of two", rejection(oddAlign));
    }

    @Test
    void entryPointProblems() {
        byte[] outside = new TestKernel().builder().entry(BASE + 0x100000).build();
        assertEquals("kernel.elf: entry point 0xffffffff80100000 is outside the loaded segments", rejection(outside));
        byte[] low = new TestKernel().builder().entry(0x1000).build();
        assertEquals("kernel.elf: entry point 0x1000 is outside the loaded segments", rejection(low));
        byte[] data = new TestKernel().builder().entry(TestKernel.DATA).build();
        assertEquals("kernel.elf: entry point 0xffffffff80002000 lies in segment 2, which is not executable (RW-)",
                rejection(data));
    }

    @Test
    void sectionsAndSymbols() throws Exception {
        TestKernel k = new TestKernel().withRequestsSection();
        k.request(TestKernel.HHDM, 0);
        ElfFile elf = ElfFile.parse(k.builder()
                .object("_ZN6kernel7COUNTER17h1111111111111111E", TestKernel.DATA + 0x100, 8)
                .func("_RNvCs1a_6kernel4idle", TestKernel.TEXT + 0x40, 0x10)
                .func("zero_sized", TestKernel.TEXT + 0x80, 0)
                .build(), "kernel.elf");
        assertEquals(TestKernel.ENTRY, elf.entry());
        assertEquals(ElfFile.ET_EXEC, elf.type());
        assertEquals(3, elf.segments().size());
        assertEquals("R-X", elf.segments().get(0).flagString());
        ElfFile.Section requests = elf.section(".requests").orElseThrow();
        assertEquals(TestKernel.DATA, requests.addr());
        assertEquals(48, requests.size());
        assertTrue(elf.section(".symtab").isPresent());
        assertTrue(elf.warnings().isEmpty());
        assertEquals(4, elf.symbols().size());
        assertEquals("kernel::COUNTER", elf.symbols().get(1).demangledName());
        assertEquals(TestKernel.ENTRY, elf.symbol("kernel::kmain").orElseThrow().value());

        assertEquals(Optional.of("kernel::kmain"), elf.symbolize(TestKernel.ENTRY));
        assertEquals(Optional.of("kernel::kmain+0x1f"), elf.symbolize(TestKernel.ENTRY + 0x1f));
        assertEquals(Optional.empty(), elf.symbolize(TestKernel.ENTRY + 0x20));
        assertEquals(Optional.of("kernel::idle+0x4"), elf.symbolize(TestKernel.TEXT + 0x44));
        assertEquals(Optional.of("kernel::COUNTER+0x7"), elf.symbolize(TestKernel.DATA + 0x107));
        assertEquals(Optional.of("zero_sized"), elf.symbolize(TestKernel.TEXT + 0x80));
        assertEquals(Optional.empty(), elf.symbolize(TestKernel.TEXT + 0x81));
        assertEquals(Optional.empty(), elf.symbolize(0));
        assertEquals(Optional.empty(), elf.symbolize(-1));

        // the start the unwinders use agrees with the name's offset, without building the name
        assertEquals(TestKernel.ENTRY, elf.symbolStart(TestKernel.ENTRY + 0x1f));
        assertEquals(TestKernel.TEXT + 0x40, elf.symbolStart(TestKernel.TEXT + 0x44));
        assertEquals(TestKernel.TEXT + 0x80, elf.symbolStart(TestKernel.TEXT + 0x80));
        assertEquals(0, elf.symbolStart(TestKernel.ENTRY + 0x20));
        assertEquals(0, elf.symbolStart(-1));
    }

    @Test
    void nestedSymbolsPickTheNearestContainingOne() throws Exception {
        ElfFile elf = ElfFile.parse(new TestKernel().builder()
                .func("outer", TestKernel.TEXT + 0x40, 0x100)
                .func("inner", TestKernel.TEXT + 0x50, 0x8)
                .build(), "kernel.elf");
        assertEquals(Optional.of("inner+0x2"), elf.symbolize(TestKernel.TEXT + 0x52));
        assertEquals(Optional.of("outer+0x30"), elf.symbolize(TestKernel.TEXT + 0x70));
        assertEquals(Optional.of("outer"), elf.symbolize(TestKernel.TEXT + 0x40));
    }

    @Test
    void damagedSectionTableIsDroppedButTheKernelStillBoots() throws Exception {
        byte[] elf = kernel();
        LittleEndian.putU64(elf, 40, 0x7fff_0000L); // e_shoff past the end
        ElfFile parsed = ElfFile.parse(elf, "kernel.elf");
        assertTrue(parsed.sections().isEmpty());
        assertTrue(parsed.symbols().isEmpty());
        assertEquals(1, parsed.warnings().size());
        assertTrue(parsed.warnings().get(0).contains("section header table"), parsed.warnings().toString());
        Booted.boot(elf);
    }

    @Test
    void strippedKernelBoots() throws Exception {
        ElfBuilder b = new TestKernel().builder();
        b.sectionHeaders = false;
        Booted booted = Booted.boot(b.build());
        assertTrue(booted.plan().kernel().sections().isEmpty());
        assertFalse(booted.plan().kernel().symbolize(TestKernel.ENTRY).isPresent());
    }
}
