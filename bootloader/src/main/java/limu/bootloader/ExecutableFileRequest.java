// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Executable File (formerly Kernel File): {@code response { u64 revision; limine_file *executable_file; }}. The
 * whole ELF file is copied, page aligned, into EXECUTABLE_AND_MODULES memory; its path is
 * {@link BootContext#kernelPath()} and its string is the same memory as the Executable Cmdline response's.
 */
final class ExecutableFileRequest extends LimineRequest {
    ExecutableFileRequest() {
        super("executable file", 0xad97e90e83f1ed67L, 0x31eb5d1c5ff23b69L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        byte[] elf = context.image().elf().bytes();
        long copy = context.placeFile(elf, "the copy of the kernel file");
        String path = context.kernelPath();
        long file = LimineFile.write(context, copy, elf.length, path, context.cmdlineString(), "the kernel file");
        long response = context.allocateResponse(16, "the executable file response");
        context.writeU64(response + 8, context.hhdm(file));
        context.loadedFiles().add(new LoadedFile("executable", path, context.machine().cmdline(), copy, elf.length));
        return OptionalLong.of(response);
    }
}
