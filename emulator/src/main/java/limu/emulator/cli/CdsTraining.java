// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The workload a class-data-sharing archive is made from (docs/speed.md): the launchers run it once
 * with {@code -XX:ArchiveClassesAtExit}, so the archive holds the classes a real {@code limu run}
 * loads (picocli's model and parser, JNA and Unicorn, the bootloader, the board's devices, the run
 * loop, the verdict) and the ones {@code --help} loads. It boots {@link #tinyKernel()} rather than a
 * kernel from kernel-images, which a distribution does not have. Serial output goes to stdout, which
 * the launchers discard.
 */
public final class CdsTraining {
    /** Link address of the tiny kernel's one segment: the start of the top 2 GiB, as Limine kernels link. */
    static final long KERNEL_BASE = 0xffffffff80000000L;

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("limu-cds-training");
        Path kernel = dir.resolve("tiny.elf");
        try {
            Files.write(kernel, tinyKernel());
            int code = Main.execute("run", kernel.toString(), "--timeout", "60s", "--timings");
            Main.execute("--help");
            Main.execute("run", "--help");
            // the training is only worth archiving when the boot really ran to the kernel's exit
            System.exit(code == TINY_KERNEL_EXIT ? 0 : 1);
        } finally {
            Files.deleteIfExists(kernel);
            Files.deleteIfExists(dir);
        }
    }

    /** What {@code limu run} returns for {@link #tinyKernel()}: it writes 0x10 to isa-debug-exit, (0x10 << 1) | 1. */
    static final int TINY_KERNEL_EXIT = 33;

    /**
     * A Limine kernel of one executable segment and no requests (base revision 0): it prints "ok\n"
     * on COM1 and writes 0x10 to the isa-debug-exit port. ELF64 layout per the System V ABI's
     * generic ELF chapter and its x86-64 supplement: the 64-byte header, one 56-byte program header,
     * the code at file offset 0x1000 (page-aligned like its address).
     */
    public static byte[] tinyKernel() {
        byte[] code = {
            0x66, (byte) 0xBA, (byte) 0xF8, 0x03,       // mov dx, 0x3f8 (COM1 data)
            (byte) 0xB0, 'o', (byte) 0xEE,               // mov al, 'o'; out dx, al
            (byte) 0xB0, 'k', (byte) 0xEE,               // mov al, 'k'; out dx, al
            (byte) 0xB0, '\n', (byte) 0xEE,              // mov al, '\n'; out dx, al
            (byte) 0xB0, 0x10, (byte) 0xE6, (byte) 0xF4, // mov al, 0x10; out 0xf4, al (isa-debug-exit)
            (byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD, // cli; hlt; jmp back to hlt
        };
        int codeOffset = 0x1000;
        ByteBuffer b = ByteBuffer.allocate(codeOffset + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0});   // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, System V
        b.position(16);
        b.putShort((short) 2);                  // e_type ET_EXEC
        b.putShort((short) 0x3E);               // e_machine EM_X86_64
        b.putInt(1);                            // e_version
        b.putLong(KERNEL_BASE);                 // e_entry: the first byte of the code
        b.putLong(64);                          // e_phoff: right after this header
        b.putLong(0);                           // e_shoff: no section headers
        b.putInt(0);                            // e_flags
        b.putShort((short) 64);                 // e_ehsize
        b.putShort((short) 56);                 // e_phentsize
        b.putShort((short) 1);                  // e_phnum
        b.putShort((short) 64);                 // e_shentsize
        b.putShort((short) 0);                  // e_shnum
        b.putShort((short) 0);                  // e_shstrndx
        b.putInt(1);                            // p_type PT_LOAD
        b.putInt(5);                            // p_flags PF_R | PF_X
        b.putLong(codeOffset);                  // p_offset
        b.putLong(KERNEL_BASE);                 // p_vaddr
        b.putLong(0);                           // p_paddr: Limine places the kernel itself
        b.putLong(code.length);                 // p_filesz
        b.putLong(code.length);                 // p_memsz
        b.putLong(0x1000);                      // p_align
        b.position(codeOffset);
        b.put(code);
        return b.array();
    }
}
