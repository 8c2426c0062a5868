package limu.bootloader;

import java.util.List;

/**
 * The outcome of {@link LimineBoot#load}: guest RAM already holds the kernel,
 * the page tables and every response; this says how to start the CPU and what
 * was done.
 *
 * @param bsp                    entry state of the bootstrap processor
 * @param memoryMap              the memory map exactly as reported to the kernel (also when it did not ask)
 * @param hhdmOffset             virtual address of physical 0 in the higher-half direct map
 * @param requestedBaseRevision  the revision in the kernel's base revision tag, -1 if it has none (treated as 0),
 *                               saturated at {@link Integer#MAX_VALUE}
 * @param baseRevision           the base revision the kernel was loaded with
 * @param baseRevisionSupported  false if the kernel asked for a newer revision than limu knows (the tag's
 *                               third word was left as is, so the kernel can tell)
 * @param pagingLevels           4 or 5
 * @param kernelPhysicalBase     physical address of {@code kernelVirtualBase}
 * @param kernelVirtualBase      lowest virtual address of the kernel's PT_LOAD segments
 * @param answeredRequests       names of the requests that got a response, in the order answered
 * @param ignoredRequests        requests found but left without a response, each with the reason
 * @param kernel                 the parsed kernel, for symbols
 */
public record BootPlan(CpuEntryState bsp, List<MemoryMapEntry> memoryMap, long hhdmOffset, int requestedBaseRevision,
                       int baseRevision, boolean baseRevisionSupported, int pagingLevels, long kernelPhysicalBase,
                       long kernelVirtualBase, List<String> answeredRequests, List<String> ignoredRequests,
                       ElfFile kernel) {
    public BootPlan {
        memoryMap = List.copyOf(memoryMap);
        answeredRequests = List.copyOf(answeredRequests);
        ignoredRequests = List.copyOf(ignoredRequests);
    }
}
