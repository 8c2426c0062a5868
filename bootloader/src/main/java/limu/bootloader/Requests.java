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
            new DateAtBootRequest(),
            new MemoryMapRequest());

    /** Requests of the protocol limu does not answer yet, by {@code (id[2], id[3])}, to name them (FACTS 1.6). */
    private static final Map<List<Long>, String> NOT_YET_ANSWERED = Map.ofEntries(
            Map.entry(List.of(0x9d5827dcd881dd75L, 0xa3148604f6fab11bL), "framebuffer"),
            Map.entry(List.of(0x95a67b819a1b857eL, 0xa0b61b723b6a73e0L), "MP"),
            Map.entry(List.of(0x13d86c035a1cd3e1L, 0x2b0caa89d8f3026aL), "entry point"),
            Map.entry(List.of(0xad97e90e83f1ed67L, 0x31eb5d1c5ff23b69L), "executable file"),
            Map.entry(List.of(0x3e7e279702be32afL, 0xca1c4f3bd1280ceeL), "module"),
            Map.entry(List.of(0xc5e77b6b397e7b43L, 0x27637845accdcf3cL), "RSDP"),
            Map.entry(List.of(0x9e9046f11e095391L, 0xaa4a520fefbde5eeL), "SMBIOS"),
            Map.entry(List.of(0x5ceba5163eaaf6d6L, 0x0a6981610cf65fccL), "EFI system table"),
            Map.entry(List.of(0x7df62a431d6872d5L, 0xa4fcdfb3e57306c8L), "EFI memory map"),
            Map.entry(List.of(0xb40ddb48fb54bac7L, 0x545081493f81ffb7L), "device tree blob"),
            Map.entry(List.of(0x1369359f025525f9L, 0x2ff2a56178391bb6L), "RISC-V BSP hart ID"),
            Map.entry(List.of(0x6b50ad9bf36d13adL, 0xdc4c7e88fc759e17L), "bootloader performance"),
            Map.entry(List.of(0x8ebaabe51f490179L, 0x2aa86a59ffb4ab0fL), "keep IOMMU"),
            Map.entry(List.of(0x10f2ee1d87d195e4L, 0xf747a2b78f6ddb31L), "TSC frequency"),
            Map.entry(List.of(0x98e094fc7e76e979L, 0xee8d8775c54e1d1fL), "TPM event log"),
            Map.entry(List.of(0x3259399fe7c5f126L, 0xe01c1c8c5db9d1a9L), "flanterm framebuffer parameters"),
            Map.entry(List.of(0x65ea80255d5682c5L, 0x9117240723f493ebL), "entropy"));

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
