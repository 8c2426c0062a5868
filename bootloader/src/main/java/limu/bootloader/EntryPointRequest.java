// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.OptionalLong;

/**
 * Entry Point: {@code request { ...; void (*entry)(void); }}, {@code response { u64 revision; }}. The BSP starts at
 * {@code entry} instead of the ELF entry point; it must lie in an executable PT_LOAD segment (the protocol asks for
 * "a non-NULL function pointer within the loaded executable image"; limu refuses anything else rather than jump to
 * it).
 */
final class EntryPointRequest extends LimineRequest {
    EntryPointRequest() {
        super("entry point", 0x13d86c035a1cd3e1L, 0x2b0caa89d8f3026aL);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + 8;
    }

    @Override
    void prepare(FoundRequest request, BootSetup setup) throws BootException {
        long entry = request.u64(Limine.REQUEST_EXTRAS);
        KernelImage image = request.image();
        boolean executable = false;
        for (ElfFile.Segment s : image.loads()) {
            if (entry >= s.vaddr() && entry < s.vend() && s.executable()) {
                executable = true;
            }
        }
        if (entry == 0 || Long.compareUnsigned(entry, KernelImage.HIGHER_HALF_KERNEL) < 0 || !executable) {
            throw new BootException(setup.fileName() + ": entry point request at " + hex(request.virtual())
                    + " asks to start at " + hex(entry) + ", which is not in an executable segment of the kernel");
        }
        setup.entryPoint(entry);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        return OptionalLong.of(context.allocateResponse(8, "the entry point response"));
    }
}
