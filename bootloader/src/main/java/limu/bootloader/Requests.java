// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The request kinds limu answers, in the order Limine answers them (paging mode
 * first since it fixes the HHDM; memory map last, see {@link LimineRequest.Stage}).
 * A new request kind is one new {@link LimineRequest} subclass added here.
 */
final class Requests {
    static final List<LimineRequest> ALL = List.of(
            new PagingModeRequest(),
            new BootloaderInfoRequest(),
            new ExecutableCmdlineRequest(),
            new FirmwareTypeRequest(),
            new ExecutableAddressRequest(),
            new HhdmRequest(),
            new StackSizeRequest(),
            new EntryPointRequest(),
            new DateAtBootRequest(),
            new BootloaderPerformanceRequest(),
            new RsdpRequest(),
            new SmbiosRequest(),
            new ExecutableFileRequest(),
            new ModuleRequest(),
            new FramebufferRequest(),
            new MpRequest(),
            new KeepIommuRequest(),
            new TscFrequencyRequest(),
            new EntropyRequest(),
            new UnavailableRequest("EFI system table", 0x5ceba5163eaaf6d6L, 0x0a6981610cf65fccL,
                    "limu boots the kernel as a BIOS PC: there is no EFI"),
            new UnavailableRequest("EFI memory map", 0x7df62a431d6872d5L, 0xa4fcdfb3e57306c8L,
                    "limu boots the kernel as a BIOS PC: there is no EFI"),
            new UnavailableRequest("device tree blob", 0xb40ddb48fb54bac7L, 0x545081493f81ffb7L,
                    "x86 PCs have no device tree"),
            new UnavailableRequest("RISC-V BSP hart ID", 0x1369359f025525f9L, 0x2ff2a56178391bb6L,
                    "not a RISC-V machine"),
            new UnavailableRequest("TPM event log", 0x98e094fc7e76e979L, 0xee8d8775c54e1d1fL,
                    "the machine has no TPM"),
            new MemoryMapRequest());

    /** Requests of the protocol limu does not answer yet, by {@code (id[2], id[3])}, to name them (the
     * specification's feature list). */
    private static final Map<List<Long>, String> NOT_YET_ANSWERED = Map.ofEntries(
            Map.entry(List.of(0x3259399fe7c5f126L, 0xe01c1c8c5db9d1a9L), "flanterm framebuffer parameters"));

    private Requests() {
    }

    static Optional<LimineRequest> find(long id2, long id3) {
        for (LimineRequest r : ALL) {
            if (r.id2() == id2 && r.id3() == id3) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The request's name if the protocol defines it (answered or not), else {@code unknown}. */
    static String describe(long id2, long id3) {
        Optional<LimineRequest> known = find(id2, id3);
        if (known.isPresent()) {
            return known.get().name();
        }
        return NOT_YET_ANSWERED.getOrDefault(List.of(id2, id3), "unknown");
    }

    /** Whether the protocol defines this request although limu does not answer it yet. */
    static boolean definedButNotAnswered(long id2, long id3) {
        return NOT_YET_ANSWERED.containsKey(List.of(id2, id3));
    }
}
